//! The standard claims of a verified token, stored compactly: [`Claims`] and [`StrList`].
//!
//! The one-pass parser that builds them is in `parser.rs`; the allocation model that sizes
//! them for the token cache's byte bound is in `heap_size.rs`; lookups by path
//! ([`ClaimPath`], `path.rs`) and the typed view of one claim ([`Claim`]) are in `claim.rs`.

mod claim;
mod heap_size;
mod parser;
mod path;
#[cfg(test)]
mod serde_reference;

use std::fmt;

use serde_json::Value;
use smallvec::SmallVec;

pub use claim::{Claim, ClaimStrs};
pub(crate) use heap_size::alloc;
pub(crate) use parser::ParsedClaims;
pub use path::ClaimPath;

/// The strings of a list claim: up to two inline (one audience, a couple of groups), no
/// allocation.
pub(crate) type Spans = SmallVec<[Span; 2]>;

/// Where a string claim sits in [`Claims`]' text buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

/// A claim kept as read: a string in the text buffer, a number, or any other JSON value.
#[derive(Clone, Debug, PartialEq)]
enum Raw {
    Str(Span),
    Num(serde_json::Number),
    Json(Box<Value>),
}

/// A view of a claim that is not one of the typed ones.
pub(crate) enum ClaimRef<'a> {
    Str(&'a str),
    Num(&'a serde_json::Number),
    Json(&'a Value),
}

impl ClaimRef<'_> {
    fn to_value(&self) -> Value {
        match self {
            Self::Str(s) => Value::String((*s).to_owned()),
            Self::Num(n) => Value::Number((*n).clone()),
            Self::Json(v) => (*v).clone(),
        }
    }
}

/// The claims of a verified token: the registered and Cognito claims typed, everything else
/// available through [`Claims::extra_claim`].
///
/// Every typed claim was checked for its JSON type: a token whose `exp` is a string, whose
/// `client_id` is an array or whose `cognito:groups` is not an array of strings was rejected
/// before any of this exists. The string claims share one buffer, so a cached token costs
/// little memory. `Debug` shows only non-personal fields.
#[derive(Clone, Default, PartialEq)]
pub struct Claims {
    /// The string claims back to back; it may have spare capacity until
    /// [`Claims::shrink_to_fit`] (a cached token's has none).
    text: String,
    pub(crate) iss: Option<Span>,
    sub: Option<Span>,
    jti: Option<Span>,
    client_id: Option<Span>,
    token_use: Option<Span>,
    username: Option<Span>,
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: Option<i64>,
    auth_time: Option<i64>,
    pub(crate) aud: Option<Spans>,
    groups: Option<Spans>,
    scope: Option<Raw>,
    scp: Option<Raw>,
    /// Other claims, sorted by name (names in the text buffer).
    extra: Box<[(Span, Raw)]>,
}

impl Claims {
    /// Gives back the text buffer's spare capacity (before the token is cached).
    pub(crate) fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
    }

    fn str(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.text
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }

    fn opt(&self, span: Option<Span>) -> Option<&str> {
        span.map(|span| self.str(span))
    }

    fn list<'a>(&'a self, spans: Option<&'a [Span]>) -> StrList<'a> {
        StrList {
            claims: self,
            spans: spans.unwrap_or_default().iter(),
        }
    }

    /// `iss`: the issuer, equal byte for byte to a configured issuer.
    #[must_use]
    pub fn issuer(&self) -> &str {
        self.opt(self.iss).unwrap_or_default()
    }

    /// `iss`, when present.
    pub(crate) fn issuer_claim(&self) -> Option<&str> {
        self.opt(self.iss)
    }

    /// `sub`: the subject. For Cognito client-credentials tokens this is the client id.
    #[must_use]
    pub fn subject(&self) -> Option<&str> {
        self.opt(self.sub)
    }

    /// `client_id`: the app client (Cognito access tokens, RFC 9068).
    #[must_use]
    pub fn client_id(&self) -> Option<&str> {
        self.opt(self.client_id)
    }

    /// `token_use`: `access` or `id` for Cognito tokens.
    #[must_use]
    pub fn token_use(&self) -> Option<&str> {
        self.opt(self.token_use)
    }

    /// `jti`: the token id.
    #[must_use]
    pub fn token_id(&self) -> Option<&str> {
        self.opt(self.jti)
    }

    /// `username` (Cognito user tokens).
    #[must_use]
    pub fn username(&self) -> Option<&str> {
        self.opt(self.username)
    }

    /// `exp`, in seconds since the epoch (fractions floored).
    #[must_use]
    pub fn expires_at(&self) -> i64 {
        self.exp.unwrap_or_default()
    }

    /// `nbf`, in seconds since the epoch.
    #[must_use]
    pub fn not_before(&self) -> Option<i64> {
        self.nbf
    }

    /// `iat`, in seconds since the epoch.
    #[must_use]
    pub fn issued_at(&self) -> Option<i64> {
        self.iat
    }

    /// `auth_time`, in seconds since the epoch.
    #[must_use]
    pub fn auth_time(&self) -> Option<i64> {
        self.auth_time
    }

    /// `aud`, as a list (a single string becomes one element); empty when absent.
    ///
    /// ```
    /// # fn check(claims: &tollgate_verify::Claims) -> bool {
    /// claims.audience().any(|aud| aud == "orders-api")
    /// # }
    /// ```
    #[must_use]
    pub fn audience(&self) -> StrList<'_> {
        self.list(self.aud.as_deref())
    }

    /// `cognito:groups`; empty when absent.
    #[must_use]
    pub fn groups(&self) -> StrList<'_> {
        self.list(self.groups.as_deref())
    }

    /// Any claim by name, as JSON (typed claims included, rendered back to JSON).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Value> {
        let string = |v: Option<Span>| self.opt(v).map(|s| Value::String(s.to_owned()));
        let number = |v: Option<i64>| v.map(Value::from);
        let list = |v: &Option<Spans>| {
            v.as_deref()
                .map(|spans| Value::from(self.list(Some(spans)).collect::<Vec<_>>()))
        };
        match name {
            "iss" => string(self.iss),
            "sub" => string(self.sub),
            "jti" => string(self.jti),
            "client_id" => string(self.client_id),
            "token_use" => string(self.token_use),
            "username" => string(self.username),
            "exp" => number(self.exp),
            "nbf" => number(self.nbf),
            "iat" => number(self.iat),
            "auth_time" => number(self.auth_time),
            "aud" => list(&self.aud),
            "cognito:groups" => list(&self.groups),
            other => self.raw(other).map(|raw| raw.to_value()),
        }
    }

    /// A raw claim that is not one of the typed ones (borrowed).
    pub(crate) fn raw(&self, name: &str) -> Option<ClaimRef<'_>> {
        let raw = match name {
            "scope" => self.scope.as_ref(),
            "scp" => self.scp.as_ref(),
            other => self.extra_raw(other),
        };
        raw.map(|raw| self.view(raw))
    }

    fn view<'a>(&'a self, raw: &'a Raw) -> ClaimRef<'a> {
        match raw {
            Raw::Str(span) => ClaimRef::Str(self.str(*span)),
            Raw::Num(number) => ClaimRef::Num(number),
            Raw::Json(value) => ClaimRef::Json(value),
        }
    }

    fn extra_raw(&self, name: &str) -> Option<&Raw> {
        self.extra
            .binary_search_by(|(key, _)| self.str(*key).cmp(name))
            .ok()
            .and_then(|index| self.extra.get(index))
            .map(|(_, raw)| raw)
    }

    /// A claim as a string, for policy checks on configurable names.
    pub(crate) fn string_claim(&self, name: &str) -> Result<Option<&str>, ()> {
        match name {
            "client_id" => Ok(self.client_id()),
            "sub" => Ok(self.subject()),
            "iss" => Ok(self.opt(self.iss)),
            "token_use" => Ok(self.token_use()),
            "jti" => Ok(self.token_id()),
            "username" => Ok(self.username()),
            other => match self.raw(other) {
                None => Ok(None),
                Some(ClaimRef::Str(s)) => Ok(Some(s)),
                Some(ClaimRef::Json(Value::String(s))) => Ok(Some(s.as_str())),
                Some(ClaimRef::Json(_) | ClaimRef::Num(_)) => Err(()),
            },
        }
    }

    /// A claim other than the typed ones (custom claims, `version`, `origin_jti`, ...), as
    /// JSON. For typed access, read them into your own type with
    /// [`VerifierBuilder::custom_claims`](crate::VerifierBuilder::custom_claims).
    #[must_use]
    pub fn extra_claim(&self, name: &str) -> Option<Value> {
        self.extra_raw(name).map(|raw| self.view(raw).to_value())
    }

    /// The names of the claims other than the typed ones, sorted.
    pub fn extra_claim_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.extra.iter().map(|(name, _)| self.str(*name))
    }
}

/// The strings of a list claim (`aud`, `cognito:groups`).
#[derive(Clone, Debug)]
pub struct StrList<'a> {
    claims: &'a Claims,
    spans: std::slice::Iter<'a, Span>,
}

impl<'a> Iterator for StrList<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let span = self.spans.next()?;
        Some(self.claims.str(*span))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl ExactSizeIterator for StrList<'_> {}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Subject, username, groups and custom claims can be personal data: not printed.
        f.debug_struct("Claims")
            .field("iss", &self.opt(self.iss))
            .field("client_id", &self.client_id())
            .field("token_use", &self.token_use())
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}
