//! `GET /{pool}/.well-known/openid-configuration`: OpenID Connect discovery.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde_json::{Value, json};

use crate::jwks_endpoint::plain;
use crate::state::{Counters, Shared};

/// The standard OIDC scopes Cognito lists before the custom ones.
const OIDC_SCOPES: [&str; 4] = ["openid", "email", "phone", "profile"];

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    Path(pool): Path<String>,
) -> Response {
    if pool != shared.config.pool_id {
        return plain(StatusCode::NOT_FOUND, "unknown user pool");
    }
    Counters::bump(&shared.counters.discovery);
    let mut response = Response::new(Body::from(document(&shared).to_string()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The discovery document (issuer and `jwks_uri` possibly overridden with
/// [`TestIssuer::set_discovery_issuer`](crate::TestIssuer::set_discovery_issuer) and
/// [`TestIssuer::set_discovery_jwks_uri`](crate::TestIssuer::set_discovery_jwks_uri)).
pub(crate) fn document(shared: &Shared) -> Value {
    let config = &shared.config;
    let scopes: Vec<&str> = OIDC_SCOPES
        .iter()
        .copied()
        .chain(config.all_scopes())
        .collect();
    json!({
        "issuer": shared.discovery_issuer(),
        "jwks_uri": shared.discovery_jwks_uri(),
        "token_endpoint": config.token_url(),
        "authorization_endpoint": config.authorize_url(),
        "response_types_supported": ["code", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": scopes,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "grant_types_supported": ["client_credentials"],
    })
}
