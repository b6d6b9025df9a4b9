//! Time sources: the system clock and a manual clock for tests.
//!
//! Everything in tollgate that depends on time (key freshness, cooldowns, backoff, token expiry)
//! reads it from a [`Clock`], so tests can move time forward explicitly instead of sleeping.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use tollgate_jwks::{Clock, ManualClock};
//!
//! let clock = ManualClock::at_unix(1_700_000_000);
//! let before = clock.now();
//! clock.advance(Duration::from_secs(30));
//! assert_eq!(clock.now() - before, Duration::from_secs(30));
//! assert_eq!(clock.unix_now().as_secs(), 1_700_000_030);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

/// What [`SystemClock::unix_now`] reads when the system clock is before 1970: the year 10000,
/// past every accepted `exp`.
const BROKEN_CLOCK: Duration = Duration::from_secs(253_402_300_800);

/// Longest total advance of a [`ManualClock`] (a hundred years): keeps `Instant` arithmetic
/// from overflowing.
const MAX_MANUAL_OFFSET: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A boxed future returned by [`Clock::sleep_until`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A source of monotonic and wall-clock time, and of timers on that time.
///
/// Implementations must be cheap to call: [`Clock::unix_now`] runs on every token verification.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Monotonic time, used for cache freshness, cooldowns and backoff.
    fn now(&self) -> Instant;

    /// Wall-clock time since the UNIX epoch, used for `exp`, `nbf` and `iat`.
    fn unix_now(&self) -> Duration;

    /// A future that completes once [`Clock::now`] has reached `deadline`.
    fn sleep_until(&self, deadline: Instant) -> Sleep;
}

/// The real clock: tokio's monotonic time (so `tokio::time::pause` applies) and the system's
/// wall-clock time.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct SystemClock;

impl SystemClock {
    /// The system clock.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn unix_now(&self) -> Duration {
        // A clock set before 1970 cannot be trusted: read it as the far future, so every token
        // is expired (fail closed) instead of crashing the process, as jsonwebtoken does here.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(BROKEN_CLOCK)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(tokio::time::Instant::from_std(
            deadline,
        )))
    }
}

/// A clock that only moves when told to. Timers created by [`Clock::sleep_until`] fire when
/// [`ManualClock::advance`] moves the clock past their deadline.
///
/// Clones share the same time.
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

struct ManualInner {
    base: Instant,
    base_unix: Duration,
    offset: watch::Sender<Duration>,
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("unix_now", &self.unix_now())
            .finish()
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A manual clock starting at the current system time.
    #[must_use]
    pub fn new() -> Self {
        Self::starting_at(SystemClock.unix_now())
    }

    /// A manual clock whose wall-clock time starts at `unix_secs` seconds after the epoch.
    #[must_use]
    pub fn at_unix(unix_secs: u64) -> Self {
        Self::starting_at(Duration::from_secs(unix_secs))
    }

    fn starting_at(base_unix: Duration) -> Self {
        let (offset, _) = watch::channel(Duration::ZERO);
        Self {
            inner: Arc::new(ManualInner {
                base: Instant::now(),
                base_unix,
                offset,
            }),
        }
    }

    /// Moves the clock forward by `by` (in total at most a hundred years), waking every timer
    /// whose deadline has passed.
    pub fn advance(&self, by: Duration) {
        let base = self.inner.base;
        self.inner.offset.send_modify(|offset| {
            let wanted = offset.saturating_add(by).min(MAX_MANUAL_OFFSET);
            if base.checked_add(wanted).is_some() {
                *offset = wanted;
            }
        });
    }

    fn offset(&self) -> Duration {
        *self.inner.offset.borrow()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.base + self.offset()
    }

    fn unix_now(&self) -> Duration {
        self.inner.base_unix.saturating_add(self.offset())
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let mut offset = self.inner.offset.subscribe();
        let base = self.inner.base;
        Box::pin(async move {
            loop {
                if base + *offset.borrow_and_update() >= deadline {
                    return;
                }
                if offset.changed().await.is_err() {
                    // The clock is gone; nothing will ever advance it again.
                    std::future::pending::<()>().await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_very_far_saturates_instead_of_panicking() {
        let clock = ManualClock::at_unix(0);
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        let _ = clock.now();
        assert_eq!(clock.unix_now(), MAX_MANUAL_OFFSET);
    }

    #[tokio::test]
    async fn manual_timers_fire_only_after_advance() {
        let clock = ManualClock::at_unix(100);
        let deadline = clock.now() + Duration::from_secs(10);
        let mut sleep = clock.sleep_until(deadline);
        assert!(futures_util::poll!(&mut sleep).is_pending());
        clock.advance(Duration::from_secs(9));
        assert!(futures_util::poll!(&mut sleep).is_pending());
        clock.advance(Duration::from_secs(1));
        sleep.await;
        assert_eq!(clock.unix_now(), Duration::from_secs(110));
    }
}
