//! The freshness of a key-set response as tollgate-jwks's fetcher reads it from
//! `Cache-Control`, `Expires` and `Date` (RFC 9111).
//!
//! Input: lines `name: value`; names other than those three are kept too (they must not
//! matter). Each input is read at three clocks: the epoch, a fixed present and the far
//! future (where `now` cannot be represented as a time).
//!
//! Property: no panic, and, checked independently:
//! - no `Cache-Control` and no `Expires`: no freshness information (`None`);
//! - a `no-store` or `no-cache` directive anywhere: zero (stale at once);
//! - a valid first `Date`: the answer does not depend on the local clock;
//! - a `max-age` directive: the local clock does not matter either;
//! - with a present clock, `None` only when there is no `Expires` and no `max-age`;
//! - adding `Cache-Control: no-store` to any response makes it zero.

#![no_main]

use std::time::Duration;

use http::header::{CACHE_CONTROL, DATE, EXPIRES};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use tollgate_jwks::fuzz_api::freshness;

const NOWS: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_secs(1_700_000_000),
    Duration::from_secs(u64::MAX),
];

/// Directive names of every readable `Cache-Control` field, lower-cased.
fn directives(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| {
            d.split('=')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = &line[colon + 1..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    let answers = NOWS.map(|now| freshness(&headers, now));

    let directives = directives(&headers);
    let stale_directive = directives
        .iter()
        .any(|d| d == "no-store" || d == "no-cache");
    let max_age = directives.iter().any(|d| d == "max-age");
    let has_cache_control = headers.contains_key(CACHE_CONTROL);
    let has_expires = headers.contains_key(EXPIRES);
    let valid_date = headers
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| httpdate::parse_http_date(v).is_ok());

    for answer in answers {
        if !has_cache_control && !has_expires {
            assert_eq!(answer, None, "freshness without any freshness header");
        }
        if stale_directive {
            assert_eq!(answer, Some(Duration::ZERO), "no-store/no-cache ignored");
        }
    }
    if valid_date || max_age || stale_directive {
        assert!(
            answers.iter().all(|a| *a == answers[0]),
            "the local clock changed an answer the headers fix: {answers:?}"
        );
    }
    if answers[1].is_none() {
        assert!(!has_expires && !max_age, "Expires or max-age ignored");
    }

    headers.append(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for now in NOWS {
        assert_eq!(freshness(&headers, now), Some(Duration::ZERO));
    }
});
