//! The text report's tables. Breakdowns by kind are columns headed by a short code (`NOC` for
//! `no-consent`…), listed in the "by kind" table, so that rows stay narrow and numbers line up.

use std::fmt::Write;

use super::labels::{labels_for, Labels};
use super::summary::{Report, Row};
use super::table::{sanitise_cell, Align, TextTable};
use super::wording::{abbreviate_kind, describe_consent, describe_kind, format_count};
use crate::cli::Lang;

/// Paths listed (the other formats list [`super::summary::TOP_PATHS`]).
const TEXT_PATHS: usize = 10;
/// Days shown in the per-day table: the most recent ones.
const TEXT_DAYS: usize = 14;
const TEXT_INSTANCES: usize = 10;
/// Widest a cookie name, a path or a declaration is printed.
const CELL_CHARS: usize = 40;

pub fn write_tables(report: &Report, lang: Lang, out: &mut String) {
    let l = labels_for(lang);
    let n = |count: u64| format_count(count, lang, ' ');
    let time = |time: &Option<String>| time.clone().unwrap_or_else(|| "-".to_owned());

    let (first, last) = (l.first_seen.to_lowercase(), l.last_seen.to_lowercase());
    let mut table = TextTable::new(&[
        (l.instance, Align::Left),
        (l.violations, Align::Right),
        (l.lines, Align::Right),
        (&first, Align::Left),
        (&last, Align::Left),
    ]);
    for row in report.instances.iter().take(TEXT_INSTANCES) {
        let instance = sanitise_cell(&row.instance, CELL_CHARS);
        let (first, last) = (time(&row.first_seen), time(&row.last_seen));
        table.push(vec![instance, n(row.violations), n(row.lines), first, last]);
    }
    write_section(l.by_instance, &table, out);
    if report.instances.len() > TEXT_INSTANCES {
        let more = report.instances.len() - TEXT_INSTANCES;
        let _ = writeln!(out, "  (+{more} {})", l.more_rows);
    }

    let mut table = TextTable::new(&[
        (l.kind, Align::Left),
        (l.code, Align::Left),
        (l.violations, Align::Right),
        (l.lines, Align::Right),
        (l.meaning, Align::Left),
    ]);
    for row in &report.by_kind {
        table.push(vec![
            sanitise_cell(&row.key, CELL_CHARS),
            abbreviate_kind(&row.key),
            n(row.violations),
            n(row.lines),
            describe_kind(lang, &row.key).to_owned(),
        ]);
    }
    write_section(l.by_kind, &table, out);

    let mut table = counted_table(l.category, l, None);
    for row in &report.by_category {
        let category = row.key.as_deref().unwrap_or(l.uncategorised);
        push_counted(&mut table, category, row, lang, None);
    }
    write_section(l.by_category, &table, out);

    let mut table = counted_table(l.consent_state, l, Some(l.meaning));
    for row in &report.by_consent_state {
        let meaning = describe_consent(lang, &row.key);
        push_counted(&mut table, &row.key, row, lang, Some(meaning));
    }
    write_section(l.by_consent, &table, out);

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
    write_section(l.enforcement, &table, out);

    let kinds = report.kinds();
    let mut table = kinds_table(
        &[
            (l.cookie, Align::Left),
            (l.declaration, Align::Left),
            (l.category, Align::Left),
            (l.violations, Align::Right),
        ],
        &kinds,
    );
    for row in report.top_cookies() {
        let mut cells = vec![
            sanitise_cell(&row.cookie, CELL_CHARS),
            sanitise_cell(
                row.declaration.as_deref().unwrap_or(l.undeclared),
                CELL_CHARS,
            ),
            sanitise_cell(row.category.as_deref().unwrap_or("-"), CELL_CHARS),
            n(row.violations),
        ];
        cells.extend(
            kinds
                .iter()
                .map(|k| row.by_kind.get(*k).map_or("-".into(), |c| n(*c))),
        );
        table.push(cells);
    }
    let shown = report.top_cookies().len();
    let title = format!("{} ({shown} / {})", l.top_cookies, report.by_cookie.len());
    write_section(&title, &table, out);

    let paths = &report.by_path;
    let shown = paths.top.len().min(TEXT_PATHS);
    let mut table = counted_table(l.path, l, None);
    for row in &paths.top[..shown] {
        push_counted(&mut table, &row.key, row, lang, None);
    }
    let title = format!("{} ({shown} / {})", l.top_paths, n(paths.distinct));
    write_section(&title, &table, out);
    let others = paths.top[shown..]
        .iter()
        .fold(paths.other_violations, |sum, row| sum + row.violations);
    if others > 0 {
        let others = n(others);
        let _ = writeln!(
            out,
            "  ({}{}{others} {})",
            l.other_paths, l.colon, l.violations
        );
    }

    let mut table = kinds_table(
        &[(l.day, Align::Left), (l.violations, Align::Right)],
        &kinds,
    );
    let skipped = report.by_day.len().saturating_sub(TEXT_DAYS);
    for row in &report.by_day[skipped..] {
        let mut cells = vec![row.day.clone(), n(row.violations)];
        cells.extend(
            kinds
                .iter()
                .map(|k| row.by_kind.get(*k).map_or("-".into(), |c| n(*c))),
        );
        table.push(cells);
    }
    write_section(l.per_day, &table, out);
    if skipped > 0 {
        let _ = writeln!(out, "  ({skipped} {})", l.earlier_days);
    }
}

/// A table with the given first columns, then one right-aligned column per kind.
fn kinds_table(first: &[(&str, Align)], kinds: &[&str]) -> TextTable {
    let codes: Vec<String> = kinds.iter().map(|k| abbreviate_kind(k)).collect();
    let mut headers = first.to_vec();
    headers.extend(codes.iter().map(|code| (code.as_str(), Align::Right)));
    TextTable::new(&headers)
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

fn write_section(title: &str, table: &TextTable, out: &mut String) {
    let _ = writeln!(out, "\n{title}");
    table.write_to(out);
}
