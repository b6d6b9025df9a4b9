//! The admin listener: `/healthz` (alive), `/readyz` (every issuer's keys loaded, not
//! draining), `/metrics` (Prometheus text format).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tollgate_verify::Verifier;

/// The process's Prometheus recorder: installed by the first gateway, shared by later ones
/// (tests run several in one process). `None` when another recorder was installed first.
pub(crate) fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::warn!(target: "tollgate::gateway", %error, "metrics recorder not installed: /metrics is empty");
                None
            }
        })
        .as_ref()
}

/// How often [`upkeep`] drains the histograms (the exporter's own default).
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Drains the recorder's histogram samples into its summaries every [`UPKEEP_INTERVAL`],
/// forever: what `PrometheusBuilder::install` does by itself and `install_recorder` leaves
/// to its caller. Without it every request's samples are kept until the next scrape of
/// `/metrics`: memory without bound when nobody scrapes.
pub(crate) async fn upkeep(handle: &'static PrometheusHandle) {
    let mut interval = tokio::time::interval(UPKEEP_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        handle.run_upkeep();
    }
}

/// What the admin endpoints look at.
#[derive(Debug)]
pub(crate) struct AdminState {
    pub(crate) verifier: Verifier,
    pub(crate) draining: AtomicBool,
}

impl AdminState {
    /// Every issuer has a usable key set, and the gateway is not draining.
    pub(crate) fn is_ready(&self) -> bool {
        !self.draining.load(Ordering::Relaxed)
            && self.verifier.issuers().all(|iss| {
                self.verifier.keys(iss).is_some_and(|keys| {
                    let status = keys.status();
                    status.is_usable && status.key_count > 0
                })
            })
    }
}

fn text(
    status: StatusCode,
    body: impl Into<Bytes>,
    content_type: &'static str,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Answers one admin request.
pub(crate) fn answer<B>(state: &Arc<AdminState>, request: &Request<B>) -> Response<Full<Bytes>> {
    const PLAIN: &str = "text/plain; charset=utf-8";
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "", PLAIN);
    }
    match request.uri().path() {
        "/healthz" => text(StatusCode::OK, "ok\n", PLAIN),
        "/readyz" if state.is_ready() => text(StatusCode::OK, "ready\n", PLAIN),
        "/readyz" if state.draining.load(Ordering::Relaxed) => {
            text(StatusCode::SERVICE_UNAVAILABLE, "draining\n", PLAIN)
        }
        "/readyz" => text(StatusCode::SERVICE_UNAVAILABLE, "keys not loaded\n", PLAIN),
        "/metrics" => {
            let body = prometheus()
                .map(PrometheusHandle::render)
                .unwrap_or_default();
            text(
                StatusCode::OK,
                body,
                "text/plain; version=0.0.4; charset=utf-8",
            )
        }
        _ => text(StatusCode::NOT_FOUND, "", PLAIN),
    }
}

type AdminAnswer = std::future::Ready<Result<Response<Full<Bytes>>, Infallible>>;

/// The admin service.
pub(crate) fn service(
    state: Arc<AdminState>,
) -> impl tower::Service<
    Request<hyper::body::Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = AdminAnswer,
> + Clone {
    tower::service_fn(move |request: Request<hyper::body::Incoming>| {
        std::future::ready(Ok(answer(&state, &request)))
    })
}
