//! The JOSE header of a compact JWS, read strictly.

use std::borrow::Cow;

use smallvec::SmallVec;
use tollgate_jwks::Algorithm;

use crate::compact::DecodeBuf;
use crate::json_reader::{Malformed, Next, Reader};
use crate::strict_json::MAX_HEADER_MEMBERS;
use crate::{Part, VerifyError};

/// Default longest accepted `kid`, in bytes.
pub(crate) const DEFAULT_MAX_KID_LEN: usize = 256;

/// Room for a decoded header: headers longer than this are decoded on the heap.
pub(crate) type HeaderBuf = DecodeBuf<512>;

/// What the header checks leave: the algorithm to verify with, the key id, and `typ` (for
/// the issuer's type policy, which only the JWT path applies), borrowed from the decoded
/// header.
#[derive(Debug)]
pub(crate) struct CheckedHeader<'a> {
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: Cow<'a, str>,
    /// `typ`: `Some(Ok(..))` when a string, `Some(Err(()))` when another JSON type.
    pub(crate) typ: Option<Result<Cow<'a, str>, ()>>,
}

/// The header checks of every verification path, in this order: (canonical base64url, checked
/// when it was decoded) a strict UTF-8 JSON object, no duplicate member, `alg` on the allowlist, no `crit`, no key
/// material or key location (`jku`, `jwk`, `x5u`, `x5c`) and no JWE parameter, and a `kid`
/// that is a non-empty string of at most `max_kid_len` bytes. `header` is the decoded header
/// ([`crate::compact::split_and_decode`] decoded it, strictly).
pub(crate) fn check<'b>(
    header: &'b [u8],
    algorithms: &[Algorithm],
    max_kid_len: usize,
) -> Result<CheckedHeader<'b>, VerifyError> {
    let header = Header::parse(header).map_err(|_| VerifyError::MalformedHeader)?;
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
    Ok(CheckedHeader {
        algorithm,
        kid,
        typ: header.typ,
    })
}

/// What the header says, and which forbidden or suspicious members it carried.
#[derive(Debug, Default)]
pub(crate) struct Header<'a> {
    /// `alg`: `Some(Ok(..))` when a string, `Some(Err(()))` when another JSON type.
    pub(crate) alg: Option<Result<Cow<'a, str>, ()>>,
    pub(crate) kid: Option<Result<Cow<'a, str>, ()>>,
    pub(crate) typ: Option<Result<Cow<'a, str>, ()>>,
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

impl<'a> Header<'a> {
    /// Reads a header: a UTF-8 JSON object, nothing after it (strings borrowed from `bytes`).
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, Malformed> {
        let text = std::str::from_utf8(bytes).map_err(|_| Malformed)?;
        let mut reader = Reader::new(text, MAX_HEADER_MEMBERS);
        reader.begin_object()?;
        let mut header = Header::default();
        let mut others: SmallVec<[Cow<'a, str>; 4]> = SmallVec::new();
        let mut first = true;
        while let Some(name) = reader.next_member(&mut first)? {
            let slot = match &*name {
                "alg" => &mut header.alg,
                "kid" => &mut header.kid,
                "typ" => &mut header.typ,
                other => {
                    match other {
                        "crit" => header.crit = true,
                        "jku" | "jwk" | "x5u" | "x5c" => header.key_reference = true,
                        "enc" | "zip" | "p2c" | "p2s" | "epk" | "apu" | "apv" | "iv" | "tag" => {
                            header.encryption = true;
                        }
                        _ => {}
                    }
                    reader.skip_value()?;
                    if others.contains(&name) {
                        header.duplicate = true;
                    } else {
                        others.push(name);
                    }
                    continue;
                }
            };
            let value = match reader.next() {
                Next::String => Ok(reader.string()?),
                _ => {
                    reader.skip_value()?;
                    Err(())
                }
            };
            if slot.is_some() {
                header.duplicate = true;
            } else {
                *slot = Some(value);
            }
        }
        reader.end()?;
        header.duplicate |= reader.duplicate();
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
