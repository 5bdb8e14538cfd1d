//! Reads the log files line by line (never a whole file in memory) into a [`Tally`].

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::line::{parse_line, Line};
use super::period::Period;
use super::progress::Progress;
use super::tally::Tally;

/// A line longer than this is not one the writer produced (lines are well under 4 KiB); it is
/// skipped as unreadable instead of being buffered whole.
const MAX_LINE: u64 = 1024 * 1024;

/// Opens every file up front, so that a missing one is reported before any work is done.
pub fn open_files(paths: &[PathBuf]) -> io::Result<Vec<(PathBuf, File, u64)>> {
    paths
        .iter()
        .map(|path| {
            let file = File::open(path).map_err(|e| name_error(path, &e))?;
            let size = file.metadata().map_err(|e| name_error(path, &e))?.len();
            Ok((path.clone(), file, size))
        })
        .collect()
}

/// Counts every line of every file into one tally.
pub fn scan_files(
    files: Vec<(PathBuf, File, u64)>,
    period: &Period,
    progress: &mut Progress,
) -> io::Result<Tally> {
    let mut tally = Tally::default();
    for (path, file, _) in files {
        scan_reader(
            BufReader::with_capacity(256 * 1024, file),
            period,
            &mut tally,
            progress,
        )
        .map_err(|e| name_error(&path, &e))?;
    }
    Ok(tally)
}

/// Counts the lines of one reader.
pub fn scan_reader(
    mut reader: impl BufRead,
    period: &Period,
    tally: &mut Tally,
    progress: &mut Progress,
) -> io::Result<()> {
    let mut buffer = Vec::with_capacity(4096);
    loop {
        buffer.clear();
        let read = reader
            .by_ref()
            .take(MAX_LINE)
            .read_until(b'\n', &mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        progress.advance(read as u64);
        let Some(line) = buffer.strip_suffix(b"\n") else {
            // No newline: either a line too long to be real, or the torn last line a crash
            // leaves. `audit verify` does not count a torn line in the chain; neither do we.
            tally.lines.unreadable += 1;
            progress.advance(skip_rest_of_line(&mut reader)?);
            continue;
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match parse_line(line) {
            Line::Violation(violation) if period.contains(&violation.time) => {
                tally.add_violation(&violation);
            }
            Line::Violation(_) => tally.lines.outside_period += 1,
            Line::FileStart => tally.lines.file_starts += 1,
            Line::Other => tally.lines.other += 1,
            Line::Unreadable => tally.lines.unreadable += 1,
        }
    }
}

/// Discards up to and including the next newline, without buffering it; returns the bytes.
fn skip_rest_of_line(reader: &mut impl BufRead) -> io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(skipped);
        }
        let (used, found) = match available.iter().position(|b| *b == b'\n') {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        reader.consume(used);
        skipped += used as u64;
        if found {
            return Ok(skipped);
        }
    }
}

fn name_error(path: &Path, error: &io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(time: &str, count: u64) -> String {
        format!(
            r#"{{"category":null,"consent_state":"none","cookie":"x","count":{count},"declaration":null,"enforced":true,"instance":"a","kind":"undeclared","last_time":"{time}","mode":"enforce","path":"/","time":"{time}","type":"violation"}}"#
        )
    }

    fn scan(text: &[u8], period: &Period) -> Tally {
        let mut tally = Tally::default();
        let mut progress = Progress::new(text.len() as u64, false);
        scan_reader(text, period, &mut tally, &mut progress).unwrap();
        tally
    }

    #[test]
    fn counts_add_up_and_a_torn_last_line_is_unreadable() {
        let whole = violation("2026-11-01T10:00:00.000Z", 4);
        let text = format!("{whole}\n{whole}\r\n{}", &whole[..40]);
        let tally = scan(text.as_bytes(), &Period::default());
        assert_eq!(tally.total.violations, 8);
        assert_eq!(tally.lines.violations, 2);
        assert_eq!(tally.lines.unreadable, 1);
    }

    #[test]
    fn a_complete_object_without_its_newline_is_torn_too() {
        let whole = violation("2026-11-01T10:00:00.000Z", 1);
        let tally = scan(whole.as_bytes(), &Period::default());
        assert_eq!(tally.lines.unreadable, 1);
        assert_eq!(tally.total.violations, 0);
    }

    #[test]
    fn an_overlong_line_is_skipped_and_the_next_one_still_counts() {
        let long = vec![b'x'; usize::try_from(MAX_LINE).unwrap() * 2 + 7];
        let mut text = long.clone();
        text.push(b'\n');
        text.extend_from_slice(violation("2026-11-01T10:00:00.000Z", 2).as_bytes());
        text.push(b'\n');
        let tally = scan(&text, &Period::default());
        assert_eq!(tally.lines.unreadable, 1);
        assert_eq!(tally.total.violations, 2);
    }

    #[test]
    fn lines_outside_the_period_are_counted_apart() {
        let text = format!(
            "{}\n{}\n",
            violation("2026-10-31T23:59:59.999Z", 5),
            violation("2026-11-01T00:00:00.000Z", 1)
        );
        let period = super::super::period::parse_period(Some("2026-11-01"), None).unwrap();
        let tally = scan(text.as_bytes(), &period);
        assert_eq!(tally.total.violations, 1);
        assert_eq!(tally.lines.outside_period, 1);
    }
}
