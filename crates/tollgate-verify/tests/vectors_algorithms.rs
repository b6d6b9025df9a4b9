//! Wycheproof vectors for the algorithms beyond RS256 (ES256, ES384, EdDSA, PS256), read from
//! the vendored copies in `tests/data` (see `tests/data/README.md`), every one through our JWK
//! ingestion policy (`KeySet::from_json`, what a fetched set goes through) and
//! `VerifyingKey::verify`; and the JSON Web Signature / Key files again, with every algorithm
//! allowed (`vectors.rs` runs them with the default RS256-only allowlist).
//!
//! Each file has a tcId-keyed list of deviations from its labels, with reasons; a listed
//! deviation that no longer deviates fails the test, and every refusal is checked for its
//! exact reason, computed from the vector's bytes (length, zero integers) independently of
//! the code under test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::wycheproof::{self, SignatureGroup, assert_deviations, hex};
use common::*;
use serde_json::{Value, json};
use tollgate_testkit::raw::b64url;
use tollgate_verify::jwks::{KeyRejection, KeySet, KeySetOptions, SignatureError};
use tollgate_verify::{Algorithm, EcdsaForm, Malformed, VerifyError, verify_jws};

#[test]
fn algorithm_vector_files_match_their_pinned_hashes() {
    // The sha256 values of tests/data/README.md.
    let files: [(&str, &[u8], &str); 4] = [
        (
            "wycheproof-ecdsa_secp256r1_sha256_p1363_test.json",
            include_bytes!("data/wycheproof-ecdsa_secp256r1_sha256_p1363_test.json"),
            "c60de693930e386c3a5472d08081623ef8504decc54b38ac01ec6b2a2575c986",
        ),
        (
            "wycheproof-ecdsa_secp384r1_sha384_p1363_test.json",
            include_bytes!("data/wycheproof-ecdsa_secp384r1_sha384_p1363_test.json"),
            "e27344bf6daae75fa19663620883809f91c79fc4b4420eff9eae8036b34476be",
        ),
        (
            "wycheproof-ed25519_test.json",
            include_bytes!("data/wycheproof-ed25519_test.json"),
            "752d2ea7d7c6cf4736381b6cbacb61f8182b126ab7cd9b058f00c50084975536",
        ),
        (
            "wycheproof-rsa_pss_2048_sha256_mgf1_32_test.json",
            include_bytes!("data/wycheproof-rsa_pss_2048_sha256_mgf1_32_test.json"),
            "7f6efafc160f4816b96cbf1c12188a31051d7e3f001e27505d9edb5f2a0e325c",
        ),
    ];
    for (name, bytes, expected) in files {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
        let actual: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(actual, expected, "{name}");
    }
}

// ===== primitive files: ECDSA P1363, Ed25519, RSA-PSS =====

/// The group's public key as a JWK: the file's own, or (for the few EC groups that have none)
/// one built from `wx`/`wy` at the curve's full length, as a JWK must carry them.
fn group_jwk(group: &SignatureGroup, crv: &str, size: usize) -> Value {
    if let Some(jwk) = &group.public_key_jwk {
        return jwk.clone();
    }
    let coordinate = |name: &str| {
        let mut bytes = hex(group.public_key[name].as_str().unwrap());
        while bytes.len() > size && bytes[0] == 0 {
            bytes.remove(0);
        }
        let mut full = vec![0; size - bytes.len()];
        full.extend(bytes);
        b64url(&full)
    };
    json!({"kty": "EC", "crv": crv, "kid": "none", "x": coordinate("wx"), "y": coordinate("wy")})
}

/// Per tcId: the outcome of `VerifyingKey::verify`, and the label.
type Primitive = (
    BTreeMap<u32, Result<(), SignatureError>>,
    BTreeMap<u32, String>,
);

/// Every vector of a signature file through our key policy (only `alg` allowed) and
/// `VerifyingKey::verify(alg, msg, sig)`. Every group's key must load.
fn run_primitive(text: &str, alg: Algorithm, crv: &str, size: usize) -> Primitive {
    let file = wycheproof::signature_file(text);
    let mut outcomes = BTreeMap::new();
    let mut labels = BTreeMap::new();
    for group in &file.test_groups {
        let jwk = group_jwk(group, crv, size);
        let keys = KeySet::from_json(
            wycheproof::as_set(&jwk).as_bytes(),
            &KeySetOptions::default().algorithms([alg]),
        )
        .unwrap_or_else(|e| panic!("{alg}: key of tc {} refused: {e}", group.tests[0].tc_id));
        let key = keys.get("none").unwrap();
        assert_eq!(key.algorithms().collect::<Vec<_>>(), [alg]);
        for test in &group.tests {
            outcomes.insert(
                test.tc_id,
                key.verify(alg, &hex(&test.msg), &hex(&test.sig)),
            );
            labels.insert(test.tc_id, test.result.clone());
        }
    }
    assert_eq!(outcomes.len(), file.number_of_tests);
    (outcomes, labels)
}

/// The expected refusal of an ECDSA signature, from its bytes alone: the JWS form first
/// (length, then zero integers), everything else is the crypto library's `Invalid`.
fn ecdsa_reason(signature: &[u8], size: usize) -> SignatureError {
    if signature.len() != 2 * size {
        return SignatureError::WrongLength;
    }
    let (r, s) = signature.split_at(size);
    if r.iter().all(|b| *b == 0) || s.iter().all(|b| *b == 0) {
        SignatureError::ZeroComponent
    } else {
        SignatureError::Invalid
    }
}

/// Whether the big-endian integer `value` is at least `order` (same length).
fn at_least(value: &[u8], order: &[u8]) -> bool {
    value >= order
}

/// Checks labels (`valid` → accepted, `invalid` → refused, no deviation) and the exact
/// reason of every refusal.
fn check_primitive(
    name: &str,
    text: &str,
    (outcomes, labels): &Primitive,
    reason: impl Fn(&[u8]) -> SignatureError,
) {
    let accepted: BTreeMap<u32, bool> = outcomes.iter().map(|(tc, o)| (*tc, o.is_ok())).collect();
    assert!(labels.values().all(|l| l == "valid" || l == "invalid"));
    // No deviation: every vector agrees with its label.
    assert_deviations(name, &accepted, labels, &[], |label| label == "valid");
    let file = wycheproof::signature_file(text);
    let mut problems = Vec::new();
    for test in file.test_groups.iter().flat_map(|g| &g.tests) {
        if let Err(actual) = outcomes[&test.tc_id] {
            let expected = reason(&hex(&test.sig));
            if actual != expected {
                problems.push(format!(
                    "tc {} ({}): expected {expected:?}, got {actual:?}",
                    test.tc_id, test.comment
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
}

/// The order n of P-256 and P-384 (SEC 2 §2.4.2, §2.5.1).
const N_P256: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const N_P384: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";

/// Refusals where `r` or `s` is at least the group order (and neither is zero): the JWS form
/// check lets them through, the crypto library refuses them (S12: r or s = n, n + 1, p).
fn count_at_least_order(text: &str, order: &str, size: usize, outcomes: &Primitive) -> usize {
    let order = hex(order);
    let file = wycheproof::signature_file(text);
    let mut count = 0;
    for test in file.test_groups.iter().flat_map(|g| &g.tests) {
        let sig = hex(&test.sig);
        if sig.len() != 2 * size || ecdsa_reason(&sig, size) == SignatureError::ZeroComponent {
            continue;
        }
        let (r, s) = sig.split_at(size);
        if at_least(r, &order) || at_least(s, &order) {
            assert_eq!(test.result, "invalid", "tc {}", test.tc_id);
            assert_eq!(
                outcomes.0[&test.tc_id],
                Err(SignatureError::Invalid),
                "tc {} ({})",
                test.tc_id,
                test.comment
            );
            count += 1;
        }
    }
    count
}

#[test]
fn wycheproof_ecdsa_p256_p1363() {
    let text = wycheproof::ECDSA_P256_P1363;
    let run = run_primitive(text, Algorithm::Es256, "P-256", 32);
    assert_eq!(run.0.len(), 262);
    assert_eq!(run.1.values().filter(|l| *l == "valid").count(), 173);
    check_primitive("ECDSA P-256", text, &run, |sig| ecdsa_reason(sig, 32));
    let reasons = |wanted: SignatureError| run.0.values().filter(|o| **o == Err(wanted)).count();
    assert_eq!(reasons(SignatureError::ZeroComponent), 14);
    assert_eq!(reasons(SignatureError::WrongLength), 21);
    // r = 0 and s = 0 (tc 11) is the psychic signature.
    assert_eq!(run.0[&11], Err(SignatureError::ZeroComponent));
    assert_eq!(count_at_least_order(text, N_P256, 32, &run), 36);
}

#[test]
fn wycheproof_ecdsa_p384_p1363() {
    let text = wycheproof::ECDSA_P384_P1363;
    let run = run_primitive(text, Algorithm::Es384, "P-384", 48);
    assert_eq!(run.0.len(), 280);
    assert_eq!(run.1.values().filter(|l| *l == "valid").count(), 193);
    check_primitive("ECDSA P-384", text, &run, |sig| ecdsa_reason(sig, 48));
    assert_eq!(run.0[&11], Err(SignatureError::ZeroComponent));
    assert_eq!(count_at_least_order(text, N_P384, 48, &run), 36);
}

#[test]
fn wycheproof_ed25519() {
    let text = wycheproof::ED25519;
    let run = run_primitive(text, Algorithm::EdDsa, "", 32);
    assert_eq!(run.0.len(), 151);
    assert_eq!(run.1.values().filter(|l| *l == "valid").count(), 88);
    check_primitive("Ed25519", text, &run, |sig| {
        if sig.len() == 64 {
            SignatureError::Invalid
        } else {
            SignatureError::WrongLength
        }
    });
}

#[test]
fn wycheproof_rsa_pss_2048_sha256_mgf1_32() {
    let text = wycheproof::RSA_PSS_2048_SHA256;
    let run = run_primitive(text, Algorithm::Ps256, "", 0);
    assert_eq!(run.0.len(), 108);
    assert_eq!(run.1.values().filter(|l| *l == "valid").count(), 63);
    check_primitive("RSA-PSS", text, &run, |sig| {
        if sig.len() == 256 {
            SignatureError::Invalid
        } else {
            SignatureError::WrongLength
        }
    });
    // The group's JWK names PS256: the key serves PS256 only.
    let file = wycheproof::signature_file(text);
    let keys = KeySet::from_json(
        wycheproof::as_set(file.test_groups[0].public_key_jwk.as_ref().unwrap()).as_bytes(),
        &KeySetOptions::default().algorithms(Algorithm::ALL),
    )
    .unwrap();
    let key = keys.get("none").unwrap();
    assert_eq!(key.algorithms().collect::<Vec<_>>(), [Algorithm::Ps256]);
    let test = &file.test_groups[0].tests[0];
    assert_eq!(test.result, "valid");
    assert_eq!(
        key.verify(Algorithm::Rs256, &hex(&test.msg), &hex(&test.sig)),
        Err(SignatureError::AlgorithmMismatch)
    );
}

// ===== JWS and JWK files with every algorithm allowed =====

/// The `alg` of a compact JWS header, read leniently (only to apply "an algorithm we do not
/// support is refused whatever the label says").
fn header_alg(jws: &str) -> Option<String> {
    use base64::Engine as _;
    let header = jws.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("alg")?.as_str().map(str::to_owned)
}

type Jose = (
    BTreeMap<u32, Result<(), VerifyError>>,
    BTreeMap<u32, String>,
);

/// Every vector of a JOSE file through `verify_jws` with every algorithm allowed, keys
/// through our policy with every algorithm allowed. Labels become the rule: accept exactly
/// the `valid` vectors whose header names an algorithm we support.
fn run_jose_all(text: &str) -> Jose {
    let file = wycheproof::jose_file(text);
    let options = KeySetOptions::default().algorithms(Algorithm::ALL);
    let mut outcomes = BTreeMap::new();
    let mut rules = BTreeMap::new();
    for group in &file.test_groups {
        let keys = group
            .public
            .as_ref()
            .or(group.private.as_ref())
            .and_then(|k| KeySet::from_json(wycheproof::as_set(k).as_bytes(), &options).ok())
            .unwrap_or_default();
        for test in &group.tests {
            outcomes.insert(
                test.tc_id,
                verify_jws(&test.jws, &keys, &Algorithm::ALL).map(|_| ()),
            );
            let supported = header_alg(&test.jws)
                .and_then(|name| Algorithm::from_jose(&name))
                .is_some();
            let rule = if test.result == "valid" && supported {
                "accept"
            } else {
                "refuse"
            };
            rules.insert(test.tc_id, rule.to_owned());
        }
    }
    (outcomes, rules)
}

/// Labelled `valid` with a supported `alg`, refused by us with every algorithm allowed, and
/// why.
const JWS_ALL_DEVIATIONS: [(u32, &str); 8] = [
    (
        259,
        "RS256, empty payload: three non-empty segments required (catalogue E4)",
    ),
    (
        264,
        "RS384, empty payload: three non-empty segments required (catalogue E4)",
    ),
    (
        268,
        "RS512, empty payload: three non-empty segments required (catalogue E4)",
    ),
    (
        272,
        "PS256, empty payload: three non-empty segments required (catalogue E4)",
    ),
    (
        320,
        "PS384, empty payload: three non-empty segments required (catalogue E4)",
    ),
    (
        325,
        "PS512, empty payload: three non-empty segments required (catalogue E4)",
    ),
    (
        346,
        "PS384 token, the key's JWK says PS256: a key serves only its JWK's alg (RFC 8725 §3.1, catalogue H5)",
    ),
    (
        350,
        "PS384 token, the key's JWK says PS256 (with key_ops): a key serves only its JWK's alg (catalogue H5)",
    ),
];

const ZERO: Result<(), VerifyError> = Err(VerifyError::EcdsaSignatureForm(EcdsaForm::ZeroInteger));
const LENGTH: Result<(), VerifyError> = Err(VerifyError::EcdsaSignatureForm(EcdsaForm::Length));
const INVALID: Result<(), VerifyError> = Err(VerifyError::InvalidSignature);

#[test]
fn wycheproof_jws_with_every_algorithm_allowed() {
    let (outcomes, rules) = run_jose_all(wycheproof::JWS);
    assert_eq!(outcomes.len(), 401);
    let accepted: BTreeMap<u32, bool> = outcomes.iter().map(|(tc, o)| (*tc, o.is_ok())).collect();
    assert_deviations(
        "JWS, every algorithm",
        &accepted,
        &rules,
        &JWS_ALL_DEVIATIONS,
        |r| r == "accept",
    );
    // Now accepted: ES256 (tc 18, 378), RS384, RS512, PS256, PS384, PS512 groups.
    for tc in [
        18, 265, 266, 267, 269, 270, 271, 273, 274, 275, 321, 326, 378,
    ] {
        assert_eq!(outcomes[&tc], OK, "tc {tc}");
    }
    // The ES256 special cases (tc 378-401), each with its exact reason.
    let special: [(u32, Result<(), VerifyError>); 24] = [
        (378, OK),
        (379, LENGTH), // SignatureTooLong
        (380, LENGTH), // TrailingZeros
        (381, LENGTH), // RisTooBig
        (382, LENGTH), // SisTooBig
        (383, LENGTH), // IntegerOverflow
        (384, LENGTH), // IntegerOverflow
        (385, LENGTH), // BufferOverflow
        (386, ZERO),   // r = s = 0: the psychic signature (CVE-2022-21449)
        (387, ZERO),
        (388, ZERO),
        (389, ZERO),
        (390, ZERO),
        (391, INVALID), // r = 1, s = 1
        (392, INVALID),
        (393, INVALID), // s = n: refused by aws-lc
        (394, ZERO),
        (395, INVALID),
        (396, INVALID),
        (397, INVALID), // s = n
        (398, ZERO),
        (399, INVALID), // r = n
        (400, INVALID), // r = n
        (401, INVALID), // r = s = n
    ];
    for (tc, expected) in special {
        assert_eq!(outcomes[&tc], expected, "tc {tc}");
    }
    // The es256 group's structural and header vectors fail as the RS256 ones do.
    assert_eq!(outcomes[&19], INVALID);
    assert_eq!(
        outcomes[&20],
        Err(VerifyError::MalformedToken(Malformed::EmptySegment))
    );
    assert_eq!(outcomes[&25], Err(VerifyError::UnknownKid));
    assert_eq!(outcomes[&32], Err(VerifyError::ForbiddenHeader));
    // Unsupported algorithms stay refused by alg, whatever their label: HS256 (tc 1), ES512
    // (tc 347: its P-521 key is skipped, and ES512 is not an algorithm we have).
    assert_eq!(outcomes[&1], Err(VerifyError::AlgorithmNotAllowed));
    assert_eq!(outcomes[&347], Err(VerifyError::AlgorithmNotAllowed));
    // The PS384-under-a-PS256-key deviation is the key binding, not the signature.
    assert_eq!(outcomes[&346], Err(VerifyError::KeyAlgorithmMismatch));
    // EC key with use enc, or key_ops without verify: skipped at ingestion.
    assert_eq!(outcomes[&354], Err(VerifyError::UnknownKid));
    assert_eq!(outcomes[&356], Err(VerifyError::UnknownKid));
}

/// The skip reasons of a JWK file group's keys, with every algorithm allowed.
fn skip_reasons_all(tc: u32) -> Vec<KeyRejection> {
    let file = wycheproof::jose_file(wycheproof::JWK);
    let group = file
        .test_groups
        .iter()
        .find(|g| g.tests.iter().any(|t| t.tc_id == tc))
        .unwrap();
    let mut keys = group.public.as_ref().or(group.private.as_ref()).unwrap()["keys"]
        .as_array()
        .unwrap()
        .clone();
    // A usable decoy lets the set load.
    keys.push(
        tollgate_testkit::SigningKey::fixture(0)
            .unwrap()
            .public_jwk(),
    );
    let set = KeySet::from_json(
        jwks_of(&keys).as_bytes(),
        &KeySetOptions::default().algorithms(Algorithm::ALL),
    )
    .unwrap();
    set.skipped().iter().map(|s| s.reason().clone()).collect()
}

/// Labelled `invalid`, accepted by us, and why.
const JWK_ALL_DEVIATIONS: [(u32, &str); 1] = [(
    7,
    "ROCA-vulnerable modulus (CVE-2017-15361) is not detected: optional per security catalogue S13",
)];

#[test]
fn wycheproof_jwk_with_every_algorithm_allowed() {
    let (outcomes, rules) = run_jose_all(wycheproof::JWK);
    assert_eq!(outcomes.len(), 26);
    let accepted: BTreeMap<u32, bool> = outcomes.iter().map(|(tc, o)| (*tc, o.is_ok())).collect();
    assert_deviations(
        "JWK, every algorithm",
        &accepted,
        &rules,
        &JWK_ALL_DEVIATIONS,
        |r| r == "accept",
    );
    // The EC key groups: each modified key is skipped at ingestion for its own reason.
    let cases = [
        (19, KeyRejection::AlgorithmNotAllowed), // alg "ES521" (no such algorithm)
        (20, KeyRejection::AlgorithmNotAllowed), // alg "ES224"
        (21, KeyRejection::NotForSignatures),    // use "enc"
        (22, KeyRejection::PointNotOnCurve),     // y modified
        (23, KeyRejection::CoordinateLength),    // crv P-384 with P-256 coordinates
        (24, KeyRejection::AlgorithmKeyMismatch), // kty RSA with alg ES256
    ];
    for (tc, reason) in cases {
        assert_eq!(skip_reasons_all(tc), [reason], "tc {tc}");
        assert_eq!(outcomes[&tc], Err(VerifyError::UnknownKid), "tc {tc}");
    }
    // A mixed symmetric / EC set: the oct key is never usable, the EC key is.
    assert_eq!(skip_reasons_all(1), [KeyRejection::UnsupportedKeyType]);
    assert_eq!(outcomes[&1], Err(VerifyError::AlgorithmNotAllowed));
}
