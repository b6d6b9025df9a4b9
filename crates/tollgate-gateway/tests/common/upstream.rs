//! An upstream HTTP server (HTTP/1.1 and h2c) that records every request reaching it.
//!
//! | path | answer |
//! | --- | --- |
//! | `/echo...` | 200, the request body streamed back as it arrives |
//! | `/hold...` | reports its arrival, then waits for [`Upstream::release`]; 200 `released` |
//! | `/never` | never answers |
//! | `/ws` | 101 to an upgrade request, then echoes bytes on the upgraded connection |
//! | `/hop` | 200 with hop-by-hop headers (`Connection: x-private`, `x-private`, `keep-alive`) |
//! | anything else | 200 `ok` with `x-upstream: 1` |

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: String,
    pub version: Version,
    pub headers: HeaderMap,
}

/// The running upstream; stopped when dropped.
pub struct Upstream {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    arrived: mpsc::UnboundedReceiver<String>,
    release: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// The last request seen.
    pub fn last(&self) -> Seen {
        self.seen().pop().expect("the upstream saw a request")
    }

    /// Waits until a `/hold` request arrives; its path.
    pub async fn arrived(&mut self) -> String {
        self.arrived.recv().await.expect("upstream running")
    }

    /// Lets every held request (and later ones) answer.
    pub fn release(&self) {
        let _ = self.release.send(true);
    }

    /// `http://{addr}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

type Body = Either<Incoming, Full<Bytes>>;

fn full(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from_static(
        body.as_bytes(),
    ))));
    *response.status_mut() = status;
    response
}

async fn handle(
    mut request: Request<Incoming>,
    seen: Arc<Mutex<Vec<Seen>>>,
    arrived: mpsc::UnboundedSender<String>,
    mut release: watch::Receiver<bool>,
) -> Result<Response<Body>, Infallible> {
    seen.lock().expect("lock").push(Seen {
        method: request.method().clone(),
        uri: request.uri().to_string(),
        version: request.version(),
        headers: request.headers().clone(),
    });
    let path = request.uri().path().to_owned();
    if path.starts_with("/echo") {
        return Ok(Response::new(Either::Left(request.into_body())));
    }
    if path.starts_with("/hold") {
        let _ = arrived.send(path);
        let _ = release.wait_for(|released| *released).await;
        return Ok(full(StatusCode::OK, "released"));
    }
    match path.as_str() {
        "/never" => {
            std::future::pending::<()>().await;
            Ok(full(StatusCode::OK, ""))
        }
        "/ws" => {
            let upgrade = hyper::upgrade::on(&mut request);
            tokio::spawn(async move {
                if let Ok(upgraded) = upgrade.await {
                    let mut io = TokioIo::new(upgraded);
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = io.read(&mut buf).await {
                        if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            });
            let mut response = full(StatusCode::SWITCHING_PROTOCOLS, "");
            let headers = response.headers_mut();
            headers.insert("connection", HeaderValue::from_static("upgrade"));
            headers.insert("upgrade", HeaderValue::from_static("websocket"));
            Ok(response)
        }
        "/hop" => {
            let mut response = full(StatusCode::OK, "ok");
            let headers = response.headers_mut();
            headers.insert("connection", HeaderValue::from_static("x-private"));
            headers.insert("x-private", HeaderValue::from_static("1"));
            headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
            headers.insert("x-public", HeaderValue::from_static("1"));
            Ok(response)
        }
        _ => {
            let mut response = full(StatusCode::OK, "ok");
            response
                .headers_mut()
                .insert("x-upstream", HeaderValue::from_static("1"));
            Ok(response)
        }
    }
}

/// Starts the upstream on `127.0.0.1:0`.
pub async fn start() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (arrived_tx, arrived) = mpsc::unbounded_channel();
    let (release, release_rx) = watch::channel(false);
    let state = (Arc::clone(&seen), arrived_tx, release_rx);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (seen, arrived, release) = state.clone();
            let service = hyper::service::service_fn(move |request| {
                handle(request, Arc::clone(&seen), arrived.clone(), release.clone())
            });
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        arrived,
        release,
        task,
    }
}

/// An address nothing listens on (bound, then closed).
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address")
}
