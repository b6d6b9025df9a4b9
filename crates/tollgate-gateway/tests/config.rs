//! Configuration errors: each names the line, the key and the problem.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use tollgate_gateway::{Config, ConfigError};

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

#[test]
fn claims_requirements_are_read_and_refused_clearly() {
    let toml = format!(
        "{ISSUER}[[route]]\npath = \"/admin\"\nrequire = {{ any_of = [{{ scopes = {{ any = [\"a\"] }} }}, {{ claims = {{ path = \"cognito:groups\", any = [\"admins\"] }} }}] }}\n"
    );
    let error = error(&toml);
    assert!(
        matches!(error, ConfigError::ClaimsNotSupported { .. }),
        "{error:?}"
    );
    let at = error.location().unwrap();
    assert_eq!(
        (at.line, at.key.as_str()),
        (9, "route[0].require.any_of[1]")
    );
    assert!(error.to_string().contains("not supported yet"));

    // A malformed claims condition is a different error, even today.
    let toml = format!(
        "{ISSUER}[[route]]\npath = \"/admin\"\nrequire = {{ claims = {{ path = \"realm_access.roles\", any = [\"a\"], equals = \"b\" }} }}\n"
    );
    assert!(matches!(
        error_of(&toml),
        ConfigError::InvalidClaimsCondition { .. }
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
    assert_eq!(config.route_count(), 4);
    assert_eq!(config.upstream_count(), 2);
    config.build_verifier().unwrap();
}
