//! A small HTTP/1.1 load generator and the bookkeeping around it, shared by
//! `benches/http_load.rs` and `bench-peers/` (both include this file with `#[path]`).
//!
//! - Servers run as child processes of the bench binary (the same executable, told its role
//!   by the `LOAD_ROLE` variable), pinned to CPU 0 with `taskset` when there is one, so their
//!   CPU time can be read from `/proc/<pid>/stat` and nothing of the client runs on their core.
//!   Each measurement gets a fresh server: every server starts from the same state (empty
//!   token cache), whatever ran before.
//! - The client (this process, pinned to CPU 1) keeps `LOAD_CONNECTIONS` keep-alive
//!   connections, one request in flight on each (like `wrk`), on a single-threaded tokio
//!   runtime with non-blocking `try_read`/`try_write` (no HTTP client library).
//! - Requests are pre-rendered bytes; only the status line and `content-length` of answers are
//!   parsed.
//!
//! Only the tokio features `rt`, `net` and `time` are used.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

/// The environment variable that turns the bench binary into a server.
pub(crate) const ROLE: &str = "LOAD_ROLE";

/// Settings read from the environment.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// `LOAD_CONNECTIONS` (default 50).
    pub(crate) connections: usize,
    /// `LOAD_SECONDS` per measurement (default `default_seconds`).
    pub(crate) seconds: f64,
    /// `LOAD_WARMUP` seconds before each measurement (default 0.5).
    pub(crate) warmup: f64,
    /// `LOAD_ROUNDS` (default 3).
    pub(crate) rounds: usize,
    /// `LOAD_WORKERS`: tokio worker threads of the servers (default 1).
    pub(crate) workers: usize,
    /// `LOAD_PIN` (default 1): pin the servers to CPU 0 and the client to CPU 1.
    pub(crate) pin: bool,
    /// `LOAD_TOKENS`: distinct tokens cycled in the "distinct" workload (default 10,000).
    pub(crate) pool: usize,
    /// `LOAD_UNIQUE`: tokens for the "unique" workload, each sent once (default 100,000).
    pub(crate) unique: usize,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Config {
    pub(crate) fn from_env(default_seconds: f64) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            connections: env("LOAD_CONNECTIONS", 50usize).max(1),
            seconds: env("LOAD_SECONDS", default_seconds),
            warmup: env("LOAD_WARMUP", 0.5),
            rounds: env("LOAD_ROUNDS", 3usize).max(1),
            workers: env("LOAD_WORKERS", 1usize).max(1),
            pin: env("LOAD_PIN", 1u8) != 0 && cores >= 2 && has_taskset(),
            pool: env("LOAD_TOKENS", 10_000usize).max(1),
            unique: env("LOAD_UNIQUE", 100_000usize).max(1),
        }
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "LOAD_CONNECTIONS={} LOAD_SECONDS={} LOAD_WARMUP={} LOAD_ROUNDS={} LOAD_WORKERS={} \
             LOAD_PIN={} LOAD_TOKENS={} LOAD_UNIQUE={}",
            self.connections,
            self.seconds,
            self.warmup,
            self.rounds,
            self.workers,
            u8::from(self.pin),
            self.pool,
            self.unique
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The machine

fn has_taskset() -> bool {
    Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Pins every thread of this process (and what it starts later) to `cpu`.
pub(crate) fn pin_self(cpu: usize) -> bool {
    Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &cpu.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub(crate) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Compiler and build processes of others running now (the noise to report).
pub(crate) fn foreign_builds() -> Vec<String> {
    const BUSY: [&str; 9] = [
        "rustc",
        "cargo",
        "cc1",
        "cc1plus",
        "ld",
        "ld.lld",
        "clang",
        "build-script-b",
        "rustdoc",
    ];
    let mine = ancestors();
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str() else { continue };
        if mine.iter().any(|p| p == pid) || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) {
            let comm = comm.trim();
            if BUSY.iter().any(|b| comm.starts_with(b)) {
                found.push(format!("{comm}({pid})"));
            }
        }
    }
    found
}

/// This process and its ancestors (the `cargo bench` / `cargo run` that started it).
fn ancestors() -> Vec<String> {
    let mut chain = vec![std::process::id().to_string()];
    while let Some(parent) =
        std::fs::read_to_string(format!("/proc/{}/stat", chain[chain.len() - 1]))
            .ok()
            .and_then(|stat| {
                let (_, rest) = stat.rsplit_once(')')?;
                rest.split_whitespace().nth(1).map(str::to_owned)
            })
            .filter(|ppid| ppid != "0" && chain.len() < 64)
    {
        chain.push(parent);
    }
    chain
}

fn first_line_with(path: &str, prefix: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(prefix))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Facts a reader needs to judge the numbers.
pub(crate) fn machine_report() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = first_line_with("/proc/cpuinfo", "model name").unwrap_or_else(|| "?".into());
    let mem = first_line_with("/proc/meminfo", "MemTotal").unwrap_or_else(|| "?".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "?".into());
    let rustc = command_output("rustc", &["-V"]).unwrap_or_else(|| "?".into());
    let foreign = foreign_builds();
    format!(
        "machine: nproc {cores}, CPU {cpu}, RAM {mem}, kernel {kernel}, {rustc}\n\
         loadavg {}; foreign build processes now: {}",
        loadavg(),
        if foreign.is_empty() {
            "none".to_owned()
        } else {
            foreign.join(" ")
        }
    )
}

fn clock_ticks_per_second() -> f64 {
    command_output("getconf", &["CLK_TCK"])
        .and_then(|s| s.parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
    stat_fields(pid, &[14, 15])
}

/// Minor page faults of a process (each first touch of fresh memory).
fn minor_faults(pid: &str) -> u64 {
    stat_fields(pid, &[10])
}

/// The sum of the given fields of `/proc/<pid>/stat` (numbered from 1, as in proc(5)).
fn stat_fields(pid: &str, wanted: &[usize]) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state).
    wanted
        .iter()
        .map(|&i| {
            fields
                .get(i - 3)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Servers

/// The server side: what the child process calls once its listener is bound.
pub(crate) fn announce(addr: SocketAddr) {
    // The parent owns our stdin: exit when it closes (the parent finished or died).
    std::thread::spawn(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
        std::process::exit(0);
    });
    let mut out = std::io::stdout();
    writeln!(out, "LISTENING {addr}").unwrap();
    out.flush().unwrap();
}

/// A tokio runtime for a server: `workers` worker threads.
pub(crate) fn server_runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// A server child process.
pub(crate) struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    pub(crate) addr: SocketAddr,
}

impl Server {
    /// Starts this executable as the server `role` (pinned to CPU 0 if `pin`), with extra
    /// environment variables, and waits until it listens.
    pub(crate) fn start(role: &str, vars: &[(&str, String)], config: &Config) -> Self {
        let exe = std::env::current_exe().unwrap();
        let mut command = if config.pin {
            let mut c = Command::new("taskset");
            c.args(["-c", "0"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        command
            .env(ROLE, role)
            .env("LOAD_WORKERS", config.workers.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (name, value) in vars {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("server {role} did not start: {line:?}"))
            .parse()
            .unwrap();
        let stdin = child.stdin.take();
        Self { child, stdin, addr }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// The child's process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The client

/// The pre-rendered requests of the HTTP benches, on the shared bench token and key.
pub(crate) struct Requests {
    /// `GET /health`, carrying the same `Authorization` header as the others.
    pub(crate) health: Vec<u8>,
    /// `GET /whoami` with one repeated token.
    pub(crate) repeated: Vec<u8>,
    /// `GET /whoami` with `config.pool` distinct tokens, to be cycled.
    pub(crate) pool: Vec<Vec<u8>>,
    /// `GET /whoami` with `config.unique` distinct tokens, each to be sent once.
    pub(crate) unique: Vec<Vec<u8>>,
}

/// Prints what is measured, renders every request (signing distinct tokens on every core the
/// first time), then pins this process, the load generator, to CPU 1 (`servers` names what
/// runs on CPU 0 in the message).
pub(crate) fn prepare(config: &Config, servers: &str) -> Requests {
    println!("{}", machine_report());
    let key = crate::common::key();
    let token = crate::common::token(&key);
    println!("token: {} bytes (Cognito-shaped, RS256)", token.len());
    let distinct = crate::common::distinct_tokens(&key, config.pool.max(config.unique));
    let render = |tokens: &[String]| -> Vec<Vec<u8>> {
        tokens.iter().map(|t| get("/whoami", Some(t))).collect()
    };
    let pool = render(&distinct[..config.pool]);
    let unique = render(&distinct[..config.unique]);
    drop(distinct);
    // Pinned only now: signing above used every core.
    if config.pin {
        assert!(pin_self(1), "taskset could not pin the client");
        println!("pinning: {servers} on CPU 0 (taskset -c 0), load generator on CPU 1");
    } else {
        println!("pinning: off (LOAD_PIN=0, fewer than 2 CPUs, or no taskset)");
    }
    Requests {
        health: get("/health", Some(&token)),
        repeated: get("/whoami", Some(&token)),
        pool,
        unique,
    }
}

/// `GET path` with an optional bearer token, as bytes on the wire.
pub(crate) fn get(path: &str, token: Option<&str>) -> Vec<u8> {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(token) = token {
        request.push_str("Authorization: Bearer ");
        request.push_str(token);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.into_bytes()
}

/// What a measurement sends.
#[derive(Clone)]
pub(crate) struct Workload {
    requests: Arc<Vec<Vec<u8>>>,
    /// Each request at most once (stop when all were sent), instead of cycling.
    once: bool,
}

impl Workload {
    /// Cycles through `requests` (round robin over all connections).
    pub(crate) fn cycle(requests: Vec<Vec<u8>>) -> Self {
        Self {
            requests: Arc::new(requests),
            once: false,
        }
    }

    /// Sends each request once; the measurement ends early when all were sent.
    pub(crate) fn once(requests: Vec<Vec<u8>>) -> Self {
        Self {
            requests: Arc::new(requests),
            once: true,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.requests.len()
    }
}

/// The outcome of one measurement.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    pub(crate) requests: u64,
    pub(crate) success: u64,
    pub(crate) failure: u64,
    pub(crate) errors: u64,
    pub(crate) seconds: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    /// Server CPU time (user + system) per request, µs.
    pub(crate) server_us_per_request: f64,
    /// Server minor page faults per request (fresh memory touched: a growing cache).
    pub(crate) server_faults_per_request: f64,
    /// Client CPU time over wall time (1.0 = the client's core was saturated).
    pub(crate) client_busy: f64,
    /// The `once` workload ran out of requests before the time was up.
    pub(crate) exhausted: bool,
}

impl Stats {
    pub(crate) fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

struct ConnectionResult {
    latencies_us: Vec<u32>,
    success: u64,
    failure: u64,
    errors: u64,
    finished: Instant,
}

/// Starts `role`, warms it with `warm`, measures `workload`, stops the server.
pub(crate) fn measure(
    role: &str,
    vars: &[(&str, String)],
    warm: &[u8],
    workload: &Workload,
    config: &Config,
) -> Stats {
    let server = Server::start(role, vars, config);
    let stats = run_client(&server, warm, workload, config);
    drop(server);
    stats
}

fn run_client(server: &Server, warm: &[u8], workload: &Workload, config: &Config) -> Stats {
    measure_at(server.addr, &[server.child.id()], warm, workload, config)
}

/// Measures `workload` against a server already listening at `addr` (started by the caller,
/// for example a binary other than this one), counting the CPU time of the processes `pids`
/// as the server's.
pub(crate) fn measure_at(
    addr: SocketAddr,
    pids: &[u32],
    warm: &[u8],
    workload: &Workload,
    config: &Config,
) -> Stats {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
    let server_cpu = || pids.iter().map(|p| cpu_ticks(p)).sum::<u64>();
    let server_faults = || pids.iter().map(|p| minor_faults(p)).sum::<u64>();
    let me = std::process::id().to_string();
    let tick = clock_ticks_per_second();
    runtime.block_on(async {
        let start = Instant::now();
        let warm_end = start + Duration::from_secs_f64(config.warmup);
        let end = warm_end + Duration::from_secs_f64(config.seconds);
        let next = Arc::new(AtomicUsize::new(0));
        let warm: Arc<[u8]> = Arc::from(warm);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..config.connections {
            tasks.spawn(connection(
                addr,
                Arc::clone(&warm),
                workload.clone(),
                Arc::clone(&next),
                warm_end,
                end,
            ));
        }
        // CPU clocks at the start of the measured phase.
        tokio::time::sleep_until(warm_end.into()).await;
        let server_before = server_cpu();
        let faults_before = server_faults();
        let client_before = cpu_ticks(&me);
        let mut latencies = Vec::new();
        let mut stats = Stats::default();
        let mut finished = warm_end;
        while let Some(result) = tasks.join_next().await {
            let result = result.unwrap();
            stats.success += result.success;
            stats.failure += result.failure;
            stats.errors += result.errors;
            finished = finished.max(result.finished);
            latencies.extend(result.latencies_us);
        }
        let server_ticks = server_cpu().saturating_sub(server_before);
        let faults = server_faults().saturating_sub(faults_before);
        let client_ticks = cpu_ticks(&me).saturating_sub(client_before);
        stats.requests = stats.success + stats.failure;
        stats.seconds = finished.saturating_duration_since(warm_end).as_secs_f64();
        stats.exhausted = workload.once && next.load(Ordering::Relaxed) >= workload.len();
        if !latencies.is_empty() {
            let n = latencies.len();
            let p50 = *latencies.select_nth_unstable(n / 2).1;
            let p99 = *latencies.select_nth_unstable((n * 99 / 100).min(n - 1)).1;
            stats.p50_ms = f64::from(p50) / 1000.0;
            stats.p99_ms = f64::from(p99) / 1000.0;
        }
        if stats.requests > 0 {
            stats.server_us_per_request = server_ticks as f64 / tick * 1e6 / stats.requests as f64;
            stats.server_faults_per_request = faults as f64 / stats.requests as f64;
        }
        if stats.seconds > 0.0 {
            stats.client_busy = client_ticks as f64 / tick / stats.seconds;
        }
        stats
    })
}

async fn connection(
    addr: SocketAddr,
    warm: Arc<[u8]>,
    workload: Workload,
    next: Arc<AtomicUsize>,
    warm_end: Instant,
    end: Instant,
) -> ConnectionResult {
    let mut result = ConnectionResult {
        latencies_us: Vec::with_capacity(1 << 14),
        success: 0,
        failure: 0,
        errors: 0,
        finished: Instant::now(),
    };
    let Ok(stream) = TcpStream::connect(addr).await else {
        result.errors += 1;
        return result;
    };
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 16 * 1024];
    while Instant::now() < warm_end {
        if exchange(&stream, &warm, &mut buf).await.is_err() {
            result.errors += 1;
            return result;
        }
    }
    let requests = &workload.requests;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        let request = if workload.once {
            match requests.get(i) {
                Some(r) => r,
                None => break,
            }
        } else {
            &requests[i % requests.len()]
        };
        match exchange(&stream, request, &mut buf).await {
            Ok(status) => {
                let elapsed = now.elapsed().as_micros();
                result
                    .latencies_us
                    .push(u32::try_from(elapsed).unwrap_or(u32::MAX));
                if (200..300).contains(&status) {
                    result.success += 1;
                } else {
                    result.failure += 1;
                }
            }
            Err(_) => {
                result.errors += 1;
                break;
            }
        }
    }
    result.finished = Instant::now();
    result
}

async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sends one request and reads its whole answer; returns the status code.
async fn exchange(stream: &TcpStream, request: &[u8], buf: &mut Vec<u8>) -> std::io::Result<u16> {
    write_all(stream, request).await?;
    let mut filled = 0;
    loop {
        if let Some((status, total)) = parse_head(&buf[..filled])?
            && filled >= total
        {
            return Ok(status);
        }
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        stream.readable().await?;
        match stream.try_read(&mut buf[filled..]) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

/// `(status, head + body length)` once the head is complete.
fn parse_head(bytes: &[u8]) -> std::io::Result<Option<(u16, usize)>> {
    let Some(head_end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&bytes[..head_end])
        .map_err(|_| std::io::Error::other("answer head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let mut length = 0usize;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            length = value
                .trim()
                .parse()
                .map_err(|_| std::io::Error::other("bad content-length"))?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(std::io::Error::other("chunked answers are not supported"));
        }
    }
    Ok(Some((status, head_end + 4 + length)))
}

// ---------------------------------------------------------------------------------------------
// Results

/// Measurements by label, one slot per round.
#[derive(Default)]
pub(crate) struct Results {
    labels: Vec<String>,
    rows: BTreeMap<String, Vec<Option<Stats>>>,
    rounds: usize,
}

pub(crate) use crate::common::median;

impl Results {
    pub(crate) fn new(rounds: usize) -> Self {
        Self {
            rounds,
            ..Self::default()
        }
    }

    pub(crate) fn record(&mut self, label: &str, round: usize, stats: Stats) {
        if !self.rows.contains_key(label) {
            self.labels.push(label.to_owned());
        }
        let rounds = self.rounds;
        let row = self
            .rows
            .entry(label.to_owned())
            .or_insert_with(|| vec![None; rounds]);
        row[round] = Some(stats);
    }

    pub(crate) fn get(&self, label: &str) -> Vec<&Stats> {
        self.rows
            .get(label)
            .map(|r| r.iter().flatten().collect())
            .unwrap_or_default()
    }

    fn median_of(&self, label: &str, f: impl Fn(&Stats) -> f64) -> f64 {
        median(&mut self.get(label).into_iter().map(f).collect::<Vec<_>>())
    }

    /// Median over rounds of `rate(a) / rate(b)` (both measured in the same round).
    pub(crate) fn ratio(&self, a: &str, b: &str) -> f64 {
        let (Some(a), Some(b)) = (self.rows.get(a), self.rows.get(b)) else {
            return f64::NAN;
        };
        let mut ratios: Vec<f64> = a
            .iter()
            .zip(b)
            .filter_map(|(a, b)| Some(a.as_ref()?.rate() / b.as_ref()?.rate()))
            .collect();
        median(&mut ratios)
    }

    /// Median over rounds of the server CPU per request of `b` over that of `a` (how many
    /// times more requests per CPU second `a` serves).
    pub(crate) fn cpu_ratio(&self, a: &str, b: &str) -> f64 {
        let (Some(a), Some(b)) = (self.rows.get(a), self.rows.get(b)) else {
            return f64::NAN;
        };
        let mut ratios: Vec<f64> = a
            .iter()
            .zip(b)
            .filter_map(|(a, b)| {
                Some(b.as_ref()?.server_us_per_request / a.as_ref()?.server_us_per_request)
            })
            .collect();
        median(&mut ratios)
    }

    pub(crate) fn median_rate(&self, label: &str) -> f64 {
        self.median_of(label, Stats::rate)
    }

    /// A markdown table: one row per label; `reference` names the label the ratio column
    /// compares with: `rate(label) / rate(reference)`, or the inverse when `invert`.
    pub(crate) fn table(&self, reference: impl Fn(&str) -> Option<String>, invert: bool) -> String {
        let mut out = String::from(
            "| measurement | req/s median | req/s range | p50 ms | p99 ms | server CPU µs/req | \
             client busy | non-2xx / errors | req/s ratio | ratio of |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for label in &self.labels {
            let all = self.get(label);
            let rates: Vec<f64> = all.iter().map(|s| s.rate()).collect();
            let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let failures: u64 = all.iter().map(|s| s.failure).sum();
            let errors: u64 = all.iter().map(|s| s.errors).sum();
            let (ratio, to) = match reference(label) {
                Some(other) if invert => (
                    format!("{:.2}", self.ratio(&other, label)),
                    format!("{other} / this"),
                ),
                Some(other) => (
                    format!("{:.2}", self.ratio(label, &other)),
                    format!("this / {other}"),
                ),
                None => (String::new(), String::new()),
            };
            out.push_str(&format!(
                "| {label} | {:.0} | {:.0}–{:.0} | {:.2} | {:.2} | {:.1} | {:.0}% | {failures} / {errors} | {ratio} | {to} |\n",
                self.median_rate(label),
                lo,
                hi,
                self.median_of(label, |s| s.p50_ms),
                self.median_of(label, |s| s.p99_ms),
                self.median_of(label, |s| s.server_us_per_request),
                100.0 * self.median_of(label, |s| s.client_busy),
            ));
        }
        out
    }
}

/// One line per measurement, printed as it completes.
pub(crate) fn line(round: usize, label: &str, stats: &Stats) -> String {
    format!(
        "round {round} {label:<34} {:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  server {:>5.1} µs/req  \
         {:.2} faults/req  client {:>3.0}%  non-2xx {} errors {}{}  (loadavg {})",
        stats.rate(),
        stats.p50_ms,
        stats.p99_ms,
        stats.server_us_per_request,
        stats.server_faults_per_request,
        100.0 * stats.client_busy,
        stats.failure,
        stats.errors,
        if stats.exhausted {
            format!("  [all {} tokens sent]", stats.requests)
        } else {
            String::new()
        },
        loadavg()
    )
}
