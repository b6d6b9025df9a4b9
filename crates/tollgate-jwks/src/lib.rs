//! Verified keys for an issuer: fetch, validate, cache and refresh JSON Web Key Sets
//! (RFC 7517) without stampedes, without stalling requests, and with a bounded answer to
//! outages.
//!
//! This is the key source of `tollgate-verify`, usable on its own by anything that needs an
//! issuer's verification keys.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use tollgate_jwks::{CognitoPool, JwksCache, JwksSource};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = CognitoPool::new("eu-west-1", "eu-west-1_AbCdEf123")?;
//! let keys = JwksCache::builder(JwksSource::cognito(&pool)?)
//!     .cooldown(Duration::from_secs(30))
//!     .max_stale(Duration::from_secs(2 * 3600))
//!     .build()?;
//! keys.prefetch().await?; // fail fast at start-up (or let the first lookup fetch)
//!
//! let key = keys.key("abcdefghijklmnopqrsexample=").await?;
//! println!("{:?}, revoked: {}", key.key_type(), key.is_revoked());
//! # Ok(()) }
//! ```
//!
//! # Sources
//!
//! [`JwksSource`] names where keys come from: a JWKS URL, OIDC discovery (the document's
//! `issuer` must equal the configured issuer), a Cognito user pool ([`CognitoPool`], both
//! issuer host forms), or a static set (JSON text or file). URLs must be `https` except for
//! loopback hosts. The JWKS URL may be on another host than the issuer.
//!
//! # Key hygiene
//!
//! A JWK is kept only if `kty` is a type some allowed algorithm uses (`RSA`; `EC` with `crv`
//! `P-256` or `P-384`; `OKP` with `crv` `Ed25519`), `use` is absent or `sig`, `key_ops` is
//! absent or contains `verify`, `alg` is absent or allowed and matches the key type, `kid` is
//! present, no private members are present, and the key material passes its policy: an RSA
//! modulus of 2048 to 8192 real bits and an odd exponent between 65537 and 2^33 − 1; EC
//! coordinates of exactly the curve's length forming a point on the curve; an Ed25519 key of
//! 32 bytes. A key serves only the algorithms its JWK allows: the one its `alg` names, or
//! without `alg` every allowed `RS*`/`PS*` for RSA, `ES256` for P-256, `ES384` for P-384,
//! `EdDSA` for Ed25519. The token's `alg` never picks the key type. Unusable keys are skipped with a logged reason ([`KeyRejection`]); two keys
//! with the same `kid` make that `kid` unusable; a set without any usable key is a failed
//! fetch. Keys are parsed once, when the set arrives, into aws-lc-rs verification keys.
//!
//! # Cache policy
//!
//! - Lookups of cached `kid`s are lock-free reads of an immutable snapshot and never wait for
//!   a refresh.
//! - Freshness comes from `Cache-Control: max-age` or `Expires`, clamped to bounds, with a
//!   default; refreshes are conditional (`ETag`, `Last-Modified`).
//! - A background task refreshes ahead of expiry, at a time drawn uniformly between 5/8 and
//!   7/8 of the freshness lifetime (3/4 ± [`JwksCacheBuilder::refresh_jitter`]), so caches
//!   started together do not refresh in lockstep; it retries failures with exponential backoff
//!   and jitter (honouring `Retry-After`).
//! - An unknown `kid` causes at most one fetch in flight (concurrent misses share it) and at
//!   most one per cooldown window; inside the window the lookup fails at once. Only such
//!   on-demand fetches start the window: a key published right after the start-up prefetch, a
//!   scheduled refresh or a 304 is fetched by the first token that names it. After a failed
//!   fetch, on-demand fetches wait for the scheduled retry. A known `kid` never causes a fetch.
//! - The issuer's load is therefore bounded per cache: about `60 / (0.75 × freshness)`
//!   refreshes per minute, plus at most one unknown-`kid` fetch per cooldown window (see
//!   BENCHMARKS.md in the repository for a fleet simulation).
//! - When refreshes fail, the last good set is served for at most `max_stale` past its
//!   freshness, then lookups fail with [`LookupError::KeysUnavailable`].
//! - A key that disappears from the issuer's set is revoked at the next successful refresh
//!   ([`VerifyingKey::is_revoked`]).
//! - Background work ends when the last [`JwksCache`] clone is dropped or on
//!   [`JwksCache::shutdown`].
//!
//! # Seeing inside
//!
//! `tracing` events under the target `tollgate_jwks`, [`JwksCache::status`], and, with the
//! `metrics` feature, counters and a key-count gauge through the `metrics` facade, each with
//! an `issuer` label ([`JwksCacheBuilder::issuer_label`]).
//!
//! # Time
//!
//! All timing reads a [`Clock`]; tests use [`ManualClock`] and move time explicitly.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod alb;
mod algorithm;
mod builder;
mod cache;
mod clock;
mod error;
mod fetcher;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzz_api;
mod jwk;
mod key;
mod key_set;
mod log_safe;
#[cfg(feature = "metrics")]
mod metrics;
mod policy;
mod signature;
mod source;
mod status;
mod url_policy;

pub use alb::{ALB_KID_FETCHES_PER_COOLDOWN, MAX_ALB_KID_LEN, is_plain_kid};
pub use algorithm::{Algorithm, KeyType};
pub use builder::JwksCacheBuilder;
pub use cache::JwksCache;
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use error::{BuildError, Cause, FetchError, LookupError, UrlError};
pub use jwk::{
    KeyRejection, MAX_EXPONENT, MAX_MODULUS_BITS, MIN_EXPONENT, MIN_MODULUS_BITS, SkippedKey,
};
pub use key::{SignatureError, VerifyingKey};
pub use key_set::{KeySet, KeySetOptions};
pub use log_safe::log_safe;
pub use policy::{
    DEFAULT_COOLDOWN, DEFAULT_MAX_BODY, DEFAULT_MAX_STALE, DEFAULT_MAX_TTL, DEFAULT_MIN_TTL,
    DEFAULT_REFRESH_JITTER, DEFAULT_TTL, MAX_POLICY_DURATION, MAX_REFRESH_JITTER,
};
pub use source::{CognitoPool, IssuerForm, JwksSource};
pub use status::CacheStatus;

/// The HTTP client crate used for fetching, re-exported so a client passed to
/// [`JwksCacheBuilder::http_client`] always has the matching version.
pub use reqwest;

/// The README's code blocks, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
