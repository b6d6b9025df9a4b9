//! Strict JSON for JOSE: the limits, and the `serde_json` seeds the parsers used before
//! `json_reader.rs`.
//!
//! RFC 7515 §4 and RFC 7519 §4 let a parser either reject duplicate member names or keep the
//! last one. Keeping one silently invites parser differentials (a downstream consumer may keep
//! the other), so tollgate rejects them, at every depth, and bounds the number of object
//! members. The parsers read with [`crate::json_reader::Reader`]; the `serde_json` seeds below
//! remain as the reference implementation their differential property tests compare with.

/// Most object members (at every depth) a JOSE header may have.
pub(crate) const MAX_HEADER_MEMBERS: usize = 32;
/// Most object members (at every depth) a claims set may have.
pub(crate) const MAX_PAYLOAD_MEMBERS: usize = 256;

/// The `serde_json` seeds: duplicate-detecting values, borrowed member names, the member
/// budget (the reference implementation of the differential tests).
#[cfg(test)]
pub(crate) mod serde_seeds {
    use std::borrow::Cow;
    use std::cell::Cell;
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Number, Value};

    /// A member name, borrowed from the input when it has no escapes.
    ///
    /// serde's own `Cow<str>` always allocates: on a Cognito payload that was 14 allocations per
    /// token for names matched and dropped at once (measured in `benches/layer.rs`).
    pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct KeyVisitor;

            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key<'de>;

                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a member name")
                }

                fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Borrowed(v)))
                }

                fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(v.to_owned())))
                }

                fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(v)))
                }
            }

            deserializer.deserialize_str(KeyVisitor)
        }
    }

    /// Counts object members against a budget, so that a token made of thousands of tiny members
    /// is refused early instead of costing many RSA checks' worth of parsing.
    pub(crate) struct MemberBudget(Cell<usize>);

    impl MemberBudget {
        pub(crate) fn new(limit: usize) -> Self {
            Self(Cell::new(limit))
        }

        /// Takes one member from the budget, or fails the parse.
        pub(crate) fn take<E: serde::de::Error>(&self) -> Result<(), E> {
            match self.0.get().checked_sub(1) {
                Some(left) => {
                    self.0.set(left);
                    Ok(())
                }
                None => Err(E::custom("too many JSON object members")),
            }
        }
    }

    /// Deserializes one JSON value, setting `duplicate` when any object in it repeats a name and
    /// failing when the member budget runs out.
    #[derive(Clone, Copy)]
    pub(crate) struct StrictValue<'f> {
        pub(crate) duplicate: &'f Cell<bool>,
        pub(crate) budget: &'f MemberBudget,
    }

    impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
        type Value = Value;

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for StrictValue<'_> {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }

        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }

        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }

        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
        }

        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }

        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }

        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(item) = seq.next_element_seed(self)? {
                items.push(item);
            }
            Ok(Value::Array(items))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut object = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                self.budget.take()?;
                let value = map.next_value_seed(self)?;
                if object.insert(key, value).is_some() {
                    self.duplicate.set(true);
                }
            }
            Ok(Value::Object(object))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::super::MAX_PAYLOAD_MEMBERS;
        use super::*;

        fn parse(json: &str) -> (Value, bool) {
            let flag = Cell::new(false);
            let budget = MemberBudget::new(MAX_PAYLOAD_MEMBERS);
            let mut de = serde_json::Deserializer::from_str(json);
            let value = StrictValue {
                duplicate: &flag,
                budget: &budget,
            }
            .deserialize(&mut de)
            .unwrap();
            de.end().unwrap();
            (value, flag.get())
        }

        #[test]
        fn keys_are_borrowed_unless_escaped() {
            let mut de = serde_json::Deserializer::from_str(r#""plain""#);
            assert!(matches!(
                Key::deserialize(&mut de).unwrap().0,
                Cow::Borrowed("plain")
            ));
            let mut de = serde_json::Deserializer::from_str(r#""\u0061b""#);
            let key = Key::deserialize(&mut de).unwrap().0;
            assert!(matches!(&key, Cow::Owned(k) if k == "ab"));
            let mut de = serde_json::Deserializer::from_str("1");
            assert!(Key::deserialize(&mut de).is_err());
        }

        #[test]
        fn nested_duplicates_are_flagged() {
            assert!(!parse(r#"{"a":{"b":1,"c":[{"d":2}]}}"#).1);
            assert!(parse(r#"{"a":{"b":1,"b":2}}"#).1);
            assert!(parse(r#"[{"x":1,"x":1}]"#).1);
            assert!(parse(r#"{"a":1,"\u0061":2}"#).1);
        }
    }
}
