//! Logs: text or JSON lines on standard error, filtered by `log.level` (or `RUST_LOG`).
//! Nothing the gateway or the library logs contains a token or claims.

use tracing_subscriber::EnvFilter;

use crate::config::raw::LogFormat;

pub(super) fn init(format: LogFormat, level: Option<&str>) -> Result<(), String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.is_empty() => EnvFilter::try_new(value),
        _ => EnvFilter::try_new(level.unwrap_or("info")),
    }
    .map_err(|e| e.to_string())?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    installed.map_err(|e| e.to_string())
}
