//! One JWK (RFC 7517) checked against the key policy and turned into a [`VerifyingKey`].

use std::fmt;

use aws_lc_rs::signature::RsaPublicKeyComponents;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::{Algorithm, KeySetOptions, VerifyingKey};

/// Smallest accepted RSA modulus, in bits (RFC 7518 §3.3).
pub const MIN_MODULUS_BITS: usize = 2048;
/// Largest accepted RSA modulus, in bits (bounds the cost of one verification).
pub const MAX_MODULUS_BITS: usize = 8192;
/// Smallest accepted public exponent (NIST SP 800-56B: e > 2^16).
pub const MIN_EXPONENT: u64 = 65_537;
/// Largest accepted public exponent (2^33 − 1, as the `rsa` crate and aws-lc allow).
pub const MAX_EXPONENT: u64 = (1 << 33) - 1;

/// Why a JWK in a set was skipped. A skipped key never fails the whole set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyRejection {
    /// The entry is not a JSON object, or a member has the wrong JSON type or is repeated.
    #[error("malformed JWK")]
    Malformed,
    /// `kty` is missing or not `RSA`.
    #[error("key type is not RSA")]
    NotRsa,
    /// `use` is present and not `sig`.
    #[error("key is not for signatures (use)")]
    NotForSignatures,
    /// `key_ops` is present and lacks `verify`.
    #[error("key operations do not include verify")]
    VerifyNotAllowed,
    /// `alg` names an algorithm that is not allowed.
    #[error("key algorithm is not allowed")]
    AlgorithmNotAllowed,
    /// `kid` is missing or empty.
    #[error("key has no kid")]
    MissingKid,
    /// `kid` is longer than the configured limit.
    #[error("key id is too long")]
    KidTooLong,
    /// The entry carries private key members (`d`, `p`, `q`, ...) or a symmetric `k`.
    #[error("key set entry contains private key material")]
    PrivateMaterial,
    /// `n` or `e` is missing, not base64url, or not minimally encoded.
    #[error("key components are badly encoded")]
    BadEncoding,
    /// The modulus is smaller than 2048 or larger than 8192 bits, or even.
    #[error("modulus of {bits} bits is outside policy")]
    ModulusOutOfPolicy {
        /// The real bit length of the modulus.
        bits: usize,
    },
    /// The exponent is even, below 65537 or above 2^33 − 1.
    #[error("public exponent is outside policy")]
    ExponentOutOfPolicy,
    /// The crypto library refused the key.
    #[error("key rejected by the crypto library")]
    Invalid,
    /// Two entries in the set share this `kid`; both are unusable.
    #[error("duplicate kid in key set")]
    DuplicateKid,
    /// The entry comes after the configured number of keys per set.
    #[error("more keys than the per-set limit")]
    TooManyKeys,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<IgnoredAny>,
    p: Option<IgnoredAny>,
    q: Option<IgnoredAny>,
    dp: Option<IgnoredAny>,
    dq: Option<IgnoredAny>,
    qi: Option<IgnoredAny>,
    oth: Option<IgnoredAny>,
    k: Option<IgnoredAny>,
}

/// Only the `kid` of an entry, read leniently so that an entry too malformed for [`RawJwk`]
/// still claims its kid (two entries with one kid make it unusable, however broken one is).
#[derive(Deserialize)]
struct KidOnly {
    kid: Option<String>,
}

/// A JWK that failed the policy, with the `kid` it claimed (escaped for logs).
#[derive(Clone, PartialEq, Eq)]
pub struct SkippedKey {
    kid: Option<String>,
    reason: KeyRejection,
}

impl SkippedKey {
    pub(crate) fn new(kid: Option<String>, reason: KeyRejection) -> Self {
        Self { kid, reason }
    }

    /// The `kid` the entry carried, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Why it was skipped.
    #[must_use]
    pub fn reason(&self) -> &KeyRejection {
        &self.reason
    }
}

impl fmt::Debug for SkippedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkippedKey")
            .field("kid", &self.kid.as_deref().map(crate::log_safe))
            .field("reason", &self.reason)
            .finish()
    }
}

/// The `kid` an entry claims, read leniently (`None` for entries that are not objects or have
/// no string `kid`).
pub(crate) fn claimed_kid(raw: &RawValue) -> Option<String> {
    if !raw.get().starts_with('{') {
        return None;
    }
    serde_json::from_str::<KidOnly>(raw.get())
        .ok()
        .and_then(|only| only.kid)
}

/// Parses one entry of a `keys` array under the policy.
pub(crate) fn parse_jwk(
    raw: &RawValue,
    options: &KeySetOptions,
) -> Result<VerifyingKey, SkippedKey> {
    // A JWK is a JSON object (RFC 7517 §4). Derived deserializers also read structs from
    // arrays, positionally: such an entry is neither a key nor a claim on a kid.
    if !raw.get().starts_with('{') {
        return Err(SkippedKey::new(None, KeyRejection::Malformed));
    }
    let jwk: RawJwk = serde_json::from_str(raw.get())
        .map_err(|_| SkippedKey::new(claimed_kid(raw), KeyRejection::Malformed))?;
    let kid = jwk.kid.clone();
    check(jwk, options).map_err(|reason| SkippedKey::new(kid, reason))
}

fn check(jwk: RawJwk, options: &KeySetOptions) -> Result<VerifyingKey, KeyRejection> {
    if jwk.kty.as_deref() != Some("RSA") {
        return Err(KeyRejection::NotRsa);
    }
    let private = [
        &jwk.d, &jwk.p, &jwk.q, &jwk.dp, &jwk.dq, &jwk.qi, &jwk.oth, &jwk.k,
    ];
    if private.iter().any(|member| member.is_some()) {
        return Err(KeyRejection::PrivateMaterial);
    }
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err(KeyRejection::NotForSignatures);
    }
    if jwk
        .key_ops
        .as_ref()
        .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
    {
        return Err(KeyRejection::VerifyNotAllowed);
    }
    let jwk_alg = match jwk.alg.as_deref() {
        None => None,
        Some(name) => match Algorithm::from_jose(name) {
            Some(alg) if options.algorithms.contains(&alg) => Some(alg),
            _ => return Err(KeyRejection::AlgorithmNotAllowed),
        },
    };
    let kid = match jwk.kid {
        Some(kid) if !kid.is_empty() => kid,
        _ => return Err(KeyRejection::MissingKid),
    };
    if kid.len() > options.max_kid_len {
        return Err(KeyRejection::KidTooLong);
    }
    let (Some(n), Some(e)) = (jwk.n, jwk.e) else {
        return Err(KeyRejection::BadEncoding);
    };
    let modulus = decode_modulus(&n)?;
    let exponent = decode_exponent(&e)?;
    let bits = bit_length(&modulus);
    let odd = modulus.last().is_some_and(|b| b & 1 == 1);
    if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) || !odd {
        return Err(KeyRejection::ModulusOutOfPolicy { bits });
    }
    check_exponent(&exponent)?;

    let algorithms: Vec<Algorithm> = match jwk_alg {
        Some(alg) => vec![alg],
        None => options.algorithms.clone(),
    };
    let components = RsaPublicKeyComponents {
        n: &modulus[..],
        e: &exponent[..],
    };
    let mut parsed = Vec::with_capacity(algorithms.len());
    for alg in algorithms {
        let key = components
            .to_parsed_public_key(alg.parameters())
            .map_err(|_| KeyRejection::Invalid)?;
        parsed.push((alg, key));
    }
    Ok(VerifyingKey::new(
        kid.into_boxed_str(),
        jwk_alg,
        bits,
        modulus.into_boxed_slice(),
        exponent.into_boxed_slice(),
        parsed,
    ))
}

fn decode_modulus(n: &str) -> Result<Vec<u8>, KeyRejection> {
    let mut bytes = URL_SAFE_NO_PAD
        .decode(n)
        .map_err(|_| KeyRejection::BadEncoding)?;
    // RFC 7518 §6.3.1.1 notes producers that prepend one zero octet; accept exactly one.
    if bytes.first() == Some(&0) {
        bytes.remove(0);
    }
    match bytes.first() {
        None | Some(0) => Err(KeyRejection::BadEncoding),
        Some(_) => Ok(bytes),
    }
}

fn decode_exponent(e: &str) -> Result<Vec<u8>, KeyRejection> {
    let bytes = URL_SAFE_NO_PAD
        .decode(e)
        .map_err(|_| KeyRejection::BadEncoding)?;
    match bytes.first() {
        None | Some(0) => Err(KeyRejection::BadEncoding),
        Some(_) => Ok(bytes),
    }
}

fn check_exponent(e: &[u8]) -> Result<(), KeyRejection> {
    if e.len() > 5 {
        return Err(KeyRejection::ExponentOutOfPolicy);
    }
    let value = e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    if value % 2 == 0 || !(MIN_EXPONENT..=MAX_EXPONENT).contains(&value) {
        return Err(KeyRejection::ExponentOutOfPolicy);
    }
    Ok(())
}

fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(first) => (bytes.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_counts_real_bits() {
        assert_eq!(bit_length(&[0x01, 0x00]), 9);
        assert_eq!(bit_length(&[0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x7f; 256]), 2047);
    }

    #[test]
    fn exponent_policy() {
        assert!(check_exponent(&[1, 0, 1]).is_ok());
        assert_eq!(check_exponent(&[3]), Err(KeyRejection::ExponentOutOfPolicy));
        assert_eq!(check_exponent(&[1]), Err(KeyRejection::ExponentOutOfPolicy));
        assert_eq!(
            check_exponent(&[1, 0, 0]),
            Err(KeyRejection::ExponentOutOfPolicy)
        );
        assert_eq!(
            check_exponent(&[2, 0, 0, 0, 1]),
            Err(KeyRejection::ExponentOutOfPolicy)
        );
        assert!(check_exponent(&[1, 0, 0, 0, 1]).is_ok());
        assert_eq!(
            check_exponent(&[1; 6]),
            Err(KeyRejection::ExponentOutOfPolicy)
        );
    }

    /// The kid and reason of a skipped entry (`None` if it was usable or not JSON).
    fn skipped(json: &str) -> Option<(Option<String>, KeyRejection)> {
        let raw = RawValue::from_string(json.to_owned()).ok()?;
        let skipped = parse_jwk(&raw, &KeySetOptions::default()).err()?;
        Some((skipped.kid().map(str::to_owned), skipped.reason().clone()))
    }

    #[test]
    fn a_malformed_entry_still_claims_its_kid() {
        assert_eq!(
            skipped(r#"{"kty":"RSA","kid":"a","n":1,"e":"AQAB"}"#),
            Some((Some("a".to_owned()), KeyRejection::Malformed))
        );
        assert_eq!(
            skipped(r#"{"kty":"RSA","kid":7}"#),
            Some((None, KeyRejection::Malformed))
        );
    }

    #[test]
    fn an_entry_that_is_not_an_object_is_malformed_and_claims_nothing() {
        for json in [
            r#"["a"]"#,
            r#"["RSA",null,null,null,"a","AQAB","AQAB"]"#,
            r#""a""#,
            "7",
            "null",
        ] {
            assert_eq!(
                skipped(json),
                Some((None, KeyRejection::Malformed)),
                "{json}"
            );
        }
    }

    #[test]
    fn modulus_keeps_one_leading_zero_only() {
        assert_eq!(decode_modulus("AIA"), Ok(vec![0x80]));
        assert_eq!(decode_modulus("AACA"), Err(KeyRejection::BadEncoding));
        assert_eq!(decode_exponent("AAEAAQ"), Err(KeyRejection::BadEncoding));
        assert_eq!(decode_exponent(""), Err(KeyRejection::BadEncoding));
        assert_eq!(decode_exponent("AQAB="), Err(KeyRejection::BadEncoding));
    }
}
