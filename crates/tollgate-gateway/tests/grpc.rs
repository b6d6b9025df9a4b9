//! gRPC through the proxy: a real tonic client, the gateway, a real tonic upstream over h2c.
//! Unary and bidirectional streaming calls, trailers intact, the library's trailers-only
//! rejections.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Stream, StreamExt};
use http::uri::PathAndQuery;
use tokio::net::TcpListener;
use tollgate_testkit::DEFAULT_CLIENT_ID;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status, Streaming};
use tonic_prost::ProstCodec;

const SAY: &str = "/echo.v1.Echo/Say";
const FAIL: &str = "/echo.v1.Echo/Fail";
const CHAT: &str = "/echo.v1.Echo/Chat";
const SECRET: &str = "/echo.v1.Echo/Secret";

#[derive(Clone, PartialEq, prost::Message)]
struct EchoRequest {
    #[prost(string, tag = "1")]
    text: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct EchoReply {
    #[prost(string, tag = "1")]
    text: String,
    /// The `x-auth-sub` metadata the upstream received.
    #[prost(string, tag = "2")]
    subject: String,
}

fn subject<T>(request: &tonic::Request<T>) -> String {
    request
        .metadata()
        .get("x-auth-sub")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The upstream `echo.v1.Echo` service.
#[derive(Debug, Clone, Default)]
struct EchoServer;

impl tonic::server::NamedService for EchoServer {
    const NAME: &'static str = "echo.v1.Echo";
}

struct Chat;

type ReplyStream = Pin<Box<dyn Stream<Item = Result<EchoReply, Status>> + Send>>;

impl tonic::server::StreamingService<EchoRequest> for Chat {
    type Response = EchoReply;
    type ResponseStream = ReplyStream;
    type Future = Ready<Result<tonic::Response<ReplyStream>, Status>>;

    fn call(&mut self, request: tonic::Request<Streaming<EchoRequest>>) -> Self::Future {
        let subject = subject(&request);
        let replies = request.into_inner().map(move |message| {
            message.map(|m| EchoReply {
                text: m.text,
                subject: subject.clone(),
            })
        });
        ready(Ok(tonic::Response::new(Box::pin(replies))))
    }
}

type GrpcFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<tonic::body::Body>, Infallible>> + Send>>;

impl tower::Service<http::Request<tonic::body::Body>> for EchoServer {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = GrpcFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let path = request.uri().path().to_owned();
        Box::pin(async move {
            let codec = ProstCodec::<EchoReply, EchoRequest>::default();
            let mut grpc = tonic::server::Grpc::new(codec);
            let response = match path.as_str() {
                SAY | SECRET => {
                    let handler =
                        tower::service_fn(|request: tonic::Request<EchoRequest>| async move {
                            Ok::<_, Status>(tonic::Response::new(EchoReply {
                                subject: subject(&request),
                                text: request.into_inner().text,
                            }))
                        });
                    grpc.unary(handler, request).await
                }
                FAIL => {
                    let handler = tower::service_fn(|_: tonic::Request<EchoRequest>| async {
                        Err::<tonic::Response<EchoReply>, _>(Status::not_found("no such echo"))
                    });
                    grpc.unary(handler, request).await
                }
                CHAT => grpc.streaming(Chat, request).await,
                _ => Status::unimplemented("no such method").into_http(),
            };
            Ok(response)
        })
    }
}

async fn upstream() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .serve_with_incoming(EchoServer, TcpIncoming::from(listener))
            .await;
    });
    addr
}

async fn setup() -> (tollgate_testkit::TestIssuer, common::Running, Channel) {
    let issuer = common::issuer().await;
    let upstream = upstream().await;
    let gateway = common::start(&format!(
        r#"
[upstream.default]
url = "http://{upstream}"
http2 = true

[claim_headers]
x-auth-sub = "sub"

[[route]]
path = "{SAY}"
require = {{ scopes = {{ any = ["orders/read"] }} }}

[[route]]
path = "{FAIL}"
require = "authenticated"

[[route]]
path = "{CHAT}"
require = "authenticated"
{}"#,
        common::issuer_toml(&issuer)
    ))
    .await;
    let channel = Endpoint::from_shared(gateway.url(""))
        .unwrap()
        .connect()
        .await
        .unwrap();
    (issuer, gateway, channel)
}

fn request<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(token) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    // A client's own claim header never reaches the upstream.
    request
        .metadata_mut()
        .insert("x-auth-sub", "spoofed".parse().unwrap());
    request
}

async fn unary(
    channel: Channel,
    path: &'static str,
    token: Option<&str>,
) -> Result<tonic::Response<EchoReply>, Status> {
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.unwrap();
    client
        .unary(
            request(EchoRequest { text: "hi".into() }, token),
            PathAndQuery::from_static(path),
            ProstCodec::<EchoRequest, EchoReply>::default(),
        )
        .await
}

#[tokio::test]
async fn unary_calls_pass_with_trailers_intact() {
    let (issuer, _gateway, channel) = setup().await;
    let token = common::token(&issuer, &["orders/read"]);
    let reply = unary(channel.clone(), SAY, Some(&token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.text, "hi");
    assert_eq!(
        reply.subject, DEFAULT_CLIENT_ID,
        "claim header, not the client's"
    );

    // An upstream error travels in the trailers after the headers: code and message intact.
    let status = unary(channel, FAIL, Some(&token)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(status.message(), "no such echo");
}

#[tokio::test]
async fn rejections_are_trailers_only_grpc_answers() {
    let (issuer, _gateway, channel) = setup().await;
    let status = unary(channel.clone(), SAY, None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let write = common::token(&issuer, &["orders/write"]);
    let status = unary(channel.clone(), SAY, Some(&write)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = unary(channel, SECRET, Some(&write)).await.unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "unlisted methods are denied"
    );
}

#[tokio::test]
async fn bidirectional_streams_flow_message_by_message() {
    let (issuer, _gateway, channel) = setup().await;
    let token = common::token(&issuer, &[]);
    let (tx, rx) = tokio::sync::mpsc::channel::<EchoRequest>(1);
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.unwrap();
    tx.send(EchoRequest { text: "one".into() }).await.unwrap();
    let response = client
        .streaming(
            request(
                tokio_stream::wrappers::ReceiverStream::new(rx),
                Some(&token),
            ),
            PathAndQuery::from_static(CHAT),
            ProstCodec::<EchoRequest, EchoReply>::default(),
        )
        .await
        .unwrap();
    let mut replies = response.into_inner();
    let first = replies.message().await.unwrap().unwrap();
    assert_eq!(
        (first.text.as_str(), first.subject.as_str()),
        ("one", DEFAULT_CLIENT_ID)
    );
    // The second message is sent only after the first reply came back.
    tx.send(EchoRequest { text: "two".into() }).await.unwrap();
    assert_eq!(replies.message().await.unwrap().unwrap().text, "two");
    drop(tx);
    assert!(
        replies.message().await.unwrap().is_none(),
        "the stream ends with status OK"
    );
}
