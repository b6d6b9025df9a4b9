//! Key rotation through the real endpoint (security catalogue, `docs/security-catalogue.md`:
//! K11, K12, K13).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::guard;
use futures_util::FutureExt as _;
use tollgate_jwks::{LookupError, ManualClock};
use tollgate_testkit::JwksFault;

const COOLDOWN: Duration = Duration::from_secs(30);

/// K11: a new `kid` appears; the first lookup after the cooldown refetches once and gets a key
/// that verifies the new key's signatures; lookups after that are cache hits.
#[tokio::test]
async fn new_kid_verifies_right_after_the_refetch() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let old = cache.key(issuer.signing_key().kid()).await.unwrap();

    let new_signer = common::key(1);
    issuer.rotate_to(new_signer.clone());
    clock.advance(COOLDOWN);
    let new = guard("refetch", cache.key(new_signer.kid())).await.unwrap();
    common::assert_verifies(&new, &new_signer);
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(cache.status().unknown_kid_refetches, 1);

    // The old key is still published: same object, not revoked.
    let old_again = cache
        .key(common::key(0).kid())
        .now_or_never()
        .unwrap()
        .unwrap();
    assert!(Arc::ptr_eq(&old, &old_again));
    assert!(!old.is_revoked());
    for _ in 0..100 {
        assert!(cache.key(new_signer.kid()).now_or_never().unwrap().is_ok());
    }
    assert_eq!(issuer.jwks_requests(), 2);
}

/// K12: rotation inside the cooldown window of an unknown-`kid` refetch (here one caused by a
/// stray token): the new `kid` is refused at once, without a request, until the window ends;
/// then one refetch finds it.
#[tokio::test]
async fn rotation_inside_the_cooldown_is_refused_until_it_ends() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    assert_eq!(
        guard("stray refetch", cache.key("stray-kid"))
            .await
            .unwrap_err(),
        LookupError::UnknownKid
    );
    assert_eq!(issuer.jwks_requests(), 2);
    let new_signer = common::key(1);
    issuer.rotate_to(new_signer.clone());

    for step in [1, 10, 18] {
        clock.advance(Duration::from_secs(step));
        let refused = cache
            .key(new_signer.kid())
            .now_or_never()
            .expect("refused at once");
        assert_eq!(refused.unwrap_err(), LookupError::UnknownKid);
    }
    // 29 s elapsed: still inside.
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(cache.status().cooldown_rejections, 3);

    clock.advance(Duration::from_secs(1));
    let new = guard("refetch", cache.key(new_signer.kid())).await.unwrap();
    common::assert_verifies(&new, &new_signer);
    assert_eq!(issuer.jwks_requests(), 3);
}

/// K12: the cooldown counts from the last unknown-`kid` refetch, including one that did not
/// find the key; the key published just after that refetch waits one more window.
#[tokio::test]
async fn key_published_just_after_a_refetch_waits_one_window() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let new_signer = common::key(2);
    clock.advance(COOLDOWN);
    // A token with the new kid arrives before the issuer publishes it.
    assert_eq!(
        guard("early refetch", cache.key(new_signer.kid()))
            .await
            .unwrap_err(),
        LookupError::UnknownKid
    );
    issuer.rotate_to(new_signer.clone());
    clock.advance(COOLDOWN - Duration::from_secs(1));
    assert_eq!(
        cache
            .key(new_signer.kid())
            .now_or_never()
            .unwrap()
            .unwrap_err(),
        LookupError::UnknownKid
    );
    clock.advance(Duration::from_secs(1));
    assert!(guard("refetch", cache.key(new_signer.kid())).await.is_ok());
    assert_eq!(issuer.jwks_requests(), 3);
}

/// K13: a key removed upstream is revoked at the next successful refresh and no longer
/// returned; the remaining keys keep their identity.
#[tokio::test]
async fn removed_key_is_revoked_after_the_next_successful_refresh() {
    let issuer = common::issuer().await;
    let kept = common::key(0);
    let removed = common::key(1);
    issuer.publish_key(removed.clone());
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let kept_key = cache.key(kept.kid()).await.unwrap();
    let removed_key = cache.key(removed.kid()).await.unwrap();
    common::assert_verifies(&removed_key, &removed);

    assert!(issuer.remove_key(removed.kid()));
    // A failed refresh changes nothing.
    issuer.fail_next_jwks(1, JwksFault::Status(500));
    guard("failed refresh", cache.refresh()).await.unwrap_err();
    assert!(!removed_key.is_revoked());
    assert!(cache.is_trusted(&removed_key));

    guard("refresh", cache.refresh()).await.unwrap();
    assert!(removed_key.is_revoked());
    assert!(!cache.is_trusted(&removed_key));
    assert!(cache.cached_key(removed.kid()).is_none());
    assert!(cache.key_set().unwrap().get(removed.kid()).is_none());
    // The removed kid is refused at once and never refetched for, within the cooldown or
    // after it: no fetch would bring a retired key back.
    for _ in 0..2 {
        assert_eq!(
            cache
                .key(removed.kid())
                .now_or_never()
                .expect("refused at once")
                .unwrap_err(),
            LookupError::UnknownKid
        );
        clock.advance(COOLDOWN);
    }
    assert_eq!(issuer.jwks_requests(), 3);
    assert_eq!(cache.status().unknown_kid_refetches, 0);

    assert!(!kept_key.is_revoked());
    let kept_again = cache.key(kept.kid()).now_or_never().unwrap().unwrap();
    assert!(Arc::ptr_eq(&kept_key, &kept_again));
    assert_eq!(cache.status().key_count, 1);
}

/// K13 variant: the same `kid` now carries other key material. The old key object is revoked;
/// the lookup returns the new material.
#[tokio::test]
async fn changed_material_under_the_same_kid_revokes_the_old_key() {
    let issuer = common::issuer().await;
    let kid = "stable-kid";
    issuer.set_jwks_body(Some(common::set(&[common::jwk(&common::key(0), kid)])));
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let before = cache.key(kid).await.unwrap();
    common::assert_verifies(&before, &common::key(0));

    issuer.set_jwks_body(Some(common::set(&[common::jwk(&common::key(3), kid)])));
    guard("refresh", cache.refresh()).await.unwrap();
    assert!(before.is_revoked());
    let after = cache.key(kid).now_or_never().unwrap().unwrap();
    assert!(!after.is_revoked());
    common::assert_verifies(&after, &common::key(3));
}

/// K13 through the background refresh: removal takes effect at the scheduled refresh, with no
/// lookup involved.
#[tokio::test]
async fn removal_takes_effect_at_the_background_refresh() {
    let issuer = common::issuer().await;
    let removed = common::key(1);
    issuer.publish_key(removed.clone());
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let removed_key = cache.key(removed.kid()).await.unwrap();
    issuer.remove_key(removed.kid());
    let mut attempts = cache.subscribe();
    clock.advance(cache.status().next_refresh_in.unwrap());
    guard("background refresh", attempts.changed())
        .await
        .unwrap();
    assert!(removed_key.is_revoked());
    assert!(cache.cached_key(removed.kid()).is_none());
}

// ---------------------------------------------------------------------------------------------
// Issue 9: no blind window after fetches that no unknown `kid` asked for.
// ---------------------------------------------------------------------------------------------

/// Publishes `signer` and asserts that the next lookup of its `kid`, `after` the last fetch,
/// fetches once and gets a key that verifies its signatures.
async fn new_kid_is_learned_at_once(
    issuer: &tollgate_testkit::TestIssuer,
    cache: &tollgate_jwks::JwksCache,
    clock: &ManualClock,
    signer: &tollgate_testkit::SigningKey,
) {
    let requests = issuer.jwks_requests();
    let refetches = cache.status().unknown_kid_refetches;
    issuer.rotate_to(signer.clone());
    clock.advance(Duration::from_secs(1));
    let key = guard("refetch", cache.key(signer.kid()))
        .await
        .expect("the new kid is fetched, not refused by a cooldown");
    common::assert_verifies(&key, signer);
    assert_eq!(issuer.jwks_requests(), requests + 1);
    let status = cache.status();
    assert_eq!(status.unknown_kid_refetches, refetches + 1);
    assert_eq!(status.cooldown_rejections, 0);
}

/// The `resource_server` scenario: the start-up prefetch is the only fetch; one second later
/// the issuer publishes a key and signs with it. The first token is accepted with exactly one
/// more request.
#[tokio::test]
async fn new_kid_right_after_the_prefetch_is_fetched_at_once() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    new_kid_is_learned_at_once(&issuer, &cache, &clock, &common::key(1)).await;
    assert_eq!(issuer.jwks_requests(), 2);
}

/// A scheduled refresh (answered with a new set) does not open a blind window either.
#[tokio::test]
async fn new_kid_right_after_a_scheduled_refresh_is_fetched_at_once() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    // The set changes before the refresh, so the refresh is a full 200 answer.
    issuer.publish_key(common::key(2));
    let mut attempts = cache.subscribe();
    attempts.borrow_and_update();
    clock.advance(cache.status().next_refresh_in.unwrap());
    guard("scheduled refresh", attempts.changed())
        .await
        .unwrap();
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(cache.status().key_count, 2);
    assert_eq!(issuer.not_modified_responses(), 0);
    new_kid_is_learned_at_once(&issuer, &cache, &clock, &common::key(1)).await;
    assert_eq!(issuer.jwks_requests(), 3);
}

/// A scheduled refresh answered 304 Not Modified does not open a blind window.
#[tokio::test]
async fn new_kid_right_after_a_304_is_fetched_at_once() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let mut attempts = cache.subscribe();
    attempts.borrow_and_update();
    clock.advance(cache.status().next_refresh_in.unwrap());
    guard("scheduled refresh", attempts.changed())
        .await
        .unwrap();
    assert_eq!(issuer.not_modified_responses(), 1);
    assert_eq!(cache.status().not_modified, 1);
    new_kid_is_learned_at_once(&issuer, &cache, &clock, &common::key(1)).await;
    // The refetch is conditional on the ETag of the unchanged set, which no longer matches.
    assert_eq!(issuer.not_modified_responses(), 1);
    assert_eq!(issuer.jwks_requests(), 3);
}

/// An explicit `refresh()` does not open a blind window.
#[tokio::test]
async fn new_kid_right_after_an_explicit_refresh_is_fetched_at_once() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    clock.advance(Duration::from_secs(5));
    guard("refresh", cache.refresh()).await.unwrap();
    new_kid_is_learned_at_once(&issuer, &cache, &clock, &common::key(1)).await;
    assert_eq!(issuer.jwks_requests(), 3);
}

/// K12: the cooldown is started by an unknown-`kid` fetch. A second new `kid` inside that window
/// is refused at once without a request; the first lookup after the window fetches it.
#[tokio::test]
async fn second_new_kid_inside_the_cooldown_of_the_first_is_refused_without_a_fetch() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let first = common::key(1);
    new_kid_is_learned_at_once(&issuer, &cache, &clock, &first).await;

    let second = common::key(2);
    issuer.rotate_to(second.clone());
    for step in [1, 10, 17] {
        clock.advance(Duration::from_secs(step));
        let refused = cache
            .key(second.kid())
            .now_or_never()
            .expect("refused at once");
        assert_eq!(refused.unwrap_err(), LookupError::UnknownKid);
    }
    // 28 s after the first refetch: still inside its window, and no request was made.
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(cache.status().cooldown_rejections, 3);
    // The first key stays a cache hit throughout.
    assert!(cache.cached_key(first.kid()).is_some());

    clock.advance(Duration::from_secs(2));
    let key = guard("refetch", cache.key(second.kid())).await.unwrap();
    common::assert_verifies(&key, &second);
    assert_eq!(issuer.jwks_requests(), 3);
    assert_eq!(cache.status().unknown_kid_refetches, 2);
}

/// A lookup of a new `kid` that arrives while a scheduled refresh is in flight joins it; when
/// that refresh's answer predates the new key, the lookup is not refused on its strength: it
/// fetches once more (the refresh was no unknown-`kid` fetch).
#[tokio::test]
async fn new_kid_missing_from_an_in_flight_refresh_is_fetched_after_it() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    // The scheduled refresh is answered with the set as it was before the rotation.
    let before = common::set(&[common::jwk(&common::key(0), common::key(0).kid())]);
    issuer.fail_next_jwks(1, JwksFault::Body(before));
    issuer.hold_jwks();
    let mut attempts = cache.subscribe();
    attempts.borrow_and_update();
    clock.advance(cache.status().next_refresh_in.unwrap());
    guard("scheduled request", issuer.wait_for_jwks_requests(2)).await;

    let signer = common::key(1);
    issuer.rotate_to(signer.clone());
    let mut lookup = Box::pin(cache.key(signer.kid()));
    assert!(
        futures_util::poll!(lookup.as_mut()).is_pending(),
        "joins the refresh in flight"
    );
    issuer.release_jwks();
    let key = guard("lookup", lookup).await.unwrap();
    common::assert_verifies(&key, &signer);
    assert_eq!(issuer.jwks_requests(), 3);
    assert_eq!(cache.status().unknown_kid_refetches, 1);
}

/// After a failed fetch the cache backs off: an unknown `kid` is refused at once until the
/// scheduled retry (no demand fetches against a failing issuer), and the retry learns it.
#[tokio::test]
async fn after_a_failed_refresh_unknown_kids_wait_for_the_retry() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .retry_backoff(Duration::from_secs(8), Duration::from_secs(60))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    issuer.fail_next_jwks(1, JwksFault::Status(503));
    let mut attempts = cache.subscribe();
    attempts.borrow_and_update();
    clock.advance(cache.status().next_refresh_in.unwrap());
    guard("failed refresh", attempts.changed()).await.unwrap();
    let retry_in = cache.status().next_refresh_in.unwrap();
    assert!(retry_in >= Duration::from_secs(4) && retry_in <= Duration::from_secs(8));

    let signer = common::key(1);
    issuer.rotate_to(signer.clone());
    let refused = cache
        .key(signer.kid())
        .now_or_never()
        .expect("refused at once while backing off");
    assert_eq!(refused.unwrap_err(), LookupError::UnknownKid);
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(cache.status().cooldown_rejections, 1);

    clock.advance(retry_in);
    guard("retry", attempts.changed()).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 3);
    let key = cache
        .key(signer.kid())
        .now_or_never()
        .expect("the retry brought the key")
        .unwrap();
    common::assert_verifies(&key, &signer);
    assert_eq!(cache.status().unknown_kid_refetches, 0);
}

/// Tokens of a retired key keep arriving after the refresh that dropped it (issue 9): they are
/// refused without a fetch for as long as they come, while a new `kid` still fetches at once.
/// When a set lists the retired `kid` again (a rollback), the next fetch restores it.
#[tokio::test]
async fn retired_kids_never_cause_fetches_until_a_set_lists_them_again() {
    let issuer = common::issuer().await;
    let retired = common::key(1);
    issuer.publish_key(retired.clone());
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    assert!(issuer.remove_key(retired.kid()));
    let mut attempts = cache.subscribe();
    attempts.borrow_and_update();
    clock.advance(cache.status().next_refresh_in.unwrap());
    guard("scheduled refresh", attempts.changed())
        .await
        .unwrap();
    assert!(cache.cached_key(retired.kid()).is_none());

    for _ in 0..20 {
        let refused = cache
            .key(retired.kid())
            .now_or_never()
            .expect("refused at once");
        assert_eq!(refused.unwrap_err(), LookupError::UnknownKid);
        clock.advance(COOLDOWN);
    }
    assert_eq!(issuer.jwks_requests(), 2);
    let status = cache.status();
    assert_eq!(status.unknown_kid_refetches, 0);
    assert_eq!(status.cooldown_rejections, 0, "not a cooldown refusal");

    // A new kid is not affected.
    new_kid_is_learned_at_once(&issuer, &cache, &clock, &common::key(2)).await;
    assert_eq!(
        cache
            .key(retired.kid())
            .now_or_never()
            .unwrap()
            .unwrap_err(),
        LookupError::UnknownKid
    );

    // Rollback: the issuer lists the key again; the next fetch brings it back.
    issuer.publish_key(retired.clone());
    guard("refresh", cache.refresh()).await.unwrap();
    let key = cache.key(retired.kid()).now_or_never().unwrap().unwrap();
    common::assert_verifies(&key, &retired);
}

/// The memory of retired `kid`s is bounded: after more than 64 retirements the oldest ones
/// are forgotten (and would cost one ordinary, rate-limited refetch again).
#[tokio::test]
async fn retired_kid_memory_is_bounded() {
    let issuer = common::issuer().await;
    let kept = common::key(0);
    let material = common::key(1);
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(COOLDOWN)
        .build()
        .unwrap();
    // 70 sets in a row, each with the kept key and one short-lived kid.
    for i in 0..70 {
        issuer.set_jwks_body(Some(common::set(&[
            common::jwk(&kept, kept.kid()),
            common::jwk(&material, &format!("short-lived-{i}")),
        ])));
        guard("refresh", cache.refresh()).await.unwrap();
    }
    issuer.set_jwks_body(Some(common::set(&[common::jwk(&kept, kept.kid())])));
    guard("refresh", cache.refresh()).await.unwrap();
    let requests = issuer.jwks_requests();
    // The 64 most recent are refused without a fetch.
    for i in 6..70 {
        let refused = cache
            .key(&format!("short-lived-{i}"))
            .now_or_never()
            .expect("refused at once");
        assert_eq!(refused.unwrap_err(), LookupError::UnknownKid);
    }
    assert_eq!(issuer.jwks_requests(), requests);
    // The oldest is forgotten: an ordinary unknown kid (one refetch, then the cooldown).
    assert_eq!(
        guard("refetch", cache.key("short-lived-0"))
            .await
            .unwrap_err(),
        LookupError::UnknownKid
    );
    assert_eq!(issuer.jwks_requests(), requests + 1);
}
