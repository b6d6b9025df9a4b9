//! Faults the JWKS endpoint can be told to inject.

/// One injected misbehaviour of the JWKS endpoint, queued with
/// [`TestIssuer::fail_next_jwks`](crate::TestIssuer::fail_next_jwks).
///
/// Each JWKS request consumes one queued fault (faulted requests are counted by
/// [`TestIssuer::jwks_requests`](crate::TestIssuer::jwks_requests) like any other);
/// once the queue is empty the endpoint answers normally again. Headers set with
/// [`set_jwks_cache_control`](crate::TestIssuer::set_jwks_cache_control) and
/// [`set_jwks_header`](crate::TestIssuer::set_jwks_header) are added to every
/// faulted answer except [`Hang`](Self::Hang). "The set" below means what a
/// normal answer would carry: the real key set, or the body given to
/// [`set_jwks_body`](crate::TestIssuer::set_jwks_body).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwksFault {
    /// Answer with this HTTP status and a short `text/plain` body. Codes outside
    /// 100..=999 become 500.
    Status(u16),
    /// `200 OK`, `Content-Type: application/json`, body `<html>not json` (a proxy
    /// error page where the key set should be).
    Garbage,
    /// Accept the request and never answer. The handler is released (with a 503)
    /// only when the issuer shuts down, so nothing leaks; clients must time out.
    Hang,
    /// `200 OK` with a body of exactly this many bytes that looks like a key set:
    /// the set plus an `"x-padding"` member. Sizes smaller than the set
    /// get its first `n` bytes (invalid JSON).
    Oversized(usize),
    /// `200 OK`, `Content-Type: application/json`, with exactly this body.
    Body(String),
    /// `302 Found` with this `Location` (an invalid header value is left out).
    Redirect(String),
    /// This status (e.g. 429 or 503) with `Retry-After: <seconds>`.
    StatusWithRetryAfter(u16, u64),
    /// `200 OK` and headers are sent at once, then the first bytes of the set
    /// (`{"keys":[`), then nothing until the issuer shuts down (and the connection
    /// is dropped). Tests body-read deadlines, as opposed to [`Hang`](Self::Hang).
    StallBody,
    /// `200 OK`, then the set one byte per interval (chunked, no
    /// `Content-Length`): a slow-drip server. Shutdown cuts it off.
    Drip(std::time::Duration),
    /// Like [`Oversized`](Self::Oversized) but sent with chunked transfer encoding
    /// in 16 KiB chunks and no `Content-Length`, so only a cap on the bytes
    /// actually read catches it.
    OversizedChunked(usize),
    /// `200 OK` announcing the set's `Content-Length`, but the connection is
    /// closed after half of the bytes (an unexpected EOF).
    Truncated,
}
