//! A progress line on stderr while large logs are read: `reading 120.4 / 512.0 MiB (23%)`,
//! rewritten in place with `\r`. Only when stderr is a terminal, so that scripts and CI logs
//! get no noise.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Redrawing more often than this would only cost time.
const INTERVAL: Duration = Duration::from_millis(150);
/// Checking the clock on every line would cost more than the lines themselves.
const CHECK_EVERY_BYTES: u64 = 256 * 1024;

#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    total: u64,
    done: u64,
    checked_at: u64,
    drawn_at: Option<Instant>,
    /// Characters on the line now, to blank them out.
    drawn_width: usize,
}

impl Progress {
    /// A progress line over `total` bytes, drawn only if stderr is a terminal.
    pub fn on_stderr(total: u64) -> Self {
        Self::new(total, std::io::stderr().is_terminal())
    }

    pub fn new(total: u64, enabled: bool) -> Self {
        Self {
            enabled,
            total,
            done: 0,
            checked_at: 0,
            drawn_at: None,
            drawn_width: 0,
        }
    }

    /// Records `bytes` more read, redrawing the line now and then.
    pub fn advance(&mut self, bytes: u64) {
        self.done = self.done.saturating_add(bytes);
        if !self.enabled || self.done - self.checked_at < CHECK_EVERY_BYTES {
            return;
        }
        self.checked_at = self.done;
        if self.drawn_at.is_some_and(|at| at.elapsed() < INTERVAL) {
            return;
        }
        self.drawn_at = Some(Instant::now());
        self.draw(&describe_progress(self.done, self.total));
    }

    /// Replaces the line with a word on the next (long) step, e.g. checking the chain.
    pub fn announce(&mut self, text: &str) {
        if self.enabled {
            self.draw(text);
        }
    }

    /// Erases the line, so that what follows on the terminal starts clean.
    pub fn finish(&mut self) {
        if self.enabled && self.drawn_width > 0 {
            self.draw("");
            self.drawn_width = 0;
        }
    }

    fn draw(&mut self, text: &str) {
        let width = text.chars().count();
        let blank = self.drawn_width.saturating_sub(width);
        self.drawn_width = width;
        let mut stderr = std::io::stderr().lock();
        // A progress line that cannot be drawn is not worth failing the report for.
        let _ = write!(stderr, "\r{text}{:blank$}\r{text}", "");
        let _ = stderr.flush();
    }
}

/// A report that fails half-way must not leave a stale progress line before its error.
impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn describe_progress(done: u64, total: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    #[allow(clippy::cast_precision_loss)] // a progress display needs no exact bytes
    let (done_mib, total_mib) = (done as f64 / MIB, total as f64 / MIB);
    let percent = done
        .min(total)
        .saturating_mul(100)
        .checked_div(total)
        .unwrap_or(100);
    format!("reading {done_mib:.1} / {total_mib:.1} MiB ({percent}%)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_mebibytes_and_percent() {
        assert_eq!(
            describe_progress(3 * 1024 * 1024, 12 * 1024 * 1024),
            "reading 3.0 / 12.0 MiB (25%)"
        );
        assert_eq!(describe_progress(0, 0), "reading 0.0 / 0.0 MiB (100%)");
    }

    #[test]
    fn a_disabled_progress_never_draws() {
        let mut progress = Progress::new(10, false);
        progress.advance(1 << 30);
        progress.announce("checking");
        assert!(progress.drawn_at.is_none());
        assert_eq!(progress.drawn_width, 0);
        progress.finish();
    }
}
