//! The standard claims of a verified token, read strictly and stored compactly.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::strict_json::{Key, MAX_PAYLOAD_MEMBERS, MemberBudget, StrictValue};

/// Largest accepted NumericDate: 9999-12-31T23:59:59Z.
pub(crate) const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

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

impl Raw {
    fn from_field(field: Field<'_>, text: &mut Text) -> Option<Self> {
        Some(match field {
            Field::Str(s) => Self::Str(text.push(&s)?),
            Field::Int(v) => Self::Num(v.into()),
            Field::UInt(v) => Self::Num(v.into()),
            Field::Float(v) => match serde_json::Number::from_f64(v) {
                Some(n) => Self::Num(n),
                None => Self::Json(Box::new(Value::Null)),
            },
            Field::Other(value) => Self::Json(Box::new(value)),
        })
    }
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
    text: Box<str>,
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
    pub(crate) aud: Option<Box<[Span]>>,
    groups: Option<Box<[Span]>>,
    scope: Option<Raw>,
    scp: Option<Raw>,
    /// Other claims, sorted by name (names in the text buffer).
    extra: Box<[(Span, Raw)]>,
}

impl Claims {
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
        let list = |v: &Option<Box<[Span]>>| {
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

    /// Estimated heap bytes, allocator rounding included (for the token cache's byte bound).
    pub(crate) fn heap_size(&self) -> usize {
        fn value(v: &Value) -> usize {
            match v {
                Value::String(s) => alloc(s.len()),
                Value::Array(a) => alloc(a.len() * 32) + a.iter().map(value).sum::<usize>(),
                Value::Object(o) => o
                    .iter()
                    .map(|(k, v)| alloc(k.len()) + 64 + value(v))
                    .sum::<usize>()
                    .max(alloc(11 * 56)),
                _ => 0,
            }
        }
        let spans = |v: &Option<Box<[Span]>>| v.as_ref().map_or(0, |s| alloc(s.len() * 8));
        alloc(self.text.len())
            + spans(&self.aud)
            + spans(&self.groups)
            + [self.scope.as_ref(), self.scp.as_ref()]
                .into_iter()
                .flatten()
                .chain(self.extra.iter().map(|(_, raw)| raw))
                .map(|raw| match raw {
                    Raw::Json(json) => alloc(32) + value(json),
                    _ => 0,
                })
                .sum::<usize>()
            + alloc(self.extra.len() * std::mem::size_of::<(Span, Raw)>())
    }
}

/// What one allocation of `len` bytes costs with glibc malloc: a header, rounded to 16 bytes,
/// at least 32.
pub(crate) fn alloc(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 8).div_ceil(16).max(2) * 16
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

/// The outcome of reading a payload: the claims, plus what was wrong with them.
#[derive(Debug, Default)]
pub(crate) struct ParsedClaims {
    pub(crate) claims: Claims,
    pub(crate) duplicate: bool,
    /// The first typed claim whose JSON type was wrong.
    pub(crate) wrong_type: Option<&'static str>,
    /// The first time claim whose number was out of range.
    pub(crate) out_of_range: Option<&'static str>,
}

impl ParsedClaims {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let duplicate = Cell::new(false);
        let budget = MemberBudget::new(MAX_PAYLOAD_MEMBERS);
        // One vectorized UTF-8 check of the whole payload instead of one per string (7% fewer
        // instructions for the whole key-free path, measured with callgrind).
        let text = std::str::from_utf8(bytes)
            .map_err(|_| serde::de::Error::custom("payload is not UTF-8"))?;
        let mut de = serde_json::Deserializer::from_str(text);
        let mut parsed = ClaimsSeed {
            duplicate: &duplicate,
            budget: &budget,
            capacity: bytes.len(),
        }
        .deserialize(&mut de)?;
        de.end()?;
        parsed.duplicate |= duplicate.get();
        Ok(parsed)
    }
}

struct ClaimsSeed<'f> {
    duplicate: &'f Cell<bool>,
    budget: &'f MemberBudget,
    /// The payload length: every string claim fits in it, so the text buffer never grows.
    capacity: usize,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = ParsedClaims;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ParsedClaims, D::Error> {
        deserializer.deserialize_map(self)
    }
}

enum Date {
    Ok(i64),
    WrongType,
    OutOfRange,
}

/// NumericDate (RFC 7519 §2): a JSON number, possibly non-integer (floored), within
/// 0..=9999-12-31.
fn numeric_date(value: &Field<'_>) -> Date {
    match *value {
        Field::Int(v) if (0..=MAX_NUMERIC_DATE).contains(&v) => Date::Ok(v),
        Field::UInt(v) if v <= MAX_NUMERIC_DATE.unsigned_abs() => {
            Date::Ok(i64::try_from(v).unwrap_or(MAX_NUMERIC_DATE))
        }
        #[allow(clippy::cast_possible_truncation)]
        Field::Float(v) if v.is_finite() && (0.0..=MAX_NUMERIC_DATE as f64).contains(&v) => {
            Date::Ok(v.floor() as i64)
        }
        Field::Int(_) | Field::UInt(_) | Field::Float(_) => Date::OutOfRange,
        Field::Str(_) | Field::Other(_) => Date::WrongType,
    }
}

/// One claim value as read: strings borrowed from the payload when unescaped, numbers as
/// numbers, anything else as a strict JSON value (duplicates inside it still detected).
enum Field<'de> {
    Str(Cow<'de, str>),
    Int(i64),
    UInt(u64),
    Float(f64),
    Other(Value),
}

#[derive(Clone, Copy)]
struct FieldSeed<'f> {
    inner: StrictValue<'f>,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Field<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'de>, E> {
        Ok(Field::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Field<'de>, E> {
        Ok(Field::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Field<'de>, E> {
        Ok(Field::Str(Cow::Owned(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Field<'de>, E> {
        Ok(Field::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Field<'de>, E> {
        Ok(Field::UInt(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Field<'de>, E> {
        Ok(Field::Float(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Field<'de>, E> {
        Ok(Field::Other(Value::Bool(v)))
    }

    fn visit_unit<E>(self) -> Result<Field<'de>, E> {
        Ok(Field::Other(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field<'de>, A::Error> {
        self.inner.visit_seq(seq).map(Field::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field<'de>, A::Error> {
        self.inner.visit_map(map).map(Field::Other)
    }
}

/// Appends strings to the shared text buffer.
#[derive(Default)]
struct Text(String);

impl Text {
    fn get(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.0
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }

    fn push(&mut self, s: &str) -> Option<Span> {
        let start = u32::try_from(self.0.len()).ok()?;
        let len = u32::try_from(s.len()).ok()?;
        self.0.push_str(s);
        Some(Span { start, len })
    }

    /// A list claim: an array of strings (or, for `aud`, one string).
    fn list(&mut self, value: Field<'_>, single_allowed: bool) -> Result<Box<[Span]>, ()> {
        match value {
            Field::Str(s) if single_allowed => Ok(Box::new([self.push(&s).ok_or(())?])),
            Field::Other(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => self.push(s).ok_or(()),
                    _ => Err(()),
                })
                .collect(),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Date,
    List { single: bool },
    Raw,
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = ParsedClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ParsedClaims, A::Error> {
        let mut parsed = ParsedClaims::default();
        let strict = StrictValue {
            duplicate: self.duplicate,
            budget: self.budget,
        };
        let seed = FieldSeed { inner: strict };
        let mut text = Text(String::with_capacity(self.capacity));
        let mut extra: Vec<(Span, Raw)> = Vec::new();
        // Typed claims seen so far, one bit each: a repeat is a duplicate whatever the type
        // of either copy (a slot stays empty after a wrong-typed first copy).
        let mut seen: u16 = 0;
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            self.budget.take()?;
            let (kind, label, bit): (Kind, &'static str, u16) = match &*name {
                "iss" => (Kind::Str, "iss", 1 << 0),
                "sub" => (Kind::Str, "sub", 1 << 1),
                "jti" => (Kind::Str, "jti", 1 << 2),
                "client_id" => (Kind::Str, "client_id", 1 << 3),
                "token_use" => (Kind::Str, "token_use", 1 << 4),
                "username" => (Kind::Str, "username", 1 << 5),
                "exp" => (Kind::Date, "exp", 1 << 6),
                "nbf" => (Kind::Date, "nbf", 1 << 7),
                "iat" => (Kind::Date, "iat", 1 << 8),
                "auth_time" => (Kind::Date, "auth_time", 1 << 9),
                "aud" => (Kind::List { single: true }, "aud", 1 << 10),
                "cognito:groups" => (Kind::List { single: false }, "cognito:groups", 1 << 11),
                "scope" => (Kind::Raw, "scope", 1 << 12),
                "scp" => (Kind::Raw, "scp", 1 << 13),
                _ => {
                    let value = map.next_value_seed(seed)?;
                    if let (Some(name), Some(raw)) =
                        (text.push(&name), Raw::from_field(value, &mut text))
                    {
                        extra.push((name, raw));
                    }
                    continue;
                }
            };
            let repeated = seen & bit != 0;
            seen |= bit;
            parsed.duplicate |= repeated;
            let c = &mut parsed.claims;
            if let Kind::Raw = kind {
                let raw = Raw::from_field(map.next_value_seed(seed)?, &mut text);
                if !repeated {
                    match label {
                        "scope" => c.scope = raw,
                        _ => c.scp = raw,
                    }
                }
                continue;
            }
            let value = map.next_value_seed(seed)?;
            let mut wrong_type = false;
            match kind {
                Kind::Str => match value {
                    Field::Str(s) if !repeated => {
                        let span = text.push(&s);
                        let slot = match label {
                            "iss" => &mut c.iss,
                            "sub" => &mut c.sub,
                            "jti" => &mut c.jti,
                            "client_id" => &mut c.client_id,
                            "token_use" => &mut c.token_use,
                            _ => &mut c.username,
                        };
                        *slot = span;
                    }
                    Field::Str(_) => {}
                    _ => wrong_type = true,
                },
                Kind::Date => {
                    let slot = match label {
                        "exp" => &mut c.exp,
                        "nbf" => &mut c.nbf,
                        "iat" => &mut c.iat,
                        _ => &mut c.auth_time,
                    };
                    match numeric_date(&value) {
                        Date::Ok(v) if !repeated => *slot = Some(v),
                        Date::Ok(_) => {}
                        Date::WrongType => wrong_type = true,
                        Date::OutOfRange => {
                            parsed.out_of_range.get_or_insert(label);
                        }
                    }
                }
                Kind::List { single } => match text.list(value, single) {
                    Ok(list) if !repeated => {
                        if label == "aud" {
                            c.aud = Some(list);
                        } else {
                            c.groups = Some(list);
                        }
                    }
                    Ok(_) => {}
                    Err(()) => wrong_type = true,
                },
                Kind::Raw => {}
            }
            if wrong_type {
                parsed.wrong_type.get_or_insert(label);
            }
        }
        let name = |span: &Span| text.get(*span);
        extra.sort_unstable_by(|(a, _), (b, _)| name(a).cmp(name(b)));
        if extra
            .windows(2)
            .any(|pair| matches!(pair, [(a, _), (b, _)] if name(a) == name(b)))
        {
            parsed.duplicate = true;
        }
        parsed.claims.text = text.0.into_boxed_str();
        parsed.claims.extra = extra.into_boxed_slice();
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> ParsedClaims {
        ParsedClaims::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn types_are_checked_not_ignored() {
        assert_eq!(parse(r#"{"exp":"9999999999"}"#).wrong_type, Some("exp"));
        assert_eq!(parse(r#"{"exp":true}"#).wrong_type, Some("exp"));
        assert_eq!(parse(r#"{"exp":null}"#).wrong_type, Some("exp"));
        assert_eq!(parse(r#"{"exp":[]}"#).wrong_type, Some("exp"));
        assert_eq!(parse(r#"{"iss":["a"]}"#).wrong_type, Some("iss"));
        assert_eq!(parse(r#"{"client_id":1}"#).wrong_type, Some("client_id"));
        assert_eq!(
            parse(r#"{"cognito:groups":"admins"}"#).wrong_type,
            Some("cognito:groups")
        );
        assert_eq!(parse(r#"{"aud":[1]}"#).wrong_type, Some("aud"));
        assert_eq!(
            parse(r#"{"aud":"a"}"#)
                .claims
                .audience()
                .collect::<Vec<_>>(),
            ["a"]
        );
    }

    #[test]
    fn numeric_dates() {
        assert_eq!(
            parse(r#"{"exp":1700000000.7}"#).claims.exp,
            Some(1_700_000_000)
        );
        assert_eq!(parse(r#"{"exp":-1}"#).out_of_range, Some("exp"));
        assert_eq!(parse(r#"{"exp":1e300}"#).out_of_range, Some("exp"));
        assert_eq!(
            parse(r#"{"exp":18446744073709551616}"#).out_of_range,
            Some("exp")
        );
        assert_eq!(parse(r#"{"exp":0}"#).claims.exp, Some(0));
        assert!(ParsedClaims::parse(br#"{"exp":1e400}"#).is_err());
    }

    #[test]
    fn duplicates_anywhere_are_flagged() {
        assert!(parse(r#"{"exp":1,"exp":2}"#).duplicate);
        assert!(parse(r#"{"scope":"a","scope":"b"}"#).duplicate);
        assert!(parse(r#"{"custom":1,"custom":2}"#).duplicate);
        assert!(parse(r#"{"custom":{"a":1,"a":2}}"#).duplicate);
        assert!(
            parse(r#"{"exp":"x","exp":1}"#).duplicate,
            "wrong-typed first copy"
        );
        assert!(
            parse(r#"{"exp":-1,"exp":1}"#).duplicate,
            "out-of-range first copy"
        );
        assert!(parse(r#"{"aud":5,"aud":"a"}"#).duplicate);
        assert!(!parse(r#"{"exp":1,"custom":{"a":1}}"#).duplicate);
    }

    #[test]
    fn member_count_is_bounded() {
        let members = |n: usize| {
            let body: Vec<String> = (0..n).map(|i| format!("\"m{i}\":{i}")).collect();
            format!("{{{}}}", body.join(","))
        };
        assert!(ParsedClaims::parse(members(MAX_PAYLOAD_MEMBERS).as_bytes()).is_ok());
        assert!(ParsedClaims::parse(members(MAX_PAYLOAD_MEMBERS + 1).as_bytes()).is_err());
        let nested = format!("{{\"custom\":{}}}", members(MAX_PAYLOAD_MEMBERS));
        assert!(ParsedClaims::parse(nested.as_bytes()).is_err());
    }

    #[test]
    fn payload_shape_is_strict() {
        assert!(ParsedClaims::parse(b"[]").is_err());
        assert!(ParsedClaims::parse(br#"{"exp":1}garbage"#).is_err());
        assert!(ParsedClaims::parse(b"\xef\xbb\xbf{}").is_err());
        let deep = "[".repeat(100_000);
        assert!(ParsedClaims::parse(format!(r#"{{"x":{deep}}}"#).as_bytes()).is_err());
    }
}
