//! One tower layer for axum and tonic: bearer tokens verified on every request, per-route
//! scope guards, and answers exactly as RFC 6750 and gRPC clients expect.
//!
//! - [`AuthLayer`] / [`Auth`]: takes the token from the single `Authorization: Bearer`
//!   header (scheme case-insensitive; query strings and bodies are never read, a named header
//!   or cookie only when configured with [`AuthLayer::token_sources`]), verifies it with a
//!   [`Verifier`](tollgate_verify::Verifier), and puts the
//!   [`VerifiedToken`](tollgate_verify::VerifiedToken) and an [`AuthContext`] in the request
//!   extensions. Rejections are responses, never `Service::Error`.
//! - [`RequireLayer`] / [`Require`]: per-route guard over a [`Requirement`]: scopes, claim
//!   values (groups, roles, any claim by path, nested ones included), predicates, and AND /
//!   OR combinations; usable as an axum `route_layer` and as a plain tower layer.
//!   [`RequireScopesLayer`] / [`RequireScopes`] is its scopes-only form (`any`, `all`, or an
//!   OR of AND-sets).
//! - [`GrpcRequireLayer`] / [`GrpcRequire`]: per-method [`Requirement`] map for gRPC services;
//!   unlisted methods are denied. [`GrpcScopesLayer`] / [`GrpcScopes`] is its scopes-only
//!   form.
//! - [`Authenticated`] and [`GrantedScopes`] (feature `axum`): extractors, including
//!   `Option<Authenticated>` for routes where a token is optional.
//! - [`TonicRequestExt`] (feature `tonic`): the verified token in tonic methods.
//! - [`ProtectedResourceMetadata`]: RFC 9728 document and challenge parameter.
//!
//! # Answers
//!
//! | situation | HTTP | gRPC (HTTP 200, trailers-only) |
//! | --- | --- | --- |
//! | no bearer credentials | 401, `WWW-Authenticate: Bearer realm=".."` (no `error`) | 16 `UNAUTHENTICATED` |
//! | malformed credentials (two headers, bad bytes, `Bearer` alone) | 400 `error="invalid_request"` | 16 `UNAUTHENTICATED` |
//! | invalid token | 401 `error="invalid_token"`, fixed short description | 16 `UNAUTHENTICATED` |
//! | valid token, missing scope | 403 `error="insufficient_scope", scope=".."` | 7 `PERMISSION_DENIED` |
//! | valid token, unmet claim requirement (no scope would help) | 403 `error="insufficient_scope"`, no `scope` | 7 `PERMISSION_DENIED` |
//! | different tokens in two configured sources | 400 `error="invalid_request"` | 16 `UNAUTHENTICATED` |
//! | no usable keys | 503 with `Retry-After` | 14 `UNAVAILABLE` |
//!
//! A request is gRPC when its `content-type` starts with `application/grpc`. Bodies are empty
//! unless a [`RejectionResponder`] (for example [`ProblemDetails`]) shapes them. Reasons go to
//! `tracing` at debug level (target `tollgate::auth`), never the token or claims.
//!
//! # Example
//!
//! ```no_run
//! use axum::{Router, routing::{get, post}};
//! use tollgate_tower::{AuthLayer, Authenticated, RequireScopesLayer};
//! use tollgate_verify::{Issuer, Verifier};
//!
//! async fn list_orders(Authenticated(token): Authenticated) -> String {
//!     format!("orders for {}", token.client_id().unwrap_or("?"))
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .issuer(Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").client_ids(["4e8i3example"]))
//!     .build()
//!     .await?;
//! let app: Router = Router::new()
//!     .route("/orders", get(list_orders).route_layer(RequireScopesLayer::any(["orders/read"])))
//!     .route("/orders/new", post(|| async { "created" }).route_layer(RequireScopesLayer::all(["orders/write"])))
//!     .layer(AuthLayer::new(verifier));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! | feature | adds |
//! | --- | --- |
//! | `axum` | extractors and `IntoResponse` for [`Rejection`] |
//! | `tonic` | [`TonicRequestExt`], `NamedService` forwarding |
//! | `metrics` | counters and latency histograms through the `metrics` facade |
//!
//! Features add APIs; none changes what is accepted or refused.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod alb;
pub mod auth;
mod bearer;
mod body;
mod challenge;
mod context;
#[cfg(feature = "axum")]
mod extract;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzz_api;
pub mod grpc_require;
pub mod grpc_scopes;
mod guard;
mod guard_future;
pub mod metadata;
mod observe;
mod rejection;
pub mod require;
pub mod require_scopes;
mod requirement;
mod responder;
mod scope_requirement;
#[cfg(feature = "tonic")]
mod tonic_ext;

pub use alb::{ALB_DATA_HEADER, AlbUser};
pub use auth::{Auth, AuthLayer, ResponseFuture};
pub use bearer::{InvalidRequest, TokenSource};
pub use body::{AuthBody, FullBody};
pub use context::AuthContext;
#[cfg(feature = "axum")]
pub use extract::{Authenticated, GrantedScopes};
pub use grpc_require::{GrpcRequire, GrpcRequireLayer};
pub use grpc_scopes::{GrpcScopes, GrpcScopesLayer};
pub use guard_future::GuardFuture;
pub use metadata::{MetadataService, ProtectedResourceMetadata};
pub use rejection::{GrpcCode, RETRY_AFTER_SECS, Rejection, RejectionBody, RejectionKind};
pub use require::{Require, RequireLayer};
pub use require_scopes::{RequireScopes, RequireScopesLayer};
pub use requirement::{ClaimCondition, Requirement};
pub use responder::{DefaultResponder, ProblemDetails, RejectionResponder};
pub use scope_requirement::ScopeRequirement;
#[cfg(feature = "tonic")]
pub use tonic_ext::TonicRequestExt;

/// The README's code blocks, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
