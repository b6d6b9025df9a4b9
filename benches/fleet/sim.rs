//! A fleet of key caches against one issuer: N `JwksCache`s in one process (one per simulated
//! service instance), one real `TestIssuer` on loopback, one `ManualClock` for all of them.
//! Shared by `benches/fleet.rs` (N up to 10,000, prints the tables of BENCHMARKS.md) and
//! `tests/fleet.rs` (small N, asserts the counts and the formula).
//!
//! What is real: every cache is a `JwksCache` as a verifier builds it, with its background
//! refresher, jitter, cooldown, backoff and stale limit; every JWKS request is an HTTP request
//! that the test issuer counts. What is simulated: time (the clock moves one second per step;
//! a step ends when every fetch it caused has finished, so counts never depend on how fast the
//! machine is), and traffic (every `probe_every` seconds each instance looks up the `kid` of
//! every token in circulation; with a new signing key, every instance sees it in the first
//! second: the busy-fleet worst case). All caches share one HTTP/2 client (one connection, so
//! 10,000 instances do not need 10,000 sockets); the issuer cannot tell, and counts
//! requests, not connections.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;
use tollgate::jwks::reqwest;
use tollgate::jwks::{Clock, JwksCache, JwksSource, LookupError, ManualClock};
use tollgate_testkit::{JwksFault, SigningKey, TestIssuer};

/// Lookups or prefetches running at once (the rest wait their turn within the same second).
const CONCURRENCY: usize = 500;

/// What to simulate. Times are seconds since the fleet started (all instances prefetch at 0).
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) instances: usize,
    /// The issuer's `Cache-Control: max-age`, in seconds (the freshness lifetime).
    pub(crate) max_age: u64,
    pub(crate) refresh_jitter: f64,
    pub(crate) cooldown: Duration,
    pub(crate) max_stale: Duration,
    /// Every instance looks up every token `kid` in circulation this often (seconds).
    pub(crate) probe_every: u64,
    /// Key 1 published and signing at once; key 0 retired at `retire_0`.
    pub(crate) rotate_at_once: Option<u64>,
    pub(crate) retire_0: Option<u64>,
    /// Key 2 published at `publish_2`, signing from `sign_2`; key 1 retired at `retire_1`.
    pub(crate) publish_2: Option<u64>,
    pub(crate) sign_2: Option<u64>,
    pub(crate) retire_1: Option<u64>,
    /// The JWKS endpoint answers 503 from `outage.0` (inclusive) to `outage.1` (exclusive).
    pub(crate) outage: Option<(u64, u64)>,
    pub(crate) end: u64,
}

impl Plan {
    /// The full scenario for a fleet of `instances`, with freshness `max_age` seconds: an hour
    /// of steady state, a rotation signing at once, a rotation published one refresh ahead, a
    /// 10-minute outage and 15 minutes after it. With `max_age = 600` the times are round
    /// minutes: 60, 75, 85, 95, 105, 110–120, 135.
    pub(crate) fn full(instances: usize, max_age: u64) -> Self {
        let m = |minutes: u64| minutes * max_age / 10;
        Self {
            instances,
            max_age,
            refresh_jitter: tollgate::jwks::DEFAULT_REFRESH_JITTER,
            cooldown: tollgate::jwks::DEFAULT_COOLDOWN,
            max_stale: tollgate::jwks::DEFAULT_MAX_STALE,
            probe_every: 10,
            rotate_at_once: Some(m(60)),
            retire_0: Some(m(75)),
            publish_2: Some(m(85)),
            // One whole freshness lifetime after publishing: past every instance's next
            // refresh (at most 7/8 of it).
            sign_2: Some(m(95)),
            retire_1: Some(m(105)),
            outage: Some((m(110), m(110) + 600)),
            end: m(110) + 600 + 900,
        }
    }

    /// Start, steady state until `end`, nothing else.
    pub(crate) fn steady(instances: usize, max_age: u64, end: u64) -> Self {
        Self {
            rotate_at_once: None,
            retire_0: None,
            publish_2: None,
            sign_2: None,
            retire_1: None,
            outage: None,
            end,
            ..Self::full(instances, max_age)
        }
    }

    /// Steady state, then a 10-minute outage from `outage_at`, then 10 minutes more.
    pub(crate) fn outage(
        instances: usize,
        max_age: u64,
        outage_at: u64,
        max_stale: Duration,
    ) -> Self {
        Self {
            outage: Some((outage_at, outage_at + 600)),
            max_stale,
            end: outage_at + 1200,
            ..Self::steady(instances, max_age, 0)
        }
    }

    /// Steady-state JWKS requests per minute the design predicts: each instance refreshes on
    /// average every 3/4 of the freshness lifetime (the jitter is symmetric around it).
    pub(crate) fn predicted_per_minute(&self) -> f64 {
        self.instances as f64 * 60.0 / (0.75 * self.max_age as f64)
    }

    /// Fewest and most refreshes one instance can make in `seconds` of steady state: intervals
    /// are between `3/4 - jitter` and `3/4 + jitter` of the lifetime.
    pub(crate) fn refresh_bounds(&self, seconds: u64) -> (u64, u64) {
        let longest = self.max_age as f64 * (0.75 + self.refresh_jitter);
        let shortest = self.max_age as f64 * (0.75 - self.refresh_jitter);
        let fewest = (seconds as f64 / longest).floor() as u64;
        let most = (seconds as f64 / shortest).ceil() as u64;
        (fewest.saturating_sub(1), most + 1)
    }
}

/// What the issuer saw and what the instances answered.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// JWKS requests received in each second (index = second since start).
    pub(crate) per_second: Vec<u64>,
    /// Unknown-`kid` fetches, all instances.
    pub(crate) demand_fetches: u64,
    /// Lookups of a `kid` the issuer publishes (a valid token) that were refused.
    pub(crate) valid_refused: u64,
    /// ... of which `KeysUnavailable` (no usable set: past `max_stale`).
    pub(crate) valid_unavailable: u64,
    /// ... of those, outside the outage and the first `retry_max` after it.
    pub(crate) valid_refused_outside_outage: u64,
    pub(crate) valid_lookups: u64,
    /// Lookups of a retired key's `kid`: accepted (not refreshed yet) / refused.
    pub(crate) retired_accepted: u64,
    pub(crate) retired_refused: u64,
    /// Instances that refused a valid token for want of a usable set.
    pub(crate) instances_unusable: usize,
    /// Longest time from the end of the outage to an instance's first successful fetch
    /// (`None` if some instance had not recovered by the end).
    pub(crate) max_recovery: Option<Duration>,
    pub(crate) wall: Duration,
}

impl Report {
    /// Requests in `[from, to)` seconds.
    pub(crate) fn requests(&self, from: u64, to: u64) -> u64 {
        self.per_second
            .iter()
            .skip(from as usize)
            .take(to.saturating_sub(from) as usize)
            .sum()
    }

    /// Requests per minute over `[from, to)`.
    pub(crate) fn per_minute(&self, from: u64, to: u64) -> f64 {
        self.requests(from, to) as f64 * 60.0 / (to - from) as f64
    }

    /// Most requests in one second within `[from, to)`.
    pub(crate) fn peak(&self, from: u64, to: u64) -> u64 {
        self.per_second
            .iter()
            .skip(from as usize)
            .take(to.saturating_sub(from) as usize)
            .copied()
            .max()
            .unwrap_or(0)
    }
}

/// One simulated instance.
struct Instance {
    cache: JwksCache,
    attempts: watch::Receiver<u64>,
    /// Attempts already accounted for.
    seen: u64,
    /// When its background refresh or retry is due.
    due: Instant,
    /// Last success after the outage ended, as seconds since start.
    recovered_at: Option<u64>,
    unusable: bool,
}

/// Hang guard (real time): a fetch of this simulation never takes long.
async fn guard<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(120), future)
        .await
        .unwrap_or_else(|_| panic!("fleet simulation: {what} did not finish"))
}

fn key(index: usize) -> SigningKey {
    SigningKey::fixture(index).unwrap()
}

/// Runs `plan`. Must run inside a multi-threaded Tokio runtime.
pub(crate) async fn run(plan: &Plan) -> Report {
    let wall = Instant::now();
    let issuer = TestIssuer::builder()
        .signing_key(key(0))
        .start()
        .await
        .unwrap();
    issuer.set_jwks_cache_control(Some(&format!("max-age={}", plan.max_age)));
    let manual = ManualClock::new();
    let clock: Arc<dyn Clock> = Arc::new(manual.clone());
    let http = reqwest::Client::builder()
        .http2_prior_knowledge()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let source = JwksSource::url(&issuer.jwks_url()).unwrap();
    let mut fleet: Vec<Instance> = (0..plan.instances)
        .map(|i| {
            let cache = JwksCache::builder(source.clone())
                .http_client(http.clone())
                .shared_clock(Arc::clone(&clock))
                .jitter_seed(i as u64)
                .refresh_jitter(plan.refresh_jitter)
                .cooldown(plan.cooldown)
                .max_stale(plan.max_stale)
                // Real time: generous, so a busy machine never turns a fetch into a timeout.
                .fetch_timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            let attempts = cache.subscribe();
            Instance {
                cache,
                attempts,
                seen: 0,
                due: clock.now(),
                recovered_at: None,
                unusable: false,
            }
        })
        .collect();

    // Second 0: every instance starts and prefetches.
    let mut report = Report::default();
    let mut started = JoinSet::new();
    for chunk in fleet.chunks(CONCURRENCY) {
        for instance in chunk {
            let cache = instance.cache.clone();
            started.spawn(async move { cache.prefetch().await });
        }
        while let Some(result) = guard("prefetch", started.join_next()).await {
            result.unwrap().unwrap();
        }
    }
    let mut agenda: BTreeSet<(Instant, usize)> = BTreeSet::new();
    let recovery_from = plan.outage.map(|(_, to)| to);
    for (i, instance) in fleet.iter_mut().enumerate() {
        account(instance, &*clock, 0, None);
        agenda.insert((instance.due, i));
    }
    let mut counted = issuer.jwks_requests();
    report.per_second.push(counted);

    // Kids of tokens in circulation: (kid, still published).
    let mut tokens: Vec<(String, bool)> = vec![(key(0).kid().to_owned(), true)];
    let retry_max = Duration::from_secs(60);
    for t in 1..=plan.end {
        // The issuer's actions at second t happen before the caches' work of that second.
        let mut new_signer = false;
        if plan.rotate_at_once == Some(t) {
            issuer.rotate_to(key(1));
            tokens.push((key(1).kid().to_owned(), true));
            new_signer = true;
        }
        if plan.retire_0 == Some(t) {
            issuer.remove_key(key(0).kid());
            retire(&mut tokens, key(0).kid());
        }
        if plan.publish_2 == Some(t) {
            issuer.publish_key(key(2));
        }
        if plan.sign_2 == Some(t) {
            issuer.rotate_to(key(2));
            tokens.push((key(2).kid().to_owned(), true));
            new_signer = true;
        }
        if plan.retire_1 == Some(t) {
            issuer.remove_key(key(1).kid());
            retire(&mut tokens, key(1).kid());
        }
        if let Some((from, to)) = plan.outage {
            if t == from {
                // More 503s than the fleet can ask for in the outage (retries are at least
                // half a second apart per instance); cleared when it ends.
                let most = plan.instances * ((to - from) as usize * 2 + 16);
                issuer.fail_next_jwks(most, JwksFault::Status(503));
            }
            if t == to {
                issuer.clear_jwks_faults();
            }
        }

        manual.advance(Duration::from_secs(1));
        let now = clock.now();
        // Every refresh or retry that fell due finishes before the second ends.
        while let Some(&(due, i)) = agenda.first() {
            if due > now {
                break;
            }
            agenda.pop_first();
            let instance = &mut fleet[i];
            let seen = instance.seen;
            guard(
                "background fetch",
                instance.attempts.wait_for(|n| *n > seen),
            )
            .await
            .unwrap();
            account(instance, &*clock, t, recovery_from);
            agenda.insert((instance.due, i));
        }

        // Traffic: every instance sees every token in circulation.
        if t % plan.probe_every == 0 || new_signer {
            let outcomes = probe(&fleet, &tokens).await;
            for (i, lookups) in outcomes.into_iter().enumerate() {
                for (valid, result) in lookups {
                    match (valid, result) {
                        (true, Ok(())) => report.valid_lookups += 1,
                        (true, Err(error)) => {
                            report.valid_lookups += 1;
                            report.valid_refused += 1;
                            if error == LookupError::KeysUnavailable {
                                report.valid_unavailable += 1;
                                fleet[i].unusable = true;
                            }
                            let in_outage = plan.outage.is_some_and(|(from, to)| {
                                t >= from && t <= to + retry_max.as_secs()
                            });
                            if !in_outage {
                                report.valid_refused_outside_outage += 1;
                            }
                        }
                        (false, Ok(())) => report.retired_accepted += 1,
                        (false, Err(_)) => report.retired_refused += 1,
                    }
                }
                // A lookup may have fetched (a new kid): account for it.
                let instance = &mut fleet[i];
                if *instance.attempts.borrow() > instance.seen {
                    agenda.remove(&(instance.due, i));
                    account(instance, &*clock, t, recovery_from);
                    agenda.insert((instance.due, i));
                }
            }
        }
        let total = issuer.jwks_requests();
        report.per_second.push(total - counted);
        counted = total;
    }

    report.demand_fetches = fleet
        .iter()
        .map(|i| i.cache.status().unknown_kid_refetches)
        .sum();
    if let Some((_, to)) = plan.outage {
        report.instances_unusable = fleet.iter().filter(|i| i.unusable).count();
        // `None` unless every instance recovered.
        report.max_recovery = fleet
            .iter()
            .map(|i| i.recovered_at.map(|at| Duration::from_secs(at - to)))
            .collect::<Option<Vec<_>>>()
            .and_then(|times| times.into_iter().max());
    }
    for instance in &fleet {
        instance.cache.shutdown();
    }
    report.wall = wall.elapsed();
    report
}

/// Notes the attempts `instance` made, when its next background fetch is due, and (after
/// the outage ended at `recovery_from`) its first success.
fn account(instance: &mut Instance, clock: &dyn Clock, t: u64, recovery_from: Option<u64>) {
    instance.seen = *instance.attempts.borrow_and_update();
    let status = instance.cache.status();
    let next = status
        .next_refresh_in
        .expect("a cache that fetched has a next refresh");
    instance.due = clock.now() + next;
    if let Some(end) = recovery_from
        && t >= end
        && instance.recovered_at.is_none()
        && status.consecutive_failures == 0
    {
        instance.recovered_at = Some(t);
    }
}

fn retire(tokens: &mut [(String, bool)], kid: &str) {
    for (token_kid, published) in tokens.iter_mut() {
        if token_kid == kid {
            *published = false;
        }
    }
}

type Lookups = Vec<(bool, Result<(), LookupError>)>;

/// Every instance looks up every token kid; cached keys answer at once, misses run
/// `CONCURRENCY` at a time.
async fn probe(fleet: &[Instance], tokens: &[(String, bool)]) -> Vec<Lookups> {
    let mut outcomes: Vec<Lookups> = vec![Vec::new(); fleet.len()];
    let mut misses = Vec::new();
    for (i, instance) in fleet.iter().enumerate() {
        for (kid, published) in tokens {
            if instance.cache.cached_key(kid).is_some() {
                outcomes[i].push((*published, Ok(())));
            } else {
                misses.push((i, kid.clone(), *published));
            }
        }
    }
    for chunk in misses.chunks(CONCURRENCY) {
        let mut lookups = JoinSet::new();
        for (i, kid, published) in chunk.iter().cloned() {
            let cache = fleet[i].cache.clone();
            lookups.spawn(async move { (i, published, cache.key(&kid).await.map(|_| ())) });
        }
        while let Some(result) = guard("lookup", lookups.join_next()).await {
            let (i, published, result) = result.unwrap();
            outcomes[i].push((published, result));
        }
    }
    outcomes
}
