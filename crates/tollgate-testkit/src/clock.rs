//! Wall-clock time in Unix seconds.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::TestkitError;

/// Seconds since the Unix epoch, from the system clock.
pub(crate) fn now_unix() -> Result<u64, TestkitError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| TestkitError::Clock)
}
