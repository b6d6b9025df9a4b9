//! `examples/resource_server`'s `GET /reports` (scope `orders/admin`, or `analysts` in
//! `cognito:groups`) with `TOLLGATE_TOKEN_USE`: Cognito access tokens (the default), ID
//! tokens (`id`) and tokens of an OIDC issuer (`none`) reach it through their groups, while the
//! client-id and audience checks stay as they are. The example's own configuration code and
//! router, over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/common/orders_api.rs"]
mod orders_api;
// The example's `main` reads the process environment (`Config::from_env`); tests use
// `from_lookup`.
#[allow(dead_code)]
#[path = "../examples/common/resource_server_config.rs"]
mod resource_server_config;

use std::collections::HashMap;
use std::net::SocketAddr;

use resource_server_config::{Config, build_verifier};
use tokio::net::TcpListener;
use tollgate_testkit::{DEFAULT_CLIENT_ID, SigningKey, TestIssuer};

async fn serve(issuer: &TestIssuer, vars: &[(&str, &str)]) -> SocketAddr {
    let iss = issuer.issuer_url();
    let mut all: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    all.insert("TOLLGATE_ISSUER".to_owned(), iss);
    let config = Config::from_lookup(|name| all.get(name).cloned()).unwrap();
    let verifier = build_verifier(&config).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, orders_api::router(verifier))
            .await
            .unwrap();
    });
    addr
}

/// `(status, WWW-Authenticate)` of `GET /reports`.
async fn reports(addr: SocketAddr, token: &str) -> (u16, String) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{addr}/reports"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), challenge)
}

const SCOPE_CHALLENGE: &str =
    r#"Bearer realm="orders-api", error="insufficient_scope", scope="orders/admin""#;

async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn access_tokens_reach_reports_by_scope_or_group() {
    let issuer = issuer().await;
    let addr = serve(&issuer, &[("TOLLGATE_CLIENT_IDS", DEFAULT_CLIENT_ID)]).await;
    let user = |groups: &[&str]| {
        issuer
            .sign(
                &issuer
                    .token_builder(DEFAULT_CLIENT_ID, &["openid"])
                    .claim("cognito:groups", groups.to_vec()),
            )
            .unwrap()
    };
    assert_eq!(reports(addr, &user(&["analysts"])).await.0, 200);
    let admin = issuer
        .access_token(DEFAULT_CLIENT_ID, &["orders/admin"])
        .unwrap();
    assert_eq!(reports(addr, &admin).await.0, 200);
    assert_eq!(
        reports(addr, &user(&["interns"])).await,
        (403, SCOPE_CHALLENGE.to_owned())
    );
    // An ID token is not an access token, groups or not.
    let id = issuer.id_token(DEFAULT_CLIENT_ID, &["analysts"]).unwrap();
    assert_eq!(reports(addr, &id).await.0, 401);
}

#[tokio::test]
async fn token_use_id_lets_id_tokens_with_groups_in_and_keeps_the_client_check() {
    let issuer = issuer().await;
    let addr = serve(
        &issuer,
        &[
            ("TOLLGATE_TOKEN_USE", "id"),
            ("TOLLGATE_CLIENT_IDS", DEFAULT_CLIENT_ID),
        ],
    )
    .await;
    let analyst = issuer.id_token(DEFAULT_CLIENT_ID, &["analysts"]).unwrap();
    assert_eq!(reports(addr, &analyst).await.0, 200);
    let intern = issuer.id_token(DEFAULT_CLIENT_ID, &["interns"]).unwrap();
    assert_eq!(
        reports(addr, &intern).await,
        (403, SCOPE_CHALLENGE.to_owned())
    );
    // The client check (through `aud` for ID tokens) is unchanged.
    let other_client = issuer.id_token("another-client", &["analysts"]).unwrap();
    assert_eq!(reports(addr, &other_client).await.0, 401);
    // Access tokens are refused by an ID-token configuration.
    let admin = issuer
        .access_token(DEFAULT_CLIENT_ID, &["orders/admin"])
        .unwrap();
    assert_eq!(reports(addr, &admin).await.0, 401);
}

#[tokio::test]
async fn token_use_none_lets_oidc_tokens_with_groups_in_and_keeps_the_audience_check() {
    let issuer = issuer().await;
    let addr = serve(
        &issuer,
        &[
            ("TOLLGATE_TOKEN_USE", "none"),
            ("TOLLGATE_AUDIENCE", DEFAULT_CLIENT_ID),
        ],
    )
    .await;
    // An OIDC token (`token_use` is not read): `aud` = the configured audience.
    let analyst = issuer.id_token(DEFAULT_CLIENT_ID, &["analysts"]).unwrap();
    assert_eq!(reports(addr, &analyst).await.0, 200);
    let intern = issuer.id_token(DEFAULT_CLIENT_ID, &["interns"]).unwrap();
    assert_eq!(
        reports(addr, &intern).await,
        (403, SCOPE_CHALLENGE.to_owned())
    );
    let other_audience = issuer.id_token("another-api", &["analysts"]).unwrap();
    assert_eq!(reports(addr, &other_audience).await.0, 401);
    // Without `aud` at all (a Cognito access token), the audience check refuses it.
    let no_aud = issuer
        .access_token(DEFAULT_CLIENT_ID, &["orders/admin"])
        .unwrap();
    assert_eq!(reports(addr, &no_aud).await.0, 401);
}
