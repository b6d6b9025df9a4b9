//! The JOSE header of a compact JWS, read strictly.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use tollgate_jwks::Algorithm;

use crate::compact::{self, Segments};
use crate::strict_json::{MAX_HEADER_MEMBERS, MemberBudget, StrictValue};
use crate::{Part, VerifyError};

/// Default longest accepted `kid`, in bytes.
pub(crate) const DEFAULT_MAX_KID_LEN: usize = 256;

/// What the header checks leave: the algorithm to verify with, the key id, and `typ` (for
/// the issuer's type policy, which only the JWT path applies).
#[derive(Debug)]
pub(crate) struct CheckedHeader {
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: String,
    /// `typ`: `Some(Ok(..))` when a string, `Some(Err(()))` when another JSON type.
    pub(crate) typ: Option<Result<String, ()>>,
    /// The AWS ALB members, when the header has a `signer` (only an ALB issuer reads them).
    pub(crate) alb: Option<AlbHeader>,
}

/// The members an AWS Application Load Balancer puts in its tokens' header (`Err(())`: a
/// member of the wrong JSON type).
#[derive(Debug)]
pub(crate) struct AlbHeader {
    pub(crate) signer: Result<String, ()>,
    pub(crate) client: Option<Result<String, ()>>,
    pub(crate) iss: Option<Result<String, ()>>,
    pub(crate) exp: Option<Value>,
}

/// The header checks of every verification path, in this order: canonical base64url, a
/// strict UTF-8 JSON object, no duplicate member, `alg` on the allowlist, no `crit`, no key
/// material or key location (`jku`, `jwk`, `x5u`, `x5c`) and no JWE parameter, and a `kid`
/// that is a non-empty string of at most `max_kid_len` bytes.
pub(crate) fn check(
    segments: &Segments<'_>,
    algorithms: &[Algorithm],
    max_kid_len: usize,
) -> Result<CheckedHeader, VerifyError> {
    let bytes = compact::decode(segments.header).map_err(|_| VerifyError::MalformedHeader)?;
    check_decoded(&bytes, algorithms, max_kid_len)
}

/// [`check`] of an already decoded header (the ALB path decodes padded segments itself).
pub(crate) fn check_decoded(
    bytes: &[u8],
    algorithms: &[Algorithm],
    max_kid_len: usize,
) -> Result<CheckedHeader, VerifyError> {
    let header = Header::parse(bytes).map_err(|_| VerifyError::MalformedHeader)?;
    if header.duplicate {
        return Err(VerifyError::DuplicateMember(Part::Header));
    }
    let algorithm = match &header.alg {
        Some(Ok(name)) => Algorithm::from_jose(name)
            .filter(|alg| algorithms.contains(alg))
            .ok_or(VerifyError::AlgorithmNotAllowed)?,
        _ => return Err(VerifyError::AlgorithmNotAllowed),
    };
    if header.crit {
        return Err(VerifyError::CriticalHeader);
    }
    if header.key_reference || header.encryption {
        return Err(VerifyError::ForbiddenHeader);
    }
    let kid = match header.kid {
        None => return Err(VerifyError::MissingKid),
        Some(Ok(kid)) if !kid.is_empty() && kid.len() <= max_kid_len => kid,
        Some(_) => return Err(VerifyError::InvalidKid),
    };
    let alb = header.signer.map(|signer| AlbHeader {
        signer,
        client: header.client,
        iss: header.iss,
        exp: header.exp,
    });
    Ok(CheckedHeader {
        algorithm,
        kid,
        typ: header.typ,
        alb,
    })
}

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
        while let Some(crate::strict_json::Key(name)) =
            map.next_key::<crate::strict_json::Key<'de>>()?
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
mod tests {
    use super::*;

    #[test]
    fn reads_members_and_flags() {
        let h = Header::parse(br#"{"alg":"RS256","kid":"k","typ":"JWT","x":1}"#).unwrap();
        assert_eq!(h.alg, Some(Ok("RS256".into())));
        assert_eq!(h.kid, Some(Ok("k".into())));
        assert!(!h.duplicate && !h.crit && !h.key_reference && !h.encryption);

        let h = Header::parse(br#"{"alg":"RS256","al\u0067":"none"}"#).unwrap();
        assert!(h.duplicate);
        let h = Header::parse(br#"{"alg":"RS256","x":1,"x":2}"#).unwrap();
        assert!(h.duplicate);
        let h = Header::parse(br#"{"alg":["RS256"],"kid":7}"#).unwrap();
        assert_eq!(h.alg, Some(Err(())));
        assert_eq!(h.kid, Some(Err(())));
        assert!(Header::parse(br#"{"alg":"RS256","crit":[]}"#).unwrap().crit);
        assert!(
            Header::parse(br#"{"alg":"RS256","jku":"https://x"}"#)
                .unwrap()
                .key_reference
        );
        assert!(
            Header::parse(br#"{"alg":"RS256","enc":"A128GCM"}"#)
                .unwrap()
                .encryption
        );
    }

    #[test]
    fn member_count_is_bounded() {
        let members = |n: usize| {
            let body: Vec<String> = (0..n).map(|i| format!("\"m{i}\":{i}")).collect();
            format!("{{\"alg\":\"RS256\",{}}}", body.join(","))
        };
        assert!(Header::parse(members(MAX_HEADER_MEMBERS - 1).as_bytes()).is_ok());
        assert!(Header::parse(members(MAX_HEADER_MEMBERS).as_bytes()).is_err());
        let nested = format!(
            "{{\"alg\":\"RS256\",\"x\":{{{}}}}}",
            (0..MAX_HEADER_MEMBERS)
                .map(|i| format!("\"n{i}\":1"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(Header::parse(nested.as_bytes()).is_err());
    }

    #[test]
    fn rejects_non_objects_and_trailing_data() {
        assert!(Header::parse(b"[]").is_err());
        assert!(Header::parse(b"\"x\"").is_err());
        assert!(Header::parse(b"null").is_err());
        assert!(Header::parse(br#"{"alg":"RS256"}xyz"#).is_err());
        assert!(Header::parse(b"\xef\xbb\xbf{\"alg\":\"RS256\"}").is_err());
        assert!(Header::parse(b"{\"alg\":\"\xff\"}").is_err());
        assert!(Header::parse(b"{ \"alg\" :\n\t\"RS256\" }").is_ok());
    }
}
