//! The signature algorithms tollgate verifies.

use std::fmt;

use aws_lc_rs::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512,
    RsaParameters,
};

/// A JWS signature algorithm (RFC 7518 §3.3: RSASSA-PKCS1-v1_5).
///
/// Only RSA PKCS#1 v1.5 algorithms exist here on purpose: `none`, HMAC and every other family
/// are not representable, so they can never be selected by a token header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// `RS256`: RSASSA-PKCS1-v1_5 with SHA-256 (what Cognito uses).
    Rs256,
    /// `RS384`: RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// `RS512`: RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Self; 3] = [Self::Rs256, Self::Rs384, Self::Rs512];

    /// The JOSE name, as it appears in a header's `alg`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
        }
    }

    /// Parses a JOSE `alg` value with an exact, case-sensitive comparison (RFC 7515 §4.1.1).
    ///
    /// ```
    /// use tollgate_jwks::Algorithm;
    /// assert_eq!(Algorithm::from_jose("RS256"), Some(Algorithm::Rs256));
    /// assert_eq!(Algorithm::from_jose("rs256"), None);
    /// assert_eq!(Algorithm::from_jose("none"), None);
    /// ```
    #[must_use]
    pub fn from_jose(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "RS384" => Some(Self::Rs384),
            "RS512" => Some(Self::Rs512),
            _ => None,
        }
    }

    pub(crate) fn parameters(self) -> &'static RsaParameters {
        match self {
            Self::Rs256 => &RSA_PKCS1_2048_8192_SHA256,
            Self::Rs384 => &RSA_PKCS1_2048_8192_SHA384,
            Self::Rs512 => &RSA_PKCS1_2048_8192_SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
