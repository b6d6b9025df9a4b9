//! `GET /alb-keys/{kid}`: the emulated AWS Application Load Balancer key endpoint
//! (`https://public-keys.auth.elb.{region}.amazonaws.com/{kid}`): the PEM public key of each
//! ALB key by kid, 404 for unknown kids, with body overrides, faults and a hold gate.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};

use crate::jwks_endpoint::{fault_response, plain};
use crate::state::Shared;

pub(crate) async fn handle(State(shared): State<Arc<Shared>>, Path(kid): Path<String>) -> Response {
    shared.note_alb_request();
    let fault = shared.alb().faults.pop_front();
    if !shared.wait_while_alb_held().await {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "issuer shutting down");
    }
    let body = {
        let alb = shared.alb();
        alb.bodies.get(&kid).cloned().or_else(|| {
            alb.published
                .iter()
                .find(|key| key.kid() == kid)
                .map(crate::SigningKey::public_key_spki_pem)
        })
    };
    if let Some(fault) = fault {
        if let crate::JwksFault::Hang = fault {
            shared.shutdown_signal().await;
            return plain(StatusCode::SERVICE_UNAVAILABLE, "issuer shutting down");
        }
        return fault_response(&shared, fault, body.unwrap_or_default());
    }
    let Some(body) = body else {
        return plain(StatusCode::NOT_FOUND, "no such key");
    };
    let mut response = Response::new(axum::body::Body::from(body));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-pem-file"),
    );
    response
}
