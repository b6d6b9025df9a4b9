//! The standard claims of a verified token, read strictly.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::strict_json::{Key, MAX_PAYLOAD_MEMBERS, MemberBudget, StrictValue};

/// Largest accepted NumericDate: 9999-12-31T23:59:59Z.
pub(crate) const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// The claims of a verified token: the registered and Cognito claims typed, everything else
/// in [`Claims::extra`].
///
/// Every typed claim was checked for its JSON type: a token whose `exp` is a string, whose
/// `client_id` is an array or whose `cognito:groups` is not an array of strings was rejected
/// before any of this exists. `Debug` shows only non-personal fields.
#[derive(Clone, Default, PartialEq)]
pub struct Claims {
    pub(crate) iss: Option<String>,
    pub(crate) sub: Option<String>,
    pub(crate) jti: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) token_use: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iat: Option<i64>,
    pub(crate) auth_time: Option<i64>,
    pub(crate) aud: Option<Vec<String>>,
    pub(crate) groups: Option<Vec<String>>,
    pub(crate) scope: Option<Value>,
    pub(crate) scp: Option<Value>,
    pub(crate) extra: Map<String, Value>,
}

impl Claims {
    /// `iss`: the issuer, equal byte for byte to a configured issuer.
    #[must_use]
    pub fn issuer(&self) -> &str {
        self.iss.as_deref().unwrap_or_default()
    }

    /// `sub`: the subject. For Cognito client-credentials tokens this is the client id.
    #[must_use]
    pub fn subject(&self) -> Option<&str> {
        self.sub.as_deref()
    }

    /// `client_id`: the app client (Cognito access tokens, RFC 9068).
    #[must_use]
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// `token_use`: `access` or `id` for Cognito tokens.
    #[must_use]
    pub fn token_use(&self) -> Option<&str> {
        self.token_use.as_deref()
    }

    /// `jti`: the token id.
    #[must_use]
    pub fn token_id(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// `username` (Cognito user tokens).
    #[must_use]
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
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
    #[must_use]
    pub fn audience(&self) -> &[String] {
        self.aud.as_deref().unwrap_or_default()
    }

    /// `cognito:groups`; empty when absent.
    #[must_use]
    pub fn groups(&self) -> &[String] {
        self.groups.as_deref().unwrap_or_default()
    }

    /// Any claim by name, as JSON (typed claims included, rendered back to JSON).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Value> {
        let string = |v: &Option<String>| v.clone().map(Value::String);
        let number = |v: &Option<i64>| v.map(Value::from);
        let list = |v: &Option<Vec<String>>| v.clone().map(Value::from);
        match name {
            "iss" => string(&self.iss),
            "sub" => string(&self.sub),
            "jti" => string(&self.jti),
            "client_id" => string(&self.client_id),
            "token_use" => string(&self.token_use),
            "username" => string(&self.username),
            "exp" => number(&self.exp),
            "nbf" => number(&self.nbf),
            "iat" => number(&self.iat),
            "auth_time" => number(&self.auth_time),
            "aud" => list(&self.aud),
            "cognito:groups" => list(&self.groups),
            "scope" => self.scope.clone(),
            "scp" => self.scp.clone(),
            other => self.extra.get(other).cloned(),
        }
    }

    /// A raw claim that is not one of the typed ones (borrowed).
    pub(crate) fn raw(&self, name: &str) -> Option<&Value> {
        match name {
            "scope" => self.scope.as_ref(),
            "scp" => self.scp.as_ref(),
            other => self.extra.get(other),
        }
    }

    /// A claim as a string, for policy checks on configurable names.
    pub(crate) fn string_claim(&self, name: &str) -> Result<Option<&str>, ()> {
        match name {
            "client_id" => Ok(self.client_id()),
            "sub" => Ok(self.subject()),
            "iss" => Ok(self.iss.as_deref()),
            "token_use" => Ok(self.token_use()),
            "jti" => Ok(self.token_id()),
            "username" => Ok(self.username()),
            other => match self.raw(other) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(()),
            },
        }
    }

    /// Claims other than the typed ones (custom claims, `version`, `origin_jti`, ...).
    #[must_use]
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }

    pub(crate) fn heap_size(&self) -> usize {
        fn s(v: &Option<String>) -> usize {
            v.as_ref().map_or(0, |s| s.len() + 8)
        }
        fn l(v: &Option<Vec<String>>) -> usize {
            v.as_ref()
                .map_or(0, |l| l.iter().map(|s| s.len() + 24).sum::<usize>())
        }
        fn j(v: &Value) -> usize {
            match v {
                Value::String(s) => s.len() + 24,
                Value::Array(a) => a.iter().map(j).sum::<usize>() + 24,
                Value::Object(o) => o.iter().map(|(k, v)| k.len() + 48 + j(v)).sum::<usize>(),
                _ => 0,
            }
        }
        s(&self.iss)
            + s(&self.sub)
            + s(&self.jti)
            + s(&self.client_id)
            + s(&self.token_use)
            + s(&self.username)
            + l(&self.aud)
            + l(&self.groups)
            + self.scope.as_ref().map_or(0, j)
            + self.scp.as_ref().map_or(0, j)
            + self
                .extra
                .iter()
                .map(|(k, v)| k.len() + 48 + j(v))
                .sum::<usize>()
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Subject, username, groups and custom claims can be personal data: not printed.
        f.debug_struct("Claims")
            .field("iss", &self.iss)
            .field("client_id", &self.client_id)
            .field("token_use", &self.token_use)
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
fn numeric_date(value: &Value) -> Date {
    let Value::Number(number) = value else {
        return Date::WrongType;
    };
    if let Some(v) = number.as_i64() {
        return if (0..=MAX_NUMERIC_DATE).contains(&v) {
            Date::Ok(v)
        } else {
            Date::OutOfRange
        };
    }
    match number.as_f64() {
        #[allow(clippy::cast_possible_truncation)]
        Some(v) if v.is_finite() && (0.0..=MAX_NUMERIC_DATE as f64).contains(&v) => {
            Date::Ok(v.floor() as i64)
        }
        _ => Date::OutOfRange,
    }
}

fn string_list(value: Value, single_allowed: bool) -> Result<Vec<String>, ()> {
    match value {
        Value::String(s) if single_allowed => Ok(vec![s]),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(()),
            })
            .collect(),
        _ => Err(()),
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = ParsedClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ParsedClaims, A::Error> {
        let mut parsed = ParsedClaims::default();
        let seed = StrictValue {
            duplicate: self.duplicate,
            budget: self.budget,
        };
        // Typed claims seen so far, one bit each: a repeat is a duplicate whatever the type
        // of either copy (a slot stays empty after a wrong-typed first copy).
        let mut seen: u16 = 0;
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            self.budget.take()?;
            let value = map.next_value_seed(seed)?;
            let c = &mut parsed.claims;
            let (field, name, bit): (Field<'_>, &'static str, u16) = match &*name {
                "iss" => (Field::Str(&mut c.iss), "iss", 1 << 0),
                "sub" => (Field::Str(&mut c.sub), "sub", 1 << 1),
                "jti" => (Field::Str(&mut c.jti), "jti", 1 << 2),
                "client_id" => (Field::Str(&mut c.client_id), "client_id", 1 << 3),
                "token_use" => (Field::Str(&mut c.token_use), "token_use", 1 << 4),
                "username" => (Field::Str(&mut c.username), "username", 1 << 5),
                "exp" => (Field::Date(&mut c.exp), "exp", 1 << 6),
                "nbf" => (Field::Date(&mut c.nbf), "nbf", 1 << 7),
                "iat" => (Field::Date(&mut c.iat), "iat", 1 << 8),
                "auth_time" => (Field::Date(&mut c.auth_time), "auth_time", 1 << 9),
                "aud" => (Field::List(&mut c.aud, true), "aud", 1 << 10),
                "cognito:groups" => (Field::List(&mut c.groups, false), "cognito:groups", 1 << 11),
                "scope" => (Field::Raw(&mut c.scope), "scope", 1 << 12),
                "scp" => (Field::Raw(&mut c.scp), "scp", 1 << 13),
                _ => {
                    if c.extra.insert(name.into_owned(), value).is_some() {
                        parsed.duplicate = true;
                    }
                    continue;
                }
            };
            let repeated = seen & bit != 0;
            seen |= bit;
            let wrong_type = &mut parsed.wrong_type;
            let out_of_range = &mut parsed.out_of_range;
            let mut note_type = || {
                wrong_type.get_or_insert(name);
            };
            match field {
                Field::Str(slot) => match value {
                    Value::String(s) if !repeated => *slot = Some(s),
                    Value::String(_) => {}
                    _ => note_type(),
                },
                Field::Date(slot) => match numeric_date(&value) {
                    Date::Ok(v) if !repeated => *slot = Some(v),
                    Date::Ok(_) => {}
                    Date::WrongType => note_type(),
                    Date::OutOfRange => {
                        out_of_range.get_or_insert(name);
                    }
                },
                Field::List(slot, single) => match string_list(value, single) {
                    Ok(list) if !repeated => *slot = Some(list),
                    Ok(_) => {}
                    Err(()) => note_type(),
                },
                Field::Raw(slot) => {
                    if !repeated {
                        *slot = Some(value);
                    }
                }
            }
            parsed.duplicate |= repeated;
        }
        Ok(parsed)
    }
}

enum Field<'a> {
    Str(&'a mut Option<String>),
    Date(&'a mut Option<i64>),
    List(&'a mut Option<Vec<String>>, bool),
    Raw(&'a mut Option<Value>),
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
        assert_eq!(parse(r#"{"aud":"a"}"#).claims.audience(), ["a"]);
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
