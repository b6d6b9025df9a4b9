//! Security catalogue (`docs/security-catalogue.md`), rows H1–H23: the JOSE header (`alg`, `kid`, key-injection
//! headers, `crit`, `typ`, JWE parameters). H15 (a `kid` of another issuer) is in
//! `policy.rs` with the other multi-issuer rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::json;
use tollgate_testkit::raw::{self, b64url};
use tollgate_testkit::{RsaAlg, SigningKey, TestIssuer};
use tollgate_verify::{Algorithm, Malformed, Part, VerifyError};

#[tokio::test]
async fn h1_alg_none_in_any_spelling_is_refused() {
    let env = Env::new().await;
    let token = env.token();
    let kid = env.key.kid();
    let mut rows = vec![
        // Empty signature: refused by the structure check before the header is read.
        (
            "none, empty signature",
            token.unsigned(),
            Err(VerifyError::MalformedToken(Malformed::EmptySegment)),
        ),
        (
            "none + kid, empty signature",
            token.clone().header("kid", kid).unsigned(),
            Err(VerifyError::MalformedToken(Malformed::EmptySegment)),
        ),
    ];
    for spelling in ["none", "None", "NONE", "nOnE"] {
        // A real RS256 signature under an `alg` that claims none.
        rows.push((
            spelling,
            env.sign(&token.clone().header("alg", spelling)),
            Err(VerifyError::AlgorithmNotAllowed),
        ));
        let (h, p, _) = segments(&env.sign(&token.clone().header("alg", spelling)));
        rows.push((
            spelling,
            raw::with_signature(&h, &p, b"x"),
            Err(VerifyError::AlgorithmNotAllowed),
        ));
    }
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn h2_alg_missing_mistyped_or_not_exact_is_refused() {
    let env = Env::new().await;
    let token = env.token();
    let mut rows = vec![(
        "missing",
        env.sign(&token.clone().without_header("alg")),
        Err(VerifyError::AlgorithmNotAllowed),
    )];
    for alg in [
        json!(null),
        json!(256),
        json!(true),
        json!(["RS256"]),
        json!({"alg": "RS256"}),
        json!(""),
        json!("RS256 "),
        json!(" RS256"),
        json!("rs256"),
        json!("Rs256"),
        json!("RS256\u{0}"),
        json!("RS2556"),
        json!("RS\u{0391}56"),
    ] {
        rows.push((
            "alg variant",
            env.sign(&token.clone().header("alg", alg)),
            Err(VerifyError::AlgorithmNotAllowed),
        ));
    }
    rows.push(("control", env.sign(&token), OK));
    assert_rows(&env.verifier, &rows).await;
}

/// Every plausible encoding of the issuer's public key, as an HMAC secret.
fn public_key_encodings(key: &SigningKey) -> Vec<(&'static str, Vec<u8>)> {
    let spki_pem = key.public_key_spki_pem();
    let pkcs1_pem = key.public_key_pkcs1_pem();
    let jwk = key.public_jwk().to_string();
    vec![
        ("SPKI PEM", spki_pem.clone().into_bytes()),
        (
            "SPKI PEM without trailing newline",
            spki_pem.trim_end().as_bytes().to_vec(),
        ),
        (
            "SPKI PEM with leading whitespace",
            format!(" \n\t{spki_pem}").into_bytes(),
        ),
        (
            "SPKI PEM with junk prefix",
            format!("junk{spki_pem}").into_bytes(),
        ),
        (
            "SPKI PEM with CRLF",
            spki_pem.replace('\n', "\r\n").into_bytes(),
        ),
        ("PKCS#1 PEM", pkcs1_pem.clone().into_bytes()),
        (
            "PKCS#1 PEM without trailing newline",
            pkcs1_pem.trim_end().as_bytes().to_vec(),
        ),
        (
            "PKCS#1 PEM with leading whitespace",
            format!("  {pkcs1_pem}").into_bytes(),
        ),
        ("SPKI DER", key.public_key_spki_der()),
        ("PKCS#1 DER", key.public_key_pkcs1_der()),
        ("JWK JSON", jwk.into_bytes()),
        (
            "JWKS JSON",
            tollgate_testkit::jwks_json(&[key]).into_bytes(),
        ),
        ("raw n", key.modulus().to_vec()),
        ("n as base64url text", b64url(key.modulus()).into_bytes()),
        ("e", key.exponent().to_vec()),
        ("empty", Vec::new()),
    ]
}

#[tokio::test]
async fn h3_hs256_keyed_with_any_encoding_of_the_public_key_is_refused() {
    // Allowing every algorithm tollgate knows changes nothing: HMAC is not representable.
    for algorithms in [vec![Algorithm::Rs256], Algorithm::ALL.to_vec()] {
        let env = Env::with(|v| v.algorithms(algorithms)).await;
        let token = env.token().header("kid", env.key.kid());
        let mut rows = Vec::new();
        for (name, secret) in public_key_encodings(&env.key) {
            rows.push((
                name,
                token.sign_hs256(&secret).unwrap(),
                Err(VerifyError::AlgorithmNotAllowed),
            ));
        }
        // The same HMAC tag under a header that claims RS256: a 32-byte "signature" for a
        // 256-byte modulus.
        let mac_as_rs256 = token
            .clone()
            .header("alg", "RS256")
            .sign_hs256(&env.key.public_key_spki_der())
            .unwrap();
        rows.push((
            "HMAC tag under alg RS256",
            mac_as_rs256,
            Err(VerifyError::InvalidSignature),
        ));
        for alg in ["HS384", "HS512"] {
            rows.push((
                alg,
                token
                    .clone()
                    .header("alg", alg)
                    .sign_hs256(env.key.public_key_spki_pem().as_bytes())
                    .unwrap(),
                Err(VerifyError::AlgorithmNotAllowed),
            ));
        }
        assert_rows(&env.verifier, &rows).await;
    }
}

#[tokio::test]
async fn h4_other_algorithms_with_an_rsa_key_are_refused() {
    let env = Env::new().await;
    let token = env.token();
    let mut rows = Vec::new();
    for alg in [
        RsaAlg::Rs384,
        RsaAlg::Rs512,
        RsaAlg::Ps256,
        RsaAlg::Ps384,
        RsaAlg::Ps512,
    ] {
        rows.push((
            alg.name(),
            token.sign_with(&env.key, alg).unwrap(),
            Err(VerifyError::AlgorithmNotAllowed),
        ));
    }
    for alg in ["ES256", "ES384", "ES512", "EdDSA", "Ed25519", "ES256K"] {
        rows.push((
            alg,
            env.sign(&token.clone().header("alg", alg)),
            Err(VerifyError::AlgorithmNotAllowed),
        ));
    }
    assert_rows(&env.verifier, &rows).await;

    // Every algorithm allowed by the verifier, but the issuer's JWK says RS256: the key
    // serves RS256 only, whatever the token names (RSA-PSS included).
    let env = Env::with(|v| v.algorithms(Algorithm::ALL)).await;
    let token = env.token();
    assert_rows(
        &env.verifier,
        &[
            (
                "RS384, JWK alg RS256",
                token.sign_with(&env.key, RsaAlg::Rs384).unwrap(),
                Err(VerifyError::KeyAlgorithmMismatch),
            ),
            (
                "RS512, JWK alg RS256",
                token.sign_with(&env.key, RsaAlg::Rs512).unwrap(),
                Err(VerifyError::KeyAlgorithmMismatch),
            ),
            (
                "PS256, JWK alg RS256",
                token.sign_with(&env.key, RsaAlg::Ps256).unwrap(),
                Err(VerifyError::KeyAlgorithmMismatch),
            ),
            (
                "ES256 header, RSA key",
                env.sign(&token.clone().header("alg", "ES256")),
                Err(VerifyError::KeyAlgorithmMismatch),
            ),
            (
                "EdDSA header, RSA key",
                env.sign(&token.clone().header("alg", "EdDSA")),
                Err(VerifyError::KeyAlgorithmMismatch),
            ),
            ("RS256", env.sign(&token), OK),
        ],
    )
    .await;
}

#[tokio::test]
async fn h5_jwk_alg_other_than_the_token_alg_is_refused() {
    // The verifier allows RS256 and RS512; the only key says RS512.
    let env = Env::with(|v| v.algorithms([Algorithm::Rs256, Algorithm::Rs512])).await;
    env.serve_jwks(jwks_of(&[jwk_with(
        &env.key,
        &[("alg", Some(json!("RS512")))],
    )]))
    .await;
    let token = env.token();
    assert_rows(
        &env.verifier,
        &[
            (
                "RS256 token, RS512 key",
                env.sign(&token),
                Err(VerifyError::KeyAlgorithmMismatch),
            ),
            (
                "RS512 token, RS512 key",
                token.sign_with(&env.key, RsaAlg::Rs512).unwrap(),
                OK,
            ),
        ],
    )
    .await;

    // RS256 only: a key for RS512 or PS256 is skipped when the set arrives.
    let env = Env::new().await;
    let other = SigningKey::fixture(1).unwrap();
    for alg in ["RS512", "PS256", "RS256 ", "rs256", "none"] {
        env.serve_jwks(jwks_of(&[
            other.public_jwk(),
            jwk_with(&env.key, &[("alg", Some(json!(alg)))]),
        ]))
        .await;
        assert_eq!(
            env.check(&env.good()).await,
            Err(VerifyError::UnknownKid),
            "JWK alg {alg}"
        );
    }
    // A JWK without `alg` is usable with the verifier's algorithms.
    env.serve_jwks(jwks_of(&[jwk_with(&env.key, &[("alg", None)])]))
        .await;
    assert_eq!(env.check(&env.good()).await, OK);
}

#[tokio::test]
async fn h6_kid_of_a_non_rsa_key_is_refused() {
    let env = Env::new().await;
    let other = SigningKey::fixture(1).unwrap();
    let secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA";
    env.serve_jwks(jwks_of(&[
        other.public_jwk(),
        json!({"kty":"EC","kid":"ec","use":"sig","alg":"ES256","crv":"P-256","x":"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY","y":"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw"}),
        json!({"kty":"oct","kid":"oct","use":"sig","alg":"HS256","k":secret}),
        json!({"kty":"OKP","kid":"okp","use":"sig","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
        // The issuer's RSA key, and an `oct` entry under the same kid: the oct entry never
        // becomes an HMAC key, and the ambiguity makes the kid unusable.
        env.key.public_jwk(),
        json!({"kty":"oct","kid":env.key.kid(),"k":secret}),
    ]))
    .await;
    let token = env.token();
    let rs256 = |kid: &str| env.sign(&token.clone().header("kid", kid));
    let secret_bytes = b64_decode(secret);
    assert_rows(
        &env.verifier,
        &[
            ("EC kid", rs256("ec"), Err(VerifyError::UnknownKid)),
            ("oct kid", rs256("oct"), Err(VerifyError::UnknownKid)),
            ("OKP kid", rs256("okp"), Err(VerifyError::UnknownKid)),
            (
                "issuer kid shared with an oct key",
                env.good(),
                Err(VerifyError::UnknownKid),
            ),
            (
                "control: the other RSA key",
                token.clone().sign(&other).unwrap(),
                OK,
            ),
            (
                "HS256 keyed with the oct secret",
                token
                    .clone()
                    .header("kid", "oct")
                    .sign_hs256(&secret_bytes)
                    .unwrap(),
                Err(VerifyError::AlgorithmNotAllowed),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn h7_key_for_encryption_or_without_verify_is_refused() {
    let env = Env::new().await;
    let other = SigningKey::fixture(1).unwrap();
    let cases = [
        (
            "use enc",
            jwk_with(&env.key, &[("use", Some(json!("enc")))]),
            Err(VerifyError::UnknownKid),
        ),
        (
            "use Sig",
            jwk_with(&env.key, &[("use", Some(json!("Sig")))]),
            Err(VerifyError::UnknownKid),
        ),
        (
            "key_ops encrypt",
            jwk_with(&env.key, &[("key_ops", Some(json!(["encrypt"])))]),
            Err(VerifyError::UnknownKid),
        ),
        (
            "key_ops sign",
            jwk_with(&env.key, &[("key_ops", Some(json!(["sign"])))]),
            Err(VerifyError::UnknownKid),
        ),
        (
            "key_ops empty",
            jwk_with(&env.key, &[("key_ops", Some(json!([])))]),
            Err(VerifyError::UnknownKid),
        ),
        (
            "key_ops verify",
            jwk_with(&env.key, &[("key_ops", Some(json!(["verify"])))]),
            OK,
        ),
        (
            "key_ops sign+verify",
            jwk_with(&env.key, &[("key_ops", Some(json!(["sign", "verify"])))]),
            OK,
        ),
        ("no use", jwk_with(&env.key, &[("use", None)]), OK),
    ];
    for (name, jwk, expected) in cases {
        env.serve_jwks(jwks_of(&[other.public_jwk(), jwk])).await;
        assert_eq!(env.check(&env.good()).await, expected, "{name}");
    }
}

#[tokio::test]
async fn h8_to_h10_kid_missing_empty_or_mistyped_is_refused() {
    let env = Env::new().await;
    let token = env.token();
    let mut rows = vec![
        // H8: no fallback to "try every key".
        (
            "missing",
            env.sign(&token.clone().without_header("kid")),
            Err(VerifyError::MissingKid),
        ),
        (
            "empty",
            env.sign(&token.clone().header("kid", "")),
            Err(VerifyError::InvalidKid),
        ),
    ];
    for kid in [
        json!(1),
        json!(null),
        json!({}),
        json!([]),
        json!(true),
        json!([env.key.kid()]),
        json!({"kid": env.key.kid()}),
    ] {
        rows.push((
            "non-string",
            env.sign(&token.clone().header("kid", kid)),
            Err(VerifyError::InvalidKid),
        ));
    }
    assert_rows(&env.verifier, &rows).await;
    assert_eq!(env.jwks_requests(), 1, "none of these may fetch keys");
}

#[tokio::test]
async fn h11_unknown_kid_costs_at_most_one_rate_limited_refetch() {
    let env = Env::new().await;
    let stranger = SigningKey::fixture(2).unwrap();
    let token = |kid: &str| env.token().header("kid", kid).sign(&stranger).unwrap();
    assert_eq!(env.jwks_requests(), 1, "the prefetch");

    // Right after the prefetch (which starts no cooldown): exactly one refetch, then none for
    // the rest of the window it starts.
    for i in 0..=20 {
        assert_eq!(
            env.check(&token(&format!("unknown-{i}"))).await,
            Err(VerifyError::UnknownKid)
        );
    }
    assert_eq!(env.jwks_requests(), 2);

    // After the cooldown: exactly one more refetch, then none for the rest of the window.
    env.pass_cooldown();
    for i in 21..=40 {
        assert_eq!(
            env.check(&token(&format!("unknown-{i}"))).await,
            Err(VerifyError::UnknownKid)
        );
    }
    assert_eq!(env.jwks_requests(), 3);

    // The known kid is unaffected.
    assert_eq!(env.check(&env.good()).await, OK);
    assert_eq!(env.jwks_requests(), 3);
}

#[tokio::test]
async fn h12_kid_injection_strings_are_plain_unknown_kids() {
    let env = Env::new().await;
    env.pass_cooldown();
    let token = env.token();
    let mut rows = Vec::new();
    for kid in [
        "../../../../../../dev/null",
        "/proc/self/environ",
        "' OR '1'='1",
        "\" OR 1=1 --",
        "*)(uid=*",
        "%00",
        "a\u{0}b",
        "line\r\nInjected: header",
        "\u{1b}[31mred\u{1b}[0m",
        "http://attacker.example/jwks.json",
        "${jndi:ldap://x}",
        "{{7*7}}",
    ] {
        rows.push((
            kid,
            env.sign(&token.clone().header("kid", kid)),
            Err(VerifyError::UnknownKid),
        ));
    }
    assert_rows(&env.verifier, &rows).await;
    assert_eq!(
        env.jwks_requests(),
        2,
        "one rate-limited refetch for all of them"
    );
}

#[tokio::test]
async fn h13_oversized_kid_is_refused_before_lookup_and_never_fetches() {
    let huge = "k".repeat(64 * 1024);
    // Default limits: a 64 KiB kid cannot fit in an 8 KiB token.
    let env = Env::new().await;
    env.pass_cooldown();
    let token = env.token();
    let at_limit = "k".repeat(256);
    let over = "k".repeat(257);
    assert_rows(
        &env.verifier,
        &[
            (
                "64 KiB kid",
                env.sign(&token.clone().header("kid", huge.as_str())),
                Err(VerifyError::TokenTooLong),
            ),
            (
                "257-byte kid",
                env.sign(&token.clone().header("kid", over.as_str())),
                Err(VerifyError::InvalidKid),
            ),
        ],
    )
    .await;
    assert_eq!(env.jwks_requests(), 1, "an invalid kid never fetches");
    assert_eq!(
        env.check(&env.sign(&token.clone().header("kid", at_limit.as_str())))
            .await,
        Err(VerifyError::UnknownKid)
    );
    assert_eq!(
        env.jwks_requests(),
        2,
        "a well-formed unknown kid may (control)"
    );

    // Token limit raised: the kid limit alone refuses it.
    let env = Env::with(|v| v.max_token_len(256 * 1024)).await;
    env.pass_cooldown();
    let token = env.sign(&env.token().header("kid", huge.as_str()));
    assert_eq!(env.check(&token).await, Err(VerifyError::InvalidKid));
    assert_eq!(env.jwks_requests(), 1);
}

#[tokio::test]
async fn h14_cognito_style_kid_with_plus_slash_and_equals_is_accepted() {
    let env = Env::new().await;
    let kid = env.key.kid();
    assert!(kid.ends_with('=') && kid.contains(['+', '/']), "{kid}");
    let verified = env.verify(&env.good()).await.unwrap();
    assert_eq!(verified.kid(), kid);
    // AWS documentation's example shape.
    let renamed = env.key.clone().with_kid("abcdefghijklmnopqrsexample=");
    env.serve_jwks(tollgate_testkit::jwks_json(&[&renamed]))
        .await;
    assert_eq!(env.check(&env.token().sign(&renamed).unwrap()).await, OK);
}

#[tokio::test]
async fn h16_jku_is_refused_without_any_outbound_request() {
    let env = Env::new().await;
    // The attacker's own JWKS endpoint, with the attacker's key under the real kid.
    let attacker_key = SigningKey::fixture(3).unwrap().with_kid(env.key.kid());
    let attacker = TestIssuer::builder()
        .signing_key(attacker_key.clone())
        .start()
        .await
        .unwrap();
    env.pass_cooldown();
    let token = env.token().header("jku", attacker.jwks_url());
    assert_rows(
        &env.verifier,
        &[
            (
                "known kid, attacker key",
                token.sign(&attacker_key).unwrap(),
                Err(VerifyError::ForbiddenHeader),
            ),
            (
                "unknown kid, attacker key",
                token
                    .clone()
                    .header("kid", "attacker")
                    .sign(&attacker_key)
                    .unwrap(),
                Err(VerifyError::ForbiddenHeader),
            ),
            // Even signed by the real key: the header is refused, not ignored.
            (
                "known kid, real key",
                env.sign(&token),
                Err(VerifyError::ForbiddenHeader),
            ),
        ],
    )
    .await;
    assert_eq!(attacker.jwks_requests(), 0);
    assert_eq!(attacker.discovery_requests(), 0);
    assert_eq!(
        env.jwks_requests(),
        1,
        "only the prefetch of the configured JWKS"
    );
}

#[tokio::test]
async fn h17_embedded_jwk_is_refused() {
    let env = Env::new().await;
    let attacker = SigningKey::fixture(3).unwrap().with_kid(env.key.kid());
    let token = env.token().header("jwk", attacker.public_jwk());
    assert_rows(
        &env.verifier,
        &[
            (
                "attacker key, real kid",
                token.sign(&attacker).unwrap(),
                Err(VerifyError::ForbiddenHeader),
            ),
            (
                "real key, embedded copy of it",
                env.sign(&env.token().header("jwk", env.key.public_jwk())),
                Err(VerifyError::ForbiddenHeader),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn h18_x5u_and_x5c_are_refused_and_x5t_is_ignored() {
    // Pinned behaviour: certificate locations and chains refuse the token (they carry or
    // name key material); thumbprints are only hints, ignored for key selection.
    let env = Env::new().await;
    let token = env.token();
    let der = b64url(&env.key.public_key_spki_der());
    assert_rows(
        &env.verifier,
        &[
            (
                "x5u",
                env.sign(
                    &token
                        .clone()
                        .header("x5u", "https://attacker.example/cert.pem"),
                ),
                Err(VerifyError::ForbiddenHeader),
            ),
            (
                "x5c",
                env.sign(&token.clone().header("x5c", json!([der]))),
                Err(VerifyError::ForbiddenHeader),
            ),
            (
                "x5t",
                env.sign(&token.clone().header("x5t", "dGh1bWJwcmludA")),
                OK,
            ),
            (
                "x5t#S256",
                env.sign(&token.clone().header("x5t#S256", "dGh1bWJwcmludA")),
                OK,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn h19_crit_in_any_form_is_refused() {
    let env = Env::new().await;
    let token = env.token();
    let signed = |members: &[(&str, serde_json::Value)]| {
        let mut builder = token.clone();
        for (name, value) in members {
            builder = builder.header(name, value.clone());
        }
        env.sign(&builder)
    };
    assert_rows(
        &env.verifier,
        &[
            (
                "x-foo present",
                signed(&[("crit", json!(["x-foo"])), ("x-foo", json!(1))]),
                Err(VerifyError::CriticalHeader),
            ),
            (
                "b64 false",
                signed(&[("crit", json!(["b64"])), ("b64", json!(false))]),
                Err(VerifyError::CriticalHeader),
            ),
            (
                "b64 true",
                signed(&[("crit", json!(["b64"])), ("b64", json!(true))]),
                Err(VerifyError::CriticalHeader),
            ),
            (
                "empty list",
                signed(&[("crit", json!([]))]),
                Err(VerifyError::CriticalHeader),
            ),
            (
                "registered name",
                signed(&[("crit", json!(["exp"]))]),
                Err(VerifyError::CriticalHeader),
            ),
            (
                "string",
                signed(&[("crit", json!("x-foo"))]),
                Err(VerifyError::CriticalHeader),
            ),
            (
                "absent parameter",
                signed(&[("crit", json!(["x-absent"]))]),
                Err(VerifyError::CriticalHeader),
            ),
            (
                "null",
                signed(&[("crit", json!(null))]),
                Err(VerifyError::CriticalHeader),
            ),
            // b64=false without crit: an unknown, non-critical member, ignored.
            (
                "b64 false without crit",
                signed(&[("b64", json!(false))]),
                OK,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn h20_unknown_non_critical_header_members_are_ignored() {
    let env = Env::new().await;
    let token = env.token();
    assert_rows(
        &env.verifier,
        &[
            ("number", env.sign(&token.clone().header("foo", 1)), OK),
            (
                "object",
                env.sign(&token.clone().header("foo", json!({"a": [1, 2]}))),
                OK,
            ),
            ("cty", env.sign(&token.clone().header("cty", "JWT")), OK),
        ],
    )
    .await;
}

#[tokio::test]
async fn h21_duplicate_header_members_are_refused() {
    let env = Env::new().await;
    let kid = env.key.kid();
    let payload = env.claims(&[]);
    let duplicate = Err(VerifyError::DuplicateMember(Part::Header));
    let headers = [
        format!(r#"{{"alg":"RS256","kid":"{kid}","alg":"none"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","alg":"RS256"}}"#),
        format!(r#"{{"alg":"RS256","kid":"a","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","al\u0067":"none"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","\u006bid":"other"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","typ":"JWT","typ":"JWT"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","crit":[],"crit":[]}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","x":1,"x":2}}"#),
        format!(r#"{{"alg":"RS256","kid":"{kid}","x":{{"a":1,"a":2}}}}"#),
    ];
    let mut rows: Vec<_> = headers
        .iter()
        .map(|h| ("duplicate", env.raw(h, &payload), duplicate))
        .collect();
    rows.push(("control", env.raw(&env.header(), &payload), OK));
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn h22_typ_policy() {
    let env = Env::new().await;
    let token = env.token();
    let typed = |typ: serde_json::Value| env.sign(&token.clone().header("typ", typ));
    assert_rows(
        &env.verifier,
        &[
            ("absent (Cognito)", env.sign(&token), OK),
            ("JWT", typed(json!("JWT")), OK),
            ("jwt (case-insensitive)", typed(json!("jwt")), OK),
            ("at+jwt", typed(json!("at+jwt")), OK),
            ("application/at+jwt", typed(json!("application/at+jwt")), OK),
            (
                "secevent+jwt",
                typed(json!("secevent+jwt")),
                Err(VerifyError::TypeNotAllowed),
            ),
            (
                "dpop+jwt",
                typed(json!("dpop+jwt")),
                Err(VerifyError::TypeNotAllowed),
            ),
            ("JWE", typed(json!("JWE")), Err(VerifyError::TypeNotAllowed)),
            (
                "JOSE",
                typed(json!("JOSE")),
                Err(VerifyError::TypeNotAllowed),
            ),
            ("empty", typed(json!("")), Err(VerifyError::TypeNotAllowed)),
            (
                "non-string",
                typed(json!(["JWT"])),
                Err(VerifyError::TypeNotAllowed),
            ),
            ("null", typed(json!(null)), Err(VerifyError::TypeNotAllowed)),
        ],
    )
    .await;
}

#[tokio::test]
async fn h23_jwe_parameters_are_refused() {
    let env = Env::new().await;
    let token = env.token();
    let mut rows = Vec::new();
    for (name, value) in [
        ("enc", json!("A256GCM")),
        ("zip", json!("DEF")),
        ("p2c", json!(1_000_000_000)),
        ("p2s", json!("c2FsdA")),
        ("epk", json!({"kty": "EC"})),
        ("apu", json!("QQ")),
        ("apv", json!("QQ")),
        ("iv", json!("QQ")),
        ("tag", json!("QQ")),
    ] {
        rows.push((
            name,
            env.sign(&token.clone().header(name, value)),
            Err(VerifyError::ForbiddenHeader),
        ));
    }
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn r1_flood_of_unknown_kids_costs_one_fetch_per_cooldown_window() {
    let env = Env::new().await;
    let stranger = SigningKey::fixture(2).unwrap();
    let token = |i: u32| {
        env.token()
            .header("kid", format!("flood-{i}"))
            .sign(&stranger)
            .unwrap()
    };
    let known = env.good();
    for window in 1..=3_u64 {
        env.pass_cooldown();
        for i in 0..100 {
            assert_eq!(env.check(&token(i)).await, Err(VerifyError::UnknownKid));
            if i % 25 == 0 {
                // Known-kid requests are unaffected by the flood.
                assert_eq!(env.check(&known).await, OK);
            }
        }
        assert_eq!(
            env.jwks_requests(),
            1 + window,
            "one refetch in window {window}"
        );
    }
}

#[tokio::test]
async fn r2_flood_of_bad_signatures_with_a_known_kid_never_refetches() {
    let env = Env::new().await;
    env.pass_cooldown();
    let (h, p, s) = segments(&env.good());
    let signature = b64_decode(&s);
    for i in 0..200_usize {
        let mut forged = signature.clone();
        forged[i % 256] ^= 1 << (i % 8);
        assert_eq!(
            env.check(&raw::with_signature(&h, &p, &forged)).await,
            Err(VerifyError::InvalidSignature)
        );
    }
    // Also with a valid signature from another key under the known kid.
    let impostor = SigningKey::fixture(3).unwrap().with_kid(env.key.kid());
    for i in 0..50 {
        let token = env.token().claim("jti", format!("impostor-{i}"));
        assert_eq!(
            env.check(&token.sign(&impostor).unwrap()).await,
            Err(VerifyError::InvalidSignature)
        );
    }
    assert_eq!(env.jwks_requests(), 1, "only the prefetch");
}
