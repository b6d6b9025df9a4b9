//! What a route requires: the configuration's `require` (and `unmatched`) turned into the
//! library's requirement types, and the guard that applies them.
//!
//! This is the one module that knows both the TOML schema ([`RawRequirement`]) and the
//! library's requirement types. Today those are [`ScopeRequirement`] and
//! [`RequireScopesLayer`]: `scopes`, `any_of`/`all_of` of scopes (expanded into the
//! library's OR of AND-sets), `authenticated`, `anonymous` and `deny`. A `claims` condition is
//! read and checked, then refused with [`ConfigError::ClaimsNotSupported`]; when
//! `tollgate-tower` has a requirement type over scopes and claims, [`RouteRequirement`] holds
//! it and [`RouteRequirement::guard`] applies its layer, and nothing else changes.

use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body_util::Either;
use pin_project_lite::pin_project;
use tollgate_tower::{AuthBody, GuardFuture, RequireScopes, RequireScopesLayer, ScopeRequirement};
use toml::Spanned;
use tower::{Layer, Service};

use crate::config::raw::{RawClaims, RawRequirement, RawScopes};
use crate::config::{ConfigError, MAX_ALTERNATIVES, Source};

/// What a route requires, in the library's types.
#[derive(Debug, Clone)]
pub(crate) enum RouteRequirement {
    /// No token needed. A token that is sent is still verified (an invalid one is refused,
    /// as the library's `allow_anonymous` does) and its claims are forwarded.
    Anonymous,
    /// Never: 401 without a token, 403 `insufficient_scope` with one.
    Deny,
    /// A verified token satisfying this requirement ([`ScopeRequirement::authenticated`]
    /// for any verified token).
    Scopes(ScopeRequirement),
}

impl RouteRequirement {
    /// Reads a `require` (or `unmatched`) value at `key`.
    pub(crate) fn from_config(
        source: &Source<'_>,
        raw: &Spanned<RawRequirement>,
        key: &str,
    ) -> Result<Self, ConfigError> {
        match raw.get_ref() {
            RawRequirement::Anonymous => Ok(Self::Anonymous),
            RawRequirement::Deny => Ok(Self::Deny),
            _ => {
                let alternatives = alternatives(source, raw, key)?;
                if alternatives.iter().any(Vec::is_empty) {
                    // An empty set is satisfied by every token: the whole OR is.
                    Ok(Self::Scopes(ScopeRequirement::authenticated()))
                } else {
                    Ok(Self::Scopes(ScopeRequirement::one_of(alternatives)))
                }
            }
        }
    }

    /// Applies this requirement in front of `inner` (which must always be ready).
    pub(crate) fn guard<S>(&self, inner: S) -> Guarded<S> {
        match self {
            Self::Anonymous => Guarded::Open { inner },
            Self::Deny => Guarded::Checked {
                inner: RequireScopesLayer::new(never()).layer(inner),
            },
            Self::Scopes(requirement) => Guarded::Checked {
                inner: RequireScopesLayer::new(requirement.clone()).layer(inner),
            },
        }
    }
}

/// A requirement no token satisfies (no alternative at all).
fn never() -> ScopeRequirement {
    ScopeRequirement::any(std::iter::empty::<&str>())
}

/// The requirement as an OR of AND-sets of scopes (`[]`: never; a `[]` set: any token).
fn alternatives(
    source: &Source<'_>,
    raw: &Spanned<RawRequirement>,
    key: &str,
) -> Result<Vec<Vec<String>>, ConfigError> {
    let at = || source.at(raw.span(), key);
    let non_empty = |list: &[String]| {
        if list.is_empty() || list.iter().any(String::is_empty) {
            Err(ConfigError::EmptyList { at: at() })
        } else {
            Ok(())
        }
    };
    let mut result = match raw.get_ref() {
        RawRequirement::Anonymous | RawRequirement::Deny => {
            return Err(ConfigError::NestedOpenOrDeny { at: at() });
        }
        RawRequirement::Authenticated => vec![Vec::new()],
        RawRequirement::Scopes(RawScopes::Any(scopes)) => {
            non_empty(scopes)?;
            scopes.iter().map(|s| vec![s.clone()]).collect()
        }
        RawRequirement::Scopes(RawScopes::All(scopes)) => {
            non_empty(scopes)?;
            vec![scopes.clone()]
        }
        RawRequirement::Scopes(RawScopes::OneOf(sets)) => {
            if sets.is_empty() {
                return Err(ConfigError::EmptyList { at: at() });
            }
            for set in sets {
                non_empty(set)?;
            }
            sets.clone()
        }
        RawRequirement::Claims(claims) => {
            check_claims(claims).map_err(|()| ConfigError::InvalidClaimsCondition { at: at() })?;
            // Plug-in point for claims requirements (issue 11): build the library's claims
            // condition from `claims.path` and `any` / `all` / `equals` here.
            return Err(ConfigError::ClaimsNotSupported { at: at() });
        }
        RawRequirement::AnyOf(items) => {
            if items.is_empty() {
                return Err(ConfigError::EmptyList { at: at() });
            }
            let mut all = Vec::new();
            for (i, item) in items.iter().enumerate() {
                all.extend(alternatives(source, item, &format!("{key}.any_of[{i}]"))?);
            }
            all
        }
        RawRequirement::AllOf(items) => {
            if items.is_empty() {
                return Err(ConfigError::EmptyList { at: at() });
            }
            let mut product: Vec<Vec<String>> = vec![Vec::new()];
            for (i, item) in items.iter().enumerate() {
                let next = alternatives(source, item, &format!("{key}.all_of[{i}]"))?;
                if product.len().saturating_mul(next.len()) > MAX_ALTERNATIVES {
                    return Err(ConfigError::RequirementTooLarge {
                        at: at(),
                        max: MAX_ALTERNATIVES,
                    });
                }
                product = product
                    .iter()
                    .flat_map(|left| {
                        next.iter().map(move |right| {
                            let mut set = left.clone();
                            set.extend(right.iter().cloned());
                            set
                        })
                    })
                    .collect();
            }
            product
        }
    };
    for set in &mut result {
        set.sort();
        set.dedup();
    }
    result.sort();
    result.dedup();
    if result.len() > MAX_ALTERNATIVES {
        return Err(ConfigError::RequirementTooLarge {
            at: at(),
            max: MAX_ALTERNATIVES,
        });
    }
    Ok(result)
}

/// A claims condition is well formed: a path and exactly one non-empty test.
fn check_claims(claims: &RawClaims) -> Result<(), ()> {
    let tests = [
        claims.any.as_ref().map(|l| !l.is_empty()),
        claims.all.as_ref().map(|l| !l.is_empty()),
        claims.equals.as_ref().map(|_| true),
    ];
    let given: Vec<bool> = tests.into_iter().flatten().collect();
    if claims.path.is_empty() || given != [true] {
        return Err(());
    }
    Ok(())
}

/// A service behind a route's requirement.
#[derive(Debug, Clone)]
pub(crate) enum Guarded<S> {
    /// `anonymous`: straight through.
    Open {
        /// The service.
        inner: S,
    },
    /// Checked by the library's guard.
    Checked {
        /// The guard around the service.
        inner: RequireScopes<S>,
    },
}

/// The body of a guarded route: the service's own, or the guard's.
pub(crate) type GuardedBody<B> = Either<B, AuthBody<B>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Guarded<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<GuardedBody<ResBody>>;
    type Error = S::Error;
    type Future = GuardedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self {
            Self::Open { inner } => inner.poll_ready(cx),
            Self::Checked { inner } => inner.poll_ready(cx),
        }
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match self {
            Self::Open { inner } => GuardedFuture::Open {
                future: inner.call(request),
            },
            Self::Checked { inner } => GuardedFuture::Checked {
                future: inner.call(request),
            },
        }
    }
}

pin_project! {
    /// Response future of [`Guarded`].
    #[project = GuardedProj]
    pub(crate) enum GuardedFuture<F> {
        Open { #[pin] future: F },
        Checked { #[pin] future: GuardFuture<F, tollgate_tower::DefaultResponder> },
    }
}

impl<F, B, E> Future for GuardedFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<GuardedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GuardedProj::Open { future } => future
                .poll(cx)
                .map(|r| r.map(|response| response.map(Either::Left))),
            GuardedProj::Checked { future } => future
                .poll(cx)
                .map(|r| r.map(|response| response.map(Either::Right))),
        }
    }
}
