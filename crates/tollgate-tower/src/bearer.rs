//! Bearer credentials from a request (RFC 6750 §2.1), and the other places an
//! [`AuthLayer`](crate::AuthLayer) can be told to read a token from ([`TokenSource`]).

use http::header::{AUTHORIZATION, COOKIE, HeaderName};
use http::{HeaderMap, Uri};

/// Why a request's credentials are malformed (answered with 400 `invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// More than one `Authorization` field (or more than one token in it).
    #[error("more than one authorization header")]
    RepeatedHeader,
    /// The field value has bytes outside visible ASCII.
    #[error("authorization header is not visible ASCII")]
    NotAscii,
    /// `Bearer` without a token, or not followed by a space.
    #[error("bearer credentials are malformed")]
    MalformedBearer,
    /// The token has characters outside the b64token grammar.
    #[error("bearer token has invalid characters")]
    InvalidTokenCharacters,
    /// The token was sent in the header and in the query string.
    #[error("token sent by more than one method")]
    MultipleMethods,
    /// Two configured token sources (or two cookies of the configured name) hold different
    /// tokens: never a silent choice.
    #[error("different tokens sent in more than one place")]
    ConflictingTokens,
}

/// A place an [`AuthLayer`](crate::AuthLayer) reads the token from
/// ([`AuthLayer::token_sources`](crate::AuthLayer::token_sources)). The default is
/// [`TokenSource::Authorization`] alone.
///
/// | source | the request carries | the token is |
/// | --- | --- | --- |
/// | `Authorization` | `Authorization: Bearer <token>` (RFC 6750 §2.1) | what follows `Bearer ` |
/// | `Header(name)` | `name: <token>` | the whole value |
/// | `Cookie(name)` | `Cookie: ...; name=<token>; ...` | the whole cookie value (not quoted) |
///
/// Each source must hold one well-formed token or nothing: a repeated header, bytes outside
/// visible ASCII, characters outside the b64token grammar or an empty cookie value answer 400
/// `invalid_request`, never "no token". Two cookies of the configured name with different
/// values are 400 as well.
///
/// # Cookies and CSRF
///
/// Browsers attach cookies to every request to your host, including requests that other sites
/// cause (a form posted to your API, an `<img>`, a `fetch` with `credentials: "include"` where
/// the cookie allows it). A route authenticated by a cookie is therefore open to cross-site
/// request forgery unless you add a defence; tollgate does not add one. Concretely:
///
/// - set the cookie `HttpOnly; Secure; SameSite=Strict` (or `Lax`, which still sends it on
///   top-level `GET` navigations from other sites), ideally with the `__Host-` name prefix
///   (`__Host-access_token`: no `Domain`, `Path=/`, HTTPS only), so sibling subdomains cannot
///   plant one;
/// - never change state on `GET` / `HEAD` / `OPTIONS`;
/// - for `POST`, `PUT`, `PATCH` and `DELETE` on cookie-authenticated routes, require a proof
///   that the request came from your own pages: a header a cross-site form cannot set (a
///   synchronizer or double-submit CSRF token in `X-CSRF-Token`, or at least a custom header
///   such as `X-Requested-With`, which forces a CORS preflight), or check `Origin` /
///   `Sec-Fetch-Site` against your own origin;
/// - with CORS, never answer `Access-Control-Allow-Credentials: true` for origins you do not
///   control.
///
/// Requests authenticated by `Authorization` or another header are not exposed: browsers never
/// add those by themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (the default source).
    Authorization,
    /// A header whose whole value is the token (gateways that forward the token on its own).
    Header(HeaderName),
    /// A cookie whose value is the token (browser sessions: see the CSRF notes above).
    Cookie(String),
}

impl TokenSource {
    /// A header whose whole value is the token.
    #[must_use]
    pub fn header(name: HeaderName) -> Self {
        Self::Header(name)
    }

    /// A cookie whose value is the token.
    #[must_use]
    pub fn cookie(name: impl Into<String>) -> Self {
        Self::Cookie(name.into())
    }
}

/// Where the credential is read from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// `Authorization: Bearer <token>`.
    Authorization,
    /// A gateway header whose whole value is the token.
    Header(HeaderName),
    /// A cookie whose whole value is the token.
    Cookie(String),
    /// `x-amzn-oidc-data`: an AWS ALB's user-claims token, the whole value, whose segments
    /// carry `=` padding (the verifier accepts that from ALB issuers only).
    AlbData,
}

impl From<TokenSource> for Source {
    fn from(source: TokenSource) -> Self {
        match source {
            TokenSource::Authorization => Self::Authorization,
            TokenSource::Header(name) => Self::Header(name),
            TokenSource::Cookie(name) => Self::Cookie(name),
        }
    }
}

/// The token of a request read from every configured source, in order: `Ok(None)` when none
/// holds one; the first one found when every source that holds one holds the same;
/// [`InvalidRequest::ConflictingTokens`] when two hold different tokens; the first malformed
/// source's error whatever the others hold.
pub(crate) fn extract_from<'h>(
    headers: &'h HeaderMap,
    uri: &Uri,
    sources: &[Source],
) -> Result<Option<&'h str>, InvalidRequest> {
    if let [source] = sources {
        return extract(headers, uri, source);
    }
    let mut found: Option<&'h str> = None;
    for source in sources {
        let Some(token) = extract(headers, uri, source)? else {
            continue;
        };
        match found {
            None => found = Some(token),
            Some(first) if first == token => {}
            Some(_) => return Err(InvalidRequest::ConflictingTokens),
        }
    }
    Ok(found)
}

/// `Ok(None)` when the request carries no bearer credentials (no header, another scheme).
pub(crate) fn extract<'h>(
    headers: &'h HeaderMap,
    uri: &Uri,
    source: &Source,
) -> Result<Option<&'h str>, InvalidRequest> {
    let alb = HeaderName::from_static(crate::alb::ALB_DATA_HEADER);
    let name = match source {
        Source::Authorization => &AUTHORIZATION,
        Source::Header(name) => name,
        Source::AlbData => &alb,
        Source::Cookie(name) => return cookie_token(headers, uri, name),
    };
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(InvalidRequest::RepeatedHeader);
    }
    // The common case, `Bearer <b64token>`, in one pass over the token (its characters are
    // visible ASCII, so the value is); anything else takes the full path below, which decides
    // every error. Both give the same answer (property-tested).
    if let Source::Authorization = source
        && let Some(token) = plain_bearer(value.as_bytes())
    {
        if has_query_token(uri) {
            return Err(InvalidRequest::MultipleMethods);
        }
        return Ok(Some(token));
    }
    full(value.as_bytes(), uri, source)
}

/// `bearer <b64token>` exactly: the scheme in any case at the start, one or more spaces, a
/// valid token, then only spaces and tabs. `None` for anything else.
fn plain_bearer(bytes: &[u8]) -> Option<&str> {
    let (scheme, rest) = bytes.split_at_checked(7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let start = rest.iter().position(|&b| b != b' ')?;
    let end = rest.iter().rposition(|&b| b != b' ' && b != b'\t')?;
    let token = std::str::from_utf8(rest.get(start..=end)?).ok()?;
    is_b64token(token).then_some(token)
}

/// The whole extraction for any value: visible ASCII, the scheme, the token's grammar, the
/// query string, in this order.
fn full<'h>(
    bytes: &'h [u8],
    uri: &Uri,
    source: &Source,
) -> Result<Option<&'h str>, InvalidRequest> {
    let value = visible_ascii(bytes)
        .ok_or(InvalidRequest::NotAscii)?
        .trim_matches(|c| c == ' ' || c == '\t');
    let token = match source {
        Source::Header(_) | Source::AlbData | Source::Cookie(_) => value,
        Source::Authorization => match bearer_token(value)? {
            Some(token) => token,
            None => return Ok(None),
        },
    };
    if token.is_empty() {
        return Err(InvalidRequest::MalformedBearer);
    }
    let charset_ok = match source {
        Source::AlbData => is_padded_jws_text(token),
        _ => is_b64token(token),
    };
    if !charset_ok {
        return Err(InvalidRequest::InvalidTokenCharacters);
    }
    if has_query_token(uri) {
        return Err(InvalidRequest::MultipleMethods);
    }
    Ok(Some(token))
}

/// The value of the cookie `name` (in any `Cookie` field; HTTP/2 clients may send one field
/// per cookie): `Ok(None)` when absent, the token when well formed.
fn cookie_token<'h>(
    headers: &'h HeaderMap,
    uri: &Uri,
    name: &str,
) -> Result<Option<&'h str>, InvalidRequest> {
    let mut found: Option<&'h [u8]> = None;
    for field in headers.get_all(COOKIE) {
        // `cookie-string = cookie-pair *( ";" SP cookie-pair )` (RFC 6265 §4.2.1), read
        // leniently for the cookies that are not ours.
        for pair in field.as_bytes().split(|b| *b == b';') {
            let pair = pair.trim_ascii();
            let Some(eq) = pair.iter().position(|b| *b == b'=') else {
                continue;
            };
            let (cookie, value) = (&pair[..eq], &pair[eq + 1..]);
            if cookie != name.as_bytes() {
                continue;
            }
            match found {
                None => found = Some(value),
                Some(first) if first == value => {}
                Some(_) => return Err(InvalidRequest::ConflictingTokens),
            }
        }
    }
    let Some(value) = found else {
        return Ok(None);
    };
    let token = visible_ascii(value).ok_or(InvalidRequest::NotAscii)?;
    if token.is_empty() {
        return Err(InvalidRequest::MalformedBearer);
    }
    if !is_b64token(token) {
        return Err(InvalidRequest::InvalidTokenCharacters);
    }
    if has_query_token(uri) {
        return Err(InvalidRequest::MultipleMethods);
    }
    Ok(Some(token))
}

/// The value as text if every byte is visible ASCII, space or tab (what
/// `HeaderValue::to_str` accepts), checked branch-free so it vectorizes: a 1.2 KB header is
/// one fast pass instead of a byte-by-byte loop on every request.
fn visible_ascii(bytes: &[u8]) -> Option<&str> {
    let mut ok = true;
    for &b in bytes {
        ok &= (b.wrapping_sub(0x20) < 0x5f) | (b == b'\t');
    }
    if ok {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// Splits `Bearer <token>`; the scheme is case-insensitive, one or more spaces follow it.
fn bearer_token(value: &str) -> Result<Option<&str>, InvalidRequest> {
    const SCHEME: &str = "bearer";
    let (scheme, rest) = match value.split_once(' ') {
        Some((scheme, rest)) => (scheme, Some(rest)),
        None => (value, None),
    };
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        // `Bearer<token>` or `Bearer\t<token>` is a broken bearer credential, not another
        // scheme.
        let starts_like_bearer = scheme
            .get(..SCHEME.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(SCHEME));
        return if starts_like_bearer {
            Err(InvalidRequest::MalformedBearer)
        } else {
            Ok(None)
        };
    }
    match rest {
        None => Err(InvalidRequest::MalformedBearer),
        Some(rest) => Ok(Some(rest.trim_start_matches(' '))),
    }
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
///
/// Branch-free over the whole token so the compiler vectorizes it: an early-exit loop cost
/// about 2 µs on a 1.2 KB token, half of a cached request's time in the layer (measured in
/// `benches/layer.rs`).
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    let mut valid = !body.is_empty();
    for &b in body.as_bytes() {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        // `+` `,` `-` `.` `/` and the digits are 0x2B..=0x39: that range without the comma.
        let digit_or_sign = (b.wrapping_sub(b'+') < 15) & (b != b',');
        valid &= letter | digit_or_sign | (b == b'_') | (b == b'~');
    }
    valid
}

/// The characters of a compact JWS whose segments may end in `=` padding: base64url, `.`
/// and `=` (what an AWS ALB writes; whether the padding is acceptable is the verifier's call).
fn is_padded_jws_text(token: &str) -> bool {
    let mut valid = true;
    for &b in token.as_bytes() {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        valid &= letter | digit | (b == b'-') | (b == b'_') | (b == b'.') | (b == b'=');
    }
    valid
}

/// Whether the query string carries `access_token` (RFC 6750 §2.3, which we never read).
pub(crate) fn has_query_token(uri: &Uri) -> bool {
    // Names are compared after form decoding: `access%5Ftoken` is the same parameter.
    uri.query().is_some_and(|query| {
        form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "access_token")
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn get(values: &[&[u8]], uri: &str) -> Result<Option<String>, InvalidRequest> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(AUTHORIZATION, HeaderValue::from_bytes(v).unwrap());
        }
        let uri: Uri = uri.parse().unwrap();
        extract(&headers, &uri, &Source::Authorization).map(|t| t.map(str::to_owned))
    }

    #[test]
    fn visible_ascii_matches_header_value_to_str() {
        for b in 0..=u8::MAX {
            let bytes = [b'a', b, b'z'];
            let reference = HeaderValue::from_bytes(&bytes)
                .ok()
                .and_then(|v| v.to_str().ok().map(str::to_owned));
            if HeaderValue::from_bytes(&bytes).is_ok() {
                assert_eq!(
                    visible_ascii(&bytes).map(str::to_owned),
                    reference,
                    "{b:#x}"
                );
            }
        }
    }

    #[test]
    fn bearer_grammar() {
        let ok = |v: &str| get(&[v.as_bytes()], "/").unwrap();
        assert_eq!(ok("Bearer abc.def.ghi"), Some("abc.def.ghi".into()));
        assert_eq!(ok("bearer abc"), Some("abc".into()));
        assert_eq!(ok("BEARER abc"), Some("abc".into()));
        assert_eq!(ok("BeArEr abc"), Some("abc".into()));
        assert_eq!(ok("Bearer   abc"), Some("abc".into()));
        assert_eq!(ok("Bearer abc  "), Some("abc".into()));
        assert_eq!(ok("Bearer abc=="), Some("abc==".into()));
        assert_eq!(ok("Basic dXNlcjpwYXNz"), None);
        assert_eq!(ok("Digest x"), None);
        assert_eq!(ok("Token abc"), None);
        assert_eq!(ok("Negotiate"), None);
    }

    #[test]
    fn b64token_is_exactly_the_grammar() {
        let reference = |token: &str| {
            let body = token.trim_end_matches('=');
            !body.is_empty()
                && body.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
                })
        };
        for b in 0..=u8::MAX {
            for token in [
                vec![b],
                vec![b'a', b],
                vec![b, b'a'],
                vec![b'a', b, b'='],
                vec![b; 40],
            ] {
                if let Ok(token) = std::str::from_utf8(&token) {
                    assert_eq!(is_b64token(token), reference(token), "{token:?}");
                }
            }
        }
        for token in [
            "",
            "=",
            "==",
            "a=",
            "a==",
            "=a",
            "a=b",
            "aZ09-._~+/==",
            "a b",
        ] {
            assert_eq!(is_b64token(token), reference(token), "{token:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        /// The fast path for `Bearer <token>` answers exactly what the full path answers.
        #[test]
        fn the_fast_path_agrees_with_the_full_path(
            scheme in proptest::prop_oneof!["[bB][eE][aA][rR][eE][rR]", "[a-zA-Z]{0,8}", "[bB]earer[\\t=]?"],
            gap in "[ \\t]{0,3}",
            token in proptest::prop_oneof![
                "[A-Za-z0-9._~+/-]{0,24}={0,2}",
                "[A-Za-z0-9_-]{1,8}={0,2}\\.[A-Za-z0-9_-]{1,8}={0,2}\\.[A-Za-z0-9_-]{1,8}={0,2}",
                "[A-Za-z0-9._~+/=, \\t\\x7f-]{0,24}",
                "[ -~]{0,24}",
            ],
            tail in "[ \\t]{0,2}",
            lead in "[ \\t]{0,1}",
            query in proptest::sample::select(&["/", "/x?access_token=a", "/x?a=1"][..]),
        ) {
            let value = format!("{lead}{scheme}{gap}{token}{tail}");
            let mut headers = HeaderMap::new();
            let Ok(header) = HeaderValue::from_bytes(value.as_bytes()) else {
                return Ok(());
            };
            headers.insert(AUTHORIZATION, header);
            let uri: Uri = query.parse().unwrap();
            let fast = extract(&headers, &uri, &Source::Authorization);
            let full_path = full(value.as_bytes(), &uri, &Source::Authorization);
            proptest::prop_assert_eq!(fast, full_path, "{:?}", value);
            // The ALB's header never takes the fast path: the whole value, its own charset.
            let mut alb = HeaderMap::new();
            alb.insert(crate::alb::ALB_DATA_HEADER, HeaderValue::from_bytes(value.as_bytes()).unwrap());
            let extracted = extract(&alb, &uri, &Source::AlbData);
            let full_path = full(value.as_bytes(), &uri, &Source::AlbData);
            proptest::prop_assert_eq!(extracted, full_path, "{:?}", value);
        }
    }

    #[test]
    fn alb_data_is_read_whole_with_its_padding() {
        let get = |values: &[&[u8]]| {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append("x-amzn-oidc-data", HeaderValue::from_bytes(v).unwrap());
            }
            extract(&headers, &Uri::from_static("/"), &Source::AlbData)
                .map(|t| t.map(str::to_owned))
        };
        assert_eq!(
            get(&[b"e30=.YQ==.AA-_"]).unwrap(),
            Some("e30=.YQ==.AA-_".into())
        );
        assert_eq!(get(&[]).unwrap(), None);
        assert_eq!(
            get(&[b"Bearer e30=.YQ==.AA"]).unwrap_err(),
            InvalidRequest::InvalidTokenCharacters
        );
        for bad in [
            &b"e30+.YQ.AA"[..],
            b"e30/.YQ.AA",
            b"e30 .YQ.AA",
            b"e30~.YQ.AA",
        ] {
            assert_eq!(
                get(&[bad]).unwrap_err(),
                InvalidRequest::InvalidTokenCharacters
            );
        }
        assert_eq!(
            get(&[b"a.b.c", b"a.b.c"]).unwrap_err(),
            InvalidRequest::RepeatedHeader
        );
        // The Authorization header keeps the b64token grammar: no padding mid-token.
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Bearer e30=.YQ==.AA"),
        );
        assert_eq!(
            extract(&headers, &Uri::from_static("/"), &Source::Authorization).unwrap_err(),
            InvalidRequest::InvalidTokenCharacters
        );
    }

    #[test]
    fn malformed_is_invalid_request() {
        let err = |v: &[u8]| get(&[v], "/").unwrap_err();
        assert_eq!(err(b"Bearer"), InvalidRequest::MalformedBearer);
        assert_eq!(err(b"Bearer "), InvalidRequest::MalformedBearer);
        assert_eq!(err(b"Bearerabc"), InvalidRequest::MalformedBearer);
        assert_eq!(err(b"Bearer\tabc"), InvalidRequest::MalformedBearer);
        assert_eq!(err(b"Bearer a b"), InvalidRequest::InvalidTokenCharacters);
        assert_eq!(err(b"Bearer a,b"), InvalidRequest::InvalidTokenCharacters);
        assert_eq!(
            err(b"Bearer a, Bearer b"),
            InvalidRequest::InvalidTokenCharacters
        );
        assert_eq!(err(b"Bearer =abc"), InvalidRequest::InvalidTokenCharacters);
        assert_eq!(err(b"Bearer ab\xffc"), InvalidRequest::NotAscii);
        assert_eq!(
            get(&[b"Bearer a", b"Bearer b"], "/").unwrap_err(),
            InvalidRequest::RepeatedHeader
        );
        assert_eq!(
            get(&[b"Bearer a"], "/x?access_token=a").unwrap_err(),
            InvalidRequest::MultipleMethods
        );
        assert_eq!(get(&[], "/x?access_token=a").unwrap(), None);
        for query in ["access%5Ftoken=a", "x=1&access_token", "access_t%6Fken=a"] {
            assert_eq!(
                get(&[b"Bearer a"], &format!("/x?{query}")).unwrap_err(),
                InvalidRequest::MultipleMethods,
                "{query}"
            );
        }
        assert_eq!(
            get(&[b"Bearer a"], "/x?my_access_token=a").unwrap(),
            Some("a".into())
        );
    }

    fn cookies(fields: &[&[u8]], uri: &str, name: &str) -> Result<Option<String>, InvalidRequest> {
        let mut headers = HeaderMap::new();
        for field in fields {
            headers.append(COOKIE, HeaderValue::from_bytes(field).unwrap());
        }
        let uri: Uri = uri.parse().unwrap();
        extract(&headers, &uri, &Source::Cookie(name.to_owned())).map(|t| t.map(str::to_owned))
    }

    #[test]
    fn cookie_values_are_whole_b64tokens() {
        let get = |fields: &[&[u8]]| cookies(fields, "/", "at");
        assert_eq!(get(&[b"at=a.b.c"]).unwrap(), Some("a.b.c".into()));
        assert_eq!(
            get(&[b"theme=dark; at=a.b.c; lang=en"]).unwrap(),
            Some("a.b.c".into())
        );
        assert_eq!(
            get(&[b"theme=dark;at=a.b.c"]).unwrap(),
            Some("a.b.c".into())
        );
        // HTTP/2 clients may send one `cookie` field per cookie.
        assert_eq!(
            get(&[b"theme=dark", b"at=x.y.z"]).unwrap(),
            Some("x.y.z".into())
        );
        // Names are exact: other cookies, a prefix or another case are not ours.
        assert_eq!(get(&[b"AT=a.b.c; at2=a.b.c; xat=a.b.c"]).unwrap(), None);
        assert_eq!(get(&[b"theme=\xff\xfe; flag"]).unwrap(), None);
        assert_eq!(get(&[]).unwrap(), None);
        // Ours, but malformed: 400, never "no token".
        assert_eq!(get(&[b"at="]).unwrap_err(), InvalidRequest::MalformedBearer);
        assert_eq!(
            get(&[b"at=\"a.b.c\""]).unwrap_err(),
            InvalidRequest::InvalidTokenCharacters
        );
        assert_eq!(
            get(&[b"at=Bearer a.b.c"]).unwrap_err(),
            InvalidRequest::InvalidTokenCharacters
        );
        assert_eq!(get(&[b"at=a\xffb"]).unwrap_err(), InvalidRequest::NotAscii);
        // The same cookie twice: the same value is that value, different values are 400.
        assert_eq!(get(&[b"at=a.b.c; at=a.b.c"]).unwrap(), Some("a.b.c".into()));
        assert_eq!(
            get(&[b"at=a.b.c", b"at=d.e.f"]).unwrap_err(),
            InvalidRequest::ConflictingTokens
        );
        // One method per request: a query token next to the cookie is 400 too.
        assert_eq!(
            cookies(&[b"at=a.b.c"], "/?access_token=a.b.c", "at").unwrap_err(),
            InvalidRequest::MultipleMethods
        );
    }

    #[test]
    fn several_sources_never_choose_silently() {
        let sources = [
            Source::Authorization,
            Source::Header(HeaderName::from_static("x-token")),
            Source::Cookie("at".to_owned()),
        ];
        let get = |fields: &[(&str, &str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in fields {
                headers.append(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            extract_from(&headers, &Uri::from_static("/"), &sources).map(|t| t.map(str::to_owned))
        };
        assert_eq!(get(&[]).unwrap(), None);
        for one in [
            ("authorization", "Bearer a.b.c"),
            ("x-token", "a.b.c"),
            ("cookie", "at=a.b.c"),
        ] {
            assert_eq!(get(&[one]).unwrap(), Some("a.b.c".into()), "{one:?}");
        }
        assert_eq!(
            get(&[
                ("authorization", "Bearer a.b.c"),
                ("x-token", "a.b.c"),
                ("cookie", "at=a.b.c"),
            ])
            .unwrap(),
            Some("a.b.c".into())
        );
        for (a, b) in [
            (("authorization", "Bearer a.b.c"), ("cookie", "at=d.e.f")),
            (("x-token", "a.b.c"), ("cookie", "at=d.e.f")),
            (("authorization", "Bearer a.b.c"), ("x-token", "d.e.f")),
        ] {
            assert_eq!(
                get(&[a, b]).unwrap_err(),
                InvalidRequest::ConflictingTokens,
                "{a:?} {b:?}"
            );
        }
        // Another scheme in `Authorization` is no token there: the cookie's is used.
        assert_eq!(
            get(&[
                ("authorization", "Basic dXNlcjpwYXNz"),
                ("cookie", "at=a.b.c")
            ])
            .unwrap(),
            Some("a.b.c".into())
        );
        // A malformed source is 400 even when another holds a good token.
        assert_eq!(
            get(&[("authorization", "Bearer"), ("cookie", "at=a.b.c")]).unwrap_err(),
            InvalidRequest::MalformedBearer
        );
        assert_eq!(
            get(&[("authorization", "Bearer a.b.c"), ("cookie", "at=")]).unwrap_err(),
            InvalidRequest::MalformedBearer
        );
        // No source at all: no token, ever.
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer a.b.c"));
        assert_eq!(
            extract_from(&headers, &Uri::from_static("/"), &[]),
            Ok(None)
        );
    }
}
