//! A JWK set document as an issuer's JWKS endpoint might serve it, through
//! `KeySet::from_json` with the default options and with tight ones (2 keys, 16-byte kids,
//! RS256 and RS512 only).
//!
//! Property: no panic; an accepted set is a JSON object with a `keys` array whose every entry
//! is either a usable key or a skipped one; every usable key satisfies the key policy, checked
//! independently on the JSON entry that carries its `kid` (no private members, `use`,
//! `key_ops`, kid limits; RSA: 2048-8192 real modulus bits, odd modulus, odd exponent in
//! [65537, 2^33-1], `alg` an allowed RS*/PS*; EC: P-256 or P-384 with coordinates of exactly
//! the curve's length and `alg` the curve's one algorithm; OKP: Ed25519 with a 32-byte `x`; the
//! key's type and algorithms follow from the entry); and a key that verifies fixture key 0's
//! signature carries exactly fixture key 0's modulus.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use tollgate_fuzz::{b64_decode, fixture, grammar_json};
use tollgate_testkit::RsaAlg;
use tollgate_verify::Algorithm;
use tollgate_verify::jwks::{
    KeySet, KeySetOptions, KeyType, MAX_EXPONENT, MAX_MODULUS_BITS, MIN_EXPONENT, MIN_MODULUS_BITS,
    VerifyingKey,
};

const MESSAGE: &[u8] = b"tollgate fuzz: a message signed by fixture key 0";

/// Fixture key 0's RS256 signature over [`MESSAGE`] and its modulus.
static SIGNED: LazyLock<(Vec<u8>, Vec<u8>)> = LazyLock::new(|| {
    let key = &fixture().cognito_key;
    let signature = key.sign(RsaAlg::Rs256, MESSAGE).unwrap_or_default();
    (signature, strip_zeros(key.modulus()).to_vec())
});

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn bit_length(bytes: &[u8]) -> usize {
    let bytes = strip_zeros(bytes);
    bytes
        .first()
        .map_or(0, |first| bytes.len() * 8 - first.leading_zeros() as usize)
}

/// The key type an entry's `kty` and `crv` describe, if tollgate supports it.
fn entry_key_type(entry: &Map<String, Value>) -> Option<KeyType> {
    let crv = entry.get("crv").and_then(Value::as_str);
    match (entry.get("kty").and_then(Value::as_str)?, crv) {
        ("RSA", _) => Some(KeyType::Rsa),
        ("EC", Some("P-256")) => Some(KeyType::EcP256),
        ("EC", Some("P-384")) => Some(KeyType::EcP384),
        ("OKP", Some("Ed25519")) => Some(KeyType::Ed25519),
        _ => None,
    }
}

/// A base64url member decoded to exactly `len` bytes.
fn coordinate(entry: &Map<String, Value>, name: &str, len: usize) -> Result<(), String> {
    let bytes = entry
        .get(name)
        .and_then(Value::as_str)
        .and_then(b64_decode)
        .ok_or_else(|| format!("{name} is not base64url"))?;
    if bytes.len() == len {
        Ok(())
    } else {
        Err(format!("{name} of {} bytes, not {len}", bytes.len()))
    }
}

/// The key policy, restated on the JSON entry of an accepted key.
fn check_entry(
    entry: &Map<String, Value>,
    key: &VerifyingKey,
    options: (usize, &[Algorithm]),
) -> Result<(), String> {
    let (max_kid_len, algorithms) = options;
    let key_type = entry_key_type(entry).ok_or("kty/crv not supported")?;
    if key_type != key.key_type() {
        return Err("the key's type differs from its entry's".into());
    }
    for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        if entry.contains_key(private) {
            return Err(format!("private member {private}"));
        }
    }
    if entry.get("use").is_some_and(|u| u.as_str() != Some("sig")) {
        return Err("use is not sig".into());
    }
    if let Some(ops) = entry.get("key_ops") {
        let ops = ops.as_array().ok_or("key_ops is not an array")?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err("key_ops lacks verify".into());
        }
    }
    let served: Vec<Algorithm> = key.algorithms().collect();
    if served.is_empty() {
        return Err("a usable key that serves no algorithm".into());
    }
    for alg in &served {
        if !algorithms.contains(alg) || alg.key_type() != key_type {
            return Err(format!(
                "serves {alg:?}, not allowed or not of its key type"
            ));
        }
    }
    if let Some(alg) = entry.get("alg") {
        let alg = alg.as_str().and_then(Algorithm::from_jose);
        if !alg.is_some_and(|alg| algorithms.contains(&alg)) {
            return Err("alg is not allowed".into());
        }
        if served.iter().any(|s| Some(*s) != alg) {
            return Err("a JWK alg does not bind the key to that one algorithm".into());
        }
    }
    let kid = entry.get("kid").and_then(Value::as_str).ok_or("no kid")?;
    if kid.is_empty() || kid.len() > max_kid_len {
        return Err("kid length".into());
    }
    match key_type {
        KeyType::Rsa => check_rsa(entry),
        KeyType::EcP256 => coordinate(entry, "x", 32).and_then(|()| coordinate(entry, "y", 32)),
        KeyType::EcP384 => coordinate(entry, "x", 48).and_then(|()| coordinate(entry, "y", 48)),
        KeyType::Ed25519 => coordinate(entry, "x", 32),
        _ => Err("a key type this oracle does not know".into()),
    }
}

/// The RSA part of the key policy.
fn check_rsa(entry: &Map<String, Value>) -> Result<(), String> {
    let n = entry
        .get("n")
        .and_then(Value::as_str)
        .and_then(b64_decode)
        .ok_or("n is not base64url")?;
    let bits = bit_length(&n);
    if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) || n.last().is_none_or(|b| b & 1 == 0)
    {
        return Err(format!("modulus of {bits} bits or even"));
    }
    let e = entry
        .get("e")
        .and_then(Value::as_str)
        .and_then(b64_decode)
        .ok_or("e is not base64url")?;
    let e = strip_zeros(&e);
    if e.len() > 8 {
        return Err("exponent too long".into());
    }
    let e = e.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    if e % 2 == 0 || !(MIN_EXPONENT..=MAX_EXPONENT).contains(&e) {
        return Err("exponent out of policy".into());
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let tight_algorithms = [Algorithm::Rs256, Algorithm::Rs512];
    let cases = [
        (KeySetOptions::default(), 64, 256, &Algorithm::ALL[..]),
        (
            KeySetOptions::default()
                .max_keys(2)
                .max_kid_len(16)
                .algorithms(tight_algorithms),
            2,
            16,
            &tight_algorithms[..],
        ),
    ];
    for (options, max_keys, max_kid_len, algorithms) in cases {
        let Ok(set) = KeySet::from_json(data, &options) else {
            continue;
        };
        assert!(!set.is_empty(), "an accepted set without a usable key");
        assert!(set.len() <= max_keys, "more keys than max_keys");
        // JSON by RFC 8259's grammar; tollgate's reader skips the content of members and entries
        // it does not use, where serde_json's `Value` would refuse unpaired surrogate escapes
        // and numbers beyond f64 (see the regression test `jwks/tests/fuzz_regressions.rs`).
        let value = grammar_json(data).expect("an accepted set is JSON");
        let entries = value
            .get("keys")
            .and_then(Value::as_array)
            .expect("an accepted set has a keys array");
        assert_eq!(
            set.len() + set.skipped().len(),
            entries.len(),
            "every entry is a key or a skipped entry"
        );
        for key in set.keys() {
            assert!(!key.is_revoked());
            if let Some(bits) = key.modulus_bits() {
                assert_eq!(key.key_type(), KeyType::Rsa);
                assert!((MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits));
            } else {
                assert_ne!(key.key_type(), KeyType::Rsa, "an RSA key without a modulus");
            }
            let carriers: Vec<&Map<String, Value>> = entries
                .iter()
                .filter_map(Value::as_object)
                .filter(|entry| entry.get("kid").and_then(Value::as_str) == Some(key.kid()))
                .collect();
            assert!(!carriers.is_empty(), "a usable key that no entry names");
            if let [entry] = carriers[..] {
                if let Err(broken) = check_entry(entry, key, (max_kid_len, algorithms)) {
                    panic!("a usable key breaks the key policy: {broken}");
                }
                if key.key_type() == KeyType::Rsa {
                    let n = entry.get("n").and_then(Value::as_str).and_then(b64_decode);
                    assert_eq!(
                        n.as_deref().map(bit_length),
                        key.modulus_bits(),
                        "modulus size differs from the entry's"
                    );
                }
            }
            let (signature, modulus) = &*SIGNED;
            if key.verify(Algorithm::Rs256, MESSAGE, signature).is_ok() {
                let own = carriers.iter().any(|entry| {
                    entry
                        .get("n")
                        .and_then(Value::as_str)
                        .and_then(b64_decode)
                        .is_some_and(|n| strip_zeros(&n) == &modulus[..])
                });
                assert!(
                    own,
                    "a key verified fixture key 0's signature without its modulus"
                );
            }
        }
    }
});
