//! `--format html`: one self-contained page (inline CSS and SVG, no script, no external asset)
//! that reads on screen and prints. Everything that comes from the log is escaped: cookie names,
//! paths and hosts are chosen by whoever sends the requests.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::charts::{draw_per_day_chart, draw_top_cookies_chart};
use super::html_tables::write_tables;
use super::labels::{labels_for, Labels};
use super::markup::{escape_html, Table};
use super::summary::{ProblemOut, Report};
use super::wording::{capitalise, describe_chain, describe_period, format_count};
use crate::cli::Lang;

/// Rows of the per-cookie table; a page with more would not be read, and JSON/CSV hold all.
const HTML_COOKIES: usize = 500;
/// Problems listed under the banner: the first ones say where the log stops being trustworthy.
const HTML_PROBLEMS: usize = 10;

const STYLE: &str = include_str!("report.css");

pub fn render_html(report: &Report, lang: Lang) -> String {
    let l = labels_for(lang);
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
    let period = describe_period(&report.period, l);
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
    write_chain(report, l, lang, &mut out);

    write_totals(report, l, lang, &mut out);
    if report.totals.violations == 0 {
        let empty = escape_html(l.no_violations);
        let _ = write!(out, "<p class=\"empty\">{empty}</p>");
    } else {
        write_charted_sections(report, l, lang, &mut out);
        write_tables(report, l, lang, &mut out);
    }
    out.push_str("</body></html>\n");
    out
}

/// Violations per day and the top cookies: each a chart, then its table.
fn write_charted_sections(report: &Report, l: &Labels, lang: Lang, out: &mut String) {
    let n = |count: u64| format_count(count, lang, '\u{202f}');
    let _ = write!(
        out,
        r#"<section id="per-day"><h2>{}</h2><figure>{}</figure>"#,
        escape_html(l.per_day),
        draw_per_day_chart(report, l, lang)
    );
    let kinds = report.kinds();
    let by_kind = |counts: &BTreeMap<String, u64>| -> Vec<String> {
        let count = |kind: &&str| counts.get(*kind).map_or("–".to_owned(), |c| n(*c));
        kinds.iter().map(count).collect()
    };
    let mut table = Table::with_kinds(&[(l.day, false), (l.violations, true)], &kinds);
    for row in &report.by_day {
        let mut cells = vec![escape_html(&row.day), n(row.violations)];
        cells.extend(by_kind(&row.by_kind));
        table.row_html(&cells);
    }
    table.write_to(out);
    out.push_str("</section>\n");

    let _ = write!(
        out,
        r#"<section id="top-cookies"><h2>{}</h2><figure>{}</figure>"#,
        escape_html(l.top_cookies),
        draw_top_cookies_chart(report, l, lang)
    );
    let mut table = Table::with_kinds(
        &[
            (l.cookie, false),
            (l.declaration, false),
            (l.category, false),
            (l.violations, true),
            (l.lines, true),
        ],
        &kinds,
    );
    for row in report.by_cookie.iter().take(HTML_COOKIES) {
        let mut cells = vec![
            escape_html(&row.cookie),
            escape_html(row.declaration.as_deref().unwrap_or(l.undeclared)),
            escape_html(row.category.as_deref().unwrap_or("–")),
            n(row.violations),
            n(row.lines),
        ];
        cells.extend(by_kind(&row.by_kind));
        table.row_html(&cells);
    }
    let _ = write!(out, "<h3>{}</h3>", escape_html(l.by_cookie));
    table.write_to(out);
    if report.by_cookie.len() > HTML_COOKIES {
        let _ = write!(
            out,
            "<p class=\"note\">+{} {}</p>",
            report.by_cookie.len() - HTML_COOKIES,
            escape_html(l.more_rows)
        );
    }
    out.push_str("</section>\n");
}

/// The headline figures as cards; times split into date and clock so that they fit a card.
fn write_totals(report: &Report, l: &Labels, lang: Lang, out: &mut String) {
    let n = |count: u64| escape_html(&format_count(count, lang, '\u{202f}'));
    let time = |time: &Option<String>| {
        let time = time.as_deref().unwrap_or("–");
        match time.split_once('T') {
            Some((date, clock)) => format!(
                "{}<small>{} UTC</small>",
                escape_html(date),
                escape_html(clock.trim_end_matches('Z'))
            ),
            None => escape_html(time),
        }
    };
    let mut cards = vec![
        (l.violations, n(report.totals.violations)),
        (l.lines, n(report.totals.lines)),
        (l.first_seen, time(&report.totals.first_seen)),
        (l.last_seen, time(&report.totals.last_seen)),
        (l.unreadable_lines, n(report.lines.unreadable)),
    ];
    if report.period.since.is_some() || report.period.until.is_some() {
        cards.push((l.outside_period, n(report.lines.outside_period)));
    }
    let _ = write!(
        out,
        r#"<section id="totals"><h2>{}</h2><div class="cards">"#,
        escape_html(l.totals)
    );
    for (key, value) in cards {
        let _ = write!(
            out,
            r#"<div class="card"><span class="value">{value}</span><span class="key">{}</span></div>"#,
            escape_html(key)
        );
    }
    out.push_str("</div></section>\n");
}

fn write_chain(report: &Report, l: &Labels, lang: Lang, out: &mut String) {
    let chain = &report.chain;
    let summary = describe_chain(chain, lang, '\u{202f}');
    if report.chain_is_intact() {
        let _ = write!(
            out,
            r#"<section id="chain" class="chain intact"><h2>{}{}{}</h2><p>{}</p>"#,
            l.chain,
            l.colon,
            l.chain_intact,
            escape_html(&summary)
        );
    } else {
        let _ = write!(
            out,
            r#"<section id="chain" class="chain broken" role="alert"><h2>⚠ {}{}{}</h2><p><strong>{}.</strong></p><p>{}.</p>"#,
            l.chain,
            l.colon,
            l.chain_broken,
            escape_html(&capitalise(l.chain_broken_note)),
            escape_html(&summary)
        );
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
    out.push_str("</section>\n");
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
    let _ = write!(
        out,
        "<h3>{} ({})</h3><ul class=\"problems\">",
        escape_html(title),
        format_count(total, lang, '\u{202f}')
    );
    for p in problems.iter().take(HTML_PROBLEMS) {
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
    let shown = problems.len().min(HTML_PROBLEMS) as u64;
    if total > shown {
        let more = format_count(total - shown, lang, '\u{202f}');
        let _ = write!(out, "<li>… (+{more}): {}</li>", escape_html(l.verify_hint));
    }
    out.push_str("</ul>");
}
