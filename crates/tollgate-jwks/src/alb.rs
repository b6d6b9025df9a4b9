//! AWS Application Load Balancer keys: not a JWK set but one PEM public key per `kid`, at
//! `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}` (an EC P-256 key; the ALB
//! signs its `x-amzn-oidc-data` tokens with ES256).

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ECDSA_P521_SHA512_FIXED, ParsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::key::Material;
use crate::{Algorithm, BuildError, KeyRejection, KeySetOptions, KeyType, VerifyingKey};

/// Longest ALB `kid` put into a key URL (ALB kids are 36-character UUIDs).
pub const MAX_ALB_KID_LEN: usize = 128;

/// How many different unknown `kid`s may cause an ALB key fetch within one cooldown window.
/// Each `kid` is fetched at most once per window; the cap bounds the requests that
/// made-up `kid`s can cause (a token's header is unverified when its key is looked up).
pub const ALB_KID_FETCHES_PER_COOLDOWN: usize = 4;

/// Whether `kid` is a plain identifier that may be put into a URL path: 1 to
/// [`MAX_ALB_KID_LEN`] ASCII letters, digits, `-` and `_`. Everything else (`/`, `.`, `%`,
/// `?`, `#`, `\`, whitespace, control characters, non-ASCII) is refused, so a `kid` can never
/// change which URL is fetched.
///
/// ```
/// use tollgate_jwks::is_plain_kid;
/// assert!(is_plain_kid("a7b3c9d2-1234-4c3b-9b1a-0f1e2d3c4b5a"));
/// assert!(!is_plain_kid("../other"));
/// assert!(!is_plain_kid("a/b"));
/// assert!(!is_plain_kid("a%2Fb"));
/// assert!(!is_plain_kid("a b"));
/// assert!(!is_plain_kid(""));
/// ```
#[must_use]
pub fn is_plain_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= MAX_ALB_KID_LEN
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `region` has the form of an AWS region (`eu-west-1`, `us-gov-west-1`, `cn-north-1`).
pub(crate) fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && region.contains('-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

/// The key endpoint of a region's load balancers.
pub(crate) fn regional_base(region: &str) -> Result<String, BuildError> {
    if !is_region(region) {
        return Err(BuildError::InvalidRegion);
    }
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Ok(format!("https://public-keys.auth.elb.{region}.{domain}"))
}

/// DER of the `ecPublicKey` algorithm identifier (OID 1.2.840.10045.2.1).
const EC_PUBLIC_KEY_OID: [u8; 9] = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// DER of the P-256 curve identifier (OID 1.2.840.10045.3.1.7).
const P256_OID: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The DER body of a single `PUBLIC KEY` PEM block (RFC 7468): nothing but whitespace
/// around it, standard base64 with line breaks inside.
fn pem_body(text: &[u8]) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let text = std::str::from_utf8(text).ok()?.trim();
    let body = text.strip_prefix(BEGIN)?.strip_suffix(END)?;
    let base64: String = body
        .chars()
        .filter(|c| !matches!(c, '\n' | '\r' | ' ' | '\t'))
        .collect();
    if base64.is_empty() || base64.contains('-') {
        return None;
    }
    STANDARD.decode(base64).ok()
}

/// The key an ALB serves for `kid`: a PEM `SubjectPublicKeyInfo` of an EC P-256 key, which
/// serves ES256 only (and only if ES256 is allowed). Anything else is refused with a reason:
/// not a PEM public key ([`KeyRejection::BadEncoding`]), an EC key on another curve
/// ([`KeyRejection::UnsupportedCurve`]), a P-256 key whose point is not on the curve
/// ([`KeyRejection::PointNotOnCurve`]), or another key type
/// ([`KeyRejection::UnsupportedKeyType`]).
pub(crate) fn parse_pem_key(
    kid: &str,
    body: &[u8],
    options: &KeySetOptions,
) -> Result<VerifyingKey, KeyRejection> {
    if !options.algorithms.contains(&Algorithm::Es256) {
        return Err(KeyRejection::AlgorithmNotAllowed);
    }
    let der = pem_body(body).ok_or(KeyRejection::BadEncoding)?;
    match ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &der) {
        Ok(parsed) => Ok(VerifyingKey::new(
            kid.into(),
            None,
            KeyType::EcP256,
            Material::Point(der.into_boxed_slice()),
            vec![(Algorithm::Es256, parsed)],
        )),
        Err(_) => {
            let other_curve = ParsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, &der).is_ok()
                || ParsedPublicKey::new(&ECDSA_P521_SHA512_FIXED, &der).is_ok();
            Err(if other_curve {
                KeyRejection::UnsupportedCurve
            } else if contains(&der, &EC_PUBLIC_KEY_OID) && contains(&der, &P256_OID) {
                KeyRejection::PointNotOnCurve
            } else {
                KeyRejection::UnsupportedKeyType
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_kids_only() {
        for good in ["a", "A-z_0-9", "7c2ef3a0-4d1e-4f8b-9a3c-5e6f7a8b9c0d"] {
            assert!(is_plain_kid(good), "{good}");
        }
        for bad in [
            "", "/", "a/b", "..", "../x", "a.b", "%2e%2e", "a%2Fb", "a b", "a\tb", "a\nb", "a?b",
            "a#b", "a\\b", "a:b", "é", "a\0",
        ] {
            assert!(!is_plain_kid(bad), "{bad:?}");
        }
        assert!(is_plain_kid(&"k".repeat(MAX_ALB_KID_LEN)));
        assert!(!is_plain_kid(&"k".repeat(MAX_ALB_KID_LEN + 1)));
    }

    #[test]
    fn regions_and_their_endpoints() {
        assert_eq!(
            regional_base("eu-west-1").unwrap(),
            "https://public-keys.auth.elb.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            regional_base("cn-north-1").unwrap(),
            "https://public-keys.auth.elb.cn-north-1.amazonaws.com.cn"
        );
        assert!(regional_base("us-gov-west-1").is_ok());
        for bad in [
            "",
            "eu",
            "EU-WEST-1",
            "eu-west-1.evil.com",
            "eu/west",
            "-eu-1",
            "a-",
        ] {
            assert!(
                matches!(regional_base(bad), Err(BuildError::InvalidRegion)),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_ec_p256_pems_become_keys_each_refusal_with_its_reason() {
        use tollgate_testkit::{JwsAlg, SigningKey};
        let es256 = KeySetOptions::default().algorithms([Algorithm::Es256]);
        let reason = |pem: &str, options: &KeySetOptions| {
            parse_pem_key("k", pem.as_bytes(), options).map(|key| key.key_type())
        };
        let p256 = SigningKey::generate_for(JwsAlg::Es256).unwrap();
        assert_eq!(
            reason(&p256.public_key_spki_pem(), &es256),
            Ok(KeyType::EcP256)
        );
        let p384 = SigningKey::generate_for(JwsAlg::Es384).unwrap();
        assert_eq!(
            reason(&p384.public_key_spki_pem(), &es256),
            Err(KeyRejection::UnsupportedCurve)
        );
        for other in [
            SigningKey::generate_for(JwsAlg::EdDsa).unwrap(),
            SigningKey::fixture(0).unwrap(),
        ] {
            assert_eq!(
                reason(&other.public_key_spki_pem(), &es256),
                Err(KeyRejection::UnsupportedKeyType)
            );
        }
        // A P-256 SPKI whose point is moved off the curve.
        let mut der = p256.public_key_spki_der();
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let off_curve = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(&der)
        );
        assert_eq!(
            reason(&off_curve, &es256),
            Err(KeyRejection::PointNotOnCurve)
        );
        assert_eq!(reason("not a pem", &es256), Err(KeyRejection::BadEncoding));
        assert_eq!(
            reason(&p256.public_key_spki_pem(), &KeySetOptions::default()),
            Err(KeyRejection::AlgorithmNotAllowed)
        );
    }

    #[test]
    fn pem_armour_is_strict() {
        assert!(
            pem_body(b"-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----\n").is_some()
        );
        assert!(
            pem_body(b"  -----BEGIN PUBLIC KEY-----\r\nAA\r\nEC\r\n-----END PUBLIC KEY-----")
                .is_some()
        );
        for bad in [
            &b"AAEC"[..],
            b"-----BEGIN RSA PUBLIC KEY-----\nAAEC\n-----END RSA PUBLIC KEY-----",
            b"-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----",
            b"-----BEGIN PUBLIC KEY-----\nAA!C\n-----END PUBLIC KEY-----",
            b"-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----\ntrailer",
            b"\xff-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----",
        ] {
            assert!(
                pem_body(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
