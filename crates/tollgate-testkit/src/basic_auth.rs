//! `Authorization: Basic` client credentials as RFC 6749 §2.3.1 defines them:
//! the client id and secret are `application/x-www-form-urlencoded`-encoded,
//! joined with `:`, then base64-encoded.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Decoded client credentials.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BasicCredentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
}

/// Why an `Authorization` header is not usable Basic credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BasicError {
    NotBasic,
    Malformed,
}

/// Parses one `Authorization` header value.
pub(crate) fn parse(value: &[u8]) -> Result<BasicCredentials, BasicError> {
    let value = std::str::from_utf8(value).map_err(|_| BasicError::Malformed)?;
    let (scheme, credentials) = value.trim().split_once(' ').ok_or(BasicError::NotBasic)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(BasicError::NotBasic);
    }
    let decoded = STANDARD
        .decode(credentials.trim())
        .map_err(|_| BasicError::Malformed)?;
    let decoded = String::from_utf8(decoded).map_err(|_| BasicError::Malformed)?;
    let (id, secret) = decoded.split_once(':').ok_or(BasicError::Malformed)?;
    Ok(BasicCredentials {
        client_id: form_decode(id).ok_or(BasicError::Malformed)?,
        client_secret: form_decode(secret).ok_or(BasicError::Malformed)?,
    })
}

/// `application/x-www-form-urlencoded` decoding of one value: `+` is a space,
/// `%XX` a byte; a `%` not followed by two hex digits stays literal (WHATWG).
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::{BasicCredentials, BasicError, form_decode, parse};

    fn header(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn parses_and_form_decodes_id_and_secret() {
        assert_eq!(
            parse(header("my%20client:s%3Acret+x").as_bytes()),
            Ok(BasicCredentials {
                client_id: "my client".into(),
                client_secret: "s:cret x".into(),
            })
        );
    }

    #[test]
    fn scheme_is_case_insensitive_and_others_are_refused() {
        let lower = format!("basic {}", STANDARD.encode("a:b"));
        assert!(parse(lower.as_bytes()).is_ok());
        assert_eq!(parse(b"Bearer abc"), Err(BasicError::NotBasic));
        assert_eq!(parse(b"Basic"), Err(BasicError::NotBasic));
        assert_eq!(parse(b"Basic !!!"), Err(BasicError::Malformed));
        assert_eq!(
            parse(header("no-colon").as_bytes()),
            Err(BasicError::Malformed)
        );
    }

    #[test]
    fn stray_percent_stays_literal() {
        assert_eq!(form_decode("100%").as_deref(), Some("100%"));
        assert_eq!(form_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(form_decode("%ff"), None);
    }
}
