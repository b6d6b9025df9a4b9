//! The signature algorithms tollgate verifies, and the key types that serve them.

use std::fmt;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256,
    RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512, RSA_PSS_2048_8192_SHA256,
    RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512, RsaParameters, VerificationAlgorithm,
};

/// A JWS signature algorithm (RFC 7518 §3.3–§3.5, RFC 8037 §3.1).
///
/// Only asymmetric signature algorithms exist here on purpose: `none`, HMAC and every
/// encryption algorithm are not representable, so they can never be selected by a token
/// header. Which of these a verifier accepts is its allowlist (`RS256` alone by default);
/// which a key serves is decided by the key, never by the token (see [`KeyType`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// `RS256`: RSASSA-PKCS1-v1_5 with SHA-256 (what Cognito uses).
    Rs256,
    /// `RS384`: RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// `RS512`: RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// `PS256`: RSASSA-PSS with SHA-256, MGF1 with SHA-256, a 32-byte salt.
    Ps256,
    /// `PS384`: RSASSA-PSS with SHA-384, MGF1 with SHA-384, a 48-byte salt.
    Ps384,
    /// `PS512`: RSASSA-PSS with SHA-512, MGF1 with SHA-512, a 64-byte salt.
    Ps512,
    /// `ES256`: ECDSA on P-256 with SHA-256, signature `R || S` of 64 bytes.
    Es256,
    /// `ES384`: ECDSA on P-384 with SHA-384, signature `R || S` of 96 bytes.
    Es384,
    /// `EdDSA` with Ed25519 (RFC 8037), signature of 64 bytes.
    EdDsa,
}

/// The kind of public key a JWK holds, which decides the algorithms it can serve: RSA keys
/// serve `RS*` and `PS*`, a P-256 key only `ES256`, a P-384 key only `ES384`, an Ed25519 key
/// only `EdDSA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// `kty: "RSA"`.
    Rsa,
    /// `kty: "EC"`, `crv: "P-256"`.
    EcP256,
    /// `kty: "EC"`, `crv: "P-384"`.
    EcP384,
    /// `kty: "OKP"`, `crv: "Ed25519"`.
    Ed25519,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Self; 9] = [
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Es256,
        Self::Es384,
        Self::EdDsa,
    ];

    /// The JOSE name, as it appears in a header's `alg`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::EdDsa => "EdDSA",
        }
    }

    /// Parses a JOSE `alg` value with an exact, case-sensitive comparison (RFC 7515 §4.1.1).
    ///
    /// ```
    /// use tollgate_jwks::Algorithm;
    /// assert_eq!(Algorithm::from_jose("RS256"), Some(Algorithm::Rs256));
    /// assert_eq!(Algorithm::from_jose("EdDSA"), Some(Algorithm::EdDsa));
    /// assert_eq!(Algorithm::from_jose("rs256"), None);
    /// assert_eq!(Algorithm::from_jose("Ed25519"), None);
    /// assert_eq!(Algorithm::from_jose("HS256"), None);
    /// assert_eq!(Algorithm::from_jose("none"), None);
    /// ```
    #[must_use]
    pub fn from_jose(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == name)
    }

    /// The key type that serves this algorithm.
    ///
    /// ```
    /// use tollgate_jwks::{Algorithm, KeyType};
    /// assert_eq!(Algorithm::Ps256.key_type(), KeyType::Rsa);
    /// assert_eq!(Algorithm::Es384.key_type(), KeyType::EcP384);
    /// ```
    #[must_use]
    pub const fn key_type(self) -> KeyType {
        match self {
            Self::Rs256 | Self::Rs384 | Self::Rs512 | Self::Ps256 | Self::Ps384 | Self::Ps512 => {
                KeyType::Rsa
            }
            Self::Es256 => KeyType::EcP256,
            Self::Es384 => KeyType::EcP384,
            Self::EdDsa => KeyType::Ed25519,
        }
    }

    /// The aws-lc-rs parameters of an RSA algorithm (`None` for the others).
    pub(crate) fn rsa_parameters(self) -> Option<&'static RsaParameters> {
        Some(match self {
            Self::Rs256 => &RSA_PKCS1_2048_8192_SHA256,
            Self::Rs384 => &RSA_PKCS1_2048_8192_SHA384,
            Self::Rs512 => &RSA_PKCS1_2048_8192_SHA512,
            Self::Ps256 => &RSA_PSS_2048_8192_SHA256,
            Self::Ps384 => &RSA_PSS_2048_8192_SHA384,
            Self::Ps512 => &RSA_PSS_2048_8192_SHA512,
            Self::Es256 | Self::Es384 | Self::EdDsa => return None,
        })
    }

    /// The aws-lc-rs verification algorithm of an EC or Ed25519 algorithm (`None` for RSA,
    /// whose keys are built from their components).
    pub(crate) fn point_algorithm(self) -> Option<&'static dyn VerificationAlgorithm> {
        Some(match self {
            Self::Es256 => &ECDSA_P256_SHA256_FIXED,
            Self::Es384 => &ECDSA_P384_SHA384_FIXED,
            Self::EdDsa => &ED25519,
            _ => return None,
        })
    }
}

impl KeyType {
    /// The one algorithm an EC or Ed25519 key serves (`None` for RSA, which serves several).
    #[must_use]
    pub const fn only_algorithm(self) -> Option<Algorithm> {
        match self {
            Self::Rsa => None,
            Self::EcP256 => Some(Algorithm::Es256),
            Self::EcP384 => Some(Algorithm::Es384),
            Self::Ed25519 => Some(Algorithm::EdDsa),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_exactly() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_jose(alg.as_str()), Some(alg));
            assert_eq!(Algorithm::from_jose(&alg.as_str().to_lowercase()), None);
            assert_eq!(Algorithm::from_jose(&format!("{alg} ")), None);
        }
        for name in ["none", "HS256", "ES512", "ES256K", "Ed25519", "PS256\0", ""] {
            assert_eq!(Algorithm::from_jose(name), None, "{name:?}");
        }
    }

    #[test]
    fn every_algorithm_has_exactly_one_kind_of_primitive() {
        for alg in Algorithm::ALL {
            let rsa = alg.rsa_parameters().is_some();
            let point = alg.point_algorithm().is_some();
            assert!(rsa != point, "{alg}");
            assert_eq!(rsa, alg.key_type() == KeyType::Rsa, "{alg}");
            if !rsa {
                assert_eq!(alg.key_type().only_algorithm(), Some(alg));
            }
        }
    }
}
