//! With the `metrics` feature, every decision is counted through the `metrics` facade:
//! allowed requests, rejections by reason, and verification latency.

#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use http::{Request, Response, StatusCode};
use metrics::{
    Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use tollgate_testkit::{SigningKey, TokenBuilder, jwks_json};
use tollgate_tower::AuthLayer;
use tollgate_verify::jwks::JwksSource;
use tollgate_verify::{Issuer, Verifier};
use tower::{ServiceBuilder, ServiceExt as _};

const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Metrics1";

/// Counts what is recorded, by metric name and labels.
#[derive(Default)]
struct Capture {
    counters: Mutex<BTreeMap<String, Arc<Count>>>,
    histograms: Mutex<BTreeMap<String, Arc<Count>>>,
}

#[derive(Default)]
struct Count(AtomicU64);

impl CounterFn for Count {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::SeqCst);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::SeqCst);
    }
}

impl HistogramFn for Count {
    fn record(&self, _value: f64) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn name(key: &Key) -> String {
    let labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

impl Recorder for Capture {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut map = self.counters.lock().unwrap();
        Counter::from_arc(Arc::clone(map.entry(name(key)).or_default()))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut map = self.histograms.lock().unwrap();
        Histogram::from_arc(Arc::clone(map.entry(name(key)).or_default()))
    }
}

impl Capture {
    fn counter(&self, name: &str) -> u64 {
        self.counters
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |c| c.0.load(Ordering::SeqCst))
    }
    fn histogram(&self, name: &str) -> u64 {
        self.histograms
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |c| c.0.load(Ordering::SeqCst))
    }
}

#[test]
fn decisions_are_counted_by_outcome_and_reason() {
    let key = SigningKey::fixture(0).unwrap();
    let verifier = Verifier::builder()
        .issuer(
            Issuer::cognito_issuer(ISS)
                .client_ids(["client"])
                .jwks_source(JwksSource::static_json(jwks_json(&[&key]))),
        )
        .build_lazy()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let good = TokenBuilder::access_token(ISS, "client", &["orders/read"], now)
        .sign(&key)
        .unwrap();
    let expired = TokenBuilder::access_token(ISS, "client", &["orders/read"], now - 7200)
        .expires_at(now - 3600)
        .sign(&key)
        .unwrap();

    let capture = Capture::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    metrics::with_local_recorder(&capture, || {
        runtime.block_on(async {
            let service = ServiceBuilder::new()
                .layer(AuthLayer::new(verifier))
                .service_fn(|_req: Request<String>| async {
                    Ok::<_, Infallible>(Response::new(String::new()))
                });
            for (bearer, status) in [
                (Some(good.as_str()), StatusCode::OK),
                (Some(good.as_str()), StatusCode::OK),
                (Some(expired.as_str()), StatusCode::UNAUTHORIZED),
                (None, StatusCode::UNAUTHORIZED),
            ] {
                let mut request = Request::builder().uri("/x");
                if let Some(bearer) = bearer {
                    request = request.header("authorization", format!("Bearer {bearer}"));
                }
                let response = service
                    .clone()
                    .oneshot(request.body(String::new()).unwrap())
                    .await
                    .unwrap();
                assert_eq!(response.status(), status);
            }
        });
    });

    assert_eq!(
        capture.counter("tollgate_requests_total{outcome=allowed,reason=ok}"),
        2
    );
    assert_eq!(
        capture.counter("tollgate_requests_total{outcome=rejected,reason=expired}"),
        1
    );
    assert_eq!(
        capture.counter("tollgate_requests_total{outcome=rejected,reason=missing_credentials}"),
        1
    );
    assert_eq!(
        capture.histogram("tollgate_verify_duration_seconds{outcome=allowed}"),
        2
    );
    assert_eq!(
        capture.histogram("tollgate_verify_duration_seconds{outcome=rejected}"),
        1
    );
}
