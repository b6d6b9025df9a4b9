//! HTTP load on the demo API (`examples/common/orders_api.rs`): requests per second of the
//! unauthenticated `GET /health` against the authenticated `GET /whoami`, with one repeated
//! token, with thousands of distinct tokens (cycled), and with tokens never seen before. A
//! `GET /ping` route added by the bench (the auth layer in front of a handler answering "ok")
//! separates the layer's cost from the demo handler's.
//!
//! ```text
//! cargo bench --bench http_load
//! LOAD_SECONDS=5 LOAD_ROUNDS=5 cargo bench --bench http_load     # longer
//! ```
//!
//! The server is this executable started again as a child process (`LOAD_ROLE=orders-api`):
//! a tokio runtime with `LOAD_WORKERS` worker threads (default 1) serving
//! `orders_api::router(verifier)`, with a verifier on a static key set (the same
//! Cognito-shaped token and key as `benches/verify.rs`), pinned to CPU 0. The load generator
//! (`benches/load/mod.rs`) runs here, pinned to CPU 1. Every measurement starts a fresh server
//! (empty token cache). The order of the workloads rotates every round; ratios are the median
//! of per-round ratios. Settings: see `load::Config` (`LOAD_CONNECTIONS`, `LOAD_SECONDS`,
//! `LOAD_ROUNDS`, `LOAD_WORKERS`, `LOAD_PIN`, `LOAD_TOKENS`, `LOAD_UNIQUE`).
//!
//! Every request carries the same `Authorization` header size (health checks too), so the
//! difference between the routes is the verification and the handler.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod load;
#[allow(dead_code, unreachable_pub)]
#[path = "../examples/common/orders_api.rs"]
mod orders_api;

use load::{Config, Results, Workload};

const ROLE: &str = "orders-api";

fn serve() {
    let workers = std::env::var("LOAD_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let cache = std::env::var("LOAD_TOKEN_CACHE").map_or(true, |v| v != "0");
    load::server_runtime(workers).block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let key = common::key();
        let verifier = common::verifier(&key, cache);
        // `/ping` (not part of the demo API): the same auth layer in front of a handler that
        // answers "ok", to tell tollgate's cost apart from the demo handler's.
        let ping = axum::Router::new()
            .route("/ping", axum::routing::get(|| async { "ok" }))
            .layer(tollgate::AuthLayer::new(verifier.clone()));
        let app = orders_api::router(verifier).merge(ping);
        load::announce(listener.local_addr().unwrap());
        axum::serve(listener, app).await.unwrap();
    });
}

fn main() {
    let paths = common::cpu_paths();
    if std::env::var(load::ROLE).is_ok() {
        serve();
        return;
    }
    let config = Config::from_env(3.0);
    println!("# HTTP load: the demo API (orders_api), 1 server process per measurement");
    println!("cpu: {}; code paths: {paths}", common::cpu_class());
    println!(
        "command: {} cargo bench --bench http_load",
        config.describe()
    );
    let load::Requests {
        health,
        repeated,
        pool,
        unique,
    } = load::prepare(&config, "server");

    type ServerVars = Vec<(&'static str, String)>;
    let workloads: Vec<(&str, Workload, ServerVars)> = vec![
        (
            "GET /health (no auth)",
            Workload::cycle(vec![health.clone()]),
            vec![],
        ),
        (
            "GET /whoami, 1 repeated token",
            Workload::cycle(vec![repeated]),
            vec![],
        ),
        (
            "GET /ping (auth layer, handler answers ok), 1 repeated token",
            Workload::cycle(vec![load::get(
                "/ping",
                Some(&common::token(&common::key())),
            )]),
            vec![],
        ),
        (
            "GET /whoami, distinct tokens (cycled)",
            Workload::cycle(pool),
            vec![],
        ),
        (
            "GET /whoami, unique tokens (each once)",
            Workload::once(unique.clone()),
            vec![],
        ),
        (
            "GET /whoami, unique tokens, cache off",
            Workload::once(unique),
            vec![("LOAD_TOKEN_CACHE", "0".to_owned())],
        ),
    ];
    println!(
        "workloads: distinct = {} tokens cycled over all connections (each first use is a \
         miss); unique = up to {} tokens, each sent once",
        config.pool, config.unique
    );
    println!();

    let mut results = Results::new(config.rounds);
    for round in 0..config.rounds {
        for k in 0..workloads.len() {
            let (label, workload, vars) = &workloads[(k + round) % workloads.len()];
            let stats = load::measure(ROLE, vars, &health, workload, &config);
            println!("{}", load::line(round + 1, label, &stats));
            results.record(label, round, stats);
        }
    }

    let base = workloads[0].0;
    println!();
    println!(
        "{} rounds × {} s per measurement, {} connections; loadavg now {}; foreign build \
         processes now: {}",
        config.rounds,
        config.seconds,
        config.connections,
        load::loadavg(),
        load::foreign_builds().len()
    );
    println!();
    print!(
        "{}",
        results.table(|label| (label != base).then(|| base.to_owned()), false)
    );
    println!();
    let repeated = workloads[1].0;
    let ratio = results.ratio(repeated, base);
    println!(
        "target: repeated token, protected >= 0.90x unprotected req/s: {ratio:.3}  [{}]",
        if ratio >= 0.90 { "met" } else { "MISSED" }
    );
    println!(
        "(server CPU per request, /health over /whoami repeated: {:.3}; the client's core \
         limits the rate when 'client busy' is near 100%)",
        results.cpu_ratio(repeated, base)
    );
    let ping = workloads[2].0;
    println!(
        "(where the difference goes: /ping over /health {:.3} req/s, {:.3} by server CPU: the \
         auth layer with a trivial handler; /whoami over /ping {:.3} req/s, {:.3} by server \
         CPU: the demo handler)",
        results.ratio(ping, base),
        results.cpu_ratio(ping, base),
        results.ratio(repeated, ping),
        results.cpu_ratio(repeated, ping)
    );
    let (on, off) = (workloads[4].0, workloads[5].0);
    let ratio = results.ratio(on, off);
    println!(
        "target: unique tokens, cache on >= 0.95x cache off req/s (admission rule): {ratio:.3}  \
         [{}] (server CPU per request, off over on: {:.3})",
        if ratio >= 0.95 { "met" } else { "MISSED" },
        results.cpu_ratio(on, off)
    );
}
