//! Keys: fixtures, generation, PEM, JWK and kid shape.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_lc_rs::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA512, RSA_PSS_2048_8192_SHA256,
};
use tollgate_testkit::raw::b64url;
use tollgate_testkit::{RsaAlg, SigningKey, TestkitError, cognito_kid, jwks_json};

const FIXTURE_KIDS: [&str; 4] = [
    "bjSC6aVenZU0kqfjJYVv+cTP9LXCuFKM8rQ6X8OT2UA=",
    "Rdr+C9B0AwEGqmS8V6uOtcNAacc7ngtuecLm7RaMVW4=",
    "sx+OS3CaLqbWxcptb5jCfHg42uC9P/G0YUw4USEgfg8=",
    "n54xgAq34Oi4SGJx9ZuU4YAdKYdrWw3AtJkf/uVyWI0=",
];

#[test]
fn cognito_kid_is_standard_base64_of_32_bytes_with_plus_or_slash() {
    use base64::Engine as _;
    for _ in 0..200 {
        let kid = cognito_kid();
        assert_eq!(kid.len(), 44);
        assert!(kid.ends_with('='));
        assert!(kid.contains('+') || kid.contains('/'), "{kid}");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&kid)
            .unwrap();
        assert_eq!(bytes.len(), 32);
    }
    assert_ne!(cognito_kid(), cognito_kid());
}

#[test]
fn fixtures_load_with_deterministic_cognito_shaped_kids() {
    for (index, expected) in FIXTURE_KIDS.iter().enumerate() {
        let key = SigningKey::fixture(index).unwrap();
        assert_eq!(key.kid(), *expected);
        assert_eq!(key.bits(), 2048);
        assert_eq!(key.exponent(), [1, 0, 1]);
        assert_eq!(key.modulus().len(), 256);
        assert_ne!(key.modulus()[0], 0);
    }
    assert_eq!(SigningKey::FIXTURE_COUNT, 4);
    assert_ne!(
        SigningKey::fixture(0).unwrap().modulus(),
        SigningKey::fixture(1).unwrap().modulus()
    );
}

#[test]
fn unknown_fixture_index_is_an_error() {
    assert!(matches!(
        SigningKey::fixture(4),
        Err(TestkitError::UnknownFixture { index: 4, max: 3 })
    ));
}

#[test]
fn generated_key_is_rsa_2048_with_a_cognito_kid() {
    let key = SigningKey::generate().unwrap();
    assert_eq!(key.bits(), 2048);
    assert_eq!(key.kid().len(), 44);
    let sig = key.sign(RsaAlg::Rs256, b"msg").unwrap();
    assert!(common::rsa_signature_ok(
        &key,
        &RSA_PKCS1_2048_8192_SHA256,
        b"msg",
        &sig
    ));
}

#[test]
fn unsupported_key_sizes_are_refused_without_work() {
    for bits in [0, 1024, 2047, 2049, 16384] {
        assert!(matches!(
            SigningKey::generate_with_bits(bits),
            Err(TestkitError::UnsupportedKeySize { .. })
        ));
    }
}

#[test]
fn from_pkcs8_pem_round_trips_a_fixture_and_rejects_junk() {
    let pem = include_str!("../fixtures/rsa2048-2.pem");
    let key = SigningKey::from_pkcs8_pem("my-kid", pem).unwrap();
    assert_eq!(key.kid(), "my-kid");
    assert_eq!(key.modulus(), SigningKey::fixture(2).unwrap().modulus());

    assert!(matches!(
        SigningKey::from_pkcs8_pem("k", "not a pem"),
        Err(TestkitError::InvalidPem { .. })
    ));
    let public = key.public_key_spki_pem();
    assert!(matches!(
        SigningKey::from_pkcs8_pem("k", &public),
        Err(TestkitError::InvalidPem { .. })
    ));
    let broken = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert!(matches!(
        SigningKey::from_pkcs8_pem("k", broken),
        Err(TestkitError::KeyRejected { .. })
    ));
}

#[test]
fn with_kid_keeps_the_key_material() {
    let key = SigningKey::fixture(0).unwrap();
    let renamed = key.clone().with_kid("../../etc/passwd");
    assert_eq!(renamed.kid(), "../../etc/passwd");
    assert_eq!(renamed.modulus(), key.modulus());
}

#[test]
fn public_jwk_is_shaped_like_cognitos() {
    let key = SigningKey::fixture(1).unwrap();
    let jwk = key.public_jwk();
    let obj = jwk.as_object().unwrap();
    let mut names: Vec<&str> = obj.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["alg", "e", "kid", "kty", "n", "use"]);
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["kid"], key.kid());
    assert_eq!(jwk["e"], "AQAB");
    assert_eq!(jwk["n"], b64url(key.modulus()));
    assert!(!jwk["n"].as_str().unwrap().contains('='));

    let set: serde_json::Value =
        serde_json::from_str(&jwks_json(&[&key, &SigningKey::fixture(2).unwrap()])).unwrap();
    assert_eq!(set["keys"].as_array().unwrap().len(), 2);
    assert_eq!(set["keys"][0], jwk);
    assert_eq!(jwks_json(&[]), r#"{"keys":[]}"#);
}

#[test]
fn every_rsa_alg_signs_with_the_right_primitive() {
    let key = SigningKey::fixture(0).unwrap();
    let msg = b"header.payload";
    let rs256 = key.sign(RsaAlg::Rs256, msg).unwrap();
    let rs512 = key.sign(RsaAlg::Rs512, msg).unwrap();
    let ps256 = key.sign(RsaAlg::Ps256, msg).unwrap();
    assert!(common::rsa_signature_ok(
        &key,
        &RSA_PKCS1_2048_8192_SHA256,
        msg,
        &rs256
    ));
    assert!(common::rsa_signature_ok(
        &key,
        &RSA_PKCS1_2048_8192_SHA512,
        msg,
        &rs512
    ));
    assert!(common::rsa_signature_ok(
        &key,
        &RSA_PSS_2048_8192_SHA256,
        msg,
        &ps256
    ));
    // A PSS signature is not a valid PKCS#1 v1.5 signature (wrong primitive).
    assert!(!common::rsa_signature_ok(
        &key,
        &RSA_PKCS1_2048_8192_SHA256,
        msg,
        &ps256
    ));
    assert_eq!(rs256.len(), 256);
    for alg in [RsaAlg::Rs384, RsaAlg::Ps384, RsaAlg::Ps512] {
        assert_eq!(key.sign(alg, msg).unwrap().len(), 256);
    }
}

#[test]
fn public_key_encodings_are_consistent() {
    use base64::Engine as _;
    let key = SigningKey::fixture(3).unwrap();
    let spki = key.public_key_spki_pem();
    let pkcs1 = key.public_key_pkcs1_pem();
    assert!(spki.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(spki.ends_with("-----END PUBLIC KEY-----\n"));
    assert!(pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----\n"));
    assert!(pkcs1.ends_with("-----END RSA PUBLIC KEY-----\n"));

    let body = |pem: &str| -> Vec<u8> {
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    };
    assert_eq!(body(&spki), key.public_key_spki_der());
    assert_eq!(body(&pkcs1), key.public_key_pkcs1_der());
    // SPKI wraps the PKCS#1 structure.
    let spki_der = key.public_key_spki_der();
    let pkcs1_der = key.public_key_pkcs1_der();
    assert!(spki_der.len() > pkcs1_der.len());
    assert!(spki_der.ends_with(&pkcs1_der));
    // Both parse as the same RSA public key.
    let sig = key.sign(RsaAlg::Rs256, b"m").unwrap();
    assert!(
        aws_lc_rs::signature::UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &spki_der)
            .verify(b"m", &sig)
            .is_ok()
    );
}

#[test]
fn debug_output_has_no_key_material() {
    let key = SigningKey::fixture(0).unwrap();
    let debug = format!("{key:?}");
    assert!(debug.contains(key.kid()));
    assert!(debug.contains("2048"));
    let n = b64url(key.modulus());
    assert!(!debug.contains(&n[..16]));
    assert!(!debug.contains("PRIVATE"));
    assert!(debug.len() < 200, "{debug}");
}
