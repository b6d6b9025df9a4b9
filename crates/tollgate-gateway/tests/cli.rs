//! The `tollgate` binary, run as a user runs it, against the test issuer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use tollgate_testkit::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TestIssuer};

const BIN: &str = env!("CARGO_BIN_EXE_tollgate");

fn run(args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("TOLLGATE_CLIENT_SECRET")
        .env_remove("TOLLGATE_CONFIG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the binary starts");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("stdin written");
    }
    drop(input);
    child.wait_with_output().expect("the binary ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_command_has_help() {
    for command in ["serve", "check-config", "token", "verify", "decode"] {
        let output = run(&[command, "--help"], &[], None);
        assert!(output.status.success(), "{command} --help");
        assert!(
            text(&output.stdout).contains(&format!("Usage: tollgate {command}")),
            "{command}"
        );
    }
    let output = run(&["--help"], &[], None);
    assert!(output.status.success());
    let output = run(&["token", "--client-secret", "x"], &[], None);
    assert_eq!(output.status.code(), Some(2), "no secret flag exists");
}

async fn issuer() -> TestIssuer {
    common::issuer().await
}

#[tokio::test]
async fn token_gets_an_access_token_with_the_secret_from_the_environment() {
    let issuer = issuer().await;
    let url = issuer.token_url();
    let output = tokio::task::spawn_blocking(move || {
        let args = [
            "token",
            "--token-url",
            &url,
            "--client-id",
            DEFAULT_CLIENT_ID,
            "--scope",
            "orders/read",
        ];
        run(
            &args,
            &[("TOLLGATE_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)],
            None,
        )
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let token = text(&output.stdout).trim().to_owned();
    assert_eq!(token.split('.').count(), 3);
    assert_eq!(issuer.token_requests(), 1);

    let url = issuer.token_url();
    let output = tokio::task::spawn_blocking(move || {
        run(
            &[
                "token",
                "--token-url",
                &url,
                "--client-id",
                DEFAULT_CLIENT_ID,
                "--json",
            ],
            &[("TOLLGATE_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)],
            None,
        )
    })
    .await
    .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["token_type"], "Bearer");

    // RFC 6749 errors are shown as they came.
    let url = issuer.token_url();
    let output = tokio::task::spawn_blocking(move || {
        run(
            &[
                "token",
                "--token-url",
                &url,
                "--client-id",
                DEFAULT_CLIENT_ID,
            ],
            &[("TOLLGATE_CLIENT_SECRET", "wrong")],
            None,
        )
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("401") && stderr.contains("\"error\":\"invalid_client\""),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong"), "the secret is never printed");

    let output = run(
        &[
            "token",
            "--token-url",
            "http://auth.example.com/oauth2/token",
            "--client-id",
            "x",
        ],
        &[("TOLLGATE_CLIENT_SECRET", "s")],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("in clear"));
}

#[tokio::test]
async fn verify_prints_claims_or_the_reason() {
    let issuer = issuer().await;
    let iss = issuer.issuer_url();
    let token = common::token(&issuer, &["orders/read"]);
    let verify = move |extra: Vec<String>, stdin: Option<String>| {
        let iss = iss.clone();
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["verify".to_owned(), "--issuer".to_owned(), iss];
            args.extend(extra);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&args, &[], stdin.as_deref())
        })
    };

    let output = verify(
        vec![
            "--client-id".into(),
            DEFAULT_CLIENT_ID.into(),
            token.clone(),
        ],
        None,
    )
    .await
    .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let claims: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(claims["client_id"], DEFAULT_CLIENT_ID);
    assert_eq!(claims["scope"], "orders/read");

    let output = verify(
        vec!["--client-id".into(), DEFAULT_CLIENT_ID.into(), "-".into()],
        Some(format!("{token}\n")),
    )
    .await
    .unwrap();
    assert!(output.status.success(), "token from standard input");

    let output = verify(
        vec!["--client-id".into(), "another-client".into(), token.clone()],
        None,
    )
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("reason: client_not_allowed"),
        "{}",
        text(&output.stderr)
    );

    let expired = issuer
        .sign(
            &issuer
                .token_builder(DEFAULT_CLIENT_ID, &[])
                .issued_at(1_000_000)
                .expires_at(1_000_100),
        )
        .unwrap();
    let output = verify(
        vec!["--client-id".into(), DEFAULT_CLIENT_ID.into(), expired],
        None,
    )
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("reason: expired"),
        "{}",
        text(&output.stderr)
    );

    let output = verify(vec![token.clone()], None).await.unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a Cognito issuer needs a client policy"
    );

    // The same with the issuers of a configuration file.
    let dir = std::env::temp_dir().join(format!("tollgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("verify.toml");
    std::fs::write(&file, common::issuer_toml(&issuer)).unwrap();
    let path = file.display().to_string();
    let output =
        tokio::task::spawn_blocking(move || run(&["verify", "--config", &path, &token], &[], None))
            .await
            .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn verify_takes_keys_from_a_local_emulator() {
    // LocalStack's tokens carry the real AWS issuer while keys are served locally.
    const AWS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";
    let issuer = TestIssuer::builder()
        .signing_key(tollgate_testkit::SigningKey::fixture(0).unwrap())
        .issuer_override(AWS)
        .start()
        .await
        .unwrap();
    let token = common::token(&issuer, &[]);
    let jwks = issuer.jwks_url();
    let output = tokio::task::spawn_blocking(move || {
        run(
            &[
                "verify",
                "--issuer",
                AWS,
                "--jwks-url",
                &jwks,
                "--client-id",
                DEFAULT_CLIENT_ID,
                &token,
            ],
            &[],
            None,
        )
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn decode_shows_without_verifying() {
    let issuer = issuer().await;
    let token = common::token(&issuer, &["orders/read"]);
    let output = run(&["decode", &token], &[], None);
    assert!(output.status.success());
    let decoded: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decoded["header"]["alg"], "RS256");
    assert_eq!(decoded["claims"]["client_id"], DEFAULT_CLIENT_ID);
    assert!(text(&output.stderr).contains("NOT verified"));
    let output = run(&["decode"], &[], Some("not-a-token"));
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("three parts"));
}

#[tokio::test]
async fn check_config_validates_without_starting() {
    let issuer = issuer().await;
    let dir = std::env::temp_dir().join(format!("tollgate-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        format!(
            "listen = \"${{TEST_GATEWAY_LISTEN}}\"\n[upstream.default]\nurl = \"http://127.0.0.1:1\"\n{}",
            common::issuer_toml(&issuer)
        ),
    )
    .unwrap();
    let output = run(
        &["check-config", &good.display().to_string()],
        &[("TEST_GATEWAY_LISTEN", "127.0.0.1:7777")],
        None,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout)
            .contains("ok (1 issuer(s), 0 route(s), 1 upstream(s); listen 127.0.0.1:7777")
    );
    assert_eq!(issuer.jwks_requests(), 0, "nothing is fetched");

    let output = run(
        &["check-config", &good.display().to_string()],
        &[
            ("TEST_GATEWAY_LISTEN", "x"),
            ("TOLLGATE_LISTEN", "127.0.0.1:8888"),
        ],
        None,
    );
    assert!(
        text(&output.stdout).contains("listen 127.0.0.1:8888"),
        "TOLLGATE_LISTEN overrides"
    );

    let output = run(&["check-config", &good.display().to_string()], &[], None);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "line 1, column 10, `listen`: environment variable `TEST_GATEWAY_LISTEN` is not set"
        ),
        "{stderr}"
    );

    let output = run(
        &[
            "check-config",
            &dir.join("missing.toml").display().to_string(),
        ],
        &[],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("cannot read the configuration file"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn serve_proxies_logs_without_tokens_and_stops_on_sigterm() {
    let issuer = issuer().await;
    let upstream = common::upstream::start().await;
    let dir = std::env::temp_dir().join(format!("tollgate-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("serve.toml");
    std::fs::write(
        &file,
        format!(
            "listen = \"127.0.0.1:0\"\n[admin]\nlisten = \"127.0.0.1:0\"\n[log]\nformat = \"json\"\nlevel = \"debug\"\n\
             [upstream.default]\nurl = \"{}\"\n[[route]]\npath = \"/orders\"\nrequire = {{ scopes = {{ any = [\"orders/read\"] }} }}\n{}",
            upstream.url(),
            common::issuer_toml(&issuer)
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--config",
            &file.display().to_string(),
            "--workers",
            "1",
        ])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let listen = loop {
        let line = lines.recv().await.expect("the server logs that it listens");
        log.push(line.clone());
        let event: serde_json::Value = serde_json::from_str(&line).expect("JSON log lines");
        if event["message"] == "listening" {
            break event["listen"].as_str().unwrap().to_owned();
        }
    };
    let token = common::token(&issuer, &["orders/read"]);
    let client = common::http1();
    let ok = client
        .get(format!("http://{listen}/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad = client
        .get(format!("http://{listen}/orders"))
        .bearer_auth(format!("{token}tampered"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "SIGTERM ends the gateway cleanly: {status}"
    );
    while let Some(line) = lines.recv().await {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(
        log.contains("\"status\":200") && log.contains("\"status\":401"),
        "{log}"
    );
    assert!(log.contains("drained"), "{log}");
    let signature = token.rsplit('.').next().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    assert!(
        !log.contains(signature) && !log.contains(payload),
        "a token reached the logs"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
