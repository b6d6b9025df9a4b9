//! The configuration file as written: serde types that mirror the TOML, with spans where a
//! later check needs to point at a line.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use toml::Spanned;

use super::duration::ConfigDuration;
use super::env::EnvString;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub(crate) listen: Option<Spanned<EnvString>>,
    pub(crate) admin: Option<RawAdmin>,
    #[serde(default)]
    pub(crate) limits: RawLimits,
    #[serde(default)]
    pub(crate) upstream: BTreeMap<Spanned<String>, RawUpstream>,
    #[serde(default)]
    pub(crate) issuer: Vec<Spanned<RawIssuer>>,
    #[serde(default)]
    pub(crate) keys: RawKeys,
    #[serde(default)]
    pub(crate) verify: RawVerify,
    #[serde(default)]
    pub(crate) auth: RawAuth,
    #[serde(default)]
    pub(crate) claim_headers: BTreeMap<Spanned<String>, Spanned<RawClaimHeader>>,
    pub(crate) forward_auth: Option<RawForwardAuth>,
    #[serde(default)]
    pub(crate) route: Vec<RawRoute>,
    pub(crate) unmatched: Option<Spanned<RawRequirement>>,
    #[serde(default)]
    pub(crate) shutdown: RawShutdown,
    #[serde(default)]
    pub(crate) log: RawLog,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdmin {
    pub(crate) listen: Spanned<EnvString>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    pub(crate) max_connections: Option<Spanned<usize>>,
    pub(crate) max_header_bytes: Option<Spanned<usize>>,
    pub(crate) header_read_timeout: Option<ConfigDuration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpstream {
    pub(crate) url: Spanned<EnvString>,
    #[serde(default)]
    pub(crate) http2: bool,
    pub(crate) connect_timeout: Option<ConfigDuration>,
    pub(crate) timeout: Option<ConfigDuration>,
    pub(crate) idle_timeout: Option<ConfigDuration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IssuerKind {
    Cognito,
    Oidc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawTokenUse {
    Access,
    Id,
    Unchecked,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIssuer {
    pub(crate) kind: Spanned<IssuerKind>,
    pub(crate) region: Option<Spanned<EnvString>>,
    pub(crate) user_pool_id: Option<Spanned<EnvString>>,
    pub(crate) issuer: Option<Spanned<EnvString>>,
    pub(crate) client_ids: Option<Spanned<Vec<EnvString>>>,
    #[serde(default)]
    pub(crate) any_client: bool,
    pub(crate) audience: Option<Spanned<Vec<EnvString>>>,
    #[serde(default)]
    pub(crate) any_audience: bool,
    pub(crate) token_use: Option<Spanned<RawTokenUse>>,
    pub(crate) jwks_url: Option<Spanned<EnvString>>,
    pub(crate) jwks_file: Option<Spanned<EnvString>>,
    pub(crate) algorithms: Option<Spanned<Vec<Spanned<String>>>>,
    pub(crate) scope_claims: Option<Spanned<Vec<EnvString>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKeys {
    pub(crate) refresh: Option<ConfigDuration>,
    pub(crate) min_refresh: Option<ConfigDuration>,
    pub(crate) max_refresh: Option<ConfigDuration>,
    pub(crate) max_stale: Option<ConfigDuration>,
    pub(crate) cooldown: Option<ConfigDuration>,
    pub(crate) fetch_timeout: Option<ConfigDuration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVerify {
    pub(crate) leeway: Option<ConfigDuration>,
    pub(crate) max_token_age: Option<ConfigDuration>,
    pub(crate) max_lifetime: Option<ConfigDuration>,
    pub(crate) max_token_len: Option<Spanned<usize>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAuth {
    pub(crate) realm: Option<Spanned<String>>,
    pub(crate) forward_authorization: Option<bool>,
    #[serde(default)]
    pub(crate) trust_forwarded_headers: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawForwardAuth {
    pub(crate) path: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    pub(crate) path: Spanned<String>,
    pub(crate) methods: Option<Vec<Spanned<String>>>,
    pub(crate) require: Spanned<RawRequirement>,
    pub(crate) upstream: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShutdown {
    pub(crate) drain_timeout: Option<ConfigDuration>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLog {
    pub(crate) format: Option<LogFormat>,
    pub(crate) level: Option<String>,
}

/// What a route requires (the TOML value of `require` and `unmatched`).
///
/// ```toml
/// require = "anonymous"                                   # no token needed (a token sent must be valid)
/// require = "authenticated"                               # any valid token
/// require = "deny"                                        # never
/// require = { scopes = { any = ["orders/read", "orders/admin"] } }
/// require = { scopes = { all = ["orders/write", "orders/admin"] } }
/// require = { scopes = { one_of = [["a"], ["b", "c"]] } }
/// require = { claims = { path = "cognito:groups", any = ["admins"] } }
/// require = { any_of = [ { scopes = { any = ["a"] } }, { claims = { path = "x", equals = "y" } } ] }
/// require = { all_of = [ ... ] }
/// ```
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum RawRequirement {
    Anonymous,
    Authenticated,
    Deny,
    Scopes(RawScopes),
    Claims(RawClaims),
    AnyOf(Vec<Spanned<RawRequirement>>),
    AllOf(Vec<Spanned<RawRequirement>>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum RawScopes {
    Any(Vec<String>),
    All(Vec<String>),
    OneOf(Vec<Vec<String>>),
}

/// A claims condition: `path` names the claim (`sub`, `cognito:groups`,
/// `realm_access.roles`), and exactly one of `any` (the claim holds at least one of these
/// values), `all` (every one of them) or `equals` (exactly this string).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClaims {
    pub(crate) path: String,
    pub(crate) any: Option<Vec<String>>,
    pub(crate) all: Option<Vec<String>>,
    pub(crate) equals: Option<String>,
}

/// One `[claim_headers]` entry: `"x-auth-sub" = "sub"`, `"x-auth-groups" = { claim =
/// "cognito:groups", separator = "," }`, or `"x-auth-claims" = "*"` (every claim, base64url
/// JSON).
#[derive(Debug)]
pub(crate) struct RawClaimHeader {
    pub(crate) claim: String,
    pub(crate) separator: Option<String>,
}

impl<'de> Deserialize<'de> for RawClaimHeader {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ClaimHeaderVisitor;

        impl<'de> Visitor<'de> for ClaimHeaderVisitor {
            type Value = RawClaimHeader;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a claim name (\"sub\"), \"*\" for every claim, or a table \
                     { claim = \"...\", separator = \"...\" }",
                )
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(RawClaimHeader {
                    claim: value.to_owned(),
                    separator: None,
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut claim = None;
                let mut separator = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "claim" if claim.is_none() => claim = Some(map.next_value::<String>()?),
                        "separator" if separator.is_none() => {
                            separator = Some(map.next_value::<String>()?);
                        }
                        "claim" | "separator" => {
                            return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
                        }
                        other => {
                            return Err(de::Error::unknown_field(other, &["claim", "separator"]));
                        }
                    }
                }
                let claim = claim.ok_or_else(|| de::Error::missing_field("claim"))?;
                Ok(RawClaimHeader { claim, separator })
            }
        }

        deserializer.deserialize_any(ClaimHeaderVisitor)
    }
}
