//! Runs the testkit's local Cognito-shaped issuer until Ctrl-C.
//!
//! Run with `cargo run -p tollgate-testkit --bin tollgate-test-issuer`.
//!
//! Environment:
//!
//! * `TOLLGATE_TEST_ISSUER_PORT`: port on 127.0.0.1 (default 0: any free port).
//! * `TOLLGATE_TEST_ISSUER_POOL`: user pool id (default `us-east-1_TestPool1`).
//! * `TOLLGATE_TEST_ISSUER_FIXTURE`: `0`..=`3` signs with a committed fixture key,
//!   so the kid survives restarts (default: a fresh key every start).

use std::env::{self, VarError};
use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr};

use tollgate_testkit::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_RESOURCE_SERVER, DEFAULT_SCOPES, SigningKey,
    TestIssuer,
};

fn var(name: &str) -> Result<Option<String>, Box<dyn Error>> {
    match env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(VarError::NotPresent) => Ok(None),
        Err(error) => Err(format!("{name}: {error}").into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let port: u16 = match var("TOLLGATE_TEST_ISSUER_PORT")? {
        Some(port) => port
            .parse()
            .map_err(|e| format!("TOLLGATE_TEST_ISSUER_PORT={port:?}: {e}"))?,
        None => 0,
    };
    let mut builder = TestIssuer::builder().bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    if let Some(pool) = var("TOLLGATE_TEST_ISSUER_POOL")? {
        builder = builder.pool_id(&pool);
    }
    if let Some(index) = var("TOLLGATE_TEST_ISSUER_FIXTURE")? {
        let index: usize = index
            .parse()
            .map_err(|e| format!("TOLLGATE_TEST_ISSUER_FIXTURE={index:?}: {e}"))?;
        builder = builder.signing_key(SigningKey::fixture(index)?);
    }
    let issuer = builder.start().await?;

    let scopes: Vec<String> = DEFAULT_SCOPES
        .iter()
        .map(|s| format!("{DEFAULT_RESOURCE_SERVER}/{s}"))
        .collect();
    println!("tollgate test issuer (Cognito-shaped, client credentials)");
    println!();
    println!("  issuer (iss)   {}", issuer.issuer_url());
    println!("  JWKS           {}", issuer.jwks_url());
    println!("  discovery      {}", issuer.discovery_url());
    println!("  token endpoint {}", issuer.token_url());
    println!("  signing kid    {}", issuer.signing_key().kid());
    println!("  client id      {DEFAULT_CLIENT_ID}");
    println!("  client secret  {DEFAULT_CLIENT_SECRET}");
    println!("  scopes         {}", scopes.join(" "));
    println!();
    println!("Get an access token:");
    println!();
    println!(
        "  curl -s -u '{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}' \\\n    \
         -H 'Content-Type: application/x-www-form-urlencoded' \\\n    \
         -d 'grant_type=client_credentials' -d 'scope={}' \\\n    \
         {}",
        scopes.first().map_or("", String::as_str),
        issuer.token_url()
    );
    println!();
    println!("Press Ctrl-C to stop.");

    tokio::signal::ctrl_c().await?;
    issuer.shutdown().await;
    Ok(())
}
