//! The upstream side: hyper-util's pooled client (HTTP/1.1, or h2c with prior knowledge),
//! streaming both ways, with claim headers, hop-by-hop removal, `X-Forwarded-*`, WebSocket
//! upgrades, and 502/504 when the upstream fails.

mod connector;
pub(crate) mod headers;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONNECTION, HOST, TE, UPGRADE};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Response, StatusCode, Uri, Version};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tollgate_verify::VerifiedToken;
use tower::Service;

use self::connector::Connector;
use crate::claim_headers::ClaimHeaders;
use crate::config::UpstreamConfig;

/// What the proxy answers with: the upstream's streaming body, or one of its own.
pub(crate) type ProxyBody = Either<Incoming, Full<Bytes>>;

/// The client's address as an `X-Forwarded-For` element, rendered once per connection and
/// put in each request's extensions by the gateway.
#[derive(Debug, Clone)]
pub(crate) struct ClientAddr(HeaderValue);

impl ClientAddr {
    pub(crate) fn new(client: SocketAddr) -> Option<Self> {
        headers::forwarded_for(client).map(Self)
    }
}

/// An upstream and its connection pool.
#[derive(Debug)]
pub(crate) struct Upstream {
    pub(crate) config: UpstreamConfig,
    /// The `Host` of HTTP/1.1 requests to it, as hyper-util's client would write it (the
    /// port unless it is the scheme's default), rendered once instead of per request.
    host: Option<HeaderValue>,
    client: Client<Connector, Incoming>,
}

/// `host[:port]` of `authority`, the port only when it is not `scheme`'s default (what
/// hyper-util's client sets when a request has no `Host`).
fn host_header(scheme: &Scheme, authority: &Authority) -> Option<HeaderValue> {
    let default = if *scheme == Scheme::HTTPS { 443 } else { 80 };
    let value = match authority.port() {
        Some(port) if port.as_u16() != default => format!("{}:{port}", authority.host()),
        _ => authority.host().to_owned(),
    };
    HeaderValue::from_str(&value).ok()
}

impl Upstream {
    pub(crate) fn new(config: UpstreamConfig) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.set_nodelay(true);
        connector.enforce_http(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(config.idle_timeout)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .http2_only(config.http2)
            .build(Connector(connector));
        let host = (!config.http2)
            .then(|| host_header(&config.scheme, &config.authority))
            .flatten();
        Self {
            config,
            host,
            client,
        }
    }
}

/// What every [`Forward`] shares.
#[derive(Debug)]
pub(crate) struct ProxyShared {
    pub(crate) upstreams: Vec<Upstream>,
    pub(crate) claim_headers: ClaimHeaders,
    pub(crate) forward_authorization: bool,
    pub(crate) trust_forwarded: bool,
    /// Turns true when the gateway closes what is left after draining (tunnels too).
    pub(crate) closed: tokio::sync::watch::Sender<bool>,
}

/// Sends a request to one upstream: the last service of a route.
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    pub(crate) shared: Arc<ProxyShared>,
    pub(crate) upstream: Option<usize>,
}

/// An answer of the gateway's own.
pub(crate) fn local<B>(status: StatusCode) -> Response<Either<B, Full<Bytes>>> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::new())));
    *response.status_mut() = status;
    response
}

/// The upstream's URI for a request to `uri`: its scheme and authority, the prefix and
/// `uri`'s path and query (taken as they are when there is no prefix: already parsed).
fn upstream_uri(config: &UpstreamConfig, uri: &Uri) -> Option<Uri> {
    let path_and_query = match uri.path_and_query() {
        Some(path) if config.prefix.is_empty() => path.clone(),
        path => {
            let path = path.map_or("/", PathAndQuery::as_str);
            PathAndQuery::try_from(format!("{}{path}", config.prefix)).ok()?
        }
    };
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(config.scheme.clone());
    parts.authority = Some(config.authority.clone());
    parts.path_and_query = Some(path_and_query);
    Uri::from_parts(parts).ok()
}

type ForwardFuture = Pin<Box<dyn Future<Output = Result<Response<ProxyBody>, Infallible>> + Send>>;

impl Service<Request<Incoming>> for Forward {
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = ForwardFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        let upstream = self.upstream;
        Box::pin(async move { Ok(forward(&shared, upstream, request).await) })
    }
}

async fn forward(
    shared: &ProxyShared,
    upstream: Option<usize>,
    request: Request<Incoming>,
) -> Response<ProxyBody> {
    let Some(upstream) = upstream.and_then(|i| shared.upstreams.get(i)) else {
        return local(StatusCode::NOT_FOUND);
    };
    let upgrade = headers::upgrade_request(&request);
    let (mut parts, body) = request.into_parts();
    // Hop-by-hop headers (and those the client's `Connection` names) go first, so that a
    // client cannot name the claim or `X-Forwarded-*` headers the gateway writes below and
    // have them removed on the way out.
    let trailers = headers::remove_hop_by_hop(&mut parts.headers);
    shared.claim_headers.strip(&mut parts.headers);
    if let Some(token) = parts.extensions.get::<VerifiedToken>()
        && let Err(error) = shared
            .claim_headers
            .write(token.claims(), &mut parts.headers)
    {
        tracing::error!(target: "tollgate::gateway", %error, "request refused");
        return local(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let mut request = Request::from_parts(parts, body);
    let client = request.extensions_mut().remove::<ClientAddr>().map(|c| c.0);
    headers::set_forwarded(&mut request, client.as_ref(), shared.trust_forwarded);
    let headers = request.headers_mut();
    // The upstream's own `Host` (hyper-util's client writes the same when there is none).
    match &upstream.host {
        Some(host) => headers.insert(HOST, host.clone()),
        None => headers.remove(HOST),
    };
    if !shared.forward_authorization {
        headers.remove(AUTHORIZATION);
    }
    if trailers {
        headers.insert(TE, HeaderValue::from_static("trailers"));
    }
    if let Some(protocol) = &upgrade {
        if upstream.config.http2 {
            // An HTTP/1.1 upgrade cannot be carried over an h2c connection.
            return local(StatusCode::BAD_GATEWAY);
        }
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(UPGRADE, protocol.clone());
    }
    let config = &upstream.config;
    let Some(uri) = upstream_uri(config, request.uri()) else {
        return local(StatusCode::BAD_REQUEST);
    };
    *request.uri_mut() = uri;
    *request.version_mut() = if config.http2 {
        Version::HTTP_2
    } else {
        Version::HTTP_11
    };
    let client_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
    let sent = tokio::time::timeout(config.timeout, upstream.client.request(request)).await;
    let mut response = match sent {
        Err(_) => {
            tracing::warn!(target: "tollgate::gateway", upstream = %config.name, "upstream timed out");
            metrics::counter!("tollgate_gateway_upstream_errors_total", "upstream" => config.name.clone(), "kind" => "timeout").increment(1);
            return local(StatusCode::GATEWAY_TIMEOUT);
        }
        Ok(Err(error)) => {
            let kind = if error.is_connect() {
                "connect"
            } else {
                "request"
            };
            tracing::warn!(target: "tollgate::gateway", upstream = %config.name, kind, error = %error, "upstream failed");
            metrics::counter!("tollgate_gateway_upstream_errors_total", "upstream" => config.name.clone(), "kind" => kind).increment(1);
            return local(StatusCode::BAD_GATEWAY);
        }
        Ok(Ok(response)) => response,
    };
    if response.status() == StatusCode::SWITCHING_PROTOCOLS
        && let Some(client_upgrade) = client_upgrade
    {
        let upstream_upgrade = hyper::upgrade::on(&mut response);
        let mut closed = shared.closed.subscribe();
        tokio::spawn(async move {
            match tokio::try_join!(client_upgrade, upstream_upgrade) {
                Ok((client, upstream)) => {
                    let mut client = TokioIo::new(client);
                    let mut upstream = TokioIo::new(upstream);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
                        _ = closed.wait_for(|closed| *closed) => {}
                    }
                }
                Err(error) => {
                    tracing::debug!(target: "tollgate::gateway", %error, "upgrade failed");
                }
            }
        });
        return response.map(Either::Left);
    }
    headers::remove_hop_by_hop(response.headers_mut());
    response.map(Either::Left)
}
