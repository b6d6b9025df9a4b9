//! The signature algorithms a [`SigningKey`](crate::SigningKey) can produce.

use aws_lc_rs::signature::{self, RsaEncoding};

/// A JWS signature algorithm (RFC 7518 §3.3–§3.5, RFC 8037 §3.1).
///
/// Cognito only ever uses [`JwsAlg::Rs256`]; the others serve issuers signing with EC, PSS
/// or Ed25519 keys, and tests that check a verifier refuses what it should (wrong hash,
/// wrong primitive, wrong key type).
///
/// ```
/// use tollgate_testkit::JwsAlg;
///
/// assert_eq!(JwsAlg::Rs256.name(), "RS256");
/// assert_eq!(JwsAlg::EdDsa.to_string(), "EdDSA");
/// assert_eq!(JwsAlg::from_name("ES384"), Some(JwsAlg::Es384));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (what Cognito uses).
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256, 32-byte salt.
    Ps256,
    /// RSASSA-PSS with SHA-384, 48-byte salt.
    Ps384,
    /// RSASSA-PSS with SHA-512, 64-byte salt.
    Ps512,
    /// ECDSA P-256 with SHA-256, `R || S` (64 bytes).
    Es256,
    /// ECDSA P-384 with SHA-384, `R || S` (96 bytes).
    Es384,
    /// EdDSA with Ed25519 (64-byte signatures).
    EdDsa,
}

/// The former name of [`JwsAlg`], from when the testkit signed with RSA only.
pub type RsaAlg = JwsAlg;

impl JwsAlg {
    /// Every algorithm.
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
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The algorithm with this exact `alg` name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// Whether this is an RSA algorithm (`RS*` or `PS*`).
    #[must_use]
    pub const fn is_rsa(self) -> bool {
        matches!(
            self,
            Self::Rs256 | Self::Rs384 | Self::Rs512 | Self::Ps256 | Self::Ps384 | Self::Ps512
        )
    }

    pub(crate) fn rsa_encoding(self) -> Option<&'static dyn RsaEncoding> {
        Some(match self {
            Self::Rs256 => &signature::RSA_PKCS1_SHA256,
            Self::Rs384 => &signature::RSA_PKCS1_SHA384,
            Self::Rs512 => &signature::RSA_PKCS1_SHA512,
            Self::Ps256 => &signature::RSA_PSS_SHA256,
            Self::Ps384 => &signature::RSA_PSS_SHA384,
            Self::Ps512 => &signature::RSA_PSS_SHA512,
            Self::Es256 | Self::Es384 | Self::EdDsa => return None,
        })
    }
}

impl std::fmt::Display for JwsAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
