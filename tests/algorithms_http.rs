//! Every algorithm over real HTTP through `AuthLayer`: an axum router on `127.0.0.1:0`, a
//! testkit issuer whose JWKS publishes the key, reqwest as the client. Valid tokens reach the
//! handler (which sees the verified `kid` and `alg`); the security catalogue's rows for the
//! algorithm answer 401 `invalid_token` and never reach it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tollgate::{Algorithm, AuthLayer, Authenticated, Issuer, Verifier};
use tollgate_testkit::raw;
use tollgate_testkit::{DEFAULT_CLIENT_ID, JwsAlg, SigningKey, TestIssuer};

const ALGORITHMS: [JwsAlg; 9] = [
    JwsAlg::Rs256,
    JwsAlg::Rs384,
    JwsAlg::Rs512,
    JwsAlg::Ps256,
    JwsAlg::Ps384,
    JwsAlg::Ps512,
    JwsAlg::Es256,
    JwsAlg::Es384,
    JwsAlg::EdDsa,
];

async fn whoami(
    State(hits): State<Arc<AtomicUsize>>,
    Authenticated(token): Authenticated,
) -> Json<Value> {
    hits.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "kid": token.kid(), "alg": token.algorithm().as_str() }))
}

struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(verifier: Verifier) -> Server {
    let hits = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/whoami", get(whoami))
        .with_state(Arc::clone(&hits))
        .layer(AuthLayer::new(verifier).realm("orders"));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { addr, hits, task }
}

/// Status, `WWW-Authenticate` and body of `GET /whoami` with `token`.
async fn call(server: &Server, token: &str) -> (u16, String, String) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{}/whoami", server.addr))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge, response.text().await.unwrap())
}

fn key_for(alg: JwsAlg) -> SigningKey {
    if alg.is_rsa() {
        SigningKey::fixture(0).unwrap().with_alg(alg)
    } else {
        SigningKey::generate_for(alg).unwrap()
    }
}

/// An issuer signing with `key`, publishing an RSA fixture beside it, and a verifier that
/// trusts it with `allowed` on its list.
async fn setup(key: &SigningKey, allowed: &[Algorithm]) -> (TestIssuer, Verifier) {
    let issuer = TestIssuer::builder()
        .signing_key(key.clone())
        .publish_key(SigningKey::fixture(1).unwrap())
        .start()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(issuer.issuer_url())
                .client_ids([DEFAULT_CLIENT_ID])
                .algorithms(allowed.iter().copied()),
        )
        .build()
        .await
        .unwrap();
    (issuer, verifier)
}

fn replace_signature(token: &str, signature: &[u8]) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    let (header, payload) = input.split_once('.').unwrap();
    raw::with_signature(header, payload, signature)
}

fn signature_of(token: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.rsplit('.').next().unwrap())
        .unwrap()
}

#[tokio::test]
async fn every_algorithm_is_verified_over_http_and_its_catalogue_is_refused() {
    for alg in ALGORITHMS {
        let key = key_for(alg);
        let allowed = Algorithm::from_jose(alg.name()).unwrap();
        let (issuer, verifier) = setup(&key, &[allowed]).await;
        let server = serve(verifier).await;
        let good = issuer
            .access_token(DEFAULT_CLIENT_ID, &["orders/read"])
            .unwrap();

        let (status, _, body) = call(&server, &good).await;
        assert_eq!(status, 200, "{alg}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body, json!({"kid": key.kid(), "alg": alg.name()}));
        assert_eq!(server.hits.load(Ordering::SeqCst), 1);

        // The catalogue for this algorithm: each answers 401 invalid_token.
        let signature = signature_of(&good);
        let mut flipped = signature.clone();
        flipped[0] ^= 0x80;
        let mut rows: Vec<(&str, String)> = vec![
            ("flipped bit", replace_signature(&good, &flipped)),
            (
                "truncated",
                replace_signature(&good, &signature[..signature.len() - 1]),
            ),
            (
                "all zero",
                replace_signature(&good, &vec![0; signature.len()]),
            ),
            (
                "HS256 with the public key",
                issuer
                    .token_builder(DEFAULT_CLIENT_ID, &["orders/read"])
                    .header("kid", key.kid())
                    .sign_hs256(key.public_key_spki_pem().as_bytes())
                    .unwrap(),
            ),
            (
                "alg none",
                issuer
                    .token_builder(DEFAULT_CLIENT_ID, &["orders/read"])
                    .header("kid", key.kid())
                    .unsigned(),
            ),
        ];
        if matches!(alg, JwsAlg::Es256 | JwsAlg::Es384) {
            rows.push((
                "DER signature",
                replace_signature(&good, &raw::ecdsa_der(&signature)),
            ));
            let half = signature.len() / 2;
            let zero_r = [&vec![0; half][..], &signature[half..]].concat();
            rows.push(("r = 0", replace_signature(&good, &zero_r)));
        }
        for (name, token) in &rows {
            let (status, challenge, _) = call(&server, token).await;
            assert_eq!(status, 401, "{alg}: {name}");
            assert!(
                challenge.contains("error=\"invalid_token\""),
                "{alg}: {name}: {challenge}"
            );
        }
        assert_eq!(
            server.hits.load(Ordering::SeqCst),
            1,
            "{alg}: a refusal reached the handler"
        );

        // The same token against a verifier with the default list (RS256 only).
        if alg != JwsAlg::Rs256 {
            let strict = Verifier::builder()
                .issuer(
                    Issuer::cognito_issuer(issuer.issuer_url())
                        .client_ids([DEFAULT_CLIENT_ID])
                        .jwks_url(issuer.jwks_url()),
                )
                .prefetch(false)
                .build()
                .await
                .unwrap();
            let before = issuer.jwks_requests();
            let strict_server = serve(strict).await;
            let (status, challenge, _) = call(&strict_server, &good).await;
            assert_eq!(
                (status, challenge.contains("invalid_token")),
                (401, true),
                "{alg}"
            );
            // Refused by alg before any key was needed: nothing was fetched.
            assert_eq!(issuer.jwks_requests(), before, "{alg}");
        }
    }
}
