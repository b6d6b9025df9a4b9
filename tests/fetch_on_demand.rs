//! The auth layer's fetch-on-demand path over real loopback HTTP: a request whose key is not
//! cached yet is held while the key set is fetched (the test issuer holds its JWKS answer until
//! the test releases it), then forwarded or refused.
//!
//! - success: the request waits for the fetch and is then forwarded with its verified token;
//!   concurrent requests share the one fetch;
//! - a fetch that fails: 503 with `Retry-After`, the handler never runs, and the next request
//!   inside the cooldown is refused at once without another fetch;
//! - a caller that goes away mid-fetch: its future is dropped, the fetch still completes and
//!   serves the other waiters, and the key cache is left in no stuck state.
//!
//! No test sleeps: each waits on the issuer's request counter, on the answer, or on what an
//! outer layer reports about each request's future (waiting, dropped); timeouts only bound a
//! test that would otherwise hang.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tollgate::{AuthLayer, Authenticated, Issuer, Verifier};
use tollgate_testkit::{DEFAULT_CLIENT_ID, JwksFault, SigningKey, TestIssuer};

/// Bounds a wait that must end; never used to let time pass.
const PATIENCE: Duration = Duration::from_secs(20);

async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// The test issuer (fixture key 0) and a verifier trusting it that has fetched nothing yet.
async fn cold() -> (TestIssuer, Verifier) {
    let issuer = TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).unwrap())
        .start()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .issuer(Issuer::cognito_issuer(issuer.issuer_url()).client_ids([DEFAULT_CLIENT_ID]))
        .build_lazy()
        .unwrap();
    (issuer, verifier)
}

/// Counts handler runs.
#[derive(Clone, Default)]
struct Hits(Arc<AtomicUsize>);

impl Hits {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

async fn whoami(State(hits): State<Hits>, Authenticated(token): Authenticated) -> String {
    hits.0.fetch_add(1, Ordering::SeqCst);
    token.client_id().unwrap_or_default().to_owned()
}

/// What happened to a request's future, as seen from outside the auth layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// First poll that returned `Pending`: with a cold key cache and the JWKS answer held,
    /// the only thing a request can wait on is the key fetch.
    Waiting,
    /// The future was dropped, finished or not.
    Dropped,
}

/// Wraps a request's future and reports [`Event`]s.
struct Observed<F> {
    inner: Pin<Box<F>>,
    events: mpsc::UnboundedSender<Event>,
    reported_waiting: bool,
}

impl<F: Future> Future for Observed<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let poll = self.inner.as_mut().poll(cx);
        if poll.is_pending() && !self.reported_waiting {
            self.reported_waiting = true;
            let _ = self.events.send(Event::Waiting);
        }
        poll
    }
}

impl<F> Drop for Observed<F> {
    fn drop(&mut self) {
        let _ = self.events.send(Event::Dropped);
    }
}

struct App {
    addr: SocketAddr,
    hits: Hits,
    events: mpsc::UnboundedReceiver<Event>,
}

impl App {
    async fn next_event(&mut self) -> Event {
        within("a request event", self.events.recv()).await.unwrap()
    }
}

/// `/whoami` behind the auth layer, served on loopback. The outermost layer reports what
/// happens to every request's future (see [`Event`]).
async fn serve(verifier: Verifier) -> App {
    let hits = Hits::default();
    let (sender, events) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/whoami", get(whoami))
        .with_state(hits.clone())
        .layer(AuthLayer::new(verifier))
        .layer(tower::util::MapFutureLayer::new(move |future| Observed {
            inner: Box::pin(future),
            events: sender.clone(),
            reported_waiting: false,
        }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    App { addr, hits, events }
}

/// `GET /whoami` with `token`, answered as (status, `Retry-After`, body).
async fn get_whoami(addr: SocketAddr, token: String) -> (u16, Option<String>, String) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{addr}/whoami"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, response.text().await.unwrap())
}

fn token(issuer: &TestIssuer) -> String {
    issuer
        .access_token(DEFAULT_CLIENT_ID, &["orders/read"])
        .unwrap()
}

#[tokio::test]
async fn a_request_is_held_while_its_key_is_fetched_then_forwarded() {
    let (issuer, verifier) = cold().await;
    let mut app = serve(verifier.clone()).await;
    issuer.hold_jwks();

    let first = tokio::spawn(get_whoami(app.addr, token(&issuer)));
    let second = tokio::spawn(get_whoami(app.addr, token(&issuer)));
    within(
        "the on-demand JWKS request",
        issuer.wait_for_jwks_requests(1),
    )
    .await;
    // Both requests wait for the key set; neither reached the handler.
    assert_eq!(app.next_event().await, Event::Waiting);
    assert_eq!(app.next_event().await, Event::Waiting);
    assert_eq!(app.hits.get(), 0);
    assert!(!first.is_finished() && !second.is_finished());

    issuer.release_jwks();
    for request in [first, second] {
        let (status, _, body) = within("the answer", request).await.unwrap();
        assert_eq!((status, body.as_str()), (200, DEFAULT_CLIENT_ID));
    }
    assert_eq!(app.hits.get(), 2);
    assert_eq!(
        issuer.jwks_requests(),
        1,
        "one fetch, shared by both requests"
    );

    // The key is cached now: the next request is verified without any fetch.
    let (status, _, _) = get_whoami(app.addr, token(&issuer)).await;
    assert_eq!(status, 200);
    assert_eq!(issuer.jwks_requests(), 1);
    let status = verifier.keys(&issuer.issuer_url()).unwrap().status();
    assert_eq!((status.fetches, status.failures), (1, 0));
}

#[tokio::test]
async fn a_request_whose_key_fetch_fails_gets_503_and_never_reaches_the_handler() {
    let (issuer, verifier) = cold().await;
    let mut app = serve(verifier.clone()).await;
    issuer.fail_next_jwks(1, JwksFault::Status(500));
    issuer.hold_jwks();

    let request = tokio::spawn(get_whoami(app.addr, token(&issuer)));
    within(
        "the on-demand JWKS request",
        issuer.wait_for_jwks_requests(1),
    )
    .await;
    assert_eq!(app.next_event().await, Event::Waiting);
    assert!(
        !request.is_finished(),
        "held while the (failing) fetch runs"
    );

    issuer.release_jwks();
    let (status, retry_after, _) = within("the answer", request).await.unwrap();
    assert_eq!(status, 503);
    assert_eq!(retry_after.as_deref(), Some("10"));
    assert_eq!(app.hits.get(), 0);

    // Inside the cooldown the next request is refused at once: no second fetch.
    let (status, retry_after, _) = get_whoami(app.addr, token(&issuer)).await;
    assert_eq!((status, retry_after.as_deref()), (503, Some("10")));
    assert_eq!(issuer.jwks_requests(), 1);
    assert_eq!(app.hits.get(), 0);
    let status = verifier.keys(&issuer.issuer_url()).unwrap().status();
    assert_eq!((status.fetches, status.failures), (1, 1));
    assert_eq!(status.cooldown_rejections, 1);
}

#[tokio::test]
async fn a_caller_dropped_mid_fetch_leaves_the_fetch_running_for_the_others() {
    let (issuer, verifier) = cold().await;
    let mut app = serve(verifier.clone()).await;
    issuer.hold_jwks();

    // The first caller starts the fetch, then hangs up: hyper drops its request future (the
    // auth layer's future with it) while the key set is still on its way.
    let mut quitter = TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "GET /whoami HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\r\n",
        app.addr,
        token(&issuer)
    );
    quitter.write_all(request.as_bytes()).await.unwrap();
    within(
        "the on-demand JWKS request",
        issuer.wait_for_jwks_requests(1),
    )
    .await;
    assert_eq!(app.next_event().await, Event::Waiting);
    drop(quitter);
    assert_eq!(app.next_event().await, Event::Dropped);

    // The fetch it started is still in flight (its own task): a second caller joins it and
    // is forwarded once it completes, without a second fetch.
    let waiting = tokio::spawn(get_whoami(app.addr, token(&issuer)));
    assert_eq!(app.next_event().await, Event::Waiting);
    assert_eq!(issuer.jwks_requests(), 1);
    issuer.release_jwks();
    let (status, _, body) = within("the answer", waiting).await.unwrap();
    assert_eq!((status, body.as_str()), (200, DEFAULT_CLIENT_ID));
    assert_eq!(
        issuer.jwks_requests(),
        1,
        "the abandoned caller's fetch served the other"
    );
    assert_eq!(
        app.hits.get(),
        1,
        "only the caller that stayed reached the handler"
    );

    // No stuck in-flight state: an explicit refresh starts and completes a fresh fetch.
    let keys = verifier.keys(&issuer.issuer_url()).unwrap();
    within("a new fetch", keys.refresh()).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 2);
    let status = keys.status();
    assert_eq!((status.fetches, status.failures), (2, 0));
}
