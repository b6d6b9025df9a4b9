//! What a fleet costs its issuer (issue 9), at a size a test can afford: the simulation of
//! `benches/fleet.rs` (same code) with 20 instances and a one-minute freshness lifetime,
//! checked against the formula of BENCHMARKS.md; and, through the layer over HTTP, what an
//! outage longer than `max_stale` looks like to clients.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../benches/fleet/sim.rs"]
#[allow(dead_code)]
mod sim;

/// The router of `examples/resource_server.rs` and `examples/quickstart.rs`, as shipped.
#[path = "../examples/common/orders_api.rs"]
mod orders_api;

use std::time::Duration;

use tollgate::jwks::{Clock, ManualClock};
use tollgate::{Issuer, Verifier};
use tollgate_testkit::{DEFAULT_CLIENT_ID, JwksFault, SigningKey, TestIssuer};

const INSTANCES: usize = 20;
const MAX_AGE: u64 = 60;
/// The default retry backoff's cap.
const RETRY_MAX: Duration = Duration::from_secs(60);

/// Steady state, two rotations, a 10-minute outage within `max_stale`: the issuer sees the
/// start-up prefetches, refreshes at the formula's rate, one fetch per instance for the
/// rotation that signs at once, none for the one published ahead or for retired keys, and
/// backed-off retries in the outage; no instance refuses a valid token; all recover within one
/// retry after the issuer returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_fleet_costs_the_issuer_what_the_formula_says() {
    let plan = sim::Plan::full(INSTANCES, MAX_AGE);
    let report = sim::run(&plan).await;
    let n = INSTANCES as u64;
    println!("{report:?}");

    // Start: one prefetch per instance.
    assert_eq!(report.per_second[0], n);

    // Steady state (minutes 20 to 60 of the scaled timeline): every instance refreshes every
    // 5/8 to 7/8 of the lifetime, so the count is within hard bounds, and its rate is the
    // formula's N x 60 / (0.75 x max-age) per minute.
    let (from, to) = (MAX_AGE * 2, MAX_AGE * 6);
    let (fewest, most) = plan.refresh_bounds(to - from);
    let steady = report.requests(from, to);
    assert!(
        steady >= fewest * n && steady <= most * n,
        "{steady} not in [{}, {}]",
        fewest * n,
        most * n
    );
    let rate = report.per_minute(from, to);
    let predicted = plan.predicted_per_minute();
    assert!(
        (rate / predicted - 1.0).abs() < 0.2,
        "{rate:.1}/min against {predicted:.1}/min"
    );

    // Rotation signing at once: exactly one fetch per instance, all in the first second (an
    // unknown-kid fetch, or the scheduled refresh of an instance that was due in that very
    // second); published ahead: none; retired keys: none. Those are all the unknown-kid
    // fetches.
    let rotation = plan.rotate_at_once.unwrap();
    assert_eq!(report.requests(rotation, rotation + 1), n);
    assert!(
        report.demand_fetches <= n && report.demand_fetches >= n - n / 4,
        "{}",
        report.demand_fetches
    );
    let sign_2 = plan.sign_2.unwrap();
    assert!(report.requests(sign_2, sign_2 + 1) < n / 2, "no fetch wave");
    assert!(report.retired_refused > 0);
    assert!(report.retired_accepted > 0, "until each instance's refresh");

    // No valid token refused, ever (the outage is within max_stale).
    assert!(report.valid_lookups > 0);
    assert_eq!(report.valid_refused, 0);
    assert_eq!(report.instances_unusable, 0);

    // The outage: backed-off retries only (at most one per half-second growing to one per 30
    // to 60 s per instance), then every instance back within one retry.
    let (down, up) = plan.outage.unwrap();
    let in_outage = report.requests(down, up);
    assert!(in_outage >= n, "every instance retried");
    assert!(in_outage <= 27 * n, "{in_outage}");
    let recovery = report.max_recovery.expect("every instance recovered");
    assert!(recovery <= RETRY_MAX, "{recovery:?}");
}

/// An outage longer than freshness + `max_stale`: instances refuse valid tokens (for want of
/// keys, never as unknown) only while it lasts and until their next retry after it, never
/// fetch on demand meanwhile, and all recover within one retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_beyond_max_stale_refuses_only_while_it_lasts() {
    let plan = sim::Plan::outage(INSTANCES, MAX_AGE, 300, Duration::from_secs(60));
    let report = sim::run(&plan).await;
    println!("{report:?}");
    let n = INSTANCES as u64;
    assert_eq!(report.instances_unusable, INSTANCES);
    assert!(report.valid_unavailable > 0);
    assert_eq!(
        report.valid_refused, report.valid_unavailable,
        "never UnknownKid"
    );
    assert_eq!(report.valid_refused_outside_outage, 0);
    assert_eq!(report.demand_fetches, 0);
    let (down, up) = plan.outage.unwrap();
    assert!(report.requests(down, up) <= 27 * n);
    let recovery = report.max_recovery.expect("every instance recovered");
    assert!(recovery <= RETRY_MAX, "{recovery:?}");
}

/// The same through the layer over HTTP: past freshness + `max_stale` a valid token is
/// answered 503 with `Retry-After` (not 401: the client did nothing wrong); once the issuer is
/// back, the next retry (at most `retry_max` later) restores service with one request.
#[tokio::test]
async fn outage_beyond_max_stale_is_503_with_retry_after_then_recovers() {
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    issuer.set_jwks_cache_control(Some("max-age=60"));
    let clock = ManualClock::new();
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .clock(clock.clone())
        .configure_keys(|keys| keys.max_stale(Duration::from_secs(60)))
        .build()
        .await
        .unwrap();
    let keys = verifier.keys(&issuer.issuer_url()).unwrap().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, orders_api::router(verifier))
            .await
            .unwrap();
    });
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let whoami = async |clock: &ManualClock| {
        let now = clock.unix_now().as_secs();
        let token = issuer
            .token_builder(DEFAULT_CLIENT_ID, &["orders/read"])
            .issued_at(now)
            .expires_at(now + 3600)
            .sign(&SigningKey::fixture(0).unwrap())
            .unwrap();
        http.get(format!("http://{addr}/whoami"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    };
    assert_eq!(whoami(&clock).await.status(), 200);

    // The issuer goes down; background retries fail until the set is past max_stale.
    issuer.fail_next_jwks(10_000, JwksFault::Status(503));
    let mut attempts = keys.subscribe();
    while keys.status().is_usable {
        attempts.borrow_and_update();
        let next = keys.status().next_refresh_in.unwrap();
        let usable_for = Duration::from_secs(120).saturating_sub(keys.status().age.unwrap());
        if next > usable_for {
            // The set goes unusable before the next retry.
            clock.advance(usable_for + Duration::from_secs(1));
            break;
        }
        clock.advance(next);
        tokio::time::timeout(Duration::from_secs(10), attempts.changed())
            .await
            .unwrap()
            .unwrap();
    }
    assert!(!keys.status().is_usable);
    let answer = whoami(&clock).await;
    assert_eq!(answer.status(), 503);
    let retry_after: u64 = answer.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    assert!(answer.headers().get("www-authenticate").is_none());
    let before = issuer.jwks_requests();
    // Refused at once: no fetch on demand while backing off.
    assert_eq!(whoami(&clock).await.status(), 503);
    assert_eq!(issuer.jwks_requests(), before);

    // The issuer is back: the next retry (never more than retry_max away) restores service.
    issuer.clear_jwks_faults();
    let next = keys.status().next_refresh_in.unwrap();
    assert!(next <= RETRY_MAX, "{next:?}");
    attempts.borrow_and_update();
    clock.advance(next);
    tokio::time::timeout(Duration::from_secs(10), attempts.changed())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issuer.jwks_requests(), before + 1);
    assert_eq!(whoami(&clock).await.status(), 200);
    assert!(keys.status().is_fresh);
    server.abort();
}
