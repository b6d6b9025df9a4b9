//! `[[issuer]]`, `[keys]` and `[verify]` → the library's [`Issuer`]s and [`VerifierBuilder`].

use std::path::Path;
use std::time::Duration;

use tollgate_verify::jwks::JwksSource;
use tollgate_verify::{Algorithm, Issuer, TokenUse, Verifier, VerifierBuilder};
use toml::Spanned;

use crate::config::raw::{IssuerKind, RawConfig, RawIssuer, RawTokenUse};
use crate::config::{ConfigError, Source};

/// The trusted issuers and the verifier settings of a configuration.
#[derive(Debug, Clone)]
pub(crate) struct IssuerPlan {
    pub(crate) issuers: Vec<Issuer>,
    keys: KeyPolicy,
    leeway: Option<Duration>,
    max_token_age: Option<Duration>,
    max_lifetime: Option<Duration>,
    max_token_len: Option<usize>,
}

#[derive(Debug, Clone, Copy, Default)]
struct KeyPolicy {
    refresh: Option<Duration>,
    min_refresh: Option<Duration>,
    max_refresh: Option<Duration>,
    max_stale: Option<Duration>,
    cooldown: Option<Duration>,
    fetch_timeout: Option<Duration>,
}

/// The one place algorithm names are read: the library's JOSE names (`RS256`, ...), exact
/// and case-sensitive. Names the library learns are accepted here without change.
pub(crate) fn parse_algorithm(name: &str) -> Option<Algorithm> {
    Algorithm::from_jose(name)
}

fn supported_algorithms() -> String {
    Algorithm::ALL
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl IssuerPlan {
    fn builder_for(&self, issuers: &[Issuer]) -> VerifierBuilder {
        // Each issuer carries its own allowlist (`Issuer::algorithms`); issuers without one
        // keep the library's default, RS256 only.
        let mut builder = Verifier::builder();
        for issuer in issuers {
            builder = builder.issuer(issuer.clone());
        }
        if let Some(leeway) = self.leeway {
            builder = builder.leeway(leeway);
        }
        if let Some(age) = self.max_token_age {
            builder = builder.max_token_age(age);
        }
        if let Some(lifetime) = self.max_lifetime {
            builder = builder.max_lifetime(lifetime);
        }
        if let Some(len) = self.max_token_len {
            builder = builder.max_token_len(len);
        }
        let keys = self.keys;
        builder.configure_keys(move |mut cache| {
            if let Some(ttl) = keys.refresh {
                cache = cache.default_ttl(ttl);
            }
            if keys.min_refresh.is_some() || keys.max_refresh.is_some() {
                cache = cache.ttl_bounds(
                    keys.min_refresh
                        .unwrap_or(tollgate_verify::jwks::DEFAULT_MIN_TTL),
                    keys.max_refresh
                        .unwrap_or(tollgate_verify::jwks::DEFAULT_MAX_TTL),
                );
            }
            if let Some(stale) = keys.max_stale {
                cache = cache.max_stale(stale);
            }
            if let Some(cooldown) = keys.cooldown {
                cache = cache.cooldown(cooldown);
            }
            if let Some(timeout) = keys.fetch_timeout {
                cache = cache.fetch_timeout(timeout);
            }
            cache
        })
    }

    /// A builder with every issuer and setting.
    pub(crate) fn builder(&self) -> VerifierBuilder {
        self.builder_for(&self.issuers)
    }
}

/// Reads the issuers and settings; each issuer is checked on its own by the library (no
/// I/O; a `jwks_file` is read) so a refusal points at its table.
pub(crate) fn plan(
    source: &Source<'_>,
    raw: &RawConfig,
    base_dir: &Path,
) -> Result<IssuerPlan, ConfigError> {
    if raw.issuer.is_empty() {
        return Err(ConfigError::NoIssuer);
    }
    let duration =
        |d: &Option<crate::config::duration::ConfigDuration>| d.as_ref().map(|d| d.get());
    let mut plan = IssuerPlan {
        issuers: Vec::with_capacity(raw.issuer.len()),
        keys: KeyPolicy {
            refresh: duration(&raw.keys.refresh),
            min_refresh: duration(&raw.keys.min_refresh),
            max_refresh: duration(&raw.keys.max_refresh),
            max_stale: duration(&raw.keys.max_stale),
            cooldown: duration(&raw.keys.cooldown),
            fetch_timeout: duration(&raw.keys.fetch_timeout),
        },
        leeway: duration(&raw.verify.leeway),
        max_token_age: duration(&raw.verify.max_token_age),
        max_lifetime: duration(&raw.verify.max_lifetime),
        max_token_len: raw.verify.max_token_len.as_ref().map(|n| *n.get_ref()),
    };
    for (index, spanned) in raw.issuer.iter().enumerate() {
        let key = format!("issuer[{index}]");
        let at = source.at(spanned.span(), key.clone());
        let mut issuer = issuer(source, spanned.get_ref(), &key, base_dir)?;
        if let Some(list) = algorithms(source, spanned.get_ref(), &key)? {
            issuer = issuer.algorithms(list);
        }
        if plan.issuers.iter().any(|known| known.iss() == issuer.iss()) {
            return Err(ConfigError::IssuerSettings {
                at,
                problem: "this issuer is configured twice",
            });
        }
        plan.builder_for(std::slice::from_ref(&issuer))
            .build_lazy()
            .map_err(|source| ConfigError::Issuer { at, source })?;
        plan.issuers.push(issuer);
    }
    Ok(plan)
}

/// An issuer's `algorithms` (its own allowlist, checked before any key lookup); `None` when
/// the key is absent (the library's default, RS256 only).
fn algorithms(
    source: &Source<'_>,
    issuer: &RawIssuer,
    key: &str,
) -> Result<Option<Vec<Algorithm>>, ConfigError> {
    let Some(names) = &issuer.algorithms else {
        return Ok(None);
    };
    let key = format!("{key}.algorithms");
    if names.get_ref().is_empty() {
        return Err(ConfigError::EmptyList {
            at: source.at(names.span(), key),
        });
    }
    let mut list = Vec::with_capacity(names.get_ref().len());
    for name in names.get_ref() {
        let algorithm =
            parse_algorithm(name.get_ref()).ok_or_else(|| ConfigError::UnknownAlgorithm {
                at: source.at(name.span(), key.clone()),
                name: name.get_ref().clone(),
                supported: supported_algorithms(),
            })?;
        if !list.contains(&algorithm) {
            list.push(algorithm);
        }
    }
    Ok(Some(list))
}

fn strings(list: &Option<Spanned<Vec<crate::config::env::EnvString>>>) -> Option<Vec<String>> {
    list.as_ref()
        .map(|l| l.get_ref().iter().map(|s| s.0.clone()).collect())
}

fn issuer(
    source: &Source<'_>,
    raw: &RawIssuer,
    key: &str,
    base_dir: &Path,
) -> Result<Issuer, ConfigError> {
    let problem = |span: std::ops::Range<usize>, field: &str, problem: &'static str| {
        ConfigError::IssuerSettings {
            at: source.at(span, format!("{key}.{field}")),
            problem,
        }
    };
    let kind_span = raw.kind.span();
    let mut issuer = match raw.kind.get_ref() {
        IssuerKind::Cognito => match (&raw.region, &raw.user_pool_id, &raw.issuer) {
            (Some(region), Some(pool), None) => {
                Issuer::cognito(region.get_ref().as_str(), pool.get_ref().as_str())
            }
            (None, None, Some(iss)) => Issuer::cognito_issuer(iss.get_ref().as_str()),
            (_, _, Some(iss)) => {
                return Err(problem(
                    iss.span(),
                    "issuer",
                    "a Cognito issuer has `region` and `user_pool_id`, or `issuer`, not both",
                ));
            }
            _ => {
                return Err(problem(
                    kind_span,
                    "kind",
                    "a Cognito issuer needs `region` and `user_pool_id` (or `issuer`)",
                ));
            }
        },
        IssuerKind::Oidc => {
            if let Some(region) = raw.region.as_ref().or(raw.user_pool_id.as_ref()) {
                return Err(problem(
                    region.span(),
                    "region",
                    "`region` and `user_pool_id` are for Cognito issuers",
                ));
            }
            match &raw.issuer {
                Some(iss) => Issuer::oidc(iss.get_ref().as_str()),
                None => {
                    return Err(problem(
                        kind_span,
                        "kind",
                        "an OIDC issuer needs `issuer` (its exact `iss`)",
                    ));
                }
            }
        }
    };
    if let Some(ids) = strings(&raw.client_ids) {
        issuer = issuer.client_ids(ids);
    }
    if raw.any_client {
        issuer = issuer.any_client();
    }
    if let Some(audience) = strings(&raw.audience) {
        issuer = issuer.audience(audience);
    }
    if raw.any_audience {
        issuer = issuer.any_audience();
    }
    if let Some(claims) = &raw.scope_claims {
        if claims.get_ref().is_empty() {
            return Err(ConfigError::EmptyList {
                at: source.at(claims.span(), format!("{key}.scope_claims")),
            });
        }
        issuer = issuer.scope_claims(claims.get_ref().iter().map(|c| c.0.as_str()));
    }
    if let Some(token_use) = &raw.token_use {
        issuer = issuer.token_use(match token_use.get_ref() {
            RawTokenUse::Access => TokenUse::Access,
            RawTokenUse::Id => TokenUse::Id,
            RawTokenUse::Unchecked => TokenUse::Unchecked,
        });
    }
    match (&raw.jwks_url, &raw.jwks_file) {
        (Some(_), Some(file)) => {
            return Err(problem(
                file.span(),
                "jwks_file",
                "`jwks_url` and `jwks_file` are two key sources: keep one",
            ));
        }
        (Some(url), None) => issuer = issuer.jwks_url(url.get_ref().as_str()),
        (None, Some(file)) => {
            let path = base_dir.join(file.get_ref().as_str());
            let keys = JwksSource::static_file(&path).map_err(|error| ConfigError::Issuer {
                at: source.at(file.span(), format!("{key}.jwks_file")),
                source: error.into(),
            })?;
            issuer = issuer.jwks_source(keys);
        }
        (None, None) => {}
    }
    Ok(issuer)
}
