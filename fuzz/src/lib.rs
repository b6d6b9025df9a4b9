//! Shared fixtures and oracles for tollgate's fuzz targets.
//!
//! Everything here is fixed and deterministic: two committed RSA test keys (the testkit's
//! `rsa2048-0.pem` for the Cognito issuer, `rsa2048-1.pem` for the OIDC issuer), verifiers
//! over static key sets (no network, no key fetch), and a manual clock at [`NOW`].
//!
//! The oracles restate the verifier contract independently of tollgate's parsers (serde_json
//! values, the `base64` crate, aws-lc-rs directly), so a target can assert that whatever
//! tollgate accepts really satisfies the contract, not merely that nothing panicked.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use tollgate_testkit::{SigningKey, TokenBuilder, jwks_json};
use tollgate_verify::jwks::{JwksSource, KeySet, KeySetOptions};
use tollgate_verify::{
    Algorithm, CheckFailed, Issuer, ManualClock, VerifiedToken, Verifier, VerifyError,
};

/// The fixed time of every verifier (Unix seconds).
pub const NOW: u64 = 1_700_000_000;
/// The verifiers' leeway (tollgate's default).
pub const LEEWAY_SECS: i64 = 30;
/// The verifiers' maximum token age.
pub const MAX_AGE_SECS: i64 = 24 * 3600;
/// The verifiers' maximum token lifetime (`exp - iat`).
pub const MAX_LIFETIME_SECS: i64 = 24 * 3600;
/// The Cognito issuer, whose tokens are signed with testkit fixture key 0.
pub const COGNITO_ISS: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Fuzz12345";
/// The only app client the Cognito issuer accepts.
pub const COGNITO_CLIENT: &str = "fuzzclient1234567890";
/// The OIDC issuer, whose tokens are signed with testkit fixture key 1.
pub const OIDC_ISS: &str = "https://sso.example.com/realms/fuzz";
/// The audience the OIDC issuer requires.
pub const OIDC_AUDIENCE: &str = "orders-api";
/// The custom claim the custom-claims verifier reads; the value [`BLOCKED_TENANT`] fails its
/// check.
pub const TENANT_CLAIM: &str = "custom:tenant";
/// A tenant refused by the custom-claims verifier's check.
pub const BLOCKED_TENANT: &str = "blocked";
/// The `typ` values the issuers accept by default (compared case-insensitively).
pub const ACCEPTED_TYPES: [&str; 4] = ["jwt", "at+jwt", "application/jwt", "application/at+jwt"];

/// The custom claims of [`Fixture::custom`].
#[derive(Debug, Deserialize)]
pub struct Tenant {
    /// `custom:tenant`, when present.
    #[serde(rename = "custom:tenant")]
    pub tenant: Option<String>,
}

/// Which fixed issuer a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// [`COGNITO_ISS`], key 0.
    Cognito,
    /// [`OIDC_ISS`], key 1.
    Oidc,
}

impl Which {
    /// The issuer's `iss`.
    #[must_use]
    pub fn iss(self) -> &'static str {
        match self {
            Self::Cognito => COGNITO_ISS,
            Self::Oidc => OIDC_ISS,
        }
    }

    /// The issuer with this `iss`.
    #[must_use]
    pub fn from_iss(iss: &str) -> Option<Self> {
        [Self::Cognito, Self::Oidc]
            .into_iter()
            .find(|which| which.iss() == iss)
    }
}

/// The fixed keys, verifiers and runtime.
pub struct Fixture {
    /// Signs the Cognito issuer's tokens (testkit fixture 0).
    pub cognito_key: SigningKey,
    /// Signs the OIDC issuer's tokens (testkit fixture 1).
    pub oidc_key: SigningKey,
    /// Both public keys as one set, for `verify_jws`.
    pub keys: KeySet,
    /// Both issuers, verified-token cache off.
    pub verifier: Verifier,
    /// The same policy with the verified-token cache on.
    pub cached: Verifier,
    /// The same policy with custom claims ([`Tenant`]) and a check.
    pub custom: Verifier<Tenant>,
    /// Valid tokens at [`NOW`]: a Cognito access token and an OIDC access token.
    pub valid_tokens: Vec<String>,
    runtime: tokio::runtime::Runtime,
}

impl fmt::Debug for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture").finish_non_exhaustive()
    }
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(Fixture::new);

/// The shared fixture (built on first use).
#[must_use]
pub fn fixture() -> &'static Fixture {
    &FIXTURE
}

#[allow(clippy::expect_used)] // fixed inputs: a failure here is a broken harness, not a finding
impl Fixture {
    fn new() -> Self {
        let cognito_key = SigningKey::fixture(0).expect("fixture key 0");
        let oidc_key = SigningKey::fixture(1).expect("fixture key 1");
        let keys = KeySet::from_json(
            jwks_json(&[&cognito_key, &oidc_key]).as_bytes(),
            &KeySetOptions::default(),
        )
        .expect("fixture key set");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let builder = |cache: bool| {
            let builder = Verifier::builder()
                .issuer(
                    Issuer::cognito_issuer(COGNITO_ISS)
                        .jwks_source(JwksSource::static_json(jwks_json(&[&cognito_key])))
                        .client_ids([COGNITO_CLIENT]),
                )
                .issuer(
                    Issuer::oidc(OIDC_ISS)
                        .jwks_source(JwksSource::static_json(jwks_json(&[&oidc_key])))
                        .audience([OIDC_AUDIENCE]),
                )
                .clock(ManualClock::at_unix(NOW))
                .leeway(Duration::from_secs(LEEWAY_SECS.unsigned_abs()))
                .max_token_age(Duration::from_secs(MAX_AGE_SECS.unsigned_abs()))
                .max_lifetime(Duration::from_secs(MAX_LIFETIME_SECS.unsigned_abs()));
            if cache {
                builder
            } else {
                builder.without_token_cache()
            }
        };
        let verifier = builder(false).build_lazy().expect("verifier");
        let cached = builder(true).build_lazy().expect("cached verifier");
        let custom = builder(false)
            .custom_claims::<Tenant>()
            .check(|_claims, custom| {
                if custom.tenant.as_deref() == Some(BLOCKED_TENANT) {
                    return Err(CheckFailed::new("tenant blocked"));
                }
                Ok(())
            })
            .build_lazy()
            .expect("custom verifier");
        let valid_tokens = vec![
            cognito_access_token()
                .sign(&cognito_key)
                .expect("sign cognito"),
            oidc_access_token().sign(&oidc_key).expect("sign oidc"),
        ];
        Self {
            cognito_key,
            oidc_key,
            keys,
            verifier,
            cached,
            custom,
            valid_tokens,
            runtime,
        }
    }
}

impl Fixture {
    /// The signing key of an issuer.
    #[must_use]
    pub fn key(&self, which: Which) -> &SigningKey {
        match which {
            Which::Cognito => &self.cognito_key,
            Which::Oidc => &self.oidc_key,
        }
    }

    /// The issuer whose key has this `kid`.
    #[must_use]
    pub fn issuer_of_kid(&self, kid: &str) -> Option<Which> {
        [Which::Cognito, Which::Oidc]
            .into_iter()
            .find(|which| self.key(*which).kid() == kid)
    }

    /// Runs `Verifier::verify` to completion. Static key sets never fetch, so this is quick.
    pub fn verify<C: tollgate_verify::CustomClaims>(
        &self,
        verifier: &Verifier<C>,
        token: &str,
    ) -> Result<VerifiedToken<C>, VerifyError> {
        self.runtime.block_on(verifier.verify(token))
    }
}

/// A Cognito client-credentials access token for the fixed Cognito issuer at [`NOW`]
/// (deterministic: fixed `jti`).
#[must_use]
pub fn cognito_access_token() -> TokenBuilder {
    TokenBuilder::access_token(
        COGNITO_ISS,
        COGNITO_CLIENT,
        &["orders/read", "orders/write"],
        NOW - 60,
    )
    .claim("jti", "3f1b8f5e-2a4c-4d7e-9b1a-0c5d6e7f8a9b")
}

/// An OIDC access token for the fixed OIDC issuer at [`NOW`].
#[must_use]
pub fn oidc_access_token() -> TokenBuilder {
    TokenBuilder::empty()
        .claim("iss", OIDC_ISS)
        .claim("sub", "user-1")
        .claim("aud", vec![OIDC_AUDIENCE, "other-api"])
        .claim("scp", vec!["orders/read"])
        .claim("iat", NOW - 60)
        .claim("exp", NOW + 3540)
        .claim(TENANT_CLAIM, "acme")
        .header("typ", "at+jwt")
}

/// Strict, canonical base64url without padding, decoded by the `base64` crate (not tollgate's
/// decoder).
#[must_use]
pub fn b64_decode(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment).ok()
}

/// base64url without padding.
#[must_use]
pub fn b64_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The three segments of a compact JWS, split independently of tollgate.
#[derive(Debug)]
pub struct Parts<'t> {
    /// `header.payload`, the exact signed bytes.
    pub signing_input: &'t str,
    /// The decoded header.
    pub header: Vec<u8>,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

/// Splits `token` into three canonical base64url segments, or `None`.
#[must_use]
pub fn parts(token: &str) -> Option<Parts<'_>> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    Some(Parts {
        signing_input,
        header: b64_decode(header)?,
        payload: b64_decode(payload)?,
        signature: b64_decode(signature)?,
    })
}

/// Whether `signature` is a valid RS256/384/512 signature (as `alg` names it) by `key` over
/// exactly `message`, checked with aws-lc-rs directly.
#[must_use]
pub fn signed_by(key: &SigningKey, alg: &str, message: &[u8], signature: &[u8]) -> bool {
    use aws_lc_rs::signature::{
        RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512,
        UnparsedPublicKey,
    };
    let params = match alg {
        "RS256" => &RSA_PKCS1_2048_8192_SHA256,
        "RS384" => &RSA_PKCS1_2048_8192_SHA384,
        "RS512" => &RSA_PKCS1_2048_8192_SHA512,
        _ => return false,
    };
    UnparsedPublicKey::new(params, key.public_key_pkcs1_der())
        .verify(message, signature)
        .is_ok()
}

/// A JSON text as a `serde_json::Value`, also when it uses what RFC 8259's grammar allows but
/// serde_json's `Value` refuses: escapes of unpaired UTF-16 surrogates (§8.2) and numbers
/// beyond the range of `f64` (§6). Such strings read as U+FFFD and such numbers as 0, which
/// is enough for oracles that look at structure and at well-formed members. Invalid UTF-8 is
/// replaced the same way (inside strings that a parser skipped without decoding).
///
/// # Errors
///
/// serde_json's error when the text is not JSON even by the grammar.
pub fn grammar_json(json: &[u8]) -> Result<Value, serde_json::Error> {
    let text = String::from_utf8_lossy(json);
    let bytes = text.as_bytes();
    let hex4 = |at: usize| -> Option<u32> {
        let digits = bytes.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'"' => {
                    in_string = false;
                    out.push(b);
                    i += 1;
                }
                b'\\' if bytes.get(i + 1) == Some(&b'u') => match hex4(i + 2) {
                    Some(0xD800..=0xDBFF)
                        if bytes.get(i + 6..i + 8) == Some(&b"\\u"[..])
                            && matches!(hex4(i + 8), Some(0xDC00..=0xDFFF)) =>
                    {
                        out.extend_from_slice(&bytes[i..i + 12]);
                        i += 12;
                    }
                    Some(0xD800..=0xDFFF) => {
                        out.extend_from_slice(b"\\ufffd");
                        i += 6;
                    }
                    _ => {
                        out.extend_from_slice(&bytes[i..i + 2]);
                        i += 2;
                    }
                },
                b'\\' => {
                    out.extend_from_slice(&bytes[i..(i + 2).min(bytes.len())]);
                    i += 2;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        } else if b == b'"' {
            in_string = true;
            out.push(b);
            i += 1;
        } else if b == b'-' || b.is_ascii_digit() {
            let end = bytes[i..]
                .iter()
                .position(|c| !(c.is_ascii_digit() || b"+-.eE".contains(c)))
                .map_or(bytes.len(), |n| i + n);
            let number = &bytes[i..end];
            let finite = std::str::from_utf8(number)
                .ok()
                .and_then(|n| n.parse::<f64>().ok())
                .is_some_and(f64::is_finite);
            out.extend_from_slice(if finite { number } else { b"0" });
            i = end;
        } else {
            out.push(b);
            i += 1;
        }
    }
    serde_json::from_slice(&out)
}

/// Whether a JSON text has a member name twice in one object, at any depth (names compared
/// after unescaping, as JSON defines them). `None` when the text is not JSON.
#[must_use]
pub fn has_duplicate_members(json: &[u8]) -> Option<bool> {
    let mut duplicate = false;
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    DuplicateSeed(&mut duplicate)
        .deserialize(&mut deserializer)
        .ok()?;
    deserializer.end().ok()?;
    Some(duplicate)
}

struct DuplicateSeed<'a>(&'a mut bool);

impl<'de> DeserializeSeed<'de> for DuplicateSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DuplicateSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names = HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            if !names.insert(name) {
                *self.0 = true;
            }
            map.next_value_seed(DuplicateSeed(&mut *self.0))?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(DuplicateSeed(&mut *self.0))?
            .is_some()
        {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Checks, independently of tollgate, what the contract says about an accepted token's header:
/// a JSON object without duplicate members, `alg` exactly `RS256` (the only allowed
/// algorithm), a `kid` naming `expected_kid`, no `crit`, no key references, no JWE members, and
/// (when `check_typ`) a `typ`, if present, among the accepted types.
///
/// # Errors
///
/// The broken rule.
pub fn check_header(header: &[u8], expected_kid: &str, check_typ: bool) -> Result<(), String> {
    if has_duplicate_members(header) != Some(false) {
        return Err("header is not JSON or has a duplicate member".into());
    }
    let value: Value = serde_json::from_slice(header).map_err(|e| format!("header: {e}"))?;
    let object = value.as_object().ok_or("header is not an object")?;
    if object.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err("alg is not RS256".into());
    }
    if object.get("kid").and_then(Value::as_str) != Some(expected_kid) {
        return Err("kid does not name the signing key".into());
    }
    for forbidden in [
        "crit", "jku", "jwk", "x5u", "x5c", "enc", "zip", "epk", "apu", "apv", "p2s", "p2c",
    ] {
        if object.contains_key(forbidden) {
            return Err(format!("header carries {forbidden}"));
        }
    }
    if let Some(typ) = object.get("typ").filter(|_| check_typ) {
        let typ = typ.as_str().ok_or("typ is not a string")?;
        if !ACCEPTED_TYPES.contains(&typ.to_ascii_lowercase().as_str()) {
            return Err("typ is not accepted".into());
        }
    }
    Ok(())
}

/// Checks, independently of tollgate, that an accepted token's claims satisfy the fixed
/// policy of `which` at [`NOW`] (one second of slack for fractional times).
///
/// # Errors
///
/// The broken rule.
pub fn check_claims(payload: &[u8], which: Which) -> Result<(), String> {
    if has_duplicate_members(payload) != Some(false) {
        return Err("payload is not JSON or has a duplicate member".into());
    }
    let value: Value = serde_json::from_slice(payload).map_err(|e| format!("payload: {e}"))?;
    let claims = value.as_object().ok_or("payload is not an object")?;
    if claims.get("iss").and_then(Value::as_str) != Some(which.iss()) {
        return Err("iss is not the issuer".into());
    }
    let now = f64::from(u32::try_from(NOW).map_err(|_| "NOW")?);
    let leeway = f64::from(u32::try_from(LEEWAY_SECS).map_err(|_| "leeway")?);
    let number = |name: &str| -> Result<Option<f64>, String> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| format!("{name} is not a number")),
        }
    };
    let exp = number("exp")?.ok_or("exp is missing")?;
    if now >= exp + leeway + 1.0 {
        return Err("expired".into());
    }
    if let Some(nbf) = number("nbf")?
        && nbf > now + leeway + 1.0
    {
        return Err("not yet valid".into());
    }
    let iat = number("iat")?.ok_or("iat is missing (max age and lifetime are set)")?;
    if iat > now + leeway + 1.0 {
        return Err("issued in the future".into());
    }
    let max_age = f64::from(u32::try_from(MAX_AGE_SECS).map_err(|_| "max age")?);
    if now > iat + max_age + leeway + 1.0 {
        return Err("too old".into());
    }
    let max_lifetime = f64::from(u32::try_from(MAX_LIFETIME_SECS).map_err(|_| "lifetime")?);
    if exp - iat > max_lifetime + 1.0 {
        return Err("lifetime too long".into());
    }
    match which {
        Which::Cognito => {
            if claims.get("token_use").and_then(Value::as_str) != Some("access") {
                return Err("token_use is not access".into());
            }
            if claims.get("client_id").and_then(Value::as_str) != Some(COGNITO_CLIENT) {
                return Err("client_id is not allowed".into());
            }
            if claims.get("scope").is_some_and(|s| !s.is_string()) {
                return Err("scope is not a string".into());
            }
        }
        Which::Oidc => {
            let audience_ok = match claims.get("aud") {
                Some(Value::String(aud)) => aud == OIDC_AUDIENCE,
                Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(OIDC_AUDIENCE)),
                _ => false,
            };
            if !audience_ok {
                return Err("aud does not name the audience".into());
            }
        }
    }
    Ok(())
}

/// The scopes an accepted token's `scope` string claim lists (space-separated).
#[must_use]
pub fn listed_scopes(payload: &[u8]) -> Vec<String> {
    #[derive(Deserialize)]
    struct Scope {
        scope: Option<Value>,
        #[serde(flatten)]
        _rest: std::collections::BTreeMap<String, IgnoredAny>,
    }
    serde_json::from_slice::<Scope>(payload)
        .ok()
        .and_then(|s| s.scope)
        .and_then(|s| s.as_str().map(str::to_owned))
        .map(|s| {
            s.split(' ')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `Ok(())` or the error, so results of differently typed verifiers compare.
///
/// # Errors
///
/// The error of `result`.
#[allow(clippy::clone_on_copy)] // stays right if `VerifyError` ever stops being `Copy`
pub fn outcome<C>(result: &Result<VerifiedToken<C>, VerifyError>) -> Result<(), VerifyError> {
    match result {
        Ok(_) => Ok(()),
        Err(error) => Err(error.clone()),
    }
}

/// What an accepted token's header is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderRules {
    /// The verifier's: `alg` exactly `RS256` and the whole [`check_header`] contract,
    /// including `typ`.
    Verifier,
    /// `verify_jws` with only RS256 allowed: as the verifier, but `typ` is not looked at.
    JwsRs256,
    /// `verify_jws` with every algorithm allowed: the signature must hold for the `alg` the
    /// header names.
    JwsAnyAlg,
}

/// Asserts the contract for a token that `verify_jws` or a verifier accepted: three canonical
/// segments, a valid signature by the key its `kid` names (under the `alg` it names) over
/// exactly the received `header.payload` bytes, and a header the contract allows. Returns the
/// decoded parts and the issuer whose key signed.
///
/// # Panics
///
/// When the token breaks the contract: that is a finding.
#[allow(clippy::panic)]
#[must_use]
pub fn assert_signed<'t>(
    fixture: &Fixture,
    token: &'t str,
    rules: HeaderRules,
) -> (Parts<'t>, Which) {
    let Some(parts) = parts(token) else {
        panic!("accepted a token that is not three canonical base64url segments")
    };
    let header: Value = serde_json::from_slice(&parts.header).unwrap_or(Value::Null);
    let kid = header.get("kid").and_then(Value::as_str).unwrap_or("");
    let Some(which) = fixture.issuer_of_kid(kid) else {
        panic!("accepted a token whose kid names no fixed key")
    };
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    assert!(
        signed_by(
            fixture.key(which),
            alg,
            parts.signing_input.as_bytes(),
            &parts.signature
        ),
        "accepted a token that its key did not sign over the received bytes"
    );
    let checked = match rules {
        HeaderRules::Verifier => check_header(&parts.header, kid, true),
        HeaderRules::JwsRs256 => check_header(&parts.header, kid, false),
        HeaderRules::JwsAnyAlg => Ok(()),
    };
    if let Err(broken) = checked {
        panic!("accepted a token whose header breaks the contract: {broken}");
    }
    (parts, which)
}

/// Asserts the contract for a token that a verifier accepted: [`assert_signed`], the issuer
/// of the key is the issuer of the token, and the claims satisfy that issuer's policy.
///
/// # Panics
///
/// When the token breaks the contract: that is a finding.
#[allow(clippy::panic)]
pub fn assert_accepted<C>(fixture: &Fixture, token: &str, verified: &VerifiedToken<C>) {
    let (parts, which) = assert_signed(fixture, token, HeaderRules::Verifier);
    assert_eq!(
        Which::from_iss(verified.issuer()),
        Some(which),
        "a token was verified with another issuer's key"
    );
    if let Err(broken) = check_claims(&parts.payload, which) {
        panic!("accepted a token whose claims break the policy: {broken}");
    }
    for scope in listed_scopes(&parts.payload) {
        assert!(
            verified.scopes().contains(&scope),
            "a listed scope is missing from the verified scopes"
        );
    }
    assert_eq!(verified.kid(), fixture.key(which).kid());
}

/// Verifies `token` with every fixed verifier and `verify_jws`, and asserts the contract for
/// everything accepted plus agreement between the cached and uncached verifiers.
///
/// # Panics
///
/// When the contract breaks: that is a finding.
#[allow(clippy::panic)]
pub fn check_token(fixture: &Fixture, token: &str) {
    let plain = fixture.verify(&fixture.verifier, token);
    if let Ok(verified) = &plain {
        assert_accepted(fixture, token, verified);
    }
    // The cached verifier decides the same, on first sight and on a repeat (a cache hit).
    let first = fixture.verify(&fixture.cached, token);
    let repeat = fixture.verify(&fixture.cached, token);
    assert_eq!(
        outcome(&plain),
        outcome(&first),
        "cache on and off disagree"
    );
    assert_eq!(
        outcome(&first),
        outcome(&repeat),
        "a repeat disagrees with the first verification"
    );
    let custom = fixture.verify(&fixture.custom, token);
    if let Ok(verified) = &custom {
        assert_accepted(fixture, token, verified);
        assert_ne!(
            verified.custom().tenant.as_deref(),
            Some(BLOCKED_TENANT),
            "the custom check did not run"
        );
    }
    match (&plain, &custom) {
        (Err(_), Ok(_)) => panic!("custom claims accepted what the plain verifier refused"),
        (Ok(_), Err(error)) => assert!(
            matches!(
                error,
                VerifyError::InvalidCustomClaims | VerifyError::CheckFailed(_)
            ),
            "custom claims refused for a reason the plain verifier does not have: {error:?}"
        ),
        _ => {}
    }

    for (algorithms, rules) in [
        (&[Algorithm::Rs256][..], HeaderRules::JwsRs256),
        (&Algorithm::ALL[..], HeaderRules::JwsAnyAlg),
    ] {
        if let Ok(payload) = tollgate_verify::verify_jws(token, &fixture.keys, algorithms) {
            let (parts, _) = assert_signed(fixture, token, rules);
            assert_eq!(payload, parts.payload, "verify_jws returned other bytes");
        }
    }
}
