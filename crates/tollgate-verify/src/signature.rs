//! What a failed signature check means for the token: the key layer's [`SignatureError`]
//! mapped to the [`VerifyError`] the verifier reports.

use tollgate_jwks::{Algorithm, KeyType, SignatureError};

use crate::{EcdsaForm, VerifyError};

/// The refusal for a signature check that failed with `error` under `algorithm`.
///
/// RSA and Ed25519 signatures of the wrong length are plain invalid signatures (as before
/// EC support); ECDSA signatures that are not in the JWS form (`R || S`) say how they are not,
/// since that is what a misconfigured signer (DER output) or an attack (CVE-2022-21449)
/// looks like.
pub(crate) fn refusal(error: SignatureError, algorithm: Algorithm) -> VerifyError {
    let ecdsa = matches!(algorithm.key_type(), KeyType::EcP256 | KeyType::EcP384);
    match error {
        SignatureError::AlgorithmMismatch => VerifyError::KeyAlgorithmMismatch,
        SignatureError::DerEncoded => VerifyError::EcdsaSignatureForm(EcdsaForm::Der),
        SignatureError::ZeroComponent => VerifyError::EcdsaSignatureForm(EcdsaForm::ZeroInteger),
        SignatureError::WrongLength if ecdsa => VerifyError::EcdsaSignatureForm(EcdsaForm::Length),
        _ => VerifyError::InvalidSignature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_form_errors_are_named_and_the_rest_is_an_invalid_signature() {
        for alg in [Algorithm::Es256, Algorithm::Es384] {
            assert_eq!(
                refusal(SignatureError::WrongLength, alg),
                VerifyError::EcdsaSignatureForm(EcdsaForm::Length)
            );
            assert_eq!(
                refusal(SignatureError::DerEncoded, alg),
                VerifyError::EcdsaSignatureForm(EcdsaForm::Der)
            );
            assert_eq!(
                refusal(SignatureError::ZeroComponent, alg),
                VerifyError::EcdsaSignatureForm(EcdsaForm::ZeroInteger)
            );
            assert_eq!(
                refusal(SignatureError::Invalid, alg),
                VerifyError::InvalidSignature
            );
        }
        for alg in [Algorithm::Rs256, Algorithm::Ps512, Algorithm::EdDsa] {
            assert_eq!(
                refusal(SignatureError::WrongLength, alg),
                VerifyError::InvalidSignature
            );
            assert_eq!(
                refusal(SignatureError::AlgorithmMismatch, alg),
                VerifyError::KeyAlgorithmMismatch
            );
        }
    }
}
