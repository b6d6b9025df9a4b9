//! `[claim_headers]`: verified claims written as request headers for the upstream (or, in
//! forward-auth, as answer headers for the gateway to copy). Every configured name is first
//! removed from the incoming request, authenticated or not, so a client can never supply one.

use std::collections::BTreeMap;

use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tollgate_verify::Claims;
use toml::Spanned;

use crate::claims_json::claims_object;
use crate::config::raw::RawClaimHeader;
use crate::config::{ConfigError, Source};

/// Headers that HTTP or the gateway itself manages: never claim headers.
const RESERVED: [&str; 22] = [
    "authorization",
    "proxy-authorization",
    "proxy-authenticate",
    "www-authenticate",
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-type",
    "content-encoding",
    "cookie",
    "set-cookie",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-original-uri",
];

const RESERVED_PREFIXES: [&str; 4] = ["grpc-", "sec-websocket-", "x-forwarded-", "x-original-"];

/// A claim the verified token holds as a string (read without building JSON).
type StringClaim = fn(&Claims) -> Option<&str>;

/// The typed string claims, by name ([`Claims::get`] renders each to a JSON string).
fn string_claim(name: &str) -> Option<StringClaim> {
    Some(match name {
        "sub" => Claims::subject,
        "client_id" => Claims::client_id,
        "token_use" => Claims::token_use,
        "jti" => Claims::token_id,
        "username" => Claims::username,
        _ => return None,
    })
}

#[derive(Debug, Clone)]
enum ClaimSource {
    /// One claim: strings as they are, numbers and booleans as JSON, lists of strings joined
    /// by the separator, anything else as compact JSON.
    Claim {
        name: String,
        separator: String,
        /// The accessor when the claim is one of the typed strings.
        string: Option<StringClaim>,
    },
    /// Every claim, as base64url (no padding) of the JSON object.
    All,
}

#[derive(Debug, Clone)]
struct ClaimHeader {
    header: HeaderName,
    source: ClaimSource,
}

/// A claim whose value cannot be a header value (a control character in a string claim).
#[derive(Debug, Clone, thiserror::Error)]
#[error("claim `{claim}` cannot be written as a header value")]
pub(crate) struct UnrepresentableClaim {
    pub(crate) claim: String,
}

/// The configured claim headers.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClaimHeaders {
    entries: Vec<ClaimHeader>,
}

impl ClaimHeaders {
    pub(crate) fn from_config(
        source: &Source<'_>,
        raw: &BTreeMap<Spanned<String>, Spanned<RawClaimHeader>>,
    ) -> Result<Self, ConfigError> {
        let mut entries = Vec::with_capacity(raw.len());
        for (name, value) in raw {
            let key = format!("claim_headers.{}", name.get_ref());
            let header = HeaderName::from_bytes(name.get_ref().as_bytes()).map_err(|_| {
                ConfigError::InvalidHeaderName {
                    at: source.at(name.span(), key.clone()),
                    name: name.get_ref().clone(),
                }
            })?;
            let lower = header.as_str();
            if RESERVED.contains(&lower) || RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p)) {
                return Err(ConfigError::ReservedHeaderName {
                    at: source.at(name.span(), key),
                    name: lower.to_owned(),
                });
            }
            if entries.iter().any(|e: &ClaimHeader| e.header == header) {
                return Err(ConfigError::InvalidHeaderName {
                    at: source.at(name.span(), key),
                    name: name.get_ref().clone(),
                });
            }
            let at = || source.at(value.span(), key.clone());
            let RawClaimHeader { claim, separator } = value.get_ref();
            let source = if claim == "*" {
                if separator.is_some() {
                    return Err(ConfigError::InvalidClaimHeader {
                        at: at(),
                        problem: "`*` (every claim) takes no separator",
                    });
                }
                ClaimSource::All
            } else {
                if claim.is_empty() {
                    return Err(ConfigError::InvalidClaimHeader {
                        at: at(),
                        problem: "the claim name is empty",
                    });
                }
                let separator = separator.clone().unwrap_or_else(|| ",".to_owned());
                if separator.is_empty() || HeaderValue::from_str(&separator).is_err() {
                    return Err(ConfigError::InvalidClaimHeader {
                        at: at(),
                        problem: "the separator must be visible ASCII or a space",
                    });
                }
                ClaimSource::Claim {
                    name: claim.clone(),
                    separator,
                    string: string_claim(claim),
                }
            };
            entries.push(ClaimHeader { header, source });
        }
        Ok(Self { entries })
    }

    /// Removes every configured name from `headers`.
    pub(crate) fn strip(&self, headers: &mut HeaderMap) {
        for entry in &self.entries {
            headers.remove(&entry.header);
        }
    }

    /// Writes the claim headers for `claims` (a claim that is absent or `null` writes none).
    pub(crate) fn write(
        &self,
        claims: &Claims,
        headers: &mut HeaderMap,
    ) -> Result<(), UnrepresentableClaim> {
        for entry in &self.entries {
            let value = match &entry.source {
                ClaimSource::All => {
                    let json = Value::Object(claims_object(claims)).to_string();
                    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
                    HeaderValue::from_str(&encoded).ok()
                }
                ClaimSource::Claim {
                    string: Some(string),
                    ..
                } => match string(claims) {
                    None => continue,
                    // UTF-8 is allowed (obs-text); control characters are not.
                    Some(text) => HeaderValue::from_bytes(text.as_bytes()).ok(),
                },
                ClaimSource::Claim {
                    name, separator, ..
                } => match claims.get(name) {
                    None | Some(Value::Null) => continue,
                    Some(value) => header_value(&value, separator),
                },
            };
            let Some(value) = value else {
                return Err(UnrepresentableClaim {
                    claim: match &entry.source {
                        ClaimSource::All => "*".to_owned(),
                        ClaimSource::Claim { name, .. } => name.clone(),
                    },
                });
            };
            headers.insert(entry.header.clone(), value);
        }
        Ok(())
    }
}

fn header_value(value: &Value, separator: &str) -> Option<HeaderValue> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(separator),
        other => other.to_string(),
    };
    // UTF-8 is allowed (obs-text); control characters are not.
    HeaderValue::from_bytes(text.as_bytes()).ok()
}
