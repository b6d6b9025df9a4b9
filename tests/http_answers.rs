//! HTTP answers over real loopback connections: axum 0.8 routers protected by `AuthLayer` and
//! `RequireScopesLayer`, served with `axum::serve` on `127.0.0.1:0` and called with reqwest (or a
//! plain `TcpStream` where the exact bytes on the wire matter).
//!
//! Every row of the rejection table of the security catalogue (`docs/security-catalogue.md`)
//! and its rows T1–T15 (getting the token out of the request) and F1–F9 (framework
//! integration) that apply to HTTP have a test here; the test names carry the row ids.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

/// The router of `examples/resource_server.rs` and `examples/quickstart.rs`, as shipped.
#[path = "../examples/common/orders_api.rs"]
mod orders_api;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, options, post};
use axum::{Json, Router};
use common::{ALL_SCOPES, failing_issuer_and_cold_verifier, issuer_and_verifier, token};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tollgate_testkit::{DEFAULT_CLIENT_ID, RsaAlg, SigningKey, TestIssuer};
use tollgate_tower::metadata::WELL_KNOWN_PATH;
use tollgate_tower::{
    AuthLayer, Authenticated, GrantedScopes, ProblemDetails, ProtectedResourceMetadata, Rejection,
    RejectionBody, RejectionResponder, RequireScopesLayer,
};
use tollgate_verify::{NoCustomClaims, Verifier};

// ---------------------------------------------------------------------------------------------
// The application under test: shaped like examples/resource_server.rs.
// ---------------------------------------------------------------------------------------------

const REALM: &str = "orders";

/// Counts handler invocations: a rejected request must never reach one.
#[derive(Debug, Clone, Default)]
struct Hits(Arc<AtomicUsize>);

impl Hits {
    fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

async fn health(State(hits): State<Hits>) -> &'static str {
    hits.hit();
    "ok"
}

async fn whoami(State(hits): State<Hits>, Authenticated(token): Authenticated) -> Json<Value> {
    hits.hit();
    Json(json!({
        "client_id": token.client_id(),
        "sub": token.subject(),
        "scopes": token.scopes().iter().collect::<Vec<_>>(),
    }))
}

async fn list_orders(State(hits): State<Hits>) -> Json<Value> {
    hits.hit();
    Json(json!([{ "id": "17" }]))
}

async fn create_order(State(hits): State<Hits>, body: String) -> impl IntoResponse {
    hits.hit();
    (
        StatusCode::CREATED,
        format!("created ({} bytes)", body.len()),
    )
}

async fn delete_order(State(hits): State<Hits>, Path(id): Path<String>) -> impl IntoResponse {
    hits.hit();
    (StatusCode::OK, format!("deleted {id}"))
}

async fn reports(State(hits): State<Hits>) -> &'static str {
    hits.hit();
    "reports"
}

/// Two extractors in one handler.
async fn both(
    State(hits): State<Hits>,
    Authenticated(token): Authenticated,
    GrantedScopes(scopes): GrantedScopes,
) -> Json<Value> {
    hits.hit();
    Json(json!({
        "client_id": token.client_id(),
        "scopes": scopes.iter().collect::<Vec<_>>(),
    }))
}

/// What a CORS layer would answer to a preflight.
async fn preflight(State(hits): State<Hits>) -> impl IntoResponse {
    hits.hit();
    (
        StatusCode::NO_CONTENT,
        [
            ("access-control-allow-origin", "https://app.example"),
            ("access-control-allow-methods", "GET, POST, DELETE"),
            ("access-control-allow-headers", "authorization"),
        ],
    )
}

/// The routes; every one except `/health` is protected.
fn routes(hits: Hits) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/whoami", get(whoami))
        .route(
            "/orders",
            get(list_orders).route_layer(RequireScopesLayer::any(["orders/read"])),
        )
        .route(
            "/orders",
            post(create_order).route_layer(RequireScopesLayer::all(["orders/write"])),
        )
        .route("/orders", options(preflight))
        .route(
            "/orders/{id}",
            delete(delete_order)
                .route_layer(RequireScopesLayer::all(["orders/write", "orders/admin"])),
        )
        .route(
            "/reports",
            get(reports).route_layer(RequireScopesLayer::any(["reports/read", "orders/admin"])),
        )
        .route("/both", get(both))
        .with_state(hits)
}

/// F1: every protected route, as (method, concrete path). The F1 test proves each is a real
/// route (a token with every scope gets a 2xx) and that none answers without a token.
const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/whoami"),
    ("GET", "/orders"),
    ("POST", "/orders"),
    ("DELETE", "/orders/17"),
    ("GET", "/reports"),
    ("GET", "/both"),
];

fn default_layer(verifier: Verifier) -> AuthLayer {
    AuthLayer::new(verifier).realm(REALM).skip_path("/health")
}

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

struct Server {
    addr: SocketAddr,
    hits: Hits,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

async fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

fn spawn(listener: TcpListener, app: Router, hits: Hits) -> Server {
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { addr, hits, task }
}

/// The orders app behind `layer`.
async fn serve<R: RejectionResponder>(layer: AuthLayer<NoCustomClaims, R>) -> Server {
    let hits = Hits::default();
    spawn(bind().await, routes(hits.clone()).layer(layer), hits)
}

/// The issuer, and the orders app behind the default layer.
async fn setup() -> (TestIssuer, Server) {
    let (issuer, verifier) = issuer_and_verifier().await;
    (issuer, serve(default_layer(verifier)).await)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// One answer, as seen by the client.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Self {
            status,
            headers,
            body,
        }
    }

    /// All `WWW-Authenticate` values.
    fn challenges(&self) -> Vec<String> {
        self.headers
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The single `WWW-Authenticate` value.
    #[track_caller]
    fn challenge(&self) -> String {
        let challenges = self.challenges();
        assert_eq!(challenges.len(), 1, "{self:?}");
        challenges.into_iter().next().unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// Everything the client can read, for leak checks.
    fn everything(&self) -> String {
        let mut all = self.body.clone();
        for (name, value) in &self.headers {
            all.push_str(name.as_str());
            all.push_str(&String::from_utf8_lossy(value.as_bytes()));
        }
        all
    }
}

async fn get_with(server: &Server, path: &str, authorization: Option<&str>) -> Answer {
    let mut request = client().get(server.url(path));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    Answer::from(request.send().await.unwrap()).await
}

async fn bearer(server: &Server, method: &str, path: &str, token: Option<&str>) -> Answer {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client().request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Answer::from(request.send().await.unwrap()).await
}

/// An answer read off a raw socket.
#[derive(Debug)]
struct RawAnswer {
    status: u16,
    head: String,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Vec<String> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }
}

/// Writes `request` byte for byte and reads the status line and headers of the answer. Does not
/// wait for the connection to close, so it also works when the request body is never finished.
async fn raw(addr: SocketAddr, request: &[u8]) -> RawAnswer {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut received = Vec::new();
        let mut buf = [0_u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed before an answer: {received:?}");
            received.extend_from_slice(&buf[..n]);
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end]).into_owned();
                let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
                return RawAnswer { status, head };
            }
        }
    };
    // A guard against a hanging server, not a wait: the answer normally arrives at once.
    tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .expect("the server answered")
}

/// `GET path` with these extra header lines (each must end in `\r\n`).
async fn raw_get(addr: SocketAddr, path: &str, extra: &[u8]) -> RawAnswer {
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").into_bytes();
    request.extend_from_slice(extra);
    request.extend_from_slice(b"\r\n");
    raw(addr, &request).await
}

fn bare_challenge() -> String {
    format!("Bearer realm=\"{REALM}\"")
}

fn invalid_request_challenge() -> String {
    format!(
        "Bearer realm=\"{REALM}\", error=\"invalid_request\", error_description=\"malformed authorization request\""
    )
}

fn invalid_token_challenge() -> String {
    format!(
        "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"the access token is invalid\""
    )
}

#[track_caller]
fn assert_missing(answer: &Answer) {
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.challenge(), bare_challenge());
    assert!(answer.body.is_empty(), "{answer:?}");
}

#[track_caller]
fn assert_invalid_request(answer: &Answer) {
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.challenge(), invalid_request_challenge());
    assert!(answer.body.is_empty(), "{answer:?}");
}

#[track_caller]
fn assert_invalid_token(answer: &Answer) {
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.challenge(), invalid_token_challenge());
    assert!(answer.body.is_empty(), "{answer:?}");
}

/// Flips one base64url character in the payload (the signature no longer matches).
fn tamper(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let i = token.find('.').unwrap() + 10;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The rejection table (security catalogue)
// ---------------------------------------------------------------------------------------------

/// Row "no bearer credentials" and T1.
#[tokio::test]
async fn t1_no_header_is_401_with_a_bare_challenge() {
    let (_issuer, server) = setup().await;
    for (method, path) in PROTECTED {
        let answer = bearer(&server, method, path, None).await;
        assert_missing(&answer);
        assert!(!answer.challenge().contains("error"));
    }
    assert_eq!(server.hits.get(), 0);
}

/// Row "any invalid token": expired, tampered, wrong issuer, wrong client, and friends.
#[tokio::test]
async fn invalid_tokens_are_401_invalid_token_with_a_fixed_description() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    let expired = issuer
        .sign(
            &issuer
                .token_builder(DEFAULT_CLIENT_ID, &ALL_SCOPES)
                .issued_at(1_600_000_000)
                .expires_at(1_600_003_600),
        )
        .unwrap();
    let wrong_issuer = issuer
        .sign(&issuer.token_builder(DEFAULT_CLIENT_ID, &ALL_SCOPES).claim(
            "iss",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil",
        ))
        .unwrap();
    let wrong_client = issuer.access_token("someone-else", &ALL_SCOPES).unwrap();
    let id_token = issuer.id_token(DEFAULT_CLIENT_ID, &["admins"]).unwrap();
    let other_key = issuer
        .token_builder(DEFAULT_CLIENT_ID, &ALL_SCOPES)
        .sign(&SigningKey::fixture(1).unwrap())
        .unwrap();
    let pss = issuer
        .token_builder(DEFAULT_CLIENT_ID, &ALL_SCOPES)
        .sign_with(&issuer.signing_key(), RsaAlg::Ps256)
        .unwrap();
    let unsigned = issuer
        .token_builder(DEFAULT_CLIENT_ID, &ALL_SCOPES)
        .unsigned();
    let too_long = format!("{good}{}", "A".repeat(16 * 1024));

    let expired_answer = bearer(&server, "GET", "/orders", Some(&expired)).await;
    assert_eq!(expired_answer.status, 401);
    assert_eq!(
        expired_answer.challenge(),
        format!(
            "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"the access token expired\""
        )
    );
    for (name, bad) in [
        ("tampered", tamper(&good)),
        ("wrong issuer", wrong_issuer),
        ("wrong client", wrong_client),
        ("id token", id_token),
        ("unknown kid", other_key),
        ("PS256", pss),
        ("alg none", unsigned),
        ("too long", too_long),
        ("garbage", "abc.def.ghi".to_owned()),
        ("one segment", "abc".to_owned()),
    ] {
        let answer = bearer(&server, "GET", "/orders", Some(&bad)).await;
        assert_eq!(answer.status, 401, "{name}: {answer:?}");
        assert_invalid_token(&answer);
    }
    assert_eq!(server.hits.get(), 0);
    // The good token passes: the failures above are about the tokens, not the setup.
    assert_eq!(
        bearer(&server, "GET", "/orders", Some(&good)).await.status,
        200
    );
}

/// Row "valid token, missing scope": 403 `insufficient_scope` with `scope`, one challenge per
/// alternative.
#[tokio::test]
async fn missing_scope_is_403_insufficient_scope_with_one_challenge_per_alternative() {
    let (issuer, server) = setup().await;
    let read_only = token(&issuer, &["orders/read"]);
    let write_only = token(&issuer, &["orders/write"]);
    let scope_challenge = |scope: &str| {
        format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\"")
    };

    // `any` with one scope.
    let answer = bearer(&server, "GET", "/orders", Some(&write_only)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.challenges(), [scope_challenge("orders/read")]);
    assert!(answer.body.is_empty());

    // `all`: one attribute listing every scope of the set.
    for token in [&read_only, &write_only] {
        let answer = bearer(&server, "DELETE", "/orders/17", Some(token)).await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.challenges(),
            [scope_challenge("orders/write orders/admin")]
        );
    }

    // `any` with two alternatives: two challenges.
    let answer = bearer(&server, "GET", "/reports", Some(&read_only)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.challenges(),
        [
            scope_challenge("reports/read"),
            scope_challenge("orders/admin")
        ]
    );
    assert_eq!(server.hits.get(), 0);

    // Each route's own requirement decides, not the other routes on the same path.
    assert_eq!(
        bearer(&server, "GET", "/orders", Some(&read_only))
            .await
            .status,
        200
    );
    assert_eq!(
        bearer(&server, "POST", "/orders", Some(&write_only))
            .await
            .status,
        201
    );
    assert_eq!(
        bearer(&server, "POST", "/orders", Some(&read_only))
            .await
            .status,
        403
    );
}

/// Row "no usable keys": the issuer answers 500 and nothing is cached.
#[tokio::test]
async fn keys_unavailable_is_503_with_retry_after() {
    let (issuer, verifier) = failing_issuer_and_cold_verifier(1000).await;
    let server = serve(default_layer(verifier)).await;
    let good = token(&issuer, &ALL_SCOPES);
    // First request: the fetch runs and fails. Second: refused at once inside the cooldown.
    for _ in 0..2 {
        let answer = bearer(&server, "GET", "/orders", Some(&good)).await;
        assert_eq!(answer.status, 503, "{answer:?}");
        assert_eq!(answer.headers["retry-after"], "10");
        assert!(
            answer.challenges().is_empty(),
            "not the client's fault: no challenge"
        );
        assert!(answer.body.is_empty());
    }
    assert!(issuer.jwks_requests() >= 1);
    // A request without credentials needs no keys: still a plain 401.
    assert_missing(&bearer(&server, "GET", "/orders", None).await);
    assert_eq!(server.hits.get(), 0);
}

// ---------------------------------------------------------------------------------------------
// Security catalogue T rows: getting the token out of the request
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn t2_other_schemes_are_no_credentials() {
    let (_issuer, server) = setup().await;
    for value in [
        "Basic dXNlcjpwYXNz",
        "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"x\"",
        "Token abc.def.ghi",
        "Negotiate YIIB",
        "Bearers abc",
    ] {
        let answer = get_with(&server, "/orders", Some(value)).await;
        // `Bearers abc` starts like `Bearer` but is a broken bearer credential.
        if value.starts_with("Bearers") {
            assert_invalid_request(&answer);
        } else {
            assert_missing(&answer);
        }
    }
    assert_eq!(server.hits.get(), 0);
}

#[tokio::test]
async fn t3_scheme_is_case_insensitive() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    for scheme in ["Bearer", "bearer", "BEARER", "BeArEr"] {
        let answer = get_with(&server, "/orders", Some(&format!("{scheme} {good}"))).await;
        assert_eq!(answer.status, 200, "{scheme}");
    }
}

/// Pinned: more than one space after the scheme is accepted (`1*SP`).
#[tokio::test]
async fn t4_several_spaces_are_accepted() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    let answer = get_with(&server, "/orders", Some(&format!("Bearer   {good}"))).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn t5_broken_bearer_credentials_are_400_invalid_request() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    for value in [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "bearer    ".to_owned(),
        format!("Bearer{good}"),
        format!("Bearer\t{good}"),
    ] {
        let answer = get_with(&server, "/orders", Some(&value)).await;
        assert_invalid_request(&answer);
    }
    // The same over a raw socket, so no client trims anything.
    for line in [
        "Authorization: Bearer\r\n".to_owned(),
        "Authorization: Bearer \r\n".to_owned(),
        format!("Authorization: Bearer\t{good}\r\n"),
    ] {
        let answer = raw_get(server.addr, "/orders", line.as_bytes()).await;
        assert_eq!(answer.status, 400, "{line:?}");
        assert_eq!(
            answer.header("www-authenticate"),
            [invalid_request_challenge()]
        );
    }
    assert_eq!(server.hits.get(), 0);
}

#[tokio::test]
async fn t6_characters_outside_b64token_are_400() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    let (head, tail) = good.split_at(20);
    for value in [
        "Bearer a b".to_owned(),
        "Bearer a,b".to_owned(),
        format!("Bearer {head} {tail}"),
        format!("Bearer {head},{tail}"),
        format!("Bearer {head}\"{tail}"),
        "Bearer =abc".to_owned(),
    ] {
        assert_invalid_request(&get_with(&server, "/orders", Some(&value)).await);
    }
    // A bare CR inside the value never reaches the layer as a token: hyper refuses the line.
    let answer = raw_get(
        server.addr,
        "/orders",
        format!("Authorization: Bearer {head}\r{tail}\r\n").as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(server.hits.get(), 0);
}

/// Trailing whitespace of the field value is not part of the token.
#[tokio::test]
async fn t7_trailing_spaces_are_accepted() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    let answer = raw_get(
        server.addr,
        "/orders",
        format!("Authorization: Bearer {good}  \t \r\n").as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn t8_two_authorization_headers_or_two_tokens_are_400() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    let other = token(&issuer, &["orders/read"]);
    // Two header lines: the same good token twice, and a good and a bad one.
    for second in [good.as_str(), other.as_str(), "abc.def.ghi"] {
        let lines = format!("Authorization: Bearer {good}\r\nAuthorization: Bearer {second}\r\n");
        let answer = raw_get(server.addr, "/orders", lines.as_bytes()).await;
        assert_eq!(answer.status, 400, "{answer:?}");
        assert_eq!(
            answer.header("www-authenticate"),
            [invalid_request_challenge()]
        );
    }
    // The same through reqwest, which sends both lines.
    let answer = Answer::from(
        client()
            .get(server.url("/orders"))
            .header("authorization", format!("Bearer {good}"))
            .header("authorization", format!("Bearer {good}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_invalid_request(&answer);
    // One line, two credentials.
    let answer = get_with(
        &server,
        "/orders",
        Some(&format!("Bearer {good}, Bearer {other}")),
    )
    .await;
    assert_invalid_request(&answer);
    assert_eq!(server.hits.get(), 0);
}

/// The query string is never read: a token only there is no credential.
#[tokio::test]
async fn t9_query_only_token_is_401_without_error() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    let answer = get_with(&server, &format!("/orders?access_token={good}"), None).await;
    assert_missing(&answer);
    assert!(!answer.everything().contains(&good));
    assert_eq!(server.hits.get(), 0);
}

#[tokio::test]
async fn t10_header_and_query_token_is_400() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    for query in [
        format!("access_token={good}"),
        format!("page=2&access_token={good}"),
        "access_token".to_owned(),
    ] {
        let answer = get_with(
            &server,
            &format!("/orders?{query}"),
            Some(&format!("Bearer {good}")),
        )
        .await;
        assert_invalid_request(&answer);
    }
    // Another parameter that merely contains the name is not a token.
    let answer = get_with(
        &server,
        "/orders?my_access_token=1",
        Some(&format!("Bearer {good}")),
    )
    .await;
    assert_eq!(answer.status, 200);
}

/// Bytes outside visible ASCII in the header: 400, never 500 (and never the handler).
#[tokio::test]
async fn t11_obs_text_bytes_are_400() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    let mut line = b"Authorization: Bearer ".to_vec();
    line.extend_from_slice(&good.as_bytes()[..30]);
    line.extend_from_slice(&[0xC3, 0xA9, 0xFF]);
    line.extend_from_slice(&good.as_bytes()[30..]);
    line.extend_from_slice(b"\r\n");
    let answer = raw_get(server.addr, "/orders", &line).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(
        answer.header("www-authenticate"),
        [invalid_request_challenge()]
    );
    // Also when the whole value is non-ASCII (not even a recognisable scheme).
    let answer = raw_get(server.addr, "/orders", b"Authorization: \xe2\x82\xac\r\n").await;
    assert_eq!(answer.status, 400);
    assert_eq!(server.hits.get(), 0);
}

/// Oversized values are refused before any decoding: 16 KiB + 1 by the verifier's length cap
/// (401), 1 MiB already by hyper's header limit (431).
#[tokio::test]
async fn t12_huge_headers_are_refused() {
    let (_issuer, server) = setup().await;
    let value = format!("Bearer {}", "A".repeat(16 * 1024 + 1));
    assert_invalid_token(&get_with(&server, "/orders", Some(&value)).await);

    let line = format!("Authorization: Bearer {}\r\n", "A".repeat(1024 * 1024));
    let answer = raw_get(server.addr, "/orders", line.as_bytes()).await;
    assert_eq!(answer.status, 431, "{answer:?}");
    assert_eq!(server.hits.get(), 0);
}

/// Cookies are never read.
#[tokio::test]
async fn t13_cookie_token_is_ignored() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &ALL_SCOPES);
    for cookie in [
        format!("access_token={good}"),
        format!("token={good}; Authorization=Bearer {good}"),
    ] {
        let answer = Answer::from(
            client()
                .get(server.url("/orders"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_missing(&answer);
    }
    assert_eq!(server.hits.get(), 0);
}

#[tokio::test]
async fn t15_cors_preflight_bypass_only_when_configured() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let good = token(&issuer, &ALL_SCOPES);
    let preflight = |server: &Server, method: &str, acrm: bool| {
        let mut request = client()
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                server.url("/orders"),
            )
            .header("origin", "https://app.example");
        if acrm {
            request = request
                .header("access-control-request-method", "DELETE")
                .header("access-control-request-headers", "authorization");
        }
        request.send()
    };

    // Not configured: a preflight is a request without credentials like any other.
    let strict = serve(default_layer(verifier.clone())).await;
    let answer = Answer::from(preflight(&strict, "OPTIONS", true).await.unwrap()).await;
    assert_missing(&answer);
    assert_eq!(strict.hits.get(), 0);

    // Configured: only a real preflight passes.
    let cors = serve(default_layer(verifier).bypass_cors_preflight()).await;
    let answer = Answer::from(preflight(&cors, "OPTIONS", true).await.unwrap()).await;
    assert_eq!(answer.status, 204);
    assert_eq!(
        answer.headers["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(cors.hits.get(), 1);
    // OPTIONS without Access-Control-Request-Method is not a preflight.
    assert_missing(&Answer::from(preflight(&cors, "OPTIONS", false).await.unwrap()).await);
    // Preflight headers on another method do not open anything.
    assert_missing(&Answer::from(preflight(&cors, "GET", true).await.unwrap()).await);
    assert_missing(&Answer::from(preflight(&cors, "DELETE", true).await.unwrap()).await);
    assert_eq!(cors.hits.get(), 1);
    // The actual request after the preflight still needs the token.
    assert_eq!(
        bearer(&cors, "GET", "/orders", Some(&good)).await.status,
        200
    );
}

// ---------------------------------------------------------------------------------------------
// Security catalogue F rows: framework integration
// ---------------------------------------------------------------------------------------------

/// F1: every protected route answers 401 without a token; the table is complete enough to
/// reach every route (each answers 2xx with a token holding every scope).
#[tokio::test]
async fn f1_every_protected_route_needs_a_token() {
    let (issuer, server) = setup().await;
    let all = token(&issuer, &ALL_SCOPES);
    for (method, path) in PROTECTED {
        assert_missing(&bearer(&server, method, path, None).await);
    }
    assert_eq!(server.hits.get(), 0);
    for (method, path) in PROTECTED {
        let answer = bearer(&server, method, path, Some(&all)).await;
        assert!(
            (200..300).contains(&answer.status),
            "{method} {path}: {answer:?}"
        );
    }
    assert_eq!(server.hits.get(), PROTECTED.len());
    // The layer wraps the whole router: unknown paths and methods are 401 too, so an anonymous
    // client cannot even map the API.
    for (method, path) in [("GET", "/nope"), ("PUT", "/orders"), ("GET", "/orders/17")] {
        assert_missing(&bearer(&server, method, path, None).await);
    }
    // And the one unprotected route is reachable.
    assert_eq!(bearer(&server, "GET", "/health", None).await.status, 200);
}

/// F2: a guard or extractor without the auth layer is a configuration error: 500, never 200.
#[tokio::test]
async fn f2_guard_without_auth_layer_is_500() {
    let (issuer, _verifier) = issuer_and_verifier().await;
    let good = token(&issuer, &ALL_SCOPES);
    let hits = Hits::default();
    let server = spawn(bind().await, routes(hits.clone()), hits);
    for (method, path) in PROTECTED {
        for token in [None, Some(good.as_str())] {
            let answer = bearer(&server, method, path, token).await;
            assert_eq!(answer.status, 500, "{method} {path}: {answer:?}");
            assert!(answer.challenges().is_empty());
        }
    }
    assert_eq!(server.hits.get(), 0);
}

/// F3: identity headers sent by the client are not identity; only the verified token is.
#[tokio::test]
async fn f3_spoofed_identity_headers_are_not_used() {
    let (issuer, server) = setup().await;
    let good = token(&issuer, &["orders/read"]);
    let spoof = |request: reqwest::RequestBuilder| {
        request
            .header("x-user-id", "admin")
            .header("x-client-id", "admin-client")
            .header(
                "x-claims",
                r#"{"client_id":"admin-client","scope":"orders/admin"}"#,
            )
            .header("x-amzn-oidc-identity", "admin")
            .header("x-amzn-oidc-accesstoken", "abc.def.ghi")
            .header("x-forwarded-user", "admin")
            .header("x-scopes", "orders/admin orders/write")
    };
    let answer = Answer::from(
        spoof(client().get(server.url("/whoami")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_missing(&answer);

    let answer = Answer::from(
        spoof(client().get(server.url("/whoami")))
            .bearer_auth(&good)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({ "client_id": DEFAULT_CLIENT_ID, "sub": DEFAULT_CLIENT_ID, "scopes": ["orders/read"] })
    );
    // Spoofed scopes grant nothing.
    let answer = Answer::from(
        spoof(client().delete(server.url("/orders/17")))
            .bearer_auth(&good)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 403);
}

/// F5: the policy belongs to the matched route; path variants never reach a handler without
/// a token, and never reach the orders handler with a token lacking its scope.
#[tokio::test]
async fn f5_path_tricks_never_reach_a_handler_unauthenticated() {
    let (issuer, server) = setup().await;
    let no_scopes = token(&issuer, &[]);
    let tricks = [
        "/orders/",
        "//orders",
        "/ORDERS",
        "/Orders",
        "/orders%2F",
        "/%6Frders",
        "/./orders",
        "/x/../orders",
        "/orders;x",
        "/orders/.",
        "/orders?x=1",
        "/health/../orders",
        "/health/",
        "/HEALTH",
        "//health",
    ];
    for path in tricks {
        let answer = raw_get(server.addr, path, b"").await;
        assert!(
            answer.status == 401 || answer.status == 400,
            "{path}: {answer:?}"
        );
        if answer.status == 401 {
            assert_eq!(
                answer.header("www-authenticate"),
                [bare_challenge()],
                "{path}"
            );
        }
        let line = format!("Authorization: Bearer {no_scopes}\r\n");
        let answer = raw_get(server.addr, path, line.as_bytes()).await;
        assert!(
            !(200..300).contains(&answer.status),
            "{path} with a scopeless token: {answer:?}"
        );
    }
    assert_eq!(server.hits.get(), 0);
}

/// F6: no answer echoes the token, its parts, or claim values.
#[tokio::test]
async fn f6_answers_never_contain_the_token_or_claims() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let secret_client = "spy-client-5f1e";
    let secret_claims = |client: &str, scopes: &[&str]| {
        issuer
            .token_builder(client, scopes)
            .claim("jti", "jti-secret-9c2d")
            .claim("email", "secret-person@example.com")
            .claim("username", "secret-username-77")
    };
    let wrong_client = issuer
        .sign(&secret_claims(secret_client, &["secret/scope-x"]))
        .unwrap();
    let expired = issuer
        .sign(
            &secret_claims(DEFAULT_CLIENT_ID, &["secret/scope-x"])
                .expires_at(1_600_000_000)
                .issued_at(1_599_990_000),
        )
        .unwrap();
    let no_scope = issuer
        .sign(&secret_claims(DEFAULT_CLIENT_ID, &["secret/scope-x"]))
        .unwrap();
    let tampered = tamper(&no_scope);
    let wrong_issuer = issuer
        .sign(
            &secret_claims(DEFAULT_CLIENT_ID, &["secret/scope-x"])
                .claim("iss", "https://secret-issuer.example"),
        )
        .unwrap();
    let secrets = [
        secret_client,
        "secret/scope-x",
        "jti-secret-9c2d",
        "secret-person@example.com",
        "secret-username-77",
        "secret-issuer",
        DEFAULT_CLIENT_ID,
    ];
    let default = serve(default_layer(verifier.clone())).await;
    let problem = serve(default_layer(verifier).responder(ProblemDetails)).await;
    for server in [&default, &problem] {
        for bad in [&wrong_client, &expired, &no_scope, &tampered, &wrong_issuer] {
            for (method, path) in [
                ("GET", "/orders"),
                ("DELETE", "/orders/17"),
                ("GET", "/whoami"),
            ] {
                if bad == &no_scope && path == "/whoami" {
                    // Valid, and /whoami needs no scope: the one request that passes.
                    continue;
                }
                let answer = bearer(server, method, path, Some(bad)).await;
                assert!((400..500).contains(&answer.status), "{answer:?}");
                let everything = answer.everything();
                for part in bad.split('.') {
                    assert!(!everything.contains(part), "token part echoed: {answer:?}");
                }
                for secret in secrets {
                    assert!(!everything.contains(secret), "{secret} echoed: {answer:?}");
                }
            }
        }
        // Malformed headers are not echoed either.
        let answer = get_with(server, "/orders", Some("Bearer secret-bytes here")).await;
        assert_eq!(answer.status, 400);
        assert!(!answer.everything().contains("secret-bytes"));
    }
    assert_eq!(default.hits.get() + problem.hits.get(), 0);
}

/// F9: the decision is made on the headers; a large body is never read (the handler that
/// would read it is never reached, and the answer comes before the body is sent).
#[tokio::test]
async fn f9_auth_is_decided_before_the_body_is_read() {
    let (issuer, server) = setup().await;
    let read_only = token(&issuer, &["orders/read"]);
    let bad = tamper(&read_only);
    let cases = [
        (None, 401),
        (Some(bad.as_str()), 401),
        (Some("malformed token"), 400),
        (Some(read_only.as_str()), 403),
    ];
    for (token, status) in cases {
        let mut head = format!(
            "POST /orders HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n",
            server.addr,
            512 * 1024 * 1024
        );
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        // The first few KiB of a 512 MiB body that is never sent in full.
        request.extend_from_slice(&[b'x'; 4096]);
        let answer = raw(server.addr, &request).await;
        assert_eq!(answer.status, status, "{answer:?}");
    }
    assert_eq!(server.hits.get(), 0);
}

// ---------------------------------------------------------------------------------------------
// Layer options
// ---------------------------------------------------------------------------------------------

/// A custom responder shapes the body; status and challenge stay tollgate's.
#[tokio::test]
async fn responder_problem_details_keeps_status_and_challenge() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let read_only = token(&issuer, &["orders/read"]);
    let hits = Hits::default();
    let app = Router::new()
        .route(
            "/orders/{id}",
            delete(delete_order).route_layer(
                RequireScopesLayer::all(["orders/write", "orders/admin"]).responder(ProblemDetails),
            ),
        )
        .with_state(hits.clone())
        .layer(default_layer(verifier).responder(ProblemDetails));
    let server = spawn(bind().await, app, hits);

    let problem = |answer: &Answer| {
        assert_eq!(answer.headers["content-type"], "application/problem+json");
        answer.json()
    };
    let answer = bearer(&server, "DELETE", "/orders/17", None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.challenge(), bare_challenge());
    assert_eq!(
        problem(&answer),
        json!({ "type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "bearer token required" })
    );

    let answer = get_with(&server, "/orders/17", Some("Bearer")).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.challenge(), invalid_request_challenge());
    assert_eq!(problem(&answer)["status"], 400);

    let answer = bearer(&server, "DELETE", "/orders/17", Some(&tamper(&read_only))).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.challenge(), invalid_token_challenge());
    assert_eq!(problem(&answer)["detail"], "the access token is invalid");

    let answer = bearer(&server, "DELETE", "/orders/17", Some(&read_only)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.challenge(),
        format!(
            "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"orders/write orders/admin\""
        )
    );
    assert_eq!(
        problem(&answer),
        json!({ "type": "about:blank", "title": "Forbidden", "status": 403, "detail": "the access token lacks the required scope" })
    );
    assert_eq!(server.hits.get(), 0);

    // 503 keeps Retry-After.
    let (cold_issuer, cold) = failing_issuer_and_cold_verifier(1000).await;
    let hits = Hits::default();
    let server = spawn(
        bind().await,
        routes(hits.clone()).layer(default_layer(cold).responder(ProblemDetails)),
        hits,
    );
    let answer = bearer(
        &server,
        "GET",
        "/orders",
        Some(&token(&cold_issuer, &ALL_SCOPES)),
    )
    .await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.headers["retry-after"], "10");
    assert_eq!(problem(&answer)["status"], 503);
}

#[tokio::test]
async fn responder_closure_returns_json() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let responder = |rejection: &Rejection| {
        Some(RejectionBody::json(&json!({
            "error": rejection.error_code(),
            "message": rejection.description(),
            "reason": rejection.reason(),
        })))
    };
    let hits = Hits::default();
    let app = Router::new()
        .route(
            "/orders",
            get(list_orders)
                .route_layer(RequireScopesLayer::any(["orders/read"]).responder(responder)),
        )
        .with_state(hits.clone())
        .layer(default_layer(verifier).responder(responder));
    let server = spawn(bind().await, app, hits);

    let answer = bearer(&server, "GET", "/orders", None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.challenge(), bare_challenge());
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(
        answer.json(),
        json!({ "error": null, "message": "bearer token required", "reason": "missing_credentials" })
    );

    let expired = issuer
        .sign(
            &issuer
                .token_builder(DEFAULT_CLIENT_ID, &ALL_SCOPES)
                .expires_at(1_600_000_000)
                .issued_at(1_599_990_000),
        )
        .unwrap();
    let answer = bearer(&server, "GET", "/orders", Some(&expired)).await;
    assert_eq!(answer.status, 401);
    assert!(answer.challenge().contains("error=\"invalid_token\""));
    assert_eq!(answer.json()["error"], "invalid_token");
    assert_eq!(answer.json()["message"], "the access token expired");

    let answer = bearer(
        &server,
        "GET",
        "/orders",
        Some(&token(&issuer, &["orders/write"])),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert!(answer.challenge().contains("scope=\"orders/read\""));
    assert_eq!(answer.json()["error"], "insufficient_scope");
    assert_eq!(server.hits.get(), 0);

    // A closure may also decline: empty body, same answer.
    let hits = Hits::default();
    let quiet = spawn(
        bind().await,
        routes(hits.clone())
            .layer(default_layer(issuer_and_verifier().await.1).responder(|_: &Rejection| None)),
        hits,
    );
    assert_missing(&bearer(&quiet, "GET", "/orders", None).await);
}

/// `allow_anonymous`: a missing token is anonymous; a present but invalid one is still refused
/// (CVE-2021-21378: present-but-invalid must never count as missing).
#[tokio::test]
async fn allow_anonymous_with_optional_extractor_and_guards() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let hits = Hits::default();
    async fn public(token: Option<Authenticated>) -> String {
        match token {
            Some(Authenticated(token)) => format!("hello {}", token.client_id().unwrap_or("?")),
            None => "hello anonymous".to_owned(),
        }
    }
    let app = routes(hits.clone())
        .route("/public", get(public))
        .layer(default_layer(verifier).allow_anonymous());
    let server = spawn(bind().await, app, hits);
    let read_only = token(&issuer, &["orders/read"]);

    let answer = bearer(&server, "GET", "/public", None).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "hello anonymous")
    );
    let answer = bearer(&server, "GET", "/public", Some(&read_only)).await;
    assert_eq!(answer.body, format!("hello {DEFAULT_CLIENT_ID}"));

    // Present but invalid: refused even where a token is optional.
    assert_invalid_token(&bearer(&server, "GET", "/public", Some(&tamper(&read_only))).await);
    assert_invalid_request(&get_with(&server, "/public", Some("Bearer")).await);
    // Another scheme is no bearer credential: anonymous.
    assert_eq!(
        get_with(&server, "/public", Some("Basic dXNlcjpwYXNz"))
            .await
            .status,
        200
    );

    // Guarded routes and the required extractor answer 401 to anonymous requests.
    for (method, path) in PROTECTED {
        assert_missing(&bearer(&server, method, path, None).await);
    }
    assert_eq!(
        bearer(&server, "GET", "/orders", Some(&read_only))
            .await
            .status,
        200
    );
    assert_eq!(
        bearer(&server, "POST", "/orders", Some(&read_only))
            .await
            .status,
        403
    );
    assert_eq!(server.hits.get(), 1);
}

/// `Authenticated` and `GrantedScopes` in one handler both see the token.
#[tokio::test]
async fn two_extractors_in_one_handler() {
    let (issuer, server) = setup().await;
    let answer = bearer(
        &server,
        "GET",
        "/both",
        Some(&token(&issuer, &["orders/read", "orders/write"])),
    )
    .await;
    assert_eq!(answer.status, 200);
    let json = answer.json();
    assert_eq!(json["client_id"], DEFAULT_CLIENT_ID);
    let mut scopes: Vec<String> = serde_json::from_value(json["scopes"].clone()).unwrap();
    scopes.sort();
    assert_eq!(scopes, ["orders/read", "orders/write"]);
}

/// `skip_path` matches the path exactly: no prefixes, no case folding, no normalisation.
#[tokio::test]
async fn skip_path_is_exact() {
    let (_issuer, server) = setup().await;
    let answer = bearer(&server, "GET", "/health", None).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));
    // The query is not part of the path.
    assert_eq!(
        bearer(&server, "GET", "/health?verbose=1", None)
            .await
            .status,
        200
    );
    // A broken credential on a skipped path is not even looked at.
    assert_eq!(
        get_with(&server, "/health", Some("Bearer")).await.status,
        200
    );
    for path in ["/health/", "/HEALTH", "/health/x", "/healthz", "/health%2F"] {
        assert_missing(&bearer(&server, "GET", path, None).await);
    }
    assert_eq!(server.hits.get(), 3);
}

/// `token_header`: the token is read from that header only, whole value, exactly once.
#[tokio::test]
async fn token_header_reads_only_the_configured_header() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let server =
        serve(default_layer(verifier).token_header(HeaderName::from_static("x-access-token")))
            .await;
    let good = token(&issuer, &ALL_SCOPES);
    let send = |headers: Vec<(&'static str, String)>| {
        let mut request = client().get(server.url("/whoami"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        async move { Answer::from(request.send().await.unwrap()).await }
    };

    let answer = send(vec![("x-access-token", good.clone())]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["client_id"], DEFAULT_CLIENT_ID);
    // `Authorization` is not read at all any more.
    assert_missing(&send(vec![("authorization", format!("Bearer {good}"))]).await);
    assert_missing(&send(vec![]).await);
    // The value is the token itself, not a `Bearer` credential.
    assert_invalid_request(&send(vec![("x-access-token", format!("Bearer {good}"))]).await);
    assert_invalid_request(
        &send(vec![
            ("x-access-token", good.clone()),
            ("x-access-token", good.clone()),
        ])
        .await,
    );
    assert_invalid_token(&send(vec![("x-access-token", tamper(&good))]).await);
    assert_eq!(server.hits.get(), 1);
}

/// RFC 9728: the metadata document is served without a token and every challenge points at it.
#[tokio::test]
async fn protected_resource_metadata_is_served_and_advertised() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let listener = bind().await;
    let base = format!("http://{}", listener.local_addr().unwrap());
    let metadata_url = format!("{base}{WELL_KNOWN_PATH}");
    let metadata = ProtectedResourceMetadata::from_verifier(&base, &verifier)
        .scopes_supported(ALL_SCOPES)
        .resource_name("Orders API");
    let hits = Hits::default();
    let app = routes(hits.clone())
        .route_service(WELL_KNOWN_PATH, metadata.into_service())
        .layer(
            default_layer(verifier)
                .skip_path(WELL_KNOWN_PATH)
                .resource_metadata(&metadata_url),
        );
    let server = spawn(listener, app, hits);

    let answer = bearer(&server, "GET", WELL_KNOWN_PATH, None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(
        answer.json(),
        json!({
            "resource": base,
            "authorization_servers": [issuer.issuer_url()],
            "bearer_methods_supported": ["header"],
            "scopes_supported": ALL_SCOPES,
            "resource_name": "Orders API",
        })
    );
    assert_eq!(
        bearer(&server, "POST", WELL_KNOWN_PATH, None).await.status,
        405
    );

    let suffix = format!("resource_metadata=\"{metadata_url}\"");
    let answer = bearer(&server, "GET", "/orders", None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.challenge(),
        format!("Bearer realm=\"{REALM}\", {suffix}")
    );
    let answer = bearer(&server, "GET", "/orders", Some("abc.def.ghi")).await;
    assert_eq!(
        answer.challenge(),
        format!("{}, {suffix}", invalid_token_challenge())
    );
    let answer = get_with(&server, "/orders", Some("Bearer")).await;
    assert_eq!(
        answer.challenge(),
        format!("{}, {suffix}", invalid_request_challenge())
    );
    let answer = bearer(
        &server,
        "GET",
        "/reports",
        Some(&token(&issuer, &["orders/read"])),
    )
    .await;
    assert_eq!(answer.status, 403);
    for challenge in answer.challenges() {
        assert!(challenge.ends_with(&suffix), "{challenge}");
    }
}

/// Requests let through by `skip_path` / `skip_method` / the preflight bypass are anonymous:
/// `Option<Authenticated>` is `None` (not a 500), guards and `Authenticated` answer 401 (not
/// a "missing auth layer" 500), and nothing is ever let through a guard.
#[tokio::test]
async fn skipped_requests_are_anonymous_to_extractors_and_guards() {
    let (issuer, verifier) = issuer_and_verifier().await;
    async fn status(token: Option<Authenticated>) -> String {
        match token {
            Some(Authenticated(token)) => {
                format!("status for {}", token.client_id().unwrap_or("?"))
            }
            None => "status for anonymous".to_owned(),
        }
    }
    let hits = Hits::default();
    let app = Router::new()
        .route("/status", get(status))
        .route("/whoami", get(whoami))
        .route(
            "/guarded",
            get(list_orders).route_layer(RequireScopesLayer::any(["orders/read"])),
        )
        .with_state(hits.clone())
        .layer(
            AuthLayer::new(verifier)
                .realm(REALM)
                .skip_path("/status")
                .skip_path("/whoami")
                .skip_path("/guarded"),
        );
    let server = spawn(bind().await, app, hits);
    let good = token(&issuer, &ALL_SCOPES);

    let answer = bearer(&server, "GET", "/status", None).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "status for anonymous")
    );
    // A token on a skipped path is not looked at: still anonymous.
    let answer = bearer(&server, "GET", "/status", Some(&good)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "status for anonymous")
    );
    for token in [None, Some(good.as_str())] {
        assert_missing(&bearer(&server, "GET", "/whoami", token).await);
        assert_missing(&bearer(&server, "GET", "/guarded", token).await);
    }
    assert_eq!(server.hits.get(), 0);
}

/// RFC 6750 §3: every refusal of a token carries a challenge, even when the requirement can
/// never be met (`any` of no scopes, e.g. scopes read from an empty setting).
#[tokio::test]
async fn unsatisfiable_requirement_is_403_with_a_challenge() {
    let (issuer, verifier) = issuer_and_verifier().await;
    let hits = Hits::default();
    let nothing: Vec<String> = Vec::new();
    let app = Router::new()
        .route(
            "/orders",
            get(list_orders).route_layer(RequireScopesLayer::any(nothing)),
        )
        .with_state(hits.clone())
        .layer(default_layer(verifier));
    let server = spawn(bind().await, app, hits);
    let answer = bearer(
        &server,
        "GET",
        "/orders",
        Some(&token(&issuer, &ALL_SCOPES)),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.challenge(),
        format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\"")
    );
    assert_eq!(server.hits.get(), 0);
}

/// F1 and F5 on the router the examples ship (`examples/common/orders_api.rs`): every
/// protected route answers 401 without a token, the table reaches every route, and path
/// variants never get through.
#[tokio::test]
async fn f1_f5_example_router_protects_every_route() {
    const EXAMPLE_PROTECTED: &[(&str, &str)] = &[
        ("GET", "/whoami"),
        ("GET", "/orders"),
        ("POST", "/orders"),
        ("DELETE", "/orders/42"),
        ("GET", "/reports"),
    ];
    let (issuer, verifier) = issuer_and_verifier().await;
    let server = spawn(bind().await, orders_api::router(verifier), Hits::default());
    let all = token(&issuer, &ALL_SCOPES);
    let bare = "Bearer realm=\"orders-api\"";
    for (method, path) in EXAMPLE_PROTECTED {
        let answer = bearer(&server, method, path, None).await;
        assert_eq!(answer.status, 401, "{method} {path}");
        assert_eq!(answer.challenge(), bare);
        let answer = bearer(&server, method, path, Some(&all)).await;
        assert!(
            (200..300).contains(&answer.status),
            "{method} {path}: {answer:?}"
        );
    }
    assert_eq!(bearer(&server, "GET", "/health", None).await.status, 200);
    for path in [
        "/orders/",
        "//orders",
        "/ORDERS",
        "/whoami/",
        "/health/",
        "/orders/42/",
    ] {
        let answer = raw_get(server.addr, path, b"").await;
        assert_eq!(answer.status, 401, "{path}");
        assert_eq!(answer.header("www-authenticate"), [bare]);
    }
}
