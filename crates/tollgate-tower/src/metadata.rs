//! OAuth 2.0 Protected Resource Metadata (RFC 9728).
//!
//! ```
//! use axum::Router;
//! use tollgate_tower::ProtectedResourceMetadata;
//!
//! let metadata = ProtectedResourceMetadata::new("https://api.example.com")
//!     .authorization_server("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123")
//!     .scopes_supported(["orders/read", "orders/write"]);
//! let app: Router = Router::new()
//!     .route_service(tollgate_tower::metadata::WELL_KNOWN_PATH, metadata.into_service());
//! // and `AuthLayer::resource_metadata("https://api.example.com/.well-known/oauth-protected-resource")`
//! // adds the `resource_metadata` parameter to every challenge.
//! ```

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use tollgate_verify::Verifier;
use tower_service::Service;

use crate::body::FullBody;

/// Where the document is served, relative to the resource's origin.
pub const WELL_KNOWN_PATH: &str = "/.well-known/oauth-protected-resource";

/// The metadata document of a protected resource.
#[derive(Debug, Clone)]
#[must_use]
pub struct ProtectedResourceMetadata {
    resource: String,
    authorization_servers: Vec<String>,
    scopes_supported: Vec<String>,
    resource_name: Option<String>,
    resource_documentation: Option<String>,
}

impl ProtectedResourceMetadata {
    /// Metadata for the resource identified by `resource` (its URL).
    pub fn new(resource: impl Into<String>) -> Self {
        Self {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            scopes_supported: Vec::new(),
            resource_name: None,
            resource_documentation: None,
        }
    }

    /// Metadata listing the verifier's trusted issuers as authorization servers.
    pub fn from_verifier<C>(resource: impl Into<String>, verifier: &Verifier<C>) -> Self
    where
        C: tollgate_verify::CustomClaims,
    {
        let mut metadata = Self::new(resource);
        metadata.authorization_servers = verifier.issuers().map(str::to_owned).collect();
        metadata
    }

    /// Adds an authorization server (issuer identifier).
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// The scopes this resource uses.
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// A human-readable name.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// A URL of human-readable documentation.
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }

    /// The JSON document.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut doc = serde_json::json!({
            "resource": self.resource,
            "authorization_servers": self.authorization_servers,
            "bearer_methods_supported": ["header"],
        });
        if let Some(object) = doc.as_object_mut() {
            if !self.scopes_supported.is_empty() {
                object.insert(
                    "scopes_supported".into(),
                    self.scopes_supported.clone().into(),
                );
            }
            if let Some(name) = &self.resource_name {
                object.insert("resource_name".into(), name.clone().into());
            }
            if let Some(url) = &self.resource_documentation {
                object.insert("resource_documentation".into(), url.clone().into());
            }
        }
        doc
    }

    /// A service answering `GET` (and `HEAD`) with the document.
    pub fn into_service(self) -> MetadataService {
        MetadataService {
            body: Arc::new(Bytes::from(self.to_json().to_string())),
        }
    }
}

/// Serves a [`ProtectedResourceMetadata`] document.
#[derive(Debug, Clone)]
pub struct MetadataService {
    body: Arc<Bytes>,
}

impl<B> Service<Request<B>> for MetadataService {
    type Response = Response<FullBody>;
    type Error = Infallible;
    type Future = Ready<Result<Response<FullBody>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = request.method();
        let response = if method == Method::GET || method == Method::HEAD {
            let body = if method == Method::GET {
                FullBody::new((*self.body).clone())
            } else {
                FullBody::empty()
            };
            let mut response = Response::new(body);
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
            response
        } else {
            let mut response = Response::new(FullBody::empty());
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            response
        };
        ready(Ok(response))
    }
}
