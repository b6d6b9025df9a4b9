//! Per-method requirements for gRPC services (scopes, claims, predicates), denying unlisted
//! methods by default: [`GrpcRequireLayer`] → [`GrpcRequire`].
//!
//! # Example
//!
//! ```
//! use tollgate_tower::{GrpcRequireLayer, Requirement};
//!
//! let methods = GrpcRequireLayer::new()
//!     .method("/orders.v1.Orders/GetOrder", Requirement::scopes_any(["orders/read"]))
//!     .method(
//!         "/orders.v1.Orders/GetReport",
//!         Requirement::scopes_any(["orders/admin"])
//!             .or(Requirement::claim("cognito:groups").any(["analysts"])),
//!     );
//! // tonic: Server::builder().layer(auth_layer).layer(methods).add_service(...)
//! ```
//!
//! A method not in the map answers `PERMISSION_DENIED` unless
//! [`GrpcRequireLayer::allow_unlisted`] was called (then a verified token is enough). Paths are
//! matched exactly. An unmet requirement answers `PERMISSION_DENIED`, a request without a
//! verified token `UNAUTHENTICATED`.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::Requirement;
use crate::body::AuthBody;
use crate::context::{AuthContext, is_grpc};
use crate::guard::check;
use crate::guard_future::GuardFuture;
use crate::observe;
use crate::rejection::{Rejection, RejectionKind};
use crate::responder::DefaultResponder;

/// Applies [`GrpcRequire`]: maps gRPC method paths (`/package.Service/Method`) to
/// [`Requirement`]s; unlisted methods are denied.
///
/// See the [module docs](crate::grpc_require).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct GrpcRequireLayer {
    methods: Arc<HashMap<String, Requirement>>,
    allow_unlisted: bool,
}

impl GrpcRequireLayer {
    /// An empty map: every method is denied until listed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires `requirement` (a [`Requirement`], or a
    /// [`ScopeRequirement`](crate::ScopeRequirement)) for the method at `path` (for example
    /// `/orders.v1.Orders/GetOrder`).
    pub fn method(mut self, path: impl Into<String>, requirement: impl Into<Requirement>) -> Self {
        Arc::make_mut(&mut self.methods).insert(path.into(), requirement.into());
        self
    }

    /// Lets methods not in the map through with any verified token (instead of denying them).
    pub fn allow_unlisted(mut self) -> Self {
        self.allow_unlisted = true;
        self
    }
}

impl<S> Layer<S> for GrpcRequireLayer {
    type Service = GrpcRequire<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcRequire {
            inner,
            map: self.clone(),
        }
    }
}

/// Lets a gRPC call through to the inner service only if its method is in the map and the
/// verified token satisfies the method's requirement; answers `PERMISSION_DENIED` (or
/// `UNAUTHENTICATED` without a verified token) otherwise.
///
/// Created by [`GrpcRequireLayer`]; see the [module docs](crate::grpc_require).
#[derive(Debug, Clone)]
pub struct GrpcRequire<S> {
    inner: S,
    map: GrpcRequireLayer,
}

impl GrpcRequire<()> {
    /// An empty [`GrpcRequireLayer`] (every method denied until listed).
    pub fn layer() -> GrpcRequireLayer {
        GrpcRequireLayer::new()
    }
}

impl<S> GrpcRequire<S> {
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GrpcRequire<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<AuthBody<ResBody>>;
    type Error = S::Error;
    type Future = GuardFuture<S::Future, DefaultResponder>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let decision = match self.map.methods.get(request.uri().path()) {
            Some(requirement) => check(request.extensions(), Some(requirement)),
            None if self.map.allow_unlisted => check(request.extensions(), None),
            None => AuthContext::require(request.extensions()).and_then(|(_, context)| {
                Err(Rejection::new(
                    RejectionKind::MethodNotMapped,
                    Arc::clone(&context.challenge),
                ))
            }),
        };
        match decision {
            Ok(()) => GuardFuture::inner(self.inner.call(request)),
            Err(rejection) => {
                observe::rejected(&rejection);
                GuardFuture::rejected(rejection, is_grpc(&request), DefaultResponder)
            }
        }
    }
}

/// tonic routes services by name; forward it so the layered service can be added directly.
#[cfg(feature = "tonic")]
impl<S: tonic::server::NamedService> tonic::server::NamedService for GrpcRequire<S> {
    const NAME: &'static str = S::NAME;
}
