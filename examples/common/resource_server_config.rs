//! The configuration of `examples/resource_server.rs`, read from environment variables
//! (through a lookup function, so tests can supply them), and the verifier it builds.

use std::net::SocketAddr;

use tollgate::{Algorithm, BuildError, Issuer, JwksSource, TokenUse, Verifier};

pub(crate) struct Config {
    pub(crate) issuer: String,
    pub(crate) algorithms: Vec<Algorithm>,
    jwks_url: Option<String>,
    client_ids: Option<Vec<String>>,
    audience: Option<String>,
    token_use: Option<TokenUse>,
    pub(crate) listen: SocketAddr,
}

/// The algorithms named by `TOLLGATE_ALGORITHMS` (comma-separated JOSE names, default
/// `RS256`), or a message naming the first unknown one.
pub(crate) fn algorithms(value: Option<&str>) -> Result<Vec<Algorithm>, String> {
    let Some(value) = value else {
        return Ok(vec![Algorithm::Rs256]);
    };
    let mut algorithms = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let algorithm = Algorithm::from_jose(name).ok_or_else(|| {
            let known: Vec<&str> = Algorithm::ALL.iter().map(|a| a.as_str()).collect();
            format!(
                "TOLLGATE_ALGORITHMS: unknown algorithm {name:?} (known: {})",
                known.join(", ")
            )
        })?;
        algorithms.push(algorithm);
    }
    if algorithms.is_empty() {
        return Err("TOLLGATE_ALGORITHMS is set but lists no algorithm".to_owned());
    }
    Ok(algorithms)
}

impl Config {
    /// Reads the configuration from the process environment.
    pub(crate) fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (variable name to value).
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let issuer = var("TOLLGATE_ISSUER")
            .ok_or("TOLLGATE_ISSUER is required (the exact `iss` of accepted tokens)")?;
        let token_use = match var("TOLLGATE_TOKEN_USE").as_deref() {
            None | Some("access") => Some(TokenUse::Access),
            Some("id") => Some(TokenUse::Id),
            Some("none") => None,
            Some(other) => {
                return Err(format!(
                    "TOLLGATE_TOKEN_USE must be `access`, `id` or `none`, not {other:?}"
                ));
            }
        };
        let listen = var("TOLLGATE_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned())
            .parse()
            .map_err(|e| format!("TOLLGATE_LISTEN is not a socket address: {e}"))?;
        let client_ids = var("TOLLGATE_CLIENT_IDS").map(|ids| {
            ids.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        });
        if client_ids.as_ref().is_some_and(Vec::is_empty) {
            return Err("TOLLGATE_CLIENT_IDS is set but lists no client id".to_owned());
        }
        let algorithms = algorithms(var("TOLLGATE_ALGORITHMS").as_deref())?;
        Ok(Self {
            issuer,
            algorithms,
            jwks_url: var("TOLLGATE_JWKS_URL"),
            client_ids,
            audience: var("TOLLGATE_AUDIENCE"),
            token_use,
            listen,
        })
    }

    pub(crate) fn issuer(&self) -> Issuer {
        let mut issuer = match self.token_use {
            Some(token_use) => Issuer::cognito_issuer(&self.issuer).token_use(token_use),
            None => Issuer::oidc(&self.issuer),
        };
        issuer = match (&self.client_ids, self.token_use) {
            (Some(ids), _) => issuer.client_ids(ids.clone()),
            (None, Some(_)) => issuer.any_client(),
            (None, None) => issuer,
        };
        match &self.audience {
            Some(audience) => issuer.audience([audience.clone()]),
            None if self.token_use.is_none() => issuer.any_audience(),
            None => issuer,
        }
    }
}

/// An error and its causes, one after the other (each error's message leaves its cause to
/// `source()`).
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The verifier `config` describes; keys are fetched before it returns.
pub(crate) async fn build_verifier(config: &Config) -> Result<Verifier, String> {
    let describe = |e: BuildError| chain(&e);
    if let Some(url) = &config.jwks_url {
        return Verifier::builder()
            .algorithms(config.algorithms.iter().copied())
            .issuer(config.issuer().jwks_url(url.clone()))
            .build()
            .await
            .map_err(describe);
    }
    // Discovery first (the issuer's `jwks_uri`), then the conventional location.
    let discovery = JwksSource::discovery(&config.issuer).map_err(|e| chain(&e))?;
    match Verifier::builder()
        .algorithms(config.algorithms.iter().copied())
        .issuer(config.issuer().jwks_source(discovery))
        .build()
        .await
    {
        Ok(verifier) => Ok(verifier),
        Err(BuildError::Prefetch(cause)) => {
            tracing::warn!(error = %cause, "discovery failed; using {{issuer}}/.well-known/jwks.json");
            let url = format!(
                "{}/.well-known/jwks.json",
                config.issuer.trim_end_matches('/')
            );
            Verifier::builder()
                .algorithms(config.algorithms.iter().copied())
                .issuer(config.issuer().jwks_url(url))
                .build()
                .await
                .map_err(describe)
        }
        Err(other) => Err(describe(other)),
    }
}
