//! `--format html`: one self-contained page (inline CSS and SVG, no script, no external asset)
//! that reads on screen and prints. Everything that comes from the log is escaped: cookie names,
//! paths and hosts are chosen by whoever sends the requests.

use std::fmt::Write;

use super::charts::{colour_of, draw_per_day_chart, draw_top_cookies_chart};
use super::labels::{describe_consent, describe_kind, format_count, labels_for, Labels};
use super::markup::{escape_html, Table};
use super::summary::{ProblemOut, Report};
use super::text::describe_kinds;
use crate::cli::Lang;

/// Rows of the per-cookie table; a page with more would not be read, and JSON/CSV hold all.
const HTML_COOKIES: usize = 500;

const STYLE: &str = include_str!("report.css");

pub fn render_html(report: &Report, lang: Lang) -> String {
    let l = labels_for(lang);
    let n = |count: u64| format_count(count, lang, '\u{202f}');
    let mut out = String::with_capacity(64 * 1024);
    // The page needs no script: a policy forbidding all of it is a second line of defence should
    // an escape ever be missed.
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="{}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{}</title><style>{STYLE}</style></head><body>
<header><h1>{}</h1><dl class="meta">"#,
        l.lang_code,
        escape_html(l.title),
        escape_html(l.title)
    );
    let period = match (&report.period.since, &report.period.until) {
        (None, None) => l.whole_log.to_owned(),
        (since, until) => [(l.since, since), (l.until, until)]
            .iter()
            .filter_map(|(word, bound)| bound.as_ref().map(|b| format!("{word} {b}")))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let files = report.files.join(", ");
    for (key, value) in [
        (l.generated, report.generated_at.as_str()),
        (l.period, period.as_str()),
        (l.files, files.as_str()),
    ] {
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            escape_html(key),
            escape_html(value)
        );
    }
    out.push_str("</dl></header>\n");
    write_chain(report, l, &mut out);

    let _ = write!(
        out,
        r#"<section id="totals"><h2>{}</h2><div class="cards">"#,
        l.totals
    );
    for (key, value) in [
        (l.violations.to_owned(), n(report.totals.violations)),
        (l.lines.to_owned(), n(report.totals.lines)),
        (
            l.first_seen.to_owned(),
            report.totals.first_seen.clone().unwrap_or_default(),
        ),
        (
            l.last_seen.to_owned(),
            report.totals.last_seen.clone().unwrap_or_default(),
        ),
        (l.unreadable_lines.to_owned(), n(report.lines.unreadable)),
        (l.outside_period.to_owned(), n(report.lines.outside_period)),
    ] {
        let _ = write!(
            out,
            r#"<div class="card"><span class="value">{}</span><span class="key">{}</span></div>"#,
            escape_html(&value),
            escape_html(&key)
        );
    }
    out.push_str("</div></section>\n");
    if report.totals.violations == 0 {
        let _ = write!(
            out,
            "<p class=\"empty\">{}</p>",
            escape_html(l.no_violations)
        );
    }

    let _ = write!(
        out,
        r#"<section id="per-day"><h2>{}</h2><figure>{}</figure>"#,
        l.per_day,
        draw_per_day_chart(report, l, lang)
    );
    let mut table = Table::new(&[
        (l.day, false),
        (l.violations, true),
        (l.kinds_column, false),
    ]);
    for row in &report.by_day {
        table.row(&[
            &row.day,
            &n(row.violations),
            &describe_kinds(row.by_kind.iter(), lang),
        ]);
    }
    table.write_to(&mut out);
    out.push_str("</section>\n");

    let _ = write!(
        out,
        r#"<section id="top-cookies"><h2>{}</h2><figure>{}</figure>"#,
        l.top_cookies,
        draw_top_cookies_chart(report, l, lang)
    );
    let mut table = Table::new(&[
        (l.cookie, false),
        (l.declaration, false),
        (l.category, false),
        (l.violations, true),
        (l.lines, true),
        (l.kinds_column, false),
    ]);
    for row in report.by_cookie.iter().take(HTML_COOKIES) {
        table.row(&[
            &row.cookie,
            row.declaration.as_deref().unwrap_or(l.undeclared),
            row.category.as_deref().unwrap_or("–"),
            &n(row.violations),
            &n(row.lines),
            &describe_kinds(row.by_kind.iter(), lang),
        ]);
    }
    let _ = write!(out, "<h3>{}</h3>", l.by_cookie);
    table.write_to(&mut out);
    if report.by_cookie.len() > HTML_COOKIES {
        let _ = write!(
            out,
            "<p class=\"note\">+{} {}</p>",
            report.by_cookie.len() - HTML_COOKIES,
            l.more_rows
        );
    }
    out.push_str("</section>\n");

    let mut table = Table::new(&[
        (l.kind, false),
        (l.violations, true),
        (l.lines, true),
        (l.meaning, false),
    ]);
    for row in &report.by_kind {
        let swatch = format!(
            r#"<span class="swatch" style="background:{}"></span>"#,
            colour_of(&row.key)
        );
        table.row_html(&[
            format!("{swatch}{}", escape_html(&row.key)),
            n(row.violations),
            n(row.lines),
            escape_html(describe_kind(lang, &row.key)),
        ]);
    }
    write_section("by-kind", l.by_kind, &table, &mut out);

    let mut table = Table::new(&[(l.category, false), (l.violations, true), (l.lines, true)]);
    for row in &report.by_category {
        table.row(&[
            row.key.as_deref().unwrap_or(l.uncategorised),
            &n(row.violations),
            &n(row.lines),
        ]);
    }
    write_section("by-category", l.by_category, &table, &mut out);

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
    write_section("by-consent", l.by_consent, &table, &mut out);

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
    write_section("enforcement", l.enforcement, &table, &mut out);

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
    write_section("by-path", l.top_paths, &table, &mut out);

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
    write_section("by-instance", l.by_instance, &table, &mut out);
    out.push_str("</body></html>\n");
    out
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
        chain.instances.join(", ")
    );
    if report.chain_is_intact() {
        let _ = write!(
            out,
            r#"<section id="chain" class="chain intact"><h2>{}: {}</h2><p>{}</p>"#,
            l.chain,
            l.chain_intact,
            escape_html(&summary)
        );
    } else {
        let _ = write!(
            out,
            r#"<section id="chain" class="chain broken" role="alert"><h2>⚠ {}: {}</h2><p><strong>{}</strong> ({})</p>"#,
            l.chain,
            l.chain_broken,
            escape_html(l.chain_broken_note),
            escape_html(&summary)
        );
        write_problems(l.problems, &chain.problems, out);
    }
    write_problems(l.warnings, &chain.warnings, out);
    out.push_str("</section>\n");
}

fn write_problems(title: &str, problems: &[ProblemOut], out: &mut String) {
    if problems.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h3>{} ({})</h3><ul class=\"problems\">",
        escape_html(title),
        problems.len()
    );
    for p in problems {
        let place = if p.line > 0 {
            format!("{}:{}", p.file, p.line)
        } else {
            p.file.clone()
        };
        let _ = write!(
            out,
            "<li><code>{}</code> {}</li>",
            escape_html(&place),
            escape_html(&p.message)
        );
    }
    out.push_str("</ul>");
}

fn write_section(id: &str, title: &str, table: &Table, out: &mut String) {
    let _ = write!(out, r#"<section id="{id}"><h2>{}</h2>"#, escape_html(title));
    table.write_to(out);
    out.push_str("</section>\n");
}
