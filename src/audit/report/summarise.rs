//! Sorting and cutting the running tally into the finished [`Report`].

use std::collections::HashMap;
use std::hash::Hash;
use std::path::PathBuf;

use super::period::Period;
use super::summary::{
    ChainOut, CookieRow, DayRow, EnforcementRow, InstanceRow, LinesOut, PathsOut, PeriodOut,
    ProblemOut, Report, Row, Totals, CHAIN_PROBLEMS, REPORT_VERSION, TOP_PATHS,
};
use super::tally::{Counter, LineCounts, Span, Tally};
use crate::audit::verify::{ChainProblem, ChainSummary};

/// Sorts and cuts the tally into the report.
pub fn summarise(
    tally: Tally,
    chain: ChainSummary,
    files: &[PathBuf],
    period: &Period,
    generated_at: String,
) -> Report {
    let Tally {
        lines,
        total,
        span,
        instances,
        kinds,
        cookies,
        categories,
        paths,
        days,
        consent_states,
        enforcement,
    } = tally;
    let mut instances: Vec<InstanceRow> = instances
        .into_iter()
        .map(|(instance, t)| InstanceRow {
            instance,
            violations: t.counter.violations,
            lines: t.counter.lines,
            first_seen: t.span.first,
            last_seen: t.span.last,
        })
        .collect();
    instances.sort_by(|a, b| a.instance.cmp(&b.instance));
    let mut by_cookie: Vec<CookieRow> = cookies
        .into_iter()
        .map(|(key, t)| CookieRow {
            cookie: key.name,
            declaration: key.declaration,
            category: key.category,
            violations: t.counter.violations,
            lines: t.counter.lines,
            by_kind: t.kinds,
        })
        .collect();
    by_cookie.sort_by(|a, b| {
        (b.violations, &a.cookie, &a.declaration, &a.category).cmp(&(
            a.violations,
            &b.cookie,
            &b.declaration,
            &b.category,
        ))
    });
    let mut enforcement: Vec<EnforcementRow> = enforcement
        .into_iter()
        .map(|((mode, enforced), c)| EnforcementRow {
            mode,
            enforced,
            violations: c.violations,
            lines: c.lines,
        })
        .collect();
    enforcement.sort_by(|a, b| (&a.mode, !a.enforced).cmp(&(&b.mode, !b.enforced)));
    Report {
        report_version: REPORT_VERSION,
        generated_at,
        files: files.iter().map(|p| p.display().to_string()).collect(),
        period: PeriodOut {
            since: period.since.clone(),
            until: period.until.clone(),
        },
        lines: describe_lines(lines),
        totals: describe_totals(total, span),
        instances,
        by_kind: sort_rows(kinds),
        by_cookie,
        by_category: sort_rows(categories),
        by_path: cut_paths(paths),
        by_day: days
            .into_iter()
            .map(|(day, by_kind)| DayRow {
                day,
                violations: by_kind.values().fold(0, |sum, n| sum.saturating_add(*n)),
                by_kind,
            })
            .collect(),
        by_consent_state: sort_rows(consent_states),
        enforcement,
        chain: describe_chain(chain),
    }
}

fn describe_lines(lines: LineCounts) -> LinesOut {
    LinesOut {
        violations: lines.violations,
        file_starts: lines.file_starts,
        unreadable: lines.unreadable,
        outside_period: lines.outside_period,
        other: lines.other,
    }
}

fn describe_totals(total: Counter, span: Span) -> Totals {
    Totals {
        violations: total.violations,
        lines: total.lines,
        first_seen: span.first,
        last_seen: span.last,
    }
}

/// Most violations first; ties in key order, so that the output is stable.
fn sort_rows<K: Ord + Hash>(map: HashMap<K, Counter>) -> Vec<Row<K>> {
    let mut rows: Vec<Row<K>> = map
        .into_iter()
        .map(|(key, c)| Row {
            key,
            violations: c.violations,
            lines: c.lines,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.violations
            .cmp(&a.violations)
            .then_with(|| a.key.cmp(&b.key))
    });
    rows
}

fn cut_paths(paths: HashMap<String, Counter>) -> PathsOut {
    let distinct = paths.len() as u64;
    let mut rows = sort_rows(paths);
    let rest = rows.split_off(rows.len().min(TOP_PATHS));
    PathsOut {
        top: rows,
        distinct,
        other_violations: rest
            .iter()
            .fold(0, |sum, row| sum.saturating_add(row.violations)),
    }
}

fn describe_chain(chain: ChainSummary) -> ChainOut {
    let describe = |problems: Vec<ChainProblem>| -> (u64, Vec<ProblemOut>) {
        let count = problems.len() as u64;
        let listed = problems
            .into_iter()
            .take(CHAIN_PROBLEMS)
            .map(|p| ProblemOut {
                file: p.file.display().to_string(),
                line: p.line,
                message: p.message,
            })
            .collect();
        (count, listed)
    };
    let (problem_count, problems) = describe(chain.problems);
    let (warning_count, warnings) = describe(chain.warnings);
    ChainOut {
        status: if problem_count == 0 {
            "intact"
        } else {
            "broken"
        },
        records: chain.records,
        files: chain.files,
        instances: chain.instances,
        problem_count,
        problems,
        warning_count,
        warnings,
    }
}
