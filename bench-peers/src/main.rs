//! tollgate and other Rust JWT verifiers side by side, in the same run, under the same HTTP
//! load: the same Cognito-shaped RS256 token and key, the same server shape (one tokio worker,
//! pinned to CPU 0; `GET /whoami` answers the verified `client_id` as text, `GET /health`
//! needs nothing), the same load generator (`../benches/load/mod.rs`, pinned to CPU 1).
//!
//! ```text
//! cd bench-peers && cargo run --release
//! ```
//!
//! | server | verification |
//! | --- | --- |
//! | `tollgate` | `tollgate::AuthLayer` (static key set; `iss`, `exp`, `token_use`, `client_id`; token cache on) |
//! | `jwt-authorizer` | jwt-authorizer 0.15 layer on axum 0.7 (jsonwebtoken 9, ring); `iss`, `exp`, `check` on `token_use`/`client_id` |
//! | `axum-jwt-auth (aws-lc)` | axum-jwt-auth 0.7 `Claims` extractor on axum 0.8 (jsonwebtoken 10, aws-lc-rs provider installed); `iss`, `exp`; `token_use`/`client_id` in the handler |
//! | `axum-jwt-auth (rust_crypto)` | the same with the provider it ships with (jsonwebtoken's `rust_crypto`, RustCrypto `rsa`) |
//! | `jsonwebtoken 11 from_fn` | axum 0.8 `middleware::from_fn` + `jsonwebtoken::decode` (aws_lc_rs), key built once; `iss`, `exp`, `token_use`, `client_id` |
//!
//! Workloads: one repeated token; `LOAD_TOKENS` distinct tokens cycled over all connections;
//! up to `LOAD_UNIQUE` tokens each sent once (the worst case for a cache). Every measurement
//! starts a fresh server process; the order rotates every round; ratios are medians of
//! per-round ratios. See ../BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../benches/common/mod.rs"]
mod common;
#[path = "../../benches/load/mod.rs"]
mod load;

use std::sync::Arc;

use load::{Config, Results, Workload};
use serde::Deserialize;

/// The claims the peers deserialize (serde ignores the others).
#[derive(Debug, Clone, Deserialize)]
struct CognitoClaims {
    client_id: String,
    token_use: String,
}

impl CognitoClaims {
    fn acceptable(&self) -> bool {
        self.token_use == "access" && self.client_id == common::CLIENT_ID
    }
}

const TOLLGATE: &str = "tollgate";
const JWT_AUTHORIZER: &str = "jwt-authorizer";
const AXUM_JWT_AUTH_AWS_LC: &str = "axum-jwt-auth (aws-lc)";
const AXUM_JWT_AUTH_RUST_CRYPTO: &str = "axum-jwt-auth (rust_crypto)";
const JSONWEBTOKEN: &str = "jsonwebtoken 11 from_fn";

fn role_name(label: &str) -> String {
    label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Servers

fn serve(role: &str) {
    let workers = std::env::var("LOAD_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let key = common::key();
    let runtime = load::server_runtime(workers);
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        if role == role_name(TOLLGATE) {
            let cache = std::env::var("LOAD_TOKEN_CACHE").map_or(true, |v| v != "0");
            let app = tollgate_router(common::verifier(&key, cache));
            load::announce(addr);
            axum::serve(listener, app).await.unwrap();
        } else if role == role_name(JWT_AUTHORIZER) {
            let app = jwt_authorizer_router(&key).await;
            load::announce(addr);
            axum07::serve(listener, app).await.unwrap();
        } else if role == role_name(AXUM_JWT_AUTH_AWS_LC) {
            jsonwebtoken10::crypto::aws_lc::DEFAULT_PROVIDER
                .install_default()
                .unwrap();
            load::announce(addr);
            axum::serve(listener, axum_jwt_auth_router(&key))
                .await
                .unwrap();
        } else if role == role_name(AXUM_JWT_AUTH_RUST_CRYPTO) {
            jsonwebtoken10::crypto::rust_crypto::DEFAULT_PROVIDER
                .install_default()
                .unwrap();
            load::announce(addr);
            axum::serve(listener, axum_jwt_auth_router(&key))
                .await
                .unwrap();
        } else if role == role_name(JSONWEBTOKEN) {
            load::announce(addr);
            axum::serve(listener, jsonwebtoken_router(&key))
                .await
                .unwrap();
        } else {
            panic!("unknown role {role}");
        }
    });
}

async fn health() -> &'static str {
    "ok"
}

fn tollgate_router(verifier: tollgate::Verifier) -> axum::Router {
    use axum::routing::get;
    use tollgate::{AuthLayer, Authenticated};

    async fn whoami(Authenticated(token): Authenticated) -> String {
        token.client_id().unwrap_or_default().to_owned()
    }
    axum::Router::new()
        .route("/health", get(health))
        .route("/whoami", get(whoami))
        .layer(AuthLayer::new(verifier).skip_path("/health"))
}

async fn jwt_authorizer_router(key: &tollgate_testkit::SigningKey) -> axum07::Router {
    use axum07::routing::get;
    use jwt_authorizer::{IntoLayer, JwtAuthorizer, JwtClaims, Validation};

    async fn whoami(JwtClaims(claims): JwtClaims<CognitoClaims>) -> String {
        claims.client_id
    }
    let authorizer =
        JwtAuthorizer::<CognitoClaims>::from_jwks_text(&tollgate_testkit::jwks_json(&[key]))
            .validation(Validation::new().iss(&[common::ISSUER]))
            .check(CognitoClaims::acceptable)
            .build()
            .await
            .unwrap();
    axum07::Router::new()
        .route("/whoami", get(whoami))
        .layer(authorizer.into_layer())
        .route("/health", get(health))
}

fn axum_jwt_auth_router(key: &tollgate_testkit::SigningKey) -> axum::Router {
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum_jwt_auth::{Claims, Decoder, LocalDecoder};
    use jsonwebtoken10::{Algorithm, DecodingKey, Validation};

    async fn whoami(claims: Claims<CognitoClaims>) -> Result<String, StatusCode> {
        // axum-jwt-auth has no claim checks of its own: done here, as a user would.
        if claims.claims.acceptable() {
            Ok(claims.claims.client_id)
        } else {
            Err(StatusCode::UNAUTHORIZED)
        }
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[common::ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    // LocalDecoder refuses a validation without an audience, but Cognito access tokens have
    // no `aud` (their audience is `client_id`): name one and switch its check off.
    validation.set_audience(&["unused"]);
    validation.validate_aud = false;
    let decoder: Decoder<CognitoClaims> = Arc::new(
        LocalDecoder::builder()
            .keys(vec![DecodingKey::from_rsa_raw_components(
                key.modulus(),
                key.exponent(),
            )])
            .validation(validation)
            .build()
            .unwrap(),
    );
    axum::Router::new()
        .route("/health", get(health))
        .route("/whoami", get(whoami))
        .with_state(decoder)
}

struct Jwt11 {
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

fn jsonwebtoken_router(key: &tollgate_testkit::SigningKey) -> axum::Router {
    use axum::extract::{Request, State};
    use axum::http::StatusCode;
    use axum::middleware::{self, Next};
    use axum::response::Response;
    use axum::routing::get;
    use axum::{Extension, http};

    async fn verify(
        State(jwt): State<Arc<Jwt11>>,
        mut request: Request,
        next: Next,
    ) -> Result<Response, StatusCode> {
        let token = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let data = jsonwebtoken::decode::<CognitoClaims>(token, &jwt.key, &jwt.validation)
            .map_err(|_| StatusCode::UNAUTHORIZED)?;
        if !data.claims.acceptable() {
            return Err(StatusCode::UNAUTHORIZED);
        }
        request.extensions_mut().insert(Arc::new(data.claims));
        Ok(next.run(request).await)
    }
    async fn whoami(Extension(claims): Extension<Arc<CognitoClaims>>) -> String {
        claims.client_id.clone()
    }
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[common::ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.validate_aud = false;
    let jwt = Arc::new(Jwt11 {
        key: jsonwebtoken::DecodingKey::from_rsa_raw_components(key.modulus(), key.exponent()),
        validation,
    });
    axum::Router::new()
        .route("/whoami", get(whoami))
        .layer(middleware::from_fn_with_state(jwt, verify))
        .route("/health", get(health))
}

// ---------------------------------------------------------------------------------------------
// The run

struct Measurement {
    label: String,
    role: String,
    workload: Workload,
    vars: Vec<(&'static str, String)>,
}

fn main() {
    let paths = common::cpu_paths();
    if let Ok(role) = std::env::var(load::ROLE) {
        serve(&role);
        return;
    }
    let config = Config::from_env(3.0);
    println!("# Peers side by side: one server process per measurement, 1 tokio worker");
    println!("cpu: {}; code paths: {paths}", common::cpu_class());
    println!(
        "command: {} cargo run --release (in bench-peers/)",
        config.describe()
    );
    let load::Requests {
        health,
        repeated,
        pool,
        unique,
    } = load::prepare(&config, "servers");
    let repeated = Workload::cycle(vec![repeated]);
    let pool = Workload::cycle(pool);
    let unique = Workload::once(unique);

    let mut plan = vec![
        Measurement {
            label: "axum 0.8, GET /health (no auth)".into(),
            role: role_name(JSONWEBTOKEN),
            workload: Workload::cycle(vec![health.clone()]),
            vars: vec![],
        },
        Measurement {
            label: "axum 0.7, GET /health (no auth)".into(),
            role: role_name(JWT_AUTHORIZER),
            workload: Workload::cycle(vec![health.clone()]),
            vars: vec![],
        },
    ];
    let servers = [
        TOLLGATE,
        JWT_AUTHORIZER,
        AXUM_JWT_AUTH_AWS_LC,
        AXUM_JWT_AUTH_RUST_CRYPTO,
        JSONWEBTOKEN,
    ];
    for (mode, workload) in [
        ("repeated", &repeated),
        ("distinct", &pool),
        ("unique", &unique),
    ] {
        for server in servers {
            plan.push(Measurement {
                label: format!("{server} [{mode}]"),
                role: role_name(server),
                workload: workload.clone(),
                vars: vec![],
            });
        }
    }
    plan.push(Measurement {
        label: format!("{TOLLGATE}, cache off [unique]"),
        role: role_name(TOLLGATE),
        workload: unique.clone(),
        vars: vec![("LOAD_TOKEN_CACHE", "0".to_owned())],
    });
    println!(
        "workloads: repeated = 1 token; distinct = {} tokens cycled over all connections (each \
         first use is a miss for a cache); unique = up to {} tokens, each sent once",
        config.pool, config.unique
    );
    println!();

    // `PEERS_ONLY=<text>`: only the measurements whose label contains it (for profiling).
    if let Ok(only) = std::env::var("PEERS_ONLY") {
        plan.retain(|m| m.label.contains(&only));
    }
    let mut results = Results::new(config.rounds);
    for round in 0..config.rounds {
        for k in 0..plan.len() {
            let m = &plan[(k + round) % plan.len()];
            let stats = load::measure(&m.role, &m.vars, &health, &m.workload, &config);
            println!("{}", load::line(round + 1, &m.label, &stats));
            results.record(&m.label, round, stats);
        }
    }

    println!();
    println!(
        "{} rounds × {} s per measurement, {} connections; loadavg now {}; foreign build \
         processes now: {}",
        config.rounds,
        config.seconds,
        config.connections,
        load::loadavg(),
        load::foreign_builds().len()
    );
    println!();
    print!(
        "{}",
        results.table(
            |label| {
                let (server, mode) = label.rsplit_once(" [")?;
                (server != TOLLGATE).then(|| format!("{TOLLGATE} [{mode}"))
            },
            true
        )
    );
    println!();
    for mode in ["repeated", "distinct", "unique"] {
        let tollgate = format!("{TOLLGATE} [{mode}]");
        let best = [JWT_AUTHORIZER, AXUM_JWT_AUTH_AWS_LC, JSONWEBTOKEN]
            .iter()
            .map(|peer| {
                let label = format!("{peer} [{mode}]");
                (results.median_rate(&label), label)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap();
        let ratio = results.ratio(&tollgate, &best.1);
        let verdict = if mode == "distinct" {
            if ratio >= 1.3 {
                "  [target >= 1.3: met]"
            } else {
                "  [target >= 1.3: MISSED]"
            }
        } else {
            ""
        };
        println!(
            "{mode}: tollgate / best peer ({}) = {ratio:.2}x req/s, {:.2}x requests per server \
             CPU second{verdict}",
            best.1,
            results.cpu_ratio(&tollgate, &best.1)
        );
        if mode == "unique" {
            println!(
                "target: unique tokens, tollgate >= 1.10x the best peer: {ratio:.2}x  [{}]",
                met(ratio >= 1.10)
            );
            let off = format!("{TOLLGATE}, cache off [unique]");
            let on_off = results.ratio(&tollgate, &off);
            println!(
                "target: unique tokens, cache on >= 0.95x cache off (admission rule): {on_off:.3}x \
                 req/s, {:.3}x requests per server CPU second  [{}]",
                results.cpu_ratio(&tollgate, &off),
                met(on_off >= 0.95)
            );
        }
    }
}

fn met(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
