//! [`GatewayService`]: one request on the main listener, from the path check to the answer.
//!
//! ```text
//! request ─ forward-auth path? ─ yes ─ original method/URI ─┐
//!    │                                                       ├─ path check (400) ─ route lookup
//!    no ─────────────────────────────────────────────────────┘        │
//!                                   AuthLayer (the library's, allow_anonymous)
//!                                                │
//!                          Dispatch ─ the route's guard (RequireScopes, or open)
//!                                                │
//!                        Forward (proxy: claim headers, hop-by-hop, upstream)
//!                        or Allow (forward-auth: 200 with the claim headers)
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use pin_project_lite::pin_project;
use tollgate_tower::{Auth, AuthBody, DefaultResponder, ResponseFuture};
use tollgate_verify::NoCustomClaims;
use tower::Service;

use crate::dispatch::{Dispatch, RouteIndex};
use crate::forward_auth::{Allow, original_request};
use crate::path::routing_path;
use crate::proxy::{ClientAddr, Forward, ProxyBody, local};
use crate::request_metrics::{Mode, RequestMetrics};
use crate::requirement::GuardedBody;
use crate::routes::RouteTable;

type ProxyService = Auth<Dispatch<Forward>>;
type ForwardAuthService = Auth<Dispatch<Allow>>;
type ProxyResponseBody = AuthBody<GuardedBody<ProxyBody>>;
type AllowResponseBody = AuthBody<GuardedBody<Full<Bytes>>>;

/// The body of every answer of the main listener.
pub(crate) type GatewayBody = Either<ProxyResponseBody, Either<AllowResponseBody, Full<Bytes>>>;

/// What every request on the main listener shares.
#[derive(Debug)]
pub(crate) struct GatewayShared {
    pub(crate) routes: Arc<RouteTable>,
    /// `None` when no upstream is configured (forward-auth only).
    pub(crate) proxy: Option<ProxyService>,
    pub(crate) forward_auth: Option<(String, ForwardAuthService)>,
    pub(crate) metrics: RequestMetrics,
}

/// The main listener's service, one clone per connection (it knows the client's address).
#[derive(Debug, Clone)]
pub(crate) struct GatewayService {
    pub(crate) shared: Arc<GatewayShared>,
    pub(crate) client: Option<ClientAddr>,
}

/// What the access log and the metrics record when the answer is ready.
#[derive(Debug)]
struct Record {
    started: Instant,
    mode: Mode,
    method: Method,
    /// The path (never the query), only when the access log is on.
    path: Option<String>,
    route: Option<usize>,
    reason: Option<&'static str>,
    shared: Arc<GatewayShared>,
}

impl Record {
    fn finish(&self, status: StatusCode) {
        let elapsed = self.started.elapsed();
        self.shared.metrics.record(self.mode, status, elapsed);
        if let Some(path) = &self.path {
            let route = self
                .route
                .and_then(|i| self.shared.routes.all().nth(i))
                .map_or("", |r| r.pattern.as_str());
            tracing::info!(
                target: "tollgate::access",
                mode = self.mode.as_str(),
                method = %self.method,
                path = %path,
                route,
                status = status.as_u16(),
                reason = self.reason.unwrap_or(""),
                micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            );
        }
    }
}

pin_project! {
    /// Response future of [`GatewayService`].
    pub(crate) struct GatewayFuture {
        #[pin]
        kind: Kind,
        record: Record,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind {
        Proxy { #[pin] future: ResponseFuture<Dispatch<Forward>, Incoming, NoCustomClaims, DefaultResponder> },
        ForwardAuth { #[pin] future: ResponseFuture<Dispatch<Allow>, (), NoCustomClaims, DefaultResponder> },
        Ready { response: Option<Response<GatewayBody>> },
    }
}

impl Future for GatewayFuture {
    type Output = Result<Response<GatewayBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = match this.kind.project() {
            KindProj::Proxy { future } => match future.poll(cx) {
                Poll::Ready(Ok(response)) => response.map(Either::Left),
                Poll::Ready(Err(never)) => match never {},
                Poll::Pending => return Poll::Pending,
            },
            KindProj::ForwardAuth { future } => match future.poll(cx) {
                Poll::Ready(Ok(response)) => response.map(|b| Either::Right(Either::Left(b))),
                Poll::Ready(Err(never)) => match never {},
                Poll::Pending => return Poll::Pending,
            },
            KindProj::Ready { response } => match response.take() {
                Some(response) => response,
                None => plain(StatusCode::INTERNAL_SERVER_ERROR),
            },
        };
        this.record.finish(response.status());
        Poll::Ready(Ok(response))
    }
}

fn plain(status: StatusCode) -> Response<GatewayBody> {
    local::<ProxyResponseBody>(status).map(|body| match body {
        Either::Left(never) => Either::Left(never),
        Either::Right(full) => Either::Right(Either::Right(full)),
    })
}

impl GatewayService {
    fn ready(&self, record: Record, status: StatusCode) -> GatewayFuture {
        GatewayFuture {
            kind: Kind::Ready {
                response: Some(plain(status)),
            },
            record,
        }
    }
}

impl Service<Request<Incoming>> for GatewayService {
    type Response = Response<GatewayBody>;
    type Error = Infallible;
    type Future = GatewayFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<Incoming>) -> Self::Future {
        let shared = &self.shared;
        let logging = tracing::enabled!(target: "tollgate::access", tracing::Level::INFO);
        let forward_auth = shared
            .forward_auth
            .as_ref()
            .filter(|(path, _)| request.uri().path() == path);
        let mut record = Record {
            started: Instant::now(),
            mode: if forward_auth.is_some() {
                Mode::ForwardAuth
            } else {
                Mode::Proxy
            },
            method: request.method().clone(),
            path: None,
            route: None,
            reason: None,
            shared: Arc::clone(shared),
        };
        if let Some((_, service)) = forward_auth {
            let mut original = match original_request(request.headers()) {
                Ok(original) => original,
                Err(problem) => {
                    record.reason = Some(problem.reason());
                    if logging {
                        record.path = Some(request.uri().path().to_owned());
                    }
                    return self.ready(record, StatusCode::BAD_REQUEST);
                }
            };
            record.method = original.method().clone();
            if logging {
                record.path = Some(original.uri().path().to_owned());
            }
            let route = match routing_path(original.uri().path()) {
                Ok(path) => shared.routes.lookup(original.method(), &path),
                Err(problem) => {
                    record.reason = Some(problem.reason());
                    return self.ready(record, StatusCode::BAD_REQUEST);
                }
            };
            let index = shared.routes.index(route);
            record.route = Some(index);
            original.extensions_mut().insert(RouteIndex(index));
            if let Some(client) = &self.client {
                original.extensions_mut().insert(client.clone());
            }
            return GatewayFuture {
                kind: Kind::ForwardAuth {
                    future: service.clone().call(original),
                },
                record,
            };
        }
        if logging {
            record.path = Some(request.uri().path().to_owned());
        }
        let Some(proxy) = &shared.proxy else {
            return self.ready(record, StatusCode::NOT_FOUND);
        };
        if request.method() == Method::CONNECT {
            record.reason = Some("connect_method");
            return self.ready(record, StatusCode::METHOD_NOT_ALLOWED);
        }
        let route = match routing_path(request.uri().path()) {
            Ok(path) => shared.routes.lookup(request.method(), &path),
            Err(problem) => {
                record.reason = Some(problem.reason());
                return self.ready(record, StatusCode::BAD_REQUEST);
            }
        };
        let index = shared.routes.index(route);
        record.route = Some(index);
        request.extensions_mut().insert(RouteIndex(index));
        if let Some(client) = &self.client {
            request.extensions_mut().insert(client.clone());
        }
        GatewayFuture {
            kind: Kind::Proxy {
                future: proxy.clone().call(request),
            },
            record,
        }
    }
}
