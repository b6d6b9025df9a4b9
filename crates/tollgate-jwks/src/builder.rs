//! Configuration of a [`JwksCache`].

use std::sync::Arc;
use std::time::Duration;

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
/// | cooldown between on-demand fetches | 15 s |
/// | stale-if-error limit past freshness | 1 h |
/// | retry backoff | 1 s doubling to 60 s, with jitter |
/// | connect / total fetch timeout | 2 s / 5 s |
/// | body limit | 64 KiB |
/// | keys per set / `kid` length | 64 / 256 bytes |
#[derive(Debug)]
#[must_use]
pub struct JwksCacheBuilder {
    source: JwksSource,
    options: KeySetOptions,
    policy: CachePolicy,
    client: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
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
    /// window such lookups fail at once instead of queueing.
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
        if let Some(set) = self.source.static_set(&self.options) {
            let keys = set.map_err(BuildError::StaticSet)?;
            return Ok(JwksCache::from_parts(
                self.source.kind,
                false,
                None,
                self.options,
                self.policy,
                self.clock,
                Some(keys),
            ));
        }
        let client = match self.client {
            Some(client) => client,
            None => default_client(self.policy.connect_timeout, self.policy.fetch_timeout)?,
        };
        let fetcher = Fetcher::new(client, self.policy.fetch_timeout, self.policy.max_body);
        Ok(JwksCache::from_parts(
            self.source.kind,
            self.source.allow_http,
            Some(fetcher),
            self.options,
            self.policy,
            self.clock,
            None,
        ))
    }
}
