//! Issuer policy: multi-issuer routing (security catalogue, `docs/security-catalogue.md`: H15,
//! R3), Cognito access vs ID tokens, OIDC `aud`,
//! scope claims, the client claim, `typ` policy, custom claims and checks, and fail-safe
//! configuration (a forgotten policy is a `BuildError`, never an open door).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use serde::Deserialize;
use serde_json::json;
use tollgate_testkit::{SigningKey, TestIssuer, TokenBuilder};
use tollgate_verify::{
    Algorithm, BuildError, CheckFailed, Issuer, ManualClock, TokenUse, Verifier, VerifyError,
};

async fn issuer(fixture: usize, pool: &str) -> TestIssuer {
    TestIssuer::builder()
        .signing_key(SigningKey::fixture(fixture).unwrap())
        .pool_id(pool)
        .start()
        .await
        .unwrap()
}

/// `token` with one bit of its signature flipped.
fn flip_signature_bit(token: &str) -> String {
    let (h, p, s) = segments(token);
    let mut signature = b64_decode(&s);
    signature[17] ^= 0x04;
    tollgate_testkit::raw::with_signature(&h, &p, &signature)
}

/// An OIDC-shaped token (no `token_use`, no `client_id`) issued at `T0`.
fn oidc_token(iss: &str) -> TokenBuilder {
    TokenBuilder::empty()
        .claim("iss", iss)
        .claim("sub", "user-1")
        .issued_at(T0)
        .expires_at(T0 + 3600)
}

#[tokio::test]
async fn h15_r3_tokens_are_routed_by_iss_and_keys_never_cross_issuers() {
    let (a, b) = (
        issuer(0, "us-east-1_PoolA").await,
        issuer(1, "us-east-1_PoolB").await,
    );
    let clock = ManualClock::at_unix(T0);
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(a.issuer_url()).client_ids([CLIENT]))
        .issuer(Issuer::cognito_issuer(b.issuer_url()).client_ids(["client-b"]))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    assert_eq!(verifier.issuers().count(), 2);
    assert_eq!(
        (a.jwks_requests(), b.jwks_requests()),
        (1, 1),
        "both prefetched"
    );
    clock.advance(Duration::from_secs(16)); // past the refetch cooldown: a refetch would be allowed

    let (key_a, key_b) = (a.signing_key(), b.signing_key());
    let for_a = TokenBuilder::access_token(&a.issuer_url(), CLIENT, &[SCOPE], T0);
    let for_b = TokenBuilder::access_token(&b.issuer_url(), "client-b", &[SCOPE], T0);
    assert_rows(
        &verifier,
        &[
            ("A's token, A's key", for_a.sign(&key_a).unwrap(), OK),
            ("B's token, B's key", for_b.sign(&key_b).unwrap(), OK),
            // H15: iss = A, but kid and key of B. Only A's keys are consulted.
            (
                "iss A, key of B",
                for_a.sign(&key_b).unwrap(),
                Err(VerifyError::UnknownKid),
            ),
            // B's key under A's kid: the signature is checked with A's key.
            (
                "iss A, A's kid, B's key",
                for_a.sign(&key_b.clone().with_kid(key_a.kid())).unwrap(),
                Err(VerifyError::InvalidSignature),
            ),
            // Each issuer keeps its own client policy.
            (
                "B's token, A's client",
                for_b
                    .clone()
                    .claim("client_id", CLIENT)
                    .sign(&key_b)
                    .unwrap(),
                Err(VerifyError::ClientNotAllowed),
            ),
        ],
    )
    .await;
    assert_eq!(
        b.jwks_requests(),
        1,
        "a token naming issuer A never touches issuer B's keys"
    );
    assert_eq!(
        a.jwks_requests(),
        2,
        "one refetch of A's set for the unknown kid"
    );

    // R3: an unconfigured iss is refused before any key work, whatever it names.
    let c = issuer(2, "us-east-1_PoolC").await;
    let for_c = TokenBuilder::access_token(&c.issuer_url(), CLIENT, &[SCOPE], T0);
    clock.advance(Duration::from_secs(16));
    assert_rows(
        &verifier,
        &[
            (
                "iss C, C's key",
                for_c.sign(&c.signing_key()).unwrap(),
                Err(VerifyError::UnknownIssuer),
            ),
            (
                "iss C, A's key",
                for_c.sign(&key_a).unwrap(),
                Err(VerifyError::UnknownIssuer),
            ),
            (
                "iss C + jku to C",
                for_c
                    .clone()
                    .header("jku", c.jwks_url())
                    .sign(&c.signing_key())
                    .unwrap(),
                Err(VerifyError::ForbiddenHeader),
            ),
        ],
    )
    .await;
    assert_eq!(
        (a.jwks_requests(), b.jwks_requests(), c.jwks_requests()),
        (2, 1, 0)
    );
    assert_eq!(c.discovery_requests(), 0);
}

#[tokio::test]
async fn r3_unknown_issuer_never_fetches_even_with_lazy_keys() {
    let a = issuer(0, "us-east-1_PoolA").await;
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(a.issuer_url()).client_ids([CLIENT]))
        .clock(ManualClock::at_unix(T0))
        .build_lazy()
        .unwrap();
    let token = TokenBuilder::access_token("https://evil.example/pool", CLIENT, &[SCOPE], T0)
        .sign(&a.signing_key())
        .unwrap();
    for _ in 0..50 {
        assert_eq!(
            verifier.verify(&token).await.map(|_| ()),
            Err(VerifyError::UnknownIssuer)
        );
    }
    assert_eq!(a.jwks_requests(), 0);
    // The first token of the configured issuer fetches its keys.
    let good = TokenBuilder::access_token(&a.issuer_url(), CLIENT, &[SCOPE], T0)
        .sign(&a.signing_key())
        .unwrap();
    assert_eq!(verifier.verify(&good).await.map(|_| ()), OK);
    assert_eq!(a.jwks_requests(), 1);
}

#[tokio::test]
async fn cognito_access_and_id_tokens_are_kept_apart() {
    let env = Env::new().await;
    let access = env.good();
    let id = env.sign(&TokenBuilder::id_token(&env.iss(), CLIENT, &["admins"], T0));
    let id_other_client = env.sign(&TokenBuilder::id_token(&env.iss(), "other-client", &[], T0));
    let id_aud_list = env.sign(
        &TokenBuilder::id_token(&env.iss(), CLIENT, &[], T0).claim("aud", json!(["x", CLIENT])),
    );
    let id_no_aud =
        env.sign(&TokenBuilder::id_token(&env.iss(), CLIENT, &[], T0).without_claim("aud"));
    let id_aud_number =
        env.sign(&TokenBuilder::id_token(&env.iss(), CLIENT, &[], T0).claim("aud", 7));
    // An access token with `aud` = the client but another client_id: still not an ID token.
    let access_with_aud = env.sign(
        &env.token()
            .claim("aud", CLIENT)
            .claim("client_id", "other-client"),
    );

    assert_rows(
        &env.verifier,
        &[
            ("access verifier, access token", access.clone(), OK),
            (
                "access verifier, ID token",
                id.clone(),
                Err(VerifyError::WrongTokenUse),
            ),
            (
                "access verifier, access token with aud",
                access_with_aud.clone(),
                Err(VerifyError::ClientNotAllowed),
            ),
        ],
    )
    .await;

    let ids = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(env.iss())
                .token_use(TokenUse::Id)
                .client_ids([CLIENT]),
        )
        .clock(env.clock.clone())
        .build()
        .await
        .unwrap();
    assert_rows(
        &ids,
        &[
            ("ID verifier, ID token", id.clone(), OK),
            (
                "ID verifier, aud list containing the client",
                id_aud_list,
                OK,
            ),
            (
                "ID verifier, other client",
                id_other_client,
                Err(VerifyError::AudienceMismatch),
            ),
            (
                "ID verifier, no aud",
                id_no_aud,
                Err(VerifyError::MissingClaim("aud")),
            ),
            (
                "ID verifier, aud number",
                id_aud_number,
                Err(VerifyError::InvalidClaimType("aud")),
            ),
            (
                "ID verifier, access token",
                access,
                Err(VerifyError::WrongTokenUse),
            ),
            (
                "ID verifier, access token with aud",
                access_with_aud,
                Err(VerifyError::WrongTokenUse),
            ),
        ],
    )
    .await;
    let verified = ids.verify(&id).await.unwrap();
    assert_eq!(verified.claims().groups().collect::<Vec<_>>(), ["admins"]);
    assert_eq!(verified.claims().token_use(), Some("id"));
}

#[tokio::test]
async fn oidc_aud_may_be_a_string_or_an_array() {
    let server = issuer(0, "us-east-1_Oidc").await;
    let key = server.signing_key();
    let verifier = Verifier::builder()
        .issuer(Issuer::oidc(server.issuer_url()).audience(["orders-api", "billing-api"]))
        .clock(ManualClock::at_unix(T0))
        .build()
        .await
        .unwrap();
    assert_eq!(
        server.discovery_requests(),
        1,
        "keys located through discovery"
    );
    let token = |aud: serde_json::Value| {
        oidc_token(&server.issuer_url())
            .claim("aud", aud)
            .sign(&key)
            .unwrap()
    };
    assert_rows(
        &verifier,
        &[
            ("string", token(json!("orders-api")), OK),
            ("array, one match", token(json!(["x", "billing-api"])), OK),
            (
                "array, no match",
                token(json!(["x", "y"])),
                Err(VerifyError::AudienceMismatch),
            ),
            (
                "string, no match",
                token(json!("Orders-Api")),
                Err(VerifyError::AudienceMismatch),
            ),
            (
                "empty array",
                token(json!([])),
                Err(VerifyError::AudienceMismatch),
            ),
            (
                "number",
                token(json!(1)),
                Err(VerifyError::InvalidClaimType("aud")),
            ),
            (
                "array with a number",
                token(json!(["orders-api", 1])),
                Err(VerifyError::InvalidClaimType("aud")),
            ),
            (
                "missing",
                oidc_token(&server.issuer_url()).sign(&key).unwrap(),
                Err(VerifyError::MissingClaim("aud")),
            ),
            // OIDC does not check token_use.
            (
                "token_use id",
                oidc_token(&server.issuer_url())
                    .claim("aud", "orders-api")
                    .claim("token_use", "id")
                    .sign(&key)
                    .unwrap(),
                OK,
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn scope_claims_string_array_and_scp() {
    let server = issuer(0, "us-east-1_Oidc").await;
    let key = server.signing_key();
    let verifier = Verifier::builder()
        .issuer(Issuer::oidc(server.issuer_url()).any_audience())
        .clock(ManualClock::at_unix(T0))
        .build()
        .await
        .unwrap();
    let scopes = |token: TokenBuilder| {
        let token = token.sign(&key).unwrap();
        let verifier = verifier.clone();
        async move {
            verifier
                .verify(&token)
                .await
                .map(|t| t.scopes().iter().map(str::to_owned).collect::<Vec<_>>())
        }
    };
    let base = || oidc_token(&server.issuer_url());
    assert_eq!(
        scopes(base().claim("scope", "b a")).await.unwrap(),
        ["a", "b"]
    );
    assert_eq!(
        scopes(base().claim("scp", json!(["b", "a", "a"])))
            .await
            .unwrap(),
        ["a", "b"]
    );
    assert_eq!(
        scopes(base().claim("scope", "a").claim("scp", json!(["c"])))
            .await
            .unwrap(),
        ["a", "c"],
        "merged"
    );
    assert_eq!(
        scopes(base().claim("scp", "x y")).await.unwrap(),
        ["x", "y"],
        "scp as a string"
    );
    assert_eq!(scopes(base()).await.unwrap(), Vec::<String>::new());
    assert_eq!(
        scopes(base().claim("scp", json!(["a", 1]))).await,
        Err(VerifyError::InvalidClaimType("scope"))
    );
    assert_eq!(
        scopes(base().claim("scope", json!({"a": 1}))).await,
        Err(VerifyError::InvalidClaimType("scope"))
    );

    // Cognito reads `scope` only, as a string; `scp` is then just another claim.
    let env = Env::new().await;
    let verified = env
        .verify(&env.sign(&env.token().claim("scp", json!(["orders/admin"]))))
        .await
        .unwrap();
    assert!(!verified.scopes().contains("orders/admin"));
    assert_eq!(
        env.check(&env.sign(&env.token().claim("scope", json!(["orders/read"]))))
            .await,
        Err(VerifyError::InvalidClaimType("scope"))
    );

    // Configured: a Cognito issuer that reads `scp` arrays.
    let env = Env::build(|b| b, |i| i.scope_claims(["scp"]), |v| v).await;
    let verified = env
        .verify(&env.sign(&env.token().claim("scp", json!(["orders/admin"]))))
        .await
        .unwrap();
    assert!(verified.scopes().contains("orders/admin"));
    assert!(
        !verified.scopes().contains(SCOPE),
        "`scope` is no longer read"
    );
}

#[tokio::test]
async fn client_claim_names_the_claim_checked_against_the_allowlist() {
    let server = issuer(0, "us-east-1_Oidc").await;
    let key = server.signing_key();
    let verifier = Verifier::builder()
        .issuer(
            Issuer::oidc(server.issuer_url())
                .client_claim("azp")
                .client_ids(["web-app"])
                .any_audience(),
        )
        .clock(ManualClock::at_unix(T0))
        .build()
        .await
        .unwrap();
    let token = |t: TokenBuilder| t.sign(&key).unwrap();
    let base = || oidc_token(&server.issuer_url());
    assert_rows(
        &verifier,
        &[
            ("azp allowed", token(base().claim("azp", "web-app")), OK),
            (
                "azp other",
                token(base().claim("azp", "mobile-app")),
                Err(VerifyError::ClientNotAllowed),
            ),
            (
                "azp missing",
                token(base()),
                Err(VerifyError::MissingClaim("client_id")),
            ),
            (
                "azp array",
                token(base().claim("azp", json!(["web-app"]))),
                Err(VerifyError::InvalidClaimType("client_id")),
            ),
            (
                "client_id is not azp",
                token(base().claim("client_id", "web-app")),
                Err(VerifyError::MissingClaim("client_id")),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn typ_policy_can_require_at_jwt() {
    let env = Env::build(
        |b| b,
        |i| {
            i.accepted_types(["at+jwt", "application/at+jwt"])
                .require_type()
        },
        |v| v,
    )
    .await;
    let token = env.token();
    assert_rows(
        &env.verifier,
        &[
            ("absent", env.sign(&token), Err(VerifyError::TypeNotAllowed)),
            (
                "JWT",
                env.sign(&token.clone().header("typ", "JWT")),
                Err(VerifyError::TypeNotAllowed),
            ),
            (
                "at+jwt",
                env.sign(&token.clone().header("typ", "at+jwt")),
                OK,
            ),
            (
                "AT+JWT (case-insensitive)",
                env.sign(&token.clone().header("typ", "AT+JWT")),
                OK,
            ),
            (
                "application/at+jwt",
                env.sign(&token.clone().header("typ", "application/at+jwt")),
                OK,
            ),
            (
                "at+jwt; charset",
                env.sign(&token.clone().header("typ", "at+jwt; charset=utf-8")),
                Err(VerifyError::TypeNotAllowed),
            ),
        ],
    )
    .await;
}

#[derive(Debug, Deserialize)]
struct Tenant {
    #[serde(rename = "custom:tenant")]
    tenant: String,
    #[serde(rename = "custom:tier", default)]
    tier: Option<u8>,
}

#[tokio::test]
async fn custom_claims_are_typed_and_custom_checks_refuse_with_their_reason() {
    let env = Env::new().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(env.iss()).client_ids([CLIENT]))
        .clock(env.clock.clone())
        .without_token_cache()
        .custom_claims::<Tenant>()
        .check(move |claims, custom: &Tenant| {
            counted.fetch_add(1, Ordering::SeqCst);
            if custom.tenant == "suspended" {
                return Err(CheckFailed::new("tenant_suspended"));
            }
            if claims.groups().any(|g| g == "blocked") {
                return Err(CheckFailed::new("group_blocked"));
            }
            Ok(())
        })
        .build()
        .await
        .unwrap();
    let token = |t: TokenBuilder| env.sign(&t);
    let good = token(
        env.token()
            .claim("custom:tenant", "acme")
            .claim("custom:tier", 2),
    );
    let verified = verifier.verify(&good).await.unwrap();
    assert_eq!(
        (verified.custom().tenant.as_str(), verified.custom().tier),
        ("acme", Some(2))
    );

    let suspended = verifier
        .verify(&token(env.token().claim("custom:tenant", "suspended")))
        .await
        .unwrap_err();
    assert_eq!(
        suspended,
        VerifyError::CheckFailed(CheckFailed::new("tenant_suspended"))
    );
    assert_eq!(suspended.reason(), "check_failed");
    let VerifyError::CheckFailed(failed) = suspended else {
        unreachable!()
    };
    assert_eq!(failed.reason(), "tenant_suspended");
    assert_eq!(
        verifier
            .verify(&token(
                env.token()
                    .claim("custom:tenant", "acme")
                    .claim("cognito:groups", json!(["blocked"]))
            ))
            .await
            .map(|_| ()),
        Err(VerifyError::CheckFailed(CheckFailed::new("group_blocked")))
    );
    assert_rows(
        &verifier,
        &[
            (
                "custom claim missing",
                token(env.token()),
                Err(VerifyError::InvalidCustomClaims),
            ),
            (
                "custom claim of the wrong type",
                token(env.token().claim("custom:tenant", 7)),
                Err(VerifyError::InvalidCustomClaims),
            ),
            (
                "custom claim out of range",
                token(
                    env.token()
                        .claim("custom:tenant", "acme")
                        .claim("custom:tier", 300),
                ),
                Err(VerifyError::InvalidCustomClaims),
            ),
            // Custom claims and checks run only after the signature: a forged token never
            // reaches them.
            (
                "bad signature",
                flip_signature_bit(&good),
                Err(VerifyError::InvalidSignature),
            ),
        ],
    )
    .await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "checks ran for the three tokens that reached them"
    );
}

#[tokio::test]
async fn fail_safe_configuration_is_a_build_error() {
    let iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123";
    let build = |builder: tollgate_verify::VerifierBuilder| {
        builder.prefetch(false).build_lazy().map(|_| ())
    };
    let cognito = || Issuer::cognito_issuer(iss);
    let cases: Vec<(&str, Result<(), BuildError>)> = vec![
        ("no issuer", build(Verifier::builder())),
        (
            "Cognito access without client policy",
            build(Verifier::builder().issuer(cognito())),
        ),
        (
            "Cognito ID without client policy",
            build(Verifier::builder().issuer(cognito().token_use(TokenUse::Id))),
        ),
        (
            "Cognito unchecked token_use without audience",
            build(Verifier::builder().issuer(cognito().token_use(TokenUse::Unchecked))),
        ),
        (
            "OIDC without audience",
            build(Verifier::builder().issuer(Issuer::oidc("https://sso.example.com"))),
        ),
        (
            // A client allowlist never replaces the audience check (review finding: tokens for
            // another relying party of a shared IdP would pass).
            "OIDC client_ids without audience",
            build(
                Verifier::builder()
                    .issuer(Issuer::oidc("https://sso.example.com").client_ids(["a"])),
            ),
        ),
        (
            "OIDC any_client without audience",
            build(Verifier::builder().issuer(Issuer::oidc("https://sso.example.com").any_client())),
        ),
        (
            "Cognito ID tokens with audience(..)",
            build(
                Verifier::builder().issuer(
                    cognito()
                        .token_use(TokenUse::Id)
                        .client_ids(["a"])
                        .audience(["b"]),
                ),
            ),
        ),
        (
            "duplicate issuer",
            build(
                Verifier::builder()
                    .issuer(cognito().any_client())
                    .issuer(cognito().client_ids(["x"])),
            ),
        ),
        (
            "no algorithm",
            build(
                Verifier::builder()
                    .issuer(cognito().any_client())
                    .algorithms([]),
            ),
        ),
        (
            "invalid Cognito pool",
            build(
                Verifier::builder()
                    .issuer(Issuer::cognito("eu-west-1", "us-east-1_AbC").any_client()),
            ),
        ),
        (
            "empty issuer",
            build(Verifier::builder().issuer(Issuer::cognito_issuer("").any_client())),
        ),
        (
            "zero token length",
            build(
                Verifier::builder()
                    .issuer(cognito().any_client())
                    .max_token_len(0),
            ),
        ),
        (
            "no scope claim",
            build(
                Verifier::builder().issuer(cognito().any_client().scope_claims(Vec::<&str>::new())),
            ),
        ),
        (
            "plain-http JWKS",
            build(
                Verifier::builder().issuer(
                    cognito()
                        .any_client()
                        .jwks_url("http://keys.example.com/jwks.json"),
                ),
            ),
        ),
        (
            "leeway over 60 s",
            build(
                Verifier::builder()
                    .issuer(cognito().any_client())
                    .leeway(Duration::from_secs(61)),
            ),
        ),
        (
            "check added before custom_claims (would be dropped)",
            Verifier::builder()
                .issuer(cognito().any_client())
                .check(|_, _| Err(CheckFailed::new("always")))
                .custom_claims::<serde_json::Value>()
                .build_lazy()
                .map(|_| ()),
        ),
    ];
    let mut failures = Vec::new();
    for (name, result) in &cases {
        let expected = match *name {
            "no issuer" => matches!(result, Err(BuildError::NoIssuer)),
            "duplicate issuer" => matches!(result, Err(BuildError::DuplicateIssuer)),
            "Cognito access without client policy"
            | "Cognito ID without client policy"
            | "Cognito unchecked token_use without audience" => {
                matches!(result, Err(BuildError::ClientPolicyMissing))
            }
            "OIDC without audience"
            | "OIDC client_ids without audience"
            | "OIDC any_client without audience" => {
                matches!(result, Err(BuildError::AudiencePolicyMissing))
            }
            "Cognito ID tokens with audience(..)" => {
                matches!(result, Err(BuildError::AudienceForCognitoIdTokens))
            }
            "no algorithm" => matches!(result, Err(BuildError::NoAlgorithm)),
            "invalid Cognito pool" => matches!(result, Err(BuildError::InvalidCognitoPool)),
            "empty issuer" => matches!(result, Err(BuildError::EmptyIssuer)),
            "zero token length" => matches!(result, Err(BuildError::ZeroMaxTokenLen)),
            "no scope claim" => matches!(result, Err(BuildError::NoScopeClaim)),
            "plain-http JWKS" => matches!(
                result,
                Err(BuildError::Keys(tollgate_verify::jwks::BuildError::Url(
                    tollgate_verify::jwks::UrlError::Insecure
                )))
            ),
            "leeway over 60 s" => matches!(result, Err(BuildError::LeewayTooLarge)),
            "check added before custom_claims (would be dropped)" => {
                matches!(result, Err(BuildError::CheckBeforeCustomClaims))
            }
            other => panic!("case {other:?} has no expected error"),
        };
        if !expected {
            failures.push(format!("{name}: {result:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The explicit opposites build.
    for (name, builder) in [
        (
            "any_client",
            Verifier::builder().issuer(cognito().any_client()),
        ),
        (
            "client_ids",
            Verifier::builder().issuer(cognito().client_ids(["a"])),
        ),
        (
            "OIDC any_audience",
            Verifier::builder().issuer(Issuer::oidc("https://sso.example.com").any_audience()),
        ),
        (
            "OIDC client_ids and audience",
            Verifier::builder().issuer(
                Issuer::oidc("https://sso.example.com")
                    .client_ids(["a"])
                    .audience(["api"]),
            ),
        ),
        (
            "leeway 60 s",
            Verifier::builder()
                .issuer(cognito().any_client())
                .leeway(Duration::from_secs(60)),
        ),
        (
            "every algorithm",
            Verifier::builder()
                .issuer(cognito().any_client())
                .algorithms(Algorithm::ALL),
        ),
    ] {
        assert!(build(builder).is_ok(), "{name}");
    }
    let check_after_custom_claims = Verifier::builder()
        .issuer(cognito().any_client())
        .custom_claims::<serde_json::Value>()
        .check(|_, _| Ok(()))
        .build_lazy();
    assert!(check_after_custom_claims.is_ok());
}

#[tokio::test]
async fn prefetch_failure_is_a_build_error() {
    let server = issuer(0, "us-east-1_Down").await;
    server.fail_next_jwks(1, tollgate_testkit::JwksFault::Status(503));
    let result = Verifier::builder()
        .issuer(Issuer::cognito_issuer(server.issuer_url()).client_ids([CLIENT]))
        .clock(ManualClock::at_unix(T0))
        .build()
        .await;
    assert!(
        matches!(
            result,
            Err(BuildError::Prefetch(
                tollgate_verify::jwks::FetchError::Status { status: 503, .. }
            ))
        ),
        "{result:?}"
    );
}

/// Keys are bound to one issuer (RFC 8725 §3.8, H15): one key cache serving two issuers, or
/// a source/cache that discovers another issuer's keys, is a build error, never a way for one
/// issuer's keys to verify the other's tokens.
#[test]
fn a_key_cache_serves_exactly_one_issuer() {
    use tollgate_verify::jwks::{JwksCache, JwksSource};
    let key = SigningKey::fixture(0).unwrap();
    let shared = JwksCache::builder(JwksSource::static_json(tollgate_testkit::jwks_json(&[
        &key,
    ])))
    .build()
    .unwrap();
    let a = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolA";
    let b = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolB";
    let two = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(a)
                .any_client()
                .jwks_cache(shared.clone()),
        )
        .issuer(
            Issuer::cognito_issuer(b)
                .any_client()
                .jwks_cache(shared.clone()),
        )
        .build_lazy();
    assert!(matches!(two, Err(BuildError::SharedKeyCache)), "{two:?}");

    let one = Verifier::builder()
        .issuer(Issuer::cognito_issuer(a).any_client().jwks_cache(shared))
        .build_lazy();
    assert!(one.is_ok());

    let foreign_source = Verifier::builder()
        .issuer(
            Issuer::oidc("https://sso.example.com/b")
                .any_audience()
                .jwks_source(JwksSource::discovery("https://sso.example.com/a").unwrap()),
        )
        .build_lazy();
    assert!(
        matches!(foreign_source, Err(BuildError::DiscoveryIssuerMismatch)),
        "{foreign_source:?}"
    );

    let foreign_cache =
        JwksCache::builder(JwksSource::discovery("https://sso.example.com/a").unwrap())
            .build()
            .unwrap();
    let foreign = Verifier::builder()
        .issuer(
            Issuer::oidc("https://sso.example.com/b")
                .any_audience()
                .jwks_cache(foreign_cache),
        )
        .build_lazy();
    assert!(
        matches!(foreign, Err(BuildError::DiscoveryIssuerMismatch)),
        "{foreign:?}"
    );
}
