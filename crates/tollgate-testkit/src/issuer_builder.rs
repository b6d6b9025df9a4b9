//! Configuring a [`TestIssuer`] before it starts.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::{ClientConfig, IssuerConfig, ResourceServer};
use crate::random::uuid_v4;
use crate::state::Shared;
use crate::{SigningKey, TestIssuer, TestkitError};

/// Default AWS region.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Default user pool id (`{region}_TestPool1` for the default region).
pub const DEFAULT_POOL_ID: &str = "us-east-1_TestPool1";
/// Identifier of the default resource server.
pub const DEFAULT_RESOURCE_SERVER: &str = "orders";
/// Scope names of the default resource server (full names: `orders/read`, ...).
pub const DEFAULT_SCOPES: [&str; 3] = ["read", "write", "admin"];
/// Client id of the default app client.
pub const DEFAULT_CLIENT_ID: &str = "tollgate-test-client";
/// Client secret of the default app client.
pub const DEFAULT_CLIENT_SECRET: &str = "tollgate-test-secret";
/// The `signer` (load balancer ARN) of ALB tokens in the default region; other regions
/// use the same account and name with their region.
pub const DEFAULT_ALB_SIGNER: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/tollgate-test/50dc6c495c0c9188";
/// Default access-token lifetime (Cognito's default: one hour).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Configures and starts a [`TestIssuer`]; see [`TestIssuer::builder`].
///
/// Every setting has a default: region `us-east-1`, pool `{region}_TestPool1`,
/// resource server `orders` with `read`/`write`/`admin`, one client
/// [`DEFAULT_CLIENT_ID`]/[`DEFAULT_CLIENT_SECRET`] allowed every scope of every
/// resource server, a freshly generated RSA-2048 key, one-hour tokens, bound to
/// `127.0.0.1:0`.
#[must_use]
#[derive(Debug, Clone)]
pub struct TestIssuerBuilder {
    region: String,
    pool_id: Option<String>,
    issuer_override: Option<String>,
    resource_servers: Option<Vec<ResourceServer>>,
    clients: Option<Vec<ClientConfig>>,
    signing_key: Option<SigningKey>,
    extra_keys: Vec<SigningKey>,
    alb_key: Option<SigningKey>,
    alb_signer: Option<String>,
    token_lifetime: Duration,
    bind: SocketAddr,
}

impl Default for TestIssuerBuilder {
    fn default() -> Self {
        Self {
            region: DEFAULT_REGION.to_owned(),
            pool_id: None,
            issuer_override: None,
            resource_servers: None,
            clients: None,
            signing_key: None,
            extra_keys: Vec::new(),
            alb_key: None,
            alb_signer: None,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

impl TestIssuerBuilder {
    /// The AWS region (used for the default pool id and reported by
    /// [`TestIssuer::region`]).
    pub fn region(mut self, region: &str) -> Self {
        region.clone_into(&mut self.region);
        self
    }

    /// The user pool id: the first path segment of the issuer, JWKS and discovery URLs.
    pub fn pool_id(mut self, pool_id: &str) -> Self {
        self.pool_id = Some(pool_id.to_owned());
        self
    }

    /// Use this exact `iss` (in minted tokens and in discovery), e.g. the real
    /// `https://cognito-idp.{region}.amazonaws.com/{pool}`, while JWKS, discovery
    /// and the token endpoint are still served on loopback.
    pub fn issuer_override(mut self, issuer: &str) -> Self {
        self.issuer_override = Some(issuer.to_owned());
        self
    }

    /// Adds a resource server; its scopes become `{identifier}/{scope}`. The first
    /// call replaces the default `orders` server.
    pub fn resource_server(mut self, identifier: &str, scopes: &[&str]) -> Self {
        self.resource_servers
            .get_or_insert_with(Vec::new)
            .push(ResourceServer::new(identifier, scopes));
        self
    }

    /// Adds an app client allowed the client-credentials grant with these full
    /// scope names (`orders/read`, not `read`). The first call replaces the
    /// default client; a repeated client id replaces the earlier entry.
    pub fn client(mut self, client_id: &str, secret: &str, allowed_scopes: &[&str]) -> Self {
        let clients = self.clients.get_or_insert_with(Vec::new);
        clients.retain(|c| c.id != client_id);
        clients.push(ClientConfig {
            id: client_id.to_owned(),
            secret: secret.to_owned(),
            allowed_scopes: allowed_scopes.iter().map(|s| (*s).to_owned()).collect(),
        });
        self
    }

    /// Sign with this key instead of generating one (fixtures start much faster). Any key
    /// kind works: tokens are signed with the key's [algorithm](SigningKey::algorithm)
    /// (`SigningKey::generate_for(JwsAlg::Es256)` for an ES256 issuer).
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// Also publishes `key` in the JWKS from the start (after the signing key), without
    /// signing with it: an issuer whose set holds RSA, EC and Ed25519 keys at once.
    pub fn publish_key(mut self, key: SigningKey) -> Self {
        self.extra_keys.push(key);
        self
    }

    /// The key the emulated AWS Application Load Balancer signs its user-claims tokens with
    /// (default: a fresh P-256 key with a UUID kid, as an ALB's).
    pub fn alb_key(mut self, key: SigningKey) -> Self {
        self.alb_key = Some(key);
        self
    }

    /// The `signer` (load balancer ARN) of the emulated ALB's tokens (default: the
    /// [`DEFAULT_ALB_SIGNER`] account and name in this issuer's region).
    pub fn alb_signer(mut self, arn: &str) -> Self {
        self.alb_signer = Some(arn.to_owned());
        self
    }

    /// Lifetime of issued access tokens (`exp - iat` and `expires_in`), whole seconds.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, any free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Binds the listener and starts serving. When this returns, every URL of the
    /// issuer accepts connections.
    ///
    /// # Errors
    ///
    /// [`TestkitError::NoRuntime`] outside a Tokio runtime;
    /// [`TestkitError::KeyGeneration`] if no key was given and generation fails;
    /// [`TestkitError::Bind`] if the address cannot be bound.
    pub async fn start(self) -> Result<TestIssuer, TestkitError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| TestkitError::NoRuntime)?;
        let signing_key = match self.signing_key {
            Some(key) => key,
            None => SigningKey::generate()?,
        };
        let listener = TcpListener::bind(self.bind)
            .await
            .map_err(|source| TestkitError::Bind {
                addr: self.bind,
                source,
            })?;
        let local_addr = listener.local_addr()?;
        let base_url = base_url(local_addr);
        let pool_id = self
            .pool_id
            .unwrap_or_else(|| format!("{}_TestPool1", self.region));
        let issuer = self
            .issuer_override
            .unwrap_or_else(|| format!("{base_url}/{pool_id}"));
        let resource_servers = self.resource_servers.unwrap_or_else(|| {
            vec![ResourceServer::new(
                DEFAULT_RESOURCE_SERVER,
                &DEFAULT_SCOPES,
            )]
        });
        let clients = self.clients.unwrap_or_else(|| {
            vec![ClientConfig {
                id: DEFAULT_CLIENT_ID.to_owned(),
                secret: DEFAULT_CLIENT_SECRET.to_owned(),
                allowed_scopes: resource_servers
                    .iter()
                    .flat_map(|rs| rs.scopes.iter().cloned())
                    .collect(),
            }]
        });
        let alb_signer = self
            .alb_signer
            .unwrap_or_else(|| DEFAULT_ALB_SIGNER.replace(DEFAULT_REGION, &self.region));
        let config = IssuerConfig {
            alb_signer,
            region: self.region,
            pool_id,
            local_addr,
            base_url,
            issuer,
            clients,
            resource_servers,
            token_lifetime: self.token_lifetime,
        };
        let alb_key = match self.alb_key {
            Some(key) => key,
            None => SigningKey::generate_for(crate::JwsAlg::Es256)?.with_kid(uuid_v4()),
        };
        let shared = Arc::new(Shared::new(config, signing_key));
        shared.keys().published.extend(self.extra_keys);
        {
            let mut alb = shared.alb();
            alb.published.push(alb_key.clone());
            alb.signing = Some(alb_key);
        }
        Ok(TestIssuer::launch(&runtime, listener, shared))
    }
}

/// `http://ip:port`; an unspecified bind address is reported as loopback.
fn base_url(mut addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}
