//! [`Dispatch`]: the service behind the auth layer that sends each request to its route's
//! guarded service (chosen before authentication and carried in the extensions).

use std::sync::Arc;
use std::task::{Context, Poll};

use http::Request;
use tower::Service;

use crate::requirement::Guarded;

/// The route a request was matched to (an index into the table's routes, the unmatched
/// route last).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteIndex(pub(crate) usize);

/// Every route's guarded service, by [`RouteIndex`]; an index past the routes is the
/// unmatched route.
#[derive(Debug)]
pub(crate) struct Dispatch<S> {
    routes: Arc<[Guarded<S>]>,
    unmatched: Arc<Guarded<S>>,
}

impl<S> Clone for Dispatch<S> {
    fn clone(&self) -> Self {
        Self {
            routes: Arc::clone(&self.routes),
            unmatched: Arc::clone(&self.unmatched),
        }
    }
}

impl<S> Dispatch<S> {
    pub(crate) fn new(routes: Vec<Guarded<S>>, unmatched: Guarded<S>) -> Self {
        Self {
            routes: routes.into(),
            unmatched: Arc::new(unmatched),
        }
    }
}

impl<S, ReqBody> Service<Request<ReqBody>> for Dispatch<S>
where
    Guarded<S>: Service<Request<ReqBody>> + Clone,
{
    type Response = <Guarded<S> as Service<Request<ReqBody>>>::Response;
    type Error = <Guarded<S> as Service<Request<ReqBody>>>::Error;
    type Future = <Guarded<S> as Service<Request<ReqBody>>>::Future;

    /// The route services are always ready (a guard in front of a service that is).
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // Without an index (never: the gateway always sets one) the request takes the
        // unmatched route, denied unless configured.
        let route = request
            .extensions()
            .get::<RouteIndex>()
            .and_then(|i| self.routes.get(i.0))
            .unwrap_or(&self.unmatched);
        route.clone().call(request)
    }
}
