//! The verifier: strict parsing, key selection by issuer and `kid`, signature, claim policy,
//! and the verified-token cache.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tollgate_jwks::{
    Algorithm, Clock, JwksCache, JwksCacheBuilder, LookupError, SystemClock, VerifyingKey,
};

use crate::claims::ParsedClaims;
use crate::compact;
use crate::custom::{Check, parse_custom};
use crate::header::{self, DEFAULT_MAX_KID_LEN};
use crate::issuer::KeySource;
use crate::token_cache::{Digest, TokenCache};
use crate::{
    BuildError, CheckFailed, Claims, CustomClaims, Issuer, NoCustomClaims, Part, Scopes,
    TokenCacheConfig, VerifiedToken, VerifyError,
};

/// Default longest accepted token, in bytes.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;
/// Default clock-skew allowance for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// Largest clock-skew allowance a verifier accepts (what jsonwebtoken, Envoy and Spring use as
/// their default); a larger one is a [`BuildError::InvalidConfig`].
pub const MAX_LEEWAY: Duration = Duration::from_secs(60);

/// Verifies access tokens for one or more trusted issuers.
///
/// Cheap to clone; clones share key caches and the verified-token cache. Build it with
/// [`Verifier::builder`].
///
/// # Example
///
/// ```no_run
/// use tollgate_verify::{Issuer, Verifier};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder()
///     .issuer(Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").client_ids(["4e8i3example"]))
///     .build()
///     .await?; // prefetches the JWKS: fails fast if the pool is unreachable
///
/// # let bearer_token = "";
/// let token = verifier.verify(bearer_token).await?;
/// if token.scopes().contains("orders/read") {
///     println!("client {:?} may read orders", token.client_id());
/// }
/// # Ok(()) }
/// ```
pub struct Verifier<C = NoCustomClaims> {
    inner: Arc<Inner<C>>,
}

struct Inner<C> {
    issuers: Vec<Trusted>,
    algorithms: Vec<Algorithm>,
    leeway: i64,
    max_age: Option<i64>,
    max_lifetime: Option<i64>,
    max_len: usize,
    max_kid_len: usize,
    clock: Arc<dyn Clock>,
    cache: Option<TokenCache<C>>,
    checks: Vec<Check<C>>,
}

// Boxing the large variant would add an allocation to every fresh verification.
#[allow(clippy::large_enum_variant)]
enum Step<'t, C> {
    Cached(VerifiedToken<C>),
    NeedsKey(Pending<'t>),
}

/// A token that passed every check that needs no key.
struct Pending<'t> {
    segments: compact::Segments<'t>,
    payload: Vec<u8>,
    claims: Claims,
    scopes: Scopes,
    issuer: usize,
    algorithm: Algorithm,
    kid: String,
    digest: Option<Digest>,
    valid_until: i64,
    now: i64,
}

struct Trusted {
    policy: Issuer,
    keys: JwksCache,
}

impl<C> Clone for Verifier<C> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<C> fmt::Debug for Verifier<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field(
                "issuers",
                &self
                    .inner
                    .issuers
                    .iter()
                    .map(|t| t.policy.iss())
                    .collect::<Vec<_>>(),
            )
            .field("algorithms", &self.inner.algorithms)
            .field("leeway", &self.inner.leeway)
            .field("token_cache", &self.inner.cache.is_some())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Starts configuring a verifier.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder {
            issuers: Vec::new(),
            algorithms: vec![Algorithm::Rs256],
            leeway: DEFAULT_LEEWAY,
            max_age: None,
            max_lifetime: None,
            max_len: DEFAULT_MAX_TOKEN_LEN,
            max_kid_len: DEFAULT_MAX_KID_LEN,
            clock: Arc::new(SystemClock::new()),
            cache: Some(TokenCacheConfig::default()),
            checks: Vec::new(),
            dropped_checks: false,
            keys: None,
            prefetch: true,
        }
    }
}

type ConfigureKeys = Arc<dyn Fn(JwksCacheBuilder) -> JwksCacheBuilder + Send + Sync>;

/// Configures a [`Verifier`].
///
/// | setting | default |
/// | --- | --- |
/// | algorithms | `RS256` only |
/// | leeway for `exp` / `nbf` / `iat` | 30 s (at most 60 s) |
/// | maximum token age (`iat`) / lifetime (`exp - iat`) | none / none |
/// | maximum token length | 8 KiB |
/// | maximum `kid` length | 256 bytes |
/// | verified-token cache | on, 100,000 entries, 64 MiB |
/// | keys | prefetched by `build` |
#[must_use]
pub struct VerifierBuilder<C = NoCustomClaims> {
    issuers: Vec<Issuer>,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    max_age: Option<Duration>,
    max_lifetime: Option<Duration>,
    max_len: usize,
    max_kid_len: usize,
    clock: Arc<dyn Clock>,
    cache: Option<TokenCacheConfig>,
    checks: Vec<Check<C>>,
    /// Checks were added before [`VerifierBuilder::custom_claims`] changed the type.
    dropped_checks: bool,
    keys: Option<ConfigureKeys>,
    prefetch: bool,
}

impl<C> fmt::Debug for VerifierBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("issuers", &self.issuers)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl<C: CustomClaims> VerifierBuilder<C> {
    /// Trusts this issuer. Add several for several user pools or providers; each token is
    /// routed to the issuer named by its `iss` and verified only with that issuer's keys.
    pub fn issuer(mut self, issuer: Issuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// The allowed signature algorithms (default `RS256` only). `none` and HMAC cannot be
    /// expressed.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 30 s, at most [`MAX_LEEWAY`]).
    /// A token is expired when `now >= exp + leeway`.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Refuses tokens whose `iat` is older than this (requires `iat`).
    pub fn max_token_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Refuses tokens whose `exp - iat` exceeds this (requires `iat`); Cognito access tokens
    /// live at most a day.
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = Some(lifetime);
        self
    }

    /// Longest accepted token in bytes (default 8 KiB), checked before anything else.
    pub fn max_token_len(mut self, len: usize) -> Self {
        self.max_len = len;
        self
    }

    /// Longest accepted `kid` in bytes (default 256).
    pub fn max_kid_len(mut self, len: usize) -> Self {
        self.max_kid_len = len;
        self
    }

    /// Reads time from this clock (tests use `ManualClock`). Key caches built by the verifier
    /// use it too.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Configures the verified-token cache (on by default).
    pub fn token_cache(mut self, config: TokenCacheConfig) -> Self {
        self.cache = Some(config);
        self
    }

    /// Turns the verified-token cache off: every call parses and checks the signature.
    pub fn without_token_cache(mut self) -> Self {
        self.cache = None;
        self
    }

    /// Adjusts every key cache the verifier builds (HTTP client, cooldown, stale limit, ...).
    /// Each such cache is labelled with its issuer's `iss` for metrics and logs
    /// ([`JwksCacheBuilder::issuer_label`]) before `configure` runs.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use tollgate_verify::{Issuer, Verifier};
    /// # async fn run(client: tollgate_verify::jwks::reqwest::Client) -> Result<(), tollgate_verify::BuildError> {
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::oidc("https://sso.example.com").any_audience())
    ///     .configure_keys(move |keys| keys.http_client(client.clone()).cooldown(Duration::from_secs(30)))
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn configure_keys(
        mut self,
        configure: impl Fn(JwksCacheBuilder) -> JwksCacheBuilder + Send + Sync + 'static,
    ) -> Self {
        self.keys = Some(Arc::new(configure));
        self
    }

    /// Whether `build` fetches every issuer's keys before returning (default true). Without
    /// it the first token of each issuer fetches them.
    pub fn prefetch(mut self, prefetch: bool) -> Self {
        self.prefetch = prefetch;
        self
    }

    /// Reads user-defined claims into `D` for every token (exposed as
    /// [`VerifiedToken::custom`]). Call before [`VerifierBuilder::check`]: checks written for
    /// the previous type cannot run on `D`, so building fails with
    /// [`BuildError::InvalidConfig`] rather than silently dropping them.
    pub fn custom_claims<D: CustomClaims>(self) -> VerifierBuilder<D> {
        VerifierBuilder {
            issuers: self.issuers,
            algorithms: self.algorithms,
            leeway: self.leeway,
            max_age: self.max_age,
            max_lifetime: self.max_lifetime,
            max_len: self.max_len,
            max_kid_len: self.max_kid_len,
            clock: self.clock,
            cache: self.cache,
            checks: Vec::new(),
            dropped_checks: self.dropped_checks || !self.checks.is_empty(),
            keys: self.keys,
            prefetch: self.prefetch,
        }
    }

    /// Adds a check run on every token after its signature and standard claims passed.
    /// Results are cached with the token, so a check must depend only on the claims.
    ///
    /// ```
    /// use tollgate_verify::{CheckFailed, Issuer, Verifier};
    ///
    /// let builder = Verifier::builder()
    ///     .issuer(Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").any_client())
    ///     .check(|claims, _custom| {
    ///         if claims.groups().any(|g| g == "suspended") {
    ///             return Err(CheckFailed::new("suspended"));
    ///         }
    ///         Ok(())
    ///     });
    /// ```
    pub fn check(
        mut self,
        check: impl Fn(&Claims, &C) -> Result<(), CheckFailed> + Send + Sync + 'static,
    ) -> Self {
        self.checks.push(Arc::new(check));
        self
    }

    /// Builds the verifier without any I/O: keys are fetched by the first token of each
    /// issuer.
    ///
    /// # Errors
    ///
    /// [`BuildError`] for a missing or inconsistent issuer policy or key source.
    pub fn build_lazy(self) -> Result<Verifier<C>, BuildError> {
        if self.issuers.is_empty() {
            return Err(BuildError::NoIssuer);
        }
        if self.algorithms.is_empty() {
            return Err(BuildError::InvalidConfig(
                "at least one algorithm is required",
            ));
        }
        if self.max_len == 0 {
            return Err(BuildError::InvalidConfig("max_token_len must be positive"));
        }
        if self.leeway > MAX_LEEWAY {
            return Err(BuildError::InvalidConfig("leeway must be at most 60 s"));
        }
        if self.dropped_checks {
            return Err(BuildError::InvalidConfig(
                "checks added before custom_claims would be dropped: call custom_claims first",
            ));
        }
        let mut trusted: Vec<Trusted> = Vec::with_capacity(self.issuers.len());
        for policy in self.issuers {
            policy.validate()?;
            if trusted.iter().any(|t| t.policy.iss() == policy.iss()) {
                return Err(BuildError::DuplicateIssuer);
            }
            let keys = match &policy.keys {
                KeySource::Cache(cache) => {
                    // Keys are bound to one issuer (RFC 8725 §3.8): a cache serving two issuers
                    // would let one issuer's keys verify the other's tokens.
                    if trusted.iter().any(|t| t.keys.is_same_cache(cache)) {
                        return Err(BuildError::InvalidConfig(
                            "one key cache cannot serve two issuers",
                        ));
                    }
                    if cache
                        .discovery_issuer()
                        .is_some_and(|discovered| discovered != policy.iss())
                    {
                        return Err(BuildError::InvalidConfig(
                            "the key cache discovers another issuer's keys",
                        ));
                    }
                    cache.clone()
                }
                KeySource::Source(source)
                    if source
                        .discovery_issuer()
                        .is_some_and(|discovered| discovered != policy.iss()) =>
                {
                    return Err(BuildError::InvalidConfig(
                        "the key source discovers another issuer's keys",
                    ));
                }
                _ => {
                    let mut builder = JwksCache::builder(policy.derived_source()?)
                        .algorithms(self.algorithms.iter().copied())
                        .shared_clock(Arc::clone(&self.clock))
                        .issuer_label(policy.iss());
                    if let Some(configure) = &self.keys {
                        builder = configure(builder);
                    }
                    builder.build()?
                }
            };
            trusted.push(Trusted { policy, keys });
        }
        Ok(Verifier {
            inner: Arc::new(Inner {
                issuers: trusted,
                algorithms: self.algorithms,
                leeway: secs(self.leeway),
                max_age: self.max_age.map(secs),
                max_lifetime: self.max_lifetime.map(secs),
                max_len: self.max_len,
                max_kid_len: self.max_kid_len,
                clock: self.clock,
                cache: self.cache.and_then(TokenCache::new),
                checks: self.checks,
            }),
        })
    }

    /// Builds the verifier and, unless [`VerifierBuilder::prefetch`] is off, fetches every
    /// issuer's keys so a misconfiguration fails at start-up.
    ///
    /// # Errors
    ///
    /// [`BuildError`] as for [`VerifierBuilder::build_lazy`], and [`BuildError::Prefetch`]
    /// when an issuer's keys cannot be fetched.
    pub async fn build(self) -> Result<Verifier<C>, BuildError> {
        let prefetch = self.prefetch;
        let verifier = self.build_lazy()?;
        if prefetch {
            let fetches = verifier.inner.issuers.iter().map(|t| t.keys.prefetch());
            for result in futures_util::future::join_all(fetches).await {
                result.map_err(BuildError::Prefetch)?;
            }
        }
        Ok(verifier)
    }
}

impl<C: CustomClaims> Verifier<C> {
    /// Verifies a token (the bearer credential, without the `Bearer ` prefix).
    ///
    /// The order is chosen so that cheap checks come first: length; verified-token cache;
    /// structure and header (`alg` on the allowlist, `kid`, no `crit` or key references);
    /// claims that need no key (`iss` routing, time, `token_use`, client, audience); only then
    /// the key lookup (which may trigger one rate-limited refetch) and the RSA check; last,
    /// custom claims and checks.
    ///
    /// # Errors
    ///
    /// [`VerifyError`] names the reason. [`VerifyError::error_code`] maps it to the answer.
    ///
    /// # Panics
    ///
    /// When a key fetch is needed outside a Tokio runtime: fetches run as Tokio tasks.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken<C>, VerifyError> {
        let pending = match self.prepare(token)? {
            Step::Cached(token) => return Ok(token),
            Step::NeedsKey(pending) => pending,
        };
        let keys = &self.inner.issuers[pending.issuer].keys;
        let key = match keys.cached_key(&pending.kid) {
            Some(key) => key,
            None => keys.key(&pending.kid).await.map_err(|e| match e {
                LookupError::KeysUnavailable => VerifyError::KeysUnavailable,
                _ => VerifyError::UnknownKid,
            })?,
        };
        self.finish(pending, key)
    }

    /// Verifies a token without waiting for any I/O: `None` when the token's key is not in
    /// the cached key set (a fetch may be needed, or the refusal depends on the cooldown);
    /// call [`Verifier::verify`] then. Otherwise the same result as [`Verifier::verify`].
    ///
    /// Transports use this to avoid allocating a future on the common path.
    #[must_use = "`Some(Err(..))` is a refused token: match on the result, never test `is_some()`"]
    pub fn try_verify(&self, token: &str) -> Option<Result<VerifiedToken<C>, VerifyError>> {
        let pending = match self.prepare(token) {
            Err(error) => return Some(Err(error)),
            Ok(Step::Cached(token)) => return Some(Ok(token)),
            Ok(Step::NeedsKey(pending)) => pending,
        };
        let key = self.inner.issuers[pending.issuer]
            .keys
            .cached_key(&pending.kid)?;
        Some(self.finish(pending, key))
    }

    /// Everything up to the key lookup.
    fn prepare<'t>(&self, token: &'t str) -> Result<Step<'t, C>, VerifyError> {
        let inner = &*self.inner;
        if token.len() > inner.max_len {
            return Err(VerifyError::TokenTooLong);
        }
        let digest = match &inner.cache {
            Some(cache) => match cache.digest(token) {
                Some(digest) => {
                    if let Some(hit) = self.cached(cache, &digest) {
                        return Ok(Step::Cached(hit));
                    }
                    Some(digest)
                }
                None => None,
            },
            None => None,
        };

        let segments = compact::split(token)?;
        let header::CheckedHeader {
            algorithm,
            kid,
            typ,
        } = header::check(&segments, &inner.algorithms, inner.max_kid_len)?;

        let payload =
            compact::decode(segments.payload).map_err(|_| VerifyError::MalformedPayload)?;
        let parsed = ParsedClaims::parse(&payload).map_err(|_| VerifyError::MalformedPayload)?;
        if parsed.duplicate {
            return Err(VerifyError::DuplicateMember(Part::Payload));
        }
        if let Some(name) = parsed.wrong_type {
            return Err(VerifyError::InvalidClaimType(name));
        }
        if let Some(name) = parsed.out_of_range {
            return Err(VerifyError::InvalidClaimValue(name));
        }
        let claims = parsed.claims;
        let iss = claims
            .issuer_claim()
            .ok_or(VerifyError::MissingClaim("iss"))?;
        let (issuer, trusted) = inner
            .issuers
            .iter()
            .enumerate()
            .find(|(_, t)| t.policy.iss() == iss)
            .ok_or(VerifyError::UnknownIssuer)?;
        let typ = match &typ {
            None => None,
            Some(Ok(typ)) => Some(typ.as_str()),
            Some(Err(())) => return Err(VerifyError::TypeNotAllowed),
        };
        trusted.policy.check_type(typ)?;
        let now = secs(inner.clock.unix_now());
        let valid_until = self.check_time(&claims, now)?;
        trusted.policy.check_claims(&claims)?;
        let scopes = trusted.policy.scopes(&claims)?;
        Ok(Step::NeedsKey(Pending {
            segments,
            payload,
            claims,
            scopes,
            issuer,
            algorithm,
            kid,
            digest,
            valid_until,
            now,
        }))
    }

    /// The signature check and what follows it.
    fn finish(
        &self,
        pending: Pending<'_>,
        key: Arc<VerifyingKey>,
    ) -> Result<VerifiedToken<C>, VerifyError> {
        compact::verify_signature(&pending.segments, &key, pending.algorithm)?;

        let custom: C = parse_custom(&pending.payload)?;
        for check in &self.inner.checks {
            check(&pending.claims, &custom).map_err(VerifyError::CheckFailed)?;
        }
        let verified = VerifiedToken::new(
            pending.claims,
            pending.scopes,
            custom,
            key,
            pending.algorithm,
        );
        if let (Some(cache), Some(digest)) = (&self.inner.cache, pending.digest) {
            cache.insert(
                digest,
                verified.clone(),
                pending.valid_until,
                pending.now,
                pending.issuer,
            );
        }
        Ok(verified)
    }

    /// A still-valid cached result for this token, if any.
    fn cached(&self, cache: &TokenCache<C>, digest: &Digest) -> Option<VerifiedToken<C>> {
        let entry = cache.get(digest)?;
        let now = secs(self.inner.clock.unix_now());
        let trusted = self
            .inner
            .issuers
            .get(entry.issuer as usize)
            .is_some_and(|t| t.keys.is_trusted(entry.token.key()));
        if now < entry.valid_until && trusted {
            Some(entry.token)
        } else {
            // Expired or its key was revoked: the full path decides (and reports why).
            cache.remove(digest);
            None
        }
    }

    /// Checks `exp`, `nbf`, `iat`, age and lifetime; returns the instant (Unix seconds,
    /// exclusive) until which the token stays valid.
    fn check_time(&self, claims: &Claims, now: i64) -> Result<i64, VerifyError> {
        let inner = &*self.inner;
        let leeway = inner.leeway;
        let exp = claims.exp.ok_or(VerifyError::MissingClaim("exp"))?;
        // RFC 7519 §4.1.4: the current time MUST be before exp.
        let mut valid_until = exp.saturating_add(leeway);
        if now >= valid_until {
            return Err(VerifyError::Expired);
        }
        if let Some(nbf) = claims.nbf
            && nbf > now.saturating_add(leeway)
        {
            return Err(VerifyError::NotYetValid);
        }
        if let Some(iat) = claims.iat
            && iat > now.saturating_add(leeway)
        {
            return Err(VerifyError::IssuedInFuture);
        }
        if let Some(max_age) = inner.max_age {
            let iat = claims.iat.ok_or(VerifyError::MissingClaim("iat"))?;
            let limit = iat.saturating_add(max_age).saturating_add(leeway);
            if now > limit {
                return Err(VerifyError::TooOld);
            }
            valid_until = valid_until.min(limit.saturating_add(1));
        }
        if let Some(max_lifetime) = inner.max_lifetime {
            let iat = claims.iat.ok_or(VerifyError::MissingClaim("iat"))?;
            if exp.saturating_sub(iat) > max_lifetime {
                return Err(VerifyError::LifetimeTooLong);
            }
        }
        Ok(valid_until)
    }

    /// The trusted issuers (`iss` values).
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.inner.issuers.iter().map(|t| t.policy.iss())
    }

    /// The key cache of an issuer.
    #[must_use]
    pub fn keys(&self, iss: &str) -> Option<&JwksCache> {
        self.inner
            .issuers
            .iter()
            .find(|t| t.policy.iss() == iss)
            .map(|t| &t.keys)
    }

    /// Entries and estimated bytes in the verified-token cache (`None` when it is off).
    #[must_use]
    pub fn token_cache_usage(&self) -> Option<(u64, u64)> {
        self.inner
            .cache
            .as_ref()
            .map(|cache| (cache.entry_count(), cache.weighted_size()))
    }

    /// The clock the verifier reads.
    #[must_use]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }
}
