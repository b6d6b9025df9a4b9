//! Entry points for the fuzz targets in `fuzz/` (built only with `--cfg fuzzing`, which
//! cargo-fuzz sets). Each is a thin call into the code the cache runs; none is a public API.

use std::time::Duration;

use http::HeaderMap;

/// How long a key-set response stays fresh according to its `Cache-Control`, `Expires` and
/// `Date` headers, exactly as the fetcher reads them (`unix_now` stands in for a missing
/// `Date`).
#[must_use]
pub fn freshness(headers: &HeaderMap, unix_now: Duration) -> Option<Duration> {
    crate::fetcher::freshness(headers, unix_now)
}
