//! Every algorithm: keys of each kind sign tokens that an independent verifier (jsonwebtoken,
//! aws-lc backend) accepts from the published JWK; the issuer serves mixed key sets; the
//! `tollgate-test-issuer` binary starts with `--alg`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use tollgate_testkit::raw::{self, b64url};
use tollgate_testkit::{JwsAlg, KeyKind, SigningKey, TestIssuer, TestkitError, TokenBuilder};

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";

fn jsonwebtoken_alg(alg: JwsAlg) -> Algorithm {
    match alg {
        JwsAlg::Rs256 => Algorithm::RS256,
        JwsAlg::Rs384 => Algorithm::RS384,
        JwsAlg::Rs512 => Algorithm::RS512,
        JwsAlg::Ps256 => Algorithm::PS256,
        JwsAlg::Ps384 => Algorithm::PS384,
        JwsAlg::Ps512 => Algorithm::PS512,
        JwsAlg::Es256 => Algorithm::ES256,
        JwsAlg::Es384 => Algorithm::ES384,
        JwsAlg::EdDsa => Algorithm::EdDSA,
        other => panic!("no jsonwebtoken algorithm for {other}"),
    }
}

/// Verifies `token` with jsonwebtoken using only the published JWK of `key`.
fn verify_with_jwk(token: &str, key: &SigningKey, alg: JwsAlg) -> Value {
    let jwk: Jwk = serde_json::from_value(key.public_jwk()).unwrap();
    let decoding = DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = Validation::new(jsonwebtoken_alg(alg));
    validation.validate_aud = false;
    validation.set_issuer(&[ISS]);
    jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .unwrap_or_else(|e| panic!("{alg}: {e}"))
        .claims
}

#[test]
fn every_algorithm_signs_tokens_an_independent_verifier_accepts() {
    let now = jsonwebtoken::get_current_timestamp();
    for alg in JwsAlg::ALL {
        let key = SigningKey::generate_for(alg).unwrap();
        assert_eq!(key.algorithm(), alg);
        let token = TokenBuilder::access_token(ISS, "client-1", &["orders/read"], now)
            .sign(&key)
            .unwrap();
        assert_eq!(
            common::header_of(&token),
            json!({"alg": alg.name(), "kid": key.kid()}),
            "{alg}"
        );
        let claims = verify_with_jwk(&token, &key, alg);
        assert_eq!(claims["client_id"], "client-1", "{alg}");
    }
}

#[test]
fn keys_publish_their_kind_curve_and_algorithm() {
    let cases = [
        (JwsAlg::Rs256, KeyKind::Rsa, "RSA", None, 2048),
        (JwsAlg::Ps384, KeyKind::Rsa, "RSA", None, 2048),
        (JwsAlg::Es256, KeyKind::EcP256, "EC", Some("P-256"), 256),
        (JwsAlg::Es384, KeyKind::EcP384, "EC", Some("P-384"), 384),
        (JwsAlg::EdDsa, KeyKind::Ed25519, "OKP", Some("Ed25519"), 256),
    ];
    for (alg, kind, kty, crv, bits) in cases {
        let key = SigningKey::generate_for(alg).unwrap();
        assert_eq!(key.kind(), kind, "{alg}");
        assert_eq!(key.bits(), bits, "{alg}");
        let jwk = key.public_jwk();
        assert_eq!(jwk["kty"], kty, "{alg}");
        assert_eq!(jwk["alg"], alg.name(), "{alg}");
        assert_eq!(jwk["use"], "sig", "{alg}");
        assert_eq!(jwk.get("crv").and_then(Value::as_str), crv, "{alg}");
        assert!(jwk.get("d").is_none(), "{alg}: no private member");
        match kind {
            KeyKind::EcP256 | KeyKind::EcP384 => {
                // Full-length coordinates, leading zeros kept (RFC 7518 §6.2.1.2).
                let size = bits / 8;
                for coordinate in ["x", "y"] {
                    let text = jwk[coordinate].as_str().unwrap();
                    assert_eq!(common::b64_decode(text).len(), size, "{alg} {coordinate}");
                }
                assert_eq!(key.public_point().len(), 1 + 2 * size);
                assert!(key.modulus().is_empty() && key.public_key_pkcs1_der().is_empty());
            }
            KeyKind::Ed25519 => {
                assert_eq!(common::b64_decode(jwk["x"].as_str().unwrap()).len(), 32);
                assert!(jwk.get("y").is_none());
            }
            _ => assert!(key.public_point().is_empty()),
        }
        assert!(
            key.public_key_spki_pem()
                .starts_with("-----BEGIN PUBLIC KEY-----\n")
        );
    }
    // Without alg in the JWK, and with another one.
    let key = SigningKey::fixture(0).unwrap().without_jwk_alg();
    assert!(key.public_jwk().get("alg").is_none());
    assert_eq!(key.algorithm(), JwsAlg::Rs256);
    let pss = SigningKey::fixture(0).unwrap().with_alg(JwsAlg::Ps256);
    assert_eq!(pss.public_jwk()["alg"], "PS256");
}

#[test]
fn signatures_have_each_algorithms_form_and_keys_refuse_other_algorithms() {
    let rsa = SigningKey::fixture(0).unwrap();
    let p256 = SigningKey::generate_for(JwsAlg::Es256).unwrap();
    let p384 = SigningKey::generate_for(JwsAlg::Es384).unwrap();
    let ed = SigningKey::generate_for(JwsAlg::EdDsa).unwrap();
    assert_eq!(rsa.sign(JwsAlg::Ps512, b"m").unwrap().len(), 256);
    assert_eq!(p256.sign(JwsAlg::Es256, b"m").unwrap().len(), 64);
    assert_eq!(p384.sign(JwsAlg::Es384, b"m").unwrap().len(), 96);
    assert_eq!(ed.sign(JwsAlg::EdDsa, b"m").unwrap().len(), 64);
    for (key, alg) in [
        (&rsa, JwsAlg::Es256),
        (&rsa, JwsAlg::EdDsa),
        (&p256, JwsAlg::Es384),
        (&p256, JwsAlg::Rs256),
        (&p384, JwsAlg::Es256),
        (&ed, JwsAlg::Es256),
    ] {
        assert!(
            matches!(
                key.sign(alg, b"m"),
                Err(TestkitError::AlgorithmMismatch { .. })
            ),
            "{:?} {alg}",
            key.kind()
        );
    }
    // DER form of an ECDSA signature: a SEQUENCE of two INTEGERs.
    let der = raw::ecdsa_der(&p256.sign(JwsAlg::Es256, b"m").unwrap());
    assert_eq!(der[0], 0x30);
    assert_eq!(usize::from(der[1]), der.len() - 2);
    assert_eq!(der[2], 0x02);
}

#[test]
fn pss_with_another_salt_length_does_not_verify_as_jwa_pss() {
    use aws_lc_rs::signature::{RSA_PSS_2048_8192_SHA256, UnparsedPublicKey};
    let key = SigningKey::fixture(0).unwrap();
    let public = UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, key.public_key_pkcs1_der());
    let jwa = key.sign(JwsAlg::Ps256, b"m").unwrap();
    assert!(public.verify(b"m", &jwa).is_ok());
    let same_length = key.sign_pss_with_salt(JwsAlg::Ps256, 32, b"m").unwrap();
    assert!(public.verify(b"m", &same_length).is_ok());
    for salt in [0, 20, 64] {
        let other = key.sign_pss_with_salt(JwsAlg::Ps256, salt, b"m").unwrap();
        assert!(public.verify(b"m", &other).is_err(), "salt {salt}");
    }
    assert!(matches!(
        key.sign_pss_with_salt(JwsAlg::Rs256, 0, b"m"),
        Err(TestkitError::AlgorithmMismatch { .. })
    ));
}

#[tokio::test]
async fn an_issuer_signs_with_its_key_and_publishes_every_key() {
    let ec = SigningKey::generate_for(JwsAlg::Es256).unwrap();
    let ed = SigningKey::generate_for(JwsAlg::EdDsa).unwrap();
    let rsa = SigningKey::fixture(0).unwrap();
    let issuer = TestIssuer::builder()
        .signing_key(ec.clone())
        .publish_key(ed.clone())
        .publish_key(rsa.clone())
        .start()
        .await
        .unwrap();
    let jwks: Value = reqwest::get(issuer.jwks_url())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [ec.kid(), ed.kid(), rsa.kid()]);
    let token = issuer
        .access_token("tollgate-test-client", &["orders/read"])
        .unwrap();
    assert_eq!(common::header_of(&token)["alg"], "ES256");
    let jwk: Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_jwk(&jwk).unwrap(), &validation)
        .unwrap();
    issuer.shutdown().await;
}

/// The running binary, killed when dropped (also when an assertion fails first).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` and reads its output up to the line naming the JWKS URL.
fn start_binary(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate-test-issuer"))
        .args(args)
        .env_remove("TOLLGATE_TEST_ISSUER_FIXTURE")
        .env_remove("TOLLGATE_TEST_ISSUER_PORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut jwks_url = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix("JWKS") {
            jwks_url = url.trim().to_owned();
            break;
        }
    }
    (Running(child), jwks_url)
}

#[tokio::test]
async fn the_binary_serves_one_key_per_algorithm_given_by_flag() {
    let (running, jwks_url) = start_binary(&["--alg", "ES256,EdDSA"]);
    assert!(jwks_url.starts_with("http://127.0.0.1:"), "{jwks_url:?}");
    let jwks: Value = reqwest::get(&jwks_url).await.unwrap().json().await.unwrap();
    drop(running);
    let keys = jwks["keys"].as_array().unwrap();
    let shapes: Vec<(&str, &str, &str)> = keys
        .iter()
        .map(|k| {
            (
                k["kty"].as_str().unwrap(),
                k["crv"].as_str().unwrap(),
                k["alg"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shapes,
        [("EC", "P-256", "ES256"), ("OKP", "Ed25519", "EdDSA")]
    );
}

#[test]
fn the_binary_refuses_an_unknown_algorithm_with_status_2_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_tollgate-test-issuer"))
        .args(["--alg", "ES256,HS256"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("\"HS256\""), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn padded_base64url_is_what_an_alb_writes() {
    assert_eq!(raw::b64url_padded(b"{}"), "e30=");
    assert_eq!(raw::b64url_padded(b"{\"a\"}"), "eyJhIn0=");
    assert_eq!(raw::b64url(b"{}"), "e30");
    assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
    assert_eq!(raw::b64url_padded(&[0xfb, 0xff]), "-_8=");
}
