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

/// How an ECDSA signature departs from the JWS form: `R || S`, each integer exactly the
/// curve's size (RFC 7518 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EcdsaForm {
    /// Not 64 bytes (`ES256`) or 96 bytes (`ES384`), and not DER either.
    Length,
    /// DER-encoded (an ASN.1 `SEQUENCE` of two `INTEGER`s), the form X.509 uses, not JWS.
    Der,
    /// `R` or `S` is zero: the "psychic signature" (CVE-2022-21449).
    ZeroInteger,
}

impl fmt::Display for EcdsaForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Length => "wrong length",
            Self::Der => "DER-encoded",
            Self::ZeroInteger => "zero integer",
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
    /// The signature does not verify (an RSA or Ed25519 signature of the wrong length
    /// included).
    #[error("signature is invalid")]
    InvalidSignature,
    /// An ECDSA signature is not in the JWS form (`R || S` of the curve's size).
    #[error("signature is not a JWS ECDSA signature: {0}")]
    EcdsaSignatureForm(EcdsaForm),
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
            Self::EcdsaSignatureForm(_) => "ecdsa_signature_form",
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

/// Why a string is not a [`ClaimPath`](crate::ClaimPath) (see its syntax).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidClaimPath {
    /// The path, or a bare segment of it, is empty: `""`, `a..b`, a leading or trailing `.`.
    #[error("a claim path segment is empty")]
    EmptySegment,
    /// A character that cannot stand in a bare segment (whitespace, a control character, `\`
    /// or `"` inside it), or anything but `.` after a closing quote: quote the segment.
    #[error("a claim path has a character that needs quoting")]
    UnexpectedCharacter,
    /// A quoted segment without its closing quote.
    #[error("a quoted claim path segment is not closed")]
    UnterminatedQuote,
    /// A `\` in a quoted segment followed by anything but `"` or `\`.
    #[error("a quoted claim path segment has an unknown escape")]
    UnknownEscape,
}

/// Why a verifier could not be built. Each variant names one mistake; none carries secrets.
///
/// Variants that wrap the key layer's error keep it as their [`source`](std::error::Error::source)
/// and do not repeat it in their message: print the chain (for example with `{:#}` of
/// `anyhow`, or by walking `source()`) to see the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No issuer was configured.
    #[error("no issuer configured")]
    NoIssuer,
    /// Two issuers have the same `iss`.
    #[error("issuer configured twice")]
    DuplicateIssuer,
    /// An issuer's `iss` is empty.
    #[error("issuer is empty")]
    EmptyIssuer,
    /// [`Issuer::cognito`](crate::Issuer::cognito) got a region or user pool id that does not
    /// have the expected form.
    #[error("invalid Cognito region or user pool id")]
    InvalidCognitoPool,
    /// A Cognito issuer has neither `client_ids(..)` nor `any_client()`.
    #[error("issuer needs client_ids(..) or an explicit any_client()")]
    ClientPolicyMissing,
    /// An OIDC issuer has neither `audience(..)` nor `any_audience()`.
    #[error("issuer needs audience(..) or an explicit any_audience()")]
    AudiencePolicyMissing,
    /// A Cognito issuer for ID tokens was given `audience(..)`: ID tokens are matched to app
    /// clients through their `aud`, which `client_ids(..)` configures.
    #[error(
        "Cognito ID tokens are matched to clients through aud: use client_ids(..), not audience(..)"
    )]
    AudienceForCognitoIdTokens,
    /// An issuer's scope claims were set to an empty list.
    #[error("at least one scope claim is required")]
    NoScopeClaim,
    /// A scope claim given to [`Issuer::scope_claims`](crate::Issuer::scope_claims) is not a
    /// valid [`ClaimPath`](crate::ClaimPath); the mistake is the
    /// [`source`](std::error::Error::source).
    #[error("a scope claim is not a valid claim path")]
    InvalidScopeClaim(#[source] InvalidClaimPath),
    /// [`VerifierBuilder::algorithms`](crate::VerifierBuilder::algorithms) was given no
    /// algorithm.
    #[error("at least one algorithm is required")]
    NoAlgorithm,
    /// [`VerifierBuilder::max_token_len`](crate::VerifierBuilder::max_token_len) is zero.
    #[error("max_token_len must be positive")]
    ZeroMaxTokenLen,
    /// The leeway exceeds [`MAX_LEEWAY`](crate::MAX_LEEWAY) (60 s).
    #[error("leeway must be at most 60 s")]
    LeewayTooLarge,
    /// [`VerifierBuilder::check`](crate::VerifierBuilder::check) was called before
    /// [`VerifierBuilder::custom_claims`](crate::VerifierBuilder::custom_claims): those checks
    /// were written for the previous claims type and would be dropped.
    #[error("checks added before custom_claims would be dropped: call custom_claims first")]
    CheckBeforeCustomClaims,
    /// One key cache was given to two issuers: keys are bound to one issuer (RFC 8725 §3.8),
    /// or one issuer's keys would verify the other's tokens.
    #[error("one key cache cannot serve two issuers")]
    SharedKeyCache,
    /// The key cache or key source reads the OIDC discovery document of another issuer than
    /// the one it was given to.
    #[error("the key source discovers another issuer's keys")]
    DiscoveryIssuerMismatch,
    /// An ALB issuer ([`Issuer::alb`](crate::Issuer::alb)) was given no signer ARN: any AWS
    /// account can put an ALB in front of any identity provider, so without the expected
    /// signer any ALB's tokens would be accepted.
    #[error("an ALB issuer needs the ARN of at least one load balancer (signer)")]
    AlbSignerMissing,
    /// A signer of an ALB issuer is not an Application Load Balancer ARN in the issuer's
    /// region (`arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/..`).
    #[error("signer is not an Application Load Balancer ARN in the issuer's region")]
    InvalidAlbSigner,
    /// An ALB issuer was given algorithms other than ES256 (ALBs sign ES256 only).
    #[error("an ALB issuer verifies ES256 only")]
    AlbAlgorithms,
    /// An ALB issuer with a key source that is not an ALB key source (a JWKS URL, a key set),
    /// or another issuer with an ALB key source.
    #[error("ALB issuers and ALB key sources go together")]
    AlbKeySource,
    /// A setting that does not apply to this kind of issuer (`audience`, `token_use` or
    /// `scope_claims` on an ALB issuer, `identity_provider` on an issuer that is not one):
    /// refused rather than silently ignored.
    #[error("{setting} does not apply to this kind of issuer")]
    SettingNotApplicable {
        /// The issuer setting.
        setting: &'static str,
    },
    /// The issuer's key cache could not be built; the cause is the
    /// [`source`](std::error::Error::source).
    #[error("the issuer's key cache could not be built")]
    Keys(#[from] tollgate_jwks::BuildError),
    /// Prefetching the issuer's keys failed; the cause is the
    /// [`source`](std::error::Error::source).
    #[error("prefetching the issuer's keys failed")]
    Prefetch(#[source] tollgate_jwks::FetchError),
}

/// The exhaustive half of the error-hygiene tests (`tests/error_hygiene.rs` runs real tokens
/// through the verifier): every variant of this crate's errors is listed, and the `match`es
/// below have no wildcard, so a new variant does not compile until it is listed and checked.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::error::Error as _;

    use super::*;

    /// Each variant's number; no wildcard, so a new variant must be numbered here.
    fn verify_error_ordinal(error: &VerifyError) -> usize {
        match error {
            VerifyError::TokenTooLong => 0,
            VerifyError::MalformedToken(_) => 1,
            VerifyError::MalformedHeader => 2,
            VerifyError::MalformedPayload => 3,
            VerifyError::MalformedSignature => 4,
            VerifyError::DuplicateMember(_) => 5,
            VerifyError::AlgorithmNotAllowed => 6,
            VerifyError::CriticalHeader => 7,
            VerifyError::ForbiddenHeader => 8,
            VerifyError::TypeNotAllowed => 9,
            VerifyError::MissingKid => 10,
            VerifyError::InvalidKid => 11,
            VerifyError::MissingClaim(_) => 12,
            VerifyError::InvalidClaimType(_) => 13,
            VerifyError::InvalidClaimValue(_) => 14,
            VerifyError::UnknownIssuer => 15,
            VerifyError::UnknownKid => 16,
            VerifyError::KeysUnavailable => 17,
            VerifyError::KeyAlgorithmMismatch => 18,
            VerifyError::InvalidSignature => 19,
            VerifyError::Expired => 20,
            VerifyError::NotYetValid => 21,
            VerifyError::IssuedInFuture => 22,
            VerifyError::TooOld => 23,
            VerifyError::LifetimeTooLong => 24,
            VerifyError::WrongTokenUse => 25,
            VerifyError::ClientNotAllowed => 26,
            VerifyError::AudienceMismatch => 27,
            VerifyError::InvalidCustomClaims => 28,
            VerifyError::CheckFailed(_) => 29,
            VerifyError::EcdsaSignatureForm(_) => 30,
        }
    }
    const VERIFY_ERROR_VARIANTS: usize = 31;

    /// Every variant, with every detail value where the detail is an enum.
    fn every_verify_error() -> Vec<VerifyError> {
        vec![
            VerifyError::TokenTooLong,
            VerifyError::MalformedToken(Malformed::SegmentCount),
            VerifyError::MalformedToken(Malformed::EmptySegment),
            VerifyError::MalformedToken(Malformed::InvalidCharacter),
            VerifyError::MalformedHeader,
            VerifyError::MalformedPayload,
            VerifyError::MalformedSignature,
            VerifyError::DuplicateMember(Part::Header),
            VerifyError::DuplicateMember(Part::Payload),
            VerifyError::AlgorithmNotAllowed,
            VerifyError::CriticalHeader,
            VerifyError::ForbiddenHeader,
            VerifyError::TypeNotAllowed,
            VerifyError::MissingKid,
            VerifyError::InvalidKid,
            VerifyError::MissingClaim("exp"),
            VerifyError::InvalidClaimType("exp"),
            VerifyError::InvalidClaimValue("exp"),
            VerifyError::UnknownIssuer,
            VerifyError::UnknownKid,
            VerifyError::KeysUnavailable,
            VerifyError::KeyAlgorithmMismatch,
            VerifyError::InvalidSignature,
            VerifyError::Expired,
            VerifyError::NotYetValid,
            VerifyError::IssuedInFuture,
            VerifyError::TooOld,
            VerifyError::LifetimeTooLong,
            VerifyError::WrongTokenUse,
            VerifyError::ClientNotAllowed,
            VerifyError::AudienceMismatch,
            VerifyError::InvalidCustomClaims,
            VerifyError::CheckFailed(CheckFailed::new("tenant_suspended")),
            VerifyError::EcdsaSignatureForm(EcdsaForm::Length),
            VerifyError::EcdsaSignatureForm(EcdsaForm::Der),
            VerifyError::EcdsaSignatureForm(EcdsaForm::ZeroInteger),
        ]
    }

    fn build_error_ordinal(error: &BuildError) -> usize {
        match error {
            BuildError::NoIssuer => 0,
            BuildError::DuplicateIssuer => 1,
            BuildError::EmptyIssuer => 2,
            BuildError::InvalidCognitoPool => 3,
            BuildError::ClientPolicyMissing => 4,
            BuildError::AudiencePolicyMissing => 5,
            BuildError::AudienceForCognitoIdTokens => 6,
            BuildError::NoScopeClaim => 7,
            BuildError::NoAlgorithm => 8,
            BuildError::ZeroMaxTokenLen => 9,
            BuildError::LeewayTooLarge => 10,
            BuildError::CheckBeforeCustomClaims => 11,
            BuildError::SharedKeyCache => 12,
            BuildError::DiscoveryIssuerMismatch => 13,
            BuildError::Keys(_) => 14,
            BuildError::Prefetch(_) => 15,
            BuildError::AlbSignerMissing => 16,
            BuildError::InvalidAlbSigner => 17,
            BuildError::AlbAlgorithms => 18,
            BuildError::AlbKeySource => 19,
            BuildError::SettingNotApplicable { .. } => 20,
            BuildError::InvalidScopeClaim(_) => 21,
        }
    }
    const BUILD_ERROR_VARIANTS: usize = 22;

    fn every_build_error() -> Vec<BuildError> {
        use tollgate_jwks::{FetchError, UrlError};
        vec![
            BuildError::NoIssuer,
            BuildError::DuplicateIssuer,
            BuildError::EmptyIssuer,
            BuildError::InvalidCognitoPool,
            BuildError::ClientPolicyMissing,
            BuildError::AudiencePolicyMissing,
            BuildError::AudienceForCognitoIdTokens,
            BuildError::NoScopeClaim,
            BuildError::NoAlgorithm,
            BuildError::ZeroMaxTokenLen,
            BuildError::LeewayTooLarge,
            BuildError::CheckBeforeCustomClaims,
            BuildError::SharedKeyCache,
            BuildError::DiscoveryIssuerMismatch,
            BuildError::Keys(tollgate_jwks::BuildError::Url(UrlError::Insecure)),
            BuildError::Keys(tollgate_jwks::BuildError::StaticSet(
                FetchError::NoUsableKeys { skipped: 2 },
            )),
            BuildError::Prefetch(FetchError::Status {
                status: 503,
                retry_after: Some(10),
            }),
            BuildError::Prefetch(FetchError::Url(UrlError::Insecure)),
            BuildError::AlbSignerMissing,
            BuildError::InvalidAlbSigner,
            BuildError::AlbAlgorithms,
            BuildError::AlbKeySource,
            BuildError::SettingNotApplicable {
                setting: "audience",
            },
            BuildError::InvalidScopeClaim(InvalidClaimPath::EmptySegment),
            BuildError::InvalidScopeClaim(InvalidClaimPath::UnknownEscape),
        ]
    }

    fn invalid_claim_path_ordinal(error: InvalidClaimPath) -> usize {
        match error {
            InvalidClaimPath::EmptySegment => 0,
            InvalidClaimPath::UnexpectedCharacter => 1,
            InvalidClaimPath::UnterminatedQuote => 2,
            InvalidClaimPath::UnknownEscape => 3,
        }
    }
    const INVALID_CLAIM_PATH_VARIANTS: usize = 4;

    #[test]
    fn every_invalid_claim_path_is_listed_and_distinct() {
        let variants = [
            InvalidClaimPath::EmptySegment,
            InvalidClaimPath::UnexpectedCharacter,
            InvalidClaimPath::UnterminatedQuote,
            InvalidClaimPath::UnknownEscape,
        ];
        let ordinals: BTreeSet<usize> = variants
            .iter()
            .map(|e| invalid_claim_path_ordinal(*e))
            .collect();
        assert_eq!(ordinals, (0..INVALID_CLAIM_PATH_VARIANTS).collect());
        let messages: BTreeSet<String> = variants.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), INVALID_CLAIM_PATH_VARIANTS);
        for message in messages {
            assert!(message.starts_with("a "), "{message}");
            assert!(!message.ends_with('.'), "{message}");
        }
    }

    /// Neither an error nor any error in its `source()` chain repeats the text of the next
    /// one: a chain printed link by link says each thing once.
    fn assert_source_printed_once(error: &(dyn std::error::Error + 'static)) {
        let mut current = error;
        while let Some(source) = current.source() {
            let (outer, inner) = (current.to_string(), source.to_string());
            assert!(
                !outer.contains(&inner),
                "{outer:?} repeats its source {inner:?}"
            );
            current = source;
        }
    }

    #[test]
    fn every_verify_error_is_listed_short_lowercase_and_has_a_reason_code() {
        let variants = every_verify_error();
        let ordinals: BTreeSet<usize> = variants.iter().map(verify_error_ordinal).collect();
        assert_eq!(
            ordinals,
            (0..VERIFY_ERROR_VARIANTS).collect(),
            "every variant is listed in every_verify_error"
        );
        let mut reasons = BTreeSet::new();
        for error in &variants {
            let text = error.to_string();
            assert!(!text.is_empty() && text.len() < 80, "{text}");
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
            assert!(!text.ends_with('.'), "{text}");
            assert!(
                error.source().is_none(),
                "{text}: no cause to hide or repeat"
            );
            let reason = error.reason();
            assert!(
                reason.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{reason}"
            );
            reasons.insert(reason);
            let expected_code = if *error == VerifyError::KeysUnavailable {
                ErrorCode::KeysUnavailable
            } else {
                ErrorCode::InvalidToken
            };
            assert_eq!(error.error_code(), expected_code, "{text}");
        }
        // One reason code per variant: variants that differ only in detail share theirs.
        assert_eq!(reasons.len(), VERIFY_ERROR_VARIANTS);
    }

    #[test]
    fn every_build_error_is_listed_and_prints_its_source_once() {
        let variants = every_build_error();
        let ordinals: BTreeSet<usize> = variants.iter().map(build_error_ordinal).collect();
        assert_eq!(
            ordinals,
            (0..BUILD_ERROR_VARIANTS).collect(),
            "every variant is listed in every_build_error"
        );
        let mut messages = BTreeSet::new();
        for error in &variants {
            let text = error.to_string();
            assert!(!text.is_empty() && !text.ends_with('.'), "{text}");
            assert_source_printed_once(error);
            let wraps = matches!(
                error,
                BuildError::Keys(_) | BuildError::Prefetch(_) | BuildError::InvalidScopeClaim(_)
            );
            assert_eq!(error.source().is_some(), wraps, "{text}");
            messages.insert(text);
        }
        // Distinct messages, except the wrappers whose detail is in `source()`.
        assert_eq!(messages.len(), BUILD_ERROR_VARIANTS);
    }
}
