//! Shared set-up for the tollgate-verify integration tests: a real loopback issuer
//! (`TestIssuer`), a `ManualClock` fixed at [`T0`], a verifier built the way an application
//! builds one, and helpers that mint tokens at the clock's instant.
//!
//! Every table row asserts the exact outcome: `Ok(())` or the exact [`VerifyError`].

#![allow(dead_code, unreachable_pub)]

pub mod wycheproof;

use std::fmt::Write as _;

use serde_json::{Map, Value};
use tollgate_testkit::{SigningKey, TestIssuer, TestIssuerBuilder, TokenBuilder, raw};
use tollgate_verify::{Issuer, ManualClock, VerifiedToken, Verifier, VerifierBuilder, VerifyError};

/// The instant every test clock starts at (2023-11-14T22:13:20Z).
pub const T0: u64 = 1_700_000_000;
/// The app client every default token is for and every default verifier allows.
pub const CLIENT: &str = "tollgate-test-client";
/// The verifier's default leeway, in seconds.
pub const LEEWAY: u64 = 30;
/// The scope of default tokens.
pub const SCOPE: &str = "orders/read";

/// What a row expects: accepted, or refused for exactly this reason.
pub type Expect = Result<(), VerifyError>;

/// An accepted row.
pub const OK: Expect = Ok(());

/// A running issuer, a manual clock and a verifier that trusts the issuer.
pub struct Env {
    pub issuer: TestIssuer,
    pub clock: ManualClock,
    pub verifier: Verifier,
    /// The key the issuer signs with and publishes (fixture 0).
    pub key: SigningKey,
}

impl Env {
    /// Default policy: `Issuer::cognito_issuer(iss).client_ids([CLIENT])`, default verifier
    /// settings, clock at [`T0`].
    pub async fn new() -> Self {
        Self::build(|b| b, |i| i, |v| v).await
    }

    /// Default issuer policy, verifier settings adjusted.
    pub async fn with(configure: impl FnOnce(VerifierBuilder) -> VerifierBuilder) -> Self {
        Self::build(|b| b, |i| i, configure).await
    }

    /// Everything adjustable: the test issuer, the issuer policy, the verifier.
    pub async fn build(
        server: impl FnOnce(TestIssuerBuilder) -> TestIssuerBuilder,
        policy: impl FnOnce(Issuer) -> Issuer,
        configure: impl FnOnce(VerifierBuilder) -> VerifierBuilder,
    ) -> Self {
        let key = SigningKey::fixture(0).unwrap();
        let issuer = server(TestIssuer::builder().signing_key(key.clone()))
            .start()
            .await
            .unwrap();
        let clock = ManualClock::at_unix(T0);
        let mut trusted = Issuer::cognito_issuer(issuer.issuer_url()).client_ids([CLIENT]);
        if !issuer.issuer_url().starts_with(&issuer.base_url()) {
            // An overridden (real-looking) `iss`: the keys are still on loopback.
            trusted = trusted.jwks_url(issuer.jwks_url());
        }
        let trusted = policy(trusted);
        let verifier = configure(Verifier::builder().issuer(trusted).clock(clock.clone()))
            .build()
            .await
            .unwrap();
        Self {
            issuer,
            clock,
            verifier,
            key,
        }
    }

    /// The configured (and minted) `iss`.
    pub fn iss(&self) -> String {
        self.issuer.issuer_url()
    }

    /// A Cognito client-credentials access token for [`CLIENT`] with [`SCOPE`], issued at
    /// [`T0`], valid one hour; header `{"alg":"RS256"}` + the key's `kid` at signing.
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::access_token(&self.iss(), CLIENT, &[SCOPE], T0)
    }

    /// Signs with the issuer's key (RS256).
    pub fn sign(&self, builder: &TokenBuilder) -> String {
        builder.sign(&self.key).unwrap()
    }

    /// A valid token.
    pub fn good(&self) -> String {
        self.sign(&self.token())
    }

    /// `{"alg":"RS256","kid":"<kid>"}`, as text.
    pub fn header(&self) -> String {
        format!(r#"{{"alg":"RS256","kid":"{}"}}"#, self.key.kid())
    }

    /// The default claims as JSON text, with members replaced (`Some`), removed (`None`) or
    /// appended (`Some`, when absent). Values are raw JSON text, written as given.
    pub fn claims(&self, changes: &[(&str, Option<&str>)]) -> String {
        claims_text(self.token().claims(), changes)
    }

    /// Signs the exact header and payload text (RS256, the issuer's key).
    pub fn raw(&self, header: &str, payload: &str) -> String {
        raw::signed_compact(header, payload, &self.key).unwrap()
    }

    /// Signs exactly these base64url segments as given (RS256, the issuer's key).
    pub fn raw_segments(&self, header_b64: &str, payload_b64: &str) -> String {
        raw::sign_segments(
            header_b64,
            payload_b64,
            &self.key,
            tollgate_testkit::RsaAlg::Rs256,
        )
        .unwrap()
    }

    /// Verifies with the environment's verifier.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        self.verifier.verify(token).await
    }

    /// Verifies and forgets the claims.
    pub async fn check(&self, token: &str) -> Expect {
        self.verifier.verify(token).await.map(|_| ())
    }

    /// Serves `body` as the JWKS from now on and makes the verifier fetch it (explicit
    /// refresh, not limited by the cooldown).
    pub async fn serve_jwks(&self, body: String) {
        self.issuer.set_jwks_body(Some(body));
        self.verifier
            .keys(&self.iss())
            .unwrap()
            .refresh()
            .await
            .unwrap();
    }

    /// JWKS requests the issuer received so far.
    pub fn jwks_requests(&self) -> u64 {
        self.issuer.jwks_requests()
    }

    /// Moves the clock forward past the key cache's unknown-`kid` cooldown (15 s), so a
    /// refetch would be allowed: a test that then sees no request proves the request was
    /// never wanted, not merely rate-limited.
    pub fn pass_cooldown(&self) {
        self.clock
            .advance(tollgate_verify::jwks::DEFAULT_COOLDOWN + std::time::Duration::from_secs(1));
    }
}

/// The claims of `base` as JSON text, with members replaced, removed or appended.
pub fn claims_text(base: &Map<String, Value>, changes: &[(&str, Option<&str>)]) -> String {
    let mut members: Vec<(String, String)> = base
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    for (name, value) in changes {
        let position = members.iter().position(|(k, _)| k == name);
        match (position, value) {
            (Some(i), Some(value)) => members[i].1 = (*value).to_owned(),
            (Some(i), None) => {
                members.remove(i);
            }
            (None, Some(value)) => members.push(((*name).to_owned(), (*value).to_owned())),
            (None, None) => {}
        }
    }
    let mut text = String::from("{");
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        write!(text, "{}:{value}", Value::String(name.clone())).unwrap();
    }
    text.push('}');
    text
}

/// `json` (an object's text) with `member` (raw `"name":value` text) added before the
/// closing brace: the way to write duplicate members.
pub fn with_member(json: &str, member: &str) -> String {
    let body = json.strip_suffix('}').unwrap();
    format!("{body},{member}}}")
}

/// The key's public JWK with members replaced (`Some`, raw JSON) or removed (`None`).
pub fn jwk_with(key: &SigningKey, changes: &[(&str, Option<Value>)]) -> Value {
    let mut jwk = key.public_jwk();
    let object = jwk.as_object_mut().unwrap();
    for (name, value) in changes {
        match value {
            Some(value) => {
                object.insert((*name).to_owned(), value.clone());
            }
            None => {
                object.remove(*name);
            }
        }
    }
    jwk
}

/// `{"keys":[...]}` of these JWKs.
pub fn jwks_of(keys: &[Value]) -> String {
    serde_json::json!({ "keys": keys }).to_string()
}

/// Runs every row and reports all mismatches at once (name, expected, actual).
pub async fn assert_rows<C: tollgate_verify::CustomClaims>(
    verifier: &Verifier<C>,
    rows: &[(&str, String, Expect)],
) {
    let mut failures = Vec::new();
    for (name, token, expected) in rows {
        let actual = verifier.verify(token).await.map(|_| ());
        if actual != *expected {
            failures.push(format!("{name}: expected {expected:?}, got {actual:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Base64url segments of a compact token.
pub fn segments(token: &str) -> (String, String, String) {
    let mut parts = token.split('.');
    let header = parts.next().unwrap().to_owned();
    let payload = parts.next().unwrap().to_owned();
    let signature = parts.next().unwrap().to_owned();
    (header, payload, signature)
}

/// Decodes base64url (test data only).
pub fn b64_decode(segment: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .unwrap()
}
