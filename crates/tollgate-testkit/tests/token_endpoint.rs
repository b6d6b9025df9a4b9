//! `POST /oauth2/token`: Cognito's client-credentials grant over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::Value;
use tollgate_testkit::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SigningKey, TestIssuer};

const FORM: &str = "application/x-www-form-urlencoded";

fn http() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// Status, `error` code, and the `WWW-Authenticate` header of an error answer.
async fn refused(response: reqwest::Response) -> (StatusCode, String, Option<String>) {
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    let body: Value = response.json().await.unwrap();
    assert!(body["error_description"].is_string(), "{body}");
    (
        status,
        body["error"].as_str().unwrap().to_owned(),
        challenge,
    )
}

async fn post_raw(
    issuer: &TestIssuer,
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut request = http().post(issuer.token_url()).body(body.to_owned());
    if let Some(ct) = content_type {
        request = request.header(CONTENT_TYPE, ct);
    }
    if let Some(auth) = authorization {
        request = request.header(AUTHORIZATION, auth);
    }
    request.send().await.unwrap()
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn default_basic() -> String {
    basic(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
}

#[tokio::test]
async fn client_secret_basic_gets_a_verifiable_cognito_access_token() {
    let issuer = common::issuer().await;
    let response = http()
        .post(issuer.token_url())
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "orders/read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let mut names: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["access_token", "expires_in", "token_type"]);

    let token = body["access_token"].as_str().unwrap();
    let claims = common::verify(token, &issuer.signing_key(), Some(&issuer.issuer_url()));
    assert_eq!(claims["sub"], DEFAULT_CLIENT_ID);
    assert_eq!(claims["client_id"], DEFAULT_CLIENT_ID);
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["scope"], "orders/read");
    assert_eq!(claims["version"], 2);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(claims["auth_time"], claims["iat"]);
    assert!(claims.get("aud").is_none());
    assert_eq!(common::header_of(token)["kid"], issuer.signing_key().kid());
    assert_eq!(issuer.token_requests(), 1);
}

#[tokio::test]
async fn client_secret_post_works_too() {
    let issuer = common::issuer().await;
    let response = http()
        .post(issuer.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("scope", "orders/write"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let claims = common::payload_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "orders/write");
}

#[tokio::test]
async fn no_scope_grants_every_allowed_scope() {
    let issuer = common::issuer().await;
    for body in [
        "grant_type=client_credentials",
        "grant_type=client_credentials&scope=",
    ] {
        let response = post_raw(&issuer, Some(FORM), Some(&default_basic()), body).await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        let body: Value = response.json().await.unwrap();
        let claims = common::payload_of(body["access_token"].as_str().unwrap());
        assert_eq!(claims["scope"], "orders/read orders/write orders/admin");
    }
}

#[tokio::test]
async fn a_subset_of_scopes_is_granted_in_request_order_without_duplicates() {
    let issuer = common::issuer().await;
    let body = "grant_type=client_credentials&scope=orders%2Fwrite+orders/read%20%20orders/write";
    let response = post_raw(&issuer, Some(FORM), Some(&default_basic()), body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let claims = common::payload_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "orders/write orders/read");
}

#[tokio::test]
async fn a_scope_outside_the_clients_allowance_is_invalid_scope() {
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .resource_server("orders", &["read", "write"])
        .resource_server("https://billing.example.com", &["pay"])
        .client("reader", "reader-secret", &["orders/read"])
        .start()
        .await
        .unwrap();
    for scope in [
        "orders/write",
        "orders/read orders/write",
        "read",
        "https://billing.example.com/pay",
        "ORDERS/READ",
    ] {
        let response = http()
            .post(issuer.token_url())
            .basic_auth("reader", Some("reader-secret"))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .await
            .unwrap();
        let (status, error, _) = refused(response).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_scope"),
            "{scope}"
        );
    }
    // The allowed one works.
    let response = http()
        .post(issuer.token_url())
        .basic_auth("reader", Some("reader-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "orders/read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_secret_or_unknown_client_is_invalid_client_401() {
    let issuer = common::issuer().await;
    let body = "grant_type=client_credentials";
    for auth in [
        basic(DEFAULT_CLIENT_ID, "wrong"),
        basic(DEFAULT_CLIENT_ID, ""),
        basic(DEFAULT_CLIENT_ID, &format!("{DEFAULT_CLIENT_SECRET}x")),
        basic("nobody", DEFAULT_CLIENT_SECRET),
    ] {
        let (status, error, challenge) =
            refused(post_raw(&issuer, Some(FORM), Some(&auth), body).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(error, "invalid_client");
        assert!(challenge.unwrap().starts_with("Basic realm=\""));
    }
    // client_secret_post with a wrong secret.
    let body =
        format!("grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret=nope");
    let (status, error, _) = refused(post_raw(&issuer, Some(FORM), None, &body).await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
}

#[tokio::test]
async fn broken_or_foreign_authorization_is_invalid_client() {
    let issuer = common::issuer().await;
    let body = "grant_type=client_credentials";
    for auth in [
        "Bearer abc",
        "Basic !!!notbase64",
        "Basic",
        &format!("Basic {}", STANDARD.encode("no-colon")),
    ] {
        let (status, error, _) =
            refused(post_raw(&issuer, Some(FORM), Some(auth), body).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::UNAUTHORIZED, "invalid_client"),
            "{auth}"
        );
    }
}

#[tokio::test]
async fn no_client_authentication_is_invalid_client() {
    let issuer = common::issuer().await;
    for body in [
        "grant_type=client_credentials".to_owned(),
        format!("grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}"),
    ] {
        let (status, error, _) = refused(post_raw(&issuer, Some(FORM), None, &body).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::UNAUTHORIZED, "invalid_client")
        );
    }
}

#[tokio::test]
async fn two_authentication_methods_at_once_are_invalid_request() {
    let issuer = common::issuer().await;
    let body = format!(
        "grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}"
    );
    let (status, error, _) =
        refused(post_raw(&issuer, Some(FORM), Some(&default_basic()), &body).await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );

    // A body client_id that contradicts the Basic credentials.
    let body = "grant_type=client_credentials&client_id=someone-else";
    let (status, error, _) =
        refused(post_raw(&issuer, Some(FORM), Some(&default_basic()), body).await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );

    // Two Authorization headers.
    let response = http()
        .post(issuer.token_url())
        .header(CONTENT_TYPE, FORM)
        .header(AUTHORIZATION, default_basic())
        .header(AUTHORIZATION, default_basic())
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let (status, error, _) = refused(response).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
}

#[tokio::test]
async fn basic_credentials_are_form_urlencoded_before_base64() {
    let id = "my client:1";
    let secret = "p@ss word+/%=";
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .client(id, secret, &["orders/read"])
        .start()
        .await
        .unwrap();
    let encode = |s: &str| -> String { form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let auth = basic(&encode(id), &encode(secret));
    let response = post_raw(
        &issuer,
        Some(FORM),
        Some(&auth),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        common::payload_of(body["access_token"].as_str().unwrap())["client_id"],
        id
    );

    // The default client is gone once a client is configured.
    let response = post_raw(
        &issuer,
        Some(FORM),
        Some(&default_basic()),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_content_type_must_be_form_urlencoded() {
    let issuer = common::issuer().await;
    let auth = default_basic();
    for content_type in [
        None,
        Some("application/json"),
        Some("text/plain"),
        Some("multipart/form-data"),
    ] {
        let body = "grant_type=client_credentials";
        let (status, error, _) =
            refused(post_raw(&issuer, content_type, Some(&auth), body).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            "{content_type:?}"
        );
    }
    let ok = post_raw(
        &issuer,
        Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
        Some(&auth),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn grant_type_is_required_and_must_be_client_credentials() {
    let issuer = common::issuer().await;
    let auth = default_basic();
    for body in ["", "scope=orders/read", "grant_type="] {
        let (status, error, _) =
            refused(post_raw(&issuer, Some(FORM), Some(&auth), body).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            "{body:?}"
        );
    }
    for grant in [
        "authorization_code",
        "refresh_token",
        "password",
        "CLIENT_CREDENTIALS",
    ] {
        let body = format!("grant_type={grant}");
        let (status, error, _) =
            refused(post_raw(&issuer, Some(FORM), Some(&auth), &body).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            "{grant}"
        );
    }
}

#[tokio::test]
async fn repeated_parameters_are_invalid_request() {
    let issuer = common::issuer().await;
    let auth = default_basic();
    for body in [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=orders/read&scope=orders/write",
        "grant_type=client_credentials&client_id=a&client_id=a",
    ] {
        let (status, error, _) =
            refused(post_raw(&issuer, Some(FORM), Some(&auth), body).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_request"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn token_lifetime_and_issuer_override_shape_issued_tokens() {
    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123";
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(1).unwrap())
        .region("eu-west-1")
        .pool_id("eu-west-1_AbCdEf123")
        .issuer_override(iss)
        .token_lifetime(Duration::from_secs(300))
        .start()
        .await
        .unwrap();
    let response = post_raw(
        &issuer,
        Some(FORM),
        Some(&default_basic()),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 300);
    let claims = common::verify(
        body["access_token"].as_str().unwrap(),
        &issuer.signing_key(),
        Some(iss),
    );
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        300
    );
}

#[tokio::test]
async fn only_post_is_routed_and_every_request_is_counted() {
    let issuer = common::issuer().await;
    let get = http().get(issuer.token_url()).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    let _ = post_raw(&issuer, None, None, "").await;
    let _ = post_raw(
        &issuer,
        Some(FORM),
        Some(&default_basic()),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(issuer.token_requests(), 2);
}

#[tokio::test]
async fn tokens_minted_without_http_match_the_endpoint() {
    let issuer = common::issuer().await;
    let token = issuer.access_token("any-client", &["x/y"]).unwrap();
    let claims = common::verify(&token, &issuer.signing_key(), Some(&issuer.issuer_url()));
    assert_eq!(claims["client_id"], "any-client");
    assert_eq!(claims["scope"], "x/y");
    assert_eq!(issuer.token_requests(), 0);

    let tweaked = issuer.token_builder("c", &[]).claim("token_use", "id");
    let claims = common::verify(&issuer.sign(&tweaked).unwrap(), &issuer.signing_key(), None);
    assert_eq!(claims["token_use"], "id");
    assert_eq!(claims["iss"], issuer.issuer_url());

    let id_token = issuer.id_token("c", &["g"]).unwrap();
    assert_eq!(common::payload_of(&id_token)["aud"], "c");
}
