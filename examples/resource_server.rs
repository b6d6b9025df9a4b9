//! The demo orders API for real issuers (Cognito or any OIDC provider), configured only by
//! environment variables:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `TOLLGATE_ISSUER` (required) | the exact `iss` value, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123` |
//! | `TOLLGATE_JWKS_URL` | key set URL; default: `jwks_uri` of the issuer's discovery document, else `{issuer}/.well-known/jwks.json` |
//! | `TOLLGATE_CLIENT_IDS` | comma-separated allowed `client_id` values (default: any client of the issuer) |
//! | `TOLLGATE_AUDIENCE` | required `aud` value |
//! | `TOLLGATE_TOKEN_USE` | `access` (default), `id`, or `none` for issuers without `token_use` |
//! | `TOLLGATE_LISTEN` | listen address (default `127.0.0.1:3000`) |
//!
//! ```text
//! TOLLGATE_ISSUER=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123 \
//! TOLLGATE_CLIENT_IDS=4e8i3example cargo run --example resource_server
//! ```
//!
//! Routes: `GET /health` (no token), `GET /whoami` (any valid token), `GET /orders`
//! (`orders/read`), `POST /orders` (`orders/write`), `DELETE /orders/{id}` (`orders/write`
//! and `orders/admin`). Prints `listening on ADDR` once it accepts connections. Bad
//! configuration exits with status 2 and a message.

#[path = "common/orders_api.rs"]
mod orders_api;

use std::net::SocketAddr;
use std::process::ExitCode;

use tollgate::{BuildError, Issuer, JwksSource, TokenUse, Verifier};

struct Config {
    issuer: String,
    jwks_url: Option<String>,
    client_ids: Option<Vec<String>>,
    audience: Option<String>,
    token_use: Option<TokenUse>,
    listen: SocketAddr,
}

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

impl Config {
    fn from_env() -> Result<Self, String> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let issuer = var("TOLLGATE_ISSUER")
            .ok_or("TOLLGATE_ISSUER is required (the exact `iss` of accepted tokens)")?;
        let token_use = match var("TOLLGATE_TOKEN_USE").as_deref() {
            None | Some("access") => Some(TokenUse::Access),
            Some("id") => Some(TokenUse::Id),
            Some("none") => None,
            Some(other) => {
                return Err(format!(
                    "TOLLGATE_TOKEN_USE must be `access`, `id` or `none`, not {other:?}"
                ));
            }
        };
        let listen = var("TOLLGATE_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned())
            .parse()
            .map_err(|e| format!("TOLLGATE_LISTEN is not a socket address: {e}"))?;
        let client_ids = var("TOLLGATE_CLIENT_IDS").map(|ids| {
            ids.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        });
        if client_ids.as_ref().is_some_and(Vec::is_empty) {
            return Err("TOLLGATE_CLIENT_IDS is set but lists no client id".to_owned());
        }
        Ok(Self {
            issuer,
            jwks_url: var("TOLLGATE_JWKS_URL"),
            client_ids,
            audience: var("TOLLGATE_AUDIENCE"),
            token_use,
            listen,
        })
    }

    fn issuer(&self) -> Issuer {
        let mut issuer = match self.token_use {
            Some(token_use) => Issuer::cognito_issuer(&self.issuer).token_use(token_use),
            None => Issuer::oidc(&self.issuer),
        };
        issuer = match (&self.client_ids, self.token_use) {
            (Some(ids), _) => issuer.client_ids(ids.clone()),
            (None, Some(_)) => issuer.any_client(),
            (None, None) => issuer,
        };
        match &self.audience {
            Some(audience) => issuer.audience([audience.clone()]),
            None if self.token_use.is_none() => issuer.any_audience(),
            None => issuer,
        }
    }
}

/// An error and its causes, one after the other (each error's message leaves its cause to
/// `source()`).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn build_verifier(config: &Config) -> Result<Verifier, String> {
    let describe = |e: BuildError| chain(&e);
    if let Some(url) = &config.jwks_url {
        return Verifier::builder()
            .issuer(config.issuer().jwks_url(url.clone()))
            .build()
            .await
            .map_err(describe);
    }
    // Discovery first (the issuer's `jwks_uri`), then the conventional location.
    let discovery = JwksSource::discovery(&config.issuer).map_err(|e| chain(&e))?;
    match Verifier::builder()
        .issuer(config.issuer().jwks_source(discovery))
        .build()
        .await
    {
        Ok(verifier) => Ok(verifier),
        Err(BuildError::Prefetch(cause)) => {
            tracing::warn!(error = %cause, "discovery failed; using {{issuer}}/.well-known/jwks.json");
            let url = format!(
                "{}/.well-known/jwks.json",
                config.issuer.trim_end_matches('/')
            );
            Verifier::builder()
                .issuer(config.issuer().jwks_url(url))
                .build()
                .await
                .map_err(describe)
        }
        Err(other) => Err(describe(other)),
    }
}
