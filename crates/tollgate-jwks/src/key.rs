//! A verification key, parsed once when its key set arrives.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_lc_rs::signature::ParsedPublicKey;

use crate::{Algorithm, KeyType};

/// The public material of a key, kept to recognise the same key across refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Material {
    /// RSA: the modulus (no leading zero octet), its real bit length, and the exponent.
    Rsa {
        bits: usize,
        modulus: Box<[u8]>,
        exponent: Box<[u8]>,
    },
    /// An EC point, uncompressed (`04 || x || y`), or an Ed25519 public key (`x`).
    Point(Box<[u8]>),
}

/// A public key from a JWK set (RSA, EC P-256 / P-384 or Ed25519), checked against the key
/// policy and parsed into the form the signature check uses directly.
///
/// A key serves only the algorithms its JWK allows: the one its `alg` names, or else every
/// allowed algorithm of its type (RSA: `RS*` and `PS*`; P-256: `ES256`; P-384: `ES384`;
/// Ed25519: `EdDSA`). The token's `alg` never changes what a key is.
///
/// Keys are shared as `Arc<VerifyingKey>`. When a later refresh of the key set no longer
/// contains this key, it is marked [revoked](VerifyingKey::is_revoked) so holders (such as a
/// cache of verified tokens) can stop trusting results obtained with it.
pub struct VerifyingKey {
    kid: Box<str>,
    jwk_alg: Option<Algorithm>,
    key_type: KeyType,
    material: Material,
    /// The modulus length in bytes for RSA keys (the only valid signature length), else 0.
    rsa_len: usize,
    parsed: Vec<(Algorithm, ParsedPublicKey)>,
    revoked: AtomicBool,
}

/// Why a signature check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The key may not be used with the token's algorithm (its JWK `alg` names another one,
    /// its type serves another family, or the algorithm was not allowed when the set was
    /// loaded).
    #[error("key is not usable with this algorithm")]
    AlgorithmMismatch,
    /// The signature's length is not the one the algorithm and key require (the modulus
    /// length for RSA, 64 or 96 bytes for ECDSA, 64 bytes for Ed25519).
    #[error("signature length does not match the key")]
    WrongLength,
    /// An ECDSA signature in DER form (a `SEQUENCE` of two `INTEGER`s); JWS uses the fixed
    /// `R || S` form (RFC 7518 §3.4).
    #[error("ECDSA signature is DER-encoded instead of the JWS form")]
    DerEncoded,
    /// An ECDSA signature whose `R` or `S` is zero (CVE-2022-21449, "psychic signatures").
    #[error("ECDSA signature has a zero integer")]
    ZeroComponent,
    /// The signature does not verify.
    #[error("signature does not verify")]
    Invalid,
}

impl VerifyingKey {
    pub(crate) fn new(
        kid: Box<str>,
        jwk_alg: Option<Algorithm>,
        key_type: KeyType,
        material: Material,
        parsed: Vec<(Algorithm, ParsedPublicKey)>,
    ) -> Self {
        let rsa_len = match &material {
            Material::Rsa { modulus, .. } => modulus.len(),
            Material::Point(_) => 0,
        };
        Self {
            kid,
            jwk_alg,
            key_type,
            material,
            rsa_len,
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

    /// The kind of key (RSA, EC P-256, EC P-384, Ed25519).
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The algorithms this key can verify.
    pub fn algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.parsed.iter().map(|(alg, _)| *alg)
    }

    /// The RSA modulus size in bits (the real bit length, not bytes × 8); `None` for EC and
    /// Ed25519 keys.
    #[must_use]
    pub fn modulus_bits(&self) -> Option<usize> {
        match &self.material {
            Material::Rsa { bits, .. } => Some(*bits),
            Material::Point(_) => None,
        }
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
        self.key_type == other.key_type
            && self.material == other.material
            && self.jwk_alg == other.jwk_alg
    }

    /// Verifies `signature` over `message` (the exact received `header.payload` bytes).
    ///
    /// The signature must have the form of the algorithm (see [`SignatureError`]) before the
    /// crypto library sees it.
    ///
    /// # Errors
    ///
    /// [`SignatureError`] says why the check failed.
    ///
    /// # Example
    ///
    /// ```
    /// use base64::Engine as _;
    /// use tollgate_jwks::{Algorithm, KeySet, KeySetOptions, SignatureError};
    ///
    /// // The Ed25519 example of RFC 8037 (Appendix A.2 and A.4).
    /// let set = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a2",
    ///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
    /// let keys = KeySet::from_json(set, &KeySetOptions::default().algorithms([Algorithm::EdDsa]))?;
    /// let key = keys.get("a2").unwrap();
    /// let message = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    /// let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(
    ///     "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
    /// )?;
    /// assert_eq!(key.verify(Algorithm::EdDsa, message, &signature), Ok(()));
    /// assert_eq!(key.verify(Algorithm::EdDsa, b"other", &signature), Err(SignatureError::Invalid));
    /// assert_eq!(key.verify(Algorithm::EdDsa, message, &signature[1..]), Err(SignatureError::WrongLength));
    /// assert_eq!(key.verify(Algorithm::Es256, message, &signature), Err(SignatureError::AlgorithmMismatch));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
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
        crate::signature::check_form(self.key_type, self.rsa_len, signature)?;
        key.verify_sig(message, signature)
            .map_err(|_| SignatureError::Invalid)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Public material only, and still not printed: the kid, type and size identify the key.
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("key_type", &self.key_type)
            .field("jwk_alg", &self.jwk_alg)
            .field("modulus_bits", &self.modulus_bits())
            .field("revoked", &self.is_revoked())
            .finish_non_exhaustive()
    }
}
