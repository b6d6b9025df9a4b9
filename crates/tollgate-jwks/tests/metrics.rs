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

fn runtime() -> tokio::runtime::Runtime {
    // Current-thread: the fetch tasks run on this thread, under the local recorder.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn issuer_with_keys(keys: usize) -> TestIssuer {
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    for index in 1..keys {
        issuer.publish_key(SigningKey::fixture(index).unwrap());
    }
    issuer
}

#[test]
fn fetches_refusals_and_key_count_are_recorded() {
    let capture = Capture::default();
    let mut label = String::new();
    metrics::with_local_recorder(&capture, || {
        runtime().block_on(async {
            let issuer = issuer_with_keys(1).await;
            let cache = JwksCache::builder(JwksSource::url(&issuer.jwks_url()).unwrap())
                .clock(ManualClock::new())
                .build()
                .unwrap();
            // Without an explicit label, a URL source is labelled with its URL.
            assert_eq!(cache.issuer_label(), issuer.jwks_url());
            label = issuer.jwks_url();
            cache.prefetch().await.unwrap();
            issuer.fail_next_jwks(1, JwksFault::Status(500));
            cache.refresh().await.unwrap_err();
            // Backing off after the failure: an unknown kid is refused without a fetch.
            assert_eq!(
                cache.key("unknown").await.unwrap_err(),
                LookupError::UnknownKid
            );
        });
    });
    let get = |name: &str, labels: &str| capture.get(&format!("{name}{{issuer={label}{labels}}}"));
    assert_eq!(get("tollgate_jwks_fetches_total", ",outcome=updated"), 1);
    assert_eq!(get("tollgate_jwks_fetches_total", ",outcome=status"), 1);
    assert_eq!(
        get("tollgate_jwks_fetch_duration_seconds", ",outcome=updated"),
        1
    );
    assert_eq!(get("tollgate_jwks_cooldown_rejections_total", ""), 1);
    assert_eq!(get("tollgate_jwks_keys", ""), 1);
}

/// Two issuers in one process: each cache's series carry its own `issuer` label, so the
/// key-count gauges do not overwrite each other.
#[test]
fn caches_of_two_issuers_keep_separate_series() {
    let capture = Capture::default();
    let mut second_url = String::new();
    metrics::with_local_recorder(&capture, || {
        runtime().block_on(async {
            let first = issuer_with_keys(1).await;
            let second = issuer_with_keys(3).await;
            let labelled = JwksCache::builder(JwksSource::url(&first.jwks_url()).unwrap())
                .clock(ManualClock::new())
                .issuer_label("https://first.example")
                .build()
                .unwrap();
            let by_url = JwksCache::builder(
                // Query and credentials never reach a label.
                JwksSource::url(&format!("{}?tenant=secret", second.jwks_url())).unwrap(),
            )
            .clock(ManualClock::new())
            .build()
            .unwrap();
            second_url = second.jwks_url();
            assert_eq!(labelled.issuer_label(), "https://first.example");
            assert_eq!(by_url.issuer_label(), second_url);
            labelled.prefetch().await.unwrap();
            by_url.prefetch().await.unwrap();
            // A later fetch of the first issuer must not touch the second one's gauge.
            labelled.refresh().await.unwrap();
        });
    });
    assert_eq!(
        capture.get("tollgate_jwks_keys{issuer=https://first.example}"),
        1
    );
    assert_eq!(
        capture.get(&format!("tollgate_jwks_keys{{issuer={second_url}}}")),
        3
    );
    assert_eq!(
        capture.get("tollgate_jwks_keys{}"),
        0,
        "no unlabelled series"
    );
    assert_eq!(
        capture.get("tollgate_jwks_fetches_total{issuer=https://first.example,outcome=updated}"),
        1
    );
    assert_eq!(
        capture
            .get("tollgate_jwks_fetches_total{issuer=https://first.example,outcome=not_modified}"),
        1
    );
    assert_eq!(
        capture.get(&format!(
            "tollgate_jwks_fetches_total{{issuer={second_url},outcome=updated}}"
        )),
        1
    );
}

/// Discovery sources are labelled with their issuer, static sets with `static`.
#[test]
fn default_labels_name_the_source() {
    let discovery =
        JwksCache::builder(JwksSource::discovery("https://sso.example.com/realms/prod").unwrap())
            .build()
            .unwrap();
    assert_eq!(
        discovery.issuer_label(),
        "https://sso.example.com/realms/prod"
    );
    let key = SigningKey::fixture(0).unwrap();
    let json = serde_json::json!({ "keys": [key.public_jwk()] }).to_string();
    let fixed = JwksCache::builder(JwksSource::static_json(json))
        .build()
        .unwrap();
    assert_eq!(fixed.issuer_label(), "static");
}
