//! The bearer credential of a request (RFC 6750 §2.1) as tollgate-tower's layer extracts it,
//! from `Authorization` and from a gateway header whose whole value is the token.
//!
//! Input: lines; the first is the URI's query string (may be empty), each further line one
//! header field value (values that `http` refuses to carry are dropped, as a server would
//! never deliver them).
//!
//! Property: no panic, and the answer follows the grammar, checked independently:
//! - no field: no credentials; two or more fields: `RepeatedHeader`;
//! - one field with bytes `HeaderValue::to_str` refuses: `NotAscii`;
//! - a token is returned only from `Bearer <token>` (scheme case-insensitive, spaces after
//!   it), is a non-empty b64token (`1*(ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/")
//!   *"="`), is exactly the rest of the trimmed value, and never comes with an
//!   `access_token` query parameter; a canonical `Bearer <token>` gives the same token back;
//! - another scheme (a first word that is not `bearer`) is no credentials, not an error;
//! - `MultipleMethods` only with an `access_token` query parameter.

#![no_main]

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use libfuzzer_sys::fuzz_target;
use tollgate_tower::InvalidRequest;
use tollgate_tower::fuzz_api::{extract_bearer, extract_from_header};

const GATEWAY: HeaderName = HeaderName::from_static("x-access-token");

fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

fn query_has_access_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|query| {
        query.split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or("").replace('+', " ");
            percent_decode(&name) == b"access_token"
        })
    })
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(0));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn check(headers: &HeaderMap, uri: &Uri, name: &HeaderName) {
    let gateway = name != AUTHORIZATION;
    let result = if gateway {
        extract_from_header(headers, uri, name)
    } else {
        extract_bearer(headers, uri)
    };
    let values: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
    let value = match values[..] {
        [] => {
            assert_eq!(result, Ok(None), "no field must mean no credentials");
            return;
        }
        [value] => value,
        _ => {
            assert_eq!(result, Err(InvalidRequest::RepeatedHeader));
            return;
        }
    };
    let Ok(text) = value.to_str() else {
        assert_eq!(result, Err(InvalidRequest::NotAscii));
        return;
    };
    let trimmed = text.trim_matches([' ', '\t']);
    match result {
        Ok(Some(token)) => {
            assert!(is_b64token(token), "returned a token outside b64token");
            assert!(!query_has_access_token(uri), "token also in the query");
            if gateway {
                assert_eq!(token, trimmed, "a gateway token is the whole value");
            } else {
                let (scheme, rest) = trimmed
                    .split_once(' ')
                    .expect("a bearer token follows a scheme and a space");
                assert!(
                    scheme.eq_ignore_ascii_case("bearer"),
                    "scheme is not Bearer"
                );
                assert_eq!(rest.trim_start_matches(' '), token, "token is not the rest");
                // The canonical form of the same credential gives the same token.
                let mut canonical = HeaderMap::new();
                let again = HeaderValue::from_str(&format!("Bearer {token}"))
                    .expect("a b64token is a valid header value");
                canonical.insert(AUTHORIZATION, again);
                assert_eq!(extract_bearer(&canonical, uri), Ok(Some(token)));
            }
        }
        Ok(None) => {
            assert!(
                !gateway,
                "a gateway header value is always a token or an error"
            );
            let scheme = trimmed.split(' ').next().unwrap_or("");
            assert!(
                !scheme.eq_ignore_ascii_case("bearer"),
                "a Bearer credential was ignored"
            );
        }
        Err(InvalidRequest::RepeatedHeader | InvalidRequest::NotAscii) => {
            panic!("one visible-ASCII field refused as {result:?}")
        }
        Err(InvalidRequest::MultipleMethods) => {
            assert!(
                query_has_access_token(uri),
                "MultipleMethods without a query token"
            );
        }
        Err(_) if gateway => {
            assert!(
                trimmed.is_empty() || !is_b64token(trimmed),
                "a gateway token in the grammar was refused: {result:?}"
            );
        }
        Err(_) => {
            assert!(
                trimmed
                    .get(..6)
                    .is_some_and(|p| p.eq_ignore_ascii_case("bearer")),
                "another scheme was refused instead of ignored: {result:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|&b| b == b'\n');
    let query = lines.next().unwrap_or_default();
    let uri = std::str::from_utf8(query)
        .ok()
        .and_then(|q| format!("/orders?{q}").parse::<Uri>().ok())
        .unwrap_or_else(|| Uri::from_static("/orders"));
    let mut authorization = HeaderMap::new();
    let mut gateway = HeaderMap::new();
    for line in lines {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            authorization.append(AUTHORIZATION, value.clone());
            gateway.append(GATEWAY, value);
        }
    }
    check(&authorization, &uri, &AUTHORIZATION);
    check(&gateway, &uri, &GATEWAY);
});
