//! The demo orders API for real issuers (Cognito or any OIDC provider), configured only by
//! environment variables:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `TOLLGATE_ISSUER` (required) | the exact `iss` value, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123` |
//! | `TOLLGATE_JWKS_URL` | key set URL; default: `jwks_uri` of the issuer's discovery document, else `{issuer}/.well-known/jwks.json` |
//! | `TOLLGATE_CLIENT_IDS` | comma-separated allowed `client_id` values (default: any client of the issuer) |
//! | `TOLLGATE_AUDIENCE` | required `aud` value |
//! | `TOLLGATE_TOKEN_USE` | `access` (default), `id` (Cognito ID tokens, client checked through `aud`), or `none` (an OIDC issuer: `token_use` not checked) |
//! | `TOLLGATE_ALGORITHMS` | comma-separated allowed algorithms (default `RS256`; also `RS384`, `RS512`, `PS256`, `PS384`, `PS512`, `ES256`, `ES384`, `EdDSA`) |
//! | `TOLLGATE_LISTEN` | listen address (default `127.0.0.1:3000`) |
//!
//! ```text
//! TOLLGATE_ISSUER=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123 \
//! TOLLGATE_CLIENT_IDS=4e8i3example cargo run --example resource_server
//! ```
//!
//! Routes: `GET /health` (no token), `GET /whoami` (any valid token), `GET /orders`
//! (`orders/read`), `POST /orders` (`orders/write`), `DELETE /orders/{id}` (`orders/write`
//! and `orders/admin`), `GET /reports` (`orders/admin`, or `analysts` in `cognito:groups`).
//! Prints `listening on ADDR` once it accepts connections. Bad configuration (an unknown
//! algorithm name included) exits with status 2 and a message naming it.
//!
//! Users' tokens carry groups: with `TOLLGATE_TOKEN_USE=id`, Cognito ID tokens (their `aud`
//! checked against `TOLLGATE_CLIENT_IDS`) reach `GET /reports` through their groups; with
//! `none`, tokens of any OIDC issuer (checked against `TOLLGATE_AUDIENCE` when set) do. Cognito
//! access tokens of signed-in users carry `cognito:groups` too, with the default `access`.

#[path = "common/orders_api.rs"]
mod orders_api;
#[path = "common/resource_server_config.rs"]
mod resource_server_config;

use std::process::ExitCode;

use resource_server_config::{Config, build_verifier};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("configuration error: {message}");
            return ExitCode::from(2);
        }
    };
    let verifier = match build_verifier(&config).await {
        Ok(verifier) => verifier,
        Err(message) => {
            eprintln!("configuration error: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "configuration error: cannot listen on {}: {error}",
                config.listen
            );
            return ExitCode::from(2);
        }
    };
    let addr = listener.local_addr().map_or(config.listen, |a| a);
    println!("listening on {addr}");
    if let Err(error) = axum::serve(listener, orders_api::router(verifier))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    {
        eprintln!("server error: {error}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
