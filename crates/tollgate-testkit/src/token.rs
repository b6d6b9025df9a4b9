//! Minting Cognito-shaped tokens, including deliberately broken ones.
//!
//! [`TokenBuilder::access_token`] starts from the claims a real Cognito
//! client-credentials access token carries; every claim and header member can
//! then be changed or removed before signing, and the result can be signed with
//! the key's algorithm (RS256 for Cognito's RSA keys; ES256, ES384, PS256–PS512 or
//! EdDSA for other issuers), another algorithm, HS256 (alg confusion) or not at all
//! (`alg: none`).
//!
//! ```
//! use tollgate_testkit::{SigningKey, TokenBuilder};
//!
//! # fn main() -> Result<(), tollgate_testkit::TestkitError> {
//! let key = SigningKey::fixture(0)?;
//! let iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
//! let now = 1_700_000_000;
//!
//! let good = TokenBuilder::access_token(iss, "my-client", &["orders/read"], now);
//! assert_eq!(good.claims()["token_use"], "access");
//! assert_eq!(good.claims()["exp"], now + 3600);
//! let token = good.sign(&key)?;
//! assert_eq!(token.split('.').count(), 3);
//!
//! // An ID token presented where an access token is expected.
//! let id_token = TokenBuilder::id_token(iss, "my-client", &["admins"], now).sign(&key)?;
//!
//! // Expired, and without a kid.
//! let expired = good
//!     .clone()
//!     .expires_at(now - 1)
//!     .without_header("kid")
//!     .sign(&key)?;
//!
//! // alg "none", empty signature.
//! assert!(good.unsigned().ends_with('.'));
//! # let _ = (id_token, expired);
//! # Ok(())
//! # }
//! ```

use serde_json::{Map, Value};

use crate::random::uuid_v4;
use crate::raw::b64url;
use crate::{JwsAlg, SigningKey, TestkitError};

/// Lifetime of tokens from [`TokenBuilder::access_token`] and
/// [`TokenBuilder::id_token`]: Cognito's default of one hour.
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;

/// A JWT under construction: a JOSE header and a claims set, both plain JSON
/// maps you can edit freely.
///
/// The `kid` header is filled from the signing key at signing time unless it was
/// set with [`header`](Self::header) or removed with
/// [`without_header`](Self::without_header); the same holds for `alg`, which
/// follows the signing method unless set or removed explicitly.
#[derive(Debug, Clone)]
pub struct TokenBuilder {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    kid_explicit: bool,
    alg_explicit: bool,
}

impl TokenBuilder {
    /// The claims of a real Cognito client-credentials access token:
    /// `sub` (= `client_id`), `token_use: "access"`, `scope` (space-joined),
    /// `auth_time`, `iss`, `exp` (= `iat` + 3600), `iat`, `version: 2`, `jti`
    /// (random UUID) and `client_id`. No `aud`. Header `{"alg":"RS256"}` plus the
    /// `kid` of the signing key (no `typ`, like Cognito).
    #[must_use]
    pub fn access_token(issuer: &str, client_id: &str, scopes: &[&str], now_unix: u64) -> Self {
        let mut claims = Map::new();
        claims.insert("sub".into(), client_id.into());
        claims.insert("token_use".into(), "access".into());
        claims.insert("scope".into(), scopes.join(" ").into());
        claims.insert("auth_time".into(), now_unix.into());
        claims.insert("iss".into(), issuer.into());
        claims.insert(
            "exp".into(),
            now_unix.saturating_add(DEFAULT_TOKEN_LIFETIME_SECS).into(),
        );
        claims.insert("iat".into(), now_unix.into());
        claims.insert("version".into(), 2.into());
        claims.insert("jti".into(), uuid_v4().into());
        claims.insert("client_id".into(), client_id.into());
        Self::empty().with_claims(claims)
    }

    /// The claims of a Cognito ID token for user `testuser`: `sub` (random UUID),
    /// `aud` (= `client_id`), `token_use: "id"`, `cognito:groups` (omitted when
    /// `groups` is empty, as Cognito does), `cognito:username`, `email`,
    /// `email_verified`, `auth_time`, `iss`, `exp` (= `iat` + 3600), `iat`, `jti`,
    /// `origin_jti` and `event_id`.
    #[must_use]
    pub fn id_token(issuer: &str, client_id: &str, groups: &[&str], now_unix: u64) -> Self {
        let mut claims = Map::new();
        claims.insert("sub".into(), uuid_v4().into());
        if !groups.is_empty() {
            claims.insert("cognito:groups".into(), groups.to_vec().into());
        }
        claims.insert("email_verified".into(), true.into());
        claims.insert("iss".into(), issuer.into());
        claims.insert("cognito:username".into(), "testuser".into());
        claims.insert("origin_jti".into(), uuid_v4().into());
        claims.insert("aud".into(), client_id.into());
        claims.insert("event_id".into(), uuid_v4().into());
        claims.insert("token_use".into(), "id".into());
        claims.insert("auth_time".into(), now_unix.into());
        claims.insert(
            "exp".into(),
            now_unix.saturating_add(DEFAULT_TOKEN_LIFETIME_SECS).into(),
        );
        claims.insert("iat".into(), now_unix.into());
        claims.insert("jti".into(), uuid_v4().into());
        claims.insert("email".into(), "testuser@example.com".into());
        Self::empty().with_claims(claims)
    }

    /// The user-claims token an AWS Application Load Balancer forwards in `x-amzn-oidc-data`
    /// after it authenticated a user: header `{"typ":"JWT","kid":..,"alg":"ES256","iss":..,
    /// "client":..,"signer":..,"exp":..}` (the `kid` is the signing key's unless pinned) and
    /// the identity provider's user claims `sub`, `email_verified`, `email`, `username`,
    /// `exp` and `iss`. Sign it with [`sign_padded`](Self::sign_padded) for the real shape:
    /// every segment base64url *with* `=` padding. Expires 120 s after `now_unix`.
    ///
    /// ```
    /// use tollgate_testkit::{JwsAlg, SigningKey, TokenBuilder};
    ///
    /// # fn main() -> Result<(), tollgate_testkit::TestkitError> {
    /// let key = SigningKey::generate_for(JwsAlg::Es256)?.with_kid("7c2ef3a0-4d1e-4f8b-9a3c-5e6f7a8b9c0d");
    /// let signer = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188";
    /// let builder = TokenBuilder::alb_user_claims(
    ///     "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
    ///     "4e8i3example",
    ///     signer,
    ///     "3f1f8a0c-0000-4000-8000-000000000001",
    ///     1_700_000_000,
    /// );
    /// assert_eq!(builder.header_map()["signer"], signer);
    /// let token = builder.sign_padded(&key)?;
    /// assert!(token.split('.').any(|segment| segment.ends_with('=')));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn alb_user_claims(
        issuer: &str,
        client_id: &str,
        signer_arn: &str,
        sub: &str,
        now_unix: u64,
    ) -> Self {
        let exp = now_unix.saturating_add(120);
        let mut header = Map::new();
        header.insert("typ".into(), "JWT".into());
        header.insert("alg".into(), "ES256".into());
        header.insert("iss".into(), issuer.into());
        header.insert("client".into(), client_id.into());
        header.insert("signer".into(), signer_arn.into());
        header.insert("exp".into(), exp.into());
        let mut claims = Map::new();
        claims.insert("sub".into(), sub.into());
        claims.insert("email_verified".into(), "true".into());
        claims.insert("email".into(), "testuser@example.com".into());
        claims.insert("username".into(), "testuser".into());
        claims.insert("exp".into(), exp.into());
        claims.insert("iss".into(), issuer.into());
        Self {
            header,
            claims,
            kid_explicit: false,
            alg_explicit: false,
        }
    }

    /// No claims at all and header `{"alg":"RS256"}`.
    #[must_use]
    pub fn empty() -> Self {
        let mut header = Map::new();
        header.insert("alg".into(), "RS256".into());
        Self {
            header,
            claims: Map::new(),
            kid_explicit: false,
            alg_explicit: false,
        }
    }

    fn with_claims(mut self, claims: Map<String, Value>) -> Self {
        self.claims = claims;
        self
    }

    /// Sets (or replaces) a claim. Any JSON value works, so wrong types are easy:
    /// `.claim("exp", "9999999999")`, `.claim("iss", json!([iss]))`.
    #[must_use]
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a claim.
    #[must_use]
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets (or replaces) a header member. Setting `kid` or `alg` here pins it:
    /// signing no longer fills it in.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.mark_explicit(name);
        self.header.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a header member. Removing `kid` or `alg` sticks: signing will not
    /// add it back.
    #[must_use]
    pub fn without_header(mut self, name: &str) -> Self {
        self.mark_explicit(name);
        self.header.remove(name);
        self
    }

    fn mark_explicit(&mut self, name: &str) {
        match name {
            "kid" => self.kid_explicit = true,
            "alg" => self.alg_explicit = true,
            _ => {}
        }
    }

    /// Sets `exp`.
    #[must_use]
    pub fn expires_at(self, exp_unix: u64) -> Self {
        self.claim("exp", exp_unix)
    }

    /// Sets `iat`.
    #[must_use]
    pub fn issued_at(self, iat_unix: u64) -> Self {
        self.claim("iat", iat_unix)
    }

    /// The claims as they will be serialised.
    #[must_use]
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The header as it stands; `kid` and `alg` are added at signing time unless
    /// pinned.
    #[must_use]
    pub fn header_map(&self) -> &Map<String, Value> {
        &self.header
    }

    /// Signs with the key's [algorithm](SigningKey::algorithm) (RS256 for RSA keys unless
    /// changed), setting `kid` to `key.kid()` unless pinned.
    ///
    /// # Errors
    ///
    /// [`TestkitError::Signing`] if aws-lc fails.
    pub fn sign(&self, key: &SigningKey) -> Result<String, TestkitError> {
        self.sign_with(key, key.algorithm())
    }

    /// Signs with `alg`, setting header `alg` to its name and `kid` to `key.kid()`
    /// unless either was pinned. To sign with PSS while claiming RS256, pin it:
    /// `.header("alg", "RS256").sign_with(&key, JwsAlg::Ps256)`.
    ///
    /// # Errors
    ///
    /// [`TestkitError::AlgorithmMismatch`] if the key cannot sign `alg`;
    /// [`TestkitError::Signing`] if aws-lc fails.
    pub fn sign_with(&self, key: &SigningKey, alg: JwsAlg) -> Result<String, TestkitError> {
        let signing_input = self.signing_input(Some(key.kid()), alg.name());
        let signature = key.sign(alg, signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", b64url(&signature)))
    }

    /// Signs like [`sign`](Self::sign) but encodes every segment as base64url *with* `=`
    /// padding, and signs the padded `header.payload` text, as an AWS Application Load
    /// Balancer does (RFC 7515 forbids the padding: only an ALB issuer accepts it).
    ///
    /// # Errors
    ///
    /// [`TestkitError::Signing`] if aws-lc fails.
    pub fn sign_padded(&self, key: &SigningKey) -> Result<String, TestkitError> {
        let alg = key.algorithm();
        let (header, claims) = self.effective(Some(key.kid()), alg.name());
        let signing_input = format!(
            "{}.{}",
            crate::raw::b64url_padded(header.as_bytes()),
            crate::raw::b64url_padded(claims.as_bytes())
        );
        let signature = key.sign(alg, signing_input.as_bytes())?;
        Ok(format!(
            "{signing_input}.{}",
            crate::raw::b64url_padded(&signature)
        ))
    }

    /// Signs with HMAC-SHA256 keyed by `secret`; header `alg` becomes `HS256` unless
    /// pinned. No `kid` is added (there is no key id); pin one with
    /// `.header("kid", key.kid())` to aim at a published RSA key — for example with
    /// `key.public_key_spki_pem()` as the secret (RS256→HS256 alg confusion).
    ///
    /// # Errors
    ///
    /// Currently infallible; the `Result` leaves room for stricter checks.
    pub fn sign_hs256(&self, secret: &[u8]) -> Result<String, TestkitError> {
        let signing_input = self.signing_input(None, "HS256");
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
        let tag = aws_lc_rs::hmac::sign(&key, signing_input.as_bytes());
        Ok(format!("{signing_input}.{}", b64url(tag.as_ref())))
    }

    /// An unsecured JWS (RFC 7515 App. A.5): header `alg` becomes `none` unless
    /// pinned, no `kid` unless pinned, and an empty signature: `header.payload.`.
    #[must_use]
    pub fn unsigned(&self) -> String {
        format!("{}.", self.signing_input(None, "none"))
    }

    /// The effective header and the claims, as JSON text.
    fn effective(&self, kid: Option<&str>, alg: &str) -> (String, String) {
        let mut header = self.header.clone();
        if !self.alg_explicit {
            header.insert("alg".into(), alg.into());
        }
        if let (false, Some(kid)) = (self.kid_explicit, kid) {
            header.insert("kid".into(), kid.into());
        }
        let header = Value::Object(header).to_string();
        let claims = Value::Object(self.claims.clone()).to_string();
        (header, claims)
    }

    /// `b64url(header) "." b64url(claims)` with the effective header.
    fn signing_input(&self, kid: Option<&str>, alg: &str) -> String {
        let (header, claims) = self.effective(kid, alg);
        format!(
            "{}.{}",
            b64url(header.as_bytes()),
            b64url(claims.as_bytes())
        )
    }
}
