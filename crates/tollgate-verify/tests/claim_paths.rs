//! Reading claims by path on verified tokens (`VerifiedToken::claim`, `Claims::claim_at`) and
//! choosing where scopes come from (`Issuer::scope_claims`), on real signed tokens.
//!
//! Paths: top-level names with `:` (`cognito:groups`), nested members
//! (`realm_access.roles`, `resource_access.orders-api.roles`), quoted names with `.`
//! (`"https://example.com/roles"`); every typed accessor refuses other JSON types.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{CLIENT, Env, SCOPE};
use serde_json::json;
use tollgate_verify::{
    BuildError, ClaimPath, InvalidClaimPath, Issuer, ScopeClaim, VerifiedToken, Verifier,
    VerifyError,
};

async fn verified(env: &Env, claims: &[(&str, serde_json::Value)]) -> VerifiedToken {
    let mut builder = env.token();
    for (name, value) in claims {
        builder = builder.claim(name, value.clone());
    }
    env.verify(&env.sign(&builder)).await.unwrap()
}

fn user_claims() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("cognito:groups", json!(["analysts", "admins"])),
        (
            "realm_access",
            json!({ "roles": ["orders-reader", "offline_access"] }),
        ),
        (
            "resource_access",
            json!({ "orders-api": { "roles": ["approver"] }, "orders.api": { "roles": ["x"] } }),
        ),
        ("https://example.com/roles", json!(["editor"])),
        ("email_verified", json!(true)),
        ("custom:level", json!(7)),
        ("custom:ratio", json!(0.5)),
        ("custom:tenant", json!("acme")),
        ("groups", json!(["a", 1])),
        ("nothing", json!(null)),
    ]
}

#[tokio::test]
async fn claims_are_found_by_name_and_by_nested_path() {
    let env = Env::new().await;
    let token = verified(&env, &user_claims()).await;

    let groups: Vec<&str> = token
        .claim("cognito:groups")
        .unwrap()
        .as_strs()
        .unwrap()
        .collect();
    assert_eq!(groups, ["analysts", "admins"]);
    let roles: Vec<&str> = token
        .claim("realm_access.roles")
        .unwrap()
        .as_strs()
        .unwrap()
        .collect();
    assert_eq!(roles, ["orders-reader", "offline_access"]);
    assert!(
        token
            .claim("resource_access.orders-api.roles")
            .unwrap()
            .contains("approver")
    );
    assert!(
        token
            .claim(r#"resource_access."orders.api".roles"#)
            .unwrap()
            .contains("x")
    );
    assert!(
        token
            .claim(r#""https://example.com/roles""#)
            .unwrap()
            .contains("editor")
    );
    // Unquoted, the same text is three segments and names nothing.
    assert!(token.claim("https://example.com/roles").is_none());

    // Typed claims are found too.
    assert_eq!(token.claim("client_id").unwrap().as_str(), Some(CLIENT));
    assert_eq!(token.claim("scope").unwrap().as_str(), Some(SCOPE));
    assert_eq!(
        token.claim("exp").unwrap().as_i64(),
        Some(token.expires_at())
    );
    assert_eq!(token.claim("version").unwrap().as_u64(), Some(2));

    // Typed accessors.
    assert_eq!(token.claim("email_verified").unwrap().as_bool(), Some(true));
    assert_eq!(token.claim("custom:level").unwrap().as_i64(), Some(7));
    assert_eq!(token.claim("custom:level").unwrap().as_f64(), Some(7.0));
    assert_eq!(token.claim("custom:ratio").unwrap().as_f64(), Some(0.5));
    assert_eq!(token.claim("custom:ratio").unwrap().as_i64(), None);
    assert_eq!(token.claim("custom:tenant").unwrap().as_str(), Some("acme"));
    assert!(token.claim("nothing").unwrap().is_null());
    assert_eq!(
        token.claim("realm_access").unwrap().to_value(),
        json!({ "roles": ["orders-reader", "offline_access"] })
    );
}

#[tokio::test]
async fn accessors_never_convert_between_types() {
    let env = Env::new().await;
    let token = verified(&env, &user_claims()).await;
    let tenant = token.claim("custom:tenant").unwrap();
    assert_eq!(
        (
            tenant.as_bool(),
            tenant.as_i64(),
            tenant.as_strs().is_some()
        ),
        (None, None, false)
    );
    // A string is one string for `strings` and `contains`, but not an array.
    assert_eq!(tenant.strings().unwrap().collect::<Vec<_>>(), ["acme"]);
    assert!(tenant.contains("acme") && !tenant.contains("acm"));
    let level = token.claim("custom:level").unwrap();
    assert_eq!((level.as_str(), level.as_bool()), (None, None));
    assert!(!level.contains("7"));
    // An array with anything but strings is not a string array, and contains nothing.
    let mixed = token.claim("groups").unwrap();
    assert!(mixed.as_strs().is_none() && mixed.strings().is_none());
    assert!(!mixed.contains("a"));
    assert!(token.claim("email_verified").unwrap().as_str().is_none());
    // `Debug` names the type, never the value.
    assert_eq!(format!("{tenant:?}"), "Claim(\"string\")");
}

#[tokio::test]
async fn absent_claims_wrong_paths_and_invalid_paths_are_none() {
    let env = Env::new().await;
    let token = verified(&env, &user_claims()).await;
    for path in [
        "missing",
        "realm_access.missing",
        "realm_access.roles.0",
        "custom:tenant.x",
        "cognito:groups.analysts",
        "exp.x",
        "realm_access..roles",
        "realm_access.",
        "",
        r#""unterminated"#,
    ] {
        assert!(token.claim(path).is_none(), "{path:?}");
    }
    assert_eq!(
        ClaimPath::parse("realm_access..roles"),
        Err(InvalidClaimPath::EmptySegment)
    );
    // A parsed path finds the same claims.
    let path = ClaimPath::parse("resource_access.orders-api.roles").unwrap();
    assert!(token.claims().claim_at(&path).unwrap().contains("approver"));
    assert!(
        token
            .claims()
            .claim_at(&ClaimPath::top_level("https://example.com/roles"))
            .unwrap()
            .contains("editor")
    );
}

/// Issue 11: `scope_claims(["cognito:groups"])` found nothing while groups were read into a
/// typed field; any claim can now be the scope source, nested ones included.
#[tokio::test]
async fn scope_claims_read_groups_roles_and_nested_arrays() {
    let groups = Env::build(|b| b, |i| i.scope_claims(["cognito:groups"]), |v| v).await;
    let token = verified(&groups, &user_claims()).await;
    assert_eq!(
        token.scopes().iter().collect::<Vec<_>>(),
        ["admins", "analysts"]
    );
    assert!(
        !token.scopes().contains(SCOPE),
        "only the configured claims are read"
    );
    // Absent: no scopes, the token is still valid.
    let none = groups.verify(&groups.good()).await.unwrap();
    assert!(none.scopes().is_empty());
    // Not an array of strings: the whole token is refused (the parser types `cognito:groups`).
    let bad = groups.sign(&groups.token().claim("cognito:groups", "admins"));
    assert_eq!(
        groups.check(&bad).await,
        Err(VerifyError::InvalidClaimType("cognito:groups"))
    );

    let both = Env::build(
        |b| b,
        |i| {
            i.scope_claims([
                ScopeClaim::space_delimited("scope"),
                ScopeClaim::from("cognito:groups"),
            ])
        },
        |v| v,
    )
    .await;
    let token = verified(&both, &user_claims()).await;
    assert_eq!(
        token.scopes().iter().collect::<Vec<_>>(),
        ["admins", "analysts", SCOPE]
    );
    // `scope` stays string-only: an array refuses the token.
    let array_scope = both.sign(&both.token().claim("scope", json!(["orders/read"])));
    assert_eq!(
        both.check(&array_scope).await,
        Err(VerifyError::InvalidClaimType("scope"))
    );
    // Named plainly, as the README writes it, `scope` is string-only as well: listing groups
    // next to it never loosens the Cognito rule.
    let plain = Env::build(
        |b| b,
        |i| i.scope_claims(["scope", "cognito:groups"]),
        |v| v,
    )
    .await;
    let token = verified(&plain, &user_claims()).await;
    assert_eq!(
        token.scopes().iter().collect::<Vec<_>>(),
        ["admins", "analysts", SCOPE]
    );
    let array_scope = plain.sign(&plain.token().claim("scope", json!(["orders/read"])));
    assert_eq!(
        plain.check(&array_scope).await,
        Err(VerifyError::InvalidClaimType("scope"))
    );
    assert!(!ScopeClaim::from("scope").allows_array());
    assert!(ScopeClaim::string_or_array("scope").allows_array());
    assert!(ScopeClaim::from("scp").allows_array());

    let keycloak = Env::build(
        |b| b,
        |i| i.scope_claims(["realm_access.roles", "resource_access.orders-api.roles"]),
        |v| v,
    )
    .await;
    let token = verified(&keycloak, &user_claims()).await;
    assert_eq!(
        token.scopes().iter().collect::<Vec<_>>(),
        ["approver", "offline_access", "orders-reader"]
    );
    // A nested scope source of the wrong type refuses the token like `scope` does.
    let bad = keycloak.sign(
        &keycloak
            .token()
            .claim("realm_access", json!({ "roles": [1] })),
    );
    assert_eq!(
        keycloak.check(&bad).await,
        Err(VerifyError::InvalidClaimType("scope"))
    );
}

#[test]
fn invalid_scope_claim_paths_fail_the_build() {
    let build = |issuer: Issuer| Verifier::builder().issuer(issuer).build_lazy().err();
    let cognito = || Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf123").any_client();
    assert!(matches!(
        build(cognito().scope_claims(["realm_access..roles"])),
        Some(BuildError::InvalidScopeClaim(
            InvalidClaimPath::EmptySegment
        ))
    ));
    assert!(matches!(
        build(cognito().scope_claims([ScopeClaim::space_delimited("a b")])),
        Some(BuildError::InvalidScopeClaim(
            InvalidClaimPath::UnexpectedCharacter
        ))
    ));
    assert!(matches!(
        build(cognito().scope_claims(Vec::<ScopeClaim>::new())),
        Some(BuildError::NoScopeClaim)
    ));
    assert!(build(cognito().scope_claims(["cognito:groups", "scope"])).is_none());
}
