//! `--format csv`: every aggregate in one four-column table, `section,key,subkey,count`, so
//! that a spreadsheet can filter by section. Sections are listed in docs/audit-report.md.

use super::summary::Report;

pub fn render_csv(report: &Report) -> String {
    let mut csv = Csv::default();
    csv.row("section", "key", "subkey", "count");
    let totals = &report.totals;
    csv.count("totals", "violations", "", totals.violations);
    csv.count("totals", "lines", "", totals.lines);
    // Times are not counts: they go in `subkey`, with an empty count.
    if let Some(first) = &totals.first_seen {
        csv.row("totals", "first_seen", first, "");
    }
    if let Some(last) = &totals.last_seen {
        csv.row("totals", "last_seen", last, "");
    }
    let lines = &report.lines;
    csv.count("lines", "violation", "", lines.violations);
    csv.count("lines", "file_start", "", lines.file_starts);
    csv.count("lines", "unreadable", "", lines.unreadable);
    csv.count("lines", "outside_period", "", lines.outside_period);
    csv.count("lines", "other", "", lines.other);
    for row in &report.instances {
        csv.count("instance", &row.instance, "violations", row.violations);
        csv.count("instance", &row.instance, "lines", row.lines);
    }
    for row in &report.by_kind {
        csv.count("kind", &row.key, "", row.violations);
    }
    for row in &report.by_cookie {
        let declaration = row.declaration.as_deref().unwrap_or("undeclared");
        csv.count("cookie", &row.cookie, declaration, row.violations);
        let category = row.category.as_deref().unwrap_or("");
        csv.count("cookie_category", &row.cookie, category, row.violations);
        for (kind, count) in &row.by_kind {
            csv.count("cookie_kind", &row.cookie, kind, *count);
        }
    }
    for row in &report.by_category {
        csv.count(
            "category",
            row.key.as_deref().unwrap_or(""),
            "",
            row.violations,
        );
    }
    for row in &report.by_path.top {
        csv.count("path", &row.key, "", row.violations);
    }
    csv.count("paths", "distinct", "", report.by_path.distinct);
    csv.count(
        "paths",
        "other_violations",
        "",
        report.by_path.other_violations,
    );
    for row in &report.by_day {
        for (kind, count) in &row.by_kind {
            csv.count("day", &row.day, kind, *count);
        }
    }
    for row in &report.by_consent_state {
        csv.count("consent_state", &row.key, "", row.violations);
    }
    for row in &report.enforcement {
        let enforced = if row.enforced {
            "enforced"
        } else {
            "not_enforced"
        };
        csv.count("enforcement", &row.mode, enforced, row.violations);
    }
    let chain = &report.chain;
    csv.row("chain", "status", chain.status, "");
    csv.count("chain", "records", "", chain.records);
    csv.count("chain", "files", "", chain.files as u64);
    csv.count("chain", "problems", "", chain.problem_count);
    csv.count("chain", "warnings", "", chain.warning_count);
    for (section, problems) in [
        ("chain_problem", &chain.problems),
        ("chain_warning", &chain.warnings),
    ] {
        for p in problems {
            csv.count(section, &p.file, &p.message, p.line);
        }
    }
    csv.text
}

#[derive(Default)]
struct Csv {
    text: String,
}

impl Csv {
    fn count(&mut self, section: &str, key: &str, subkey: &str, count: u64) {
        self.row(section, key, subkey, &count.to_string());
    }

    /// One record, CRLF-terminated as RFC 4180 says.
    fn row(&mut self, section: &str, key: &str, subkey: &str, count: &str) {
        for (i, field) in [section, key, subkey, count].into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            push_field(field, &mut self.text);
        }
        self.text.push_str("\r\n");
    }
}

/// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. A
/// field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading
/// `'`: cookie names and paths come from visitors, and CSV injection is how they would strike.
fn push_field(field: &str, out: &mut String) {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || field.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in field.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> String {
        let mut out = String::new();
        push_field(text, &mut out);
        out
    }

    #[test]
    fn plain_fields_are_left_alone() {
        assert_eq!(field("_ga"), "_ga");
        assert_eq!(field(""), "");
        assert_eq!(field("/explore/ page"), "/explore/ page");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted_with_doubled_quotes() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("name \"_ga\""), "\"name \"\"_ga\"\"\"");
        assert_eq!(field("a\nb"), "\"a\nb\"");
    }

    #[test]
    fn a_field_that_looks_like_a_formula_is_defused() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("@SUM(1)"), "\"'@SUM(1)\"");
    }
}
