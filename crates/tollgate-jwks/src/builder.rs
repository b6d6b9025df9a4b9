//! Configuration of a [`JwksCache`].

use std::sync::Arc;
use std::time::Duration;

use crate::cache::CacheParts;
use crate::fetcher::{Fetcher, default_client};
use crate::policy::CachePolicy;
use crate::{Algorithm, BuildError, Clock, JwksCache, JwksSource, KeySetOptions, SystemClock};

/// Builds a [`JwksCache`]. Every setting has a safe default.
///
/// | setting | default |
/// | --- | --- |
/// | algorithms | `RS256` |
/// | freshness without cache headers | 10 min |
/// | freshness bounds | 60 s to 24 h |
/// | background refresh | at 5/8 to 7/8 of the freshness lifetime, uniformly at random |
/// | cooldown between on-demand fetches | 15 s |
/// | stale-if-error limit past freshness | 1 h |
/// | retry backoff | 1 s doubling to 60 s, with jitter |
/// | connect / total fetch timeout | 2 s / 5 s |
/// | body limit | 64 KiB |
/// | keys per set / `kid` length | 64 / 256 bytes |
/// | `issuer` label of metrics and logs | the discovery issuer, or the JWKS URL without query |
#[derive(Debug)]
#[must_use]
pub struct JwksCacheBuilder {
    source: JwksSource,
    options: KeySetOptions,
    policy: CachePolicy,
    client: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
    issuer_label: Option<String>,
}

impl JwksCache {
    /// Starts configuring a cache for `source`.
    pub fn builder(source: JwksSource) -> JwksCacheBuilder {
        JwksCacheBuilder {
            source,
            options: KeySetOptions::default(),
            policy: CachePolicy::default(),
            client: None,
            clock: Arc::new(SystemClock),
            issuer_label: None,
        }
    }
}

impl JwksCacheBuilder {
    /// Algorithms the keys may be used with (default `RS256` only).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.options = self.options.algorithms(algorithms);
        self
    }

    /// Replaces the key-set options (algorithms and limits).
    pub fn key_set_options(mut self, options: KeySetOptions) -> Self {
        self.options = options;
        self
    }

    /// Freshness used when a response has no `Cache-Control: max-age` or `Expires`.
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.policy.default_ttl = ttl;
        self
    }

    /// Bounds for the freshness a response may ask for.
    pub fn ttl_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.policy.min_ttl = min;
        self.policy.max_ttl = max;
        self
    }

    /// Least time between two on-demand fetches (unknown `kid`, missing keys). Inside the
    /// window such lookups fail at once instead of queueing. Only on-demand fetches start the
    /// window: the prefetch, background refreshes and [`JwksCache::refresh`] do not, so a key
    /// published after them is fetched by the first token that names it.
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.policy.cooldown = cooldown;
        self
    }

    /// How long past its freshness the last good set is still served while refreshes fail.
    /// After that, lookups fail with [`LookupError::KeysUnavailable`](crate::LookupError).
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.policy.max_stale = max_stale;
        self
    }

    /// Spread of the background refresh, as a fraction of the freshness lifetime: each refresh
    /// is scheduled uniformly at random in `3/4 ± jitter` of the lifetime of the set just
    /// fetched. The default, [`DEFAULT_REFRESH_JITTER`](crate::DEFAULT_REFRESH_JITTER) (1/8),
    /// spreads refreshes over 5/8 to 7/8 of the lifetime: with 10 minutes of freshness, a
    /// fleet started together refreshes first between 6 min 15 s and 8 min 45 s, then drifts
    /// further apart at every refresh, instead of hitting the issuer in lockstep every 7.5
    /// minutes. `0.0` refreshes at exactly 3/4; at most
    /// [`MAX_REFRESH_JITTER`](crate::MAX_REFRESH_JITTER) (1/4: between 1/2 and the whole
    /// lifetime).
    ///
    /// ```
    /// use tollgate_jwks::{JwksCache, JwksSource};
    ///
    /// let keys = JwksCache::builder(JwksSource::url("https://issuer.example/jwks.json")?)
    ///     .refresh_jitter(0.25)
    ///     .build()?;
    /// # Ok::<(), tollgate_jwks::BuildError>(())
    /// ```
    pub fn refresh_jitter(mut self, fraction: f64) -> Self {
        self.policy.refresh_jitter = fraction;
        self
    }

    /// Seeds the random source of the refresh jitter and of the retry backoff, making a
    /// cache's schedule reproducible (simulations, tests). By default every cache draws its
    /// own random seed.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.policy.jitter_seed = Some(seed);
        self
    }

    /// The `issuer` label of this cache's metrics (feature `metrics`) and log events, so the
    /// caches of several issuers in one process are told apart. A verifier sets it to the
    /// issuer's `iss`; by default it is the discovery issuer for discovery sources, the JWKS
    /// URL (without query or credentials) for URL sources, and `static` for static sets.
    pub fn issuer_label(mut self, label: impl Into<String>) -> Self {
        self.issuer_label = Some(label.into());
        self
    }

    /// First and largest delay between retries after failed fetches.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.policy.retry_initial = initial;
        self.policy.retry_max = max;
        self
    }

    /// Connect timeout of the default HTTP client.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.policy.connect_timeout = timeout;
        self
    }

    /// Deadline for a whole fetch (connect, headers and body), also enforced around a client
    /// supplied with [`JwksCacheBuilder::http_client`].
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.policy.fetch_timeout = timeout;
        self
    }

    /// Largest accepted body of a key set or discovery document.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.policy.max_body = limit;
        self
    }

    /// Uses this HTTP client (proxy, custom CA, mTLS) for every fetch, including discovery and
    /// background refresh. The default client trusts the system's root certificates and, like
    /// curl, honours the `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` environment variables; pass
    /// a client built with `no_proxy()` to ignore them. Configure it with `redirect(Policy::none())`; the fetch deadline
    /// and body limit still apply.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Reads time from this clock (tests use [`ManualClock`](crate::ManualClock)).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Reads time from this shared clock.
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the cache. Nothing is fetched yet: call [`JwksCache::prefetch`] to fail fast at
    /// start-up, or let the first lookup fetch.
    ///
    /// # Errors
    ///
    /// [`BuildError`] for an inconsistent policy, an HTTP client that cannot be built, or a
    /// static set without a usable key.
    pub fn build(self) -> Result<JwksCache, BuildError> {
        self.policy.validate()?;
        if self.options.algorithms.is_empty() {
            return Err(BuildError::NoAlgorithm);
        }
        let label = self
            .issuer_label
            .unwrap_or_else(|| self.source.default_label());
        if let Some(set) = self.source.static_set(&self.options) {
            let keys = set.map_err(BuildError::StaticSet)?;
            return Ok(JwksCache::from_parts(CacheParts {
                source: self.source.kind,
                allow_http: false,
                fetcher: None,
                options: self.options,
                policy: self.policy,
                clock: self.clock,
                initial: Some(keys),
                label,
            }));
        }
        let client = match self.client {
            Some(client) => client,
            None => default_client(self.policy.connect_timeout, self.policy.fetch_timeout)?,
        };
        let fetcher = Fetcher::new(client, self.policy.fetch_timeout, self.policy.max_body);
        Ok(JwksCache::from_parts(CacheParts {
            source: self.source.kind,
            allow_http: self.source.allow_http,
            fetcher: Some(fetcher),
            options: self.options,
            policy: self.policy,
            clock: self.clock,
            initial: None,
            label,
        }))
    }
}
