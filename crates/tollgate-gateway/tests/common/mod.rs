//! Helpers of the gateway's end-to-end tests: a test issuer, an upstream HTTP server that
//! records what reaches it, and the gateway itself on loopback.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod nginx;
pub mod upstream;

use std::net::SocketAddr;
use std::path::Path;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tollgate_gateway::{Config, Gateway};
use tollgate_testkit::{DEFAULT_CLIENT_ID, SigningKey, TestIssuer};

/// A local issuer with fixture key 0 (instant start).
pub async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .signing_key(SigningKey::fixture(0).expect("fixture key"))
        .start()
        .await
        .expect("test issuer starts")
}

/// `[[issuer]]` trusting `issuer` for the default client.
pub fn issuer_toml(issuer: &TestIssuer) -> String {
    format!(
        "[[issuer]]\nkind = \"cognito\"\nissuer = \"{}\"\nclient_ids = [\"{DEFAULT_CLIENT_ID}\"]\n",
        issuer.issuer_url()
    )
}

/// A token of the default client with `scopes`.
pub fn token(issuer: &TestIssuer, scopes: &[&str]) -> String {
    issuer
        .access_token(DEFAULT_CLIENT_ID, scopes)
        .expect("token is minted")
}

/// A gateway serving in the background; stopped (and drained) by [`Running::stop`] or when
/// dropped.
pub struct Running {
    pub addr: SocketAddr,
    pub admin: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<JoinHandle<()>>,
}

impl Running {
    /// `http://{addr}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Asks the gateway to stop; it stops accepting at once and drains.
    pub fn begin_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Stops the gateway and waits until it has drained.
    pub async fn stop(mut self) {
        self.begin_stop();
        if let Some(task) = self.task.take() {
            task.await.expect("gateway task");
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.begin_stop();
    }
}

/// Starts a gateway from a configuration text (listen address forced to 127.0.0.1:0).
pub async fn start(toml: &str) -> Running {
    let toml = format!("listen = \"127.0.0.1:0\"\n{toml}");
    let config = Config::parse(&toml, Path::new(".")).expect("configuration is valid");
    let gateway = Gateway::bind(config).await.expect("gateway binds");
    let addr = gateway.local_addr();
    let admin = gateway.admin_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway.run(async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        admin,
        stop: Some(stop),
        task: Some(task),
    }
}

/// An HTTP/1.1 client without connection reuse surprises.
pub fn http1() -> reqwest::Client {
    reqwest::Client::builder()
        .http1_only()
        .build()
        .expect("client builds")
}

/// An HTTP/2 client (prior knowledge, cleartext).
pub fn http2() -> reqwest::Client {
    reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client builds")
}

/// An HTTP/1.1 answer read off the wire.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    /// Header lines, names lowercased: `name: value`.
    pub headers: Vec<String>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The values of a header.
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter_map(|line| line.split_once(": "))
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .collect()
    }
}

/// Sends `request` (bytes as written, which should say `Connection: close`) and reads the
/// answer until the server closes the connection.
pub async fn raw(addr: SocketAddr, request: &str) -> RawAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes).await;
    parse_answer(&bytes)
}

/// Parses a complete HTTP/1.1 answer (head and a `content-length` or close-delimited body).
pub fn parse_answer(bytes: &[u8]) -> RawAnswer {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no complete answer head in {:?}",
                String::from_utf8_lossy(bytes)
            )
        });
    let head = std::str::from_utf8(&bytes[..end]).expect("UTF-8 head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .map(|l| {
            let (name, value) = l.split_once(':').expect("header line");
            format!("{}: {}", name.to_ascii_lowercase(), value.trim())
        })
        .collect();
    RawAnswer {
        status,
        headers,
        body: bytes[end + 4..].to_vec(),
    }
}
