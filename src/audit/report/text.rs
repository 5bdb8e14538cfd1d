//! `--format text`: a plain-text report for a terminal or an e-mail, under ~100 lines however
//! big the log (longer tables are cut; the other formats hold everything).

use std::fmt::Write;

use super::labels::{describe_consent, describe_kind, format_count, labels_for, Labels};
use super::summary::{ProblemOut, Report, Row};
use super::table::{sanitise_cell, Align, TextTable};
use crate::cli::Lang;

/// Days shown in the per-day table: the most recent ones.
const TEXT_DAYS: usize = 14;
/// Problems and warnings listed before "… and N more".
const TEXT_PROBLEMS: usize = 8;
const TEXT_INSTANCES: usize = 10;
/// Widest a cookie name or a path is printed.
const CELL_CHARS: usize = 48;

pub fn render_text(report: &Report, lang: Lang) -> String {
    let l = labels_for(lang);
    let n = |count: u64| format_count(count, lang, ' ');
    let mut out = String::new();
    write_header(report, l, &mut out);
    write_chain(report, l, &mut out);

    let _ = writeln!(out, "\n{}", l.totals);
    let mut totals = Vec::new();
    totals.push((
        capitalise(l.violations),
        format!(
            "{} ({} {})",
            n(report.totals.violations),
            n(report.totals.lines),
            l.lines
        ),
    ));
    let time_or_dash = |time: &Option<String>| time.clone().unwrap_or_else(|| "-".to_owned());
    totals.push((
        l.first_seen.to_owned(),
        time_or_dash(&report.totals.first_seen),
    ));
    totals.push((
        l.last_seen.to_owned(),
        time_or_dash(&report.totals.last_seen),
    ));
    totals.push((l.unreadable_lines.to_owned(), n(report.lines.unreadable)));
    if report.period.since.is_some() || report.period.until.is_some() {
        totals.push((l.outside_period.to_owned(), n(report.lines.outside_period)));
    }
    let label_width = totals
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, value) in totals {
        let pad = label_width - key.chars().count();
        let _ = writeln!(out, "  {key}{}  {value}", " ".repeat(pad));
    }
    if report.totals.violations == 0 {
        let _ = writeln!(out, "\n{}", l.no_violations);
        return out;
    }

    let mut table = TextTable::new(&[
        (l.instance, Align::Left),
        (l.violations, Align::Right),
        (l.lines, Align::Right),
        (l.first_seen, Align::Left),
        (l.last_seen, Align::Left),
    ]);
    for row in report.instances.iter().take(TEXT_INSTANCES) {
        table.push(vec![
            sanitise_cell(&row.instance, CELL_CHARS),
            n(row.violations),
            n(row.lines),
            time_or_dash(&row.first_seen),
            time_or_dash(&row.last_seen),
        ]);
    }
    write_section(
        l.by_instance,
        &table,
        report.instances.len(),
        TEXT_INSTANCES,
        l,
        &mut out,
    );

    let mut table = counted_table(l.kind, l, Some(l.meaning));
    for row in &report.by_kind {
        push_counted(
            &mut table,
            &row.key,
            row,
            lang,
            Some(describe_kind(lang, &row.key)),
        );
    }
    write_section(l.by_kind, &table, 0, usize::MAX, l, &mut out);

    let mut table = counted_table(l.category, l, None);
    for row in &report.by_category {
        push_counted(
            &mut table,
            row.key.as_deref().unwrap_or(l.uncategorised),
            row,
            lang,
            None,
        );
    }
    write_section(l.by_category, &table, 0, usize::MAX, l, &mut out);

    let mut table = counted_table(l.consent_state, l, Some(l.meaning));
    for row in &report.by_consent_state {
        let meaning = describe_consent(lang, &row.key);
        push_counted(&mut table, &row.key, row, lang, Some(meaning));
    }
    write_section(l.by_consent, &table, 0, usize::MAX, l, &mut out);

    let mut table = TextTable::new(&[
        (l.mode, Align::Left),
        (l.enforced, Align::Left),
        (l.violations, Align::Right),
        (l.lines, Align::Right),
    ]);
    for row in &report.enforcement {
        let enforced = if row.enforced { l.yes } else { l.no };
        let mode = sanitise_cell(&row.mode, CELL_CHARS);
        table.push(vec![
            mode,
            enforced.to_owned(),
            n(row.violations),
            n(row.lines),
        ]);
    }
    write_section(l.enforcement, &table, 0, usize::MAX, l, &mut out);

    let mut table = TextTable::new(&[
        (l.cookie, Align::Left),
        (l.declaration, Align::Left),
        (l.category, Align::Left),
        (l.violations, Align::Right),
        (l.kinds_column, Align::Left),
    ]);
    for row in report.top_cookies() {
        table.push(vec![
            sanitise_cell(&row.cookie, CELL_CHARS),
            sanitise_cell(
                row.declaration.as_deref().unwrap_or(l.undeclared),
                CELL_CHARS,
            ),
            sanitise_cell(row.category.as_deref().unwrap_or("-"), CELL_CHARS),
            n(row.violations),
            describe_kinds(row.by_kind.iter(), lang),
        ]);
    }
    let title = format!(
        "{} ({} / {})",
        l.top_cookies,
        report.top_cookies().len(),
        report.by_cookie.len()
    );
    write_section(&title, &table, 0, usize::MAX, l, &mut out);

    let mut table = counted_table(l.path, l, None);
    for row in &report.by_path.top {
        push_counted(&mut table, &row.key, row, lang, None);
    }
    let paths = &report.by_path;
    let title = format!("{} ({} / {})", l.top_paths, paths.top.len(), paths.distinct);
    write_section(&title, &table, 0, usize::MAX, l, &mut out);
    if paths.other_violations > 0 {
        let _ = writeln!(
            out,
            "  ({}: {} {})",
            l.other_paths,
            n(paths.other_violations),
            l.violations
        );
    }

    let mut table = TextTable::new(&[
        (l.day, Align::Left),
        (l.violations, Align::Right),
        (l.kinds_column, Align::Left),
    ]);
    let skipped = report.by_day.len().saturating_sub(TEXT_DAYS);
    for row in &report.by_day[skipped..] {
        table.push(vec![
            row.day.clone(),
            n(row.violations),
            describe_kinds(row.by_kind.iter(), lang),
        ]);
    }
    write_section(l.per_day, &table, 0, usize::MAX, l, &mut out);
    if skipped > 0 {
        let _ = writeln!(out, "  ({skipped} {})", l.earlier_days);
    }
    out
}

fn write_header(report: &Report, l: &Labels, out: &mut String) {
    let _ = writeln!(out, "{}", l.title);
    let _ = writeln!(out, "{}: {}", l.generated, report.generated_at);
    let files: Vec<String> = report.files.iter().map(|f| sanitise_cell(f, 200)).collect();
    let _ = writeln!(out, "{} ({}): {}", l.files, files.len(), files.join(", "));
    let period = match (&report.period.since, &report.period.until) {
        (None, None) => l.whole_log.to_owned(),
        (since, until) => [(l.since, since), (l.until, until)]
            .iter()
            .filter_map(|(word, bound)| bound.as_ref().map(|b| format!("{word} {b}")))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let _ = writeln!(out, "{}: {period}", l.period);
}

fn write_chain(report: &Report, l: &Labels, out: &mut String) {
    let chain = &report.chain;
    let summary = format!(
        "{} {} {} {} ({} {})",
        chain.records,
        l.records_in_files,
        chain.files,
        l.files.to_lowercase(),
        l.instances_word,
        sanitise_cell(&chain.instances.join(", "), 200)
    );
    if report.chain_is_intact() {
        let _ = writeln!(out, "\n{}: {} - {summary}", l.chain, l.chain_intact);
    } else {
        let banner = format!("{}: {}", l.chain.to_uppercase(), l.chain_broken);
        let _ = writeln!(
            out,
            "\n{}\n!!! {banner} !!!\n{}",
            "!".repeat(banner.chars().count() + 8),
            "!".repeat(banner.chars().count() + 8)
        );
        let _ = writeln!(out, "{} ({summary}).", capitalise(l.chain_broken_note));
        write_problems(l.problems, &chain.problems, out);
    }
    write_problems(l.warnings, &chain.warnings, out);
}

fn write_problems(title: &str, problems: &[ProblemOut], out: &mut String) {
    if problems.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title} ({}):", problems.len());
    for p in problems.iter().take(TEXT_PROBLEMS) {
        let place = if p.line > 0 {
            format!("{}:{}", p.file, p.line)
        } else {
            p.file.clone()
        };
        let _ = writeln!(
            out,
            "  {}: {}",
            sanitise_cell(&place, 200),
            sanitise_cell(&p.message, 300)
        );
    }
    if problems.len() > TEXT_PROBLEMS {
        let _ = writeln!(out, "  … (+{})", problems.len() - TEXT_PROBLEMS);
    }
}

fn counted_table(key: &str, l: &Labels, meaning: Option<&str>) -> TextTable {
    let mut headers = vec![
        (key, Align::Left),
        (l.violations, Align::Right),
        (l.lines, Align::Right),
    ];
    headers.extend(meaning.map(|m| (m, Align::Left)));
    TextTable::new(&headers)
}

fn push_counted<K>(
    table: &mut TextTable,
    key: &str,
    row: &Row<K>,
    lang: Lang,
    meaning: Option<&str>,
) {
    let mut cells = vec![
        sanitise_cell(key, CELL_CHARS),
        format_count(row.violations, lang, ' '),
        format_count(row.lines, lang, ' '),
    ];
    cells.extend(meaning.map(str::to_owned));
    table.push(cells);
}

fn write_section(
    title: &str,
    table: &TextTable,
    total_rows: usize,
    shown: usize,
    l: &Labels,
    out: &mut String,
) {
    let _ = writeln!(out, "\n{title}");
    table.write_to(out);
    if total_rows > shown {
        let _ = writeln!(out, "  (+{} {})", total_rows - shown, l.more_rows);
    }
}

/// `no-consent 3, refused 1`: a breakdown by kind on one line.
pub fn describe_kinds<'a>(
    kinds: impl Iterator<Item = (&'a String, &'a u64)>,
    lang: Lang,
) -> String {
    let mut kinds: Vec<(&String, &u64)> = kinds.collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    kinds
        .into_iter()
        .map(|(kind, count)| {
            format!(
                "{} {}",
                sanitise_cell(kind, 24),
                format_count(*count, lang, ' ')
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
