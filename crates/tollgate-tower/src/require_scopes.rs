//! Per-route scope guards.
//!
//! # Example
//!
//! ```
//! use axum::{Router, routing::{delete, get}};
//! use tollgate_tower::RequireScopesLayer;
//!
//! let routes: Router = Router::new()
//!     .route("/orders", get(|| async { "list" }).route_layer(RequireScopesLayer::any(["orders/read"])))
//!     .route(
//!         "/orders/{id}",
//!         delete(|| async { "deleted" })
//!             .route_layer(RequireScopesLayer::all(["orders/write", "orders/admin"])),
//!     );
//! // ... then `.layer(AuthLayer::new(verifier))` around the router.
//! ```
//!
//! A missing scope answers 403 with `error="insufficient_scope"` and a `scope` attribute per
//! acceptable alternative (gRPC: `PERMISSION_DENIED`). An anonymous request (see
//! [`AuthLayer::allow_anonymous`](crate::AuthLayer::allow_anonymous)) answers 401. A guard that
//! finds no auth layer before it answers 500 and logs a configuration error: it never lets
//! the request through.

use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::ScopeRequirement;
use crate::body::AuthBody;
use crate::context::{AuthContext, is_grpc};
use crate::guard_future::GuardFuture;
use crate::observe;
use crate::rejection::{Rejection, RejectionKind};
use crate::responder::{DefaultResponder, RejectionResponder};

/// Applies [`RequireScopes`]: lets a request through only if its verified token satisfies a
/// [`ScopeRequirement`]. Works as an axum `route_layer` and as a plain tower layer.
///
/// See the [module docs](crate::require_scopes).
#[derive(Debug, Clone)]
#[must_use]
pub struct RequireScopesLayer<R = DefaultResponder> {
    requirement: ScopeRequirement,
    responder: R,
}

impl RequireScopesLayer {
    /// Requires any one of `scopes`.
    pub fn any<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::new(ScopeRequirement::any(scopes))
    }

    /// Requires all of `scopes`.
    pub fn all<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::new(ScopeRequirement::all(scopes))
    }

    /// Requires all scopes of at least one of `sets`.
    pub fn one_of<O, I, S>(sets: O) -> Self
    where
        O: IntoIterator<Item = I>,
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::new(ScopeRequirement::one_of(sets))
    }

    /// Requires `requirement`.
    pub fn new(requirement: ScopeRequirement) -> Self {
        Self {
            requirement,
            responder: DefaultResponder,
        }
    }
}

impl<R> RequireScopesLayer<R> {
    /// Shapes the bodies of HTTP rejections.
    pub fn responder<R2: RejectionResponder>(self, responder: R2) -> RequireScopesLayer<R2> {
        RequireScopesLayer {
            requirement: self.requirement,
            responder,
        }
    }

    /// The requirement.
    #[must_use]
    pub fn requirement(&self) -> &ScopeRequirement {
        &self.requirement
    }
}

impl<S, R: Clone> Layer<S> for RequireScopesLayer<R> {
    type Service = RequireScopes<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireScopes {
            inner,
            requirement: self.requirement.clone(),
            responder: self.responder.clone(),
        }
    }
}

/// Lets a request through to the inner service only if its verified token satisfies a
/// [`ScopeRequirement`]; answers 403 (or 401 for anonymous requests) otherwise.
///
/// Created by [`RequireScopesLayer`]; see the [module docs](crate::require_scopes).
#[derive(Debug, Clone)]
pub struct RequireScopes<S, R = DefaultResponder> {
    inner: S,
    requirement: ScopeRequirement,
    responder: R,
}

impl RequireScopes<(), DefaultResponder> {
    /// A [`RequireScopesLayer`] requiring `requirement`.
    pub fn layer(requirement: ScopeRequirement) -> RequireScopesLayer {
        RequireScopesLayer::new(requirement)
    }
}

impl<S, R> RequireScopes<S, R> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes `self`, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

/// tonic routes services by name; forward it so a guarded service can be added directly.
#[cfg(feature = "tonic")]
impl<S: tonic::server::NamedService, R> tonic::server::NamedService for RequireScopes<S, R> {
    const NAME: &'static str = S::NAME;
}

/// Checks `requirement` (or, with `None`, only that a token was verified).
pub(crate) fn check(
    extensions: &http::Extensions,
    requirement: Option<&ScopeRequirement>,
) -> Result<(), Rejection> {
    let (scopes, context) = AuthContext::require(extensions)?;
    match requirement {
        Some(requirement) if !requirement.is_satisfied_by(scopes) => Err(Rejection::new(
            RejectionKind::InsufficientScope(requirement.clone()),
            std::sync::Arc::clone(&context.challenge),
        )),
        _ => Ok(()),
    }
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for RequireScopes<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    R: RejectionResponder,
{
    type Response = Response<AuthBody<ResBody>>;
    type Error = S::Error;
    type Future = GuardFuture<S::Future, R>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match check(request.extensions(), Some(&self.requirement)) {
            Ok(()) => GuardFuture::inner(self.inner.call(request)),
            Err(rejection) => {
                observe::rejected(&rejection);
                GuardFuture::rejected(rejection, is_grpc(&request), self.responder.clone())
            }
        }
    }
}
