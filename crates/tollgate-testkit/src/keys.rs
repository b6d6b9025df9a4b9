//! RSA signing keys, Cognito-shaped key ids and JWK sets.
//!
//! ```
//! use tollgate_testkit::{RsaAlg, SigningKey, jwks_json};
//!
//! # fn main() -> Result<(), tollgate_testkit::TestkitError> {
//! // Committed fixture keys load instantly; `SigningKey::generate()` makes a fresh one.
//! let key = SigningKey::fixture(0)?;
//! assert_eq!(key.bits(), 2048);
//! assert!(key.kid().ends_with('='));
//!
//! let jwk = key.public_jwk();
//! assert_eq!(jwk["kty"], "RSA");
//! assert_eq!(jwk["e"], "AQAB");
//!
//! let signature = key.sign(RsaAlg::Rs256, b"header.payload")?;
//! assert_eq!(signature.len(), 256);
//!
//! let set: serde_json::Value = serde_json::from_str(&jwks_json(&[&key]))?;
//! assert_eq!(set["keys"][0]["kid"], key.kid());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::random::random_bytes;
use crate::raw::b64url;
use crate::{RsaAlg, TestkitError, pem};

/// The committed fixture keys (`fixtures/rsa2048-{0..3}.pem`), test-only.
const FIXTURES: [&str; 4] = [
    include_str!("../fixtures/rsa2048-0.pem"),
    include_str!("../fixtures/rsa2048-1.pem"),
    include_str!("../fixtures/rsa2048-2.pem"),
    include_str!("../fixtures/rsa2048-3.pem"),
];

/// An RSA private key with a key id, used to sign test tokens and to publish
/// its public half in a JWK set.
///
/// Cloning is cheap (the key material is shared). `Debug` shows only the kid
/// and the modulus size, never key material.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    material: Arc<KeyMaterial>,
}

struct KeyMaterial {
    pair: KeyPair,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    spki_der: Vec<u8>,
    pkcs1_der: Vec<u8>,
}

impl SigningKey {
    /// Generates a fresh RSA-2048 key with a random Cognito-like kid (see [`cognito_kid`]).
    ///
    /// Key generation takes a noticeable fraction of a second in debug builds;
    /// prefer [`SigningKey::fixture`] where a fixed key will do.
    ///
    /// # Errors
    ///
    /// [`TestkitError::KeyGeneration`] if aws-lc fails.
    pub fn generate() -> Result<Self, TestkitError> {
        Self::generate_with_bits(2048)
    }

    /// Generates a fresh RSA key of `bits` bits (2048, 3072, 4096 or 8192) with a
    /// random Cognito-like kid.
    ///
    /// # Errors
    ///
    /// [`TestkitError::UnsupportedKeySize`] for any other size;
    /// [`TestkitError::KeyGeneration`] if aws-lc fails.
    pub fn generate_with_bits(bits: usize) -> Result<Self, TestkitError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ => return Err(TestkitError::UnsupportedKeySize { bits }),
        };
        let pair = KeyPair::generate(size).map_err(|_| TestkitError::KeyGeneration { bits })?;
        Self::from_pair(cognito_kid(), pair)
    }

    /// Loads an unencrypted private key from PEM: PKCS#8 (`-----BEGIN PRIVATE KEY-----`,
    /// what `openssl genpkey` writes) or PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`).
    ///
    /// # Errors
    ///
    /// [`TestkitError::InvalidPem`] if the armour or base64 is broken or the label is
    /// not a private key; [`TestkitError::KeyRejected`] if aws-lc refuses the key.
    pub fn from_pkcs8_pem(kid: impl Into<String>, pem: &str) -> Result<Self, TestkitError> {
        let doc = pem::decode(pem)?;
        let pair = match doc.label.as_str() {
            "PRIVATE KEY" => KeyPair::from_pkcs8(&doc.der),
            "RSA PRIVATE KEY" => KeyPair::from_der(&doc.der),
            _ => {
                return Err(TestkitError::InvalidPem {
                    reason: "label is not PRIVATE KEY or RSA PRIVATE KEY",
                });
            }
        }
        .map_err(|e| TestkitError::KeyRejected {
            reason: e.description_(),
        })?;
        Self::from_pair(kid.into(), pair)
    }

    /// One of the committed RSA-2048 fixture keys, `index` in `0..=3`.
    ///
    /// Loading is fast (no key generation) and deterministic: the kid is the
    /// standard base64 of the SHA-256 of the public key's SPKI DER, so it looks
    /// like a Cognito kid (44 characters, contains `+` or `/`, ends with `=`) and
    /// never changes. These keys are public: use them only in tests.
    ///
    /// # Errors
    ///
    /// [`TestkitError::UnknownFixture`] for an index above 3.
    pub fn fixture(index: usize) -> Result<Self, TestkitError> {
        let text = FIXTURES.get(index).ok_or(TestkitError::UnknownFixture {
            index,
            max: FIXTURES.len() - 1,
        })?;
        let key = Self::from_pkcs8_pem(String::new(), text)?;
        let kid = STANDARD.encode(digest::digest(&digest::SHA256, &key.material.spki_der));
        Ok(key.with_kid(kid))
    }

    /// Number of committed fixture keys ([`SigningKey::fixture`] accepts `0..FIXTURE_COUNT`).
    pub const FIXTURE_COUNT: usize = FIXTURES.len();

    fn from_pair(kid: String, pair: KeyPair) -> Result<Self, TestkitError> {
        let public = pair.public_key();
        let modulus = public.modulus().big_endian_without_leading_zero().to_vec();
        let exponent = public.exponent().big_endian_without_leading_zero().to_vec();
        let pkcs1_der = public.as_ref().to_vec();
        let spki_der = public
            .as_der()
            .map_err(|_| TestkitError::PublicKeyEncoding)?
            .as_ref()
            .to_vec();
        Ok(Self {
            kid,
            material: Arc::new(KeyMaterial {
                pair,
                modulus,
                exponent,
                spki_der,
                pkcs1_der,
            }),
        })
    }

    /// The same key under another kid (for example a fixed kid, or an attacker-chosen one).
    #[must_use]
    pub fn with_kid(self, kid: impl Into<String>) -> Self {
        Self {
            kid: kid.into(),
            material: self.material,
        }
    }

    /// The key id put in token headers and in the JWK.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public modulus `n`, big-endian, without a leading zero octet.
    #[must_use]
    pub fn modulus(&self) -> &[u8] {
        &self.material.modulus
    }

    /// The public exponent `e`, big-endian, without leading zero octets (`[1, 0, 1]`).
    #[must_use]
    pub fn exponent(&self) -> &[u8] {
        &self.material.exponent
    }

    /// The modulus size in bits (2048 for fixtures and [`SigningKey::generate`]).
    #[must_use]
    pub fn bits(&self) -> usize {
        let n = &self.material.modulus;
        match n.first() {
            Some(first) => n.len() * 8 - first.leading_zeros() as usize,
            None => 0,
        }
    }

    /// The public JWK exactly as Cognito publishes it:
    /// `{"alg":"RS256","e":..,"kid":..,"kty":"RSA","n":..,"use":"sig"}`
    /// (`n` and `e` base64url without padding).
    #[must_use]
    pub fn public_jwk(&self) -> serde_json::Value {
        json!({
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": b64url(self.modulus()),
            "e": b64url(self.exponent()),
        })
    }

    /// Signs `message` with `alg` and returns the raw signature (modulus-length bytes).
    ///
    /// # Errors
    ///
    /// [`TestkitError::Signing`] if aws-lc fails.
    pub fn sign(&self, alg: RsaAlg, message: &[u8]) -> Result<Vec<u8>, TestkitError> {
        let pair = &self.material.pair;
        let mut signature = vec![0_u8; pair.public_modulus_len()];
        pair.sign(
            alg.encoding(),
            &SystemRandom::new(),
            message,
            &mut signature,
        )
        .map_err(|_| TestkitError::Signing { alg: alg.name() })?;
        Ok(signature)
    }

    /// The public key as DER `SubjectPublicKeyInfo` (RFC 5280).
    #[must_use]
    pub fn public_key_spki_der(&self) -> Vec<u8> {
        self.material.spki_der.clone()
    }

    /// The public key as DER `RSAPublicKey` (PKCS#1, RFC 8017).
    #[must_use]
    pub fn public_key_pkcs1_der(&self) -> Vec<u8> {
        self.material.pkcs1_der.clone()
    }

    /// The public key as PEM `-----BEGIN PUBLIC KEY-----` (SPKI), 64-column lines,
    /// trailing newline. Handy as an HMAC secret in HS256 alg-confusion tests.
    #[must_use]
    pub fn public_key_spki_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.material.spki_der)
    }

    /// The public key as PEM `-----BEGIN RSA PUBLIC KEY-----` (PKCS#1), 64-column
    /// lines, trailing newline.
    #[must_use]
    pub fn public_key_pkcs1_pem(&self) -> String {
        pem::encode("RSA PUBLIC KEY", &self.material.pkcs1_der)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// A random key id shaped like Cognito's: the standard (not URL-safe) base64 of
/// 32 random bytes, 44 characters ending in `=`.
///
/// At least one `+` or `/` is guaranteed, so tests can rely on the kid containing
/// characters that are not URL-safe.
///
/// ```
/// let kid = tollgate_testkit::cognito_kid();
/// assert_eq!(kid.len(), 44);
/// assert!(kid.ends_with('='));
/// assert!(kid.contains('+') || kid.contains('/'));
/// ```
#[must_use]
pub fn cognito_kid() -> String {
    let mut kid = STANDARD.encode(random_bytes::<32>());
    if !kid.contains(['+', '/']) {
        // Still valid base64 of 32 bytes: '/' is the sextet 63.
        kid.replace_range(0..1, "/");
    }
    kid
}

/// Serialises `{"keys":[<public JWK>...]}` for the given keys, in order.
#[must_use]
pub fn jwks_json(keys: &[&SigningKey]) -> String {
    let keys: Vec<serde_json::Value> = keys.iter().map(|k| k.public_jwk()).collect();
    json!({ "keys": keys }).to_string()
}
