//! A real, Cognito-shaped local OAuth 2.0 issuer for tests, examples and local
//! development.
//!
//! * [`SigningKey`]: RSA keys (fresh or committed fixtures), EC P-256 / P-384 and
//!   Ed25519 keys, with Cognito-like kids, JWKs and raw signatures for every
//!   [`JwsAlg`].
//! * [`TokenBuilder`]: Cognito access and ID tokens signed with any algorithm, and
//!   every way of breaking them (claims, header, `alg`, HS256, unsigned).
//! * [`raw`]: byte-exact tokens (duplicate members, padded segments, any signature).
//! * [`TestIssuer`]: an HTTP server on `127.0.0.1:0` with JWKS, OIDC discovery and
//!   `POST /oauth2/token` (client credentials), key rotation, request counters,
//!   a hold/release gate for JWKS answers and fault injection ([`JwksFault`]); and an
//!   emulated AWS Application Load Balancer: its per-kid PEM key endpoint and the
//!   padded user-claims tokens it forwards in `x-amzn-oidc-data`.
//!
//! Nothing here depends on the other tollgate crates; crypto is aws-lc-rs.
//!
//! ```
//! use tollgate_testkit::{SigningKey, TestIssuer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestIssuer::builder()
//!     .signing_key(SigningKey::fixture(0)?)
//!     .start()
//!     .await?;
//! let token = issuer.access_token("tollgate-test-client", &["orders/read"])?;
//!
//! let jwks: serde_json::Value = reqwest::get(issuer.jwks_url()).await?.json().await?;
//! assert_eq!(jwks["keys"][0]["kid"], issuer.signing_key().kid());
//! # let _ = token;
//! # Ok(())
//! # }
//! ```
//!
//! For local development run the issuer on its own:
//! `cargo run -p tollgate-testkit --bin tollgate-test-issuer`.

mod alb_endpoint;
mod alg;
mod basic_auth;
mod clock;
mod conditional;
mod config;
mod discovery;
mod error;
mod fault_body;
mod faults;
mod issuer_builder;
mod jwks_endpoint;
mod oauth_error;
mod pem;
mod random;
mod server;
mod state;
mod token_endpoint;

pub mod issuer;
pub mod keys;
pub mod raw;
pub mod token;

pub use alg::{JwsAlg, RsaAlg};
pub use error::TestkitError;
pub use issuer::{
    DEFAULT_ALB_SIGNER, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_POOL_ID, DEFAULT_REGION,
    DEFAULT_RESOURCE_SERVER, DEFAULT_SCOPES, DEFAULT_TOKEN_LIFETIME, JwksFault, TestIssuer,
    TestIssuerBuilder,
};
pub use keys::{KeyKind, SigningKey, cognito_kid, jwks_json};
pub use token::{DEFAULT_TOKEN_LIFETIME_SECS, TokenBuilder};

/// The README's code blocks, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
