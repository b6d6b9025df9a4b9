//! The state shared between the [`TestIssuer`](crate::TestIssuer) handle and the
//! request handlers: keys, JWKS controls and counters.
//!
//! Every lock is a `std::sync::Mutex` held only for a few statements, never
//! across an `.await`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::HeaderMap;
use tokio::sync::watch;

use crate::config::IssuerConfig;
use crate::{JwksFault, SigningKey, jwks_json};

/// Keys: the one that signs, and the ones that are published.
#[derive(Debug)]
pub(crate) struct KeyRing {
    pub(crate) signing: SigningKey,
    pub(crate) published: Vec<SigningKey>,
}

/// How the JWKS endpoint should behave right now.
#[derive(Debug, Default)]
pub(crate) struct JwksControls {
    pub(crate) body_override: Option<String>,
    pub(crate) faults: VecDeque<JwksFault>,
    pub(crate) latency: Option<Duration>,
    /// Extra response headers (Cache-Control, Expires, Last-Modified, ...).
    pub(crate) headers: HeaderMap,
}

/// Request counters (monotonic).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) jwks: AtomicU64,
    pub(crate) conditional_jwks: AtomicU64,
    pub(crate) not_modified: AtomicU64,
    pub(crate) discovery: AtomicU64,
    pub(crate) token: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::SeqCst)
    }
}

/// Shared by the handle and every handler.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: IssuerConfig,
    pub(crate) counters: Counters,
    keys: Mutex<KeyRing>,
    jwks: Mutex<JwksControls>,
    discovery_issuer: Mutex<Option<String>>,
    shutdown: watch::Sender<bool>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not wedge the issuer for everyone else.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(config: IssuerConfig, signing: SigningKey) -> Self {
        let published = vec![signing.clone()];
        Self {
            config,
            counters: Counters::default(),
            keys: Mutex::new(KeyRing { signing, published }),
            jwks: Mutex::new(JwksControls::default()),
            discovery_issuer: Mutex::new(None),
            shutdown: watch::Sender::new(false),
        }
    }

    pub(crate) fn keys(&self) -> MutexGuard<'_, KeyRing> {
        lock(&self.keys)
    }

    pub(crate) fn jwks_controls(&self) -> MutexGuard<'_, JwksControls> {
        lock(&self.jwks)
    }

    pub(crate) fn signing_key(&self) -> SigningKey {
        self.keys().signing.clone()
    }

    /// The real key set as JSON.
    pub(crate) fn real_jwks_body(&self) -> String {
        let keys = self.keys();
        let refs: Vec<&SigningKey> = keys.published.iter().collect();
        jwks_json(&refs)
    }

    pub(crate) fn discovery_issuer(&self) -> String {
        lock(&self.discovery_issuer)
            .clone()
            .unwrap_or_else(|| self.config.issuer.clone())
    }

    pub(crate) fn set_discovery_issuer(&self, issuer: Option<String>) {
        *lock(&self.discovery_issuer) = issuer;
    }

    /// Tells the server and every waiting handler to stop.
    pub(crate) fn trigger_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once shutdown has been triggered.
    pub(crate) fn shutdown_signal(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.subscribe();
        async move {
            // Err only if the sender is gone, which also means "shut down".
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    }
}
