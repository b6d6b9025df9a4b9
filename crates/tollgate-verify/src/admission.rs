//! The admission rule of the verified-token cache: a token enters it on its second sighting.
//!
//! A token that is only ever seen once (a batch job's, a load test's, an attacker's flood of
//! fresh tokens) would cost an insert, memory that grows until the cache is full, and the
//! eviction of tokens that are actually repeated. So the first successful verification of a
//! token only records its fingerprint in [`FirstSightings`], a fixed table of small tags; the
//! second one, if the tag is still there, caches the result. The table never grows: a new
//! tag overwrites whatever occupied its slot, so a flood of one-shot tokens only erases other
//! first sightings (those tokens are then cached on a later sighting), never cached entries.
//!
//! Only the caching of an already verified result depends on this table: a false "seen
//! before" (two tokens sharing a slot and a 32-bit tag) caches a verified token one sighting
//! early, and is harmless. Nothing is ever accepted because of it.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::token_cache::Digest;

/// When a verified token enters the cache ([`TokenCacheConfig::admission`](crate::TokenCacheConfig::admission)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Admission {
    /// On its second successful verification (the default). First sightings are remembered
    /// in a fixed table of 4-byte tags (about one slot per cache entry, at most a sixteenth
    /// of the byte budget, counted in it). Tokens used once never enter the cache, so they
    /// cost no insert and evict nothing; a repeated token pays one more full verification
    /// before its repeats are served from the cache.
    #[default]
    SecondSighting,
    /// On its first successful verification: every verified token is inserted.
    FirstSighting,
}

/// First sightings: one 32-bit tag per slot, the slot and tag taken from the token's
/// fingerprint. Lock-free: a relaxed load and at most one relaxed store per verification.
pub(crate) struct FirstSightings {
    slots: Box<[AtomicU32]>,
}

impl FirstSightings {
    /// A table of `slots` slots, rounded down to a power of two (none for 0: then nothing is
    /// ever seen before, and nothing is cached).
    pub(crate) fn new(slots: usize) -> Self {
        let slots = slots.checked_ilog2().map_or(0, |log| 1usize << log);
        Self {
            slots: (0..slots).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    /// The table's memory in bytes.
    pub(crate) fn bytes(&self) -> u64 {
        (self.slots.len() * std::mem::size_of::<AtomicU32>()) as u64
    }

    /// Records a sighting of the token with this fingerprint; whether it was seen before
    /// (and its tag is still in its slot).
    pub(crate) fn seen_before(&self, digest: &Digest) -> bool {
        let (index, tag) = digest.slot_and_tag();
        let Some(mask) = self.slots.len().checked_sub(1) else {
            return false;
        };
        let Some(slot) = self.slots.get(index & mask) else {
            return false;
        };
        if slot.load(Ordering::Relaxed) == tag {
            true
        } else {
            slot.store(tag, Ordering::Relaxed);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_powers_of_two_rounded_down() {
        for (asked, got) in [
            (0, 0),
            (1, 1),
            (2, 2),
            (3, 2),
            (5, 4),
            (1024, 1024),
            (1500, 1024),
        ] {
            assert_eq!(FirstSightings::new(asked).slots.len(), got, "{asked}");
        }
        assert_eq!(FirstSightings::new(1024).bytes(), 4096);
    }

    #[test]
    fn the_second_sighting_is_seen_before() {
        let table = FirstSightings::new(1024);
        let a = Digest::from_bytes([1; 16]);
        let b = Digest::from_bytes([2; 16]);
        assert!(!table.seen_before(&a));
        assert!(!table.seen_before(&b));
        assert!(table.seen_before(&a));
        assert!(
            table.seen_before(&a),
            "and every later one while the tag stays"
        );
        assert!(table.seen_before(&b));
    }

    #[test]
    fn an_empty_table_never_admits() {
        let table = FirstSightings::new(0);
        let a = Digest::from_bytes([1; 16]);
        assert!(!table.seen_before(&a));
        assert!(!table.seen_before(&a));
        assert_eq!(table.bytes(), 0);
    }

    #[test]
    fn a_slot_holds_the_latest_tag() {
        // One slot: every token shares it; the newer first sighting replaces the older.
        let table = FirstSightings::new(1);
        let a = Digest::from_bytes([1; 16]);
        let b = Digest::from_bytes([2; 16]);
        assert!(!table.seen_before(&a));
        assert!(!table.seen_before(&b));
        assert!(
            !table.seen_before(&a),
            "a's sighting was overwritten by b's"
        );
        assert!(table.seen_before(&a));
    }
}
