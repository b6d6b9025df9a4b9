//! Signing keys (RSA, EC P-256 / P-384, Ed25519), Cognito-shaped key ids and JWK sets.
//!
//! ```
//! use tollgate_testkit::{JwsAlg, RsaAlg, SigningKey, jwks_json};
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
//!
//! // One key per algorithm: EC and Ed25519 keys are generated instantly.
//! let ec = SigningKey::generate_for(JwsAlg::Es256)?;
//! assert_eq!(ec.public_jwk()["crv"], "P-256");
//! assert_eq!(ec.sign(JwsAlg::Es256, b"header.payload")?.len(), 64);
//! let ed = SigningKey::generate_for(JwsAlg::EdDsa)?;
//! assert_eq!(ed.public_jwk()["kty"], "OKP");
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _, RsaPssSaltLength,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::random::random_bytes;
use crate::raw::b64url;
use crate::{JwsAlg, TestkitError, pem};

/// The committed fixture keys (`fixtures/rsa2048-{0..3}.pem`), test-only.
const FIXTURES: [&str; 4] = [
    include_str!("../fixtures/rsa2048-0.pem"),
    include_str!("../fixtures/rsa2048-1.pem"),
    include_str!("../fixtures/rsa2048-2.pem"),
    include_str!("../fixtures/rsa2048-3.pem"),
];

/// The kind of a [`SigningKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// RSA (serves `RS*` and `PS*`).
    Rsa,
    /// ECDSA on P-256 (`ES256`).
    EcP256,
    /// ECDSA on P-384 (`ES384`).
    EcP384,
    /// Ed25519 (`EdDSA`).
    Ed25519,
}

/// A private key with a key id (RSA, EC P-256 / P-384 or Ed25519), used to sign test tokens
/// and to publish its public half in a JWK set.
///
/// Each key has an [algorithm](SigningKey::algorithm): the one [`TokenBuilder::sign`]
/// uses and its JWK's `alg` names (RS256 for RSA keys unless changed with
/// [`with_alg`](SigningKey::with_alg)). Cloning is cheap (the key material is shared).
/// `Debug` shows only the kid, kind and size, never key material.
///
/// [`TokenBuilder::sign`]: crate::TokenBuilder::sign
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    alg: JwsAlg,
    jwk_alg: bool,
    material: Arc<KeyMaterial>,
}

enum KeyMaterial {
    Rsa {
        pair: KeyPair,
        modulus: Vec<u8>,
        exponent: Vec<u8>,
        spki_der: Vec<u8>,
        pkcs1_der: Vec<u8>,
    },
    Ec {
        pair: EcdsaKeyPair,
        kind: KeyKind,
        /// `04 || x || y`.
        point: Vec<u8>,
        spki_der: Vec<u8>,
    },
    Ed25519 {
        pair: Ed25519KeyPair,
        public: Vec<u8>,
        spki_der: Vec<u8>,
    },
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

    /// Generates a fresh key for `alg` with a random Cognito-like kid: RSA-2048 for `RS*` and
    /// `PS*`, P-256 for `ES256`, P-384 for `ES384`, Ed25519 for `EdDSA`. Its JWK names `alg`.
    ///
    /// # Errors
    ///
    /// [`TestkitError::KeyGeneration`] if aws-lc fails.
    pub fn generate_for(alg: JwsAlg) -> Result<Self, TestkitError> {
        let key = match alg {
            JwsAlg::Es256 => Self::generate_ec(&ECDSA_P256_SHA256_FIXED_SIGNING, KeyKind::EcP256)?,
            JwsAlg::Es384 => Self::generate_ec(&ECDSA_P384_SHA384_FIXED_SIGNING, KeyKind::EcP384)?,
            JwsAlg::EdDsa => {
                let pair = Ed25519KeyPair::generate()
                    .map_err(|_| TestkitError::KeyGeneration { bits: 256 })?;
                Self::from_ed25519(cognito_kid(), pair)?
            }
            _ => Self::generate()?,
        };
        Ok(key.with_alg(alg))
    }

    fn generate_ec(
        signing: &'static EcdsaSigningAlgorithm,
        kind: KeyKind,
    ) -> Result<Self, TestkitError> {
        let bits = if kind == KeyKind::EcP256 { 256 } else { 384 };
        let pair =
            EcdsaKeyPair::generate(signing).map_err(|_| TestkitError::KeyGeneration { bits })?;
        Self::from_ec(cognito_kid(), pair, kind)
    }

    /// Loads an unencrypted private key from PEM: PKCS#8 (`-----BEGIN PRIVATE KEY-----`,
    /// what `openssl genpkey` writes) holding an RSA, EC P-256, EC P-384 or Ed25519 key, or
    /// PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`).
    ///
    /// # Errors
    ///
    /// [`TestkitError::InvalidPem`] if the armour or base64 is broken or the label is
    /// not a private key; [`TestkitError::KeyRejected`] if aws-lc refuses the key.
    pub fn from_pkcs8_pem(kid: impl Into<String>, pem: &str) -> Result<Self, TestkitError> {
        let doc = pem::decode(pem)?;
        let kid = kid.into();
        let rsa = match doc.label.as_str() {
            "PRIVATE KEY" => KeyPair::from_pkcs8(&doc.der),
            "RSA PRIVATE KEY" => KeyPair::from_der(&doc.der),
            _ => {
                return Err(TestkitError::InvalidPem {
                    reason: "label is not PRIVATE KEY or RSA PRIVATE KEY",
                });
            }
        };
        let rejected = match rsa {
            Ok(pair) => return Self::from_pair(kid, pair),
            Err(e) => TestkitError::KeyRejected {
                reason: e.description_(),
            },
        };
        if doc.label != "PRIVATE KEY" {
            return Err(rejected);
        }
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &doc.der) {
            return Self::from_ec(kid, pair, KeyKind::EcP256);
        }
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &doc.der) {
            return Self::from_ec(kid, pair, KeyKind::EcP384).map(|k| k.with_alg(JwsAlg::Es384));
        }
        if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&doc.der) {
            return Self::from_ed25519(kid, pair);
        }
        Err(rejected)
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
        let kid = STANDARD.encode(digest::digest(&digest::SHA256, &key.public_key_spki_der()));
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
            alg: JwsAlg::Rs256,
            jwk_alg: true,
            material: Arc::new(KeyMaterial::Rsa {
                pair,
                modulus,
                exponent,
                spki_der,
                pkcs1_der,
            }),
        })
    }

    fn from_ec(kid: String, pair: EcdsaKeyPair, kind: KeyKind) -> Result<Self, TestkitError> {
        let public = pair.public_key();
        let point = public.as_ref().to_vec();
        let spki_der = public
            .as_der()
            .map_err(|_| TestkitError::PublicKeyEncoding)?
            .as_ref()
            .to_vec();
        Ok(Self {
            kid,
            alg: if kind == KeyKind::EcP256 {
                JwsAlg::Es256
            } else {
                JwsAlg::Es384
            },
            jwk_alg: true,
            material: Arc::new(KeyMaterial::Ec {
                pair,
                kind,
                point,
                spki_der,
            }),
        })
    }

    fn from_ed25519(kid: String, pair: Ed25519KeyPair) -> Result<Self, TestkitError> {
        let public = pair.public_key();
        let bytes = public.as_ref().to_vec();
        let spki_der = public
            .as_der()
            .map_err(|_| TestkitError::PublicKeyEncoding)?
            .as_ref()
            .to_vec();
        Ok(Self {
            kid,
            alg: JwsAlg::EdDsa,
            jwk_alg: true,
            material: Arc::new(KeyMaterial::Ed25519 {
                pair,
                public: bytes,
                spki_der,
            }),
        })
    }

    /// The same key under another kid (for example a fixed kid, or an attacker-chosen one).
    #[must_use]
    pub fn with_kid(self, kid: impl Into<String>) -> Self {
        Self {
            kid: kid.into(),
            ..self
        }
    }

    /// The same key with another default algorithm, which its JWK's `alg` names too (for
    /// example `PS256` for an RSA key). Any algorithm is accepted, so a JWK can also claim
    /// an algorithm its key cannot serve (`ES256` on an RSA key) for negative tests.
    #[must_use]
    pub fn with_alg(self, alg: JwsAlg) -> Self {
        Self { alg, ..self }
    }

    /// The same key, published without `alg` in its JWK (it still signs with
    /// [`algorithm`](Self::algorithm)).
    #[must_use]
    pub fn without_jwk_alg(self) -> Self {
        Self {
            jwk_alg: false,
            ..self
        }
    }

    /// The algorithm this key signs with by default and its JWK names.
    #[must_use]
    pub fn algorithm(&self) -> JwsAlg {
        self.alg
    }

    /// The kind of key.
    #[must_use]
    pub fn kind(&self) -> KeyKind {
        match &*self.material {
            KeyMaterial::Rsa { .. } => KeyKind::Rsa,
            KeyMaterial::Ec { kind, .. } => *kind,
            KeyMaterial::Ed25519 { .. } => KeyKind::Ed25519,
        }
    }

    /// The key id put in token headers and in the JWK.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public modulus `n`, big-endian, without a leading zero octet (empty for keys that
    /// are not RSA).
    #[must_use]
    pub fn modulus(&self) -> &[u8] {
        match &*self.material {
            KeyMaterial::Rsa { modulus, .. } => modulus,
            _ => &[],
        }
    }

    /// The public exponent `e`, big-endian, without leading zero octets (`[1, 0, 1]`; empty
    /// for keys that are not RSA).
    #[must_use]
    pub fn exponent(&self) -> &[u8] {
        match &*self.material {
            KeyMaterial::Rsa { exponent, .. } => exponent,
            _ => &[],
        }
    }

    /// The public point of an EC key (`04 || x || y`) or the 32-byte Ed25519 public key
    /// (empty for RSA keys).
    #[must_use]
    pub fn public_point(&self) -> &[u8] {
        match &*self.material {
            KeyMaterial::Rsa { .. } => &[],
            KeyMaterial::Ec { point, .. } => point,
            KeyMaterial::Ed25519 { public, .. } => public,
        }
    }

    /// The key size in bits: the RSA modulus size (2048 for fixtures and
    /// [`SigningKey::generate`]), 256 or 384 for EC keys, 256 for Ed25519.
    #[must_use]
    pub fn bits(&self) -> usize {
        match &*self.material {
            KeyMaterial::Rsa { modulus: n, .. } => match n.first() {
                Some(first) => n.len() * 8 - first.leading_zeros() as usize,
                None => 0,
            },
            KeyMaterial::Ec { kind, .. } if *kind == KeyKind::EcP384 => 384,
            KeyMaterial::Ec { .. } | KeyMaterial::Ed25519 { .. } => 256,
        }
    }

    /// The public JWK. RSA keys exactly as Cognito publishes them:
    /// `{"alg":"RS256","e":..,"kid":..,"kty":"RSA","n":..,"use":"sig"}`; EC keys as
    /// `{"kty":"EC","crv":"P-256","x":..,"y":..}` and Ed25519 keys as
    /// `{"kty":"OKP","crv":"Ed25519","x":..}` with the same `alg`, `use` and `kid` members
    /// (all values base64url without padding, coordinates at their full length). `alg` is
    /// the key's [algorithm](Self::algorithm), left out after
    /// [`without_jwk_alg`](Self::without_jwk_alg).
    #[must_use]
    pub fn public_jwk(&self) -> serde_json::Value {
        let mut jwk = match &*self.material {
            KeyMaterial::Rsa {
                modulus, exponent, ..
            } => json!({
                "kty": "RSA",
                "alg": self.alg.name(),
                "use": "sig",
                "kid": self.kid,
                "n": b64url(modulus),
                "e": b64url(exponent),
            }),
            KeyMaterial::Ec { kind, point, .. } => {
                let size = (point.len() - 1) / 2;
                json!({
                    "kty": "EC",
                    "crv": if *kind == KeyKind::EcP256 { "P-256" } else { "P-384" },
                    "alg": self.alg.name(),
                    "use": "sig",
                    "kid": self.kid,
                    "x": b64url(point.get(1..=size).unwrap_or_default()),
                    "y": b64url(point.get(size + 1..).unwrap_or_default()),
                })
            }
            KeyMaterial::Ed25519 { public, .. } => json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": self.alg.name(),
                "use": "sig",
                "kid": self.kid,
                "x": b64url(public),
            }),
        };
        if !self.jwk_alg
            && let Some(object) = jwk.as_object_mut()
        {
            object.remove("alg");
        }
        jwk
    }

    /// Signs `message` with `alg` and returns the raw signature: modulus-length bytes for
    /// RSA, `R || S` (64 or 96 bytes) for ECDSA, 64 bytes for Ed25519.
    ///
    /// # Errors
    ///
    /// [`TestkitError::AlgorithmMismatch`] if this key cannot sign `alg` (an RSA key and
    /// `ES256`, a P-256 key and `ES384`, ...); [`TestkitError::Signing`] if aws-lc fails.
    pub fn sign(&self, alg: JwsAlg, message: &[u8]) -> Result<Vec<u8>, TestkitError> {
        let mismatch = TestkitError::AlgorithmMismatch { alg: alg.name() };
        match (&*self.material, alg) {
            (KeyMaterial::Rsa { pair, .. }, alg) => {
                let encoding = alg.rsa_encoding().ok_or(mismatch)?;
                let mut signature = vec![0_u8; pair.public_modulus_len()];
                pair.sign(encoding, &SystemRandom::new(), message, &mut signature)
                    .map_err(|_| TestkitError::Signing { alg: alg.name() })?;
                Ok(signature)
            }
            (KeyMaterial::Ec { pair, kind, .. }, JwsAlg::Es256 | JwsAlg::Es384) => {
                let matches = (*kind == KeyKind::EcP256) == (alg == JwsAlg::Es256);
                if !matches {
                    return Err(mismatch);
                }
                pair.sign(&SystemRandom::new(), message)
                    .map(|signature| signature.as_ref().to_vec())
                    .map_err(|_| TestkitError::Signing { alg: alg.name() })
            }
            (KeyMaterial::Ed25519 { pair, .. }, JwsAlg::EdDsa) => {
                Ok(pair.sign(message).as_ref().to_vec())
            }
            _ => Err(mismatch),
        }
    }

    /// Signs `message` with RSASSA-PSS (`alg` one of `PS256`, `PS384`, `PS512`) and a salt of
    /// `salt_len` bytes instead of the hash length JWA requires: for tests that check a
    /// verifier refuses other salt lengths.
    ///
    /// # Errors
    ///
    /// [`TestkitError::AlgorithmMismatch`] for a key that is not RSA or an `alg` that is not
    /// PSS; [`TestkitError::Signing`] if aws-lc fails (a salt too long for the modulus).
    pub fn sign_pss_with_salt(
        &self,
        alg: JwsAlg,
        salt_len: u16,
        message: &[u8],
    ) -> Result<Vec<u8>, TestkitError> {
        let KeyMaterial::Rsa { pair, .. } = &*self.material else {
            return Err(TestkitError::AlgorithmMismatch { alg: alg.name() });
        };
        let encoding = pss_encoding(alg, salt_len)
            .ok_or(TestkitError::AlgorithmMismatch { alg: alg.name() })?;
        let mut signature = vec![0_u8; pair.public_modulus_len()];
        pair.sign(encoding, &SystemRandom::new(), message, &mut signature)
            .map_err(|_| TestkitError::Signing { alg: alg.name() })?;
        Ok(signature)
    }

    /// The public key as DER `SubjectPublicKeyInfo` (RFC 5280).
    #[must_use]
    pub fn public_key_spki_der(&self) -> Vec<u8> {
        match &*self.material {
            KeyMaterial::Rsa { spki_der, .. }
            | KeyMaterial::Ec { spki_der, .. }
            | KeyMaterial::Ed25519 { spki_der, .. } => spki_der.clone(),
        }
    }

    /// The public key as DER `RSAPublicKey` (PKCS#1, RFC 8017); empty for keys that are not
    /// RSA.
    #[must_use]
    pub fn public_key_pkcs1_der(&self) -> Vec<u8> {
        match &*self.material {
            KeyMaterial::Rsa { pkcs1_der, .. } => pkcs1_der.clone(),
            _ => Vec::new(),
        }
    }

    /// The public key as PEM `-----BEGIN PUBLIC KEY-----` (SPKI), 64-column lines,
    /// trailing newline: what an AWS ALB key endpoint serves for its EC keys, and handy as
    /// an HMAC secret in HS256 alg-confusion tests.
    #[must_use]
    pub fn public_key_spki_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.public_key_spki_der())
    }

    /// The public key as PEM `-----BEGIN RSA PUBLIC KEY-----` (PKCS#1), 64-column
    /// lines, trailing newline (an empty body for keys that are not RSA).
    #[must_use]
    pub fn public_key_pkcs1_pem(&self) -> String {
        pem::encode("RSA PUBLIC KEY", &self.public_key_pkcs1_der())
    }
}

/// The aws-lc PSS encoding of `alg` with a custom salt length. aws-lc-rs signs only with
/// `&'static` encodings, so each (algorithm, salt length) pair is made once and kept.
fn pss_encoding(
    alg: JwsAlg,
    salt_len: u16,
) -> Option<&'static aws_lc_rs::signature::RsaSignatureEncoding> {
    use std::sync::{Mutex, PoisonError};

    use aws_lc_rs::signature::{
        RSA_PSS_SHA256, RSA_PSS_SHA384, RSA_PSS_SHA512, RsaSignatureEncoding,
    };
    type Made = Vec<(JwsAlg, u16, &'static RsaSignatureEncoding)>;
    static MADE: Mutex<Made> = Mutex::new(Vec::new());

    let salt = RsaPssSaltLength::Custom(salt_len);
    let fresh = match alg {
        JwsAlg::Ps256 => RSA_PSS_SHA256.with_pss_salt_length(salt),
        JwsAlg::Ps384 => RSA_PSS_SHA384.with_pss_salt_length(salt),
        JwsAlg::Ps512 => RSA_PSS_SHA512.with_pss_salt_length(salt),
        _ => return None,
    };
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, _, encoding)) = made.iter().find(|(a, s, _)| *a == alg && *s == salt_len) {
        return Some(encoding);
    }
    let encoding: &'static RsaSignatureEncoding = Box::leak(Box::new(fresh));
    made.push((alg, salt_len, encoding));
    Some(encoding)
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("kind", &self.kind())
            .field("alg", &self.alg)
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
