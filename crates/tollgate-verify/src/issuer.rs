//! One trusted issuer: its exact `iss`, its key source, and the claim policy for its tokens.

use serde_json::Value;
use smallvec::SmallVec;
use tollgate_jwks::{CognitoPool, IssuerForm, JwksCache, JwksSource};

use crate::claims::ClaimRef;
use crate::scopes;
use crate::{BuildError, Claims, Scopes, VerifyError};

/// Which Cognito token a Cognito issuer accepts (RFC 8725 §3.12: validation rules of the two
/// kinds are kept apart by `token_use`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenUse {
    /// `token_use: "access"`; the client is checked through `client_id`.
    Access,
    /// `token_use: "id"`; the client is checked through `aud`.
    Id,
    /// `token_use` is not checked (issuers that do not send it).
    Unchecked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    Cognito,
    Oidc,
}

#[derive(Debug, Clone)]
enum Allowed {
    Unset,
    Any,
    List(Vec<String>),
}

impl Allowed {
    fn list(values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::List(values.into_iter().map(Into::into).collect())
    }
}

#[derive(Debug, Clone)]
pub(crate) enum KeySource {
    Derived,
    Url(String),
    Source(JwksSource),
    Cache(JwksCache),
}

#[derive(Debug, Clone)]
struct ScopeClaim {
    name: String,
    allow_list: bool,
}

const DEFAULT_TYPES: [&str; 4] = ["jwt", "at+jwt", "application/jwt", "application/at+jwt"];

/// A trusted issuer and the policy for its tokens.
///
/// Two profiles:
///
/// - **Cognito** ([`Issuer::cognito`], [`Issuer::cognito_issuer`]): `token_use` must be
///   `access` (or `id` with [`Issuer::token_use`]); access tokens are matched to app clients
///   by `client_id`, ID tokens by `aud`. You must say which clients are allowed
///   ([`Issuer::client_ids`]) or that any client is ([`Issuer::any_client`]): forgetting is a
///   build error, not an open door. Scopes come from the `scope` string.
/// - **OIDC** ([`Issuer::oidc`]): keys from discovery, `token_use` not checked, `aud` checked
///   against [`Issuer::audience`] (or explicitly [`Issuer::any_audience`]): one of the two is
///   required even with [`Issuer::client_ids`], which adds a client check but never replaces
///   the audience (a shared IdP issues tokens for many APIs). Scopes from `scope` or `scp`, as
///   a space-delimited string or an array.
///
/// ```
/// use tollgate_verify::Issuer;
///
/// let orders_api = Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123")
///     .client_ids(["4e8i3example"]);
/// assert_eq!(orders_api.iss(), "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123");
///
/// let keycloak = Issuer::oidc("https://sso.example.com/realms/prod").audience(["orders-api"]);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Issuer {
    iss: String,
    profile: Profile,
    pub(crate) keys: KeySource,
    token_use: TokenUse,
    clients: Allowed,
    client_claim: String,
    audience: Allowed,
    scope_claims: Vec<ScopeClaim>,
    types: Vec<String>,
    require_type: bool,
    /// [`Issuer::cognito`] got a malformed region or pool id (reported by `build`).
    invalid_pool: bool,
}

impl Issuer {
    fn with_profile(iss: String, profile: Profile, keys: KeySource) -> Self {
        let cognito = profile == Profile::Cognito;
        Self {
            iss,
            profile,
            keys,
            token_use: if cognito {
                TokenUse::Access
            } else {
                TokenUse::Unchecked
            },
            clients: Allowed::Unset,
            client_claim: "client_id".to_owned(),
            audience: Allowed::Unset,
            scope_claims: if cognito {
                vec![ScopeClaim {
                    name: "scope".to_owned(),
                    allow_list: false,
                }]
            } else {
                ["scope", "scp"]
                    .into_iter()
                    .map(|name| ScopeClaim {
                        name: name.to_owned(),
                        allow_list: true,
                    })
                    .collect()
            },
            types: DEFAULT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            require_type: false,
            invalid_pool: false,
        }
    }

    /// A Cognito user pool: `iss` is `https://cognito-idp.{region}.amazonaws.com/{pool_id}`,
    /// keys from `{iss}/.well-known/jwks.json`. An invalid region or pool id is reported by
    /// the verifier's `build`.
    pub fn cognito(region: &str, pool_id: &str) -> Self {
        match CognitoPool::new(region, pool_id) {
            Ok(pool) => Self::cognito_pool(&pool),
            Err(_) => {
                let mut issuer =
                    Self::with_profile(String::new(), Profile::Cognito, KeySource::Derived);
                issuer.invalid_pool = true;
                issuer
            }
        }
    }

    /// A Cognito user pool, with either issuer host form ([`IssuerForm`]).
    pub fn cognito_pool(pool: &CognitoPool) -> Self {
        Self::with_profile(pool.issuer(), Profile::Cognito, KeySource::Derived)
    }

    /// A Cognito user pool in its updated issuer form
    /// (`https://issuer-cognito-idp.{region}.amazonaws.com/{pool_id}`).
    pub fn cognito_updated(region: &str, pool_id: &str) -> Self {
        match CognitoPool::new(region, pool_id) {
            Ok(pool) => Self::cognito_pool(&pool.with_form(IssuerForm::Updated)),
            Err(_) => Self::cognito(region, pool_id),
        }
    }

    /// Cognito token semantics for an issuer given verbatim (emulators, the tollgate test
    /// issuer). Keys from `{iss}/.well-known/jwks.json` unless set otherwise.
    pub fn cognito_issuer(iss: impl Into<String>) -> Self {
        Self::with_profile(iss.into(), Profile::Cognito, KeySource::Derived)
    }

    /// A generic OIDC issuer: keys from the `jwks_uri` of its discovery document, whose
    /// `issuer` must equal `iss`.
    pub fn oidc(iss: impl Into<String>) -> Self {
        Self::with_profile(iss.into(), Profile::Oidc, KeySource::Derived)
    }

    /// The exact `iss` value accepted.
    #[must_use]
    pub fn iss(&self) -> &str {
        &self.iss
    }

    /// Fetches keys from this JWKS URL instead (it may be on another host).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.keys = KeySource::Url(url.into());
        self
    }

    /// Takes keys from this source (static sets, plain-http opt-in, ...).
    pub fn jwks_source(mut self, source: JwksSource) -> Self {
        self.keys = KeySource::Source(source);
        self
    }

    /// Takes keys from this cache (shared between verifiers of the same issuer, or configured
    /// beyond the verifier's settings). A cache serves one issuer: using the same cache for two
    /// issuers, or a cache that discovers another issuer's keys, is a build error.
    pub fn jwks_cache(mut self, cache: JwksCache) -> Self {
        self.keys = KeySource::Cache(cache);
        self
    }

    /// Which Cognito token kind to accept (default [`TokenUse::Access`] for Cognito,
    /// [`TokenUse::Unchecked`] for OIDC).
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.token_use = token_use;
        self
    }

    /// App clients allowed: matched with `client_id` for access tokens, `aud` for Cognito ID
    /// tokens. Exact, case-sensitive.
    pub fn client_ids(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.clients = Allowed::list(ids);
        self
    }

    /// Accepts tokens of any app client of this issuer (the explicit opposite of
    /// [`Issuer::client_ids`]).
    pub fn any_client(mut self) -> Self {
        self.clients = Allowed::Any;
        self
    }

    /// The claim that names the client for [`Issuer::client_ids`] (default `client_id`;
    /// Keycloak uses `azp`, Okta `cid`).
    pub fn client_claim(mut self, name: impl Into<String>) -> Self {
        self.client_claim = name.into();
        self
    }

    /// Audiences accepted: `aud` (string or array) must contain one of them.
    pub fn audience(mut self, audiences: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.audience = Allowed::list(audiences);
        self
    }

    /// Accepts any `aud` (the explicit opposite of [`Issuer::audience`]).
    pub fn any_audience(mut self) -> Self {
        self.audience = Allowed::Any;
        self
    }

    /// Claims scopes are read from, in this order, merged (default `scope` for Cognito;
    /// `scope` and `scp` for OIDC). Each may be a space-delimited string or, when
    /// `allow_array` is set, an array of strings. A claim of any other type refuses the token.
    pub fn scope_claims<'a>(
        mut self,
        names: impl IntoIterator<Item = &'a str>,
        allow_array: bool,
    ) -> Self {
        self.scope_claims = names
            .into_iter()
            .map(|name| ScopeClaim {
                name: name.to_owned(),
                allow_list: allow_array,
            })
            .collect();
        self
    }

    /// Accepted `typ` header values (compared case-insensitively). Default: absent, `JWT`,
    /// `at+jwt` and their `application/` forms.
    pub fn accepted_types<'a>(mut self, types: impl IntoIterator<Item = &'a str>) -> Self {
        self.types = types.into_iter().map(str::to_ascii_lowercase).collect();
        self
    }

    /// Refuses tokens without a `typ` header.
    pub fn require_type(mut self) -> Self {
        self.require_type = true;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), BuildError> {
        if self.invalid_pool {
            return Err(BuildError::InvalidCognitoPool);
        }
        if self.iss.is_empty() {
            return Err(BuildError::EmptyIssuer);
        }
        match self.profile {
            // Cognito access tokens carry no `aud`: the app client (`client_id`, or `aud` for
            // ID tokens) is what binds a token to this API, so that choice must be explicit.
            Profile::Cognito => {
                if matches!(self.clients, Allowed::Unset) {
                    return Err(BuildError::ClientPolicyMissing);
                }
                if self.token_use == TokenUse::Id && !matches!(self.audience, Allowed::Unset) {
                    return Err(BuildError::AudienceForCognitoIdTokens);
                }
            }
            // OIDC: `aud` is what binds a token to this API; a client allowlist adds to it,
            // it never replaces it (a shared IdP issues tokens for many relying parties).
            Profile::Oidc => {
                if matches!(self.audience, Allowed::Unset) {
                    return Err(BuildError::AudiencePolicyMissing);
                }
            }
        }
        if self.scope_claims.is_empty() {
            return Err(BuildError::NoScopeClaim);
        }
        Ok(())
    }

    /// The JWKS source when keys are derived from the issuer.
    pub(crate) fn derived_source(&self) -> Result<JwksSource, tollgate_jwks::BuildError> {
        match (&self.keys, self.profile) {
            (KeySource::Url(url), _) => JwksSource::url(url),
            (KeySource::Source(source), _) => Ok(source.clone()),
            (KeySource::Derived | KeySource::Cache(_), Profile::Cognito) => JwksSource::url(
                &format!("{}/.well-known/jwks.json", self.iss.trim_end_matches('/')),
            ),
            (KeySource::Derived | KeySource::Cache(_), Profile::Oidc) => {
                JwksSource::discovery(&self.iss)
            }
        }
    }

    pub(crate) fn check_type(&self, typ: Option<&str>) -> Result<(), VerifyError> {
        match typ {
            None if self.require_type => Err(VerifyError::TypeNotAllowed),
            None => Ok(()),
            Some(typ) => {
                if self.types.iter().any(|t| t.eq_ignore_ascii_case(typ)) {
                    Ok(())
                } else {
                    Err(VerifyError::TypeNotAllowed)
                }
            }
        }
    }

    /// `token_use`, client and audience rules.
    pub(crate) fn check_claims(&self, claims: &Claims) -> Result<(), VerifyError> {
        let expected_use = match self.token_use {
            TokenUse::Access => Some("access"),
            TokenUse::Id => Some("id"),
            TokenUse::Unchecked => None,
        };
        if let Some(expected) = expected_use {
            match claims.token_use() {
                None => return Err(VerifyError::MissingClaim("token_use")),
                Some(actual) if actual != expected => return Err(VerifyError::WrongTokenUse),
                Some(_) => {}
            }
        }
        let client_by_aud = self.profile == Profile::Cognito && self.token_use == TokenUse::Id;
        if client_by_aud {
            check_audience(claims, &self.clients)?;
        } else {
            match &self.clients {
                Allowed::Unset => {}
                Allowed::Any if self.profile == Profile::Oidc => {}
                allowed => {
                    let client = claims
                        .string_claim(&self.client_claim)
                        .map_err(|()| VerifyError::InvalidClaimType("client_id"))?
                        .ok_or(VerifyError::MissingClaim("client_id"))?;
                    if let Allowed::List(list) = allowed
                        && !list.iter().any(|id| id == client)
                    {
                        return Err(VerifyError::ClientNotAllowed);
                    }
                }
            }
        }
        if !client_by_aud {
            check_audience(claims, &self.audience)?;
        }
        Ok(())
    }

    /// The granted scopes, from the configured claims.
    pub(crate) fn scopes(&self, claims: &Claims) -> Result<Scopes, VerifyError> {
        let mut found: Option<SmallVec<[&str; 16]>> = None;
        for claim in &self.scope_claims {
            let Some(value) = claims.raw(&claim.name) else {
                continue;
            };
            let list = found.get_or_insert_with(SmallVec::new);
            match value {
                ClaimRef::Str(s) => scopes::split_into(s, list),
                ClaimRef::Json(Value::String(s)) => scopes::split_into(s, list),
                ClaimRef::Json(Value::Array(items)) if claim.allow_list => {
                    for item in items {
                        match item {
                            Value::String(s) => list.push(s),
                            _ => return Err(VerifyError::InvalidClaimType("scope")),
                        }
                    }
                }
                _ => return Err(VerifyError::InvalidClaimType("scope")),
            }
        }
        Ok(found.map(Scopes::from_tokens).unwrap_or_default())
    }
}

fn check_audience(claims: &Claims, allowed: &Allowed) -> Result<(), VerifyError> {
    match allowed {
        Allowed::Unset | Allowed::Any => Ok(()),
        Allowed::List(list) => {
            if claims.aud.is_none() {
                return Err(VerifyError::MissingClaim("aud"));
            }
            if claims
                .audience()
                .any(|aud| list.iter().any(|allowed| allowed == aud))
            {
                Ok(())
            } else {
                Err(VerifyError::AudienceMismatch)
            }
        }
    }
}
