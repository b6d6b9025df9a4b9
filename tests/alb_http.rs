//! Behind an AWS Application Load Balancer, over real HTTP: the testkit emulates the ALB's
//! per-kid PEM key endpoint and mints its padded user-claims tokens; an axum router verifies
//! `x-amzn-oidc-data` with an ALB issuer and the access token with a Cognito issuer, each in
//! its own layer, and handlers get both results without either overwriting the other.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tollgate::{
    AlbUser, AuthLayer, Authenticated, GrantedScopes, Issuer, JwksSource, RequireScopesLayer,
    Verifier,
};
use tollgate_testkit::{DEFAULT_CLIENT_ID, JwsAlg, SigningKey, TestIssuer};

const SUB: &str = "3f1f8a0c-0000-4000-8000-000000000001";
const ACCESS_HEADER: &str = "x-amzn-oidc-accesstoken";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap()
}

async fn alb_verifier(issuer: &TestIssuer) -> Verifier {
    Verifier::builder()
        .issuer(
            Issuer::alb(issuer.region(), [issuer.alb_signer()])
                .client_ids([DEFAULT_CLIENT_ID])
                .identity_provider(issuer.issuer_url())
                .jwks_source(JwksSource::alb_url(&issuer.alb_keys_url()).unwrap()),
        )
        .build()
        .await
        .unwrap()
}

async fn cognito_verifier(issuer: &TestIssuer) -> Verifier {
    Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .build()
        .await
        .unwrap()
}

async fn me(
    AlbUser(user): AlbUser,
    Authenticated(access): Authenticated,
    GrantedScopes(scopes): GrantedScopes,
) -> Json<Value> {
    Json(json!({
        "user": user.subject(),
        "user_alg": user.algorithm().as_str(),
        "access_client": access.client_id(),
        "access_alg": access.algorithm().as_str(),
        "scopes": scopes.iter().collect::<Vec<_>>(),
    }))
}

async fn who(user: Option<AlbUser>) -> Json<Value> {
    Json(json!({ "user": user.as_ref().and_then(|AlbUser(u)| u.subject()) }))
}

struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(app: Router) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { addr, task }
}

/// Both layers; `alb_outside` puts the ALB layer outermost (it runs first).
async fn both(issuer: &TestIssuer, alb_outside: bool) -> Server {
    let routes = Router::new()
        .route("/me", get(me))
        .route(
            "/orders",
            get(|| async { "orders" }).route_layer(RequireScopesLayer::any(["orders/read"])),
        )
        .route(
            "/admin",
            get(|| async { "admin" }).route_layer(RequireScopesLayer::any(["orders/admin"])),
        );
    let alb = AuthLayer::new(alb_verifier(issuer).await).alb_user_claims();
    let access =
        AuthLayer::new(cognito_verifier(issuer).await).token_header(ACCESS_HEADER.parse().unwrap());
    let app = if alb_outside {
        routes.layer(access).layer(alb)
    } else {
        routes.layer(alb).layer(access)
    };
    serve(app).await
}

struct Answer {
    status: u16,
    challenge: String,
    body: String,
}

async fn get_with(server: &Server, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{}{path}", server.addr));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        challenge: response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        body: response.text().await.unwrap(),
    }
}

#[tokio::test]
async fn both_headers_verified_and_both_results_reach_the_handler_in_either_order() {
    let issuer = issuer().await;
    let data = issuer.alb_token(SUB).unwrap();
    let access = issuer
        .access_token(DEFAULT_CLIENT_ID, &["orders/read"])
        .unwrap();
    for alb_outside in [true, false] {
        let server = both(&issuer, alb_outside).await;
        let headers = [
            ("x-amzn-oidc-data", data.as_str()),
            (ACCESS_HEADER, access.as_str()),
        ];
        let answer = get_with(&server, "/me", &headers).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(
            body,
            json!({
                "user": SUB,
                "user_alg": "ES256",
                "access_client": DEFAULT_CLIENT_ID,
                "access_alg": "RS256",
                "scopes": ["orders/read"],
            }),
            "ALB layer outside: {alb_outside}"
        );
        // Scope guards read the access token's scopes, whatever the ALB layer did.
        assert_eq!(get_with(&server, "/orders", &headers).await.status, 200);
        let admin = get_with(&server, "/admin", &headers).await;
        assert_eq!(admin.status, 403);
        assert!(admin.challenge.contains("insufficient_scope"));
        // Either token missing: 401.
        let no_data = get_with(&server, "/me", &[(ACCESS_HEADER, access.as_str())]).await;
        assert_eq!(no_data.status, 401);
        let no_access = get_with(&server, "/me", &[("x-amzn-oidc-data", data.as_str())]).await;
        assert_eq!(no_access.status, 401);
        // The tokens in each other's header: whichever layer runs first refuses. The ALB
        // layer: the access token is no ALB token (401 invalid_token); the access layer: the
        // ALB token's padding is outside a named header's token grammar (400).
        let swapped = [
            ("x-amzn-oidc-data", access.as_str()),
            (ACCESS_HEADER, data.as_str()),
        ];
        let answer = get_with(&server, "/me", &swapped).await;
        let expected = if alb_outside {
            (401, "invalid_token")
        } else {
            (400, "invalid_request")
        };
        assert_eq!(answer.status, expected.0);
        assert!(
            answer.challenge.contains(expected.1),
            "{}",
            answer.challenge
        );
    }
    // Each server's ALB verifier has its own key cache and fetched the key once.
    assert_eq!(issuer.alb_key_requests(), 2);
}

#[tokio::test]
async fn the_alb_catalogue_over_http() {
    let issuer = issuer().await;
    let server = serve(
        Router::new()
            .route("/who", get(who))
            .layer(AuthLayer::new(alb_verifier(&issuer).await).alb_user_claims()),
    )
    .await;
    let now = now();
    let other_signer = issuer.alb_signer().replace(
        "tollgate-test/50dc6c495c0c9188",
        "someone-else/0123456789abcdef",
    );
    let p384 = SigningKey::generate_for(JwsAlg::Es384)
        .unwrap()
        .with_kid("p384-key");
    issuer.set_alb_key_body(p384.kid(), Some(p384.public_key_spki_pem()));
    let rsa = SigningKey::fixture(1).unwrap();
    issuer.set_alb_key_body("rsa-key", Some(rsa.public_key_spki_pem()));
    let sign = |builder: &tollgate_testkit::TokenBuilder| issuer.sign_alb(builder).unwrap();
    let base = || issuer.alb_token_builder(SUB, now);
    let rows = [
        (
            "wrong signer",
            sign(&base().header("signer", other_signer.as_str())),
        ),
        (
            "wrong client",
            sign(&base().header("client", "another-client")),
        ),
        ("expired", sign(&issuer.alb_token_builder(SUB, now - 3600))),
        (
            "unknown kid",
            sign(&base().header("kid", "0b9f5a1e-0000-4000-8000-00000000dead")),
        ),
        ("kid with a slash", sign(&base().header("kid", "a/b"))),
        ("kid with dots", sign(&base().header("kid", ".."))),
        (
            "kid climbing out",
            sign(&base().header("kid", "../../etc/passwd")),
        ),
        (
            "PEM of a P-384 key",
            sign(&base().header("kid", "p384-key")),
        ),
        ("PEM of an RSA key", sign(&base().header("kid", "rsa-key"))),
    ];
    let requests_before = issuer.alb_key_requests();
    for (name, token) in &rows {
        let answer = get_with(&server, "/who", &[("x-amzn-oidc-data", token)]).await;
        assert_eq!(answer.status, 401, "{name}: {}", answer.body);
        assert!(
            answer.challenge.contains("error=\"invalid_token\""),
            "{name}: {}",
            answer.challenge
        );
    }
    // Key requests: only the unknown kid and the two unusable PEMs were looked up; no kid
    // with a slash or dots reached the key endpoint.
    assert_eq!(issuer.alb_key_requests() - requests_before, 3);

    // The valid token, and the same layer with no header (anonymous is not allowed).
    let ok = get_with(
        &server,
        "/who",
        &[("x-amzn-oidc-data", &issuer.alb_token(SUB).unwrap())],
    )
    .await;
    assert_eq!(
        (ok.status, ok.body.as_str()),
        (200, r#"{"user":"3f1f8a0c-0000-4000-8000-000000000001"}"#)
    );
    assert_eq!(get_with(&server, "/who", &[]).await.status, 401);
    // Characters outside base64url, `.` and `=`: a malformed credential.
    let bad = get_with(&server, "/who", &[("x-amzn-oidc-data", "e30=.e30=.a+b")]).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn a_padded_token_is_refused_where_no_alb_issuer_is_trusted() {
    let issuer = issuer().await;
    let padded_access = issuer
        .token_builder(DEFAULT_CLIENT_ID, &["orders/read"])
        .sign_padded(&SigningKey::fixture(0).unwrap())
        .unwrap();
    let alb_data = issuer.alb_token(SUB).unwrap();
    // The Cognito layer reading a named header (whole value): the padded tokens are invalid
    // tokens; through `Authorization` they are not even bearer tokens (RFC 6750 b64token).
    let named = serve(
        Router::new().route("/who", get(|| async { "ok" })).layer(
            AuthLayer::new(cognito_verifier(&issuer).await)
                .token_header(ACCESS_HEADER.parse().unwrap()),
        ),
    )
    .await;
    for token in [&padded_access, &alb_data] {
        let answer = get_with(&named, "/who", &[(ACCESS_HEADER, token)]).await;
        assert_eq!(answer.status, 400, "{}", answer.body);
    }
    let bearer = serve(
        Router::new()
            .route("/who", get(|| async { "ok" }))
            .layer(AuthLayer::new(cognito_verifier(&issuer).await)),
    )
    .await;
    let answer = get_with(
        &bearer,
        "/who",
        &[("authorization", &format!("Bearer {padded_access}"))],
    )
    .await;
    assert_eq!(answer.status, 400);
    // And a Cognito verifier given the ALB header's value refuses it as a token.
    let data_layer = serve(
        Router::new()
            .route("/who", get(|| async { "ok" }))
            .layer(AuthLayer::new(cognito_verifier(&issuer).await).alb_user_claims()),
    )
    .await;
    for token in [&padded_access, &alb_data] {
        let answer = get_with(&data_layer, "/who", &[("x-amzn-oidc-data", token)]).await;
        assert_eq!(answer.status, 401);
        assert!(answer.challenge.contains("invalid_token"));
    }
}
