//! Every middleware has tower-http's shape: `XLayer` builds `X`, `X::layer(..)` makes the
//! layer, and `X` gives its inner service back through `get_ref`, `get_mut` and `into_inner`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tollgate_testkit::{SigningKey, jwks_json};
use tollgate_tower::{
    Auth, AuthLayer, GrpcRequire, GrpcRequireLayer, GrpcScopes, GrpcScopesLayer, Require,
    RequireLayer, RequireScopes, RequireScopesLayer, Requirement, ScopeRequirement,
};
use tollgate_verify::jwks::JwksSource;
use tollgate_verify::{Issuer, Verifier};
use tower_layer::Layer;

/// An inner service that is only an identity: what the accessors must hand back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner(u32);

fn verifier() -> Verifier {
    let key = SigningKey::fixture(0).unwrap();
    Verifier::builder()
        .issuer(
            Issuer::cognito_issuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Shape")
                .any_client()
                .jwks_source(JwksSource::static_json(jwks_json(&[&key]))),
        )
        .build_lazy()
        .unwrap()
}

#[test]
fn auth_layer_builds_auth() {
    let verifier = verifier();
    let layer: AuthLayer = Auth::layer(verifier.clone()).realm("shape");
    let mut service: Auth<Inner> = layer.layer(Inner(1));
    assert_eq!(service.get_ref(), &Inner(1));
    service.get_mut().0 = 2;
    assert_eq!(service.into_inner(), Inner(2));
    let _: Auth<Inner> = AuthLayer::new(verifier).layer(Inner(3));
}

#[test]
fn require_scopes_layer_builds_require_scopes() {
    let requirement = ScopeRequirement::any(["orders/read"]);
    let layer: RequireScopesLayer = RequireScopes::layer(requirement.clone());
    assert_eq!(
        format!("{:?}", layer.requirement()),
        format!("{requirement:?}")
    );
    let mut service: RequireScopes<Inner> = layer.layer(Inner(1));
    assert_eq!(service.get_ref(), &Inner(1));
    service.get_mut().0 = 2;
    assert_eq!(service.into_inner(), Inner(2));
    let _: RequireScopes<Inner> = RequireScopesLayer::all(["a", "b"]).layer(Inner(3));
}

#[test]
fn grpc_scopes_layer_builds_grpc_scopes() {
    let layer: GrpcScopesLayer = GrpcScopes::layer().method(
        "/orders.v1.Orders/GetOrder",
        ScopeRequirement::authenticated(),
    );
    let mut service: GrpcScopes<Inner> = layer.layer(Inner(1));
    assert_eq!(service.get_ref(), &Inner(1));
    service.get_mut().0 = 2;
    assert_eq!(service.into_inner(), Inner(2));
    let _: GrpcScopes<Inner> = GrpcScopesLayer::new().allow_unlisted().layer(Inner(3));
}

#[test]
fn require_layer_builds_require() {
    let requirement = Requirement::scopes_any(["orders/admin"])
        .or(Requirement::claim("cognito:groups").any(["analysts"]));
    let layer: RequireLayer = Require::layer(requirement.clone());
    assert_eq!(
        format!("{:?}", layer.requirement()),
        format!("{requirement:?}")
    );
    let mut service: Require<Inner> = layer.layer(Inner(1));
    assert_eq!(service.get_ref(), &Inner(1));
    service.get_mut().0 = 2;
    assert_eq!(service.into_inner(), Inner(2));
    let _: Require<Inner> = RequireLayer::new(ScopeRequirement::any(["a"])).layer(Inner(3));
}

#[test]
fn grpc_require_layer_builds_grpc_require() {
    let layer: GrpcRequireLayer = GrpcRequire::layer().method(
        "/orders.v1.Orders/GetReport",
        Requirement::claim("cognito:groups").any(["analysts"]),
    );
    let mut service: GrpcRequire<Inner> = layer.layer(Inner(1));
    assert_eq!(service.get_ref(), &Inner(1));
    service.get_mut().0 = 2;
    assert_eq!(service.into_inner(), Inner(2));
    let _: GrpcRequire<Inner> = GrpcRequireLayer::new().allow_unlisted().layer(Inner(3));
}
