//! Cases found with the fuzz targets in `fuzz/`, replayed as ordinary tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tollgate_testkit::{SigningKey, TokenBuilder, jwks_json, raw};
use tollgate_verify::jwks::{JwksSource, KeySet, KeySetOptions};
use tollgate_verify::{Algorithm, Issuer, ManualClock, Verifier, VerifyError, verify_jws};

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz1";
const CLIENT: &str = "client-a";
const T0: u64 = 1_700_000_000;

/// The contrast to `tollgate-jwks`'s `unpaired_surrogates_and_huge_numbers_in_a_key_set` (fuzz
/// target `jwks`): a key set from the issuer may carry unpaired surrogate escapes or numbers
/// beyond f64 in members nobody reads, but a token may not, even in members the verifier
/// ignores. The token's JSON is read strictly (`docs/security-catalogue.md` §0.4), as serde_json's `Value` would read it, so
/// no other JSON reader downstream can fail on, or read differently, what tollgate accepted.
#[tokio::test]
async fn unpaired_surrogates_and_huge_numbers_in_a_token_are_refused() {
    let key = SigningKey::fixture(0).unwrap();
    let verifier = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(ISS)
                .client_ids([CLIENT])
                .jwks_source(JwksSource::static_json(jwks_json(&[&key]))),
        )
        .clock(ManualClock::at_unix(T0))
        .without_token_cache()
        .build_lazy()
        .unwrap();
    let keys = KeySet::from_json(jwks_json(&[&key]).as_bytes(), &KeySetOptions::default()).unwrap();
    let claims = serde_json::to_string(
        TokenBuilder::access_token(ISS, CLIENT, &["orders/read"], T0).claims(),
    )
    .unwrap();
    let header = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, key.kid());
    let with_member = |json: &str, member: &str| format!("{},{member}}}", &json[..json.len() - 1]);

    // The control: the same token without the odd member verifies.
    let control = raw::signed_compact(&header, &claims, &key).unwrap();
    verifier.verify(&control).await.unwrap();

    for member in [r#""x":"\udead""#, r#""x":"a\ud800b""#, r#""\udfff":1"#] {
        let token = raw::signed_compact(&with_member(&header, member), &claims, &key).unwrap();
        assert_eq!(
            verify_jws(&token, &keys, &[Algorithm::Rs256]),
            Err(VerifyError::MalformedHeader),
            "header member {member}"
        );
        assert_eq!(
            verifier.verify(&token).await.unwrap_err(),
            VerifyError::MalformedHeader,
            "header member {member}"
        );
        let token = raw::signed_compact(&header, &with_member(&claims, member), &key).unwrap();
        assert_eq!(
            verifier.verify(&token).await.unwrap_err(),
            VerifyError::MalformedPayload,
            "claims member {member}"
        );
    }
    for member in [r#""x":1e400"#, r#""x":[-1e999]"#] {
        let token = raw::signed_compact(&header, &with_member(&claims, member), &key).unwrap();
        assert_eq!(
            verifier.verify(&token).await.unwrap_err(),
            VerifyError::MalformedPayload,
            "claims member {member}"
        );
    }
    // A surrogate pair is a character like any other.
    let token = raw::signed_compact(
        &header,
        &with_member(&claims, r#""x":"\ud83d\ude00""#),
        &key,
    )
    .unwrap();
    verifier.verify(&token).await.unwrap();
}
