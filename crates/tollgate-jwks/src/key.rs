//! A verification key, parsed once when its key set arrives.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_lc_rs::signature::ParsedPublicKey;

use crate::Algorithm;

/// An RSA public key from a JWK set, checked against the key policy and parsed into the form
/// the signature check uses directly.
///
/// Keys are shared as `Arc<VerifyingKey>`. When a later refresh of the key set no longer
/// contains this key, it is marked [revoked](VerifyingKey::is_revoked) so holders (such as a
/// cache of verified tokens) can stop trusting results obtained with it.
pub struct VerifyingKey {
    kid: Box<str>,
    jwk_alg: Option<Algorithm>,
    modulus_bits: usize,
    modulus: Box<[u8]>,
    exponent: Box<[u8]>,
    parsed: Vec<(Algorithm, ParsedPublicKey)>,
    revoked: AtomicBool,
}

/// Why a signature check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The key may not be used with the token's algorithm (its JWK `alg` names another one, or
    /// the algorithm was not allowed when the set was loaded).
    #[error("key is not usable with this algorithm")]
    AlgorithmMismatch,
    /// The signature's length differs from the modulus length.
    #[error("signature length does not match the key")]
    WrongLength,
    /// The signature does not verify.
    #[error("signature does not verify")]
    Invalid,
}

impl VerifyingKey {
    pub(crate) fn new(
        kid: Box<str>,
        jwk_alg: Option<Algorithm>,
        modulus_bits: usize,
        modulus: Box<[u8]>,
        exponent: Box<[u8]>,
        parsed: Vec<(Algorithm, ParsedPublicKey)>,
    ) -> Self {
        Self {
            kid,
            jwk_alg,
            modulus_bits,
            modulus,
            exponent,
            parsed,
            revoked: AtomicBool::new(false),
        }
    }

    /// The key id (`kid`).
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm named by the JWK's `alg`, if it had one.
    #[must_use]
    pub fn jwk_algorithm(&self) -> Option<Algorithm> {
        self.jwk_alg
    }

    /// The algorithms this key can verify.
    pub fn algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.parsed.iter().map(|(alg, _)| *alg)
    }

    /// The modulus size in bits (the real bit length, not bytes × 8).
    #[must_use]
    pub fn modulus_bits(&self) -> usize {
        self.modulus_bits
    }

    /// Whether a later refresh of the key set dropped or replaced this key.
    #[must_use]
    pub fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::Acquire)
    }

    pub(crate) fn revoke(&self) {
        self.revoked.store(true, Ordering::Release);
    }

    pub(crate) fn same_material(&self, other: &Self) -> bool {
        self.modulus == other.modulus
            && self.exponent == other.exponent
            && self.jwk_alg == other.jwk_alg
    }

    /// Verifies `signature` over `message` (the exact received `header.payload` bytes).
    ///
    /// # Errors
    ///
    /// [`SignatureError`] says why the check failed.
    ///
    /// # Example
    ///
    /// ```
    /// # use tollgate_jwks::{Algorithm, KeySet, KeySetOptions};
    /// # let set = KeySet::from_json(br#"{"keys":[]}"#, &KeySetOptions::default());
    /// # assert!(set.is_err()); // an empty set is not a usable key set
    /// ```
    pub fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        let Some((_, key)) = self.parsed.iter().find(|(a, _)| *a == alg) else {
            return Err(SignatureError::AlgorithmMismatch);
        };
        if signature.len() != self.modulus.len() {
            return Err(SignatureError::WrongLength);
        }
        key.verify_sig(message, signature)
            .map_err(|_| SignatureError::Invalid)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Public material only, and still not printed: the kid and size identify the key.
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("jwk_alg", &self.jwk_alg)
            .field("modulus_bits", &self.modulus_bits)
            .field("revoked", &self.is_revoked())
            .finish_non_exhaustive()
    }
}
