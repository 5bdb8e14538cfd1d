//! `consentry audit report`: summarises audit logs for people (docs/audit-report.md).
//!
//! The files are streamed once into running aggregates ([`tally`]), the chain is checked by
//! [`crate::audit::verify`], and the result is sorted into a [`summary::Report`] that each format
//! renders. Exit status: 0 when a report was written (a broken chain is reported in it, not by
//! the status: the auditor still needs the figures), 1 on an I/O error, 2 on a bad option.

mod charts;
mod csv;
mod html;
mod html_tables;
mod labels;
mod line;
mod markup;
mod period;
mod progress;
mod scan;
mod summarise;
mod summary;
mod table;
mod tally;
mod text;
mod text_tables;
mod wording;

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{ReportArgs, ReportFormat};

use period::{parse_period, Period};
use summary::Report;

pub fn run(args: &ReportArgs) -> ExitCode {
    let period = match parse_period(args.since.as_deref(), args.until.as_deref()) {
        Ok(period) => period,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let files = drop_repeated_files(&args.files);
    let report = match build_report(&files, &period) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let rendered = render_report(&report, args);
    match write_output(args.output.as_ref(), rendered.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        // `… | head` closed the pipe: the reader has what it wanted.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the files and checks their chain; the error names the file that failed.
fn build_report(files: &[PathBuf], period: &Period) -> std::io::Result<Report> {
    let opened = scan::open_files(files)?;
    let total_bytes = opened.iter().map(|(_, _, size)| size).sum();
    let mut progress = progress::Progress::on_stderr(total_bytes);
    let tally = scan::scan_files(opened, period, &mut progress)?;
    progress.announce("checking the hash chains…");
    let chain = crate::audit::verify::verify_files(files);
    progress.finish();
    let chain = chain?;
    let generated_at = crate::audit::format_time(std::time::SystemTime::now());
    Ok(summarise::summarise(
        tally,
        chain,
        files,
        period,
        generated_at,
    ))
}

/// The report in the format asked for.
fn render_report(report: &Report, args: &ReportArgs) -> String {
    match args.format {
        ReportFormat::Text => text::render_text(report, args.lang),
        ReportFormat::Json => render_json(report),
        ReportFormat::Csv => csv::render_csv(report),
        ReportFormat::Html => html::render_html(report, args.lang),
    }
}

fn render_json(report: &Report) -> String {
    // Only strings, integers, booleans and maps with string keys: serialising cannot fail, but
    // a message beats a panic should that ever change.
    let mut json = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise the report: {e}\"}}"));
    json.push('\n');
    json
}

/// A shell glob and an explicit name can give the same file twice; counting it twice would
/// double every figure, and the chain check would see the file "repeated".
fn drop_repeated_files(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    files
        .iter()
        .filter(|path| seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| (*path).clone())))
        .cloned()
        .collect()
}

fn write_output(output: Option<&PathBuf>, bytes: &[u8]) -> std::io::Result<()> {
    match output {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes).and_then(|()| stdout.flush())
        }
    }
}
