//! A minimal Chrome DevTools Protocol client for browser tests: it starts Debian's headless
//! Chromium on a fresh profile, drives one page (navigate, evaluate) and reads the browser's
//! whole cookie jar, which no page script can see entirely (`HttpOnly`, other paths).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Every CDP exchange is bounded: a hung browser fails the test instead of hanging CI.
const DEADLINE: Duration = Duration::from_secs(60);

pub struct Browser {
    child: Child,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Events read while waiting for a reply, kept for `wait_for_event`.
    events: VecDeque<Value>,
    session: String,
    _profile: tempfile::TempDir,
}

/// One cookie of the jar, as the browser stores it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct JarCookie {
    pub name: String,
    pub domain: String,
    pub path: String,
    pub value: String,
}

impl Browser {
    /// Starts Chromium with `extra` arguments and opens one blank page.
    pub async fn launch(extra: &[String]) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        // Chromium prints its DevTools address on stderr; the rest is drained so it never blocks.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(DEADLINE)
            .expect("chromium printed no DevTools address");
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut browser = Browser {
            child,
            socket,
            next_id: 0,
            events: VecDeque::new(),
            session: String::new(),
            _profile: profile,
        };
        let target = browser
            .call_browser("Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = browser
            .call_browser(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        browser.call("Page.enable", json!({})).await;
        browser
    }

    /// Loads `url` in the page and waits for its `load` event.
    pub async fn navigate(&mut self, url: &str) {
        self.events.clear();
        let reply = self.call("Page.navigate", json!({ "url": url })).await;
        assert!(reply.get("errorText").is_none(), "{url}: {reply}");
        self.wait_for_event("Page.loadEventFired").await;
    }

    /// Runs `expression` in the page and returns its value.
    pub async fn evaluate(&mut self, expression: &str) -> Value {
        let reply = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true }),
            )
            .await;
        assert!(reply.get("exceptionDetails").is_none(), "{reply}");
        reply["result"]["value"].clone()
    }

    /// The whole cookie jar, sorted.
    pub async fn cookies(&mut self) -> Vec<JarCookie> {
        let reply = self.call_browser("Storage.getCookies", json!({})).await;
        let mut jar: Vec<JarCookie> = reply["cookies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| JarCookie {
                name: c["name"].as_str().unwrap().to_owned(),
                domain: c["domain"].as_str().unwrap().to_owned(),
                path: c["path"].as_str().unwrap().to_owned(),
                value: c["value"].as_str().unwrap().to_owned(),
            })
            .collect();
        jar.sort();
        jar
    }

    /// The jar once `settled` holds, polled: a script's `document.cookie` write reaches the
    /// browser's cookie store asynchronously. Returns the last jar read when it never does
    /// within 10 s, for the caller's assertion to show.
    pub async fn cookies_once(&mut self, settled: impl Fn(&[JarCookie]) -> bool) -> Vec<JarCookie> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let jar = self.cookies().await;
            if settled(&jar) || std::time::Instant::now() > deadline {
                return jar;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn clear_cookies(&mut self) {
        self.call_browser("Storage.clearCookies", json!({})).await;
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(&session)).await
    }

    async fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None).await
    }

    async fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        loop {
            let message = self.read().await;
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    panic!("{method}: {error}");
                }
                return message["result"].clone();
            }
            self.events.push_back(message);
        }
    }

    async fn wait_for_event(&mut self, method: &str) -> Value {
        loop {
            if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
                return self.events.remove(i).unwrap();
            }
            let message = self.read().await;
            self.events.push_back(message);
        }
    }

    async fn read(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(DEADLINE, self.socket.next())
                .await
                .expect("chromium did not answer within 60 s")
                .expect("the DevTools socket closed")
                .unwrap();
            if let Message::Text(text) = frame {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
