//! axum extractors for verified tokens and scopes (feature `axum`).
//!
//! # Example
//!
//! ```
//! use axum::{Json, Router, routing::get};
//! use tollgate_tower::{Authenticated, GrantedScopes};
//!
//! async fn whoami(Authenticated(token): Authenticated) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "sub": token.subject(), "client_id": token.client_id() }))
//! }
//!
//! async fn maybe(token: Option<Authenticated>, GrantedScopes(scopes): GrantedScopes) -> String {
//!     format!("{} scopes", scopes.len())
//! }
//!
//! let app: Router = Router::new().route("/whoami", get(whoami));
//! ```
//!
//! Extractors only read the request extensions, so any number of them can run in one handler.
//! Without the auth layer they answer 500 (a configuration error, logged); for anonymous
//! requests `Authenticated` answers 401 and `Option<Authenticated>` is `None`.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use tollgate_verify::{CustomClaims, NoCustomClaims, Scopes, VerifiedToken};

use crate::challenge::ChallengeConfig;
use crate::context::AuthContext;
use crate::rejection::{Rejection, RejectionKind};
use crate::responder::DefaultResponder;

/// The verified token of the request (claims, scopes, custom claims of type `C`). `Clone` and
/// `Debug` for any `C` (`Debug` never prints personal claims, as [`VerifiedToken`]'s).
pub struct Authenticated<C = NoCustomClaims>(pub VerifiedToken<C>);

impl<C> Clone for Authenticated<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C> std::fmt::Debug for Authenticated<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Authenticated").field(&self.0).finish()
    }
}

/// The scopes granted to the request's verified token.
#[derive(Debug, Clone)]
pub struct GrantedScopes(pub Scopes);

fn token<C: CustomClaims>(parts: &Parts) -> Result<Option<VerifiedToken<C>>, Rejection> {
    if let Some(token) = parts.extensions.get::<VerifiedToken<C>>() {
        return Ok(Some(token.clone()));
    }
    match parts.extensions.get::<AuthContext>() {
        Some(context) if !context.is_authenticated() => Ok(None),
        Some(_) => {
            tracing::error!(
                target: "tollgate::config",
                "Authenticated<C> asks for another custom-claims type than the verifier produces"
            );
            Err(Rejection::new(
                RejectionKind::MissingAuthLayer,
                Arc::new(ChallengeConfig::default()),
            ))
        }
        None => AuthContext::require(&parts.extensions).map(|_| None),
    }
}

impl<S: Send + Sync, C: CustomClaims> FromRequestParts<S> for Authenticated<C> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match token::<C>(parts)? {
            Some(token) => Ok(Self(token)),
            None => Err(AuthContext::require(&parts.extensions)
                .err()
                .unwrap_or_else(|| {
                    Rejection::new(
                        RejectionKind::MissingCredentials,
                        Arc::new(ChallengeConfig::default()),
                    )
                })),
        }
    }
}

impl<S: Send + Sync, C: CustomClaims> OptionalFromRequestParts<S> for Authenticated<C> {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(token::<C>(parts)?.map(Self))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for GrantedScopes {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        AuthContext::require(&parts.extensions).map(|(scopes, _)| Self(scopes.clone()))
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        Rejection::into_response::<axum::body::Body, _>(self, false, &DefaultResponder)
            .map(axum::body::Body::new)
    }
}
