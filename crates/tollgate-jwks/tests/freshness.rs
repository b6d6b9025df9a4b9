//! Freshness from response headers (clamped), refresh ahead at 3/4 of the lifetime (exactly,
//! with the jitter off, or spread over 5/8 to 7/8 by default), conditional requests (304), the
//! bounded stale-if-error window (security catalogue, `docs/security-catalogue.md`: K15, K13
//! during an outage) and what `status()` reports. Time
//! only moves through a `ManualClock`; background work is awaited through `subscribe()`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::{guard, settle};
use futures_util::FutureExt as _;
use tollgate_jwks::{FetchError, JwksCache, LookupError, ManualClock};
use tollgate_testkit::{JwksFault, TestIssuer};

const MIN: Duration = Duration::from_secs(60);
const MAX: Duration = Duration::from_secs(3600);
const DEFAULT: Duration = Duration::from_secs(1200);

/// A prefetched cache with the refresh jitter off, so the refresh time tells the freshness
/// lifetime exactly.
async fn cache_for(issuer: &TestIssuer, clock: &ManualClock) -> JwksCache {
    let cache = common::url_cache(issuer, clock)
        .ttl_bounds(MIN, MAX)
        .default_ttl(DEFAULT)
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    cache
}

/// The freshness lifetime the cache gave the set it just fetched, read off the schedule of
/// the background refresh (at exactly 3/4 of it, the clock not having moved).
async fn ttl_for(headers: &[(&str, &str)]) -> Duration {
    let issuer = common::issuer().await;
    for (name, value) in headers {
        issuer.set_jwks_header(name, Some(value));
    }
    let cache = cache_for(&issuer, &ManualClock::new()).await;
    let status = cache.status();
    assert!(status.is_fresh);
    assert_eq!(status.age, Some(Duration::ZERO));
    status.next_refresh_in.unwrap() * 4 / 3
}

#[tokio::test]
async fn max_age_is_honoured_within_the_bounds() {
    let secs = Duration::from_secs;
    assert_eq!(
        ttl_for(&[("cache-control", "max-age=400")]).await,
        secs(400)
    );
    assert_eq!(
        ttl_for(&[("cache-control", "public, max-age=400, must-revalidate")]).await,
        secs(400)
    );
    assert_eq!(
        ttl_for(&[("cache-control", "max-age=\"400\"")]).await,
        secs(400)
    );
    assert_eq!(
        ttl_for(&[("cache-control", "MAX-AGE=400")]).await,
        secs(400)
    );
    // Clamped to the bounds.
    assert_eq!(ttl_for(&[("cache-control", "max-age=5")]).await, MIN);
    assert_eq!(ttl_for(&[("cache-control", "max-age=0")]).await, MIN);
    assert_eq!(ttl_for(&[("cache-control", "max-age=999999")]).await, MAX);
    // RFC 9111 §1.2.2: a delta-seconds too large to represent means "very large", not stale.
    assert_eq!(
        ttl_for(&[("cache-control", "max-age=99999999999999999999999")]).await,
        MAX
    );
    // A malformed max-age makes the response stale (RFC 9111 §4.2.1).
    assert_eq!(ttl_for(&[("cache-control", "max-age=soon")]).await, MIN);
    // max-age wins over Expires.
    assert_eq!(
        ttl_for(&[
            ("cache-control", "max-age=400"),
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("expires", "Wed, 21 Oct 2015 07:38:00 GMT"),
        ])
        .await,
        secs(400)
    );
}

#[tokio::test]
async fn no_store_and_no_cache_mean_the_minimum() {
    for value in [
        "no-store",
        "no-cache",
        "private, no-store",
        // Directive order must not matter: no-store wins over a max-age before it.
        "max-age=3000, no-store",
        "max-age=3000, no-cache",
    ] {
        assert_eq!(ttl_for(&[("cache-control", value)]).await, MIN, "{value}");
    }
}

#[tokio::test]
async fn without_cache_headers_the_default_applies() {
    assert_eq!(ttl_for(&[]).await, DEFAULT);
    assert_eq!(ttl_for(&[("cache-control", "public")]).await, DEFAULT);
}

#[tokio::test]
async fn expires_is_relative_to_the_response_date() {
    let secs = Duration::from_secs;
    // Fixed Date and Expires, ten years before the clock: only the difference counts.
    assert_eq!(
        ttl_for(&[
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("expires", "Wed, 21 Oct 2015 07:38:00 GMT"),
        ])
        .await,
        secs(600)
    );
    // Expires before Date: already stale.
    assert_eq!(
        ttl_for(&[
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("expires", "Wed, 21 Oct 2015 07:00:00 GMT"),
        ])
        .await,
        MIN
    );
    // An invalid Expires, "0" in particular, means already expired (RFC 9111 §5.3).
    assert_eq!(ttl_for(&[("expires", "0")]).await, MIN);
    assert_eq!(ttl_for(&[("expires", "tomorrow")]).await, MIN);
}

/// The server's own `Date` (not the cache's clock) anchors `Expires`: the manual clock here is
/// years away from the server's real time.
#[tokio::test]
async fn expires_uses_the_server_date_not_the_local_clock() {
    let issuer = common::issuer().await;
    let expires = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(600));
    issuer.set_jwks_header("expires", Some(&expires));
    let cache = common::url_cache(&issuer, &ManualClock::at_unix(1_000_000_000))
        .ttl_bounds(MIN, Duration::from_secs(365 * 24 * 3600))
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let ttl = cache.status().next_refresh_in.unwrap() * 4 / 3;
    // Whole-second HTTP dates: 600 s give or take the second boundaries.
    assert!(
        ttl >= Duration::from_secs(597) && ttl <= Duration::from_secs(601),
        "{ttl:?}"
    );
}

/// The background refresh fires at exactly 3/4 of the freshness lifetime, not before; it is
/// conditional and renews the set's freshness.
#[tokio::test]
async fn background_refresh_happens_at_three_quarters_of_the_ttl() {
    let issuer = common::issuer().await;
    issuer.set_jwks_cache_control(Some("max-age=400"));
    let clock = ManualClock::new();
    let cache = cache_for(&issuer, &clock).await;
    let mut attempts = cache.subscribe();
    assert_eq!(*attempts.borrow_and_update(), 1);
    assert_eq!(
        cache.status().next_refresh_in,
        Some(Duration::from_secs(300))
    );

    clock.advance(Duration::from_secs(299));
    settle().await;
    assert_eq!(issuer.jwks_requests(), 1, "too early");
    assert!(!attempts.has_changed().unwrap());
    assert_eq!(cache.status().next_refresh_in, Some(Duration::from_secs(1)));

    clock.advance(Duration::from_secs(1));
    guard("refresh at 300 s", attempts.changed()).await.unwrap();
    assert_eq!(*attempts.borrow_and_update(), 2);
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(issuer.conditional_jwks_requests(), 1);
    let status = cache.status();
    assert!(status.is_fresh);
    assert_eq!(status.age, Some(Duration::ZERO));
    assert_eq!(status.next_refresh_in, Some(Duration::from_secs(300)));

    // And again 300 s later: the set never goes stale while the endpoint answers.
    clock.advance(Duration::from_secs(300));
    guard("second refresh", attempts.changed()).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 3);
    assert!(cache.status().is_fresh);
}

/// Freshness and usability boundaries, with background refresh shut down so nothing renews
/// the set: fresh up to the TTL inclusive, usable up to TTL + max_stale inclusive.
#[tokio::test]
async fn fresh_and_usable_windows_are_exact() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    issuer.set_jwks_cache_control(Some("max-age=400"));
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .max_stale(Duration::from_secs(1000))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    cache.shutdown();

    clock.advance(Duration::from_secs(400));
    let status = cache.status();
    assert!(status.is_fresh && status.is_usable);
    clock.advance(Duration::from_secs(1));
    let status = cache.status();
    assert!(!status.is_fresh && status.is_usable);
    assert_eq!(status.age, Some(Duration::from_secs(401)));
    clock.advance(Duration::from_secs(999));
    assert!(cache.status().is_usable);
    assert!(cache.key(&kid).now_or_never().expect("no wait").is_ok());
    clock.advance(Duration::from_secs(1));
    assert!(!cache.status().is_usable);
    assert!(cache.cached_key(&kid).is_none());
    assert_eq!(issuer.jwks_requests(), 1);
}

/// Conditional requests: the second fetch sends `If-None-Match`, the server answers 304, the
/// keys (the very same objects) are kept, freshness is renewed with the 304's own
/// `Cache-Control`, and `status().not_modified` counts it.
#[tokio::test]
async fn not_modified_keeps_keys_and_renews_freshness() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    assert_eq!(
        issuer.conditional_jwks_requests(),
        0,
        "nothing to validate yet"
    );
    let before = cache.key(&kid).now_or_never().unwrap().unwrap();

    clock.advance(Duration::from_secs(100));
    assert_eq!(cache.status().age, Some(Duration::from_secs(100)));
    issuer.set_jwks_cache_control(Some("max-age=120"));
    guard("refresh", cache.refresh()).await.unwrap();

    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(issuer.conditional_jwks_requests(), 1);
    assert_eq!(issuer.not_modified_responses(), 1);
    let status = cache.status();
    assert_eq!(status.not_modified, 1);
    assert_eq!(status.failures, 0);
    assert!(status.last_error.is_none());
    assert_eq!(status.age, Some(Duration::ZERO), "freshness renewed");
    assert_eq!(status.last_success_ago, Some(Duration::ZERO));
    assert_eq!(status.next_refresh_in, Some(Duration::from_secs(90)));
    let after = cache.key(&kid).now_or_never().unwrap().unwrap();
    assert!(Arc::ptr_eq(&before, &after));
    assert!(!after.is_revoked());

    // When the set changes, the ETag no longer matches: a full answer with the new set.
    issuer.publish_key(common::key(1));
    guard("refresh", cache.refresh()).await.unwrap();
    assert_eq!(issuer.conditional_jwks_requests(), 2);
    assert_eq!(issuer.not_modified_responses(), 1);
    assert_eq!(cache.status().key_count, 2);
    assert_eq!(cache.status().not_modified, 1);
    // And the next one is conditional on the new ETag.
    guard("refresh", cache.refresh()).await.unwrap();
    assert_eq!(issuer.not_modified_responses(), 2);
    assert_eq!(cache.status().not_modified, 2);
}

/// `Last-Modified` is remembered and sent back as `If-Modified-Since`.
#[tokio::test]
async fn last_modified_validator_is_used() {
    let issuer = common::issuer().await;
    issuer.set_jwks_header("last-modified", Some("Wed, 21 Oct 2015 07:28:00 GMT"));
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    guard("refresh", cache.refresh()).await.unwrap();
    assert_eq!(issuer.conditional_jwks_requests(), 1);
    assert_eq!(issuer.not_modified_responses(), 1);
    assert_eq!(cache.status().not_modified, 1);
}

/// Stale-if-error bound: with every refresh failing, the set is served past its freshness,
/// up to `fresh + max_stale`, then `KeysUnavailable`; a key removed upstream during the
/// outage is trusted exactly as long (K13 during an outage).
#[tokio::test]
async fn stale_if_error_is_bounded_by_max_stale() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .max_stale(Duration::from_secs(3600))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let key = cache.key(&kid).await.unwrap();
    issuer.fail_next_jwks(1000, JwksFault::Status(500));
    let mut attempts = cache.subscribe();

    clock.advance(Duration::from_secs(601));
    guard("failed background refresh", attempts.changed())
        .await
        .unwrap();
    let status = cache.status();
    assert!(!status.is_fresh && status.is_usable);
    assert!(matches!(
        status.last_error,
        Some(FetchError::Status { status: 500, .. })
    ));
    assert!(cache.key(&kid).now_or_never().expect("no wait").is_ok());
    assert!(cache.is_trusted(&key));

    clock.advance(Duration::from_secs(3599)); // = fresh + max_stale
    assert!(cache.key(&kid).now_or_never().expect("no wait").is_ok());
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        guard("lookup", cache.key(&kid)).await.unwrap_err(),
        LookupError::KeysUnavailable
    );
    assert!(!cache.is_trusted(&key));
    let status = cache.status();
    assert!(!status.is_usable);
    assert!(status.failures >= 2);
    assert!(status.consecutive_failures >= 2);
    // The count of attempts is visible and every one failed.
    assert_eq!(status.fetches, status.failures + 1);
}

/// `status()` reflects what happened, field by field.
#[tokio::test]
async fn status_reflects_reality() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .default_ttl(Duration::from_secs(600))
        .cooldown(Duration::from_secs(15))
        .refresh_jitter(0.0)
        .build()
        .unwrap();

    let status = cache.status();
    assert_eq!(status.key_count, 0);
    assert!(!status.is_fresh && !status.is_usable);
    assert_eq!(status.age, None);
    assert_eq!(status.last_success_ago, None);
    assert_eq!(status.next_refresh_in, None);
    assert!(status.last_error.is_none());
    assert_eq!(
        (status.fetches, status.failures, status.not_modified),
        (0, 0, 0)
    );
    assert_eq!(status.jwks_url.as_deref(), Some(issuer.jwks_url().as_str()));

    issuer.publish_key(common::key(1));
    guard("prefetch", cache.prefetch()).await.unwrap();
    clock.advance(Duration::from_secs(10));
    let status = cache.status();
    assert_eq!(status.key_count, 2);
    assert!(status.is_fresh && status.is_usable);
    assert_eq!(status.age, Some(Duration::from_secs(10)));
    assert_eq!(status.last_success_ago, Some(Duration::from_secs(10)));
    assert_eq!(status.next_refresh_in, Some(Duration::from_secs(440)));
    assert_eq!((status.fetches, status.failures), (1, 0));

    issuer.fail_next_jwks(1, JwksFault::Status(503));
    guard("refresh", cache.refresh()).await.unwrap_err();
    let status = cache.status();
    assert_eq!(
        (status.fetches, status.failures, status.consecutive_failures),
        (2, 1, 1)
    );
    assert!(matches!(
        status.last_error,
        Some(FetchError::Status { status: 503, .. })
    ));
    assert_eq!(
        status.age,
        Some(Duration::from_secs(10)),
        "the set was not replaced"
    );
    assert_eq!(status.key_count, 2);

    // An unknown kid inside the cooldown (the failed refresh just now started it) is refused
    // and counted; after it, it causes one refetch.
    assert_eq!(
        cache.key("unknown").now_or_never().unwrap().unwrap_err(),
        LookupError::UnknownKid
    );
    assert_eq!(cache.status().cooldown_rejections, 1);
    clock.advance(Duration::from_secs(15));
    assert_eq!(
        guard("refetch", cache.key("unknown")).await.unwrap_err(),
        LookupError::UnknownKid
    );
    let status = cache.status();
    assert_eq!(status.unknown_kid_refetches, 1);
    assert_eq!(
        (status.fetches, status.failures, status.consecutive_failures),
        (3, 1, 0)
    );
    assert!(status.last_error.is_none());
    assert_eq!(status.age, Some(Duration::ZERO));
    assert!(cache.key(&kid).now_or_never().unwrap().is_ok());
}

/// Refresh jitter (issue 9): by default every cache schedules its refresh uniformly at random
/// between 5/8 and 7/8 of the freshness lifetime, so caches that fetched at the same moment
/// (a fleet started together) do not refresh in lockstep. Each refresh happens exactly when
/// scheduled, and the next one is drawn again from the window. Without jitter they all refresh
/// at 3/4.
#[tokio::test]
async fn background_refresh_is_spread_over_five_to_seven_eighths_of_the_ttl() {
    let issuer = common::issuer().await;
    issuer.set_jwks_cache_control(Some("max-age=800"));
    let clock = ManualClock::new();
    let (low, high) = (Duration::from_secs(500), Duration::from_secs(700));
    let mut caches = Vec::new();
    for _ in 0..64 {
        let cache = common::url_cache(&issuer, &clock)
            .ttl_bounds(MIN, MAX)
            .build()
            .unwrap();
        guard("prefetch", cache.prefetch()).await.unwrap();
        caches.push(cache);
    }
    let mut times: Vec<Duration> = caches
        .iter()
        .map(|c| c.status().next_refresh_in.unwrap())
        .collect();
    for at in &times {
        assert!(*at >= low && *at <= high, "{at:?}");
    }
    times.sort();
    times.dedup();
    assert_eq!(times.len(), 64, "every cache drew its own time");
    // 64 uniform draws over 200 s: that they all fall within 100 s has probability ~1e-17.
    assert!(
        times[63] - times[0] >= Duration::from_secs(100),
        "{times:?}"
    );

    // The earliest refresh happens exactly at its time, and only that one.
    let first = caches
        .iter()
        .position(|c| c.status().next_refresh_in == Some(times[0]))
        .unwrap();
    let mut attempts = caches[first].subscribe();
    attempts.borrow_and_update();
    clock.advance(times[0] - Duration::from_millis(1));
    settle().await;
    assert_eq!(issuer.jwks_requests(), 64, "too early");
    clock.advance(Duration::from_millis(1));
    guard("first refresh", attempts.changed()).await.unwrap();
    settle().await;
    assert_eq!(issuer.jwks_requests(), 65);
    let next = caches[first].status().next_refresh_in.unwrap();
    assert!(next >= low && next <= high, "{next:?}");

    // Without jitter: lockstep at exactly 3/4.
    for _ in 0..8 {
        let cache = common::url_cache(&issuer, &clock)
            .ttl_bounds(MIN, MAX)
            .refresh_jitter(0.0)
            .build()
            .unwrap();
        guard("prefetch", cache.prefetch()).await.unwrap();
        assert_eq!(
            cache.status().next_refresh_in,
            Some(Duration::from_secs(600))
        );
    }
}

/// `jitter_seed` makes a cache's schedule reproducible: the same seed gives the same refresh
/// times, fetch after fetch.
#[tokio::test]
async fn a_jitter_seed_makes_the_schedule_reproducible() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let schedule = |seed: u64| {
        let issuer = &issuer;
        let clock = &clock;
        async move {
            let cache = common::url_cache(issuer, clock)
                .jitter_seed(seed)
                .build()
                .unwrap();
            let mut times = Vec::new();
            for _ in 0..5 {
                guard("fetch", cache.refresh()).await.unwrap();
                times.push(cache.status().next_refresh_in.unwrap());
            }
            times
        }
    };
    let first = schedule(42).await;
    assert_eq!(schedule(42).await, first);
    assert_ne!(schedule(43).await, first);
    for at in &first {
        // 3/4 ± 1/8 of the default 600 s.
        assert!(
            *at >= Duration::from_secs(375) && *at <= Duration::from_secs(525),
            "{at:?}"
        );
    }
}

/// A refresh jitter outside `0..=0.25` (or NaN) is a build error.
#[test]
fn refresh_jitter_is_validated() {
    let source = || tollgate_jwks::JwksSource::url("https://issuer.example/jwks.json").unwrap();
    for bad in [-0.1, 0.3, f64::NAN] {
        let error = JwksCache::builder(source())
            .refresh_jitter(bad)
            .build()
            .unwrap_err();
        assert!(
            matches!(error, tollgate_jwks::BuildError::RefreshJitterOutOfRange),
            "{bad}: {error:?}"
        );
    }
    assert!(
        JwksCache::builder(source())
            .refresh_jitter(tollgate_jwks::MAX_REFRESH_JITTER)
            .build()
            .is_ok()
    );
}
