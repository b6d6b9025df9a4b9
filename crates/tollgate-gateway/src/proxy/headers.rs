//! Hop-by-hop headers (RFC 9110 §7.6.1) and `X-Forwarded-*`.

use std::net::SocketAddr;

use http::header::{CONNECTION, HOST, TE, TRANSFER_ENCODING, UPGRADE};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Version};

const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// Whether a comma-separated header holds `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

/// The `Upgrade` value of an HTTP/1.1 upgrade request (`Connection: upgrade` and
/// `Upgrade: ...`), e.g. a WebSocket handshake.
pub(crate) fn upgrade_request<B>(request: &Request<B>) -> Option<HeaderValue> {
    if request.version() != Version::HTTP_11
        || !has_token(request.headers(), &CONNECTION, "upgrade")
    {
        return None;
    }
    request.headers().get(UPGRADE).cloned()
}

/// Removes the hop-by-hop headers: those `Connection` names, and `Connection`, `Keep-Alive`,
/// `Proxy-Connection`, `TE`, `Transfer-Encoding`, `Upgrade`, `Proxy-Authenticate`,
/// `Proxy-Authorization`. Returns whether `TE` asked for trailers (gRPC needs `te: trailers`
/// passed on).
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) -> bool {
    let trailers = has_token(headers, &TE, "trailers");
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        CONNECTION,
        KEEP_ALIVE,
        PROXY_CONNECTION,
        TE,
        TRANSFER_ENCODING,
        UPGRADE,
        http::header::PROXY_AUTHENTICATE,
        http::header::PROXY_AUTHORIZATION,
    ] {
        headers.remove(name);
    }
    trailers
}

/// Sets `X-Forwarded-For`, `-Proto` and `-Host`. Without `trust`, what the client sent under
/// those names (and `Forwarded`) is dropped first; with it, the client address is appended to
/// the incoming `X-Forwarded-For` and incoming `-Proto`/`-Host` are kept.
pub(crate) fn set_forwarded<B>(request: &mut Request<B>, client: Option<SocketAddr>, trust: bool) {
    let host = request.headers().get(HOST).cloned().or_else(|| {
        request
            .uri()
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    });
    let headers = request.headers_mut();
    let previous_for = if trust {
        headers
            .get_all(&X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        for name in [&X_FORWARDED_PROTO, &X_FORWARDED_HOST, &FORWARDED] {
            headers.remove(name);
        }
        String::new()
    };
    headers.remove(&X_FORWARDED_FOR);
    if let Some(client) = client {
        let ip = client.ip().to_string();
        let value = if previous_for.is_empty() {
            ip
        } else {
            format!("{previous_for}, {ip}")
        };
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(X_FORWARDED_FOR, value);
        }
    }
    if !(trust && headers.contains_key(&X_FORWARDED_PROTO)) {
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    }
    if let Some(host) = host
        && !(trust && headers.contains_key(&X_FORWARDED_HOST))
    {
        headers.insert(X_FORWARDED_HOST, host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_named_headers_go() {
        let mut headers = HeaderMap::new();
        headers.insert(CONNECTION, HeaderValue::from_static("keep-alive, x-secret"));
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(TE, HeaderValue::from_static("trailers"));
        headers.insert("x-kept", HeaderValue::from_static("1"));
        assert!(remove_hop_by_hop(&mut headers));
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key("x-kept"));
    }

    #[test]
    fn forwarded_headers_replace_what_the_client_sent() {
        let mut request = Request::builder()
            .header(HOST, "api.example")
            .header(&X_FORWARDED_FOR, "6.6.6.6")
            .header(&X_FORWARDED_HOST, "evil.example")
            .header(FORWARDED, "for=6.6.6.6")
            .body(())
            .unwrap();
        set_forwarded(&mut request, Some("10.0.0.1:5000".parse().unwrap()), false);
        let h = request.headers();
        assert_eq!(h[&X_FORWARDED_FOR], "10.0.0.1");
        assert_eq!(h[&X_FORWARDED_HOST], "api.example");
        assert_eq!(h[&X_FORWARDED_PROTO], "http");
        assert!(!h.contains_key(FORWARDED));

        let mut request = Request::builder()
            .header(&X_FORWARDED_FOR, "1.2.3.4")
            .body(())
            .unwrap();
        set_forwarded(&mut request, Some("10.0.0.1:5000".parse().unwrap()), true);
        assert_eq!(request.headers()[&X_FORWARDED_FOR], "1.2.3.4, 10.0.0.1");
    }
}
