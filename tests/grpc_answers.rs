//! gRPC answers over real loopback connections: a tonic 0.14 server protected by
//! `AuthLayer` + `GrpcScopesLayer`, called with a real tonic client (and once with a raw HTTP/2
//! client to look at the wire form). Row ids (T14, F7) are those of the security catalogue,
//! `docs/security-catalogue.md`.
//!
//! | case | expected | test |
//! | --- | --- | --- |
//! | no token | `UNAUTHENTICATED` | `no_token_is_unauthenticated` |
//! | bad / expired / tampered / malformed token | `UNAUTHENTICATED` | `bad_tokens_are_unauthenticated` |
//! | token lacking the method's scope | `PERMISSION_DENIED` | `missing_scope_is_permission_denied` |
//! | method not in the scope map | `PERMISSION_DENIED` | `unmapped_method_is_permission_denied` |
//! | valid token | `OK`, handler sees the verified token | `valid_token_reaches_the_handler_with_the_verified_token` |
//! | keys unavailable | `UNAVAILABLE` | `keys_unavailable_is_unavailable` |
//! | T14 two `authorization` values, `authorization-bin` | `UNAUTHENTICATED` | `repeated_or_binary_authorization_is_unauthenticated` |
//! | F7 wire form | HTTP 200, trailers-only `grpc-status` | `rejections_are_trailers_only_http_200` |
//! | `NamedService` through the layers | inner name kept | `layered_services_forward_the_service_name` |

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::orders_grpc::{
    self, DELETE_ORDER, GET_ORDER, OrderRequest, PING, RunningServer, WHO_AM_I, call, request,
};
use common::{ALL_SCOPES, failing_issuer_and_cold_verifier, issuer_and_verifier, token};
use prost::Message;
use tollgate_testkit::{DEFAULT_CLIENT_ID, TestIssuer};
use tonic::Code;

async fn setup() -> (TestIssuer, RunningServer) {
    let (issuer, verifier) = issuer_and_verifier().await;
    let server = orders_grpc::serve(verifier).await.unwrap();
    (issuer, server)
}

#[track_caller]
fn assert_code<T: std::fmt::Debug>(result: &Result<T, tonic::Status>, code: Code, message: &str) {
    match result {
        Err(status) => {
            assert_eq!(status.code(), code, "{status:?}");
            assert_eq!(status.message(), message, "{status:?}");
        }
        Ok(ok) => panic!("expected {code:?}, got OK: {ok:?}"),
    }
}

#[tokio::test]
async fn no_token_is_unauthenticated() {
    let (_issuer, server) = setup().await;
    let channel = server.channel().await.unwrap();
    for path in [GET_ORDER, DELETE_ORDER, WHO_AM_I, PING] {
        let result = call(channel.clone(), path, request("1", None)).await;
        assert_code(&result, Code::Unauthenticated, "bearer token required");
    }
    assert_eq!(server.orders.handled(), 0);
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let (issuer, server) = setup().await;
    let channel = server.channel().await.unwrap();
    let good = token(&issuer, &ALL_SCOPES);
    let mut tampered = good.clone().into_bytes();
    let middle = good.find('.').unwrap() + 5;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let expired = issuer
        .sign(
            &issuer
                .token_builder(DEFAULT_CLIENT_ID, &ALL_SCOPES)
                .issued_at(1_600_000_000)
                .expires_at(1_600_003_600),
        )
        .unwrap();
    let other_client = issuer.access_token("someone-else", &ALL_SCOPES).unwrap();
    let cases = [
        ("garbage", "abc.def.ghi", "the access token is invalid"),
        ("tampered", tampered.as_str(), "the access token is invalid"),
        ("expired", expired.as_str(), "the access token expired"),
        (
            "other client",
            other_client.as_str(),
            "the access token is invalid",
        ),
    ];
    for (name, bad, message) in cases {
        let result = call(channel.clone(), GET_ORDER, request("1", Some(bad))).await;
        match &result {
            Err(status) => {
                assert_eq!(status.code(), Code::Unauthenticated, "{name}: {status:?}");
                assert_eq!(status.message(), message, "{name}");
                assert!(!status.message().contains(bad), "{name}: token echoed");
            }
            Ok(ok) => panic!("{name}: accepted: {ok:?}"),
        }
    }
    // Malformed credentials (400 over HTTP) are UNAUTHENTICATED over gRPC.
    for value in ["Bearer", "Bearer a b", "Bearer\tabc"] {
        let mut req = request("1", None);
        req.metadata_mut()
            .insert("authorization", value.parse().unwrap());
        let result = call(channel.clone(), GET_ORDER, req).await;
        assert_code(
            &result,
            Code::Unauthenticated,
            "malformed authorization request",
        );
    }
    // Another scheme is no bearer credential at all.
    let mut req = request("1", None);
    req.metadata_mut()
        .insert("authorization", "Basic dXNlcjpwYXNz".parse().unwrap());
    let result = call(channel.clone(), GET_ORDER, req).await;
    assert_code(&result, Code::Unauthenticated, "bearer token required");
    assert_eq!(server.orders.handled(), 0);
}

#[tokio::test]
async fn missing_scope_is_permission_denied() {
    let (issuer, server) = setup().await;
    let channel = server.channel().await.unwrap();
    let read_only = token(&issuer, &["orders/read"]);
    let write_only = token(&issuer, &["orders/write"]);

    let result = call(
        channel.clone(),
        DELETE_ORDER,
        request("1", Some(&read_only)),
    )
    .await;
    assert_code(
        &result,
        Code::PermissionDenied,
        "the access token lacks the required scope",
    );
    // `all`: one of the two scopes is not enough.
    let result = call(
        channel.clone(),
        DELETE_ORDER,
        request("1", Some(&write_only)),
    )
    .await;
    assert_code(
        &result,
        Code::PermissionDenied,
        "the access token lacks the required scope",
    );
    let result = call(channel.clone(), GET_ORDER, request("1", Some(&write_only))).await;
    assert_code(
        &result,
        Code::PermissionDenied,
        "the access token lacks the required scope",
    );
    assert_eq!(server.orders.handled(), 0);

    // The read-only token does get what it is entitled to.
    let reply = call(channel, GET_ORDER, request("7", Some(&read_only)))
        .await
        .unwrap();
    assert_eq!(reply.get_ref().id, "7");
    assert_eq!(server.orders.handled(), 1);
}

#[tokio::test]
async fn unmapped_method_is_permission_denied() {
    let (issuer, server) = setup().await;
    let channel = server.channel().await.unwrap();
    let all = token(&issuer, &ALL_SCOPES);
    // Implemented by the server, but not in the scope map.
    let result = call(channel.clone(), PING, request("1", Some(&all))).await;
    assert_code(
        &result,
        Code::PermissionDenied,
        "method not allowed for any token",
    );
    // Not even implemented: the map still answers first, so nothing about the service leaks.
    let result = call(
        channel.clone(),
        "/orders.v1.Orders/NoSuchMethod",
        request("1", Some(&all)),
    )
    .await;
    assert_code(
        &result,
        Code::PermissionDenied,
        "method not allowed for any token",
    );
    // Path matching is exact.
    let result = call(
        channel,
        "/orders.v1.Orders/GetOrder/",
        request("1", Some(&all)),
    )
    .await;
    assert_code(
        &result,
        Code::PermissionDenied,
        "method not allowed for any token",
    );
    assert_eq!(server.orders.handled(), 0);
}

#[tokio::test]
async fn valid_token_reaches_the_handler_with_the_verified_token() {
    let (issuer, server) = setup().await;
    let channel = server.channel().await.unwrap();
    let all = token(&issuer, &ALL_SCOPES);

    let reply = call(channel.clone(), WHO_AM_I, request("42", Some(&all)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.id, "42");
    assert_eq!(reply.method, WHO_AM_I);
    assert_eq!(reply.client_id, DEFAULT_CLIENT_ID);
    let mut scopes = reply.scopes.clone();
    scopes.sort();
    assert_eq!(scopes, ["orders/admin", "orders/read", "orders/write"]);

    let reply = call(channel.clone(), GET_ORDER, request("1", Some(&all)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.method, GET_ORDER);
    let reply = call(channel.clone(), DELETE_ORDER, request("1", Some(&all)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.method, DELETE_ORDER);

    // A token with no scopes at all is enough where only authentication is required.
    let bare = token(&issuer, &[]);
    let reply = call(channel.clone(), WHO_AM_I, request("1", Some(&bare)))
        .await
        .unwrap()
        .into_inner();
    assert!(reply.scopes.is_empty());

    // The scheme is case-insensitive in gRPC metadata too.
    let mut req = request("1", None);
    req.metadata_mut()
        .insert("authorization", format!("bearer {all}").parse().unwrap());
    call(channel, GET_ORDER, req).await.unwrap();

    assert_eq!(server.orders.handled(), 5);
}

#[tokio::test]
async fn keys_unavailable_is_unavailable() {
    let (issuer, verifier) = failing_issuer_and_cold_verifier(1000).await;
    let server = orders_grpc::serve(verifier).await.unwrap();
    let channel = server.channel().await.unwrap();
    let all = token(&issuer, &ALL_SCOPES);
    // The first call triggers the fetch (which fails), the second is refused inside the
    // cooldown without a fetch: both are UNAVAILABLE, never UNAUTHENTICATED.
    for _ in 0..2 {
        let result = call(channel.clone(), GET_ORDER, request("1", Some(&all))).await;
        assert_code(
            &result,
            Code::Unavailable,
            "token keys are temporarily unavailable",
        );
    }
    assert!(issuer.jwks_requests() >= 1);
    assert_eq!(server.orders.handled(), 0);
}

#[tokio::test]
async fn repeated_or_binary_authorization_is_unauthenticated() {
    let (issuer, server) = setup().await;
    let channel = server.channel().await.unwrap();
    let all = token(&issuer, &ALL_SCOPES);
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {all}").parse().unwrap();

    // T14: the same valid token twice is still refused: never "use the first".
    let mut req = request("1", None);
    req.metadata_mut().append("authorization", bearer.clone());
    req.metadata_mut().append("authorization", bearer.clone());
    let result = call(channel.clone(), GET_ORDER, req).await;
    assert_code(
        &result,
        Code::Unauthenticated,
        "malformed authorization request",
    );

    // A good and a bad one.
    let mut req = request("1", None);
    req.metadata_mut().append("authorization", bearer);
    req.metadata_mut()
        .append("authorization", "Bearer abc.def.ghi".parse().unwrap());
    let result = call(channel.clone(), GET_ORDER, req).await;
    assert_code(
        &result,
        Code::Unauthenticated,
        "malformed authorization request",
    );

    // Only the ASCII `authorization` key counts: `authorization-bin` is no credential.
    let mut req = request("1", None);
    req.metadata_mut().append_bin(
        "authorization-bin",
        tonic::metadata::MetadataValue::from_bytes(format!("Bearer {all}").as_bytes()),
    );
    let result = call(channel, GET_ORDER, req).await;
    assert_code(&result, Code::Unauthenticated, "bearer token required");
    assert_eq!(server.orders.handled(), 0);
}

/// F7: the rejection is an HTTP 200 trailers-only answer (`grpc-status` in the headers, no
/// body), not a bare HTTP 401/403.
#[tokio::test]
async fn rejections_are_trailers_only_http_200() {
    let (issuer, server) = setup().await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let mut frame = vec![0_u8];
    let message = OrderRequest { id: "1".into() }.encode_to_vec();
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&message);
    let read_only = token(&issuer, &["orders/read"]);

    let cases = [
        (None, GET_ORDER, "16", None),
        (
            Some("Bearer abc.def.ghi"),
            GET_ORDER,
            "16",
            Some("invalid_token"),
        ),
        (Some("Bearer"), GET_ORDER, "16", Some("invalid_request")),
        (
            Some(format!("Bearer {read_only}")).as_deref(),
            DELETE_ORDER,
            "7",
            Some("insufficient_scope"),
        ),
    ]
    .map(|(a, p, s, e)| (a.map(str::to_owned), p, s, e));
    for (authorization, path, grpc_status, error) in cases {
        let mut builder = http
            .post(format!("http://{}{path}", server.addr))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(frame.clone());
        if let Some(value) = &authorization {
            builder = builder.header("authorization", value);
        }
        let response = builder.send().await.unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        assert_eq!(response.status(), 200, "{path} {authorization:?}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "application/grpc");
        assert_eq!(headers["grpc-status"], grpc_status);
        assert!(headers.contains_key("grpc-message"));
        // The HTTP challenge rides along for parity, with the same error code.
        let challenge = headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer realm=\"api\""), "{challenge}");
        match error {
            Some(error) => assert!(challenge.contains(&format!("error=\"{error}\""))),
            None => assert!(!challenge.contains("error="), "{challenge}"),
        }
        let signature = read_only.rsplit('.').next().unwrap();
        for value in headers.values() {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(!value.contains(signature) && !value.contains(DEFAULT_CLIENT_ID));
        }
        let body = response.bytes().await.unwrap();
        assert!(body.is_empty(), "trailers-only answers have no body");
    }
    assert_eq!(server.orders.handled(), 0);
}

/// The layered services keep the inner service's name, so tonic's router can route to them
/// (`add_service(AuthLayer::new(verifier).layer(svc))`).
#[test]
fn layered_services_forward_the_service_name() {
    use tollgate_tower::{Auth, GrpcScopes, RequireScopes};
    use tonic::server::NamedService;

    fn name<S: NamedService>() -> &'static str {
        S::NAME
    }
    assert_eq!(
        name::<Auth<orders_grpc::OrdersServer>>(),
        orders_grpc::SERVICE
    );
    assert_eq!(
        name::<GrpcScopes<orders_grpc::OrdersServer>>(),
        orders_grpc::SERVICE
    );
    assert_eq!(
        name::<RequireScopes<Auth<orders_grpc::OrdersServer>>>(),
        orders_grpc::SERVICE
    );
}
