//! A point-in-time view of a key cache, for health checks and dashboards.

use std::time::Duration;

use crate::FetchError;

/// What a [`JwksCache`](crate::JwksCache) knows right now. Contains no key material.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CacheStatus {
    /// Usable keys in the current set.
    pub key_count: usize,
    /// Whether the set is within its freshness lifetime.
    pub is_fresh: bool,
    /// Whether the set may be used (fresh, or stale within the stale limit).
    pub is_usable: bool,
    /// Time since the current set was fetched or confirmed.
    pub age: Option<Duration>,
    /// Time since the last successful fetch.
    pub last_success_ago: Option<Duration>,
    /// Time until the next background refresh or retry.
    pub next_refresh_in: Option<Duration>,
    /// The error of the last fetch, when it failed.
    pub last_error: Option<FetchError>,
    /// Failed fetches since the last success.
    pub consecutive_failures: u32,
    /// Fetch attempts.
    pub fetches: u64,
    /// Failed fetch attempts.
    pub failures: u64,
    /// Fetches answered with 304 Not Modified.
    pub not_modified: u64,
    /// Fetches started because a token named an unknown `kid`.
    pub unknown_kid_refetches: u64,
    /// On-demand fetches refused: inside the cooldown window of the last on-demand fetch, or
    /// before the scheduled retry of a failed fetch.
    pub cooldown_rejections: u64,
    /// The JWKS URL in use (after discovery).
    pub jwks_url: Option<String>,
}
