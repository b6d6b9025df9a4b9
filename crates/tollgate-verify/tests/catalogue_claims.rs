//! Security catalogue (`docs/security-catalogue.md`), rows C1–C29: claims. Time rows use the verifier's `ManualClock`,
//! fixed at `T0`; tokens carry times relative to it (never the system clock, never a sleep).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use tollgate_testkit::TokenBuilder;
use tollgate_verify::{Part, VerifyError};

/// `T0 + delta` as JSON text.
fn at(delta: i64) -> String {
    (i64::try_from(T0).unwrap() + delta).to_string()
}

#[tokio::test]
async fn c1_missing_exp_is_refused() {
    let env = Env::new().await;
    assert_eq!(
        env.check(&env.sign(&env.token().without_claim("exp")))
            .await,
        Err(VerifyError::MissingClaim("exp"))
    );
}

#[tokio::test]
async fn c2_exp_boundary_with_the_default_30_second_leeway() {
    // RFC 7519 §4.1.4: now must be before exp. With leeway L the last accepted second is
    // exp + L − 1; at exp + L the token is expired.
    let env = Env::new().await;
    let l = i64::try_from(LEEWAY).unwrap();
    let token = |exp: i64| {
        env.raw(
            &env.header(),
            &env.claims(&[("exp", Some(&at(exp))), ("iat", Some(&at(-3600)))]),
        )
    };
    assert_rows(
        &env.verifier,
        &[
            ("now = exp + L - 1", token(-(l - 1)), OK),
            ("now = exp + L", token(-l), Err(VerifyError::Expired)),
            (
                "now = exp + L + 1",
                token(-(l + 1)),
                Err(VerifyError::Expired),
            ),
            ("now = exp", token(0), OK),
            ("now = exp - 1", token(1), OK),
        ],
    )
    .await;

    // Without leeway the RFC boundary itself: exp = now is expired.
    let env = Env::with(|v| v.leeway(Duration::ZERO)).await;
    let token = |exp: i64| {
        env.raw(
            &env.header(),
            &env.claims(&[("exp", Some(&at(exp))), ("iat", Some(&at(-3600)))]),
        )
    };
    assert_rows(
        &env.verifier,
        &[
            ("exp = now + 1", token(1), OK),
            ("exp = now", token(0), Err(VerifyError::Expired)),
        ],
    )
    .await;
}

#[tokio::test]
async fn c3_exp_of_the_wrong_type_is_refused_never_ignored() {
    let env = Env::new().await;
    let mut rows = Vec::new();
    for value in [
        r#""9999999999""#,
        "true",
        "null",
        "[]",
        "{}",
        r#"["1"]"#,
        r#"[9999999999]"#,
    ] {
        rows.push((
            value,
            env.raw(&env.header(), &env.claims(&[("exp", Some(value))])),
            Err(VerifyError::InvalidClaimType("exp")),
        ));
    }
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn c4_non_integer_exp_is_accepted_and_floored() {
    let env = Env::new().await;
    let exp_half = format!("{}.5", T0 + 3600);
    let verified = env
        .verify(&env.raw(&env.header(), &env.claims(&[("exp", Some(&exp_half))])))
        .await
        .unwrap();
    assert_eq!(verified.expires_at(), i64::try_from(T0 + 3600).unwrap());
    // Flooring is applied before the comparison: (now − L).9 floors to now − L, expired.
    let l = i64::try_from(LEEWAY).unwrap();
    let boundary = format!("{}.9", at(-l));
    let exponent = format!("{}e0", at(-(l - 1)));
    assert_rows(
        &env.verifier,
        &[
            (
                "exp = now - L + 0.9",
                env.raw(&env.header(), &env.claims(&[("exp", Some(&boundary))])),
                Err(VerifyError::Expired),
            ),
            (
                "exponent notation",
                env.raw(&env.header(), &env.claims(&[("exp", Some(&exponent))])),
                OK,
            ),
            (
                "iat and nbf non-integer",
                env.raw(
                    &env.header(),
                    &env.claims(&[
                        ("iat", Some(&format!("{T0}.25"))),
                        ("nbf", Some(&format!("{T0}.75"))),
                    ]),
                ),
                OK,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c5_exp_zero_or_negative_is_refused() {
    let env = Env::new().await;
    let token = |exp: &str| {
        env.raw(
            &env.header(),
            &env.claims(&[("exp", Some(exp)), ("iat", Some("0"))]),
        )
    };
    assert_rows(
        &env.verifier,
        &[
            ("0", token("0"), Err(VerifyError::Expired)),
            (
                "-1",
                token("-1"),
                Err(VerifyError::InvalidClaimValue("exp")),
            ),
            (
                "-0.5",
                token("-0.5"),
                Err(VerifyError::InvalidClaimValue("exp")),
            ),
            (
                "i64::MIN",
                token("-9223372036854775808"),
                Err(VerifyError::InvalidClaimValue("exp")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c6_huge_exp_is_refused_without_overflow() {
    let env = Env::new().await;
    let token = |exp: &str| env.raw(&env.header(), &env.claims(&[("exp", Some(exp))]));
    assert_rows(
        &env.verifier,
        &[
            (
                "1e300",
                token("1e300"),
                Err(VerifyError::InvalidClaimValue("exp")),
            ),
            (
                "2^64",
                token("18446744073709551616"),
                Err(VerifyError::InvalidClaimValue("exp")),
            ),
            (
                "u64::MAX",
                token("18446744073709551615"),
                Err(VerifyError::InvalidClaimValue("exp")),
            ),
            (
                "i64::MAX",
                token("9223372036854775807"),
                Err(VerifyError::InvalidClaimValue("exp")),
            ),
            (
                "year 10000",
                token("253402300800"),
                Err(VerifyError::InvalidClaimValue("exp")),
            ),
            // Pinned: serde_json refuses a number literal that overflows f64, so the payload
            // is not JSON it can read.
            ("1e400", token("1e400"), Err(VerifyError::MalformedPayload)),
            (
                "-1e400",
                token("-1e400"),
                Err(VerifyError::MalformedPayload),
            ),
            // The largest accepted NumericDate (9999-12-31T23:59:59Z): accepted.
            ("9999-12-31T23:59:59Z", token("253402300799"), OK),
        ],
    )
    .await;
}

#[tokio::test]
async fn c7_nbf_in_the_future_beyond_leeway_is_refused() {
    let env = Env::new().await;
    let l = i64::try_from(LEEWAY).unwrap();
    let token = |nbf: &str| env.raw(&env.header(), &env.claims(&[("nbf", Some(nbf))]));
    assert_rows(
        &env.verifier,
        &[
            ("nbf = now", token(&at(0)), OK),
            ("nbf = now + L", token(&at(l)), OK),
            (
                "nbf = now + L + 1",
                token(&at(l + 1)),
                Err(VerifyError::NotYetValid),
            ),
            (
                "nbf far future",
                token(&at(86_400)),
                Err(VerifyError::NotYetValid),
            ),
            (
                "nbf string",
                token(&format!("\"{}\"", at(0))),
                Err(VerifyError::InvalidClaimType("nbf")),
            ),
            (
                "nbf null",
                token("null"),
                Err(VerifyError::InvalidClaimType("nbf")),
            ),
            (
                "nbf bool",
                token("false"),
                Err(VerifyError::InvalidClaimType("nbf")),
            ),
            (
                "nbf negative",
                token("-1"),
                Err(VerifyError::InvalidClaimValue("nbf")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c8_iat_in_the_future_beyond_leeway_and_max_age() {
    let env = Env::new().await;
    let l = i64::try_from(LEEWAY).unwrap();
    let token = |iat: &str| env.raw(&env.header(), &env.claims(&[("iat", Some(iat))]));
    assert_rows(
        &env.verifier,
        &[
            ("iat = now + L", token(&at(l)), OK),
            (
                "iat = now + L + 1",
                token(&at(l + 1)),
                Err(VerifyError::IssuedInFuture),
            ),
            (
                "iat string",
                token(&format!("\"{}\"", at(0))),
                Err(VerifyError::InvalidClaimType("iat")),
            ),
            (
                "iat absent",
                env.raw(&env.header(), &env.claims(&[("iat", None)])),
                OK,
            ),
            (
                "auth_time string",
                env.raw(&env.header(), &env.claims(&[("auth_time", Some("\"x\""))])),
                Err(VerifyError::InvalidClaimType("auth_time")),
            ),
        ],
    )
    .await;

    // Maximum token age: iat + age + L is the last accepted second.
    let env = Env::with(|v| v.max_token_age(Duration::from_secs(600))).await;
    let token = |iat: i64| env.raw(&env.header(), &env.claims(&[("iat", Some(&at(iat)))]));
    assert_rows(
        &env.verifier,
        &[
            ("age = max + L", token(-(600 + l)), OK),
            (
                "age = max + L + 1",
                token(-(600 + l + 1)),
                Err(VerifyError::TooOld),
            ),
            (
                "no iat",
                env.raw(&env.header(), &env.claims(&[("iat", None)])),
                Err(VerifyError::MissingClaim("iat")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c9_lifetime_longer_than_the_maximum_is_refused() {
    let day = 24 * 3600;
    let env = Env::with(|v| v.max_lifetime(Duration::from_secs(day))).await;
    let day = i64::try_from(day).unwrap();
    let token = |iat: i64, exp: i64| {
        env.raw(
            &env.header(),
            &env.claims(&[("iat", Some(&at(iat))), ("exp", Some(&at(exp)))]),
        )
    };
    assert_rows(
        &env.verifier,
        &[
            ("exactly 24 h", token(-10, day - 10), OK),
            (
                "24 h + 1 s",
                token(-10, day - 9),
                Err(VerifyError::LifetimeTooLong),
            ),
            (
                "10 years",
                token(0, 10 * 365 * day),
                Err(VerifyError::LifetimeTooLong),
            ),
            (
                "no iat",
                env.raw(&env.header(), &env.claims(&[("iat", None)])),
                Err(VerifyError::MissingClaim("iat")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c10_clock_skew_within_leeway_is_tolerated_and_beyond_it_is_not() {
    // The verifier's clock is the injected one: a token issued by a clock (L − 1) s ahead
    // or behind is accepted; (L + 1) s off is refused at either end of its life.
    let env = Env::new().await;
    let l = i64::try_from(LEEWAY).unwrap();
    let issued = |offset: i64| {
        env.raw(
            &env.header(),
            &env.claims(&[
                ("iat", Some(&at(offset))),
                ("nbf", Some(&at(offset))),
                ("exp", Some(&at(offset + 3600))),
            ]),
        )
    };
    let ending = |offset: i64| {
        env.raw(
            &env.header(),
            &env.claims(&[
                ("iat", Some(&at(offset - 3600))),
                ("exp", Some(&at(offset))),
            ]),
        )
    };
    assert_rows(
        &env.verifier,
        &[
            ("issuer clock L-1 ahead", issued(l - 1), OK),
            (
                "issuer clock L+1 ahead",
                issued(l + 1),
                Err(VerifyError::NotYetValid),
            ),
            ("expired L-1 ago", ending(-(l - 1)), OK),
            (
                "expired L+1 ago",
                ending(-(l + 1)),
                Err(VerifyError::Expired),
            ),
        ],
    )
    .await;
    // The clock really is injected: the system clock is years past T0.
    assert!(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            > T0 + 86_400
    );
}

#[tokio::test]
async fn c11_missing_iss_is_refused() {
    let env = Env::new().await;
    assert_eq!(
        env.check(&env.sign(&env.token().without_claim("iss")))
            .await,
        Err(VerifyError::MissingClaim("iss"))
    );
}

#[tokio::test]
async fn c12_iss_must_match_byte_for_byte() {
    let iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
    let env = Env::build(|b| b.issuer_override(iss), |i| i, |v| v).await;
    assert_eq!(env.iss(), iss);
    let mut rows = vec![("exact", env.good(), OK)];
    for variant in [
        format!("{iss}/"),
        iss.replacen("https://", "http://", 1),
        iss.replace("us-east-1.amazonaws", "US-EAST-1.amazonaws"),
        iss.replacen("https://cognito-idp", "HTTPS://COGNITO-IDP", 1),
        iss.replace("TestPool1", "testpool1"),
        iss.trim_end_matches('1').to_owned(),
        format!("{iss}x"),
        format!("{iss}/extra"),
        format!("https://evil.example/{iss}"),
        format!("{iss}.evil.example"),
        iss.replace("cognito-idp.", "issuer-cognito-idp."),
        iss.replace(".com/", ".com:443/"),
        iss.replace(".com/", ".com./"),
    ] {
        rows.push((
            "variant",
            env.sign(&env.token().claim("iss", variant)),
            Err(VerifyError::UnknownIssuer),
        ));
    }
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn c13_array_iss_is_refused() {
    let env = Env::new().await;
    let iss = env.iss();
    assert_rows(
        &env.verifier,
        &[
            (
                "[good]",
                env.sign(&env.token().claim("iss", serde_json::json!([iss]))),
                Err(VerifyError::InvalidClaimType("iss")),
            ),
            (
                "[evil, good]",
                env.sign(&env.token().claim("iss", serde_json::json!(["evil", iss]))),
                Err(VerifyError::InvalidClaimType("iss")),
            ),
            (
                "number",
                env.sign(&env.token().claim("iss", 1)),
                Err(VerifyError::InvalidClaimType("iss")),
            ),
            (
                "null",
                env.sign(&env.token().claim("iss", serde_json::Value::Null)),
                Err(VerifyError::InvalidClaimType("iss")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c14_iss_with_invisible_or_lookalike_characters_is_refused() {
    let env = Env::new().await;
    let iss = env.iss();
    let mut rows = Vec::new();
    for variant in [
        format!("{iss}\u{0}"),
        format!("{iss} "),
        format!(" {iss}"),
        format!("{iss}\n"),
        format!("{iss}\u{200b}"),
        iss.replace("TestPool", "Test\u{0420}ool"), // Cyrillic Р
        iss.replace("TestPool", "TestP\u{043e}ol"), // Cyrillic о
        iss.replace('/', "%2F"),
        iss.replace("TestPool1", "TestPool%31"),
        iss.replace("http://", "http:\\\\"),
    ] {
        rows.push((
            "variant",
            env.sign(&env.token().claim("iss", variant)),
            Err(VerifyError::UnknownIssuer),
        ));
    }
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn c15_cognito_id_token_is_refused_by_an_access_token_verifier() {
    let env = Env::new().await;
    let id_token = TokenBuilder::id_token(&env.iss(), CLIENT, &["admins"], T0);
    assert_rows(
        &env.verifier,
        &[
            (
                "ID token, aud = our client",
                env.sign(&id_token),
                Err(VerifyError::WrongTokenUse),
            ),
            (
                "ID token + client_id",
                env.sign(&id_token.clone().claim("client_id", CLIENT)),
                Err(VerifyError::WrongTokenUse),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c16_token_use_missing_or_not_exactly_access_is_refused() {
    let env = Env::new().await;
    let token = |value: &str| env.raw(&env.header(), &env.claims(&[("token_use", Some(value))]));
    assert_rows(
        &env.verifier,
        &[
            (
                "missing",
                env.raw(&env.header(), &env.claims(&[("token_use", None)])),
                Err(VerifyError::MissingClaim("token_use")),
            ),
            (
                "Access",
                token(r#""Access""#),
                Err(VerifyError::WrongTokenUse),
            ),
            (
                "access + space",
                token(r#""access ""#),
                Err(VerifyError::WrongTokenUse),
            ),
            ("empty", token(r#""""#), Err(VerifyError::WrongTokenUse)),
            (
                "refresh",
                token(r#""refresh""#),
                Err(VerifyError::WrongTokenUse),
            ),
            (
                "[access]",
                token(r#"["access"]"#),
                Err(VerifyError::InvalidClaimType("token_use")),
            ),
            (
                "1",
                token("1"),
                Err(VerifyError::InvalidClaimType("token_use")),
            ),
            (
                "null",
                token("null"),
                Err(VerifyError::InvalidClaimType("token_use")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c17_client_id_missing_unknown_or_mistyped_is_refused() {
    let env = Env::new().await;
    let token = |value: &str| env.raw(&env.header(), &env.claims(&[("client_id", Some(value))]));
    let upper = format!("\"{}\"", CLIENT.to_uppercase());
    let list = format!("[\"{CLIENT}\"]");
    assert_rows(
        &env.verifier,
        &[
            (
                "missing",
                env.raw(&env.header(), &env.claims(&[("client_id", None)])),
                Err(VerifyError::MissingClaim("client_id")),
            ),
            // `aud` never stands in for `client_id`.
            (
                "missing, aud = client",
                env.raw(
                    &env.header(),
                    &env.claims(&[("client_id", None), ("aud", Some(&format!("\"{CLIENT}\"")))]),
                ),
                Err(VerifyError::MissingClaim("client_id")),
            ),
            (
                "not allowlisted",
                token(r#""someone-else""#),
                Err(VerifyError::ClientNotAllowed),
            ),
            (
                "case variant",
                token(&upper),
                Err(VerifyError::ClientNotAllowed),
            ),
            (
                "prefix",
                token(&format!("\"{}\"", &CLIENT[..CLIENT.len() - 1])),
                Err(VerifyError::ClientNotAllowed),
            ),
            ("empty", token(r#""""#), Err(VerifyError::ClientNotAllowed)),
            (
                "array",
                token(&list),
                Err(VerifyError::InvalidClaimType("client_id")),
            ),
            (
                "number",
                token("1"),
                Err(VerifyError::InvalidClaimType("client_id")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c18_aud_in_an_access_token_is_ignored_but_type_checked() {
    // Pinned: a Cognito access-token issuer without `audience(..)` ignores `aud` (Cognito
    // access tokens carry none); it never replaces the `client_id` check. Its type is still
    // checked.
    let env = Env::new().await;
    let token = |aud: &str| env.raw(&env.header(), &env.claims(&[("aud", Some(aud))]));
    assert_rows(
        &env.verifier,
        &[
            ("aud = other", token(r#""other-api""#), OK),
            ("aud = [other]", token(r#"["other-api"]"#), OK),
            (
                "aud = 5",
                token("5"),
                Err(VerifyError::InvalidClaimType("aud")),
            ),
            (
                "aud = [5]",
                token("[5]"),
                Err(VerifyError::InvalidClaimType("aud")),
            ),
        ],
    )
    .await;

    // With an audience policy, `aud` is required in addition to `client_id`.
    let env = Env::build(|b| b, |i| i.audience(["orders-api"]), |v| v).await;
    let token = |aud: Option<&str>| env.raw(&env.header(), &env.claims(&[("aud", aud)]));
    assert_rows(
        &env.verifier,
        &[
            ("aud matches", token(Some(r#""orders-api""#)), OK),
            (
                "aud other",
                token(Some(r#""other-api""#)),
                Err(VerifyError::AudienceMismatch),
            ),
            (
                "aud missing",
                token(None),
                Err(VerifyError::MissingClaim("aud")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c19_to_c21_and_c25_scope_tokens_match_exactly_as_a_set() {
    let env = &Env::new().await;
    let scopes = |scope: &str| {
        let token = env.raw(
            &env.header(),
            &env.claims(&[("scope", Some(&serde_json::Value::from(scope).to_string()))]),
        );
        async move { env.verify(&token).await.unwrap().scopes().clone() }
    };
    // C19: a scope the token lacks.
    let granted = scopes("orders/read").await;
    assert!(granted.contains("orders/read") && !granted.contains("orders/write"));
    // C20: exact, case-sensitive tokens.
    let granted = scopes("read:all orders/reads Read").await;
    for lacking in [
        "read",
        "orders/read",
        "read:al",
        "read:all ",
        "READ:ALL",
        "read",
    ] {
        assert!(!granted.contains(lacking), "{lacking}");
    }
    assert!(granted.contains("read:all") && granted.contains("Read"));
    // C21: only the space separates; empty tokens are dropped; TAB, LF, ',' and '+' are part
    // of a token, which then matches nothing a route asks for.
    let granted = scopes("  a  b ").await;
    assert_eq!(granted.iter().collect::<Vec<_>>(), ["a", "b"]);
    let granted = scopes("a\tb c\nd e,f g+h").await;
    assert_eq!(
        granted.iter().collect::<Vec<_>>(),
        ["a\tb", "c\nd", "e,f", "g+h"]
    );
    for lacking in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        assert!(!granted.contains(lacking), "{lacking}");
    }
    // C25: Cognito forms with '/', ':' and '.'.
    let granted = scopes(
        "aws.cognito.signin.user.admin openid email https://api.example.com/read orders:write",
    )
    .await;
    for scope in [
        "aws.cognito.signin.user.admin",
        "openid",
        "email",
        "https://api.example.com/read",
        "orders:write",
    ] {
        assert!(granted.contains(scope), "{scope}");
    }
    assert!(!granted.contains("https://api.example.com/"));
    assert!(!granted.contains("aws.cognito.signin.user"));
}

#[tokio::test]
async fn c22_scope_of_the_wrong_type_is_refused() {
    // Pinned: for a Cognito issuer a non-string `scope` refuses the whole token (401, not
    // a 403 on scoped routes only); arrays are allowed only where configured (OIDC).
    let env = Env::new().await;
    let token = |scope: &str| env.raw(&env.header(), &env.claims(&[("scope", Some(scope))]));
    assert_rows(
        &env.verifier,
        &[
            (
                "array",
                token(r#"["orders/read"]"#),
                Err(VerifyError::InvalidClaimType("scope")),
            ),
            (
                "number",
                token("1"),
                Err(VerifyError::InvalidClaimType("scope")),
            ),
            (
                "null",
                token("null"),
                Err(VerifyError::InvalidClaimType("scope")),
            ),
            (
                "object",
                token(r#"{"orders/read":true}"#),
                Err(VerifyError::InvalidClaimType("scope")),
            ),
            (
                "bool",
                token("true"),
                Err(VerifyError::InvalidClaimType("scope")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn c23_missing_or_empty_scope_grants_nothing_but_is_accepted() {
    let env = Env::new().await;
    for (name, token) in [
        (
            "missing",
            env.raw(&env.header(), &env.claims(&[("scope", None)])),
        ),
        (
            "empty",
            env.raw(&env.header(), &env.claims(&[("scope", Some(r#""""#))])),
        ),
        (
            "spaces",
            env.raw(&env.header(), &env.claims(&[("scope", Some(r#""   ""#))])),
        ),
    ] {
        let verified = env.verify(&token).await.unwrap();
        assert!(verified.scopes().is_empty(), "{name}");
        assert!(!verified.scopes().contains(""), "{name}");
    }
}

#[tokio::test]
async fn c24_ten_thousand_scopes_parse_and_match_in_bounded_time() {
    let env = Env::with(|v| v.max_token_len(256 * 1024)).await;
    let many: Vec<String> = (0..10_000).map(|i| format!("api/scope-{i:05}")).collect();
    let long = format!("x{}", "y".repeat(64 * 1024));
    let many_token = env.sign(&env.token().claim("scope", many.join(" ")));
    let long_token = env.sign(&env.token().claim("scope", long.as_str()));
    let started = Instant::now();
    let verified = env.verify(&many_token).await.unwrap();
    assert_eq!(verified.scopes().len(), 10_000);
    for scope in many.iter().step_by(97) {
        assert!(verified.scopes().contains(scope));
    }
    assert!(!verified.scopes().contains("api/scope-10000"));
    let verified = env.verify(&long_token).await.unwrap();
    assert!(verified.scopes().contains(&long));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no quadratic parse or match"
    );

    // The default token limit refuses them before any parsing.
    let env = Env::new().await;
    assert_eq!(env.check(&many_token).await, Err(VerifyError::TokenTooLong));
}

#[tokio::test]
async fn c26_duplicate_claims_are_refused() {
    let env = Env::new().await;
    let base = env.claims(&[]);
    let duplicate = Err(VerifyError::DuplicateMember(Part::Payload));
    let iss = env.iss();
    let members = [
        format!(r#""exp":{}"#, T0 + 7200),
        format!(r#""exp":{}"#, T0 + 3600),
        r#""exp":"soon""#.to_owned(),
        format!(r#""iss":"{iss}""#),
        r#""iss":"https://evil.example""#.to_owned(),
        r#""token_use":"id""#.to_owned(),
        r#""client_id":"someone-else""#.to_owned(),
        r#""scope":"orders/admin""#.to_owned(),
        r#""scope":["orders/admin"]"#.to_owned(),
        r#""\u0065xp":1"#.to_owned(),
        r#""version":3"#.to_owned(),
        r#""sub":"someone""#.to_owned(),
        r#""jti":"other""#.to_owned(),
    ];
    let mut rows: Vec<_> = members
        .iter()
        .map(|m| {
            (
                m.as_str(),
                env.raw(&env.header(), &with_member(&base, m)),
                duplicate,
            )
        })
        .collect();
    for twice in [
        r#""aud":"x""#,
        r#""cognito:groups":["admins"]"#,
        r#""scp":"a""#,
        r#""nbf":1"#,
        r#""username":"u""#,
    ] {
        rows.push((
            twice,
            env.raw(
                &env.header(),
                &with_member(&with_member(&base, twice), twice),
            ),
            duplicate,
        ));
    }
    rows.push((
        "nested duplicate",
        env.raw(
            &env.header(),
            &with_member(&base, r#""custom":{"a":1,"a":2}"#),
        ),
        duplicate,
    ));
    rows.push((
        "duplicate custom",
        env.raw(
            &env.header(),
            &with_member(&with_member(&base, r#""custom":1"#), r#""custom":2"#),
        ),
        duplicate,
    ));
    // The first copy of the wrong type, the second right: still a duplicate, reported as one
    // (duplicates are checked before types).
    let exp_string_first = with_member(
        &env.claims(&[("exp", Some(r#""later""#))]),
        &format!(r#""exp":{}"#, T0 + 3600),
    );
    let exp_negative_first = with_member(
        &env.claims(&[("exp", Some("-1"))]),
        &format!(r#""exp":{}"#, T0 + 3600),
    );
    let aud_number_first = with_member(&env.claims(&[("aud", Some("5"))]), r#""aud":"x""#);
    rows.push((
        "exp: string, then number",
        env.raw(&env.header(), &exp_string_first),
        duplicate,
    ));
    rows.push((
        "exp: negative, then valid",
        env.raw(&env.header(), &exp_negative_first),
        duplicate,
    ));
    rows.push((
        "aud: number, then string",
        env.raw(&env.header(), &aud_number_first),
        duplicate,
    ));
    rows.push(("control", env.raw(&env.header(), &base), OK));
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn c27_payload_that_is_not_a_utf8_json_object_is_refused() {
    let env = Env::new().await;
    let h = tollgate_testkit::raw::b64url(env.header().as_bytes());
    let claims = env.claims(&[]);
    let payload = |bytes: &[u8]| env.raw_segments(&h, &tollgate_testkit::raw::b64url(bytes));
    let invalid_utf8 = with_member(&claims, "\"x\":\"\u{0}\"")
        .replace('\u{0}', "")
        .into_bytes();
    let invalid_utf8 = [&invalid_utf8[..invalid_utf8.len() - 2], b"\xff\"}"].concat();
    let lone_surrogate = with_member(&claims, r#""x":"\ud800""#);
    let mut rows = vec![
        (
            "invalid UTF-8",
            payload(&invalid_utf8),
            Err(VerifyError::MalformedPayload),
        ),
        (
            "BOM",
            payload(&[b"\xef\xbb\xbf".as_slice(), claims.as_bytes()].concat()),
            Err(VerifyError::MalformedPayload),
        ),
        (
            "trailing garbage",
            payload(format!("{claims}xyz").as_bytes()),
            Err(VerifyError::MalformedPayload),
        ),
        (
            "second object",
            payload(format!("{claims}{{}}").as_bytes()),
            Err(VerifyError::MalformedPayload),
        ),
        (
            "lone surrogate escape",
            payload(lone_surrogate.as_bytes()),
            Err(VerifyError::MalformedPayload),
        ),
        (
            "truncated",
            payload(&claims.as_bytes()[..claims.len() - 1]),
            Err(VerifyError::MalformedPayload),
        ),
        (
            "not JSON",
            payload(b"foo"),
            Err(VerifyError::MalformedPayload),
        ),
    ];
    for not_object in ["[]", r#""claims""#, "1", "null", "true"] {
        rows.push((
            not_object,
            payload(not_object.as_bytes()),
            Err(VerifyError::MalformedPayload),
        ));
    }
    assert_rows(&env.verifier, &rows).await;
}

#[tokio::test]
async fn c28_deeply_nested_payload_is_refused_quickly() {
    // serde_json's recursion limit (128) bounds the depth; deeper is refused, not a stack
    // overflow.
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let env = Env::new().await;
    let claims = env.claims(&[]);
    assert_rows(
        &env.verifier,
        &[
            (
                "depth 100",
                env.raw(
                    &env.header(),
                    &with_member(&claims, &format!(r#""x":{}"#, nested(100))),
                ),
                OK,
            ),
            (
                "depth 200",
                env.raw(
                    &env.header(),
                    &with_member(&claims, &format!(r#""x":{}"#, nested(200))),
                ),
                Err(VerifyError::MalformedPayload),
            ),
            (
                "depth 2000",
                env.raw(
                    &env.header(),
                    &with_member(&claims, &format!(r#""x":{}"#, nested(2000))),
                ),
                Err(VerifyError::MalformedPayload),
            ),
            (
                "objects, depth 3000",
                env.raw(
                    &env.header(),
                    &with_member(
                        &claims,
                        &format!(r#""x":{}1{}"#, r#"{"a":"#.repeat(3000), "}".repeat(3000)),
                    ),
                ),
                Err(VerifyError::TokenTooLong),
            ),
            (
                "unclosed, depth 5000",
                env.raw(&env.header(), &format!(r#"{{"x":{}"#, "[".repeat(5000))),
                Err(VerifyError::MalformedPayload),
            ),
        ],
    )
    .await;

    let env = Env::with(|v| v.max_token_len(1 << 20)).await;
    let claims = env.claims(&[]);
    let deep = env.raw(
        &env.header(),
        &with_member(&claims, &format!(r#""x":{}"#, nested(100_000))),
    );
    let deep_objects = env.raw(
        &env.header(),
        &with_member(
            &claims,
            &format!(
                r#""x":{}1{}"#,
                r#"{"a":"#.repeat(100_000),
                "}".repeat(100_000)
            ),
        ),
    );
    let started = Instant::now();
    assert_rows(
        &env.verifier,
        &[
            (
                "arrays, depth 100 000",
                deep,
                Err(VerifyError::MalformedPayload),
            ),
            (
                "objects, depth 100 000",
                deep_objects,
                Err(VerifyError::MalformedPayload),
            ),
        ],
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    // Nesting in the header is bounded the same way.
    let header = format!(
        r#"{{"alg":"RS256","kid":"{}","x":{}}}"#,
        env.key.kid(),
        nested(100_000)
    );
    assert_eq!(
        env.check(&env.raw(&header, &claims)).await,
        Err(VerifyError::MalformedHeader)
    );
}

#[tokio::test]
async fn c29_huge_numbers_in_other_claims_do_not_panic() {
    let env = Env::new().await;
    let claims = env.claims(&[]);
    let token = |member: &str| env.raw(&env.header(), &with_member(&claims, member));
    assert_rows(
        &env.verifier,
        &[
            (
                "30-digit integer",
                token(r#""big":123456789012345678901234567890"#),
                OK,
            ),
            (
                "-30-digit integer",
                token(r#""big":-123456789012345678901234567890"#),
                OK,
            ),
            ("1e308", token(r#""big":1e308"#), OK),
            (
                "nested 30 digits",
                token(r#""big":{"n":[123456789012345678901234567890]}"#),
                OK,
            ),
            // Pinned: a literal beyond f64 is not JSON serde_json reads.
            (
                "1e999",
                token(r#""big":1e999"#),
                Err(VerifyError::MalformedPayload),
            ),
            (
                "version 30 digits",
                env.raw(
                    &env.header(),
                    &env.claims(&[("version", Some("123456789012345678901234567890"))]),
                ),
                OK,
            ),
        ],
    )
    .await;
}
