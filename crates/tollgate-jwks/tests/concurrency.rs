//! Single-flight, cancellation, unknown-`kid` floods and non-blocking reads under a slow or
//! failing JWKS endpoint (security catalogue, `docs/security-catalogue.md`: JWKS fault matrix
//! rows K17, K18, K19; R1).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use common::{guard, random_kid};
use futures_util::FutureExt as _;
use futures_util::future::join_all;
use tokio::sync::watch;
use tollgate_jwks::{FetchError, LookupError, ManualClock};
use tollgate_testkit::JwksFault;

/// K17: 1,000 lookups of a cold cache, all pending at the same time, share exactly one fetch
/// and all get the same key.
#[tokio::test]
async fn thousand_concurrent_cold_lookups_share_one_fetch() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();

    issuer.hold_jwks();
    let mut lookups: Vec<_> = (0..1000).map(|_| Box::pin(cache.key(&kid))).collect();
    for lookup in &mut lookups {
        // Every lookup is now waiting for the (held) fetch: they are truly concurrent.
        assert!(futures_util::poll!(lookup.as_mut()).is_pending());
    }
    guard("first JWKS request", issuer.wait_for_jwks_requests(1)).await;
    assert_eq!(issuer.jwks_requests(), 1);
    issuer.release_jwks();

    let keys = guard("the shared fetch", join_all(lookups)).await;
    let first = keys[0].as_ref().unwrap();
    for key in &keys {
        assert!(Arc::ptr_eq(first, key.as_ref().unwrap()));
    }
    common::assert_verifies(first, &issuer.signing_key());
    assert_eq!(issuer.jwks_requests(), 1);
    let status = cache.status();
    assert_eq!(status.fetches, 1);
    assert_eq!(status.failures, 0);
    assert_eq!(status.cooldown_rejections, 0);
}

/// K17 on several worker threads: 1,000 spawned tasks, each provably waiting on the fetch
/// before it is allowed to answer, cause one request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_parallel_cold_lookups_on_worker_threads_share_one_fetch() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    let (waiting, mut waiting_rx) = watch::channel(0_usize);
    let waiting = Arc::new(waiting);

    issuer.hold_jwks();
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            let kid = kid.clone();
            let waiting = Arc::clone(&waiting);
            tokio::spawn(async move {
                let mut lookup = pin!(cache.key(&kid));
                let first = futures_util::poll!(lookup.as_mut());
                waiting.send_modify(|n| *n += 1);
                match first {
                    Poll::Ready(result) => result,
                    Poll::Pending => lookup.await,
                }
            })
        })
        .collect();
    guard("all lookups waiting", waiting_rx.wait_for(|n| *n == 1000))
        .await
        .unwrap();
    // The shared fetch may still be on its way to the server: wait for it, then check that
    // it is the only one.
    guard("the request", issuer.wait_for_jwks_requests(1)).await;
    assert_eq!(issuer.jwks_requests(), 1);
    issuer.release_jwks();

    for task in guard("lookups", join_all(tasks)).await {
        assert_eq!(task.unwrap().unwrap().kid(), kid);
    }
    assert_eq!(issuer.jwks_requests(), 1);
    assert_eq!(cache.status().fetches, 1);
}

/// K17 when the only fetch fails: every waiter gets `KeysUnavailable` from that one request,
/// and lookups inside the cooldown fail at once without another request.
#[tokio::test]
async fn concurrent_cold_lookups_share_one_failed_fetch() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    issuer.fail_next_jwks(1, JwksFault::Status(503));
    issuer.hold_jwks();
    let mut lookups: Vec<_> = (0..1000).map(|_| Box::pin(cache.key(&kid))).collect();
    for lookup in &mut lookups {
        assert!(futures_util::poll!(lookup.as_mut()).is_pending());
    }
    issuer.release_jwks();
    for result in guard("the shared fetch", join_all(lookups)).await {
        assert_eq!(result.unwrap_err(), LookupError::KeysUnavailable);
    }
    assert_eq!(issuer.jwks_requests(), 1);
    let again = cache.key(&kid).now_or_never().expect("refused at once");
    assert_eq!(again.unwrap_err(), LookupError::KeysUnavailable);
    assert_eq!(issuer.jwks_requests(), 1);
    assert_eq!(cache.status().cooldown_rejections, 1);
}

/// K18: the task that started the fetch is aborted while the request is in flight; lookups
/// that arrive afterwards join the same fetch and get its result, and nothing stays stuck.
#[tokio::test]
async fn aborting_the_task_that_started_the_fetch_does_not_hurt_followers() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();

    issuer.hold_jwks();
    let leader = tokio::spawn({
        let cache = cache.clone();
        let kid = kid.clone();
        async move { cache.key(&kid).await }
    });
    guard("leader's request", issuer.wait_for_jwks_requests(1)).await;
    leader.abort();
    assert!(
        guard("aborted leader", leader)
            .await
            .unwrap_err()
            .is_cancelled()
    );

    let mut followers: Vec<_> = (0..100).map(|_| Box::pin(cache.key(&kid))).collect();
    for follower in &mut followers {
        // They join the leader's fetch instead of starting their own.
        assert!(futures_util::poll!(follower.as_mut()).is_pending());
    }
    assert_eq!(issuer.jwks_requests(), 1);
    issuer.release_jwks();
    for result in guard("followers", join_all(followers)).await {
        assert_eq!(result.unwrap().kid(), kid);
    }
    assert_eq!(issuer.jwks_requests(), 1);

    // No stuck in-flight state: an explicit refresh makes a new request and completes.
    guard("refresh", cache.refresh()).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 2);
}

/// K18 with no follower at all: the only caller drops its future mid-fetch; the fetch still
/// completes and publishes the set, and later lookups use it without another request.
#[tokio::test]
async fn a_fetch_whose_only_caller_gave_up_still_completes() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    let mut attempts = cache.subscribe();

    issuer.hold_jwks();
    {
        let mut lookup = Box::pin(cache.key(&kid));
        assert!(futures_util::poll!(lookup.as_mut()).is_pending());
        // Dropped here, like a request future cancelled by a client disconnect or a timeout.
    }
    guard("request", issuer.wait_for_jwks_requests(1)).await;
    issuer.release_jwks();
    guard("fetch completes", attempts.changed()).await.unwrap();

    let key = cache
        .key(&kid)
        .now_or_never()
        .expect("answers from the cache");
    assert_eq!(key.unwrap().kid(), kid);
    assert_eq!(issuer.jwks_requests(), 1);
    guard("refresh", cache.refresh()).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 2);
}

/// K18 when the abandoned fetch fails: the error is recorded, the slot is freed, and the next
/// allowed fetch happens.
#[tokio::test]
async fn an_abandoned_failing_fetch_leaves_no_stuck_state() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut attempts = cache.subscribe();
    issuer.fail_next_jwks(1, JwksFault::Status(500));
    issuer.hold_jwks();
    let leader = tokio::spawn({
        let cache = cache.clone();
        let kid = kid.clone();
        async move { cache.key(&kid).await }
    });
    guard("request", issuer.wait_for_jwks_requests(1)).await;
    leader.abort();
    let _ = leader.await;
    issuer.release_jwks();
    guard("fetch completes", attempts.changed()).await.unwrap();
    assert!(matches!(
        cache.status().last_error,
        Some(FetchError::Status { status: 500, .. })
    ));

    clock.advance(Duration::from_secs(10));
    assert_eq!(guard("lookup", cache.key(&kid)).await.unwrap().kid(), kid);
    assert_eq!(issuer.jwks_requests(), 2);
}

/// R1: 10,000 random unknown `kid`s spread over 90 s with a 30 s cooldown cause no more
/// fetches than cooldown windows elapsed plus one; every other lookup is refused at once
/// (`UnknownKid`, without waiting) and counted.
#[tokio::test]
async fn unknown_kid_flood_is_limited_to_one_fetch_per_cooldown_window() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cooldown = Duration::from_secs(30);
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(cooldown)
        .build()
        .unwrap();

    let mut waited = 0_u64; // lookups that started a fetch and waited for it
    let mut refused = 0_u64; // lookups answered without waiting
    let step = Duration::from_secs(10);
    let rounds = 10_u32;
    for round in 0..rounds {
        for _ in 0..1000 {
            let kid = random_kid();
            let mut lookup = Box::pin(cache.key(&kid));
            let result = match futures_util::poll!(lookup.as_mut()) {
                Poll::Ready(result) => {
                    refused += 1;
                    result
                }
                Poll::Pending => {
                    waited += 1;
                    guard("refetch", lookup).await
                }
            };
            assert_eq!(result.unwrap_err(), LookupError::UnknownKid);
        }
        if round + 1 < rounds {
            clock.advance(step);
        }
    }
    let elapsed = step * (rounds - 1);
    let windows = elapsed.as_secs() / cooldown.as_secs();
    assert!(issuer.jwks_requests() <= windows + 1);
    // Exactly: the cold fetch at 0 s, then one at 30 s, 60 s and 90 s.
    assert_eq!(issuer.jwks_requests(), 4);
    assert_eq!(waited, 4);
    assert_eq!(refused, 10_000 - 4);

    let status = cache.status();
    assert_eq!(status.cooldown_rejections, refused);
    // The first fetch was for missing keys (cold cache); the other three for unknown kids.
    assert_eq!(status.unknown_kid_refetches, 3);
    assert_eq!(status.fetches, 4);
    assert_eq!(status.failures, 0);
}

/// R1 with a warm cache and scheduled refreshes in between (issue 9). Three times: two quiet
/// scheduled refreshes, then, right after the second, two minutes of random unknown `kid`s (100
/// every 10 s). Each flood costs exactly one refetch per 30 s cooldown window, the first one at
/// once: the refresh that just ran neither delays nor replaces it. Every JWKS request is the
/// prefetch, a scheduled refresh or one of those refetches.
#[tokio::test]
async fn unknown_kid_flood_after_scheduled_refreshes_costs_one_fetch_per_window() {
    let issuer = common::issuer().await;
    issuer.set_jwks_cache_control(Some("max-age=300"));
    let clock = ManualClock::new();
    let cooldown = Duration::from_secs(30);
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(cooldown)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let mut attempts = cache.subscribe();
    attempts.borrow_and_update();

    let step = Duration::from_secs(10);
    let flood_steps = 12_u32; // 0 s to 120 s
    let (mut refetches, mut refused, mut scheduled) = (0_u64, 0_u64, 0_u64);
    for cycle in 0..3 {
        attempts.borrow_and_update(); // the flood's refetches are not scheduled refreshes
        for _ in 0..2 {
            clock.advance(cache.status().next_refresh_in.unwrap());
            guard("scheduled refresh", attempts.changed())
                .await
                .unwrap();
            attempts.borrow_and_update();
            scheduled += 1;
        }
        let before = refetches;
        for round in 0..=flood_steps {
            if round > 0 {
                clock.advance(step);
            }
            for i in 0..100 {
                let kid = random_kid();
                let mut lookup = Box::pin(cache.key(&kid));
                let result = match futures_util::poll!(lookup.as_mut()) {
                    Poll::Ready(result) => {
                        assert!(
                            round > 0 || i > 0,
                            "cycle {cycle}: refused right after a scheduled refresh"
                        );
                        refused += 1;
                        result
                    }
                    Poll::Pending => {
                        refetches += 1;
                        guard("refetch", lookup).await
                    }
                };
                assert_eq!(result.unwrap_err(), LookupError::UnknownKid);
            }
        }
        // Refetches at 0, 30, 60, 90 and 120 s of the flood.
        let windows = u64::from(flood_steps) * step.as_secs() / cooldown.as_secs() + 1;
        assert_eq!(refetches - before, windows);
        assert_eq!(windows, 5);
    }
    assert_eq!(scheduled, 6);
    assert_eq!(refetches, 15);
    assert_eq!(issuer.jwks_requests(), 1 + scheduled + refetches);
    let status = cache.status();
    assert_eq!(status.unknown_kid_refetches, refetches);
    assert_eq!(status.cooldown_rejections, refused);
    assert_eq!(refused + refetches, 3 * u64::from(flood_steps + 1) * 100);
    assert_eq!(status.failures, 0);
}

/// R1 in parallel: 10,000 unknown-`kid` lookups at once, cooldown elapsed, cause one request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_unknown_kid_flood_causes_one_fetch() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(Duration::from_secs(30))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    clock.advance(Duration::from_secs(30));
    let refused_at_once = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..10_000)
        .map(|_| {
            let cache = cache.clone();
            let refused_at_once = Arc::clone(&refused_at_once);
            tokio::spawn(async move {
                let kid = random_kid();
                let mut lookup = pin!(cache.key(&kid));
                match futures_util::poll!(lookup.as_mut()) {
                    Poll::Ready(result) => {
                        refused_at_once.fetch_add(1, Ordering::Relaxed);
                        result
                    }
                    Poll::Pending => lookup.await,
                }
            })
        })
        .collect();
    for task in guard("flood", join_all(tasks)).await {
        assert_eq!(task.unwrap().unwrap_err(), LookupError::UnknownKid);
    }
    assert_eq!(issuer.jwks_requests(), 2);
    let status = cache.status();
    assert_eq!(status.unknown_kid_refetches, 1);
    // Each refusal was immediate. (An immediate answer is not always a refusal: a lookup may
    // join the fetch just as it finishes. The sequential flood test pins exact counts.)
    let refused_at_once = u64::try_from(refused_at_once.load(Ordering::Relaxed)).unwrap();
    assert!(status.cooldown_rejections <= refused_at_once);
    assert!(status.cooldown_rejections < 10_000);
}

/// A known `kid` never causes a fetch, whatever the cooldown; empty and over-long `kid`s never
/// do either.
#[tokio::test]
async fn known_kids_and_invalid_kids_never_fetch() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .cooldown(Duration::from_secs(1))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    clock.advance(Duration::from_secs(5)); // well past the cooldown
    for _ in 0..10_000 {
        let key = cache.key(&kid).now_or_never().expect("answers at once");
        assert_eq!(key.unwrap().kid(), kid);
    }
    let too_long = "k".repeat(257);
    for invalid in ["", too_long.as_str()] {
        let result = cache.key(invalid).now_or_never().expect("refused at once");
        assert_eq!(result.unwrap_err(), LookupError::UnknownKid);
    }
    assert_eq!(issuer.jwks_requests(), 1);
    let status = cache.status();
    assert_eq!(status.unknown_kid_refetches, 0);
    assert_eq!(status.fetches, 1);
}

/// Empty and over-long `kid`s never cause a fetch, not on a cold cache either, and not after
/// joining a fetch of a set that was not usable yet.
#[tokio::test]
async fn invalid_kids_never_fetch_even_on_a_cold_cache() {
    let issuer = common::issuer().await;
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    let too_long = "k".repeat(257);
    for invalid in ["", too_long.as_str()] {
        let result = cache.key(invalid).now_or_never().expect("refused at once");
        assert_eq!(result.unwrap_err(), LookupError::UnknownKid);
    }
    assert_eq!(issuer.jwks_requests(), 0);

    // A prefetch in flight; the over-long kid does not join it, nor fetch after it.
    issuer.hold_jwks();
    let prefetch = tokio::spawn({
        let cache = cache.clone();
        async move { cache.prefetch().await }
    });
    guard("prefetch request", issuer.wait_for_jwks_requests(1)).await;
    let result = cache
        .key(&too_long)
        .now_or_never()
        .expect("refused at once");
    assert_eq!(result.unwrap_err(), LookupError::UnknownKid);
    issuer.release_jwks();
    guard("prefetch", prefetch).await.unwrap().unwrap();
    assert_eq!(issuer.jwks_requests(), 1);
    assert_eq!(cache.status().unknown_kid_refetches, 0);
}

/// K19: while an explicit refresh hangs at the server, lookups of cached `kid`s answer
/// without waiting; the refresh then times out and the set is kept.
#[tokio::test]
async fn cached_kids_answer_at_once_while_a_refresh_hangs() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .fetch_timeout(common::SHORT_FETCH_TIMEOUT)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();

    issuer.fail_next_jwks(1, JwksFault::Hang);
    let refresh = tokio::spawn({
        let cache = cache.clone();
        async move { cache.refresh().await }
    });
    guard("hanging request", issuer.wait_for_jwks_requests(2)).await;
    for _ in 0..1000 {
        let key = cache
            .key(&kid)
            .now_or_never()
            .expect("never waits for the refresh");
        assert_eq!(key.unwrap().kid(), kid);
    }
    assert!(cache.cached_key(&kid).is_some());
    assert!(cache.status().is_fresh);

    let result = guard("refresh times out", refresh).await.unwrap();
    assert!(matches!(result, Err(FetchError::Timeout)), "{result:?}");
    assert_eq!(guard("lookup", cache.key(&kid)).await.unwrap().kid(), kid);
}

/// K19 for a refresh that fails (held at the server, then 500): cached lookups never wait,
/// before or after the failure.
#[tokio::test]
async fn cached_kids_answer_at_once_while_a_refresh_fails() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();

    issuer.fail_next_jwks(1, JwksFault::Status(500));
    issuer.hold_jwks();
    let refresh = tokio::spawn({
        let cache = cache.clone();
        async move { cache.refresh().await }
    });
    guard("held request", issuer.wait_for_jwks_requests(2)).await;
    for _ in 0..100 {
        assert!(cache.key(&kid).now_or_never().expect("no wait").is_ok());
    }
    issuer.release_jwks();
    let result = guard("refresh", refresh).await.unwrap();
    assert!(matches!(
        result,
        Err(FetchError::Status { status: 500, .. })
    ));
    assert!(cache.key(&kid).now_or_never().expect("no wait").is_ok());
}

/// K19 for a background refresh and for an unknown-`kid` refetch that hang: cached lookups
/// still answer without waiting.
#[tokio::test]
async fn cached_kids_answer_at_once_while_background_or_unknown_kid_fetches_hang() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .cooldown(Duration::from_secs(10))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();

    // Background refresh (due at 3/4 of 600 s) held at the server.
    issuer.hold_jwks();
    clock.advance(cache.status().next_refresh_in.unwrap());
    guard("background request", issuer.wait_for_jwks_requests(2)).await;
    for _ in 0..100 {
        assert!(cache.key(&kid).now_or_never().expect("no wait").is_ok());
    }
    // An unknown kid joins the running fetch (no second request while it runs) and waits for
    // it...
    let mut unknown = Box::pin(cache.key("rotated-in"));
    assert!(futures_util::poll!(unknown.as_mut()).is_pending());
    assert_eq!(issuer.jwks_requests(), 2);
    // ...while the known kid still does not wait.
    assert!(cache.key(&kid).now_or_never().expect("no wait").is_ok());
    issuer.release_jwks();
    // The background refresh was no unknown-kid fetch, so it does not stand in for one: the
    // lookup makes its own refetch (which starts the cooldown), then is refused.
    assert_eq!(
        guard("unknown kid", unknown).await.unwrap_err(),
        LookupError::UnknownKid
    );
    assert_eq!(issuer.jwks_requests(), 3);
    assert_eq!(cache.status().unknown_kid_refetches, 1);

    // An unknown-kid refetch held at the server: known kids do not wait for it either.
    clock.advance(Duration::from_secs(10));
    issuer.hold_jwks();
    let mut unknown = Box::pin(cache.key("rotated-in-later"));
    assert!(futures_util::poll!(unknown.as_mut()).is_pending());
    guard("unknown-kid request", issuer.wait_for_jwks_requests(4)).await;
    for _ in 0..100 {
        assert!(cache.key(&kid).now_or_never().expect("no wait").is_ok());
    }
    issuer.release_jwks();
    assert_eq!(
        guard("unknown kid", unknown).await.unwrap_err(),
        LookupError::UnknownKid
    );
    assert_eq!(issuer.jwks_requests(), 4);
    assert_eq!(cache.status().unknown_kid_refetches, 2);
}

/// An attempt announced by `subscribe()` has already left the in-flight slot: a `refresh()`
/// made right after the announcement always makes a new request instead of returning the
/// finished fetch's result. (Regression: the slot used to be freed only after the event, so on
/// a multi-threaded runtime most such refreshes made no request at all.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_right_after_an_announced_attempt_fetches_again() {
    let issuer = common::issuer().await;
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    let mut attempts = cache.subscribe();
    for round in 0..300 {
        let before = issuer.jwks_requests();
        let background = cache.clone();
        tokio::spawn(async move { background.refresh().await });
        guard("first attempt", attempts.changed()).await.unwrap();
        guard("second refresh", cache.refresh()).await.unwrap();
        assert_eq!(
            issuer.jwks_requests(),
            before + 2,
            "round {round}: refresh() joined the finished fetch"
        );
        guard("second attempt", attempts.changed()).await.unwrap();
    }
}
