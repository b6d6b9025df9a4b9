//! Why a request was refused, and the one place that turns that into an HTTP or gRPC answer.

use std::sync::Arc;

use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};
use tollgate_verify::VerifyError;

use crate::body::{AuthBody, FullBody};
use crate::challenge::ChallengeConfig;
use crate::responder::RejectionResponder;
use crate::{InvalidRequest, ScopeRequirement};

/// Seconds a client is asked to wait when keys are unavailable.
pub const RETRY_AFTER_SECS: u64 = 10;

/// gRPC status codes used in rejections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrpcCode {
    /// 16: missing, malformed or invalid credentials.
    Unauthenticated,
    /// 7: valid token without the required scope, or a method not in the scope map.
    PermissionDenied,
    /// 14: keys unavailable.
    Unavailable,
    /// 13: server misconfiguration (a guard without the auth layer).
    Internal,
}

impl GrpcCode {
    /// The numeric code.
    #[must_use]
    pub const fn as_i32(self) -> i32 {
        match self {
            Self::Unauthenticated => 16,
            Self::PermissionDenied => 7,
            Self::Unavailable => 14,
            Self::Internal => 13,
        }
    }

    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Unauthenticated => "16",
            Self::PermissionDenied => "7",
            Self::Unavailable => "14",
            Self::Internal => "13",
        })
    }
}

/// What went wrong.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RejectionKind {
    /// No bearer credentials (no header, or another scheme): 401 without an `error`.
    MissingCredentials,
    /// Malformed credentials: 400 `invalid_request`.
    InvalidRequest(InvalidRequest),
    /// The token failed verification: 401 `invalid_token`.
    InvalidToken(VerifyError),
    /// The issuer's keys cannot be obtained: 503 with `Retry-After`.
    KeysUnavailable,
    /// The token lacks the required scopes: 403 `insufficient_scope` with one `scope` per
    /// alternative that scopes alone would satisfy (for a [`Requirement`](crate::Requirement)
    /// that also tests claims, the alternatives whose claim conditions the token meets).
    InsufficientScope(ScopeRequirement),
    /// The token does not meet a [`Requirement`](crate::Requirement) and no scope alone would
    /// help (a claim value or a predicate is what is missing): 403 `insufficient_scope`
    /// without `scope`. The claim values wanted are never named.
    RequirementNotMet,
    /// A gRPC method with no entry in the scope map: 403 / `PERMISSION_DENIED`.
    MethodNotMapped,
    /// A scope guard or extractor ran without the auth layer before it: 500.
    MissingAuthLayer,
}

/// A refused request. Handed to a [`RejectionResponder`] to shape the body; the status and
/// the `WWW-Authenticate` challenge are always set by tollgate.
///
/// `Display` is the fixed, client-safe [`description`](Rejection::description); for token
/// and request failures the [`VerifyError`] or [`InvalidRequest`] is the error's `source()`.
/// Neither ever contains the token or its claims.
#[derive(Debug, Clone)]
pub struct Rejection {
    kind: RejectionKind,
    challenge: Arc<ChallengeConfig>,
}

impl Rejection {
    pub(crate) fn new(kind: RejectionKind, challenge: Arc<ChallengeConfig>) -> Self {
        Self { kind, challenge }
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &RejectionKind {
        &self.kind
    }

    /// The verification error, for token failures.
    #[must_use]
    pub fn verify_error(&self) -> Option<&VerifyError> {
        match &self.kind {
            RejectionKind::InvalidToken(error) => Some(error),
            _ => None,
        }
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self.kind {
            RejectionKind::MissingCredentials | RejectionKind::InvalidToken(_) => {
                StatusCode::UNAUTHORIZED
            }
            RejectionKind::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            RejectionKind::KeysUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            RejectionKind::InsufficientScope(_)
            | RejectionKind::RequirementNotMet
            | RejectionKind::MethodNotMapped => StatusCode::FORBIDDEN,
            RejectionKind::MissingAuthLayer => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The gRPC status code.
    #[must_use]
    pub fn grpc_code(&self) -> GrpcCode {
        match self.kind {
            RejectionKind::MissingCredentials
            | RejectionKind::InvalidRequest(_)
            | RejectionKind::InvalidToken(_) => GrpcCode::Unauthenticated,
            RejectionKind::InsufficientScope(_)
            | RejectionKind::RequirementNotMet
            | RejectionKind::MethodNotMapped => GrpcCode::PermissionDenied,
            RejectionKind::KeysUnavailable => GrpcCode::Unavailable,
            RejectionKind::MissingAuthLayer => GrpcCode::Internal,
        }
    }

    /// The RFC 6750 error code, if the answer carries one.
    #[must_use]
    pub fn error_code(&self) -> Option<&'static str> {
        match self.kind {
            RejectionKind::InvalidRequest(_) => Some("invalid_request"),
            RejectionKind::InvalidToken(_) => Some("invalid_token"),
            RejectionKind::InsufficientScope(_)
            | RejectionKind::RequirementNotMet
            | RejectionKind::MethodNotMapped => Some("insufficient_scope"),
            _ => None,
        }
    }

    /// A short, fixed, client-safe description (never token or claim content).
    #[must_use]
    pub fn description(&self) -> &'static str {
        match &self.kind {
            RejectionKind::MissingCredentials => "bearer token required",
            RejectionKind::InvalidRequest(_) => "malformed authorization request",
            RejectionKind::InvalidToken(VerifyError::Expired) => "the access token expired",
            RejectionKind::InvalidToken(VerifyError::NotYetValid) => {
                "the access token is not yet valid"
            }
            RejectionKind::InvalidToken(_) => "the access token is invalid",
            RejectionKind::KeysUnavailable => "token keys are temporarily unavailable",
            RejectionKind::InsufficientScope(_) => "the access token lacks the required scope",
            RejectionKind::RequirementNotMet => "the access token lacks the required privileges",
            RejectionKind::MethodNotMapped => "method not allowed for any token",
            RejectionKind::MissingAuthLayer => "authentication is misconfigured",
        }
    }

    /// A stable reason code for logs and metrics.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match &self.kind {
            RejectionKind::MissingCredentials => "missing_credentials",
            RejectionKind::InvalidRequest(_) => "invalid_request",
            RejectionKind::InvalidToken(error) => error.reason(),
            RejectionKind::KeysUnavailable => "keys_unavailable",
            RejectionKind::InsufficientScope(_) => "insufficient_scope",
            RejectionKind::RequirementNotMet => "requirement_not_met",
            RejectionKind::MethodNotMapped => "method_not_mapped",
            RejectionKind::MissingAuthLayer => "missing_auth_layer",
        }
    }

    fn challenges(&self) -> Vec<HeaderValue> {
        let c = &self.challenge;
        match &self.kind {
            RejectionKind::MissingCredentials => vec![c.header(None, None, None)],
            RejectionKind::InvalidRequest(_) | RejectionKind::InvalidToken(_) => {
                vec![c.header(self.error_code(), Some(self.description()), None)]
            }
            RejectionKind::InsufficientScope(requirement) => {
                let challenges: Vec<_> = requirement
                    .alternatives()
                    .map(|set| {
                        let scope = set.collect::<Vec<_>>().join(" ");
                        c.header(Some("insufficient_scope"), None, Some(&scope))
                    })
                    .collect();
                if challenges.is_empty() {
                    // No alternative at all (`any` of nothing): still a challenge, no scope.
                    vec![c.header(Some("insufficient_scope"), None, None)]
                } else {
                    challenges
                }
            }
            RejectionKind::RequirementNotMet | RejectionKind::MethodNotMapped => {
                vec![c.header(Some("insufficient_scope"), None, None)]
            }
            RejectionKind::KeysUnavailable | RejectionKind::MissingAuthLayer => Vec::new(),
        }
    }

    /// The response: RFC 6750 for HTTP, a trailers-only answer for gRPC.
    pub(crate) fn into_response<B, R: RejectionResponder>(
        self,
        grpc: bool,
        responder: &R,
    ) -> Response<AuthBody<B>> {
        let challenges = self.challenges();
        if grpc {
            let mut response = Response::new(AuthBody::rejection(FullBody::empty()));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
            headers.insert("grpc-status", self.grpc_code().header());
            headers.insert(
                "grpc-message",
                HeaderValue::from_static(grpc_message(self.description())),
            );
            for challenge in challenges {
                headers.append(WWW_AUTHENTICATE, challenge);
            }
            return response;
        }
        let custom = responder.body(&self);
        let body = custom
            .as_ref()
            .map_or_else(FullBody::empty, |b| FullBody::new(b.bytes.clone()));
        let mut response = Response::new(AuthBody::rejection(body));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        for challenge in challenges {
            headers.append(WWW_AUTHENTICATE, challenge);
        }
        if matches!(self.kind, RejectionKind::KeysUnavailable) {
            headers.insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        if let Some(custom) = custom {
            headers.insert(CONTENT_TYPE, custom.content_type);
        }
        response
    }
}

/// The fixed, client-safe [`Rejection::description`]; the underlying [`VerifyError`] or
/// [`InvalidRequest`] is the [`source`](std::error::Error::source), not repeated here.
impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            RejectionKind::InvalidRequest(error) => Some(error),
            RejectionKind::InvalidToken(error) => Some(error),
            RejectionKind::MissingCredentials
            | RejectionKind::KeysUnavailable
            | RejectionKind::InsufficientScope(_)
            | RejectionKind::RequirementNotMet
            | RejectionKind::MethodNotMapped
            | RejectionKind::MissingAuthLayer => None,
        }
    }
}

/// The descriptions are fixed ASCII without `%`, so they are already valid percent-encoded
/// `grpc-message` values.
fn grpc_message(description: &'static str) -> &'static str {
    description
}

/// A body for a rejection, chosen by a [`RejectionResponder`].
#[derive(Debug, Clone)]
pub struct RejectionBody {
    pub(crate) content_type: HeaderValue,
    pub(crate) bytes: bytes::Bytes,
}

impl RejectionBody {
    /// A body with this content type.
    #[must_use]
    pub fn new(content_type: HeaderValue, bytes: impl Into<bytes::Bytes>) -> Self {
        Self {
            content_type,
            bytes: bytes.into(),
        }
    }

    /// A JSON body (`application/json`).
    #[must_use]
    pub fn json(value: &serde_json::Value) -> Self {
        Self::new(
            HeaderValue::from_static("application/json"),
            value.to_string(),
        )
    }
}

/// The response for a rejection held in a future; a future polled again after completing
/// answers 500 instead of panicking.
pub(crate) fn completed<B, R: RejectionResponder>(
    rejection: Option<Rejection>,
    grpc: bool,
    responder: &R,
) -> Response<AuthBody<B>> {
    rejection
        .unwrap_or_else(|| {
            Rejection::new(
                RejectionKind::MissingAuthLayer,
                Arc::new(ChallengeConfig::default()),
            )
        })
        .into_response(grpc, responder)
}

/// Every rejection kind (a `match` without a wildcard, so a new kind does not compile until it
/// is listed): `Display` is the fixed description, the cause is `source()` and never repeated.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::error::Error as _;

    use super::*;

    fn ordinal(kind: &RejectionKind) -> usize {
        match kind {
            RejectionKind::MissingCredentials => 0,
            RejectionKind::InvalidRequest(_) => 1,
            RejectionKind::InvalidToken(_) => 2,
            RejectionKind::KeysUnavailable => 3,
            RejectionKind::InsufficientScope(_) => 4,
            RejectionKind::MethodNotMapped => 5,
            RejectionKind::MissingAuthLayer => 6,
            RejectionKind::RequirementNotMet => 7,
        }
    }
    const KINDS: usize = 8;

    fn invalid_request_ordinal(error: &InvalidRequest) -> usize {
        match error {
            InvalidRequest::RepeatedHeader => 0,
            InvalidRequest::NotAscii => 1,
            InvalidRequest::MalformedBearer => 2,
            InvalidRequest::InvalidTokenCharacters => 3,
            InvalidRequest::MultipleMethods => 4,
            InvalidRequest::ConflictingTokens => 5,
        }
    }
    const INVALID_REQUESTS: usize = 6;

    fn every_kind() -> Vec<RejectionKind> {
        let mut kinds = vec![
            RejectionKind::MissingCredentials,
            RejectionKind::InvalidToken(VerifyError::Expired),
            RejectionKind::InvalidToken(VerifyError::InvalidSignature),
            RejectionKind::KeysUnavailable,
            RejectionKind::InsufficientScope(ScopeRequirement::any(["orders/read"])),
            RejectionKind::MethodNotMapped,
            RejectionKind::MissingAuthLayer,
            RejectionKind::RequirementNotMet,
        ];
        kinds.extend(
            [
                InvalidRequest::RepeatedHeader,
                InvalidRequest::NotAscii,
                InvalidRequest::MalformedBearer,
                InvalidRequest::InvalidTokenCharacters,
                InvalidRequest::MultipleMethods,
                InvalidRequest::ConflictingTokens,
            ]
            .map(RejectionKind::InvalidRequest),
        );
        kinds
    }

    #[test]
    fn every_rejection_displays_its_description_and_keeps_its_cause_as_source() {
        let kinds = every_kind();
        let listed: BTreeSet<usize> = kinds.iter().map(ordinal).collect();
        assert_eq!(listed, (0..KINDS).collect());
        let requests: BTreeSet<usize> = kinds
            .iter()
            .filter_map(|kind| match kind {
                RejectionKind::InvalidRequest(error) => Some(invalid_request_ordinal(error)),
                _ => None,
            })
            .collect();
        assert_eq!(requests, (0..INVALID_REQUESTS).collect());

        for kind in kinds {
            let rejection = Rejection::new(kind.clone(), Arc::new(ChallengeConfig::default()));
            let text = rejection.to_string();
            assert_eq!(text, rejection.description());
            match (&kind, rejection.source()) {
                (RejectionKind::InvalidToken(error), Some(source)) => {
                    assert_eq!(source.to_string(), error.to_string());
                    assert!(!text.contains(&source.to_string()), "{text}");
                }
                (RejectionKind::InvalidRequest(error), Some(source)) => {
                    assert_eq!(source.to_string(), error.to_string());
                    assert!(!text.contains(&source.to_string()), "{text}");
                }
                (RejectionKind::InvalidToken(_) | RejectionKind::InvalidRequest(_), None) => {
                    panic!("{kind:?} must keep its cause as source()")
                }
                (_, source) => assert!(source.is_none(), "{kind:?}"),
            }
            // Usable wherever errors are: boxed, with `?`.
            let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(rejection);
            assert_eq!(boxed.to_string(), text);
        }
    }
}
