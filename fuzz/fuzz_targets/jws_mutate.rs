//! Mutations of valid signed tokens: the input is a program of edits applied to one of the
//! fixture's valid tokens (overwrite, insert, delete, bit flip, truncate, repeat a span).
//!
//! Property: a verifier accepts the result exactly when it is the original token, unchanged
//! (no malleability: no second encoding of a signed token verifies), also right after the
//! original was cached; and everything `check_token` asserts.
//!
//! Input: one byte choosing the token, then 4-byte edits `[op, position (2 bytes), byte]`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate_fuzz::{check_token, fixture};

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Some((&select, edits)) = data.split_first() else {
        return;
    };
    let original = &fixture.valid_tokens[usize::from(select) % fixture.valid_tokens.len()];
    let mut token = original.as_bytes().to_vec();
    for edit in edits.chunks_exact(4) {
        let position = usize::from(u16::from_be_bytes([edit[1], edit[2]]));
        let byte = edit[3];
        let len = token.len();
        match edit[0] % 6 {
            0 if len > 0 => token[position % len] = byte,
            1 => token.insert(position % (len + 1), byte),
            2 if len > 0 => {
                token.remove(position % len);
            }
            3 if len > 0 => token[position % len] ^= 1 << (byte % 8),
            4 => token.truncate(position % (len + 1)),
            5 => {
                let start = position % (len + 1);
                let end = (start + usize::from(byte)).min(len);
                let span = token[start..end].to_vec();
                token.extend_from_slice(&span);
            }
            _ => {}
        }
    }
    let Ok(token) = String::from_utf8(token) else {
        return;
    };
    let unchanged = token == *original;

    let plain = fixture.verify(&fixture.verifier, &token);
    assert_eq!(
        plain.is_ok(),
        unchanged,
        "a changed token was accepted, or the original refused: {plain:?}"
    );
    // A cached original must not vouch for a changed token.
    assert!(fixture.verify(&fixture.cached, original).is_ok());
    assert_eq!(
        fixture.verify(&fixture.cached, &token).is_ok(),
        unchanged,
        "the cached verifier accepted a changed token"
    );
    assert_eq!(
        tollgate_verify::verify_jws(&token, &fixture.keys, &[tollgate_verify::Algorithm::Rs256])
            .is_ok(),
        unchanged,
        "verify_jws accepted a changed token"
    );
    check_token(fixture, &token);
});
