//! The form a signature must have for its algorithm, checked before the crypto library sees
//! it: RSA signatures as long as the modulus, ECDSA signatures in the JWS form (`R || S`, each
//! exactly the curve's size; RFC 7518 §3.4), Ed25519 signatures of 64 bytes.

use crate::{KeyType, SignatureError};

/// Length of an Ed25519 signature (RFC 8032 §5.1.6).
const ED25519_SIGNATURE_LEN: usize = 64;

/// Checks the form of `signature` for a key of `key_type` (`rsa_len`: the modulus length in
/// bytes, for RSA keys); the key serves exactly one family, so the key type decides. Only the
/// crypto library decides whether a signature of the right form verifies.
pub(crate) fn check_form(
    key_type: KeyType,
    rsa_len: usize,
    signature: &[u8],
) -> Result<(), SignatureError> {
    match key_type {
        KeyType::Rsa => {
            if signature.len() == rsa_len {
                Ok(())
            } else {
                Err(SignatureError::WrongLength)
            }
        }
        // Bytes of one integer (`R` or `S`) in the JWS form: the curve's size.
        KeyType::EcP256 => check_ecdsa(signature, 32),
        KeyType::EcP384 => check_ecdsa(signature, 48),
        KeyType::Ed25519 => {
            if signature.len() == ED25519_SIGNATURE_LEN {
                Ok(())
            } else {
                Err(SignatureError::WrongLength)
            }
        }
    }
}

/// `R || S` of exactly `2 * half` bytes, neither integer zero. A signature of another length
/// that is a DER `SEQUENCE` (the encoding X.509 and most crypto APIs use, which JWS does not)
/// is reported as such.
fn check_ecdsa(signature: &[u8], half: usize) -> Result<(), SignatureError> {
    if signature.len() != 2 * half {
        return Err(if looks_like_der(signature) {
            SignatureError::DerEncoded
        } else {
            SignatureError::WrongLength
        });
    }
    let (r, s) = signature.split_at(half);
    // CVE-2022-21449 ("psychic signatures"): r = 0 or s = 0 must never reach the
    // verification equation. aws-lc refuses them too; this makes the reason explicit.
    if r.iter().all(|b| *b == 0) || s.iter().all(|b| *b == 0) {
        return Err(SignatureError::ZeroComponent);
    }
    Ok(())
}

/// Whether `bytes` is shaped like a DER `SEQUENCE` of two `INTEGER`s: tag `0x30`, a length
/// (short or one-byte long form) that matches the rest exactly, then an `INTEGER` tag.
fn looks_like_der(bytes: &[u8]) -> bool {
    match bytes {
        [0x30, len, 0x02, ..] if *len < 0x80 => usize::from(*len) == bytes.len() - 2,
        [0x30, 0x81, len, 0x02, ..] if *len >= 0x80 => usize::from(*len) == bytes.len() - 3,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es256(signature: &[u8]) -> Result<(), SignatureError> {
        check_form(KeyType::EcP256, 0, signature)
    }

    #[test]
    fn ecdsa_jws_form() {
        let mut good = [7u8; 64];
        assert_eq!(es256(&good), Ok(()));
        good[..32].fill(0);
        assert_eq!(es256(&good), Err(SignatureError::ZeroComponent));
        let mut s_zero = [7u8; 64];
        s_zero[32..].fill(0);
        assert_eq!(es256(&s_zero), Err(SignatureError::ZeroComponent));
        assert_eq!(es256(&[0u8; 64]), Err(SignatureError::ZeroComponent));
        // r = 0 except its last byte is not zero.
        let mut r_one = [0u8; 64];
        r_one[31] = 1;
        r_one[63] = 1;
        assert_eq!(es256(&r_one), Ok(()));
        for len in [0, 1, 63, 65, 96, 128] {
            assert_eq!(
                es256(&vec![7u8; len]),
                Err(SignatureError::WrongLength),
                "{len}"
            );
        }
    }

    #[test]
    fn der_signatures_are_named() {
        // SEQUENCE { INTEGER 33 bytes, INTEGER 32 bytes }: 2 + 35 + 34 = 71 bytes.
        let mut der = vec![0x30, 69, 0x02, 33, 0x00];
        der.extend([0x80; 32]);
        der.extend([0x02, 32]);
        der.extend([0x11; 32]);
        assert_eq!(der.len(), 71);
        assert_eq!(es256(&der), Err(SignatureError::DerEncoded));
        // A wrong length byte is just a wrong length.
        der[1] = 70;
        assert_eq!(es256(&der), Err(SignatureError::WrongLength));
        // P-384 DER uses the long form above 127 bytes of content.
        let mut long = vec![0x30, 0x81, 0x80, 0x02];
        long.resize(0x80 + 3, 0x11);
        assert_eq!(
            check_form(KeyType::EcP384, 0, &long),
            Err(SignatureError::DerEncoded)
        );
    }

    #[test]
    fn rsa_and_ed25519_lengths() {
        assert_eq!(check_form(KeyType::Rsa, 256, &[1; 256]), Ok(()));
        assert_eq!(
            check_form(KeyType::Rsa, 256, &[1; 255]),
            Err(SignatureError::WrongLength)
        );
        assert_eq!(check_form(KeyType::Ed25519, 0, &[1; 64]), Ok(()));
        assert_eq!(
            check_form(KeyType::Ed25519, 0, &[1; 65]),
            Err(SignatureError::WrongLength)
        );
    }
}
