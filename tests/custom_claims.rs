//! Typed custom claims behind the layer (issue 11): a claims type that derives only
//! `Deserialize` (neither `Clone` nor `Debug`) must work with `AuthLayer` on an axum `Router`
//! and a tonic server, and in `Authenticated<C>` and `Option<Authenticated<C>>`.
//!
//! `new_user_program` is the program a new user writes from the extractor docs, unchanged: it
//! is this file's compile-level test (it did not compile while the layer required `C: Clone`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::routing::get;
use tollgate::{AuthLayer, Authenticated, Issuer, Verifier};

/// Only `Deserialize`: no `Clone`, no `Debug`.
#[derive(serde::Deserialize)]
struct MyClaims {
    #[serde(rename = "custom:tenant")]
    tenant: String,
}

async fn tenant(Authenticated(token): Authenticated<MyClaims>) -> String {
    token.custom().tenant.clone()
}

/// The program: `custom_claims::<MyClaims>()`, `AuthLayer::new(verifier)` on a
/// `Router`, a handler taking `Authenticated<MyClaims>`.
async fn new_user_program(issuer: &str) -> Result<Router, Box<dyn std::error::Error>> {
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer).client_ids(["4e8i3example"]))
        .custom_claims::<MyClaims>()
        .build_lazy()?;
    let app = Router::new()
        .route("/tenant", get(tenant))
        .layer(AuthLayer::new(verifier));
    Ok(app)
}

#[tokio::test]
async fn the_new_user_program_compiles_and_builds() {
    new_user_program("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123")
        .await
        .unwrap();
}
