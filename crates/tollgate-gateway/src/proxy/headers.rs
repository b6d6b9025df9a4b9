//! Hop-by-hop headers (RFC 9110 §7.6.1) and `X-Forwarded-*`.

use std::net::SocketAddr;

use http::header::{CONNECTION, HOST, TE, TRANSFER_ENCODING, UPGRADE};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Version};

const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
#[cfg(test)]
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

/// The hop-by-hop headers every message loses (besides those its `Connection` names).
static HOP_BY_HOP: [HeaderName; 8] = [
    CONNECTION,
    KEEP_ALIVE,
    PROXY_CONNECTION,
    TE,
    TRANSFER_ENCODING,
    UPGRADE,
    http::header::PROXY_AUTHENTICATE,
    http::header::PROXY_AUTHORIZATION,
];

/// `name`'s index in [`HOP_BY_HOP`] (a `match` on the lowercase name: a length switch and
/// one comparison, where comparing `HeaderName`s one by one costs eight).
fn hop_by_hop_index(name: &HeaderName) -> Option<usize> {
    Some(match name.as_str() {
        "connection" => 0,
        "keep-alive" => 1,
        "proxy-connection" => 2,
        "te" => 3,
        "transfer-encoding" => 4,
        "upgrade" => 5,
        "proxy-authenticate" => 6,
        "proxy-authorization" => 7,
        _ => return None,
    })
}

/// Removes the hop-by-hop headers: those `Connection` names, and `Connection`, `Keep-Alive`,
/// `Proxy-Connection`, `TE`, `Transfer-Encoding`, `Upgrade`, `Proxy-Authenticate`,
/// `Proxy-Authorization`. Returns whether `TE` asked for trailers (gRPC needs `te: trailers`
/// passed on).
///
/// One pass over the names present comes first: a removal hashes its name even when it is
/// absent, and most messages carry none of these (eight removals were about 1,400
/// instructions per message).
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) -> bool {
    let mut present = [false; 8];
    for name in headers.keys() {
        if let Some(i) = hop_by_hop_index(name) {
            present[i] = true;
        }
    }
    if !present.contains(&true) {
        return false;
    }
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
    for (name, present) in HOP_BY_HOP.iter().zip(present) {
        if present {
            headers.remove(name);
        }
    }
    trailers
}

/// The client's address as an `X-Forwarded-For` element, rendered once per connection.
pub(crate) fn forwarded_for(client: SocketAddr) -> Option<HeaderValue> {
    HeaderValue::from_str(&client.ip().to_string()).ok()
}

/// Sets `X-Forwarded-For`, `-Proto` and `-Host`; `client` is [`forwarded_for`]'s value.
/// Without `trust`, what the client sent under those names (and `Forwarded`) is dropped
/// first; with it, the client address is appended to the incoming `X-Forwarded-For` and
/// incoming `-Proto`/`-Host` are kept.
pub(crate) fn set_forwarded<B>(
    request: &mut Request<B>,
    client: Option<&HeaderValue>,
    trust: bool,
) {
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
        // Only what is there (a removal hashes the name even when it is absent).
        let sent: Vec<HeaderName> = headers
            .keys()
            .filter(|name| {
                matches!(
                    name.as_str(),
                    "x-forwarded-proto" | "x-forwarded-host" | "forwarded"
                )
            })
            .cloned()
            .collect();
        for name in sent {
            headers.remove(name);
        }
        String::new()
    };
    if let Some(client) = client {
        let value = if previous_for.is_empty() {
            Some(client.clone())
        } else {
            client
                .to_str()
                .ok()
                .and_then(|ip| HeaderValue::from_str(&format!("{previous_for}, {ip}")).ok())
        };
        match value {
            Some(value) => headers.insert(X_FORWARDED_FOR, value),
            None => headers.remove(&X_FORWARDED_FOR),
        };
    } else {
        headers.remove(&X_FORWARDED_FOR);
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
    fn hop_by_hop_index_names_the_list() {
        for (i, name) in HOP_BY_HOP.iter().enumerate() {
            assert_eq!(hop_by_hop_index(name), Some(i), "{name}");
        }
        assert_eq!(hop_by_hop_index(&HOST), None);
        assert_eq!(hop_by_hop_index(&HeaderName::from_static("x-te")), None);
    }

    #[test]
    fn every_hop_by_hop_header_goes_alone_too() {
        for name in &HOP_BY_HOP {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static("x"));
            headers.insert("x-kept", HeaderValue::from_static("1"));
            assert!(!remove_hop_by_hop(&mut headers), "{name}");
            assert_eq!(headers.len(), 1, "{name}");
            assert!(headers.contains_key("x-kept"), "{name}");
        }
        let mut headers = HeaderMap::new();
        headers.insert("x-kept", HeaderValue::from_static("1"));
        headers.append("x-kept", HeaderValue::from_static("2"));
        headers.insert(HOST, HeaderValue::from_static("a"));
        assert!(!remove_hop_by_hop(&mut headers));
        assert_eq!(headers.len(), 3);
        let mut headers = HeaderMap::new();
        headers.insert(TE, HeaderValue::from_static("gzip, Trailers"));
        assert!(remove_hop_by_hop(&mut headers));
        assert!(headers.is_empty());
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
        let client = forwarded_for("10.0.0.1:5000".parse().unwrap());
        set_forwarded(&mut request, client.as_ref(), false);
        let h = request.headers();
        assert_eq!(h[&X_FORWARDED_FOR], "10.0.0.1");
        assert_eq!(h[&X_FORWARDED_HOST], "api.example");
        assert_eq!(h[&X_FORWARDED_PROTO], "http");
        assert!(!h.contains_key(FORWARDED));

        let mut request = Request::builder()
            .header(&X_FORWARDED_FOR, "1.2.3.4")
            .body(())
            .unwrap();
        set_forwarded(&mut request, client.as_ref(), true);
        assert_eq!(request.headers()[&X_FORWARDED_FOR], "1.2.3.4, 10.0.0.1");

        let mut request = Request::builder().body(()).unwrap();
        let client = forwarded_for("[2001:db8::1]:443".parse().unwrap());
        set_forwarded(&mut request, client.as_ref(), false);
        assert_eq!(request.headers()[&X_FORWARDED_FOR], "2001:db8::1");
    }
}
