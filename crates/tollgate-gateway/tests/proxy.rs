//! The reverse proxy end to end over loopback: a real issuer, the gateway, a real upstream.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use common::upstream;
use http::StatusCode;
use tollgate_testkit::DEFAULT_CLIENT_ID;

fn config(issuer_toml: &str, upstream: &str, extra: &str) -> String {
    format!(
        r#"
[upstream.default]
url = "{upstream}"

[claim_headers]
x-auth-sub = "sub"
x-auth-client-id = "client_id"
x-auth-scope = "scope"
x-auth-groups = {{ claim = "cognito:groups", separator = "," }}
x-auth-claims = "*"

[[route]]
path = "/orders/{{*rest}}"
methods = ["GET", "HEAD"]
require = {{ scopes = {{ any = ["orders/read"] }} }}

[[route]]
path = "/orders/{{*rest}}"
methods = ["POST"]
require = {{ scopes = {{ all = ["orders/write", "orders/admin"] }} }}

[[route]]
path = "/public/{{*rest}}"
require = "anonymous"

[[route]]
path = "/closed"
require = "deny"

[[route]]
path = "/echo"
require = "authenticated"

[[route]]
path = "/ws"
require = {{ scopes = {{ any = ["orders/read"] }} }}

[[route]]
path = "/hop"
require = "anonymous"

[[route]]
path = "/hold/{{n}}"
require = "anonymous"
{extra}
{issuer_toml}"#
    )
}

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::test]
async fn an_allowed_request_reaches_the_upstream_with_claim_headers_and_forwarded_headers() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer), &upstream.url(), "")).await;
    let token = issuer
        .sign(
            &issuer
                .token_builder(DEFAULT_CLIENT_ID, &["orders/read"])
                .claim("cognito:groups", serde_json::json!(["admins", "ops"])),
        )
        .unwrap();

    let response = common::http1()
        .get(gateway.url("/orders/42?full=1"))
        .bearer_auth(&token)
        .header("x-auth-sub", "someone-else")
        .header("x-auth-claims", "e30")
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-upstream"], "1");
    assert_eq!(response.text().await.unwrap(), "ok");

    let seen = upstream.last();
    assert_eq!(seen.uri, "/orders/42?full=1");
    assert_eq!(seen.version, http::Version::HTTP_11);
    let h = &seen.headers;
    let all = |name: &str| {
        h.get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        all("x-auth-sub"),
        [DEFAULT_CLIENT_ID],
        "the client's value was removed"
    );
    assert_eq!(all("x-auth-client-id"), [DEFAULT_CLIENT_ID]);
    assert_eq!(all("x-auth-scope"), ["orders/read"]);
    assert_eq!(all("x-auth-groups"), ["admins,ops"]);
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&all("x-auth-claims")[0])
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
    assert_eq!(claims["iss"], issuer.issuer_url());
    assert_eq!(claims["client_id"], DEFAULT_CLIENT_ID);
    assert_eq!(claims["version"], 2, "extra claims are included");
    assert_eq!(
        claims["cognito:groups"],
        serde_json::json!(["admins", "ops"])
    );
    assert_eq!(
        all("authorization"),
        [format!("Bearer {token}")],
        "forwarded by default"
    );
    assert_eq!(
        all("x-forwarded-for"),
        ["127.0.0.1"],
        "the client's value was replaced"
    );
    assert_eq!(all("x-forwarded-host"), [gateway.addr.to_string()]);
    assert_eq!(all("x-forwarded-proto"), ["http"]);
    assert_eq!(all("host"), [upstream.addr.to_string()]);
}

#[tokio::test]
async fn rejections_are_the_librarys_and_nothing_reaches_the_upstream() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer), &upstream.url(), "")).await;
    let client = common::http1();
    let read = common::token(&issuer, &["orders/read"]);

    let response = client.get(gateway.url("/orders/1")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&response), r#"Bearer realm="api""#);

    let response = client
        .get(gateway.url("/orders/1"))
        .bearer_auth(format!("{read}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&response).contains(r#"error="invalid_token""#));

    let response = client
        .post(gateway.url("/orders/1"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&response),
        r#"Bearer realm="api", error="insufficient_scope", scope="orders/admin orders/write""#
    );

    for path in ["/closed", "/not-routed"] {
        let response = client
            .get(gateway.url(path))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            challenge(&response).contains(r#"error="insufficient_scope""#),
            "{path}"
        );
        let response = client.get(gateway.url(path)).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{path} without a token"
        );
    }

    let answer = common::raw(
        gateway.addr,
        &format!(
            "GET /orders/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {read}\r\n\
             Authorization: Bearer {read}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(answer.status, 400, "two Authorization fields");

    // A method the route does not list is unmatched: denied.
    let response = client
        .delete(gateway.url("/orders/1"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    assert!(
        upstream.seen().is_empty(),
        "no rejected request was forwarded"
    );
}

#[tokio::test]
async fn spoofed_claim_headers_are_removed_on_anonymous_routes_too() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer), &upstream.url(), "")).await;
    let client = common::http1();

    let response = client
        .get(gateway.url("/public/page"))
        .header("x-auth-sub", "admin")
        .header("X-Auth-Scope", "orders/admin")
        .header("x-auth-claims", "eyJzdWIiOiJhZG1pbiJ9")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let seen = upstream.last();
    for name in [
        "x-auth-sub",
        "x-auth-scope",
        "x-auth-claims",
        "x-auth-client-id",
    ] {
        assert!(
            !seen.headers.contains_key(name),
            "{name} reached the upstream"
        );
    }

    // With a valid token on an anonymous route, the claims are the token's.
    let token = common::token(&issuer, &["orders/read"]);
    client
        .get(gateway.url("/public/page"))
        .bearer_auth(&token)
        .header("x-auth-sub", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(upstream.last().headers["x-auth-sub"], DEFAULT_CLIENT_ID);

    // An invalid token is refused even where none is needed (as the library's
    // allow_anonymous does): a bad credential never counts as none.
    let response = client
        .get(gateway.url("/public/page"))
        .bearer_auth("not.a.token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn authorization_can_be_stripped() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(
        &common::issuer_toml(&issuer),
        &upstream.url(),
        "[auth]\nforward_authorization = false\nrealm = \"orders\"\n",
    ))
    .await;
    let token = common::token(&issuer, &["orders/read"]);
    let response = common::http1()
        .get(gateway.url("/orders/1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!upstream.last().headers.contains_key("authorization"));
    let response = common::http1()
        .get(gateway.url("/orders/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(challenge(&response), r#"Bearer realm="orders""#);
}

#[tokio::test]
async fn http2_clients_and_h2c_upstreams() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let token = common::token(&issuer, &["orders/read"]);

    let gateway = common::start(&config(&common::issuer_toml(&issuer), &upstream.url(), "")).await;
    let response = common::http2()
        .get(gateway.url("/orders/7"))
        .bearer_auth(&token)
        .header("x-auth-sub", "spoof")
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), StatusCode::OK);
    let seen = upstream.last();
    assert_eq!(
        seen.version,
        http::Version::HTTP_11,
        "h2 client, HTTP/1.1 upstream"
    );
    assert_eq!(seen.headers["x-auth-sub"], DEFAULT_CLIENT_ID);
    assert_eq!(seen.headers["x-forwarded-host"], gateway.addr.to_string());

    let gateway = common::start(
        &config(&common::issuer_toml(&issuer), &upstream.url(), "").replacen(
            "\n\n[claim_headers]",
            "\nhttp2 = true\n\n[claim_headers]",
            1,
        ),
    )
    .await;
    for client in [common::http1(), common::http2()] {
        let response = client
            .get(gateway.url("/orders/8"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            upstream.last().version,
            http::Version::HTTP_2,
            "h2c upstream"
        );
    }
}

#[tokio::test]
async fn bodies_stream_both_ways_without_buffering() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer), &upstream.url(), "")).await;
    let token = common::token(&issuer, &[]);
    for client in [common::http1(), common::http2()] {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
        let body = reqwest::Body::wrap_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
        tx.send(Ok(b"first chunk".to_vec())).await.unwrap();
        let mut response = client
            .post(gateway.url("/echo"))
            .bearer_auth(&token)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // The first chunk comes back while the request body is still open: nothing waits for
        // a whole body.
        let first = response.chunk().await.unwrap().unwrap();
        assert_eq!(&first[..], b"first chunk");
        tx.send(Ok(b"second".to_vec())).await.unwrap();
        let second = response.chunk().await.unwrap().unwrap();
        assert_eq!(&second[..], b"second");
        drop(tx);
        let mut rest = Vec::new();
        while let Some(chunk) = response.chunk().await.unwrap() {
            rest.extend_from_slice(&chunk);
        }
        assert!(rest.is_empty(), "nothing more was sent");
    }
}

#[tokio::test]
async fn upstream_down_is_502_and_slow_is_504() {
    let issuer = common::issuer().await;
    let down = upstream::closed_port().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&format!(
        r#"
[upstream.default]
url = "{}"
timeout = "300ms"

[upstream.down]
url = "http://{down}"

[[route]]
path = "/never"
require = "anonymous"

[[route]]
path = "/down"
upstream = "down"
require = "anonymous"
{}"#,
        upstream.url(),
        common::issuer_toml(&issuer)
    ))
    .await;
    let client = common::http1();
    let response = client.get(gateway.url("/down")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let response = client.get(gateway.url("/never")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
}

#[tokio::test]
async fn ambiguous_paths_are_refused_before_routing() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer), &upstream.url(), "")).await;
    for path in [
        "/public/../orders/1",
        "/public/%2e%2e/orders/1",
        "/public/..;/orders/1",
        "/public%2f..%2forders/1",
        "//orders/1",
        "/public\\..\\orders",
    ] {
        let answer = common::raw(
            gateway.addr,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert_eq!(answer.status, 400, "{path}");
    }
    // Percent-encoded letters route as the upstream will read them.
    let token = common::token(&issuer, &["orders/write"]);
    let answer = common::raw(
        gateway.addr,
        &format!(
            "GET /%6Frders/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(
        answer.status, 403,
        "/%6Frders is /orders: orders/read is needed"
    );
    assert!(upstream.seen().is_empty());
}

#[tokio::test]
async fn hop_by_hop_headers_are_removed_both_ways() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer), &upstream.url(), "")).await;
    let answer = common::raw(
        gateway.addr,
        "GET /hop HTTP/1.1\r\nHost: x\r\nConnection: close, x-secret\r\nx-secret: 1\r\n\
         Keep-Alive: timeout=5\r\nProxy-Authorization: Basic eDp5\r\nTE: trailers\r\n\
         x-kept: 1\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.header("x-private").is_empty(),
        "named by the upstream's Connection"
    );
    assert!(answer.header("keep-alive").is_empty());
    assert_eq!(answer.header("x-public"), ["1"]);
    let seen = upstream.last();
    for name in ["x-secret", "keep-alive", "proxy-authorization"] {
        assert!(!seen.headers.contains_key(name), "{name} was forwarded");
    }
    assert_eq!(seen.headers["x-kept"], "1");
    assert_eq!(
        seen.headers["te"], "trailers",
        "trailers stay acceptable (gRPC)"
    );
}

/// A client that names the gateway's own headers in `Connection` cannot have them removed
/// on the way out: hop-by-hop removal runs before the claim and forwarding headers are set.
#[tokio::test]
async fn connection_cannot_remove_the_gateways_own_headers() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer), &upstream.url(), "")).await;
    let token = issuer
        .sign(&issuer.token_builder(DEFAULT_CLIENT_ID, &["orders/read"]))
        .unwrap();
    let answer = common::raw(
        gateway.addr,
        &format!(
            "GET /orders/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Connection: close, x-auth-sub, x-auth-client-id, x-forwarded-for, x-forwarded-proto\r\n\
             x-auth-sub: spoof\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(answer.status, 200);
    let seen = upstream.last();
    assert_eq!(seen.headers["x-auth-sub"], DEFAULT_CLIENT_ID);
    assert_eq!(seen.headers["x-auth-client-id"], DEFAULT_CLIENT_ID);
    assert_eq!(seen.headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen.headers["x-forwarded-proto"], "http");
    assert_eq!(seen.headers.get_all("x-auth-sub").iter().count(), 1);
}

#[tokio::test]
async fn websocket_upgrades_pass_after_authentication() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(&common::issuer_toml(&issuer), &upstream.url(), "")).await;
    let handshake = |token: Option<&str>| {
        format!(
            "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{}\r\n",
            token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"))
        )
    };

    // (`close` too, so the refusal ends the connection and the read below ends.)
    let refused = common::raw(
        gateway.addr,
        &handshake(None).replace("Connection: Upgrade", "Connection: Upgrade, close"),
    )
    .await;
    assert_eq!(refused.status, 401);
    assert!(upstream.seen().is_empty());

    let token = common::token(&issuer, &["orders/read"]);
    let mut stream = tokio::net::TcpStream::connect(gateway.addr).await.unwrap();
    stream
        .write_all(handshake(Some(&token)).as_bytes())
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let answer = common::parse_answer(&head);
    assert_eq!(answer.status, 101);
    assert_eq!(answer.header("upgrade"), ["websocket"]);
    let seen = upstream.last();
    assert_eq!(seen.headers["upgrade"], "websocket");
    assert_eq!(seen.headers["x-auth-sub"], DEFAULT_CLIENT_ID);
    for message in [&b"hello"[..], b"again"] {
        stream.write_all(message).await.unwrap();
        let mut echoed = vec![0u8; message.len()];
        stream.read_exact(&mut echoed).await.unwrap();
        assert_eq!(
            echoed, message,
            "bytes cross the upgraded connection both ways"
        );
    }
}

#[tokio::test]
async fn header_size_and_connections_are_limited() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let issuer = common::issuer().await;
    let mut upstream = upstream::start().await;
    let gateway = common::start(&config(
        &common::issuer_toml(&issuer),
        &upstream.url(),
        "[limits]\nmax_header_bytes = 8192\nmax_connections = 1\n",
    ))
    .await;
    let big = "a".repeat(9000);
    let answer = common::raw(
        gateway.addr,
        &format!("GET /public/x HTTP/1.1\r\nHost: x\r\nx-big: {big}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(answer.status, 431);

    // Connection A holds the only slot; B's request waits until A closes.
    let mut a = tokio::net::TcpStream::connect(gateway.addr).await.unwrap();
    a.write_all(b"GET /hold/a HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(upstream.arrived().await, "/hold/a");
    let mut b = tokio::net::TcpStream::connect(gateway.addr).await.unwrap();
    b.write_all(b"GET /public/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    upstream.release();
    let mut buf = vec![0u8; 4096];
    let n = a.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // A second exchange on A: B, sent before it, was not served meanwhile.
    a.write_all(b"GET /public/a2 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = a.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        upstream.seen().iter().all(|s| s.uri != "/public/b"),
        "B was served while A held the only connection slot"
    );
    drop(a);
    let mut answer = Vec::new();
    b.read_to_end(&mut answer).await.unwrap();
    assert_eq!(common::parse_answer(&answer).status, 200);
}

#[tokio::test]
async fn graceful_shutdown_drains_requests_in_flight() {
    let issuer = common::issuer().await;
    let mut upstream = upstream::start().await;
    let mut gateway = common::start(&config(
        &common::issuer_toml(&issuer),
        &upstream.url(),
        "[admin]\nlisten = \"127.0.0.1:0\"\n[shutdown]\ndrain_timeout = \"30s\"\n",
    ))
    .await;
    let admin = gateway.admin.unwrap();
    let client = common::http1();
    let in_flight = tokio::spawn(client.get(gateway.url("/hold/1")).send());
    assert_eq!(upstream.arrived().await, "/hold/1");

    gateway.begin_stop();
    // Readiness turns 503 while draining (each poll is a real round trip).
    let mut draining = false;
    for _ in 0..10_000 {
        let response = common::http1()
            .get(format!("http://{admin}/readyz"))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::SERVICE_UNAVAILABLE
            && response.text().await.unwrap() == "draining\n"
        {
            draining = true;
            break;
        }
    }
    assert!(draining, "/readyz never reported draining");
    assert!(
        tokio::net::TcpStream::connect(gateway.addr).await.is_err(),
        "new connections are refused once draining"
    );

    upstream.release();
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.text().await.unwrap(),
        "released",
        "the request in flight completed"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn the_drain_deadline_closes_what_is_left() {
    let issuer = common::issuer().await;
    let mut upstream = upstream::start().await;
    let mut gateway = common::start(&config(
        &common::issuer_toml(&issuer),
        &upstream.url(),
        "[shutdown]\ndrain_timeout = \"200ms\"\n",
    ))
    .await;
    let in_flight = tokio::spawn(common::http1().get(gateway.url("/hold/2")).send());
    assert_eq!(upstream.arrived().await, "/hold/2");
    gateway.begin_stop();
    let task = gateway.task.take().unwrap();
    task.await.unwrap();
    assert!(
        in_flight.await.unwrap().is_err(),
        "the held request was cut at the deadline"
    );
}

#[tokio::test]
async fn admin_endpoints() {
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&config(
        &common::issuer_toml(&issuer),
        &upstream.url(),
        "[admin]\nlisten = \"127.0.0.1:0\"\n",
    ))
    .await;
    let admin = gateway.admin.unwrap();
    let client = common::http1();
    let get = |path: &str| client.get(format!("http://{admin}{path}")).send();
    assert_eq!(get("/healthz").await.unwrap().status(), StatusCode::OK);
    // Ready once the issuer's keys are loaded (fetched in the background at start).
    issuer.wait_for_jwks_requests(1).await;
    let mut ready = false;
    for _ in 0..10_000 {
        if get("/readyz").await.unwrap().status() == StatusCode::OK {
            ready = true;
            break;
        }
    }
    assert!(ready, "/readyz never became ready");
    let token = common::token(&issuer, &["orders/read"]);
    client
        .get(gateway.url("/orders/1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("tollgate_gateway_requests_total"),
        "{metrics}"
    );
    assert!(!metrics.contains(&token));
    assert_eq!(
        get("/nothing").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
