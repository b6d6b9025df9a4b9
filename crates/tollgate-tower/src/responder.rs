//! Custom rejection bodies.

use http::HeaderValue;

use crate::{Rejection, RejectionBody};

/// Chooses the body of HTTP rejections (gRPC rejections are always trailers-only). The status
/// and the `WWW-Authenticate` challenges are set by tollgate and cannot be lost.
///
/// Closures `Fn(&Rejection) -> Option<RejectionBody>` implement it:
///
/// ```
/// use tollgate_tower::{Rejection, RejectionBody, RejectionResponder};
///
/// let responder = |rejection: &Rejection| {
///     Some(RejectionBody::json(&serde_json::json!({
///         "error": rejection.error_code(),
///         "message": rejection.description(),
///     })))
/// };
/// fn assert_responder(_: impl RejectionResponder) {}
/// assert_responder(responder);
/// ```
pub trait RejectionResponder: Clone + Send + Sync + 'static {
    /// The body for this rejection; `None` for an empty body.
    fn body(&self, rejection: &Rejection) -> Option<RejectionBody>;
}

/// Empty bodies: the status and the challenge say everything (RFC 6750).
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultResponder;

impl RejectionResponder for DefaultResponder {
    fn body(&self, _rejection: &Rejection) -> Option<RejectionBody> {
        None
    }
}

/// RFC 9457 problem details (`application/problem+json`) with fixed, client-safe text.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemDetails;

impl RejectionResponder for ProblemDetails {
    fn body(&self, rejection: &Rejection) -> Option<RejectionBody> {
        let status = rejection.status();
        let body = serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": rejection.description(),
        });
        Some(RejectionBody::new(
            HeaderValue::from_static("application/problem+json"),
            body.to_string(),
        ))
    }
}

impl<F> RejectionResponder for F
where
    F: Fn(&Rejection) -> Option<RejectionBody> + Clone + Send + Sync + 'static,
{
    fn body(&self, rejection: &Rejection) -> Option<RejectionBody> {
        self(rejection)
    }
}
