//! The AWS Application Load Balancer key source against the testkit's emulated per-kid PEM
//! endpoint: one fetch per kid, shared by concurrent misses, at most once per cooldown
//! window; plain kids only in URLs; PEMs that are not EC P-256 keys refused; the same
//! failure handling, body limit and stale rules as key sets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{guard, settle};
use tollgate_jwks::{
    ALB_KID_FETCHES_PER_COOLDOWN, Algorithm, BuildError, DEFAULT_COOLDOWN, FetchError, JwksCache,
    JwksSource, KeyType, LookupError, ManualClock, UrlError,
};
use tollgate_testkit::{JwksFault, JwsAlg, SigningKey, TestIssuer};

const T0: u64 = 1_700_000_000;

async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap()
}

fn cache(issuer: &TestIssuer, clock: &ManualClock) -> JwksCache {
    JwksCache::builder(JwksSource::alb_url(&issuer.alb_keys_url()).unwrap())
        .algorithms([Algorithm::Es256])
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// The lookup's error (`Ok(())` when a key was found).
async fn lookup(cache: &JwksCache, kid: &str) -> Result<(), LookupError> {
    guard("lookup", cache.key(kid)).await.map(|_| ())
}

fn past_cooldown(clock: &ManualClock) {
    clock.advance(DEFAULT_COOLDOWN + Duration::from_secs(1));
}

/// A fresh ALB-shaped key (P-256, UUID-like kid).
fn alb_key(kid: &str) -> SigningKey {
    SigningKey::generate_for(JwsAlg::Es256)
        .unwrap()
        .with_kid(kid)
}

#[tokio::test]
async fn a_key_is_fetched_once_per_kid_and_verifies_es256() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let cache = cache(&issuer, &clock);
    // Nothing is known before a token names a kid: prefetch fetches nothing.
    cache.prefetch().await.unwrap();
    assert_eq!(issuer.alb_key_requests(), 0);

    let alb = issuer.alb_key();
    let key = guard("lookup", cache.key(alb.kid())).await.unwrap();
    assert_eq!(key.key_type(), KeyType::EcP256);
    assert_eq!(key.algorithms().collect::<Vec<_>>(), [Algorithm::Es256]);
    let message = b"header.payload";
    let signature = alb.sign(JwsAlg::Es256, message).unwrap();
    assert_eq!(key.verify(Algorithm::Es256, message, &signature), Ok(()));
    assert_eq!(issuer.alb_key_requests(), 1);

    // Cached: no request, also from the synchronous lookup.
    assert!(cache.cached_key(alb.kid()).is_some());
    guard("lookup", cache.key(alb.kid())).await.unwrap();
    assert_eq!(issuer.alb_key_requests(), 1);
    assert!(cache.is_trusted(&key));
    assert!(cache.status().jwks_url.unwrap().ends_with("/alb-keys"));
}

#[tokio::test]
async fn an_unknown_kid_is_one_request_per_cooldown_window() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let cache = cache(&issuer, &clock);
    let unknown = "0b9f5a1e-0000-4000-8000-00000000dead";
    assert_eq!(lookup(&cache, unknown).await, Err(LookupError::UnknownKid));
    assert_eq!(issuer.alb_key_requests(), 1);
    assert_eq!(lookup(&cache, unknown).await, Err(LookupError::UnknownKid));
    assert_eq!(issuer.alb_key_requests(), 1, "inside the cooldown window");
    // Another kid may still be fetched in the same window.
    let alb = issuer.alb_key();
    assert!(cache.key(alb.kid()).await.is_ok());
    assert_eq!(issuer.alb_key_requests(), 2);
    past_cooldown(&clock);
    assert_eq!(lookup(&cache, unknown).await, Err(LookupError::UnknownKid));
    assert_eq!(issuer.alb_key_requests(), 3);
    assert_eq!(cache.status().unknown_kid_refetches, 3);
}

#[tokio::test]
async fn made_up_kids_cause_a_bounded_number_of_requests_per_window() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let cache = cache(&issuer, &clock);
    for i in 0..20 {
        let kid = format!("made-up-{i}");
        assert_eq!(lookup(&cache, &kid).await, Err(LookupError::UnknownKid));
    }
    assert_eq!(
        issuer.alb_key_requests(),
        ALB_KID_FETCHES_PER_COOLDOWN as u64
    );
    assert_eq!(cache.status().cooldown_rejections, 20 - 4);
    past_cooldown(&clock);
    let alb = issuer.alb_key();
    assert!(cache.key(alb.kid()).await.is_ok());
}

#[tokio::test]
async fn only_plain_kids_go_into_a_url() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let cache = cache(&issuer, &clock);
    let alb = issuer.alb_key();
    for kid in [
        "../secret",
        "..",
        "a/b",
        &format!("{}/..", alb.kid()),
        &format!("../alb-keys/{}", alb.kid()),
        "%2e%2e%2fsecret",
        "a%2Fb",
        "a b",
        " a",
        "a\n",
        "a?x=1",
        "a#b",
        "a\\b",
        "é",
        "",
        &"k".repeat(129),
    ] {
        assert_eq!(
            lookup(&cache, kid).await,
            Err(LookupError::UnknownKid),
            "{kid:?}"
        );
    }
    settle().await;
    assert_eq!(issuer.alb_key_requests(), 0);
}

#[tokio::test]
async fn concurrent_misses_share_one_fetch_and_other_kids_follow() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let cache = cache(&issuer, &clock);
    let alb = issuer.alb_key();
    let other = alb_key("second-alb-key");
    issuer.publish_alb_key(other.clone());
    issuer.hold_alb_keys();
    let mut lookups = Vec::new();
    for _ in 0..8 {
        let (cache, kid) = (cache.clone(), alb.kid().to_owned());
        lookups.push(tokio::spawn(async move { cache.key(&kid).await }));
    }
    // One for the second kid, which waits for the first kid's fetch, then fetches its own.
    let second = {
        let cache = cache.clone();
        tokio::spawn(async move { cache.key("second-alb-key").await })
    };
    guard("first request", issuer.wait_for_alb_key_requests(1)).await;
    settle().await;
    assert_eq!(issuer.alb_key_requests(), 1, "one fetch in flight");
    issuer.release_alb_keys();
    for lookup in lookups {
        assert!(guard("lookup", lookup).await.unwrap().is_ok());
    }
    let second = guard("second kid", second).await.unwrap().unwrap();
    assert_eq!(second.kid(), "second-alb-key");
    assert_eq!(issuer.alb_key_requests(), 2);
    // Both keys are kept.
    assert_eq!(cache.key_set().unwrap().len(), 2);
}

#[tokio::test]
async fn a_pem_that_is_not_an_ec_p256_key_is_refused() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let p384 = SigningKey::generate_for(JwsAlg::Es384).unwrap();
    let ed = SigningKey::generate_for(JwsAlg::EdDsa).unwrap();
    let rsa = SigningKey::fixture(1).unwrap();
    let bodies = [
        ("p384", p384.public_key_spki_pem()),
        ("ed25519", ed.public_key_spki_pem()),
        ("rsa", rsa.public_key_spki_pem()),
        ("rsa-pkcs1", rsa.public_key_pkcs1_pem()),
        ("garbage", "<html>not a key</html>".to_owned()),
        ("empty", String::new()),
        (
            "truncated",
            issuer.alb_key().public_key_spki_pem()[..60].to_owned(),
        ),
    ];
    for (kid, body) in &bodies {
        issuer.set_alb_key_body(kid, Some(body.clone()));
    }
    let cache = cache(&issuer, &clock);
    for (kid, _) in &bodies {
        assert_eq!(
            lookup(&cache, kid).await,
            Err(LookupError::UnknownKid),
            "{kid}"
        );
        assert!(
            matches!(
                cache.status().last_error,
                Some(FetchError::NoUsableKeys { skipped: 1 })
            ),
            "{kid}"
        );
        past_cooldown(&clock);
    }
    assert!(cache.key_set().is_none_or(|set| set.is_empty()));
    // The real key still works.
    assert!(cache.key(issuer.alb_key().kid()).await.is_ok());
}

#[tokio::test]
async fn a_failing_endpoint_makes_keys_unavailable_then_recovers() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let cache = cache(&issuer, &clock);
    let kid = issuer.alb_key().kid().to_owned();
    issuer.fail_next_alb_keys(1, JwksFault::Status(503));
    assert_eq!(
        lookup(&cache, &kid).await,
        Err(LookupError::KeysUnavailable)
    );
    // Inside the window the same kid is not fetched again, and still unavailable.
    assert_eq!(
        lookup(&cache, &kid).await,
        Err(LookupError::KeysUnavailable)
    );
    assert_eq!(issuer.alb_key_requests(), 1);
    assert!(matches!(
        cache.status().last_error,
        Some(FetchError::Status { status: 503, .. })
    ));
    past_cooldown(&clock);
    assert!(cache.key(&kid).await.is_ok());
    assert_eq!(cache.status().consecutive_failures, 0);
}

#[tokio::test]
async fn bodies_are_bounded_and_redirects_refused() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let cache = JwksCache::builder(JwksSource::alb_url(&issuer.alb_keys_url()).unwrap())
        .algorithms([Algorithm::Es256])
        .max_body_bytes(1024)
        .clock(clock.clone())
        .build()
        .unwrap();
    let kid = issuer.alb_key().kid().to_owned();
    issuer.fail_next_alb_keys(1, JwksFault::Oversized(4096));
    assert_eq!(
        lookup(&cache, &kid).await,
        Err(LookupError::KeysUnavailable)
    );
    assert!(matches!(
        cache.status().last_error,
        Some(FetchError::BodyTooLarge { limit: 1024 })
    ));
    past_cooldown(&clock);
    issuer.fail_next_alb_keys(1, JwksFault::Redirect("https://example.com/".to_owned()));
    assert_eq!(
        lookup(&cache, &kid).await,
        Err(LookupError::KeysUnavailable)
    );
    assert!(matches!(
        cache.status().last_error,
        Some(FetchError::Redirect { status: 302 })
    ));
}

#[tokio::test]
async fn refresh_rereads_known_keys_and_revokes_those_that_are_gone() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let cache = cache(&issuer, &clock);
    let alb = issuer.alb_key();
    let key = cache.key(alb.kid()).await.unwrap();
    cache.refresh().await.unwrap();
    assert_eq!(issuer.alb_key_requests(), 2);
    // Same material: the same key, still trusted.
    let again = cache.key(alb.kid()).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&key, &again));
    assert!(cache.is_trusted(&key));
    // The endpoint now serves something else for the kid: the key is dropped and revoked.
    issuer.set_alb_key_body(alb.kid(), Some("not a key".to_owned()));
    cache.refresh().await.unwrap();
    assert!(key.is_revoked());
    assert!(!cache.is_trusted(&key));
    assert!(cache.cached_key(alb.kid()).is_none());
}

#[tokio::test]
async fn known_keys_go_stale_when_refreshes_keep_failing() {
    let issuer = issuer().await;
    let clock = ManualClock::at_unix(T0);
    let cache = JwksCache::builder(JwksSource::alb_url(&issuer.alb_keys_url()).unwrap())
        .algorithms([Algorithm::Es256])
        .default_ttl(Duration::from_secs(600))
        .max_stale(Duration::from_secs(3600))
        .clock(clock.clone())
        .build()
        .unwrap();
    cache.shutdown(); // refreshes are driven by hand here
    let kid = issuer.alb_key().kid().to_owned();
    cache.key(&kid).await.unwrap();
    issuer.fail_next_alb_keys(100, JwksFault::Status(500));
    clock.advance(Duration::from_secs(600 + 3000));
    assert!(cache.refresh().await.is_err());
    assert!(
        cache.cached_key(&kid).is_some(),
        "stale but within max_stale"
    );
    clock.advance(Duration::from_secs(601));
    assert!(cache.cached_key(&kid).is_none(), "past max_stale");
    assert_eq!(
        lookup(&cache, &kid).await,
        Err(LookupError::KeysUnavailable)
    );
}

#[test]
fn sources_follow_the_url_policy() {
    assert!(JwksSource::alb("eu-west-1").unwrap().is_alb());
    assert!(matches!(
        JwksSource::alb("eu-west-1/../x"),
        Err(BuildError::InvalidRegion)
    ));
    assert!(matches!(
        JwksSource::alb_url("http://keys.example.com"),
        Err(BuildError::Url(UrlError::Insecure))
    ));
    assert!(matches!(
        JwksSource::alb_url("https://keys.example.com/?x=1"),
        Err(BuildError::Url(UrlError::Unsupported))
    ));
    assert!(JwksSource::alb_url("http://127.0.0.1:9/alb-keys/").is_ok());
}
