//! What a route or method requires of a token's scopes: an OR of AND-sets.

use std::fmt;
use std::sync::Arc;

use tollgate_verify::Scopes;

/// A scope requirement: satisfied when the token grants **every** scope of **at least one**
/// alternative. `any` and `all` are the two common shapes.
///
/// ```
/// use tollgate_tower::ScopeRequirement;
/// use tollgate_verify::Scopes;
///
/// let granted = Scopes::parse("orders/read orders/write");
/// assert!(ScopeRequirement::any(["orders/read", "orders/admin"]).is_satisfied_by(&granted));
/// assert!(!ScopeRequirement::all(["orders/write", "orders/admin"]).is_satisfied_by(&granted));
/// assert!(ScopeRequirement::one_of([vec!["orders/admin"], vec!["orders/read", "orders/write"]])
///     .is_satisfied_by(&granted));
/// // Empty lists never open a route; `authenticated()` is the explicit "any token".
/// assert!(!ScopeRequirement::all(Vec::<&str>::new()).is_satisfied_by(&granted));
/// assert!(!ScopeRequirement::any(Vec::<&str>::new()).is_satisfied_by(&granted));
/// assert!(ScopeRequirement::authenticated().is_satisfied_by(&Scopes::empty()));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ScopeRequirement {
    alternatives: Arc<[Box<[Box<str>]>]>,
}

impl ScopeRequirement {
    /// Satisfied by any one of `scopes`. An empty list is never satisfied.
    pub fn any<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::one_of(scopes.into_iter().map(|s| [s]))
    }

    /// Satisfied only by all of `scopes`. An empty list is never satisfied (a scope list read
    /// from configuration that turns out empty must not open the route); use
    /// [`ScopeRequirement::authenticated`] to require only a verified token.
    pub fn all<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::one_of([scopes])
    }

    /// Satisfied when all scopes of at least one of the sets are granted. Empty sets are
    /// ignored (they would admit every token); with no non-empty set the requirement is never
    /// satisfied.
    pub fn one_of<O, I, S>(sets: O) -> Self
    where
        O: IntoIterator<Item = I>,
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let alternatives: Vec<Box<[Box<str>]>> = sets
            .into_iter()
            .map(|set| {
                set.into_iter()
                    .map(|s| s.as_ref().into())
                    .collect::<Box<[Box<str>]>>()
            })
            .filter(|set| !set.is_empty())
            .collect();
        Self {
            alternatives: alternatives.into(),
        }
    }

    /// Requires only a verified token, no particular scope.
    #[must_use]
    pub fn authenticated() -> Self {
        let anything: Box<[Box<str>]> = Box::new([]);
        Self {
            alternatives: Arc::new([anything]),
        }
    }

    /// Whether `granted` satisfies this requirement.
    #[must_use]
    pub fn is_satisfied_by(&self, granted: &Scopes) -> bool {
        self.alternatives
            .iter()
            .any(|set| set.iter().all(|scope| granted.contains(scope)))
    }

    /// The alternatives, each a set of scopes that must all be granted.
    pub fn alternatives(&self) -> impl Iterator<Item = impl Iterator<Item = &str>> {
        self.alternatives.iter().map(|set| set.iter().map(|s| &**s))
    }
}

impl fmt::Debug for ScopeRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for set in self.alternatives.iter() {
            list.entry(&set.iter().map(|s| &**s).collect::<Vec<_>>());
        }
        list.finish()
    }
}
