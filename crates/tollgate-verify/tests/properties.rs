//! Property tests of the verifier contract (security catalogue, `docs/security-catalogue.md`):
//! arbitrary input never panics and is never
//! accepted; any single-byte mutation of a valid token is refused; sign → verify round-trips
//! Cognito-shaped claims; the parser accepts nothing outside the compact grammar; time
//! checks are monotonic around the boundary; scope matching has set semantics.
//!
//! One static key set and verifier (no HTTP), built once; modest case counts keep the suite
//! fast in debug builds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use proptest::prelude::*;
use tollgate_testkit::{SigningKey, TokenBuilder, jwks_json};
use tollgate_verify::jwks::JwksSource;
use tollgate_verify::{
    DEFAULT_MAX_TOKEN_LEN, Issuer, ManualClock, Scopes, VerifiedToken, Verifier, VerifyError,
};

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Props1";
const T0: u64 = 1_700_000_000;
const LEEWAY: i64 = 30;
const CLIENTS: [&str; 4] = ["client-a", "client-b", "c0ffee", "x"];

struct Fixture {
    key: SigningKey,
    verifier: Verifier,
    runtime: tokio::runtime::Runtime,
    /// A valid token, and its length.
    good: String,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let key = SigningKey::fixture(0).unwrap();
    let verifier = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(ISS)
                .client_ids(CLIENTS)
                .jwks_source(JwksSource::static_json(jwks_json(&[&key]))),
        )
        .clock(ManualClock::at_unix(T0))
        // Every call takes the full path (a cache hit would only prove the cache works).
        .without_token_cache()
        .build_lazy()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let good = TokenBuilder::access_token(ISS, CLIENTS[0], &["orders/read"], T0)
        .sign(&key)
        .unwrap();
    Fixture {
        key,
        verifier,
        runtime,
        good,
    }
});

fn verify(token: &str) -> Result<VerifiedToken, VerifyError> {
    let fixture = &*FIXTURE;
    fixture.runtime.block_on(fixture.verifier.verify(token))
}

/// `^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`
fn in_grammar(token: &str) -> bool {
    let segments: Vec<&str> = token.split('.').collect();
    segments.len() == 3
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Strings that are often near the grammar: base64url characters, dots, and the usual
/// intruders.
fn near_grammar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_.-]{0,80}",
        "[A-Za-z0-9_-]{1,40}\\.[A-Za-z0-9_-]{1,40}\\.[A-Za-z0-9_-]{1,40}",
        "[A-Za-z0-9_=+/ .\t\n%?#-]{0,80}",
        "[A-Za-z0-9_-]{0,20}\\.{0,4}[A-Za-z0-9_-]{0,20}\\.{0,4}[A-Za-z0-9_-]{0,20}.{0,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic_and_are_never_accepted(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(verify(&text).is_err());
    }

    #[test]
    fn arbitrary_strings_never_panic_and_are_never_accepted(text in any::<String>()) {
        prop_assert!(verify(&text).is_err());
    }

    #[test]
    fn well_formed_junk_is_never_accepted(
        h in "[A-Za-z0-9_-]{1,120}",
        p in "[A-Za-z0-9_-]{1,400}",
        s in "[A-Za-z0-9_-]{1,400}",
    ) {
        let token = format!("{h}.{p}.{s}");
        let error = verify(&token).unwrap_err();
        prop_assert!(!matches!(error, VerifyError::MalformedToken(_)), "{error:?}");
    }

    #[test]
    fn parser_accepts_nothing_outside_the_compact_grammar(text in near_grammar()) {
        // Outside the grammar: refused as a malformed token, before anything else is read.
        // Inside it: whatever the outcome, not for the token's shape.
        let result = verify(&text);
        prop_assert!(result.is_err());
        let error = result.unwrap_err();
        prop_assert_eq!(
            matches!(error, VerifyError::MalformedToken(_)),
            !in_grammar(&text),
            "{:?} for {:?}", error, text
        );
    }

    #[test]
    fn any_single_byte_mutation_of_a_valid_token_is_refused(index in 0usize..2048, replacement in any::<char>()) {
        let good = &FIXTURE.good;
        let index = index % good.len();
        let mut mutated = good.clone();
        mutated.replace_range(index..=index, replacement.encode_utf8(&mut [0; 4]));
        if mutated == *good {
            prop_assert!(verify(&mutated).is_ok());
        } else {
            prop_assert!(verify(&mutated).is_err(), "mutation at {} to {:?} accepted", index, replacement);
        }
    }

    #[test]
    fn any_single_ascii_mutation_of_a_valid_token_is_refused(index in 0usize..2048, replacement in 0u8..128) {
        // Restricted to the base64url alphabet and the separators, so most mutations reach
        // the header, payload or signature checks instead of the character check.
        let good = &FIXTURE.good;
        let index = index % good.len();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
        let byte = alphabet[usize::from(replacement) % alphabet.len()];
        let mut bytes = good.clone().into_bytes();
        bytes[index] = byte;
        let mutated = String::from_utf8(bytes).unwrap();
        prop_assert_eq!(verify(&mutated).is_ok(), mutated == *good, "mutation at {} to {:?}", index, char::from(byte));
    }

    #[test]
    fn sign_then_verify_round_trips_cognito_claims(
        client in 0usize..CLIENTS.len(),
        scopes in proptest::collection::vec("[a-z]{1,6}(/[a-z:.]{1,8})?", 0..8),
        lifetime in 1u64..86_400,
        age in 0u64..3_600,
        username in "[a-z0-9_.@-]{1,20}",
    ) {
        let fixture = &*FIXTURE;
        let iat = T0 - age;
        let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let exp = iat + lifetime;
        let token = TokenBuilder::access_token(ISS, CLIENTS[client], &scope_refs, iat)
            .expires_at(exp)
            .claim("username", username.as_str())
            .sign(&fixture.key)
            .unwrap();
        let result = verify(&token);
        // Accepted exactly when not expired on the verifier's clock (now < exp + L).
        let alive = i64::try_from(exp).unwrap() + LEEWAY > i64::try_from(T0).unwrap();
        prop_assert_eq!(result.is_ok(), alive, "{:?}", result.as_ref().err());
        if let Ok(verified) = result {
            prop_assert_eq!(verified.client_id(), Some(CLIENTS[client]));
            prop_assert_eq!(verified.issuer(), ISS);
            prop_assert_eq!(verified.expires_at(), i64::try_from(exp).unwrap());
            prop_assert_eq!(verified.claims().issued_at(), Some(i64::try_from(iat).unwrap()));
            prop_assert_eq!(verified.claims().username(), Some(username.as_str()));
            prop_assert_eq!(verified.kid(), fixture.key.kid());
            let expected: BTreeSet<&str> = scope_refs.iter().copied().collect();
            let granted: BTreeSet<&str> = verified.scopes().iter().collect();
            prop_assert_eq!(granted, expected);
        } else {
            prop_assert_eq!(result.unwrap_err(), VerifyError::Expired);
        }
    }

    #[test]
    fn clients_outside_the_allowlist_are_refused(client in "[a-z0-9-]{1,12}") {
        let token = TokenBuilder::access_token(ISS, &client, &[], T0).sign(&FIXTURE.key).unwrap();
        let expected = if CLIENTS.contains(&client.as_str()) { Ok(()) } else { Err(VerifyError::ClientNotAllowed) };
        prop_assert_eq!(verify(&token).map(|_| ()), expected);
    }

    #[test]
    fn time_checks_are_monotonic_around_the_boundary(exp_offset in -400i64..400, nbf_offset in -400i64..400) {
        let t0 = i64::try_from(T0).unwrap();
        let token = TokenBuilder::access_token(ISS, CLIENTS[0], &[], T0 - 7200)
            .claim("exp", t0 + exp_offset)
            .claim("nbf", t0 + nbf_offset)
            .sign(&FIXTURE.key)
            .unwrap();
        let expected = if exp_offset + LEEWAY <= 0 {
            Err(VerifyError::Expired)
        } else if nbf_offset > LEEWAY {
            Err(VerifyError::NotYetValid)
        } else {
            Ok(())
        };
        prop_assert_eq!(verify(&token).map(|_| ()), expected);
    }

    #[test]
    fn scope_matching_has_set_semantics(
        scopes in proptest::collection::vec("[A-Za-z0-9:/._-]{1,12}", 0..12),
        probe in "[A-Za-z0-9:/._-]{1,12}",
        seed in any::<u64>(),
    ) {
        let set: BTreeSet<&str> = scopes.iter().map(String::as_str).collect();
        let parsed = Scopes::parse(&scopes.join(" "));
        // Order and duplicates do not matter; extra spaces do not matter.
        let mut shuffled: Vec<&str> = scopes.iter().map(String::as_str).collect();
        shuffled.extend(scopes.iter().take(3).map(String::as_str));
        let len = shuffled.len();
        if len > 1 {
            for i in 0..len {
                let j = usize::try_from(seed.rotate_left(u32::try_from(i).unwrap()) % u64::try_from(len).unwrap()).unwrap();
                shuffled.swap(i, j);
            }
        }
        prop_assert_eq!(&Scopes::parse(&format!("  {}  ", shuffled.join("   "))), &parsed);
        prop_assert_eq!(&shuffled.iter().copied().collect::<Scopes>(), &parsed);
        prop_assert_eq!(parsed.len(), set.len());
        prop_assert_eq!(parsed.iter().collect::<BTreeSet<_>>(), set.clone());
        // Exact membership: no prefix, suffix or case folding.
        prop_assert_eq!(parsed.contains(&probe), set.contains(probe.as_str()));
        for scope in &set {
            prop_assert!(parsed.contains(scope));
            let longer = format!("{scope}x");
            prop_assert_eq!(parsed.contains(&longer), set.contains(longer.as_str()));
        }
        // all / any over the probe and the members.
        prop_assert!(parsed.all(set.iter()));
        prop_assert_eq!(parsed.all([probe.as_str()]), set.contains(probe.as_str()));
        prop_assert_eq!(parsed.any(set.iter().chain([&probe.as_str()])), !set.is_empty() || set.contains(probe.as_str()));
        // Display is the claim form and parses back to the same set.
        prop_assert_eq!(Scopes::parse(&parsed.to_string()), parsed);
    }

    #[test]
    fn scope_claim_order_and_duplicates_do_not_matter_end_to_end(
        scopes in proptest::collection::vec("[a-z]{1,4}/[a-z]{1,4}", 1..6),
    ) {
        let mut reversed = scopes.clone();
        reversed.reverse();
        reversed.push(scopes[0].clone());
        let sign = |list: &[String]| {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            TokenBuilder::access_token(ISS, CLIENTS[0], &refs, T0).sign(&FIXTURE.key).unwrap()
        };
        let a = verify(&sign(&scopes)).unwrap();
        let b = verify(&sign(&reversed)).unwrap();
        prop_assert_eq!(a.scopes(), b.scopes());
    }

    #[test]
    fn oversized_input_is_refused_by_length_first(extra in 1usize..4096, filler in "[A-Za-z0-9_.=+/ -]") {
        let token = filler.repeat(DEFAULT_MAX_TOKEN_LEN + extra);
        prop_assert_eq!(verify(&token).map(|_| ()), Err(VerifyError::TokenTooLong));
    }
}

#[test]
fn the_static_fixture_accepts_its_good_token() {
    let verified = verify(&FIXTURE.good).unwrap();
    assert_eq!(verified.client_id(), Some(CLIENTS[0]));
    assert!(in_grammar(&FIXTURE.good));
}
