//! `consentry audit report`, through the real binary: exact totals on a hand-built log of two
//! instances, the period filter, the four formats, escaping, errors, and the HTML rendered by a
//! headless Chromium.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use consentry::audit::chain::{seal, GENESIS};
use serde_json::{json, Map, Value};

const BIN: &str = env!("CARGO_BIN_EXE_consentry");
const HOSTILE: &str = "<script>alert(1)</script>";
const HOSTILE_PATH: &str = "/<img src=x onerror=alert(1)>";

/// One violation of the fixture: (time, last_time, kind, cookie, declaration, category, path,
/// consent_state, mode, count).
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    u64,
);

const GA: Option<&str> = Some("name \"_ga\"");
const SESSION: Option<&str> = Some("name \"sessionid\"");

/// web-1, first file.
const A1: &[Spec] = &[
    (
        "2026-11-01T08:00:00.000Z",
        "2026-11-01T08:00:05.000Z",
        "no-consent",
        "_ga",
        GA,
        Some("statistics"),
        "/explore/",
        "none",
        "enforce",
        3,
    ),
    (
        "2026-11-01T09:00:00.000Z",
        "2026-11-01T09:00:00.000Z",
        "undeclared",
        "tracker_x",
        None,
        None,
        "/",
        "none",
        "enforce",
        1,
    ),
    // Counted on the day and in the period of its first occurrence, not of its last.
    (
        "2026-11-01T23:59:59.999Z",
        "2026-11-02T00:00:04.000Z",
        "refused",
        "_ga",
        GA,
        Some("statistics"),
        "/explore/",
        "refused",
        "enforce",
        2,
    ),
];
/// web-1, second file (rotated); ends with a torn line.
const A2: &[Spec] = &[
    (
        "2026-11-02T10:00:00.000Z",
        "2026-11-02T10:09:00.000Z",
        "lifetime-exceeded",
        "sessionid",
        SESSION,
        Some("necessary"),
        "/login",
        "given",
        "report-only",
        5,
    ),
    (
        "2026-11-02T11:00:00.000Z",
        "2026-11-02T11:00:00.000Z",
        "no-consent",
        "_ga",
        GA,
        Some("statistics"),
        "/dataset/x",
        "none",
        "enforce",
        1,
    ),
];
/// web-2, its only file.
const B1: &[Spec] = &[
    (
        "2026-11-02T12:00:00.000Z",
        "2026-11-02T12:00:08.000Z",
        "attribute-missing",
        "sessionid",
        SESSION,
        Some("necessary"),
        "/",
        "partial",
        "enforce",
        4,
    ),
    (
        "2026-11-03T00:00:00.000Z",
        "2026-11-03T00:00:00.000Z",
        "undeclared",
        HOSTILE,
        None,
        None,
        HOSTILE_PATH,
        "none",
        "report-only",
        1,
    ),
    (
        "2026-11-03T06:00:00.000Z",
        "2026-11-03T06:00:01.000Z",
        "no-consent",
        "_pk_id.1.abc",
        Some("glob \"_pk_id.*\""),
        Some("statistics"),
        "/explore/",
        "none",
        "enforce",
        2,
    ),
];

/// Writes a hash chain for one instance the way the writer does, one `file-start` per file.
struct ChainWriter {
    instance: &'static str,
    seq: u64,
    prev: String,
}

impl ChainWriter {
    fn new(instance: &'static str) -> Self {
        Self {
            instance,
            seq: 0,
            prev: GENESIS.to_owned(),
        }
    }

    fn seal(&mut self, mut object: Map<String, Value>) -> String {
        object.insert("v".into(), json!(1));
        object.insert("seq".into(), json!(self.seq));
        object.insert("instance".into(), json!(self.instance));
        object.insert("prev".into(), json!(self.prev));
        let (line, hash) = seal(object);
        self.seq += 1;
        self.prev = hash;
        line + "\n"
    }

    fn file(&mut self, reason: &str, started: &str, specs: &[Spec]) -> String {
        let start = json!({"type": "file-start", "reason": reason, "time": started});
        let mut text = self.seal(into_map(start));
        for spec in specs {
            text += &self.seal(violation(spec));
        }
        text
    }
}

fn into_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object"),
    }
}

fn violation(
    &(time, last_time, kind, cookie, declaration, category, path, state, mode, count): &Spec,
) -> Map<String, Value> {
    into_map(json!({
        "type": "violation", "time": time, "last_time": last_time, "request_id": "9f1c2f0e",
        "method": "GET", "host": "data.example.fr", "path": path, "status": 200,
        "direction": "response", "cookie": cookie, "cookie_domain": null, "cookie_path": "/",
        "kind": kind, "declaration": declaration, "category": category, "consent_state": state,
        "consent_source": null, "granted": [], "gpc": false, "action": "drop", "mode": mode,
        "enforced": mode == "enforce", "detail": null, "client": "192.0.2.0/24", "count": count,
    }))
}

/// The fixture: three files of two instances; returns them in a scrambled order.
fn write_fixture(dir: &Path) -> Vec<PathBuf> {
    let mut web1 = ChainWriter::new("web-1");
    let mut web2 = ChainWriter::new("web-2");
    let a1 = web1.file("new", "2026-11-01T07:00:00.000Z", A1);
    let mut a2 = web1.file("rotation", "2026-11-02T00:00:00.000Z", A2);
    // A crash in the middle of a line.
    let torn = web1.seal(violation(&A2[1]));
    a2 += &torn[..torn.len() / 2];
    let b1 = web2.file("new", "2026-11-02T06:00:00.000Z", B1);
    let files = [
        ("web-2.jsonl", b1),
        ("web-1.jsonl.1", a2),
        ("web-1.jsonl.0", a1),
    ];
    files
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

fn report(files: &[PathBuf], args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["audit", "report"])
        .args(files)
        .args(args)
        .output()
        .unwrap()
}

fn report_stdout(files: &[PathBuf], args: &[&str]) -> String {
    let output = report(files, args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn json_report(files: &[PathBuf], args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&report_stdout(files, &all)).unwrap()
}

/// `[{"key": k, "violations": n}, …]` as a map.
fn by_key(rows: &Value) -> BTreeMap<String, u64> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let key = row["key"].as_str().unwrap_or("(null)").to_owned();
            (key, row["violations"].as_u64().unwrap())
        })
        .collect()
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

#[test]
fn json_totals_are_exact_per_kind_cookie_category_day_state_path_and_instance() {
    let dir = tempfile::tempdir().unwrap();
    let report = json_report(&write_fixture(dir.path()), &[]);

    assert_eq!(report["report_version"], 1);
    assert_eq!(report["totals"]["violations"], 19);
    assert_eq!(report["totals"]["lines"], 8);
    assert_eq!(report["totals"]["first_seen"], "2026-11-01T08:00:00.000Z");
    assert_eq!(report["totals"]["last_seen"], "2026-11-03T06:00:01.000Z");
    assert_eq!(report["lines"]["unreadable"], 1);
    assert_eq!(report["lines"]["file_starts"], 3);
    assert_eq!(report["lines"]["outside_period"], 0);
    assert_eq!(
        by_key(&report["by_kind"]),
        counts(&[
            ("no-consent", 6),
            ("undeclared", 2),
            ("refused", 2),
            ("lifetime-exceeded", 5),
            ("attribute-missing", 4)
        ])
    );
    assert_eq!(
        by_key(&report["by_category"]),
        counts(&[("statistics", 8), ("necessary", 9), ("(null)", 2)])
    );
    assert_eq!(
        by_key(&report["by_consent_state"]),
        counts(&[("none", 8), ("refused", 2), ("given", 5), ("partial", 4)])
    );
    assert_eq!(
        by_key(&report["by_path"]["top"]),
        counts(&[
            ("/explore/", 7),
            ("/", 5),
            ("/login", 5),
            ("/dataset/x", 1),
            (HOSTILE_PATH, 1)
        ])
    );
    assert_eq!(report["by_path"]["distinct"], 5);

    let cookies = report["by_cookie"].as_array().unwrap();
    let names: Vec<&str> = cookies
        .iter()
        .map(|c| c["cookie"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["sessionid", "_ga", "_pk_id.1.abc", HOSTILE, "tracker_x"],
        "most first, ties by name"
    );
    assert_eq!(cookies[0]["violations"], 9);
    assert_eq!(cookies[0]["declaration"], "name \"sessionid\"");
    assert_eq!(
        cookies[0]["by_kind"],
        json!({"attribute-missing": 4, "lifetime-exceeded": 5})
    );
    assert_eq!(cookies[1]["violations"], 6);
    assert_eq!(cookies[1]["lines"], 3);
    assert_eq!(cookies[1]["category"], "statistics");
    assert_eq!(
        cookies[1]["by_kind"],
        json!({"no-consent": 4, "refused": 2})
    );
    assert_eq!(cookies[4]["declaration"], Value::Null, "undeclared");

    assert_eq!(
        report["by_day"],
        json!([
            {"day": "2026-11-01", "violations": 6, "by_kind": {"no-consent": 3, "refused": 2, "undeclared": 1}},
            {"day": "2026-11-02", "violations": 10, "by_kind": {"attribute-missing": 4, "lifetime-exceeded": 5, "no-consent": 1}},
            {"day": "2026-11-03", "violations": 3, "by_kind": {"no-consent": 2, "undeclared": 1}},
        ])
    );
    assert_eq!(
        report["enforcement"],
        json!([
            {"mode": "enforce", "enforced": true, "violations": 13, "lines": 6},
            {"mode": "report-only", "enforced": false, "violations": 6, "lines": 2},
        ])
    );
    assert_eq!(
        report["instances"],
        json!([
            {"instance": "web-1", "violations": 12, "lines": 5, "first_seen": "2026-11-01T08:00:00.000Z", "last_seen": "2026-11-02T11:00:00.000Z"},
            {"instance": "web-2", "violations": 7, "lines": 3, "first_seen": "2026-11-02T12:00:00.000Z", "last_seen": "2026-11-03T06:00:01.000Z"},
        ])
    );
}

#[test]
fn an_intact_chain_with_a_torn_last_line_is_intact_with_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let report = json_report(&write_fixture(dir.path()), &[]);
    let chain = &report["chain"];
    assert_eq!(chain["status"], "intact", "{chain}");
    assert_eq!(chain["records"], 11, "3 file-start and 8 violation lines");
    assert_eq!(chain["files"], 3);
    assert_eq!(chain["instances"], json!(["web-1", "web-2"]));
    assert_eq!(chain["warnings"].as_array().unwrap().len(), 1);
    assert!(chain["warnings"][0]["file"]
        .as_str()
        .unwrap()
        .ends_with("web-1.jsonl.1"));
}

#[test]
fn files_given_in_any_order_or_twice_give_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(dir.path());
    let mut reordered = files.clone();
    reordered.reverse();
    reordered.push(files[0].clone());
    let strip = |mut v: Value| {
        v["generated_at"] = Value::Null;
        v["files"] = Value::Null;
        v
    };
    assert_eq!(
        strip(json_report(&files, &[])),
        strip(json_report(&reordered, &[]))
    );
}

#[test]
fn since_and_until_keep_the_violations_whose_first_occurrence_is_in_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(dir.path());
    let day2 = json_report(&files, &["--since", "2026-11-02", "--until", "2026-11-03"]);
    assert_eq!(day2["totals"]["violations"], 10);
    assert_eq!(day2["totals"]["lines"], 3);
    assert_eq!(day2["lines"]["outside_period"], 5);
    assert_eq!(
        day2["period"],
        json!({"since": "2026-11-02T00:00:00.000Z", "until": "2026-11-03T00:00:00.000Z"})
    );
    assert_eq!(day2["by_day"].as_array().unwrap().len(), 1);

    let precise = json_report(
        &files,
        &[
            "--since",
            "2026-11-01T23:59:59.999Z",
            "--until",
            "2026-11-03T00:00:00Z",
        ],
    );
    assert_eq!(
        precise["totals"]["violations"], 12,
        "the refused _ga at 23:59:59.999 is in"
    );
    let open_ended = json_report(&files, &["--since", "2026-11-03"]);
    assert_eq!(open_ended["totals"]["violations"], 3);
    let before = json_report(&files, &["--until", "2026-11-01T09:00:00.000Z"]);
    assert_eq!(before["totals"]["violations"], 3, "until is exclusive");
}

#[test]
fn a_bad_since_or_an_empty_period_is_refused_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(dir.path());
    for args in [
        &["--since", "last week"][..],
        &["--until", "2026-11-01T10:00:00+02:00"],
        &["--since", "2026-11-03", "--until", "2026-11-02"],
    ] {
        let output = report(&files, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--"), "names the option: {stderr}");
    }
}

/// Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(row.is_empty() && field.is_empty(), "CSV ends with CRLF");
    rows
}

#[test]
fn csv_holds_the_same_totals_as_json_in_four_quoted_columns() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(dir.path());
    let json = json_report(&files, &[]);
    let text = report_stdout(&files, &["--format", "csv"]);
    assert!(text.ends_with("\r\n"));
    let rows = parse_csv(&text);
    assert_eq!(rows[0], ["section", "key", "subkey", "count"]);
    assert!(rows.iter().all(|r| r.len() == 4), "{rows:?}");
    let sum = |section: &str| -> u64 {
        rows.iter()
            .filter(|r| r[0] == section)
            .map(|r| r[3].parse::<u64>().unwrap())
            .sum()
    };
    let find = |section: &str, key: &str, subkey: &str| -> u64 {
        let row = rows
            .iter()
            .find(|r| r[0] == section && r[1] == key && r[2] == subkey);
        row.unwrap_or_else(|| panic!("no {section},{key},{subkey}"))[3]
            .parse()
            .unwrap()
    };
    let total = json["totals"]["violations"].as_u64().unwrap();
    assert_eq!(find("totals", "violations", ""), total);
    for section in [
        "kind",
        "cookie",
        "cookie_category",
        "cookie_kind",
        "category",
        "day",
        "consent_state",
        "enforcement",
    ] {
        assert_eq!(sum(section), total, "section {section}");
    }
    assert_eq!(find("cookie", "_ga", "name \"_ga\""), 6);
    assert_eq!(find("cookie", HOSTILE, "undeclared"), 1);
    assert_eq!(find("cookie_kind", "sessionid", "lifetime-exceeded"), 5);
    assert_eq!(find("day", "2026-11-02", "attribute-missing"), 4);
    assert_eq!(find("instance", "web-1", "violations"), 12);
    assert_eq!(find("path", "/explore/", ""), 7);
    assert_eq!(find("lines", "unreadable", ""), 1);
    assert!(rows.iter().any(|r| r[..3] == ["chain", "status", "intact"]));
}

#[test]
fn text_report_is_aligned_and_speaks_english_or_french() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(dir.path());
    let en = report_stdout(&files, &[]);
    assert!(en.starts_with("consentry audit report\n"), "{en}");
    assert!(
        en.contains("Audit chain: INTACT - 11 records in 3 files (instances web-1, web-2)"),
        "{en}"
    );
    assert!(en.contains("  Violations        19 (8 lines)"), "{en}");
    assert!(en.contains("  Unreadable lines  1"), "{en}");
    let per_day = "
Violations per day (UTC)
  day         violations  NOC  LIF  ATT  REF  UND
  ----------  ----------  ---  ---  ---  ---  ---
  2026-11-01           6    3    -    -    2    1
  2026-11-02          10    1    5    4    -    -
  2026-11-03           3    2    -    -    -    1
";
    assert!(en.ends_with(per_day), "{en}");
    assert!(
        en.contains("\n  sessionid                  name \"sessionid\"  necessary            9    -    5    4    -    -\n"),
        "{en}"
    );
    assert!(
        en.contains(
            "\n  no-consent         NOC            6      3  needs consent, no choice made (M7)\n"
        ),
        "{en}"
    );
    assert!(en.lines().count() <= 100, "{en}");

    let fr = report_stdout(&files, &["--lang", "fr"]);
    assert!(fr.starts_with("Rapport d’audit consentry\n"), "{fr}");
    assert!(fr.contains("Chaîne d’audit : INTACTE - 11 enregistrements dans 3 fichiers (instances web-1, web-2)"), "{fr}");
    assert!(fr.contains("Lignes illisibles"), "{fr}");
    assert!(fr.contains("non déclaré"), "{fr}");
    assert!(!fr.contains("Unreadable"), "{fr}");
}

#[test]
fn text_report_prints_hostile_names_without_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = ChainWriter::new("web-1");
    let spec = (
        "2026-11-01T08:00:00.000Z",
        "2026-11-01T08:00:00.000Z",
        "undeclared",
        "x\u{1b}[2J\u{202e}y",
        None,
        None,
        "/",
        "none",
        "enforce",
        1,
    );
    let path = dir.path().join("audit.jsonl");
    std::fs::write(
        &path,
        chain.file("new", "2026-11-01T07:00:00.000Z", &[spec]),
    )
    .unwrap();
    let text = report_stdout(&[path], &[]);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("x?[2J?y"), "{text}");
}

#[test]
fn a_broken_chain_is_announced_first_and_the_report_still_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(dir.path());
    let a1 = &files[2];
    let edited = std::fs::read_to_string(a1)
        .unwrap()
        .replacen("\"count\":3", "\"count\":1", 1);
    std::fs::write(a1, edited).unwrap();
    let text = report_stdout(&files, &[]);
    let banner = text.find("AUDIT CHAIN: BROKEN").expect("a banner");
    assert!(banner < text.find("Totals").unwrap(), "{text}");
    assert!(
        text.contains("web-1.jsonl.0:2"),
        "names the edited line: {text}"
    );
    let html = report_stdout(&files, &["--format", "html"]);
    assert!(html.contains("class=\"chain broken\""), "{html}");
    assert_eq!(json_report(&files, &[])["chain"]["status"], "broken");
}

#[test]
fn a_missing_file_fails_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = write_fixture(dir.path());
    files.push(dir.path().join("gone.jsonl"));
    let output = report(&files, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("gone.jsonl"), "{stderr}");
}

#[test]
fn output_writes_the_file_and_nothing_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(dir.path());
    let out = dir.path().join("report.json");
    let output = report(
        &files,
        &["--format", "json", "--output", out.to_str().unwrap()],
    );
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert!(
        output.stderr.is_empty(),
        "no progress line when stderr is not a terminal"
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(json["totals"]["violations"], 19);
}

#[test]
fn html_escapes_a_hostile_cookie_name_and_path_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let html = report_stdout(
        &write_fixture(dir.path()),
        &["--format", "html", "--lang", "fr"],
    );
    assert!(!html.contains("<script"), "a script element got through");
    assert!(!html.contains("<img"), "an img element got through");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("Violations par jour"));
    assert!(html.contains("@media print"));
    for external in ["<link", "<script", "<img", " src=\"", " href=\"", "url("] {
        assert!(
            !html.contains(external),
            "{external}: the page must stand alone"
        );
    }
}

/// Runs Chromium with a deadline: a hung browser must fail the test, not hang the CI job.
fn run_chromium(args: &[String]) -> (bool, String, String) {
    let mut child = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained on their own threads: a DOM bigger than the pipe buffer would block the browser.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("chromium did not finish within 120 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (
        status.success(),
        stdout.join().unwrap(),
        stderr.join().unwrap(),
    )
}

#[test]
fn html_report_renders_in_headless_chromium_with_both_charts_and_tables() {
    // On a developer's machine with only the Rust toolchain `cargo test` must stay green, so a
    // missing browser is said loudly and the test ends there; under CI (which installs it) a
    // missing browser is a failure.
    if !Path::new("/usr/bin/chromium").exists() {
        let message = "/usr/bin/chromium is missing: this test renders the HTML report in a real browser; .ci/run installs Debian's `chromium` package (apt-get install chromium)";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("NOT RUN: {message}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(dir.path());
    let page = dir.path().join("report.html");
    let output = report(
        &files,
        &["--format", "html", "--output", page.to_str().unwrap()],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let profile = |name: &str| format!("--user-data-dir={}", dir.path().join(name).display());
    let url = format!("file://{}", page.display());

    let (ok, dom, stderr) =
        run_chromium(&[profile("profile-dom"), "--dump-dom".into(), url.clone()]);
    assert!(ok, "{stderr}");
    for id in ["chart-per-day", "chart-top-cookies"] {
        let start = dom
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no {id} in {dom}"));
        let svg = &dom[start..start + dom[start..].find("</svg>").unwrap()];
        assert!(svg.contains("<rect"), "{id} has no bar: {svg}");
        assert!(svg.contains("<title>"), "{id} has no title");
    }
    assert!(dom.contains("role=\"img\""));
    assert!(
        dom.contains("<td>sessionid</td>"),
        "cookie table rows: {dom}"
    );
    assert!(dom.contains("<td>2026-11-02</td>"), "per-day table rows");
    assert!(dom.contains("<td>/explore/</td>"), "path table rows");
    assert!(!dom.contains("<script"), "the hostile name stayed text");

    let png = dir.path().join("report.png");
    let (ok, _, stderr) = run_chromium(&[
        profile("profile-shot"),
        format!("--screenshot={}", png.display()),
        "--window-size=1200,1600".into(),
        url,
    ]);
    assert!(ok, "{stderr}");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    assert!(bytes.len() > 20_000, "a blank page? {} bytes", bytes.len());
    if let Ok(keep) = std::env::var("CONSENTRY_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

#[test]
fn a_period_without_violations_still_gives_a_report_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(dir.path());
    for format in ["text", "json", "csv", "html"] {
        let out = report_stdout(&files, &["--since", "2030-01-01", "--format", format]);
        assert!(!out.is_empty(), "{format}");
    }
    let text = report_stdout(&files, &["--since", "2030-01-01"]);
    assert!(text.contains("Lines outside the period  8"), "{text}");
    assert!(text.ends_with("No violations in this period.\n"), "{text}");
    let json = json_report(&files, &["--since", "2030-01-01"]);
    assert_eq!(json["totals"]["violations"], 0);
    assert_eq!(json["totals"]["first_seen"], Value::Null);
    assert_eq!(
        json["chain"]["status"], "intact",
        "the chain is checked on whole files"
    );
}
