//! Public test vectors, read from the vendored copies in `tests/data` (see
//! `tests/data/README.md`; deviations cite rows of the security catalogue,
//! `docs/security-catalogue.md`):
//!
//! - Wycheproof RSASSA-PKCS1-v1_5 2048/SHA-256, through our JWK ingestion policy and
//!   `VerifyingKey::verify`;
//! - Wycheproof JSON Web Signature and JSON Web Key files, through `verify_jws` (their
//!   payloads are not JWT claims);
//! - RFC 7520 §4.1 and RFC 7515 Appendix A.2.
//!
//! Each file has a tcId-keyed list of deviations from its labels, with reasons; a test fails
//! when a listed deviation no longer deviates (so the list cannot go stale), and every vector
//! is also checked for its exact refusal reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::wycheproof::{self, JoseFile, hex};
use common::*;
use serde_json::{Value, json};
use tollgate_testkit::raw;
use tollgate_verify::jwks::{FetchError, KeyRejection, KeySet, KeySetOptions, SignatureError};
use tollgate_verify::{Algorithm, Malformed, VerifyError, verify_jws};

// ===== file integrity =====

#[test]
fn vector_files_match_their_pinned_hashes() {
    // The sha256 values of tests/data/README.md.
    let files: [(&str, &[u8], &str); 6] = [
        (
            "wycheproof-rsa_signature_2048_sha256_test.json",
            include_bytes!("data/wycheproof-rsa_signature_2048_sha256_test.json"),
            "94a917b01ff50fb874cfc05bf29b4af44868d944a6558201cf18380da93fb393",
        ),
        (
            "wycheproof-json_web_signature_test.json",
            include_bytes!("data/wycheproof-json_web_signature_test.json"),
            "8e687a06fe8359f4ec51480f1a9f73c8faebd6f4c01b818b843b44eee54fd5d9",
        ),
        (
            "wycheproof-json_web_key_test.json",
            include_bytes!("data/wycheproof-json_web_key_test.json"),
            "be983255bce26406f97020ec5458b33930a90d5f868e604fcd569c300aba2862",
        ),
        (
            "rfc7520-4_1.rsa_v15_signature.json",
            include_bytes!("data/rfc7520-4_1.rsa_v15_signature.json"),
            "5836d16f4fa62fa311b047002e0636eba2789a6f558a26d49acfaeeb26fa470c",
        ),
        (
            "WYCHEPROOF-LICENSE",
            include_bytes!("data/WYCHEPROOF-LICENSE"),
            "58d1e17ffe5109a7ae296caafcadfdbe6a7d176f0bc4ab01e12a689b0499d8bd",
        ),
        (
            "JOSE-COOKBOOK-LICENSE",
            include_bytes!("data/JOSE-COOKBOOK-LICENSE"),
            "60d2c28d19d2bdf7bbaa59829e7a595234265e8111a01ccb74d25d6c4d2d013a",
        ),
    ];
    for (name, bytes, expected) in files {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
        let actual: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(actual, expected, "{name}");
    }
}

// ===== Wycheproof RSA PKCS#1 v1.5 / SHA-256 =====

/// Labelled `valid`, refused by us, and why. Nothing else may deviate from the labels
/// (`valid` → accept; `invalid` and `acceptable` → refuse).
const RSA_DEVIATIONS: [(u32, &str); 2] = [
    (
        258,
        "e = 3 (SmallPublicKey): refused by the exponent policy, e must be > 2^16",
    ),
    (
        259,
        "e = 3 (SmallPublicKey): refused by the exponent policy, e must be > 2^16",
    ),
];

#[test]
fn wycheproof_rsa_pkcs1_sha256() {
    let file = wycheproof::rsa_file();
    assert_eq!(file.number_of_tests, 259);
    let mut outcomes: BTreeMap<u32, bool> = BTreeMap::new();
    let mut labels: BTreeMap<u32, String> = BTreeMap::new();
    for group in &file.test_groups {
        // Through our JWK ingestion policy, exactly as a fetched set would be.
        let keys = KeySet::from_json(
            wycheproof::as_set(&group.key_jwk).as_bytes(),
            &KeySetOptions::default(),
        );
        let e = group.key_jwk["e"].as_str().unwrap();
        match (e, &keys) {
            ("AQAB", Ok(keys)) => assert_eq!(keys.get("none").unwrap().modulus_bits(), Some(2048)),
            ("Aw", Err(FetchError::NoUsableKeys { skipped: 1 })) => {
                // The skip reason, with a usable decoy so the set loads.
                let decoy = tollgate_testkit::SigningKey::fixture(0)
                    .unwrap()
                    .public_jwk();
                let set = KeySet::from_json(
                    jwks_of(&[decoy, group.key_jwk.clone()]).as_bytes(),
                    &KeySetOptions::default(),
                )
                .unwrap();
                assert_eq!(
                    set.skipped()[0].reason(),
                    &KeyRejection::ExponentOutOfPolicy
                );
            }
            other => panic!(
                "unexpected key outcome for e = {e}: {:?}",
                other.1.as_ref().map(|_| ())
            ),
        }
        for test in &group.tests {
            let sig = hex(&test.sig);
            let accepted = match &keys {
                Ok(keys) => {
                    let result =
                        keys.get("none")
                            .unwrap()
                            .verify(Algorithm::Rs256, &hex(&test.msg), &sig);
                    if let Err(error) = result {
                        // The exact reason: a length mismatch is reported as such.
                        let expected = if sig.len() == 256 {
                            SignatureError::Invalid
                        } else {
                            SignatureError::WrongLength
                        };
                        assert_eq!(error, expected, "tc {} {}", test.tc_id, test.comment);
                    }
                    result.is_ok()
                }
                Err(_) => false,
            };
            outcomes.insert(test.tc_id, accepted);
            labels.insert(test.tc_id, test.result.clone());
        }
    }
    assert_eq!(outcomes.len(), 259);
    assert_eq!(labels.values().filter(|l| *l == "valid").count(), 9);
    assert_eq!(outcomes.values().filter(|a| **a).count(), 7, "tc 1–7");
    check_deviations("RSA", &outcomes, &labels, &RSA_DEVIATIONS, |label| {
        label == "valid"
    });
    // The one `acceptable` vector (tc 8, MissingNull) is pinned to refuse.
    assert_eq!((labels[&8].as_str(), outcomes[&8]), ("acceptable", false));
}

/// Fails unless exactly the listed tcIds deviate from `expected_accept(label)`.
fn check_deviations(
    file: &str,
    outcomes: &BTreeMap<u32, bool>,
    labels: &BTreeMap<u32, String>,
    deviations: &[(u32, &str)],
    expected_accept: impl Fn(&str) -> bool,
) {
    let mut problems = Vec::new();
    for (tc, accepted) in outcomes {
        let deviates = *accepted != expected_accept(&labels[tc]);
        let listed = deviations.iter().any(|(id, _)| id == tc);
        match (deviates, listed) {
            (true, false) => problems.push(format!(
                "tc {tc}: {} but {}",
                labels[tc],
                if *accepted { "accepted" } else { "refused" }
            )),
            (false, true) => problems.push(format!(
                "tc {tc}: listed as a deviation but no longer deviates: update the list"
            )),
            _ => {}
        }
    }
    for (id, _) in deviations {
        if !outcomes.contains_key(id) {
            problems.push(format!("tc {id}: listed but not in the file"));
        }
    }
    assert!(problems.is_empty(), "{file}:\n{}", problems.join("\n"));
}

// ===== Wycheproof JWS and JWK =====

/// The `alg` of a compact JWS header, if it has one (read leniently: only to apply the
/// "alg ≠ RS256 → refuse regardless of label" rule).
fn header_alg(jws: &str) -> Option<String> {
    use base64::Engine as _;
    let header = jws.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("alg")?.as_str().map(str::to_owned)
}

/// Per tcId: the payload `verify_jws` returned, or its error.
type Outcomes = BTreeMap<u32, Result<Vec<u8>, VerifyError>>;
/// Per tcId: the label (`valid`, `invalid`, ...) and the header's `alg`.
type Labels = BTreeMap<u32, (String, Option<String>)>;

/// Runs every vector of a JOSE file through `verify_jws` with its group's keys (our JWK
/// policy, RS256 only).
fn run_jose(file: &JoseFile) -> (Outcomes, Labels) {
    let mut outcomes = BTreeMap::new();
    let mut labels = BTreeMap::new();
    for group in &file.test_groups {
        let keys = wycheproof::group_keys(group).unwrap_or_default();
        for test in &group.tests {
            outcomes.insert(
                test.tc_id,
                verify_jws(&test.jws, &keys, &[Algorithm::Rs256]),
            );
            labels.insert(test.tc_id, (test.result.clone(), header_alg(&test.jws)));
        }
    }
    (outcomes, labels)
}

/// Compares every outcome with its exact expected reason.
fn check_reasons(file: &str, outcomes: &Outcomes, expected: impl Fn(u32) -> Expect) {
    let problems: Vec<String> = outcomes
        .iter()
        .filter_map(|(tc, outcome)| {
            let actual = outcome.as_ref().map(|_| ()).map_err(|e| *e);
            (actual != expected(*tc))
                .then(|| format!("tc {tc}: expected {:?}, got {actual:?}", expected(*tc)))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{file}: {} mismatches\n{}",
        problems.len(),
        problems.join("\n")
    );
}

const SEGMENT_COUNT: Expect = Err(VerifyError::MalformedToken(Malformed::SegmentCount));
const EMPTY_SEGMENT: Expect = Err(VerifyError::MalformedToken(Malformed::EmptySegment));
const INVALID_CHARACTER: Expect = Err(VerifyError::MalformedToken(Malformed::InvalidCharacter));
const ALG: Expect = Err(VerifyError::AlgorithmNotAllowed);

/// Labelled `valid` with header `alg: RS256`, refused by us, and why.
const JWS_DEVIATIONS: [(u32, &str); 1] = [(
    259,
    "empty payload: the compact parser requires three non-empty segments (security catalogue E4; an access token always has claims)",
)];

/// The exact outcome of each JWS vector.
fn jws_expected(tc: u32) -> Expect {
    match tc {
        // hs256 / es256 groups: the structural vectors fail on structure (checked before the
        // header), the rest on `alg`.
        3 | 6 | 9 | 11 | 16 | 20 | 23 | 26 | 28 => EMPTY_SEGMENT,
        4 | 7 | 10 | 12 | 13 | 14 | 15 | 21 | 24 | 27 | 29 | 30 => SEGMENT_COUNT,
        17 => INVALID_CHARACTER, // JWS JSON serialisation
        1 | 2 | 5 | 8 | 18 | 19 | 22 | 25 | 31 | 32 => ALG,
        // rs256 (kid-rsa-sign).
        33 => OK,
        34 | 37 => Err(VerifyError::InvalidSignature),
        35 | 38 | 41 | 43 => EMPTY_SEGMENT,
        36 | 39 | 42 | 44 | 45 => SEGMENT_COUNT,
        40 => Err(VerifyError::UnknownKid), // header modified: kid "Xid-rsa-sign"
        46..=258 => Err(VerifyError::InvalidSignature), // PKCS#1 padding / ASN.1 mutations
        // rs256 (RS256_2048): empty payload (deviation), then valid.
        259 => EMPTY_SEGMENT,
        260..=263 => OK,
        // rs384, rs512, ps256, ps384, ps512: empty payloads fail on structure, the rest on alg.
        264 | 268 | 272 | 320 | 325 => EMPTY_SEGMENT,
        265..=267 | 269..=271 | 273..=319 | 321..=324 | 326..=331 | 333..=340 => ALG,
        // RS256 header, key published for PS512: the key is refused at ingestion.
        332 => Err(VerifyError::UnknownKid),
        // alg none with an empty signature.
        341..=344 => EMPTY_SEGMENT,
        // rfc7520 (Figure 13 valid; PS384, ES512, HS256 by alg), with and without key_ops.
        345 | 349 => OK,
        346 | 347 | 348 | 350 | 351 | 352 => ALG,
        // RSA key with use enc / key_ops encrypt: refused at ingestion.
        353 | 355 => Err(VerifyError::UnknownKid),
        354 | 356 => ALG,
        // base64 group (HS256): characters outside the alphabet fail on structure, the rest
        // (including the mislabelled 367/370 and 374/375) on alg.
        360..=366 | 368 | 369 | 371..=373 => INVALID_CHARACTER,
        357..=359 | 367 | 370 | 374..=377 => ALG,
        // ES256 special cases (psychic signature r = s = 0 is 386).
        378..=401 => ALG,
        _ => panic!("tc {tc} has no expectation"),
    }
}

#[test]
fn wycheproof_jws() {
    let file = wycheproof::jose_file(wycheproof::JWS);
    assert_eq!(file.number_of_tests, 401);
    let (outcomes, labels) = run_jose(&file);
    assert_eq!(outcomes.len(), 401);
    check_reasons("JWS", &outcomes, jws_expected);

    // Label check: accept exactly the `valid` vectors whose header alg is RS256; every other
    // alg is refused whatever its label says (this also neutralises the label quirks of tc
    // 367/370/372/373 and of the rfc7520 PS group).
    let accepted: BTreeMap<u32, bool> = outcomes.iter().map(|(tc, o)| (*tc, o.is_ok())).collect();
    let rule: BTreeMap<u32, String> = labels
        .iter()
        .map(|(tc, (label, alg))| {
            (
                *tc,
                if label == "valid" && alg.as_deref() == Some("RS256") {
                    "accept"
                } else {
                    "refuse"
                }
                .to_owned(),
            )
        })
        .collect();
    check_deviations("JWS", &accepted, &rule, &JWS_DEVIATIONS, |rule| {
        rule == "accept"
    });
    for (tc, (label, alg)) in &labels {
        if alg.as_deref() != Some("RS256") {
            assert!(
                outcomes[tc].is_err(),
                "tc {tc}: alg {alg:?} ({label}) accepted"
            );
        }
    }

    // What the accepted ones return is the signed payload, byte for byte.
    assert_eq!(outcomes[&33].as_deref().unwrap(), b"foo");
    let all_zero = outcomes[&260].as_deref().unwrap();
    assert!(
        !all_zero.is_empty() && all_zero.iter().all(|b| *b == 0),
        "tc 260 allZeroPayload"
    );
    assert_eq!(
        outcomes[&261].as_deref().unwrap().len(),
        1,
        "tc 261 oneBytePayload"
    );
    let cookbook: Value = serde_json::from_str(wycheproof::RFC7520_4_1).unwrap();
    assert_eq!(
        outcomes[&345].as_deref().unwrap(),
        cookbook["input"]["payload"].as_str().unwrap().as_bytes()
    );
}

/// Labelled `invalid`, accepted by us, and why.
const JWK_DEVIATIONS: [(u32, &str); 1] = [(
    7,
    "ROCA-vulnerable modulus (CVE-2017-15361) is not detected: optional per security catalogue S13; the key is otherwise within policy (2049 bits, e = 65537)",
)];

/// The exact outcome of each JWK vector.
fn jwk_expected(tc: u32) -> Expect {
    match tc {
        // Symmetric and EC groups: refused by alg (HS*, ES*) before any key lookup.
        1..=4 | 10..=26 => ALG,
        5 => OK,
        6 => Err(VerifyError::UnknownKid), // RSA key with use enc: refused at ingestion
        7 => OK,                           // deviation: ROCA not detected
        // 1024-bit key and e = 1: the payload is empty, so the structure check refuses the
        // token first; `wycheproof_jwk_key_policy` shows the key policy refuses both keys.
        8 | 9 => EMPTY_SEGMENT,
        _ => panic!("tc {tc} has no expectation"),
    }
}

#[test]
fn wycheproof_jwk() {
    let file = wycheproof::jose_file(wycheproof::JWK);
    assert_eq!(file.number_of_tests, 26);
    let (outcomes, labels) = run_jose(&file);
    check_reasons("JWK", &outcomes, jwk_expected);
    let accepted: BTreeMap<u32, bool> = outcomes.iter().map(|(tc, o)| (*tc, o.is_ok())).collect();
    let rule: BTreeMap<u32, String> = labels
        .iter()
        .map(|(tc, (label, alg))| {
            (
                *tc,
                if label == "valid" && alg.as_deref() == Some("RS256") {
                    "accept"
                } else {
                    "refuse"
                }
                .to_owned(),
            )
        })
        .collect();
    check_deviations("JWK", &accepted, &rule, &JWK_DEVIATIONS, |rule| {
        rule == "accept"
    });
    assert_eq!(outcomes[&5].as_deref().unwrap(), b"foo");
}

/// The group whose tests include `tc`.
fn group_of(file: &JoseFile, tc: u32) -> &wycheproof::JoseGroup {
    file.test_groups
        .iter()
        .find(|g| g.tests.iter().any(|t| t.tc_id == tc))
        .unwrap()
}

/// The skip reasons of a group's public keys (a usable decoy lets the set load).
fn skip_reasons(group: &wycheproof::JoseGroup) -> Vec<KeyRejection> {
    let mut keys = group.public.as_ref().unwrap()["keys"]
        .as_array()
        .unwrap()
        .clone();
    keys.push(
        tollgate_testkit::SigningKey::fixture(0)
            .unwrap()
            .public_jwk(),
    );
    let set = KeySet::from_json(jwks_of(&keys).as_bytes(), &KeySetOptions::default()).unwrap();
    set.skipped().iter().map(|s| s.reason().clone()).collect()
}

#[test]
fn wycheproof_jwk_key_policy() {
    let file = wycheproof::jose_file(wycheproof::JWK);
    let jws = |tc: u32| {
        group_of(&file, tc)
            .tests
            .iter()
            .find(|t| t.tc_id == tc)
            .unwrap()
            .jws
            .clone()
    };

    // tc 6: RSA key with use enc.
    assert_eq!(
        skip_reasons(group_of(&file, 6)),
        [KeyRejection::NotForSignatures]
    );

    // tc 8: a 1024-bit key. The signature is cryptographically valid (a verifier without a
    // size policy accepts it: shown with aws-lc's legacy 1024-bit parameters); our policy
    // refuses the key at ingestion.
    assert_eq!(
        skip_reasons(group_of(&file, 8)),
        [KeyRejection::ModulusOutOfPolicy { bits: 1024 }]
    );
    let key = &group_of(&file, 8).public.as_ref().unwrap()["keys"][0];
    let token = jws(8);
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let naive = aws_lc_rs::signature::RsaPublicKeyComponents {
        n: b64_decode(key["n"].as_str().unwrap()),
        e: b64_decode(key["e"].as_str().unwrap()),
    };
    assert!(
        naive
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                signing_input.as_bytes(),
                &b64_decode(signature)
            )
            .is_ok()
    );

    // tc 9: e = 1. The signature is the EMSA-PKCS1-v1_5 encoding itself (no private key
    // involved); our policy refuses the key.
    assert_eq!(
        skip_reasons(group_of(&file, 9)),
        [KeyRejection::ExponentOutOfPolicy]
    );
    let token = jws(9);
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    assert_eq!(
        b64_decode(signature),
        raw::emsa_pkcs1_v15_sha256(signing_input.as_bytes(), 256)
    );

    // tc 4: duplicate kid. Its keys are `oct` (refused as not RSA); the RSA analogue: the
    // valid tc 5 key published twice under one kid makes that kid unusable.
    let duplicate = group_of(&file, 4).private.as_ref().unwrap()["keys"]
        .as_array()
        .unwrap();
    assert!(
        duplicate.iter().all(|k| k["kty"] == "oct") && duplicate[0]["kid"] == duplicate[1]["kid"]
    );
    assert!(matches!(
        wycheproof::group_keys(group_of(&file, 4)),
        Err(FetchError::NoUsableKeys { .. })
    ));
    let rsa = group_of(&file, 5).public.as_ref().unwrap()["keys"][0].clone();
    let twice = KeySet::from_json(
        jwks_of(&[
            rsa.clone(),
            rsa,
            tollgate_testkit::SigningKey::fixture(0)
                .unwrap()
                .public_jwk(),
        ])
        .as_bytes(),
        &KeySetOptions::default(),
    )
    .unwrap();
    assert_eq!(
        twice
            .skipped()
            .iter()
            .filter(|s| s.reason() == &KeyRejection::DuplicateKid)
            .count(),
        2
    );
    assert_eq!(
        verify_jws(&jws(5), &twice, &[Algorithm::Rs256]),
        Err(VerifyError::UnknownKid)
    );
}

// ===== RFC 7520 §4.1 =====

#[test]
fn rfc7520_4_1_rsa_v15_signature() {
    let cookbook: Value = serde_json::from_str(wycheproof::RFC7520_4_1).unwrap();
    let mut key = cookbook["input"]["key"].clone();
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        key.as_object_mut().unwrap().remove(private);
    }
    let keys = KeySet::from_json(jwks_of(&[key]).as_bytes(), &KeySetOptions::default()).unwrap();
    let compact = cookbook["output"]["compact"].as_str().unwrap();
    let payload = verify_jws(compact, &keys, &[Algorithm::Rs256]).unwrap();
    // The payload is not JWT claims: the cookbook's text, exactly.
    assert_eq!(
        payload,
        cookbook["input"]["payload"].as_str().unwrap().as_bytes()
    );
    assert_eq!(
        format!(
            "{}.{}",
            compact.split('.').next().unwrap(),
            compact.split('.').nth(1).unwrap()
        ),
        cookbook["signing"]["sig-input"].as_str().unwrap()
    );
    assert_eq!(
        compact.rsplit('.').next().unwrap(),
        cookbook["signing"]["sig"].as_str().unwrap()
    );

    // The JSON serialisations of the same signature are refused, as is any modification.
    for form in ["json", "json_flat"] {
        let text = cookbook["output"][form].to_string();
        assert_eq!(
            verify_jws(&text, &keys, &[Algorithm::Rs256]),
            Err(VerifyError::MalformedToken(Malformed::InvalidCharacter)),
            "{form}"
        );
    }
    let (h, p, s) = segments(compact);
    let mut sig = b64_decode(&s);
    sig[100] ^= 0x10;
    assert_eq!(
        verify_jws(
            &raw::with_signature(&h, &p, &sig),
            &keys,
            &[Algorithm::Rs256]
        ),
        Err(VerifyError::InvalidSignature)
    );
    // Through the verifier the payload is not a claims set.
    assert_eq!(
        verify_jws(compact, &keys, &[]),
        Err(VerifyError::AlgorithmNotAllowed)
    );
}

// ===== RFC 7515 Appendix A.2 =====

/// RFC 7515 Appendix A.2 (RS256), from the RFC text.
const A2_HEADER: &str = "eyJhbGciOiJSUzI1NiJ9";
const A2_PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const A2_SIGNATURE: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";

#[tokio::test]
async fn rfc7515_appendix_a2_rs256() {
    assert_eq!(b64_decode(A2_HEADER), br#"{"alg":"RS256"}"#);
    assert_eq!(
        b64_decode(A2_PAYLOAD),
        b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
    );
    // Our key sets require a kid; the RFC key has none, so it gets one here.
    let keys = KeySet::from_json(
        jwks_of(&[json!({"kty":"RSA","kid":"rfc7515-a2","n":A2_N,"e":"AQAB"})]).as_bytes(),
        &KeySetOptions::default(),
    )
    .unwrap();
    let key = keys.get("rfc7515-a2").unwrap();
    assert_eq!(key.modulus_bits(), Some(2048));
    let input = format!("{A2_HEADER}.{A2_PAYLOAD}");
    let signature = b64_decode(A2_SIGNATURE);
    assert_eq!(
        key.verify(Algorithm::Rs256, input.as_bytes(), &signature),
        Ok(())
    );

    // Any change to the input or the signature is refused.
    let mut flipped = signature.clone();
    flipped[255] ^= 1;
    assert_eq!(
        key.verify(Algorithm::Rs256, input.as_bytes(), &flipped),
        Err(SignatureError::Invalid)
    );
    assert_eq!(
        key.verify(Algorithm::Rs256, format!("{input} ").as_bytes(), &signature),
        Err(SignatureError::Invalid)
    );
    assert_eq!(
        key.verify(Algorithm::Rs256, input.as_bytes(), &signature[1..]),
        Err(SignatureError::WrongLength)
    );
    assert_eq!(
        key.verify(Algorithm::Rs384, input.as_bytes(), &signature),
        Err(SignatureError::AlgorithmMismatch)
    );

    // As a token: no kid, so refused before any key is looked at (no "try every key").
    let token = format!("{input}.{A2_SIGNATURE}");
    assert_eq!(
        verify_jws(&token, &keys, &[Algorithm::Rs256]),
        Err(VerifyError::MissingKid)
    );
    let env = Env::new().await;
    assert_eq!(env.check(&token).await, Err(VerifyError::MissingKid));
}
