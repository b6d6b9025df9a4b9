//! `examples/resource_server` with `TOLLGATE_ALGORITHMS`: its configuration code and router
//! as shipped (the example's own modules), against a testkit issuer whose JWKS holds an EC
//! P-256 and an Ed25519 key, over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/common/orders_api.rs"]
mod orders_api;
// The example's `main` reads the process environment (`Config::from_env`); tests use
// `from_lookup`.
#[allow(dead_code)]
#[path = "../examples/common/resource_server_config.rs"]
mod resource_server_config;

use std::collections::HashMap;

use resource_server_config::{Config, algorithms, build_verifier};
use tokio::net::TcpListener;
use tollgate::Algorithm;
use tollgate_testkit::{DEFAULT_CLIENT_ID, JwsAlg, SigningKey, TestIssuer};

fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(|name| vars.get(name).cloned())
}

#[test]
fn tollgate_algorithms_is_read_exactly_and_rs256_stays_the_default() {
    assert_eq!(algorithms(None), Ok(vec![Algorithm::Rs256]));
    assert_eq!(
        algorithms(Some("ES256, EdDSA")),
        Ok(vec![Algorithm::Es256, Algorithm::EdDsa])
    );
    assert_eq!(
        algorithms(Some("PS256,PS384,PS512,ES384,RS512")),
        Ok(vec![
            Algorithm::Ps256,
            Algorithm::Ps384,
            Algorithm::Ps512,
            Algorithm::Es384,
            Algorithm::Rs512
        ])
    );
    for (value, named) in [
        ("ES256,HS256", "\"HS256\""),
        ("es256", "\"es256\""),
        ("ES512", "\"ES512\""),
        ("none", "\"none\""),
        ("Ed25519", "\"Ed25519\""),
    ] {
        let message = algorithms(Some(value)).unwrap_err();
        assert!(message.contains(named), "{value}: {message}");
        assert!(message.starts_with("TOLLGATE_ALGORITHMS"), "{message}");
    }
    assert!(algorithms(Some(" , ")).is_err());
    // Through the whole configuration, as the example reads it (an error exits with 2).
    let iss = [("TOLLGATE_ISSUER", "https://issuer.example")];
    let default = config(&iss).unwrap();
    assert_eq!(default.algorithms, [Algorithm::Rs256]);
    assert_eq!(default.listen.to_string(), "127.0.0.1:3000");
    let error = config(&[iss[0], ("TOLLGATE_ALGORITHMS", "ES256,XS999")])
        .err()
        .unwrap();
    assert!(error.contains("\"XS999\""), "{error}");
}

#[tokio::test]
async fn es256_and_eddsa_tokens_are_verified_when_configured_and_refused_by_default() {
    let ec = SigningKey::generate_for(JwsAlg::Es256).unwrap();
    let ed = SigningKey::generate_for(JwsAlg::EdDsa).unwrap();
    let issuer = TestIssuer::builder()
        .signing_key(ec.clone())
        .publish_key(ed.clone())
        .publish_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    let es256 = issuer
        .access_token(DEFAULT_CLIENT_ID, &["orders/read"])
        .unwrap();
    let eddsa = issuer
        .token_builder(DEFAULT_CLIENT_ID, &["orders/read"])
        .sign(&ed)
        .unwrap();
    let rs256 = issuer
        .token_builder(DEFAULT_CLIENT_ID, &["orders/read"])
        .sign(&SigningKey::fixture(0).unwrap())
        .unwrap();
    let iss = issuer.issuer_url();
    let jwks = issuer.jwks_url();
    let base = [
        ("TOLLGATE_ISSUER", iss.as_str()),
        ("TOLLGATE_JWKS_URL", jwks.as_str()),
        ("TOLLGATE_CLIENT_IDS", DEFAULT_CLIENT_ID),
    ];
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    for (algorithms, expected) in [
        (Some("ES256,EdDSA"), [200, 200, 401]),
        (None, [401, 401, 200]),
    ] {
        let mut vars = base.to_vec();
        if let Some(value) = algorithms {
            vars.push(("TOLLGATE_ALGORITHMS", value));
        }
        let config = config(&vars).unwrap();
        let verifier = build_verifier(&config).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, orders_api::router(verifier))
                .await
                .unwrap();
        });
        for (token, status) in [&es256, &eddsa, &rs256].into_iter().zip(expected) {
            let response = client
                .get(format!("http://{addr}/orders"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), status, "{algorithms:?}");
        }
        server.abort();
    }
}
