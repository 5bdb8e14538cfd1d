//! The finished report: the tally sorted and cut into the tables every format shows. This is
//! also, serialised as is, the `--format json` document (docs/audit-report.md), so field names
//! here are a stable interface.

use std::collections::BTreeMap;

use serde::Serialize;

/// Bumped when a field changes meaning or disappears (adding fields does not bump it).
pub const REPORT_VERSION: u32 = 1;
/// How many paths the report lists; the rest are summed up.
pub const TOP_PATHS: usize = 20;
/// Problems (and warnings) listed: after an edit near the start of a big file every later line
/// may be reported, and `consentry audit verify` is the tool for the full list.
pub const CHAIN_PROBLEMS: usize = 100;
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
    /// All problems found; only the first [`CHAIN_PROBLEMS`] are listed in `problems`.
    pub problem_count: u64,
    pub problems: Vec<ProblemOut>,
    pub warning_count: u64,
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
