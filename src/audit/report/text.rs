//! `--format text`: a plain-text report for a terminal or an e-mail, about 100 lines however big
//! the log (long tables are cut; the other formats hold everything). This file writes the top:
//! what was read, the chain's status and the totals; [`super::text_tables`] the tables.

use std::fmt::Write;

use super::labels::{labels_for, Labels};
use super::summary::{ProblemOut, Report};
use super::table::sanitise_cell;
use super::text_tables::write_tables;
use super::wording::{capitalise, describe_chain, describe_period, format_count};
use crate::cli::Lang;

/// Problems and warnings listed before "… (+N)".
const TEXT_PROBLEMS: usize = 5;

pub fn render_text(report: &Report, lang: Lang) -> String {
    let l = labels_for(lang);
    let mut out = String::new();
    write_header(report, l, &mut out);
    write_chain(report, l, lang, &mut out);
    write_totals(report, l, lang, &mut out);
    if report.totals.violations == 0 {
        let _ = writeln!(out, "\n{}", l.no_violations);
    } else {
        write_tables(report, lang, &mut out);
    }
    out
}

fn write_header(report: &Report, l: &Labels, out: &mut String) {
    let _ = writeln!(out, "{}", l.title);
    let _ = writeln!(out, "{}{}{}", l.generated, l.colon, report.generated_at);
    let files: Vec<String> = report.files.iter().map(|f| sanitise_cell(f, 200)).collect();
    let files = files.join(", ");
    let _ = writeln!(
        out,
        "{} ({}){}{files}",
        l.files,
        report.files.len(),
        l.colon
    );
    let period = describe_period(&report.period, l);
    let _ = writeln!(out, "{}{}{period}", l.period, l.colon);
}

fn write_chain(report: &Report, l: &Labels, lang: Lang, out: &mut String) {
    let chain = &report.chain;
    let summary = sanitise_cell(&describe_chain(chain, lang, ' '), 300);
    if report.chain_is_intact() {
        let _ = writeln!(
            out,
            "\n{}{}{} - {summary}",
            l.chain, l.colon, l.chain_intact
        );
    } else {
        // Boxed in exclamation marks: whoever reads only the top must not miss it.
        let chain_word = l.chain.to_uppercase();
        let banner = format!("!!! {chain_word}{}{} !!!", l.colon, l.chain_broken);
        let rule = "!".repeat(banner.chars().count());
        let _ = writeln!(out, "\n{rule}\n{banner}\n{rule}");
        let _ = writeln!(out, "{}.\n{summary}.", capitalise(l.chain_broken_note));
        write_problems(
            l.problems,
            &chain.problems,
            chain.problem_count,
            l,
            lang,
            out,
        );
    }
    write_problems(
        l.warnings,
        &chain.warnings,
        chain.warning_count,
        l,
        lang,
        out,
    );
}

fn write_problems(
    title: &str,
    problems: &[ProblemOut],
    total: u64,
    l: &Labels,
    lang: Lang,
    out: &mut String,
) {
    if problems.is_empty() {
        return;
    }
    let total_text = format_count(total, lang, ' ');
    let _ = writeln!(out, "{title} ({total_text}){}", l.colon.trim_end());
    for p in problems.iter().take(TEXT_PROBLEMS) {
        let place = if p.line > 0 {
            format!("{}:{}", p.file, p.line)
        } else {
            p.file.clone()
        };
        let place = sanitise_cell(&place, 200);
        let _ = writeln!(out, "  {place}: {}", sanitise_cell(&p.message, 300));
    }
    let shown = problems.len().min(TEXT_PROBLEMS) as u64;
    if total > shown {
        let more = format_count(total - shown, lang, ' ');
        let _ = writeln!(out, "  … (+{more}){}{}", l.colon, l.verify_hint);
    }
}

fn write_totals(report: &Report, l: &Labels, lang: Lang, out: &mut String) {
    let n = |count: u64| format_count(count, lang, ' ');
    let time = |time: &Option<String>| time.clone().unwrap_or_else(|| "-".to_owned());
    let totals = &report.totals;
    let mut rows = vec![
        (
            capitalise(l.violations),
            format!("{} ({} {})", n(totals.violations), n(totals.lines), l.lines),
        ),
        (l.first_seen.to_owned(), time(&totals.first_seen)),
        (l.last_seen.to_owned(), time(&totals.last_seen)),
        (l.unreadable_lines.to_owned(), n(report.lines.unreadable)),
    ];
    if report.period.since.is_some() || report.period.until.is_some() {
        rows.push((l.outside_period.to_owned(), n(report.lines.outside_period)));
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "\n{}", l.totals);
    for (key, value) in rows {
        let pad = width - key.chars().count();
        let _ = writeln!(out, "  {key}{}  {value}", " ".repeat(pad));
    }
}
