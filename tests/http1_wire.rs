//! The HTTP/1.1 wire as a visitor's socket sees it: literal request bytes written on a raw TCP
//! connection, the raw response bytes read back and checked for framing (RFC 9112), with a real
//! upstream behind the proxy that reports what it received. These tests pin the server layer's
//! behaviour (keep-alive, pipelining, body framing both ways, `Expect: 100-continue`, the
//! request-smuggling defences, limits and timeouts) independently of how it is implemented.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use consentry::proxy::server::RunningServer;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// Every read from the proxy fails the test after this long instead of hanging it.
const WAIT: Duration = Duration::from_secs(5);

/// How long to leave a smuggled request to reach the upstream before checking it did not.
const SETTLE: Duration = Duration::from_millis(300);

// ---------------------------------------------------------------------------------------------
// The upstream: echoes what it received, and records every request head it was sent.
// ---------------------------------------------------------------------------------------------

/// One request head as the upstream received it.
#[derive(Debug, Clone)]
struct Got {
    method: String,
    target: String,
    host: Option<String>,
    content_length: Option<String>,
    transfer_encoding: Option<String>,
}

type Log = Arc<Mutex<Vec<Got>>>;

fn targets(log: &Log) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .map(|g| g.target.clone())
        .collect()
}

/// The targets, sorted: pipelined requests may be forwarded in any order (RFC 9112 §9.3.2),
/// only their responses must come back in order.
fn sorted_targets(log: &Log) -> Vec<String> {
    let mut targets = targets(log);
    targets.sort();
    targets
}

fn header_text(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Starts the upstream. By path:
/// - `/hello`: 200 with the 21-byte body `hello from the portal` (`Content-Length` framed);
/// - `/slow…`: waits 300 ms, then echoes;
/// - `/no-content`: 204; `/not-modified`: 304 with an `ETag`;
/// - `/stream`: 200 streamed as `one-`, `two-`, `three` with no length (chunked upstream);
/// - `/too-large`: 413 `too large` without reading the request body;
/// - anything else: 200 echoing `METHOD TARGET LEN:` followed by the request body it read.
async fn start_wire_upstream() -> (Upstream, Log) {
    let log: Log = Arc::default();
    let recorded = log.clone();
    let upstream = start_upstream(move |req: Request<Incoming>| {
        let log = recorded.clone();
        async move {
            let target = req.uri().to_string();
            log.lock().unwrap().push(Got {
                method: req.method().to_string(),
                target: target.clone(),
                host: header_text(&req, "host"),
                content_length: header_text(&req, "content-length"),
                transfer_encoding: header_text(&req, "transfer-encoding"),
            });
            let path = req.uri().path().to_owned();
            match path.as_str() {
                "/hello" => return Response::new(full("hello from the portal")),
                "/no-content" => {
                    return Response::builder()
                        .status(StatusCode::NO_CONTENT)
                        .body(empty())
                        .unwrap()
                }
                "/not-modified" => {
                    return Response::builder()
                        .status(StatusCode::NOT_MODIFIED)
                        .header("etag", "\"v1\"")
                        .body(empty())
                        .unwrap()
                }
                "/stream" => {
                    let frames = ["one-", "two-", "three"]
                        .map(|part| Ok::<_, hyper::Error>(Frame::data(Bytes::from(part))));
                    let body = StreamBody::new(futures_util::stream::iter(frames));
                    return Response::new(BodyExt::boxed(body));
                }
                "/too-large" => {
                    return Response::builder()
                        .status(StatusCode::PAYLOAD_TOO_LARGE)
                        .body(full("too large"))
                        .unwrap()
                }
                _ => {}
            }
            if path.starts_with("/slow") {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            let method = req.method().to_string();
            let body = match req.into_body().collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) => {
                    return Response::builder()
                        .status(StatusCode::BAD_REQUEST)
                        .body(full(format!("upstream could not read the body: {error}")))
                        .unwrap()
                }
            };
            let mut echo = format!("{method} {target} {}:", body.len()).into_bytes();
            echo.extend_from_slice(&body);
            Response::new(full(echo))
        }
    })
    .await;
    (upstream, log)
}

async fn start() -> (RunningServer, Upstream, Log) {
    let (upstream, log) = start_wire_upstream().await;
    let proxy = start_proxy(&upstream.url(), "").await;
    (proxy, upstream, log)
}

// ---------------------------------------------------------------------------------------------
// The raw client: writes bytes, reads responses framed as RFC 9112 §6.3 says.
// ---------------------------------------------------------------------------------------------

/// How a response body was delimited.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Framing {
    /// No body by definition: a response to HEAD, or 1xx, 204, 304.
    NoBody,
    ContentLength,
    Chunked,
    /// Read until the proxy closed the connection.
    Close,
}

/// One response as read off the socket.
#[derive(Debug)]
struct Raw {
    version: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    framing: Framing,
}

impl Raw {
    /// Every value of the field `name`.
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.all(name).first().copied()
    }

    /// Whether the `Connection` fields list `option` (case-insensitive).
    fn connection_has(&self, option: &str) -> bool {
        self.all("connection")
            .iter()
            .flat_map(|v| v.split(','))
            .any(|o| o.trim().eq_ignore_ascii_case(option))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

struct Reader {
    half: OwnedReadHalf,
    buf: Vec<u8>,
}

impl Reader {
    /// Reads more bytes into the buffer; `false` at end of stream (a reset counts as one).
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(WAIT, self.half.read(&mut chunk)).await {
            Err(_) => panic!(
                "the proxy sent nothing for {WAIT:?}; unread so far: {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
            Ok(Ok(0)) => false,
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => false,
            Ok(Err(e)) => panic!("reading from the proxy failed: {e}"),
        }
    }

    /// One line ending in CRLF, without it. A bare LF in a response is a framing error.
    async fn line(&mut self) -> String {
        loop {
            if let Some(lf) = self.buf.iter().position(|&b| b == b'\n') {
                assert!(
                    lf > 0 && self.buf[lf - 1] == b'\r',
                    "a line not ended by CRLF: {:?}",
                    String::from_utf8_lossy(&self.buf[..=lf])
                );
                let line: Vec<u8> = self.buf.drain(..=lf).take(lf - 1).collect();
                return String::from_utf8(line).expect("a response line that is not UTF-8");
            }
            assert!(
                self.fill().await,
                "the connection closed in the middle of a line: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        }
    }

    async fn exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(
                self.fill().await,
                "the connection closed {} bytes short of a {n}-byte body part",
                n - self.buf.len()
            );
        }
        self.buf.drain(..n).collect()
    }

    /// Everything until the proxy closes the connection.
    async fn until_close(&mut self) -> Vec<u8> {
        while self.fill().await {}
        std::mem::take(&mut self.buf)
    }

    /// The next response to a request that was not HEAD.
    async fn response(&mut self) -> Raw {
        self.response_to("GET").await
    }

    /// The next response (interim or final) to a request with `method`.
    async fn response_to(&mut self, method: &str) -> Raw {
        let status_line = self.line().await;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default().to_owned();
        assert!(
            version == "HTTP/1.1" || version == "HTTP/1.0",
            "not a status line: {status_line:?}"
        );
        let code = parts.next().unwrap_or_default();
        assert!(
            code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()),
            "not a status line: {status_line:?}"
        );
        let status: u16 = code.parse().unwrap();
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
        assert!(
            parts.next().is_some(),
            "no SP after the status code: {status_line:?}"
        );
        let mut headers = Vec::new();
        loop {
            let line = self.line().await;
            if line.is_empty() {
                break;
            }
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("not a header field: {line:?}"));
            assert!(
                !name.is_empty() && !name.bytes().any(|b| b.is_ascii_whitespace()),
                "a bad field name: {line:?}"
            );
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        let mut raw = Raw {
            version,
            status,
            headers,
            body: Vec::new(),
            framing: Framing::NoBody,
        };
        let te = raw.all("transfer-encoding").join(", ");
        let lengths: Vec<String> = raw
            .all("content-length")
            .into_iter()
            .map(str::to_owned)
            .collect();
        if method == "HEAD" || status < 200 || status == 204 || status == 304 {
            return raw;
        }
        if !te.is_empty() {
            assert_eq!(te, "chunked", "an unexpected transfer coding");
            assert!(
                lengths.is_empty(),
                "both Transfer-Encoding and Content-Length"
            );
            raw.framing = Framing::Chunked;
            raw.body = self.chunked().await;
        } else if let Some(length) = lengths.first() {
            assert_eq!(lengths.len(), 1, "several Content-Length fields");
            assert!(
                !length.is_empty() && length.bytes().all(|b| b.is_ascii_digit()),
                "an invalid Content-Length: {length:?}"
            );
            raw.framing = Framing::ContentLength;
            raw.body = self.exact(length.parse().unwrap()).await;
        } else {
            raw.framing = Framing::Close;
            raw.body = self.until_close().await;
        }
        raw
    }

    /// A chunked body (RFC 9112 §7.1), decoded; the trailer section is read and dropped.
    async fn chunked(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line = self.line().await;
            let size = line.split(';').next().unwrap_or_default();
            assert!(
                !size.is_empty() && size.bytes().all(|b| b.is_ascii_hexdigit()),
                "a bad chunk-size line: {line:?}"
            );
            let size = usize::from_str_radix(size, 16).unwrap();
            if size == 0 {
                while !self.line().await.is_empty() {}
                return body;
            }
            body.extend(self.exact(size).await);
            assert_eq!(
                self.exact(2).await,
                b"\r\n",
                "chunk data not followed by CRLF"
            );
        }
    }

    /// The next response, or `None` when the proxy closes without sending a byte.
    async fn response_or_close(&mut self) -> Option<Raw> {
        if self.buf.is_empty() && !self.fill().await {
            return None;
        }
        Some(self.response().await)
    }

    /// Asserts the proxy closes the connection without sending anything more.
    async fn assert_closed(&mut self) {
        let rest = self.until_close().await;
        assert!(
            rest.is_empty(),
            "bytes after the last response, then close: {:?}",
            String::from_utf8_lossy(&rest)
        );
    }
}

/// A raw connection to the proxy.
struct Wire {
    reader: Reader,
    writer: OwnedWriteHalf,
}

impl Wire {
    async fn open(proxy: &RunningServer) -> Wire {
        let tcp = TcpStream::connect(proxy.local_addr()).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let (half, writer) = tcp.into_split();
        Wire {
            reader: Reader {
                half,
                buf: Vec::new(),
            },
            writer,
        }
    }

    /// Writes `bytes` in a single write call.
    async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        tokio::time::timeout(WAIT, self.writer.write_all(bytes.as_ref()))
            .await
            .expect("the proxy stopped reading")
            .expect("write to the proxy");
    }

    async fn response(&mut self) -> Raw {
        self.reader.response().await
    }

    async fn assert_closed(&mut self) {
        self.reader.assert_closed().await;
    }

    /// Sends a request that must be refused before anything is forwarded: the proxy answers
    /// `400` and closes.
    async fn assert_refused(&mut self, request: &[u8]) {
        self.send(request).await;
        let raw = self.response().await;
        assert_eq!(
            raw.status,
            400,
            "{:?} was not refused: {raw:?}",
            String::from_utf8_lossy(request)
        );
        self.assert_closed().await;
    }
}

/// Asserts that `raw` is a 200 whose body is the upstream's echo `expected`.
#[track_caller]
fn assert_echo(raw: &Raw, expected: &str) {
    assert_eq!(raw.status, 200, "{raw:?}");
    assert_eq!(raw.text(), expected);
}

// ---------------------------------------------------------------------------------------------
// Keep-alive and pipelining
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn answers_two_sequential_requests_on_one_keep_alive_connection() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n").await;
    let first = wire.response().await;
    assert_eq!(first.version, "HTTP/1.1");
    assert_eq!(first.framing, Framing::ContentLength);
    assert_echo(&first, "GET /first 0:");
    assert!(!first.connection_has("close"), "{first:?}");
    wire.send("GET /second?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        .await;
    assert_echo(&wire.response().await, "GET /second?x=1 0:");
    assert!(wire.reader.buf.is_empty());
    assert_eq!(targets(&log), ["/first", "/second?x=1"]);
}

/// The first request is slow upstream: the second's response must still come after it.
#[tokio::test]
async fn answers_two_pipelined_requests_in_order() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send("GET /slow/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        .await;
    assert_echo(&wire.response().await, "GET /slow/1 0:");
    assert_echo(&wire.response().await, "GET /2 0:");
    assert!(wire.reader.buf.is_empty());
    // And the connection is still usable.
    wire.send("GET /3 HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert_echo(&wire.response().await, "GET /3 0:");
    assert_eq!(sorted_targets(&log), ["/2", "/3", "/slow/1"]);
}

/// Three requests in one write, the middle one with a body that must not be read as a request.
#[tokio::test]
async fn answers_three_pipelined_requests_in_order() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send(concat!(
        "GET /slow/1 HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 28\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
    ))
    .await;
    assert_echo(&wire.response().await, "GET /slow/1 0:");
    assert_echo(
        &wire.response().await,
        "POST /2 28:GET /x HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert_echo(&wire.response().await, "GET /3 0:");
    assert!(wire.reader.buf.is_empty());
    assert_eq!(sorted_targets(&log), ["/2", "/3", "/slow/1"]);
}

// ---------------------------------------------------------------------------------------------
// Connection management
// ---------------------------------------------------------------------------------------------

/// HTTP/1.0 defaults to close (RFC 9112 §9.3): the response is not chunked and the connection
/// ends after it.
/// A keep-alive connection waiting for its next request is closed as soon as the proxy stops,
/// not held open until the grace period ends; a request in flight at the stop is answered with
/// `Connection: close`.
#[tokio::test]
async fn closes_idle_keep_alive_connections_at_once_on_stop() {
    let (upstream, _log) = start_wire_upstream().await;
    let proxy = start_proxy(&upstream.url(), "grace_period = \"30s\"").await;
    let mut idle = Wire::open(&proxy).await;
    idle.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").await;
    let first = idle.response().await;
    assert_eq!(first.status, 200, "{first:?}");
    assert!(!first.connection_has("close"), "{first:?}");
    let mut busy = Wire::open(&proxy).await;
    busy.send("GET /slow/1 HTTP/1.1\r\nHost: a\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    proxy.shutdown();
    let answered = busy.response().await;
    assert_eq!(answered.status, 200, "{answered:?}");
    assert!(answered.connection_has("close"), "{answered:?}");
    // Within `WAIT`, well inside the 30 s grace period.
    idle.assert_closed().await;
    tokio::time::timeout(Duration::from_secs(3), proxy.wait())
        .await
        .expect("shutdown waited for the grace period");
}

#[tokio::test]
async fn closes_an_http10_connection_after_the_response() {
    let (proxy, _upstream, _log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send("GET /hello HTTP/1.0\r\nHost: a\r\n\r\n").await;
    let raw = wire.response().await;
    assert_eq!(raw.status, 200);
    assert!(raw.header("transfer-encoding").is_none(), "{raw:?}");
    assert!(!raw.connection_has("keep-alive"), "{raw:?}");
    assert_eq!(raw.text(), "hello from the portal");
    if raw.framing != Framing::Close {
        wire.assert_closed().await;
    }
}

/// HTTP/1.0 with `Connection: keep-alive` and a response of known length: the keep-alive is
/// honoured and announced (RFC 9112 §9.3, appendix C.2.2), so a second request is served.
#[tokio::test]
async fn keeps_an_http10_keep_alive_connection_open_when_the_length_is_known() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send("GET /hello HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n")
        .await;
    let raw = wire.response().await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.framing, Framing::ContentLength);
    assert!(raw.connection_has("keep-alive"), "{raw:?}");
    assert_eq!(raw.text(), "hello from the portal");
    wire.send("GET /again HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n")
        .await;
    assert_echo(&wire.response().await, "GET /again 0:");
    assert_eq!(targets(&log), ["/hello", "/again"]);
}

/// `Connection: close` (RFC 9112 §9.6): the connection ends after that response, and a request
/// pipelined behind it is neither answered nor forwarded.
#[tokio::test]
async fn closes_the_connection_after_a_request_with_connection_close() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send(concat!(
        "GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "GET /after-close HTTP/1.1\r\nHost: a\r\n\r\n",
    ))
    .await;
    let raw = wire.response().await;
    assert_echo(&raw, "GET /last 0:");
    assert!(raw.connection_has("close"), "{raw:?}");
    wire.assert_closed().await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(targets(&log), ["/last"]);
}

// ---------------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------------

/// Chunks with an extension and an uppercase size, then a trailer section: the upstream gets the
/// decoded body, and the request written right behind it is parsed from the right byte.
#[tokio::test]
async fn forwards_a_chunked_request_body_and_parses_the_next_request() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send(concat!(
        "POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        "5;ext=1\r\nhello\r\n",
        "1\r\n,\r\n",
        "A\r\n0123456789\r\n",
        "0\r\nX-Trailer: t\r\n\r\n",
        "GET /next HTTP/1.1\r\nHost: a\r\n\r\n",
    ))
    .await;
    assert_echo(&wire.response().await, "POST /chunked 16:hello,0123456789");
    assert_echo(&wire.response().await, "GET /next 0:");
    assert_eq!(sorted_targets(&log), ["/chunked", "/next"]);
}

/// The same chunked request and the one behind it, written a few bytes at a time so that every
/// boundary (request line, fields, chunk sizes, extensions, data, trailers) falls between reads.
#[tokio::test]
async fn parses_a_request_written_a_few_bytes_at_a_time() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    let request = concat!(
        "POST /trickle?x=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        "5;ext=1\r\nhello\r\n",
        "1\r\n,\r\n",
        "A\r\n0123456789\r\n",
        "0\r\nX-Trailer: t\r\n\r\n",
        "POST /next HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n",
        "abcdefghij",
    );
    for piece in request.as_bytes().chunks(3) {
        wire.send(piece).await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_echo(
        &wire.response().await,
        "POST /trickle?x=1 16:hello,0123456789",
    );
    assert_echo(&wire.response().await, "POST /next 10:abcdefghij");
    assert_eq!(sorted_targets(&log), ["/next", "/trickle?x=1"]);
}

#[tokio::test]
async fn forwards_a_content_length_request_body_and_parses_the_next_request() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send(concat!(
        "POST /sized HTTP/1.1\r\nHost: a\r\nContent-Length: 14\r\n\r\n",
        "hello\r\n\r\nworld",
        "GET /next HTTP/1.1\r\nHost: a\r\n\r\n",
    ))
    .await;
    assert_echo(&wire.response().await, "POST /sized 14:hello\r\n\r\nworld");
    wire.send("PUT /then HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        .await;
    assert_echo(&wire.response().await, "GET /next 0:");
    assert_echo(&wire.response().await, "PUT /then 3:abc");
    {
        let log = log.lock().unwrap();
        assert_eq!(log[0].content_length.as_deref(), Some("14"));
        assert_eq!(log[0].transfer_encoding, None);
    }
    // A body far larger than one read, with a request pipelined right behind its last byte.
    let body: Vec<u8> = (0..300 * 1024).map(|i| (i % 251) as u8).collect();
    let mut request = format!(
        "POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request.extend_from_slice(b"GET /after-big HTTP/1.1\r\nHost: a\r\n\r\n");
    wire.send(&request).await;
    let big = wire.response().await;
    assert_eq!(big.status, 200);
    let mut expected = format!("POST /big {}:", body.len()).into_bytes();
    expected.extend_from_slice(&body);
    assert!(big.body == expected, "the 300 KiB body arrived altered");
    assert_echo(&wire.response().await, "GET /after-big 0:");
}

/// `Expect: 100-continue` (RFC 9110 §10.1.1): the visitor holds the body back until the interim
/// response arrives, then gets the final one.
#[tokio::test]
async fn sends_100_continue_before_the_body_is_sent() {
    let (proxy, _upstream, _log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send(
        "POST /expect HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n",
    )
    .await;
    let interim = wire.response().await;
    assert_eq!(interim.version, "HTTP/1.1");
    assert_eq!(interim.status, 100, "{interim:?}");
    assert!(wire.reader.buf.is_empty(), "more than the interim response");
    wire.send("hello world").await;
    assert_echo(&wire.response().await, "POST /expect 11:hello world");
    wire.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert_echo(&wire.response().await, "GET /next 0:");
}

/// The upstream answers 413 without reading the request body: the visitor gets that answer.
/// The body is kept small enough (16 KiB) to fit in the socket buffers on its way upstream: with
/// a body of 128 KiB or more the current proxy answers 502 instead (see the report), so larger
/// bodies are not pinned here.
#[tokio::test]
async fn relays_an_upstream_answer_sent_without_reading_the_request_body() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    const SIZE: usize = 16 * 1024;
    let mut request =
        format!("POST /too-large HTTP/1.1\r\nHost: a\r\nContent-Length: {SIZE}\r\n\r\n")
            .into_bytes();
    request.resize(request.len() + SIZE, b'x');
    wire.send(&request).await;
    let raw = wire.response().await;
    assert_eq!(raw.status, 413, "{raw:?}");
    assert_eq!(raw.text(), "too large");
    assert_eq!(targets(&log), ["/too-large"]);
}

// ---------------------------------------------------------------------------------------------
// Request smuggling defences (RFC 9112 §6.1, §6.3)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn refuses_two_different_content_lengths() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.assert_refused(
        concat!(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 35\r\n\r\n",
            "helloGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
        )
        .as_bytes(),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    assert!(targets(&log).is_empty(), "{:?}", targets(&log));
}

#[tokio::test]
async fn refuses_an_invalid_content_length() {
    let (proxy, _upstream, log) = start().await;
    for value in ["abc", "-1", "+5", "1 2", "0x5", ""] {
        let mut wire = Wire::open(&proxy).await;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {value}\r\n\r\n\
             GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
        );
        wire.assert_refused(request.as_bytes()).await;
    }
    tokio::time::sleep(SETTLE).await;
    assert!(targets(&log).is_empty(), "{:?}", targets(&log));
}

/// A request whose final transfer coding is not `chunked` has no determinable length
/// (RFC 9112 §6.3 item 4): 400 and close.
#[tokio::test]
async fn refuses_a_transfer_encoding_whose_final_coding_is_not_chunked() {
    let (proxy, _upstream, log) = start().await;
    for coding in ["gzip", "chunked, gzip", "identity"] {
        let mut wire = Wire::open(&proxy).await;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: {coding}\r\n\r\n\
             0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
        );
        wire.assert_refused(request.as_bytes()).await;
    }
    tokio::time::sleep(SETTLE).await;
    assert!(targets(&log).is_empty(), "{:?}", targets(&log));
}

/// `Transfer-Encoding` in an HTTP/1.0 request means faulty framing (RFC 9112 §6.1): refused,
/// nothing forwarded.
#[tokio::test]
async fn refuses_transfer_encoding_in_an_http10_request() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.assert_refused(
        concat!(
            "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
            "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
        )
        .as_bytes(),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    assert!(targets(&log).is_empty(), "{:?}", targets(&log));
}

/// `Content-Length` and `Transfer-Encoding: chunked` together (RFC 9112 §6.3 item 3 lets a server
/// refuse them): refused with 400 and closed, nothing forwarded. Both CL.TE and TE.CL shapes are
/// tried; whichever reading a peer makes, `/smuggled` must never reach the upstream.
#[tokio::test]
async fn refuses_content_length_beside_chunked() {
    let (proxy, _upstream, log) = start().await;
    let smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
    // CL.TE: the length covers the smuggled request; chunked says the body is empty.
    let cl_te = format!(
        "POST /cl-te HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\
         Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}",
        5 + smuggled.len()
    );
    // TE.CL: the length stops inside the chunk-size line; chunked carries the smuggled request
    // as data. Another one is pipelined behind, which a closed connection never reads.
    let te_cl = format!(
        "POST /te-cl HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n\
         {:X}\r\n{smuggled}\r\n0\r\n\r\n{smuggled}",
        smuggled.len()
    );
    for (request, target) in [(cl_te, "/cl-te"), (te_cl, "/te-cl")] {
        let mut wire = Wire::open(&proxy).await;
        wire.send(request).await;
        let raw = wire.response().await;
        assert_eq!(raw.status, 400, "{target}: {raw:?}");
        let seen = targets(&log);
        assert!(!seen.iter().any(|t| t == target), "{seen:?}");
        wire.assert_closed().await;
    }
    tokio::time::sleep(SETTLE).await;
    let seen = targets(&log);
    assert!(!seen.iter().any(|t| t.contains("smuggled")), "{seen:?}");
}

/// Whitespace between a field name and the colon must be refused (RFC 9112 §5.1): it is how
/// `Transfer-Encoding : chunked` gets read differently by two peers.
#[tokio::test]
async fn refuses_whitespace_between_a_field_name_and_the_colon() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.assert_refused(
        concat!(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n",
            "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
        )
        .as_bytes(),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    assert!(targets(&log).is_empty(), "{:?}", targets(&log));
}

// ---------------------------------------------------------------------------------------------
// Malformed and oversized heads
// ---------------------------------------------------------------------------------------------

/// 200 KiB of header fields (2,048 of them): answered 431 and closed, nothing forwarded. The
/// head is written while the answer is read, since the proxy answers before it has read all of
/// it (and lingers, so the answer is not reset by the rest arriving).
#[tokio::test]
async fn refuses_a_200_kib_request_head() {
    let (proxy, _upstream, log) = start().await;
    let Wire {
        mut reader,
        mut writer,
    } = Wire::open(&proxy).await;
    let mut head = String::from("GET /huge HTTP/1.1\r\nHost: a\r\n");
    for i in 0..2048 {
        head.push_str(&format!("X-Filler-{i:04}: {}\r\n", "f".repeat(87)));
    }
    head.push_str("\r\n");
    assert!(head.len() > 200 * 1024);
    let upload = tokio::spawn(async move {
        let _ = writer.write_all(head.as_bytes()).await;
        writer
    });
    let raw = reader.response_or_close().await;
    let raw = raw.expect("an answer before the close");
    assert_eq!(raw.status, 431, "{raw:?}");
    reader.assert_closed().await;
    upload.abort();
    tokio::time::sleep(SETTLE).await;
    assert!(targets(&log).is_empty(), "{:?}", targets(&log));
}

#[tokio::test]
async fn refuses_a_garbage_request_line() {
    let (proxy, _upstream, log) = start().await;
    for garbage in [
        &b"THIS IS NOT HTTP\r\n\r\n"[..],
        b"GET /\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",
    ] {
        let mut wire = Wire::open(&proxy).await;
        wire.assert_refused(garbage).await;
    }
    tokio::time::sleep(SETTLE).await;
    assert!(targets(&log).is_empty(), "{:?}", targets(&log));
}

/// Obsolete line folding in a request (RFC 9112 §5.2): refused with 400.
#[tokio::test]
async fn refuses_an_obs_fold_header() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.assert_refused(b"GET /folded HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n")
        .await;
    tokio::time::sleep(SETTLE).await;
    assert!(targets(&log).is_empty(), "{:?}", targets(&log));
}

// ---------------------------------------------------------------------------------------------
// Response framing
// ---------------------------------------------------------------------------------------------

/// HEAD (RFC 9110 §9.3.2): the upstream's `Content-Length`, no body bytes; the GET pipelined
/// behind it gets its own complete response.
#[tokio::test]
async fn answers_head_with_the_length_but_no_body() {
    let (proxy, _upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send("HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .await;
    let head = wire.reader.response_to("HEAD").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.all("content-length"), ["21"], "{head:?}");
    assert!(head.header("transfer-encoding").is_none(), "{head:?}");
    let get = wire.response().await;
    assert_eq!(get.status, 200);
    assert_eq!(get.framing, Framing::ContentLength);
    assert_eq!(get.text(), "hello from the portal");
    assert!(wire.reader.buf.is_empty());
    let mut methods: Vec<_> = log
        .lock()
        .unwrap()
        .iter()
        .map(|g| g.method.clone())
        .collect();
    methods.sort();
    assert_eq!(methods, ["GET", "HEAD"]);
}

/// 204 and 304 have no body (RFC 9110 §15.3.5, §15.4.5); a 204 has neither `Content-Length`
/// nor `Transfer-Encoding` (RFC 9110 §8.6, RFC 9112 §6.1). The connection goes on.
#[tokio::test]
async fn answers_204_and_304_without_a_body_and_keeps_the_connection() {
    let (proxy, _upstream, _log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send("GET /no-content HTTP/1.1\r\nHost: a\r\n\r\n")
        .await;
    let no_content = wire.response().await;
    assert_eq!(no_content.status, 204);
    assert!(
        no_content.header("content-length").is_none(),
        "{no_content:?}"
    );
    assert!(
        no_content.header("transfer-encoding").is_none(),
        "{no_content:?}"
    );
    wire.send("GET /not-modified HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v1\"\r\n\r\n")
        .await;
    let not_modified = wire.response().await;
    assert_eq!(not_modified.status, 304);
    assert_eq!(not_modified.header("etag"), Some("\"v1\""));
    assert!(
        not_modified.header("transfer-encoding").is_none(),
        "{not_modified:?}"
    );
    // Both pipelined, then a request with a body: any stray body byte would break the parse.
    wire.send(concat!(
        "GET /no-content HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /not-modified HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /after HTTP/1.1\r\nHost: a\r\n\r\n",
    ))
    .await;
    assert_eq!(wire.response().await.status, 204);
    assert_eq!(wire.response().await.status, 304);
    assert_echo(&wire.response().await, "GET /after 0:");
    assert!(wire.reader.buf.is_empty());
}

/// An upstream body of unknown length reaches an HTTP/1.1 visitor chunked, and the connection
/// stays usable.
#[tokio::test]
async fn chunks_a_response_of_unknown_length_for_an_http11_visitor() {
    let (proxy, _upstream, _log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n").await;
    let raw = wire.response().await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.framing, Framing::Chunked, "{raw:?}");
    assert_eq!(raw.text(), "one-two-three");
    wire.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert_echo(&wire.response().await, "GET /next 0:");
}

/// An HTTP/1.0 visitor cannot decode chunked (RFC 9112 §7): the same body is delimited by the
/// close, even when the visitor asked for keep-alive.
#[tokio::test]
async fn delimits_a_response_of_unknown_length_by_close_for_an_http10_visitor() {
    let (proxy, _upstream, _log) = start().await;
    for keep_alive in [false, true] {
        let connection = if keep_alive {
            "Connection: keep-alive\r\n"
        } else {
            ""
        };
        let mut wire = Wire::open(&proxy).await;
        wire.send(format!(
            "GET /stream HTTP/1.0\r\nHost: a\r\n{connection}\r\n"
        ))
        .await;
        let raw = wire.response().await;
        assert_eq!(raw.status, 200);
        assert_eq!(raw.framing, Framing::Close, "{raw:?}");
        assert_eq!(raw.text(), "one-two-three");
        // The current server announces `Connection: keep-alive` on the keep-alive request even
        // though it then closes (see the report); that announcement is not pinned either way.
        if !keep_alive {
            assert!(!raw.connection_has("keep-alive"), "{raw:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------------------------

/// Half a request head, then silence: closed once `client_headers` (1 s) has passed, not before,
/// and nothing forwarded.
#[tokio::test]
async fn closes_a_connection_that_stops_mid_head_after_client_headers() {
    let (upstream, log) = start_wire_upstream().await;
    let proxy = start_proxy(&upstream.url(), "[proxy.timeouts]\nclient_headers = \"1s\"").await;
    let started = Instant::now();
    let mut wire = Wire::open(&proxy).await;
    wire.send("GET /half HTTP/1.1\r\nHost: a\r\nX-Partial: ")
        .await;
    let rest = wire.reader.until_close().await;
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    assert!(
        elapsed >= Duration::from_millis(900),
        "closed after {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(4), "closed after {elapsed:?}");
    assert!(targets(&log).is_empty());
}

/// The connection, idle from now, is closed once `client_headers` (1 s) has passed, not before.
async fn assert_closed_after_client_headers(wire: &mut Wire) {
    let idle_from = Instant::now();
    wire.assert_closed().await;
    let elapsed = idle_from.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900),
        "closed after {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(4), "closed after {elapsed:?}");
}

/// A keep-alive connection left idle for `client_headers` after a response is closed.
#[tokio::test]
async fn closes_an_idle_keep_alive_connection_after_client_headers() {
    let (upstream, _log) = start_wire_upstream().await;
    let proxy = start_proxy(&upstream.url(), "[proxy.timeouts]\nclient_headers = \"1s\"").await;
    let mut wire = Wire::open(&proxy).await;
    wire.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert_echo(&wire.response().await, "GET /first 0:");
    assert_closed_after_client_headers(&mut wire).await;
}

/// The wait for each request head has its own `client_headers`, counted from the previous
/// response: requests 700 ms apart on one connection go on past the first wait's deadline, and
/// the connection is closed only once it idles for the whole timeout after the last response.
#[tokio::test]
async fn gives_each_wait_for_a_request_its_own_client_headers() {
    let (upstream, _log) = start_wire_upstream().await;
    let proxy = start_proxy(&upstream.url(), "[proxy.timeouts]\nclient_headers = \"1s\"").await;
    let mut wire = Wire::open(&proxy).await;
    for i in 0..3 {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        wire.send(&format!("GET /r{i} HTTP/1.1\r\nHost: a\r\n\r\n"))
            .await;
        assert_echo(&wire.response().await, &format!("GET /r{i} 0:"));
    }
    assert_closed_after_client_headers(&mut wire).await;
}

// ---------------------------------------------------------------------------------------------
// Request targets and Host
// ---------------------------------------------------------------------------------------------

/// An absolute-form target (RFC 9112 §3.2.2) goes upstream in origin form.
#[tokio::test]
async fn forwards_an_absolute_form_target_in_origin_form() {
    let (proxy, upstream, log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.send("GET http://example.test/p?q=1 HTTP/1.1\r\nHost: example.test\r\n\r\n")
        .await;
    assert_echo(&wire.response().await, "GET /p?q=1 0:");
    let got = log.lock().unwrap()[0].clone();
    assert_eq!(got.target, "/p?q=1");
    assert_eq!(got.host, Some(upstream.addr.to_string()));
}

/// A chunked body whose framing breaks after the head was forwarded is the visitor's fault:
/// 400 (not the 502 of an upstream failure), then close.
#[tokio::test]
async fn answers_400_to_a_chunked_body_with_a_malformed_chunk_size() {
    let (proxy, _upstream, _log) = start().await;
    let mut wire = Wire::open(&proxy).await;
    wire.assert_refused(
        b"POST /broken HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    )
    .await;
}

/// RFC 9112 §3.2: an HTTP/1.1 request without `Host`, with two, or with one that is no
/// `host[:port]`, gets 400, and nothing is forwarded (the upstream could pick another host).
#[tokio::test]
async fn refuses_a_missing_duplicated_or_malformed_host() {
    let (proxy, _upstream, log) = start().await;
    for request in [
        "GET /no-host HTTP/1.1\r\n\r\n",
        "GET /two-hosts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /bad-host HTTP/1.1\r\nHost: a b/c\r\n\r\n",
        "GET /userinfo HTTP/1.1\r\nHost: user@a\r\n\r\n",
    ] {
        let mut wire = Wire::open(&proxy).await;
        wire.assert_refused(request.as_bytes()).await;
    }
    tokio::time::sleep(SETTLE).await;
    assert!(targets(&log).is_empty(), "{:?}", targets(&log));
}
