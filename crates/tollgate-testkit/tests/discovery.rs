//! OIDC discovery, defaults and the issuer override.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use tollgate_testkit::{DEFAULT_POOL_ID, DEFAULT_REGION, SigningKey, TestIssuer};

async fn discover(issuer: &TestIssuer) -> Value {
    let response = reqwest::get(issuer.discovery_url()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    response.json().await.unwrap()
}

#[tokio::test]
async fn defaults_are_cognito_shaped_and_urls_are_usable_at_once() {
    // The one test here that pays for key generation (the default).
    let issuer = TestIssuer::start().await.unwrap();
    assert_eq!(issuer.region(), DEFAULT_REGION);
    assert_eq!(issuer.pool_id(), DEFAULT_POOL_ID);
    assert_eq!(issuer.pool_id(), "us-east-1_TestPool1");
    let base = issuer.base_url();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(
        issuer.local_addr().to_string(),
        base.trim_start_matches("http://")
    );
    assert_eq!(issuer.issuer_url(), format!("{base}/us-east-1_TestPool1"));
    assert_eq!(
        issuer.jwks_url(),
        format!("{base}/us-east-1_TestPool1/.well-known/jwks.json")
    );
    assert_eq!(
        issuer.discovery_url(),
        format!("{base}/us-east-1_TestPool1/.well-known/openid-configuration")
    );
    assert_eq!(issuer.token_url(), format!("{base}/oauth2/token"));
    assert!(issuer.signing_key().kid().contains(['+', '/']));
    let debug = format!("{issuer:?}");
    assert!(debug.contains(&base));
}

#[tokio::test]
async fn discovery_lists_the_endpoints_and_capabilities() {
    let issuer = common::issuer().await;
    let doc = discover(&issuer).await;
    assert_eq!(doc["issuer"], issuer.issuer_url());
    assert_eq!(doc["jwks_uri"], issuer.jwks_url());
    assert_eq!(doc["token_endpoint"], issuer.token_url());
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{}/oauth2/authorize", issuer.base_url())
    );
    assert_eq!(doc["response_types_supported"], json!(["code", "token"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(doc["grant_types_supported"], json!(["client_credentials"]));
    assert_eq!(
        doc["scopes_supported"],
        json!([
            "openid",
            "email",
            "phone",
            "profile",
            "orders/read",
            "orders/write",
            "orders/admin"
        ])
    );
    assert_eq!(issuer.discovery_requests(), 1);
    assert_eq!(issuer.jwks_requests(), 0);

    // jwks_uri really serves the keys.
    let set: Value = reqwest::get(doc["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(set["keys"][0]["kid"], issuer.signing_key().kid());
}

#[tokio::test]
async fn the_issuer_override_changes_iss_but_keys_stay_on_loopback() {
    let iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .issuer_override(iss)
        .start()
        .await
        .unwrap();
    assert_eq!(issuer.issuer_url(), iss);
    assert!(issuer.jwks_url().starts_with("http://127.0.0.1:"));
    let doc = discover(&issuer).await;
    assert_eq!(doc["issuer"], iss);
    assert_eq!(doc["jwks_uri"], issuer.jwks_url());
    let claims = common::verify(
        &issuer.access_token("c", &[]).unwrap(),
        &issuer.signing_key(),
        Some(iss),
    );
    assert_eq!(claims["iss"], iss);
}

#[tokio::test]
async fn set_discovery_issuer_lies_until_reset() {
    let issuer = common::issuer().await;
    issuer.set_discovery_issuer(Some("https://evil.example"));
    assert_eq!(discover(&issuer).await["issuer"], "https://evil.example");
    // Tokens are unaffected.
    let token = issuer.access_token("c", &[]).unwrap();
    assert_eq!(common::payload_of(&token)["iss"], issuer.issuer_url());
    issuer.set_discovery_issuer(None);
    assert_eq!(discover(&issuer).await["issuer"], issuer.issuer_url());
    assert_eq!(issuer.discovery_requests(), 2);
}

#[tokio::test]
async fn custom_region_pool_and_resource_servers_show_up() {
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .region("eu-central-1")
        .resource_server("https://api.example.com", &["read"])
        .start()
        .await
        .unwrap();
    assert_eq!(issuer.region(), "eu-central-1");
    assert_eq!(issuer.pool_id(), "eu-central-1_TestPool1");
    let doc = discover(&issuer).await;
    assert_eq!(
        doc["scopes_supported"],
        json!([
            "openid",
            "email",
            "phone",
            "profile",
            "https://api.example.com/read"
        ])
    );

    let other = format!(
        "{}/eu-central-1_Other/.well-known/openid-configuration",
        issuer.base_url()
    );
    assert_eq!(
        reqwest::get(other).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(issuer.discovery_requests(), 1);
}

#[test]
fn starting_outside_a_tokio_runtime_is_an_error_not_a_panic() {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    let mut start = pin!(
        TestIssuer::builder()
            .signing_key(SigningKey::fixture(0).unwrap())
            .start()
    );
    let mut cx = Context::from_waker(Waker::noop());
    match start.as_mut().poll(&mut cx) {
        Poll::Ready(Err(tollgate_testkit::TestkitError::NoRuntime)) => {}
        other => panic!("unexpected: {other:?}"),
    }
}

#[tokio::test]
async fn jwks_uri_can_be_overridden_and_restored() {
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    issuer.set_discovery_jwks_uri(Some("https://keys.example.com/jwks.json"));
    assert_eq!(
        discover(&issuer).await["jwks_uri"],
        "https://keys.example.com/jwks.json"
    );
    assert_eq!(discover(&issuer).await["issuer"], issuer.issuer_url());
    issuer.set_discovery_jwks_uri(None);
    assert_eq!(discover(&issuer).await["jwks_uri"], issuer.jwks_url());
}
