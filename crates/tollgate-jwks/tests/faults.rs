//! The JWKS fault matrix of the security catalogue (`docs/security-catalogue.md`) against a
//! real server: K1/K14 connect failures,
//! K2 timeouts, K3 status codes and `Retry-After`, K4 redirects, K5 bad bodies, K6 empty sets,
//! K7 oversized bodies, K22 content type): each fault is reported as the right `FetchError`,
//! by `refresh()` and in `status().last_error`, and the last good set is kept until
//! `max_stale`, then lookups fail with `KeysUnavailable`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{SHORT_FETCH_TIMEOUT, guard};
use futures_util::FutureExt as _;
use tollgate_jwks::{
    DEFAULT_MAX_BODY, FetchError, JwksCache, JwksSource, LookupError, ManualClock,
};
use tollgate_testkit::{JwksFault, TestIssuer};

type Expect = fn(&FetchError) -> bool;

/// The fetch deadline for a test of `fault`: short where the deadline is what ends the fetch,
/// generous otherwise (the debug-built test server needs time to build a 10 MiB body on a busy
/// machine, and that must not turn a size failure into a timeout).
fn deadline_for(fault: &JwksFault) -> Duration {
    match fault {
        JwksFault::Hang | JwksFault::StallBody | JwksFault::Drip(_) => SHORT_FETCH_TIMEOUT,
        _ => Duration::from_secs(5),
    }
}

/// Prefetches a good set, injects `fault` into one explicit refresh and checks that the error
/// is `expected` (result and status), that the set and its keys are kept, and that the next
/// good answer recovers.
async fn refresh_fails_and_keeps_the_set(fault: JwksFault, expected: Expect) {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .fetch_timeout(deadline_for(&fault))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let before = cache.key(&kid).now_or_never().unwrap().unwrap();

    issuer.fail_next_jwks(1, fault.clone());
    let error = guard("faulty refresh", cache.refresh()).await.unwrap_err();
    assert!(expected(&error), "{fault:?} gave {error:?}");
    let status = cache.status();
    let last = status.last_error.as_ref().expect("last_error is set");
    assert!(expected(last), "{fault:?}: status says {last:?}");
    assert_eq!(status.failures, 1);
    assert_eq!(status.consecutive_failures, 1);
    assert_eq!(status.fetches, 2);
    assert_eq!(status.key_count, 1);
    assert!(status.is_fresh && status.is_usable);
    assert_eq!(
        issuer.jwks_requests(),
        2,
        "{fault:?}: exactly one request, no retry inline"
    );

    let after = cache.key(&kid).now_or_never().expect("no wait").unwrap();
    assert!(
        Arc::ptr_eq(&before, &after),
        "{fault:?}: the same key is kept"
    );
    assert!(!after.is_revoked());
    assert!(cache.is_trusted(&after));

    guard("recovery", cache.refresh()).await.unwrap();
    let status = cache.status();
    assert!(status.last_error.is_none());
    assert_eq!(status.consecutive_failures, 0);
    assert_eq!(status.failures, 1);
}

/// With every refresh failing with `fault`, the last good set is served through its freshness
/// and `max_stale`, inclusive, and not a moment longer: then `KeysUnavailable`.
async fn stale_set_is_served_until_max_stale(fault: JwksFault) {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let clock = ManualClock::new();
    let ttl = Duration::from_secs(60);
    let max_stale = Duration::from_secs(120);
    let cache = common::url_cache(&issuer, &clock)
        .default_ttl(ttl)
        .max_stale(max_stale)
        .fetch_timeout(deadline_for(&fault))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    let key = cache.key(&kid).await.unwrap();
    issuer.fail_next_jwks(1000, fault.clone());
    let mut attempts = cache.subscribe();
    attempts.borrow_and_update();

    // Past freshness: the background refresh (due at 45 s) fails; still served.
    clock.advance(ttl + Duration::from_secs(1));
    guard("background attempt", attempts.changed())
        .await
        .unwrap();
    let status = cache.status();
    assert!(
        !status.is_fresh && status.is_usable,
        "{fault:?}: {status:?}"
    );
    assert!(status.last_error.is_some());
    assert!(cache.key(&kid).now_or_never().expect("no wait").is_ok());

    // The last instant of the stale window: still served.
    clock.advance(max_stale - Duration::from_secs(1));
    assert!(
        cache.key(&kid).now_or_never().expect("no wait").is_ok(),
        "{fault:?}"
    );
    assert!(cache.is_trusted(&key));

    // One second later: unavailable (fail closed, the 503 class), even for the known kid.
    clock.advance(Duration::from_secs(1));
    let result = guard("lookup past max_stale", cache.key(&kid)).await;
    assert_eq!(
        result.unwrap_err(),
        LookupError::KeysUnavailable,
        "{fault:?}"
    );
    assert!(cache.cached_key(&kid).is_none());
    assert!(cache.key_set().is_none());
    assert!(!cache.is_trusted(&key));
    assert!(!cache.status().is_usable);

    // Once the endpoint answers again, the next allowed fetch restores service.
    issuer.clear_jwks_faults();
    clock.advance(Duration::from_secs(60));
    assert!(
        guard("recovery", cache.key(&kid)).await.is_ok(),
        "{fault:?}"
    );
}

async fn check(fault: JwksFault, expected: Expect) {
    refresh_fails_and_keeps_the_set(fault.clone(), expected).await;
    stale_set_is_served_until_max_stale(fault).await;
}

/// K3: server errors.
#[tokio::test]
async fn server_errors_are_status_errors() {
    for code in [500, 502, 503, 504] {
        refresh_fails_and_keeps_the_set(JwksFault::Status(code), |e| {
            matches!(
                e,
                FetchError::Status {
                    status: 500..=504,
                    retry_after: None
                }
            )
        })
        .await;
    }
    check(JwksFault::Status(500), |e| {
        matches!(
            e,
            FetchError::Status {
                status: 500,
                retry_after: None
            }
        )
    })
    .await;
    check(JwksFault::Status(404), |e| {
        matches!(e, FetchError::Status { status: 404, .. })
    })
    .await;
}

/// K3: 429 with `Retry-After` is reported with the delay, and the next background attempt
/// waits at least that long (capped by the retry maximum).
#[tokio::test]
async fn too_many_requests_with_retry_after_delays_the_retry() {
    check(JwksFault::StatusWithRetryAfter(429, 30), |e| {
        matches!(
            e,
            FetchError::Status {
                status: 429,
                retry_after: Some(30)
            }
        )
    })
    .await;

    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .retry_backoff(Duration::from_secs(1), Duration::from_secs(60))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    issuer.fail_next_jwks(1, JwksFault::StatusWithRetryAfter(429, 30));
    guard("refresh", cache.refresh()).await.unwrap_err();
    // Backoff for a first failure is at most 1 s; Retry-After says 30 s.
    assert_eq!(
        cache.status().next_refresh_in,
        Some(Duration::from_secs(30))
    );

    let mut attempts = cache.subscribe();
    clock.advance(Duration::from_secs(29));
    common::settle().await;
    assert_eq!(issuer.jwks_requests(), 2, "no retry before Retry-After");
    clock.advance(Duration::from_secs(1));
    guard("retry", attempts.changed()).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 3);
    assert!(cache.status().last_error.is_none());

    // A huge Retry-After is capped by the retry maximum.
    issuer.fail_next_jwks(1, JwksFault::StatusWithRetryAfter(503, 86_400));
    guard("refresh", cache.refresh()).await.unwrap_err();
    assert_eq!(
        cache.status().next_refresh_in,
        Some(Duration::from_secs(60))
    );
}

/// K3/K14: after failures the background task retries with growing, capped backoff.
#[tokio::test]
async fn failed_refreshes_are_retried_with_backoff() {
    let issuer = common::issuer().await;
    let clock = ManualClock::new();
    let cache = common::url_cache(&issuer, &clock)
        .retry_backoff(Duration::from_secs(2), Duration::from_secs(16))
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    issuer.fail_next_jwks(100, JwksFault::Status(503));
    guard("refresh", cache.refresh()).await.unwrap_err();
    let mut attempts = cache.subscribe();
    // Delay n is jittered within [d/2, d] for d = 2 s · 2^(n-1), capped at 16 s.
    for failures in 1..=6_u32 {
        let cap = Duration::from_secs(2 * (1 << (failures - 1))).min(Duration::from_secs(16));
        let next = cache.status().next_refresh_in.unwrap();
        assert!(
            next >= cap / 2 && next <= cap,
            "failure {failures}: {next:?}"
        );
        assert_eq!(cache.status().consecutive_failures, failures);
        clock.advance(next);
        guard("retry", attempts.changed()).await.unwrap();
    }
    issuer.clear_jwks_faults();
    let next = cache.status().next_refresh_in.unwrap();
    clock.advance(next);
    guard("successful retry", attempts.changed()).await.unwrap();
    assert_eq!(cache.status().consecutive_failures, 0);
}

/// K4: a redirect is an error and is not followed (even to the JWKS URL itself).
#[tokio::test]
async fn redirects_are_not_followed() {
    let issuer = common::issuer().await;
    let location = issuer.jwks_url();
    drop(issuer);
    for status_location in [
        location.as_str(),
        "https://attacker.example/jwks.json",
        "http://attacker.example/jwks.json",
    ] {
        check(JwksFault::Redirect(status_location.to_owned()), |e| {
            matches!(e, FetchError::Redirect { status: 302 })
        })
        .await;
    }
}

/// K4 with a user-supplied client that follows redirects: the answer is refused because it
/// did not come from the requested URL (a redirect could lead to plain http or another host).
#[tokio::test]
async fn redirects_followed_by_a_custom_client_are_refused() {
    let issuer = common::issuer().await;
    let other = common::issuer().await;
    let client = tollgate_jwks::reqwest::Client::builder()
        .redirect(tollgate_jwks::reqwest::redirect::Policy::limited(3))
        .build()
        .unwrap();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .http_client(client)
        .build()
        .unwrap();
    issuer.fail_next_jwks(1, JwksFault::Redirect(other.jwks_url()));
    let error = guard("redirected fetch", cache.refresh())
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::FollowedRedirect), "{error:?}");
    assert_eq!(
        other.jwks_requests(),
        1,
        "the client did follow the redirect"
    );
    assert_eq!(
        cache.status().key_count,
        0,
        "nothing from the redirect target is used"
    );
}

/// K5: 200 with bodies that are not a key set.
#[tokio::test]
async fn bodies_that_are_not_a_key_set_are_invalid_json() {
    check(JwksFault::Garbage, |e| matches!(e, FetchError::InvalidJson)).await;
    for body in [
        "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
        "[]",
        "{}",
        "null",
        "",
        r#"{"keys":null}"#,
        r#"{"keys":{}}"#,
        r#"{"keys":"[]"}"#,
        r#"{"keys":[{"kty":"RSA""#,
        r#"{"keys":[]} trailing"#,
    ] {
        check(JwksFault::Body(body.to_owned()), |e| {
            matches!(e, FetchError::InvalidJson)
        })
        .await;
    }
}

/// K5: an HTML error page served as `text/html` is refused the same way.
#[tokio::test]
async fn html_error_page_is_refused() {
    let issuer = common::issuer().await;
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    guard("prefetch", cache.prefetch()).await.unwrap();
    issuer.set_jwks_header("content-type", Some("text/html; charset=utf-8"));
    issuer.set_jwks_body(Some(
        "<html><body>Service Unavailable</body></html>".to_owned(),
    ));
    let error = guard("refresh", cache.refresh()).await.unwrap_err();
    assert!(matches!(error, FetchError::InvalidJson), "{error:?}");
    assert_eq!(cache.status().key_count, 1);
}

/// K5/K6: a key set with no usable key (empty, non-object entries, only foreign key types) is a
/// failed fetch; it never wipes the cache.
#[tokio::test]
async fn sets_without_a_usable_key_are_failures() {
    check(JwksFault::Body(r#"{"keys":[]}"#.to_owned()), |e| {
        matches!(e, FetchError::NoUsableKeys { skipped: 0 })
    })
    .await;
    check(
        JwksFault::Body(r#"{"keys":[1,"a",null,[],true]}"#.to_owned()),
        |e| matches!(e, FetchError::NoUsableKeys { skipped: 5 }),
    )
    .await;
    check(
        JwksFault::Body(
            r#"{"keys":[{"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"},{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#
                .to_owned(),
        ),
        |e| matches!(e, FetchError::NoUsableKeys { skipped: 2 }),
    )
    .await;
}

/// K7: bodies over the limit, announced by `Content-Length` or streamed chunked without one.
#[tokio::test]
async fn oversized_bodies_are_refused() {
    check(JwksFault::Oversized(DEFAULT_MAX_BODY + 1), |e| {
        matches!(
            e,
            FetchError::BodyTooLarge {
                limit: DEFAULT_MAX_BODY
            }
        )
    })
    .await;
    check(JwksFault::Oversized(10 * 1024 * 1024), |e| {
        matches!(
            e,
            FetchError::BodyTooLarge {
                limit: DEFAULT_MAX_BODY
            }
        )
    })
    .await;
    check(JwksFault::OversizedChunked(DEFAULT_MAX_BODY + 1), |e| {
        matches!(
            e,
            FetchError::BodyTooLarge {
                limit: DEFAULT_MAX_BODY
            }
        )
    })
    .await;
    check(JwksFault::OversizedChunked(10 * 1024 * 1024), |e| {
        matches!(
            e,
            FetchError::BodyTooLarge {
                limit: DEFAULT_MAX_BODY
            }
        )
    })
    .await;
}

/// K7 boundary: a body of exactly the limit is accepted, one byte more is not, both ways.
#[tokio::test]
async fn body_limit_is_exact() {
    let limit = 4096;
    for chunked in [false, true] {
        let issuer = common::issuer().await;
        let cache = common::url_cache(&issuer, &ManualClock::new())
            .max_body_bytes(limit)
            .build()
            .unwrap();
        let (at, over) = if chunked {
            (
                JwksFault::OversizedChunked(limit),
                JwksFault::OversizedChunked(limit + 1),
            )
        } else {
            (JwksFault::Oversized(limit), JwksFault::Oversized(limit + 1))
        };
        issuer.fail_next_jwks(1, at);
        guard("at the limit", cache.prefetch()).await.unwrap();
        issuer.fail_next_jwks(1, over);
        let error = guard("over the limit", cache.refresh()).await.unwrap_err();
        assert!(
            matches!(error, FetchError::BodyTooLarge { limit: 4096 }),
            "{error:?}"
        );
    }
}

/// A body cut short (the connection closes before the announced length) is a transport
/// failure, never a parsed set.
#[tokio::test]
async fn truncated_body_is_a_transport_failure() {
    check(JwksFault::Truncated, |e| {
        matches!(e, FetchError::Connect(_))
    })
    .await;
}

/// K2: headers then no body, a body that drips one byte at a time, no answer at all: each
/// ends in `Timeout` at the configured deadline (300 ms), not later.
#[tokio::test]
async fn hanging_and_dripping_bodies_time_out_at_the_deadline() {
    for fault in [
        JwksFault::Hang,
        JwksFault::StallBody,
        JwksFault::Drip(Duration::from_millis(50)),
    ] {
        let issuer = common::issuer().await;
        let cache = common::url_cache(&issuer, &ManualClock::new())
            .fetch_timeout(SHORT_FETCH_TIMEOUT)
            .build()
            .unwrap();
        guard("prefetch", cache.prefetch()).await.unwrap();
        issuer.fail_next_jwks(1, fault.clone());
        let started = Instant::now();
        let error = guard("refresh", cache.refresh()).await.unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(error, FetchError::Timeout),
            "{fault:?} gave {error:?}"
        );
        assert!(
            took >= SHORT_FETCH_TIMEOUT - Duration::from_millis(10),
            "{fault:?} gave up early: {took:?}"
        );
        assert!(took < Duration::from_secs(3), "{fault:?} took {took:?}");
        assert!(matches!(
            cache.status().last_error,
            Some(FetchError::Timeout)
        ));
    }
    for fault in [
        JwksFault::Hang,
        JwksFault::StallBody,
        JwksFault::Drip(Duration::from_millis(50)),
    ] {
        check(fault, |e| matches!(e, FetchError::Timeout)).await;
    }
}

/// K2 also on a cold cache: the lookup that triggered the fetch gets `KeysUnavailable` after
/// the deadline.
#[tokio::test]
async fn cold_lookup_against_a_hanging_endpoint_fails_at_the_deadline() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .fetch_timeout(SHORT_FETCH_TIMEOUT)
        .build()
        .unwrap();
    issuer.fail_next_jwks(1, JwksFault::Hang);
    let started = Instant::now();
    let result = guard("cold lookup", cache.key(&kid)).await;
    assert_eq!(result.unwrap_err(), LookupError::KeysUnavailable);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(
        cache.status().last_error,
        Some(FetchError::Timeout)
    ));
}

/// K22: a valid set served as `text/plain` is accepted.
#[tokio::test]
async fn content_type_is_not_checked() {
    let issuer = common::issuer().await;
    let kid = issuer.signing_key().kid().to_owned();
    issuer.set_jwks_header("content-type", Some("text/plain"));
    let cache = common::url_cache(&issuer, &ManualClock::new())
        .build()
        .unwrap();
    assert_eq!(guard("lookup", cache.key(&kid)).await.unwrap().kid(), kid);
}

/// A closed port: `Connect`, with the same stale-if-error behaviour.
#[tokio::test]
async fn unreachable_endpoint_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cache =
        JwksCache::builder(JwksSource::url(&format!("http://127.0.0.1:{port}/jwks.json")).unwrap())
            .clock(ManualClock::new())
            .build()
            .unwrap();
    let error = guard("prefetch", cache.prefetch()).await.unwrap_err();
    assert!(matches!(error, FetchError::Connect(_)), "{error:?}");
    assert!(matches!(
        cache.status().last_error,
        Some(FetchError::Connect(_))
    ));
}

/// K14: the endpoint is down when the process starts. Lookups fail closed at once; the
/// background task retries with backoff, and once the endpoint is up the keys arrive without
/// any lookup having to wait for them.
#[tokio::test]
async fn endpoint_down_at_start_recovers_in_the_background() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let key = common::key(0);
    let kid = key.kid().to_owned();
    let clock = ManualClock::new();
    let url = format!(
        "http://{addr}/{}/.well-known/jwks.json",
        tollgate_testkit::DEFAULT_POOL_ID
    );
    let cache = JwksCache::builder(JwksSource::url(&url).unwrap())
        .clock(clock.clone())
        .cooldown(Duration::from_secs(15))
        .build()
        .unwrap();

    let error = guard("prefetch", cache.prefetch()).await.unwrap_err();
    assert!(matches!(error, FetchError::Connect(_)), "{error:?}");
    let refused = cache
        .key(&kid)
        .now_or_never()
        .expect("fails closed at once");
    assert_eq!(refused.unwrap_err(), LookupError::KeysUnavailable);
    let status = cache.status();
    assert!(!status.is_usable);
    assert_eq!(status.key_count, 0);
    assert_eq!(status.cooldown_rejections, 1);

    let issuer: TestIssuer = TestIssuer::builder()
        .signing_key(key)
        .bind(addr)
        .start()
        .await
        .unwrap();
    let mut attempts = cache.subscribe();
    let next = cache.status().next_refresh_in.unwrap();
    assert!(next <= Duration::from_secs(1), "{next:?}");
    clock.advance(next);
    guard("background retry", attempts.changed()).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 1);
    let key = cache.key(&kid).now_or_never().expect("no wait");
    assert_eq!(key.unwrap().kid(), kid);
}
