//! The forward-auth endpoint: the decision of the route table, answered to a gateway.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use http::StatusCode;
use tollgate_testkit::DEFAULT_CLIENT_ID;

fn config(issuer_toml: &str) -> String {
    format!(
        r#"
[forward_auth]
path = "/_auth"

[claim_headers]
x-auth-sub = "sub"
x-auth-scope = "scope"

[[route]]
path = "/orders/{{*rest}}"
methods = ["GET"]
require = {{ scopes = {{ any = ["orders/read"] }} }}

[[route]]
path = "/public"
require = "anonymous"
{issuer_toml}"#
    )
}

#[tokio::test]
async fn decisions_for_nginx_and_traefik() {
    let issuer = common::issuer().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer))).await;
    let client = common::http1();
    let read = common::token(&issuer, &["orders/read"]);
    let write = common::token(&issuer, &["orders/write"]);
    let ask = |method: &str, uri: &str, token: Option<&str>, traefik: bool| {
        let (m, u) = if traefik {
            ("x-forwarded-method", "x-forwarded-uri")
        } else {
            ("x-original-method", "x-original-uri")
        };
        let mut request = client
            .get(gateway.url("/_auth"))
            .header(m, method)
            .header(u, uri)
            // What the auth request's own client sent: never copied into the answer.
            .header("x-auth-sub", "spoofed");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    for traefik in [false, true] {
        let allowed = ask("GET", "/orders/1?x=1", Some(&read), traefik)
            .await
            .unwrap();
        assert_eq!(allowed.status(), StatusCode::OK);
        assert_eq!(allowed.headers()["x-auth-sub"], DEFAULT_CLIENT_ID);
        assert_eq!(allowed.headers()["x-auth-scope"], "orders/read");

        let missing = ask("GET", "/orders/1", None, traefik).await.unwrap();
        assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            missing.headers()["www-authenticate"],
            r#"Bearer realm="api""#
        );
        assert!(!missing.headers().contains_key("x-auth-sub"));

        let forbidden = ask("GET", "/orders/1", Some(&write), traefik)
            .await
            .unwrap();
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            forbidden.headers()["www-authenticate"],
            r#"Bearer realm="api", error="insufficient_scope", scope="orders/read""#
        );

        // The original method decides: POST is not routed, so it is denied.
        let post = ask("POST", "/orders/1", Some(&read), traefik)
            .await
            .unwrap();
        assert_eq!(post.status(), StatusCode::FORBIDDEN);

        let public = ask("GET", "/public", None, traefik).await.unwrap();
        assert_eq!(public.status(), StatusCode::OK);
        assert!(!public.headers().contains_key("x-auth-sub"));

        let traversal = ask("GET", "/public/../orders/1", None, traefik)
            .await
            .unwrap();
        assert_eq!(traversal.status(), StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn a_grpc_request_still_gets_an_http_refusal() {
    // A gRPC rejection is HTTP 200 with grpc-status: a gateway would read it as "allowed".
    let issuer = common::issuer().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer))).await;
    let response = common::http1()
        .get(gateway.url("/_auth"))
        .header("x-original-method", "POST")
        .header("x-original-uri", "/orders/1")
        .header("content-type", "application/grpc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!response.headers().contains_key("grpc-status"));
}

#[tokio::test]
async fn requests_without_the_original_method_or_uri_are_refused() {
    let issuer = common::issuer().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer))).await;
    let client = common::http1();
    let token = common::token(&issuer, &["orders/read"]);
    for headers in [
        vec![("x-original-uri", "/orders/1")],
        vec![("x-original-method", "GET")],
        vec![
            ("x-original-method", "GET"),
            ("x-forwarded-method", "DELETE"),
            ("x-original-uri", "/orders/1"),
        ],
    ] {
        let mut request = client.get(gateway.url("/_auth")).bearer_auth(&token);
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{headers:?}");
    }
    // Without upstreams, nothing but the endpoint is served.
    let response = client
        .get(gateway.url("/orders/1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
