//! The user claims an AWS Application Load Balancer forwards, kept apart from the access token.
//!
//! Behind an ALB that authenticates users, a request carries two tokens: the ALB's signed
//! user claims in `x-amzn-oidc-data`, and the identity provider's access token (in
//! `Authorization`, or as the ALB forwards it in `x-amzn-oidc-accesstoken`). Each is verified
//! by its own [`AuthLayer`](crate::AuthLayer) and [`Verifier`](tollgate_verify::Verifier):
//!
//! - the usual layer puts the access token's [`VerifiedToken`] and its [`AuthContext`]
//!   (scopes, for [`RequireScopes`](crate::RequireScopes)) in the request extensions;
//! - a layer made with [`AuthLayer::alb_user_claims`](crate::AuthLayer::alb_user_claims)
//!   reads `x-amzn-oidc-data` and puts its token in an [`AlbUser`] instead, and never touches
//!   the [`AuthContext`]: the two results cannot overwrite each other, in either order.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use tollgate_tower::{AlbUser, AuthLayer, Authenticated, RequireScopesLayer};
//! use tollgate_verify::{Issuer, Verifier};
//!
//! async fn me(AlbUser(user): AlbUser, Authenticated(access): Authenticated) -> String {
//!     format!("{:?} via client {:?}", user.subject(), access.client_id())
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let alb = Verifier::builder()
//!     .issuer(Issuer::alb(
//!         "eu-west-1",
//!         ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"],
//!     ))
//!     .build()
//!     .await?;
//! let cognito = Verifier::builder()
//!     .issuer(Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").client_ids(["4e8i3example"]))
//!     .build()
//!     .await?;
//! let app: Router = Router::new()
//!     .route("/me", get(me).route_layer(RequireScopesLayer::any(["openid"])))
//!     .layer(AuthLayer::new(cognito).token_header("x-amzn-oidc-accesstoken".parse()?))
//!     .layer(AuthLayer::new(alb).alb_user_claims());
//! # Ok(()) }
//! ```

use tollgate_verify::{NoCustomClaims, VerifiedToken};

#[cfg(doc)]
use crate::AuthContext;

/// The name of the header an ALB forwards its signed user claims in.
pub const ALB_DATA_HEADER: &str = "x-amzn-oidc-data";

/// The verified AWS ALB user claims of a request, put in the request extensions by an
/// [`AuthLayer`](crate::AuthLayer) made with
/// [`alb_user_claims`](crate::AuthLayer::alb_user_claims) (with the `axum` feature, also an
/// extractor; `Option<AlbUser>` where the claims are optional).
pub struct AlbUser<C = NoCustomClaims>(pub VerifiedToken<C>);

impl<C> std::fmt::Debug for AlbUser<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AlbUser").field(&self.0).finish()
    }
}

impl<C> Clone for AlbUser<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// Where a layer puts what it verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// `VerifiedToken<C>` and the `AuthContext` (the access token).
    Primary,
    /// `AlbUser<C>` only.
    AlbUser,
}

/// Left in the extensions by an ALB user-claims layer for every request it let through, with
/// or without claims: tells "anonymous" (401) from "no such layer" (500).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AlbLayerRan;

#[cfg(feature = "axum")]
mod extract {
    use std::sync::Arc;

    use axum::extract::{FromRequestParts, OptionalFromRequestParts};
    use http::request::Parts;
    use tollgate_verify::CustomClaims;

    use super::{AlbLayerRan, AlbUser};
    use crate::challenge::ChallengeConfig;
    use crate::rejection::{Rejection, RejectionKind};

    fn user<C: CustomClaims>(parts: &Parts) -> Result<Option<AlbUser<C>>, Rejection> {
        if let Some(user) = parts.extensions.get::<AlbUser<C>>() {
            return Ok(Some(user.clone()));
        }
        if parts.extensions.get::<AlbLayerRan>().is_some() {
            return Ok(None);
        }
        tracing::error!(
            target: "tollgate::config",
            "AlbUser was asked for without an AuthLayer::alb_user_claims() layer in front of it \
             (or with another custom-claims type); the request is refused"
        );
        Err(Rejection::new(
            RejectionKind::MissingAuthLayer,
            Arc::new(ChallengeConfig::default()),
        ))
    }

    impl<S: Send + Sync, C: CustomClaims> FromRequestParts<S> for AlbUser<C> {
        type Rejection = Rejection;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Rejection> {
            user::<C>(parts)?.ok_or_else(|| {
                Rejection::new(
                    RejectionKind::MissingCredentials,
                    Arc::new(ChallengeConfig::default()),
                )
            })
        }
    }

    impl<S: Send + Sync, C: CustomClaims> OptionalFromRequestParts<S> for AlbUser<C> {
        type Rejection = Rejection;

        async fn from_request_parts(
            parts: &mut Parts,
            _state: &S,
        ) -> Result<Option<Self>, Rejection> {
            user::<C>(parts)
        }
    }
}
