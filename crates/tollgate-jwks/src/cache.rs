//! The key cache: lock-free lookups of an immutable snapshot, single-flight and rate-limited
//! refetches, background refresh ahead of expiry, and a bounded stale-if-error window.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;

use futures_util::FutureExt as _;
use futures_util::future::Shared;
use tokio::sync::{Notify, watch};
use url::Url;

use crate::fetcher::{FetchOutcome, Fetcher, PemOutcome, Validators};
use crate::jwk::SkippedKey;
use crate::policy::CachePolicy;
use crate::source::SourceKind;
use crate::{
    ALB_KID_FETCHES_PER_COOLDOWN, CacheStatus, Clock, FetchError, KeySet, KeySetOptions,
    LookupError, UrlError, VerifyingKey, is_plain_kid,
};

type FlightFuture = Pin<Box<dyn Future<Output = Result<(), FetchError>> + Send>>;
type Flight = Shared<FlightFuture>;

/// A cache of the verification keys of one issuer.
///
/// Cloning is cheap and clones share everything. Background work (refresh ahead of expiry,
/// retries) stops when the last clone is dropped or [`JwksCache::shutdown`] is called.
///
/// See the [crate documentation](crate) for the policy and an example.
#[derive(Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    source: SourceKind,
    allow_http: bool,
    fetcher: Option<Fetcher>,
    options: KeySetOptions,
    policy: CachePolicy,
    clock: Arc<dyn Clock>,
    /// The `issuer` label of metrics and log events.
    label: Arc<str>,
    snapshot: ArcSwapOption<Snapshot>,
    state: Mutex<State>,
    /// The fetch in flight, tagged with its id (so that only that fetch clears the slot) and
    /// with what started it.
    flight: Mutex<Option<Running>>,
    flight_ids: AtomicU64,
    stats: Stats,
    /// Jitter of refresh times and retry delays.
    rng: Mutex<fastrand::Rng>,
    wake: Arc<Notify>,
    shutdown: Arc<Notify>,
    refresher_started: AtomicBool,
    events: watch::Sender<u64>,
}

/// How many `kid`s removed by the issuer a cache remembers (the most recent ones).
const MAX_RETIRED_KIDS: usize = 64;

struct Snapshot {
    keys: KeySet,
    /// `kid`s that earlier sets had and this one does not, most recent last: tokens naming them
    /// were signed by a retired key, and fetching again for them would be wasted.
    retired: Arc<[Box<str>]>,
    fetched_at: Instant,
    /// `None` for static sets, which never go stale.
    fresh_until: Option<Instant>,
    usable_until: Option<Instant>,
}

impl Snapshot {
    fn is_usable(&self, now: Instant) -> bool {
        self.usable_until.is_none_or(|until| now <= until)
    }

    fn is_fresh(&self, now: Instant) -> bool {
        self.fresh_until.is_none_or(|until| now <= until)
    }
}

/// The fetch in flight: its id, what started it, the `kid` it fetches (ALB sources fetch one
/// key per `kid`; `None`: the whole set, or every known ALB key), and the shared future.
struct Running {
    id: u64,
    trigger: Trigger,
    target: Option<Box<str>>,
    flight: Flight,
}

#[derive(Default)]
struct State {
    jwks_url: Option<Url>,
    validators: Validators,
    /// When the last on-demand fetch (unknown `kid`, missing keys) started: the cooldown
    /// counts from here, and from nothing else.
    last_demand: Option<Instant>,
    last_success: Option<Instant>,
    last_error: Option<FetchError>,
    consecutive_failures: u32,
    next_refresh: Option<Instant>,
    /// ALB sources: the on-demand fetches of the current cooldown window, by `kid`.
    alb_attempts: Vec<(Box<str>, Instant)>,
}

#[derive(Default)]
struct Stats {
    fetches: AtomicU64,
    failures: AtomicU64,
    not_modified: AtomicU64,
    unknown_kid_refetches: AtomicU64,
    cooldown_rejections: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// First fetch, or the set went past its stale limit.
    MissingKeys,
    /// A token named a `kid` the usable set does not have.
    UnknownKid,
    /// Scheduled refresh or retry.
    Background,
    /// [`JwksCache::refresh`] or [`JwksCache::prefetch`].
    Explicit,
}

impl Trigger {
    /// Whether a lookup asked for this fetch (it then starts the cooldown).
    fn is_on_demand(self) -> bool {
        matches!(self, Self::MissingKeys | Self::UnknownKid)
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::MissingKeys => "missing_keys",
            Self::UnknownKid => "unknown_kid",
            Self::Background => "background",
            Self::Explicit => "explicit",
        }
    }
}

enum Decision {
    Found(Arc<VerifyingKey>),
    /// Wait for this fetch; `on_demand` tells whether a lookup started it.
    Wait {
        flight: Flight,
        on_demand: bool,
    },
    Reject(LookupError),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything a cache is made of, from the builder.
pub(crate) struct CacheParts {
    pub(crate) source: SourceKind,
    pub(crate) allow_http: bool,
    pub(crate) fetcher: Option<Fetcher>,
    pub(crate) options: KeySetOptions,
    pub(crate) policy: CachePolicy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) initial: Option<KeySet>,
    pub(crate) label: String,
}

impl JwksCache {
    pub(crate) fn from_parts(parts: CacheParts) -> Self {
        let CacheParts {
            source,
            allow_http,
            fetcher,
            options,
            policy,
            clock,
            initial,
            label,
        } = parts;
        let jwks_url = match &source {
            SourceKind::Url(url) | SourceKind::Alb { base: url } => Some(url.clone()),
            _ => None,
        };
        let now = clock.now();
        let snapshot = initial.map(|keys| {
            Arc::new(Snapshot {
                keys,
                retired: Arc::from([]),
                fetched_at: now,
                fresh_until: None,
                usable_until: None,
            })
        });
        let (events, _) = watch::channel(0);
        let rng = Mutex::new(policy.jitter_rng());
        Self {
            inner: Arc::new(Inner {
                source,
                allow_http,
                fetcher,
                options,
                policy,
                clock,
                label: Arc::from(label),
                snapshot: ArcSwapOption::new(snapshot),
                state: Mutex::new(State {
                    jwks_url,
                    ..State::default()
                }),
                flight: Mutex::new(None),
                flight_ids: AtomicU64::new(0),
                stats: Stats::default(),
                rng,
                wake: Arc::new(Notify::new()),
                shutdown: Arc::new(Notify::new()),
                refresher_started: AtomicBool::new(false),
                events,
            }),
        }
    }

    /// The key with this `kid`.
    ///
    /// When the cached set is usable and has the key, this is a lock-free read and never
    /// waits, even while a refresh is running. Otherwise:
    ///
    /// - unknown `kid` in a usable set: one refetch, shared by every concurrent miss and allowed
    ///   at most once per cooldown window; inside the window the lookup fails at once. Only
    ///   such on-demand fetches start the window: the start-up prefetch, scheduled refreshes
    ///   and [`JwksCache::refresh`] never delay the fetch of a newly published key;
    /// - no usable set (nothing fetched yet, or older than the stale limit): the same
    ///   single-flight, rate-limited fetch;
    /// - after a failed fetch, until its scheduled retry (exponential backoff, `Retry-After`),
    ///   lookups that would fetch fail at once: a failing issuer is retried on the backoff
    ///   schedule, not by traffic.
    ///
    /// A lookup that arrives while a refresh it did not ask for is in flight waits for that
    /// refresh; if the key is still missing afterwards (the answer predates it), the lookup
    /// asks for one fetch of its own under the rules above.
    ///
    /// `kid`s that are empty or longer than the configured limit never cause a fetch, and
    /// neither do the `kid`s of keys the issuer retired (listed by an earlier set, not by the
    /// current one; the last 64 are remembered): fetching again would not bring them back, and
    /// a set that lists one again is seen at the next refresh.
    ///
    /// # Errors
    ///
    /// [`LookupError::UnknownKid`] when the set has no such key, and
    /// [`LookupError::KeysUnavailable`] when there is no usable set.
    ///
    /// # Panics
    ///
    /// When a fetch is needed outside a Tokio runtime: fetches run as Tokio tasks.
    pub async fn key(&self, kid: &str) -> Result<Arc<VerifyingKey>, LookupError> {
        let inner = &self.inner;
        let mut usable = match inner.snapshot.load().as_deref() {
            Some(snapshot) if snapshot.is_usable(inner.clock.now()) => {
                if let Some(key) = snapshot.keys.get(kid) {
                    return Ok(Arc::clone(key));
                }
                true
            }
            _ => false,
        };
        if matches!(inner.source, SourceKind::Alb { .. }) {
            return inner.alb_key(kid).await;
        }
        // No set can hold such a key: never worth a fetch, cold cache or not.
        if kid.is_empty() || kid.len() > inner.options.max_kid_len {
            return Err(LookupError::UnknownKid);
        }
        // At most two rounds: a refresh nobody asked for, then one fetch of our own.
        for round in 0..2 {
            let trigger = if usable {
                Trigger::UnknownKid
            } else {
                Trigger::MissingKeys
            };
            let (flight, on_demand) = match inner.decide(kid, trigger) {
                Decision::Found(key) => return Ok(key),
                Decision::Reject(error) => return Err(error),
                Decision::Wait { flight, on_demand } => (flight, on_demand),
            };
            // The outcome is read from the snapshot; the fetch error (if any) is in `status()`.
            let _ = flight.await;
            let now = inner.clock.now();
            let outcome = match inner.snapshot.load().as_deref() {
                Some(snapshot) if snapshot.is_usable(now) => {
                    usable = true;
                    snapshot
                        .keys
                        .get(kid)
                        .cloned()
                        .ok_or(LookupError::UnknownKid)
                }
                _ => {
                    usable = false;
                    Err(LookupError::KeysUnavailable)
                }
            };
            if outcome.is_ok() || on_demand || round == 1 {
                return outcome;
            }
        }
        Err(LookupError::UnknownKid)
    }

    /// The key with this `kid` if the usable cached set has it, without any I/O or waiting.
    /// `None` means [`JwksCache::key`] must decide (it may fetch, or refuse).
    #[must_use]
    pub fn cached_key(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        let inner = &self.inner;
        let snapshot = inner.snapshot.load();
        let snapshot = snapshot.as_deref()?;
        if snapshot.is_usable(inner.clock.now()) {
            snapshot.keys.get(kid).cloned()
        } else {
            None
        }
    }

    /// Fetches the key set now and waits for the result: call it at start-up to fail fast.
    /// Joins a fetch already in flight instead of starting a second one.
    ///
    /// # Errors
    ///
    /// The [`FetchError`] of the fetch. The cache keeps any set it already had.
    ///
    /// # Panics
    ///
    /// When a fetch is needed outside a Tokio runtime: fetches run as Tokio tasks.
    pub async fn prefetch(&self) -> Result<(), FetchError> {
        self.refresh().await
    }

    /// Refreshes the key set now (not limited by the cooldown, and not starting it: a key
    /// published right after is still fetched by the first token that names it) and waits for
    /// the result.
    ///
    /// # Errors
    ///
    /// The [`FetchError`] of the fetch. For static sets this never fails.
    ///
    /// # Panics
    ///
    /// When a fetch is needed outside a Tokio runtime: fetches run as Tokio tasks.
    pub async fn refresh(&self) -> Result<(), FetchError> {
        if self.inner.fetcher.is_none() {
            return Ok(());
        }
        let flight = self.inner.join_or_start(Trigger::Explicit);
        flight.await
    }

    /// Whether results obtained with `key` may still be trusted: the key is still in the set,
    /// and the set is within its stale limit.
    #[must_use]
    pub fn is_trusted(&self, key: &VerifyingKey) -> bool {
        !key.is_revoked()
            && self
                .inner
                .snapshot
                .load()
                .as_deref()
                .is_some_and(|snapshot| snapshot.is_usable(self.inner.clock.now()))
    }

    /// The current usable set, if any.
    #[must_use]
    pub fn key_set(&self) -> Option<KeySet> {
        let now = self.inner.clock.now();
        self.inner
            .snapshot
            .load()
            .as_deref()
            .filter(|snapshot| snapshot.is_usable(now))
            .map(|snapshot| snapshot.keys.clone())
    }

    /// What the cache knows right now.
    #[must_use]
    pub fn status(&self) -> CacheStatus {
        let inner = &self.inner;
        let now = inner.clock.now();
        let snapshot = inner.snapshot.load_full();
        let state = lock(&inner.state);
        let stats = &inner.stats;
        CacheStatus {
            key_count: snapshot.as_ref().map_or(0, |s| s.keys.len()),
            is_fresh: snapshot.as_ref().is_some_and(|s| s.is_fresh(now)),
            is_usable: snapshot.as_ref().is_some_and(|s| s.is_usable(now)),
            age: snapshot
                .as_ref()
                .map(|s| now.saturating_duration_since(s.fetched_at)),
            last_success_ago: state.last_success.map(|t| now.saturating_duration_since(t)),
            next_refresh_in: state
                .next_refresh
                .filter(|_| inner.fetcher.is_some())
                .map(|t| t.saturating_duration_since(now)),
            last_error: state.last_error.clone(),
            consecutive_failures: state.consecutive_failures,
            fetches: stats.fetches.load(Ordering::Relaxed),
            failures: stats.failures.load(Ordering::Relaxed),
            not_modified: stats.not_modified.load(Ordering::Relaxed),
            unknown_kid_refetches: stats.unknown_kid_refetches.load(Ordering::Relaxed),
            cooldown_rejections: stats.cooldown_rejections.load(Ordering::Relaxed),
            jwks_url: state.jwks_url.as_ref().map(Url::to_string),
        }
    }

    /// A receiver that changes after every completed fetch attempt (success or failure); its
    /// value counts the attempts. Useful for readiness probes and for tests that need to wait
    /// for a background refresh without sleeping.
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.events.subscribe()
    }

    /// Stops background refresh. Lookups keep working from the cached set and can still
    /// trigger on-demand fetches. Dropping the last clone does the same.
    pub fn shutdown(&self) {
        self.inner.shutdown.notify_one();
    }

    /// Whether `other` is a clone of this cache (the same keys and state).
    #[must_use]
    pub fn is_same_cache(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The issuer whose discovery document this cache reads, for discovery sources.
    #[must_use]
    pub fn discovery_issuer(&self) -> Option<&str> {
        match &self.inner.source {
            SourceKind::Discovery { issuer, .. } => Some(issuer),
            _ => None,
        }
    }

    /// The `issuer` label of this cache's metrics and log events
    /// ([`JwksCacheBuilder::issuer_label`](crate::JwksCacheBuilder::issuer_label)).
    #[must_use]
    pub fn issuer_label(&self) -> &str {
        &self.inner.label
    }

    /// Whether this cache holds AWS ALB keys (fetched per `kid`, [`JwksSource::alb`]).
    ///
    /// [`JwksSource::alb`]: crate::JwksSource::alb
    #[must_use]
    pub fn is_alb(&self) -> bool {
        matches!(self.inner.source, SourceKind::Alb { .. })
    }

    /// The key-set options (allowed algorithms, limits).
    #[must_use]
    pub fn options(&self) -> &KeySetOptions {
        &self.inner.options
    }

    /// The clock this cache reads.
    #[must_use]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }
}

impl Inner {
    /// Decides, under the flight lock, whether a miss may fetch.
    fn decide(self: &Arc<Self>, kid: &str, trigger: Trigger) -> Decision {
        let mut flight = lock(&self.flight);
        let now = self.clock.now();
        // A fetch may have finished between the caller's read and this lock.
        if let Some(snapshot) = self.snapshot.load().as_deref()
            && snapshot.is_usable(now)
            && let Some(key) = snapshot.keys.get(kid)
        {
            return Decision::Found(Arc::clone(key));
        }
        // A kid the issuer retired: no fetch will bring it back (a set that lists it again
        // will be seen at the next refresh).
        if let Some(snapshot) = self.snapshot.load().as_deref()
            && snapshot.is_usable(now)
            && snapshot.retired.iter().any(|retired| **retired == *kid)
        {
            tracing::debug!(
                target: "tollgate_jwks",
                issuer = %self.label,
                "kid of a retired key: refused without a fetch"
            );
            return Decision::Reject(LookupError::UnknownKid);
        }
        if let Some(running) = flight.as_ref() {
            return Decision::Wait {
                flight: running.flight.clone(),
                on_demand: running.trigger.is_on_demand(),
            };
        }
        let rejection = match trigger {
            Trigger::UnknownKid => LookupError::UnknownKid,
            _ => LookupError::KeysUnavailable,
        };
        if self.fetcher.is_none() {
            return Decision::Reject(rejection);
        }
        let refused = {
            let state = lock(&self.state);
            if state
                .last_demand
                .is_some_and(|last| now.saturating_duration_since(last) < self.policy.cooldown)
            {
                Some("fetch refused: inside cooldown window")
            } else if state.consecutive_failures > 0
                && state.next_refresh.is_some_and(|retry| now < retry)
            {
                Some("fetch refused: backing off after a failed fetch")
            } else {
                None
            }
        };
        if let Some(reason) = refused {
            self.stats
                .cooldown_rejections
                .fetch_add(1, Ordering::Relaxed);
            #[cfg(feature = "metrics")]
            crate::metrics::cooldown_rejection(&self.label);
            tracing::debug!(
                target: "tollgate_jwks",
                issuer = %self.label,
                trigger = trigger.as_str(),
                "{reason}"
            );
            return Decision::Reject(rejection);
        }
        if trigger == Trigger::UnknownKid {
            self.stats
                .unknown_kid_refetches
                .fetch_add(1, Ordering::Relaxed);
        }
        Decision::Wait {
            flight: self.start(&mut flight, trigger, None),
            on_demand: true,
        }
    }

    /// An ALB key: one fetch per `kid` (concurrent misses of that `kid` share it), each `kid`
    /// at most once per cooldown window and at most [`ALB_KID_FETCHES_PER_COOLDOWN`] `kid`s
    /// per window. A miss that finds another `kid`'s fetch running waits for it, then may
    /// fetch its own. Only plain `kid`s are ever put into a URL.
    async fn alb_key(self: &Arc<Self>, kid: &str) -> Result<Arc<VerifyingKey>, LookupError> {
        if !is_plain_kid(kid) || kid.len() > self.options.max_kid_len {
            return Err(LookupError::UnknownKid);
        }
        for _ in 0..2 {
            let (flight, own) = match self.decide_alb(kid) {
                Decision::Found(key) => return Ok(key),
                Decision::Reject(error) => return Err(error),
                Decision::Wait {
                    flight,
                    on_demand: own,
                } => (flight, own),
            };
            let result = flight.await;
            let now = self.clock.now();
            if let Some(snapshot) = self.snapshot.load().as_deref()
                && snapshot.is_usable(now)
                && let Some(key) = snapshot.keys.get(kid)
            {
                return Ok(Arc::clone(key));
            }
            if own {
                // The endpoint answered that it has no such key, or served an unusable one:
                // the token is refused. Anything else: the keys could not be obtained.
                return Err(match result {
                    Ok(()) | Err(FetchError::NoUsableKeys { .. }) => LookupError::UnknownKid,
                    Err(_) => LookupError::KeysUnavailable,
                });
            }
        }
        Err(LookupError::UnknownKid)
    }

    /// Decides, under the flight lock, whether an ALB miss may fetch its `kid`.
    fn decide_alb(self: &Arc<Self>, kid: &str) -> Decision {
        let mut flight = lock(&self.flight);
        let now = self.clock.now();
        if let Some(snapshot) = self.snapshot.load().as_deref()
            && snapshot.is_usable(now)
            && let Some(key) = snapshot.keys.get(kid)
        {
            return Decision::Found(Arc::clone(key));
        }
        if let Some(running) = flight.as_ref() {
            let own = running.target.as_deref() == Some(kid);
            return Decision::Wait {
                flight: running.flight.clone(),
                on_demand: own,
            };
        }
        if self.fetcher.is_none() {
            return Decision::Reject(LookupError::UnknownKid);
        }
        let mut state = lock(&self.state);
        let cooldown = self.policy.cooldown;
        state
            .alb_attempts
            .retain(|(_, at)| now.saturating_duration_since(*at) < cooldown);
        let cooling = state.alb_attempts.iter().any(|(k, _)| &**k == kid)
            || state.alb_attempts.len() >= ALB_KID_FETCHES_PER_COOLDOWN;
        if cooling {
            let failing = state.consecutive_failures > 0;
            drop(state);
            self.stats
                .cooldown_rejections
                .fetch_add(1, Ordering::Relaxed);
            #[cfg(feature = "metrics")]
            crate::metrics::cooldown_rejection(&self.label);
            tracing::debug!(
                target: "tollgate_jwks",
                issuer = %self.label,
                trigger = Trigger::UnknownKid.as_str(),
                "ALB key fetch refused: inside cooldown window"
            );
            return Decision::Reject(if failing {
                LookupError::KeysUnavailable
            } else {
                LookupError::UnknownKid
            });
        }
        state.alb_attempts.push((kid.into(), now));
        drop(state);
        self.stats
            .unknown_kid_refetches
            .fetch_add(1, Ordering::Relaxed);
        Decision::Wait {
            flight: self.start(&mut flight, Trigger::UnknownKid, Some(kid.into())),
            on_demand: true,
        }
    }

    /// Joins the running fetch or starts one, ignoring the cooldown.
    fn join_or_start(self: &Arc<Self>, trigger: Trigger) -> Flight {
        let mut flight = lock(&self.flight);
        match flight.as_ref() {
            Some(running) => running.flight.clone(),
            None => self.start(&mut flight, trigger, None),
        }
    }

    fn start(
        self: &Arc<Self>,
        slot: &mut Option<Running>,
        trigger: Trigger,
        target: Option<Box<str>>,
    ) -> Flight {
        if trigger.is_on_demand() {
            lock(&self.state).last_demand = Some(self.clock.now());
        }
        self.ensure_refresher();
        let id = self.flight_ids.fetch_add(1, Ordering::Relaxed);
        let inner = Arc::clone(self);
        let task_target = target.clone();
        let task = tokio::spawn(async move {
            let _clear = ClearFlight(&inner, id);
            inner.fetch(trigger, id, task_target.as_deref()).await
        });
        let future: FlightFuture =
            Box::pin(async move { task.await.unwrap_or(Err(FetchError::Internal)) });
        let shared = future.shared();
        *slot = Some(Running {
            id,
            trigger,
            target,
            flight: shared.clone(),
        });
        shared
    }

    /// Empties the in-flight slot if it still holds fetch `id`.
    fn clear_flight(&self, id: u64) {
        let mut slot = lock(&self.flight);
        if slot.as_ref().is_some_and(|running| running.id == id) {
            *slot = None;
        }
    }

    /// One fetch: resolve the JWKS URL (discovery), GET it, validate, publish (ALB sources:
    /// the `target` key, or every known key).
    async fn fetch(
        &self,
        trigger: Trigger,
        id: u64,
        target: Option<&str>,
    ) -> Result<(), FetchError> {
        let started = self.clock.now();
        self.stats.fetches.fetch_add(1, Ordering::Relaxed);
        // One deadline for the whole fetch (discovery included), and a panic anywhere in it is
        // a failed fetch like any other: it is counted and backed off, never retried at once.
        let attempt = AssertUnwindSafe(self.fetch_and_apply(target)).catch_unwind();
        let result = match tokio::time::timeout(self.policy.fetch_timeout, attempt).await {
            Err(_) => Err(FetchError::Timeout),
            Ok(Err(_panic)) => Err(FetchError::Internal),
            Ok(Ok(result)) => result,
        };
        let now = self.clock.now();
        let outcome = match &result {
            Ok(true) => "updated",
            Ok(false) => "not_modified",
            Err(error) => error.label(),
        };
        #[cfg(feature = "metrics")]
        crate::metrics::fetch(&self.label, outcome, now.saturating_duration_since(started));
        let _ = started;
        {
            let mut state = lock(&self.state);
            match &result {
                Ok(_) => {
                    state.consecutive_failures = 0;
                    state.last_error = None;
                    state.last_success = Some(now);
                }
                Err(error) => {
                    self.stats.failures.fetch_add(1, Ordering::Relaxed);
                    state.consecutive_failures = state.consecutive_failures.saturating_add(1);
                    state.last_error = Some(error.clone());
                    let retry_after = error.retry_after().map(Duration::from_secs);
                    let delay = self.policy.backoff(
                        state.consecutive_failures,
                        retry_after,
                        &mut lock(&self.rng),
                    );
                    state.next_refresh = Some(after(now, delay));
                    if matches!(self.source, SourceKind::Discovery { .. }) {
                        // The issuer may have moved its keys: discover again next time.
                        state.jwks_url = None;
                    }
                }
            }
        }
        match &result {
            Ok(_) => tracing::debug!(
                target: "tollgate_jwks",
                issuer = %self.label,
                trigger = trigger.as_str(),
                outcome,
                keys = self.snapshot.load().as_deref().map_or(0, |s| s.keys.len()),
                "key set fetched"
            ),
            Err(error) => tracing::warn!(
                target: "tollgate_jwks",
                issuer = %self.label,
                trigger = trigger.as_str(),
                outcome,
                error = %error,
                "key set fetch failed; keeping the last good set"
            ),
        }
        // Free the slot before announcing the attempt: whoever reacts to the event (a
        // `subscribe()` receiver) and then calls `refresh()` must start a new fetch, not join
        // this finished one and get its old result without any request.
        self.clear_flight(id);
        self.events.send_modify(|count| *count += 1);
        self.wake.notify_one();
        result.map(|_| ())
    }

    /// Returns whether the set changed (`false` for 304 Not Modified).
    async fn fetch_and_apply(&self, target: Option<&str>) -> Result<bool, FetchError> {
        let Some(fetcher) = &self.fetcher else {
            return Ok(false);
        };
        if let SourceKind::Alb { base } = &self.source {
            return match target {
                Some(kid) => self.fetch_alb_key(fetcher, base, kid).await,
                None => self.refresh_alb_keys(fetcher, base).await,
            };
        }
        let known = lock(&self.state).jwks_url.clone();
        let url = match known {
            Some(url) => url,
            None => match &self.source {
                SourceKind::Discovery { issuer, document } => {
                    let url = fetcher.discover(document, issuer, self.allow_http).await?;
                    lock(&self.state).jwks_url = Some(url.clone());
                    url
                }
                SourceKind::Url(url) => url.clone(),
                SourceKind::Static(_) | SourceKind::Alb { .. } => return Ok(false),
            },
        };
        let previous = self.snapshot.load_full();
        let validators = previous
            .as_ref()
            .map(|_| lock(&self.state).validators.clone());
        let outcome = fetcher
            .fetch_jwks(&url, validators.as_ref(), self.clock.unix_now())
            .await?;
        let now = self.clock.now();
        let (keys, validators, max_age, retired, changed) = match outcome {
            FetchOutcome::Modified {
                body,
                validators,
                max_age,
            } => {
                let keys = KeySet::from_json(&body, &self.options)?;
                let (keys, retired) = match &previous {
                    Some(previous) => {
                        let retired = retired_kids(previous, &keys);
                        (keys.succeed(&previous.keys), retired)
                    }
                    None => (keys, Arc::from([])),
                };
                (keys, Some(validators), max_age, retired, true)
            }
            FetchOutcome::NotModified { max_age } => {
                self.stats.not_modified.fetch_add(1, Ordering::Relaxed);
                let Some(previous) = &previous else {
                    return Err(FetchError::Status {
                        status: 304,
                        retry_after: None,
                    });
                };
                (
                    previous.keys.clone(),
                    None,
                    max_age,
                    Arc::clone(&previous.retired),
                    false,
                )
            }
        };
        let ttl = self.policy.ttl(max_age);
        let fresh_until = after(now, ttl);
        #[cfg(feature = "metrics")]
        crate::metrics::keys(&self.label, keys.len());
        self.snapshot.store(Some(Arc::new(Snapshot {
            keys,
            retired,
            fetched_at: now,
            fresh_until: Some(fresh_until),
            usable_until: Some(after(fresh_until, self.policy.max_stale)),
        })));
        let mut state = lock(&self.state);
        if let Some(validators) = validators {
            state.validators = validators;
        }
        let refresh_in = self.policy.refresh_after(ttl, &mut lock(&self.rng));
        state.next_refresh = Some(after(now, refresh_in));
        Ok(changed)
    }

    /// Fetches one ALB key and adds it to the usable keys (which keep their freshness: the
    /// set is as fresh as its oldest key). An absent key changes nothing; a key that is not
    /// an EC P-256 PEM is skipped with its reason and fails the fetch.
    async fn fetch_alb_key(
        &self,
        fetcher: &Fetcher,
        base: &Url,
        kid: &str,
    ) -> Result<bool, FetchError> {
        let url = SourceKind::alb_key_url(base, kid).ok_or(FetchError::Url(UrlError::Invalid))?;
        let (body, max_age) = match fetcher.fetch_pem(&url, self.clock.unix_now()).await? {
            PemOutcome::Absent => {
                tracing::debug!(
                    target: "tollgate_jwks",
                    issuer = %self.label,
                    "ALB key endpoint has no such key"
                );
                return Ok(false);
            }
            PemOutcome::Found { body, max_age } => (body, max_age),
        };
        let key = crate::alb::parse_pem_key(kid, &body, &self.options).map_err(|reason| {
            tracing::warn!(
                target: "tollgate_jwks",
                kid = crate::log_safe(kid),
                reason = %reason,
                "skipping unusable ALB key"
            );
            FetchError::NoUsableKeys { skipped: 1 }
        })?;
        let now = self.clock.now();
        let ttl = self.policy.ttl(max_age);
        let previous = self.snapshot.load_full();
        let carried = previous
            .as_deref()
            .filter(|snapshot| snapshot.is_usable(now) && !snapshot.keys.is_empty());
        let mut fresh_until = after(now, ttl);
        let mut keys: Vec<Arc<VerifyingKey>> = vec![Arc::new(key)];
        if let Some(snapshot) = carried {
            if let Some(until) = snapshot.fresh_until {
                fresh_until = fresh_until.min(until);
            }
            keys.extend(snapshot.keys.keys().filter(|k| k.kid() != kid).cloned());
        }
        let mut set = KeySet::from_keys(keys, Vec::new());
        if let Some(previous) = &previous {
            set = set.succeed(&previous.keys);
        }
        self.publish_alb(set, now, fresh_until, carried.is_some());
        Ok(true)
    }

    /// Fetches every known ALB key again (background refresh, `refresh()`): keys the endpoint
    /// no longer has, or no longer serves as a usable key, are dropped (and revoked); any
    /// other failure fails the refresh and the last good keys stay.
    async fn refresh_alb_keys(&self, fetcher: &Fetcher, base: &Url) -> Result<bool, FetchError> {
        let previous = self.snapshot.load_full();
        let known: Vec<Box<str>> = previous
            .as_deref()
            .map(|snapshot| snapshot.keys.keys().map(|k| k.kid().into()).collect())
            .unwrap_or_default();
        if known.is_empty() {
            // Nothing to refresh until a token names a kid.
            lock(&self.state).next_refresh = None;
            return Ok(false);
        }
        let unix_now = self.clock.unix_now();
        let fetches = known.iter().map(|kid| async move {
            let url =
                SourceKind::alb_key_url(base, kid).ok_or(FetchError::Url(UrlError::Invalid))?;
            fetcher.fetch_pem(&url, unix_now).await
        });
        let outcomes = futures_util::future::join_all(fetches).await;
        let mut keys = Vec::new();
        let mut skipped = Vec::new();
        let mut max_age: Option<Duration> = None;
        for (kid, outcome) in known.iter().zip(outcomes) {
            match outcome? {
                PemOutcome::Absent => {}
                PemOutcome::Found { body, max_age: age } => {
                    match crate::alb::parse_pem_key(kid, &body, &self.options) {
                        Ok(key) => keys.push(Arc::new(key)),
                        Err(reason) => skipped.push(SkippedKey::new(Some(kid.to_string()), reason)),
                    }
                    let ttl = self.policy.ttl(age);
                    max_age = Some(max_age.map_or(ttl, |shortest| shortest.min(ttl)));
                }
            }
        }
        let now = self.clock.now();
        let ttl = max_age.unwrap_or_else(|| self.policy.ttl(None));
        let mut set = KeySet::from_keys(keys, skipped);
        if let Some(previous) = &previous {
            set = set.succeed(&previous.keys);
        }
        self.publish_alb(set, now, after(now, ttl), false);
        Ok(true)
    }

    /// Publishes ALB keys fresh until `fresh_until` and schedules their refresh (no later
    /// than an already scheduled one when `merged`).
    fn publish_alb(&self, keys: KeySet, now: Instant, fresh_until: Instant, merged: bool) {
        #[cfg(feature = "metrics")]
        crate::metrics::keys(&self.label, keys.len());
        let empty = keys.is_empty();
        let retired = match self.snapshot.load().as_deref() {
            Some(previous) => retired_kids(previous, &keys),
            None => Arc::from([]),
        };
        self.snapshot.store(Some(Arc::new(Snapshot {
            keys,
            retired,
            fetched_at: now,
            fresh_until: (!empty).then_some(fresh_until),
            usable_until: (!empty).then(|| after(fresh_until, self.policy.max_stale)),
        })));
        let lifetime = fresh_until.saturating_duration_since(now);
        let due = after(
            now,
            self.policy.refresh_after(lifetime, &mut lock(&self.rng)),
        );
        let mut state = lock(&self.state);
        state.next_refresh = match (empty, merged, state.next_refresh) {
            (true, _, _) => None,
            (false, true, Some(scheduled)) => Some(scheduled.min(due)),
            (false, _, _) => Some(due),
        };
    }

    fn ensure_refresher(self: &Arc<Self>) {
        if self.fetcher.is_none() || self.refresher_started.swap(true, Ordering::AcqRel) {
            return;
        }
        tokio::spawn(refresh_loop(
            Arc::downgrade(self),
            Arc::clone(&self.clock),
            Arc::clone(&self.wake),
            Arc::clone(&self.shutdown),
        ));
    }
}

/// The retired `kid`s after `previous` is replaced by `current`: those remembered before and
/// those `previous` had, less every `kid` `current` lists, at most [`MAX_RETIRED_KIDS`] (the
/// most recent).
fn retired_kids(previous: &Snapshot, current: &KeySet) -> Arc<[Box<str>]> {
    let mut retired: Vec<Box<str>> = previous
        .retired
        .iter()
        .filter(|kid| current.get(kid).is_none())
        .cloned()
        .collect();
    for key in previous.keys.keys() {
        let kid = key.kid();
        if current.get(kid).is_none() && !retired.iter().any(|r| **r == *kid) {
            retired.push(kid.into());
        }
    }
    let excess = retired.len().saturating_sub(MAX_RETIRED_KIDS);
    retired.drain(..excess);
    retired.into()
}

/// `at + delay`; durations are bounded by the policy, and should the sum ever overflow it
/// fails closed (the deadline is now: keys go stale, refreshes are due).
fn after(at: Instant, delay: Duration) -> Instant {
    at.checked_add(delay).unwrap_or(at)
}

/// Clears the in-flight slot when the fetch task ends, even if it panics or is cancelled, unless
/// a newer fetch already holds it.
struct ClearFlight<'a>(&'a Inner, u64);

impl Drop for ClearFlight<'_> {
    fn drop(&mut self) {
        self.0.clear_flight(self.1);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown.notify_one();
    }
}

/// Refreshes ahead of expiry and retries failures with backoff. Holds only a weak reference
/// between runs, so it ends when the cache is dropped.
async fn refresh_loop(
    cache: Weak<Inner>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    shutdown: Arc<Notify>,
) {
    loop {
        let deadline = {
            let Some(inner) = cache.upgrade() else { return };
            lock(&inner.state).next_refresh
        };
        let sleep = async {
            match deadline {
                Some(deadline) => clock.sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        // Biased, shutdown first: once `shutdown()` has returned, a timer that is also due
        // (the clock moved past the refresh time) must not start one more fetch.
        tokio::select! {
            biased;
            () = shutdown.notified() => return,
            () = wake.notified() => continue,
            () = sleep => {}
        }
        let Some(inner) = cache.upgrade() else { return };
        let flight = inner.join_or_start(Trigger::Background);
        drop(inner);
        tokio::select! {
            biased;
            () = shutdown.notified() => return,
            _ = flight => {}
        }
    }
}

impl fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksCache")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}
