//! Why a token was refused.

use std::fmt;

/// What a token's structure got wrong before any JSON was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// Not exactly three `.`-separated segments (JWE has five, JWS JSON has none).
    SegmentCount,
    /// A segment is empty.
    EmptySegment,
    /// A character outside the base64url alphabet (`+`, `/`, `=`, space, `%`, NUL, ...).
    InvalidCharacter,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SegmentCount => "not three segments",
            Self::EmptySegment => "empty segment",
            Self::InvalidCharacter => "character outside base64url",
        })
    }
}

/// Which part of the token a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// The JOSE header.
    Header,
    /// The claims.
    Payload,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Payload => "payload",
        })
    }
}

/// The answer an error maps to (RFC 6750 §3.1, plus the server-side outage case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_token`: 401 (gRPC `UNAUTHENTICATED`).
    InvalidToken,
    /// No usable keys: 503 with `Retry-After` (gRPC `UNAVAILABLE`).
    KeysUnavailable,
}

/// A custom check's refusal, with a short, stable reason code (for logs and metrics; never
/// shown to clients).
///
/// ```
/// use tollgate_verify::CheckFailed;
/// let refusal = CheckFailed::new("tenant_suspended");
/// assert_eq!(refusal.reason(), "tenant_suspended");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckFailed {
    reason: &'static str,
}

impl CheckFailed {
    /// A refusal with this reason code.
    #[must_use]
    pub const fn new(reason: &'static str) -> Self {
        Self { reason }
    }

    /// The reason code.
    #[must_use]
    pub const fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

/// Why a token was refused. Each variant names exactly one reason; none carries token
/// contents, claim values or key material, so `Display` is safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Longer than the configured limit; nothing else was looked at.
    #[error("token exceeds the length limit")]
    TokenTooLong,
    /// Not a compact JWS.
    #[error("token is not a compact JWS: {0}")]
    MalformedToken(Malformed),
    /// The header is not canonical unpadded base64url of a UTF-8 JSON object.
    #[error("token header is malformed")]
    MalformedHeader,
    /// The payload is not canonical unpadded base64url of a UTF-8 JSON object.
    #[error("token payload is malformed")]
    MalformedPayload,
    /// The signature is not canonical unpadded base64url, or too long for any allowed key.
    #[error("token signature is malformed")]
    MalformedSignature,
    /// A JSON member name appears twice.
    #[error("duplicate member name in the token {0}")]
    DuplicateMember(Part),
    /// `alg` is missing, not a string, or not on the allowlist (`none`, HMAC, ...).
    #[error("algorithm is not allowed")]
    AlgorithmNotAllowed,
    /// The header has `crit`; no extensions are supported.
    #[error("critical header parameters are not supported")]
    CriticalHeader,
    /// The header carries key material or a key location (`jku`, `jwk`, `x5u`, `x5c`), or JWE
    /// parameters.
    #[error("header parameter is not allowed")]
    ForbiddenHeader,
    /// `typ` is not one of the accepted types.
    #[error("token type is not accepted")]
    TypeNotAllowed,
    /// No `kid` in the header.
    #[error("token has no key id")]
    MissingKid,
    /// `kid` is not a string, empty, or too long.
    #[error("token key id is invalid")]
    InvalidKid,
    /// A required claim is absent.
    #[error("required claim {0} is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type.
    #[error("claim {0} has the wrong type")]
    InvalidClaimType(&'static str),
    /// A time claim is out of range (negative, or beyond year 9999).
    #[error("claim {0} is out of range")]
    InvalidClaimValue(&'static str),
    /// `iss` is not a configured issuer.
    #[error("issuer is not trusted")]
    UnknownIssuer,
    /// The issuer's key set has no key with this `kid` (after any refetch that was allowed).
    #[error("no key with this key id")]
    UnknownKid,
    /// The issuer's keys cannot be obtained (endpoint down and nothing usable cached).
    #[error("keys unavailable")]
    KeysUnavailable,
    /// The key may not be used with the token's algorithm.
    #[error("key does not match the algorithm")]
    KeyAlgorithmMismatch,
    /// The signature does not verify.
    #[error("signature is invalid")]
    InvalidSignature,
    /// `exp` has passed (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not yet valid")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("token was issued in the future")]
    IssuedInFuture,
    /// `iat` is older than the maximum token age.
    #[error("token is too old")]
    TooOld,
    /// `exp - iat` exceeds the maximum lifetime.
    #[error("token lifetime exceeds the limit")]
    LifetimeTooLong,
    /// `token_use` is not the expected one (`access` or `id`).
    #[error("token use is not accepted")]
    WrongTokenUse,
    /// The client claim is not on the allowlist.
    #[error("client is not allowed")]
    ClientNotAllowed,
    /// `aud` does not contain an accepted audience.
    #[error("audience is not accepted")]
    AudienceMismatch,
    /// The custom claims type could not be read from the payload.
    #[error("custom claims do not match the expected shape")]
    InvalidCustomClaims,
    /// A custom check refused the token.
    #[error("custom check failed: {0}")]
    CheckFailed(CheckFailed),
}

impl VerifyError {
    /// The RFC 6750 answer this error maps to.
    #[must_use]
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::KeysUnavailable => ErrorCode::KeysUnavailable,
            _ => ErrorCode::InvalidToken,
        }
    }

    /// A short, stable reason code (snake case) for logs and metrics labels.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TokenTooLong => "token_too_long",
            Self::MalformedToken(_) => "malformed_token",
            Self::MalformedHeader => "malformed_header",
            Self::MalformedPayload => "malformed_payload",
            Self::MalformedSignature => "malformed_signature",
            Self::DuplicateMember(_) => "duplicate_member",
            Self::AlgorithmNotAllowed => "algorithm_not_allowed",
            Self::CriticalHeader => "critical_header",
            Self::ForbiddenHeader => "forbidden_header",
            Self::TypeNotAllowed => "type_not_allowed",
            Self::MissingKid => "missing_kid",
            Self::InvalidKid => "invalid_kid",
            Self::MissingClaim(_) => "missing_claim",
            Self::InvalidClaimType(_) => "invalid_claim_type",
            Self::InvalidClaimValue(_) => "invalid_claim_value",
            Self::UnknownIssuer => "unknown_issuer",
            Self::UnknownKid => "unknown_kid",
            Self::KeysUnavailable => "keys_unavailable",
            Self::KeyAlgorithmMismatch => "key_algorithm_mismatch",
            Self::InvalidSignature => "invalid_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::TooOld => "too_old",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::WrongTokenUse => "wrong_token_use",
            Self::ClientNotAllowed => "client_not_allowed",
            Self::AudienceMismatch => "audience_mismatch",
            Self::InvalidCustomClaims => "invalid_custom_claims",
            Self::CheckFailed(_) => "check_failed",
        }
    }
}

/// Why a verifier could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No issuer was configured.
    #[error("no issuer configured")]
    NoIssuer,
    /// Two issuers have the same `iss`.
    #[error("issuer configured twice")]
    DuplicateIssuer,
    /// A Cognito issuer has neither `client_ids(..)` nor `any_client()`.
    #[error("issuer needs client_ids(..) or an explicit any_client()")]
    ClientPolicyMissing,
    /// An OIDC issuer has neither `audience(..)` nor `any_audience()`.
    #[error("issuer needs audience(..) or an explicit any_audience()")]
    AudiencePolicyMissing,
    /// A setting is inconsistent (the message names it).
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// The issuer's key source could not be set up.
    #[error("key source: {0}")]
    Keys(#[from] tollgate_jwks::BuildError),
    /// Prefetching the issuer's keys failed.
    #[error("prefetching keys failed: {0}")]
    Prefetch(#[source] tollgate_jwks::FetchError),
}
