//! What a fleet of tollgate instances costs its issuer: N = 10, 100, 1,000 and 10,000 key caches
//! in one process against one test issuer, through steady state, two key rotations and a
//! 10-minute outage, with simulated time (see `benches/fleet/sim.rs` for what is real and what
//! is simulated). Prints the tables of BENCHMARKS.md. Counts, not timings: the results do not
//! depend on how busy the machine is (only the wall time does).
//!
//! ```text
//! cargo bench --bench fleet                  # N = 10, 100, 1000, 10000 (~2–5 min)
//! FLEET_SIZES=10,100 cargo bench --bench fleet
//! ```

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fleet/sim.rs"]
#[allow(dead_code)] // shared with tests/fleet.rs, which uses more of it
mod sim;

use std::time::Duration;

use sim::{Plan, Report};

/// The issuer's freshness lifetime (`Cache-Control: max-age`), as the caches' default.
const MAX_AGE: u64 = 600;

fn sizes() -> Vec<usize> {
    std::env::var("FLEET_SIZES")
        .ok()
        .map(|v| v.split(',').map(|n| n.trim().parse().unwrap()).collect())
        .unwrap_or_else(|| vec![10, 100, 1_000, 10_000])
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run a tiny fleet.
    let bench = std::env::args().any(|a| a == "--bench");
    let sizes = if bench { sizes() } else { vec![10] };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("loadavg before: {}", loadavg());
    println!(
        "freshness {MAX_AGE} s (refresh at 5/8..7/8 of it), cooldown 15 s, retries 1 s doubling to 60 s"
    );

    println!();
    println!("## Full run: steady state, rotations, a 10-minute outage (max_stale 1 h)");
    println!();
    println!(
        "| N | start (req in second 0) | steady req/min, measured | formula N×60/(0.75×600) | steady peak req/s | rotation, signing at once: req in its first second | of which unknown-kid fetches | rotation published ahead: req in its first second | outage req/min (peak req/s) | valid lookups refused / made | recovery after the outage | wall |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        let plan = Plan::full(n, MAX_AGE);
        let report = runtime.block_on(sim::run(&plan));
        full_row(&plan, &report);
    }

    println!();
    println!("## Without jitter (refresh_jitter(0.0)): the same fleet, steady state only");
    println!();
    println!(
        "| N | steady req/min | steady peak req/s | seconds with any request, minutes 20–60 | wall |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        let mut plan = Plan::steady(n, MAX_AGE, 3600);
        plan.refresh_jitter = 0.0;
        let report = runtime.block_on(sim::run(&plan));
        let busy = report
            .per_second
            .iter()
            .skip(1200)
            .take(2400)
            .filter(|r| **r > 0)
            .count();
        println!(
            "| {n} | {:.1} | {} | {busy} of 2400 | {:.1} s |",
            report.per_minute(1200, 3600),
            report.peak(1200, 3600),
            report.wall.as_secs_f64()
        );
    }

    println!();
    println!("## A 10-minute outage outlasting max_stale (max_stale 1 min)");
    println!();
    println!(
        "| N | instances that refused valid tokens | valid lookups refused (all `KeysUnavailable`, all in the outage or its first minute after) | refused outside | outage req/min | recovery after the issuer returns, max | wall |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        let plan = Plan::outage(n, MAX_AGE, 1800, Duration::from_secs(60));
        let report = runtime.block_on(sim::run(&plan));
        let (down, up) = plan.outage.unwrap();
        println!(
            "| {n} | {} | {} of {} | {} | {:.1} | {} | {:.1} s |",
            report.instances_unusable,
            report.valid_unavailable,
            report.valid_lookups,
            report.valid_refused_outside_outage,
            report.per_minute(down, up),
            recovery(&report),
            report.wall.as_secs_f64()
        );
        assert_eq!(report.valid_refused_outside_outage, 0);
        assert_eq!(report.valid_refused, report.valid_unavailable);
    }
    println!();
    println!("loadavg after: {}", loadavg());
}

fn recovery(report: &Report) -> String {
    report
        .max_recovery
        .map_or("not all".to_owned(), |d| format!("{} s", d.as_secs()))
}

fn full_row(plan: &Plan, report: &Report) {
    let n = plan.instances;
    let (from, to) = (1200, 3600);
    let rotation = plan.rotate_at_once.unwrap();
    let sign_2 = plan.sign_2.unwrap();
    let (down, up) = plan.outage.unwrap();
    println!(
        "| {n} | {} | {:.1} | {:.1} | {} | {} | {} | {} | {:.1} ({}) | {} / {} | {} | {:.1} s |",
        report.per_second[0],
        report.per_minute(from, to),
        plan.predicted_per_minute(),
        report.peak(from, to),
        report.requests(rotation, rotation + 1),
        report.demand_fetches,
        report.requests(sign_2, sign_2 + 1),
        report.per_minute(down, up),
        report.peak(down, up),
        report.valid_refused,
        report.valid_lookups,
        recovery(report),
        report.wall.as_secs_f64()
    );
    assert_eq!(report.valid_refused, 0, "a valid token was refused");
    assert!(report.demand_fetches <= n as u64);
    assert_eq!(report.requests(rotation, rotation + 1), n as u64);
}
