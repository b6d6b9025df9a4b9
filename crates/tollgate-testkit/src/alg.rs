//! The RSA signature algorithms a [`SigningKey`](crate::SigningKey) can produce.

use aws_lc_rs::signature::{self, RsaEncoding};

/// An RSA JWS algorithm (RFC 7518 §3.3 and §3.5).
///
/// Cognito only ever uses [`RsaAlg::Rs256`]; the others exist so tests can
/// check that a verifier refuses them (wrong hash, wrong primitive).
///
/// ```
/// use tollgate_testkit::RsaAlg;
///
/// assert_eq!(RsaAlg::Rs256.name(), "RS256");
/// assert_eq!(RsaAlg::Ps256.to_string(), "PS256");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (what Cognito uses).
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256 (a different primitive: "wrong primitive" tests).
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
}

impl RsaAlg {
    /// The JWS `alg` header value, e.g. `"RS256"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
        }
    }

    pub(crate) fn encoding(self) -> &'static dyn RsaEncoding {
        match self {
            Self::Rs256 => &signature::RSA_PKCS1_SHA256,
            Self::Rs384 => &signature::RSA_PKCS1_SHA384,
            Self::Rs512 => &signature::RSA_PKCS1_SHA512,
            Self::Ps256 => &signature::RSA_PSS_SHA256,
            Self::Ps384 => &signature::RSA_PSS_SHA384,
            Self::Ps512 => &signature::RSA_PSS_SHA512,
        }
    }
}

impl std::fmt::Display for RsaAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
