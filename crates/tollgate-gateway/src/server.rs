//! [`Gateway`]: binds the listeners, serves until told to stop, then drains.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tollgate_tower::AuthLayer;
use tollgate_verify::Verifier;
use tower::Layer;

use crate::admin::{self, AdminState};
use crate::config::{Config, Limits};
use crate::dispatch::Dispatch;
use crate::forward_auth::Allow;
use crate::gateway::{GatewayService, GatewayShared};
use crate::proxy::{ClientAddr, Forward, ProxyShared, Upstream};
use crate::request_metrics::RequestMetrics;

/// Why the gateway cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration's verifier settings are refused by the library.
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// A listener cannot be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A gateway with its listeners bound: [`Gateway::run`] serves.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tollgate_gateway::{Config, Gateway};
///
/// let config = Config::load("tollgate.toml")?;
/// let gateway = Gateway::bind(config).await?;
/// println!("listening on {}", gateway.local_addr());
/// gateway.run(tollgate_gateway::shutdown_signal()).await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Gateway {
    listener: TcpListener,
    admin: Option<TcpListener>,
    shared: Arc<GatewayShared>,
    state: Arc<AdminState>,
    limits: Limits,
    drain_timeout: Duration,
    /// Turns true when the drain is over: every connection and tunnel still open closes.
    closed: watch::Sender<bool>,
}

impl Gateway {
    /// Builds the verifier (without waiting for keys: they are fetched in the background,
    /// and `/readyz` says when every issuer's are loaded), the upstream clients and the route
    /// services, and binds the listeners.
    ///
    /// # Errors
    ///
    /// [`ServeError`] when the verifier cannot be built or a listener cannot be bound.
    pub async fn bind(config: Config) -> Result<Self, ServeError> {
        let verifier = config.build_verifier()?;
        Self::bind_with(config, verifier).await
    }

    /// Like [`Gateway::bind`], with a verifier built by the caller.
    ///
    /// # Errors
    ///
    /// [`ServeError::Bind`] when a listener cannot be bound.
    pub async fn bind_with(config: Config, verifier: Verifier) -> Result<Self, ServeError> {
        let _ = admin::prometheus();
        prefetch(&verifier);
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::Bind { addr, source })
        };
        let listener = bind(config.listen).await?;
        let admin = match config.admin {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let auth = AuthLayer::new(verifier.clone())
            .realm(config.realm.clone())
            .allow_anonymous();
        let routes = Arc::new(config.routes);
        let claim_headers = Arc::new(config.claim_headers);
        let (mut proxy_routes, mut allow_routes) = (Vec::new(), Vec::new());
        let (closed, _) = watch::channel(false);
        let proxy_shared = (!config.upstreams.is_empty()).then(|| {
            Arc::new(ProxyShared {
                closed: closed.clone(),
                upstreams: config.upstreams.into_iter().map(Upstream::new).collect(),
                claim_headers: (*claim_headers).clone(),
                forward_authorization: config.forward_authorization,
                trust_forwarded: config.trust_forwarded,
            })
        });
        for route in routes.all() {
            if let Some(shared) = &proxy_shared {
                proxy_routes.push(route.requirement.guard(Forward {
                    shared: Arc::clone(shared),
                    upstream: route.upstream,
                }));
            }
            allow_routes.push(route.requirement.guard(Allow {
                claim_headers: Arc::clone(&claim_headers),
            }));
        }
        let proxy = match (proxy_routes.pop(), proxy_shared.is_some()) {
            (Some(unmatched), true) => Some(auth.layer(Dispatch::new(proxy_routes, unmatched))),
            _ => None,
        };
        let forward_auth = match (config.forward_auth_path, allow_routes.pop()) {
            (Some(path), Some(unmatched)) => {
                Some((path, auth.layer(Dispatch::new(allow_routes, unmatched))))
            }
            _ => None,
        };
        Ok(Self {
            listener,
            admin,
            shared: Arc::new(GatewayShared {
                routes,
                proxy,
                forward_auth,
                metrics: RequestMetrics::default(),
            }),
            state: Arc::new(AdminState {
                verifier,
                draining: std::sync::atomic::AtomicBool::new(false),
            }),
            limits: config.limits,
            drain_timeout: config.drain_timeout,
            closed,
        })
    }

    /// The main listener's address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The admin listener's address, if there is one.
    #[must_use]
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|a| a.local_addr().ok())
    }

    /// Serves until `shutdown` completes, then stops accepting, answers `/readyz` with 503,
    /// lets requests in flight finish for up to the drain timeout and closes the rest.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        let graceful = GracefulShutdown::new();
        let connections = Arc::new(Semaphore::new(self.limits.max_connections));
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout)
            .max_buf_size(self.limits.max_header_bytes);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(self.limits.max_header_bytes).unwrap_or(u32::MAX));
        let upkeep = admin::prometheus().map(|handle| tokio::spawn(admin::upkeep(handle)));
        let (stop_admin, admin_stopped) = tokio::sync::watch::channel(false);
        let admin_task = self.admin.map(|listener| {
            tokio::spawn(serve_admin(
                listener,
                Arc::clone(&self.state),
                admin_stopped,
            ))
        });
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&connections).acquire_owned() => permit,
                () = &mut shutdown => break,
            };
            let Ok(permit) = permit else { break };
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let (stream, remote) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors or similar: wait a little instead of spinning.
                    tracing::warn!(target: "tollgate::gateway", %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let service = TowerToHyperService::new(GatewayService {
                shared: Arc::clone(&self.shared),
                client: ClientAddr::new(remote),
            });
            let connection = serve(&builder, stream, service);
            let connection = graceful.watch(connection);
            let mut closed = self.closed.subscribe();
            tokio::spawn(async move {
                tokio::select! {
                    result = connection => {
                        if let Err(error) = result {
                            tracing::debug!(target: "tollgate::gateway", %error, "connection ended with an error");
                        }
                    }
                    // Past the drain deadline: dropping the connection closes it.
                    _ = closed.wait_for(|closed| *closed) => {}
                }
                drop(permit);
            });
        }
        drop(self.listener);
        self.state.draining.store(true, Ordering::Relaxed);
        let open = graceful.count();
        tracing::info!(target: "tollgate::gateway", connections = open, "shutting down: draining");
        tokio::select! {
            () = graceful.shutdown() => {
                tracing::info!(target: "tollgate::gateway", "drained");
            }
            () = tokio::time::sleep(self.drain_timeout) => {
                tracing::warn!(target: "tollgate::gateway", "drain deadline passed: closing the remaining connections");
            }
        }
        // Closes what is left: connections still open, and upgraded (WebSocket) tunnels.
        let _ = self.closed.send(true);
        let _ = stop_admin.send(true);
        if let Some(task) = admin_task {
            let _ = task.await;
        }
        if let Some(task) = upkeep {
            task.abort();
        }
    }
}

fn serve(
    builder: &auto::Builder<TokioExecutor>,
    stream: TcpStream,
    service: TowerToHyperService<GatewayService>,
) -> auto::UpgradeableConnection<
    'static,
    TokioIo<TcpStream>,
    TowerToHyperService<GatewayService>,
    TokioExecutor,
> {
    let _ = stream.set_nodelay(true);
    builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .into_owned()
}

async fn serve_admin(
    listener: TcpListener,
    state: Arc<AdminState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let service = TowerToHyperService::new(admin::service(Arc::clone(&state)));
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}

/// Fetches every issuer's keys in the background (failures are retried by the key cache on
/// its backoff schedule; `/readyz` reports the state).
fn prefetch(verifier: &Verifier) {
    for iss in verifier.issuers() {
        if let Some(keys) = verifier.keys(iss) {
            let keys = keys.clone();
            let iss = iss.to_owned();
            tokio::spawn(async move {
                match keys.prefetch().await {
                    Ok(()) => {
                        tracing::info!(target: "tollgate::gateway", issuer = %iss, "keys loaded")
                    }
                    Err(error) => {
                        tracing::warn!(target: "tollgate::gateway", issuer = %iss, error = %error, "keys not loaded yet")
                    }
                }
            });
        }
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
