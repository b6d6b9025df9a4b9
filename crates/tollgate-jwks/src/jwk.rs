//! One JWK (RFC 7517) checked against the key policy and turned into a [`VerifyingKey`]:
//! RSA (RFC 7518 §6.3), EC P-256 and P-384 (§6.2) and Ed25519 (RFC 8037 §2).

use std::fmt;

use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::key::Material;
use crate::{Algorithm, KeySetOptions, KeyType, VerifyingKey};

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
    /// `kty` is missing, unknown (`oct`, `DSA`, ...), or a key type that no allowed algorithm
    /// uses (`EC` when no `ES*` is allowed, `OKP` without `EdDSA`, `RSA` without `RS*`/`PS*`).
    #[error("key type is not supported or not allowed")]
    UnsupportedKeyType,
    /// `crv` is missing or not a supported curve of the key type (`P-256` and `P-384` for
    /// `EC`; `Ed25519` for `OKP`: `X25519`, `Ed448`, `P-521`, `secp256k1` ... are skipped).
    #[error("key curve is not supported")]
    UnsupportedCurve,
    /// `use` is present and not `sig`.
    #[error("key is not for signatures (use)")]
    NotForSignatures,
    /// `key_ops` is present and lacks `verify`.
    #[error("key operations do not include verify")]
    VerifyNotAllowed,
    /// `alg` names an algorithm that is not allowed, or (without `alg`) the one algorithm the
    /// key's curve serves is not allowed.
    #[error("key algorithm is not allowed")]
    AlgorithmNotAllowed,
    /// `alg` names an algorithm the key cannot serve (`ES256` on an RSA key, `ES384` on a
    /// P-256 key, `RS256` on an EC key, ...).
    #[error("key algorithm does not match the key type")]
    AlgorithmKeyMismatch,
    /// `kid` is missing or empty.
    #[error("key has no kid")]
    MissingKid,
    /// `kid` is longer than the configured limit.
    #[error("key id is too long")]
    KidTooLong,
    /// The entry carries private key members (`d`, `p`, `q`, ...) or a symmetric `k`.
    #[error("key set entry contains private key material")]
    PrivateMaterial,
    /// `n`, `e`, `x` or `y` is missing, not base64url, or (`n`, `e`) not minimally encoded.
    #[error("key components are badly encoded")]
    BadEncoding,
    /// An EC coordinate or the Ed25519 public key does not have exactly the curve's length
    /// (32 bytes for P-256 and Ed25519, 48 for P-384; RFC 7518 §6.2.1.2: leading zero octets
    /// are never stripped).
    #[error("key coordinate length does not match the curve")]
    CoordinateLength,
    /// The EC point is not on the curve (or is the point at infinity).
    #[error("EC point is not on the curve")]
    PointNotOnCurve,
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
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
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
    let family = match jwk.kty.as_deref() {
        Some("RSA") => KeyType::Rsa,
        // The curve picks the type within the family, below.
        Some("EC") => KeyType::EcP256,
        Some("OKP") => KeyType::Ed25519,
        _ => return Err(KeyRejection::UnsupportedKeyType),
    };
    let same_family = |alg: &Algorithm| match family {
        KeyType::Rsa => alg.key_type() == KeyType::Rsa,
        KeyType::EcP256 | KeyType::EcP384 => {
            matches!(alg.key_type(), KeyType::EcP256 | KeyType::EcP384)
        }
        KeyType::Ed25519 => alg.key_type() == KeyType::Ed25519,
    };
    if !options.algorithms.iter().any(same_family) {
        return Err(KeyRejection::UnsupportedKeyType);
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
            Some(alg) if options.algorithms.contains(&alg) => {
                if !same_family(&alg) {
                    return Err(KeyRejection::AlgorithmKeyMismatch);
                }
                Some(alg)
            }
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
    let kid = kid.into_boxed_str();
    match family {
        KeyType::Rsa => rsa_key(kid, jwk_alg, jwk.n, jwk.e, options),
        KeyType::EcP256 | KeyType::EcP384 => {
            let key_type = match jwk.crv.as_deref() {
                Some("P-256") => KeyType::EcP256,
                Some("P-384") => KeyType::EcP384,
                _ => return Err(KeyRejection::UnsupportedCurve),
            };
            let (Some(x), Some(y)) = (jwk.x, jwk.y) else {
                return Err(KeyRejection::BadEncoding);
            };
            let size = if key_type == KeyType::EcP256 { 32 } else { 48 };
            let x = decode_coordinate(&x, size)?;
            let y = decode_coordinate(&y, size)?;
            // SEC 1 §2.3.3 uncompressed point: 04 || x || y.
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            point_key(kid, jwk_alg, key_type, point, options).map_err(|rejection| match rejection {
                KeyRejection::Invalid => KeyRejection::PointNotOnCurve,
                other => other,
            })
        }
        KeyType::Ed25519 => {
            if jwk.crv.as_deref() != Some("Ed25519") {
                return Err(KeyRejection::UnsupportedCurve);
            }
            let Some(x) = jwk.x else {
                return Err(KeyRejection::BadEncoding);
            };
            let x = decode_coordinate(&x, 32)?;
            point_key(kid, jwk_alg, KeyType::Ed25519, x, options)
        }
    }
}

/// An RSA key under the modulus and exponent policy, parsed for each algorithm it serves: the
/// JWK's `alg`, or every allowed `RS*` and `PS*`.
fn rsa_key(
    kid: Box<str>,
    jwk_alg: Option<Algorithm>,
    n: Option<String>,
    e: Option<String>,
    options: &KeySetOptions,
) -> Result<VerifyingKey, KeyRejection> {
    let (Some(n), Some(e)) = (n, e) else {
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
        None => options
            .algorithms
            .iter()
            .copied()
            .filter(|alg| alg.key_type() == KeyType::Rsa)
            .collect(),
    };
    let components = RsaPublicKeyComponents {
        n: &modulus[..],
        e: &exponent[..],
    };
    let mut parsed = Vec::with_capacity(algorithms.len());
    for alg in algorithms {
        let parameters = alg.rsa_parameters().ok_or(KeyRejection::Invalid)?;
        let key = components
            .to_parsed_public_key(parameters)
            .map_err(|_| KeyRejection::Invalid)?;
        parsed.push((alg, key));
    }
    Ok(VerifyingKey::new(
        kid,
        jwk_alg,
        KeyType::Rsa,
        Material::Rsa {
            bits,
            modulus: modulus.into_boxed_slice(),
            exponent: exponent.into_boxed_slice(),
        },
        parsed,
    ))
}

/// An EC or Ed25519 key: it serves exactly the one algorithm of its curve, which must be
/// allowed (and equal the JWK's `alg`, when it has one). The crypto library validates the
/// point (on the curve, not the point at infinity) as it parses it.
fn point_key(
    kid: Box<str>,
    jwk_alg: Option<Algorithm>,
    key_type: KeyType,
    point: Vec<u8>,
    options: &KeySetOptions,
) -> Result<VerifyingKey, KeyRejection> {
    let alg = key_type.only_algorithm().ok_or(KeyRejection::Invalid)?;
    if jwk_alg.is_some_and(|named| named != alg) {
        return Err(KeyRejection::AlgorithmKeyMismatch);
    }
    if !options.algorithms.contains(&alg) {
        return Err(KeyRejection::AlgorithmNotAllowed);
    }
    let verification = alg.point_algorithm().ok_or(KeyRejection::Invalid)?;
    let parsed = ParsedPublicKey::new(verification, &point).map_err(|_| KeyRejection::Invalid)?;
    Ok(VerifyingKey::new(
        kid,
        jwk_alg,
        key_type,
        Material::Point(point.into_boxed_slice()),
        vec![(alg, parsed)],
    ))
}

/// An EC coordinate or Ed25519 key of exactly `size` bytes (RFC 7518 §6.2.1.2: the full
/// length, leading zeros included; RFC 8037 §2).
fn decode_coordinate(value: &str, size: usize) -> Result<Vec<u8>, KeyRejection> {
    let bytes = URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| KeyRejection::BadEncoding)?;
    if bytes.len() == size {
        Ok(bytes)
    } else {
        Err(KeyRejection::CoordinateLength)
    }
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
