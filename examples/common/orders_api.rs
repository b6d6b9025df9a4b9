//! The demo "orders" API shared by the quickstart and resource_server examples.
//!
//! | route | needs |
//! | --- | --- |
//! | `GET /health` | nothing |
//! | `GET /whoami` | any valid token |
//! | `GET /orders` | scope `orders/read` |
//! | `POST /orders` | scope `orders/write` |
//! | `DELETE /orders/{id}` | scopes `orders/write` and `orders/admin` |
//! | `GET /reports` | scope `orders/admin`, or `analysts` in `cognito:groups` |

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tollgate::{
    AuthLayer, Authenticated, GrantedScopes, RequireLayer, RequireScopesLayer, Requirement,
    Verifier,
};

/// The API, protected by `verifier`.
pub(crate) fn router(verifier: Verifier) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/whoami", get(whoami))
        .route(
            "/orders",
            get(list_orders).route_layer(RequireScopesLayer::any(["orders/read"])),
        )
        .route(
            "/orders",
            post(create_order).route_layer(RequireScopesLayer::all(["orders/write"])),
        )
        .route(
            "/orders/{id}",
            delete(delete_order)
                .route_layer(RequireScopesLayer::all(["orders/write", "orders/admin"])),
        )
        .route(
            "/reports",
            get(reports).route_layer(RequireLayer::new(
                Requirement::scopes_any(["orders/admin"])
                    .or(Requirement::claim("cognito:groups").any(["analysts"])),
            )),
        )
        .layer(
            AuthLayer::new(verifier)
                .realm("orders-api")
                .skip_path("/health"),
        )
}

async fn health() -> &'static str {
    "ok"
}

#[derive(serde::Serialize)]
struct WhoAmI<'a> {
    sub: Option<&'a str>,
    client_id: Option<&'a str>,
    scopes: Vec<&'a str>,
}

async fn whoami(
    Authenticated(token): Authenticated,
    GrantedScopes(scopes): GrantedScopes,
) -> Response {
    let who = WhoAmI {
        sub: token.subject(),
        client_id: token.client_id(),
        scopes: scopes.iter().collect(),
    };
    match serde_json::to_vec(&who) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn list_orders(Authenticated(token): Authenticated) -> Json<Value> {
    Json(json!({
        "client_id": token.client_id(),
        "orders": [{ "id": 42, "item": "tollgate sticker", "quantity": 3 }],
    }))
}

async fn create_order(Authenticated(token): Authenticated) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(json!({ "id": 43, "created_by": token.client_id() })),
    )
}

async fn reports(Authenticated(token): Authenticated) -> Json<Value> {
    let by = token.claims().username().or(token.client_id());
    Json(json!({
        "report": "orders per day",
        "requested_by": by,
        "rows": [{ "day": "2025-01-06", "orders": 12 }],
    }))
}

async fn delete_order(Path(id): Path<u64>) -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({ "deleted": id })))
}
