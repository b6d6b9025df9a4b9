//! What the auth layer leaves in request extensions for guards and extractors.

use std::sync::Arc;

use http::Extensions;
use tollgate_verify::Scopes;

use crate::challenge::ChallengeConfig;
use crate::rejection::{Rejection, RejectionKind};

/// Put in the request extensions by the auth layer for every request it let through: the
/// granted scopes when a token was verified, nothing when the request was anonymous (with
/// [`AuthLayer::allow_anonymous`](crate::AuthLayer::allow_anonymous), or let through by
/// `skip_path`, `skip_method` or the CORS preflight bypass).
///
/// Guards and extractors read it; its absence means the auth layer did not run.
#[derive(Debug, Clone)]
pub struct AuthContext {
    scopes: Option<Scopes>,
    pub(crate) challenge: Arc<ChallengeConfig>,
}

impl AuthContext {
    pub(crate) fn authenticated(scopes: Scopes, challenge: Arc<ChallengeConfig>) -> Self {
        Self {
            scopes: Some(scopes),
            challenge,
        }
    }

    pub(crate) fn anonymous(challenge: Arc<ChallengeConfig>) -> Self {
        Self {
            scopes: None,
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

/// Whether a request is gRPC (`content-type` starts with `application/grpc`).
pub(crate) fn is_grpc(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}
