//! Claim requirements per route over real loopback HTTP (issue 11): an axum router whose routes
//! carry `RequireLayer`s over groups (`cognito:groups`), roles (`realm_access.roles`,
//! `resource_access.<client>.roles`), namespaced claims, exact values, predicates and AND / OR
//! combinations with scopes, behind `AuthLayer` with a custom-claims type that is neither
//! `Clone` nor `Debug`. Every answer is checked byte for byte: the status, the challenges, and
//! that no claim value or group name ever appears in an answer.
//!
//! Challenges (security catalogue, rejection table): 403 `error="insufficient_scope"` always;
//! one challenge with `scope="…"` per alternative that scopes alone would satisfy given the
//! token's claims; a single challenge without `scope` when a claim or predicate is what is
//! missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tollgate::{
    AuthLayer, Authenticated, Issuer, ProblemDetails, RequireLayer, RequireScopesLayer,
    Requirement, VerifiedToken, Verifier,
};
use tollgate_testkit::{DEFAULT_CLIENT_ID, SigningKey, TestIssuer};

const REALM: &str = "claims";

/// The custom claims of these tests: only `Deserialize` (no `Clone`, no `Debug`).
#[derive(serde::Deserialize)]
struct Staff {
    #[serde(rename = "custom:clearance", default)]
    clearance: u8,
}

async fn handler(Authenticated(token): Authenticated<Staff>) -> String {
    format!("ok clearance={}", token.custom().clearance)
}

fn route(requirement: Requirement) -> axum::routing::MethodRouter {
    get(handler).route_layer(RequireLayer::new(requirement))
}

fn routes() -> Router {
    let group = |path: &str| Requirement::claim(path);
    Router::new()
        .route(
            "/groups/any",
            route(group("cognito:groups").any(["admins", "analysts"])),
        )
        .route(
            "/groups/all",
            route(group("cognito:groups").all(["admins", "analysts"])),
        )
        .route(
            "/groups/one-of",
            route(group("cognito:groups").one_of([vec!["admins"], vec!["analysts", "auditors"]])),
        )
        .route(
            "/groups/many",
            route(group("cognito:groups").any([
                "g01", "g02", "g03", "g04", "g05", "g06", "g07", "g08", "g09", "g10",
            ])),
        )
        .route("/tenant", route(group("custom:tenant").equals("acme")))
        .route(
            "/realm",
            route(group("realm_access.roles").any(["orders-reader"])),
        )
        .route(
            "/client-role",
            route(group("resource_access.orders-api.roles").all(["approve"])),
        )
        .route(
            "/namespaced",
            route(group(r#""https://example.com/roles""#).any(["editor"])),
        )
        .route(
            "/reports",
            route(
                Requirement::scopes_any(["orders/admin"])
                    .or(group("cognito:groups").any(["analysts"])),
            ),
        )
        .route(
            "/scope-and-group",
            route(
                Requirement::scopes_any(["orders/read"])
                    .and(group("cognito:groups").any(["admins"])),
            ),
        )
        .route(
            "/scope-sets-or-group",
            route(
                Requirement::scopes_one_of([
                    vec!["orders/read", "orders/write"],
                    vec!["orders/admin"],
                ])
                .or(group("cognito:groups").any(["analysts"])),
            ),
        )
        .route(
            "/and-of-ors",
            route(
                Requirement::scopes_any(["a"])
                    .or(group("cognito:groups").any(["x"]))
                    .and(Requirement::scopes_any(["b"]).or(group("cognito:groups").any(["y"]))),
            ),
        )
        .route(
            "/cleared",
            route(Requirement::predicate(|token: &VerifiedToken<Staff>| {
                token.custom().clearance >= 3
            })),
        )
        .route(
            "/cleared-or-admin-scope",
            route(
                Requirement::predicate(|token: &VerifiedToken<Staff>| {
                    token.custom().clearance >= 3
                })
                .or(Requirement::scopes_any(["orders/admin"])),
            ),
        )
        .route(
            "/wrong-claims-type",
            route(Requirement::predicate(|token: &VerifiedToken| {
                token.subject().is_some()
            })),
        )
        .route(
            "/empty",
            route(group("cognito:groups").any(Vec::<&str>::new())),
        )
        .route(
            "/invalid-path",
            route(group("cognito:groups..x").any(["admins"])),
        )
        .route("/authenticated", route(Requirement::authenticated()))
        .route(
            "/empty-and",
            route(Requirement::all_of(Vec::<Requirement>::new()).and(Requirement::authenticated())),
        )
        .route(
            "/empty-nested",
            route(Requirement::all_of([
                Requirement::all_of(Vec::<Requirement>::new()),
                Requirement::scopes_any(["orders/read"]),
            ])),
        )
        .route(
            "/scopes-only",
            get(handler).route_layer(RequireScopesLayer::all(["orders/write", "orders/admin"])),
        )
}

struct Env {
    issuer: TestIssuer,
    addr: SocketAddr,
}

async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap()
}

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn env() -> Env {
    env_with(|layer| layer).await
}

async fn env_with(configure: impl FnOnce(AuthLayer<Staff>) -> AuthLayer<Staff>) -> Env {
    let issuer = issuer().await;
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .custom_claims::<Staff>()
        .build()
        .await
        .unwrap();
    let addr = serve(routes().layer(configure(AuthLayer::new(verifier).realm(REALM)))).await;
    Env { issuer, addr }
}

impl Env {
    /// A user's access token with these scopes and extra claims.
    fn token(&self, scopes: &[&str], claims: &[(&str, Value)]) -> String {
        let mut builder = self.issuer.token_builder(DEFAULT_CLIENT_ID, scopes);
        for (name, value) in claims {
            builder = builder.claim(name, value.clone());
        }
        self.issuer.sign(&builder).unwrap()
    }

    fn groups(&self, scopes: &[&str], groups: &[&str]) -> String {
        self.token(scopes, &[("cognito:groups", json!(groups))])
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("http://{}{path}", self.addr));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let challenges = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let everything = format!("{:?}", response.headers());
        let body = response.text().await.unwrap();
        Answer {
            status,
            challenges,
            everything: everything + &body,
            body,
        }
    }
}

#[derive(Debug)]
struct Answer {
    status: u16,
    challenges: Vec<String>,
    body: String,
    /// Headers and body, for leak checks.
    everything: String,
}

/// `Bearer realm="claims", error="insufficient_scope"[, scope=".."]`.
fn forbidden(scope: Option<&str>) -> String {
    match scope {
        Some(scope) => {
            format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\"")
        }
        None => format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\""),
    }
}

#[track_caller]
fn assert_ok(answer: &Answer) {
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.starts_with("ok"), "{answer:?}");
}

/// 403 with exactly these challenges (`None`: one challenge without `scope`), no body, and
/// none of `secrets` anywhere in the answer.
#[track_caller]
fn assert_forbidden(answer: &Answer, scopes: &[Option<&str>], secrets: &[&str]) {
    assert_eq!(answer.status, 403, "{answer:?}");
    let expected: Vec<String> = scopes.iter().map(|s| forbidden(*s)).collect();
    assert_eq!(answer.challenges, expected, "{answer:?}");
    assert!(answer.body.is_empty(), "{answer:?}");
    for secret in secrets {
        assert!(
            !answer.everything.contains(secret),
            "{secret} leaked: {answer:?}"
        );
    }
}

/// C30–C32: groups by `any`, `all`, `one_of`.
#[tokio::test]
async fn c30_group_requirements_any_all_one_of() {
    let env = env().await;
    let secrets = ["admins", "analysts", "auditors", "interns"];
    for (path, groups, allowed) in [
        ("/groups/any", &["admins"][..], true),
        ("/groups/any", &["interns", "analysts"], true),
        ("/groups/any", &["interns"], false),
        ("/groups/any", &["Admins"], false),
        ("/groups/any", &[], false),
        ("/groups/all", &["analysts", "interns", "admins"], true),
        ("/groups/all", &["admins"], false),
        ("/groups/all", &["admins", "admins"], false),
        ("/groups/one-of", &["admins"], true),
        ("/groups/one-of", &["auditors", "analysts"], true),
        ("/groups/one-of", &["analysts"], false),
        ("/groups/one-of", &["auditors"], false),
        // More values than a linear scan is used for: looked up by binary search.
        ("/groups/many", &["interns", "g10"], true),
        ("/groups/many", &["g01"], true),
        ("/groups/many", &["g1", "g11", "G05"], false),
    ] {
        let token = env.groups(&["orders/read"], groups);
        let answer = env.get(path, Some(&token)).await;
        if allowed {
            assert_ok(&answer);
        } else {
            assert_forbidden(&answer, &[None], &secrets);
        }
    }
    // No `cognito:groups` at all: refused the same way.
    let none = env.token(&["orders/admin"], &[]);
    assert_forbidden(
        &env.get("/groups/any", Some(&none)).await,
        &[None],
        &secrets,
    );
    // No token: 401 with a bare challenge, as on every protected route.
    let answer = env.get("/groups/any", None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.challenges, [format!("Bearer realm=\"{REALM}\"")]);
}

/// C31: roles of Keycloak (`realm_access.roles`, `resource_access.<client>.roles`), a claim
/// name with `.` (quoted), and exact string values.
#[tokio::test]
async fn c31_nested_roles_namespaced_claims_and_exact_values() {
    let env = env().await;
    let keycloak = env.token(
        &[],
        &[
            (
                "realm_access",
                json!({ "roles": ["orders-reader", "offline_access"] }),
            ),
            (
                "resource_access",
                json!({ "orders-api": { "roles": ["approve"] }, "billing": { "roles": ["x"] } }),
            ),
            ("https://example.com/roles", json!(["editor"])),
            ("custom:tenant", "acme".into()),
        ],
    );
    for path in ["/realm", "/client-role", "/namespaced", "/tenant"] {
        assert_ok(&env.get(path, Some(&keycloak)).await);
    }
    let other = env.token(
        &[],
        &[
            ("realm_access", json!({ "roles": ["offline_access"] })),
            (
                "resource_access",
                json!({ "billing": { "roles": ["approve"] } }),
            ),
            ("https://example.com/roles", json!("editor-in-chief")),
            ("custom:tenant", json!(["acme"])),
        ],
    );
    let secrets = [
        "orders-reader",
        "approve",
        "editor",
        "acme",
        "offline_access",
    ];
    for path in ["/realm", "/client-role", "/namespaced", "/tenant"] {
        assert_forbidden(&env.get(path, Some(&other)).await, &[None], &secrets);
    }
}

/// C32: claims of other shapes never satisfy a requirement (fail closed), and never refuse the
/// token either: they are 403 on claim routes and 200 elsewhere.
#[tokio::test]
async fn c32_claims_of_other_shapes_satisfy_nothing() {
    let env = env().await;
    for realm_access in [
        json!({ "roles": ["orders-reader", 1] }),
        json!({ "roles": "orders-reader orders-writer" }),
        json!({ "roles": { "orders-reader": true } }),
        json!({ "roles": null }),
        json!("orders-reader"),
        json!(["orders-reader"]),
    ] {
        let token = env.token(&[], &[("realm_access", realm_access.clone())]);
        assert_forbidden(&env.get("/realm", Some(&token)).await, &[None], &[]);
        assert_ok(&env.get("/authenticated", Some(&token)).await);
    }
    // `equals` wants a string: numbers and booleans are not compared as text.
    for tenant in [json!(1), json!(true), json!(null)] {
        let token = env.token(&[], &[("custom:tenant", tenant)]);
        assert_forbidden(&env.get("/tenant", Some(&token)).await, &[None], &[]);
    }
    // `cognito:groups` is typed by the verifier: not an array of strings refuses the token.
    let bad = env.token(&[], &[("cognito:groups", json!("admins"))]);
    assert_eq!(env.get("/authenticated", Some(&bad)).await.status, 401);
}

/// C33: `scope` OR group: `scope=` names the scope alternative only.
#[tokio::test]
async fn c33_scope_or_group_names_only_the_scope_alternative() {
    let env = env().await;
    assert_ok(
        &env.get("/reports", Some(&env.groups(&["orders/admin"], &[])))
            .await,
    );
    assert_ok(
        &env.get("/reports", Some(&env.groups(&[], &["analysts"])))
            .await,
    );
    let neither = env.groups(&["orders/read"], &["interns"]);
    assert_forbidden(
        &env.get("/reports", Some(&neither)).await,
        &[Some("orders/admin")],
        &["analysts", "interns"],
    );
    let answer = env.get("/scope-sets-or-group", Some(&neither)).await;
    assert_forbidden(
        &answer,
        &[Some("orders/read orders/write"), Some("orders/admin")],
        &["analysts", "interns"],
    );
    assert_ok(
        &env.get(
            "/scope-sets-or-group",
            Some(&env.groups(&["orders/read", "orders/write"], &[])),
        )
        .await,
    );
}

/// C34: scope AND group: `scope=` only when the group is held and the scope is what is missing.
#[tokio::test]
async fn c34_scope_and_group_names_a_scope_only_when_it_is_what_is_missing() {
    let env = env().await;
    assert_ok(
        &env.get(
            "/scope-and-group",
            Some(&env.groups(&["orders/read"], &["admins"])),
        )
        .await,
    );
    // Group held, scope missing: the scope would do it.
    assert_forbidden(
        &env.get("/scope-and-group", Some(&env.groups(&[], &["admins"])))
            .await,
        &[Some("orders/read")],
        &["admins"],
    );
    // Scope held, group missing: no scope would help.
    assert_forbidden(
        &env.get(
            "/scope-and-group",
            Some(&env.groups(&["orders/read"], &["interns"])),
        )
        .await,
        &[None],
        &["admins", "interns"],
    );
    // Neither: still the group that no scope can replace.
    assert_forbidden(
        &env.get("/scope-and-group", Some(&env.groups(&[], &[])))
            .await,
        &[None],
        &["admins"],
    );
    // (a or group x) and (b or group y): the minimal scope sets given the groups held.
    let env = &env;
    let and_of_ors = |scopes: &[&'static str], groups: &[&'static str]| {
        let token = env.groups(scopes, groups);
        async move { env.get("/and-of-ors", Some(&token)).await }
    };
    assert_ok(&and_of_ors(&["a", "b"], &[]).await);
    assert_ok(&and_of_ors(&["b"], &["x"]).await);
    assert_ok(&and_of_ors(&[], &["x", "y"]).await);
    assert_forbidden(&and_of_ors(&[], &["x"]).await, &[Some("b")], &["x", "y"]);
    assert_forbidden(&and_of_ors(&["b"], &[]).await, &[Some("a b")], &["x", "y"]);
    assert_forbidden(&and_of_ors(&[], &["y"]).await, &[Some("a")], &["x", "y"]);
    assert_forbidden(&and_of_ors(&[], &[]).await, &[Some("a b")], &["x", "y"]);
}

/// C35: predicates over the verified token and its custom claims; a predicate for another
/// claims type than the verifier's is a configuration error (500), never a pass.
#[tokio::test]
async fn c35_predicates_see_the_custom_claims_and_misconfiguration_is_500() {
    let env = env().await;
    let cleared = env.token(&[], &[("custom:clearance", json!(3))]);
    let answer = env.get("/cleared", Some(&cleared)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "ok clearance=3")
    );
    let low = env.token(&["orders/read"], &[("custom:clearance", json!(2))]);
    assert_forbidden(&env.get("/cleared", Some(&low)).await, &[None], &[]);
    // Predicate OR scope: the scope alternative is named.
    assert_forbidden(
        &env.get("/cleared-or-admin-scope", Some(&low)).await,
        &[Some("orders/admin")],
        &[],
    );
    assert_ok(
        &env.get(
            "/cleared-or-admin-scope",
            Some(&env.groups(&["orders/admin"], &[])),
        )
        .await,
    );
    // The predicate is written for `VerifiedToken` (default claims); the verifier makes
    // `VerifiedToken<Staff>`: 500, no challenge, the handler never runs.
    let answer = env.get("/wrong-claims-type", Some(&cleared)).await;
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(answer.challenges.is_empty() && answer.body.is_empty());
}

/// C36: empty sets and invalid paths never open a route.
#[tokio::test]
async fn c36_empty_sets_and_invalid_paths_never_open_a_route() {
    let env = env().await;
    let everything = env.token(
        &["orders/read", "orders/write", "orders/admin"],
        &[(
            "cognito:groups",
            json!(["admins", "analysts", "auditors", ""]),
        )],
    );
    // An empty set combined with other requirements stays never satisfied.
    for path in ["/empty", "/invalid-path", "/empty-and", "/empty-nested"] {
        assert_forbidden(
            &env.get(path, Some(&everything)).await,
            &[None],
            &["admins"],
        );
    }
    assert_ok(&env.get("/authenticated", Some(&everything)).await);
    // The scope guard is unchanged: one challenge with the whole set, as written.
    assert_forbidden(
        &env.get(
            "/scopes-only",
            Some(&env.groups(&["orders/write"], &["admins"])),
        )
        .await,
        &[Some("orders/write orders/admin")],
        &["admins"],
    );
}

/// A responder shapes the body of claim refusals; the status and challenge stay tollgate's,
/// and the body names no claim value either.
#[tokio::test]
async fn responders_shape_claim_refusals_without_naming_values() {
    let issuer = issuer().await;
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .build()
        .await
        .unwrap();
    let app = Router::new()
        .route(
            "/reports",
            get(|| async { "ok" }).route_layer(
                RequireLayer::new(
                    Requirement::claim("cognito:groups")
                        .any(["analysts"])
                        .and(Requirement::scopes_any(["orders/read"])),
                )
                .responder(ProblemDetails),
            ),
        )
        .layer(AuthLayer::new(verifier).realm(REALM));
    let env = Env {
        addr: serve(app).await,
        issuer,
    };
    let token = env.groups(&["orders/read"], &["interns"]);
    let answer = env.get("/reports", Some(&token)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(answer.challenges, [forbidden(None)]);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["status"], 403);
    assert_eq!(
        body["detail"],
        "the access token lacks the required privileges"
    );
    for secret in ["analysts", "interns", "cognito:groups"] {
        assert!(!answer.everything.contains(secret), "{secret}: {answer:?}");
    }
    assert_ok(
        &env.get(
            "/reports",
            Some(&env.groups(&["orders/read"], &["analysts"])),
        )
        .await,
    );
}

/// Issue 11: groups as the scope source (`scope_claims(["scope", "cognito:groups"])`), so
/// the plain scope guards see groups.
#[tokio::test]
async fn groups_as_scopes_through_the_scope_guard() {
    let issuer = issuer().await;
    let verifier = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(issuer.issuer_url())
                .client_ids([DEFAULT_CLIENT_ID])
                .scope_claims(["scope", "cognito:groups"]),
        )
        .build()
        .await
        .unwrap();
    let app = Router::new()
        .route(
            "/admin",
            get(|| async { "ok admin" }).route_layer(RequireScopesLayer::any(["admins"])),
        )
        .layer(AuthLayer::new(verifier).realm(REALM));
    let env = Env {
        addr: serve(app).await,
        issuer,
    };
    assert_ok(&env.get("/admin", Some(&env.groups(&[], &["admins"]))).await);
    assert_ok(&env.get("/admin", Some(&env.groups(&["admins"], &[]))).await);
    assert_forbidden(
        &env.get("/admin", Some(&env.groups(&["orders/read"], &["interns"])))
            .await,
        &[Some("admins")],
        &["interns"],
    );
}

/// With `allow_anonymous`, a claim-guarded route still answers 401 to anonymous requests.
#[tokio::test]
async fn anonymous_requests_get_401_on_claim_routes() {
    let env = env_with(AuthLayer::allow_anonymous).await;
    let answer = env.get("/groups/any", None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.challenges, [format!("Bearer realm=\"{REALM}\"")]);
    assert_ok(
        &env.get("/groups/any", Some(&env.groups(&[], &["admins"])))
            .await,
    );
}
