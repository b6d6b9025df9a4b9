//! Typed custom claims behind the layer (issue 11): a claims type that derives only
//! `Deserialize` (neither `Clone` nor `Debug`) works with `AuthLayer` on an axum `Router` and
//! a tonic server, in `Authenticated<C>` and `Option<Authenticated<C>>`, over real loopback
//! connections.
//!
//! `new_user_program` is the program a new user writes from the extractor docs, unchanged: it
//! is this file's compile-level test (it did not compile while the layer's derives required
//! `C: Clone`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use common::orders_grpc::{OrderReply, OrderRequest, call, request};
use tokio::net::TcpListener;
use tollgate::{
    AuthLayer, Authenticated, CustomClaimsVerifier as _, Issuer, TonicRequestExt, Verifier,
};
use tollgate_testkit::{DEFAULT_CLIENT_ID, SigningKey, TestIssuer};
use tonic::Code;
use tonic::transport::server::TcpIncoming;
use tonic_prost::ProstCodec;

/// Only `Deserialize`: no `Clone`, no `Debug`.
#[derive(serde::Deserialize)]
struct MyClaims {
    #[serde(rename = "custom:tenant")]
    tenant: String,
}

async fn tenant(Authenticated(token): Authenticated<MyClaims>) -> String {
    token.custom().tenant.clone()
}

/// The program: `custom_claims::<MyClaims>()`, `AuthLayer::new(verifier)` on a
/// `Router`, a handler taking `Authenticated<MyClaims>`.
async fn new_user_program(issuer: &str) -> Result<Router, Box<dyn std::error::Error>> {
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer).client_ids([DEFAULT_CLIENT_ID]))
        .custom_claims::<MyClaims>()
        .build()
        .await?;
    let app = Router::new()
        .route("/tenant", get(tenant))
        .layer(AuthLayer::new(verifier));
    Ok(app)
}

async fn optional_tenant(token: Option<Authenticated<MyClaims>>) -> String {
    match token {
        Some(Authenticated(token)) => format!("tenant {}", token.custom().tenant),
        None => "anonymous".to_owned(),
    }
}

async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap()
}

fn tenant_token(issuer: &TestIssuer, tenant: &str) -> String {
    issuer
        .sign(
            &issuer
                .token_builder(DEFAULT_CLIENT_ID, &["orders/read"])
                .claim("custom:tenant", tenant),
        )
        .unwrap()
}

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn get_text(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_new_user_program_compiles_and_serves_typed_claims() {
    let issuer = issuer().await;
    let addr = serve(new_user_program(&issuer.issuer_url()).await.unwrap()).await;
    let url = format!("http://{addr}/tenant");
    assert_eq!(
        get_text(&url, Some(&tenant_token(&issuer, "acme"))).await,
        (200, "acme".to_owned())
    );
    assert_eq!(get_text(&url, None).await.0, 401);
    // A token whose custom claims do not fit the type is refused (401), never half-read.
    let missing = issuer.access_token(DEFAULT_CLIENT_ID, &[]).unwrap();
    assert_eq!(get_text(&url, Some(&missing)).await.0, 401);
}

#[tokio::test]
async fn optional_typed_claims_with_anonymous_requests() {
    let issuer = issuer().await;
    // `Verifier::<C>::builder()`, the generic spelling, builds the same verifier.
    let verifier = Verifier::<MyClaims>::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .build()
        .await
        .unwrap();
    let app = Router::new()
        .route("/maybe", get(optional_tenant))
        .layer(AuthLayer::new(verifier).allow_anonymous());
    let addr = serve(app).await;
    let url = format!("http://{addr}/maybe");
    assert_eq!(get_text(&url, None).await, (200, "anonymous".to_owned()));
    assert_eq!(
        get_text(&url, Some(&tenant_token(&issuer, "globex"))).await,
        (200, "tenant globex".to_owned())
    );
    // Present but invalid is still refused, with or without `Option`.
    assert_eq!(get_text(&url, Some("abc.def.ghi")).await.0, 401);
}

/// A unary gRPC method answering with the tenant of the verified token (`INTERNAL` if the
/// handler finds no token of type `MyClaims`).
fn tenant_method(
    request: &tonic::Request<OrderRequest>,
) -> Result<tonic::Response<OrderReply>, tonic::Status> {
    let token = request
        .verified_token_with::<MyClaims>()
        .ok_or_else(|| tonic::Status::internal("no verified token with MyClaims"))?;
    Ok(tonic::Response::new(OrderReply {
        id: request.get_ref().id.clone(),
        method: token.custom().tenant.clone(),
        client_id: token.client_id().unwrap_or_default().to_owned(),
        scopes: Vec::new(),
    }))
}

#[tokio::test]
async fn typed_claims_through_tonic() {
    let issuer = issuer().await;
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .custom_claims::<MyClaims>()
        .build()
        .await
        .unwrap();
    let service = tower::service_fn(|request: http::Request<tonic::body::Body>| async move {
        let handler = tower::service_fn(|request: tonic::Request<OrderRequest>| async move {
            tenant_method(&request)
        });
        let mut grpc = tonic::server::Grpc::new(ProstCodec::<OrderReply, OrderRequest>::default());
        Ok::<_, Infallible>(grpc.unary(handler, request).await)
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .layer(AuthLayer::new(verifier))
            .serve_with_incoming(service, TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    const PATH: &str = "/orders.v1.Orders/GetOrder";
    let reply = call(
        channel.clone(),
        PATH,
        request("7", Some(&tenant_token(&issuer, "initech"))),
    )
    .await
    .unwrap()
    .into_inner();
    assert_eq!(
        (
            reply.id.as_str(),
            reply.method.as_str(),
            reply.client_id.as_str()
        ),
        ("7", "initech", DEFAULT_CLIENT_ID)
    );
    let refused = call(channel, PATH, request("7", None)).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
}
