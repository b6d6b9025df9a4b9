//! Configuration errors: each names the line, the key and the problem.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use serde_json::json;
use tollgate_gateway::{Config, ConfigError};
use tollgate_testkit::DEFAULT_CLIENT_ID;

const ISSUER: &str = r#"
[[issuer]]
kind = "cognito"
region = "eu-west-1"
user_pool_id = "eu-west-1_AbCdEf123"
client_ids = ["abc"]
"#;

fn error(toml: &str) -> ConfigError {
    Config::parse(toml, Path::new(".")).expect_err("the configuration must be refused")
}

/// `(line, key)` of the error, and its message.
fn located(toml: &str) -> (usize, String, String) {
    let error = error(toml);
    let at = error
        .location()
        .unwrap_or_else(|| panic!("no location: {error}"));
    (at.line, at.key.clone(), error.to_string())
}

#[test]
fn a_valid_file_is_accepted() {
    let config = Config::parse(
        &format!(
            r#"
listen = "127.0.0.1:9000"
[admin]
listen = "127.0.0.1:9001"
[upstream.default]
url = "http://127.0.0.1:3000/api/"
[upstream.grpc]
url = "http://127.0.0.1:50051"
http2 = true
timeout = "5s"
[keys]
refresh = "10m"
max_stale = "2h"
cooldown = "30s"
[verify]
leeway = "30s"
[forward_auth]
path = "/_auth"
[claim_headers]
x-auth-sub = "sub"
[[route]]
path = "/orders/{{id}}"
methods = ["GET"]
require = {{ all_of = [{{ scopes = {{ any = ["a", "b"] }} }}, {{ scopes = {{ any = ["c"] }} }}] }}
[[route]]
path = "/orders/{{id}}"
methods = ["DELETE"]
require = {{ scopes = {{ one_of = [["x"], ["y", "z"]] }} }}
[[route]]
path = "/orders.v1.Orders/{{method}}"
upstream = "grpc"
require = "authenticated"
[[route]]
path = "/health"
require = "anonymous"
{ISSUER}"#
        ),
        Path::new("."),
    )
    .unwrap();
    assert_eq!(config.listen().to_string(), "127.0.0.1:9000");
    assert_eq!(config.route_count(), 4);
    assert_eq!(config.forward_auth_path(), Some("/_auth"));
    config.build_verifier().unwrap();
}

#[test]
fn syntax_types_and_unknown_keys_name_line_and_key() {
    let (line, key, message) = located("listen = \"127.0.0.1:80\"\nlisten2 = 1\n");
    assert_eq!((line, key.as_str()), (2, "listen2"));
    assert!(message.contains("unknown field `listen2`"), "{message}");

    let (line, key, message) = located(&format!(
        "{ISSUER}\n[[route]]\npath = \"/\"\nrequire = \"nobody\"\n"
    ));
    assert_eq!((line, key.as_str()), (10, "route[0].require"));
    assert!(message.contains("unknown variant `nobody`"), "{message}");

    let (line, key, message) = located(&format!("{ISSUER}bogus = true\n"));
    assert_eq!((line, key.as_str()), (7, "issuer[0].bogus"));
    assert!(message.contains("unknown field `bogus`"), "{message}");

    let (line, key, message) = located(&format!("{ISSUER}[keys]\nrefresh = \"ten minutes\"\n"));
    assert_eq!((line, key.as_str()), (8, "keys.refresh"));
    assert!(message.contains("is not a duration"), "{message}");

    let (line, _, message) = located("listen = \n");
    assert_eq!(line, 1);
    assert!(message.starts_with("line 1, column"), "{message}");
}

/// Claims requirements (issue 11) are accepted, mapped to the library's requirement and
/// enforced end to end, through the proxy and through forward-auth: groups alone, scope OR
/// group, scope AND exact value, nested roles, a quoted name with `.`. A malformed condition
/// or path is still refused with its line and key.
#[tokio::test]
async fn claims_requirements_are_accepted_and_enforced_through_the_proxy_and_forward_auth() {
    // The file the gateway used to refuse ("not supported yet") now builds.
    let toml = format!(
        "{ISSUER}[[route]]\npath = \"/admin\"\nrequire = {{ any_of = [{{ scopes = {{ any = [\"a\"] }} }}, {{ claims = {{ path = \"cognito:groups\", any = [\"admins\"] }} }}] }}\n"
    );
    Config::parse(&toml, Path::new(".")).unwrap();

    let issuer = common::issuer().await;
    let upstream = common::upstream::start().await;
    let gateway = common::start(&format!(
        r#"
[upstream.default]
url = "{}"

[forward_auth]
path = "/_auth"

[[route]]
path = "/admin"
require = {{ any_of = [{{ scopes = {{ any = ["orders/admin"] }} }}, {{ claims = {{ path = "cognito:groups", any = ["admins"] }} }}] }}

[[route]]
path = "/approve"
require = {{ claims = {{ path = "resource_access.orders-api.roles", all = ["approve", "read"] }} }}

[[route]]
path = "/tenant"
require = {{ all_of = [{{ scopes = {{ any = ["orders/read"] }} }}, {{ claims = {{ path = "custom:tenant", equals = "acme" }} }}] }}

[[route]]
path = "/editors"
require = {{ claims = {{ path = '"https://example.com/roles"', any = ["editor"] }} }}
{}"#,
        upstream.url(),
        common::issuer_toml(&issuer)
    ))
    .await;
    let token = |scopes: &[&str], claims: serde_json::Value| {
        let mut builder = issuer.token_builder(DEFAULT_CLIENT_ID, scopes);
        for (name, value) in claims.as_object().unwrap() {
            builder = builder.claim(name, value.clone());
        }
        issuer.sign(&builder).unwrap()
    };
    let forbidden = |scope: Option<&str>| match scope {
        Some(scope) => {
            format!(r#"Bearer realm="api", error="insufficient_scope", scope="{scope}""#)
        }
        None => r#"Bearer realm="api", error="insufficient_scope""#.to_owned(),
    };
    let client = common::http1();
    let cases = [
        (
            "/admin",
            token(&[], json!({ "cognito:groups": ["admins"] })),
            None,
        ),
        ("/admin", token(&["orders/admin"], json!({})), None),
        (
            "/admin",
            token(&["orders/read"], json!({ "cognito:groups": ["interns"] })),
            Some(forbidden(Some("orders/admin"))),
        ),
        (
            "/approve",
            token(
                &[],
                json!({ "resource_access": { "orders-api": { "roles": ["read", "approve"] } } }),
            ),
            None,
        ),
        (
            "/approve",
            token(
                &[],
                json!({ "resource_access": { "orders-api": { "roles": ["read"] } } }),
            ),
            Some(forbidden(None)),
        ),
        (
            "/tenant",
            token(&["orders/read"], json!({ "custom:tenant": "acme" })),
            None,
        ),
        (
            "/tenant",
            token(&["orders/read"], json!({ "custom:tenant": "globex" })),
            Some(forbidden(None)),
        ),
        (
            "/tenant",
            token(&[], json!({ "custom:tenant": "acme" })),
            Some(forbidden(Some("orders/read"))),
        ),
        (
            "/editors",
            token(&[], json!({ "https://example.com/roles": ["editor"] })),
            None,
        ),
        (
            "/editors",
            token(&[], json!({ "https://example.com/roles": ["viewer"] })),
            Some(forbidden(None)),
        ),
    ];
    for (path, token, refused) in &cases {
        let seen_before = upstream.seen().len();
        let proxied = client
            .get(gateway.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let asked = client
            .get(gateway.url("/_auth"))
            .header("x-original-method", "GET")
            .header("x-original-uri", *path)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        for (how, response) in [("proxy", proxied), ("forward-auth", asked)] {
            let challenge = response
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned());
            match refused {
                None => assert_eq!(response.status(), 200, "{how} {path}: {challenge:?}"),
                Some(expected) => {
                    assert_eq!(response.status(), 403, "{how} {path}");
                    assert_eq!(challenge.as_ref(), Some(expected), "{how} {path}");
                    let text =
                        format!("{:?}", response.headers()) + &response.text().await.unwrap();
                    for secret in [
                        "admins", "interns", "approve", "acme", "globex", "editor", "viewer",
                    ] {
                        assert!(!text.contains(secret), "{how} {path}: {secret} in {text}");
                    }
                }
            }
        }
        let reached = upstream.seen().len() - seen_before;
        assert_eq!(reached, usize::from(refused.is_none()), "{path}");
    }
    let missing = client.get(gateway.url("/admin")).send().await.unwrap();
    assert_eq!(missing.status(), 401);

    // A malformed claims condition is its own error, with its place.
    let toml = format!(
        "{ISSUER}[[route]]\npath = \"/admin\"\nrequire = {{ claims = {{ path = \"realm_access.roles\", any = [\"a\"], equals = \"b\" }} }}\n"
    );
    assert!(matches!(
        error_of(&toml),
        ConfigError::InvalidClaimsCondition { .. }
    ));
    // So is a path that is not a claim path.
    let toml = format!(
        "{ISSUER}[[route]]\npath = \"/admin\"\nrequire = {{ any_of = [{{ scopes = {{ any = [\"a\"] }} }}, {{ claims = {{ path = \"realm_access..roles\", any = [\"a\"] }} }}] }}\n"
    );
    let error = error(&toml);
    assert!(
        matches!(
            error,
            ConfigError::InvalidClaimPath {
                problem: tollgate_verify::InvalidClaimPath::EmptySegment,
                ..
            }
        ),
        "{error:?}"
    );
    let at = error.location().unwrap();
    assert_eq!(
        (at.line, at.key.as_str()),
        (9, "route[0].require.any_of[1]")
    );
    assert!(error.to_string().contains("not a claim path"), "{error}");
}

/// `scope_claims` names the claims an issuer's scopes come from (library claim paths): groups
/// become scopes for `scopes` requirements; a bad path or an empty list is refused.
#[tokio::test]
async fn scope_claims_make_groups_scopes() {
    let issuer = common::issuer().await;
    let gateway = common::start(&format!(
        "[forward_auth]\npath = \"/_auth\"\n[[route]]\npath = \"/admin\"\nrequire = {{ scopes = {{ any = [\"admins\"] }} }}\n{}scope_claims = [\"scope\", \"cognito:groups\"]\n",
        common::issuer_toml(&issuer)
    ))
    .await;
    let ask = |groups: &[&str]| {
        let token = issuer
            .sign(
                &issuer
                    .token_builder(DEFAULT_CLIENT_ID, &["orders/read"])
                    .claim("cognito:groups", groups.to_vec()),
            )
            .unwrap();
        common::http1()
            .get(gateway.url("/_auth"))
            .header("x-original-method", "GET")
            .header("x-original-uri", "/admin")
            .bearer_auth(token)
            .send()
    };
    assert_eq!(ask(&["admins"]).await.unwrap().status(), 200);
    assert_eq!(ask(&["interns"]).await.unwrap().status(), 403);

    let refused = error(&format!(
        "{ISSUER}scope_claims = [\"realm_access..roles\"]\n"
    ));
    match &refused {
        ConfigError::Issuer { source, .. } => assert!(
            matches!(source, tollgate_verify::BuildError::InvalidScopeClaim(_)),
            "{source:?}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        error(&format!("{ISSUER}scope_claims = []\n")),
        ConfigError::EmptyList { .. }
    ));
}

fn error_of(toml: &str) -> ConfigError {
    error(toml)
}

#[test]
fn requirement_mistakes() {
    let route = |require: &str| format!("{ISSUER}[[route]]\npath = \"/x\"\nrequire = {require}\n");
    assert!(matches!(
        error(&route("{ scopes = { any = [] } }")),
        ConfigError::EmptyList { .. }
    ));
    assert!(matches!(
        error(&route("{ scopes = { all = [\"\"] } }")),
        ConfigError::EmptyList { .. }
    ));
    assert!(matches!(
        error(&route("{ any_of = [] }")),
        ConfigError::EmptyList { .. }
    ));
    assert!(matches!(
        error(&route("{ any_of = [\"deny\"] }")),
        ConfigError::NestedOpenOrDeny { .. }
    ));
    let wide =
        "{ scopes = { any = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\"] } }";
    let product = format!("{{ all_of = [{wide}, {wide}] }}");
    assert!(matches!(
        error(&route(&product)),
        ConfigError::RequirementTooLarge { max: 64, .. }
    ));
}

#[test]
fn route_mistakes() {
    let routes =
        |body: &str| format!("{ISSUER}[upstream.default]\nurl = \"http://127.0.0.1:1\"\n{body}");
    let (line, key, _) = located(&routes(
        "[[route]]\npath = \"/a\"\nmethods = [\"GET\"]\nrequire = \"anonymous\"\n[[route]]\npath = \"/a\"\nmethods = [\"POST\", \"GET\"]\nrequire = \"deny\"\n",
    ));
    assert_eq!((line, key.as_str()), (14, "route[1].path"));
    assert!(matches!(
        error(&routes(
            "[[route]]\npath = \"/a\"\nmethods = [\"GET\"]\nrequire = \"anonymous\"\n[[route]]\npath = \"/a\"\nmethods = [\"GET\"]\nrequire = \"deny\"\n"
        )),
        ConfigError::DuplicateRoute { first_line: 10, .. }
    ));
    assert!(matches!(
        error(&routes(
            "[[route]]\npath = \"/a\"\nmethods = [\"get\"]\nrequire = \"deny\"\n"
        )),
        ConfigError::InvalidMethod { .. }
    ));
    assert!(matches!(
        error(&routes("[[route]]\npath = \"a\"\nrequire = \"deny\"\n")),
        ConfigError::InvalidRoutePath { .. }
    ));
    assert!(matches!(
        error(&routes(
            "[[route]]\npath = \"/{a}/x\"\nrequire = \"deny\"\n[[route]]\npath = \"/{b}/x\"\nrequire = \"deny\"\n"
        )),
        ConfigError::InvalidRoutePath { .. }
    ));
    assert!(matches!(
        error(&routes(
            "[[route]]\npath = \"/a\"\nupstream = \"nowhere\"\nrequire = \"deny\"\n"
        )),
        ConfigError::UnknownUpstream { .. }
    ));
    let no_default = format!(
        "{ISSUER}[upstream.api]\nurl = \"http://127.0.0.1:1\"\n[[route]]\npath = \"/a\"\nrequire = \"deny\"\n"
    );
    assert!(matches!(
        error(&no_default),
        ConfigError::NoDefaultUpstream { .. }
    ));
}

#[test]
fn upstream_header_and_issuer_mistakes() {
    let upstream = |url: &str| format!("{ISSUER}[upstream.default]\nurl = \"{url}\"\n");
    for url in [
        "https://api.example",
        "127.0.0.1:3000",
        "http://user:pw@h/",
        "http://h/?q=1",
    ] {
        assert!(
            matches!(
                error(&upstream(url)),
                ConfigError::InvalidUpstreamUrl { .. }
            ),
            "{url}"
        );
    }
    let header = |name: &str| format!("{ISSUER}[claim_headers]\n\"{name}\" = \"sub\"\n");
    for name in [
        "authorization",
        "Host",
        "x-forwarded-for",
        "connection",
        "grpc-status",
    ] {
        assert!(
            matches!(error(&header(name)), ConfigError::ReservedHeaderName { .. }),
            "{name}"
        );
    }
    assert!(matches!(
        error(&header("bad header")),
        ConfigError::InvalidHeaderName { .. }
    ));
    let issuer = |body: &str| format!("[[issuer]]\n{body}\n");
    assert!(matches!(error(""), ConfigError::NoIssuer));
    assert!(matches!(
        error(&issuer("kind = \"cognito\"\nclient_ids = [\"a\"]")),
        ConfigError::IssuerSettings { .. }
    ));
    assert!(matches!(
        error(&issuer("kind = \"oidc\"\nany_audience = true")),
        ConfigError::IssuerSettings { .. }
    ));
    assert!(matches!(
        error(&issuer(
            "kind = \"cognito\"\nregion = \"eu-west-1\"\nuser_pool_id = \"us-east-1_X\"\nclient_ids = [\"a\"]"
        )),
        ConfigError::Issuer {
            source: tollgate_verify::BuildError::InvalidCognitoPool,
            ..
        }
    ));
    assert!(matches!(
        error(&issuer("kind = \"oidc\"\nissuer = \"https://sso.example\"")),
        ConfigError::Issuer {
            source: tollgate_verify::BuildError::AudiencePolicyMissing,
            ..
        }
    ));
    assert!(matches!(
        error(&issuer(
            "kind = \"oidc\"\nissuer = \"https://sso.example\"\nany_audience = true\njwks_file = \"/nonexistent/keys.json\""
        )),
        ConfigError::Issuer { .. }
    ));
    let (line, key, message) = located(&issuer(
        "kind = \"oidc\"\nissuer = \"https://sso.example\"\nany_audience = true\nalgorithms = [\"RS256\", \"HS256\"]",
    ));
    assert_eq!((line, key.as_str()), (5, "issuer[0].algorithms"));
    assert!(
        message.contains("`HS256` is not a supported algorithm (supported: RS256"),
        "{message}"
    );
    let two = format!(
        "{ISSUER}[[issuer]]\nkind = \"oidc\"\nissuer = \"https://sso.example\"\nany_audience = true\nalgorithms = [\"RS384\"]\n"
    );
    // Each issuer has its own allowlist: two issuers with different lists are fine.
    assert!(
        Config::parse(&two, Path::new(".")).is_ok(),
        "per-issuer algorithm lists"
    );
    let same = format!("{ISSUER}{ISSUER}");
    assert!(matches!(error(&same), ConfigError::IssuerSettings { .. }));
}

#[test]
fn limits_listen_and_environment() {
    assert!(matches!(
        error(&format!("listen = \"localhost\"\n{ISSUER}")),
        ConfigError::InvalidListen { .. }
    ));
    assert!(matches!(
        error(&format!("{ISSUER}[limits]\nmax_header_bytes = 100\n")),
        ConfigError::InvalidLimit { .. }
    ));
    assert!(matches!(
        error(&format!("{ISSUER}[limits]\nmax_connections = 0\n")),
        ConfigError::InvalidLimit { .. }
    ));
    assert!(matches!(
        error(&format!("{ISSUER}[forward_auth]\npath = \"auth\"\n")),
        ConfigError::InvalidForwardAuthPath { .. }
    ));
    assert!(matches!(
        error(&format!(
            "{ISSUER}[forward_auth]\npath = \"/auth\"\n[[route]]\npath = \"/{{*any}}\"\nrequire = \"deny\"\n"
        )),
        ConfigError::InvalidForwardAuthPath { .. }
    ));
    assert!(matches!(
        error(&format!("{ISSUER}[auth]\nrealm = \"a\\\"b\"\n")),
        ConfigError::InvalidRealm { .. }
    ));
    let (line, key, message) = located(&format!(
        "listen = \"${{TOLLGATE_TEST_SURELY_UNSET_VARIABLE}}\"\n{ISSUER}"
    ));
    assert_eq!((line, key.as_str()), (1, "listen"));
    assert!(
        message.contains("environment variable `TOLLGATE_TEST_SURELY_UNSET_VARIABLE` is not set")
    );
}

#[test]
fn the_readme_configuration_is_valid() {
    let readme = include_str!("../README.md");
    let start = readme.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let text = readme[start..end].replace("${USER_POOL_ID}", "eu-west-1_AbCdEf123");
    let config = Config::parse(&text, Path::new(".")).unwrap();
    assert_eq!(config.route_count(), 6);
    assert_eq!(config.upstream_count(), 2);
    config.build_verifier().unwrap();
}
