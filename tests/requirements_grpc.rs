//! Claim requirements per gRPC method over real loopback HTTP/2 with a real tonic client
//! (issue 11): a `GrpcRequireLayer` map over groups, roles, predicates and AND / OR with scopes,
//! behind `AuthLayer` with a custom-claims type that is neither `Clone` nor `Debug`; unlisted
//! methods stay denied. Unmet requirements are `PERMISSION_DENIED` with a fixed message and,
//! like HTTP, a `www-authenticate` challenge that names a scope only when scopes alone would
//! help; claim values and group names never appear.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;

use common::orders_grpc::{OrderReply, OrderRequest, call, request};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tollgate::{
    AuthLayer, GrpcRequireLayer, Issuer, Requirement, TonicRequestExt, VerifiedToken, Verifier,
};
use tollgate_testkit::{DEFAULT_CLIENT_ID, SigningKey, TestIssuer};
use tonic::Code;
use tonic::transport::Channel;
use tonic::transport::server::TcpIncoming;
use tonic_prost::ProstCodec;

/// Only `Deserialize`: no `Clone`, no `Debug`.
#[derive(serde::Deserialize)]
struct Staff {
    #[serde(rename = "custom:clearance", default)]
    clearance: u8,
}

const GET_ORDER: &str = "/orders.v1.Orders/GetOrder";
const GET_REPORT: &str = "/orders.v1.Orders/GetReport";
const DELETE_ORDER: &str = "/orders.v1.Orders/DeleteOrder";
const APPROVE: &str = "/orders.v1.Orders/Approve";
const AUDIT: &str = "/orders.v1.Orders/Audit";
const IN_HANDLER: &str = "/orders.v1.Orders/InHandler";
const WHO_AM_I: &str = "/orders.v1.Orders/WhoAmI";
const PING: &str = "/orders.v1.Orders/Ping";
/// Mapped to an empty `all_of` combined with other requirements: never satisfied.
const EMPTY_AND: &str = "/orders.v1.Orders/EmptyAnd";
const EMPTY_NESTED: &str = "/orders.v1.Orders/EmptyNested";

fn methods() -> GrpcRequireLayer {
    GrpcRequireLayer::new()
        .method(GET_ORDER, Requirement::scopes_any(["orders/read"]))
        .method(
            GET_REPORT,
            Requirement::scopes_any(["orders/admin"])
                .or(Requirement::claim("cognito:groups").any(["analysts"])),
        )
        .method(
            DELETE_ORDER,
            Requirement::scopes_all(["orders/write"])
                .and(Requirement::claim("cognito:groups").any(["admins"])),
        )
        .method(
            APPROVE,
            Requirement::claim("resource_access.orders-api.roles").all(["approve", "read"]),
        )
        .method(
            AUDIT,
            Requirement::predicate(|token: &VerifiedToken<Staff>| token.custom().clearance >= 3),
        )
        .method(IN_HANDLER, Requirement::authenticated())
        .method(WHO_AM_I, Requirement::authenticated())
        .method(
            EMPTY_AND,
            Requirement::all_of(Vec::<Requirement>::new()).and(Requirement::authenticated()),
        )
        .method(
            EMPTY_NESTED,
            Requirement::all_of([
                Requirement::all_of(Vec::<Requirement>::new()),
                Requirement::scopes_any(["orders/read"]),
            ]),
        )
}

/// Every method answers with the path and the caller's clearance; `InHandler` also checks a
/// group inside the method with `TonicRequestExt::require`.
fn answer(
    path: String,
    request: &tonic::Request<OrderRequest>,
) -> Result<tonic::Response<OrderReply>, tonic::Status> {
    let token = request
        .verified_token_with::<Staff>()
        .ok_or_else(|| tonic::Status::internal("no verified token"))?;
    if path == IN_HANDLER {
        request.require(&Requirement::claim("cognito:groups").any(["auditors"]))?;
    }
    Ok(tonic::Response::new(OrderReply {
        id: request.get_ref().id.clone(),
        method: path,
        client_id: token.client_id().unwrap_or_default().to_owned(),
        scopes: vec![token.custom().clearance.to_string()],
    }))
}

struct Env {
    issuer: TestIssuer,
    channel: Channel,
}

async fn env() -> Env {
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .custom_claims::<Staff>()
        .build()
        .await
        .unwrap();
    let service = tower::service_fn(|request: http::Request<tonic::body::Body>| async move {
        let path = request.uri().path().to_owned();
        let handler = tower::service_fn(move |request: tonic::Request<OrderRequest>| {
            let path = path.clone();
            async move { answer(path, &request) }
        });
        let mut grpc = tonic::server::Grpc::new(ProstCodec::<OrderReply, OrderRequest>::default());
        Ok::<_, Infallible>(grpc.unary(handler, request).await)
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .layer(AuthLayer::new(verifier).realm("claims"))
            .layer(methods())
            .serve_with_incoming(service, TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    Env { issuer, channel }
}

impl Env {
    fn token(&self, scopes: &[&str], claims: &[(&str, Value)]) -> String {
        let mut builder = self.issuer.token_builder(DEFAULT_CLIENT_ID, scopes);
        for (name, value) in claims {
            builder = builder.claim(name, value.clone());
        }
        self.issuer.sign(&builder).unwrap()
    }

    fn groups(&self, scopes: &[&str], groups: &[&str]) -> String {
        self.token(scopes, &[("cognito:groups", json!(groups))])
    }

    async fn call(
        &self,
        path: &'static str,
        token: Option<&str>,
    ) -> Result<OrderReply, tonic::Status> {
        call(self.channel.clone(), path, request("1", token))
            .await
            .map(tonic::Response::into_inner)
    }
}

#[track_caller]
fn assert_ok(result: &Result<OrderReply, tonic::Status>, path: &str) {
    match result {
        Ok(reply) => assert_eq!(reply.method, path),
        Err(status) => panic!("{path}: {status:?}"),
    }
}

/// `PERMISSION_DENIED` with this message, a challenge naming `scope` (or none), and none of
/// `secrets` in the status.
#[track_caller]
fn assert_denied(
    result: &Result<OrderReply, tonic::Status>,
    message: &str,
    scope: Option<&str>,
    secrets: &[&str],
) {
    let status = match result {
        Err(status) => status,
        Ok(reply) => panic!("expected PERMISSION_DENIED, got {reply:?}"),
    };
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(status.message(), message, "{status:?}");
    let challenge = status
        .metadata()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let expected = match scope {
        Some(scope) => {
            format!("Bearer realm=\"claims\", error=\"insufficient_scope\", scope=\"{scope}\"")
        }
        None => "Bearer realm=\"claims\", error=\"insufficient_scope\"".to_owned(),
    };
    assert_eq!(challenge.as_deref(), Some(expected.as_str()), "{status:?}");
    let everything = format!("{status:?}");
    for secret in secrets {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }
}

const SCOPE_MESSAGE: &str = "the access token lacks the required scope";
const CLAIM_MESSAGE: &str = "the access token lacks the required privileges";

#[tokio::test]
async fn group_or_scope_per_method() {
    let env = env().await;
    assert_ok(
        &env.call(GET_REPORT, Some(&env.groups(&["orders/admin"], &[])))
            .await,
        GET_REPORT,
    );
    assert_ok(
        &env.call(GET_REPORT, Some(&env.groups(&[], &["analysts"])))
            .await,
        GET_REPORT,
    );
    assert_denied(
        &env.call(
            GET_REPORT,
            Some(&env.groups(&["orders/read"], &["interns"])),
        )
        .await,
        SCOPE_MESSAGE,
        Some("orders/admin"),
        &["analysts", "interns"],
    );
}

#[tokio::test]
async fn scope_and_group_per_method() {
    let env = env().await;
    let admin_writer = env.groups(&["orders/write"], &["admins"]);
    assert_ok(
        &env.call(DELETE_ORDER, Some(&admin_writer)).await,
        DELETE_ORDER,
    );
    assert_denied(
        &env.call(DELETE_ORDER, Some(&env.groups(&[], &["admins"])))
            .await,
        SCOPE_MESSAGE,
        Some("orders/write"),
        &["admins"],
    );
    assert_denied(
        &env.call(
            DELETE_ORDER,
            Some(&env.groups(&["orders/write"], &["interns"])),
        )
        .await,
        CLAIM_MESSAGE,
        None,
        &["admins", "interns"],
    );
}

#[tokio::test]
async fn nested_roles_predicates_and_in_handler_checks() {
    let env = env().await;
    let approver = env.token(
        &[],
        &[(
            "resource_access",
            json!({ "orders-api": { "roles": ["read", "approve"] } }),
        )],
    );
    assert_ok(&env.call(APPROVE, Some(&approver)).await, APPROVE);
    let reader = env.token(
        &[],
        &[(
            "resource_access",
            json!({ "orders-api": { "roles": ["read"] } }),
        )],
    );
    assert_denied(
        &env.call(APPROVE, Some(&reader)).await,
        CLAIM_MESSAGE,
        None,
        &["approve", "orders-api"],
    );

    let cleared = env.token(&[], &[("custom:clearance", json!(4))]);
    let reply = env.call(AUDIT, Some(&cleared)).await.unwrap();
    assert_eq!(reply.scopes, ["4"], "the handler sees the custom claims");
    let low = env.token(&[], &[("custom:clearance", json!(1))]);
    assert_denied(&env.call(AUDIT, Some(&low)).await, CLAIM_MESSAGE, None, &[]);

    // `TonicRequestExt::require` inside a method: the same decision and status.
    assert_ok(
        &env.call(IN_HANDLER, Some(&env.groups(&[], &["auditors"])))
            .await,
        IN_HANDLER,
    );
    let status = env
        .call(IN_HANDLER, Some(&env.groups(&[], &["interns"])))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::PermissionDenied, CLAIM_MESSAGE)
    );
}

#[tokio::test]
async fn unlisted_methods_and_anonymous_calls_stay_refused() {
    let env = env().await;
    let everything = env.groups(
        &["orders/read", "orders/write", "orders/admin"],
        &["admins", "analysts", "auditors"],
    );
    let status = env.call(PING, Some(&everything)).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::PermissionDenied, "method not allowed for any token")
    );
    for path in [
        GET_ORDER,
        GET_REPORT,
        DELETE_ORDER,
        APPROVE,
        AUDIT,
        WHO_AM_I,
        PING,
    ] {
        let status = env.call(path, None).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{path}");
    }
    assert_ok(&env.call(GET_ORDER, Some(&everything)).await, GET_ORDER);
    assert_ok(&env.call(WHO_AM_I, Some(&everything)).await, WHO_AM_I);
    // C36: an empty set combined with others still never opens a method.
    for path in [EMPTY_AND, EMPTY_NESTED] {
        let status = env.call(path, Some(&everything)).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{path}");
    }
}
