//! The verifier: strict parsing, key selection by issuer and `kid`, signature, claim policy,
//! and the verified-token cache.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tollgate_jwks::{Algorithm, Clock, JwksCache, LookupError, VerifyingKey};

use crate::attempt::{Attempt, PendingVerification};
use crate::claims::ParsedClaims;
use crate::compact;
use crate::compact::DecodeBuf;
use crate::custom::{Check, parse_custom, reads_payload};
use crate::header::{self, HeaderBuf};
use crate::token_cache::{Digest, TokenCache};
use crate::{
    Claims, CustomClaims, Issuer, NoCustomClaims, Part, Scopes, TokenCacheUsage, VerifiedToken,
    VerifyError,
};

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
    pub(crate) inner: Arc<Inner<C>>,
}

pub(crate) struct Inner<C> {
    pub(crate) issuers: Vec<Trusted>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) leeway: i64,
    pub(crate) max_age: Option<i64>,
    pub(crate) max_lifetime: Option<i64>,
    pub(crate) max_len: usize,
    pub(crate) max_kid_len: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cache: Option<TokenCache<C>>,
    pub(crate) checks: Vec<Check<C>>,
}

pub(crate) struct Trusted {
    pub(crate) policy: Issuer,
    pub(crate) keys: JwksCache,
    /// The algorithms this issuer's tokens may use.
    pub(crate) algorithms: Vec<Algorithm>,
}

/// Room for a decoded payload: longer payloads are decoded on the heap.
type PayloadBuf = DecodeBuf<4096>;

// Boxing the large variants would add an allocation to every fresh verification.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step<'t, C> {
    Cached(VerifiedToken<C>),
    /// Every check that needs no key passed, and the key is in the issuer's cached set.
    Ready(Signed<'t>, Checked, Arc<VerifyingKey>),
    /// Every check that needs no key passed; the key with this `kid` is not in the cached set.
    NeedsKey(Signed<'t>, Checked, Box<str>),
}

/// The signed bytes of a token, as received: `header.payload`, a dot, the signature segment.
#[derive(Clone, Copy)]
pub(crate) struct Signed<'t> {
    token: &'t str,
    /// The length of `header.payload`; the signature segment starts one byte later.
    input_len: usize,
}

impl<'t> Signed<'t> {
    fn new(segments: &compact::Segments<'t>, token: &'t str) -> Self {
        Self {
            token,
            input_len: segments.signing_input.len(),
        }
    }

    pub(crate) fn from_owned(token: &'t str, input_len: usize) -> Self {
        Self { token, input_len }
    }

    pub(crate) fn token(&self) -> &'t str {
        self.token
    }

    pub(crate) fn input_len(&self) -> usize {
        self.input_len
    }

    fn check(&self, key: &VerifyingKey, algorithm: Algorithm) -> Result<(), VerifyError> {
        // Both halves exist for any token `compact::split` accepted; should they not, the empty
        // slices fail the signature check (fail closed).
        let input = self.token.get(..self.input_len).unwrap_or_default();
        let signature = self
            .token
            .get(self.input_len.saturating_add(1)..)
            .unwrap_or_default();
        compact::verify_signature(input, signature, key, algorithm)
    }
}

/// What the checks that need no key produced: everything the signature check and what follows
/// it need, apart from the token's bytes.
pub(crate) struct Checked {
    /// The decoded payload, kept only when custom claims are read from it.
    payload: Option<Vec<u8>>,
    claims: Claims,
    scopes: Scopes,
    issuer: usize,
    algorithm: Algorithm,
    digest: Option<Digest>,
    valid_until: i64,
    now: i64,
}

impl Checked {
    /// What the key-free checks of another path (the ALB path) produced.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        payload: Option<Vec<u8>>,
        claims: Claims,
        scopes: Scopes,
        issuer: usize,
        algorithm: Algorithm,
        digest: Option<Digest>,
        valid_until: i64,
        now: i64,
    ) -> Self {
        Self {
            payload,
            claims,
            scopes,
            issuer,
            algorithm,
            digest,
            valid_until,
            now,
        }
    }

    /// The index of the token's issuer among the trusted ones.
    pub(crate) fn issuer(&self) -> usize {
        self.issuer
    }
}

pub(crate) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
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
            .field("issuers", &self.issuers().collect::<Vec<_>>())
            .field("algorithms", &self.inner.algorithms)
            .field("leeway", &self.inner.leeway)
            .field("token_cache", &self.inner.cache.is_some())
            .finish_non_exhaustive()
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
        match self.prepare(token)? {
            Step::Cached(token) => Ok(token),
            Step::Ready(signed, checked, key) => self.finish(signed, checked, key),
            Step::NeedsKey(signed, checked, kid) => {
                let key = self.fetch_key(checked.issuer, &kid).await?;
                self.finish(signed, checked, key)
            }
        }
    }

    /// Verifies a token as far as possible without waiting for any I/O.
    ///
    /// The result is the same as [`Verifier::verify`]'s whenever the token's key is in the
    /// cached key set ([`Attempt::Verified`] or [`Attempt::Refused`]). When it is not,
    /// [`Attempt::NeedsKey`] carries the token with every key-free check already passed;
    /// [`PendingVerification::finish`] looks the key up (one shared, rate-limited fetch, or an
    /// immediate refusal inside the cooldown window) and completes the verification without
    /// parsing the token again.
    ///
    /// Transports use this so that the common path needs no future and no allocation beyond
    /// the verification itself.
    ///
    /// ```no_run
    /// use tollgate_verify::{Attempt, VerifiedToken, Verifier, VerifyError};
    ///
    /// async fn check(verifier: &Verifier, token: &str) -> Result<VerifiedToken, VerifyError> {
    ///     match verifier.attempt(token) {
    ///         Attempt::Verified(token) => Ok(token),
    ///         Attempt::Refused(error) => Err(error),
    ///         Attempt::NeedsKey(pending) => pending.finish().await,
    ///     }
    /// }
    /// ```
    pub fn attempt(&self, token: &str) -> Attempt<C> {
        match self.prepare(token) {
            Err(error) => Attempt::Refused(error),
            Ok(Step::Cached(token)) => Attempt::Verified(token),
            Ok(Step::Ready(signed, checked, key)) => match self.finish(signed, checked, key) {
                Ok(token) => Attempt::Verified(token),
                Err(error) => Attempt::Refused(error),
            },
            Ok(Step::NeedsKey(signed, checked, kid)) => {
                Attempt::NeedsKey(PendingVerification::new(self.clone(), signed, checked, kid))
            }
        }
    }

    /// How full the verified-token cache is (`None` when it is off).
    #[must_use]
    pub fn token_cache_usage(&self) -> Option<TokenCacheUsage> {
        self.inner.cache.as_ref().map(|cache| TokenCacheUsage {
            entries: cache.entry_count(),
            estimated_bytes: cache.weighted_size(),
            admission_bytes: cache.admission_bytes(),
        })
    }

    /// A key that was not in the cached set, through the key cache of the issuer at this
    /// index (found in this very list by `prepare`): one shared, rate-limited fetch.
    pub(crate) async fn fetch_key(
        &self,
        issuer: usize,
        kid: &str,
    ) -> Result<Arc<VerifyingKey>, VerifyError> {
        let trusted = self
            .inner
            .issuers
            .get(issuer)
            .ok_or(VerifyError::UnknownIssuer)?;
        trusted.keys.key(kid).await.map_err(|e| match e {
            LookupError::KeysUnavailable => VerifyError::KeysUnavailable,
            _ => VerifyError::UnknownKid,
        })
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

        let mut header = HeaderBuf::new();
        let mut payload = PayloadBuf::new();
        let parts = match compact::split_and_decode(token, &mut header, &mut payload) {
            Ok(parts) => parts,
            // Padded segments are accepted from AWS ALB issuers only (`alb.rs`).
            Err(error) => return crate::alb::prepare_padded(self, token, digest, error),
        };
        let segments = parts.segments;
        let checked_header = header::check(parts.header, &inner.algorithms, inner.max_kid_len)?;
        // A `signer` in the header: an AWS ALB token, when an ALB issuer is trusted (`alb.rs`).
        if checked_header.alb.is_some() && crate::alb::has_alb_issuer(self) {
            let signed = Signed::new(&segments, token);
            return crate::alb::prepare_checked(
                self,
                signed,
                parts.payload,
                checked_header,
                digest,
            );
        }
        let header::CheckedHeader {
            algorithm,
            kid,
            typ,
            alb: _,
        } = checked_header;
        let payload = parts.payload?;
        let parsed = ParsedClaims::parse(payload).map_err(|_| VerifyError::MalformedPayload)?;
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
            .find(|(_, t)| t.policy.iss() == iss && !t.policy.is_alb())
            .ok_or(VerifyError::UnknownIssuer)?;
        // The issuer's own allowlist, before any key is looked up (or fetched).
        if !trusted.algorithms.contains(&algorithm) {
            return Err(VerifyError::AlgorithmNotAllowed);
        }
        let typ = match &typ {
            None => None,
            Some(Ok(typ)) => Some(typ.as_ref()),
            Some(Err(())) => return Err(VerifyError::TypeNotAllowed),
        };
        trusted.policy.check_type(typ)?;
        let now = secs(inner.clock.unix_now());
        let valid_until = self.check_time(&claims, now)?;
        trusted.policy.check_claims(&claims)?;
        let scopes = trusted.policy.scopes(&claims)?;
        let checked = Checked {
            payload: reads_payload::<C>().then(|| payload.to_vec()),
            claims,
            scopes,
            issuer,
            algorithm,
            digest,
            valid_until,
            now,
        };
        let signed = Signed::new(&segments, token);
        Ok(match trusted.keys.cached_key(&kid) {
            Some(key) => Step::Ready(signed, checked, key),
            None => Step::NeedsKey(signed, checked, kid.into()),
        })
    }

    /// The signature check and what follows it.
    pub(crate) fn finish(
        &self,
        signed: Signed<'_>,
        checked: Checked,
        key: Arc<VerifyingKey>,
    ) -> Result<VerifiedToken<C>, VerifyError> {
        signed.check(&key, checked.algorithm)?;

        let custom: C = parse_custom(checked.payload.as_deref().unwrap_or_default())?;
        for check in &self.inner.checks {
            check(&checked.claims, &custom).map_err(VerifyError::CheckFailed)?;
        }
        let Checked {
            mut claims,
            scopes,
            issuer,
            algorithm,
            digest,
            valid_until,
            now,
            ..
        } = checked;
        // The admission rule decides before the token is built: a cached token's claims give
        // their spare capacity back first.
        let cache = match (&self.inner.cache, digest) {
            (Some(cache), Some(digest)) if valid_until > now && cache.admits(&digest) => {
                claims.shrink_to_fit();
                Some((cache, digest))
            }
            _ => None,
        };
        let verified = VerifiedToken::new(claims, scopes, custom, key, algorithm);
        if let Some((cache, digest)) = cache {
            cache.insert(digest, verified.clone(), valid_until, now, issuer);
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
    pub(crate) fn check_time(&self, claims: &Claims, now: i64) -> Result<i64, VerifyError> {
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
}

impl<C> Verifier<C> {
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

    /// The clock the verifier reads.
    #[must_use]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The `iss` of the trusted issuer at this index.
    pub(crate) fn issuer_at(&self, index: usize) -> &str {
        self.inner.issuers.get(index).map_or("", |t| t.policy.iss())
    }
}
