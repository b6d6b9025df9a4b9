//! Helpers shared by the integration tests: a real issuer on loopback, cache builders on a
//! manual clock, hang guards, and hand-made JWKs.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tollgate_jwks::{
    Algorithm, Clock, JwksCache, JwksCacheBuilder, JwksSource, ManualClock, VerifyingKey,
};
use tollgate_testkit::{RsaAlg, SigningKey, TestIssuer};

/// Upper bound for anything that should finish promptly. Only a hang guard: tests never use it
/// (or any other real-time wait) to order events.
pub const GUARD: Duration = Duration::from_secs(10);

/// The fetch deadline used where a timeout itself is under test.
pub const SHORT_FETCH_TIMEOUT: Duration = Duration::from_millis(300);

/// Awaits `future`, failing the test if it takes longer than [`GUARD`].
pub async fn guard<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(GUARD, future)
        .await
        .unwrap_or_else(|_| panic!("hang guard: {what} did not finish within {GUARD:?}"))
}

/// Yields until `condition` holds (no sleeping), failing after [`GUARD`].
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    guard(what, async {
        while !condition() {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

/// Lets every other ready task run a few times (used only before asserting that something
/// did *not* happen).
pub async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

/// Fixture signing key `index` (0..=3).
pub fn key(index: usize) -> SigningKey {
    SigningKey::fixture(index).unwrap()
}

/// An issuer serving fixture key 0.
pub async fn issuer() -> TestIssuer {
    issuer_with(key(0)).await
}

/// An issuer serving `key`.
pub async fn issuer_with(key: SigningKey) -> TestIssuer {
    TestIssuer::builder()
        .signing_key(key)
        .start()
        .await
        .unwrap()
}

/// A cache of `issuer`'s JWKS URL reading `clock`.
pub fn url_cache(issuer: &TestIssuer, clock: &ManualClock) -> JwksCacheBuilder {
    JwksCache::builder(JwksSource::url(&issuer.jwks_url()).unwrap()).clock(clock.clone())
}

/// Like [`url_cache`], but the cache's clock is `clock`, so `Arc::strong_count(clock)` shows
/// who still holds it (the cache and its background task).
pub fn url_cache_shared(issuer: &TestIssuer, clock: &Arc<dyn Clock>) -> JwksCacheBuilder {
    JwksCache::builder(JwksSource::url(&issuer.jwks_url()).unwrap()).shared_clock(Arc::clone(clock))
}

/// Asserts that `key` verifies an RS256 signature made by `signer`.
pub fn assert_verifies(key: &VerifyingKey, signer: &SigningKey) {
    let message = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0";
    let signature = signer.sign(RsaAlg::Rs256, message).unwrap();
    key.verify(Algorithm::Rs256, message, &signature)
        .unwrap_or_else(|e| panic!("{} does not verify: {e}", key.kid()));
}

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The public JWK of `key` under `kid`, as Cognito publishes it.
pub fn jwk(key: &SigningKey, kid: &str) -> Value {
    let mut jwk = key.public_jwk();
    jwk["kid"] = Value::from(kid);
    jwk
}

/// `{"keys":[...]}`.
pub fn set(keys: &[Value]) -> String {
    serde_json::json!({ "keys": keys }).to_string()
}

/// A random `kid` of 8 to 64 URL-safe characters.
pub fn random_kid() -> String {
    let len = fastrand::usize(8..=64);
    (0..len).map(|_| fastrand::alphanumeric()).collect()
}
