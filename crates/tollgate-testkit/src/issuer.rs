//! A real, Cognito-shaped OAuth 2.0 issuer on loopback: JWKS, OIDC discovery,
//! `POST /oauth2/token` (client credentials) and fault controls.
//!
//! | Endpoint | URL |
//! | --- | --- |
//! | JWKS | [`TestIssuer::jwks_url`]: `{base}/{pool}/.well-known/jwks.json` |
//! | Discovery | [`TestIssuer::discovery_url`]: `{base}/{pool}/.well-known/openid-configuration` |
//! | Token | [`TestIssuer::token_url`]: `{base}/oauth2/token` |
//! | ALB keys | [`TestIssuer::alb_keys_url`]: `{base}/alb-keys/{kid}` (PEM) |
//!
//! Any other pool id in the path is a 404 (and is not counted).
//!
//! **JWKS.** `{"keys":[...]}` as `application/json` with a strong `ETag` computed
//! from the body. `If-None-Match` (weak comparison, `*`, lists) is answered `304`
//! with an empty body; without it, `If-Modified-Since` is honoured only when a
//! `Last-Modified` header was configured with [`TestIssuer::set_jwks_header`].
//! Configured headers go on every answer (200, 304 and faults except `Hang`).
//!
//! **Token endpoint** (checked in this order, all errors RFC 6749 §5.2 JSON
//! `{"error","error_description"}` with `Cache-Control: no-store`):
//!
//! 1. `Content-Type` must be `application/x-www-form-urlencoded` (parameters
//!    such as `charset` allowed) → else `400 invalid_request`.
//! 2. No repeated parameter → else `400 invalid_request`. Empty values count as
//!    absent (RFC 6749 §3.1).
//! 3. At most one client-authentication method (and one `Authorization` header);
//!    a body `client_id` must agree with Basic → else `400 invalid_request`.
//! 4. `grant_type` present → else `400 invalid_request`.
//! 5. Client authenticated by `client_secret_basic` (id and secret form-urlencoded
//!    before base64, RFC 6749 §2.3.1) or `client_secret_post`, secret compared
//!    in constant time → else `401 invalid_client` with
//!    `WWW-Authenticate: Basic realm="tollgate-test-issuer"` (also when no or a
//!    non-Basic authentication was sent: a 401 always carries a challenge).
//! 6. `grant_type=client_credentials` → else `400 unsupported_grant_type`.
//! 7. Every requested `scope` (space separated) allowed for the client → else
//!    `400 invalid_scope`; no scope means all allowed scopes.
//!
//! Success: `200 {"access_token","expires_in","token_type":"Bearer"}` with
//! `Cache-Control: no-store`; the token carries the claims of
//! [`TokenBuilder::access_token`](crate::TokenBuilder::access_token) and is signed
//! with the current key.
//!
//! ```
//! use tollgate_testkit::{JwksFault, SigningKey, TestIssuer, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestIssuer::builder()
//!     .signing_key(SigningKey::fixture(0)?) // instant start; omit for a fresh key
//!     .start()
//!     .await?;
//! let http = reqwest::Client::new();
//!
//! // A real client-credentials request.
//! let answer: serde_json::Value = http
//!     .post(issuer.token_url())
//!     .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
//!     .form(&[("grant_type", "client_credentials"), ("scope", "orders/read")])
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(answer["token_type"], "Bearer");
//!
//! // Or mint directly, no HTTP.
//! let token = issuer.access_token(DEFAULT_CLIENT_ID, &["orders/read"])?;
//! # let _ = token;
//!
//! // Make the next JWKS fetch fail, then work again.
//! issuer.fail_next_jwks(1, JwksFault::Status(503));
//! assert_eq!(http.get(issuer.jwks_url()).send().await?.status(), 503);
//! assert_eq!(http.get(issuer.jwks_url()).send().await?.status(), 200);
//! assert_eq!(issuer.jwks_requests(), 2);
//!
//! issuer.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::header::CACHE_CONTROL;
use http::{HeaderName, HeaderValue};
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::clock::now_unix;
pub use crate::faults::JwksFault;
pub use crate::issuer_builder::{
    DEFAULT_ALB_SIGNER, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_POOL_ID, DEFAULT_REGION,
    DEFAULT_RESOURCE_SERVER, DEFAULT_SCOPES, DEFAULT_TOKEN_LIFETIME, TestIssuerBuilder,
};
use crate::state::{Counters, Shared};
use crate::{SigningKey, TestkitError, TokenBuilder, server};

/// A running local issuer. Dropping it (or [`shutdown`](Self::shutdown)) stops
/// the server.
///
/// All controls take `&self` and apply to the next request, so one issuer can be
/// shared (e.g. in an `Arc`) between a test and the service under test.
pub struct TestIssuer {
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl TestIssuer {
    /// A builder for a customised issuer.
    pub fn builder() -> TestIssuerBuilder {
        TestIssuerBuilder::default()
    }

    /// Starts an issuer with every default (see [`TestIssuerBuilder`]), including a
    /// freshly generated RSA-2048 signing key.
    ///
    /// # Errors
    ///
    /// See [`TestIssuerBuilder::start`].
    pub async fn start() -> Result<Self, TestkitError> {
        Self::builder().start().await
    }

    pub(crate) fn launch(runtime: &Handle, listener: TcpListener, shared: Arc<Shared>) -> Self {
        let task = server::spawn(runtime, listener, Arc::clone(&shared));
        Self {
            shared,
            task: Some(task),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    #[must_use]
    pub fn base_url(&self) -> String {
        self.shared.config.base_url.clone()
    }

    /// The socket address the server listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.config.local_addr
    }

    /// The `iss` of minted tokens: `{base}/{pool}`, or the
    /// [override](TestIssuerBuilder::issuer_override).
    #[must_use]
    pub fn issuer_url(&self) -> String {
        self.shared.config.issuer.clone()
    }

    /// `{base}/{pool}/.well-known/jwks.json` (always loopback, even with an issuer override).
    #[must_use]
    pub fn jwks_url(&self) -> String {
        self.shared.config.jwks_url()
    }

    /// `{base}/{pool}/.well-known/openid-configuration`.
    #[must_use]
    pub fn discovery_url(&self) -> String {
        self.shared.config.discovery_url()
    }

    /// `{base}/oauth2/token`.
    #[must_use]
    pub fn token_url(&self) -> String {
        self.shared.config.token_url()
    }

    /// The user pool id.
    #[must_use]
    pub fn pool_id(&self) -> &str {
        &self.shared.config.pool_id
    }

    /// The AWS region.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.shared.config.region
    }

    /// Lifetime of tokens this issuer mints.
    #[must_use]
    pub fn token_lifetime(&self) -> Duration {
        self.shared.config.token_lifetime
    }

    /// The key that currently signs tokens.
    #[must_use]
    pub fn signing_key(&self) -> SigningKey {
        self.shared.signing_key()
    }

    /// The keys currently published in the JWKS, in order.
    #[must_use]
    pub fn published_keys(&self) -> Vec<SigningKey> {
        self.shared.keys().published.clone()
    }

    /// Mints a signed access token for `client_id` with `scopes` directly (no HTTP,
    /// no client check), `iat` = now by the system clock, `exp` = `iat` + the
    /// token lifetime.
    ///
    /// # Errors
    ///
    /// [`TestkitError::Clock`] or [`TestkitError::Signing`].
    pub fn access_token(&self, client_id: &str, scopes: &[&str]) -> Result<String, TestkitError> {
        let now = now_unix()?;
        self.sign(&self.builder_at(client_id, scopes, now))
    }

    /// Mints a signed Cognito ID token (`token_use: "id"`, `aud` = `client_id`)
    /// with this issuer's `iss` — the classic "wrong token type" input.
    ///
    /// # Errors
    ///
    /// [`TestkitError::Clock`] or [`TestkitError::Signing`].
    pub fn id_token(&self, client_id: &str, groups: &[&str]) -> Result<String, TestkitError> {
        let now = now_unix()?;
        let builder = TokenBuilder::id_token(&self.shared.config.issuer, client_id, groups, now)
            .expires_at(now.saturating_add(self.shared.config.token_lifetime.as_secs()));
        self.sign(&builder)
    }

    /// A [`TokenBuilder`] pre-filled like [`access_token`](Self::access_token)
    /// (this issuer's `iss` and token lifetime), for tweaking before
    /// [`sign`](Self::sign).
    #[must_use]
    pub fn token_builder(&self, client_id: &str, scopes: &[&str]) -> TokenBuilder {
        // The clock only fails before 1970; a token from then is simply expired.
        self.builder_at(client_id, scopes, now_unix().unwrap_or_default())
    }

    fn builder_at(&self, client_id: &str, scopes: &[&str], now: u64) -> TokenBuilder {
        TokenBuilder::access_token(&self.shared.config.issuer, client_id, scopes, now)
            .expires_at(now.saturating_add(self.shared.config.token_lifetime.as_secs()))
    }

    /// Signs `builder` with the current signing key, with its algorithm (RS256 for RSA keys).
    ///
    /// # Errors
    ///
    /// [`TestkitError::Signing`] if aws-lc fails.
    pub fn sign(&self, builder: &TokenBuilder) -> Result<String, TestkitError> {
        builder.sign(&self.signing_key())
    }

    /// Generates a fresh RSA-2048 key and signs with it from now on; the old key
    /// stays published. Returns the new key.
    ///
    /// # Errors
    ///
    /// [`TestkitError::KeyGeneration`].
    pub fn rotate_key(&self) -> Result<SigningKey, TestkitError> {
        let key = SigningKey::generate()?;
        self.rotate_to(key.clone());
        Ok(key)
    }

    /// Signs with `key` from now on, publishing it unless a key with its kid is
    /// already published; the old key stays published. The fast way to rotate in
    /// tests: `issuer.rotate_to(SigningKey::fixture(1)?)`.
    pub fn rotate_to(&self, key: SigningKey) {
        let mut keys = self.shared.keys();
        if !keys.published.iter().any(|k| k.kid() == key.kid()) {
            keys.published.push(key.clone());
        }
        keys.signing = key;
    }

    /// Adds `key` to the JWKS without signing with it. No de-duplication: publishing
    /// a second key under an already published kid yields a set with a duplicate
    /// kid.
    pub fn publish_key(&self, key: SigningKey) {
        self.shared.keys().published.push(key);
    }

    /// Stops publishing every key with this kid (the signing key keeps signing
    /// even if it is removed). Returns whether any key was removed.
    pub fn remove_key(&self, kid: &str) -> bool {
        let mut keys = self.shared.keys();
        let before = keys.published.len();
        keys.published.retain(|k| k.kid() != kid);
        keys.published.len() != before
    }

    /// Serve exactly this body (status 200, `application/json`, ETag from the body)
    /// instead of the real key set; `None` serves the real set again.
    pub fn set_jwks_body(&self, body: Option<String>) {
        self.shared.jwks_controls().body_override = body;
    }

    /// The next `n` JWKS requests get `fault` (appended after faults already queued);
    /// then the endpoint answers normally again.
    pub fn fail_next_jwks(&self, n: usize, fault: JwksFault) {
        let mut controls = self.shared.jwks_controls();
        controls.faults.extend(std::iter::repeat_n(fault, n));
    }

    /// Drops every queued JWKS fault.
    pub fn clear_jwks_faults(&self) {
        self.shared.jwks_controls().faults.clear();
    }

    /// Wait this long before answering each JWKS request (`None`: answer at once).
    /// Shutdown cuts the wait short.
    pub fn set_jwks_latency(&self, latency: Option<Duration>) {
        self.shared.jwks_controls().latency = latency;
    }

    /// `Cache-Control` on JWKS answers (default: none). An invalid header value is
    /// ignored with a warning.
    pub fn set_jwks_cache_control(&self, value: Option<&str>) {
        self.set_jwks_header(CACHE_CONTROL.as_str(), value);
    }

    /// Sets (`Some`) or removes (`None`) an extra JWKS response header, e.g.
    /// `Expires`, `Last-Modified` (which enables `If-Modified-Since` handling) or
    /// `Content-Type` (replaces the default `application/json`). Invalid names or
    /// values are ignored with a warning.
    pub fn set_jwks_header(&self, name: &str, value: Option<&str>) {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            tracing::warn!("set_jwks_header: invalid header name ignored");
            return;
        };
        let mut controls = self.shared.jwks_controls();
        match value.map(HeaderValue::from_str) {
            None => {
                controls.headers.remove(&name);
            }
            Some(Ok(value)) => {
                controls.headers.insert(name, value);
            }
            Some(Err(_)) => tracing::warn!(%name, "set_jwks_header: invalid header value ignored"),
        }
    }

    /// Report a different `issuer` in discovery (`None`: the real one), for
    /// issuer-mismatch tests. Minted tokens are not affected.
    pub fn set_discovery_issuer(&self, issuer: Option<&str>) {
        self.shared.set_discovery_issuer(issuer.map(str::to_owned));
    }

    /// Report this `jwks_uri` in discovery (`None`: the real one, [`jwks_url`](Self::jwks_url)),
    /// e.g. a key set on another host, or a URL a client must refuse.
    pub fn set_discovery_jwks_uri(&self, uri: Option<&str>) {
        self.shared.set_discovery_jwks_uri(uri.map(str::to_owned));
    }

    /// Holds every JWKS request from now on: it is counted and takes its queued
    /// fault, then waits without answering until [`release_jwks`](Self::release_jwks)
    /// (or shutdown). Together with
    /// [`wait_for_jwks_requests`](Self::wait_for_jwks_requests) this pins a fetch
    /// "in flight" for as long as a test needs, without sleeping.
    pub fn hold_jwks(&self) {
        self.shared.set_jwks_held(true);
    }

    /// Lets held JWKS requests (and every later one) answer.
    pub fn release_jwks(&self) {
        self.shared.set_jwks_held(false);
    }

    /// Resolves once at least `n` JWKS requests have been received in total
    /// (the same count as [`jwks_requests`](Self::jwks_requests)). Wrap it in a
    /// timeout in tests: it waits forever if the requests never come.
    pub fn wait_for_jwks_requests(&self, n: u64) -> impl Future<Output = ()> + Send + 'static {
        self.shared.jwks_requests_reached(n)
    }

    /// JWKS requests received for this pool, faulted ones included.
    #[must_use]
    pub fn jwks_requests(&self) -> u64 {
        Counters::read(&self.shared.counters.jwks)
    }

    /// JWKS requests that carried `If-None-Match` or `If-Modified-Since`.
    #[must_use]
    pub fn conditional_jwks_requests(&self) -> u64 {
        Counters::read(&self.shared.counters.conditional_jwks)
    }

    /// JWKS requests answered `304 Not Modified`.
    #[must_use]
    pub fn not_modified_responses(&self) -> u64 {
        Counters::read(&self.shared.counters.not_modified)
    }

    /// Discovery requests received for this pool.
    #[must_use]
    pub fn discovery_requests(&self) -> u64 {
        Counters::read(&self.shared.counters.discovery)
    }

    /// Token-endpoint requests received (refused ones included).
    #[must_use]
    pub fn token_requests(&self) -> u64 {
        Counters::read(&self.shared.counters.token)
    }

    /// The base URL of the emulated AWS ALB key endpoint, `{base}/alb-keys`: the key of kid
    /// `k` is at `{base}/alb-keys/k` as a PEM `PUBLIC KEY` (404 for unknown kids). Give it
    /// to an ALB issuer in place of `https://public-keys.auth.elb.{region}.amazonaws.com`.
    #[must_use]
    pub fn alb_keys_url(&self) -> String {
        self.shared.config.alb_keys_url()
    }

    /// The `signer` (load balancer ARN) of the emulated ALB's tokens.
    #[must_use]
    pub fn alb_signer(&self) -> String {
        self.shared.config.alb_signer.clone()
    }

    /// The key the emulated ALB signs with (EC P-256, UUID kid).
    #[must_use]
    pub fn alb_key(&self) -> SigningKey {
        // Set at start; the fallback keeps this total.
        self.shared
            .alb()
            .signing
            .clone()
            .unwrap_or_else(|| self.signing_key())
    }

    /// A user-claims token as an ALB forwards it in `x-amzn-oidc-data` for a user `sub`
    /// authenticated with this issuer: signed ES256 by [`alb_key`](Self::alb_key), header
    /// `signer` = [`alb_signer`](Self::alb_signer), `client` = [`DEFAULT_CLIENT_ID`], `iss` =
    /// this issuer, valid 120 s from now, every segment padded.
    ///
    /// # Errors
    ///
    /// [`TestkitError::Clock`] or [`TestkitError::Signing`].
    pub fn alb_token(&self, sub: &str) -> Result<String, TestkitError> {
        self.sign_alb(&self.alb_token_builder(sub, now_unix()?))
    }

    /// A [`TokenBuilder`] pre-filled like [`alb_token`](Self::alb_token) at `now_unix`, for
    /// tweaking (another signer or client, expired, another kid) before
    /// [`sign_alb`](Self::sign_alb).
    #[must_use]
    pub fn alb_token_builder(&self, sub: &str, now_unix: u64) -> TokenBuilder {
        TokenBuilder::alb_user_claims(
            &self.shared.config.issuer,
            DEFAULT_CLIENT_ID,
            &self.shared.config.alb_signer,
            sub,
            now_unix,
        )
    }

    /// Signs `builder` as the ALB does: ES256 with [`alb_key`](Self::alb_key), padded
    /// segments.
    ///
    /// # Errors
    ///
    /// [`TestkitError::Signing`] if aws-lc fails.
    pub fn sign_alb(&self, builder: &TokenBuilder) -> Result<String, TestkitError> {
        builder.sign_padded(&self.alb_key())
    }

    /// Serves `key` at the ALB key endpoint too (the ALB keeps signing with its own key).
    pub fn publish_alb_key(&self, key: SigningKey) {
        self.shared.alb().published.push(key);
    }

    /// Serve exactly `body` (status 200) for `kid` at the ALB key endpoint, whether or not a
    /// key has that kid (`None`: serve the key again, or 404). For keys that are not EC P-256
    /// PEMs.
    pub fn set_alb_key_body(&self, kid: &str, body: Option<String>) {
        let mut alb = self.shared.alb();
        match body {
            Some(body) => {
                alb.bodies.insert(kid.to_owned(), body);
            }
            None => {
                alb.bodies.remove(kid);
            }
        }
    }

    /// The next `n` ALB key requests get `fault` (as for JWKS; `Hang` waits for shutdown).
    pub fn fail_next_alb_keys(&self, n: usize, fault: JwksFault) {
        self.shared
            .alb()
            .faults
            .extend(std::iter::repeat_n(fault, n));
    }

    /// Holds every ALB key request from now on (counted, then not answered) until
    /// [`release_alb_keys`](Self::release_alb_keys) or shutdown.
    pub fn hold_alb_keys(&self) {
        self.shared.set_alb_held(true);
    }

    /// Lets held ALB key requests (and every later one) answer.
    pub fn release_alb_keys(&self) {
        self.shared.set_alb_held(false);
    }

    /// Resolves once at least `n` ALB key requests have been received in total.
    pub fn wait_for_alb_key_requests(&self, n: u64) -> impl Future<Output = ()> + Send + 'static {
        self.shared.alb_requests_reached(n)
    }

    /// ALB key requests received (any kid, faulted ones included).
    #[must_use]
    pub fn alb_key_requests(&self) -> u64 {
        Counters::read(&self.shared.counters.alb_keys)
    }

    /// Stops accepting connections, releases hanging requests and waits until the
    /// server task has finished.
    pub async fn shutdown(mut self) {
        self.shared.trigger_shutdown();
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::warn!(%error, "test issuer task failed");
        }
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.shared.trigger_shutdown();
    }
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer")
            .field("base_url", &self.shared.config.base_url)
            .field("issuer", &self.shared.config.issuer)
            .field("pool_id", &self.shared.config.pool_id)
            .finish_non_exhaustive()
    }
}
