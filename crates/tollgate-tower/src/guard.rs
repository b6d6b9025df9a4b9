//! The decision every guard shares ([`Require`](crate::Require),
//! [`RequireScopes`](crate::RequireScopes), [`GrpcRequire`](crate::GrpcRequire),
//! [`GrpcScopes`](crate::GrpcScopes)): a verified token satisfying a [`Requirement`], and the
//! rejection when it does not.

use std::sync::Arc;

use http::Extensions;

use crate::challenge::ChallengeConfig;
use crate::context::AuthContext;
use crate::rejection::{Rejection, RejectionKind};
use crate::requirement::{Misconfigured, Subject};
use crate::{Requirement, ScopeRequirement};

/// `Ok` when the request's verified token satisfies `requirement` (with `None`, when a token
/// was verified at all); otherwise the rejection: 401 for anonymous requests, 403 for unmet
/// requirements, 500 when the layers do not fit together.
pub(crate) fn check(
    extensions: &Extensions,
    requirement: Option<&Requirement>,
) -> Result<(), Rejection> {
    let (scopes, context) = AuthContext::require(extensions)?;
    let Some(requirement) = requirement else {
        return Ok(());
    };
    let subject = Subject::from_extensions(scopes, extensions, context.claims);
    match requirement.evaluate(&subject) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Rejection::new(
            refusal(requirement, &subject),
            Arc::clone(&context.challenge),
        )),
        Err(Misconfigured) => Err(Rejection::new(
            RejectionKind::MissingAuthLayer,
            Arc::new(ChallengeConfig::default()),
        )),
    }
}

/// Why `subject` was refused: the scope alternatives that would satisfy the requirement
/// (each one a challenge with `scope`), or, when no scope alone helps because a claim or
/// predicate is what is missing, a refusal that names no scope.
fn refusal(requirement: &Requirement, subject: &Subject<'_>) -> RejectionKind {
    // A plain scope requirement answers with its alternatives as written (the scope guards'
    // answer, unchanged).
    if let Some(scopes) = requirement.as_scopes() {
        return RejectionKind::InsufficientScope(scopes.clone());
    }
    let fixes = requirement
        .scope_fixes(subject)
        .filter(|fixes| fixes.alternatives().next().is_some());
    match fixes {
        Some(fixes) => RejectionKind::InsufficientScope(fixes),
        None if requirement.is_scopes_only() => {
            RejectionKind::InsufficientScope(ScopeRequirement::any(std::iter::empty::<&str>()))
        }
        None => RejectionKind::RequirementNotMet,
    }
}
