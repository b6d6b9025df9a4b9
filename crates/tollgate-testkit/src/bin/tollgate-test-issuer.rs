//! Runs the testkit's local Cognito-shaped issuer until Ctrl-C.
//!
//! Run with `cargo run -p tollgate-testkit --bin tollgate-test-issuer`.
//!
//! Flags:
//!
//! * `--alg ALG[,ALG...]`: one key per algorithm (`RS256`, `RS384`, `RS512`, `PS256`,
//!   `PS384`, `PS512`, `ES256`, `ES384`, `EdDSA`), all published in the JWKS; tokens are
//!   signed with the first (default `RS256`). For example `--alg ES256,EdDSA` serves a P-256
//!   and an Ed25519 key and mints ES256 tokens. An unknown name exits with status 2.
//!
//! Environment:
//!
//! * `TOLLGATE_TEST_ISSUER_PORT`: port on 127.0.0.1 (default 0: any free port).
//! * `TOLLGATE_TEST_ISSUER_POOL`: user pool id (default `us-east-1_TestPool1`).
//! * `TOLLGATE_TEST_ISSUER_FIXTURE`: `0`..=`3` signs with a committed fixture key,
//!   so the kid survives restarts (default: a fresh key every start). With `--alg`, the
//!   fixture is the RSA key of the first RSA algorithm listed.

use std::env::{self, VarError};
use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use tollgate_testkit::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_RESOURCE_SERVER, DEFAULT_SCOPES, JwsAlg,
    SigningKey, TestIssuer,
};

fn var(name: &str) -> Result<Option<String>, Box<dyn Error>> {
    match env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(VarError::NotPresent) => Ok(None),
        Err(error) => Err(format!("{name}: {error}").into()),
    }
}

/// The algorithms named by `--alg` (default `RS256`), or the message for an unknown name or
/// flag.
fn algorithms(args: &[String]) -> Result<Vec<JwsAlg>, String> {
    let mut list: Option<&str> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if let Some(value) = arg.strip_prefix("--alg=") {
            list = Some(value);
        } else if arg == "--alg" {
            list = Some(
                args.next()
                    .ok_or("--alg needs a value, e.g. --alg ES256,EdDSA")?,
            );
        } else {
            return Err(format!(
                "unknown argument {arg:?} (usage: [--alg ALG[,ALG...]])"
            ));
        }
    }
    let Some(list) = list else {
        return Ok(vec![JwsAlg::Rs256]);
    };
    let mut algorithms = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let alg = JwsAlg::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = JwsAlg::ALL.iter().map(|a| a.name()).collect();
            format!(
                "--alg: unknown algorithm {name:?} (known: {})",
                known.join(", ")
            )
        })?;
        if !algorithms.contains(&alg) {
            algorithms.push(alg);
        }
    }
    if algorithms.is_empty() {
        return Err("--alg lists no algorithm".to_owned());
    }
    Ok(algorithms)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let algorithms = match algorithms(&args) {
        Ok(algorithms) => algorithms,
        Err(message) => {
            eprintln!("tollgate-test-issuer: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&algorithms).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tollgate-test-issuer: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(algorithms: &[JwsAlg]) -> Result<(), Box<dyn Error>> {
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
    let fixture = match var("TOLLGATE_TEST_ISSUER_FIXTURE")? {
        Some(index) => Some(
            index
                .parse::<usize>()
                .map_err(|e| format!("TOLLGATE_TEST_ISSUER_FIXTURE={index:?}: {e}"))?,
        ),
        None => None,
    };
    let mut fixture_used = false;
    for (i, alg) in algorithms.iter().enumerate() {
        let key = match fixture {
            Some(index) if alg.is_rsa() && !fixture_used => {
                fixture_used = true;
                SigningKey::fixture(index)?.with_alg(*alg)
            }
            _ => SigningKey::generate_for(*alg)?,
        };
        builder = if i == 0 {
            builder.signing_key(key)
        } else {
            builder.publish_key(key)
        };
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
    println!(
        "  signing kid    {} ({})",
        issuer.signing_key().kid(),
        issuer.signing_key().algorithm()
    );
    for key in issuer.published_keys().iter().skip(1) {
        println!("  also published {} ({})", key.kid(), key.algorithm());
    }
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
