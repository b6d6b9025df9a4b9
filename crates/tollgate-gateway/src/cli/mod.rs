//! The command line: `tollgate serve`, `check-config`, `token`, `verify`, `decode`.
//!
//! Exit codes: 0 success; 1 the command failed (an invalid configuration, a refused token, an
//! error from the token endpoint); 2 a usage error. Secrets are never taken as flags:
//! `tollgate token` reads the client secret from `TOLLGATE_CLIENT_SECRET` or a prompt.

mod decode;
mod input;
mod logging;
mod token;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{Config, Gateway, shutdown_signal};

/// Verify OAuth 2.0 access tokens in front of any service: a reverse proxy, a forward-auth
/// endpoint for nginx, Traefik, Caddy and Envoy, and tools for tokens.
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the reverse proxy (and the forward-auth endpoint, if configured).
    ///
    /// Stops on SIGTERM or SIGINT: stops accepting, answers /readyz with 503, lets requests
    /// in flight finish for up to shutdown.drain_timeout.
    Serve {
        /// The configuration file.
        #[arg(long, short, env = "TOLLGATE_CONFIG", value_name = "FILE")]
        config: PathBuf,
        /// Worker threads (default: one per CPU; with one, tokio's current-thread scheduler).
        #[arg(long, env = "TOLLGATE_WORKERS", value_name = "N")]
        workers: Option<usize>,
    },
    /// Check a configuration file without starting anything (no key is fetched).
    CheckConfig {
        /// The configuration file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Get an access token with the client-credentials grant.
    ///
    /// The client secret comes from TOLLGATE_CLIENT_SECRET, or is asked for on the terminal;
    /// it is never a flag (flags land in shell history). Prints the access token, or the
    /// whole answer with --json; an error answer (RFC 6749) is printed as it came.
    Token(token::TokenArgs),
    /// Verify a token fully (signature, issuer, time, client or audience); print its claims
    /// as JSON and exit 0, or print the reason and exit 1.
    Verify(verify::VerifyArgs),
    /// Print a token's header and claims WITHOUT verifying anything.
    Decode {
        /// The token, or `-` (or nothing) to read it from standard input.
        #[arg(value_name = "TOKEN")]
        token: Option<String>,
    },
}

/// Prints an error and its causes on standard error.
pub(crate) fn report(error: &(dyn std::error::Error + 'static)) {
    eprintln!("error: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
}

/// The serving runtime: one worker thread per CPU (or `threads`); a single worker is the
/// current-thread scheduler, which serves the same connections without the multi-threaded
/// scheduler's cross-thread queues and wake-ups.
fn runtime(threads: Option<usize>) -> Result<tokio::runtime::Runtime, std::io::Error> {
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    if threads <= 1 {
        return tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
}

/// Runs the command line; the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { config, workers } => serve(&config, workers),
        Command::CheckConfig { file } => check_config(&file),
        Command::Token(args) => with_runtime(|| token::run(args)),
        Command::Verify(args) => with_runtime(|| verify::run(args)),
        Command::Decode { token } => decode::run(token.as_deref()),
    }
}

fn with_runtime<F: Future<Output = ExitCode>>(run: impl FnOnce() -> F) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            report(&error);
            ExitCode::FAILURE
        }
    }
}

fn check_config(file: &std::path::Path) -> ExitCode {
    with_runtime(|| async {
        let checked = Config::load(file).and_then(|config| {
            config.build_verifier()?;
            Ok(config)
        });
        match checked {
            Ok(config) => {
                println!(
                    "{}: ok ({} issuer(s), {} route(s), {} upstream(s){}; listen {}{})",
                    file.display(),
                    config.issuers().count(),
                    config.route_count(),
                    config.upstream_count(),
                    config
                        .forward_auth_path()
                        .map_or_else(String::new, |p| format!(", forward-auth at {p}")),
                    config.listen(),
                    config
                        .admin_listen()
                        .map_or_else(String::new, |a| format!(", admin {a}")),
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("{}: invalid configuration", file.display());
                report(&error);
                ExitCode::FAILURE
            }
        }
    })
}

fn serve(file: &std::path::Path, workers: Option<usize>) -> ExitCode {
    let config = match Config::load(file) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{}: invalid configuration", file.display());
            report(&error);
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = logging::init(config.log_format, config.log_level.as_deref()) {
        eprintln!("error: logging: {error}");
        return ExitCode::FAILURE;
    }
    let runtime = match runtime(workers) {
        Ok(runtime) => runtime,
        Err(error) => {
            report(&error);
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let gateway = match Gateway::bind(config).await {
            Ok(gateway) => gateway,
            Err(error) => {
                report(&error);
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(
            target: "tollgate::gateway",
            listen = %gateway.local_addr(),
            admin = %gateway.admin_addr().map_or_else(|| "off".to_owned(), |a| a.to_string()),
            "listening"
        );
        gateway.run(shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}
