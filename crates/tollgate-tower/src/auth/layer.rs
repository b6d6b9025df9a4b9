//! [`AuthLayer`]: configuration, cloned into each [`Auth`] service.

use std::fmt;
use std::sync::Arc;

use http::{HeaderName, Method};
use tollgate_verify::{CustomClaims, NoCustomClaims, Verifier};
use tower_layer::Layer;

use super::{Auth, AuthConfig};
use crate::bearer::{Source, TokenSource};
use crate::responder::{DefaultResponder, RejectionResponder};

/// Applies [`Auth`] to a service: verifies the bearer token of every request.
///
/// See the [module docs](crate::auth) for an example.
///
/// `Clone` for any claims type `C` (the verifier is shared, never copied): a custom-claims type
/// needs neither `Clone` nor `Debug`.
#[must_use]
pub struct AuthLayer<C = NoCustomClaims, R = DefaultResponder> {
    pub(super) verifier: Verifier<C>,
    pub(super) config: Arc<AuthConfig>,
    pub(super) responder: R,
}

impl<C, R: Clone> Clone for AuthLayer<C, R> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
            config: Arc::clone(&self.config),
            responder: self.responder.clone(),
        }
    }
}

impl<C, R> fmt::Debug for AuthLayer<C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("verifier", &self.verifier)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<C: CustomClaims> AuthLayer<C> {
    /// A layer that verifies tokens with `verifier`.
    pub fn new(verifier: Verifier<C>) -> Self {
        Self {
            verifier,
            config: Arc::new(AuthConfig::default()),
            responder: DefaultResponder,
        }
    }
}

impl<C, R> AuthLayer<C, R> {
    fn config(&mut self) -> &mut AuthConfig {
        Arc::make_mut(&mut self.config)
    }

    /// The `realm` of challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.config().challenge).realm = realm.into();
        self
    }

    /// Adds `resource_metadata="<url>"` (RFC 9728) to every challenge.
    pub fn resource_metadata(mut self, url: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.config().challenge).resource_metadata = Some(url.into());
        self
    }

    /// Reads the token from this header instead of `Authorization` (gateways that forward
    /// the token on its own). The header's whole value is the token; it must appear once.
    /// The same as `token_sources([TokenSource::header(name)])`.
    pub fn token_header(mut self, name: HeaderName) -> Self {
        self.config().sources = vec![Source::Header(name)];
        self
    }

    /// Reads the token from these sources instead of `Authorization` alone (the default):
    /// the `Authorization` header, a named header, a named cookie (see [`TokenSource`], and its
    /// CSRF notes before using a cookie).
    ///
    /// One order of precedence, the order given: the first source that holds a token provides
    /// it. Every configured source is read on every request, so a credential is never chosen
    /// silently: two sources holding **different** tokens answer 400 `invalid_request`
    /// ([`InvalidRequest::ConflictingTokens`](crate::InvalidRequest::ConflictingTokens)), the
    /// same token in two sources is that token, and a malformed credential in any source is
    /// 400 even when another holds a good token. With no source at all, no request is ever
    /// authenticated.
    ///
    /// ```
    /// use tollgate_tower::{AuthLayer, TokenSource};
    /// # fn layer(verifier: tollgate_verify::Verifier) {
    /// // API clients send `Authorization: Bearer ..`; the web app's browser sends a cookie.
    /// let auth = AuthLayer::new(verifier)
    ///     .token_sources([TokenSource::Authorization, TokenSource::cookie("__Host-access_token")]);
    /// # }
    /// ```
    pub fn token_sources(mut self, sources: impl IntoIterator<Item = TokenSource>) -> Self {
        self.config().sources = sources.into_iter().map(Source::from).collect();
        self
    }

    /// Verifies the user claims an AWS Application Load Balancer forwards in
    /// `x-amzn-oidc-data` (the whole header value; its segments' `=` padding is accepted by
    /// an ALB issuer, [`Issuer::alb`](tollgate_verify::Issuer::alb)) instead of a bearer
    /// token, and puts the result in an [`AlbUser`](crate::AlbUser) rather than the
    /// [`VerifiedToken`](tollgate_verify::VerifiedToken) and [`AuthContext`](crate::AuthContext)
    /// of the access-token layer, so both layers can run on one request without either
    /// overwriting the other (see [`crate::alb`]). Scope guards read the access token's
    /// context only.
    pub fn alb_user_claims(mut self) -> Self {
        let config = self.config();
        config.sources = vec![Source::AlbData];
        config.slot = crate::alb::Slot::AlbUser;
        self
    }

    /// Lets requests without any bearer credentials through, unauthenticated (for routes
    /// where a token is optional). A token that is present but invalid is still refused: a
    /// bad credential never counts as no credential. Guard protected routes with
    /// [`RequireScopesLayer`](crate::RequireScopesLayer); they answer 401 to anonymous requests.
    pub fn allow_anonymous(mut self) -> Self {
        self.config().allow_anonymous = true;
        self
    }

    /// Lets requests to exactly this path through without authentication (health checks).
    /// Such requests are anonymous to guards and extractors: `Option<Authenticated>` is
    /// `None`, [`RequireScopes`](crate::RequireScopes) answers 401.
    pub fn skip_path(mut self, path: impl Into<String>) -> Self {
        self.config().skip_paths.push(path.into());
        self
    }

    /// Lets every request with this method through without authentication.
    pub fn skip_method(mut self, method: Method) -> Self {
        self.config().skip_methods.push(method);
        self
    }

    /// Lets CORS preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
    /// through without authentication.
    ///
    /// The inner service then sees such requests unauthenticated, including handlers
    /// registered for `OPTIONS` or for any method, and fallbacks: put a CORS layer (for example
    /// tower-http's `CorsLayer`) inside this one so it answers preflights itself, or place it
    /// outside and leave this off.
    pub fn bypass_cors_preflight(mut self) -> Self {
        self.config().bypass_cors_preflight = true;
        self
    }

    /// Shapes the bodies of HTTP rejections; status and challenges stay tollgate's.
    pub fn responder<R2: RejectionResponder>(self, responder: R2) -> AuthLayer<C, R2> {
        AuthLayer {
            verifier: self.verifier,
            config: self.config,
            responder,
        }
    }

    /// The verifier.
    #[must_use]
    pub fn verifier(&self) -> &Verifier<C> {
        &self.verifier
    }
}

impl<S, C, R: Clone> Layer<S> for AuthLayer<C, R> {
    type Service = Auth<S, C, R>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            verifier: self.verifier.clone(),
            config: Arc::clone(&self.config),
            responder: self.responder.clone(),
        }
    }
}
