//! `POST /oauth2/token`: Cognito's client-credentials grant (RFC 6749 §4.4).
//!
//! Checks, in order: `Content-Type` is form-urlencoded; no parameter repeated;
//! at most one client-authentication method; `grant_type` present; client
//! authenticated (Basic or body); `grant_type` is `client_credentials`; requested
//! scopes are a subset of the client's. Parameters with an empty value count as
//! absent (RFC 6749 §3.1).

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use http::{HeaderMap, HeaderValue};
use serde_json::json;

use crate::basic_auth::{self, BasicError};
use crate::clock::now_unix;
use crate::config::ClientConfig;
use crate::oauth_error::OAuthError;
use crate::state::{Counters, Shared};
use crate::token::TokenBuilder;

const FORM: &str = "application/x-www-form-urlencoded";

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    Counters::bump(&shared.counters.token);
    match issue(&shared, &headers, &body) {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(error = error.error, "token request refused");
            error.into_response()
        }
    }
}

fn issue(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    require_form_content_type(headers)?;
    let params = parse_form(body)?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let client = authenticate(shared, headers, &params)?;
    if grant_type != "client_credentials" {
        return Err(OAuthError::unsupported_grant_type(
            "only client_credentials is supported",
        ));
    }
    let scopes = granted_scopes(client, params.get("scope").map(String::as_str))?;
    let now = now_unix().map_err(|_| OAuthError::server_error("clock error"))?;
    let lifetime = shared.config.token_lifetime.as_secs();
    let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let token = TokenBuilder::access_token(&shared.config.issuer, &client.id, &scope_refs, now)
        .expires_at(now.saturating_add(lifetime))
        .sign(&shared.signing_key())
        .map_err(|_| OAuthError::server_error("signing failed"))?;
    let body = json!({
        "access_token": token,
        "expires_in": lifetime,
        "token_type": "Bearer",
    });
    let mut response = Response::new(Body::from(body.to_string()));
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

fn require_form_content_type(headers: &HeaderMap) -> Result<(), OAuthError> {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    let ok = match (values.next(), values.next()) {
        (Some(value), None) => value
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case(FORM)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(format!(
            "Content-Type must be {FORM}"
        )))
    }
}

/// Parameters by name; empty values dropped; any repeated name is an error
/// (RFC 6749 §3.2).
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut params = HashMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        if value.is_empty() {
            continue;
        }
        if params
            .insert(name.to_string(), value.into_owned())
            .is_some()
        {
            return Err(OAuthError::invalid_request(format!(
                "parameter {name} is repeated"
            )));
        }
    }
    Ok(params)
}

/// client_secret_basic or client_secret_post, never both, never neither.
fn authenticate<'a>(
    shared: &'a Shared,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<&'a ClientConfig, OAuthError> {
    let mut authorization = headers.get_all(AUTHORIZATION).iter();
    let (id, secret) = match (authorization.next(), authorization.next()) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "more than one Authorization header",
            ));
        }
        (Some(value), None) => {
            if params.contains_key("client_secret") {
                return Err(OAuthError::invalid_request(
                    "more than one client authentication method",
                ));
            }
            let credentials = basic_auth::parse(value.as_bytes()).map_err(|e| match e {
                BasicError::NotBasic => {
                    OAuthError::invalid_client("unsupported client authentication method")
                }
                BasicError::Malformed => OAuthError::invalid_client("malformed Basic credentials"),
            })?;
            if params
                .get("client_id")
                .is_some_and(|id| *id != credentials.client_id)
            {
                return Err(OAuthError::invalid_request(
                    "client_id does not match the Authorization header",
                ));
            }
            (credentials.client_id, credentials.client_secret)
        }
        (None, _) => match (params.get("client_id"), params.get("client_secret")) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone()),
            _ => return Err(OAuthError::invalid_client("client authentication required")),
        },
    };
    let client = shared
        .config
        .client(&id)
        .ok_or_else(|| OAuthError::invalid_client("client authentication failed"))?;
    verify_slices_are_equal(client.secret.as_bytes(), secret.as_bytes())
        .map_err(|_| OAuthError::invalid_client("client authentication failed"))?;
    Ok(client)
}

/// The requested scopes (deduplicated, in request order) if all are allowed;
/// all allowed scopes when none were requested.
fn granted_scopes(
    client: &ClientConfig,
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let mut granted: Vec<String> = Vec::new();
    for scope in requested
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
    {
        if !client.allowed_scopes.iter().any(|allowed| allowed == scope) {
            return Err(OAuthError::invalid_scope(
                "requested scope is not allowed for this client",
            ));
        }
        if !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    if granted.is_empty() {
        granted.clone_from(&client.allowed_scopes);
    }
    Ok(granted)
}
