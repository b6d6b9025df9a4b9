//! Resident memory of the verified-token cache: 100,000 distinct tokens (the same shape as
//! `benches/verify.rs`'s) verified in passes until the cache stops growing (the default
//! admission rule caches a token on its second sighting), measured as the growth of `VmRSS`, per entry, against
//! `Verifier::token_cache_usage()`'s estimate; the fixed filter of first sightings (allocated
//! with the verifier, before the baseline) is reported beside it; and the cache staying
//! bounded with a lower `TokenCacheConfig::max_entries`.
//!
//! ```text
//! cargo bench --bench cache_memory
//! MEMORY_TOKENS=200000 cargo bench --bench cache_memory
//! ```
//!
//! Each configuration runs in its own child process (this executable again, told its
//! configuration by `MEMORY_ROLE`), so that memory freed by one cannot hide the growth of the
//! next. The tokens are read from `target/tollgate-bench-tokens/` (signed on first use) before
//! the baseline is taken; the verifier is built and has verified one token before it too.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::time::Instant;

use tollgate::Verifier;
use tollgate::jwks::JwksSource;
use tollgate::verify::TokenCacheConfig;
use tollgate_testkit::jwks_json;

const ROLE: &str = "MEMORY_ROLE";

fn tokens_wanted() -> usize {
    std::env::var("MEMORY_TOKENS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// `VmRSS` in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

fn verifier(cache: Option<TokenCacheConfig>) -> Verifier {
    let key = common::key();
    let builder = Verifier::builder().issuer(
        tollgate::Issuer::cognito_issuer(common::ISSUER)
            .client_ids([common::CLIENT_ID])
            .jwks_source(JwksSource::static_json(jwks_json(&[&key]))),
    );
    match cache {
        Some(config) => builder.token_cache(config),
        None => builder.without_token_cache(),
    }
    .build_lazy()
    .unwrap()
}

/// One configuration, in a child process: prints one markdown row.
fn child(role: &str) {
    let count = tokens_wanted();
    let (label, cache) = match role {
        "default" => (
            "default (100,000 entries / 64 MiB)",
            Some(TokenCacheConfig::default()),
        ),
        "large" => (
            "max_bytes 256 MiB (100,000 entries)",
            Some(TokenCacheConfig::default().max_bytes(256 << 20)),
        ),
        "bounded" => (
            "max_entries 10,000",
            Some(TokenCacheConfig::default().max_entries(10_000)),
        ),
        "off" => ("cache off (control)", None),
        "cc" => (
            "client-credentials tokens, max_bytes 256 MiB",
            Some(TokenCacheConfig::default().max_bytes(256 << 20)),
        ),
        other => panic!("unknown role {other}"),
    };
    let key = common::key();
    let shape = if role == "cc" {
        common::Shape::ClientCredentials
    } else {
        common::Shape::User
    };
    let tokens = common::distinct_tokens_shaped(&key, count, shape);
    let verifier = verifier(cache);
    common::verified(verifier.attempt(&common::token(&key)));
    let before = rss();
    let start = Instant::now();
    // Passes over every token: the first sighting of a token is remembered, a later one caches
    // it. Stop when every token is cached, the cache is full (97 % of its byte limit), or a
    // pass added under 1 %.
    let limit = cache.map_or(0, |config| config.byte_limit());
    let mut passes = 0;
    let mut entries_before = 0;
    while passes < 8 {
        for token in &tokens[..count] {
            std::hint::black_box(common::verified(verifier.attempt(token)));
        }
        passes += 1;
        let Some(usage) = verifier.token_cache_usage() else {
            if passes >= 2 {
                break;
            }
            continue;
        };
        let all = usage.entries as usize >= count;
        let full = (usage.estimated_bytes + usage.admission_bytes) * 100 >= limit * 97;
        let stalled = usage.entries <= entries_before + entries_before / 100;
        if passes >= 2 && (all || full || stalled) {
            break;
        }
        entries_before = usage.entries;
    }
    let per_verify_us = start.elapsed().as_secs_f64() * 1e6 / (passes * count) as f64;
    let after = rss();
    let (entries, estimate, filter) = verifier.token_cache_usage().map_or((0, 0, 0), |usage| {
        (usage.entries, usage.estimated_bytes, usage.admission_bytes)
    });
    let grown = after.saturating_sub(before);
    let per_entry = |bytes: u64| {
        if entries == 0 {
            "–".to_owned()
        } else {
            format!("{:.0}", bytes as f64 / entries as f64)
        }
    };
    // Every cached token is a hit now: count the hits of one more pass.
    let hits = tokens[..count]
        .iter()
        .filter(|t| {
            let start = Instant::now();
            common::verified(verifier.attempt(t));
            start.elapsed().as_nanos() < 5_000
        })
        .count();
    println!(
        "| {label} | {count} × {passes} | {entries} | {:.1} | {} | {:.1} | {} | {} | {per_verify_us:.1} | {hits} |",
        grown as f64 / 1048576.0,
        per_entry(grown),
        estimate as f64 / 1048576.0,
        per_entry(estimate),
        filter / 1024,
    );
}

fn main() {
    let paths = common::cpu_paths();
    if let Ok(role) = std::env::var(ROLE) {
        child(&role);
        return;
    }
    let count = tokens_wanted();
    println!("# Verified-token cache: resident memory per cached token");
    println!("cpu: {}; code paths: {paths}", common::cpu_class());
    println!(
        "command: MEMORY_TOKENS={count} cargo bench --bench cache_memory; loadavg {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let key = common::key();
    let token = common::token(&key);
    println!(
        "token: {} bytes; {count} distinct tokens, verified with Verifier::attempt in passes \
         until the cache stops growing (at least two: a token is cached on its second sighting)",
        token.len()
    );
    // Sign (or find) the tokens once, before the children read them.
    drop(common::distinct_tokens(&key, count));
    let cc = common::distinct_tokens_shaped(&key, count, common::Shape::ClientCredentials);
    println!(
        "client-credentials token (last row): {} bytes",
        cc.first().map_or(0, String::len)
    );
    drop(cc);
    println!();
    println!(
        "| cache | tokens × passes | entries after | VmRSS growth MiB | VmRSS bytes / entry | \
         estimate MiB (token_cache_usage) | estimate bytes / entry | filter of first sightings KiB | \
         µs per verify (all passes) | hits on one more pass |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().unwrap();
    for role in ["default", "large", "bounded", "off", "cc"] {
        let status = Command::new(&exe).env(ROLE, role).status().unwrap();
        assert!(status.success(), "{role} failed");
    }
    println!();
    println!(
        "VmRSS growth is measured from after the verifier was built and the tokens were loaded \
         to after the last verification; the control row (cache off) shows what verifying \
         alone leaves behind. The estimate counts every entry at least max_bytes / max_entries \
         (666 bytes by default: 64 MiB less the 512 KiB filter, over 100,000)."
    );
}
