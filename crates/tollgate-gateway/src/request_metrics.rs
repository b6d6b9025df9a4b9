//! The main listener's metrics, `tollgate_gateway_requests_total` (`mode`, `status`) and
//! `tollgate_gateway_request_duration_seconds` (`mode`), through handles registered once.
//!
//! `metrics::counter!` with a label known only at run time builds its key (a vector of
//! labels), hashes it and looks it up in the recorder's registry on every call: about 1,200
//! instructions a request for the two series (callgrind, `benches/gateway_load.rs`). Here
//! each label combination's handle is registered the first time it is used (so `/metrics`
//! lists only the series that occurred, as before) and kept: a request then costs an atomic
//! add and a histogram sample.

use std::sync::OnceLock;
use std::time::Duration;

use http::StatusCode;
use metrics::{Counter, Histogram};

/// Which endpoint of the main listener answered.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Proxy,
    ForwardAuth,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Proxy => "proxy",
            Self::ForwardAuth => "forward_auth",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Proxy => 0,
            Self::ForwardAuth => 1,
        }
    }
}

/// The status labels: the codes the gateway sees, then the classes of the others.
const STATUS_LABELS: [&str; 22] = [
    "101", "200", "201", "204", "301", "302", "304", "400", "401", "403", "404", "405", "429",
    "500", "502", "503", "504", "1xx", "2xx", "3xx", "4xx", "5xx",
];

/// The index of `status`'s label in [`STATUS_LABELS`].
fn status_index(status: StatusCode) -> usize {
    const KNOWN: usize = 17;
    let code = status.as_str();
    if let Some(known) = STATUS_LABELS[..KNOWN].iter().position(|k| *k == code) {
        return known;
    }
    KNOWN
        + match status.as_u16() / 100 {
            1 => 0,
            2 => 1,
            3 => 2,
            4 => 3,
            _ => 4,
        }
}

/// The status as a metrics label, without allocating.
#[cfg(test)]
fn status_label(status: StatusCode) -> &'static str {
    STATUS_LABELS[status_index(status)]
}

/// The handles, registered on first use with the recorder installed then (the gateway
/// installs its Prometheus recorder before it serves).
#[derive(Debug, Default)]
pub(crate) struct RequestMetrics {
    requests: [[OnceLock<Counter>; STATUS_LABELS.len()]; 2],
    duration: [OnceLock<Histogram>; 2],
}

impl RequestMetrics {
    /// Counts one answer and records how long it took.
    pub(crate) fn record(&self, mode: Mode, status: StatusCode, elapsed: Duration) {
        let status = status_index(status);
        let mode_label = mode.as_str();
        self.requests[mode.index()][status]
            .get_or_init(|| {
                metrics::counter!(
                    "tollgate_gateway_requests_total",
                    "mode" => mode_label,
                    "status" => STATUS_LABELS[status]
                )
            })
            .increment(1);
        self.duration[mode.index()]
            .get_or_init(|| {
                metrics::histogram!("tollgate_gateway_request_duration_seconds", "mode" => mode_label)
            })
            .record(elapsed.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_are_the_code_or_its_class() {
        for (code, label) in [
            (200, "200"),
            (401, "401"),
            (504, "504"),
            (101, "101"),
            (418, "4xx"),
            (206, "2xx"),
            (308, "3xx"),
            (599, "5xx"),
            (102, "1xx"),
        ] {
            let status = StatusCode::from_u16(code).unwrap();
            assert_eq!(status_label(status), label, "{code}");
        }
    }

    /// What a recorder was asked to record: counter totals and histogram samples, by
    /// `name{labels}`.
    #[derive(Default)]
    struct Capture {
        values: std::sync::Mutex<std::collections::BTreeMap<String, std::sync::Arc<Values>>>,
    }

    #[derive(Default)]
    struct Values(std::sync::Mutex<Vec<f64>>);

    impl metrics::CounterFn for Values {
        fn increment(&self, value: u64) {
            self.0.lock().unwrap().push(value as f64);
        }
        fn absolute(&self, _: u64) {}
    }

    impl metrics::HistogramFn for Values {
        fn record(&self, value: f64) {
            self.0.lock().unwrap().push(value);
        }
    }

    impl Capture {
        fn values(&self, key: &metrics::Key) -> std::sync::Arc<Values> {
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            std::sync::Arc::clone(self.values.lock().unwrap().entry(name).or_default())
        }

        fn get(&self, name: &str) -> Vec<f64> {
            self.values
                .lock()
                .unwrap()
                .get(name)
                .map(|v| v.0.lock().unwrap().clone())
                .unwrap_or_default()
        }
    }

    impl metrics::Recorder for Capture {
        fn describe_counter(
            &self,
            _: metrics::KeyName,
            _: Option<metrics::Unit>,
            _: metrics::SharedString,
        ) {
        }
        fn describe_gauge(
            &self,
            _: metrics::KeyName,
            _: Option<metrics::Unit>,
            _: metrics::SharedString,
        ) {
        }
        fn describe_histogram(
            &self,
            _: metrics::KeyName,
            _: Option<metrics::Unit>,
            _: metrics::SharedString,
        ) {
        }
        fn register_counter(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> Counter {
            Counter::from_arc(self.values(key))
        }
        fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
            metrics::Gauge::noop()
        }
        fn register_histogram(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> Histogram {
            Histogram::from_arc(self.values(key))
        }
    }

    #[test]
    fn handles_record_into_the_recorder_of_their_first_use() {
        let capture = Capture::default();
        let metrics = RequestMetrics::default();
        metrics::with_local_recorder(&capture, || {
            metrics.record(Mode::Proxy, StatusCode::OK, Duration::from_millis(2));
            metrics.record(Mode::ForwardAuth, StatusCode::IM_A_TEAPOT, Duration::ZERO);
        });
        // Registered: later answers count without the recorder being asked again.
        metrics.record(Mode::Proxy, StatusCode::OK, Duration::from_millis(4));
        assert_eq!(
            capture.get("tollgate_gateway_requests_total{mode=proxy,status=200}"),
            [1.0, 1.0]
        );
        assert_eq!(
            capture.get("tollgate_gateway_requests_total{mode=forward_auth,status=4xx}"),
            [1.0]
        );
        assert_eq!(
            capture.get("tollgate_gateway_request_duration_seconds{mode=proxy}"),
            [0.002, 0.004]
        );
        assert_eq!(
            capture.get("tollgate_gateway_request_duration_seconds{mode=forward_auth}"),
            [0.0]
        );
    }
}
