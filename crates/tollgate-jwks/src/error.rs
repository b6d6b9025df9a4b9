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
    /// A URL (for example a discovered `jwks_uri`) breaks the URL policy.
    #[error("url rejected: {0}")]
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

/// Why a cache could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A configured URL breaks the URL policy.
    #[error("url rejected: {0}")]
    Url(#[from] UrlError),
    /// A Cognito region or user pool id does not have the expected form.
    #[error("invalid Cognito region or user pool id")]
    InvalidCognitoPool,
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    HttpClient(#[source] Cause),
    /// A policy value is inconsistent (the message names the setting).
    #[error("invalid cache policy: {0}")]
    InvalidPolicy(&'static str),
    /// A static key set could not be loaded.
    #[error("could not load the static key set")]
    StaticSet(#[source] FetchError),
}
