//! The audit log through the running proxy: every violation is written (counted under load),
//! chains verify across rotations and restarts, and every kind of tampering is detected.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use http::{Method, Response};

const BIN: &str = env!("CARGO_BIN_EXE_consentry");

const REGISTRY: &str = r#"
[[category]]
id = "necessary"
needs_consent = false
[[category]]
id = "statistics"
[[cookie]]
name = "sessionid"
category = "necessary"
max_lifetime = "2w"
[[cookie]]
name = "_ga"
category = "statistics"
max_lifetime = "13mo"
"#;

/// Every response sets a statistics cookie (no consent: dropped) and an undeclared one.
async fn tracking_portal() -> Upstream {
    start_upstream(|_req| async {
        Response::builder()
            .header("set-cookie", "sessionid=SESSION-CANARY; Path=/")
            .header("set-cookie", "_ga=GA-CANARY; Max-Age=100; Path=/")
            .header("set-cookie", "ab=UNDECLARED-CANARY; Path=/")
            .body(full("page"))
            .unwrap()
    })
    .await
}

fn audit_lines(path: &Path, aggregate: &str, max_size: &str) -> String {
    format!(
        "{REGISTRY}\n[audit]\npath = \"{}\"\ninstance = \"test-1\"\naggregate = \"{aggregate}\"\nmax_size = \"{max_size}\"\nfsync = \"always\"\n",
        path.display()
    )
}

/// Sends `n` requests, `concurrency` at a time, each producing two violations.
async fn drive(proxy: &consentry::proxy::server::RunningServer, n: usize, concurrency: usize) {
    let client = http1_client();
    let addr = proxy.local_addr();
    let mut done = 0;
    while done < n {
        let batch = concurrency.min(n - done);
        let mut tasks = Vec::new();
        for i in 0..batch {
            let client = client.clone();
            let req = http::Request::builder()
                .method(Method::GET)
                .uri(format!(
                    "http://{addr}/page/{}?token=QUERY-CANARY",
                    done + i
                ))
                .body(empty())
                .unwrap();
            tasks.push(tokio::spawn(async move {
                body_text(client.request(req).await.unwrap()).await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), "page");
        }
        done += batch;
    }
}

fn log_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("audit.jsonl")
        })
        .collect();
    // Rotated files (`audit.jsonl.<time>`) in time order, then the active file: chain order.
    files.sort_by_key(|p| (p.extension().is_some_and(|e| e == "jsonl"), p.clone()));
    files
}

fn read_lines(files: &[PathBuf]) -> Vec<serde_json::Value> {
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|l| serde_json::from_str(&l).unwrap())
        .collect()
}

/// The sum of `count` over the violation lines of `files`: the violations they stand for.
fn violations_counted(files: &[PathBuf]) -> u64 {
    read_lines(files)
        .iter()
        .filter(|l| l["type"] == "violation")
        .map(|l| l["count"].as_u64().unwrap())
        .sum()
}

/// A directory for the log under `root`, and the log's path: the tests that make the log
/// unwritable move that directory away.
fn log_dir(root: &Path) -> (PathBuf, PathBuf) {
    let dir = root.join("logs");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("audit.jsonl");
    (dir, path)
}

fn verify(files: &[PathBuf]) -> (bool, String) {
    let output = Command::new(BIN)
        .args(["audit", "verify"])
        .args(files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

async fn produce_log(dir: &Path, aggregate: &str, max_size: &str, requests: usize) -> Vec<PathBuf> {
    let upstream = tracking_portal().await;
    let path = dir.join("audit.jsonl");
    // The process's own sink, which wants no record: repeats are counted without one.
    let proxy = start_proxy(&upstream.url(), &audit_lines(&path, aggregate, max_size)).await;
    drive(&proxy, requests, 16).await;
    proxy.shutdown();
    proxy.wait().await;
    log_files(dir)
}

/// Under load, the records written equal the violations produced: 2 per request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_violation_produced_under_load_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let files = produce_log(dir.path(), "0s", "64MiB", 400).await;
    let lines = read_lines(&files);
    let violations: Vec<_> = lines.iter().filter(|l| l["type"] == "violation").collect();
    assert_eq!(violations.len(), 800);
    assert!(violations.iter().all(|l| l["count"] == 1));
    let (ok, text) = verify(&files);
    assert!(ok, "{text}");
    assert_eq!(text.trim(), "ok: 801 records, 1 files (instance test-1)");
}

/// Aggregated: far fewer lines, the same total count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregation_keeps_the_count_exact() {
    let dir = tempfile::tempdir().unwrap();
    let files = produce_log(dir.path(), "10s", "64MiB", 300).await;
    let lines = read_lines(&files);
    let violations: Vec<_> = lines.iter().filter(|l| l["type"] == "violation").collect();
    let total: u64 = violations
        .iter()
        .map(|l| l["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 600);
    assert_eq!(
        violations.len(),
        2,
        "one line per (cookie, kind) within the window"
    );
    assert!(verify(&files).0);
}

#[tokio::test]
async fn no_cookie_value_or_query_string_reaches_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let files = produce_log(dir.path(), "0s", "64MiB", 5).await;
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    for canary in ["CANARY", "token"] {
        assert!(!text.contains(canary), "{canary} in the audit log");
    }
    for format in ["text", "json", "csv", "html"] {
        let output = Command::new(BIN)
            .args(["audit", "report", "--format", format])
            .args(&files)
            .output()
            .unwrap();
        assert!(output.status.success());
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(report.contains("_ga"), "{format}: {report}");
        for canary in ["CANARY", "token"] {
            assert!(!report.contains(canary), "{canary} in the {format} report");
        }
    }
    let first = read_lines(&files)
        .into_iter()
        .find(|l| l["type"] == "violation")
        .unwrap();
    assert_eq!(first["client"], "127.0.0.0/24");
    assert_eq!(first["path"].as_str().unwrap().split('?').count(), 1);
}

/// Cookies the browser sends on every page of a visit: one violation per cookie occurrence,
/// folded into one line per (cookie, kind) with the exact count, whatever the pages.
#[tokio::test]
async fn request_cookies_count_every_occurrence_and_aggregate_per_cookie() {
    for (aggregate, lines) in [("10s", 2), ("0s", 50)] {
        let dir = tempfile::tempdir().unwrap();
        let upstream = start_ok_upstream().await;
        let path = dir.path().join("audit.jsonl");
        let (proxy, _sink) =
            start_proxy_collecting(&upstream.url(), &audit_lines(&path, aggregate, "64MiB")).await;
        let client = http1_client();
        for page in 0..25 {
            let req = request(&proxy, Method::GET, &format!("/explore/{page}"))
                .header("cookie", "_ga=GA1.1.VALUE-CANARY; ab=UNDECLARED-CANARY")
                .body(empty())
                .unwrap();
            body_text(client.request(req).await.unwrap()).await;
        }
        proxy.shutdown();
        proxy.wait().await;
        let files = log_files(dir.path());
        let violations: Vec<_> = read_lines(&files)
            .into_iter()
            .filter(|l| l["type"] == "violation")
            .collect();
        assert_eq!(violations.len(), lines, "aggregate = {aggregate}");
        for (cookie, kind) in [
            ("_ga", "request-not-consented"),
            ("ab", "request-undeclared"),
        ] {
            let count: u64 = violations
                .iter()
                .filter(|l| l["cookie"] == cookie && l["kind"] == kind)
                .map(|l| l["count"].as_u64().unwrap())
                .sum();
            assert_eq!(count, 25, "{cookie} with aggregate = {aggregate}");
        }
        assert!(violations.iter().all(|l| l["direction"] == "request"));
        let text: String = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        assert!(!text.contains("CANARY"), "no cookie value in the audit log");
        assert!(verify(&files).0);
    }
}

/// Rotation by size keeps one chain across files; a restart continues it.
#[tokio::test]
async fn rotation_and_restart_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    produce_log(dir.path(), "0s", "4KB", 30).await;
    let files = produce_log(dir.path(), "0s", "4KB", 10).await;
    assert!(files.len() > 3, "{files:?}");
    let (ok, text) = verify(&files);
    assert!(ok, "{text}");
    let lines = read_lines(&files);
    let reasons: Vec<_> = lines.iter().filter_map(|l| l["reason"].as_str()).collect();
    assert!(
        reasons.contains(&"new") && reasons.contains(&"rotation") && reasons.contains(&"restart"),
        "{reasons:?}"
    );
    // Files are verified in any order: each file's first line places it in the chain.
    let mut reversed = files.clone();
    reversed.reverse();
    assert!(verify(&reversed).0);
}

fn rewrite(path: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    edit(&mut lines);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[tokio::test]
async fn every_kind_of_tampering_is_detected_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let files = produce_log(dir.path(), "0s", "4KB", 20).await;
    assert!(files.len() >= 3);
    assert!(verify(&files).0);
    let original: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let restore = || {
        for (f, text) in files.iter().zip(&original) {
            std::fs::write(f, text).unwrap();
        }
    };
    let target = &files[1];
    type Tamper<'a> = Box<dyn Fn() + 'a>;
    let cases: Vec<(&str, Tamper, &str)> = vec![
        (
            "a tampered byte",
            Box::new(|| {
                rewrite(target, |l| {
                    l[2] = l[2].replacen("\"status\":200", "\"status\":201", 1)
                })
            }),
            "does not match its hash",
        ),
        (
            "a deleted line",
            Box::new(|| {
                rewrite(target, |l| {
                    l.remove(2);
                })
            }),
            "does not follow",
        ),
        (
            "a swapped pair",
            Box::new(|| rewrite(target, |l| l.swap(2, 3))),
            "does not follow",
        ),
        (
            "a truncated file",
            Box::new(|| rewrite(target, |l| l.truncate(2))),
            "does not continue",
        ),
    ];
    for (name, tamper, expected) in cases {
        tamper();
        let (ok, text) = verify(&files);
        assert!(!ok, "{name} went unnoticed");
        assert!(text.contains(expected), "{name}: {text}");
        assert!(
            text.contains(&target.display().to_string()) || expected == "does not continue",
            "{name}: {text}"
        );
        restore();
    }
    // A missing rotated file.
    let without: Vec<PathBuf> = files
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, f)| f.clone())
        .collect();
    let (ok, text) = verify(&without);
    assert!(!ok);
    assert!(text.contains("a file between them is missing"), "{text}");
    // The first file missing.
    let (ok, text) = verify(&files[1..]);
    assert!(!ok);
    assert!(text.contains("files before it are missing"), "{text}");
}

/// A crash mid-line leaves a torn last line: reported as such, and the next run continues the
/// chain from the last whole line.
#[tokio::test]
async fn a_torn_last_line_is_reported_and_the_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    let files = produce_log(dir.path(), "0s", "64MiB", 3).await;
    let last = files.last().unwrap().clone();
    let mut text = std::fs::read_to_string(&last).unwrap();
    text.push_str("{\"action\":\"drop\",\"categ");
    std::fs::write(&last, text).unwrap();
    let files = produce_log(dir.path(), "0s", "64MiB", 3).await;
    let (ok, text) = verify(&files);
    assert!(ok, "{text}");
    assert!(
        text.contains("warning:") && text.contains("torn last line"),
        "{text}"
    );
}

/// SIGTERM: the process flushes the aggregated records it still holds before exiting.
#[tokio::test]
async fn sigterm_flushes_every_pending_record() {
    let upstream = tracking_portal().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let config = dir.path().join("site.toml");
    std::fs::write(
        &config,
        // One worker: the single-threaded runtime serves, records and shuts down the same way.
        format!(
            "[proxy]\nupstream = \"{}\"\nworkers = 1\n{}",
            upstream.url(),
            audit_lines(&log, "1h", "64MiB")
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--config",
        ])
        .arg(&config)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let listen = loop {
        let line = lines
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("no startup line");
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["message"] == "consentry is serving" {
            break event["listen"].as_str().unwrap().to_owned();
        }
    };
    let client = http1_client();
    for i in 0..5 {
        let req = http::Request::get(format!("http://{listen}/p{i}"))
            .body(empty())
            .unwrap();
        body_text(client.request(req).await.unwrap()).await;
    }
    // The aggregation window is an hour: nothing is due yet, everything is in memory.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    let files = log_files(dir.path());
    let total = violations_counted(&files);
    assert_eq!(total, 10);
    assert!(verify(&files).0);
}

/// When the log cannot be written, the writer keeps the records, reports it in its state, makes
/// responses wait once `max_pending` is reached (backpressure, not loss), and writes everything
/// when the disk is back. The failure is made by moving the log's directory away: the next
/// rotation cannot happen until it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_that_cannot_be_written_holds_records_applies_backpressure_and_recovers() {
    let upstream = tracking_portal().await;
    let root = tempfile::tempdir().unwrap();
    let (dir, path) = log_dir(root.path());
    let config = format!(
        "{REGISTRY}\n[audit]\npath = \"{}\"\ninstance = \"test-1\"\naggregate = \"0s\"\nmax_size = \"1KB\"\nqueue = 1\nmax_pending = 4\n[admin]\nlisten = \"127.0.0.1:0\"\n",
        path.display()
    );
    let proxy = start_proxy(&upstream.url(), &config).await;
    let state = proxy.audit_state().unwrap();
    drive(&proxy, 2, 1).await;
    let away = root.path().join("moved");
    std::fs::rename(&dir, &away).unwrap();

    // Each request makes two violations; the file is over 1 KB, so the next line needs a
    // rotation, which fails while the directory is away.
    let client = http1_client();
    let addr = proxy.local_addr();
    let stalled = tokio::spawn(async move {
        for i in 0..6 {
            let req = http::Request::get(format!("http://{addr}/x{i}"))
                .body(empty())
                .unwrap();
            body_text(client.request(req).await.unwrap()).await;
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(!state.healthy.load(std::sync::atomic::Ordering::Relaxed));
    assert!(
        state
            .write_failures
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
    assert_eq!(state.pending.load(std::sync::atomic::Ordering::Relaxed), 4);
    assert!(
        !stalled.is_finished(),
        "responses went on although records could not be kept"
    );
    let admin = proxy.admin_addr().unwrap();
    let (status, text) = admin_get(admin, "/readyz").await;
    assert_eq!(status, 503, "{text}");
    assert!(
        text.contains("audit log cannot be written (4 records"),
        "{text}"
    );
    let (_, metrics) = admin_get(admin, "/metrics").await;
    assert!(metrics.contains("consentry_audit_healthy 0"), "{metrics}");
    assert!(
        metrics.contains("consentry_audit_pending_records 4"),
        "{metrics}"
    );

    std::fs::rename(&away, &dir).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), stalled)
        .await
        .unwrap()
        .unwrap();
    let (status, _) = admin_get(admin, "/readyz").await;
    assert_eq!(status, 200);
    let (_, metrics) = admin_get(admin, "/metrics").await;
    assert!(
        metrics.contains("consentry_audit_write_failures_total"),
        "{metrics}"
    );
    proxy.shutdown();
    proxy.wait().await;
    assert!(state.healthy.load(std::sync::atomic::Ordering::Relaxed));
    assert_eq!(
        state
            .violations_written
            .load(std::sync::atomic::Ordering::Relaxed),
        16
    );
    let files = log_files(&dir);
    let total = violations_counted(&files);
    assert_eq!(total, 16);
    assert!(verify(&files).0);
}

/// With aggregation on, a violation already open is only counted: while the log cannot be
/// written, repeats neither wait nor take memory, the writer takes only the due lines it has room
/// for (`max_pending`), and once the disk is back every count is written exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_log_cannot_be_written_repeats_are_counted_without_waiting() {
    let upstream = tracking_portal().await;
    let root = tempfile::tempdir().unwrap();
    let (dir, path) = log_dir(root.path());
    let config = format!(
        "{REGISTRY}\n[audit]\npath = \"{}\"\ninstance = \"test-1\"\naggregate = \"1s\"\nmax_size = \"1KB\"\nqueue = 1\nmax_pending = 1\n",
        path.display()
    );
    let proxy = start_proxy(&upstream.url(), &config).await;
    let state = proxy.audit_state().unwrap();
    let written = |state: &consentry::audit::AuditState| {
        state
            .violations_written
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    // Two requests, two violations each, of two kinds: two lines once the window closes, and the
    // file is then over 1 KB, so the next line needs a rotation.
    drive(&proxy, 2, 1).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while written(&state) < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first lines were not written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let away = root.path().join("moved");
    std::fs::rename(&dir, &away).unwrap();

    tokio::time::timeout(std::time::Duration::from_secs(10), drive(&proxy, 20, 2))
        .await
        .expect("responses waited although their violations were only counted");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(!state.healthy.load(std::sync::atomic::Ordering::Relaxed));
    // Both aggregates are due; the writer holds one line (its room), the other stays open.
    assert_eq!(state.pending.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(written(&state), 4);

    std::fs::rename(&away, &dir).unwrap();
    proxy.shutdown();
    proxy.wait().await;
    assert_eq!(written(&state), 44);
    let files = log_files(&dir);
    let total = violations_counted(&files);
    assert_eq!(total, 44);
    assert!(verify(&files).0);
}

/// Two instances behind a load balancer: their logs verify together, each chain on its own, and
/// a break in one names that instance's file.
#[tokio::test]
async fn the_logs_of_several_instances_verify_together() {
    let upstream = tracking_portal().await;
    let root = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    for instance in ["web-1", "web-2"] {
        let dir = root.path().join(instance);
        std::fs::create_dir(&dir).unwrap();
        let config = format!(
            "{REGISTRY}\n[audit]\npath = \"{}\"\ninstance = \"{instance}\"\naggregate = \"0s\"\nmax_size = \"2KB\"\n",
            dir.join("audit.jsonl").display()
        );
        let proxy = start_proxy(&upstream.url(), &config).await;
        drive(&proxy, 6, 2).await;
        proxy.shutdown();
        proxy.wait().await;
        all.extend(log_files(&dir));
    }
    let (ok, text) = verify(&all);
    assert!(ok, "{text}");
    assert!(text.contains("instances web-1, web-2"), "{text}");
    // Dropping one of web-2's middle files breaks web-2's chain only.
    let web2: Vec<_> = all
        .iter()
        .filter(|p| p.to_string_lossy().contains("web-2"))
        .cloned()
        .collect();
    assert!(web2.len() >= 3);
    let without: Vec<_> = all.iter().filter(|p| **p != web2[1]).cloned().collect();
    let (ok, text) = verify(&without);
    assert!(!ok);
    assert!(text.contains("web-2"), "{text}");
}

async fn admin_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let req = http::Request::get(format!("http://{addr}{path}"))
        .body(empty())
        .unwrap();
    let response = http1_client().request(req).await.unwrap();
    let status = response.status().as_u16();
    (status, body_text(response).await)
}
