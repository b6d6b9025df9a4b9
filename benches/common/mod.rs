//! Shared fixtures of the benches: one Cognito-shaped access token and its key.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{SystemTime, UNIX_EPOCH};

use tollgate::jwks::JwksSource;
use tollgate::{Attempt, Issuer, VerifiedToken, Verifier, VerifyError};
use tollgate_testkit::{SigningKey, TokenBuilder, jwks_json};

pub(crate) const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123";
pub(crate) const CLIENT_ID: &str = "4e8i3exampleclientid0000";

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The token of an attempt that must verify without any I/O (its key is in the cached set).
pub(crate) fn verified(attempt: Attempt) -> VerifiedToken {
    match attempt {
        Attempt::Verified(token) => token,
        other => panic!("expected a token verified without I/O, got {other:?}"),
    }
}

/// The error of an attempt that must be refused without any I/O.
pub(crate) fn refused(attempt: Attempt) -> VerifyError {
    match attempt {
        Attempt::Refused(error) => error,
        other => panic!("expected a refusal without I/O, got {other:?}"),
    }
}

pub(crate) fn key() -> SigningKey {
    SigningKey::fixture(0).unwrap()
}

/// A Cognito access token of the shape the performance baseline was measured with when the
/// project started (about 1.2 KB: user-token claims, groups, ten-year expiry).
pub(crate) fn builder(now: u64, jti: &str) -> TokenBuilder {
    TokenBuilder::access_token(
        ISSUER,
        CLIENT_ID,
        &[
            "orders/read",
            "orders/write",
            "aws.cognito.signin.user.admin",
        ],
        now,
    )
    .claim("sub", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    .claim("cognito:groups", serde_json::json!(["admin", "ops"]))
    .claim("origin_jti", "11111111-2222-3333-4444-555555555555")
    .claim("event_id", "66666666-7777-8888-9999-000000000000")
    .claim("username", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    .claim("jti", jti)
    .expires_at(now + 10 * 365 * 24 * 3600)
}

pub(crate) fn token(key: &SigningKey) -> String {
    builder(now(), "c0ffee00-1111-2222-3333-444455556666")
        .sign(key)
        .unwrap()
}

pub(crate) fn verifier(key: &SigningKey, cache: bool) -> Verifier {
    let builder = Verifier::builder().issuer(
        Issuer::cognito_issuer(ISSUER)
            .client_ids([CLIENT_ID])
            .jwks_source(JwksSource::static_json(jwks_json(&[key]))),
    );
    let builder = if cache {
        builder
    } else {
        builder.without_token_cache()
    };
    builder.build_lazy().unwrap()
}

/// The `target/` directory of the tollgate workspace, also when this file is included from
/// `bench-peers/` (which shares the signed-token cache below).
pub(crate) fn target_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return dir.into();
    }
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if manifest.join("benches/common/mod.rs").is_file() {
        manifest
    } else {
        manifest.parent().unwrap_or(manifest)
    };
    root.join("target")
}

/// `count` distinct tokens shaped like [`token`] (same claims and size, numbered `jti`), all
/// signed with `key`.
///
/// An RSA-2048 signature costs about a millisecond, so they are signed once on every core and
/// kept in `target/tollgate-bench-tokens/`; later runs read them back (any cached file with
/// at least `count` tokens serves). Their `exp` is ten years after signing.
pub(crate) fn distinct_tokens(key: &SigningKey, count: usize) -> Vec<String> {
    distinct_tokens_shaped(key, count, Shape::User)
}

/// The claims shape of bench tokens.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// [`builder`]: a 1.2 KB Cognito access token with user claims (groups, username, ...).
    User,
    /// A Cognito client-credentials access token as the test issuer mints it (`sub`,
    /// `token_use`, two custom scopes, `auth_time`, `iss`, `exp`, `iat`, `version`, `jti`,
    /// `client_id`): what machine clients send.
    ClientCredentials,
}

/// A client-credentials shaped token (see [`Shape::ClientCredentials`]).
pub(crate) fn client_credentials_builder(now: u64, jti: &str) -> TokenBuilder {
    TokenBuilder::access_token(ISSUER, CLIENT_ID, &["orders/read", "orders/write"], now)
        .claim("jti", jti)
        .expires_at(now + 10 * 365 * 24 * 3600)
}

/// Like [`distinct_tokens`], for either [`Shape`].
pub(crate) fn distinct_tokens_shaped(key: &SigningKey, count: usize, shape: Shape) -> Vec<String> {
    let dir = target_dir().join("tollgate-bench-tokens");
    let prefix = match shape {
        Shape::User => "",
        Shape::ClientCredentials => "cc",
    };
    let stem: String = prefix
        .chars()
        .chain(
            key.kid()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(16),
        )
        .collect();
    if let Some(tokens) = read_cached_tokens(&dir, &stem, count) {
        return tokens;
    }
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    eprintln!("signing {count} distinct tokens on {threads} threads (cached for later runs) ...");
    let started = std::time::Instant::now();
    let now = now();
    let per_thread = count.div_ceil(threads);
    let tokens: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * per_thread)..((t + 1) * per_thread).min(count);
                scope.spawn(move || {
                    range
                        .map(|i| {
                            let jti = format!("{i:08x}-feed-4bad-8bad-000000000000");
                            match shape {
                                Shape::User => builder(now, &jti),
                                Shape::ClientCredentials => client_credentials_builder(now, &jti),
                            }
                            .sign(key)
                            .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    eprintln!("signed {count} tokens in {:.1?}", started.elapsed());
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{stem}-{count}.txt"));
    let partial = dir.join(format!("{stem}-{count}.txt.{}", std::process::id()));
    std::fs::write(&partial, tokens.join("\n")).unwrap();
    std::fs::rename(&partial, &path).unwrap();
    tokens
}

fn read_cached_tokens(dir: &std::path::Path, stem: &str, count: usize) -> Option<Vec<String>> {
    let mut best: Option<(usize, std::path::PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let name = entry.file_name();
        let Some(n) = name
            .to_str()
            .and_then(|n| {
                n.strip_prefix(stem)?
                    .strip_prefix('-')?
                    .strip_suffix(".txt")
            })
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        if n >= count && best.as_ref().is_none_or(|(b, _)| n < *b) {
            best = Some((n, entry.path()));
        }
    }
    let text = std::fs::read_to_string(best?.1).ok()?;
    let tokens: Vec<String> = text.lines().take(count).map(str::to_owned).collect();
    (tokens.len() == count).then_some(tokens)
}

/// The median of `values` (sorted in place); NaN when empty.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        f64::midpoint(values[mid - 1], values[mid])
    }
}

/// The environment variable that chooses the CPU code paths of the dependencies that pick
/// theirs at run time (see [`cpu_paths`]).
pub(crate) const CPU_PATHS: &str = "TOLLGATE_BENCH_CPU";

/// Set by [`cpu_paths`] in the process it re-executes, so it applies its settings once.
const CPU_PATHS_APPLIED: &str = "TOLLGATE_BENCH_CPU_APPLIED";

/// aws-lc: clear AVX512F/DQ/IFMA/PF/ER/CD/BW/VL (`OPENSSL_ia32cap_P[2]`, leaf 7 EBX) and
/// AVX512_VBMI/VBMI2/GFNI/VNNI/BITALG/VPOPCNTDQ (`[3]`, leaf 7 ECX); VAES and VPCLMULQDQ stay
/// (AVX2-only EPYCs of the Zen 3 generation have them).
const AWS_LC_AVX2: &str = "~0x0:~0x00005942DC230000";

/// glibc: its string functions (`memcpy`, `memmove`, `memcmp`, ...) resolve to their AVX2
/// variants instead of the EVEX/AVX-512 ones.
const GLIBC_AVX2: &str = "glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD";

/// Applies `TOLLGATE_BENCH_CPU` and describes the CPU paths in effect (for the bench's
/// header line). Call it first in `main`: it may re-execute the program.
///
/// - unset or `native`: every dependency takes the best path this CPU offers;
/// - `avx2`: the paths an AVX2-only x86-64 CPU takes, on an AVX-512 machine. aws-lc (RSA,
///   SHA-256, the GMAC fingerprint) reads `OPENSSL_ia32cap` when it first initialises, and
///   glibc resolves its string functions from `GLIBC_TUNABLES` when the program is loaded, so
///   the program sets both and runs itself again (child server processes inherit them).
///
/// Not forced, because they take the same path on both CPU classes: base64-simd and memchr
/// (their best x86 path is AVX2; they detect it with `std::is_x86_feature_detected!`, which
/// has no override), serde_json, hashbrown/quick_cache (SSE2 at compile time) and the
/// compiler's own vectorized loops (x86-64 baseline, SSE2). What no setting emulates: the
/// older core itself (its clock, caches and instruction timings).
pub(crate) fn cpu_paths() -> String {
    let wanted = std::env::var(CPU_PATHS).unwrap_or_default();
    match wanted.as_str() {
        "" | "native" => "native (every dependency's best path for this CPU)".to_owned(),
        "avx2" => {
            if std::env::var_os(CPU_PATHS_APPLIED).is_none() {
                use std::os::unix::process::CommandExt as _;
                let mut args = std::env::args_os();
                let program = std::env::current_exe().unwrap();
                let error = std::process::Command::new(program)
                    .arg0(args.next().unwrap_or_default())
                    .args(args)
                    .env("OPENSSL_ia32cap", AWS_LC_AVX2)
                    .env("GLIBC_TUNABLES", GLIBC_AVX2)
                    .env(CPU_PATHS_APPLIED, "1")
                    .exec();
                panic!("{CPU_PATHS}=avx2: could not re-execute the bench: {error}");
            }
            format!(
                "avx2 (AVX-512 masked: OPENSSL_ia32cap={AWS_LC_AVX2} GLIBC_TUNABLES={GLIBC_AVX2}; \
                 base64-simd and memchr take AVX2 on both classes)"
            )
        }
        other => panic!("{CPU_PATHS}={other}: expected `native` or `avx2`"),
    }
}

/// The CPU's model name and whether it has AVX-512 (`avx512f` in `/proc/cpuinfo`).
pub(crate) fn cpu_class() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim())
        .to_owned();
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags"))
        .unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let class = if has("avx512f") {
        "AVX-512"
    } else if has("avx2") {
        "AVX2, no AVX-512"
    } else {
        "no AVX2"
    };
    format!("{model} ({class})")
}
