//! Shared fixtures of the benches: one Cognito-shaped access token and its key.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use tollgate::jwks::JwksSource;
use tollgate::{Issuer, Verifier};
use tollgate_testkit::{SigningKey, TokenBuilder, jwks_json};

pub(crate) const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123";
pub(crate) const CLIENT_ID: &str = "4e8i3exampleclientid0000";

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub(crate) fn key() -> SigningKey {
    SigningKey::fixture(0).unwrap()
}

/// A Cognito access token shaped like the one in ../shared/docs/performance.md (about 1.2 KB:
/// user-token claims, groups, ten-year expiry).
pub(crate) fn builder(now: u64, jti: &str) -> TokenBuilder {
    TokenBuilder::access_token(
        ISSUER,
        CLIENT_ID,
        &[
            "orders/read",
            "orders/write",
            "aws.cognito.signin.user.admin",
        ],
        now,
    )
    .claim("sub", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    .claim("cognito:groups", serde_json::json!(["admin", "ops"]))
    .claim("origin_jti", "11111111-2222-3333-4444-555555555555")
    .claim("event_id", "66666666-7777-8888-9999-000000000000")
    .claim("username", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    .claim("jti", jti)
    .expires_at(now + 10 * 365 * 24 * 3600)
}

pub(crate) fn token(key: &SigningKey) -> String {
    builder(now(), "c0ffee00-1111-2222-3333-444455556666")
        .sign(key)
        .unwrap()
}

pub(crate) fn verifier(key: &SigningKey, cache: bool) -> Verifier {
    let builder = Verifier::builder().issuer(
        Issuer::cognito_issuer(ISSUER)
            .client_ids([CLIENT_ID])
            .jwks_source(JwksSource::static_json(jwks_json(&[key]))),
    );
    let builder = if cache {
        builder
    } else {
        builder.without_token_cache()
    };
    builder.build_lazy().unwrap()
}
