//! Settings of the auth layer, shared by its services.

use std::sync::Arc;

use http::{Method, Request};

use crate::alb::Slot;
use crate::bearer::Source;
use crate::challenge::ChallengeConfig;

#[derive(Debug, Clone)]
pub(crate) struct AuthConfig {
    /// Where tokens are read from, in order of precedence (never empty unless configured so).
    pub(crate) sources: Vec<Source>,
    /// Where verified tokens go in the request extensions.
    pub(crate) slot: Slot,
    pub(crate) challenge: Arc<ChallengeConfig>,
    pub(crate) allow_anonymous: bool,
    pub(crate) skip_paths: Vec<String>,
    pub(crate) skip_methods: Vec<Method>,
    pub(crate) bypass_cors_preflight: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            sources: vec![Source::Authorization],
            slot: Slot::Primary,
            challenge: Arc::new(ChallengeConfig::default()),
            allow_anonymous: false,
            skip_paths: Vec::new(),
            skip_methods: Vec::new(),
            bypass_cors_preflight: false,
        }
    }
}

impl AuthConfig {
    /// Whether the request passes without authentication. Paths match exactly (no prefixes,
    /// no normalisation), so `/health/` or `/HEALTH` are still protected.
    pub(crate) fn skips<B>(&self, request: &Request<B>) -> bool {
        if self.skip_methods.contains(request.method()) {
            return true;
        }
        if self.bypass_cors_preflight
            && request.method() == Method::OPTIONS
            && request.headers().contains_key(http::header::ORIGIN)
            && request
                .headers()
                .contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return true;
        }
        let path = request.uri().path();
        self.skip_paths.iter().any(|p| p == path)
    }
}
