//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tollgate_testkit::{SigningKey, TestIssuer, raw::b64url};

/// An issuer with a fixture key (no key generation).
pub(crate) async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap()
}

/// Verifies an RS256 token with jsonwebtoken (aws-lc backend) against `key`,
/// requiring `iss` when given. Returns the claims.
pub(crate) fn verify(token: &str, key: &SigningKey, issuer: Option<&str>) -> Value {
    let decoding =
        DecodingKey::from_rsa_components(&b64url(key.modulus()), &b64url(key.exponent())).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    if let Some(iss) = issuer {
        validation.set_issuer(&[iss]);
        validation.set_required_spec_claims(&["exp", "iss"]);
    }
    jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .unwrap_or_else(|e| panic!("token does not verify: {e}"))
        .claims
}

/// The decoded JSON of a token's header segment.
pub(crate) fn header_of(token: &str) -> Value {
    segment(token, 0)
}

/// The decoded JSON of a token's payload segment.
pub(crate) fn payload_of(token: &str) -> Value {
    segment(token, 1)
}

fn segment(token: &str, index: usize) -> Value {
    use base64::Engine as _;
    let part = token.split('.').nth(index).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Verifies a raw signature over `message` with the key's public half (aws-lc).
pub(crate) fn rsa_signature_ok(
    key: &SigningKey,
    alg: &'static dyn aws_lc_rs::signature::VerificationAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> bool {
    aws_lc_rs::signature::UnparsedPublicKey::new(alg, key.public_key_pkcs1_der())
        .verify(message, signature)
        .is_ok()
}

/// Decodes unpadded base64url.
pub(crate) fn b64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}
