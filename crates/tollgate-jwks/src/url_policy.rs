//! Which URLs keys may be fetched from.

use url::{Host, Url};

use crate::UrlError;

/// Parses `raw` and checks it: `https`, or plain `http` to a loopback host (or to any host when
/// `allow_http` is set). URLs with user info are refused so credentials never end up in logs.
pub(crate) fn checked_url(raw: &str, allow_http: bool) -> Result<Url, UrlError> {
    let url = Url::parse(raw).map_err(|_| UrlError::Invalid)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Unsupported);
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&url) => {}
        "http" => return Err(UrlError::Insecure),
        _ => return Err(UrlError::Unsupported),
    }
    if url.host().is_none() {
        return Err(UrlError::Invalid);
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        assert!(checked_url("https://example.com/jwks.json", false).is_ok());
        assert!(checked_url("http://127.0.0.1:8080/jwks.json", false).is_ok());
        assert!(checked_url("http://[::1]:8080/jwks.json", false).is_ok());
        assert!(checked_url("http://localhost/jwks.json", false).is_ok());
        assert_eq!(
            checked_url("http://example.com/jwks.json", false),
            Err(UrlError::Insecure)
        );
        assert!(checked_url("http://example.com/jwks.json", true).is_ok());
        assert_eq!(
            checked_url("file:///etc/passwd", true),
            Err(UrlError::Unsupported)
        );
        assert_eq!(
            checked_url("https://user:pw@example.com/", false),
            Err(UrlError::Unsupported)
        );
        assert_eq!(checked_url("not a url", false), Err(UrlError::Invalid));
    }
}
