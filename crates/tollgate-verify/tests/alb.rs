//! AWS Application Load Balancer tokens end to end against the testkit's emulated ALB: its
//! padded ES256 user-claims tokens and its per-kid PEM key endpoint. The padding exception
//! holds for ALB issuers only; every other issuer stays strict.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::json;
use tollgate_testkit::raw::{self, b64url_padded};
use tollgate_testkit::{DEFAULT_CLIENT_ID, JwsAlg, SigningKey, TestIssuer, TokenBuilder};
use tollgate_verify::jwks::{self, JwksSource};
use tollgate_verify::{
    Algorithm, BuildError, EcdsaForm, Issuer, Malformed, ManualClock, Verifier, VerifyError,
};

const SUB: &str = "3f1f8a0c-0000-4000-8000-000000000001";

struct AlbEnv {
    issuer: TestIssuer,
    verifier: Verifier,
    clock: ManualClock,
}

/// The ALB issuer as an application configures it, pointed at the emulated key endpoint.
fn alb_issuer(issuer: &TestIssuer) -> Issuer {
    Issuer::alb(issuer.region(), [issuer.alb_signer()])
        .client_ids([DEFAULT_CLIENT_ID])
        .identity_provider(issuer.issuer_url())
        .jwks_source(JwksSource::alb_url(&issuer.alb_keys_url()).unwrap())
}

impl AlbEnv {
    async fn new() -> Self {
        Self::with(|i| i).await
    }

    async fn with(policy: impl FnOnce(Issuer) -> Issuer) -> Self {
        let issuer = TestIssuer::builder()
            .signing_key(SigningKey::fixture(0).unwrap())
            .start()
            .await
            .unwrap();
        let clock = ManualClock::at_unix(T0);
        let verifier = Verifier::builder()
            .issuer(policy(alb_issuer(&issuer)))
            .clock(clock.clone())
            .build()
            .await
            .unwrap();
        Self {
            issuer,
            verifier,
            clock,
        }
    }

    fn builder(&self) -> TokenBuilder {
        self.issuer.alb_token_builder(SUB, T0)
    }

    fn sign(&self, builder: &TokenBuilder) -> String {
        self.issuer.sign_alb(builder).unwrap()
    }

    fn good(&self) -> String {
        self.sign(&self.builder())
    }

    async fn check(&self, token: &str) -> Expect {
        self.verifier.verify(token).await.map(|_| ())
    }
}

#[tokio::test]
async fn an_alb_token_is_verified_with_its_per_kid_key() {
    let env = AlbEnv::new().await;
    let token = env.good();
    // The real shape: every segment padded.
    assert!(token.split('.').all(|s| s.ends_with('=')), "{token}");
    let verified = env.verifier.verify(&token).await.unwrap();
    assert_eq!(verified.subject(), Some(SUB));
    assert_eq!(verified.algorithm(), Algorithm::Es256);
    assert_eq!(verified.kid(), env.issuer.alb_key().kid());
    assert!(verified.scopes().is_empty());
    assert_eq!(verified.expires_at(), (T0 + 120) as i64);
    assert_eq!(
        verified.claims().extra_claim("email").unwrap(),
        json!("testuser@example.com")
    );
    assert_eq!(env.issuer.alb_key_requests(), 1);
    // The key stays cached.
    let again = env.builder().claim("sub", "another-user");
    env.verifier.verify(&env.sign(&again)).await.unwrap();
    assert_eq!(env.issuer.alb_key_requests(), 1);
    // The ALB issuer is named by its first signer.
    assert_eq!(
        env.verifier.issuers().collect::<Vec<_>>(),
        [env.issuer.alb_signer()]
    );
    assert!(
        env.verifier
            .keys(&env.issuer.alb_signer())
            .unwrap()
            .is_alb()
    );
}

#[tokio::test]
async fn unpadded_alb_tokens_are_accepted_too() {
    let env = AlbEnv::new().await;
    let token = env.builder().sign(&env.issuer.alb_key()).unwrap();
    assert!(!token.contains('='));
    assert_eq!(env.check(&token).await, OK);
}

#[tokio::test]
async fn the_alb_header_is_checked_before_any_key_lookup() {
    let env = AlbEnv::new().await;
    let other_alb = env.issuer.alb_signer().replace(
        "tollgate-test/50dc6c495c0c9188",
        "someone-else/0123456789abcdef",
    );
    let rows = [
        (
            "wrong signer",
            env.sign(&env.builder().header("signer", other_alb.as_str())),
            Err(VerifyError::UnknownIssuer),
        ),
        (
            "signer not a string",
            env.sign(
                &env.builder()
                    .header("signer", json!([env.issuer.alb_signer()])),
            ),
            Err(VerifyError::InvalidClaimType("signer")),
        ),
        (
            "wrong client",
            env.sign(&env.builder().header("client", "another-app-client")),
            Err(VerifyError::ClientNotAllowed),
        ),
        (
            "no client",
            env.sign(&env.builder().without_header("client")),
            Err(VerifyError::MissingClaim("client")),
        ),
        (
            "header iss of another provider",
            env.sign(&env.builder().header("iss", "https://idp.example.com")),
            Err(VerifyError::UnknownIssuer),
        ),
        (
            "no header iss",
            env.sign(&env.builder().without_header("iss")),
            Err(VerifyError::MissingClaim("iss")),
        ),
        (
            "claims iss of another provider",
            env.sign(&env.builder().claim("iss", "https://idp.example.com")),
            Err(VerifyError::UnknownIssuer),
        ),
        (
            "expired (header exp)",
            env.sign(&env.builder().header("exp", T0 - LEEWAY - 1)),
            Err(VerifyError::Expired),
        ),
        (
            "expired (claims exp)",
            env.sign(&env.builder().claim("exp", T0 - LEEWAY - 1)),
            Err(VerifyError::Expired),
        ),
        (
            "no header exp",
            env.sign(&env.builder().without_header("exp")),
            Err(VerifyError::MissingClaim("exp")),
        ),
        (
            "header exp a string",
            env.sign(&env.builder().header("exp", (T0 + 60).to_string())),
            Err(VerifyError::InvalidClaimType("exp")),
        ),
        (
            "kid with a slash",
            env.sign(&env.builder().header("kid", "a/b")),
            Err(VerifyError::InvalidKid),
        ),
        (
            "kid with dots",
            env.sign(&env.builder().header("kid", "../alb-keys/x")),
            Err(VerifyError::InvalidKid),
        ),
        (
            "kid percent-encoded",
            env.sign(&env.builder().header("kid", "%2e%2e%2fx")),
            Err(VerifyError::InvalidKid),
        ),
        (
            "kid with a space",
            env.sign(&env.builder().header("kid", "a b")),
            Err(VerifyError::InvalidKid),
        ),
        (
            "a Cognito-style kid",
            env.sign(&env.builder().header("kid", "abc+def/ghi=")),
            Err(VerifyError::InvalidKid),
        ),
        (
            "alg RS256",
            env.sign(&env.builder().header("alg", "RS256")),
            Err(VerifyError::AlgorithmNotAllowed),
        ),
        (
            "duplicate signer",
            raw::with_signature(
                &b64url_padded(
                    format!(
                        r#"{{"alg":"ES256","kid":"k","signer":"{}","signer":"x"}}"#,
                        env.issuer.alb_signer()
                    )
                    .as_bytes(),
                ),
                &b64url_padded(b"{}"),
                &[1; 64],
            ),
            Err(VerifyError::DuplicateMember(tollgate_verify::Part::Header)),
        ),
    ];
    env.clock
        .advance(jwks::DEFAULT_COOLDOWN + std::time::Duration::from_secs(1));
    for (name, token, expected) in &rows {
        assert_eq!(env.check(token).await, *expected, "{name}");
    }
    // Not one of them looked a key up.
    assert_eq!(env.issuer.alb_key_requests(), 0);
    assert_eq!(env.check(&env.good()).await, OK);
}

#[tokio::test]
async fn unknown_kids_and_unusable_keys_are_refused() {
    let env = AlbEnv::new().await;
    let unknown = "0b9f5a1e-0000-4000-8000-00000000dead";
    assert_eq!(
        env.check(&env.sign(&env.builder().header("kid", unknown)))
            .await,
        Err(VerifyError::UnknownKid)
    );
    assert_eq!(env.issuer.alb_key_requests(), 1);
    // PEMs that are not an EC P-256 key: refused, the token with them.
    let p384 = SigningKey::generate_for(JwsAlg::Es384)
        .unwrap()
        .with_kid("p384-key");
    let rsa = SigningKey::fixture(1).unwrap().with_kid("rsa-key");
    for key in [&p384, &rsa] {
        env.issuer
            .set_alb_key_body(key.kid(), Some(key.public_key_spki_pem()));
        let token = env
            .builder()
            .header("kid", key.kid())
            .header("alg", "ES256")
            .sign_padded(&env.issuer.alb_key())
            .unwrap();
        assert_eq!(
            env.check(&token).await,
            Err(VerifyError::UnknownKid),
            "{}",
            key.kid()
        );
    }
    // A key the endpoint serves under another kid does not verify this token.
    let other = SigningKey::generate_for(JwsAlg::Es256)
        .unwrap()
        .with_kid("other-alb-key");
    env.issuer.publish_alb_key(other);
    let token = env
        .builder()
        .header("kid", "other-alb-key")
        .sign_padded(&env.issuer.alb_key())
        .unwrap();
    assert_eq!(env.check(&token).await, Err(VerifyError::InvalidSignature));
}

#[tokio::test]
async fn alb_signatures_are_checked_like_every_es256_signature() {
    let env = AlbEnv::new().await;
    let good = env.good();
    let (h, p, s) = {
        let mut parts = good.split('.');
        (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        )
    };
    let signature = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE
            .decode(&s)
            .unwrap()
    };
    let mut flipped = signature.clone();
    flipped[10] ^= 1;
    let with = |sig: &[u8]| format!("{h}.{p}.{}", b64url_padded(sig));
    let rows = [
        (
            "flipped",
            with(&flipped),
            Err(VerifyError::InvalidSignature),
        ),
        (
            "DER",
            with(&raw::ecdsa_der(&signature)),
            Err(VerifyError::EcdsaSignatureForm(EcdsaForm::Der)),
        ),
        (
            "zero",
            with(&[0; 64]),
            Err(VerifyError::EcdsaSignatureForm(EcdsaForm::ZeroInteger)),
        ),
        // The signature covers the padded text exactly: without the padding, the same
        // signature does not verify.
        (
            "padding removed from header and payload",
            format!(
                "{}.{}.{s}",
                h.trim_end_matches('='),
                p.trim_end_matches('=')
            ),
            Err(VerifyError::InvalidSignature),
        ),
        (
            "padding removed from the signature only",
            format!("{h}.{p}.{}", s.trim_end_matches('=')),
            OK,
        ),
        (
            "non-canonical padding",
            format!("{h}.{p}=.{s}"),
            Err(VerifyError::MalformedToken(Malformed::InvalidCharacter)),
        ),
        (
            "padding inside a segment",
            format!("{h}.{}={}.{s}", &p[..4], &p[4..]),
            Err(VerifyError::MalformedToken(Malformed::InvalidCharacter)),
        ),
        ("control", good.clone(), OK),
    ];
    for (name, token, expected) in &rows {
        assert_eq!(env.check(token).await, *expected, "{name}");
    }
}

#[tokio::test]
async fn padding_is_refused_for_every_issuer_that_is_not_an_alb() {
    // A Cognito issuer alone, and next to an ALB issuer: a padded Cognito token (signed over
    // its padded text, so only the padding is wrong) is refused as before.
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    let cognito = || Issuer::cognito_issuer(issuer.issuer_url()).client_ids([CLIENT]);
    let oidc = || {
        Issuer::oidc(issuer.issuer_url())
            .any_audience()
            .jwks_url(issuer.jwks_url())
    };
    let padded = TokenBuilder::access_token(&issuer.issuer_url(), CLIENT, &[SCOPE], T0)
        .sign_padded(&SigningKey::fixture(0).unwrap())
        .unwrap();
    assert!(padded.contains('='));
    let strict = Err(VerifyError::MalformedToken(Malformed::InvalidCharacter));
    for (name, issuers) in [
        ("cognito", vec![cognito()]),
        ("oidc", vec![oidc()]),
        ("cognito and alb", vec![cognito(), alb_issuer(&issuer)]),
    ] {
        let mut builder = Verifier::builder().clock(ManualClock::at_unix(T0));
        for trusted in issuers {
            builder = builder.issuer(trusted);
        }
        let verifier = builder.build().await.unwrap();
        assert_eq!(verifier.verify(&padded).await.map(|_| ()), strict, "{name}");
        // The ALB's own token is not a Cognito or OIDC token.
        let alb = issuer.sign_alb(&issuer.alb_token_builder(SUB, T0)).unwrap();
        let expected = if name == "cognito and alb" {
            OK
        } else {
            strict
        };
        assert_eq!(verifier.verify(&alb).await.map(|_| ()), expected, "{name}");
    }
}

#[tokio::test]
async fn one_verifier_verifies_the_alb_token_and_the_access_token_apart() {
    // Both tokens name the same provider in their claims' `iss`; they never cross.
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([CLIENT]))
        .issuer(alb_issuer(&issuer))
        .clock(ManualClock::at_unix(T0))
        .build()
        .await
        .unwrap();
    let access = TokenBuilder::access_token(&issuer.issuer_url(), CLIENT, &[SCOPE], T0)
        .sign(&SigningKey::fixture(0).unwrap())
        .unwrap();
    let user = issuer.sign_alb(&issuer.alb_token_builder(SUB, T0)).unwrap();
    let access = verifier.verify(&access).await.unwrap();
    let user = verifier.verify(&user).await.unwrap();
    assert_eq!(access.algorithm(), Algorithm::Rs256);
    assert!(access.scopes().contains(SCOPE));
    assert_eq!(user.algorithm(), Algorithm::Es256);
    assert_eq!(user.subject(), Some(SUB));
    // An RS256 access token given a `signer` goes to the ALB issuer, which refuses RS256;
    // an ALB-signed token without `signer` goes by its `iss` to the Cognito issuer, whose
    // key set has no such kid (and ES256 is not on its list).
    let forged = TokenBuilder::access_token(&issuer.issuer_url(), CLIENT, &[SCOPE], T0)
        .header("signer", issuer.alb_signer().as_str())
        .sign(&SigningKey::fixture(0).unwrap())
        .unwrap();
    assert_eq!(
        verifier.verify(&forged).await.map(|_| ()),
        Err(VerifyError::AlgorithmNotAllowed)
    );
    let unsigned_alb = issuer
        .alb_token_builder(SUB, T0)
        .without_header("signer")
        .claim("token_use", "access")
        .claim("client_id", CLIENT)
        .sign_padded(&issuer.alb_key())
        .unwrap();
    assert_eq!(
        verifier.verify(&unsigned_alb).await.map(|_| ()),
        Err(VerifyError::MalformedToken(Malformed::InvalidCharacter))
    );
    // Nor is the ALB issuer reachable through a claims `iss` equal to its name.
    let by_name = TokenBuilder::access_token(&issuer.alb_signer(), CLIENT, &[SCOPE], T0)
        .sign(&SigningKey::fixture(0).unwrap())
        .unwrap();
    assert_eq!(
        verifier.verify(&by_name).await.map(|_| ()),
        Err(VerifyError::UnknownIssuer)
    );
}

#[test]
fn alb_issuers_are_configured_or_refused_with_a_typed_error() {
    const ARN: &str =
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
    let build = |issuer: Issuer| Verifier::builder().issuer(issuer).build_lazy().err();
    let no_signer: [&str; 0] = [];
    assert!(matches!(
        build(Issuer::alb("eu-west-1", no_signer)),
        Some(BuildError::AlbSignerMissing)
    ));
    assert!(build(Issuer::alb("eu-west-1", [ARN])).is_none());
    for bad in [
        ARN.replace("eu-west-1", "us-east-1"),
        ARN.replace("elasticloadbalancing", "ec2"),
        ARN.replace("loadbalancer/app", "loadbalancer/net"),
        ARN.replace("123456789012", "1234"),
        "not an arn".to_owned(),
        format!("{ARN}?x"),
    ] {
        assert!(
            matches!(
                build(Issuer::alb("eu-west-1", [bad.clone()])),
                Some(BuildError::InvalidAlbSigner)
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        build(Issuer::alb("eu-west-1/..", [ARN])),
        Some(BuildError::Keys(jwks::BuildError::InvalidRegion))
    ));
    assert!(matches!(
        build(Issuer::alb("eu-west-1", [ARN]).algorithms([Algorithm::Rs256])),
        Some(BuildError::AlbAlgorithms)
    ));
    assert!(matches!(
        build(Issuer::alb("eu-west-1", [ARN]).jwks_url("https://keys.example.com/jwks.json")),
        Some(BuildError::AlbKeySource)
    ));
    assert!(matches!(
        build(
            Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123")
                .any_client()
                .jwks_source(JwksSource::alb("eu-west-1").unwrap())
        ),
        Some(BuildError::AlbKeySource)
    ));
    assert!(matches!(
        build(Issuer::alb("eu-west-1", [ARN]).audience(["api"])),
        Some(BuildError::SettingNotApplicable {
            setting: "audience"
        })
    ));
    assert!(matches!(
        build(Issuer::alb("eu-west-1", [ARN]).token_use(tollgate_verify::TokenUse::Access)),
        Some(BuildError::SettingNotApplicable {
            setting: "token_use"
        })
    ));
    assert!(matches!(
        build(
            Issuer::alb("eu-west-1", [ARN])
                .scope_claims([tollgate_verify::ScopeClaim::space_delimited("scope")])
        ),
        Some(BuildError::SettingNotApplicable {
            setting: "scope_claims"
        })
    ));
    assert!(matches!(
        build(
            Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123")
                .any_client()
                .identity_provider("https://x")
        ),
        Some(BuildError::SettingNotApplicable {
            setting: "identity_provider"
        })
    ));
    let second = ARN.replace("web/50dc6c495c0c9188", "api/0123456789abcdef");
    assert!(matches!(
        Verifier::builder()
            .issuer(Issuer::alb("eu-west-1", [ARN]))
            .issuer(Issuer::alb("eu-west-1", [second.as_str(), ARN]))
            .build_lazy()
            .err(),
        Some(BuildError::DuplicateIssuer)
    ));
}
