//! Where a key set comes from: a JWKS URL, OIDC discovery, a Cognito user pool, or a static set.

use std::path::Path;

use crate::url_policy::checked_url;
use crate::{BuildError, FetchError, KeySetOptions};

/// Which of Cognito's two issuer host forms a user pool uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IssuerForm {
    /// `https://cognito-idp.{region}.amazonaws.com/{userPoolId}` (the default for existing pools).
    #[default]
    Original,
    /// `https://issuer-cognito-idp.{region}.amazonaws.com/{userPoolId}` (recommended by AWS for
    /// multi-Region replication).
    Updated,
}

/// An Amazon Cognito user pool: derives the issuer (`iss`) and JWKS URL from region and pool id.
///
/// ```
/// use tollgate_jwks::{CognitoPool, IssuerForm};
///
/// let pool = CognitoPool::new("eu-west-1", "eu-west-1_AbCdEf123")?;
/// assert_eq!(pool.issuer(), "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123");
/// assert_eq!(
///     pool.jwks_url(),
///     "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json"
/// );
/// let updated = pool.with_form(IssuerForm::Updated);
/// assert_eq!(
///     updated.issuer(),
///     "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
/// );
/// assert!(CognitoPool::new("eu-west-1", "us-east-1_AbCdEf123").is_err());
/// # Ok::<(), tollgate_jwks::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoPool {
    region: String,
    pool_id: String,
    form: IssuerForm,
}

impl CognitoPool {
    /// A user pool in `region` with id `pool_id` (of the form `{region}_{id}`).
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidCognitoPool`] when the region is not of the form `xx-name-N` or the
    /// pool id does not start with `{region}_` followed by letters and digits.
    pub fn new(region: &str, pool_id: &str) -> Result<Self, BuildError> {
        let region_ok = !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && region.contains('-');
        let id_ok = pool_id
            .strip_prefix(region)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|id| {
                !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !(region_ok && id_ok) {
            return Err(BuildError::InvalidCognitoPool);
        }
        Ok(Self {
            region: region.to_owned(),
            pool_id: pool_id.to_owned(),
            form: IssuerForm::Original,
        })
    }

    /// Uses the given issuer host form.
    #[must_use]
    pub fn with_form(mut self, form: IssuerForm) -> Self {
        self.form = form;
        self
    }

    /// The region.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The user pool id.
    #[must_use]
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The exact `iss` value of this pool's tokens.
    #[must_use]
    pub fn issuer(&self) -> String {
        let host = match self.form {
            IssuerForm::Original => "cognito-idp",
            IssuerForm::Updated => "issuer-cognito-idp",
        };
        format!(
            "https://{host}.{}.amazonaws.com/{}",
            self.region, self.pool_id
        )
    }

    /// The pool's JWKS URL (`{issuer}/.well-known/jwks.json`).
    #[must_use]
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer())
    }
}

#[derive(Debug, Clone)]
pub(crate) enum SourceKind {
    Url(url::Url),
    Discovery {
        issuer: String,
        document: url::Url,
    },
    Static(Vec<u8>),
    /// AWS ALB keys: one PEM per kid at `{base}/{kid}` (`base` without a trailing slash).
    Alb {
        base: url::Url,
    },
}

impl SourceKind {
    /// The URL of an ALB key: `{base}/{kid}`, for a kid that passed [`crate::is_plain_kid`].
    pub(crate) fn alb_key_url(base: &url::Url, kid: &str) -> Option<url::Url> {
        let base = base.as_str().trim_end_matches('/');
        url::Url::parse(&format!("{base}/{kid}")).ok()
    }
}

/// Where a [`JwksCache`](crate::JwksCache) gets its keys.
///
/// URLs must be `https`, except loopback hosts (for tests and emulators) or when
/// [`JwksSource::insecure_http_url`] or [`JwksSource::insecure_http_discovery`] was used.
#[derive(Debug, Clone)]
pub struct JwksSource {
    pub(crate) kind: SourceKind,
    pub(crate) allow_http: bool,
}

impl JwksSource {
    /// Keys from a JWKS URL.
    ///
    /// # Errors
    ///
    /// [`BuildError::Url`] when the URL is invalid or breaks the URL policy.
    pub fn url(url: &str) -> Result<Self, BuildError> {
        Ok(Self {
            kind: SourceKind::Url(checked_url(url, false)?),
            allow_http: false,
        })
    }

    /// Keys from the `jwks_uri` of the issuer's OIDC discovery document
    /// (`{issuer}/.well-known/openid-configuration`). The document's `issuer` must equal
    /// `issuer` byte for byte.
    ///
    /// # Errors
    ///
    /// [`BuildError::Url`] when the issuer is not a valid URL or breaks the URL policy.
    pub fn discovery(issuer: &str) -> Result<Self, BuildError> {
        Self::discovery_with(issuer, false)
    }

    fn discovery_with(issuer: &str, allow_http: bool) -> Result<Self, BuildError> {
        let document = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        Ok(Self {
            kind: SourceKind::Discovery {
                issuer: issuer.to_owned(),
                document: checked_url(&document, allow_http)?,
            },
            allow_http,
        })
    }

    /// Keys of a Cognito user pool, from its JWKS URL.
    ///
    /// # Errors
    ///
    /// Never for a valid [`CognitoPool`]; the `Result` keeps the constructors uniform.
    pub fn cognito(pool: &CognitoPool) -> Result<Self, BuildError> {
        Self::url(&pool.jwks_url())
    }

    /// A fixed key set from a JWKS JSON document (tests, air-gapped deployments). Validated
    /// when the cache is built.
    #[must_use]
    pub fn static_json(json: impl Into<String>) -> Self {
        Self {
            kind: SourceKind::Static(json.into().into_bytes()),
            allow_http: false,
        }
    }

    /// A fixed key set read from a JWKS JSON file.
    ///
    /// # Errors
    ///
    /// [`BuildError::StaticSet`] when the file cannot be read.
    pub fn static_file(path: impl AsRef<Path>) -> Result<Self, BuildError> {
        let bytes = std::fs::read(path)
            .map_err(|e| BuildError::StaticSet(FetchError::Io(crate::error::Cause::new(e))))?;
        Ok(Self {
            kind: SourceKind::Static(bytes),
            allow_http: false,
        })
    }

    /// Like [`JwksSource::url`], but plain `http` is accepted for any host. Only for networks
    /// where the transport is otherwise protected: keys fetched over plain http can be swapped
    /// by anyone on the path.
    ///
    /// # Errors
    ///
    /// [`BuildError::Url`] when the URL is invalid.
    pub fn insecure_http_url(url: &str) -> Result<Self, BuildError> {
        Ok(Self {
            kind: SourceKind::Url(checked_url(url, true)?),
            allow_http: true,
        })
    }

    /// Like [`JwksSource::discovery`], but plain `http` is accepted for the document and the
    /// `jwks_uri` it names, for any host. See [`JwksSource::insecure_http_url`].
    ///
    /// # Errors
    ///
    /// [`BuildError::Url`] when the issuer is not a valid URL.
    pub fn insecure_http_discovery(issuer: &str) -> Result<Self, BuildError> {
        Self::discovery_with(issuer, true)
    }

    /// The issuer, when this source is an OIDC discovery source.
    #[must_use]
    pub fn discovery_issuer(&self) -> Option<&str> {
        match &self.kind {
            SourceKind::Discovery { issuer, .. } => Some(issuer),
            _ => None,
        }
    }

    /// The keys of the AWS Application Load Balancers of `region`: one PEM public key per
    /// `kid` at `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}`, fetched when a
    /// token first names the `kid` and kept like a key set's keys (same timeouts, body limit,
    /// failure handling, cooldown and stale rules; see [`JwksCache`](crate::JwksCache)). Only
    /// plain `kid`s ([`is_plain_kid`](crate::is_plain_kid)) are ever put into a URL.
    ///
    /// ```
    /// use tollgate_jwks::JwksSource;
    /// assert!(JwksSource::alb("eu-west-1")?.is_alb());
    /// assert!(JwksSource::alb("eu-west-1.evil.example").is_err());
    /// # Ok::<(), tollgate_jwks::BuildError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidRegion`] when `region` is not of the form `xx-name-N`.
    pub fn alb(region: &str) -> Result<Self, BuildError> {
        Self::alb_url(&crate::alb::regional_base(region)?)
    }

    /// Like [`JwksSource::alb`], with keys at `{base}/{kid}` (an emulator or a test server;
    /// `https` except for loopback hosts, as for every URL).
    ///
    /// # Errors
    ///
    /// [`BuildError::Url`] when the URL is invalid, breaks the URL policy, or has a query or
    /// fragment.
    pub fn alb_url(base: &str) -> Result<Self, BuildError> {
        let base = checked_url(base, false)?;
        if base.query().is_some() || base.fragment().is_some() {
            return Err(BuildError::Url(crate::UrlError::Unsupported));
        }
        Ok(Self {
            kind: SourceKind::Alb { base },
            allow_http: false,
        })
    }

    /// Whether this is an AWS ALB key source (keys fetched per `kid`, not as a set).
    #[must_use]
    pub fn is_alb(&self) -> bool {
        matches!(self.kind, SourceKind::Alb { .. })
    }

    /// Whether this is a static set (no fetching, no refresh).
    #[must_use]
    pub fn is_static(&self) -> bool {
        matches!(self.kind, SourceKind::Static(_))
    }

    /// The `issuer` label of a cache of this source when none is set (for ALB sources the key
    /// endpoint's base URL; a verifier labels it with the ALB issuer).
    pub(crate) fn default_label(&self) -> String {
        match &self.kind {
            SourceKind::Url(url) | SourceKind::Alb { base: url } => {
                let mut url = url.clone();
                // Labels land in metrics backends and logs: no query, fragment or credentials.
                url.set_query(None);
                url.set_fragment(None);
                let _ = url.set_username("");
                let _ = url.set_password(None);
                url.into()
            }
            SourceKind::Discovery { issuer, .. } => issuer.clone(),
            SourceKind::Static(_) => "static".to_owned(),
        }
    }

    pub(crate) fn static_set(
        &self,
        options: &KeySetOptions,
    ) -> Option<Result<crate::KeySet, FetchError>> {
        match &self.kind {
            SourceKind::Static(bytes) => Some(crate::KeySet::from_json(bytes, options)),
            _ => None,
        }
    }
}
