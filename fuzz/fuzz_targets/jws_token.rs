//! A compact JWS as it arrives in a bearer header: arbitrary bytes through every fixed
//! verifier (cache off, cache on with a repeat, custom claims) and `verify_jws`.
//!
//! Property: no panic; anything accepted was signed by the fixed key its `kid` names, over
//! exactly the received `header.payload` bytes, and satisfies the header rules and the claim
//! policy (checked independently in `tollgate_fuzz`); cache on and off decide alike.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate_fuzz::{check_token, fixture};

fuzz_target!(|data: &[u8]| {
    // Header values reach the verifier as text (visible ASCII); other bytes never arrive.
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    check_token(fixture(), token);
});
