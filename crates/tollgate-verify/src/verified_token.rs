//! The result of a successful verification.

use std::fmt;
use std::sync::Arc;

use tollgate_jwks::{Algorithm, VerifyingKey};

use crate::{Claims, NoCustomClaims, Scopes};

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
