//! The result of a successful verification.

use std::fmt;
use std::sync::Arc;

use tollgate_jwks::{Algorithm, VerifyingKey};

use crate::{Claim, Claims, NoCustomClaims, Scopes};

/// A token whose signature, header and claims passed every check. Cheap to clone (one `Arc`).
///
/// Only the verifier creates these. `Debug` does not print personal claims.
pub struct VerifiedToken<C = NoCustomClaims> {
    inner: Arc<Inner<C>>,
}

struct Inner<C> {
    claims: Claims,
    scopes: Scopes,
    custom: C,
    key: Arc<VerifyingKey>,
    algorithm: Algorithm,
}

impl<C> Clone for VerifiedToken<C> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<C> VerifiedToken<C> {
    pub(crate) fn new(
        claims: Claims,
        scopes: Scopes,
        custom: C,
        key: Arc<VerifyingKey>,
        algorithm: Algorithm,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                claims,
                scopes,
                custom,
                key,
                algorithm,
            }),
        }
    }

    /// The verified claims.
    #[must_use]
    pub fn claims(&self) -> &Claims {
        &self.inner.claims
    }

    /// The granted scopes.
    #[must_use]
    pub fn scopes(&self) -> &Scopes {
        &self.inner.scopes
    }

    /// The claim at `path`, typed claims included: a top-level name (`cognito:groups`,
    /// `groups`, `roles`) or a nested path (`realm_access.roles`,
    /// `resource_access.orders-api.roles`); names containing `.` are quoted
    /// (`"https://example.com/roles"`). See [`ClaimPath`](crate::ClaimPath) for the syntax and
    /// [`Claim`] for the typed accessors. `None` when absent (or when `path` is not a valid
    /// path). Does not allocate.
    ///
    /// ```
    /// # fn show(token: &tollgate_verify::VerifiedToken) -> Option<()> {
    /// let roles: Vec<&str> = token.claim("realm_access.roles")?.as_strs()?.collect();
    /// let admin = token.claim("cognito:groups").is_some_and(|g| g.contains("admins"));
    /// let tenant: Option<&str> = token.claim("custom:tenant").and_then(|c| c.as_str());
    /// # Some(()) }
    /// ```
    #[must_use]
    pub fn claim(&self, path: &str) -> Option<Claim<'_>> {
        self.inner.claims.claim(path)
    }

    /// The user-defined claims.
    #[must_use]
    pub fn custom(&self) -> &C {
        &self.inner.custom
    }

    /// `iss`.
    #[must_use]
    pub fn issuer(&self) -> &str {
        self.inner.claims.issuer()
    }

    /// `sub`.
    #[must_use]
    pub fn subject(&self) -> Option<&str> {
        self.inner.claims.subject()
    }

    /// `client_id`.
    #[must_use]
    pub fn client_id(&self) -> Option<&str> {
        self.inner.claims.client_id()
    }

    /// `exp`, in seconds since the epoch.
    #[must_use]
    pub fn expires_at(&self) -> i64 {
        self.inner.claims.expires_at()
    }

    /// The `kid` of the key that verified the signature.
    #[must_use]
    pub fn kid(&self) -> &str {
        self.inner.key.kid()
    }

    /// The key that verified the signature.
    pub(crate) fn key(&self) -> &Arc<VerifyingKey> {
        &self.inner.key
    }

    /// The algorithm that verified the signature.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.inner.algorithm
    }

    pub(crate) fn heap_size(&self) -> usize {
        crate::claims::alloc(16 + std::mem::size_of::<Inner<C>>())
            + self.inner.claims.heap_size()
            + self.inner.scopes.heap_size()
    }
}

impl<C> fmt::Debug for VerifiedToken<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("claims", &self.inner.claims)
            .field("scopes", &self.inner.scopes)
            .field("kid", &self.kid())
            .field("algorithm", &self.inner.algorithm)
            .finish_non_exhaustive()
    }
}
