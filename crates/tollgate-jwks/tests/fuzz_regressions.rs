//! Inputs found by the fuzz targets in `fuzz/`, replayed as ordinary tests (the inputs
//! themselves are kept in `fuzz/corpus/<target>/crash-*`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tollgate_jwks::{Algorithm, KeyRejection, KeySet, KeySetOptions};
use tollgate_testkit::{RsaAlg, SigningKey};

/// Fuzz target `jwks`, `crash-c8bd89866bdd0d71aba1032e48786a961dad1569`: a set whose entries
/// carry escapes of unpaired UTF-16 surrogates (`\udeee`) beside usable keys. RFC 8259's
/// grammar allows such escapes (§8.2) and numbers of any size (§6); serde_json's `Value`
/// refuses both, which is what failed (the harness's oracle, not tollgate). Pinned here:
/// - an entry whose member tollgate reads (`use`, `kid`) cannot be decoded is skipped as
///   `Malformed` (`docs/security-catalogue.md` K9), and so is an entry that is not an object (a huge number);
/// - members tollgate does not read are ignored whatever they hold (RFC 7517 §4), so the key
///   beside them stays usable, and verifies;
/// - the set as a whole is usable: one odd entry never costs the issuer its keys.
#[test]
fn unpaired_surrogates_and_huge_numbers_in_a_key_set() {
    let key = SigningKey::fixture(0).unwrap();
    let other = SigningKey::fixture(1).unwrap();
    let good = key.public_jwk().to_string();
    assert!(good.ends_with('}'));
    // The usable key, with two members tollgate never reads (not `x`/`y`: those are read,
    // as EC and OKP coordinates, whatever the key type).
    let odd_members = format!(
        r#"{}, "note": "\udead", "size": 1e400}}"#,
        &good[..good.len() - 1]
    );
    // Another RSA key whose `use` is an unpaired surrogate.
    let other_jwk = other.public_jwk().to_string();
    let bad_use = format!(
        r#"{}, "use": "\udeee"}}"#,
        &other_jwk[..other_jwk.len() - 1]
    );
    let body = format!(r#"{{"keys": [{odd_members}, {bad_use}, 1e400, {{"kid": "\ud800"}}]}}"#);
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_err(),
        "serde_json's Value refuses this text"
    );

    let set = KeySet::from_json(body.as_bytes(), &KeySetOptions::default()).unwrap();
    assert_eq!(set.len(), 1);
    let usable = set
        .get(key.kid())
        .expect("the key beside odd members is usable");
    let signature = key.sign(RsaAlg::Rs256, b"message").unwrap();
    usable
        .verify(Algorithm::Rs256, b"message", &signature)
        .unwrap();
    assert!(set.get(other.kid()).is_none());

    let skipped: Vec<(Option<&str>, &KeyRejection)> = set
        .skipped()
        .iter()
        .map(|skip| (skip.kid(), skip.reason()))
        .collect();
    assert_eq!(
        skipped,
        [
            (Some(other.kid()), &KeyRejection::Malformed),
            (None, &KeyRejection::Malformed),
            (None, &KeyRejection::Malformed),
        ]
    );
}
