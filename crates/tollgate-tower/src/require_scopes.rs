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
//! A convenience over [`RequireLayer`](crate::RequireLayer) and
//! [`Requirement::scopes`](crate::Requirement::scopes) for routes that need scopes only; for
//! claims (groups, roles) and combinations, use those.
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

use crate::body::AuthBody;
use crate::guard_future::GuardFuture;
use crate::require::Require;
use crate::responder::{DefaultResponder, RejectionResponder};
use crate::{Requirement, ScopeRequirement};

/// Applies [`RequireScopes`]: lets a request through only if its verified token satisfies a
/// [`ScopeRequirement`]. Works as an axum `route_layer` and as a plain tower layer. The same as
/// [`RequireLayer::new`](crate::RequireLayer::new) with that scope requirement.
///
/// See the [module docs](crate::require_scopes).
#[derive(Debug, Clone)]
#[must_use]
pub struct RequireScopesLayer<R = DefaultResponder> {
    scopes: ScopeRequirement,
    requirement: Requirement,
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
            requirement: Requirement::scopes(requirement.clone()),
            scopes: requirement,
            responder: DefaultResponder,
        }
    }
}

impl<R> RequireScopesLayer<R> {
    /// Shapes the bodies of HTTP rejections.
    pub fn responder<R2: RejectionResponder>(self, responder: R2) -> RequireScopesLayer<R2> {
        RequireScopesLayer {
            scopes: self.scopes,
            requirement: self.requirement,
            responder,
        }
    }

    /// The requirement.
    #[must_use]
    pub fn requirement(&self) -> &ScopeRequirement {
        &self.scopes
    }
}

impl<S, R: Clone> Layer<S> for RequireScopesLayer<R> {
    type Service = RequireScopes<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireScopes {
            guard: Require::from_parts(inner, self.requirement.clone(), self.responder.clone()),
        }
    }
}

/// Lets a request through to the inner service only if its verified token satisfies a
/// [`ScopeRequirement`]; answers 403 (or 401 for anonymous requests) otherwise. A
/// [`Require`] with a scope requirement.
///
/// Created by [`RequireScopesLayer`]; see the [module docs](crate::require_scopes).
#[derive(Debug, Clone)]
pub struct RequireScopes<S, R = DefaultResponder> {
    guard: Require<S, R>,
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
        self.guard.get_ref()
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        self.guard.get_mut()
    }

    /// Consumes `self`, returning the inner service.
    pub fn into_inner(self) -> S {
        self.guard.into_inner()
    }
}

/// tonic routes services by name; forward it so a guarded service can be added directly.
#[cfg(feature = "tonic")]
impl<S: tonic::server::NamedService, R> tonic::server::NamedService for RequireScopes<S, R> {
    const NAME: &'static str = S::NAME;
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
        self.guard.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        self.guard.call(request)
    }
}
