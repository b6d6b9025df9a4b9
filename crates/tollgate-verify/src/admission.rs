//! The admission rule of the verified-token cache: a token enters it on its second sighting.
//!
//! A token that is only ever seen once (a batch job's, a load test's, an attacker's flood of
//! fresh tokens) would cost an insert, memory that grows until the cache is full, and the
//! eviction of tokens that are actually repeated. So the first successful verification of a
//! token only records its fingerprint in [`FirstSightings`], a fixed-size Bloom filter; a later
//! one finds it there and caches the result. The filter never grows: after a set number of
//! first sightings it is cleared and starts over (what it forgot is cached on the sighting
//! after next instead), so a flood of one-shot tokens costs a few bit operations each and
//! never touches the cache.
//!
//! Only the caching of an already verified result depends on this filter: a false "seen
//! before" (a Bloom filter's false positive) caches a verified token one sighting early, and
//! is harmless. Nothing is ever accepted because of it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::token_cache::Digest;

/// When a verified token enters the cache ([`TokenCacheConfig::admission`](crate::TokenCacheConfig::admission)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Admission {
    /// On its second successful verification (the default). First sightings are remembered
    /// in a fixed-size Bloom filter (about eight bytes per cache entry, at least 4 KiB and at most a sixteenth
    /// of the byte budget, counted in it). Tokens used once never enter the cache, so they
    /// cost no insert and evict nothing; a repeated token pays one more full verification
    /// before its repeats are served from the cache.
    #[default]
    SecondSighting,
    /// On its first successful verification: every verified token is inserted.
    FirstSighting,
}

/// Bits set per first sighting.
const HASHES: u32 = 3;

/// First sightings: a Bloom filter of token fingerprints, cleared after every `bits / 16`
/// first sightings (its false-positive rate then stays below 0.6 %). Lock-free: relaxed
/// loads, and `fetch_or` for a first sighting.
pub(crate) struct FirstSightings {
    words: Box<[AtomicU64]>,
    /// First sightings recorded since the last clearing.
    recorded: AtomicUsize,
}

impl FirstSightings {
    /// A filter of at most `bytes` bytes (rounded down to a power of two of 8-byte words;
    /// none below 8 bytes: then nothing is ever seen before, and nothing is cached).
    pub(crate) fn new(bytes: usize) -> Self {
        let words = (bytes / 8).checked_ilog2().map_or(0, |log| 1usize << log);
        Self {
            words: (0..words).map(|_| AtomicU64::new(0)).collect(),
            recorded: AtomicUsize::new(0),
        }
    }

    /// The filter's memory in bytes.
    pub(crate) fn bytes(&self) -> u64 {
        (self.words.len() * std::mem::size_of::<AtomicU64>()) as u64
    }

    /// The bits of this fingerprint: word index and bit mask, for each of the hashes.
    fn bits(&self, digest: &Digest) -> impl Iterator<Item = (usize, u64)> {
        let bits = self.words.len() * 64;
        let (h1, h2) = digest.filter_hashes();
        (0..u64::from(HASHES)).map(move |i| {
            let bit = (h1.wrapping_add(i.wrapping_mul(h2)) as usize) & (bits - 1);
            (bit / 64, 1u64 << (bit % 64))
        })
    }

    /// Records a sighting of the token with this fingerprint; whether it was seen before
    /// (since the last clearing).
    pub(crate) fn seen_before(&self, digest: &Digest) -> bool {
        if self.words.is_empty() {
            return false;
        }
        let seen = self.bits(digest).all(|(word, mask)| {
            self.words
                .get(word)
                .is_some_and(|w| w.load(Ordering::Relaxed) & mask != 0)
        });
        if seen {
            return true;
        }
        for (word, mask) in self.bits(digest) {
            if let Some(w) = self.words.get(word) {
                w.fetch_or(mask, Ordering::Relaxed);
            }
        }
        let limit = self.words.len() * 64 / 16;
        if self.recorded.fetch_add(1, Ordering::Relaxed) + 1 >= limit {
            self.recorded.store(0, Ordering::Relaxed);
            for w in &self.words {
                w.store(0, Ordering::Relaxed);
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: u64) -> Digest {
        // Spread like a fingerprint: a multiplicative hash of n in every byte.
        let a = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let b = (n ^ 0x5555).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a.to_le_bytes());
        bytes[8..].copy_from_slice(&b.to_le_bytes());
        Digest::from_bytes(bytes)
    }

    #[test]
    fn sizes_are_powers_of_two_rounded_down() {
        for (asked, got) in [
            (0, 0),
            (7, 0),
            (8, 8),
            (15, 8),
            (16, 16),
            (4096, 4096),
            (5000, 4096),
        ] {
            assert_eq!(FirstSightings::new(asked).bytes(), got, "{asked}");
        }
    }

    #[test]
    fn the_second_sighting_is_seen_before() {
        let filter = FirstSightings::new(4096);
        let (a, b) = (digest(1), digest(2));
        assert!(!filter.seen_before(&a));
        assert!(!filter.seen_before(&b));
        assert!(filter.seen_before(&a));
        assert!(
            filter.seen_before(&a),
            "and every later one until a clearing"
        );
        assert!(filter.seen_before(&b));
    }

    #[test]
    fn an_empty_filter_never_admits() {
        let filter = FirstSightings::new(0);
        assert!(!filter.seen_before(&digest(1)));
        assert!(!filter.seen_before(&digest(1)));
        assert_eq!(filter.bytes(), 0);
    }

    #[test]
    fn tokens_in_a_cycle_are_all_seen_before_on_their_second_round() {
        // A fixed order that a direct-mapped table would thrash on: every token of the cycle is
        // found on its second round (no slot is shared by turns).
        let filter = FirstSightings::new(64 * 1024);
        let cycle: Vec<Digest> = (0..10_000).map(digest).collect();
        let first = cycle.iter().filter(|d| filter.seen_before(d)).count();
        let second = cycle.iter().filter(|d| filter.seen_before(d)).count();
        assert!(first < 100, "{first} false positives on the first round");
        assert_eq!(second, cycle.len());
    }

    #[test]
    fn it_is_cleared_after_bits_over_16_first_sightings_and_false_positives_stay_rare() {
        let filter = FirstSightings::new(1024); // 8192 bits: cleared every 512 first sightings
        let a = digest(u64::MAX);
        assert!(!filter.seen_before(&a));
        let mut false_positives = 0;
        for n in 0..511 {
            false_positives += usize::from(filter.seen_before(&digest(n)));
        }
        assert!(false_positives < 10, "{false_positives} of 511");
        // `a` is remembered until the 512th first sighting clears the filter.
        let mut recorded = 1 + 511 - false_positives;
        let mut n = 1_000;
        while filter.seen_before(&a) {
            assert!(recorded < 512, "cleared at 512 first sightings");
            recorded += usize::from(!filter.seen_before(&digest(n)));
            n += 1;
        }
        assert_eq!(recorded, 512);
        assert!(filter.seen_before(&a));
    }
}
