//! Errors of the key cache.
//!
//! Messages name what went wrong and never contain key material or tokens.

use std::error::Error as StdError;
use std::fmt;

type BoxError = Box<dyn StdError + Send + Sync>;

/// The underlying cause of a transport failure, kept private so that `reqwest` does not become
/// part of this crate's error types. Reach it through [`std::error::Error::source`].
#[derive(Clone)]
pub struct Cause(std::sync::Arc<dyn StdError + Send + Sync>);

impl Cause {
    pub(crate) fn new(error: impl Into<BoxError>) -> Self {
        Self(std::sync::Arc::from(error.into()))
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for Cause {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

/// Why fetching or loading a key set failed. The cache keeps its last good set on any of these.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Could not connect, or the connection failed mid-way.
    #[error("could not reach the key set endpoint")]
    Connect(#[source] Cause),
    /// The request did not complete within the fetch timeout.
    #[error("key set request timed out")]
    Timeout,
    /// The endpoint answered with a redirect; redirects are never followed.
    #[error("key set endpoint answered with a redirect ({status})")]
    Redirect {
        /// The HTTP status code.
        status: u16,
    },
    /// The HTTP client followed a redirect (possible only with a client supplied through
    /// `http_client` that allows them): the answer did not come from the requested URL.
    #[error("the HTTP client followed a redirect; key sets are only read from the configured URL")]
    FollowedRedirect,
    /// The endpoint answered with a status other than 200 (or 304 to a conditional request).
    #[error("key set endpoint answered with status {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// Seconds from a `Retry-After` header, if one was sent.
        retry_after: Option<u64>,
    },
    /// The body was larger than the configured limit.
    #[error("key set body exceeds {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not a JSON object with a `keys` array (or not a discovery document).
    #[error("key set document is not valid JSON of the expected shape")]
    InvalidJson,
    /// The set parsed, but no key in it passes the key policy.
    #[error("key set has no usable key ({skipped} skipped)")]
    NoUsableKeys {
        /// How many entries were skipped.
        skipped: usize,
    },
    /// The discovery document names another issuer than the configured one.
    #[error("discovery document issuer does not match the configured issuer")]
    IssuerMismatch,
    /// The discovery document has no usable `jwks_uri`.
    #[error("discovery document has no usable jwks_uri")]
    MissingJwksUri,
    /// A URL (for example a discovered `jwks_uri`) breaks the URL policy; the reason is the
    /// [`source`](std::error::Error::source).
    #[error("a discovered URL was rejected")]
    Url(#[from] UrlError),
    /// Reading a key set file failed.
    #[error("could not read key set file")]
    Io(#[source] Cause),
    /// The fetch task failed unexpectedly (a bug); treated like any failed fetch.
    #[error("internal error while fetching the key set")]
    Internal,
    /// Any other HTTP client failure.
    #[error("http client error")]
    Http(#[source] Cause),
}

impl FetchError {
    /// A short, stable name for logs and metrics labels.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Connect(_) => "connect",
            Self::Timeout => "timeout",
            Self::Redirect { .. } | Self::FollowedRedirect => "redirect",
            Self::Status { .. } => "status",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::InvalidJson => "invalid_json",
            Self::NoUsableKeys { .. } => "no_usable_keys",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::MissingJwksUri => "missing_jwks_uri",
            Self::Url(_) => "url",
            Self::Io(_) => "io",
            Self::Http(_) => "http",
            Self::Internal => "internal",
        }
    }

    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not a valid absolute URL.
    #[error("not a valid absolute URL")]
    Invalid,
    /// Plain `http` to a host that is not loopback, without opting in.
    #[error("plain http is only allowed for loopback hosts unless explicitly enabled")]
    Insecure,
    /// A scheme other than `http` or `https`, or user info in the URL.
    #[error("unsupported URL form")]
    Unsupported,
}

/// Why a key lookup found no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// The set is usable but has no key with this `kid` (after any refetch that was allowed).
    #[error("no key with this kid")]
    UnknownKid,
    /// No usable key set: nothing fetched yet and the fetch failed, or the last good set is
    /// older than the stale limit.
    #[error("keys unavailable")]
    KeysUnavailable,
}

/// Why a cache could not be built. Each variant names one mistake.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A configured URL breaks the URL policy; the reason is the
    /// [`source`](std::error::Error::source).
    #[error("a configured URL was rejected")]
    Url(#[from] UrlError),
    /// A Cognito region or user pool id does not have the expected form.
    #[error("invalid Cognito region or user pool id")]
    InvalidCognitoPool,
    /// An AWS region (of an Application Load Balancer key source) does not have the form
    /// `xx-name-N`.
    #[error("invalid AWS region")]
    InvalidRegion,
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    HttpClient(#[source] Cause),
    /// A policy duration exceeds [`MAX_POLICY_DURATION`](crate::MAX_POLICY_DURATION) (366
    /// days), which keeps every deadline far from overflow.
    #[error("{setting} exceeds 366 days")]
    DurationTooLong {
        /// The builder setting, for example `cooldown` or `ttl_bounds max`.
        setting: &'static str,
    },
    /// The minimum freshness is below one second.
    #[error("ttl_bounds: the minimum must be at least 1 s")]
    MinTtlTooShort,
    /// The cooldown is below one second: it is what stops refetch floods.
    #[error("cooldown must be at least 1 s (it is what stops refetch floods)")]
    CooldownTooShort,
    /// The minimum freshness exceeds the maximum.
    #[error("ttl_bounds: the minimum exceeds the maximum")]
    MinTtlAboveMaxTtl,
    /// The retry backoff starts at zero or above its maximum.
    #[error("retry_backoff: the initial delay must be positive and at most the maximum")]
    InvalidRetryBackoff,
    /// A connect or fetch timeout is zero.
    #[error("connect_timeout and fetch_timeout must be positive")]
    ZeroTimeout,
    /// The body limit is below 256 bytes, too small for any key set.
    #[error("max_body_bytes must be at least 256")]
    MaxBodyTooSmall,
    /// The key-set options allow no algorithm.
    #[error("at least one algorithm is required")]
    NoAlgorithm,
    /// The refresh jitter is outside 0 to [`MAX_REFRESH_JITTER`](crate::MAX_REFRESH_JITTER)
    /// (a fraction of the freshness lifetime), or not a number.
    #[error("refresh_jitter must be between 0 and 0.25 (a fraction of the freshness lifetime)")]
    RefreshJitterOutOfRange,
    /// A static key set could not be loaded; the cause is the
    /// [`source`](std::error::Error::source).
    #[error("could not load the static key set")]
    StaticSet(#[source] FetchError),
}

/// Every variant of this crate's errors, listed against `match`es without a wildcard (a new
/// variant does not compile until it is listed here): messages are short and free of
/// secrets, and no error repeats the text of its `source()`.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::error::Error as _;

    use super::*;

    fn cause() -> Cause {
        Cause::new(std::io::Error::other("connection reset by peer"))
    }

    fn fetch_error_ordinal(error: &FetchError) -> usize {
        match error {
            FetchError::Connect(_) => 0,
            FetchError::Timeout => 1,
            FetchError::Redirect { .. } => 2,
            FetchError::FollowedRedirect => 3,
            FetchError::Status { .. } => 4,
            FetchError::BodyTooLarge { .. } => 5,
            FetchError::InvalidJson => 6,
            FetchError::NoUsableKeys { .. } => 7,
            FetchError::IssuerMismatch => 8,
            FetchError::MissingJwksUri => 9,
            FetchError::Url(_) => 10,
            FetchError::Io(_) => 11,
            FetchError::Internal => 12,
            FetchError::Http(_) => 13,
        }
    }
    const FETCH_ERROR_VARIANTS: usize = 14;

    fn every_fetch_error() -> Vec<FetchError> {
        vec![
            FetchError::Connect(cause()),
            FetchError::Timeout,
            FetchError::Redirect { status: 302 },
            FetchError::FollowedRedirect,
            FetchError::Status {
                status: 503,
                retry_after: Some(10),
            },
            FetchError::BodyTooLarge { limit: 65_536 },
            FetchError::InvalidJson,
            FetchError::NoUsableKeys { skipped: 3 },
            FetchError::IssuerMismatch,
            FetchError::MissingJwksUri,
            FetchError::Url(UrlError::Insecure),
            FetchError::Io(cause()),
            FetchError::Internal,
            FetchError::Http(cause()),
        ]
    }

    fn build_error_ordinal(error: &BuildError) -> usize {
        match error {
            BuildError::Url(_) => 0,
            BuildError::InvalidCognitoPool => 1,
            BuildError::HttpClient(_) => 2,
            BuildError::DurationTooLong { .. } => 3,
            BuildError::MinTtlTooShort => 4,
            BuildError::CooldownTooShort => 5,
            BuildError::MinTtlAboveMaxTtl => 6,
            BuildError::InvalidRetryBackoff => 7,
            BuildError::ZeroTimeout => 8,
            BuildError::MaxBodyTooSmall => 9,
            BuildError::NoAlgorithm => 10,
            BuildError::StaticSet(_) => 11,
            BuildError::RefreshJitterOutOfRange => 12,
            BuildError::InvalidRegion => 13,
        }
    }
    const BUILD_ERROR_VARIANTS: usize = 14;

    fn every_build_error() -> Vec<BuildError> {
        vec![
            BuildError::Url(UrlError::Unsupported),
            BuildError::InvalidCognitoPool,
            BuildError::HttpClient(cause()),
            BuildError::DurationTooLong {
                setting: "cooldown",
            },
            BuildError::MinTtlTooShort,
            BuildError::CooldownTooShort,
            BuildError::MinTtlAboveMaxTtl,
            BuildError::InvalidRetryBackoff,
            BuildError::ZeroTimeout,
            BuildError::MaxBodyTooSmall,
            BuildError::NoAlgorithm,
            BuildError::StaticSet(FetchError::Io(cause())),
            BuildError::RefreshJitterOutOfRange,
            BuildError::InvalidRegion,
        ]
    }

    fn other_errors() -> Vec<Box<dyn std::error::Error>> {
        // Exhaustive too: listing a new variant is the only way to make these compile.
        let lookup = |e: LookupError| match e {
            LookupError::UnknownKid | LookupError::KeysUnavailable => Box::new(e) as Box<_>,
        };
        let url = |e: UrlError| match e {
            UrlError::Invalid | UrlError::Insecure | UrlError::Unsupported => Box::new(e) as Box<_>,
        };
        vec![
            lookup(LookupError::UnknownKid),
            lookup(LookupError::KeysUnavailable),
            url(UrlError::Invalid),
            url(UrlError::Insecure),
            url(UrlError::Unsupported),
        ]
    }

    /// No error in the chain repeats the next one's text.
    fn assert_source_printed_once(error: &(dyn std::error::Error + 'static)) {
        let mut current = error;
        while let Some(source) = current.source() {
            let (outer, inner) = (current.to_string(), source.to_string());
            assert!(
                !outer.contains(&inner),
                "{outer:?} repeats its source {inner:?}"
            );
            current = source;
        }
    }

    fn check(error: &(dyn std::error::Error + 'static), messages: &mut BTreeSet<String>) {
        let text = error.to_string();
        assert!(!text.is_empty() && text.len() < 100, "{text}");
        assert!(!text.ends_with('.'), "{text}");
        assert_source_printed_once(error);
        messages.insert(text);
    }

    #[test]
    fn every_error_is_listed_and_prints_its_source_once() {
        let fetch = every_fetch_error();
        let ordinals: BTreeSet<_> = fetch.iter().map(fetch_error_ordinal).collect();
        assert_eq!(ordinals, (0..FETCH_ERROR_VARIANTS).collect());
        let mut messages = BTreeSet::new();
        let mut labels = BTreeSet::new();
        for error in &fetch {
            check(error, &mut messages);
            labels.insert(error.label());
        }
        assert_eq!(messages.len(), FETCH_ERROR_VARIANTS);
        // Both redirect variants share the `redirect` label.
        assert_eq!(labels.len(), FETCH_ERROR_VARIANTS - 1);

        let build = every_build_error();
        let ordinals: BTreeSet<_> = build.iter().map(build_error_ordinal).collect();
        assert_eq!(ordinals, (0..BUILD_ERROR_VARIANTS).collect());
        let mut messages = BTreeSet::new();
        for error in &build {
            check(error, &mut messages);
            let wraps = matches!(
                error,
                BuildError::Url(_) | BuildError::HttpClient(_) | BuildError::StaticSet(_)
            );
            assert_eq!(error.source().is_some(), wraps, "{error}");
        }
        assert_eq!(messages.len(), BUILD_ERROR_VARIANTS);

        let mut messages = BTreeSet::new();
        for error in other_errors() {
            check(&*error, &mut messages);
        }
        assert_eq!(messages.len(), 5);
    }
}
