//! Strict verification of OAuth 2.0 access tokens (JWS compact: RS256 by default; RS384/512,
//! PS256/384/512, ES256/384 and EdDSA opt-in per issuer) from Amazon Cognito, any OIDC issuer
//! and AWS Application Load Balancers ([`Issuer::alb`]).
//!
//! [`Verifier`] decides who gets in. It follows the verifier contract of tollgate's security
//! catalogue (`docs/security-catalogue.md` in the repository):
//!
//! - **Algorithms chosen by configuration, per issuer.** `alg` is compared exactly with the
//!   token's issuer's allowlist ([`Issuer::algorithms`]; `RS256` by default) before any key is
//!   looked up or fetched; `none`, HMAC and every algorithm not in [`Algorithm`] cannot be
//!   expressed. A key serves only the algorithms its JWK allows (its `alg`, or its type's:
//!   RSA `RS*`/`PS*`, P-256 `ES256`, P-384 `ES384`, Ed25519 `EdDSA`): the token never picks
//!   the key type. ECDSA signatures are accepted in the JWS form only (`R || S`; no DER, no
//!   zero integer: [`EcdsaForm`]).
//! - **Keys only from the configured issuer's key set**, selected by `kid` (required). `jku`,
//!   `jwk`, `x5u` and `x5c` refuse the token; `crit` refuses it.
//! - **Strict parsing**: a length cap first; exactly three non-empty base64url segments with no
//!   padding and canonical encoding (canonical `=` padding is accepted from AWS ALB issuers
//!   only, whose tokens carry it); UTF-8 JSON objects without trailing data; duplicate
//!   member names refused at every depth; at most 32 object members in the header and 256 in
//!   the claims (all depths), so no input costs more parsing than a few RSA checks.
//! - **Signature over the exact received bytes**, with a key parsed once when its set
//!   arrived.
//! - **Claims**: `exp` required and numeric; `nbf` and `iat` numeric when present; `iat` in
//!   the future refused; optional maximum age and lifetime; `iss` compared byte for byte;
//!   Cognito `token_use` and `client_id` (or `aud` for ID tokens); OIDC `aud`. A claim of the
//!   wrong JSON type refuses the token, it is never treated as absent.
//! - **Typed errors** ([`VerifyError`]): one variant per reason, none carrying token content.
//!
//! Signed inputs that are not access tokens (test vectors, other signed documents) can be
//! checked with [`verify_jws`]: the same structural, header and signature checks, no claims.
//!
//! Verified results are cached (optional, on by default): a repeat of the same token skips
//! parsing and the signature check, but still re-checks expiry and that its key is still
//! trusted. A token is cached on its second successful verification ([`Admission`]), so
//! tokens seen only once never cost an insert or evict anything.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use tollgate_verify::{Issuer, Verifier};
//!
//! # async fn run(bearer: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .issuer(Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").client_ids(["4e8i3example"]))
//!     .max_lifetime(Duration::from_secs(24 * 3600))
//!     .build()
//!     .await?;
//!
//! let token = verifier.verify(bearer).await?;
//! assert!(token.scopes().contains("orders/read"));
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod admission;
mod alb;
mod attempt;
mod builder;
mod claims;
mod compact;
mod custom;
mod error;
mod header;
#[cfg(test)]
mod header_reference;
mod issuer;
mod json_reader;
pub mod jws;
mod scope_claim;
mod scopes;
mod signature;
mod strict_json;
mod token_cache;
mod verified_token;
mod verifier;

pub use admission::Admission;
pub use attempt::{Attempt, PendingVerification};
pub use builder::{
    CustomClaimsVerifier, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN, MAX_LEEWAY, VerifierBuilder,
};
pub use claims::{Claim, ClaimPath, ClaimStrs, Claims, StrList};
pub use custom::{CustomClaims, NoCustomClaims};
pub use error::{
    BuildError, CheckFailed, EcdsaForm, ErrorCode, InvalidClaimPath, Malformed, Part, VerifyError,
};
pub use issuer::{Issuer, TokenUse};
pub use jws::verify_jws;
pub use scope_claim::ScopeClaim;
pub use scopes::Scopes;
pub use token_cache::{TokenCacheConfig, TokenCacheUsage};
pub use verified_token::VerifiedToken;
pub use verifier::Verifier;

/// The key layer, re-exported: key caches, sources, clocks and algorithms.
pub use tollgate_jwks as jwks;
pub use tollgate_jwks::{Algorithm, Clock, KeyType, ManualClock, SystemClock};

/// The README's code blocks, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
