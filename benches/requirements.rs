//! Claim requirements against scope requirements, per request through the whole stack
//! (`AuthLayer` with a cached token, then the route guard, then the inner service):
//!
//! ```text
//! cargo bench --bench requirements -- --noplot
//! ```
//!
//! Cases (the 1.2 KB Cognito user token of `benches/common`, scopes `orders/read orders/write
//! aws.cognito.signin.user.admin`, `cognito:groups` `["admin", "ops"]`):
//!
//! - `auth_only`: the layer without a guard (what every guard adds to);
//! - `scope_route`: `RequireScopesLayer::any(["orders/write"])`, the baseline;
//! - `two_group_route`: `RequireLayer::new(Requirement::claim("cognito:groups").any(["analysts",
//!   "ops"]))` (issue 11's case; the token holds the second group);
//! - `two_group_all_route`: `.all(["admin", "ops"])`;
//! - `scope_or_group_route`: `scopes_any(["orders/admin"]).or(claim("cognito:groups")
//!   .any(["ops"]))` (the scope alternative fails first);
//! - `nested_role_route`: `claim("realm_access.roles").any(["orders-reader"])` on the same token
//!   with a Keycloak-style `realm_access` claim added.
//!
//! After criterion, an interleaved run (`REQ_ROUNDS` rounds, default 9, order rotated, ~20 ms
//! batches) prints each case as the median of its per-round ratios to `scope_route`; the
//! target is `two_group_route` within 5 % of it.
//!
//! `REQ_PROFILE=<case> REQ_ITERS=<n>` runs one case `n` times in the function `profiled` and
//! exits, for instruction counts that do not depend on the machine's load:
//!
//! ```text
//! for c in scope_route two_group_route auth_only; do
//!   REQ_PROFILE=$c REQ_ITERS=10000 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --collect-atstart=no --toggle-collect='*profiled*' target/release/deps/requirements-<hash> \
//!     2>&1 | grep refs; done
//! ```
//!
//! (instructions divided by 10,000: the cost of one request; `valgrind --tool=dhat` the same way
//! counts the allocations).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::convert::Infallible;
use std::fmt::Debug;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::Criterion;
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::Empty;
use tollgate::{AuthLayer, RequireLayer, RequireScopesLayer, Requirement, VerifiedToken};
use tower::{Layer as _, Service, ServiceExt as _};

/// Polls a future that must be ready at once (a cached token and a guard need no I/O).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future waited: this path was expected to need no I/O"),
    }
}

type InnerResponse = Response<Empty<Bytes>>;

/// The inner service: 200 if the layer left a verified token, 500 if not.
fn inner(request: Request<()>) -> std::future::Ready<Result<InnerResponse, Infallible>> {
    let mut response = Response::new(Empty::new());
    if request.extensions().get::<VerifiedToken>().is_none() {
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    }
    std::future::ready(Ok(response))
}

fn request(authorization: &HeaderValue) -> Request<()> {
    let mut request = Request::new(());
    *request.uri_mut() = Uri::from_static("/reports");
    request
        .headers_mut()
        .insert(AUTHORIZATION, authorization.clone());
    request
}

fn status<S, B>(service: &S, request: Request<()>) -> StatusCode
where
    S: Service<Request<()>, Response = Response<B>> + Clone,
    S::Error: Debug,
{
    ready(service.clone().oneshot(request)).unwrap().status()
}

struct Case {
    name: &'static str,
    run: Box<dyn Fn() -> StatusCode>,
}

/// A case: `service` (the whole stack) called with `token`; checked to answer 200.
fn case<S, B>(name: &'static str, token: &str, service: S) -> Case
where
    S: Service<Request<()>, Response = Response<B>> + Clone + 'static,
    S::Error: Debug,
{
    let value = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    let run = move || status(&service, request(&value));
    assert_eq!(run(), StatusCode::OK, "{name}");
    Case {
        name,
        run: Box::new(run),
    }
}

fn cases() -> Vec<Case> {
    let key = common::key();
    let token = common::token(&key);
    let keycloak = common::builder(common::now(), "c0ffee00-1111-2222-3333-444455557777")
        .claim(
            "realm_access",
            serde_json::json!({ "roles": ["offline_access", "orders-reader"] }),
        )
        .sign(&key)
        .unwrap();
    let auth = || AuthLayer::new(common::verifier(&key, true));
    let service = || tower::service_fn(inner);
    let require = |requirement: Requirement| RequireLayer::new(requirement).layer(service());
    vec![
        case(
            "scope_route",
            &token,
            auth().layer(RequireScopesLayer::any(["orders/write"]).layer(service())),
        ),
        case(
            "two_group_route",
            &token,
            auth().layer(require(
                Requirement::claim("cognito:groups").any(["analysts", "ops"]),
            )),
        ),
        case("auth_only", &token, auth().layer(service())),
        case(
            "two_group_all_route",
            &token,
            auth().layer(require(
                Requirement::claim("cognito:groups").all(["admin", "ops"]),
            )),
        ),
        case(
            "scope_or_group_route",
            &token,
            auth().layer(require(
                Requirement::scopes_any(["orders/admin"])
                    .or(Requirement::claim("cognito:groups").any(["ops"])),
            )),
        ),
        case(
            "nested_role_route",
            &keycloak,
            auth().layer(require(
                Requirement::claim("realm_access.roles").any(["orders-reader"]),
            )),
        ),
    ]
}

fn criterion_benches(c: &mut Criterion, cases: &[Case]) {
    let mut group = c.benchmark_group("requirements");
    for case in cases {
        let run = &case.run;
        group.bench_function(case.name, |b| {
            b.iter(|| assert_eq!(run(), StatusCode::OK));
        });
    }
    group.finish();
}

/// Nanoseconds per call over a batch of `n`.
fn time_batch(case: &Case, n: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        black_box((case.run)());
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn interleaved(cases: &[Case], rounds: usize) {
    let sizes: Vec<u32> = cases
        .iter()
        .map(|case| {
            let ns = time_batch(case, 2_000).max(1.0);
            ((20e6 / ns) as u32).clamp(2_000, 2_000_000)
        })
        .collect();
    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        let mut this_round = vec![0.0; cases.len()];
        for k in 0..cases.len() {
            let i = (k + round) % cases.len();
            this_round[i] = time_batch(&cases[i], sizes[i]);
        }
        for (i, &t) in this_round.iter().enumerate() {
            ns[i].push(t);
            // cases[0] is `scope_route`, the baseline.
            ratios[i].push(t / this_round[0]);
        }
    }
    println!();
    println!(
        "interleaved: {rounds} rounds, every case in turn (order rotated), ~20 ms batches; \
         loadavg {}",
        loadavg()
    );
    println!(
        "| case | median ns/request | best ns/request | × scope_route (median of per-round ratios) |"
    );
    println!("|---|---:|---:|---:|");
    let mut medians = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let best = ns[i].iter().copied().fold(f64::INFINITY, f64::min);
        let m = common::median(&mut ns[i]);
        let r = common::median(&mut ratios[i]);
        medians.push(r);
        println!("| {} | {m:.0} | {best:.0} | {r:.3} |", case.name);
    }
    let two_group = medians[1];
    println!();
    println!(
        "target two-group route within 5% of the scope route: {two_group:.3}x  [{}]",
        if two_group <= 1.05 { "met" } else { "MISSED" }
    );
}

/// The requests of `REQ_PROFILE` (the only function callgrind collects with
/// `--toggle-collect='*profiled*'`, so set-up costs nothing in the count).
#[inline(never)]
fn profiled(case: &Case, iters: u64) {
    for _ in 0..iters {
        black_box((case.run)());
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--test" || a == "--list");
    let cases = cases();

    if let Ok(name) = std::env::var("REQ_PROFILE") {
        let case = cases.iter().find(|c| c.name == name).unwrap();
        let iters: u64 = std::env::var("REQ_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        profiled(case, iters);
        println!("{name}: {iters} requests");
        return;
    }

    println!("loadavg before: {}", loadavg());
    let mut criterion = Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    criterion_benches(&mut criterion, &cases);
    criterion.final_summary();
    if !quick {
        let rounds = std::env::var("REQ_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(9);
        interleaved(&cases, rounds);
    }
    println!("loadavg after: {}", loadavg());
}
