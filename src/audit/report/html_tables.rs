//! The HTML report's tables for the aggregates that have no chart: kinds, categories, consent
//! states, enforcement, paths and instances.

use std::fmt::Write;

use super::labels::Labels;
use super::markup::{escape_html, label_kind, Table};
use super::summary::Report;
use super::wording::{abbreviate_kind, describe_consent, describe_kind, format_count};
use crate::cli::Lang;

pub fn write_tables(report: &Report, l: &Labels, lang: Lang, out: &mut String) {
    let n = |count: u64| format_count(count, lang, '\u{202f}');
    let mut table = Table::new(&[
        (l.kind, false),
        (l.code, false),
        (l.violations, true),
        (l.lines, true),
        (l.meaning, false),
    ]);
    for row in &report.by_kind {
        table.row_html(&[
            label_kind(&row.key),
            escape_html(&abbreviate_kind(&row.key)),
            n(row.violations),
            n(row.lines),
            escape_html(describe_kind(lang, &row.key)),
        ]);
    }
    write_section("by-kind", l.by_kind, &table, out);

    let mut table = Table::new(&[(l.category, false), (l.violations, true), (l.lines, true)]);
    for row in &report.by_category {
        table.row(&[
            row.key.as_deref().unwrap_or(l.uncategorised),
            &n(row.violations),
            &n(row.lines),
        ]);
    }
    write_section("by-category", l.by_category, &table, out);

    let mut table = Table::new(&[
        (l.consent_state, false),
        (l.violations, true),
        (l.lines, true),
        (l.meaning, false),
    ]);
    for row in &report.by_consent_state {
        table.row(&[
            &row.key,
            &n(row.violations),
            &n(row.lines),
            describe_consent(lang, &row.key),
        ]);
    }
    write_section("by-consent", l.by_consent, &table, out);

    let mut table = Table::new(&[
        (l.mode, false),
        (l.enforced, false),
        (l.violations, true),
        (l.lines, true),
    ]);
    for row in &report.enforcement {
        table.row(&[
            &row.mode,
            if row.enforced { l.yes } else { l.no },
            &n(row.violations),
            &n(row.lines),
        ]);
    }
    write_section("enforcement", l.enforcement, &table, out);

    let mut table = Table::new(&[(l.path, false), (l.violations, true), (l.lines, true)]);
    for row in &report.by_path.top {
        table.row(&[&row.key, &n(row.violations), &n(row.lines)]);
    }
    let paths = &report.by_path;
    if paths.other_violations > 0 {
        let others = format!(
            "({} {})",
            n(paths.distinct - paths.top.len() as u64),
            l.other_paths
        );
        table.row(&[&others, &n(paths.other_violations), ""]);
    }
    write_section("by-path", l.top_paths, &table, out);

    let mut table = Table::new(&[
        (l.instance, false),
        (l.violations, true),
        (l.lines, true),
        (l.first_seen, false),
        (l.last_seen, false),
    ]);
    for row in &report.instances {
        let first = row.first_seen.as_deref().unwrap_or("");
        let last = row.last_seen.as_deref().unwrap_or("");
        table.row(&[
            &row.instance,
            &n(row.violations),
            &n(row.lines),
            first,
            last,
        ]);
    }
    write_section("by-instance", l.by_instance, &table, out);
}

fn write_section(id: &str, title: &str, table: &Table, out: &mut String) {
    let _ = write!(out, r#"<section id="{id}"><h2>{}</h2>"#, escape_html(title));
    table.write_to(out);
    out.push_str("</section>\n");
}
