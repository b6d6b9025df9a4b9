//! AWS Application Load Balancer tokens (`x-amzn-oidc-data`), for ALB issuers only.
//!
//! An ALB signs its user-claims tokens ES256 and encodes every segment as base64url *with*
//! `=` padding, which RFC 7515 forbids and [`crate::compact::split_and_decode`] refuses. A token
//! reaches this path only when a verifier trusts an ALB issuer and the token's header has a
//! `signer`:
//!
//! - a token the strict parser refused is read again with [`split_padded`], which accepts
//!   canonical padding at the end of each segment and nothing else; if its header has no
//!   `signer` the strict parser's refusal stands, so every other issuer stays strict;
//! - the token is routed by `signer` (never by the claims' `iss`) to the ALB issuer that lists
//!   it; `alg` on its list (ES256), a plain `kid` (it becomes part of a URL), the header's
//!   `client`, `iss` and `exp`, then the claims and the time checks, before any key lookup.

use std::borrow::Cow;

use tollgate_jwks::is_plain_kid;

use crate::claims::ParsedClaims;
use crate::compact::DecodeBuf;
use crate::custom::{CustomClaims, reads_payload};
use crate::header::{self, AlbHeader, CheckedHeader, Header, HeaderBuf};
use crate::token_cache::Digest;
use crate::verifier::{Checked, Signed, Step, secs};
use crate::{Malformed, Part, Scopes, Verifier, VerifyError};

/// Largest accepted NumericDate: 9999-12-31T23:59:59Z (as for the claims).
const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// Whether the verifier trusts an AWS ALB issuer.
pub(crate) fn has_alb_issuer<C>(verifier: &Verifier<C>) -> bool {
    verifier
        .inner
        .issuers
        .iter()
        .any(|trusted| trusted.policy.is_alb())
}

/// One segment of an ALB token: its base64url text without the padding.
fn unpadded(segment: &str) -> Option<&str> {
    let body = segment.trim_end_matches('=');
    let padding = segment.len() - body.len();
    let valid = body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    // Canonical padding only: exactly what completes the last quantum (RFC 4648 §4).
    let expected = match body.len() % 4 {
        0 => 0,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    (valid && !body.is_empty() && (padding == 0 || padding == expected)).then_some(body)
}

/// The segments of an ALB token: `header.payload.signature`, each base64url with or without
/// canonical `=` padding.
struct Padded<'t> {
    header: &'t str,
    payload: &'t str,
    /// `header.payload` exactly as received (padding included): what the ALB signed.
    input_len: usize,
    /// The token up to the end of the signature's base64url text (its padding cut off).
    signed: &'t str,
}

fn split_padded(token: &str) -> Option<Padded<'_>> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let signature_body = unpadded(signature)?;
    Some(Padded {
        header: unpadded(header)?,
        payload: unpadded(payload)?,
        input_len: header.len() + 1 + payload.len(),
        signed: token.get(..header.len() + payload.len() + 2 + signature_body.len())?,
    })
}

/// A token the strict parser refused with `strict`: read again as an ALB token when the
/// verifier trusts an ALB issuer; otherwise (or when it is not ALB-shaped) `strict` stands.
/// Only refusals come here, so the strict path never pays for it.
#[cold]
#[inline(never)]
pub(crate) fn prepare_padded<'t, C: CustomClaims>(
    verifier: &Verifier<C>,
    token: &'t str,
    digest: Option<Digest>,
    strict: VerifyError,
) -> Result<Step<'t, C>, VerifyError> {
    if strict != VerifyError::MalformedToken(Malformed::InvalidCharacter)
        || !has_alb_issuer(verifier)
    {
        return Err(strict);
    }
    let Some(padded) = split_padded(token) else {
        return Err(strict);
    };
    let mut header_buf = HeaderBuf::new();
    let Ok(header_bytes) = header_buf.decode(padded.header) else {
        return Err(strict);
    };
    // Only a header with a `signer` makes this an ALB token.
    if !Header::parse(header_bytes).is_ok_and(|h| h.signer.is_some()) {
        return Err(strict);
    }
    let inner = &*verifier.inner;
    let checked = header::check(header_bytes, &inner.algorithms, inner.max_kid_len)?;
    let signed = Signed::from_owned(padded.signed, padded.input_len);
    // Decoded here, reported where the strict path reports it: after the header's checks.
    let mut payload_buf = DecodeBuf::<4096>::new();
    let payload = payload_buf
        .decode(padded.payload)
        .map_err(|_| VerifyError::MalformedPayload);
    prepare_checked(verifier, signed, payload, checked, digest)
}

/// A NumericDate from the header (`exp`): an integer, or a number floored, in range.
fn numeric_date(value: &serde_json::Value) -> Result<i64, VerifyError> {
    let number = value
        .as_number()
        .ok_or(VerifyError::InvalidClaimType("exp"))?;
    let date = match (number.as_i64(), number.as_f64()) {
        (Some(integer), _) => Some(integer),
        #[allow(clippy::cast_possible_truncation)]
        (None, Some(float)) if float.is_finite() && float >= 0.0 => {
            (float <= MAX_NUMERIC_DATE as f64).then(|| float.floor() as i64)
        }
        _ => None,
    };
    date.filter(|d| (0..=MAX_NUMERIC_DATE).contains(d))
        .ok_or(VerifyError::InvalidClaimValue("exp"))
}

/// A string member of the ALB header, or the refusal for a missing or mistyped one.
fn member<'a>(
    value: Option<Result<Cow<'a, str>, ()>>,
    name: &'static str,
) -> Result<Cow<'a, str>, VerifyError> {
    match value {
        None => Err(VerifyError::MissingClaim(name)),
        Some(Err(())) => Err(VerifyError::InvalidClaimType(name)),
        Some(Ok(text)) => Ok(text),
    }
}

/// The ALB checks that need no key: routing by `signer`, the issuer's algorithms, a plain
/// `kid`, `typ`, the header's `client`, `iss` and `exp`, the claims (strictly parsed) and the
/// time checks; then the key lookup in the cached set. `payload` is the decoded payload, or
/// the refusal its decoding gave (reported after the header's checks).
#[inline(never)]
pub(crate) fn prepare_checked<'t, C: CustomClaims>(
    verifier: &Verifier<C>,
    signed: Signed<'t>,
    payload: Result<&[u8], VerifyError>,
    header: CheckedHeader<'_>,
    digest: Option<Digest>,
) -> Result<Step<'t, C>, VerifyError> {
    let CheckedHeader {
        algorithm,
        kid,
        typ,
        alb,
    } = header;
    let Some(AlbHeader {
        signer,
        client,
        iss,
        exp,
    }) = alb
    else {
        return Err(VerifyError::UnknownIssuer);
    };
    let signer = signer.map_err(|()| VerifyError::InvalidClaimType("signer"))?;
    let inner = &*verifier.inner;
    let (issuer, trusted, policy) = inner
        .issuers
        .iter()
        .enumerate()
        .find_map(|(index, trusted)| {
            let policy = trusted.policy.alb_policy()?;
            policy
                .signers
                .iter()
                .any(|listed| **listed == *signer)
                .then_some((index, trusted, policy))
        })
        .ok_or(VerifyError::UnknownIssuer)?;
    if !trusted.algorithms.contains(&algorithm) {
        return Err(VerifyError::AlgorithmNotAllowed);
    }
    // The kid becomes part of the key URL: a plain identifier or nothing is fetched.
    if !is_plain_kid(&kid) {
        return Err(VerifyError::InvalidKid);
    }
    let typ = match &typ {
        None => None,
        Some(Ok(typ)) => Some(typ.as_ref()),
        Some(Err(())) => return Err(VerifyError::TypeNotAllowed),
    };
    trusted.policy.check_type(typ)?;
    if let Some(clients) = trusted.policy.alb_clients() {
        let client = member(client, "client")?;
        if !clients.iter().any(|listed| **listed == *client) {
            return Err(VerifyError::ClientNotAllowed);
        }
    }
    let header_exp = numeric_date(&exp.ok_or(VerifyError::MissingClaim("exp"))?)?;
    if let Some(expected) = &policy.identity_provider
        && member(iss, "iss")? != *expected
    {
        return Err(VerifyError::UnknownIssuer);
    }

    let payload = payload?;
    let parsed = ParsedClaims::parse(payload).map_err(|_| VerifyError::MalformedPayload)?;
    if parsed.duplicate {
        return Err(VerifyError::DuplicateMember(Part::Payload));
    }
    if let Some(name) = parsed.wrong_type {
        return Err(VerifyError::InvalidClaimType(name));
    }
    if let Some(name) = parsed.out_of_range {
        return Err(VerifyError::InvalidClaimValue(name));
    }
    let mut claims = parsed.claims;
    if let (Some(expected), Some(claimed)) = (&policy.identity_provider, claims.issuer_claim())
        && claimed != expected
    {
        return Err(VerifyError::UnknownIssuer);
    }
    // The header's `exp` is the ALB's; the claims' `exp` (the provider's), when present,
    // can only shorten it.
    claims.exp = Some(claims.exp.map_or(header_exp, |exp| exp.min(header_exp)));
    let now = secs(inner.clock.unix_now());
    let valid_until = verifier.check_time(&claims, now)?;
    let scopes = Scopes::default();
    let checked = Checked::new(
        reads_payload::<C>().then(|| payload.to_vec()),
        claims,
        scopes,
        issuer,
        algorithm,
        digest,
        valid_until,
        now,
    );
    Ok(match trusted.keys.cached_key(&kid) {
        Some(key) => Step::Ready(signed, checked, key),
        None => Step::NeedsKey(signed, checked, kid.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_take_canonical_padding_only() {
        assert_eq!(unpadded("e30="), Some("e30"));
        assert_eq!(unpadded("e30"), Some("e30"));
        assert_eq!(unpadded("eyJhIn0="), Some("eyJhIn0"));
        assert_eq!(unpadded("YQ=="), Some("YQ"));
        assert_eq!(unpadded("YQ"), Some("YQ"));
        assert_eq!(unpadded("YWJj"), Some("YWJj"));
        for bad in [
            "YWJj=", "YQ=", "YQ===", "e30==", "Y===", "Y", "=", "", "e3=0", "e3+0", "e3/0", "e 30",
        ] {
            assert_eq!(unpadded(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tokens_split_into_three_padded_segments() {
        let padded = split_padded("e30=.YQ==.AAAA").unwrap();
        assert_eq!((padded.header, padded.payload), ("e30", "YQ"));
        assert_eq!(padded.input_len, "e30=.YQ==".len());
        assert_eq!(padded.signed, "e30=.YQ==.AAAA");
        let padded = split_padded("e30.YQ.AAE=").unwrap();
        assert_eq!(padded.signed, "e30.YQ.AAE");
        for bad in [
            "e30=.YQ==",
            "e30=.YQ==.AA.AA",
            "e30=..AA",
            "e30=.Y=Q.AA",
            "e30=.YQ==.A",
        ] {
            assert!(split_padded(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn header_exp_is_a_numeric_date() {
        use serde_json::json;
        assert_eq!(numeric_date(&json!(1_700_000_000)), Ok(1_700_000_000));
        assert_eq!(numeric_date(&json!(1_700_000_000.9)), Ok(1_700_000_000));
        assert_eq!(
            numeric_date(&json!("1700000000")),
            Err(VerifyError::InvalidClaimType("exp"))
        );
        assert_eq!(
            numeric_date(&json!(-1)),
            Err(VerifyError::InvalidClaimValue("exp"))
        );
        assert_eq!(
            numeric_date(&json!(1e300)),
            Err(VerifyError::InvalidClaimValue("exp"))
        );
    }
}
