//! The verified-token cache: a token enters it on its second successful verification (the
//! admission rule) and its repeats are served from it, yet it never outlives the token's
//! expiry, its key's presence in the issuer's set, or the set's stale limit; only successes
//! are cached; it stays within its entry and byte limits, the filter of first sightings
//! included; and a flood of tokens seen once evicts nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use tollgate_testkit::{JwksFault, SigningKey};
use tollgate_verify::{
    Admission, Attempt, CheckFailed, Issuer, NoCustomClaims, TokenCacheConfig, Verifier,
    VerifyError,
};

/// A verifier for `env`'s issuer whose custom check counts how often the full path runs
/// (checks run after the signature, so a cache hit skips them) and refuses tokens whose
/// `jti` is `refuse`.
async fn counting(env: &Env, cache: Option<TokenCacheConfig>) -> (Verifier, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let mut builder = Verifier::builder()
        .issuer(Issuer::cognito_issuer(env.iss()).client_ids([CLIENT]))
        .clock(env.clock.clone())
        .check(move |claims, _: &NoCustomClaims| {
            counted.fetch_add(1, Ordering::SeqCst);
            if claims.token_id() == Some("refuse") {
                return Err(CheckFailed::new("refused"));
            }
            Ok(())
        });
    builder = match cache {
        Some(config) => builder.token_cache(config),
        None => builder.without_token_cache(),
    };
    (builder.build().await.unwrap(), runs)
}

fn entries(verifier: &Verifier) -> u64 {
    verifier.token_cache_usage().unwrap().entries
}

/// Verifies `token` twice: the second successful verification caches it (the default
/// admission rule).
async fn warm(verifier: &Verifier, token: &str) {
    assert_eq!(
        verifier.verify(token).await.map(|_| ()),
        OK,
        "first sighting"
    );
    assert_eq!(
        verifier.verify(token).await.map(|_| ()),
        OK,
        "second sighting"
    );
}

#[tokio::test]
async fn a_repeat_is_served_from_the_cache() {
    let env = Env::new().await;
    let (verifier, runs) = counting(&env, Some(TokenCacheConfig::default())).await;
    let token = env.good();
    let first = verifier.verify(&token).await.unwrap();
    assert_eq!(entries(&verifier), 0, "a first sighting is only remembered");
    let second = verifier.verify(&token).await.unwrap();
    assert_eq!(entries(&verifier), 1, "the second sighting is cached");
    let third = verifier.verify(&token).await.unwrap();
    let Attempt::Verified(fourth) = verifier.attempt(&token) else {
        panic!("a cached token is verified without any I/O");
    };
    assert_eq!(runs.load(Ordering::SeqCst), 2, "the full path ran twice");
    assert!(!std::ptr::eq(first.claims(), second.claims()));
    assert!(
        std::ptr::eq(second.claims(), third.claims()),
        "the same verified result"
    );
    assert!(std::ptr::eq(second.claims(), fourth.claims()));
    assert_eq!(entries(&verifier), 1);

    // Without the cache every call takes the full path.
    let (uncached, runs) = counting(&env, None).await;
    let first = uncached.verify(&token).await.unwrap();
    let second = uncached.verify(&token).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert!(!std::ptr::eq(first.claims(), second.claims()));
    assert_eq!(uncached.token_cache_usage(), None);
}

#[tokio::test]
async fn first_sighting_admission_caches_at_once() {
    let env = Env::new().await;
    let config = TokenCacheConfig::default().admission(Admission::FirstSighting);
    let (verifier, runs) = counting(&env, Some(config)).await;
    let token = env.good();
    let first = verifier.verify(&token).await.unwrap();
    let second = verifier.verify(&token).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the full path ran once");
    assert!(std::ptr::eq(first.claims(), second.claims()));
    let usage = verifier.token_cache_usage().unwrap();
    assert_eq!((usage.entries, usage.admission_bytes), (1, 0), "no filter");
}

#[tokio::test]
async fn a_cached_token_expires_on_the_verifier_clock() {
    let env = Env::new().await;
    let (verifier, runs) = counting(&env, Some(TokenCacheConfig::default())).await;
    let exp = i64::try_from(T0).unwrap() + 100;
    let token = env.raw(
        &env.header(),
        &env.claims(&[("exp", Some(&exp.to_string()))]),
    );
    warm(&verifier, &token).await;

    // Last valid second (exp + L − 1): still served from the cache.
    env.clock.advance(Duration::from_secs(100 + LEEWAY - 1));
    assert_eq!(verifier.verify(&token).await.map(|_| ()), OK);
    assert_eq!(runs.load(Ordering::SeqCst), 2);

    // exp + L: the cached entry is dropped and the full path says why.
    env.clock.advance(Duration::from_secs(1));
    assert_eq!(
        verifier.verify(&token).await.map(|_| ()),
        Err(VerifyError::Expired)
    );
    assert!(matches!(
        verifier.attempt(&token),
        Attempt::Refused(VerifyError::Expired)
    ));
    assert_eq!(entries(&verifier), 0);
}

#[tokio::test]
async fn a_cached_token_respects_the_maximum_age() {
    let env = Env::new().await;
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(env.iss()).client_ids([CLIENT]))
        .clock(env.clock.clone())
        .max_token_age(Duration::from_secs(60))
        .build()
        .await
        .unwrap();
    let token = env.good(); // iat = T0, exp = T0 + 3600
    warm(&verifier, &token).await;
    assert_eq!(entries(&verifier), 1);
    env.clock.advance(Duration::from_secs(60 + LEEWAY));
    assert_eq!(
        verifier.verify(&token).await.map(|_| ()),
        OK,
        "iat + age + L is the last second"
    );
    env.clock.advance(Duration::from_secs(1));
    assert_eq!(
        verifier.verify(&token).await.map(|_| ()),
        Err(VerifyError::TooOld)
    );
}

#[tokio::test]
async fn a_key_removed_from_the_issuer_set_invalidates_its_cached_tokens() {
    let env = Env::new().await;
    let (verifier, runs) = counting(&env, Some(TokenCacheConfig::default())).await;
    let keys = verifier.keys(&env.iss()).unwrap();
    let other = SigningKey::fixture(1).unwrap();
    env.issuer.publish_key(other.clone());
    keys.refresh().await.unwrap();

    let token = env.good();
    let other_token = env.token().sign(&other).unwrap();
    warm(&verifier, &token).await;
    warm(&verifier, &other_token).await;
    assert_eq!(verifier.verify(&token).await.map(|_| ()), OK);
    assert_eq!(runs.load(Ordering::SeqCst), 4, "the repeat was a cache hit");

    // The issuer stops publishing the key; the next successful refresh revokes it.
    assert!(env.issuer.remove_key(env.key.kid()));
    keys.refresh().await.unwrap();
    assert_eq!(
        verifier.verify(&token).await.map(|_| ()),
        Err(VerifyError::UnknownKid)
    );
    // The key is no longer cached: the non-blocking path hands over a pending verification,
    // whose key lookup refuses it (the cooldown forbids another fetch).
    let Attempt::NeedsKey(pending) = verifier.attempt(&token) else {
        panic!("a token whose key is gone needs a key lookup");
    };
    assert_eq!(
        pending.finish().await.map(|_| ()),
        Err(VerifyError::UnknownKid)
    );
    // Tokens of the remaining key stay cached.
    assert_eq!(verifier.verify(&other_token).await.map(|_| ()), OK);
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    assert_eq!(entries(&verifier), 1);
}

#[tokio::test]
async fn a_key_replaced_under_the_same_kid_invalidates_its_cached_tokens() {
    let env = Env::new().await;
    let (verifier, _) = counting(&env, Some(TokenCacheConfig::default())).await;
    let token = env.good();
    warm(&verifier, &token).await;
    assert_eq!(entries(&verifier), 1);
    // Same kid, other material: the old key is revoked and the cached result with it.
    let impostor = SigningKey::fixture(2).unwrap().with_kid(env.key.kid());
    env.issuer
        .set_jwks_body(Some(tollgate_testkit::jwks_json(&[&impostor])));
    verifier.keys(&env.iss()).unwrap().refresh().await.unwrap();
    assert_eq!(
        verifier.verify(&token).await.map(|_| ()),
        Err(VerifyError::InvalidSignature)
    );
}

#[tokio::test]
async fn a_cached_token_never_outlives_the_key_set_stale_limit() {
    let env = Env::new().await;
    let (verifier, runs) = counting(&env, Some(TokenCacheConfig::default())).await;
    let token = env.sign(&env.token().expires_at(T0 + 7 * 24 * 3600));
    warm(&verifier, &token).await;
    // The JWKS endpoint goes down for good; the set is fresh for 600 s and usable for
    // another 3600 s (defaults), then nothing is trusted.
    env.issuer.fail_next_jwks(10_000, JwksFault::Status(503));
    env.clock.advance(Duration::from_secs(600 + 3600 - 1));
    assert_eq!(
        verifier.verify(&token).await.map(|_| ()),
        OK,
        "stale but usable"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2, "still a cache hit");
    env.clock.advance(Duration::from_secs(2));
    assert_eq!(
        verifier.verify(&token).await.map(|_| ()),
        Err(VerifyError::KeysUnavailable)
    );
    let Attempt::NeedsKey(pending) = verifier.attempt(&token) else {
        panic!("no usable key set: a key lookup is needed");
    };
    assert_eq!(
        pending.finish().await.map(|_| ()),
        Err(VerifyError::KeysUnavailable)
    );
}

#[tokio::test]
async fn only_successes_are_cached() {
    let env = Env::new().await;
    let (verifier, runs) = counting(&env, Some(TokenCacheConfig::default())).await;
    let good = env.good();
    let (h, p, _) = segments(&good);
    let forged = format!(
        "{h}.{p}.{}",
        segments(&env.sign(&env.token().claim("jti", "x"))).2
    );
    let refused = env.sign(&env.token().claim("jti", "refuse"));
    let expired = env.sign(&env.token().expires_at(T0 - 3600));
    for _ in 0..3 {
        assert_eq!(
            verifier.verify(&forged).await.map(|_| ()),
            Err(VerifyError::InvalidSignature)
        );
        assert_eq!(
            verifier.verify(&refused).await.map(|_| ()),
            Err(VerifyError::CheckFailed(CheckFailed::new("refused")))
        );
        assert_eq!(
            verifier.verify(&expired).await.map(|_| ()),
            Err(VerifyError::Expired)
        );
        assert_eq!(
            verifier.verify("a.b.c").await.map(|_| ()),
            Err(VerifyError::MalformedHeader)
        );
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "the refused token took the full path each time, its repeats included"
    );
    let usage = verifier.token_cache_usage().unwrap();
    assert_eq!((usage.entries, usage.estimated_bytes), (0, 0));
    warm(&verifier, &good).await;
    assert_eq!(entries(&verifier), 1);
}

#[tokio::test]
async fn a_hit_requires_the_exact_same_bytes() {
    let env = Env::new().await;
    let (verifier, runs) = counting(&env, Some(TokenCacheConfig::default())).await;
    let token = env.good();
    warm(&verifier, &token).await;
    // A re-spelled signature (non-canonical trailing bits) is not the cached token: it goes
    // through the full path, which refuses it.
    let last = token.as_bytes()[token.len() - 1];
    let respelled = format!(
        "{}{}",
        &token[..token.len() - 1],
        if last == b'A' { 'B' } else { 'A' }
    );
    assert_ne!(verifier.verify(&respelled).await.map(|_| ()), OK);
    assert_eq!(
        verifier.verify(&format!("{token}.")).await.map(|_| ()),
        Err(VerifyError::MalformedToken(
            tollgate_verify::Malformed::SegmentCount
        ))
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(entries(&verifier), 1);
}

#[tokio::test]
async fn the_cache_stays_within_its_entry_limit() {
    let env = Env::new().await;
    for limit in [1_u64, 2, 8, 32] {
        let config = TokenCacheConfig::default().max_entries(limit);
        assert_eq!(config.entry_limit(), limit);
        let (verifier, _) = counting(&env, Some(config)).await;
        for i in 0..(limit * 3 + 5) {
            let token = env.sign(&env.token().claim("jti", format!("token-{i}")));
            warm(&verifier, &token).await;
            let usage = verifier.token_cache_usage().unwrap();
            let (count, bytes) = (usage.entries, usage.estimated_bytes);
            assert!(count <= limit, "{count} entries with a limit of {limit}");
            assert!(
                bytes + usage.admission_bytes <= config.byte_limit(),
                "{bytes} + {} bytes with a limit of {}",
                usage.admission_bytes,
                config.byte_limit()
            );
        }
        assert!(entries(&verifier) >= 1, "the cache is used at all");
    }

    // A byte limit bounds it too.
    let config = TokenCacheConfig::default().max_bytes(16 * 1024);
    let (verifier, _) = counting(&env, Some(config)).await;
    for i in 0..100 {
        let token = env.sign(&env.token().claim("jti", format!("token-{i}")));
        warm(&verifier, &token).await;
        let usage = verifier.token_cache_usage().unwrap();
        assert!(usage.estimated_bytes + usage.admission_bytes <= 16 * 1024);
    }
    // ... and a small byte budget with the default entry limit still admits entries (the
    // shards quick_cache picks must stay larger than one entry).
    assert!(entries(&verifier) >= 1, "a 16 KiB cache still caches");
}

/// The filter of first sightings has a fixed size, taken from the byte budget: at most a
/// sixteenth of it, and it does not grow with the tokens it sees.
#[tokio::test]
async fn the_filter_of_first_sightings_is_bounded_and_counted_in_the_budget() {
    let env = Env::new().await;
    for config in [
        TokenCacheConfig::default(),
        TokenCacheConfig::default().max_entries(1),
        TokenCacheConfig::default().max_entries(10_000),
        TokenCacheConfig::default().max_bytes(16 * 1024),
        TokenCacheConfig::default().max_bytes(1),
    ] {
        let (verifier, _) = counting(&env, Some(config)).await;
        let before = verifier.token_cache_usage().unwrap();
        assert!(
            before.admission_bytes <= config.byte_limit() / 16,
            "{config:?}: {} bytes",
            before.admission_bytes
        );
        // Room for a word: there is a filter (a one-byte budget has none, and caches nothing).
        assert_eq!(
            before.admission_bytes > 0,
            config.byte_limit() >= 128,
            "{config:?}"
        );
        for i in 0..20 {
            let token = env.sign(&env.token().claim("jti", format!("seen-once-{i}")));
            verifier.verify(&token).await.unwrap();
        }
        let after = verifier.token_cache_usage().unwrap();
        assert_eq!(after.admission_bytes, before.admission_bytes, "fixed size");
        // A Bloom filter's false positives are negligible at this size (in a filter of a few
        // hundred bits one could cache a token seen once: harmless, and not tested).
        if before.admission_bytes >= 4096 {
            assert_eq!(after.entries, 0, "tokens seen once are not cached");
        }
    }
    // The default: 128 Ki slots of 4 bytes (512 KiB) next to a 64 MiB budget.
    let (verifier, _) = counting(&env, Some(TokenCacheConfig::default())).await;
    assert_eq!(
        verifier.token_cache_usage().unwrap().admission_bytes,
        512 * 1024
    );
}

/// Hot tokens (repeated, so cached) survive a flood of tokens seen once: with the admission
/// rule the flood never enters the cache. Without it, the same flood fills the cache.
#[tokio::test]
async fn a_flood_of_tokens_seen_once_does_not_evict_hot_entries() {
    let env = Env::new().await;
    let hot: Vec<String> = (0..4)
        .map(|i| env.sign(&env.token().claim("jti", format!("hot-{i}"))))
        .collect();
    let flood: Vec<String> = (0..64)
        .map(|i| env.sign(&env.token().claim("jti", format!("flood-{i}"))))
        .collect();
    for admission in [Admission::SecondSighting, Admission::FirstSighting] {
        let config = TokenCacheConfig::default()
            .max_entries(8)
            .admission(admission);
        let (verifier, runs) = counting(&env, Some(config)).await;
        for token in &hot {
            warm(&verifier, token).await;
        }
        let warmed = runs.load(Ordering::SeqCst);
        assert_eq!(entries(&verifier), 4, "{admission:?}");
        for token in &flood {
            verifier.verify(token).await.unwrap();
        }
        match admission {
            Admission::SecondSighting => {
                assert_eq!(entries(&verifier), 4, "the flood entered nothing");
                for token in &hot {
                    verifier.verify(token).await.unwrap();
                }
                assert_eq!(
                    runs.load(Ordering::SeqCst),
                    warmed + flood.len(),
                    "every hot token was still a cache hit"
                );
            }
            _ => assert_eq!(entries(&verifier), 8, "the flood filled the cache"),
        }
    }
}

/// quick_cache never admits an item heavier than 97 % of a shard's weight capacity; with
/// `max_entries(1)` every entry weighs the whole budget, so the cache keeps a little slack
/// for exactly this case (regression test).
#[tokio::test]
async fn a_one_entry_cache_holds_one_token() {
    let env = Env::new().await;
    let (verifier, runs) = counting(&env, Some(TokenCacheConfig::default().max_entries(1))).await;
    let token = env.good();
    warm(&verifier, &token).await;
    verifier.verify(&token).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(entries(&verifier), 1);
}
