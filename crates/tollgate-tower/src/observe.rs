//! Tracing and metrics of verification outcomes. Never records tokens or claims.
//!
//! With the `metrics` feature:
//!
//! | name | kind | labels |
//! | --- | --- | --- |
//! | `tollgate_requests_total` | counter | `outcome` (`allowed`, `anonymous`, `rejected`), `reason` |
//! | `tollgate_verify_duration_seconds` | histogram | `outcome` |

use tollgate_verify::VerifyError;

use crate::Rejection;

/// One verification: a span with its outcome and reason, and its latency.
pub(crate) struct Verification {
    span: tracing::Span,
    #[cfg(feature = "metrics")]
    started: std::time::Instant,
}

impl Verification {
    pub(crate) fn start() -> Self {
        Self {
            span: tracing::debug_span!(
                target: "tollgate::auth",
                "verify_token",
                outcome = tracing::field::Empty,
                reason = tracing::field::Empty,
            ),
            #[cfg(feature = "metrics")]
            started: std::time::Instant::now(),
        }
    }

    /// The span, to enter while verifying (events of the verifier and key cache nest in it).
    pub(crate) fn span(&self) -> &tracing::Span {
        &self.span
    }

    pub(crate) fn finish(self, error: Option<&VerifyError>) {
        let outcome = if error.is_some() {
            "rejected"
        } else {
            "allowed"
        };
        if !self.span.is_disabled() {
            self.span.record("outcome", outcome);
            if let Some(error) = error {
                self.span.record("reason", error.reason());
            }
        }
        #[cfg(feature = "metrics")]
        {
            // A literal label per branch: the macro then builds its key at compile time
            // instead of allocating one on every request.
            let seconds = self.started.elapsed().as_secs_f64();
            if error.is_some() {
                metrics::histogram!("tollgate_verify_duration_seconds", "outcome" => "rejected")
                    .record(seconds);
            } else {
                metrics::histogram!("tollgate_verify_duration_seconds", "outcome" => "allowed")
                    .record(seconds);
                metrics::counter!("tollgate_requests_total", "outcome" => "allowed", "reason" => "ok")
                    .increment(1);
            }
        }
    }
}

pub(crate) fn rejected(rejection: &Rejection) {
    tracing::debug!(
        target: "tollgate::auth",
        status = rejection.status().as_u16(),
        reason = rejection.reason(),
        "request rejected"
    );
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "tollgate_requests_total",
        "outcome" => "rejected",
        "reason" => rejection.reason()
    )
    .increment(1);
}

pub(crate) fn anonymous() {
    #[cfg(feature = "metrics")]
    metrics::counter!("tollgate_requests_total", "outcome" => "anonymous", "reason" => "none")
        .increment(1);
}
