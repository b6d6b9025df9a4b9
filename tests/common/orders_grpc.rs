//! A small `orders.v1.Orders` gRPC service and client without protoc, shared by
//! `tests/grpc_answers.rs` and `examples/grpc.rs` (included there with `#[path]`).
//!
//! The messages are hand-written `prost::Message`s; the server is a plain
//! `tower::Service<http::Request<tonic::body::Body>>` that dispatches on the path and answers
//! with `tonic::server::Grpc::unary`, exactly like generated code does. Every method answers
//! with what the auth layer left on the request (client id and scopes, read with
//! [`TonicRequestExt`]) and refuses with `INTERNAL` if there is no verified token: an `OK`
//! therefore proves the token was verified before the handler ran.

// Each includer uses a different subset of the helpers.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use http::uri::PathAndQuery;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tollgate::{AuthLayer, GrpcScopesLayer, ScopeRequirement, TonicRequestExt, Verifier};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint};
use tonic_prost::ProstCodec;

/// The service name (`package.Service`).
pub(crate) const SERVICE: &str = "orders.v1.Orders";
/// Requires `orders/read`.
pub(crate) const GET_ORDER: &str = "/orders.v1.Orders/GetOrder";
/// Requires `orders/write` and `orders/admin`.
pub(crate) const DELETE_ORDER: &str = "/orders.v1.Orders/DeleteOrder";
/// Requires only a verified token.
pub(crate) const WHO_AM_I: &str = "/orders.v1.Orders/WhoAmI";
/// Implemented by the server but absent from the scope map: always `PERMISSION_DENIED`.
pub(crate) const PING: &str = "/orders.v1.Orders/Ping";

/// Request of every method.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct OrderRequest {
    #[prost(string, tag = "1")]
    pub(crate) id: String,
}

/// Reply of every method: the order id and who asked, as the auth layer verified it.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct OrderReply {
    #[prost(string, tag = "1")]
    pub(crate) id: String,
    #[prost(string, tag = "2")]
    pub(crate) method: String,
    #[prost(string, tag = "3")]
    pub(crate) client_id: String,
    #[prost(string, repeated, tag = "4")]
    pub(crate) scopes: Vec<String>,
}

/// The per-method scope map the server is protected with.
pub(crate) fn scope_map() -> GrpcScopesLayer {
    GrpcScopesLayer::new()
        .method(GET_ORDER, ScopeRequirement::any(["orders/read"]))
        .method(
            DELETE_ORDER,
            ScopeRequirement::all(["orders/write", "orders/admin"]),
        )
        .method(WHO_AM_I, ScopeRequirement::authenticated())
}

/// The `orders.v1.Orders` server. Clones share the handler call counter.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrdersServer {
    handled: Arc<AtomicUsize>,
}

impl OrdersServer {
    /// How many requests reached a method handler.
    pub(crate) fn handled(&self) -> usize {
        self.handled.load(Ordering::SeqCst)
    }
}

impl tonic::server::NamedService for OrdersServer {
    const NAME: &'static str = SERVICE;
}

type GrpcFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<tonic::body::Body>, Infallible>> + Send>>;

impl tower::Service<http::Request<tonic::body::Body>> for OrdersServer {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = GrpcFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let method: &'static str = match request.uri().path() {
            GET_ORDER => GET_ORDER,
            DELETE_ORDER => DELETE_ORDER,
            WHO_AM_I => WHO_AM_I,
            PING => PING,
            _ => {
                return Box::pin(async {
                    Ok(tonic::Status::unimplemented("no such method").into_http())
                });
            }
        };
        let handled = Arc::clone(&self.handled);
        Box::pin(async move {
            let handler = tower::service_fn(move |request: tonic::Request<OrderRequest>| {
                let handled = Arc::clone(&handled);
                async move { handle(method, &handled, &request) }
            });
            let mut grpc =
                tonic::server::Grpc::new(ProstCodec::<OrderReply, OrderRequest>::default());
            Ok(grpc.unary(handler, request).await)
        })
    }
}

/// Every method: echo the id and the verified caller.
fn handle(
    method: &str,
    handled: &AtomicUsize,
    request: &tonic::Request<OrderRequest>,
) -> Result<tonic::Response<OrderReply>, tonic::Status> {
    handled.fetch_add(1, Ordering::SeqCst);
    let Some(token) = request.verified_token() else {
        return Err(tonic::Status::internal("reached without a verified token"));
    };
    if method == DELETE_ORDER {
        // Defence in depth: the scope map already checked this.
        request.require_scopes(&ScopeRequirement::all(["orders/write", "orders/admin"]))?;
    }
    let scopes = request
        .granted_scopes()
        .map(|scopes| scopes.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(tonic::Response::new(OrderReply {
        id: request.get_ref().id.clone(),
        method: method.to_owned(),
        client_id: token.client_id().unwrap_or_default().to_owned(),
        scopes,
    }))
}

/// A running server on loopback; aborted when dropped.
#[derive(Debug)]
pub(crate) struct RunningServer {
    pub(crate) addr: SocketAddr,
    pub(crate) orders: OrdersServer,
    task: JoinHandle<()>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RunningServer {
    /// A connected channel to this server.
    pub(crate) async fn channel(&self) -> Result<Channel, tonic::transport::Error> {
        Endpoint::from_shared(format!("http://{}", self.addr))?
            .connect()
            .await
    }
}

/// Serves [`OrdersServer`] on `127.0.0.1:0` behind `AuthLayer::new(verifier)` and
/// [`scope_map`].
pub(crate) async fn serve(verifier: Verifier) -> std::io::Result<RunningServer> {
    serve_with(AuthLayer::new(verifier)).await
}

/// Serves [`OrdersServer`] on `127.0.0.1:0` behind `auth` and [`scope_map`].
pub(crate) async fn serve_with(auth: AuthLayer) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let orders = OrdersServer::default();
    let service = orders.clone();
    let task = tokio::spawn(async move {
        let served = tonic::transport::Server::builder()
            .layer(auth)
            .layer(scope_map())
            .serve_with_incoming(service, TcpIncoming::from(listener))
            .await;
        if let Err(error) = served {
            eprintln!("gRPC server stopped: {error}");
        }
    });
    Ok(RunningServer { addr, orders, task })
}

/// A request for order `id`, with `authorization: Bearer <token>` when a token is given.
pub(crate) fn request(id: &str, token: Option<&str>) -> tonic::Request<OrderRequest> {
    let mut request = tonic::Request::new(OrderRequest { id: id.to_owned() });
    if let Some(token) = token
        && let Ok(value) = format!("Bearer {token}").parse()
    {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// Calls the unary method at `path` with a real tonic client.
pub(crate) async fn call(
    channel: Channel,
    path: &'static str,
    request: tonic::Request<OrderRequest>,
) -> Result<tonic::Response<OrderReply>, tonic::Status> {
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|error| tonic::Status::unknown(format!("channel not ready: {error}")))?;
    client
        .unary(
            request,
            PathAndQuery::from_static(path),
            ProstCodec::<OrderRequest, OrderReply>::default(),
        )
        .await
}
