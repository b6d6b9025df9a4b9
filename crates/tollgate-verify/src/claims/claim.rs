//! [`Claim`]: one claim (or nested member) of a verified token, borrowed, with typed
//! accessors; found by path with [`Claims::claim`] and [`Claims::claim_at`].

use std::fmt;

use serde_json::{Number, Value};

use super::path::Segments;
use super::{ClaimPath, Claims, Raw, Span, StrList};

/// A claim of a verified token, or a member nested in one, borrowed from the token: read it
/// with the typed accessors. Found with [`Claims::claim`] (or
/// [`VerifiedToken::claim`](crate::VerifiedToken::claim)).
///
/// Accessors answer `None` when the value has another JSON type: a claim is never converted
/// (`"true"` is not a boolean, `1` is not a string).
///
/// ```
/// # fn show(token: &tollgate_verify::VerifiedToken) {
/// if let Some(roles) = token.claim("realm_access.roles").and_then(|c| c.as_strs()) {
///     for role in roles {
///         println!("role {role}");
///     }
/// }
/// let verified = token.claim("email_verified").and_then(|c| c.as_bool()) == Some(true);
/// let level = token.claim("custom:level").and_then(|c| c.as_i64());
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct Claim<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    Str(&'a str),
    /// A typed list claim (`aud`, `cognito:groups`).
    List(&'a Claims, &'a [Span]),
    /// A typed NumericDate (`exp`, `nbf`, `iat`, `auth_time`).
    Date(i64),
    Num(&'a Number),
    Json(&'a Value),
}

impl<'a> Claim<'a> {
    /// The value, when it is a string.
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        match self.0 {
            Repr::Str(s) => Some(s),
            Repr::Json(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The elements, when the value is an array of strings (every element a string: an array
    /// holding anything else is `None`, never filtered).
    #[must_use]
    pub fn as_strs(&self) -> Option<ClaimStrs<'a>> {
        match self.0 {
            Repr::List(claims, spans) => Some(ClaimStrs(Strs::List(claims.list(Some(spans))))),
            Repr::Json(Value::Array(items)) if items.iter().all(Value::is_string) => {
                Some(ClaimStrs(Strs::Json(items.iter())))
            }
            _ => None,
        }
    }

    /// The strings of the value when it is a string (one) or an array of strings (its
    /// elements): how claim requirements read a claim. `None` for any other value.
    #[must_use]
    pub fn strings(&self) -> Option<ClaimStrs<'a>> {
        match self.as_str() {
            Some(s) => Some(ClaimStrs(Strs::One(Some(s)))),
            None => self.as_strs(),
        }
    }

    /// Whether the value is the string `value`, or an array of strings holding it.
    #[must_use]
    pub fn contains(&self, value: &str) -> bool {
        self.strings()
            .is_some_and(|mut strings| strings.any(|s| s == value))
    }

    /// The value, when it is a number that is an integer in `i64`'s range.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Date(v) => Some(v),
            Repr::Num(n) | Repr::Json(Value::Number(n)) => n.as_i64(),
            _ => None,
        }
    }

    /// The value, when it is a number that is a non-negative integer in `u64`'s range.
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            Repr::Date(v) => u64::try_from(v).ok(),
            Repr::Num(n) | Repr::Json(Value::Number(n)) => n.as_u64(),
            _ => None,
        }
    }

    /// The value, when it is a number (as `f64`, which may round large integers).
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match self.0 {
            #[allow(clippy::cast_precision_loss)]
            Repr::Date(v) => Some(v as f64),
            Repr::Num(n) | Repr::Json(Value::Number(n)) => n.as_f64(),
            _ => None,
        }
    }

    /// The value, when it is `true` or `false`.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self.0 {
            Repr::Json(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// Whether the value is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self.0, Repr::Json(Value::Null))
    }

    /// The value as JSON (an owned copy).
    #[must_use]
    pub fn to_value(&self) -> Value {
        match self.0 {
            Repr::Str(s) => Value::String(s.to_owned()),
            Repr::List(claims, spans) => Value::from(claims.list(Some(spans)).collect::<Vec<_>>()),
            Repr::Date(v) => Value::from(v),
            Repr::Num(n) => Value::Number(n.clone()),
            Repr::Json(v) => v.clone(),
        }
    }

    /// The member `name` of an object value.
    fn member(self, name: &str) -> Option<Self> {
        match self.0 {
            Repr::Json(Value::Object(members)) => members.get(name).map(|v| Self(Repr::Json(v))),
            _ => None,
        }
    }
}

/// `Debug` names the JSON type only: claim values can be personal data.
impl fmt::Debug for Claim<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.0 {
            Repr::Str(_) | Repr::Json(Value::String(_)) => "string",
            Repr::List(..) | Repr::Json(Value::Array(_)) => "array",
            Repr::Date(_) | Repr::Num(_) | Repr::Json(Value::Number(_)) => "number",
            Repr::Json(Value::Bool(_)) => "boolean",
            Repr::Json(Value::Null) => "null",
            Repr::Json(Value::Object(_)) => "object",
        };
        f.debug_tuple("Claim").field(&kind).finish()
    }
}

/// The strings of a claim ([`Claim::as_strs`], [`Claim::strings`]).
#[derive(Clone, Debug)]
pub struct ClaimStrs<'a>(Strs<'a>);

#[derive(Clone, Debug)]
enum Strs<'a> {
    One(Option<&'a str>),
    List(StrList<'a>),
    /// Checked to hold strings only.
    Json(std::slice::Iter<'a, Value>),
}

impl<'a> Iterator for ClaimStrs<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match &mut self.0 {
            Strs::One(one) => one.take(),
            Strs::List(list) => list.next(),
            Strs::Json(items) => items.next().map(|v| v.as_str().unwrap_or_default()),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.0 {
            Strs::One(one) => usize::from(one.is_some()),
            Strs::List(list) => list.len(),
            Strs::Json(items) => items.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for ClaimStrs<'_> {}

/// Where a top-level claim is kept in [`Claims`]: one of the typed fields, or the other claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    Iss,
    Sub,
    Jti,
    ClientId,
    TokenUse,
    Username,
    Exp,
    Nbf,
    Iat,
    AuthTime,
    Aud,
    Groups,
    Scope,
    Scp,
    Extra,
}

impl Slot {
    /// The slot of the top-level claim `name` (the names the parser reads into typed fields).
    pub(crate) fn of(name: &str) -> Self {
        match name {
            "iss" => Self::Iss,
            "sub" => Self::Sub,
            "jti" => Self::Jti,
            "client_id" => Self::ClientId,
            "token_use" => Self::TokenUse,
            "username" => Self::Username,
            "exp" => Self::Exp,
            "nbf" => Self::Nbf,
            "iat" => Self::Iat,
            "auth_time" => Self::AuthTime,
            "aud" => Self::Aud,
            "cognito:groups" => Self::Groups,
            "scope" => Self::Scope,
            "scp" => Self::Scp,
            _ => Self::Extra,
        }
    }
}

impl Claims {
    /// The claim at `path` (see [`ClaimPath`] for the syntax: `cognito:groups`,
    /// `realm_access.roles`, `resource_access.orders-api.roles`,
    /// `"https://example.com/roles"`), typed claims included; `None` when it is absent, when
    /// a segment before the last is not an object, or when `path` is not a valid path. The
    /// lookup does not allocate (except for a quoted segment with an escape in it).
    ///
    /// ```
    /// # fn check(claims: &tollgate_verify::Claims) -> bool {
    /// claims.claim("cognito:groups").is_some_and(|groups| groups.contains("admins"))
    /// # }
    /// ```
    #[must_use]
    pub fn claim(&self, path: &str) -> Option<Claim<'_>> {
        let mut segments = Segments::new(path);
        let first = segments.next()?.ok()?;
        let mut claim = self.top_level(&first)?;
        for segment in segments {
            claim = claim.member(&segment.ok()?)?;
        }
        Some(claim)
    }

    /// The claim at an already parsed path (what requirements use: the path is read once,
    /// and where its top-level claim is kept is known in advance).
    #[must_use]
    pub fn claim_at(&self, path: &ClaimPath) -> Option<Claim<'_>> {
        let mut segments = path.segments();
        let mut claim = self.top_level_in(path.slot(), segments.next()?)?;
        for segment in segments {
            claim = claim.member(segment)?;
        }
        Some(claim)
    }

    /// A top-level claim by name, typed ones included.
    fn top_level(&self, name: &str) -> Option<Claim<'_>> {
        self.top_level_in(Slot::of(name), name)
    }

    /// A top-level claim whose slot is already known (a parsed [`ClaimPath`] knows its own).
    pub(super) fn top_level_in(&self, slot: Slot, name: &str) -> Option<Claim<'_>> {
        let string = |span: Option<Span>| span.map(|span| Claim(Repr::Str(self.str(span))));
        let date = |value: Option<i64>| value.map(|v| Claim(Repr::Date(v)));
        match slot {
            Slot::Iss => string(self.iss),
            Slot::Sub => string(self.sub),
            Slot::Jti => string(self.jti),
            Slot::ClientId => string(self.client_id),
            Slot::TokenUse => string(self.token_use),
            Slot::Username => string(self.username),
            Slot::Exp => date(self.exp),
            Slot::Nbf => date(self.nbf),
            Slot::Iat => date(self.iat),
            Slot::AuthTime => date(self.auth_time),
            Slot::Aud => self.list_claim(self.aud.as_deref()),
            Slot::Groups => self.list_claim(self.groups.as_deref()),
            Slot::Scope => self.scope.as_ref().map(|raw| self.raw_claim(raw)),
            Slot::Scp => self.scp.as_ref().map(|raw| self.raw_claim(raw)),
            Slot::Extra => self.extra_raw(name).map(|raw| self.raw_claim(raw)),
        }
    }

    fn list_claim<'a>(&'a self, spans: Option<&'a [Span]>) -> Option<Claim<'a>> {
        spans.map(|spans| Claim(Repr::List(self, spans)))
    }

    fn raw_claim<'a>(&'a self, raw: &'a Raw) -> Claim<'a> {
        Claim(match raw {
            Raw::Str(span) => Repr::Str(self.str(*span)),
            Raw::Num(number) => Repr::Num(number),
            Raw::Json(value) => Repr::Json(value),
        })
    }
}
