//! [`Requirement`]: what a route or gRPC method requires of a verified token: scopes, claim
//! values (groups, roles, any claim by path), predicates, and AND / OR combinations of them.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use http::Extensions;
use tollgate_verify::{
    ClaimPath, Claims, CustomClaims, InvalidClaimPath, NoCustomClaims, Scopes, VerifiedToken,
};

use crate::ScopeRequirement;

/// What a route ([`RequireLayer`](crate::RequireLayer)) or a gRPC method
/// ([`GrpcRequireLayer`](crate::GrpcRequireLayer)) requires of the verified token: scopes,
/// values of a claim (groups, roles, any claim by [`ClaimPath`]), a predicate, or any AND / OR
/// combination of them.
///
/// ```
/// use tollgate_tower::Requirement;
/// use tollgate_verify::VerifiedToken;
///
/// // Scope `orders/admin`, or group `analysts` (Cognito user tokens).
/// let reports = Requirement::scopes_any(["orders/admin"])
///     .or(Requirement::claim("cognito:groups").any(["analysts"]));
/// // Keycloak: a realm role and a client role, both.
/// let approve = Requirement::claim("realm_access.roles")
///     .any(["orders-approver"])
///     .and(Requirement::claim("resource_access.orders-api.roles").all(["approve", "read"]));
/// // Anything else: a synchronous predicate over the verified token.
/// let weekday_staff = Requirement::predicate(|token: &VerifiedToken| {
///     token.claim("custom:staff").and_then(|c| c.as_bool()) == Some(true)
/// });
/// let either = Requirement::any_of([reports, approve, weekday_staff]);
/// ```
///
/// # Claims
///
/// A claim condition ([`Requirement::claim`]) reads the claim at a path (see [`ClaimPath`]:
/// `cognito:groups`, `groups`, `roles`, `realm_access.roles`,
/// `resource_access.orders-api.roles`, `"https://example.com/roles"`). Its value must be a
/// string (one value) or an array of strings; any other value (a number, a boolean, an object,
/// `null`, an array holding anything but strings) and an absent claim satisfy nothing. Values
/// are compared exactly and case-sensitively, like scopes.
///
/// # Rules kept from scopes
///
/// - Empty sets never open a route: `any([])`, `all([])`, `one_of` of only empty sets,
///   [`Requirement::all_of`] and [`Requirement::any_of`] of nothing are never satisfied.
///   [`Requirement::authenticated`] is the explicit "any verified token".
/// - A claim path that does not parse is never satisfied (the route stays closed), and the
///   mistake is logged when the requirement is built; [`Requirement::claim_at`] takes a path
///   already checked with [`ClaimPath::parse`].
///
/// # Answers
///
/// An unmet requirement answers 403 with `error="insufficient_scope"` (gRPC:
/// `PERMISSION_DENIED`). The challenge carries `scope="…"` only for the alternatives that more
/// scopes alone would satisfy (given the token's claims), one challenge per alternative, as for
/// [`ScopeRequirement`]; when no alternative can be met with scopes (a claim or predicate is
/// what is missing), one challenge without `scope`. Claim values and group names are never
/// sent back (names an issuer's `scope_claims` turned into scopes are scopes: a scope
/// requirement naming them asks for them).
#[derive(Clone)]
pub struct Requirement {
    node: Arc<Node>,
}

#[derive(Clone)]
enum Node {
    Scopes(ScopeRequirement),
    Claim(ClaimCondition),
    Predicate(Predicate),
    All(Box<[Node]>),
    Any(Box<[Node]>),
}

/// A claim and what its value must be; finished into a [`Requirement`] by
/// [`ClaimCondition::any`], [`all`](ClaimCondition::all), [`one_of`](ClaimCondition::one_of)
/// or [`equals`](ClaimCondition::equals). Made by [`Requirement::claim`].
#[derive(Clone)]
#[must_use = "a claim condition needs a test: .any([..]), .all([..]), .one_of([..]) or .equals(..)"]
pub struct ClaimCondition {
    path: Result<ClaimPath, (Box<str>, InvalidClaimPath)>,
    test: Test,
}

#[derive(Clone)]
enum Test {
    /// Not yet chosen (a [`ClaimCondition`] before its test): never satisfied.
    Unset,
    /// Sorted and distinct: one of them is held.
    Any(Box<[Box<str>]>),
    /// Every value of at least one set is held (`all` is one set); empty sets dropped.
    OneOf(Box<[Box<[Box<str>]>]>),
    /// The claim is this string.
    Equals(Box<str>),
}

type PredicateFn = dyn Fn(&Subject<'_>) -> Result<bool, Misconfigured> + Send + Sync;

#[derive(Clone)]
struct Predicate {
    check: Arc<PredicateFn>,
    claims_type: &'static str,
}

/// A requirement that cannot be evaluated because the layers do not fit together (a predicate
/// for another custom-claims type than the verifier's, a token missing from the extensions):
/// answered 500 and logged, never let through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Misconfigured;

/// Where the verified token of a request is: in its extensions, or given directly.
#[derive(Clone, Copy)]
enum Tokens<'a> {
    Extensions {
        extensions: &'a Extensions,
        claims: for<'e> fn(&'e Extensions) -> Option<&'e Claims>,
    },
    One {
        token: &'a (dyn Any + Send + Sync),
        claims: &'a Claims,
    },
}

/// What a requirement is checked against: the granted scopes, and the token (for claims and
/// predicates, looked up only when a claim or predicate is evaluated).
#[derive(Clone, Copy)]
pub(crate) struct Subject<'a> {
    scopes: &'a Scopes,
    tokens: Tokens<'a>,
}

impl<'a> Subject<'a> {
    /// A request's token, as the auth layer left it: `claims` reads the `Claims` of the
    /// layer's `VerifiedToken<C>` out of `extensions`.
    pub(crate) fn from_extensions(
        scopes: &'a Scopes,
        extensions: &'a Extensions,
        claims: for<'e> fn(&'e Extensions) -> Option<&'e Claims>,
    ) -> Self {
        Self {
            scopes,
            tokens: Tokens::Extensions { extensions, claims },
        }
    }

    fn claims(&self) -> Result<&'a Claims, Misconfigured> {
        match self.tokens {
            Tokens::Extensions { extensions, claims } => claims(extensions).ok_or(Misconfigured),
            Tokens::One { claims, .. } => Ok(claims),
        }
    }

    fn token<C: CustomClaims>(&self) -> Option<&'a VerifiedToken<C>> {
        match self.tokens {
            Tokens::Extensions { extensions, .. } => extensions.get::<VerifiedToken<C>>(),
            Tokens::One { token, .. } => (token as &dyn Any).downcast_ref::<VerifiedToken<C>>(),
        }
    }
}

/// At most this many scope alternatives are computed for a challenge (an `all_of` multiplies
/// them); beyond it the answer carries no `scope`.
const MAX_CHALLENGE_ALTERNATIVES: usize = 64;

impl Requirement {
    fn new(node: Node) -> Self {
        Self {
            node: Arc::new(node),
        }
    }

    /// Any verified token.
    #[must_use]
    pub fn authenticated() -> Self {
        Self::scopes(ScopeRequirement::authenticated())
    }

    /// The token's scopes satisfy `requirement` (see [`ScopeRequirement`]).
    #[must_use]
    pub fn scopes(requirement: ScopeRequirement) -> Self {
        Self::new(Node::Scopes(requirement))
    }

    /// Any one of `scopes` is granted ([`ScopeRequirement::any`]; an empty list is never
    /// satisfied).
    #[must_use]
    pub fn scopes_any<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::scopes(ScopeRequirement::any(scopes))
    }

    /// Every one of `scopes` is granted ([`ScopeRequirement::all`]; an empty list is never
    /// satisfied).
    #[must_use]
    pub fn scopes_all<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::scopes(ScopeRequirement::all(scopes))
    }

    /// All scopes of at least one of `sets` are granted ([`ScopeRequirement::one_of`]).
    #[must_use]
    pub fn scopes_one_of<O, I, S>(sets: O) -> Self
    where
        O: IntoIterator<Item = I>,
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::scopes(ScopeRequirement::one_of(sets))
    }

    /// A condition on the claim at `path` ([`ClaimPath`] syntax), finished with
    /// [`ClaimCondition::any`], [`all`](ClaimCondition::all),
    /// [`one_of`](ClaimCondition::one_of) or [`equals`](ClaimCondition::equals). A path that
    /// does not parse is never satisfied; the mistake is logged (target `tollgate::config`).
    ///
    /// ```
    /// use tollgate_tower::Requirement;
    ///
    /// let admins = Requirement::claim("cognito:groups").any(["admins"]);
    /// let approvers = Requirement::claim("resource_access.orders-api.roles").all(["approve"]);
    /// let auth0 = Requirement::claim(r#""https://example.com/roles""#).any(["editor"]);
    /// let tenant = Requirement::claim("custom:tenant").equals("acme");
    /// ```
    pub fn claim(path: &str) -> ClaimCondition {
        let path = ClaimPath::parse(path).map_err(|error| {
            tracing::error!(
                target: "tollgate::config",
                %error,
                "a claim requirement's path is not a valid claim path: it is never satisfied"
            );
            (Box::from(path), error)
        });
        ClaimCondition {
            path,
            test: Test::Unset,
        }
    }

    /// A condition on the claim at an already checked path.
    pub fn claim_at(path: ClaimPath) -> ClaimCondition {
        ClaimCondition {
            path: Ok(path),
            test: Test::Unset,
        }
    }

    /// `check` returns true for the verified token (and its custom claims `C`): for rules no
    /// declarative form covers. It runs synchronously on every request that reaches it, after
    /// the token was verified; keep it cheap and free of I/O.
    ///
    /// `C` is the verifier's custom-claims type, named by the closure's parameter
    /// (`|token: &VerifiedToken| ..` for the default claims,
    /// `|token: &VerifiedToken<MyClaims>| ..` for yours). A predicate whose `C` is not the auth
    /// layer's answers 500 and logs a configuration error: it never lets a request through.
    ///
    /// ```
    /// use tollgate_tower::Requirement;
    /// use tollgate_verify::VerifiedToken;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Staff {
    ///     #[serde(rename = "custom:clearance")]
    ///     clearance: u8,
    /// }
    ///
    /// let cleared = Requirement::predicate(|token: &VerifiedToken<Staff>| token.custom().clearance >= 3);
    /// let own_client = Requirement::predicate(|token: &VerifiedToken| token.client_id() == token.subject());
    /// ```
    pub fn predicate<C, F>(check: F) -> Self
    where
        C: CustomClaims,
        F: Fn(&VerifiedToken<C>) -> bool + Send + Sync + 'static,
    {
        let check = move |subject: &Subject<'_>| match subject.token::<C>() {
            Some(token) => Ok(check(token)),
            None => {
                tracing::error!(
                    target: "tollgate::config",
                    claims_type = std::any::type_name::<C>(),
                    "a predicate requirement is for another custom-claims type than the auth \
                     layer's verifier (or ran without the auth layer); the request is refused"
                );
                Err(Misconfigured)
            }
        };
        Self::new(Node::Predicate(Predicate {
            check: Arc::new(check),
            claims_type: std::any::type_name::<C>(),
        }))
    }

    /// Every one of `requirements` (AND). Of nothing: never satisfied.
    pub fn all_of<I>(requirements: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Requirement>,
    {
        Self::combine(requirements, true)
    }

    /// At least one of `requirements` (OR). Of nothing: never satisfied.
    pub fn any_of<I>(requirements: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Requirement>,
    {
        Self::combine(requirements, false)
    }

    /// This requirement and `other`.
    #[must_use]
    pub fn and(self, other: impl Into<Requirement>) -> Self {
        Self::all_of([self, other.into()])
    }

    /// This requirement or `other`.
    #[must_use]
    pub fn or(self, other: impl Into<Requirement>) -> Self {
        Self::any_of([self, other.into()])
    }

    fn combine<I>(requirements: I, all: bool) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Requirement>,
    {
        let mut nodes = Vec::new();
        for requirement in requirements {
            let requirement: Requirement = requirement.into();
            // Flatten `a.and(b).and(c)` into one AND (and likewise for OR). An empty AND or
            // OR is never satisfied and stays a node of its own: flattened, it would vanish
            // and leave its siblings to decide (`all_of([]).and(x)` would need only `x`).
            match (&*requirement.node, all) {
                (Node::All(children), true) | (Node::Any(children), false)
                    if !children.is_empty() =>
                {
                    nodes.extend(children.iter().cloned());
                }
                (node, _) => nodes.push(node.clone()),
            }
        }
        let nodes = nodes.into_boxed_slice();
        Self::new(if all {
            Node::All(nodes)
        } else {
            Node::Any(nodes)
        })
    }

    /// Whether `token` satisfies this requirement (predicates for another claims type than
    /// `C` are not satisfied).
    #[must_use]
    pub fn is_satisfied_by<C: CustomClaims>(&self, token: &VerifiedToken<C>) -> bool {
        let subject = Subject {
            scopes: token.scopes(),
            tokens: Tokens::One {
                token,
                claims: token.claims(),
            },
        };
        self.evaluate(&subject).unwrap_or(false)
    }

    /// The decision for `subject`.
    pub(crate) fn evaluate(&self, subject: &Subject<'_>) -> Result<bool, Misconfigured> {
        self.node.evaluate(subject)
    }

    /// The scope alternatives worth naming in a challenge when `subject` was refused: the
    /// minimal sets of scopes that, granted, would satisfy the requirement given the token's
    /// claims, in the order written; `None` when there are more than 64.
    pub(crate) fn scope_fixes(&self, subject: &Subject<'_>) -> Option<ScopeRequirement> {
        let mut fixes = self.node.fixes(subject)?;
        // An empty set would mean "nothing missing": not a refusal's alternative.
        fixes.retain(|set| !set.is_empty());
        // Keep the minimal sets: a set that holds all of another set asks for more than needed.
        let minimal: Vec<&Vec<&str>> = fixes
            .iter()
            .enumerate()
            .filter(|(i, set)| {
                !fixes.iter().enumerate().any(|(j, other)| {
                    let within = other.iter().all(|scope| set.contains(scope));
                    // A strict subset elsewhere, or an equal set earlier (keep the first).
                    within && (other.len() < set.len() || j < *i)
                })
            })
            .map(|(_, set)| set)
            .collect();
        Some(ScopeRequirement::one_of(minimal))
    }

    /// Whether the requirement is about scopes only (no claim or predicate anywhere): its
    /// refusals keep the scope guards' answer even when no scope can help.
    pub(crate) fn is_scopes_only(&self) -> bool {
        self.node.is_scopes_only()
    }

    /// The scope requirement, when this requirement is exactly one.
    pub(crate) fn as_scopes(&self) -> Option<&ScopeRequirement> {
        match &*self.node {
            Node::Scopes(scopes) => Some(scopes),
            _ => None,
        }
    }
}

impl Node {
    fn evaluate(&self, subject: &Subject<'_>) -> Result<bool, Misconfigured> {
        Ok(match self {
            Self::Scopes(requirement) => requirement.is_satisfied_by(subject.scopes),
            Self::Claim(condition) => condition.is_satisfied_by(subject.claims()?),
            Self::Predicate(predicate) => (predicate.check)(subject)?,
            Self::All(children) => {
                if children.is_empty() {
                    return Ok(false);
                }
                for child in children {
                    if !child.evaluate(subject)? {
                        return Ok(false);
                    }
                }
                true
            }
            Self::Any(children) => {
                for child in children {
                    if child.evaluate(subject)? {
                        return Ok(true);
                    }
                }
                false
            }
        })
    }

    /// The sets of scopes that would satisfy this node (`[[]]`: satisfied as is; `[]`: no
    /// scope helps); `None` beyond the limit.
    fn fixes<'n>(&'n self, subject: &Subject<'_>) -> Option<Vec<Vec<&'n str>>> {
        let satisfied = |yes: bool| if yes { vec![Vec::new()] } else { Vec::new() };
        let fixes = match self {
            Self::Scopes(requirement) => requirement
                .alternatives()
                .map(Iterator::collect)
                .collect::<Vec<Vec<&str>>>(),
            Self::Claim(condition) => satisfied(
                subject
                    .claims()
                    .is_ok_and(|claims| condition.is_satisfied_by(claims)),
            ),
            Self::Predicate(predicate) => satisfied((predicate.check)(subject).unwrap_or(false)),
            Self::Any(children) => {
                let mut all = Vec::new();
                for child in children {
                    all.extend(child.fixes(subject)?);
                    if all.len() > MAX_CHALLENGE_ALTERNATIVES {
                        return None;
                    }
                }
                all
            }
            Self::All(children) if children.is_empty() => Vec::new(),
            Self::All(children) => {
                let mut product: Vec<Vec<&str>> = vec![Vec::new()];
                for child in children {
                    let next = child.fixes(subject)?;
                    if product.len().saturating_mul(next.len()) > MAX_CHALLENGE_ALTERNATIVES {
                        return None;
                    }
                    product = product
                        .iter()
                        .flat_map(|left| {
                            next.iter().map(move |right| {
                                let mut set = left.clone();
                                for scope in right {
                                    if !set.contains(scope) {
                                        set.push(scope);
                                    }
                                }
                                set
                            })
                        })
                        .collect();
                }
                product
            }
        };
        (fixes.len() <= MAX_CHALLENGE_ALTERNATIVES).then_some(fixes)
    }

    fn is_scopes_only(&self) -> bool {
        match self {
            Self::Scopes(_) => true,
            Self::Claim(_) | Self::Predicate(_) => false,
            Self::All(children) | Self::Any(children) => children.iter().all(Self::is_scopes_only),
        }
    }
}

impl From<ScopeRequirement> for Requirement {
    fn from(requirement: ScopeRequirement) -> Self {
        Self::scopes(requirement)
    }
}

impl ClaimCondition {
    /// The claim holds at least one of `values` (a string equal to one, or an array of strings
    /// containing one). An empty list is never satisfied.
    pub fn any<I, S>(self, values: I) -> Requirement
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut values: Vec<Box<str>> = values.into_iter().map(|v| v.as_ref().into()).collect();
        values.sort_unstable();
        values.dedup();
        self.finish(Test::Any(values.into_boxed_slice()))
    }

    /// The claim holds every one of `values` (an array of strings containing them all, or a
    /// string equal to the only one). An empty list is never satisfied.
    pub fn all<I, S>(self, values: I) -> Requirement
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.one_of([values])
    }

    /// The claim holds every value of at least one of `sets`. Empty sets are ignored (they
    /// would admit every token); with no non-empty set it is never satisfied.
    pub fn one_of<O, I, S>(self, sets: O) -> Requirement
    where
        O: IntoIterator<Item = I>,
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let sets: Vec<Box<[Box<str>]>> = sets
            .into_iter()
            .map(|set| {
                let mut set: Vec<Box<str>> = set.into_iter().map(|v| v.as_ref().into()).collect();
                set.sort_unstable();
                set.dedup();
                set.into_boxed_slice()
            })
            .filter(|set| !set.is_empty())
            .collect();
        self.finish(Test::OneOf(sets.into_boxed_slice()))
    }

    /// The claim is exactly the string `value` (an array does not count, even holding it).
    ///
    /// `aud` is kept as a list whichever form the token used (RFC 7519 allows a string or an
    /// array): write `claim("aud").any([..])` for it, which matches both.
    pub fn equals(self, value: impl AsRef<str>) -> Requirement {
        self.finish(Test::Equals(value.as_ref().into()))
    }

    fn finish(mut self, test: Test) -> Requirement {
        self.test = test;
        Requirement::new(Node::Claim(self))
    }

    /// Whether `claims` satisfy this condition (without allocating).
    fn is_satisfied_by(&self, claims: &Claims) -> bool {
        let Ok(path) = &self.path else {
            return false;
        };
        let Some(claim) = claims.claim_at(path) else {
            return false;
        };
        match &self.test {
            Test::Unset => false,
            Test::Equals(value) => claim.as_str() == Some(&**value),
            Test::Any(values) => claim.strings().is_some_and(|mut held| {
                // A handful of values (the common case): equality checks lengths first.
                if values.len() <= 8 {
                    held.any(|s| values.iter().any(|v| **v == *s))
                } else {
                    held.any(|s| values.binary_search_by(|v| (**v).cmp(s)).is_ok())
                }
            }),
            Test::OneOf(sets) => claim.strings().is_some_and(|held| {
                sets.iter().any(|set| {
                    set.iter()
                        .all(|wanted| held.clone().any(|s| s == &**wanted))
                })
            }),
        }
    }
}

impl fmt::Debug for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Requirement({:?})", self.node)
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, name: &str, children: &[Node]| {
            f.write_str(name)?;
            f.debug_list().entries(children).finish()
        };
        match self {
            Self::Scopes(scopes) => write!(f, "scopes{scopes:?}"),
            Self::Claim(condition) => condition.fmt(f),
            Self::Predicate(predicate) => write!(f, "predicate<{}>", predicate.claims_type),
            Self::All(children) => list(f, "all_of", children),
            Self::Any(children) => list(f, "any_of", children),
        }
    }
}

impl fmt::Debug for ClaimCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Ok(path) => write!(f, "claim({path})")?,
            Err((text, error)) => write!(f, "claim({text:?}: {error})")?,
        }
        match &self.test {
            Test::Unset => f.write_str(".<no test>"),
            Test::Any(values) => write!(f, ".any({values:?})"),
            Test::OneOf(sets) if sets.len() == 1 => write!(f, ".all({:?})", sets[0]),
            Test::OneOf(sets) => write!(f, ".one_of({sets:?})"),
            Test::Equals(value) => write!(f, ".equals({value:?})"),
        }
    }
}

/// `Claims` of the auth layer's `VerifiedToken<C>` in `extensions` (stored as a plain function
/// pointer in the [`AuthContext`](crate::AuthContext), so guards read claims whatever `C` is).
pub(crate) fn claims_of<C: CustomClaims>(extensions: &Extensions) -> Option<&Claims> {
    extensions
        .get::<VerifiedToken<C>>()
        .map(VerifiedToken::claims)
}

/// The reader for tokens with the default claims (requests that no auth layer authenticated
/// have no token, so the reader is never called for them).
pub(crate) fn default_claims_of(extensions: &Extensions) -> Option<&Claims> {
    claims_of::<NoCustomClaims>(extensions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sets_never_satisfy_and_debug_shows_the_configuration() {
        let none: [&str; 0] = [];
        let scopes = Scopes::parse("a b");
        let claims = Claims::default();
        let subject = Subject {
            scopes: &scopes,
            tokens: Tokens::One {
                token: &(),
                claims: &claims,
            },
        };
        for requirement in [
            Requirement::scopes_any(none),
            Requirement::scopes_all(none),
            Requirement::all_of(Vec::<Requirement>::new()),
            Requirement::any_of(Vec::<Requirement>::new()),
            Requirement::claim("groups").any(none),
            Requirement::claim("groups").all(none),
            Requirement::claim("groups").one_of([none, none]),
            Requirement::claim("a..b").any(["x"]),
            // Combined with others, an empty AND or OR still decides (never flattened away).
            Requirement::all_of(Vec::<Requirement>::new()).and(Requirement::authenticated()),
            Requirement::authenticated().and(Requirement::all_of(Vec::<Requirement>::new())),
            Requirement::all_of([
                Requirement::all_of(Vec::<Requirement>::new()),
                Requirement::scopes_any(["a"]),
            ]),
            Requirement::any_of(Vec::<Requirement>::new()).and(Requirement::scopes_any(["a"])),
        ] {
            assert!(!requirement.evaluate(&subject).unwrap(), "{requirement:?}");
        }
        assert!(Requirement::authenticated().evaluate(&subject).unwrap());
        assert!(
            Requirement::scopes_any(["a"])
                .and(Requirement::scopes_all(["b"]))
                .evaluate(&subject)
                .unwrap()
        );
        let requirement = Requirement::scopes_any(["orders/admin"])
            .or(Requirement::claim("cognito:groups").any(["b", "a", "a"]))
            .or(Requirement::claim(r#""x.y".z"#).equals("v"));
        assert_eq!(
            format!("{requirement:?}"),
            r#"Requirement(any_of[scopes[["orders/admin"]], claim(cognito:groups).any(["a", "b"]), claim("x.y".z).equals("v")])"#
        );
        assert_eq!(
            format!("{:?}", Requirement::claim("a..b").all(["x"])),
            r#"Requirement(claim("a..b": a claim path segment is empty).all(["x"]))"#
        );
    }
}
