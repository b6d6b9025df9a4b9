//! The `serde_json`-based JOSE header parser that `header.rs` replaced, kept verbatim as the
//! reference of a differential property test: both must accept and refuse the same headers,
//! with the same members and flags.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::strict_json::MAX_HEADER_MEMBERS;
use crate::strict_json::serde_seeds::{MemberBudget, StrictValue};

/// What the header says, and which forbidden or suspicious members it carried.
#[derive(Debug, Default)]
pub(crate) struct Header {
    /// `alg`: `Some(Ok(..))` when a string, `Some(Err(()))` when another JSON type.
    pub(crate) alg: Option<Result<String, ()>>,
    pub(crate) kid: Option<Result<String, ()>>,
    pub(crate) typ: Option<Result<String, ()>>,
    /// AWS ALB members: `signer`, `client`, `iss` (strings) and `exp` (a number).
    pub(crate) signer: Option<Result<String, ()>>,
    pub(crate) client: Option<Result<String, ()>>,
    pub(crate) iss: Option<Result<String, ()>>,
    pub(crate) exp: Option<Value>,
    /// `crit` was present (any value).
    pub(crate) crit: bool,
    /// `jku`, `jwk`, `x5u` or `x5c` was present: key material or locations chosen by the
    /// token. Never used; such tokens are refused.
    pub(crate) key_reference: bool,
    /// JWE-only members (`enc`, `zip`, `p2c`, `epk`, ...) were present.
    pub(crate) encryption: bool,
    /// A member name appeared twice (at any depth).
    pub(crate) duplicate: bool,
}

impl Header {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let duplicate = Cell::new(false);
        let budget = MemberBudget::new(MAX_HEADER_MEMBERS);
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let mut header = HeaderSeed {
            duplicate: &duplicate,
            budget: &budget,
        }
        .deserialize(&mut de)?;
        de.end()?;
        header.duplicate |= duplicate.get();
        Ok(header)
    }
}

struct HeaderSeed<'f> {
    duplicate: &'f Cell<bool>,
    budget: &'f MemberBudget,
}

impl<'de> DeserializeSeed<'de> for HeaderSeed<'_> {
    type Value = Header;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Header, D::Error> {
        deserializer.deserialize_map(self)
    }
}

fn string(value: Value) -> Result<String, ()> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(()),
    }
}

impl<'de> Visitor<'de> for HeaderSeed<'_> {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut header = Header::default();
        let mut others: Vec<String> = Vec::new();
        let seed = StrictValue {
            duplicate: self.duplicate,
            budget: self.budget,
        };
        while let Some(crate::strict_json::serde_seeds::Key(name)) =
            map.next_key::<crate::strict_json::serde_seeds::Key<'de>>()?
        {
            self.budget.take()?;
            let value = map.next_value_seed(seed)?;
            let slot = match &*name {
                "alg" => &mut header.alg,
                "kid" => &mut header.kid,
                "typ" => &mut header.typ,
                "signer" => &mut header.signer,
                "client" => &mut header.client,
                "iss" => &mut header.iss,
                "exp" => {
                    if header.exp.is_some() {
                        header.duplicate = true;
                    } else {
                        header.exp = Some(value);
                    }
                    continue;
                }
                other => {
                    match other {
                        "crit" => header.crit = true,
                        "jku" | "jwk" | "x5u" | "x5c" => header.key_reference = true,
                        "enc" | "zip" | "p2c" | "p2s" | "epk" | "apu" | "apv" | "iv" | "tag" => {
                            header.encryption = true;
                        }
                        _ => {}
                    }
                    if others.iter().any(|seen| seen == other) {
                        header.duplicate = true;
                    } else {
                        others.push(other.to_owned());
                    }
                    continue;
                }
            };
            if slot.is_some() {
                header.duplicate = true;
            } else {
                *slot = Some(string(value));
            }
        }
        Ok(header)
    }
}

#[cfg(test)]
mod differential {
    use proptest::prelude::*;

    use super::Header as Reference;
    use crate::header::Header;

    fn same(bytes: &[u8]) -> Result<(), TestCaseError> {
        let old = Reference::parse(bytes);
        let new = Header::parse(bytes);
        match (old, new) {
            (Err(_), Err(_)) => {}
            (Ok(old), Ok(new)) => {
                let owned = |v: &Option<Result<std::borrow::Cow<'_, str>, ()>>| {
                    v.as_ref()
                        .map(|r| r.as_ref().map(|s| s.to_string()).map_err(|_| ()))
                };
                prop_assert_eq!(old.alg, owned(&new.alg));
                prop_assert_eq!(old.kid, owned(&new.kid));
                prop_assert_eq!(old.typ, owned(&new.typ));
                prop_assert_eq!(old.signer, owned(&new.signer));
                prop_assert_eq!(old.client, owned(&new.client));
                prop_assert_eq!(old.iss, owned(&new.iss));
                prop_assert_eq!(old.exp, new.exp);
                prop_assert_eq!(
                    (old.crit, old.key_reference, old.encryption, old.duplicate),
                    (new.crit, new.key_reference, new.encryption, new.duplicate)
                );
            }
            (old, new) => prop_assert!(
                false,
                "reference ok: {}, new ok: {} for {:?}",
                old.is_ok(),
                new.is_ok(),
                String::from_utf8_lossy(bytes)
            ),
        }
        Ok(())
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(&[
                "alg", "kid", "typ", "crit", "jku", "jwk", "x5u", "x5c", "enc", "zip", "p2c",
                "p2s", "epk", "apu", "apv", "iv", "tag", "cty", "x5t", "b64", "signer", "client",
                "iss", "exp",
            ][..]).prop_map(str::to_owned),
            1 => "[a-z]{0,3}",
            1 => proptest::sample::select(&["\\u0061lg", "k\\u0069d", "\\u0074yp", "cr\\u0069t", "\\ud800", "\\u00e9", "s\\u0069gner", "\\u0065xp"][..]).prop_map(str::to_owned),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            3 => "\"[ -!#-\\[\\]-~]{0,10}\"",
            2 => proptest::sample::select(&["\"RS256\"", "\"none\"", "\"JWT\"", "\"\\u0052S256\"", "\"\\ud83d\\ude00\"", "\"\\udc00\"", "\"a\\x\""][..]).prop_map(str::to_owned),
            1 => proptest::sample::select(&["1", "-1", "1.5", "1e400", "true", "false", "null", "01", "[]", "{}"][..]).prop_map(str::to_owned),
            1 => proptest::sample::select(&["1700000000", "1700000000.9", "-0", "0.0", "1e3", "-1E-2", "18446744073709551616", "-9223372036854775809", "253402300799", "1e308"][..]).prop_map(str::to_owned),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec((name(), inner), 0..4).prop_map(|m| {
                    let members: Vec<String> =
                        m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    fn header() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            (
                name(),
                value(),
                proptest::sample::select(&["", " ", "\n"][..]),
            ),
            0..8,
        )
        .prop_map(|members| {
            let members: Vec<String> = members
                .iter()
                .map(|(k, v, space)| format!("{space}\"{k}\"{space}:{v}"))
                .collect();
            format!("{{{}}}", members.join(","))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn same_result_on_generated_headers(header in header()) {
            same(header.as_bytes())?;
        }

        #[test]
        fn same_result_on_damaged_headers(
            header in header(),
            at in any::<usize>(),
            byte in prop_oneof![any::<u8>(), proptest::sample::select(&b"{}[],:\"\\ 0"[..])],
            cut in any::<bool>(),
        ) {
            let mut bytes = header.into_bytes();
            let at = at % (bytes.len() + 1);
            if cut {
                bytes.truncate(at);
            } else {
                bytes.insert(at, byte);
            }
            same(&bytes)?;
        }

        #[test]
        fn same_result_on_alb_headers(
            members in proptest::sample::subsequence(
                &["alg", "kid", "signer", "client", "iss", "exp", "typ", "exp", "signer"][..],
                0..=9,
            ).prop_shuffle(),
            values in proptest::collection::vec(value(), 9),
        ) {
            // Every ALB member (repeated ones too), with values of every JSON type.
            let members: Vec<String> = members
                .iter()
                .zip(&values)
                .map(|(name, value)| format!("\"{name}\":{value}"))
                .collect();
            same(format!("{{{}}}", members.join(",")).as_bytes())?;
        }

        #[test]
        fn same_result_on_member_counts(extra in 25usize..40, nested in any::<bool>()) {
            let members: Vec<String> = (0..extra).map(|i| format!("\"m{i}\":{i}")).collect();
            let header = if nested {
                format!("{{\"alg\":\"RS256\",\"x\":{{{}}}}}", members.join(","))
            } else {
                format!("{{\"alg\":\"RS256\",{}}}", members.join(","))
            };
            same(header.as_bytes())?;
        }
    }
}
