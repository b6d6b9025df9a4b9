//! Counters and gauges through the `metrics` facade (feature `metrics`).
//!
//! Every series carries the `issuer` label of its cache
//! ([`JwksCacheBuilder::issuer_label`](crate::JwksCacheBuilder::issuer_label): the issuer's
//! `iss` for caches a verifier builds), so the caches of several issuers in one process keep
//! separate series.
//!
//! | name | kind | labels |
//! | --- | --- | --- |
//! | `tollgate_jwks_fetches_total` | counter | `issuer`, `outcome` |
//! | `tollgate_jwks_fetch_duration_seconds` | histogram | `issuer`, `outcome` |
//! | `tollgate_jwks_cooldown_rejections_total` | counter | `issuer` |
//! | `tollgate_jwks_keys` | gauge | `issuer` |

use std::sync::Arc;
use std::time::Duration;

pub(crate) fn fetch(issuer: &Arc<str>, outcome: &'static str, elapsed: Duration) {
    metrics::counter!(
        "tollgate_jwks_fetches_total",
        "issuer" => Arc::clone(issuer),
        "outcome" => outcome
    )
    .increment(1);
    metrics::histogram!(
        "tollgate_jwks_fetch_duration_seconds",
        "issuer" => Arc::clone(issuer),
        "outcome" => outcome
    )
    .record(elapsed.as_secs_f64());
}

pub(crate) fn cooldown_rejection(issuer: &Arc<str>) {
    metrics::counter!("tollgate_jwks_cooldown_rejections_total", "issuer" => Arc::clone(issuer))
        .increment(1);
}

pub(crate) fn keys(issuer: &Arc<str>, count: usize) {
    metrics::gauge!("tollgate_jwks_keys", "issuer" => Arc::clone(issuer)).set(count as f64);
}
