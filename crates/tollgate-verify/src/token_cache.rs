//! A bounded cache of verified tokens: a repeat of a token skips parsing and the RSA check.

use std::hash::{BuildHasher, Hash, Hasher};

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::VerifiedToken;
use crate::admission::{Admission, FirstSightings};

/// Limits of the verified-token cache. Entries also expire at the token's own `exp` (plus
/// leeway), and each hit re-checks expiry against the verifier's clock and that the key that
/// verified the token is still in its issuer's set.
///
/// The cache is bounded both ways: every entry weighs at least `max_bytes / max_entries`,
/// so neither limit can be exceeded. A token is cached on its second successful verification
/// ([`Admission::SecondSighting`], the default): tokens used only once never enter it. The
/// filter that remembers first sightings is part of the byte budget.
///
/// ```
/// use tollgate_verify::{Admission, TokenCacheConfig};
/// let config = TokenCacheConfig::default().max_entries(50_000).max_bytes(32 << 20);
/// assert_eq!(config.entry_limit(), 50_000);
/// assert_eq!(config.admission_rule(), Admission::SecondSighting);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCacheConfig {
    max_entries: u64,
    max_bytes: u64,
    admission: Admission,
}

impl Default for TokenCacheConfig {
    fn default() -> Self {
        Self {
            max_entries: 100_000,
            max_bytes: 64 << 20,
            admission: Admission::SecondSighting,
        }
    }
}

impl TokenCacheConfig {
    /// Most entries (default 100,000).
    #[must_use]
    pub fn max_entries(mut self, max_entries: u64) -> Self {
        self.max_entries = max_entries.max(1);
        self
    }

    /// Most memory, estimated per entry (default 64 MiB).
    #[must_use]
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes.max(1);
        self
    }

    /// The entry limit.
    #[must_use]
    pub fn entry_limit(&self) -> u64 {
        self.max_entries
    }

    /// The memory limit in bytes.
    #[must_use]
    pub fn byte_limit(&self) -> u64 {
        self.max_bytes
    }

    /// When a verified token enters the cache (default [`Admission::SecondSighting`]).
    #[must_use]
    pub fn admission(mut self, admission: Admission) -> Self {
        self.admission = admission;
        self
    }

    /// The admission rule.
    #[must_use]
    pub fn admission_rule(&self) -> Admission {
        self.admission
    }
}

/// How full the verified-token cache is ([`Verifier::token_cache_usage`](crate::Verifier::token_cache_usage)).
///
/// The entry figures are read without locking and may lag concurrent inserts and evictions.
/// `estimated_bytes + admission_bytes` never exceeds the configured byte limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCacheUsage {
    /// Cached tokens.
    pub entries: u64,
    /// Their estimated memory in bytes, allocator rounding included.
    pub estimated_bytes: u64,
    /// The fixed memory of the filter of first sightings ([`Admission::SecondSighting`]; 0
    /// otherwise), in bytes.
    pub admission_bytes: u64,
}

/// A 128-bit fingerprint of the whole token under a secret, random, per-cache key.
///
/// The fingerprint is the GMAC tag of the token (AES-128-GCM with the token as associated
/// data and no plaintext). GHASH under a secret key is an almost-universal hash: for any two
/// different tokens of at most `l` 16-byte blocks, the chance that their fingerprints collide
/// is at most about `l / 2^128` over the choice of key, whatever the attacker chooses. With
/// 8 KiB tokens that is below 2^-118 per attempt, and the tags never leave the process. A hit
/// therefore means the very same bytes were verified before. Reusing the nonce is harmless
/// here: it only XORs every tag with the same secret constant, and no tag is ever revealed.
/// GMAC runs on the CPU's carry-less multiply and AES units, several times faster than
/// SHA-256 on a 1 KB token, which matters on the cache-hit path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Digest([u8; 16]);

impl Digest {
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Two hashes for the filter of first sightings: the second half of the fingerprint, and
    /// the first half made odd (double hashing).
    pub(crate) fn filter_hashes(&self) -> (u64, u64) {
        let [
            a0,
            a1,
            a2,
            a3,
            a4,
            a5,
            a6,
            a7,
            b0,
            b1,
            b2,
            b3,
            b4,
            b5,
            b6,
            b7,
        ] = self.0;
        (
            u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
            u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]) | 1,
        )
    }
}

/// Computes [`Digest`]s with the cache's secret key.
pub(crate) struct Fingerprinter {
    key: LessSafeKey,
}

impl Fingerprinter {
    /// A fingerprinter with a fresh random key; `None` if the system RNG fails (the cache is
    /// then off).
    pub(crate) fn new() -> Option<Self> {
        let mut secret = [0u8; 16];
        aws_lc_rs::rand::fill(&mut secret).ok()?;
        let key = UnboundKey::new(&AES_128_GCM, &secret).ok()?;
        Some(Self {
            key: LessSafeKey::new(key),
        })
    }

    pub(crate) fn digest(&self, token: &str) -> Option<Digest> {
        let nonce = Nonce::assume_unique_for_key([0u8; NONCE_LEN]);
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(token.as_bytes()), &mut [])
            .ok()?;
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(tag.as_ref().get(..16)?);
        Some(Digest(bytes))
    }
}

impl Hash for Digest {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(prefix));
    }
}

/// The digest is already uniformly distributed: its first eight bytes are the hash.
#[derive(Clone, Copy, Default)]
pub(crate) struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

#[derive(Clone, Copy, Default)]
pub(crate) struct BuildDigestHasher;

impl BuildHasher for BuildDigestHasher {
    type Hasher = DigestHasher;

    fn build_hasher(&self) -> DigestHasher {
        DigestHasher::default()
    }
}

/// A cached result: cheap to clone (the token is one `Arc`), so the cache stores it inline.
pub(crate) struct Entry<C> {
    /// The verified token; it holds the key that verified it, for the trust check on hits.
    pub(crate) token: VerifiedToken<C>,
    /// Unix seconds; valid while `now < valid_until`.
    pub(crate) valid_until: i64,
    /// Index of the issuer in the verifier (fewer than 2^32 issuers by construction).
    pub(crate) issuer: u32,
    weight: u32,
}

impl<C> Clone for Entry<C> {
    fn clone(&self) -> Self {
        Self {
            token: self.token.clone(),
            valid_until: self.valid_until,
            issuer: self.issuer,
            weight: self.weight,
        }
    }
}

#[derive(Clone, Copy)]
struct EntryWeight {
    floor: u64,
}

impl<C> quick_cache::Weighter<Digest, Entry<C>> for EntryWeight {
    fn weight(&self, _key: &Digest, entry: &Entry<C>) -> u64 {
        u64::from(entry.weight).max(self.floor)
    }
}

/// The cache itself: quick_cache (S3-FIFO eviction, weighted). Expiry is not the cache's job:
/// every hit checks the entry's own `valid_until` and drops it when passed, and eviction
/// bounds what expired entries can occupy.
pub(crate) struct TokenCache<C> {
    cache: quick_cache::sync::Cache<Digest, Entry<C>, EntryWeight, BuildDigestHasher>,
    fingerprinter: Fingerprinter,
    /// First sightings ([`Admission::SecondSighting`]).
    first_sightings: Option<FirstSightings>,
}

impl<C: Send + Sync + 'static> TokenCache<C> {
    /// `None` when no random key can be drawn (the verifier then runs without a cache).
    pub(crate) fn new(config: TokenCacheConfig) -> Option<Self> {
        // The filter of first sightings comes out of the byte budget: about eight bytes per
        // entry that fits, at most a sixteenth of the budget.
        let first_sightings = match config.admission {
            Admission::SecondSighting => {
                let estimate = config
                    .max_entries
                    .min(config.max_bytes / TYPICAL_ENTRY_WEIGHT)
                    .max(1);
                let bytes = estimate
                    .saturating_mul(8)
                    .max(MIN_FILTER_BYTES)
                    .min(config.max_bytes / 16);
                Some(FirstSightings::new(
                    usize::try_from(bytes).unwrap_or(usize::MAX),
                ))
            }
            Admission::FirstSighting => None,
        };
        let filter = first_sightings.as_ref().map_or(0, FirstSightings::bytes);
        let budget = config.max_bytes.saturating_sub(filter).max(1);
        let floor = budget.div_ceil(config.max_entries);
        // quick_cache splits its capacity into shards (fewer when it expects fewer than 32
        // items per shard) and never admits an item above 97 % of a shard. Telling it how many
        // entries really fit (by bytes as well as by count) keeps shards large enough, and a
        // sixteenth of one entry of slack lets a one-entry cache hold its entry.
        let typical = floor.max(TYPICAL_ENTRY_WEIGHT);
        let fitting = config.max_entries.min(budget / typical).max(1);
        let items = usize::try_from(fitting).unwrap_or(usize::MAX);
        let capacity = budget.saturating_add(floor / 16);
        let cache = quick_cache::sync::Cache::with(
            items,
            capacity,
            EntryWeight { floor },
            BuildDigestHasher,
            quick_cache::sync::DefaultLifecycle::default(),
        );
        Some(Self {
            cache,
            fingerprinter: Fingerprinter::new()?,
            first_sightings,
        })
    }

    /// Whether a token just verified enters the cache: always with
    /// [`Admission::FirstSighting`]; with [`Admission::SecondSighting`], when its first
    /// sighting is remembered (otherwise this one is recorded).
    pub(crate) fn admits(&self, digest: &Digest) -> bool {
        self.first_sightings
            .as_ref()
            .is_none_or(|filter| filter.seen_before(digest))
    }

    /// The fixed memory of the filter of first sightings.
    pub(crate) fn admission_bytes(&self) -> u64 {
        self.first_sightings
            .as_ref()
            .map_or(0, FirstSightings::bytes)
    }

    pub(crate) fn digest(&self, token: &str) -> Option<Digest> {
        self.fingerprinter.digest(token)
    }

    pub(crate) fn get(&self, digest: &Digest) -> Option<Entry<C>> {
        self.cache.get(digest)
    }

    pub(crate) fn remove(&self, digest: &Digest) {
        self.cache.remove(digest);
    }

    pub(crate) fn insert(
        &self,
        digest: Digest,
        token: VerifiedToken<C>,
        valid_until: i64,
        now: i64,
        issuer: usize,
    ) {
        let Ok(issuer) = u32::try_from(issuer) else {
            return;
        };
        if valid_until <= now {
            return;
        }
        let size = token.heap_size() + std::mem::size_of::<Entry<C>>() + ENTRY_OVERHEAD;
        let weight = u32::try_from(size).unwrap_or(u32::MAX);
        self.cache.insert(
            digest,
            Entry {
                token,
                valid_until,
                issuer,
                weight,
            },
        );
    }

    pub(crate) fn entry_count(&self) -> u64 {
        self.cache.len() as u64
    }

    pub(crate) fn weighted_size(&self) -> u64 {
        self.cache.weight()
    }
}

/// The smallest filter of first sightings, budget permitting (32 Ki bits: a small cache's
/// filter, too, keeps false positives rare).
const MIN_FILTER_BYTES: u64 = 4096;

/// The weight a Cognito-shaped access token's entry usually has (measured in BENCHMARKS.md).
const TYPICAL_ENTRY_WEIGHT: u64 = 512;

/// Estimated bookkeeping of one cache slot (key, `Arc` header, table and queue slots).
const ENTRY_OVERHEAD: usize = 96;
