//! HTTP fetching of key sets and discovery documents: bounded in time and size, no redirects,
//! conditional requests, freshness from response headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use http::header::{
    ACCEPT, CACHE_CONTROL, DATE, ETAG, EXPIRES, HeaderMap, HeaderValue, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use serde::Deserialize;
use url::Url;

use crate::error::Cause;
use crate::url_policy::checked_url;
use crate::{BuildError, FetchError};

const ACCEPT_JWKS: &str = "application/jwk-set+json, application/json;q=0.9";
const ACCEPT_PEM: &str = "application/x-pem-file, text/plain;q=0.9, */*;q=0.5";
const ACCEPT_JSON: &str = "application/json";

/// Response validators remembered for conditional requests.
#[derive(Debug, Clone, Default)]
pub(crate) struct Validators {
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
}

impl Validators {
    fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            etag: headers.get(ETAG).cloned(),
            last_modified: headers.get(LAST_MODIFIED).cloned(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// What one key set request produced.
#[derive(Debug)]
pub(crate) enum FetchOutcome {
    /// A new body (status 200).
    Modified {
        body: Bytes,
        validators: Validators,
        max_age: Option<Duration>,
    },
    /// The server confirmed our copy (status 304 to a conditional request).
    NotModified { max_age: Option<Duration> },
}

/// What one ALB key request produced.
#[derive(Debug)]
pub(crate) enum PemOutcome {
    /// The key's PEM (status 200).
    Found {
        body: Bytes,
        max_age: Option<Duration>,
    },
    /// No key with this kid (status 404 or 403: the endpoint does not have it).
    Absent,
}

#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body: usize,
}

/// Builds the default client: rustls, short timeouts, no redirects.
pub(crate) fn default_client(
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<reqwest::Client, BuildError> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("tollgate-jwks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| BuildError::HttpClient(Cause::new(e)))
}

impl Fetcher {
    pub(crate) fn new(client: reqwest::Client, timeout: Duration, max_body: usize) -> Self {
        Self {
            client,
            timeout,
            max_body,
        }
    }

    /// Fetches a key set, conditionally when `validators` are known.
    pub(crate) async fn fetch_jwks(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        unix_now: Duration,
    ) -> Result<FetchOutcome, FetchError> {
        let mut request = self.client.get(url.clone()).header(ACCEPT, ACCEPT_JWKS);
        if let Some(validators) = validators {
            if let Some(etag) = &validators.etag {
                request = request.header(IF_NONE_MATCH, etag.clone());
            }
            if let Some(last_modified) = &validators.last_modified {
                request = request.header(IF_MODIFIED_SINCE, last_modified.clone());
            }
        }
        let conditional = validators.is_some_and(|v| !v.is_empty());
        self.bounded(async {
            let response = request.send().await.map_err(transport_error)?;
            refuse_followed_redirect(&response, url)?;
            let status = response.status();
            let max_age = freshness(response.headers(), unix_now);
            if status == StatusCode::NOT_MODIFIED && conditional {
                return Ok(FetchOutcome::NotModified { max_age });
            }
            check_status(status, response.headers())?;
            let validators = Validators::from_headers(response.headers());
            let body = read_capped(response, self.max_body).await?;
            Ok(FetchOutcome::Modified {
                body,
                validators,
                max_age,
            })
        })
        .await
    }

    /// Fetches one ALB key (a PEM document) under the same bounds as a key set: deadline, no
    /// redirects, body limit, status handling.
    pub(crate) async fn fetch_pem(
        &self,
        url: &Url,
        unix_now: Duration,
    ) -> Result<PemOutcome, FetchError> {
        let request = self.client.get(url.clone()).header(ACCEPT, ACCEPT_PEM);
        self.bounded(async {
            let response = request.send().await.map_err(transport_error)?;
            refuse_followed_redirect(&response, url)?;
            let status = response.status();
            if status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN {
                return Ok(PemOutcome::Absent);
            }
            check_status(status, response.headers())?;
            let max_age = freshness(response.headers(), unix_now);
            let body = read_capped(response, self.max_body).await?;
            Ok(PemOutcome::Found { body, max_age })
        })
        .await
    }

    /// Fetches an OIDC discovery document and returns its checked `jwks_uri`.
    pub(crate) async fn discover(
        &self,
        document: &Url,
        issuer: &str,
        allow_http: bool,
    ) -> Result<Url, FetchError> {
        #[derive(Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: Option<String>,
        }
        let request = self
            .client
            .get(document.clone())
            .header(ACCEPT, ACCEPT_JSON);
        let body = self
            .bounded(async {
                let response = request.send().await.map_err(transport_error)?;
                refuse_followed_redirect(&response, document)?;
                check_status(response.status(), response.headers())?;
                read_capped(response, self.max_body).await
            })
            .await?;
        let discovery: Discovery =
            serde_json::from_slice(&body).map_err(|_| FetchError::InvalidJson)?;
        if discovery.issuer != issuer {
            return Err(FetchError::IssuerMismatch);
        }
        let jwks_uri = discovery.jwks_uri.ok_or(FetchError::MissingJwksUri)?;
        Ok(checked_url(&jwks_uri, allow_http)?)
    }

    async fn bounded<T>(
        &self,
        work: impl Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or(Err(FetchError::Timeout))
    }
}

/// A client supplied through `http_client` may follow redirects; the answer must still come
/// from the URL that was asked (redirects could lead to plain http or another host).
fn refuse_followed_redirect(
    response: &reqwest::Response,
    requested: &Url,
) -> Result<(), FetchError> {
    if response.url() == requested {
        Ok(())
    } else {
        Err(FetchError::FollowedRedirect)
    }
}

fn transport_error(error: reqwest::Error) -> FetchError {
    if error.is_timeout() {
        FetchError::Timeout
    } else if error.is_connect() {
        FetchError::Connect(Cause::new(error))
    } else {
        FetchError::Http(Cause::new(error))
    }
}

/// A failure while reading the body: the status and headers arrived, so anything but the
/// deadline means the connection failed mid-way (closed before the announced length, broken
/// chunked framing), which [`FetchError::Connect`] documents.
fn body_error(error: reqwest::Error) -> FetchError {
    if error.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Connect(Cause::new(error))
    }
}

fn check_status(status: StatusCode, headers: &HeaderMap) -> Result<(), FetchError> {
    if status == StatusCode::OK {
        return Ok(());
    }
    if status.is_redirection() {
        return Err(FetchError::Redirect {
            status: status.as_u16(),
        });
    }
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    Err(FetchError::Status {
        status: status.as_u16(),
        retry_after,
    })
}

async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Bytes, FetchError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(FetchError::BodyTooLarge { limit });
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(body_error)? {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::BodyTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// How long the response says it stays fresh: `Cache-Control: max-age` (zero when `no-cache`
/// or `no-store` appears anywhere, whatever the directive order), else `Expires` minus `Date`
/// (or minus now). An `Expires` that is not a valid date (such as `0`) means already expired
/// (RFC 9111 §5.3). `None` when neither header says.
pub(crate) fn freshness(headers: &HeaderMap, unix_now: Duration) -> Option<Duration> {
    let mut max_age_seen = false;
    let mut max_age = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, arg) = match directive.split_once('=') {
                Some((name, arg)) => (name.trim(), Some(arg.trim().trim_matches('"'))),
                None => (directive, None),
            };
            if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
                return Some(Duration::ZERO);
            }
            if name.eq_ignore_ascii_case("max-age") {
                max_age_seen = true;
                max_age = max_age.or_else(|| arg.and_then(delta_seconds));
            }
        }
    }
    if max_age_seen {
        // A malformed max-age is treated as stale (RFC 9111 §4.2.1 says such a response is stale).
        return Some(max_age.unwrap_or(Duration::ZERO));
    }
    let Some(expires) = http_date(headers.get(EXPIRES)?) else {
        return Some(Duration::ZERO);
    };
    let date = headers
        .get(DATE)
        .and_then(http_date)
        .or_else(|| UNIX_EPOCH.checked_add(unix_now))?;
    Some(expires.duration_since(date).unwrap_or(Duration::ZERO))
}

/// A `delta-seconds` value (RFC 9111 §1.2.2): digits only; a value too large to represent
/// means "very large" (the caller clamps it), not "stale".
fn delta_seconds(arg: &str) -> Option<Duration> {
    if arg.is_empty() || !arg.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Duration::from_secs(arg.parse::<u64>().unwrap_or(u64::MAX)))
}

fn http_date(value: &HeaderValue) -> Option<SystemTime> {
    httpdate::parse_http_date(value.to_str().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn max_age_wins_and_no_store_means_stale() {
        let now = Duration::from_secs(1_700_000_000);
        assert_eq!(
            freshness(&headers(&[("cache-control", "public, max-age=300")]), now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            freshness(&headers(&[("cache-control", "no-store")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            freshness(&headers(&[("cache-control", "max-age=abc")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(freshness(&headers(&[]), now), None);
    }

    #[test]
    fn no_store_wins_in_any_position_and_huge_max_age_is_large() {
        let now = Duration::from_secs(1_700_000_000);
        assert_eq!(
            freshness(&headers(&[("cache-control", "max-age=300, no-store")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            freshness(
                &headers(&[
                    ("cache-control", "max-age=300"),
                    ("cache-control", "no-cache")
                ]),
                now
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(
            freshness(
                &headers(&[("cache-control", "max-age=99999999999999999999")]),
                now
            ),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            freshness(&headers(&[("cache-control", "max-age=-1")]), now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn invalid_expires_means_already_expired() {
        assert_eq!(
            freshness(&headers(&[("expires", "0")]), Duration::ZERO),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn expires_is_relative_to_date() {
        let h = headers(&[
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("expires", "Wed, 21 Oct 2015 07:38:00 GMT"),
        ]);
        assert_eq!(
            freshness(&h, Duration::ZERO),
            Some(Duration::from_secs(600))
        );
        let past = headers(&[
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("expires", "Wed, 21 Oct 2015 07:00:00 GMT"),
        ]);
        assert_eq!(freshness(&past, Duration::ZERO), Some(Duration::ZERO));
    }
}
