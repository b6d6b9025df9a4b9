//! Token minting: Cognito claims, header handling, alg variants and raw tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use tollgate_testkit::raw::{self, b64url};
use tollgate_testkit::{RsaAlg, SigningKey, TokenBuilder};

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
const FAR_FUTURE: u64 = 4_102_444_800; // 2100-01-01

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn signed_part(token: &str) -> (&str, Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    (input, URL_SAFE_NO_PAD.decode(sig).unwrap())
}

#[test]
fn access_token_carries_real_cognito_client_credentials_claims() {
    let key = SigningKey::fixture(0).unwrap();
    let now = now();
    let builder =
        TokenBuilder::access_token(ISS, "client-1", &["orders/read", "orders/write"], now);
    let token = builder.sign(&key).unwrap();

    let claims = common::verify(&token, &key, Some(ISS));
    assert_eq!(claims["sub"], "client-1");
    assert_eq!(claims["client_id"], "client-1");
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["scope"], "orders/read orders/write");
    assert_eq!(claims["iss"], ISS);
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["auth_time"], now);
    assert_eq!(claims["exp"], now + 3600);
    assert_eq!(claims["version"], 2);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
    assert!(claims.get("aud").is_none());
    let mut names: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "auth_time",
            "client_id",
            "exp",
            "iat",
            "iss",
            "jti",
            "scope",
            "sub",
            "token_use",
            "version"
        ]
    );

    // Header: exactly {"alg":"RS256","kid":...}, no typ.
    assert_eq!(
        common::header_of(&token),
        json!({"alg": "RS256", "kid": key.kid()})
    );
    // jti differs between tokens.
    let other = TokenBuilder::access_token(ISS, "client-1", &[], now);
    assert_ne!(other.claims()["jti"], builder.claims()["jti"]);
}

#[test]
fn id_token_carries_cognito_id_claims() {
    let key = SigningKey::fixture(0).unwrap();
    let now = now();
    let token = TokenBuilder::id_token(ISS, "client-1", &["admins", "users"], now)
        .sign(&key)
        .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["client-1"]);
    let decoding =
        DecodingKey::from_rsa_components(&b64url(key.modulus()), &b64url(key.exponent())).unwrap();
    let claims = jsonwebtoken::decode::<Value>(&token, &decoding, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["token_use"], "id");
    assert_eq!(claims["aud"], "client-1");
    assert_eq!(claims["cognito:groups"], json!(["admins", "users"]));
    assert_eq!(claims["cognito:username"], "testuser");
    assert_eq!(claims["email"], "testuser@example.com");
    assert_eq!(claims["exp"], now + 3600);
    for uuid in ["sub", "jti", "origin_jti", "event_id"] {
        assert_eq!(claims[uuid].as_str().unwrap().len(), 36, "{uuid}");
    }
    assert!(claims.get("client_id").is_none());
    assert!(claims.get("scope").is_none());

    let no_groups = TokenBuilder::id_token(ISS, "c", &[], now);
    assert!(no_groups.claims().get("cognito:groups").is_none());
}

#[test]
fn claims_can_be_changed_removed_and_mistyped() {
    let key = SigningKey::fixture(0).unwrap();
    let builder = TokenBuilder::access_token(ISS, "c", &["a"], 1000)
        .claim("exp", "9999999999")
        .claim("iss", json!([ISS]))
        .without_claim("token_use")
        .issued_at(5)
        .claim("custom", json!({"nested": [1, 2]}));
    assert_eq!(builder.claims()["exp"], "9999999999");
    assert_eq!(builder.claims()["iat"], 5);
    assert!(builder.claims().get("token_use").is_none());
    let payload = common::payload_of(&builder.sign(&key).unwrap());
    assert_eq!(payload, Value::Object(builder.claims().clone()));

    let expired = TokenBuilder::access_token(ISS, "c", &[], 1000).expires_at(1001);
    assert_eq!(expired.claims()["exp"], 1001);
}

#[test]
fn empty_builder_has_no_claims_and_an_rs256_header() {
    let empty = TokenBuilder::empty();
    assert!(empty.claims().is_empty());
    assert_eq!(
        Value::Object(empty.header_map().clone()),
        json!({"alg": "RS256"})
    );
    let token = empty.sign(&SigningKey::fixture(0).unwrap()).unwrap();
    assert_eq!(common::payload_of(&token), json!({}));
}

#[test]
fn kid_comes_from_the_key_unless_pinned_or_removed() {
    let key = SigningKey::fixture(0).unwrap();
    let base = TokenBuilder::access_token(ISS, "c", &[], now());

    assert_eq!(
        common::header_of(&base.sign(&key).unwrap())["kid"],
        key.kid()
    );

    let pinned = base
        .clone()
        .header("kid", "someone-else")
        .sign(&key)
        .unwrap();
    assert_eq!(common::header_of(&pinned)["kid"], "someone-else");

    let removed = base.clone().without_header("kid").sign(&key).unwrap();
    assert!(common::header_of(&removed).get("kid").is_none());
    // Removal sticks across further edits and keys.
    let still_removed = base
        .clone()
        .without_header("kid")
        .claim("x", 1)
        .sign(&SigningKey::fixture(1).unwrap())
        .unwrap();
    assert!(common::header_of(&still_removed).get("kid").is_none());

    let numeric = base
        .header("kid", 42)
        .header("typ", "at+jwt")
        .sign(&key)
        .unwrap();
    assert_eq!(
        common::header_of(&numeric),
        json!({"alg": "RS256", "kid": 42, "typ": "at+jwt"})
    );
}

#[test]
fn sign_with_sets_alg_unless_pinned() {
    let key = SigningKey::fixture(0).unwrap();
    let base = TokenBuilder::access_token(ISS, "c", &[], now());

    let rs512 = base.sign_with(&key, RsaAlg::Rs512).unwrap();
    assert_eq!(common::header_of(&rs512)["alg"], "RS512");

    // PSS signature while the header claims RS256: the wrong-primitive case.
    let pss = base
        .clone()
        .header("alg", "RS256")
        .sign_with(&key, RsaAlg::Ps256)
        .unwrap();
    assert_eq!(common::header_of(&pss)["alg"], "RS256");
    let (input, sig) = signed_part(&pss);
    assert!(common::rsa_signature_ok(
        &key,
        &RSA_PSS_2048_8192_SHA256,
        input.as_bytes(),
        &sig
    ));
    assert!(!common::rsa_signature_ok(
        &key,
        &RSA_PKCS1_2048_8192_SHA256,
        input.as_bytes(),
        &sig
    ));

    let no_alg = base.without_header("alg").sign(&key).unwrap();
    assert!(common::header_of(&no_alg).get("alg").is_none());
}

#[test]
fn sign_hs256_makes_an_hmac_token_for_alg_confusion_tests() {
    let key = SigningKey::fixture(0).unwrap();
    let secret = key.public_key_spki_pem();
    let token = TokenBuilder::access_token(ISS, "c", &[], now())
        .header("kid", key.kid())
        .sign_hs256(secret.as_bytes())
        .unwrap();
    let header = common::header_of(&token);
    assert_eq!(header, json!({"alg": "HS256", "kid": key.kid()}));

    // It really is HS256 keyed with the PEM text.
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Value>(
        &token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["token_use"], "access");

    // Without a pinned kid there is none.
    let bare = TokenBuilder::empty().sign_hs256(b"k").unwrap();
    assert_eq!(common::header_of(&bare), json!({"alg": "HS256"}));
}

#[test]
fn unsigned_tokens_use_alg_none_and_an_empty_signature() {
    let builder = TokenBuilder::access_token(ISS, "c", &["s"], now());
    let token = builder.unsigned();
    assert!(token.ends_with('.'));
    assert_eq!(token.matches('.').count(), 2);
    assert_eq!(common::header_of(&token), json!({"alg": "none"}));
    assert_eq!(common::payload_of(&token)["client_id"], "c");

    let cased = builder.header("alg", "nOnE").unsigned();
    assert_eq!(common::header_of(&cased)["alg"], "nOnE");
}

#[test]
fn signed_compact_signs_the_exact_json_text() {
    let key = SigningKey::fixture(0).unwrap();
    let header = format!("{{ \"alg\" :\t\"RS256\",\n \"kid\": \"{}\" }}", key.kid());
    let payload =
        format!(r#"{{"iss":"{ISS}", "exp":{FAR_FUTURE}, "token_use":"access", "client_id":"c"}}"#);
    let token = raw::signed_compact(&header, &payload, &key).unwrap();
    let mut parts = token.split('.');
    assert_eq!(parts.next().unwrap(), b64url(header.as_bytes()));
    assert_eq!(parts.next().unwrap(), b64url(payload.as_bytes()));
    let claims = common::verify(&token, &key, Some(ISS));
    assert_eq!(claims["client_id"], "c");

    // Duplicate members and trailing garbage survive byte for byte.
    let dup = r#"{"alg":"RS256","alg":"none"}xyz"#;
    let token = raw::signed_compact(dup, "{}", &key).unwrap();
    let first = token.split('.').next().unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(first).unwrap(), dup.as_bytes());
    let (input, sig) = signed_part(&token);
    assert!(common::rsa_signature_ok(
        &key,
        &RSA_PKCS1_2048_8192_SHA256,
        input.as_bytes(),
        &sig
    ));
}

#[test]
fn sign_segments_keeps_non_canonical_segments_and_signs_them() {
    let key = SigningKey::fixture(0).unwrap();
    let header = format!("{}==", b64url(br#"{"alg":"RS256"}"#));
    let payload = "e30+/"; // standard-alphabet characters
    let token = raw::sign_segments(&header, payload, &key, RsaAlg::Rs256).unwrap();
    assert!(token.starts_with(&format!("{header}.{payload}.")));
    let (input, sig) = signed_part(&token);
    assert_eq!(input, format!("{header}.{payload}"));
    assert!(common::rsa_signature_ok(
        &key,
        &RSA_PKCS1_2048_8192_SHA256,
        input.as_bytes(),
        &sig
    ));
}

#[test]
fn with_signature_and_hs256_segments_join_as_given() {
    assert_eq!(raw::with_signature("a", "b", &[]), "a.b.");
    assert_eq!(raw::with_signature("a", "b", &[0xff, 0xfe]), "a.b.__4");
    let token = raw::hs256_segments("a", "b", b"secret");
    assert!(token.starts_with("a.b."));
    assert_eq!(token.rsplit('.').next().unwrap().len(), 43);
    assert_eq!(b64url(b"\xfb\xff"), "-_8");
}

#[test]
fn emsa_encoding_is_what_an_rs256_signature_decrypts_to() {
    // With e = 1 the encoding itself verifies under any larger modulus.
    let em = raw::emsa_pkcs1_v15_sha256(b"h.p", 256);
    assert_eq!(em.len(), 256);
    assert_eq!(&em[..2], [0x00, 0x01]);
    assert_eq!(em[256 - 52], 0x00);
    assert!(em[2..256 - 52].iter().all(|b| *b == 0xff));
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"h.p");
    assert!(em.ends_with(hash.as_ref()));
    // A real signature is deterministic for PKCS#1 v1.5 and decrypts to the same
    // bytes: signing twice gives the same result.
    let key = SigningKey::fixture(0).unwrap();
    assert_eq!(
        key.sign(RsaAlg::Rs256, b"h.p").unwrap(),
        key.sign(RsaAlg::Rs256, b"h.p").unwrap()
    );
    assert_eq!(raw::emsa_pkcs1_v15_sha256(b"x", 10).len(), 54);
}
