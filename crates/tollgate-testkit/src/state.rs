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

/// The emulated AWS ALB key endpoint: its keys, per-kid body overrides, faults and the
/// hold gate.
#[derive(Debug, Default)]
pub(crate) struct AlbControls {
    /// The key ALB tokens are signed with.
    pub(crate) signing: Option<SigningKey>,
    /// Keys served at `/alb-keys/{kid}` (the signing key first).
    pub(crate) published: Vec<SigningKey>,
    /// Exact bodies to serve for some kids instead of their key (or for unknown kids).
    pub(crate) bodies: std::collections::HashMap<String, String>,
    pub(crate) faults: VecDeque<JwksFault>,
}

/// Request counters (monotonic).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) jwks: AtomicU64,
    pub(crate) conditional_jwks: AtomicU64,
    pub(crate) not_modified: AtomicU64,
    pub(crate) discovery: AtomicU64,
    pub(crate) token: AtomicU64,
    pub(crate) alb_keys: AtomicU64,
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
    discovery_jwks_uri: Mutex<Option<String>>,
    alb: Mutex<AlbControls>,
    /// `true` while ALB key answers are held back.
    alb_held: watch::Sender<bool>,
    /// ALB key requests received, as a watch so tests can await a count.
    alb_seen: watch::Sender<u64>,
    /// `true` while JWKS answers are held back (see [`Shared::wait_while_jwks_held`]).
    jwks_held: watch::Sender<bool>,
    /// JWKS requests received, as a watch so tests can await a count.
    jwks_seen: watch::Sender<u64>,
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
            discovery_jwks_uri: Mutex::new(None),
            alb: Mutex::new(AlbControls::default()),
            alb_held: watch::Sender::new(false),
            alb_seen: watch::Sender::new(0),
            jwks_held: watch::Sender::new(false),
            jwks_seen: watch::Sender::new(0),
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

    /// The `jwks_uri` reported by discovery: the override, or this issuer's JWKS URL.
    pub(crate) fn discovery_jwks_uri(&self) -> String {
        lock(&self.discovery_jwks_uri)
            .clone()
            .unwrap_or_else(|| self.config.jwks_url())
    }

    pub(crate) fn set_discovery_jwks_uri(&self, uri: Option<String>) {
        *lock(&self.discovery_jwks_uri) = uri;
    }

    /// Counts one JWKS request (the atomic counter and the awaitable one).
    pub(crate) fn note_jwks_request(&self) {
        Counters::bump(&self.counters.jwks);
        self.jwks_seen.send_modify(|seen| *seen += 1);
    }

    /// Resolves once at least `n` JWKS requests have been received.
    pub(crate) fn jwks_requests_reached(
        &self,
        n: u64,
    ) -> impl Future<Output = ()> + Send + 'static {
        let mut seen = self.jwks_seen.subscribe();
        async move {
            // The sender lives as long as `Shared`, which the caller keeps alive.
            let _ = seen.wait_for(|seen| *seen >= n).await;
        }
    }

    /// Holds (`true`) or releases (`false`) JWKS answers.
    pub(crate) fn set_jwks_held(&self, held: bool) {
        self.jwks_held.send_replace(held);
    }

    /// Waits while JWKS answers are held; `false` if the issuer shut down first.
    pub(crate) async fn wait_while_jwks_held(&self) -> bool {
        let mut held = self.jwks_held.subscribe();
        tokio::select! {
            result = held.wait_for(|held| !*held) => result.is_ok(),
            () = self.shutdown_signal() => false,
        }
    }

    pub(crate) fn alb(&self) -> MutexGuard<'_, AlbControls> {
        lock(&self.alb)
    }

    /// Counts one ALB key request.
    pub(crate) fn note_alb_request(&self) {
        Counters::bump(&self.counters.alb_keys);
        self.alb_seen.send_modify(|seen| *seen += 1);
    }

    /// Resolves once at least `n` ALB key requests have been received.
    pub(crate) fn alb_requests_reached(&self, n: u64) -> impl Future<Output = ()> + Send + 'static {
        let mut seen = self.alb_seen.subscribe();
        async move {
            let _ = seen.wait_for(|seen| *seen >= n).await;
        }
    }

    /// Holds (`true`) or releases (`false`) ALB key answers.
    pub(crate) fn set_alb_held(&self, held: bool) {
        self.alb_held.send_replace(held);
    }

    /// Waits while ALB key answers are held; `false` if the issuer shut down first.
    pub(crate) async fn wait_while_alb_held(&self) -> bool {
        let mut held = self.alb_held.subscribe();
        tokio::select! {
            result = held.wait_for(|held| !*held) => result.is_ok(),
            () = self.shutdown_signal() => false,
        }
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
