//! Randomness for kids, `jti`s and user ids.
//!
//! These values must be unique, not secret, so the helpers are infallible: they
//! use aws-lc's system RNG and, should that ever fail, fall back to hashing a
//! process-wide counter, the time and std's randomly keyed hasher.

use std::hash::{BuildHasher as _, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;

/// `N` (at most 32) unique-enough random bytes.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0_u8; N];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        fallback_fill(&mut bytes);
    }
    bytes
}

fn fallback_fill(out: &mut [u8]) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let keyed = RandomState::new().hash_one(count);
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&count.to_le_bytes());
    ctx.update(&nanos.to_le_bytes());
    ctx.update(&keyed.to_le_bytes());
    let hash = ctx.finish();
    for (dst, src) in out.iter_mut().zip(hash.as_ref()) {
        *dst = *src;
    }
}

/// A random RFC 9562 version-4 UUID in its lowercase hyphenated text form
/// (the shape of Cognito's `sub`, `jti`, `origin_jti` and `event_id`).
pub(crate) fn uuid_v4() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::{fallback_fill, uuid_v4};

    #[test]
    fn uuid_v4_has_the_canonical_shape() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
        assert_ne!(id, uuid_v4());
    }

    #[test]
    fn fallback_never_repeats() {
        let mut a = [0_u8; 32];
        let mut b = [0_u8; 32];
        fallback_fill(&mut a);
        fallback_fill(&mut b);
        assert_ne!(a, b);
    }
}
