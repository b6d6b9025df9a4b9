//! The forward-auth endpoint behind a real nginx (`auth_request`), end to end on loopback.
//!
//! Needs the `nginx` executable (Debian: `apt-get install nginx`). Without it this test says
//! plainly that it did not run, and passes, unless `TOLLGATE_REQUIRE_NGINX=1` (set by
//! `.ci/run`), which turns a missing nginx into a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write as _;

use common::nginx::{self, Nginx};
use common::upstream;
use http::StatusCode;
use tollgate_testkit::DEFAULT_CLIENT_ID;

#[tokio::test]
async fn nginx_auth_request_with_tollgate_forward_auth() {
    let Some(binary) = nginx::find() else {
        let required = std::env::var(nginx::REQUIRE_ENV).is_ok_and(|v| v == "1");
        assert!(
            !required,
            "nginx is required ({}=1) but was not found on the PATH or in /usr/sbin",
            nginx::REQUIRE_ENV
        );
        // Written to the process's stderr directly, past the test harness's capture.
        let _ = writeln!(
            std::io::stderr(),
            "\nNOTE: nginx_auth_request_with_tollgate_forward_auth did NOT run: no nginx \
             executable was found (install it with `apt-get install nginx`; set {}=1 to \
             make its absence a failure)\n",
            nginx::REQUIRE_ENV
        );
        return;
    };
    let issuer = common::issuer().await;
    let upstream = upstream::start().await;
    let gateway = common::start(&format!(
        r#"
[forward_auth]
path = "/_tollgate/auth"

[claim_headers]
x-auth-sub = "sub"

[[route]]
path = "/api/{{*rest}}"
methods = ["GET"]
require = {{ scopes = {{ any = ["orders/read"] }} }}

[[route]]
path = "/public"
require = "anonymous"
{}"#,
        common::issuer_toml(&issuer)
    ))
    .await;
    let (gateway_addr, upstream_addr) = (gateway.addr, upstream.addr);
    let nginx = tokio::task::spawn_blocking(move || {
        Nginx::start(&binary, |listen| {
            format!(
                r#"
  server {{
    listen {listen};
    location / {{
      auth_request /_auth;
      auth_request_set $auth_sub $upstream_http_x_auth_sub;
      proxy_set_header X-Auth-Sub $auth_sub;
      proxy_pass http://{upstream_addr};
    }}
    location = /_auth {{
      internal;
      proxy_pass http://{gateway_addr}/_tollgate/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }}
  }}"#
            )
        })
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("nginx did not start: {e}"));
    let url = |path: &str| format!("http://{}{path}", nginx.addr);
    let client = common::http1();
    let read = common::token(&issuer, &["orders/read"]);
    let write = common::token(&issuer, &["orders/write"]);

    let allowed = client
        .get(url("/api/orders?page=2"))
        .bearer_auth(&read)
        .header("x-auth-sub", "spoofed-admin")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::OK, "{}", nginx.error_log());
    let seen = upstream.last();
    assert_eq!(seen.uri, "/api/orders?page=2");
    let subs: Vec<_> = seen.headers.get_all("x-auth-sub").iter().collect();
    assert_eq!(
        subs,
        [DEFAULT_CLIENT_ID],
        "the claim, copied by auth_request_set"
    );

    let reached = upstream.seen().len();
    let missing = client.get(url("/api/orders")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.headers()["www-authenticate"],
        r#"Bearer realm="api""#,
        "the challenge is passed back"
    );

    let invalid = client
        .get(url("/api/orders"))
        .bearer_auth(format!("{read}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::UNAUTHORIZED);
    let challenge = invalid.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );

    let forbidden = client
        .get(url("/api/orders"))
        .bearer_auth(&write)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let unrouted = client
        .delete(url("/api/orders"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(unrouted.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        upstream.seen().len(),
        reached,
        "no refused request reached the upstream"
    );

    // An anonymous route: a client-sent x-auth-sub never reaches the upstream.
    let public = client
        .get(url("/public"))
        .header("x-auth-sub", "spoofed-admin")
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::OK);
    assert!(
        !upstream.last().headers.contains_key("x-auth-sub"),
        "a client-sent x-auth-sub reached the upstream"
    );
}
