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
    let registry = "[[category]]\nid = \"necessary\"\n\
                    [[cookie]]\nname = \"csrftoken\"\ncategory = \"necessary\"\nmax_lifetime = \"1y\"\n";
    let path = write_config(
        &dir,
        &format!("[proxy]\nupstream = \"{}\"\n{registry}", upstream.url()),
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
    // The undeclared sessionid became one violation event, with its name and not its value.
    let violation = log
        .lines()
        .find(|l| l.contains("consentry::violation"))
        .unwrap_or_else(|| panic!("no violation event in:\n{log}"));
    let violation: serde_json::Value = serde_json::from_str(violation).unwrap();
    assert_eq!(violation["cookie"], "sessionid");
    assert_eq!(violation["kind"], "undeclared");
    assert_eq!(violation["action"], "drop");
    assert_eq!(violation["path"], "/explore/dataset/");
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

#[test]
fn check_lists_every_registry_problem_one_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        &dir,
        "[proxy]\nupstream = \"http://127.0.0.1:1\"\n\
         [[category]]\nid = \"statistics\"\n\
         [[cookie]]\nname = \"_ga\"\ncategory = \"analytics\"\nmax_lifetime = \"13mo\"\n\
         [[cookie]]\nregex = \"(\"\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n\
         [[cookie]]\nprefix = \"\"\ncategory = \"statistics\"\nmax_lifetime = \"soon\"\n",
    );
    let output = Command::new(BIN)
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].contains(":7: cookie[0].category: unknown category `analytics`"),
        "{stderr}"
    );
    assert!(
        lines[1].contains("cookie[2].name: the pattern is empty"),
        "{stderr}"
    );
    assert!(lines[2].contains("cookie[2].max_lifetime"), "{stderr}");
}

#[test]
fn explain_shows_consent_declaration_verdict_and_forwarded_line() {
    let output = Command::new(BIN)
        .args([
            "explain",
            "--config",
            "config/opendatasoft.toml",
            "--cookie",
            r#"cookies_preferences={"statistics":false}"#,
            "--set-cookie",
            "sessionid=abc; HttpOnly; Max-Age=31536000; Path=/",
            "--set-cookie",
            "_ga=GA1.1.1.1; Max-Age=63072000",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("consent:      refused (source: json:cookies_preferences"),
        "{text}"
    );
    assert!(text.contains("statistics=false (statistics)"), "{text}");
    assert!(
        text.contains("declared:   name \"sessionid\" (Opendatasoft"),
        "{text}"
    );
    assert!(
        text.contains("violation:  lifetime-exceeded -> cap (enforce)"),
        "{text}"
    );
    assert!(
        text.contains("forwarded:  sessionid=abc; HttpOnly; Path=/; Max-Age=1209600"),
        "{text}"
    );
    assert!(
        text.contains("violation:  undeclared -> drop (enforce)"),
        "{text}"
    );
    assert!(
        text.contains("forwarded:  (nothing: the line is dropped)"),
        "{text}"
    );
}

#[test]
fn explain_json_is_the_documented_shape() {
    let output = Command::new(BIN)
        .args([
            "explain",
            "--config",
            "config/opendatasoft.toml",
            "--header",
            "Sec-GPC: 1",
            "--set-cookie",
            "csrftoken=x; Path=/",
            "--set-cookie",
            "nameless",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["consent"]["state"], "none");
    assert_eq!(json["consent"]["gpc"], true);
    assert_eq!(json["consent"]["sources"][0]["status"], "absent");
    let lines = json["lines"].as_array().unwrap();
    assert_eq!(lines[0]["verdict"], "forward");
    assert_eq!(lines[0]["output"], "csrftoken=x; Path=/");
    assert_eq!(lines[0]["declaration"]["category"], "necessary");
    assert_eq!(lines[1]["verdict"], "drop");
    assert_eq!(lines[1]["cookie"], serde_json::Value::Null);
    assert_eq!(lines[1]["violations"][0]["kind"], "malformed");
    assert_eq!(lines[1]["output"], serde_json::Value::Null);
}

#[test]
fn explain_shows_which_request_cookies_are_stripped_and_the_deletions_sent() {
    let output = Command::new(BIN)
        .args([
            "explain",
            "--config",
            "config/opendatasoft.toml",
            "--cookie",
            r#"_ga=GA1.1.VALUE; sessionid=SESSION; cookies_preferences={"statistics":false}"#,
            "--url",
            "https://data.example.fr/explore/",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("request:      https://data.example.fr/explore/"),
        "{text}"
    );
    assert!(
        text.contains("strip       _ga (undeclared): request-undeclared -> drop (enforce)"),
        "{text}"
    );
    assert!(text.contains("keep        sessionid (necessary)"), "{text}");
    assert!(
        text.contains("keep        cookies_preferences (the consent cookie)"),
        "{text}"
    );
    assert!(
        text.contains("upstream:   sessionid, cookies_preferences"),
        "{text}"
    );
    assert!(
        text.contains(
            "delete:     _ga=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Domain=example.fr; Secure"
        ),
        "{text}"
    );
    assert!(
        !text.contains("VALUE") && !text.contains("SESSION"),
        "{text}"
    );

    let output = Command::new(BIN)
        .args([
            "explain",
            "--config",
            "config/opendatasoft.toml",
            "--cookie",
            "_ga=1; _ga=2",
            "--url",
            "http://127.0.0.1:8080/a/b",
            "--json",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let request = &json["request"];
    assert_eq!(request["page"], "http://127.0.0.1:8080/a/b");
    assert_eq!(request["cookies"].as_array().unwrap().len(), 2);
    assert_eq!(request["cookies"][0]["verdict"], "strip");
    assert_eq!(
        request["cookies"][0]["violation"]["kind"],
        "request-undeclared"
    );
    assert_eq!(request["forwarded"], serde_json::json!([]));
    assert_eq!(request["cleanup"], true);
    // An IP address has only host-only cookies: one deletion per path, the name once.
    assert_eq!(
        request["deletions"],
        serde_json::json!([
            "_ga=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
            "_ga=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/a",
            "_ga=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/a/b",
        ])
    );
    assert_eq!(request["deletions_left_out"], 0);
    assert!(json["lines"].as_array().unwrap().is_empty());
}

#[test]
fn explain_needs_a_cookie_or_a_set_cookie_line() {
    let output = Command::new(BIN)
        .args(["explain", "--config", "config/opendatasoft.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--set-cookie"), "{stderr}");
}
