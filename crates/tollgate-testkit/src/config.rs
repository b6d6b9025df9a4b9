//! The fixed configuration of a running issuer: pool, clients, resource servers.

use std::net::SocketAddr;
use std::time::Duration;

/// An app client allowed to use the client-credentials grant.
#[derive(Debug, Clone)]
pub(crate) struct ClientConfig {
    pub(crate) id: String,
    pub(crate) secret: String,
    /// Full scope names (`{resource server}/{scope}`).
    pub(crate) allowed_scopes: Vec<String>,
}

/// A resource server and its full scope names.
#[derive(Debug, Clone)]
pub(crate) struct ResourceServer {
    /// Full scope names (`{identifier}/{scope}`).
    pub(crate) scopes: Vec<String>,
}

impl ResourceServer {
    pub(crate) fn new(identifier: &str, scopes: &[&str]) -> Self {
        Self {
            scopes: scopes.iter().map(|s| format!("{identifier}/{s}")).collect(),
        }
    }
}

/// Everything about an issuer that does not change while it runs.
#[derive(Debug, Clone)]
pub(crate) struct IssuerConfig {
    pub(crate) region: String,
    pub(crate) pool_id: String,
    pub(crate) local_addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub(crate) base_url: String,
    /// The `iss` value (loopback `{base}/{pool}` or the override).
    pub(crate) issuer: String,
    pub(crate) clients: Vec<ClientConfig>,
    pub(crate) resource_servers: Vec<ResourceServer>,
    pub(crate) token_lifetime: Duration,
    /// The `signer` of the emulated ALB's tokens.
    pub(crate) alb_signer: String,
}

impl IssuerConfig {
    pub(crate) fn jwks_url(&self) -> String {
        format!("{}/{}/.well-known/jwks.json", self.base_url, self.pool_id)
    }

    pub(crate) fn discovery_url(&self) -> String {
        format!(
            "{}/{}/.well-known/openid-configuration",
            self.base_url, self.pool_id
        )
    }

    pub(crate) fn alb_keys_url(&self) -> String {
        format!("{}/alb-keys", self.base_url)
    }

    pub(crate) fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.base_url)
    }

    pub(crate) fn authorize_url(&self) -> String {
        format!("{}/oauth2/authorize", self.base_url)
    }

    pub(crate) fn client(&self, id: &str) -> Option<&ClientConfig> {
        self.clients.iter().find(|c| c.id == id)
    }

    pub(crate) fn all_scopes(&self) -> impl Iterator<Item = &str> {
        self.resource_servers
            .iter()
            .flat_map(|rs| rs.scopes.iter().map(String::as_str))
    }
}
