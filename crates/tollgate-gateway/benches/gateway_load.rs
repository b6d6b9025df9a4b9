//! The gateway under HTTP load, in one run: requests per second and server CPU per request
//! of `tollgate serve` (one repeated token) against the same upstream reached directly and
//! behind nginx `proxy_pass`, and of the forward-auth endpoint.
//!
//! ```text
//! cargo bench -p tollgate-gateway --bench gateway_load
//! LOAD_SECONDS=5 LOAD_ROUNDS=5 cargo bench -p tollgate-gateway --bench gateway_load   # longer
//! GATEWAY_ONLY=serve LOAD_SECONDS=10 LOAD_ROUNDS=1 cargo bench -p tollgate-gateway --bench gateway_load   # one row, to profile
//! GATEWAY_ONLY=serve GATEWAY_WRAP="valgrind --tool=callgrind" LOAD_ROUNDS=1 cargo bench ...  # instructions
//! ```
//!
//! The load generator, the process pinning and the bookkeeping are the root package's
//! (`benches/load/mod.rs`, the HTTP load bench's): the client runs here, pinned to CPU 1; the
//! servers run as child processes on CPU 0, a fresh set per measurement:
//!
//! - the upstream: this executable again (`LOAD_ROLE=upstream`), a hyper HTTP/1.1 server
//!   answering `200 ok` on `LOAD_WORKERS` threads (default 1);
//! - the gateway: the `tollgate` binary (`tollgate serve --workers LOAD_WORKERS`), a static
//!   key set, one route requiring `orders/read`, the `sub` claim forwarded, logs at `warn`;
//! - nginx (Debian's package; skipped with a note when missing): `proxy_pass` to the
//!   upstream, one process (`master_process off`, `worker_processes 1`, like the gateway's
//!   one worker thread), `access_log off`, `proxy_http_version 1.1` with a keep-alive pool to
//!   the upstream, and the `X-Forwarded-For`/`-Proto`/`-Host` headers the gateway sets.
//!   `keepalive_requests` is raised on both sides (nginx's default closes a keep-alive
//!   connection after 1,000 requests; the load generator does not reconnect, and neither the
//!   gateway nor hyper-util's pool has such a limit).
//!
//! "Server CPU µs/req" counts the proxy's own process (the gateway's, or nginx's); the direct
//! row counts the upstream. Every request carries the same `Authorization` header. Ratios are
//! medians of per-round ratios (the order of the workloads rotates every round).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../benches/common/mod.rs"]
mod common;
#[path = "../../../benches/load/mod.rs"]
mod load;
#[path = "../tests/common/nginx.rs"]
#[allow(dead_code, unreachable_pub)]
mod nginx;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use load::{Config, Results, Workload};

const UPSTREAM: &str = "upstream";
const BIN: &str = env!("CARGO_BIN_EXE_tollgate");

fn serve_upstream() {
    use http_body_util::Full;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let workers = std::env::var("LOAD_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    load::server_runtime(workers).block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        load::announce(listener.local_addr().unwrap());
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_request| async {
                    Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                        bytes::Bytes::from_static(b"ok"),
                    )))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .http1_only()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

/// `tollgate serve` as a child process (pinned to CPU 0 when pinning).
struct GatewayProcess {
    child: Child,
    addr: SocketAddr,
}

impl GatewayProcess {
    fn start(config_file: &std::path::Path, config: &Config) -> Self {
        // `GATEWAY_WRAP="valgrind --tool=callgrind"`: a command (split on spaces) that runs
        // the gateway, for profiling.
        let wrap = std::env::var("GATEWAY_WRAP").unwrap_or_default();
        let mut argv: Vec<&str> = Vec::new();
        if config.pin {
            argv.extend(["taskset", "-c", "0"]);
        }
        argv.extend(wrap.split_whitespace());
        argv.push(BIN);
        let mut command = Command::new(argv[0]);
        command.args(&argv[1..]);
        let mut child = command
            .args(["serve", "--config"])
            .arg(config_file)
            .args(["--workers", &config.workers.to_string()])
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the gateway logs that it listens")
                .unwrap();
            let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if event["message"] == "listening" {
                break event["listen"].as_str().unwrap().parse().unwrap();
            }
        };
        // Keep draining its logs (warnings only) so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, addr }
    }
}

impl Drop for GatewayProcess {
    /// SIGTERM first (the gateway drains and exits, so a profiler wrapping it can write its
    /// data), SIGKILL if it is still running a minute later.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pin(pid: u32, config: &Config) {
    if config.pin {
        let _ = Command::new("taskset")
            .args(["-a", "-p", "-c", "0", &pid.to_string()])
            .stdout(Stdio::null())
            .status();
    }
}

fn write_config(dir: &std::path::Path, upstream: SocketAddr) -> std::path::PathBuf {
    let key = common::key();
    let jwks = dir.join("jwks.json");
    std::fs::write(&jwks, tollgate_testkit::jwks_json(&[&key])).unwrap();
    let file = dir.join("gateway.toml");
    std::fs::write(
        &file,
        format!(
            r#"listen = "127.0.0.1:0"
[log]
format = "json"
level = "warn,tollgate::gateway=info"

[upstream.default]
url = "http://{upstream}"

[forward_auth]
path = "/_auth"

[claim_headers]
x-auth-sub = "sub"

[[route]]
path = "/whoami"
methods = ["GET"]
require = {{ scopes = {{ any = ["orders/read"] }} }}

[[issuer]]
kind = "cognito"
issuer = "{}"
client_ids = ["{}"]
jwks_file = "{}"
"#,
            common::ISSUER,
            common::CLIENT_ID,
            jwks.display()
        ),
    )
    .unwrap();
    file
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Direct,
    Gateway,
    Nginx,
    ForwardAuth,
}

fn main() {
    if std::env::var(load::ROLE).is_ok_and(|r| r == UPSTREAM) {
        serve_upstream();
        return;
    }
    let config = Config::from_env(3.0);
    println!(
        "# Gateway load: tollgate serve vs the upstream direct vs nginx proxy_pass; forward-auth"
    );
    println!(
        "command: {} cargo bench -p tollgate-gateway --bench gateway_load",
        config.describe()
    );
    println!("{}", load::machine_report());
    let nginx_binary = nginx::find();
    match &nginx_binary {
        Some(path) => println!(
            "nginx: {} ({})",
            path.display(),
            Command::new(path)
                .arg("-v")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_owned())
                .unwrap_or_default()
        ),
        None => println!("nginx: NOT FOUND: the nginx row is skipped (apt-get install nginx)"),
    }
    let key = common::key();
    let token = common::token(&key);
    println!(
        "token: {} bytes (Cognito-shaped, RS256), the same one on every request",
        token.len()
    );
    let whoami = load::get("/whoami", Some(&token));
    let forward_auth = format!(
        "GET /_auth HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-Method: GET\r\n\
         X-Original-URI: /whoami\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .into_bytes();
    if config.pin {
        assert!(load::pin_self(1), "taskset could not pin the client");
        println!("pinning: servers on CPU 0 (taskset -c 0), load generator on CPU 1");
    } else {
        println!("pinning: off (LOAD_PIN=0, fewer than 2 CPUs, or no taskset)");
    }
    let dir = std::env::temp_dir().join(format!("tollgate-gateway-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let mut targets = vec![
        ("upstream direct", Target::Direct),
        ("tollgate serve, 1 repeated token", Target::Gateway),
    ];
    if nginx_binary.is_some() {
        targets.push(("nginx proxy_pass", Target::Nginx));
    }
    targets.push((
        "tollgate forward-auth, 1 repeated token",
        Target::ForwardAuth,
    ));
    // `GATEWAY_ONLY=<text>`: only the measurements whose label contains it (for profiling;
    // the ratios at the end then print only for what ran).
    let all_targets = targets.clone();
    if let Ok(only) = std::env::var("GATEWAY_ONLY") {
        targets.retain(|(label, _)| label.contains(only.as_str()));
        println!("GATEWAY_ONLY={only}: {} measurement(s)", targets.len());
    }
    println!();

    let mut results = Results::new(config.rounds);
    for round in 0..config.rounds {
        for k in 0..targets.len() {
            let (label, target) = targets[(k + round) % targets.len()];
            let upstream = load::Server::start(UPSTREAM, &[], &config);
            let stats = match target {
                Target::Direct => load::measure_at(
                    upstream.addr,
                    &[upstream_pid(&upstream)],
                    &whoami,
                    &Workload::cycle(vec![whoami.clone()]),
                    &config,
                ),
                Target::Gateway | Target::ForwardAuth => {
                    let file = write_config(&dir, upstream.addr);
                    let gateway = GatewayProcess::start(&file, &config);
                    let request = if target == Target::Gateway {
                        &whoami
                    } else {
                        &forward_auth
                    };
                    load::measure_at(
                        gateway.addr,
                        &[gateway.child.id()],
                        request,
                        &Workload::cycle(vec![request.clone()]),
                        &config,
                    )
                }
                Target::Nginx => {
                    let Some(binary) = &nginx_binary else {
                        continue;
                    };
                    let upstream_addr = upstream.addr;
                    let nginx = nginx::Nginx::start(binary, |listen| {
                        format!(
                            "  upstream app {{\n    server {upstream_addr};\n    \
                             keepalive 64;\n    keepalive_requests 1000000;\n  }}\n\
                             server {{\n    listen {listen};\n    \
                             keepalive_requests 1000000;\n    location / {{\n      \
                             proxy_pass http://app;\n      proxy_http_version 1.1;\n      \
                             proxy_set_header Connection \"\";\n      \
                             proxy_set_header X-Forwarded-For $remote_addr;\n      \
                             proxy_set_header X-Forwarded-Proto $scheme;\n      \
                             proxy_set_header X-Forwarded-Host $host;\n    }}\n  }}"
                        )
                    })
                    .unwrap();
                    pin(nginx.pid(), &config);
                    load::measure_at(
                        nginx.addr,
                        &[nginx.pid()],
                        &whoami,
                        &Workload::cycle(vec![whoami.clone()]),
                        &config,
                    )
                }
            };
            println!("{}", load::line(round + 1, label, &stats));
            results.record(label, round, stats);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!();
    println!(
        "{} rounds × {} s per measurement, {} connections; loadavg now {}; foreign build \
         processes now: {}",
        config.rounds,
        config.seconds,
        config.connections,
        load::loadavg(),
        load::foreign_builds().len()
    );
    println!();
    let direct = all_targets[0].0;
    let gateway = all_targets[1].0;
    print!(
        "{}",
        results.table(|label| (label != direct).then(|| direct.to_owned()), false)
    );
    println!();
    if nginx_binary.is_some() {
        let nginx = "nginx proxy_pass";
        println!(
            "tollgate serve / nginx proxy_pass: req/s {:.3}; proxy CPU per request {:.3} \
             (goal: <= 1.0)",
            results.ratio(gateway, nginx),
            results.cpu_ratio(nginx, gateway),
        );
    }
    println!(
        "tollgate serve / upstream direct: req/s {:.3}",
        results.ratio(gateway, direct)
    );
}

/// The upstream child's process id (the load module's server keeps it).
fn upstream_pid(server: &load::Server) -> u32 {
    server.id()
}
