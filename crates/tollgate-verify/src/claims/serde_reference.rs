//! The `serde_json`-based claims parser that `parser.rs` replaced, kept verbatim as the
//! reference of the differential property test in `parser.rs`: the two must accept and refuse
//! the same payloads, with the same findings and the same claims.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::parser::ParsedClaims;
use super::{Raw, Span, Spans};
use crate::strict_json::MAX_PAYLOAD_MEMBERS;
use crate::strict_json::serde_seeds::{Key, MemberBudget, StrictValue};

/// Largest accepted NumericDate: 9999-12-31T23:59:59Z.
const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

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

/// Parses a payload the way tollgate did before `parser.rs`.
pub(super) fn parse(bytes: &[u8]) -> Result<ParsedClaims, serde_json::Error> {
    let duplicate = Cell::new(false);
    let budget = MemberBudget::new(MAX_PAYLOAD_MEMBERS);
    let text =
        std::str::from_utf8(bytes).map_err(|_| serde::de::Error::custom("payload is not UTF-8"))?;
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
                            c.aud = Some(Spans::from(&list[..]));
                        } else {
                            c.groups = Some(Spans::from(&list[..]));
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
        parsed.claims.text = text.0;
        parsed.claims.extra = extra.into_boxed_slice();
        Ok(parsed)
    }
}
