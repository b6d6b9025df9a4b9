//! Verification of a compact JWS whose payload is not a JWT claims set.
//!
//! [`Verifier`](crate::Verifier) verifies access tokens: its payload must be a claims object
//! and pass the issuer's claim policy. Some inputs are signed the same way but carry other
//! payloads (test vectors, signed documents). [`verify_jws`] runs the verifier's structural
//! and header checks and the signature check, with the same code, and returns the payload
//! bytes without interpreting them.

use tollgate_jwks::{Algorithm, KeySet};

use crate::compact::{self, DecodeBuf};
use crate::header::{self, DEFAULT_MAX_KID_LEN, HeaderBuf};
use crate::{DEFAULT_MAX_TOKEN_LEN, VerifyError};

/// Verifies a compact JWS (RFC 7515 §7.1) with a key from `keys` and returns its payload.
///
/// The checks are the verifier's, shared with it, in the same order:
///
/// 1. length at most [`DEFAULT_MAX_TOKEN_LEN`];
/// 2. exactly three non-empty segments of the base64url alphabet;
/// 3. the header: canonical unpadded base64url of a UTF-8 JSON object without duplicate
///    members, `alg` in `algorithms`, no `crit`, no `jku`/`jwk`/`x5u`/`x5c`, no JWE
///    parameter, and a non-empty string `kid` of at most 256 bytes;
/// 4. the payload: canonical unpadded base64url (its bytes are not interpreted);
/// 5. the key: the entry of `keys` with that `kid` (never a key named by the token);
/// 6. the signature over the exact received `header.payload` bytes.
///
/// No claim is checked: the payload is returned as is. Use [`Verifier`](crate::Verifier) for
/// access tokens.
///
/// # Errors
///
/// The [`VerifyError`] of the first failed check; [`VerifyError::UnknownKid`] when `keys` has
/// no key with the token's `kid`.
///
/// # Example
///
/// ```
/// use tollgate_testkit::{RsaAlg, SigningKey, jwks_json, raw};
/// use tollgate_verify::jwks::{KeySet, KeySetOptions};
/// use tollgate_verify::{Algorithm, VerifyError, verify_jws};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = SigningKey::fixture(0)?;
/// let keys = KeySet::from_json(jwks_json(&[&key]).as_bytes(), &KeySetOptions::default())?;
///
/// let header = raw::b64url(format!(r#"{{"alg":"RS256","kid":"{}"}}"#, key.kid()).as_bytes());
/// let token = raw::sign_segments(&header, &raw::b64url(b"not a claims set"), &key, RsaAlg::Rs256)?;
/// assert_eq!(verify_jws(&token, &keys, &[Algorithm::Rs256])?, b"not a claims set");
///
/// let unsigned = format!("{header}.{}.", raw::b64url(b"x"));
/// assert!(matches!(verify_jws(&unsigned, &keys, &[Algorithm::Rs256]), Err(VerifyError::MalformedToken(_))));
/// # Ok(()) }
/// ```
pub fn verify_jws(
    token: &str,
    keys: &KeySet,
    algorithms: &[Algorithm],
) -> Result<Vec<u8>, VerifyError> {
    if token.len() > DEFAULT_MAX_TOKEN_LEN {
        return Err(VerifyError::TokenTooLong);
    }
    let mut header = HeaderBuf::new();
    let mut payload = DecodeBuf::<4096>::new();
    let parts = compact::split_and_decode(token, &mut header, &mut payload)?;
    let segments = parts.segments;
    let checked = header::check(parts.header, algorithms, DEFAULT_MAX_KID_LEN)?;
    let payload = parts.payload?.to_vec();
    let key = keys.get(&checked.kid).ok_or(VerifyError::UnknownKid)?;
    compact::verify_signature(
        segments.signing_input,
        segments.signature,
        key,
        checked.algorithm,
    )?;
    Ok(payload)
}
