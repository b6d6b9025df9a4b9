//! HTTP conditional requests for the JWKS endpoint (RFC 9110 §8.8.3, §13).

use aws_lc_rs::digest;
use http::HeaderMap;
use http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

use crate::raw::b64url;

/// A strong entity tag derived from the body: `"<base64url(SHA-256(body))>"`.
pub(crate) fn etag_for(body: &[u8]) -> String {
    format!(
        "\"{}\"",
        b64url(digest::digest(&digest::SHA256, body).as_ref())
    )
}

/// Whether the request carried a validator (`If-None-Match` or `If-Modified-Since`).
pub(crate) fn is_conditional(request: &HeaderMap) -> bool {
    request.contains_key(IF_NONE_MATCH) || request.contains_key(IF_MODIFIED_SINCE)
}

/// Whether a `304 Not Modified` is the right answer.
///
/// `If-None-Match` wins when present (weak comparison, `*` matches anything);
/// otherwise `If-Modified-Since` is honoured only when a `Last-Modified` response
/// header was configured, comparing HTTP dates.
pub(crate) fn is_not_modified(request: &HeaderMap, etag: &str, response: &HeaderMap) -> bool {
    if request.contains_key(IF_NONE_MATCH) {
        return request
            .get_all(IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|candidate| candidate == "*" || opaque(candidate) == opaque(etag));
    }
    let (Some(since), Some(modified)) =
        (request.get(IF_MODIFIED_SINCE), response.get(LAST_MODIFIED))
    else {
        return false;
    };
    let parse = |v: &http::HeaderValue| {
        v.to_str()
            .ok()
            .and_then(|s| httpdate::parse_http_date(s).ok())
    };
    match (parse(since), parse(modified)) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// The entity tag without a weakness prefix (`W/"x"` → `"x"`).
fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};

    use super::{etag_for, is_not_modified};

    fn with(name: &'static str, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn etag_is_strong_and_quoted() {
        let tag = etag_for(b"{}");
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_ne!(tag, etag_for(b"{ }"));
    }

    #[test]
    fn if_none_match_list_weak_and_star_match() {
        let tag = etag_for(b"x");
        let none = HeaderMap::new();
        let mut list = HeaderMap::new();
        list.insert(
            "if-none-match",
            HeaderValue::from_str(&format!("\"other\", W/{tag}"))
                .unwrap_or(HeaderValue::from_static("")),
        );
        assert!(is_not_modified(&list, &tag, &none));
        assert!(is_not_modified(&with("if-none-match", "*"), &tag, &none));
        assert!(!is_not_modified(
            &with("if-none-match", "\"nope\""),
            &tag,
            &none
        ));
    }

    #[test]
    fn if_modified_since_needs_last_modified() {
        let req = with("if-modified-since", "Wed, 21 Oct 2015 07:28:00 GMT");
        assert!(!is_not_modified(&req, "\"t\"", &HeaderMap::new()));
        let same = with("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT");
        assert!(is_not_modified(&req, "\"t\"", &same));
        let newer = with("last-modified", "Thu, 22 Oct 2015 07:28:00 GMT");
        assert!(!is_not_modified(&req, "\"t\"", &newer));
    }
}
