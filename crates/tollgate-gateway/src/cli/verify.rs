//! `tollgate verify`: full verification of one token, with the library's verifier.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::Value;
use tollgate_verify::{Issuer, TokenUse, Verifier, VerifierBuilder};

use super::{input, report};
use crate::Config;
use crate::claims_json::claims_object;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// Cognito when the issuer's last path segment is a user pool id (`eu-west-1_AbC123`).
    Auto,
    /// Amazon Cognito: `token_use` checked, clients by `client_id`.
    Cognito,
    /// Any OIDC issuer: `aud` checked, keys from discovery.
    Oidc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Use {
    Access,
    Id,
    Unchecked,
}

#[derive(Debug, Args)]
pub(super) struct VerifyArgs {
    /// The trusted issuer, exactly as tokens carry it in `iss`.
    #[arg(
        long,
        value_name = "URL",
        required_unless_present = "config",
        conflicts_with = "config"
    )]
    issuer: Option<String>,
    /// What kind of issuer it is.
    #[arg(long, value_enum, default_value_t = Kind::Auto, conflicts_with = "config")]
    kind: Kind,
    /// An allowed app client (repeat for several).
    #[arg(long = "client-id", value_name = "ID", conflicts_with = "config")]
    client_ids: Vec<String>,
    /// Accept every client of the issuer.
    #[arg(long, conflicts_with = "config")]
    any_client: bool,
    /// An accepted audience (repeat for several).
    #[arg(long = "audience", value_name = "AUD", conflicts_with = "config")]
    audiences: Vec<String>,
    /// Accept every audience.
    #[arg(long, conflicts_with = "config")]
    any_audience: bool,
    /// Which Cognito token to accept.
    #[arg(long, value_enum, conflicts_with = "config")]
    token_use: Option<Use>,
    /// Fetch the keys from here instead of the issuer's own location (local Cognito emulators
    /// such as LocalStack, whose tokens carry the real AWS issuer while keys are served
    /// locally).
    #[arg(long, value_name = "URL", conflicts_with = "config")]
    jwks_url: Option<String>,
    /// Take the issuers and settings from this configuration file instead.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The token, or `-` (or nothing) to read it from standard input.
    #[arg(value_name = "TOKEN")]
    token: Option<String>,
}

/// Whether `iss` ends in a Cognito user pool id (`{region}_{id}`).
fn looks_like_cognito(iss: &str) -> bool {
    let Some(last) = iss.trim_end_matches('/').rsplit('/').next() else {
        return false;
    };
    let Some((region, id)) = last.split_once('_') else {
        return false;
    };
    region.split('-').count() >= 3
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn builder(args: &VerifyArgs) -> Result<VerifierBuilder, Box<dyn std::error::Error>> {
    if let Some(path) = &args.config {
        return Ok(Config::load(path)?.verifier_builder());
    }
    let iss = args.issuer.clone().unwrap_or_default();
    let cognito = match args.kind {
        Kind::Cognito => true,
        Kind::Oidc => false,
        Kind::Auto => looks_like_cognito(&iss),
    };
    let mut issuer = if cognito {
        Issuer::cognito_issuer(iss)
    } else {
        Issuer::oidc(iss)
    };
    if !args.client_ids.is_empty() {
        issuer = issuer.client_ids(args.client_ids.iter().cloned());
    }
    if args.any_client {
        issuer = issuer.any_client();
    }
    if !args.audiences.is_empty() {
        issuer = issuer.audience(args.audiences.iter().cloned());
    }
    if args.any_audience {
        issuer = issuer.any_audience();
    }
    if let Some(token_use) = args.token_use {
        issuer = issuer.token_use(match token_use {
            Use::Access => TokenUse::Access,
            Use::Id => TokenUse::Id,
            Use::Unchecked => TokenUse::Unchecked,
        });
    }
    if let Some(url) = &args.jwks_url {
        issuer = issuer.jwks_url(url.clone());
    }
    Ok(Verifier::builder().issuer(issuer))
}

pub(super) async fn run(args: VerifyArgs) -> ExitCode {
    let token = match input::token(args.token.as_deref()) {
        Ok(token) => token,
        Err(problem) => {
            eprintln!("error: {problem}");
            return ExitCode::FAILURE;
        }
    };
    let verifier = match builder(&args) {
        Ok(builder) => match builder.build().await {
            Ok(verifier) => verifier,
            Err(error) => {
                report(&error);
                return ExitCode::FAILURE;
            }
        },
        Err(error) => {
            report(error.as_ref());
            return ExitCode::FAILURE;
        }
    };
    match verifier.verify(&token).await {
        Ok(verified) => {
            let claims = Value::Object(claims_object(verified.claims()));
            match serde_json::to_string_pretty(&claims) {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(error) => {
            eprintln!("invalid token: {error} (reason: {})", error.reason());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognito_issuers_are_recognised_by_their_pool_id() {
        assert!(looks_like_cognito(
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
        ));
        assert!(looks_like_cognito(
            "http://127.0.0.1:4566/us-east-1_TestPool1"
        ));
        assert!(!looks_like_cognito("https://sso.example.com/realms/prod"));
        assert!(!looks_like_cognito("https://login.example.com/my_tenant"));
    }
}
