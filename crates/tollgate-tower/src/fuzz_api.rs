//! Entry points for the fuzz targets in `fuzz/` (built only with `--cfg fuzzing`, which
//! cargo-fuzz sets). Each is a thin call into the code the layer runs; none is a public API.

use http::{HeaderMap, HeaderName, Uri};

use crate::InvalidRequest;
use crate::bearer::{self, Source};

/// The bearer token of a request as the layer extracts it from `Authorization` (the default
/// token source).
///
/// # Errors
///
/// The [`InvalidRequest`] the layer answers with 400.
pub fn extract_bearer<'h>(
    headers: &'h HeaderMap,
    uri: &Uri,
) -> Result<Option<&'h str>, InvalidRequest> {
    bearer::extract(headers, uri, &Source::Authorization)
}

/// The token as the layer extracts it from a gateway header whose whole value is the token
/// (`AuthLayer::token_header`).
///
/// # Errors
///
/// The [`InvalidRequest`] the layer answers with 400.
pub fn extract_from_header<'h>(
    headers: &'h HeaderMap,
    uri: &Uri,
    name: &HeaderName,
) -> Result<Option<&'h str>, InvalidRequest> {
    bearer::extract(headers, uri, &Source::Header(name.clone()))
}
