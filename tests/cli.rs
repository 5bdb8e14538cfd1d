//! The real binary: configuration errors, serving, SIGTERM, and what its logs never contain.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use http::{Method, Response};

const BIN: &str = env!("CARGO_BIN_EXE_consentry");

fn write_config(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("site.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_reports_a_bad_file_on_one_line_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        &dir,
        "[proxy]\nupstream = \"https://portal.example.org\"\npreserve_host = \"yes\"\n",
    );
    let output = Command::new(BIN)
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("{}:3: proxy.preserve_host:", path.display())),
        "{stderr}"
    );
}

#[test]
fn check_accepts_the_shipped_configurations() {
    for file in ["config/opendatasoft.toml", "config/example.toml"] {
        let output = Command::new(BIN)
            .args(["check", "--config", file])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn serve_refuses_to_start_on_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&dir, "[proxy]\nupstream = \"gopher://x\"\n");
    let output = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains(":2: proxy.upstream:"), "{stderr}");
}

/// The whole process: it serves, logs one JSON access event per request without the cookie
/// value or the query string, and exits cleanly on SIGTERM.
#[tokio::test]
async fn serves_logs_without_secrets_and_stops_on_sigterm() {
    let upstream = start_upstream(|_req| async {
        Response::builder()
            .header("set-cookie", "sessionid=SETCOOKIE-CANARY; Path=/; HttpOnly")
            .body(full("ok"))
            .unwrap()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        &dir,
        &format!("[proxy]\nupstream = \"{}\"\n", upstream.url()),
    );
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--log-format",
            "json",
            "--listen",
            "127.0.0.1:0",
            "--config",
        ])
        .arg(&path)
        .env("RUST_LOG", "trace")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let listen = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .expect("no startup line");
        log.push(line.clone());
        let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
        if event["message"] == "consentry is serving" {
            break event["listen"].as_str().unwrap().to_owned();
        }
    };

    let url = format!("http://{listen}/explore/dataset/?token=QUERY-CANARY");
    let req = http::Request::builder()
        .method(Method::GET)
        .uri(url)
        .header("cookie", "sessionid=COOKIE-CANARY")
        .header("authorization", "Bearer AUTH-CANARY")
        .body(empty())
        .unwrap();
    let response = http1_client().request(req).await.unwrap();
    assert_eq!(response.status(), 200);
    body_text(response).await;

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    log.extend(lines.try_iter());
    let log = log.join("\n");

    let access = log
        .lines()
        .find(|l| l.contains("consentry::access"))
        .unwrap_or_else(|| panic!("no access event in:\n{log}"));
    let event: serde_json::Value = serde_json::from_str(access).unwrap();
    assert_eq!(event["path"], "/explore/dataset/");
    assert_eq!(event["status"], 200);
    assert_eq!(event["method"], "GET");
    for canary in [
        "QUERY-CANARY",
        "COOKIE-CANARY",
        "SETCOOKIE-CANARY",
        "AUTH-CANARY",
    ] {
        assert!(
            !log.contains(canary),
            "{canary} leaked into the log:\n{log}"
        );
    }
}
