//! The response future of the scope guards.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;
use pin_project_lite::pin_project;

use crate::Rejection;
use crate::body::AuthBody;
use crate::responder::RejectionResponder;

pin_project! {
    /// Response future of [`RequireScopes`](crate::RequireScopes) and
    /// [`GrpcScopes`](crate::GrpcScopes).
    pub struct GuardFuture<F, R> {
        #[pin]
        kind: Kind<F, R>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, R> {
        Inner { #[pin] future: F },
        Rejected { rejection: Option<Rejection>, grpc: bool, responder: R },
    }
}

impl<F, R> GuardFuture<F, R> {
    pub(crate) fn inner(future: F) -> Self {
        Self {
            kind: Kind::Inner { future },
        }
    }

    pub(crate) fn rejected(rejection: Rejection, grpc: bool, responder: R) -> Self {
        Self {
            kind: Kind::Rejected {
                rejection: Some(rejection),
                grpc,
                responder,
            },
        }
    }
}

impl<F, R, B, E> Future for GuardFuture<F, R>
where
    F: Future<Output = Result<Response<B>, E>>,
    R: RejectionResponder,
{
    type Output = Result<Response<AuthBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future
                .poll(cx)
                .map(|result| result.map(|response| response.map(AuthBody::inner))),
            KindProj::Rejected {
                rejection,
                grpc,
                responder,
            } => Poll::Ready(Ok(crate::rejection::completed(
                rejection.take(),
                *grpc,
                responder,
            ))),
        }
    }
}
