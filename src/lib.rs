//! # tollgate
//!
//! Verify OAuth 2.0 access tokens (RS256 JWTs by default; PS, ES and EdDSA opt-in) from Amazon
//! Cognito, any OIDC issuer and AWS Application Load Balancers in
//! axum and tonic services with one tower layer: verified claims and scopes in every request,
//! per-route scope and claim checks, and correct RFC 6750 and gRPC answers.
//!
//! This facade re-exports the workspace crates:
//!
//! | crate | re-exported as | what |
//! | --- | --- | --- |
//! | `tollgate-jwks` | [`jwks`] | key sets: fetch, validate, cache, refresh |
//! | `tollgate-verify` | [`verify`] | strict token verification and claim policy |
//! | `tollgate-tower` | [`tower`] | the layer, requirement guards (scopes, claims, predicates), extractors |
//! | `tollgate-testkit` | `testkit` (feature `testkit`) | a local Cognito-shaped issuer |
//!
//! # Example
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use tollgate::{AuthLayer, Authenticated, Issuer, RequireScopesLayer, Verifier};
//!
//! async fn list_orders(Authenticated(token): Authenticated) -> String {
//!     format!("orders visible to {}", token.client_id().unwrap_or("?"))
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .issuer(Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").client_ids(["4e8i3example"]))
//!     .build()
//!     .await?;
//! let app: Router = Router::new()
//!     .route("/orders", get(list_orders).route_layer(RequireScopesLayer::any(["orders/read"])))
//!     .layer(AuthLayer::new(verifier));
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! | feature | enables |
//! | --- | --- |
//! | `axum` | axum extractors ([`Authenticated`], [`GrantedScopes`]) |
//! | `tonic` | `TonicRequestExt` for tonic requests |
//! | `metrics` | counters and histograms through the `metrics` facade |
//! | `testkit` | the local test issuer (`tollgate::testkit`) |

#![cfg_attr(docsrs, feature(doc_cfg))]

pub use tollgate_jwks as jwks;
#[cfg(feature = "testkit")]
pub use tollgate_testkit as testkit;
pub use tollgate_tower as tower;
pub use tollgate_verify as verify;

pub use tollgate_jwks::{CognitoPool, IssuerForm, JwksCache, JwksSource};
/// Everything of `tollgate-tower` (its `axum` and `tonic` items follow that crate's features,
/// which this crate's features of the same names enable).
#[doc(inline)]
pub use tollgate_tower::*;
pub use tollgate_verify::{
    Admission, Algorithm, Attempt, BuildError, CheckFailed, Claim, ClaimPath, Claims, CustomClaims,
    CustomClaimsVerifier, EcdsaForm, Issuer, KeyType, ManualClock, PendingVerification, ScopeClaim,
    Scopes, TokenCacheConfig, TokenCacheUsage, TokenUse, VerifiedToken, Verifier, VerifierBuilder,
    VerifyError,
};

/// The README's code blocks, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
