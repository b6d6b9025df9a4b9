//! The whole client-credentials flow on loopback, with no cloud account:
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! 1. starts the tollgate test issuer (a Cognito-shaped authorization server: JWKS,
//!    discovery and `POST /oauth2/token`) and the demo orders API protected by `AuthLayer`;
//! 2. plays a machine client: obtains access tokens with the client-credentials grant
//!    (`Authorization: Basic`, `grant_type=client_credentials`), exactly as against Cognito;
//! 3. calls the API without a token, with the token, with a token lacking a scope, with an
//!    expired token and with a tampered token, printing each answer; then `GET /reports`
//!    (scope `orders/admin`, or `analysts` in `cognito:groups`) with the machine token and
//!    with the access tokens of two signed-in users, one in group `analysts`;
//! 4. exits with status 1 if any answer differs from the expected one.

#[path = "common/orders_api.rs"]
mod orders_api;

use std::error::Error;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use tollgate::{Issuer, Verifier};
use tollgate_testkit::TestIssuer;

const CLIENT_ID: &str = "quickstart-client";
const CLIENT_SECRET: &str = "quickstart-secret";

type BoxError = Box<dyn Error + Send + Sync>;

/// One expected answer.
struct Expect {
    status: u16,
    /// Text the `WWW-Authenticate` header must contain (`None`: must be absent).
    challenge: Option<&'static str>,
    /// Text the challenge must NOT contain.
    not_in_challenge: Option<&'static str>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("quickstart failed: {error}");
            ExitCode::from(1)
        }
    }
}

async fn run() -> Result<bool, BoxError> {
    // 1. The authorization server (what Cognito is in production).
    let issuer = TestIssuer::builder()
        .resource_server("orders", &["read", "write", "admin"])
        .client(CLIENT_ID, CLIENT_SECRET, &["orders/read", "orders/write"])
        .start()
        .await?;

    // 2. The protected API: trust this issuer's tokens for this app client.
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([CLIENT_ID]))
        .build()
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, orders_api::router(verifier)).await });

    println!("tollgate quickstart");
    println!("  issuer  {}", issuer.issuer_url());
    println!("  api     {api}");
    println!();

    // 3. The machine client: client-credentials grant, like against Cognito.
    let http = reqwest::Client::new();
    let token = client_credentials(&http, &issuer, None).await?;
    let read_only = client_credentials(&http, &issuer, Some("orders/read")).await?;
    let expired = issuer.sign(
        &issuer
            .token_builder(CLIENT_ID, &["orders/read", "orders/write"])
            .issued_at(unix_now() - 7200)
            .expires_at(unix_now() - 3600),
    )?;
    let tampered = tamper(&token);
    // Signed-in users' access tokens (what Cognito issues after a login) carry their groups.
    let analyst = user_token(&issuer, "alice", &["analysts"])?;
    let intern = user_token(&issuer, "bob", &["interns"])?;

    let ok = Expect {
        status: 200,
        challenge: None,
        not_in_challenge: None,
    };
    let calls: [(&str, &str, Option<&str>, &str, Expect); 11] = [
        (
            "GET",
            "/health",
            None,
            "no token, public route",
            ok_expect(200),
        ),
        (
            "GET",
            "/orders",
            None,
            "no token",
            Expect {
                status: 401,
                challenge: Some("Bearer realm=\"orders-api\""),
                not_in_challenge: Some("error="),
            },
        ),
        ("GET", "/orders", Some(&token), "valid token", ok),
        (
            "POST",
            "/orders",
            Some(&token),
            "valid token",
            ok_expect(201),
        ),
        (
            "POST",
            "/orders",
            Some(&read_only),
            "token without orders/write",
            Expect {
                status: 403,
                challenge: Some("error=\"insufficient_scope\", scope=\"orders/write\""),
                not_in_challenge: None,
            },
        ),
        (
            "DELETE",
            "/orders/42",
            Some(&token),
            "token without orders/admin",
            Expect {
                status: 403,
                challenge: Some("scope=\"orders/write orders/admin\""),
                not_in_challenge: None,
            },
        ),
        (
            "GET",
            "/orders",
            Some(&expired),
            "expired token",
            Expect {
                status: 401,
                challenge: Some("error=\"invalid_token\""),
                not_in_challenge: None,
            },
        ),
        (
            "GET",
            "/orders",
            Some(&tampered),
            "tampered token",
            Expect {
                status: 401,
                challenge: Some("error=\"invalid_token\""),
                not_in_challenge: None,
            },
        ),
        (
            "GET",
            "/reports",
            Some(&token),
            "token without orders/admin",
            Expect {
                status: 403,
                challenge: Some("error=\"insufficient_scope\", scope=\"orders/admin\""),
                not_in_challenge: Some("analysts"),
            },
        ),
        (
            "GET",
            "/reports",
            Some(&analyst),
            "user in group analysts",
            ok_expect(200),
        ),
        (
            "GET",
            "/reports",
            Some(&intern),
            "user in group interns",
            Expect {
                status: 403,
                challenge: Some("scope=\"orders/admin\""),
                not_in_challenge: Some("interns"),
            },
        ),
    ];

    let mut all_ok = true;
    for (method, path, bearer, what, expect) in calls {
        let mut request = http.request(method.parse()?, format!("{api}{path}"));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let matches = status == expect.status
            && match (expect.challenge, &challenge) {
                (None, None) => true,
                (Some(want), Some(got)) => {
                    got.contains(want)
                        && expect.not_in_challenge.is_none_or(|bad| !got.contains(bad))
                }
                _ => false,
            };
        all_ok &= matches;
        println!(
            "{} {method:<6} {path:<11} {what:<27} -> {status}{}",
            if matches { "ok  " } else { "FAIL" },
            challenge
                .map(|c| format!("  WWW-Authenticate: {c}"))
                .unwrap_or_default()
        );
        if !matches {
            println!("       expected {} {:?}", expect.status, expect.challenge);
        }
    }
    println!();
    if all_ok {
        println!("every answer was as expected");
    } else {
        println!("some answers differed from the expected ones");
    }
    Ok(all_ok)
}

fn ok_expect(status: u16) -> Expect {
    Expect {
        status,
        challenge: None,
        not_in_challenge: None,
    }
}

/// `POST /oauth2/token` with `grant_type=client_credentials` and HTTP Basic client
/// authentication, as a Cognito machine client does.
async fn client_credentials(
    http: &reqwest::Client,
    issuer: &TestIssuer,
    scope: Option<&str>,
) -> Result<String, BoxError> {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let response = http
        .post(issuer.token_url())
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&form)
        .send()
        .await?;
    let status = response.status();
    let body: serde_json::Value = response.json().await?;
    let token = body["access_token"]
        .as_str()
        .ok_or_else(|| format!("token endpoint answered {status}: {body}"))?;
    println!(
        "POST /oauth2/token  grant_type=client_credentials scope={:<14} -> {status} token_type={} expires_in={}",
        scope.unwrap_or("(all)"),
        body["token_type"],
        body["expires_in"]
    );
    Ok(token.to_owned())
}

/// A signed-in user's access token for this app client: `username`, a user `sub` and the
/// user's `cognito:groups`, as Cognito issues after a login (minted directly by the test
/// issuer: the client-credentials grant has no users).
fn user_token(issuer: &TestIssuer, username: &str, groups: &[&str]) -> Result<String, BoxError> {
    let builder = issuer
        .token_builder(CLIENT_ID, &["openid"])
        .claim("sub", format!("{username}-0000-4000-8000-000000000001"))
        .claim("username", username)
        .claim("cognito:groups", groups.to_vec());
    Ok(issuer.sign(&builder)?)
}

/// Changes the payload (`"scope"` gains a scope) but keeps the original signature.
fn tamper(token: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return format!("{token}x");
    };
    let Ok(bytes) = engine.decode(payload) else {
        return format!("{token}x");
    };
    let forged = String::from_utf8_lossy(&bytes).replace("orders/read", "orders/admin");
    format!("{header}.{}.{signature}", engine.encode(forged))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
