//! gRPC (tonic 0.14) behind tollgate: one `AuthLayer` for the whole server and a `GrpcScopesLayer`
//! map of per-method scope requirements.
//!
//! ```sh
//! cargo run --example grpc
//! RUST_LOG=tollgate=debug cargo run --example grpc   # also log why each call was refused
//! ```
//!
//! Runs everything in one process, on loopback:
//!
//! 1. starts the local Cognito-shaped test issuer (`tollgate-testkit`);
//! 2. starts an `orders.v1.Orders` tonic server (hand-written prost messages, no protoc; the
//!    service lives in `tests/common/orders_grpc.rs`, shared with `tests/grpc_answers.rs`)
//!    protected by
//!
//!    ```text
//!    Server::builder()
//!        .layer(AuthLayer::new(verifier))
//!        .layer(GrpcScopesLayer::new()
//!            .method("/orders.v1.Orders/GetOrder", ScopeRequirement::any(["orders/read"]))
//!            .method("/orders.v1.Orders/DeleteOrder", ScopeRequirement::all(["orders/write", "orders/admin"]))
//!            .method("/orders.v1.Orders/WhoAmI", ScopeRequirement::authenticated()))
//!    ```
//!
//!    (`/orders.v1.Orders/Ping` is implemented but not in the map, so it is always denied);
//! 3. plays the client: gets access tokens from the issuer's `/oauth2/token` endpoint with the
//!    client-credentials grant (HTTP Basic client authentication), calls the methods with no
//!    token, a bad token, a token lacking a scope, a sufficient token, and an unmapped method,
//!    and prints a transcript.
//!
//! Exits non-zero if any gRPC code differs from the expected one.

#[path = "../tests/common/orders_grpc.rs"]
mod orders_grpc;

use std::error::Error;
use std::process::ExitCode;

use orders_grpc::{DELETE_ORDER, GET_ORDER, PING, WHO_AM_I, call, request};
use tollgate::{Issuer, Verifier};
use tollgate_testkit::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SigningKey, TestIssuer};
use tonic::Code;

/// An access token from the issuer's token endpoint (client credentials, Basic auth).
async fn client_credentials(
    http: &reqwest::Client,
    issuer: &TestIssuer,
    scope: &str,
) -> Result<String, Box<dyn Error>> {
    let answer: serde_json::Value = http
        .post(issuer.token_url())
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    answer["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "token endpoint answered without access_token".into())
}

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();

    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0)?)
        .start()
        .await?;
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .build()
        .await?;
    let server = orders_grpc::serve(verifier).await?;
    println!("issuer      {}", issuer.issuer_url());
    println!("gRPC server http://{}", server.addr);

    let http = reqwest::Client::builder().no_proxy().build()?;
    let reader = client_credentials(&http, &issuer, "orders/read").await?;
    let admin = client_credentials(&http, &issuer, "orders/read orders/write orders/admin").await?;
    println!(
        "tokens      from {} (client_credentials)\n",
        issuer.token_url()
    );

    let steps: [(&str, &'static str, Option<&str>, Code); 7] = [
        ("no token", GET_ORDER, None, Code::Unauthenticated),
        (
            "bad token",
            GET_ORDER,
            Some("not-a-jwt"),
            Code::Unauthenticated,
        ),
        ("orders/read", GET_ORDER, Some(&reader), Code::Ok),
        (
            "orders/read",
            DELETE_ORDER,
            Some(&reader),
            Code::PermissionDenied,
        ),
        ("read+write+admin", DELETE_ORDER, Some(&admin), Code::Ok),
        ("read+write+admin", WHO_AM_I, Some(&admin), Code::Ok),
        (
            "read+write+admin",
            PING,
            Some(&admin),
            Code::PermissionDenied,
        ),
    ];
    let channel = server.channel().await?;
    let mut failures = 0;
    println!("   {:<30} {:<18} {:<18} message", "method", "token", "code");
    for (who, path, token, expected) in steps {
        let (code, message) = match call(channel.clone(), path, request("17", token)).await {
            Ok(reply) => {
                let reply = reply.into_inner();
                (
                    Code::Ok,
                    format!(
                        "client_id={} scopes=[{}]",
                        reply.client_id,
                        reply.scopes.join(" ")
                    ),
                )
            }
            Err(status) => (status.code(), status.message().to_owned()),
        };
        let mark = if code == expected {
            "ok"
        } else {
            failures += 1;
            "!!"
        };
        let code = format!("{code:?}");
        println!("{mark} {path:<30} {who:<18} {code:<18} {message}");
        if mark == "!!" {
            println!("   expected {expected:?}");
        }
    }
    println!(
        "\nhandler calls: {} (only the OK answers reached the service)",
        server.orders.handled()
    );
    drop(server);
    issuer.shutdown().await;

    if failures == 0 {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{failures} answer(s) differ from the expected gRPC code");
        Ok(ExitCode::FAILURE)
    }
}
