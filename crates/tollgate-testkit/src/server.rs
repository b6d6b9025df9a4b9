//! The axum router and the server task behind a [`TestIssuer`](crate::TestIssuer).

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::state::Shared;
use crate::{alb_endpoint, discovery, jwks_endpoint, token_endpoint};

/// All endpoints; anything else is a 404 (wrong method: 405).
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{pool}/.well-known/jwks.json", get(jwks_endpoint::handle))
        .route(
            "/{pool}/.well-known/openid-configuration",
            get(discovery::handle),
        )
        .route("/oauth2/token", post(token_endpoint::handle))
        .route("/alb-keys/{kid}", get(alb_endpoint::handle))
        .with_state(shared)
}

/// Serves on the already-bound `listener` until shutdown is triggered, then
/// finishes the in-flight requests (hanging ones are released by the same signal).
pub(crate) fn spawn(
    runtime: &Handle,
    listener: TcpListener,
    shared: Arc<Shared>,
) -> JoinHandle<()> {
    let signal = shared.shutdown_signal();
    let app = router(shared);
    runtime.spawn(async move {
        // No Nagle: a response written in several pieces (HTTP/2 frames) must not wait for the
        // client's delayed ACK (40 ms on Linux).
        let listener = listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "TCP_NODELAY not set");
            }
        });
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .await
        {
            tracing::warn!(%error, "test issuer stopped with an error");
        }
    })
}
