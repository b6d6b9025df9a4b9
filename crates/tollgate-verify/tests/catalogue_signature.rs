//! Security catalogue (`docs/security-catalogue.md`), rows S1–S13: signature bytes and RSA key
//! material.
//!
//! Signature rows run through the verifier with the issuer's real key; key-material rows run
//! through the JWK ingestion policy (`KeySet::from_json`, what every fetched set goes
//! through) and, where a token can name the key, through the verifier too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::wycheproof::{self, hex};
use common::*;
use serde_json::{Value, json};
use tollgate_testkit::raw::{self, b64url};
use tollgate_testkit::{RsaAlg, SigningKey, TokenBuilder};
use tollgate_verify::jwks::{KeyRejection, KeySet, KeySetOptions, SignatureError};
use tollgate_verify::{Algorithm, Malformed, VerifyError, verify_jws};

/// `bytes` + 1, big-endian, same length (no overflow in these tests).
fn plus_one(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for byte in out.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            break;
        }
    }
    out
}

/// `bytes` − 1, big-endian, same length.
fn minus_one(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for byte in out.iter_mut().rev() {
        let (difference, borrow) = byte.overflowing_sub(1);
        *byte = difference;
        if !borrow {
            break;
        }
    }
    out
}

/// A 256-byte big-endian integer with this small value.
fn small(value: u8) -> Vec<u8> {
    let mut out = vec![0; 256];
    out[255] = value;
    out
}

#[tokio::test]
async fn s1_one_flipped_bit_anywhere_is_refused() {
    let env = Env::new().await;
    let good = env.good();
    let (h, p, s) = segments(&good);
    let signature = b64_decode(&s);
    let mut rows = Vec::new();
    for (byte, bit) in [
        (0, 0),
        (0, 7),
        (1, 3),
        (128, 4),
        (254, 1),
        (255, 0),
        (255, 7),
    ] {
        let mut flipped = signature.clone();
        flipped[byte] ^= 1 << bit;
        rows.push((
            "signature bit",
            raw::with_signature(&h, &p, &flipped),
            Err(VerifyError::InvalidSignature),
        ));
    }
    // A different, well-formed payload / header under the original signature.
    let other_payload = b64url(
        env.claims(&[("scope", Some(r#""orders/admin""#))])
            .as_bytes(),
    );
    let header_ws = b64url(format!(r#"{{"alg":"RS256", "kid":"{}"}}"#, env.key.kid()).as_bytes());
    rows.push((
        "payload changed",
        format!("{h}.{other_payload}.{s}"),
        Err(VerifyError::InvalidSignature),
    ));
    rows.push((
        "header changed",
        format!("{header_ws}.{p}.{s}"),
        Err(VerifyError::InvalidSignature),
    ));
    // One bit flipped in the payload's JSON text (a claim value changes, JSON stays valid).
    let mut payload = env.claims(&[]).into_bytes();
    let at = payload.iter().position(|&b| b == b'r').unwrap(); // in "orders/read"
    payload[at] ^= 0x20; // 'r' -> 'R'
    rows.push((
        "payload text bit",
        format!("{h}.{}.{s}", b64url(&payload)),
        Err(VerifyError::InvalidSignature),
    ));
    rows.push(("control", good, OK));
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn s2_signature_length_other_than_the_modulus_length_is_refused() {
    let env = Env::new().await;
    let (h, p, s) = segments(&env.good());
    let signature = b64_decode(&s);
    let with = |bytes: &[u8]| raw::with_signature(&h, &p, bytes);
    assert_rows(
        &env.verifier,
        &[
            (
                "0 bytes",
                with(&[]),
                Err(VerifyError::MalformedToken(Malformed::EmptySegment)),
            ),
            ("1 byte", with(&[1]), Err(VerifyError::InvalidSignature)),
            (
                "255 bytes (truncated)",
                with(&signature[..255]),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "255 bytes (leading byte dropped)",
                with(&signature[1..]),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "257 bytes (leading 00)",
                with(&[&[0], signature.as_slice()].concat()),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "257 bytes (trailing 00)",
                with(&[signature.as_slice(), &[0]].concat()),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "258 bytes (two leading 00)",
                with(&[&[0, 0], signature.as_slice()].concat()),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "512 bytes (twice)",
                with(&signature.repeat(2)),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "1024 bytes (largest decodable)",
                with(&signature.repeat(4)),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "1025 bytes",
                with(&[signature.repeat(4).as_slice(), &[0]].concat()),
                Err(VerifyError::MalformedSignature),
            ),
            ("control", with(&signature), OK),
        ],
    )
    .await;
}

#[tokio::test]
async fn s3_signature_integer_edge_cases_are_refused() {
    let env = Env::new().await;
    let (h, p, _) = segments(&env.good());
    let n = env.key.modulus().to_vec();
    assert_eq!(n.len(), 256);
    let with = |bytes: &[u8]| raw::with_signature(&h, &p, bytes);
    assert_rows(
        &env.verifier,
        &[
            ("0", with(&small(0)), Err(VerifyError::InvalidSignature)),
            ("1", with(&small(1)), Err(VerifyError::InvalidSignature)),
            ("2", with(&small(2)), Err(VerifyError::InvalidSignature)),
            (
                "n - 1",
                with(&minus_one(&n)),
                Err(VerifyError::InvalidSignature),
            ),
            ("n", with(&n), Err(VerifyError::InvalidSignature)),
            (
                "n + 1",
                with(&plus_one(&n)),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "-1 (all ones)",
                with(&[0xff; 256]),
                Err(VerifyError::InvalidSignature),
            ),
            (
                "signature + n (not reduced)",
                with(&[&[0], n.as_slice()].concat()),
                Err(VerifyError::InvalidSignature),
            ),
        ],
    )
    .await;
}

/// Wycheproof flags that mark PKCS#1 v1.5 padding forgeries (CVE-2006-4339 and kin).
const PADDING_FLAGS: [&str; 8] = [
    "BerEncodedPadding",
    "InvalidAsnInPadding",
    "ModifiedPadding",
    "MissingNull",
    "ShortPadding",
    "InvalidPadding",
    "WrongHash",
    "NoHash",
];

#[test]
fn s4_padding_forgeries_are_refused_by_the_primitive() {
    // The RSA vectors' forgeries, through our key ingestion and `VerifyingKey::verify`.
    // `MissingNull` (tc 8) is "acceptable" in Wycheproof: pinned to reject.
    let file = wycheproof::rsa_file();
    let group = &file.test_groups[0];
    let keys = KeySet::from_json(
        wycheproof::as_set(&group.key_jwk).as_bytes(),
        &KeySetOptions::default(),
    )
    .unwrap();
    let key = keys.get("none").unwrap();
    let mut checked = 0;
    for test in &group.tests {
        if !test
            .flags
            .iter()
            .any(|f| PADDING_FLAGS.contains(&f.as_str()))
        {
            continue;
        }
        let sig = hex(&test.sig);
        let expected = if sig.len() == 256 {
            SignatureError::Invalid
        } else {
            SignatureError::WrongLength
        };
        assert_eq!(
            key.verify(Algorithm::Rs256, &hex(&test.msg), &sig),
            Err(expected),
            "tc {} {}",
            test.tc_id,
            test.comment
        );
        checked += 1;
    }
    assert_eq!(checked, 236, "vectors with a padding flag in the file");
}

#[test]
fn s4_padding_forgeries_are_refused_at_the_token_level() {
    // Wycheproof JWS group `rs256` (kid-rsa-sign): tc 46–258 are DigestInfo/ASN.1 mutations
    // of a valid token. Their payload is `foo`, not claims, so they go through `verify_jws`,
    // which shares the verifier's parsing and signature code.
    let file = wycheproof::jose_file(wycheproof::JWS);
    let group = file
        .test_groups
        .iter()
        .find(|g| g.tests.iter().any(|t| t.tc_id == 46))
        .unwrap();
    let keys = wycheproof::group_keys(group).unwrap();
    let mut checked = 0;
    for test in group.tests.iter().filter(|t| (46..=258).contains(&t.tc_id)) {
        assert_eq!(test.flags, ["ModifiedPadding"], "tc {}", test.tc_id);
        assert_eq!(
            verify_jws(&test.jws, &keys, &[Algorithm::Rs256]),
            Err(VerifyError::InvalidSignature),
            "tc {} {}",
            test.tc_id,
            test.comment
        );
        checked += 1;
    }
    assert_eq!(checked, 213);
    let valid = group.tests.iter().find(|t| t.tc_id == 33).unwrap();
    assert_eq!(
        verify_jws(&valid.jws, &keys, &[Algorithm::Rs256]).unwrap(),
        b"foo"
    );
}

#[tokio::test]
async fn s5_pss_signature_presented_as_rs256_is_refused() {
    let env = Env::new().await;
    let token = env.token().header("alg", "RS256");
    let mut rows = Vec::new();
    for alg in [
        RsaAlg::Ps256,
        RsaAlg::Ps384,
        RsaAlg::Ps512,
        RsaAlg::Rs384,
        RsaAlg::Rs512,
    ] {
        rows.push((
            alg.name(),
            token.sign_with(&env.key, alg).unwrap(),
            Err(VerifyError::InvalidSignature),
        ));
    }
    assert_rows(&env.verifier, &rows).await;
}

/// What the key policy says about `jwk` (with kid `probe`): usable, or the skip reason.
fn policy(jwk: Value) -> Result<(), KeyRejection> {
    let decoy = SigningKey::fixture(1).unwrap().public_jwk();
    let mut jwk = jwk;
    jwk["kid"] = json!("probe");
    let set =
        KeySet::from_json(jwks_of(&[decoy, jwk]).as_bytes(), &KeySetOptions::default()).unwrap();
    assert_eq!(set.len(), 1 + usize::from(set.get("probe").is_some()));
    match set.skipped().iter().find(|s| s.kid() == Some("probe")) {
        Some(skipped) => {
            assert!(set.get("probe").is_none());
            Err(skipped.reason().clone())
        }
        None => {
            assert!(set.get("probe").is_some());
            Ok(())
        }
    }
}

fn rsa_jwk(n: &[u8], e: &[u8]) -> Value {
    json!({"kty":"RSA","alg":"RS256","use":"sig","n":b64url(n),"e":b64url(e)})
}

/// An odd modulus with exactly `bits` bits (a synthetic value: the size policy is checked
/// before the crypto library parses the key).
fn modulus_of_bits(bits: usize) -> Vec<u8> {
    let len = bits.div_ceil(8);
    let mut n = vec![0xff; len];
    let top_bits = bits - (len - 1) * 8;
    n[0] = 0xff >> (8 - top_bits);
    n
}

#[test]
fn s6_s7_modulus_outside_2048_to_8192_real_bits_is_refused() {
    let wycheproof_1024 = {
        let file = wycheproof::jose_file(wycheproof::JWK);
        let group = file
            .test_groups
            .iter()
            .find(|g| g.tests.iter().any(|t| t.tc_id == 8))
            .unwrap();
        b64_decode(
            group.public.as_ref().unwrap()["keys"][0]["n"]
                .as_str()
                .unwrap(),
        )
    };
    let e = [1, 0, 1];
    for (name, n, bits) in [
        (
            "Wycheproof 1024-bit (a valid signing key)",
            wycheproof_1024,
            1024,
        ),
        ("2040 bits", modulus_of_bits(2040), 2040),
        ("2047 bits in 256 bytes", modulus_of_bits(2047), 2047),
        ("8193 bits", modulus_of_bits(8193), 8193),
        ("16384 bits", modulus_of_bits(16384), 16384),
    ] {
        assert_eq!(
            policy(rsa_jwk(&n, &e)),
            Err(KeyRejection::ModulusOutOfPolicy { bits }),
            "{name}"
        );
    }
    let key = SigningKey::fixture(0).unwrap();
    assert_eq!(
        policy(rsa_jwk(key.modulus(), &e)),
        Ok(()),
        "2048-bit control"
    );
}

#[tokio::test]
async fn s6_token_naming_a_small_key_is_refused() {
    let env = Env::new().await;
    let mut small = rsa_jwk(&modulus_of_bits(1024), &[1, 0, 1]);
    small["kid"] = json!("small");
    env.serve_jwks(jwks_of(&[env.key.public_jwk(), small]))
        .await;
    let token = env.sign(&env.token().header("kid", "small"));
    assert_eq!(env.check(&token).await, Err(VerifyError::UnknownKid));
    assert_eq!(env.check(&env.good()).await, OK);
}

#[tokio::test]
async fn s8_exponent_one_forgery_is_refused_by_key_policy() {
    // With e = 1 the "signature" is the EMSA-PKCS1-v1_5 encoding itself: no private key.
    let env = Env::new().await;
    let mut forged_key = rsa_jwk(&[0xff; 256], &[1]);
    forged_key["kid"] = json!("e1");
    assert_eq!(
        policy(forged_key.clone()),
        Err(KeyRejection::ExponentOutOfPolicy)
    );
    env.serve_jwks(jwks_of(&[env.key.public_jwk(), forged_key]))
        .await;
    let (h, p, _) = segments(&env.sign(&env.token().header("kid", "e1")));
    let forged = raw::with_signature(
        &h,
        &p,
        &raw::emsa_pkcs1_v15_sha256(format!("{h}.{p}").as_bytes(), 256),
    );
    assert_eq!(env.check(&forged).await, Err(VerifyError::UnknownKid));
}

#[test]
fn s9_exponent_policy() {
    let key = SigningKey::fixture(0).unwrap();
    let n = key.modulus();
    let with_e = |e: &[u8]| policy(rsa_jwk(n, e));
    assert_eq!(with_e(&[1, 0, 1]), Ok(()), "65537");
    assert_eq!(
        with_e(&[0]),
        Err(KeyRejection::BadEncoding),
        "0 (a zero octet is not minimal)"
    );
    assert_eq!(with_e(&[1]), Err(KeyRejection::ExponentOutOfPolicy), "1");
    assert_eq!(with_e(&[2]), Err(KeyRejection::ExponentOutOfPolicy), "2");
    assert_eq!(with_e(&[3]), Err(KeyRejection::ExponentOutOfPolicy), "3");
    assert_eq!(
        with_e(&[0xff, 0xff]),
        Err(KeyRejection::ExponentOutOfPolicy),
        "65535"
    );
    assert_eq!(
        with_e(&[1, 0, 0]),
        Err(KeyRejection::ExponentOutOfPolicy),
        "65536 (even)"
    );
    assert_eq!(with_e(&[1, 0, 3]), Ok(()), "65539");
    assert_eq!(
        with_e(&[2, 0, 0, 0, 1]),
        Err(KeyRejection::ExponentOutOfPolicy),
        "2^33 + 1"
    );
    assert_eq!(
        with_e(&[1, 0, 0, 0, 0, 1]),
        Err(KeyRejection::ExponentOutOfPolicy),
        "2^40 + 1"
    );
    assert_eq!(with_e(n), Err(KeyRejection::ExponentOutOfPolicy), "e = n");
    assert_eq!(
        with_e(&plus_one(n)),
        Err(KeyRejection::ExponentOutOfPolicy),
        "e > n"
    );
}

#[test]
fn s9_largest_allowed_exponent_is_accepted() {
    // Pinned: 2^33 − 1 (the policy maximum, `MAX_EXPONENT`) passes our policy and aws-lc
    // accepts it too.
    let key = SigningKey::fixture(0).unwrap();
    let outcome = policy(rsa_jwk(key.modulus(), &[1, 0xff, 0xff, 0xff, 0xff]));
    assert_eq!(outcome, Ok(()), "2^33 - 1 is the documented maximum");
}

#[tokio::test]
async fn s10_component_encoding_rules() {
    let key = SigningKey::fixture(0).unwrap();
    let n = key.modulus();
    let jwk = |n: Value, e: Value| json!({"kty":"RSA","n":n,"e":e});
    let standard_n = b64url(n).replace('-', "+").replace('_', "/");
    assert_ne!(standard_n, b64url(n));
    let mut even = n.to_vec();
    *even.last_mut().unwrap() &= 0xfe;
    for (name, candidate, expected) in [
        (
            "one leading zero octet in n (normalised)",
            jwk(json!(b64url(&[&[0], n].concat())), json!("AQAB")),
            Ok(()),
        ),
        (
            "two leading zero octets in n",
            jwk(json!(b64url(&[&[0, 0], n].concat())), json!("AQAB")),
            Err(KeyRejection::BadEncoding),
        ),
        (
            "non-minimal e AAEAAQ",
            jwk(json!(b64url(n)), json!("AAEAAQ")),
            Err(KeyRejection::BadEncoding),
        ),
        (
            "n in the standard alphabet",
            jwk(json!(standard_n), json!("AQAB")),
            Err(KeyRejection::BadEncoding),
        ),
        (
            "padded e",
            jwk(json!(b64url(n)), json!("AQAB=")),
            Err(KeyRejection::BadEncoding),
        ),
        (
            "n with a space",
            jwk(json!(format!("{} ", b64url(n))), json!("AQAB")),
            Err(KeyRejection::BadEncoding),
        ),
        (
            "empty n",
            jwk(json!(""), json!("AQAB")),
            Err(KeyRejection::BadEncoding),
        ),
        (
            "empty e",
            jwk(json!(b64url(n)), json!("")),
            Err(KeyRejection::BadEncoding),
        ),
        (
            "missing n",
            json!({"kty":"RSA","e":"AQAB"}),
            Err(KeyRejection::BadEncoding),
        ),
        (
            "missing e",
            json!({"kty":"RSA","n":b64url(n)}),
            Err(KeyRejection::BadEncoding),
        ),
        (
            "n as a number",
            jwk(json!(12345), json!("AQAB")),
            Err(KeyRejection::Malformed),
        ),
        (
            "even n",
            jwk(json!(b64url(&even)), json!("AQAB")),
            Err(KeyRejection::ModulusOutOfPolicy { bits: 2048 }),
        ),
        (
            "missing kty",
            json!({"n":b64url(n),"e":"AQAB"}),
            Err(KeyRejection::UnsupportedKeyType),
        ),
        (
            "kty rsa",
            json!({"kty":"rsa","n":b64url(n),"e":"AQAB"}),
            Err(KeyRejection::UnsupportedKeyType),
        ),
    ] {
        assert_eq!(policy(candidate), expected, "{name}");
    }

    // The normalised key verifies real tokens.
    let env = Env::new().await;
    env.serve_jwks(jwks_of(&[jwk_with(
        &env.key,
        &[("n", Some(json!(b64url(&[&[0], n].concat()))))],
    )]))
    .await;
    assert_eq!(env.check(&env.good()).await, OK);
}

#[tokio::test]
async fn duplicate_kid_makes_the_kid_unusable_even_when_the_twin_is_malformed() {
    // Security catalogue K10 (and the contract's key hygiene): two entries with one kid are
    // ambiguous, whichever of them is
    // broken, and however it is broken.
    let env = Env::new().await;
    let kid = env.key.kid().to_owned();
    for (name, twin) in [
        (
            "usable twin",
            SigningKey::fixture(1)
                .unwrap()
                .with_kid(kid.as_str())
                .public_jwk(),
        ),
        (
            "twin refused by policy",
            json!({"kty":"EC","kid":kid,"crv":"P-256","x":"AA","y":"AA"}),
        ),
        (
            "twin with a mistyped member",
            json!({"kty":"RSA","kid":kid,"n":12345,"e":"AQAB"}),
        ),
        (
            "twin with a mistyped use",
            json!({"kty":"RSA","kid":kid,"use":["sig"],"n":"AQAB","e":"AQAB"}),
        ),
    ] {
        env.serve_jwks(jwks_of(&[
            SigningKey::fixture(2).unwrap().public_jwk(),
            env.key.public_jwk(),
            twin,
        ]))
        .await;
        assert_eq!(
            env.check(&env.good()).await,
            Err(VerifyError::UnknownKid),
            "{name}"
        );
    }
    // An entry that is not an object claims nothing (it is not a JWK at all).
    env.serve_jwks(jwks_of(&[env.key.public_jwk(), json!([kid]), json!(kid)]))
        .await;
    assert_eq!(env.check(&env.good()).await, OK);
}

#[tokio::test]
async fn jwk_entries_must_be_objects() {
    // RFC 7517 §4: a JWK is a JSON object. The same members as an array, in the order a
    // derived deserializer would read them positionally, are not a key.
    let env = Env::new().await;
    let jwk = env.key.public_jwk();
    let positional = json!([
        "RSA", "sig", null, "RS256", jwk["kid"], jwk["n"], jwk["e"], null, null, null, null, null,
        null, null, null
    ]);
    env.serve_jwks(jwks_of(&[
        SigningKey::fixture(2).unwrap().public_jwk(),
        positional.clone(),
    ]))
    .await;
    assert_eq!(env.check(&env.good()).await, Err(VerifyError::UnknownKid));
    let set = KeySet::from_json(
        jwks_of(&[SigningKey::fixture(2).unwrap().public_jwk(), positional]).as_bytes(),
        &KeySetOptions::default(),
    )
    .unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.skipped().len(), 1);
    assert_eq!(
        (set.skipped()[0].kid(), set.skipped()[0].reason()),
        (None, &KeyRejection::Malformed)
    );
}

#[test]
fn s11_entries_with_private_members_are_refused() {
    let key = SigningKey::fixture(0).unwrap();
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        let mut jwk = key.public_jwk();
        jwk[member] = json!("AQAB");
        assert_eq!(policy(jwk), Err(KeyRejection::PrivateMaterial), "{member}");
    }
    // The RFC 7520 cookbook key is published with its private half: refused as given.
    let cookbook: Value = serde_json::from_str(wycheproof::RFC7520_4_1).unwrap();
    assert_eq!(
        policy(cookbook["input"]["key"].clone()),
        Err(KeyRejection::PrivateMaterial)
    );
}

/// S12 with the default allowlist (ES256 not allowed) and with every algorithm allowed but
/// the `kid` naming the issuer's RSA key: refused by `alg`, then by the key. The psychic
/// signature against a real P-256 key is in `catalogue_algorithms.rs`.
#[tokio::test]
async fn s12_psychic_ecdsa_signature_is_refused_by_alg() {
    for (algorithms, expected) in [
        (vec![Algorithm::Rs256], VerifyError::AlgorithmNotAllowed),
        (Algorithm::ALL.to_vec(), VerifyError::KeyAlgorithmMismatch),
    ] {
        let env = Env::with(|v| v.algorithms(algorithms)).await;
        let (h, p, _) = segments(&env.sign(&env.token().header("alg", "ES256")));
        assert_rows(
            &env.verifier,
            &[
                (
                    "r = s = 0",
                    raw::with_signature(&h, &p, &[0; 64]),
                    Err(expected),
                ),
                (
                    "r = s = 0, DER",
                    raw::with_signature(&h, &p, &[0x30, 6, 2, 1, 0, 2, 1, 0]),
                    Err(expected),
                ),
            ],
        )
        .await;
    }
}

#[tokio::test]
async fn larger_rsa_keys_verify() {
    // Beyond the vectors: fresh 3072- and 4096-bit keys (2048 is every other test).
    for bits in [3072, 4096] {
        let key = SigningKey::generate_with_bits(bits).unwrap();
        let env = Env::new().await;
        env.serve_jwks(tollgate_testkit::jwks_json(&[&env.key, &key]))
            .await;
        let token = TokenBuilder::access_token(&env.iss(), CLIENT, &[SCOPE], T0)
            .sign(&key)
            .unwrap();
        let verified = env.verify(&token).await.unwrap();
        assert_eq!(verified.kid(), key.kid(), "{bits}");
        let (h, p, s) = segments(&token);
        let mut signature = b64_decode(&s);
        signature[0] ^= 1;
        assert_eq!(
            env.check(&raw::with_signature(&h, &p, &signature)).await,
            Err(VerifyError::InvalidSignature),
            "{bits}"
        );
    }
}
