//! `WWW-Authenticate: Bearer ...` challenges (RFC 6750 §3).

use http::HeaderValue;

/// What every challenge of one layer shares.
#[derive(Debug, Clone)]
pub(crate) struct ChallengeConfig {
    pub(crate) realm: String,
    pub(crate) resource_metadata: Option<String>,
}

impl Default for ChallengeConfig {
    fn default() -> Self {
        Self {
            realm: "api".to_owned(),
            resource_metadata: None,
        }
    }
}

/// Quotes a value for an auth-param (RFC 9110 §5.6.4), dropping characters that cannot be
/// carried in a header.
fn quote(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {}
        }
    }
    out.push('"');
}

impl ChallengeConfig {
    /// `Bearer realm="..", error="..", error_description="..", scope="..", resource_metadata=".."`.
    pub(crate) fn header(
        &self,
        error: Option<&str>,
        description: Option<&str>,
        scope: Option<&str>,
    ) -> HeaderValue {
        let mut out = String::with_capacity(96);
        out.push_str("Bearer realm=");
        quote(&mut out, &self.realm);
        let params = [
            ("error", error),
            ("error_description", description),
            ("scope", scope),
            ("resource_metadata", self.resource_metadata.as_deref()),
        ];
        for (name, value) in params {
            if let Some(value) = value {
                out.push_str(", ");
                out.push_str(name);
                out.push('=');
                quote(&mut out, value);
            }
        }
        HeaderValue::from_str(&out).unwrap_or(HeaderValue::from_static("Bearer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_quoted() {
        let config = ChallengeConfig {
            realm: "my \"api\"".into(),
            resource_metadata: Some(
                "https://api.example.com/.well-known/oauth-protected-resource".into(),
            ),
        };
        assert_eq!(
            config.header(Some("insufficient_scope"), None, Some("a b")),
            "Bearer realm=\"my \\\"api\\\"\", error=\"insufficient_scope\", scope=\"a b\", resource_metadata=\"https://api.example.com/.well-known/oauth-protected-resource\""
        );
        assert_eq!(
            ChallengeConfig::default().header(None, None, None),
            "Bearer realm=\"api\""
        );
    }
}
