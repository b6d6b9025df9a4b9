//! Timing and size policy of a key cache.

use std::time::Duration;

use crate::BuildError;

/// How long keys stay fresh, how refetches are limited, how long stale keys may be served,
/// and how fetches are bounded. Set through [`JwksCacheBuilder`](crate::JwksCacheBuilder).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CachePolicy {
    pub(crate) default_ttl: Duration,
    pub(crate) min_ttl: Duration,
    pub(crate) max_ttl: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) max_stale: Duration,
    pub(crate) retry_initial: Duration,
    pub(crate) retry_max: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) fetch_timeout: Duration,
    pub(crate) max_body: usize,
    /// Half-width of the refresh window, as a fraction of the freshness lifetime.
    pub(crate) refresh_jitter: f64,
    /// Seed of the jitter; `None`: a random seed per cache.
    pub(crate) jitter_seed: Option<u64>,
}

/// Default freshness when the response has no `Cache-Control: max-age` or `Expires`.
pub const DEFAULT_TTL: Duration = Duration::from_secs(600);
/// Default minimum freshness (a `max-age` below this is raised to it).
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(60);
/// Default maximum freshness (a `max-age` above this is lowered to it).
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// Default least time between two on-demand fetches (unknown `kid`, missing keys).
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(15);
/// Default time past freshness during which the last good set is still served when refreshes
/// fail.
pub const DEFAULT_MAX_STALE: Duration = Duration::from_secs(3600);
/// Longest accepted policy duration: keeps every deadline computation far from overflow.
pub const MAX_POLICY_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);
/// Default limit on a key set body.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
/// Default refresh jitter: background refreshes are scheduled uniformly at random between 5/8
/// and 7/8 of the freshness lifetime (3/4 ± 1/8), so caches started together drift apart.
pub const DEFAULT_REFRESH_JITTER: f64 = 0.125;
/// Largest refresh jitter: refreshes then fall between 1/2 and the whole freshness lifetime.
pub const MAX_REFRESH_JITTER: f64 = 0.25;

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            default_ttl: DEFAULT_TTL,
            min_ttl: DEFAULT_MIN_TTL,
            max_ttl: DEFAULT_MAX_TTL,
            cooldown: DEFAULT_COOLDOWN,
            max_stale: DEFAULT_MAX_STALE,
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(2),
            fetch_timeout: Duration::from_secs(5),
            max_body: DEFAULT_MAX_BODY,
            refresh_jitter: DEFAULT_REFRESH_JITTER,
            jitter_seed: None,
        }
    }
}

impl CachePolicy {
    pub(crate) fn validate(&self) -> Result<(), BuildError> {
        let durations = [
            ("default_ttl", self.default_ttl),
            ("ttl_bounds max", self.max_ttl),
            ("cooldown", self.cooldown),
            ("max_stale", self.max_stale),
            ("retry_backoff max", self.retry_max),
            ("fetch_timeout", self.fetch_timeout),
            ("connect_timeout", self.connect_timeout),
        ];
        if let Some((setting, _)) = durations.iter().find(|(_, d)| *d > MAX_POLICY_DURATION) {
            return Err(BuildError::DurationTooLong { setting });
        }
        if self.min_ttl < Duration::from_secs(1) {
            return Err(BuildError::MinTtlTooShort);
        }
        if self.cooldown < Duration::from_secs(1) {
            return Err(BuildError::CooldownTooShort);
        }
        if self.min_ttl > self.max_ttl {
            return Err(BuildError::MinTtlAboveMaxTtl);
        }
        if self.retry_initial.is_zero() || self.retry_initial > self.retry_max {
            return Err(BuildError::InvalidRetryBackoff);
        }
        if self.fetch_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(BuildError::ZeroTimeout);
        }
        if self.max_body < 256 {
            return Err(BuildError::MaxBodyTooSmall);
        }
        // Also false for NaN.
        if !(0.0..=MAX_REFRESH_JITTER).contains(&self.refresh_jitter) {
            return Err(BuildError::RefreshJitterOutOfRange);
        }
        Ok(())
    }

    /// Freshness for a response, clamped to the bounds.
    pub(crate) fn ttl(&self, from_headers: Option<Duration>) -> Duration {
        from_headers
            .unwrap_or(self.default_ttl)
            .clamp(self.min_ttl, self.max_ttl)
    }

    /// When to refresh in the background: uniformly at random in `3/4 ± refresh_jitter` of the
    /// freshness lifetime (default 5/8 to 7/8), so the set is renewed before it goes stale and
    /// caches that fetched at the same moment do not refresh in lockstep.
    pub(crate) fn refresh_after(&self, ttl: Duration, rng: &mut fastrand::Rng) -> Duration {
        let center = ttl.saturating_mul(3) / 4;
        // `refresh_jitter` is validated to be in [0, 1/4]: the window is within [ttl/2, ttl].
        let half = Duration::try_from_secs_f64(ttl.as_secs_f64() * self.refresh_jitter)
            .unwrap_or_default()
            .min(ttl / 4);
        let width = u64::try_from(half.saturating_mul(2).as_nanos()).unwrap_or(u64::MAX);
        (center - half).saturating_add(Duration::from_nanos(rng.u64(0..=width)))
    }

    /// Delay before retry number `failures` (1-based): exponential, capped, with jitter in
    /// `[d/2, d]`, and at least any `Retry-After` the server sent (capped the same way).
    pub(crate) fn backoff(
        &self,
        failures: u32,
        retry_after: Option<Duration>,
        rng: &mut fastrand::Rng,
    ) -> Duration {
        let exponent = failures.saturating_sub(1).min(20);
        let base = self
            .retry_initial
            .saturating_mul(1 << exponent)
            .min(self.retry_max);
        let half = base / 2;
        let half_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = Duration::from_nanos(rng.u64(0..=half_nanos));
        let delay = half + jitter;
        match retry_after {
            Some(after) => delay.max(after.min(self.retry_max)),
            None => delay,
        }
    }

    /// The random source of this policy's jitter.
    pub(crate) fn jitter_rng(&self) -> fastrand::Rng {
        match self.jitter_seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_durations_are_build_errors_not_panics() {
        let ok = CachePolicy::default();
        assert!(ok.validate().is_ok());
        let huge = Duration::MAX;
        type Set = fn(&mut CachePolicy, Duration);
        let cases: [(Set, &str); 7] = [
            (|p, d| p.cooldown = d, "cooldown"),
            (|p, d| p.max_stale = d, "max_stale"),
            (|p, d| p.max_ttl = d, "ttl_bounds max"),
            (|p, d| p.retry_max = d, "retry_backoff max"),
            (|p, d| p.default_ttl = d, "default_ttl"),
            (|p, d| p.fetch_timeout = d, "fetch_timeout"),
            (|p, d| p.connect_timeout = d, "connect_timeout"),
        ];
        for (set, name) in cases {
            let mut policy = CachePolicy::default();
            set(&mut policy, huge);
            assert!(
                matches!(
                    policy.validate(),
                    Err(BuildError::DurationTooLong { setting }) if setting == name
                ),
                "{name}"
            );
        }
        let invalid = |policy: CachePolicy| policy.validate().unwrap_err();
        assert!(matches!(
            invalid(CachePolicy {
                cooldown: Duration::ZERO,
                ..CachePolicy::default()
            }),
            BuildError::CooldownTooShort
        ));
        assert!(matches!(
            invalid(CachePolicy {
                min_ttl: Duration::from_nanos(1),
                ..CachePolicy::default()
            }),
            BuildError::MinTtlTooShort
        ));
        assert!(matches!(
            invalid(CachePolicy {
                min_ttl: Duration::from_secs(120),
                max_ttl: Duration::from_secs(60),
                ..CachePolicy::default()
            }),
            BuildError::MinTtlAboveMaxTtl
        ));
        assert!(matches!(
            invalid(CachePolicy {
                retry_initial: Duration::ZERO,
                ..CachePolicy::default()
            }),
            BuildError::InvalidRetryBackoff
        ));
        assert!(matches!(
            invalid(CachePolicy {
                retry_initial: Duration::from_secs(120),
                retry_max: Duration::from_secs(60),
                ..CachePolicy::default()
            }),
            BuildError::InvalidRetryBackoff
        ));
        assert!(matches!(
            invalid(CachePolicy {
                connect_timeout: Duration::ZERO,
                ..CachePolicy::default()
            }),
            BuildError::ZeroTimeout
        ));
        assert!(matches!(
            invalid(CachePolicy {
                fetch_timeout: Duration::ZERO,
                ..CachePolicy::default()
            }),
            BuildError::ZeroTimeout
        ));
        assert!(matches!(
            invalid(CachePolicy {
                max_body: 255,
                ..CachePolicy::default()
            }),
            BuildError::MaxBodyTooSmall
        ));
        let year = CachePolicy {
            max_ttl: Duration::from_secs(365 * 24 * 3600),
            max_stale: Duration::from_secs(365 * 24 * 3600),
            ..CachePolicy::default()
        };
        assert!(year.validate().is_ok());
    }

    #[test]
    fn ttl_is_clamped() {
        let policy = CachePolicy::default();
        assert_eq!(policy.ttl(None), DEFAULT_TTL);
        assert_eq!(policy.ttl(Some(Duration::ZERO)), DEFAULT_MIN_TTL);
        assert_eq!(
            policy.ttl(Some(Duration::from_secs(999_999))),
            DEFAULT_MAX_TTL
        );
        assert_eq!(
            policy.ttl(Some(Duration::from_secs(300))),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = CachePolicy::default();
        let rng = &mut policy.jitter_rng();
        for _ in 0..100 {
            let first = policy.backoff(1, None, rng);
            assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
            let fourth = policy.backoff(4, None, rng);
            assert!(fourth >= Duration::from_secs(4) && fourth <= Duration::from_secs(8));
            let late = policy.backoff(50, None, rng);
            assert!(late >= Duration::from_secs(30) && late <= Duration::from_secs(60));
            let told = policy.backoff(1, Some(Duration::from_secs(20)), rng);
            assert_eq!(told, Duration::from_secs(20));
            let capped = policy.backoff(1, Some(Duration::from_secs(3600)), rng);
            assert_eq!(capped, Duration::from_secs(60));
        }
    }

    #[test]
    fn refresh_is_spread_over_five_to_seven_eighths_of_the_ttl() {
        let policy = CachePolicy::default();
        let rng = &mut policy.jitter_rng();
        let ttl = Duration::from_secs(800);
        let (low, high) = (Duration::from_secs(500), Duration::from_secs(700));
        let mut seen = [false; 8];
        for _ in 0..10_000 {
            let at = policy.refresh_after(ttl, rng);
            assert!(at >= low && at <= high, "{at:?}");
            // Which 25 s eighth of the 200 s window it fell in.
            let bucket = usize::try_from((at - low).as_secs() / 25).unwrap().min(7);
            seen[bucket] = true;
        }
        assert_eq!(seen, [true; 8], "the whole window is used");

        let exact = CachePolicy {
            refresh_jitter: 0.0,
            ..CachePolicy::default()
        };
        assert_eq!(exact.refresh_after(ttl, rng), Duration::from_secs(600));
        let widest = CachePolicy {
            refresh_jitter: MAX_REFRESH_JITTER,
            ..CachePolicy::default()
        };
        for _ in 0..1000 {
            let at = widest.refresh_after(ttl, rng);
            assert!(at >= ttl / 2 && at <= ttl, "{at:?}");
        }
        // Extreme lifetimes neither overflow nor panic.
        let _ = widest.refresh_after(MAX_POLICY_DURATION, rng);
        let _ = widest.refresh_after(Duration::from_nanos(1), rng);
    }

    #[test]
    fn a_seed_makes_the_jitter_reproducible() {
        let seeded = CachePolicy {
            jitter_seed: Some(7),
            ..CachePolicy::default()
        };
        let ttl = Duration::from_secs(600);
        let first: Vec<_> = {
            let rng = &mut seeded.jitter_rng();
            (0..10).map(|_| seeded.refresh_after(ttl, rng)).collect()
        };
        let again: Vec<_> = {
            let rng = &mut seeded.jitter_rng();
            (0..10).map(|_| seeded.refresh_after(ttl, rng)).collect()
        };
        assert_eq!(first, again);
        assert!(first.iter().any(|at| *at != first[0]));
    }

    #[test]
    fn refresh_jitter_outside_its_range_is_a_build_error() {
        for jitter in [-0.01, 0.26, 1.0, f64::NAN, f64::INFINITY] {
            let policy = CachePolicy {
                refresh_jitter: jitter,
                ..CachePolicy::default()
            };
            assert!(
                matches!(policy.validate(), Err(BuildError::RefreshJitterOutOfRange)),
                "{jitter}"
            );
        }
        for jitter in [0.0, 0.125, 0.25] {
            let policy = CachePolicy {
                refresh_jitter: jitter,
                ..CachePolicy::default()
            };
            assert!(policy.validate().is_ok(), "{jitter}");
        }
    }
}
