//! [`ResponseFuture`] of [`Auth`](super::Auth).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tollgate_verify::{CustomClaims, VerifiedToken, VerifyError};
use tower_service::Service;

use super::AuthConfig;
use super::service::{authenticate, verify_rejection};
use crate::body::AuthBody;
use crate::observe;
use crate::rejection::{Rejection, completed};
use crate::responder::RejectionResponder;

type Verification<C> = Pin<Box<dyn Future<Output = Result<VerifiedToken<C>, VerifyError>> + Send>>;

pin_project! {
    /// Response future of [`Auth`](super::Auth).
    pub struct ResponseFuture<S, ReqBody, C, R>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody, C, R>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody, C, R>
    where
        S: Service<Request<ReqBody>>,
    {
        Inner { #[pin] future: S::Future },
        Verifying {
            verification: Verification<C>,
            request: Option<Request<ReqBody>>,
            service: Option<S>,
            config: Arc<AuthConfig>,
            responder: R,
            grpc: bool,
        },
        Rejected { rejection: Option<Rejection>, grpc: bool, responder: R },
    }
}

impl<S, ReqBody, C, R> ResponseFuture<S, ReqBody, C, R>
where
    S: Service<Request<ReqBody>>,
{
    pub(super) fn inner(future: S::Future) -> Self {
        Self {
            state: State::Inner { future },
        }
    }

    pub(super) fn rejected(rejection: Rejection, grpc: bool, responder: R) -> Self {
        Self {
            state: State::Rejected {
                rejection: Some(rejection),
                grpc,
                responder,
            },
        }
    }

    pub(super) fn verifying(
        verification: Verification<C>,
        request: Request<ReqBody>,
        service: S,
        config: Arc<AuthConfig>,
        responder: R,
        grpc: bool,
    ) -> Self {
        Self {
            state: State::Verifying {
                verification,
                request: Some(request),
                service: Some(service),
                config,
                responder,
                grpc,
            },
        }
    }
}

impl<S, ReqBody, ResBody, C, R> Future for ResponseFuture<S, ReqBody, C, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    C: CustomClaims,
    R: RejectionResponder,
{
    type Output = Result<Response<AuthBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.state.as_mut().project() {
                StateProj::Inner { future } => {
                    let response = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(response.map(AuthBody::inner)));
                }
                StateProj::Rejected {
                    rejection,
                    grpc,
                    responder,
                } => return Poll::Ready(Ok(completed(rejection.take(), *grpc, responder))),
                StateProj::Verifying {
                    verification,
                    request,
                    service,
                    config,
                    responder,
                    grpc,
                } => {
                    let result = ready!(verification.as_mut().poll(cx));
                    match (result, request.take(), service.take()) {
                        (Ok(token), Some(mut request), Some(mut service)) => {
                            authenticate(&mut request, token, config);
                            State::Inner {
                                future: service.call(request),
                            }
                        }
                        (result, _, _) => {
                            let rejection = result.err().map(|error| {
                                let rejection = Rejection::new(
                                    verify_rejection(error),
                                    Arc::clone(&config.challenge),
                                );
                                observe::rejected(&rejection);
                                rejection
                            });
                            State::Rejected {
                                rejection,
                                grpc: *grpc,
                                responder: responder.clone(),
                            }
                        }
                    }
                }
            };
            this.state.set(next);
        }
    }
}
