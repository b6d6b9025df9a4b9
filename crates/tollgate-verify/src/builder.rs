//! [`VerifierBuilder`]: the settings of a [`Verifier`], checked once by `build`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tollgate_jwks::{Algorithm, Clock, JwksCache, JwksCacheBuilder, SystemClock};

use crate::custom::Check;
use crate::header::DEFAULT_MAX_KID_LEN;
use crate::issuer::KeySource;
use crate::token_cache::TokenCache;
use crate::verifier::{Inner, Trusted, secs};
use crate::{
    BuildError, CheckFailed, Claims, CustomClaims, Issuer, NoCustomClaims, TokenCacheConfig,
    Verifier,
};

/// Default longest accepted token, in bytes.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;
/// Default clock-skew allowance for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// Largest clock-skew allowance a verifier accepts (what jsonwebtoken, Envoy and Spring use as
/// their default); a larger one is [`BuildError::LeewayTooLarge`].
pub const MAX_LEEWAY: Duration = Duration::from_secs(60);

impl Verifier {
    /// Starts configuring a verifier (default claims; add a custom-claims type with
    /// [`VerifierBuilder::custom_claims`], or write `Verifier::<MyClaims>::builder()` with
    /// [`CustomClaimsVerifier`] in scope).
    pub fn builder() -> VerifierBuilder {
        new_builder()
    }
}

/// `Verifier::<C>::builder()`: a builder for a verifier with custom claims `C`, the spelling
/// that reads like the type it builds. Rust infers the claims type of `Verifier::builder()`
/// from its one inherent definition (the default claims), so the generic spelling lives in this
/// trait; bring it into scope to use it. It is the same as
/// `Verifier::builder().custom_claims::<C>()`.
///
/// ```
/// use tollgate_verify::{CustomClaimsVerifier as _, Issuer, Verifier};
///
/// #[derive(serde::Deserialize)]
/// struct MyClaims {
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
///
/// let verifier: Verifier<MyClaims> = Verifier::<MyClaims>::builder()
///     .issuer(Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").client_ids(["4e8i3example"]))
///     .build_lazy()?;
/// // `Verifier::builder()` keeps meaning the default claims, with the trait in scope too.
/// let plain: Verifier = Verifier::builder()
///     .issuer(Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").any_client())
///     .build_lazy()?;
/// # Ok::<(), tollgate_verify::BuildError>(())
/// ```
pub trait CustomClaimsVerifier: Sized {
    /// The custom-claims type.
    type Claims: CustomClaims;

    /// Starts configuring a verifier whose tokens carry custom claims of type
    /// [`Self::Claims`](CustomClaimsVerifier::Claims).
    fn builder() -> VerifierBuilder<Self::Claims>;
}

impl<C: CustomClaims> CustomClaimsVerifier for Verifier<C> {
    type Claims = C;

    fn builder() -> VerifierBuilder<C> {
        new_builder()
    }
}

fn new_builder<C>() -> VerifierBuilder<C> {
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

type ConfigureKeys = Arc<dyn Fn(JwksCacheBuilder) -> JwksCacheBuilder + Send + Sync>;

/// Configures a [`Verifier`].
///
/// | setting | default |
/// | --- | --- |
/// | algorithms | `RS256` only (per issuer: [`Issuer::algorithms`]) |
/// | leeway for `exp` / `nbf` / `iat` | 30 s (at most 60 s) |
/// | maximum token age (`iat`) / lifetime (`exp - iat`) | none / none |
/// | maximum token length | 8 KiB |
/// | maximum `kid` length | 256 bytes |
/// | verified-token cache | on, 100,000 entries, 64 MiB, a token cached on its second use |
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

impl<C: CustomClaims> VerifierBuilder<C> {
    /// Trusts this issuer. Add several for several user pools or providers; each token is
    /// routed to the issuer named by its `iss` and verified only with that issuer's keys.
    pub fn issuer(mut self, issuer: Issuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// The allowed signature algorithms of every issuer that does not set its own with
    /// [`Issuer::algorithms`] (default `RS256` only). `none` and HMAC cannot be expressed;
    /// `ES256`, `ES384`, `PS256`–`PS512` and `EdDSA` are opt-in.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        let mut algorithms: Vec<Algorithm> = algorithms.into_iter().collect();
        algorithms.sort();
        algorithms.dedup();
        self.algorithms = algorithms;
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
    /// [`VerifiedToken::custom`](crate::VerifiedToken::custom)). Call before
    /// [`VerifierBuilder::check`]: checks written for the previous type cannot run on `D`, so
    /// building fails with [`BuildError::CheckBeforeCustomClaims`] rather than silently
    /// dropping them.
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
            return Err(BuildError::NoAlgorithm);
        }
        if self.max_len == 0 {
            return Err(BuildError::ZeroMaxTokenLen);
        }
        if self.leeway > MAX_LEEWAY {
            return Err(BuildError::LeewayTooLarge);
        }
        if self.dropped_checks {
            return Err(BuildError::CheckBeforeCustomClaims);
        }
        let mut trusted: Vec<Trusted> = Vec::with_capacity(self.issuers.len());
        // Every algorithm some issuer allows: the header check's allowlist (each issuer's own
        // list is checked once the token is routed to it).
        let mut union: Vec<Algorithm> = Vec::new();
        for policy in self.issuers {
            policy.validate()?;
            let algorithms = policy
                .algorithms
                .clone()
                .unwrap_or_else(|| self.algorithms.clone());
            if algorithms.is_empty() {
                return Err(BuildError::NoAlgorithm);
            }
            union.extend(algorithms.iter().copied());
            if trusted.iter().any(|t| t.policy.iss() == policy.iss()) {
                return Err(BuildError::DuplicateIssuer);
            }
            // ALB tokens are routed by `signer`: one load balancer, one issuer.
            if let Some(alb) = policy.alb_policy()
                && trusted.iter().any(|t| {
                    t.policy
                        .alb_policy()
                        .is_some_and(|other| other.signers.iter().any(|s| alb.signers.contains(s)))
                })
            {
                return Err(BuildError::DuplicateIssuer);
            }
            let keys = match &policy.keys {
                KeySource::Cache(cache) => {
                    // Keys are bound to one issuer (RFC 8725 §3.8): a cache serving two issuers
                    // would let one issuer's keys verify the other's tokens.
                    if trusted.iter().any(|t| t.keys.is_same_cache(cache)) {
                        return Err(BuildError::SharedKeyCache);
                    }
                    if cache
                        .discovery_issuer()
                        .is_some_and(|discovered| discovered != policy.iss())
                    {
                        return Err(BuildError::DiscoveryIssuerMismatch);
                    }
                    cache.clone()
                }
                KeySource::Source(source)
                    if source
                        .discovery_issuer()
                        .is_some_and(|discovered| discovered != policy.iss()) =>
                {
                    return Err(BuildError::DiscoveryIssuerMismatch);
                }
                _ => {
                    let mut builder = JwksCache::builder(policy.derived_source()?)
                        .algorithms(algorithms.iter().copied())
                        .shared_clock(Arc::clone(&self.clock))
                        .issuer_label(policy.iss());
                    if let Some(configure) = &self.keys {
                        builder = configure(builder);
                    }
                    builder.build()?
                }
            };
            trusted.push(Trusted {
                policy,
                keys,
                algorithms,
            });
        }
        union.sort();
        union.dedup();
        Ok(Verifier {
            inner: Arc::new(Inner {
                issuers: trusted,
                algorithms: union,
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
