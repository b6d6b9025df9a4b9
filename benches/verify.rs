//! Verification cost against the raw RSA check, one run, same token and key:
//!
//! ```text
//! cargo bench --bench verify
//! ```
//!
//! - `raw_rsa`: aws-lc-rs `ParsedPublicKey::verify_sig` over the signing input (the floor);
//! - `tollgate_fresh`: full verification with the token cache off (parse, claims, RSA);
//! - `tollgate_fresh_cached_insert`: a token not seen before with the cache on (miss + insert);
//! - `tollgate_cached`: a repeat of a verified token (cache hit);
//! - `jsonwebtoken_decode`: `jsonwebtoken::decode` (aws_lc_rs backend, RS256, iss and exp).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use criterion::{Criterion, criterion_group};

fn benches(c: &mut Criterion) {
    let key = common::key();
    let token = common::token(&key);
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap();
    eprintln!("token length: {} bytes", token.len());

    let mut group = c.benchmark_group("verify");

    let parsed = RsaPublicKeyComponents {
        n: key.modulus(),
        e: key.exponent(),
    }
    .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
    .unwrap();
    group.bench_function("raw_rsa", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(signing_input.as_bytes()), black_box(&signature))
                .unwrap();
        });
    });

    let fresh = common::verifier(&key, false);
    group.bench_function("tollgate_fresh", |b| {
        b.iter(|| common::verified(fresh.attempt(black_box(&token))));
    });

    // Distinct tokens, each verified once per cache generation: miss + RSA + insert.
    let now = common::now();
    let pool: Vec<String> = (0..2_000)
        .map(|i| {
            common::builder(now, &format!("{i:08}-0000-0000-0000-000000000000"))
                .sign(&key)
                .unwrap()
        })
        .collect();
    group.bench_function("tollgate_fresh_cached_insert", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                let verifier = common::verifier(&key, true);
                let batch = (iters - done).min(pool.len() as u64) as usize;
                let start = Instant::now();
                for token in &pool[..batch] {
                    black_box(common::verified(verifier.attempt(token)));
                }
                total += start.elapsed();
                done += batch as u64;
            }
            total
        });
    });

    let cached = common::verifier(&key, true);
    common::verified(cached.attempt(&token));
    group.bench_function("tollgate_cached", |b| {
        b.iter(|| common::verified(cached.attempt(black_box(&token))));
    });

    let decoding =
        jsonwebtoken::DecodingKey::from_rsa_raw_components(key.modulus(), key.exponent());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[common::ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.validate_aud = false;
    group.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &decoding, &validation)
                .unwrap()
        });
    });
    group.finish();
}

criterion_group! {
    name = verify;
    config = Criterion::default().sample_size(60).measurement_time(Duration::from_secs(4));
    targets = benches
}
fn main() {
    let paths = common::cpu_paths();
    eprintln!("cpu: {}; code paths: {paths}", common::cpu_class());
    verify();
    Criterion::default().configure_from_args().final_summary();
}
