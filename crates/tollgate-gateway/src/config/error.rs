//! [`ConfigError`]: what is wrong with a configuration file, and where.

use std::fmt;
use std::path::PathBuf;

/// Where in the file a problem is: line and column (from 1) and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1 (0 when the problem has no place in the file).
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
    /// The key, as a path: `route[2].require`, `issuer[0].region`.
    pub key: String,
}

impl Location {
    /// The location of byte `offset` of `text`, under `key`.
    pub(crate) fn at(text: &str, offset: usize, key: impl Into<String>) -> Self {
        let before = text.get(..offset.min(text.len())).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit_once('\n')
            .map_or(before, |(_, last)| last)
            .chars()
            .count()
            + 1;
        Self {
            line,
            column,
            key: key.into(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.key.is_empty()) {
            (0, _) => write!(f, "`{}`", self.key),
            (_, true) => write!(f, "line {}, column {}", self.line, self.column),
            (_, false) => write!(
                f,
                "line {}, column {}, `{}`",
                self.line, self.column, self.key
            ),
        }
    }
}

/// A configuration file that cannot be used. Every variant but [`ConfigError::Read`] says
/// where the problem is ([`Location`]: line, column, key); none prints a secret or the value
/// of an environment variable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the configuration file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown key, a value of the wrong type, a missing key, or an
    /// environment variable that is not set.
    #[error("{at}: {problem}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong (the parser's words).
        problem: String,
    },
    /// A claims condition without exactly one of `any`, `all` and `equals`, or with an
    /// empty list or path.
    #[error(
        "{at}: a claims condition needs a non-empty `path` and exactly one of `any`, `all` \
         (non-empty lists) or `equals`"
    )]
    InvalidClaimsCondition {
        /// Where.
        at: Location,
    },
    /// A claims condition whose `path` is not a claim path (segments separated by `.`; a name
    /// that contains `.` is quoted: `"https://example.com/roles"`).
    #[error(
        "{at}: `path` is not a claim path: segments are separated by `.`, and a name that \
         contains `.`, `\"`, `\\` or whitespace is written in double quotes \
         (`\"https://example.com/roles\"`)"
    )]
    InvalidClaimPath {
        /// Where.
        at: Location,
        /// What is wrong with it.
        #[source]
        problem: tollgate_verify::InvalidClaimPath,
    },
    /// An empty list where it would never match (or, for `any_of`/`all_of`, mean nothing).
    #[error(
        "{at}: an empty list here would never match; write `deny` to refuse every request, \
         or `authenticated` to accept any valid token"
    )]
    EmptyList {
        /// Where.
        at: Location,
    },
    /// `anonymous` or `deny` inside `any_of`/`all_of` (they stand alone).
    #[error("{at}: `anonymous` and `deny` stand alone: not inside `any_of` or `all_of`")]
    NestedOpenOrDeny {
        /// Where.
        at: Location,
    },
    /// `all_of` of alternatives multiplies them: more than [`MAX_ALTERNATIVES`] results.
    ///
    /// [`MAX_ALTERNATIVES`]: crate::config::MAX_ALTERNATIVES
    #[error("{at}: this requirement expands to more than {max} scope alternatives")]
    RequirementTooLarge {
        /// Where.
        at: Location,
        /// The limit.
        max: usize,
    },
    /// A route path that is not a valid pattern, or conflicts with another one.
    #[error("{at}: invalid route path: {problem}")]
    InvalidRoutePath {
        /// Where.
        at: Location,
        /// What is wrong.
        problem: String,
    },
    /// Two routes for the same path pattern and method.
    #[error("{at}: {method} {path} is already routed at line {first_line}")]
    DuplicateRoute {
        /// Where (the second route).
        at: Location,
        /// The pattern.
        path: String,
        /// The method (`*` for every method).
        method: String,
        /// The line of the first route.
        first_line: usize,
    },
    /// Not an HTTP method.
    #[error("{at}: `{method}` is not an HTTP method")]
    InvalidMethod {
        /// Where.
        at: Location,
        /// What was written.
        method: String,
    },
    /// A route names an upstream that is not configured.
    #[error("{at}: there is no [upstream.{name}]")]
    UnknownUpstream {
        /// Where.
        at: Location,
        /// The name.
        name: String,
    },
    /// A route names no upstream and there is no `[upstream.default]`.
    #[error(
        "{at}: this route names no upstream and there is no [upstream.default]: add \
         `upstream = \"...\"` or define [upstream.default]"
    )]
    NoDefaultUpstream {
        /// Where.
        at: Location,
    },
    /// An upstream URL that is not `http://host:port[/prefix]`.
    #[error("{at}: invalid upstream URL: {problem}")]
    InvalidUpstreamUrl {
        /// Where.
        at: Location,
        /// What is wrong.
        problem: &'static str,
    },
    /// Not a header name.
    #[error("{at}: `{name}` is not a valid header name")]
    InvalidHeaderName {
        /// Where.
        at: Location,
        /// What was written.
        name: String,
    },
    /// A header that HTTP or the gateway manages (`host`, `authorization`, hop-by-hop,
    /// `x-forwarded-*`, ...) cannot carry claims.
    #[error("{at}: `{name}` cannot carry claims: HTTP or the gateway manages it")]
    ReservedHeaderName {
        /// Where.
        at: Location,
        /// The name.
        name: String,
    },
    /// An empty claim name, or a separator that cannot appear in a header value.
    #[error("{at}: invalid claim header: {problem}")]
    InvalidClaimHeader {
        /// Where.
        at: Location,
        /// What is wrong.
        problem: &'static str,
    },
    /// An algorithm name this build does not know.
    #[error("{at}: `{name}` is not a supported algorithm (supported: {supported})")]
    UnknownAlgorithm {
        /// Where.
        at: Location,
        /// What was written.
        name: String,
        /// The names that are supported.
        supported: String,
    },
    /// Settings of an issuer that do not fit its kind, or are missing.
    #[error("{at}: {problem}")]
    IssuerSettings {
        /// Where.
        at: Location,
        /// What is wrong.
        problem: &'static str,
    },
    /// The library refuses this issuer (its policy or its key source).
    #[error("{at}: this issuer cannot be used")]
    Issuer {
        /// Where.
        at: Location,
        /// Why.
        #[source]
        source: tollgate_verify::BuildError,
    },
    /// The library refuses the verifier settings (`[verify]`, `[keys]`, issuers together).
    #[error("the [verify], [keys] or [[issuer]] settings cannot be used together")]
    Verifier {
        /// Why.
        #[source]
        source: tollgate_verify::BuildError,
    },
    /// No `[[issuer]]`.
    #[error("no issuer: add at least one [[issuer]]")]
    NoIssuer,
    /// A listen address that is not `IP:port`.
    #[error("{at}: `{value}` is not a socket address such as 127.0.0.1:8080")]
    InvalidListen {
        /// Where (an environment variable has line 0 and its name as the key).
        at: Location,
        /// What was written.
        value: String,
    },
    /// A limit out of range.
    #[error("{at}: {problem}")]
    InvalidLimit {
        /// Where.
        at: Location,
        /// What is wrong.
        problem: &'static str,
    },
    /// A forward-auth path that does not start with `/`, or a route also matches it.
    #[error("{at}: {problem}")]
    InvalidForwardAuthPath {
        /// Where.
        at: Location,
        /// What is wrong.
        problem: &'static str,
    },
    /// A realm that cannot be written in a challenge.
    #[error("{at}: the realm must be printable ASCII without `\"` or `\\`")]
    InvalidRealm {
        /// Where.
        at: Location,
    },
    /// A log level filter that tracing cannot read.
    #[error("{at}: `{value}` is not a log filter such as `info` or `info,tollgate=debug`")]
    InvalidLogLevel {
        /// Where.
        at: Location,
        /// What was written.
        value: String,
    },
}

impl ConfigError {
    /// Where the problem is, when it has a place.
    #[must_use]
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Read { .. } | Self::Verifier { .. } | Self::NoIssuer => None,
            Self::Invalid { at, .. }
            | Self::InvalidClaimsCondition { at }
            | Self::InvalidClaimPath { at, .. }
            | Self::EmptyList { at }
            | Self::NestedOpenOrDeny { at }
            | Self::RequirementTooLarge { at, .. }
            | Self::InvalidRoutePath { at, .. }
            | Self::DuplicateRoute { at, .. }
            | Self::InvalidMethod { at, .. }
            | Self::UnknownUpstream { at, .. }
            | Self::NoDefaultUpstream { at }
            | Self::InvalidUpstreamUrl { at, .. }
            | Self::InvalidHeaderName { at, .. }
            | Self::ReservedHeaderName { at, .. }
            | Self::InvalidClaimHeader { at, .. }
            | Self::UnknownAlgorithm { at, .. }
            | Self::IssuerSettings { at, .. }
            | Self::Issuer { at, .. }
            | Self::InvalidListen { at, .. }
            | Self::InvalidLimit { at, .. }
            | Self::InvalidForwardAuthPath { at, .. }
            | Self::InvalidRealm { at }
            | Self::InvalidLogLevel { at, .. } => Some(at),
        }
    }
}
