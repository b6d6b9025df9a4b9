//! With the `metrics` feature, fetches, cooldown refusals and the key count go through the
//! `metrics` facade.

#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use tollgate_jwks::{JwksCache, JwksSource, LookupError, ManualClock};
use tollgate_testkit::{JwksFault, SigningKey, TestIssuer};

#[derive(Default)]
struct Capture {
    values: Mutex<BTreeMap<String, Arc<Value>>>,
}

#[derive(Default)]
struct Value(AtomicU64);

impl CounterFn for Value {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::SeqCst);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::SeqCst);
    }
}

impl GaugeFn for Value {
    fn increment(&self, _: f64) {}
    fn decrement(&self, _: f64) {}
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn set(&self, value: f64) {
        self.0.store(value as u64, Ordering::SeqCst);
    }
}

impl HistogramFn for Value {
    fn record(&self, _: f64) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Capture {
    fn slot(&self, key: &Key) -> Arc<Value> {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        Arc::clone(self.values.lock().unwrap().entry(name).or_default())
    }

    fn get(&self, name: &str) -> u64 {
        self.values
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |v| v.0.load(Ordering::SeqCst))
    }
}

impl Recorder for Capture {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.slot(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.slot(key))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.slot(key))
    }
}

#[test]
fn fetches_refusals_and_key_count_are_recorded() {
    let capture = Capture::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&capture, || {
        runtime.block_on(async {
            let issuer = TestIssuer::builder()
                .signing_key(SigningKey::fixture(0).unwrap())
                .start()
                .await
                .unwrap();
            let cache = JwksCache::builder(JwksSource::url(&issuer.jwks_url()).unwrap())
                .clock(ManualClock::new())
                .build()
                .unwrap();
            cache.prefetch().await.unwrap();
            issuer.fail_next_jwks(1, JwksFault::Status(500));
            cache.refresh().await.unwrap_err();
            // Inside the cooldown an unknown kid is refused without a fetch.
            assert_eq!(
                cache.key("unknown").await.unwrap_err(),
                LookupError::UnknownKid
            );
        });
    });
    assert_eq!(
        capture.get("tollgate_jwks_fetches_total{outcome=updated}"),
        1
    );
    assert_eq!(
        capture.get("tollgate_jwks_fetches_total{outcome=status}"),
        1
    );
    assert_eq!(
        capture.get("tollgate_jwks_fetch_duration_seconds{outcome=updated}"),
        1
    );
    assert_eq!(capture.get("tollgate_jwks_cooldown_rejections_total{}"), 1);
    assert_eq!(capture.get("tollgate_jwks_keys{}"), 1);
}
