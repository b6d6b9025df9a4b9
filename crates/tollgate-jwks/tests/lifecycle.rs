//! Background work ends on `shutdown()` and when the last handle is dropped, and does nothing
//! afterwards.
//!
//! The cache and its background task each hold a clone of the cache's `Arc<dyn Clock>`, so the
//! clock's strong count says whether the task is still alive: a `Weak`-style check that needs
//! no access to private state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{eventually, guard, settle};
use futures_util::FutureExt as _;
use tollgate_jwks::{Clock, ManualClock};

fn clocks() -> (ManualClock, Arc<dyn Clock>) {
    let manual = ManualClock::new();
    let shared: Arc<dyn Clock> = Arc::new(manual.clone());
    (manual, shared)
}

/// Control: without shutdown the background refresh does run when the clock passes 3/4 of
/// the freshness lifetime (so the negative tests below are meaningful).
#[tokio::test]
async fn control_background_refresh_runs_without_shutdown() {
    let issuer = common::issuer().await;
    let (manual, clock) = clocks();
    let cache = common::url_cache_shared(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .build()
        .unwrap();
    let mut attempts = cache.subscribe();
    guard("prefetch", cache.prefetch()).await.unwrap();
    attempts.borrow_and_update();
    assert_eq!(
        Arc::strong_count(&clock),
        3,
        "test + cache + background task"
    );
    manual.advance(cache.status().next_refresh_in.unwrap());
    guard("background refresh", attempts.changed())
        .await
        .unwrap();
    assert_eq!(issuer.jwks_requests(), 2);
}

/// `shutdown()` ends the background task; advancing the clock far past the refresh time then
/// causes no request. Lookups keep working from the cached set.
#[tokio::test]
async fn shutdown_stops_background_refresh() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let (manual, clock) = clocks();
    let cache = common::url_cache_shared(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .max_stale(Duration::from_secs(100_000))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    assert_eq!(Arc::strong_count(&clock), 3);

    cache.shutdown();
    // Advancing right away must not let a refresh slip in before the task sees the shutdown.
    manual.advance(cache.status().next_refresh_in.unwrap());
    eventually("background task ends", || Arc::strong_count(&clock) == 2).await;
    for _ in 0..10 {
        manual.advance(Duration::from_secs(600));
        settle().await;
    }
    assert_eq!(issuer.jwks_requests(), 1);
    assert!(!cache.status().is_fresh);
    let key = cache
        .key(&kid)
        .now_or_never()
        .expect("answers from the cache");
    assert_eq!(key.unwrap().kid(), kid);
    assert_eq!(issuer.jwks_requests(), 1);
}

/// Same as above, repeated: the shutdown must win every time, not on a coin flip.
#[tokio::test]
async fn shutdown_then_advance_never_refreshes() {
    let issuer = common::issuer().await;
    for _ in 0..50 {
        let (manual, clock) = clocks();
        let cache = common::url_cache_shared(&issuer, &clock)
            .default_ttl(Duration::from_secs(600))
            .build()
            .unwrap();
        guard("prefetch", cache.prefetch()).await.unwrap();
        let before = issuer.jwks_requests();
        cache.shutdown();
        manual.advance(cache.status().next_refresh_in.unwrap());
        eventually("background task ends", || Arc::strong_count(&clock) == 2).await;
        settle().await;
        assert_eq!(issuer.jwks_requests(), before);
    }
}

/// After `shutdown()`, on-demand fetches still work (documented), but never restart the
/// background task.
#[tokio::test]
async fn after_shutdown_on_demand_fetches_work_but_background_stays_off() {
    let issuer = common::issuer().await;
    let (manual, clock) = clocks();
    let cache = common::url_cache_shared(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .cooldown(Duration::from_secs(10))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    cache.shutdown();
    eventually("background task ends", || Arc::strong_count(&clock) == 2).await;

    issuer.rotate_to(common::key(1));
    manual.advance(Duration::from_secs(10));
    let new_kid = common::key(1).kid().to_owned();
    assert_eq!(
        guard("refetch", cache.key(&new_kid)).await.unwrap().kid(),
        new_kid
    );
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(Arc::strong_count(&clock), 2, "no new background task");
    manual.advance(Duration::from_secs(10_000));
    settle().await;
    assert_eq!(issuer.jwks_requests(), 2);
}

/// `shutdown()` before anything was fetched: the background task that the first fetch starts
/// ends at once.
#[tokio::test]
async fn shutdown_before_the_first_fetch_is_remembered() {
    let issuer = common::issuer().await;
    let (manual, clock) = clocks();
    let cache = common::url_cache_shared(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .build()
        .unwrap();
    cache.shutdown();
    guard("prefetch", cache.prefetch()).await.unwrap();
    eventually("background task ends", || Arc::strong_count(&clock) == 2).await;
    manual.advance(Duration::from_secs(10_000));
    settle().await;
    assert_eq!(issuer.jwks_requests(), 1);
}

/// Dropping one clone keeps everything running; dropping the last one ends the background
/// task and frees the cache.
#[tokio::test]
async fn dropping_the_last_handle_ends_background_work() {
    let issuer = common::issuer().await;
    let (manual, clock) = clocks();
    let cache = common::url_cache_shared(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let clone = cache.clone();
    drop(cache);
    settle().await;
    assert_eq!(
        Arc::strong_count(&clock),
        3,
        "a clone is alive: the task keeps running"
    );

    let mut attempts = clone.subscribe();
    manual.advance(clone.status().next_refresh_in.unwrap());
    guard("background refresh", attempts.changed())
        .await
        .unwrap();
    assert_eq!(issuer.jwks_requests(), 2);

    drop(clone);
    eventually("cache and task freed", || Arc::strong_count(&clock) == 1).await;
    manual.advance(Duration::from_secs(10_000));
    settle().await;
    assert_eq!(issuer.jwks_requests(), 2);
}

/// The last handle is dropped while a fetch hangs at the server: once the fetch gives up, the
/// cache and its task are freed.
#[tokio::test]
async fn dropping_the_last_handle_during_a_hanging_fetch_frees_everything() {
    let issuer = common::issuer().await;
    let (_manual, clock) = clocks();
    let cache = common::url_cache_shared(&issuer, &clock)
        .fetch_timeout(common::SHORT_FETCH_TIMEOUT)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    issuer.fail_next_jwks(1, tollgate_testkit::JwksFault::Hang);
    let refresh = tokio::spawn({
        let cache = cache.clone();
        async move { cache.refresh().await }
    });
    guard("hanging request", issuer.wait_for_jwks_requests(2)).await;
    refresh.abort();
    let _ = refresh.await;
    drop(cache);
    eventually("cache and task freed", || Arc::strong_count(&clock) == 1).await;
}
