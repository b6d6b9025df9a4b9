//! The configuration file (`tollgate.toml`): read, checked and turned into the library's
//! types before anything listens.
//!
//! Every problem is a [`ConfigError`] naming the line, the column and the key. Strings that
//! name addresses, URLs, issuers, pools, clients, audiences and key files may use `${NAME}`
//! (filled from the environment); `TOLLGATE_LISTEN` and `TOLLGATE_ADMIN_LISTEN` override
//! `listen` and `admin.listen`. The full reference, with every key, is the crate's README.

pub(crate) mod duration;
pub(crate) mod env;
mod error;
pub(crate) mod raw;

use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::uri::{Authority, Scheme};
use tollgate_verify::{Issuer, Verifier, VerifierBuilder};
use toml::Spanned;

pub use error::{ConfigError, Location};

use crate::claim_headers::ClaimHeaders;
use crate::issuers::{self, IssuerPlan};
use crate::requirement::RouteRequirement;
use crate::routes::RouteTable;
use raw::{LogFormat, RawConfig, RawUpstream};

/// The most scope alternatives a requirement's challenges may name (`all_of` multiplies them).
pub const MAX_ALTERNATIVES: usize = 64;
/// `listen` when the file has none.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Overrides `listen`.
pub const LISTEN_ENV: &str = "TOLLGATE_LISTEN";
/// Overrides `admin.listen`.
pub const ADMIN_LISTEN_ENV: &str = "TOLLGATE_ADMIN_LISTEN";

const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
const DEFAULT_MAX_HEADER_BYTES: usize = 32 * 1024;
/// hyper's smallest read buffer.
const MIN_HEADER_BYTES: usize = 8 * 1024;
const MAX_HEADER_BYTES: usize = 1024 * 1024;
const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// A checked configuration: everything `tollgate serve` needs, in the library's types.
#[derive(Debug)]
pub struct Config {
    pub(crate) listen: SocketAddr,
    pub(crate) admin: Option<SocketAddr>,
    pub(crate) limits: Limits,
    pub(crate) upstreams: Vec<UpstreamConfig>,
    pub(crate) issuers: IssuerPlan,
    pub(crate) realm: String,
    pub(crate) forward_authorization: bool,
    pub(crate) trust_forwarded: bool,
    pub(crate) claim_headers: ClaimHeaders,
    pub(crate) forward_auth_path: Option<String>,
    pub(crate) routes: RouteTable,
    pub(crate) drain_timeout: Duration,
    pub(crate) log_format: LogFormat,
    pub(crate) log_level: Option<String>,
}

/// Connection and header limits of the main listener.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) max_header_bytes: usize,
    pub(crate) header_read_timeout: Duration,
}

/// One `[upstream.NAME]`.
#[derive(Debug, Clone)]
pub(crate) struct UpstreamConfig {
    pub(crate) name: String,
    pub(crate) scheme: Scheme,
    pub(crate) authority: Authority,
    /// Prepended to every request path; empty or `/segment...` without a trailing slash.
    pub(crate) prefix: String,
    pub(crate) http2: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) idle_timeout: Duration,
}

/// The file's text, to turn spans into lines and columns.
pub(crate) struct Source<'a> {
    pub(crate) text: &'a str,
}

impl Source<'_> {
    pub(crate) fn at(&self, span: Range<usize>, key: impl Into<String>) -> Location {
        Location::at(self.text, span.start, key)
    }

    pub(crate) fn line(&self, span: Range<usize>) -> usize {
        self.at(span, "").line
    }
}

impl Config {
    /// Reads and checks the file at `path` (relative `jwks_file`s are read from its
    /// directory). Builds no listener and fetches nothing.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for the first problem found.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().map_or_else(PathBuf::new, Path::to_owned);
        Self::parse(&text, &base)
    }

    /// Checks a configuration given as text; relative `jwks_file`s are read from `base_dir`.
    ///
    /// ```
    /// use tollgate_gateway::Config;
    ///
    /// let config = Config::parse(r#"
    ///     listen = "127.0.0.1:8080"
    ///
    ///     [upstream.default]
    ///     url = "http://127.0.0.1:3000"
    ///
    ///     [[issuer]]
    ///     kind = "cognito"
    ///     region = "eu-west-1"
    ///     user_pool_id = "eu-west-1_AbCdEf123"
    ///     client_ids = ["4e8i3example"]
    ///
    ///     [[route]]
    ///     path = "/orders/{*rest}"
    ///     methods = ["GET"]
    ///     require = { scopes = { any = ["orders/read"] } }
    /// "#, std::path::Path::new("."))?;
    /// assert_eq!(config.listen().to_string(), "127.0.0.1:8080");
    ///
    /// let error = Config::parse("[[route]]\npath = \"/\"\nrequire = \"nobody\"\n", ".".as_ref())
    ///     .unwrap_err();
    /// assert_eq!(error.location().unwrap().line, 3);
    /// # Ok::<(), tollgate_gateway::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for the first problem found.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Self, ConfigError> {
        let source = Source { text };
        let raw = deserialize(text)?;
        build(&source, raw, base_dir, &|name| std::env::var(name).ok())
    }

    /// The address of the main listener.
    #[must_use]
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The address of the admin listener (`/healthz`, `/readyz`, `/metrics`), if any.
    #[must_use]
    pub fn admin_listen(&self) -> Option<SocketAddr> {
        self.admin
    }

    /// The path of the forward-auth endpoint, if enabled.
    #[must_use]
    pub fn forward_auth_path(&self) -> Option<&str> {
        self.forward_auth_path.as_deref()
    }

    /// How many routes the file defines.
    #[must_use]
    pub fn route_count(&self) -> usize {
        self.routes.len()
    }

    /// The issuers' `iss` values.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.issuers.issuers.iter().map(Issuer::iss)
    }

    /// How many upstreams the file defines.
    #[must_use]
    pub fn upstream_count(&self) -> usize {
        self.upstreams.len()
    }

    /// A verifier builder with every issuer and setting of the file.
    pub fn verifier_builder(&self) -> VerifierBuilder {
        self.issuers.builder()
    }

    /// Builds the verifier without any I/O (keys are fetched later).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Verifier`] when the library refuses the settings together.
    pub fn build_verifier(&self) -> Result<Verifier, ConfigError> {
        self.verifier_builder()
            .build_lazy()
            .map_err(|source| ConfigError::Verifier { source })
    }
}

fn deserialize(text: &str) -> Result<RawConfig, ConfigError> {
    let source = Source { text };
    let invalid = |error: toml::de::Error, key: String| {
        let span = error.span().unwrap_or(0..0);
        ConfigError::Invalid {
            at: source.at(span, key),
            problem: error.message().trim().to_owned(),
        }
    };
    let deserializer = toml::Deserializer::parse(text).map_err(|e| invalid(e, String::new()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        // Spanned values add a private segment to serde's path: not a key of the file.
        let key = error
            .path()
            .to_string()
            .replace(".$__serde_spanned_private_value", "")
            .replace("$__serde_spanned_private_value", "");
        let key = if key == "." { String::new() } else { key };
        invalid(error.into_inner(), key)
    })
}

fn listen_address(
    source: &Source<'_>,
    written: Option<&Spanned<env::EnvString>>,
    variable: &str,
    key: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SocketAddr>, ConfigError> {
    if let Some(value) = lookup(variable) {
        return value
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::InvalidListen {
                at: Location {
                    line: 0,
                    column: 0,
                    key: format!("{variable} (environment)"),
                },
                value,
            });
    }
    written
        .map(|spanned| {
            let value = spanned.get_ref().as_str();
            value.parse().map_err(|_| ConfigError::InvalidListen {
                at: source.at(spanned.span(), key),
                value: value.to_owned(),
            })
        })
        .transpose()
}

fn build(
    source: &Source<'_>,
    raw: RawConfig,
    base_dir: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let listen = listen_address(source, raw.listen.as_ref(), LISTEN_ENV, "listen", lookup)?;
    let listen = match listen {
        Some(listen) => listen,
        None => DEFAULT_LISTEN
            .parse()
            .map_err(|_| ConfigError::InvalidListen {
                at: Location {
                    line: 0,
                    column: 0,
                    key: "listen".to_owned(),
                },
                value: DEFAULT_LISTEN.to_owned(),
            })?,
    };
    let admin = listen_address(
        source,
        raw.admin.as_ref().map(|a| &a.listen),
        ADMIN_LISTEN_ENV,
        "admin.listen",
        lookup,
    )?;
    let limits = limits(source, &raw.limits)?;
    let mut upstreams = Vec::with_capacity(raw.upstream.len());
    for (name, upstream) in &raw.upstream {
        upstreams.push(upstream_config(source, name.get_ref(), upstream)?);
    }
    let issuers = issuers::plan(source, &raw, base_dir)?;
    let realm = match &raw.auth.realm {
        Some(realm) => {
            let value = realm.get_ref();
            let printable = !value.is_empty()
                && value
                    .bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
            if !printable {
                return Err(ConfigError::InvalidRealm {
                    at: source.at(realm.span(), "auth.realm"),
                });
            }
            value.clone()
        }
        None => "api".to_owned(),
    };
    let claim_headers = ClaimHeaders::from_config(source, &raw.claim_headers)?;
    let forward_auth_path = match &raw.forward_auth {
        Some(forward_auth) => {
            let path = forward_auth.path.get_ref();
            if !path.starts_with('/') || path.contains(['?', '#']) {
                return Err(ConfigError::InvalidForwardAuthPath {
                    at: source.at(forward_auth.path.span(), "forward_auth.path"),
                    problem: "the forward-auth path must start with `/` and have no query",
                });
            }
            Some(path.clone())
        }
        None => None,
    };
    let unmatched = match &raw.unmatched {
        Some(requirement) => RouteRequirement::from_config(source, requirement, "unmatched")?,
        None => RouteRequirement::Deny,
    };
    let routes = RouteTable::from_config(source, &raw.route, &upstreams, unmatched)?;
    if let (Some(path), Some(forward_auth)) = (&forward_auth_path, &raw.forward_auth)
        && routes.has_route_for(path)
    {
        return Err(ConfigError::InvalidForwardAuthPath {
            at: source.at(forward_auth.path.span(), "forward_auth.path"),
            problem: "a route matches the forward-auth path: requests to it never reach an upstream",
        });
    }
    let log_level = raw.log.level.clone();
    if let Some(level) = &log_level
        && tracing_subscriber::EnvFilter::try_new(level).is_err()
    {
        return Err(ConfigError::InvalidLogLevel {
            at: Location {
                line: 0,
                column: 0,
                key: "log.level".to_owned(),
            },
            value: level.clone(),
        });
    }
    Ok(Config {
        listen,
        admin,
        limits,
        upstreams,
        issuers,
        realm,
        forward_authorization: raw.auth.forward_authorization.unwrap_or(true),
        trust_forwarded: raw.auth.trust_forwarded_headers,
        claim_headers,
        forward_auth_path,
        routes,
        drain_timeout: raw
            .shutdown
            .drain_timeout
            .as_ref()
            .map_or(DEFAULT_DRAIN_TIMEOUT, duration::ConfigDuration::get),
        log_format: raw.log.format.unwrap_or_default(),
        log_level,
    })
}

fn limits(source: &Source<'_>, raw: &raw::RawLimits) -> Result<Limits, ConfigError> {
    let max_connections = match &raw.max_connections {
        Some(n) if *n.get_ref() == 0 => {
            return Err(ConfigError::InvalidLimit {
                at: source.at(n.span(), "limits.max_connections"),
                problem: "max_connections must be at least 1",
            });
        }
        Some(n) => *n.get_ref(),
        None => DEFAULT_MAX_CONNECTIONS,
    };
    let max_header_bytes = match &raw.max_header_bytes {
        Some(n) if !(MIN_HEADER_BYTES..=MAX_HEADER_BYTES).contains(n.get_ref()) => {
            return Err(ConfigError::InvalidLimit {
                at: source.at(n.span(), "limits.max_header_bytes"),
                problem: "max_header_bytes must be between 8192 and 1048576",
            });
        }
        Some(n) => *n.get_ref(),
        None => DEFAULT_MAX_HEADER_BYTES,
    };
    let header_read_timeout = match &raw.header_read_timeout {
        Some(d) if d.get().is_zero() => {
            return Err(ConfigError::InvalidLimit {
                at: source.at(d.0.span(), "limits.header_read_timeout"),
                problem: "header_read_timeout must be longer than zero",
            });
        }
        Some(d) => d.get(),
        None => DEFAULT_HEADER_READ_TIMEOUT,
    };
    Ok(Limits {
        max_connections,
        max_header_bytes,
        header_read_timeout,
    })
}

fn upstream_config(
    source: &Source<'_>,
    name: &str,
    raw: &RawUpstream,
) -> Result<UpstreamConfig, ConfigError> {
    let key = format!("upstream.{name}.url");
    let invalid = |problem| ConfigError::InvalidUpstreamUrl {
        at: source.at(raw.url.span(), key.clone()),
        problem,
    };
    let uri: http::Uri = raw
        .url
        .get_ref()
        .as_str()
        .parse()
        .map_err(|_| invalid("not a URL"))?;
    let scheme = match uri.scheme() {
        Some(scheme) if *scheme == Scheme::HTTP => scheme.clone(),
        Some(_) => {
            return Err(invalid(
                "only http:// upstreams (HTTP/1.1, or h2c with `http2 = true`)",
            ));
        }
        None => return Err(invalid("the URL needs a scheme: http://host:port")),
    };
    let authority = uri
        .authority()
        .cloned()
        .ok_or_else(|| invalid("the URL needs a host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid("credentials in the URL are not supported"));
    }
    if uri.query().is_some() {
        return Err(invalid("the URL cannot have a query"));
    }
    let prefix = uri.path().trim_end_matches('/').to_owned();
    let timeout =
        |d: &Option<duration::ConfigDuration>, default: Duration, what: &'static str| match d {
            Some(d) if d.get().is_zero() => Err(ConfigError::InvalidLimit {
                at: source.at(d.0.span(), format!("upstream.{name}")),
                problem: what,
            }),
            Some(d) => Ok(d.get()),
            None => Ok(default),
        };
    Ok(UpstreamConfig {
        name: name.to_owned(),
        scheme,
        authority,
        prefix,
        http2: raw.http2,
        connect_timeout: timeout(
            &raw.connect_timeout,
            DEFAULT_CONNECT_TIMEOUT,
            "connect_timeout must be longer than zero",
        )?,
        timeout: timeout(
            &raw.timeout,
            DEFAULT_UPSTREAM_TIMEOUT,
            "timeout must be longer than zero",
        )?,
        idle_timeout: timeout(
            &raw.idle_timeout,
            DEFAULT_IDLE_TIMEOUT,
            "idle_timeout must be longer than zero",
        )?,
    })
}
