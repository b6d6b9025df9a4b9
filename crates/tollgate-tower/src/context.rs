//! What the auth layer leaves in request extensions for guards and extractors.

use std::sync::Arc;

use http::Extensions;
use tollgate_verify::{Claims, Scopes};

use crate::challenge::ChallengeConfig;
use crate::rejection::{Rejection, RejectionKind};

/// Reads the `Claims` of the auth layer's `VerifiedToken<C>` out of the extensions, for the `C`
/// of the layer that authenticated the request.
pub(crate) type ClaimsReader = for<'e> fn(&'e Extensions) -> Option<&'e Claims>;

/// Put in the request extensions by the auth layer for every request it let through: the
/// granted scopes when a token was verified, nothing when the request was anonymous (with
/// [`AuthLayer::allow_anonymous`](crate::AuthLayer::allow_anonymous), or let through by
/// `skip_path`, `skip_method` or the CORS preflight bypass).
///
/// Guards and extractors read it; its absence means the auth layer did not run.
#[derive(Clone)]
pub struct AuthContext {
    scopes: Option<Scopes>,
    /// How guards find the token's claims (whatever the verifier's custom-claims type).
    pub(crate) claims: ClaimsReader,
    pub(crate) challenge: Arc<ChallengeConfig>,
}

impl std::fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthContext")
            .field("scopes", &self.scopes)
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl AuthContext {
    pub(crate) fn authenticated(
        scopes: Scopes,
        claims: ClaimsReader,
        challenge: Arc<ChallengeConfig>,
    ) -> Self {
        Self {
            scopes: Some(scopes),
            claims,
            challenge,
        }
    }

    pub(crate) fn anonymous(challenge: Arc<ChallengeConfig>) -> Self {
        Self {
            scopes: None,
            claims: crate::requirement::default_claims_of,
            challenge,
        }
    }

    /// Whether a verified token came with the request.
    #[must_use]
    pub fn is_authenticated(&self) -> bool {
        self.scopes.is_some()
    }

    /// The granted scopes, when authenticated.
    #[must_use]
    pub fn scopes(&self) -> Option<&Scopes> {
        self.scopes.as_ref()
    }

    /// The scopes of the verified token in `extensions`, or the rejection to answer with:
    /// 401 when the request was anonymous, 500 when the auth layer never ran.
    pub(crate) fn require(extensions: &Extensions) -> Result<(&Scopes, &Self), Rejection> {
        match extensions.get::<Self>() {
            Some(context) => match &context.scopes {
                Some(scopes) => Ok((scopes, context)),
                None => Err(Rejection::new(
                    RejectionKind::MissingCredentials,
                    Arc::clone(&context.challenge),
                )),
            },
            None => {
                tracing::error!(
                    target: "tollgate::config",
                    "a scope guard or extractor ran without the auth layer in front of it; \
                     the request is refused (add AuthLayer before route_layer/guards)"
                );
                Err(Rejection::new(
                    RejectionKind::MissingAuthLayer,
                    Arc::new(ChallengeConfig::default()),
                ))
            }
        }
    }
}

/// Whether a request is gRPC: `POST` with `content-type` `application/grpc`, optionally
/// followed by `+format` or `;parameters` (gRPC over HTTP/2 spec). Anything looser would let
/// any HTTP client turn its rejections into `200 OK` answers in access logs.
pub(crate) fn is_grpc<B>(request: &http::Request<B>) -> bool {
    if request.method() != http::Method::POST {
        return false;
    }
    request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| {
            let v = v.as_bytes();
            v.get(..16)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"application/grpc"))
                && matches!(v.get(16), None | Some(b'+' | b';'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grpc(method: &str, content_type: &str) -> bool {
        let request = http::Request::builder()
            .method(method)
            .header("content-type", content_type)
            .body(())
            .unwrap();
        is_grpc(&request)
    }

    #[test]
    fn grpc_detection_is_exact() {
        assert!(grpc("POST", "application/grpc"));
        assert!(grpc("POST", "application/grpc+proto"));
        assert!(grpc("POST", "application/grpc;charset=utf-8"));
        assert!(grpc("POST", "Application/GRPC"));
        assert!(!grpc("GET", "application/grpc"));
        assert!(!grpc("POST", "application/grpc-anything"));
        assert!(!grpc("POST", "application/grpcweb"));
        assert!(!grpc("POST", "application/json"));
    }
}
