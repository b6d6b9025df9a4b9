//! Where the token comes from, over real loopback HTTP (rows T16–T20 of the security
//! catalogue): `Authorization` stays the default and the only source unless configured;
//! a named header and a named cookie are opt-in; with several sources one order of precedence
//! applies, and two different tokens are 400 `invalid_request`, never a silent choice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use axum::Router;
use axum::http::HeaderName;
use axum::routing::get;
use common::orders_grpc::{OrderReply, OrderRequest, call};
use common::{ALL_SCOPES, issuer_and_verifier, token};
use tokio::net::TcpListener;
use tollgate::{AuthLayer, Authenticated, RequireScopesLayer, TokenSource, Verifier};
use tollgate_testkit::{DEFAULT_CLIENT_ID, TestIssuer};

const REALM: &str = "sources";

async fn whoami(Authenticated(token): Authenticated) -> String {
    format!("client {}", token.client_id().unwrap_or("?"))
}

async fn serve(layer: AuthLayer) -> SocketAddr {
    let app = Router::new()
        .route(
            "/whoami",
            get(whoami).route_layer(RequireScopesLayer::any(["orders/read"])),
        )
        .layer(layer.realm(REALM));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// `(status, WWW-Authenticate)` of `GET /whoami` with these header fields.
async fn send(addr: SocketAddr, fields: &[(&str, &str)]) -> (u16, String) {
    let mut request = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{addr}/whoami"));
    for (name, value) in fields {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge)
}

fn bare() -> String {
    format!("Bearer realm=\"{REALM}\"")
}

fn invalid_request() -> String {
    format!(
        "Bearer realm=\"{REALM}\", error=\"invalid_request\", error_description=\"malformed authorization request\""
    )
}

fn both_sources(verifier: Verifier) -> AuthLayer {
    AuthLayer::new(verifier).token_sources([
        TokenSource::Authorization,
        TokenSource::header(HeaderName::from_static("x-access-token")),
        TokenSource::cookie("__Host-access_token"),
    ])
}

struct Tokens {
    _issuer: TestIssuer,
    good: String,
    other: String,
}

async fn tokens(issuer: TestIssuer) -> Tokens {
    let good = token(&issuer, &ALL_SCOPES);
    let other = token(&issuer, &["orders/read"]);
    assert_ne!(good, other);
    Tokens {
        _issuer: issuer,
        good,
        other,
    }
}

/// T16: by default only `Authorization` is read; a cookie or another header holding a token is
/// no credential at all (the T13 answer, unchanged).
#[tokio::test]
async fn t16_authorization_is_the_default_and_only_source() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let addr = serve(AuthLayer::new(verifier)).await;
    let t = tokens(issuer).await;
    let bearer = format!("Bearer {}", t.good);
    assert_eq!(send(addr, &[("authorization", &bearer)]).await.0, 200);
    let cookie = format!("__Host-access_token={}", t.good);
    assert_eq!(send(addr, &[("cookie", &cookie)]).await, (401, bare()));
    assert_eq!(
        send(addr, &[("x-access-token", &t.good)]).await,
        (401, bare())
    );
}

/// T17: a configured cookie source authenticates; the cookie's value is the whole token.
#[tokio::test]
async fn t17_a_configured_cookie_authenticates() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let addr =
        serve(AuthLayer::new(verifier).token_sources([TokenSource::cookie("session")])).await;
    let t = tokens(issuer).await;
    let cookie = format!("theme=dark; session={}; lang=en", t.good);
    let (status, _) = send(addr, &[("cookie", &cookie)]).await;
    assert_eq!(status, 200);
    // `Authorization` is not read once the sources are configured without it.
    let bearer = format!("Bearer {}", t.good);
    assert_eq!(
        send(addr, &[("authorization", &bearer)]).await,
        (401, bare())
    );
    // A tampered cookie token is an invalid token, not a missing one.
    let tampered = format!("session={}x", t.good);
    let (status, challenge) = send(addr, &[("cookie", &tampered)]).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

/// T18: two different tokens in two sources are 400 `invalid_request`, in every pairing and
/// whichever would come first; two cookies of the name with different values too.
#[tokio::test]
async fn t18_two_different_tokens_in_two_sources_are_400() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let addr = serve(both_sources(verifier)).await;
    let t = tokens(issuer).await;
    let bearer = |token: &str| format!("Bearer {token}");
    let cookie = |token: &str| format!("__Host-access_token={token}");
    let cases: [Vec<(&str, String)>; 5] = [
        vec![
            ("authorization", bearer(&t.good)),
            ("cookie", cookie(&t.other)),
        ],
        vec![
            ("authorization", bearer(&t.other)),
            ("cookie", cookie(&t.good)),
        ],
        vec![
            ("authorization", bearer(&t.good)),
            ("x-access-token", t.other.clone()),
        ],
        vec![
            ("x-access-token", t.good.clone()),
            ("cookie", cookie(&t.other)),
        ],
        vec![(
            "cookie",
            format!("{}; {}", cookie(&t.good), cookie(&t.other)),
        )],
    ];
    for case in cases {
        let fields: Vec<(&str, &str)> = case.iter().map(|(n, v)| (*n, v.as_str())).collect();
        assert_eq!(
            send(addr, &fields).await,
            (400, invalid_request()),
            "{fields:?}"
        );
    }
}

/// T19: the same token in several sources is that token; each source alone works; another
/// scheme in `Authorization` is no token there, so the cookie's is used.
#[tokio::test]
async fn t19_the_same_token_in_several_sources_is_that_token() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let addr = serve(both_sources(verifier)).await;
    let t = tokens(issuer).await;
    let bearer = format!("Bearer {}", t.good);
    let cookie = format!("__Host-access_token={}", t.good);
    for fields in [
        vec![("authorization", bearer.as_str())],
        vec![("x-access-token", t.good.as_str())],
        vec![("cookie", cookie.as_str())],
        vec![
            ("authorization", bearer.as_str()),
            ("cookie", cookie.as_str()),
        ],
        vec![
            ("authorization", bearer.as_str()),
            ("x-access-token", t.good.as_str()),
            ("cookie", cookie.as_str()),
        ],
        vec![
            ("authorization", "Basic dXNlcjpwYXNz"),
            ("cookie", cookie.as_str()),
        ],
    ] {
        assert_eq!(send(addr, &fields).await.0, 200, "{fields:?}");
    }
    assert_eq!(send(addr, &[]).await, (401, bare()));
}

/// T20: a malformed credential in any configured source is 400, even next to a good token:
/// an empty or quoted cookie, a repeated header, `Bearer` alone.
#[tokio::test]
async fn t20_a_malformed_source_is_400_even_next_to_a_good_token() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let addr = serve(both_sources(verifier)).await;
    let t = tokens(issuer).await;
    let bearer = format!("Bearer {}", t.good);
    let quoted = format!("__Host-access_token=\"{}\"", t.good);
    for fields in [
        vec![
            ("authorization", bearer.as_str()),
            ("cookie", "__Host-access_token="),
        ],
        vec![
            ("authorization", bearer.as_str()),
            ("cookie", quoted.as_str()),
        ],
        vec![
            ("authorization", "Bearer"),
            ("x-access-token", t.good.as_str()),
        ],
        vec![
            ("x-access-token", t.good.as_str()),
            ("x-access-token", t.good.as_str()),
        ],
    ] {
        assert_eq!(
            send(addr, &fields).await,
            (400, invalid_request()),
            "{fields:?}"
        );
    }
    // One method per request still holds: a query token next to the cookie is 400.
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{addr}/whoami?access_token={}", t.good))
        .header("cookie", format!("__Host-access_token={}", t.good))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

/// T18 over gRPC: two different tokens are `UNAUTHENTICATED` with the fixed message; the cookie
/// source works for gRPC clients too.
#[tokio::test]
async fn t18_grpc_two_different_tokens_are_unauthenticated() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let server = common::orders_grpc::serve_with(both_sources(verifier))
        .await
        .unwrap();
    let channel = server.channel().await.unwrap();
    let t = tokens(issuer).await;
    let request = |fields: &[(&'static str, String)]| {
        let mut request = tonic::Request::new(OrderRequest { id: "1".into() });
        for (name, value) in fields {
            request.metadata_mut().insert(*name, value.parse().unwrap());
        }
        request
    };
    let path = common::orders_grpc::GET_ORDER;
    let ok: OrderReply = call(
        channel.clone(),
        path,
        request(&[("cookie", format!("__Host-access_token={}", t.good))]),
    )
    .await
    .unwrap()
    .into_inner();
    assert_eq!(ok.client_id, DEFAULT_CLIENT_ID);
    let status = call(
        channel,
        path,
        request(&[
            ("authorization", format!("Bearer {}", t.good)),
            ("cookie", format!("__Host-access_token={}", t.other)),
        ]),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(status.message(), "malformed authorization request");
}
