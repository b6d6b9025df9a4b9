//! The vendored vector files (`tests/data`) and minimal structs to read them.

use serde::Deserialize;
use serde_json::Value;
use tollgate_verify::jwks::{FetchError, KeySet, KeySetOptions};

/// Wycheproof RSASSA-PKCS1-v1_5 2048-bit / SHA-256 verification vectors.
pub const RSA_2048_SHA256: &str =
    include_str!("../data/wycheproof-rsa_signature_2048_sha256_test.json");
/// Wycheproof JSON Web Signature vectors.
pub const JWS: &str = include_str!("../data/wycheproof-json_web_signature_test.json");
/// Wycheproof JSON Web Key vectors.
pub const JWK: &str = include_str!("../data/wycheproof-json_web_key_test.json");
/// RFC 7520 §4.1 (JOSE cookbook), RSA v1.5 signature.
pub const RFC7520_4_1: &str = include_str!("../data/rfc7520-4_1.rsa_v15_signature.json");

/// An RSA signature vector file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RsaFile {
    pub number_of_tests: usize,
    pub test_groups: Vec<RsaGroup>,
}

/// One key and its tests.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RsaGroup {
    pub key_jwk: Value,
    pub tests: Vec<RsaTest>,
}

/// One RSA vector: hex message and signature.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RsaTest {
    pub tc_id: u32,
    pub comment: String,
    pub flags: Vec<String>,
    pub msg: String,
    pub sig: String,
    pub result: String,
}

/// A JWS or JWK vector file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoseFile {
    pub number_of_tests: usize,
    pub test_groups: Vec<JoseGroup>,
}

/// A key (JWK, or JWK set) and its compact JWS tests.
#[derive(Debug, Deserialize)]
pub struct JoseGroup {
    pub comment: String,
    pub public: Option<Value>,
    pub private: Option<Value>,
    pub tests: Vec<JoseTest>,
}

/// One compact JWS (or, for JSON-serialisation vectors, JWS JSON text).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoseTest {
    pub tc_id: u32,
    pub comment: String,
    pub jws: String,
    pub result: String,
    #[serde(default)]
    pub flags: Vec<String>,
}

/// Parses the RSA file.
pub fn rsa_file() -> RsaFile {
    serde_json::from_str(RSA_2048_SHA256).unwrap()
}

/// Parses a JOSE file.
pub fn jose_file(text: &str) -> JoseFile {
    serde_json::from_str(text).unwrap()
}

/// Hex to bytes (test data only).
pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// `{"keys":[jwk]}` for a single JWK, or the set itself, as JSON text.
pub fn as_set(jwk_or_set: &Value) -> String {
    if jwk_or_set.get("keys").is_some() {
        jwk_or_set.to_string()
    } else {
        serde_json::json!({ "keys": [jwk_or_set] }).to_string()
    }
}

/// A group's keys through our JWK ingestion policy (default options: RS256 only). The
/// public part when the group has one, else whatever it publishes as private (symmetric
/// groups), which the policy refuses.
pub fn group_keys(group: &JoseGroup) -> Result<KeySet, FetchError> {
    let Some(keys) = group.public.as_ref().or(group.private.as_ref()) else {
        return Err(FetchError::NoUsableKeys { skipped: 0 });
    };
    KeySet::from_json(as_set(keys).as_bytes(), &KeySetOptions::default())
}

/// Wycheproof ECDSA P-256 / SHA-256 verification vectors, IEEE P1363 (`r || s`) signatures.
pub const ECDSA_P256_P1363: &str =
    include_str!("../data/wycheproof-ecdsa_secp256r1_sha256_p1363_test.json");
/// Wycheproof ECDSA P-384 / SHA-384 verification vectors, IEEE P1363 signatures.
pub const ECDSA_P384_P1363: &str =
    include_str!("../data/wycheproof-ecdsa_secp384r1_sha384_p1363_test.json");
/// Wycheproof Ed25519 verification vectors.
pub const ED25519: &str = include_str!("../data/wycheproof-ed25519_test.json");
/// Wycheproof RSASSA-PSS 2048-bit / SHA-256 / MGF1-SHA-256 / 32-byte salt vectors.
pub const RSA_PSS_2048_SHA256: &str =
    include_str!("../data/wycheproof-rsa_pss_2048_sha256_mgf1_32_test.json");

/// A signature-verification vector file of the ECDSA, EdDSA or RSA-PSS kind.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureFile {
    pub number_of_tests: usize,
    pub test_groups: Vec<SignatureGroup>,
}

/// One public key (as Wycheproof's fields, and as a JWK where the file has one) and its tests.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureGroup {
    pub public_key: Value,
    pub public_key_jwk: Option<Value>,
    pub tests: Vec<RsaTest>,
}

/// Parses a signature file.
pub fn signature_file(text: &str) -> SignatureFile {
    serde_json::from_str(text).unwrap()
}

/// Fails unless exactly the listed tcIds deviate from `expected_accept(label)`: a listed
/// deviation that no longer deviates, or a tcId not in the file, fails too (the list cannot
/// go stale).
pub fn assert_deviations(
    file: &str,
    outcomes: &std::collections::BTreeMap<u32, bool>,
    labels: &std::collections::BTreeMap<u32, String>,
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
