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

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
/// [`ManualClock::advance`] moves the clock past their deadline; an advance wakes only the
/// timers that are due, so thousands of caches can share one clock.
///
/// Clones share the same time.
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

struct ManualInner {
    base: Instant,
    base_unix: Duration,
    /// Time since `base`, in nanoseconds (at most [`MAX_MANUAL_OFFSET`]).
    offset: AtomicU64,
    timers: Mutex<Timers>,
}

/// Pending timers by (deadline offset in nanoseconds, id).
#[derive(Default)]
struct Timers {
    waiting: BTreeMap<(u64, u64), Waker>,
    next_id: u64,
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
        Self {
            inner: Arc::new(ManualInner {
                base: Instant::now(),
                base_unix,
                offset: AtomicU64::new(0),
                timers: Mutex::new(Timers::default()),
            }),
        }
    }

    /// Moves the clock forward by `by` (in total at most a hundred years), waking every timer
    /// whose deadline has passed.
    pub fn advance(&self, by: Duration) {
        let inner = &self.inner;
        let due = {
            let mut timers = inner.lock_timers();
            let current = Duration::from_nanos(inner.offset.load(Ordering::Acquire));
            let wanted = current.saturating_add(by).min(MAX_MANUAL_OFFSET);
            if inner.base.checked_add(wanted).is_none() {
                return;
            }
            let offset = nanos(wanted);
            // Stored under the timer lock: a sleep that registers after this sees the new time.
            inner.offset.store(offset, Ordering::Release);
            let later = timers.waiting.split_off(&(offset.saturating_add(1), 0));
            std::mem::replace(&mut timers.waiting, later)
        };
        for waker in due.into_values() {
            waker.wake();
        }
    }

    fn offset(&self) -> Duration {
        Duration::from_nanos(self.inner.offset.load(Ordering::Acquire))
    }
}

impl ManualInner {
    fn lock_timers(&self) -> MutexGuard<'_, Timers> {
        self.timers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whole nanoseconds of `d`, saturating (offsets stay below a hundred years, far from it).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.base + self.offset()
    }

    fn unix_now(&self) -> Duration {
        self.inner.base_unix.saturating_add(self.offset())
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(ManualSleep {
            clock: Arc::clone(&self.inner),
            deadline: nanos(deadline.saturating_duration_since(self.inner.base)),
            id: None,
        })
    }
}

/// A timer of a [`ManualClock`].
struct ManualSleep {
    clock: Arc<ManualInner>,
    /// Deadline as an offset from the clock's base, in nanoseconds.
    deadline: u64,
    /// Set while registered with the clock.
    id: Option<u64>,
}

impl Future for ManualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.clock.offset.load(Ordering::Acquire) >= this.deadline {
            this.unregister();
            return Poll::Ready(());
        }
        let mut timers = this.clock.lock_timers();
        // Checked again under the lock: `advance` stores the time under it.
        if this.clock.offset.load(Ordering::Acquire) >= this.deadline {
            drop(timers);
            this.unregister();
            return Poll::Ready(());
        }
        let id = match this.id {
            Some(id) => id,
            None => {
                let id = timers.next_id;
                timers.next_id += 1;
                this.id = Some(id);
                id
            }
        };
        timers
            .waiting
            .insert((this.deadline, id), cx.waker().clone());
        Poll::Pending
    }
}

impl ManualSleep {
    fn unregister(&mut self) {
        if let Some(id) = self.id.take() {
            self.clock
                .lock_timers()
                .waiting
                .remove(&(self.deadline, id));
        }
    }
}

impl Drop for ManualSleep {
    fn drop(&mut self) {
        self.unregister();
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
    async fn an_advance_wakes_only_the_timers_that_are_due() {
        let clock = ManualClock::at_unix(0);
        let start = clock.now();
        let mut sleeps: Vec<Sleep> = (1..=100)
            .map(|s| clock.sleep_until(start + Duration::from_secs(s)))
            .collect();
        for sleep in &mut sleeps {
            assert!(futures_util::poll!(sleep).is_pending());
        }
        assert_eq!(clock.inner.lock_timers().waiting.len(), 100);
        clock.advance(Duration::from_secs(10));
        assert_eq!(clock.inner.lock_timers().waiting.len(), 90);
        for (i, sleep) in sleeps.iter_mut().enumerate() {
            assert_eq!(futures_util::poll!(sleep).is_ready(), i < 10, "{i}");
        }
        // Dropped timers leave nothing behind; polling again does not register twice.
        sleeps.truncate(50);
        for sleep in sleeps.iter_mut().skip(10) {
            assert!(futures_util::poll!(sleep).is_pending());
        }
        assert_eq!(clock.inner.lock_timers().waiting.len(), 40);
        drop(sleeps);
        assert!(clock.inner.lock_timers().waiting.is_empty());
        // A deadline already passed is ready at once.
        clock.sleep_until(start).await;
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
