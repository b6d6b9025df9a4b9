//! Counters and gauges through the `metrics` facade (feature `metrics`).
//!
//! | name | kind | labels |
//! | --- | --- | --- |
//! | `tollgate_jwks_fetches_total` | counter | `outcome` |
//! | `tollgate_jwks_fetch_duration_seconds` | histogram | `outcome` |
//! | `tollgate_jwks_cooldown_rejections_total` | counter | |
//! | `tollgate_jwks_keys` | gauge | |

use std::time::Duration;

pub(crate) fn fetch(outcome: &'static str, elapsed: Duration) {
    metrics::counter!("tollgate_jwks_fetches_total", "outcome" => outcome).increment(1);
    metrics::histogram!("tollgate_jwks_fetch_duration_seconds", "outcome" => outcome)
        .record(elapsed.as_secs_f64());
}

pub(crate) fn cooldown_rejection() {
    metrics::counter!("tollgate_jwks_cooldown_rejections_total").increment(1);
}

pub(crate) fn keys(count: usize) {
    metrics::gauge!("tollgate_jwks_keys").set(count as f64);
}
