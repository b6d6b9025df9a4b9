//! The JOSE header of a compact JWS, read strictly.

use std::borrow::Cow;

use serde_json::Value;
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
    /// The AWS ALB members, when the header has a `signer` (only an ALB issuer reads them).
    pub(crate) alb: Option<AlbHeader<'a>>,
}

/// The members an AWS Application Load Balancer puts in its tokens' header (`Err(())`: a
/// member of the wrong JSON type), borrowed from the decoded header.
#[derive(Debug)]
pub(crate) struct AlbHeader<'a> {
    pub(crate) signer: Result<Cow<'a, str>, ()>,
    pub(crate) client: Option<Result<Cow<'a, str>, ()>>,
    pub(crate) iss: Option<Result<Cow<'a, str>, ()>>,
    pub(crate) exp: Option<Value>,
}

/// The header checks of every verification path, in this order: (canonical base64url, checked
/// when it was decoded) a strict UTF-8 JSON object, no duplicate member, `alg` on the allowlist, no `crit`, no key
/// material or key location (`jku`, `jwk`, `x5u`, `x5c`) and no JWE parameter, and a `kid`
/// that is a non-empty string of at most `max_kid_len` bytes. `header` is the decoded header
/// ([`crate::compact::split_and_decode`] decoded it, strictly; the ALB path decodes padded
/// segments itself).
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
pub(crate) struct Header<'a> {
    /// `alg`: `Some(Ok(..))` when a string, `Some(Err(()))` when another JSON type.
    pub(crate) alg: Option<Result<Cow<'a, str>, ()>>,
    pub(crate) kid: Option<Result<Cow<'a, str>, ()>>,
    pub(crate) typ: Option<Result<Cow<'a, str>, ()>>,
    /// AWS ALB members: `signer`, `client`, `iss` (strings) and `exp` (a number).
    pub(crate) signer: Option<Result<Cow<'a, str>, ()>>,
    pub(crate) client: Option<Result<Cow<'a, str>, ()>>,
    pub(crate) iss: Option<Result<Cow<'a, str>, ()>>,
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
                "signer" => &mut header.signer,
                "client" => &mut header.client,
                "iss" => &mut header.iss,
                "exp" => {
                    // Any JSON value: the ALB path checks that it is a NumericDate.
                    let value = reader.value()?;
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
    fn reads_alb_members() {
        let h = Header::parse(
            br#"{"alg":"ES256","kid":"k","signer":"arn:aws:x","client":"c","iss":"https://i","exp":1700000000}"#,
        )
        .unwrap();
        assert_eq!(h.signer, Some(Ok("arn:aws:x".into())));
        assert_eq!(h.client, Some(Ok("c".into())));
        assert_eq!(h.iss, Some(Ok("https://i".into())));
        assert_eq!(h.exp, Some(Value::from(1_700_000_000u64)));
        assert!(!h.duplicate);

        let h = Header::parse(br#"{"signer":1,"client":[],"iss":null,"exp":"1"}"#).unwrap();
        assert_eq!(
            (h.signer, h.client, h.iss),
            (Some(Err(())), Some(Err(())), Some(Err(())))
        );
        assert_eq!(h.exp, Some(Value::from("1")));
        assert!(Header::parse(br#"{"exp":1,"exp":2}"#).unwrap().duplicate);
        assert!(
            Header::parse(br#"{"exp":{"a":1,"a":1}}"#)
                .unwrap()
                .duplicate
        );
        assert!(
            Header::parse(br#"{"signer":"a","sign\u0065r":"b"}"#)
                .unwrap()
                .duplicate
        );
        assert!(Header::parse(br#"{"exp":1e400}"#).is_err());

        let checked = check(
            br#"{"alg":"ES256","kid":"k","signer":"arn:aws:x","exp":1.5}"#,
            &[Algorithm::Es256],
            DEFAULT_MAX_KID_LEN,
        )
        .unwrap();
        let alb = checked.alb.unwrap();
        assert_eq!(alb.signer, Ok("arn:aws:x".into()));
        assert_eq!((alb.client, alb.iss), (None, None));
        assert_eq!(alb.exp, Some(Value::from(1.5)));
        let plain = check(
            br#"{"alg":"ES256","kid":"k","client":"c","exp":1}"#,
            &[Algorithm::Es256],
            DEFAULT_MAX_KID_LEN,
        )
        .unwrap();
        assert!(plain.alb.is_none(), "no signer: not an ALB header");
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
