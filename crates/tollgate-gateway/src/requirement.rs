//! What a route requires: the configuration's `require` (and `unmatched`) turned into the
//! library's [`Requirement`], and the guard that applies it.
//!
//! This is the one module that knows both the TOML schema ([`RawRequirement`]) and the
//! library's requirement types: `scopes` become scope requirements (sets sorted, so challenges
//! read the same whatever the order written), `claims` become claim conditions
//! ([`Requirement::claim_at`] with `any`, `all` or `equals`), `any_of` / `all_of` map to the
//! library's OR / AND, `authenticated`, `anonymous` and `deny` stand for themselves.
//! [`RouteRequirement::guard`] puts the library's [`RequireLayer`] in front of the route's
//! service, so answers are the library's.

use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body_util::Either;
use pin_project_lite::pin_project;
use tollgate_tower::{AuthBody, GuardFuture, Require, RequireLayer, Requirement, ScopeRequirement};
use tollgate_verify::ClaimPath;
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
    /// A verified token satisfying this requirement (scopes, claims, or both).
    Require(Requirement),
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
            _ => requirement(source, raw, key).map(|(requirement, _)| Self::Require(requirement)),
        }
    }

    /// Applies this requirement in front of `inner` (which must always be ready).
    pub(crate) fn guard<S>(&self, inner: S) -> Guarded<S> {
        match self {
            Self::Anonymous => Guarded::Open { inner },
            Self::Deny => Guarded::Checked {
                inner: RequireLayer::new(never()).layer(inner),
            },
            Self::Require(requirement) => Guarded::Checked {
                inner: RequireLayer::new(requirement.clone()).layer(inner),
            },
        }
    }
}

/// A requirement no token satisfies (a scope requirement without any alternative, answered
/// like every unmet scope requirement).
fn never() -> ScopeRequirement {
    ScopeRequirement::any(std::iter::empty::<&str>())
}

/// The requirement, and how many scope alternatives its challenges can name (`all_of`
/// multiplies them; at most [`MAX_ALTERNATIVES`]).
fn requirement(
    source: &Source<'_>,
    raw: &Spanned<RawRequirement>,
    key: &str,
) -> Result<(Requirement, usize), ConfigError> {
    let at = || source.at(raw.span(), key);
    let non_empty = |list: &[String]| {
        if list.is_empty() || list.iter().any(String::is_empty) {
            Err(ConfigError::EmptyList { at: at() })
        } else {
            Ok(())
        }
    };
    let too_large = || ConfigError::RequirementTooLarge {
        at: at(),
        max: MAX_ALTERNATIVES,
    };
    let (requirement, alternatives) = match raw.get_ref() {
        RawRequirement::Anonymous | RawRequirement::Deny => {
            return Err(ConfigError::NestedOpenOrDeny { at: at() });
        }
        RawRequirement::Authenticated => (Requirement::authenticated(), 1),
        RawRequirement::Scopes(RawScopes::Any(scopes)) => {
            non_empty(scopes)?;
            scopes_requirement(scopes.iter().map(|s| vec![s.clone()]).collect())
        }
        RawRequirement::Scopes(RawScopes::All(scopes)) => {
            non_empty(scopes)?;
            scopes_requirement(vec![scopes.clone()])
        }
        RawRequirement::Scopes(RawScopes::OneOf(sets)) => {
            if sets.is_empty() {
                return Err(ConfigError::EmptyList { at: at() });
            }
            for set in sets {
                non_empty(set)?;
            }
            scopes_requirement(sets.clone())
        }
        RawRequirement::Claims(claims) => (claims_requirement(source, raw, key, claims)?, 1),
        RawRequirement::AnyOf(items) => {
            if items.is_empty() {
                return Err(ConfigError::EmptyList { at: at() });
            }
            let mut children = Vec::with_capacity(items.len());
            let mut sum = 0_usize;
            for (i, item) in items.iter().enumerate() {
                let (child, count) = requirement(source, item, &format!("{key}.any_of[{i}]"))?;
                sum = sum.saturating_add(count);
                children.push(child);
            }
            (Requirement::any_of(children), sum)
        }
        RawRequirement::AllOf(items) => {
            if items.is_empty() {
                return Err(ConfigError::EmptyList { at: at() });
            }
            let mut children = Vec::with_capacity(items.len());
            let mut product = 1_usize;
            for (i, item) in items.iter().enumerate() {
                let (child, count) = requirement(source, item, &format!("{key}.all_of[{i}]"))?;
                product = product.saturating_mul(count);
                if product > MAX_ALTERNATIVES {
                    return Err(too_large());
                }
                children.push(child);
            }
            (Requirement::all_of(children), product)
        }
    };
    if alternatives > MAX_ALTERNATIVES {
        return Err(too_large());
    }
    Ok((requirement, alternatives))
}

/// Scope sets, each sorted and deduplicated, the alternatives sorted and deduplicated too:
/// the challenges name them in one order whatever the file's.
fn scopes_requirement(mut sets: Vec<Vec<String>>) -> (Requirement, usize) {
    for set in &mut sets {
        set.sort();
        set.dedup();
    }
    sets.sort();
    sets.dedup();
    let count = sets.len();
    (Requirement::scopes(ScopeRequirement::one_of(sets)), count)
}

/// A claims condition: `path` (the library's claim path syntax) and exactly one of `any`,
/// `all` (the claim, a string or an array of strings, holds one / every value) or `equals`
/// (the claim is this string).
fn claims_requirement(
    source: &Source<'_>,
    raw: &Spanned<RawRequirement>,
    key: &str,
    claims: &RawClaims,
) -> Result<Requirement, ConfigError> {
    let at = || source.at(raw.span(), key);
    check_claims(claims).map_err(|()| ConfigError::InvalidClaimsCondition { at: at() })?;
    let path = ClaimPath::parse(&claims.path)
        .map_err(|problem| ConfigError::InvalidClaimPath { at: at(), problem })?;
    let condition = Requirement::claim_at(path);
    Ok(match (&claims.any, &claims.all, &claims.equals) {
        (Some(any), _, _) => condition.any(any),
        (_, Some(all), _) => condition.all(all),
        (_, _, Some(equals)) => condition.equals(equals),
        // `check_claims` guarantees one test; should none be there, nothing satisfies it.
        (None, None, None) => condition.any(std::iter::empty::<&str>()),
    })
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
        inner: Require<S>,
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
