//! Logging set-up: `tracing` events to stderr, `pretty` or `json`, filtered by `RUST_LOG`
//! (default `info`). Standard output is left free for data (reports, audit records to `-`).

mod buffer;

use std::io::IsTerminal;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;
pub use buffer::{BufferedStderr, FlushGuard};

/// For `serve`: events go to stderr through a buffer (see [`buffer`]), one `write` per batch of
/// lines. Keep the guard until the process ends: dropping it writes what is left.
pub fn init(format: LogFormat) -> FlushGuard {
    let (writer, guard) = BufferedStderr::start();
    install(format, "info", writer);
    guard
}

/// Writes straight to stderr, with another filter when `RUST_LOG` is unset (the demo keeps the
/// terminal for its own readable lines).
pub fn init_with_default(format: LogFormat, default_filter: &str) {
    install(format, default_filter, std::io::stderr);
}

fn install<W>(format: LogFormat, default_filter: &str, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour codes belong on a terminal, not in a log file or a journal.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    // A second initialisation (tests running several commands in one process) is harmless.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
