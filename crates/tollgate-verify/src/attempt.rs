//! [`Attempt`]: what [`Verifier::attempt`] decided without waiting, and
//! [`PendingVerification`]: a token that only lacks its key.

use std::fmt;

use crate::verifier::{Checked, Signed};
use crate::{CustomClaims, NoCustomClaims, VerifiedToken, Verifier, VerifyError};

/// The outcome of [`Verifier::attempt`]: verified, refused, or waiting for a key.
///
/// ```no_run
/// use tollgate_verify::{Attempt, Verifier};
///
/// # async fn run(verifier: Verifier, token: &str) {
/// let result = match verifier.attempt(token) {
///     Attempt::Verified(token) => Ok(token),
///     Attempt::Refused(error) => Err(error),
///     // The key is not cached: fetch it (shared, rate-limited) and finish, without parsing
///     // the token again.
///     Attempt::NeedsKey(pending) => pending.finish().await,
/// };
/// # }
/// ```
#[must_use = "an attempt may be a refusal: match on it"]
pub enum Attempt<C = NoCustomClaims> {
    /// Every check passed.
    Verified(VerifiedToken<C>),
    /// The token is refused; the same error [`Verifier::verify`] would return.
    Refused(VerifyError),
    /// Every check that needs no key passed, and the token's key is not in the cached key set:
    /// [`PendingVerification::finish`] looks it up (which may fetch) and completes.
    NeedsKey(PendingVerification<C>),
}

/// A token that passed every check that needs no key, waiting for its issuer's key.
///
/// It owns a copy of the token's signed bytes and everything the key-free checks produced, so
/// it can be moved into a future; [`PendingVerification::finish`] completes it. The time
/// checks were made when the attempt was; the key lookup that follows is bounded by the key
/// cache's fetch timeout.
///
/// `Debug` shows only the issuer: never the token, its claims or its key id.
pub struct PendingVerification<C = NoCustomClaims> {
    // Boxed: this is the slow path (a key fetch may follow), and it keeps `Attempt` small.
    inner: Box<Pending<C>>,
}

struct Pending<C> {
    verifier: Verifier<C>,
    token: Box<str>,
    input_len: usize,
    checked: Checked,
    kid: Box<str>,
}

impl<C: CustomClaims> PendingVerification<C> {
    pub(crate) fn new(
        verifier: Verifier<C>,
        signed: Signed<'_>,
        checked: Checked,
        kid: Box<str>,
    ) -> Self {
        Self {
            inner: Box::new(Pending {
                verifier,
                token: signed.token().into(),
                input_len: signed.input_len(),
                checked,
                kid,
            }),
        }
    }

    /// Looks up the token's key (one fetch shared by every concurrent miss and allowed once
    /// per cooldown window; inside the window the lookup fails at once), then checks the
    /// signature, the custom claims and checks, and caches the result: the rest of
    /// [`Verifier::verify`].
    ///
    /// Dropping the future before it completes leaves no state behind: a fetch it started
    /// runs to its end as its own task and serves every other waiter.
    ///
    /// # Errors
    ///
    /// [`VerifyError::UnknownKid`] when the issuer's set has no such key (after any fetch the
    /// cooldown allowed), [`VerifyError::KeysUnavailable`] when no usable key set can be
    /// obtained, and otherwise as [`Verifier::verify`].
    ///
    /// # Panics
    ///
    /// When a key fetch is needed outside a Tokio runtime: fetches run as Tokio tasks.
    pub async fn finish(self) -> Result<VerifiedToken<C>, VerifyError> {
        let Pending {
            verifier,
            token,
            input_len,
            checked,
            kid,
        } = *self.inner;
        let key = verifier.fetch_key(checked.issuer(), &kid).await?;
        verifier.finish(Signed::from_owned(&token, input_len), checked, key)
    }
}

impl<C> PendingVerification<C> {
    /// The `iss` of the issuer whose key is needed.
    #[must_use]
    pub fn issuer(&self) -> &str {
        self.inner.verifier.issuer_at(self.inner.checked.issuer())
    }
}

impl<C> fmt::Debug for PendingVerification<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingVerification")
            .field("issuer", &self.issuer())
            .finish_non_exhaustive()
    }
}

impl<C> fmt::Debug for Attempt<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verified(token) => f.debug_tuple("Verified").field(token).finish(),
            Self::Refused(error) => f.debug_tuple("Refused").field(error).finish(),
            Self::NeedsKey(pending) => f.debug_tuple("NeedsKey").field(pending).finish(),
        }
    }
}
