//! `GET /{pool}/.well-known/jwks.json`: the key set, with ETags, conditional
//! requests, extra headers, latency and injected faults.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use http::header::{CONTENT_TYPE, ETAG, LOCATION, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::JwksFault;
use crate::conditional::{etag_for, is_conditional, is_not_modified};
use crate::fault_body::{After, FaultBody, chunked};
use crate::state::{Counters, Shared};

const GARBAGE_BODY: &str = "<html>not json";
/// Chunk size of [`JwksFault::OversizedChunked`].
const CHUNK: usize = 16 * 1024;
/// How much of the set [`JwksFault::StallBody`] sends before stalling.
const STALL_PREFIX: usize = 9;

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    Path(pool): Path<String>,
    request: HeaderMap,
) -> Response {
    if pool != shared.config.pool_id {
        return plain(StatusCode::NOT_FOUND, "unknown user pool");
    }
    shared.note_jwks_request();
    if is_conditional(&request) {
        Counters::bump(&shared.counters.conditional_jwks);
    }
    // Faults are taken in arrival order; everything else is read when answering.
    let (fault, latency) = {
        let mut controls = shared.jwks_controls();
        (controls.faults.pop_front(), controls.latency)
    };
    if !shared.wait_while_jwks_held().await {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "issuer shutting down");
    }
    if let Some(latency) = latency
        && !sleep_unless_shutdown(&shared, latency).await
    {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "issuer shutting down");
    }
    if let Some(JwksFault::Hang) = fault {
        shared.shutdown_signal().await;
        return plain(StatusCode::SERVICE_UNAVAILABLE, "issuer shutting down");
    }
    let (body_override, extra) = {
        let controls = shared.jwks_controls();
        (controls.body_override.clone(), controls.headers.clone())
    };
    let body = body_override.unwrap_or_else(|| shared.real_jwks_body());
    let mut response = match fault {
        Some(fault) => fault_response(&shared, fault, body),
        None => {
            let etag = etag_for(body.as_bytes());
            let mut response = if is_not_modified(&request, &etag, &extra) {
                Counters::bump(&shared.counters.not_modified);
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::NOT_MODIFIED;
                r
            } else {
                json(StatusCode::OK, body)
            };
            if let Ok(value) = HeaderValue::try_from(etag) {
                response.headers_mut().insert(ETAG, value);
            }
            response
        }
    };
    let headers = response.headers_mut();
    for (name, value) in &extra {
        headers.insert(name, value.clone());
    }
    response
}

/// The answer for `fault`; `served` is the body a normal answer would carry
/// (the real set or the [`set_jwks_body`](crate::TestIssuer::set_jwks_body) override).
pub(crate) fn fault_response(shared: &Shared, fault: JwksFault, served: String) -> Response {
    match fault {
        JwksFault::Status(code) => plain(status(code), "injected JWKS fault"),
        JwksFault::StatusWithRetryAfter(code, seconds) => {
            let mut response = plain(status(code), "injected JWKS fault");
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        JwksFault::Garbage => json(StatusCode::OK, GARBAGE_BODY.to_owned()),
        JwksFault::Body(body) => json(StatusCode::OK, body),
        JwksFault::Oversized(size) => json(StatusCode::OK, oversized(&served, size)),
        JwksFault::Redirect(location) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::FOUND;
            match HeaderValue::try_from(location) {
                Ok(value) => {
                    response.headers_mut().insert(LOCATION, value);
                }
                Err(_) => {
                    tracing::warn!("JwksFault::Redirect location is not a valid header value")
                }
            }
            response
        }
        JwksFault::StallBody => {
            let prefix = served
                .as_bytes()
                .get(..STALL_PREFIX)
                .unwrap_or(served.as_bytes());
            streaming(FaultBody::new(
                chunked(prefix, CHUNK),
                After::Stall,
                Box::pin(shared.shutdown_signal()),
            ))
        }
        JwksFault::Drip(interval) => streaming(
            FaultBody::new(
                chunked(served.as_bytes(), 1),
                After::End,
                Box::pin(shared.shutdown_signal()),
            )
            .every(interval),
        ),
        JwksFault::OversizedChunked(size) => streaming(FaultBody::new(
            chunked(&oversized(&served, size), CHUNK),
            After::End,
            Box::pin(shared.shutdown_signal()),
        )),
        JwksFault::Truncated => {
            let half = served
                .as_bytes()
                .get(..served.len() / 2)
                .unwrap_or_default();
            streaming(
                FaultBody::new(
                    chunked(half, CHUNK),
                    After::Fail,
                    Box::pin(shared.shutdown_signal()),
                )
                .declare_len(served.len() as u64),
            )
        }
        // Handled before; kept total for the non-exhaustive enum.
        JwksFault::Hang => plain(StatusCode::SERVICE_UNAVAILABLE, "issuer shutting down"),
    }
}

/// A body of exactly `size` bytes. A JSON object gets an `"x-padding"` member
/// (`{"keys":[...]}` → `{"keys":[...],"x-padding":"aaaa"}`); anything else, or a
/// size too small for that, is cut to `size` bytes or padded with trailing spaces.
fn oversized(set: &str, size: usize) -> Vec<u8> {
    const PAD_OPEN: &str = ",\"x-padding\":\"";
    const PAD_CLOSE: &str = "\"}";
    let bytes = set.as_bytes();
    match set.strip_suffix('}') {
        Some(prefix) if size >= prefix.len() + PAD_OPEN.len() + PAD_CLOSE.len() => {
            let fill = size - prefix.len() - PAD_OPEN.len() - PAD_CLOSE.len();
            let mut body = Vec::with_capacity(size);
            body.extend_from_slice(prefix.as_bytes());
            body.extend_from_slice(PAD_OPEN.as_bytes());
            body.extend(std::iter::repeat_n(b'a', fill));
            body.extend_from_slice(PAD_CLOSE.as_bytes());
            body
        }
        _ => {
            let mut body: Vec<u8> = bytes.iter().copied().take(size).collect();
            body.resize(size, b' ');
            body
        }
    }
}

/// Sleeps for `latency`; `false` if the issuer started shutting down first.
async fn sleep_unless_shutdown(shared: &Shared, latency: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(latency) => true,
        () = shared.shutdown_signal() => false,
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or_else(|_| {
        tracing::warn!(code, "invalid injected status code, answering 500");
        StatusCode::INTERNAL_SERVER_ERROR
    })
}

/// `200 OK`, `application/json`, with a misbehaving body.
fn streaming(body: FaultBody) -> Response {
    let mut response = Response::new(Body::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub(crate) fn plain(status: StatusCode, body: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::oversized;

    #[test]
    fn oversized_bodies_have_the_exact_size_and_stay_json() {
        let real = r#"{"keys":[]}"#;
        for size in [40, 1000, 65_537] {
            let body = oversized(real, size);
            assert_eq!(body.len(), size);
            assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
        }
        assert_eq!(oversized(real, 4), b"{\"ke");
        assert_eq!(oversized("<html>", 8), b"<html>  ");
        assert_eq!(oversized("<html>", 3), b"<ht");
    }
}
