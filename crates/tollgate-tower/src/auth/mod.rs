//! Middleware that verifies the bearer token of every request.
//!
//! # Example
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use tollgate_tower::{AuthLayer, RequireScopesLayer};
//! use tollgate_verify::{Issuer, Verifier};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .issuer(Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").client_ids(["4e8i3example"]))
//!     .build()
//!     .await?;
//!
//! let app: Router = Router::new()
//!     .route("/orders", get(|| async { "orders" }).route_layer(RequireScopesLayer::any(["orders/read"])))
//!     .route("/health", get(|| async { "ok" }))
//!     .layer(AuthLayer::new(verifier).realm("orders-api").skip_path("/health"));
//! # Ok(()) }
//! ```
//!
//! Requests without bearer credentials get 401 with a bare `Bearer` challenge, malformed
//! credentials 400 `invalid_request`, invalid tokens 401 `invalid_token`, and a key outage 503
//! with `Retry-After`. gRPC requests get the same decisions as trailers-only answers. On
//! success the [`VerifiedToken`](tollgate_verify::VerifiedToken) and an
//! [`AuthContext`](crate::AuthContext) are put in the request extensions.

mod config;
mod future;
mod layer;
mod service;

pub(crate) use config::AuthConfig;
pub use future::ResponseFuture;
pub use layer::AuthLayer;
pub use service::Auth;
