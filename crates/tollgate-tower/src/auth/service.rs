//! [`Auth`]: the service that verifies each request's token.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tollgate_verify::{
    Attempt, CustomClaims, NoCustomClaims, VerifiedToken, Verifier, VerifyError,
};
use tower_service::Service;
use tracing::Instrument as _;

use super::{AuthConfig, ResponseFuture};
use crate::alb::{AlbLayerRan, AlbUser, Slot};
use crate::body::AuthBody;
use crate::context::{AuthContext, is_grpc};
use crate::rejection::{Rejection, RejectionKind};
use crate::responder::{DefaultResponder, RejectionResponder};
use crate::{bearer, observe};

/// Verifies the bearer token of every request before calling the inner service.
///
/// Created by [`AuthLayer`](crate::AuthLayer); see the [module docs](crate::auth). `Clone`
/// whenever `S` and `R` are, for any claims type `C`.
pub struct Auth<S, C = NoCustomClaims, R = DefaultResponder> {
    pub(super) inner: S,
    pub(super) verifier: Verifier<C>,
    pub(super) config: Arc<AuthConfig>,
    pub(super) responder: R,
}

impl<S: Clone, C, R: Clone> Clone for Auth<S, C, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            verifier: self.verifier.clone(),
            config: Arc::clone(&self.config),
            responder: self.responder.clone(),
        }
    }
}

impl<S: fmt::Debug, C, R> fmt::Debug for Auth<S, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("inner", &self.inner)
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl<C: CustomClaims> Auth<(), C> {
    /// An [`AuthLayer`](crate::AuthLayer) that verifies tokens with `verifier`.
    pub fn layer(verifier: Verifier<C>) -> crate::AuthLayer<C> {
        crate::AuthLayer::new(verifier)
    }
}

impl<S, C, R> Auth<S, C, R> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes `self`, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

/// Inserts what handlers, guards and extractors read.
pub(super) fn authenticate<B, C: CustomClaims>(
    request: &mut Request<B>,
    token: VerifiedToken<C>,
    config: &AuthConfig,
) {
    let extensions = request.extensions_mut();
    if config.slot == Slot::AlbUser {
        extensions.insert(AlbLayerRan);
        extensions.insert(AlbUser(token));
        return;
    }
    extensions.insert(AuthContext::authenticated(
        token.scopes().clone(),
        crate::requirement::claims_of::<C>,
        Arc::clone(&config.challenge),
    ));
    extensions.insert(token);
}

impl<S, C, R, ReqBody, ResBody> Service<Request<ReqBody>> for Auth<S, C, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    ReqBody: Send + 'static,
    C: CustomClaims,
    R: RejectionResponder,
{
    type Response = Response<AuthBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, C, R>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let config = &*self.config;
        if config.skips(&request) {
            // Let through unauthenticated: guards and extractors see an anonymous request
            // (401 / `None`), not a missing auth layer (500). An outer layer's decision stays.
            if config.slot == Slot::AlbUser {
                request.extensions_mut().insert(AlbLayerRan);
            } else if request.extensions().get::<AuthContext>().is_none() {
                request
                    .extensions_mut()
                    .insert(AuthContext::anonymous(Arc::clone(&config.challenge)));
            }
            return ResponseFuture::inner(self.inner.call(request));
        }
        let grpc = is_grpc(&request);
        let outcome = match bearer::extract_from(request.headers(), request.uri(), &config.sources)
        {
            Err(invalid) => Err(RejectionKind::InvalidRequest(invalid)),
            Ok(None) if config.allow_anonymous => {
                if config.slot == Slot::AlbUser {
                    request.extensions_mut().insert(AlbLayerRan);
                } else {
                    request
                        .extensions_mut()
                        .insert(AuthContext::anonymous(Arc::clone(&config.challenge)));
                }
                observe::anonymous();
                return ResponseFuture::inner(self.inner.call(request));
            }
            Ok(None) => Err(RejectionKind::MissingCredentials),
            Ok(Some(token)) => {
                let observation = observe::Verification::start();
                let attempt = {
                    let _entered = observation.span().enter();
                    self.verifier.attempt(token)
                };
                match attempt {
                    Attempt::Verified(token) => {
                        observation.finish(None);
                        Ok(token)
                    }
                    Attempt::Refused(error) => {
                        observation.finish(Some(&error));
                        Err(verify_rejection(error))
                    }
                    Attempt::NeedsKey(pending) => {
                        // The key is not cached: look it up (one shared, rate-limited fetch, or
                        // a refusal inside the cooldown) and finish the already checked token.
                        let span = observation.span().clone();
                        let verification = Box::pin(
                            async move {
                                let result = pending.finish().await;
                                observation.finish(result.as_ref().err());
                                result
                            }
                            .instrument(span),
                        );
                        let clone = self.inner.clone();
                        let ready = std::mem::replace(&mut self.inner, clone);
                        return ResponseFuture::verifying(
                            verification,
                            request,
                            ready,
                            Arc::clone(&self.config),
                            self.responder.clone(),
                            grpc,
                        );
                    }
                }
            }
        };
        match outcome {
            Ok(token) => {
                authenticate(&mut request, token, config);
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(kind) => {
                let rejection = Rejection::new(kind, Arc::clone(&config.challenge));
                observe::rejected(&rejection);
                ResponseFuture::rejected(rejection, grpc, self.responder.clone())
            }
        }
    }
}

pub(super) fn verify_rejection(error: VerifyError) -> RejectionKind {
    match error {
        VerifyError::KeysUnavailable => RejectionKind::KeysUnavailable,
        error => RejectionKind::InvalidToken(error),
    }
}

/// tonic routes services by name; forward it so a layered service can be added directly
/// (`add_service(AuthLayer::new(verifier).layer(svc))`).
#[cfg(feature = "tonic")]
impl<S: tonic::server::NamedService, C, R> tonic::server::NamedService for Auth<S, C, R> {
    const NAME: &'static str = S::NAME;
}
