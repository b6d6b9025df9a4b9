//! Error hygiene (security catalogue, docs/security-catalogue.md: the verifier contract's
//! error-hygiene rule, F6, CVE-2019-7644): neither `Display` nor `Debug` of the errors real
//! tokens produce contains the token, a claim or header value, key material or a signature;
//! `Debug` of a verified token leaves personal claims out.
//!
//! The exhaustive half lives in the crate (`src/error.rs`, unit tests), where a `match`
//! without a wildcard can name every variant of the `#[non_exhaustive]` errors: every
//! `VerifyError` and `BuildError` variant is listed there, has a short message and its own
//! reason code, and no error repeats its source's text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::json;
use tollgate_testkit::raw::{self, b64url};

const MARKER: &str = "MARKER7f3a";

/// Fails if `text` contains any of `secrets` (whole, or a 12-character slice of one).
fn assert_clean(case: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{case}: {text:?} contains {secret:?}"
        );
        if secret.len() >= 12 {
            for start in (0..=secret.len() - 12).step_by(6) {
                if let Some(slice) = secret.get(start..start + 12) {
                    assert!(
                        !text.contains(slice),
                        "{case}: {text:?} contains part of a secret: {slice:?}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn errors_never_echo_the_token_its_claims_or_key_material() {
    let env = Env::with(|v| v.max_token_len(64 * 1024)).await;
    let marked = |value: &str| format!("{MARKER}-{value}");
    // Every string claim and header value carries the marker.
    let token = env
        .token()
        .claim("sub", marked("sub"))
        .claim("username", marked("user"))
        .claim("jti", marked("jti"))
        .claim("custom:tenant", marked("tenant"))
        .claim("cognito:groups", json!([marked("group")]));
    let (h, p, s) = segments(&env.sign(&token));
    let mut bad_signature = b64_decode(&s);
    bad_signature[10] ^= 1;
    let cases: Vec<(&str, String)> = vec![
        ("too long", format!("{MARKER}.{}", "a".repeat(70_000))),
        ("malformed", format!("{MARKER}+.{MARKER}.{MARKER}")),
        ("segment count", format!("{MARKER}.{MARKER}")),
        ("header", format!("{MARKER}.{p}.{s}")),
        ("payload", format!("{h}.{MARKER}.{s}")),
        ("signature", format!("{h}.{p}.{MARKER}A")),
        (
            "duplicate",
            env.raw(
                &format!(r#"{{"alg":"RS256","kid":"{MARKER}","kid":"{MARKER}"}}"#),
                &env.claims(&[]),
            ),
        ),
        ("alg", env.sign(&token.clone().header("alg", marked("alg")))),
        (
            "crit",
            env.sign(&token.clone().header("crit", json!([marked("crit")]))),
        ),
        (
            "jku",
            env.sign(
                &token
                    .clone()
                    .header("jku", format!("https://{MARKER}.example/jwks")),
            ),
        ),
        ("typ", env.sign(&token.clone().header("typ", marked("typ")))),
        ("kid", env.sign(&token.clone().header("kid", marked("kid")))),
        (
            "kid type",
            env.sign(&token.clone().header("kid", json!({ MARKER: MARKER }))),
        ),
        ("iss", env.sign(&token.clone().claim("iss", marked("iss")))),
        (
            "iss type",
            env.sign(&token.clone().claim("iss", json!([marked("iss")]))),
        ),
        (
            "exp type",
            env.sign(&token.clone().claim("exp", marked("exp"))),
        ),
        (
            "token_use",
            env.sign(&token.clone().claim("token_use", marked("use"))),
        ),
        (
            "client",
            env.sign(&token.clone().claim("client_id", marked("client"))),
        ),
        (
            "scope type",
            env.sign(&token.clone().claim("scope", json!([marked("scope")]))),
        ),
        ("expired", env.sign(&token.clone().expires_at(T0 - 3600))),
        (
            "signature invalid",
            raw::with_signature(&h, &p, &bad_signature),
        ),
    ];
    let jwk = env.key.public_jwk();
    let mut reasons = BTreeSet::new();
    for (name, token) in &cases {
        let error = env.verify(token).await.unwrap_err();
        reasons.insert(error.reason());
        let secrets = vec![
            MARKER.to_owned(),
            token.clone(),
            h.clone(),
            p.clone(),
            s.clone(),
            b64url(&bad_signature),
            jwk["n"].as_str().unwrap().to_owned(),
            env.key.kid().to_owned(),
            env.iss(),
            CLIENT.to_owned(),
        ];
        for text in [
            error.to_string(),
            format!("{error:?}"),
            format!("{error:#?}"),
        ] {
            assert_clean(name, &text, &secrets);
        }
    }
    assert!(
        reasons.len() >= 15,
        "the cases reach many different checks: {reasons:?}"
    );
}

#[tokio::test]
async fn verified_token_debug_leaves_personal_claims_out() {
    let env = Env::new().await;
    let token = env.sign(
        &env.token()
            .claim("sub", format!("{MARKER}-sub"))
            .claim("username", format!("{MARKER}-user"))
            .claim("email", format!("{MARKER}@example.com"))
            .claim("custom:tenant", MARKER)
            .claim("cognito:groups", json!([MARKER])),
    );
    let verified = env.verify(&token).await.unwrap();
    for text in [format!("{verified:?}"), format!("{:?}", verified.claims())] {
        assert!(!text.contains(MARKER), "{text}");
        assert!(!text.contains(&token), "{text}");
    }
    // What it does show: enough to identify the token's origin.
    let debug = format!("{verified:?}");
    assert!(
        debug.contains(CLIENT) && debug.contains("access"),
        "{debug}"
    );
}
