//! One trusted issuer: its exact `iss`, its key source, and the claim policy for its tokens.

use smallvec::SmallVec;
use tollgate_jwks::{Algorithm, CognitoPool, IssuerForm, JwksCache, JwksSource};

#[cfg(doc)]
use crate::ClaimPath;
use crate::scopes;
use crate::{BuildError, Claims, ScopeClaim, Scopes, VerifyError};

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
    Alb,
}

/// What an AWS ALB issuer expects of its tokens' header.
#[derive(Debug, Clone)]
pub(crate) struct AlbPolicy {
    pub(crate) region: String,
    pub(crate) signers: Vec<String>,
    pub(crate) identity_provider: Option<String>,
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

const DEFAULT_TYPES: [&str; 4] = ["jwt", "at+jwt", "application/jwt", "application/at+jwt"];

/// A trusted issuer and the policy for its tokens.
///
/// Three profiles:
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
/// - **AWS ALB** ([`Issuer::alb`]): the user claims a load balancer forwards in
///   `x-amzn-oidc-data`, routed by the `signer` ARN in their header (required), ES256 only,
///   keys fetched per `kid`; no scopes.
///
/// Every profile accepts `RS256` only unless [`Issuer::algorithms`] (or the verifier's
/// [`VerifierBuilder::algorithms`](crate::VerifierBuilder::algorithms)) says otherwise.
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
    /// This issuer's allowlist; `None`: the verifier's ([`VerifierBuilder::algorithms`]).
    ///
    /// [`VerifierBuilder::algorithms`]: crate::VerifierBuilder::algorithms
    pub(crate) algorithms: Option<Vec<Algorithm>>,
    /// The ALB policy ([`Issuer::alb`]); `None` for every other issuer.
    pub(crate) alb: Option<AlbPolicy>,
    /// [`Issuer::identity_provider`] was called on an issuer that is not an ALB issuer.
    identity_provider_elsewhere: bool,
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
                vec![ScopeClaim::space_delimited("scope")]
            } else {
                vec![
                    ScopeClaim::string_or_array("scope"),
                    ScopeClaim::string_or_array("scp"),
                ]
            },
            types: DEFAULT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            require_type: false,
            algorithms: None,
            alb: None,
            identity_provider_elsewhere: false,
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

    /// The user claims an AWS Application Load Balancer forwards in the `x-amzn-oidc-data`
    /// header after it authenticated a user (with Cognito or any OIDC provider): a JWT signed
    /// ES256 by the load balancer, whose key is served per `kid` at
    /// `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}`.
    ///
    /// Its tokens are recognised by the `signer` member of their header, which must be one of
    /// `signers` (the load balancers' ARNs, in `region`; at least one is required: any AWS
    /// account can run an ALB in front of any identity provider, so the signer is what binds
    /// a token to your load balancer). The header's `exp` is required and checked like the
    /// claims' `exp`; with [`Issuer::client_ids`] the header's `client` must be one of them,
    /// with [`Issuer::identity_provider`] its `iss` (and the claims' `iss`, when present) must
    /// equal that issuer. These tokens carry `=` padding in their segments, which every other
    /// issuer refuses; they are accepted only for an ALB issuer. They carry no scopes.
    ///
    /// The `iss` of an ALB issuer (in [`Verifier::issuers`](crate::Verifier::issuers) and
    /// [`Verifier::keys`](crate::Verifier::keys)) is its first signer ARN; tokens are never
    /// routed to it by their claims' `iss`.
    ///
    /// ```
    /// use tollgate_verify::{Issuer, Verifier};
    ///
    /// let alb = Issuer::alb(
    ///     "eu-west-1",
    ///     ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"],
    /// )
    /// .client_ids(["4e8i3example"])
    /// .identity_provider("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123");
    /// # let _ = Verifier::builder().issuer(alb);
    /// ```
    pub fn alb(region: &str, signers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let signers: Vec<String> = signers.into_iter().map(Into::into).collect();
        let mut issuer = Self::with_profile(
            signers.first().cloned().unwrap_or_default(),
            Profile::Alb,
            KeySource::Derived,
        );
        issuer.token_use = TokenUse::Unchecked;
        issuer.scope_claims = Vec::new();
        issuer.algorithms = Some(vec![Algorithm::Es256]);
        issuer.alb = Some(AlbPolicy {
            region: region.to_owned(),
            signers,
            identity_provider: None,
        });
        issuer
    }

    /// For an ALB issuer ([`Issuer::alb`]): the `iss` of the identity provider the load
    /// balancer authenticates with; the token header's `iss` must equal it, and so must the
    /// claims' `iss` when they have one. On any other issuer this is a build error.
    pub fn identity_provider(mut self, iss: impl Into<String>) -> Self {
        match &mut self.alb {
            Some(alb) => alb.identity_provider = Some(iss.into()),
            None => self.identity_provider_elsewhere = true,
        }
        self
    }

    /// Whether this is an AWS ALB issuer.
    #[must_use]
    pub fn is_alb(&self) -> bool {
        self.alb.is_some()
    }

    /// The exact `iss` value accepted (for an ALB issuer, its first signer ARN).
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
    /// issuers, or a cache that discovers another issuer's keys, is a build error. Its metrics
    /// and logs carry the label it was built with
    /// ([`JwksCacheBuilder::issuer_label`](tollgate_jwks::JwksCacheBuilder::issuer_label);
    /// by default its JWKS URL or discovery issuer).
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

    /// The claims scopes are read from, in this order, merged (default: `scope` as a
    /// space-delimited string for Cognito; `scope` and `scp`, each a string or an array of
    /// strings, for OIDC). Each is a [`ScopeClaim`], named by a
    /// [`ClaimPath`]: a plain name such as `"scp"` or `"cognito:groups"` reads a
    /// space-delimited string or an array of strings, `"scope"` and
    /// [`ScopeClaim::space_delimited`] the string only. A claim of any other type refuses the token. A path that is not valid
    /// fails `build` with [`BuildError::InvalidScopeClaim`]; an empty list with
    /// [`BuildError::NoScopeClaim`].
    ///
    /// Any claim can hold the scopes route guards ask for: with
    /// `scope_claims(["cognito:groups"])`, a user in group `admins` is granted the scope
    /// `admins` (only those claims are read, so add `"scope"` to keep the `scope` claim too).
    ///
    /// ```
    /// use tollgate_verify::Issuer;
    ///
    /// let okta = Issuer::oidc("https://example.okta.com/oauth2/default")
    ///     .audience(["api://orders"])
    ///     .scope_claims(["scp"]);
    /// let groups_as_scopes = Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123")
    ///     .any_client()
    ///     .scope_claims(["scope", "cognito:groups"]);
    /// ```
    pub fn scope_claims<I>(mut self, claims: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<ScopeClaim>,
    {
        self.scope_claims = claims.into_iter().map(Into::into).collect();
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

    /// The algorithms this issuer's tokens may use, instead of the verifier's list
    /// ([`VerifierBuilder::algorithms`], `RS256` only by default). A token whose `alg` is not
    /// on its issuer's list is refused before any key is looked up or fetched. Keys serve only
    /// what their JWK allows: an RSA key without `alg` serves every `RS*`/`PS*` on this list,
    /// a P-256 key only `ES256`, a P-384 key only `ES384`, an Ed25519 key only `EdDSA`.
    ///
    /// ```
    /// use tollgate_verify::{Algorithm, Issuer};
    ///
    /// // A Keycloak realm signing with ES256 and PS256 keys.
    /// let keycloak = Issuer::oidc("https://sso.example.com/realms/prod")
    ///     .audience(["orders-api"])
    ///     .algorithms([Algorithm::Es256, Algorithm::Ps256]);
    /// ```
    ///
    /// [`VerifierBuilder::algorithms`]: crate::VerifierBuilder::algorithms
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        let mut algorithms: Vec<Algorithm> = algorithms.into_iter().collect();
        algorithms.sort();
        algorithms.dedup();
        self.algorithms = Some(algorithms);
        self
    }

    pub(crate) fn validate(&self) -> Result<(), BuildError> {
        if self.invalid_pool {
            return Err(BuildError::InvalidCognitoPool);
        }
        if self.identity_provider_elsewhere {
            return Err(BuildError::SettingNotApplicable {
                setting: "identity_provider",
            });
        }
        let alb_source = match &self.keys {
            KeySource::Derived => self.alb.is_some(),
            KeySource::Url(_) => false,
            KeySource::Source(source) => source.is_alb(),
            KeySource::Cache(cache) => cache.is_alb(),
        };
        if alb_source != self.alb.is_some() {
            return Err(BuildError::AlbKeySource);
        }
        if let Some(alb) = &self.alb {
            return self.validate_alb(alb);
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
            // Validated above.
            Profile::Alb => {}
        }
        if self.scope_claims.is_empty() {
            return Err(BuildError::NoScopeClaim);
        }
        for claim in &self.scope_claims {
            if let Err(invalid) = &claim.path {
                return Err(BuildError::InvalidScopeClaim(*invalid));
            }
        }
        Ok(())
    }

    fn validate_alb(&self, alb: &AlbPolicy) -> Result<(), BuildError> {
        if alb.signers.is_empty() {
            return Err(BuildError::AlbSignerMissing);
        }
        if let KeySource::Derived = self.keys {
            JwksSource::alb(&alb.region)?;
        }
        if !alb
            .signers
            .iter()
            .all(|arn| is_load_balancer_arn(arn, &alb.region))
        {
            return Err(BuildError::InvalidAlbSigner);
        }
        if self.algorithms.as_deref() != Some(&[Algorithm::Es256][..]) {
            return Err(BuildError::AlbAlgorithms);
        }
        // Settings of the other profiles are refused rather than silently ignored.
        if !matches!(self.audience, Allowed::Unset) {
            return Err(BuildError::SettingNotApplicable {
                setting: "audience",
            });
        }
        if self.token_use != TokenUse::Unchecked {
            return Err(BuildError::SettingNotApplicable {
                setting: "token_use",
            });
        }
        if !self.scope_claims.is_empty() {
            return Err(BuildError::SettingNotApplicable {
                setting: "scope_claims",
            });
        }
        Ok(())
    }

    /// The ALB policy: which load balancers sign, and what the header must say.
    pub(crate) fn alb_policy(&self) -> Option<&AlbPolicy> {
        self.alb.as_ref()
    }

    /// The allowed ALB `client` values (`None`: any).
    pub(crate) fn alb_clients(&self) -> Option<&[String]> {
        match &self.clients {
            Allowed::List(list) => Some(list),
            Allowed::Unset | Allowed::Any => None,
        }
    }

    /// The JWKS source when keys are derived from the issuer.
    pub(crate) fn derived_source(&self) -> Result<JwksSource, tollgate_jwks::BuildError> {
        if let (KeySource::Derived | KeySource::Cache(_), Some(alb)) = (&self.keys, &self.alb) {
            return JwksSource::alb(&alb.region);
        }
        match (&self.keys, self.profile) {
            (KeySource::Url(url), _) => JwksSource::url(url),
            (KeySource::Source(source), _) => Ok(source.clone()),
            (KeySource::Derived | KeySource::Cache(_), Profile::Cognito) => JwksSource::url(
                &format!("{}/.well-known/jwks.json", self.iss.trim_end_matches('/')),
            ),
            (KeySource::Derived | KeySource::Cache(_), Profile::Oidc | Profile::Alb) => {
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

    /// The granted scopes, from the configured claims (typed ones such as `cognito:groups`
    /// included).
    pub(crate) fn scopes(&self, claims: &Claims) -> Result<Scopes, VerifyError> {
        let mut found: Option<SmallVec<[&str; 16]>> = None;
        for source in &self.scope_claims {
            // Validated by `build`; an invalid path names no claim.
            let Some(path) = source.path.as_ref().ok() else {
                continue;
            };
            let Some(value) = claims.claim_at(path) else {
                continue;
            };
            let list = found.get_or_insert_with(SmallVec::new);
            if let Some(s) = value.as_str() {
                scopes::split_into(s, list);
            } else if let Some(items) = value.as_strs().filter(|_| source.allow_array) {
                list.extend(items);
            } else {
                return Err(VerifyError::InvalidClaimType("scope"));
            }
        }
        Ok(found.map(Scopes::from_tokens).unwrap_or_default())
    }
}

/// `arn:{aws|aws-cn|aws-us-gov}:elasticloadbalancing:{region}:{12-digit account}:loadbalancer/app/{name}/{id}`.
fn is_load_balancer_arn(arn: &str, region: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, arn_region, account, resource] = parts[..] else {
        return false;
    };
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
    };
    prefix == "arn"
        && matches!(partition, "aws" | "aws-cn" | "aws-us-gov")
        && service == "elasticloadbalancing"
        && arn_region == region
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.starts_with("loadbalancer/app/")
        && plain(resource)
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
