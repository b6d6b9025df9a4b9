//! An immutable, validated set of verification keys.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::jwk::{KeyRejection, SkippedKey, claimed_kid, parse_jwk};
use crate::{Algorithm, FetchError, VerifyingKey};

/// What a key set may contain. Shared by every way of loading one.
#[derive(Debug, Clone)]
pub struct KeySetOptions {
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) max_keys: usize,
    pub(crate) max_kid_len: usize,
}

impl Default for KeySetOptions {
    fn default() -> Self {
        Self {
            algorithms: vec![Algorithm::Rs256],
            max_keys: 64,
            max_kid_len: 256,
        }
    }
}

impl KeySetOptions {
    /// Algorithms keys may be used with (default: `RS256` only). A JWK whose `alg` names
    /// another algorithm is skipped; a JWK without `alg` is usable with each of these, so with
    /// more than one allowed algorithm prefer issuers that name `alg` in their JWKs (RFC 8725
    /// §3.1: one algorithm per key).
    #[must_use]
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        let mut algorithms: Vec<Algorithm> = algorithms.into_iter().collect();
        algorithms.sort();
        algorithms.dedup();
        self.algorithms = algorithms;
        self
    }

    /// Most entries read from one set (default 64); later entries are skipped.
    #[must_use]
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// Longest accepted `kid`, in bytes (default 256).
    #[must_use]
    pub fn max_kid_len(mut self, max_kid_len: usize) -> Self {
        self.max_kid_len = max_kid_len;
        self
    }

    /// The allowed algorithms.
    #[must_use]
    pub fn allowed_algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The longest accepted `kid`.
    #[must_use]
    pub fn kid_limit(&self) -> usize {
        self.max_kid_len
    }
}

#[derive(Deserialize)]
struct RawSet<'a> {
    #[serde(borrow)]
    keys: Vec<&'a RawValue>,
}

/// Logs the first few skipped entries one by one and the rest as one line, so a set of junk
/// cannot flood the logs on every retry.
fn log_skipped(skipped: &[SkippedKey]) {
    const DETAILED: usize = 8;
    for skip in skipped.iter().take(DETAILED) {
        tracing::warn!(
            target: "tollgate_jwks",
            kid = skip.kid().map(crate::log_safe).unwrap_or_default(),
            reason = %skip.reason(),
            "skipping unusable key"
        );
    }
    if skipped.len() > DETAILED {
        tracing::warn!(
            target: "tollgate_jwks",
            more = skipped.len() - DETAILED,
            "skipping more unusable keys"
        );
    }
}

/// A validated JWK set: the usable keys by `kid`, plus what was skipped and why.
///
/// # Example
///
/// ```
/// use tollgate_jwks::{KeySet, KeySetOptions};
///
/// // A key set whose only entry is an EC key has no usable key: that is an error,
/// // never an empty set that silently rejects everything.
/// let body = br#"{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"AA","y":"AA"}]}"#;
/// let err = KeySet::from_json(body, &KeySetOptions::default()).unwrap_err();
/// assert!(err.to_string().contains("no usable key"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashMap<Box<str>, Arc<VerifyingKey>>,
    skipped: Vec<SkippedKey>,
}

/// Up to this many keys, [`KeySet::get`] compares kids instead of hashing.
const SCANNED_KEYS: usize = 8;

impl KeySet {
    /// Parses and validates a JWK set document (`{"keys": [...]}`).
    ///
    /// Each unusable entry is skipped with a reason; two entries with the same `kid` make that
    /// `kid` unusable.
    ///
    /// # Errors
    ///
    /// [`FetchError::InvalidJson`] when the document is not a JSON object with a `keys` array,
    /// and [`FetchError::NoUsableKeys`] when no entry passes the key policy.
    pub fn from_json(body: &[u8], options: &KeySetOptions) -> Result<Self, FetchError> {
        let raw: RawSet<'_> = serde_json::from_slice(body).map_err(|_| FetchError::InvalidJson)?;
        // Every entry claims its kid, however broken it is and wherever it stands in the set
        // (past `max_keys` included): two claims on one kid make it unusable, whatever order
        // the entries come in.
        let mut claims: HashMap<String, usize> = HashMap::new();
        for entry in &raw.keys {
            if let Some(kid) = claimed_kid(entry) {
                *claims.entry(kid).or_default() += 1;
            }
        }
        let mut keys: HashMap<Box<str>, Arc<VerifyingKey>> = HashMap::new();
        let mut skipped = Vec::new();
        for (index, entry) in raw.keys.iter().enumerate() {
            if index >= options.max_keys {
                skipped.push(SkippedKey::new(None, KeyRejection::TooManyKeys));
                continue;
            }
            match parse_jwk(entry, options) {
                Ok(key) if claims.get(key.kid()).copied().unwrap_or(0) > 1 => {
                    skipped.push(SkippedKey::new(
                        Some(key.kid().to_owned()),
                        KeyRejection::DuplicateKid,
                    ));
                }
                Ok(key) => {
                    keys.insert(key.kid().into(), Arc::new(key));
                }
                Err(skip) => skipped.push(skip),
            }
        }
        log_skipped(&skipped);
        if keys.is_empty() {
            return Err(FetchError::NoUsableKeys {
                skipped: skipped.len(),
            });
        }
        Ok(Self { keys, skipped })
    }

    /// The key with this `kid`.
    #[must_use]
    pub fn get(&self, kid: &str) -> Option<&Arc<VerifyingKey>> {
        // Key sets hold a handful of keys: comparing their kids costs less than hashing one
        // (SipHash over a 44-byte Cognito kid is most of a lookup).
        if self.keys.len() <= SCANNED_KEYS {
            return self
                .keys
                .iter()
                .find(|(candidate, _)| ***candidate == *kid)
                .map(|(_, key)| key);
        }
        self.keys.get(kid)
    }

    /// Number of usable keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no usable key (only for [`KeySet::default`]).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The usable keys.
    pub fn keys(&self) -> impl Iterator<Item = &Arc<VerifyingKey>> {
        self.keys.values()
    }

    /// Entries that were skipped, with reasons.
    #[must_use]
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// A set of these keys (already checked), with what was skipped.
    pub(crate) fn from_keys(
        keys: impl IntoIterator<Item = Arc<VerifyingKey>>,
        skipped: Vec<SkippedKey>,
    ) -> Self {
        Self {
            keys: keys
                .into_iter()
                .map(|key| (Box::from(key.kid()), key))
                .collect(),
            skipped,
        }
    }

    /// Carries key identity over from `previous`: a key whose material did not change keeps its
    /// `Arc` (so anything bound to it stays valid), and every key of `previous` that is gone or
    /// changed is revoked.
    pub(crate) fn succeed(mut self, previous: &Self) -> Self {
        for (kid, old) in &previous.keys {
            match self.keys.get_mut(kid) {
                Some(new) if new.same_material(old) => *new = Arc::clone(old),
                _ => old.revoke(),
            }
        }
        self
    }
}
