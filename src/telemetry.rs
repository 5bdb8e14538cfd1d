//! Logging set-up: `tracing` events to stderr, `pretty` or `json`, filtered by `RUST_LOG`
//! (default `info`). Standard output is left free for data (reports, audit records to `-`).

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

pub fn init(format: LogFormat) {
    init_with_default(format, "info");
}

/// Same, with another filter when `RUST_LOG` is unset (the demo keeps the terminal for its own
/// readable lines).
pub fn init_with_default(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests running several commands in one process) is harmless.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
