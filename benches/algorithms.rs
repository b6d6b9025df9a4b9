//! Fresh verification of each algorithm against the raw aws-lc-rs check of the same
//! algorithm with a pre-parsed key (the floor), interleaved in one run:
//!
//! ```text
//! cargo bench --bench algorithms -- --noplot
//! ```
//!
//! For every algorithm (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA):
//!
//! - `raw_<alg>`: `aws_lc_rs::signature::ParsedPublicKey::verify_sig` over the token's exact
//!   signing input, the key parsed once beforehand (from the same JWK material);
//! - `fresh_<alg>`: `Verifier::attempt` with the verified-token cache off (every call parses
//!   the token, checks header and claims, looks the key up and checks the signature), the
//!   key in a static set, the issuer allowing that one algorithm.
//!
//! The tokens are the 1.2 KB Cognito-shaped access token of `benches/layer.rs`, signed with a
//! key of each algorithm (RSA: the 2048-bit fixture 0). Each iteration asserts its outcome.
//! After criterion, an interleaved run (`ALG_ROUNDS` rounds, default 7; every case timed in
//! turn, order rotated, ~20 ms batches) prints each `fresh_<alg>` as the median of its
//! per-round ratios to `raw_<alg>` of the same round: the form the target (at most 1.15x)
//! is judged in, robust to a busy machine.
//!
//! `TOLLGATE_BENCH_CPU=avx2` runs everything on the code paths of an AVX2-only CPU (see
//! `common::cpu_paths`).
//!
//! `ALG_PROFILE=<case>` (for example `fresh_ES256`) runs that case alone `ALG_PROFILE_CALLS`
//! times (default 100) inside `profiled` and exits: instruction counts per call, independent
//! of the machine's load, with
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profiled*' <bench binary>`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ED25519, ParsedPublicKey,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512,
    RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512,
    RsaPublicKeyComponents, VerificationAlgorithm,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::Criterion;
use tollgate::jwks::JwksSource;
use tollgate::{Algorithm, Issuer, Verifier};
use tollgate_testkit::{JwsAlg, SigningKey, jwks_json};

const ALGORITHMS: [JwsAlg; 9] = [
    JwsAlg::Rs256,
    JwsAlg::Rs384,
    JwsAlg::Rs512,
    JwsAlg::Ps256,
    JwsAlg::Ps384,
    JwsAlg::Ps512,
    JwsAlg::Es256,
    JwsAlg::Es384,
    JwsAlg::EdDsa,
];

/// One timed case: a name and a call that asserts its own outcome.
struct Case {
    name: String,
    run: Box<dyn Fn()>,
}

/// The raw check's key: parsed once, from the key's public material.
fn raw_key(key: &SigningKey, alg: JwsAlg) -> ParsedPublicKey {
    let rsa = |params| {
        RsaPublicKeyComponents {
            n: key.modulus(),
            e: key.exponent(),
        }
        .to_parsed_public_key(params)
        .unwrap()
    };
    let point = |verification: &'static dyn VerificationAlgorithm| {
        ParsedPublicKey::new(verification, key.public_point()).unwrap()
    };
    match alg {
        JwsAlg::Rs256 => rsa(&RSA_PKCS1_2048_8192_SHA256),
        JwsAlg::Rs384 => rsa(&RSA_PKCS1_2048_8192_SHA384),
        JwsAlg::Rs512 => rsa(&RSA_PKCS1_2048_8192_SHA512),
        JwsAlg::Ps256 => rsa(&RSA_PSS_2048_8192_SHA256),
        JwsAlg::Ps384 => rsa(&RSA_PSS_2048_8192_SHA384),
        JwsAlg::Ps512 => rsa(&RSA_PSS_2048_8192_SHA512),
        JwsAlg::Es256 => point(&ECDSA_P256_SHA256_FIXED),
        JwsAlg::Es384 => point(&ECDSA_P384_SHA384_FIXED),
        JwsAlg::EdDsa => point(&ED25519),
        other => panic!("no raw check for {other}"),
    }
}

/// `[raw_<alg>, fresh_<alg>]` for every algorithm, in that order.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for alg in ALGORITHMS {
        let key = if alg.is_rsa() {
            SigningKey::fixture(0).unwrap().with_alg(alg)
        } else {
            SigningKey::generate_for(alg).unwrap()
        };
        let token = common::builder(common::now(), "c0ffee00-1111-2222-3333-444455556666")
            .sign(&key)
            .unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let (input, signature) = (input.to_owned(), URL_SAFE_NO_PAD.decode(signature).unwrap());
        let parsed = raw_key(&key, alg);
        parsed.verify_sig(input.as_bytes(), &signature).unwrap();
        cases.push(Case {
            name: format!("raw_{}", alg.name()),
            run: Box::new(move || {
                parsed
                    .verify_sig(black_box(input.as_bytes()), black_box(&signature))
                    .unwrap();
            }),
        });

        let algorithm = Algorithm::from_jose(alg.name()).unwrap();
        let verifier = Verifier::builder()
            .issuer(
                Issuer::cognito_issuer(common::ISSUER)
                    .client_ids([common::CLIENT_ID])
                    .algorithms([algorithm])
                    .jwks_source(JwksSource::static_json(jwks_json(&[&key]))),
            )
            .without_token_cache()
            .build_lazy()
            .unwrap();
        assert_eq!(
            common::verified(verifier.attempt(&token)).algorithm(),
            algorithm
        );
        cases.push(Case {
            name: format!("fresh_{}", alg.name()),
            run: Box::new(move || {
                black_box(common::verified(verifier.attempt(black_box(&token))));
            }),
        });
    }
    cases
}

/// Nanoseconds per call over a batch of `n`.
fn time_batch(case: &Case, n: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        (case.run)();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn interleaved(cases: &[Case], rounds: usize) {
    let sizes: Vec<u32> = cases
        .iter()
        .map(|case| {
            let ns = time_batch(case, 50).max(1.0);
            ((20e6 / ns) as u32).clamp(50, 2_000_000)
        })
        .collect();
    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); ALGORITHMS.len()];
    for round in 0..rounds {
        let mut this_round = vec![0.0; cases.len()];
        for k in 0..cases.len() {
            let i = (k + round) % cases.len();
            this_round[i] = time_batch(&cases[i], sizes[i]);
        }
        for (i, &t) in this_round.iter().enumerate() {
            ns[i].push(t);
        }
        for (a, ratio) in ratios.iter_mut().enumerate() {
            ratio.push(this_round[2 * a + 1] / this_round[2 * a]);
        }
    }
    println!();
    println!(
        "interleaved: {rounds} rounds, every case in turn (order rotated), ~20 ms batches; \
         loadavg {}",
        loadavg()
    );
    println!(
        "| algorithm | raw aws-lc-rs check, median ns | fresh verification, median ns | fresh / raw (median of per-round ratios) | target ≤ 1.15x |"
    );
    println!("|---|---:|---:|---:|---|");
    for (a, alg) in ALGORITHMS.iter().enumerate() {
        let raw = common::median(&mut ns[2 * a]);
        let fresh = common::median(&mut ns[2 * a + 1]);
        let ratio = common::median(&mut ratios[a]);
        println!(
            "| {} | {raw:.0} | {fresh:.0} | {ratio:.3} | {} |",
            alg.name(),
            if ratio <= 1.15 { "met" } else { "MISSED" }
        );
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Runs `case` `calls` times: the one function a callgrind run collects
/// (`--toggle-collect='*profiled*'`).
#[inline(never)]
fn profiled(case: &Case, calls: u32) {
    for _ in 0..calls {
        (case.run)();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--test" || a == "--list");
    let paths = common::cpu_paths();
    println!("cpu: {}; code paths: {paths}", common::cpu_class());
    println!("loadavg before: {}", loadavg());
    let cases = cases();
    if let Ok(name) = std::env::var("ALG_PROFILE") {
        let calls = std::env::var("ALG_PROFILE_CALLS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        let case = cases.iter().find(|c| c.name == name).unwrap();
        profiled(case, calls);
        println!("{name}: {calls} calls");
        return;
    }
    let mut criterion = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut group = criterion.benchmark_group("algorithms");
    for case in &cases {
        group.bench_function(&case.name, |b| b.iter(|| (case.run)()));
    }
    group.finish();
    criterion.final_summary();
    if !quick {
        let rounds = std::env::var("ALG_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(7);
        interleaved(&cases, rounds);
    }
    println!("loadavg after: {}", loadavg());
}
