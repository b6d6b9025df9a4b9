//! Forward-auth: "may this request pass", for gateways that delegate the decision (nginx
//! `auth_request`, Traefik `ForwardAuth`, Caddy `forward_auth`, Envoy `ext_authz` over HTTP).
//!
//! The original method and URI come from `X-Original-Method` / `X-Original-URI` (nginx) or
//! `X-Forwarded-Method` / `X-Forwarded-Uri` (Traefik, Caddy). The route table decides exactly
//! as in proxy mode, with the same auth layer; the answer is 200 with the claim headers (for
//! the gateway to copy upstream), or the library's rejection (401 with the challenge, 403,
//! 400, 503). Only the `Authorization` fields of the auth request are read: in particular not
//! its `content-type`, so the answer is always an HTTP status the gateway understands, never
//! a gRPC trailers-only answer with status 200.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use tollgate_verify::VerifiedToken;
use tower::Service;

use crate::claim_headers::ClaimHeaders;

const X_ORIGINAL_METHOD: HeaderName = HeaderName::from_static("x-original-method");
const X_ORIGINAL_URI: HeaderName = HeaderName::from_static("x-original-uri");
const X_FORWARDED_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
const X_FORWARDED_URI: HeaderName = HeaderName::from_static("x-forwarded-uri");

/// Why a forward-auth request cannot be decided (answered 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OriginalProblem {
    MissingMethod,
    MissingUri,
    /// A header repeated, or the nginx and Traefik forms disagree.
    Conflicting,
    InvalidMethod,
    InvalidUri,
}

impl OriginalProblem {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::MissingMethod => "forward_auth_missing_method",
            Self::MissingUri => "forward_auth_missing_uri",
            Self::Conflicting => "forward_auth_conflicting_headers",
            Self::InvalidMethod => "forward_auth_invalid_method",
            Self::InvalidUri => "forward_auth_invalid_uri",
        }
    }
}

/// The single value of `a` or `b` (they must agree when both are sent).
fn original<'h>(
    headers: &'h HeaderMap,
    a: &HeaderName,
    b: &HeaderName,
    missing: OriginalProblem,
) -> Result<&'h HeaderValue, OriginalProblem> {
    let single = |name: &HeaderName| {
        let mut values = headers.get_all(name).iter();
        match (values.next(), values.next()) {
            (first, None) => Ok(first),
            _ => Err(OriginalProblem::Conflicting),
        }
    };
    match (single(a)?, single(b)?) {
        (Some(x), Some(y)) if x != y => Err(OriginalProblem::Conflicting),
        (Some(x), _) | (None, Some(x)) => Ok(x),
        (None, None) => Err(missing),
    }
}

/// The request to decide: the original method and URI, and the auth request's
/// `Authorization` fields (all of them: two are a malformed request, as for the proxy).
pub(crate) fn original_request(headers: &HeaderMap) -> Result<Request<()>, OriginalProblem> {
    let method = original(
        headers,
        &X_ORIGINAL_METHOD,
        &X_FORWARDED_METHOD,
        OriginalProblem::MissingMethod,
    )?;
    let uri = original(
        headers,
        &X_ORIGINAL_URI,
        &X_FORWARDED_URI,
        OriginalProblem::MissingUri,
    )?;
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|_| OriginalProblem::InvalidMethod)?;
    let uri = PathAndQuery::try_from(uri.as_bytes()).map_err(|_| OriginalProblem::InvalidUri)?;
    if !uri.path().starts_with('/') {
        return Err(OriginalProblem::InvalidUri);
    }
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = http::Uri::from(uri);
    for value in headers.get_all(AUTHORIZATION) {
        request.headers_mut().append(AUTHORIZATION, value.clone());
    }
    Ok(request)
}

/// The last service of a forward-auth route: 200 with the claim headers.
#[derive(Debug, Clone)]
pub(crate) struct Allow {
    pub(crate) claim_headers: Arc<ClaimHeaders>,
}

impl<B> Service<Request<B>> for Allow {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let mut response = Response::new(Full::new(Bytes::new()));
        if let Some(token) = request.extensions().get::<VerifiedToken>()
            && let Err(error) = self
                .claim_headers
                .write(token.claims(), response.headers_mut())
        {
            tracing::error!(target: "tollgate::gateway", %error, "request refused");
            response.headers_mut().clear();
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        }
        ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn nginx_and_traefik_forms() {
        for (m, u) in [
            ("x-original-method", "x-original-uri"),
            ("x-forwarded-method", "x-forwarded-uri"),
        ] {
            let request = original_request(&headers(&[
                (m, "DELETE"),
                (u, "/orders/1?x=y"),
                ("authorization", "Bearer abc"),
                ("content-type", "application/grpc"),
            ]))
            .unwrap();
            assert_eq!(request.method(), Method::DELETE);
            assert_eq!(request.uri().path(), "/orders/1");
            assert_eq!(request.uri().query(), Some("x=y"));
            assert_eq!(request.headers().len(), 1, "only Authorization is read");
        }
    }

    #[test]
    fn missing_repeated_or_disagreeing_headers_are_refused() {
        use OriginalProblem::*;
        let cases: [(&[(&str, &str)], OriginalProblem); 6] = [
            (&[("x-original-uri", "/")], MissingMethod),
            (&[("x-original-method", "GET")], MissingUri),
            (
                &[
                    ("x-original-method", "GET"),
                    ("x-original-method", "POST"),
                    ("x-original-uri", "/"),
                ],
                Conflicting,
            ),
            (
                &[
                    ("x-original-method", "GET"),
                    ("x-forwarded-method", "POST"),
                    ("x-original-uri", "/"),
                ],
                Conflicting,
            ),
            (
                &[("x-original-method", "G T"), ("x-original-uri", "/")],
                InvalidMethod,
            ),
            (
                &[("x-original-method", "GET"), ("x-original-uri", "orders")],
                InvalidUri,
            ),
        ];
        for (pairs, problem) in cases {
            assert_eq!(
                original_request(&headers(pairs)).unwrap_err(),
                problem,
                "{pairs:?}"
            );
        }
    }
}
