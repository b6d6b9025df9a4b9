//! Per-method scope requirements for gRPC services, denying unlisted methods by default.
//!
//! # Example
//!
//! ```
//! use tollgate_tower::{GrpcScopesLayer, ScopeRequirement};
//!
//! let scopes = GrpcScopesLayer::new()
//!     .method("/orders.v1.Orders/GetOrder", ScopeRequirement::any(["orders/read"]))
//!     .method("/orders.v1.Orders/DeleteOrder", ScopeRequirement::all(["orders/write", "orders/admin"]));
//! // tonic: Server::builder().layer(auth_layer).layer(scopes).add_service(...)
//! ```
//!
//! A convenience over [`GrpcRequireLayer`] for maps of scope
//! requirements only; for claims (groups, roles) and combinations, use that layer.
//!
//! A method not in the map answers `PERMISSION_DENIED` unless
//! [`GrpcScopesLayer::allow_unlisted`] was called (then a verified token is enough). Paths are
//! matched exactly.

use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::ScopeRequirement;
use crate::body::AuthBody;
use crate::grpc_require::{GrpcRequire, GrpcRequireLayer};
use crate::guard_future::GuardFuture;
use crate::responder::DefaultResponder;

/// Applies [`GrpcScopes`]: maps gRPC method paths (`/package.Service/Method`) to scope
/// requirements; unlisted methods are denied. A [`GrpcRequireLayer`] whose requirements are
/// scope requirements.
///
/// See the [module docs](crate::grpc_scopes).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct GrpcScopesLayer {
    map: GrpcRequireLayer,
}

impl GrpcScopesLayer {
    /// An empty map: every method is denied until listed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires `requirement` for the method at `path` (for example
    /// `/orders.v1.Orders/GetOrder`).
    pub fn method(self, path: impl Into<String>, requirement: ScopeRequirement) -> Self {
        Self {
            map: self.map.method(path, requirement),
        }
    }

    /// Lets methods not in the map through with any verified token (instead of denying them).
    pub fn allow_unlisted(self) -> Self {
        Self {
            map: self.map.allow_unlisted(),
        }
    }
}

impl<S> Layer<S> for GrpcScopesLayer {
    type Service = GrpcScopes<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcScopes {
            guard: self.map.layer(inner),
        }
    }
}

/// Lets a gRPC call through to the inner service only if its method is in the map and the
/// verified token satisfies the method's requirement; answers `PERMISSION_DENIED` (or
/// `UNAUTHENTICATED` without a verified token) otherwise. A [`GrpcRequire`] over scope
/// requirements.
///
/// Created by [`GrpcScopesLayer`]; see the [module docs](crate::grpc_scopes).
#[derive(Debug, Clone)]
pub struct GrpcScopes<S> {
    guard: GrpcRequire<S>,
}

impl GrpcScopes<()> {
    /// An empty [`GrpcScopesLayer`] (every method denied until listed).
    pub fn layer() -> GrpcScopesLayer {
        GrpcScopesLayer::new()
    }
}

impl<S> GrpcScopes<S> {
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GrpcScopes<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<AuthBody<ResBody>>;
    type Error = S::Error;
    type Future = GuardFuture<S::Future, DefaultResponder>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.guard.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        self.guard.call(request)
    }
}

/// tonic routes services by name; forward it so the layered service can be added directly.
#[cfg(feature = "tonic")]
impl<S: tonic::server::NamedService> tonic::server::NamedService for GrpcScopes<S> {
    const NAME: &'static str = S::NAME;
}
