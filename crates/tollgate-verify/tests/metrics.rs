//! With the `metrics` feature, the key caches a verifier builds carry their issuer's `iss` as
//! the `issuer` label, so several trusted issuers keep separate key-count gauges.

#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use tollgate_testkit::{SigningKey, TestIssuer};
use tollgate_verify::{Issuer, Verifier};

/// The last value of every series, by name and labels.
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
    fn record(&self, _: f64) {}
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

    fn get(&self, name: &str) -> Option<u64> {
        self.values
            .lock()
            .unwrap()
            .get(name)
            .map(|v| v.0.load(Ordering::SeqCst))
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
fn two_issuers_keep_separate_key_count_gauges() {
    let capture = Capture::default();
    let mut iss = (String::new(), String::new());
    metrics::with_local_recorder(&capture, || {
        // Current-thread: the fetch tasks run on this thread, under the local recorder.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let start = |pool: &'static str| {
                TestIssuer::builder()
                    .signing_key(SigningKey::fixture(0).unwrap())
                    .pool_id(pool)
                    .start()
            };
            let one = start("us-east-1_OneKey").await.unwrap();
            let three = start("us-east-1_ThreeKeys").await.unwrap();
            three.publish_key(SigningKey::fixture(1).unwrap());
            three.publish_key(SigningKey::fixture(2).unwrap());
            let verifier = Verifier::builder()
                .issuer(Issuer::cognito_issuer(one.issuer_url()).any_client())
                .issuer(Issuer::cognito_issuer(three.issuer_url()).any_client())
                .build()
                .await
                .unwrap();
            for issuer in [&one, &three] {
                let cache = verifier.keys(&issuer.issuer_url()).unwrap();
                assert_eq!(cache.issuer_label(), issuer.issuer_url());
            }
            iss = (one.issuer_url(), three.issuer_url());
        });
    });
    let gauge = |iss: &str| capture.get(&format!("tollgate_jwks_keys{{issuer={iss}}}"));
    assert_eq!(gauge(&iss.0), Some(1));
    assert_eq!(gauge(&iss.1), Some(3));
    assert_eq!(capture.get("tollgate_jwks_keys{}"), None);
}
