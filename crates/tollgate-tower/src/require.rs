//! Per-route guards over scopes, claims and predicates: [`RequireLayer`] → [`Require`].
//!
//! # Example
//!
//! ```
//! use axum::{Router, routing::{get, post}};
//! use tollgate_tower::{RequireLayer, Requirement};
//!
//! let routes: Router = Router::new()
//!     .route(
//!         "/reports",
//!         get(|| async { "reports" }).route_layer(RequireLayer::new(
//!             Requirement::scopes_any(["orders/admin"])
//!                 .or(Requirement::claim("cognito:groups").any(["analysts"])),
//!         )),
//!     )
//!     .route(
//!         "/approvals",
//!         post(|| async { "approved" }).route_layer(RequireLayer::new(
//!             Requirement::claim("realm_access.roles").all(["approver", "orders"]),
//!         )),
//!     );
//! // ... then `.layer(AuthLayer::new(verifier))` around the router.
//! ```
//!
//! An unmet requirement answers 403 with `error="insufficient_scope"` (gRPC:
//! `PERMISSION_DENIED`): with a `scope` attribute per alternative that scopes alone would
//! satisfy, or without any when a claim or predicate is what is missing (see
//! [`Requirement`]). An anonymous request answers 401. A guard that finds no auth layer before
//! it, or a predicate for another custom-claims type than the verifier's, answers 500 and logs
//! a configuration error: it never lets the request through.

use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::Requirement;
use crate::body::AuthBody;
use crate::context::is_grpc;
use crate::guard::check;
use crate::guard_future::GuardFuture;
use crate::observe;
use crate::responder::{DefaultResponder, RejectionResponder};

/// Applies [`Require`]: lets a request through only if its verified token satisfies a
/// [`Requirement`]. Works as an axum `route_layer` and as a plain tower layer.
///
/// See the [module docs](crate::require).
#[derive(Debug, Clone)]
#[must_use]
pub struct RequireLayer<R = DefaultResponder> {
    requirement: Requirement,
    responder: R,
}

impl RequireLayer {
    /// Requires `requirement` (a [`Requirement`], or a
    /// [`ScopeRequirement`](crate::ScopeRequirement)).
    pub fn new(requirement: impl Into<Requirement>) -> Self {
        Self {
            requirement: requirement.into(),
            responder: DefaultResponder,
        }
    }
}

impl<R> RequireLayer<R> {
    /// Shapes the bodies of HTTP rejections.
    pub fn responder<R2: RejectionResponder>(self, responder: R2) -> RequireLayer<R2> {
        RequireLayer {
            requirement: self.requirement,
            responder,
        }
    }

    /// The requirement.
    #[must_use]
    pub fn requirement(&self) -> &Requirement {
        &self.requirement
    }
}

impl<S, R: Clone> Layer<S> for RequireLayer<R> {
    type Service = Require<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        Require {
            inner,
            requirement: self.requirement.clone(),
            responder: self.responder.clone(),
        }
    }
}

/// Lets a request through to the inner service only if its verified token satisfies a
/// [`Requirement`]; answers 403 (or 401 for anonymous requests) otherwise.
///
/// Created by [`RequireLayer`]; see the [module docs](crate::require).
#[derive(Debug, Clone)]
pub struct Require<S, R = DefaultResponder> {
    inner: S,
    requirement: Requirement,
    responder: R,
}

impl Require<(), DefaultResponder> {
    /// A [`RequireLayer`] requiring `requirement`.
    pub fn layer(requirement: impl Into<Requirement>) -> RequireLayer {
        RequireLayer::new(requirement)
    }
}

impl<S, R> Require<S, R> {
    pub(crate) fn from_parts(inner: S, requirement: Requirement, responder: R) -> Self {
        Self {
            inner,
            requirement,
            responder,
        }
    }

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
impl<S: tonic::server::NamedService, R> tonic::server::NamedService for Require<S, R> {
    const NAME: &'static str = S::NAME;
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for Require<S, R>
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
