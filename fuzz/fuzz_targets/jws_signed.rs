//! Header and claims chosen by the fuzzer, encoded and signed by the harness with a fixed key,
//! so the strict JSON readers and the claim policy are fuzzed past the signature check (a
//! fuzzer cannot forge signatures, so `jws_token` alone rarely reaches an accepted token).
//!
//! Property: everything `check_token` asserts: an accepted token's header and claims satisfy
//! the contract and the issuer's policy, checked independently with serde_json values
//! (duplicate members at any depth, `alg`, `kid`, `crit`, key references, `typ`, `iss`, times,
//! `token_use`, client, audience, scopes), and the issuer of the signing key is the issuer of
//! the token.
//!
//! Input: a mode byte, then the payload (mode bit 1 clear: header `{"alg":"RS256","kid":..}`)
//! or `header NUL payload` (bit 1 set). Bit 0 picks the signing key (Cognito or OIDC issuer);
//! bit 2 signs with the other issuer's key instead of the one the default header names; bits
//! 3-4 pick the signing algorithm (RS256, RS384, RS512, or PS256, which nothing may accept).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate_fuzz::{Which, b64_encode, check_token, fixture};
use tollgate_testkit::RsaAlg;

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (named, other) = if mode & 1 == 0 {
        (Which::Cognito, Which::Oidc)
    } else {
        (Which::Oidc, Which::Cognito)
    };
    let default_header;
    let (header, payload) = if mode & 2 == 0 {
        default_header = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, fixture.key(named).kid());
        (default_header.as_bytes(), rest)
    } else {
        match rest.iter().position(|&b| b == 0) {
            Some(nul) => (&rest[..nul], &rest[nul + 1..]),
            None => (rest, &b""[..]),
        }
    };
    let signer = if mode & 4 == 0 { named } else { other };
    let alg = match (mode >> 3) & 3 {
        0 => RsaAlg::Rs256,
        1 => RsaAlg::Rs384,
        2 => RsaAlg::Rs512,
        _ => RsaAlg::Ps256,
    };
    let signing_input = format!("{}.{}", b64_encode(header), b64_encode(payload));
    let Ok(signature) = fixture.key(signer).sign(alg, signing_input.as_bytes()) else {
        return;
    };
    let token = format!("{signing_input}.{}", b64_encode(&signature));
    check_token(fixture, &token);
});
