//! Byte-exact token construction for negative tests.
//!
//! [`TokenBuilder`](crate::TokenBuilder) always produces well-formed JSON. The
//! functions here take the JSON text or the base64url segments *as given*, so a
//! test can build tokens with duplicate members, odd whitespace, trailing
//! garbage, padded or non-canonical base64 — and still sign them correctly, so
//! the only thing wrong with the token is the thing under test.
//!
//! Header or payload bytes that are not valid UTF-8 go through
//! [`sign_segments`] with [`b64url`] of the raw bytes.
//!
//! ```
//! use tollgate_testkit::{JwsAlg, SigningKey, raw};
//!
//! # fn main() -> Result<(), tollgate_testkit::TestkitError> {
//! let key = SigningKey::fixture(0)?;
//!
//! // Duplicate "alg" member, correctly signed over exactly these bytes.
//! let header = format!(r#"{{"alg":"RS256","kid":"{}","alg":"none"}}"#, key.kid());
//! let token = raw::signed_compact(&header, r#"{"exp":4102444800}"#, &key)?;
//! assert_eq!(token.split('.').count(), 3);
//!
//! // A padded header segment that is still correctly signed.
//! let padded = format!("{}==", raw::b64url(br#"{"alg":"RS256"}"#));
//! let token = raw::sign_segments(&padded, &raw::b64url(b"{}"), &key, JwsAlg::Rs256)?;
//! assert!(token.starts_with(&padded));
//!
//! // Any signature bytes at all.
//! assert_eq!(raw::with_signature("h", "p", &[]), "h.p.");
//! # Ok(())
//! # }
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::{JwsAlg, SigningKey, TestkitError};

/// base64url without padding (RFC 7515 §2), the JWS segment encoding.
#[must_use]
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// base64url *with* `=` padding (RFC 4648 §5): what an AWS Application Load Balancer
/// writes in each segment of its `x-amzn-oidc-data` tokens, and what RFC 7515 forbids.
#[must_use]
pub fn b64url_padded(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

/// Encodes the *exact* header and payload text given (no re-serialisation) and
/// signs `b64url(header) "." b64url(payload)` with the key's
/// [algorithm](SigningKey::algorithm) (RS256 for RSA keys).
///
/// # Errors
///
/// [`TestkitError::Signing`] if aws-lc fails.
pub fn signed_compact(
    header_json: &str,
    payload_json: &str,
    key: &SigningKey,
) -> Result<String, TestkitError> {
    sign_segments(
        &b64url(header_json.as_bytes()),
        &b64url(payload_json.as_bytes()),
        key,
        key.algorithm(),
    )
}

/// Signs exactly the ASCII bytes `header_b64 "." payload_b64` as given (padded,
/// non-canonical or otherwise odd segments stay as they are) with `alg`, and
/// returns `header_b64.payload_b64.signature`.
///
/// # Errors
///
/// [`TestkitError::Signing`] if aws-lc fails.
pub fn sign_segments(
    header_b64: &str,
    payload_b64: &str,
    key: &SigningKey,
    alg: JwsAlg,
) -> Result<String, TestkitError> {
    let signing_input = format!("{header_b64}.{payload_b64}");
    let signature = key.sign(alg, signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", b64url(&signature)))
}

/// The DER form (an ASN.1 `SEQUENCE` of two `INTEGER`s, as X.509 and most crypto APIs
/// write ECDSA signatures) of a JWS ECDSA signature `R || S`: what a misconfigured signer
/// puts in a token, and what a JWS verifier must refuse.
///
/// ```
/// let der = tollgate_testkit::raw::ecdsa_der(&[[0x80; 32], [0x01; 32]].concat());
/// assert_eq!(&der[..5], &[0x30, 0x45, 0x02, 0x21, 0x00]); // r gets a leading zero
/// assert_eq!(der.len(), 71);
/// ```
#[must_use]
pub fn ecdsa_der(signature: &[u8]) -> Vec<u8> {
    fn integer(bytes: &[u8]) -> Vec<u8> {
        let trimmed = match bytes.iter().position(|b| *b != 0) {
            Some(start) => &bytes[start..],
            None => &[0][..],
        };
        let mut out = vec![0x02];
        let pad = trimmed.first().is_some_and(|b| b & 0x80 != 0);
        out.extend(der_length(trimmed.len() + usize::from(pad)));
        if pad {
            out.push(0);
        }
        out.extend_from_slice(trimmed);
        out
    }
    fn der_length(len: usize) -> Vec<u8> {
        match u8::try_from(len) {
            Ok(short) if short < 0x80 => vec![short],
            Ok(long) => vec![0x81, long],
            Err(_) => vec![0x82, (len >> 8) as u8, len as u8],
        }
    }
    let (r, s) = signature.split_at(signature.len() / 2);
    let body = [integer(r), integer(s)].concat();
    let mut out = vec![0x30];
    out.extend(der_length(body.len()));
    out.extend(body);
    out
}

/// Joins the segments with an arbitrary signature: `header_b64.payload_b64.b64url(signature)`
/// (an empty `signature` gives a trailing dot).
#[must_use]
pub fn with_signature(header_b64: &str, payload_b64: &str, signature: &[u8]) -> String {
    format!("{header_b64}.{payload_b64}.{}", b64url(signature))
}

/// The EMSA-PKCS1-v1_5 encoding of SHA-256(`message`) for a `modulus_len`-byte
/// modulus (RFC 8017 §9.2): `00 01 FF…FF 00 || DigestInfo(SHA-256) || hash`.
///
/// This is what an RS256 signature decrypts to. With a public exponent `e = 1`
/// the signature *is* this value, so a JWK `{"kty":"RSA","n":<any larger
/// modulus, e.g. 256 × 0xFF>,"e":"AQ"}` plus
/// `with_signature(h, p, &emsa_pkcs1_v15_sha256(b"h.p", 256))` is a forgery that
/// only an exponent policy stops (row S8 of tollgate's security catalogue,
/// `docs/security-catalogue.md` in the repository). Edit the bytes for
/// padding-forgery variants (S4). Returns the bare encoding (shorter than
/// `modulus_len`) if `modulus_len` is too small to hold it.
#[must_use]
pub fn emsa_pkcs1_v15_sha256(message: &[u8], modulus_len: usize) -> Vec<u8> {
    const DIGEST_INFO: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message);
    let t_len = DIGEST_INFO.len() + hash.as_ref().len();
    let pad = modulus_len.saturating_sub(t_len + 3);
    let mut em = Vec::with_capacity(modulus_len);
    em.extend_from_slice(&[0x00, 0x01]);
    em.extend(std::iter::repeat_n(0xff, pad));
    em.push(0x00);
    em.extend_from_slice(&DIGEST_INFO);
    em.extend_from_slice(hash.as_ref());
    em
}

/// HMAC-SHA256 over exactly `header_b64 "." payload_b64`, for alg-confusion tests
/// that need byte-exact segments. Returns the complete compact token.
#[must_use]
pub fn hs256_segments(header_b64: &str, payload_b64: &str, secret: &[u8]) -> String {
    let signing_input = format!("{header_b64}.{payload_b64}");
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(tag.as_ref()))
}
