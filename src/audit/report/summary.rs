//! The finished report: the tally sorted and cut into the tables every format shows. This is
//! also, serialised as is, the `--format json` document (docs/audit-report.md), so field names
//! here are a stable interface.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::path::PathBuf;

use serde::Serialize;

use super::period::Period;
use super::tally::{Counter, LineCounts, Span, Tally};
use crate::audit::verify::{ChainProblem, ChainSummary};

/// Bumped when a field changes meaning or disappears (adding fields does not bump it).
pub const REPORT_VERSION: u32 = 1;
/// How many paths the report lists; the rest are summed up.
pub const TOP_PATHS: usize = 20;
/// How many cookies the "top offenders" table and chart show.
pub const TOP_COOKIES: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub report_version: u32,
    pub generated_at: String,
    pub files: Vec<String>,
    pub period: PeriodOut,
    pub lines: LinesOut,
    pub totals: Totals,
    pub instances: Vec<InstanceRow>,
    pub by_kind: Vec<Row<String>>,
    /// Sorted by violations, most first: the top offenders are the first [`TOP_COOKIES`].
    pub by_cookie: Vec<CookieRow>,
    pub by_category: Vec<Row<Option<String>>>,
    pub by_path: PathsOut,
    pub by_day: Vec<DayRow>,
    pub by_consent_state: Vec<Row<String>>,
    pub enforcement: Vec<EnforcementRow>,
    pub chain: ChainOut,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodOut {
    pub since: Option<String>,
    pub until: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinesOut {
    pub violations: u64,
    pub file_starts: u64,
    pub unreadable: u64,
    pub outside_period: u64,
    pub other: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub violations: u64,
    pub lines: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InstanceRow {
    pub instance: String,
    pub violations: u64,
    pub lines: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// One row of a one-dimensional table.
#[derive(Debug, Clone, Serialize)]
pub struct Row<K> {
    pub key: K,
    pub violations: u64,
    pub lines: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CookieRow {
    pub cookie: String,
    /// `None`: the cookie is undeclared.
    pub declaration: Option<String>,
    pub category: Option<String>,
    pub violations: u64,
    pub lines: u64,
    pub by_kind: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathsOut {
    pub top: Vec<Row<String>>,
    /// Distinct paths, listed or not.
    pub distinct: u64,
    /// Violations on the paths not listed.
    pub other_violations: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayRow {
    pub day: String,
    pub violations: u64,
    pub by_kind: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnforcementRow {
    pub mode: String,
    pub enforced: bool,
    pub violations: u64,
    pub lines: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChainOut {
    /// `intact` or `broken`.
    pub status: &'static str,
    pub records: u64,
    pub files: usize,
    pub instances: Vec<String>,
    pub problems: Vec<ProblemOut>,
    pub warnings: Vec<ProblemOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProblemOut {
    pub file: String,
    /// 1-based; 0 when about the file as a whole.
    pub line: u64,
    pub message: String,
}

impl Report {
    pub fn chain_is_intact(&self) -> bool {
        self.chain.problems.is_empty()
    }

    /// The kinds present, most violations first: the order of legends and columns.
    pub fn kinds(&self) -> Vec<&str> {
        self.by_kind.iter().map(|row| row.key.as_str()).collect()
    }

    pub fn top_cookies(&self) -> &[CookieRow] {
        &self.by_cookie[..self.by_cookie.len().min(TOP_COOKIES)]
    }
}

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
    let describe = |problems: Vec<ChainProblem>| {
        problems
            .into_iter()
            .map(|p| ProblemOut {
                file: p.file.display().to_string(),
                line: p.line,
                message: p.message,
            })
            .collect()
    };
    ChainOut {
        status: if chain.problems.is_empty() {
            "intact"
        } else {
            "broken"
        },
        records: chain.records,
        files: chain.files,
        instances: chain.instances,
        problems: describe(chain.problems),
        warnings: describe(chain.warnings),
    }
}
