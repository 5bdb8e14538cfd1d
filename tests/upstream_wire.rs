//! The upstream HTTP/1.1 client (`src/proxy/exchange.rs`, `upstream_body.rs`, `pool.rs`) as a
//! raw-TCP upstream sees it: the upstream here is a bare `TcpListener` that reads request heads
//! (and bodies), records what arrived on which connection, and answers with literal bytes chosen
//! by each test, so that framings hyper would never write (a body delimited by the close, both
//! `Transfer-Encoding` and `Content-Length`, an interim `100`, a malformed head, a close in the
//! middle of a body or while idle) can be sent. The visitor is a raw TCP connection too, so that
//! the framing the proxy writes back is checked byte by byte.
//!
//! What is pinned: the visitor gets the right body (and only the final response); a connection
//! is reused exactly when its response was delimited and kept alive (RFC 9112 §6.3, §9.3); a
//! broken upstream response is a `502`; and the retry rule of `[proxy.timeouts] idle`
//! (docs/configuration.md): a request without body and with an idempotent method that raced with
//! the upstream closing an idle connection goes again on a new one, any other is never sent twice.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::start_proxy;
use consentry::proxy::server::RunningServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// Every read from the proxy fails the test after this long instead of hanging it.
const WAIT: Duration = Duration::from_secs(3);

/// The pause between the pieces of a reply, so that each reaches the proxy in a read of its own.
const GAP: Duration = Duration::from_millis(20);

// ---------------------------------------------------------------------------------------------
// The raw upstream: reads requests, records them with their connection, writes literal replies.
// ---------------------------------------------------------------------------------------------

/// One request as the upstream read it off the wire.
#[derive(Debug, Clone)]
struct Received {
    /// Which accepted connection it came on, from 0.
    conn: usize,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    /// The body, decoded from its framing.
    body: Vec<u8>,
}

impl Received {
    /// Every value of the field `name`.
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// What the upstream does once a reply is written.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// Keeps the connection and answers the next request on it.
    KeepOpen,
    /// Closes the connection.
    Close,
    /// Shuts its sending side (the proxy sees the connection closed) but goes on reading and
    /// recording whatever arrives on it, without answering: a request the proxy writes on a
    /// connection it should have known dead is seen.
    HalfClose,
}

/// Literal bytes, written piece by piece with [`GAP`] between pieces, then [`Then`].
struct Reply {
    pieces: Vec<Vec<u8>>,
    then: Then,
}

impl Reply {
    fn new(pieces: &[&str], then: Then) -> Reply {
        Reply {
            pieces: pieces.iter().map(|p| p.as_bytes().to_vec()).collect(),
            then,
        }
    }

    /// One piece, and the connection kept.
    fn keep(bytes: &str) -> Reply {
        Reply::new(&[bytes], Then::KeepOpen)
    }

    /// A `200` with a `Content-Length` body, the connection kept.
    fn ok(body: &str) -> Reply {
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        Reply::keep(&(head + body))
    }

    /// Closes the connection without answering.
    fn drop_connection() -> Reply {
        Reply::new(&[], Then::Close)
    }
}

#[derive(Default)]
struct Record {
    received: Vec<Received>,
    /// Requests the upstream could not read (bad framing from the proxy).
    problems: Vec<String>,
}

type Answer = Arc<dyn Fn(&Received) -> Reply + Send + Sync>;

struct RawUpstream {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    record: Arc<Mutex<Record>>,
}

impl RawUpstream {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Every request received, in order; fails if one could not be read.
    fn received(&self) -> Vec<Received> {
        let record = self.record.lock().unwrap();
        assert!(
            record.problems.is_empty(),
            "the upstream could not read what the proxy sent: {:?}",
            record.problems
        );
        record.received.clone()
    }

    /// `"<connection> <METHOD> <target>"` for every request received, in order.
    fn seen(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|r| format!("{} {} {}", r.conn, r.method, r.target))
            .collect()
    }
}

/// Starts the upstream; `answer` decides the reply to each request.
async fn start_raw_upstream(
    answer: impl Fn(&Received) -> Reply + Send + Sync + 'static,
) -> RawUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let record = Arc::new(Mutex::new(Record::default()));
    let answer: Answer = Arc::new(answer);
    let (counter, log) = (accepted.clone(), record.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let conn = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve_connection(tcp, conn, answer.clone(), log.clone()));
        }
    });
    RawUpstream {
        addr,
        accepted,
        record,
    }
}

async fn serve_connection(
    mut tcp: TcpStream,
    conn: usize,
    answer: Answer,
    log: Arc<Mutex<Record>>,
) {
    let mut buf = Vec::new();
    let mut answering = true;
    for seq in 0.. {
        let received = match read_request(&mut tcp, &mut buf, conn).await {
            Ok(Some(received)) => received,
            Ok(None) => return,
            Err(problem) => {
                let problem = format!("connection {conn}, request {seq}: {problem}");
                log.lock().unwrap().problems.push(problem);
                return;
            }
        };
        log.lock().unwrap().received.push(received.clone());
        if !answering {
            continue;
        }
        let reply = answer(&received);
        for (i, piece) in reply.pieces.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(GAP).await;
            }
            if tcp.write_all(piece).await.is_err() {
                return;
            }
        }
        match reply.then {
            Then::KeepOpen => {}
            Then::Close => return,
            Then::HalfClose => {
                let _ = tcp.shutdown().await;
                answering = false;
            }
        }
    }
}

/// Reads more bytes; 0 at the end of the stream (a reset counts as one).
async fn upstream_fill(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> usize {
    let mut chunk = [0u8; 8192];
    match tcp.read(&mut chunk).await {
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            n
        }
        Err(_) => 0,
    }
}

/// One request, head and body; `Ok(None)` when the connection ends between requests.
async fn read_request(
    tcp: &mut TcpStream,
    buf: &mut Vec<u8>,
    conn: usize,
) -> Result<Option<Received>, String> {
    let (len, method, target, headers) = loop {
        if !buf.is_empty() {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut request = httparse::Request::new(&mut slots);
            match request.parse(buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let headers: Vec<(String, String)> = request
                        .headers
                        .iter()
                        .map(|h| {
                            let value = String::from_utf8_lossy(h.value).into_owned();
                            (h.name.to_owned(), value)
                        })
                        .collect();
                    let method = request.method.unwrap_or_default().to_owned();
                    let target = request.path.unwrap_or_default().to_owned();
                    break (len, method, target, headers);
                }
                Ok(httparse::Status::Partial) => {}
                Err(error) => {
                    return Err(format!(
                        "malformed request head ({error}): {:?}",
                        String::from_utf8_lossy(buf)
                    ))
                }
            }
        }
        if upstream_fill(tcp, buf).await == 0 {
            return match buf.is_empty() {
                true => Ok(None),
                false => Err(format!(
                    "closed in the middle of a head: {:?}",
                    String::from_utf8_lossy(buf)
                )),
            };
        }
    };
    buf.drain(..len);
    let mut received = Received {
        conn,
        method,
        target,
        headers,
        body: Vec::new(),
    };
    let codings = received.all("transfer-encoding").join(", ");
    let lengths = received.all("content-length");
    if !codings.is_empty() {
        if codings != "chunked" || !lengths.is_empty() {
            return Err(format!("ambiguous framing: {:?}", received.headers));
        }
        received.body = read_chunked(tcp, buf).await?;
    } else if let Some(length) = lengths.first() {
        if lengths.len() > 1 {
            return Err(format!("several Content-Length: {:?}", received.headers));
        }
        let length: usize = length
            .parse()
            .map_err(|_| format!("bad Content-Length {length:?}"))?;
        while buf.len() < length {
            if upstream_fill(tcp, buf).await == 0 {
                return Err("closed in the middle of a body".to_owned());
            }
        }
        received.body = buf.drain(..length).collect();
    }
    Ok(Some(received))
}

/// One CRLF-ended line off the upstream's buffer, without the CRLF.
async fn upstream_line(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Result<String, String> {
    loop {
        if let Some(lf) = buf.iter().position(|&b| b == b'\n') {
            if lf == 0 || buf[lf - 1] != b'\r' {
                return Err(format!(
                    "a line without CRLF: {:?}",
                    String::from_utf8_lossy(buf)
                ));
            }
            let line: Vec<u8> = buf.drain(..=lf).take(lf - 1).collect();
            return Ok(String::from_utf8_lossy(&line).into_owned());
        }
        if upstream_fill(tcp, buf).await == 0 {
            return Err(format!(
                "closed mid-line: {:?}",
                String::from_utf8_lossy(buf)
            ));
        }
    }
}

/// A chunked request body (RFC 9112 §7.1), decoded; extensions and trailers are dropped.
async fn read_chunked(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line = upstream_line(tcp, buf).await?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| format!("a bad chunk-size line: {line:?}"))?;
        if size == 0 {
            while !upstream_line(tcp, buf).await?.is_empty() {}
            return Ok(body);
        }
        while buf.len() < size + 2 {
            if upstream_fill(tcp, buf).await == 0 {
                return Err("closed in the middle of a chunk".to_owned());
            }
        }
        if &buf[size..size + 2] != b"\r\n" {
            return Err("chunk data not followed by CRLF".to_owned());
        }
        body.extend(buf.drain(..size + 2).take(size));
    }
}

// ---------------------------------------------------------------------------------------------
// The raw visitor: writes request bytes to the proxy, reads responses framed by RFC 9112 §6.3.
// ---------------------------------------------------------------------------------------------

/// How the proxy delimited a response body.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Framing {
    /// None by definition: a response to HEAD, or 1xx, 204, 304.
    NoBody,
    ContentLength,
    Chunked,
    /// Read until the proxy closed the connection.
    Close,
}

/// One response as read off the visitor's socket.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    trailers: Vec<(String, String)>,
    framing: Framing,
}

impl Raw {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A raw connection to the proxy.
struct Visitor {
    read: OwnedReadHalf,
    write: OwnedWriteHalf,
    /// Received and not parsed yet.
    buf: Vec<u8>,
    /// Everything received on this connection, for failure messages.
    seen: Vec<u8>,
}

impl Visitor {
    async fn open(proxy: &RunningServer) -> Visitor {
        let tcp = TcpStream::connect(proxy.local_addr()).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let (read, write) = tcp.into_split();
        Visitor {
            read,
            write,
            buf: Vec::new(),
            seen: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        tokio::time::timeout(WAIT, self.write.write_all(bytes.as_ref()))
            .await
            .expect("the proxy stopped reading")
            .expect("write to the proxy");
    }

    /// Sends `request` and reads the response to it.
    async fn exchange(&mut self, method: &str, request: &str) -> Raw {
        self.send(request).await;
        self.response_to(method).await
    }

    fn seen_text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Reads more bytes; `false` at the end of the stream (a reset counts as one).
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(WAIT, self.read.read(&mut chunk)).await {
            Err(_) => panic!(
                "the proxy sent nothing more for {WAIT:?}; received so far: {:?}",
                self.seen_text()
            ),
            Ok(Ok(0)) | Ok(Err(_)) => false,
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                self.seen.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    async fn line(&mut self) -> String {
        loop {
            if let Some(lf) = self.buf.iter().position(|&b| b == b'\n') {
                assert!(
                    lf > 0 && self.buf[lf - 1] == b'\r',
                    "a line not ended by CRLF; received: {:?}",
                    self.seen_text()
                );
                let line: Vec<u8> = self.buf.drain(..=lf).take(lf - 1).collect();
                return String::from_utf8(line).expect("a response line that is not UTF-8");
            }
            assert!(
                self.fill().await,
                "the proxy closed the connection in the middle of a line; all it sent on it: {:?}",
                self.seen_text()
            );
        }
    }

    async fn exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(
                self.fill().await,
                "the proxy closed the connection {} bytes short of a {n}-byte body part; all it \
                 sent on it: {:?}",
                n - self.buf.len(),
                self.seen_text()
            );
        }
        self.buf.drain(..n).collect()
    }

    /// Everything until the proxy closes the connection.
    async fn until_close(&mut self) -> Vec<u8> {
        while self.fill().await {}
        std::mem::take(&mut self.buf)
    }

    /// Header or trailer fields up to the empty line.
    async fn fields(&mut self) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        loop {
            let line = self.line().await;
            if line.is_empty() {
                return fields;
            }
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("not a field: {line:?}; received: {:?}", self.seen));
            fields.push((name.to_owned(), value.trim().to_owned()));
        }
    }

    /// The next response to a request with `method`.
    async fn response_to(&mut self, method: &str) -> Raw {
        let status_line = self.line().await;
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
        let headers = self.fields().await;
        let mut raw = Raw {
            status,
            headers,
            body: Vec::new(),
            trailers: Vec::new(),
            framing: Framing::NoBody,
        };
        if method == "HEAD" || status < 200 || status == 204 || status == 304 {
            return raw;
        }
        let codings = raw.all("transfer-encoding").join(", ");
        let lengths: Vec<String> = raw
            .all("content-length")
            .into_iter()
            .map(str::to_owned)
            .collect();
        if !codings.is_empty() {
            assert_eq!(codings, "chunked", "an unexpected transfer coding: {raw:?}");
            assert!(
                lengths.is_empty(),
                "both Transfer-Encoding and Content-Length sent to the visitor: {raw:?}"
            );
            raw.framing = Framing::Chunked;
            loop {
                let line = self.line().await;
                let size = line.split(';').next().unwrap_or_default();
                let size = usize::from_str_radix(size, 16)
                    .unwrap_or_else(|_| panic!("a bad chunk-size line: {line:?}"));
                if size == 0 {
                    raw.trailers = self.fields().await;
                    break;
                }
                raw.body.extend(self.exact(size).await);
                assert_eq!(self.exact(2).await, b"\r\n", "chunk data without CRLF");
            }
        } else if let Some(length) = lengths.first() {
            assert_eq!(lengths.len(), 1, "several Content-Length fields: {raw:?}");
            let length = length
                .parse()
                .unwrap_or_else(|_| panic!("an invalid Content-Length: {raw:?}"));
            raw.framing = Framing::ContentLength;
            raw.body = self.exact(length).await;
        } else {
            raw.framing = Framing::Close;
            raw.body = self.until_close().await;
        }
        raw
    }
}

fn get(target: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: a\r\n\r\n")
}

/// A proxy in front of a raw upstream answering with `answer`.
async fn start(
    answer: impl Fn(&Received) -> Reply + Send + Sync + 'static,
) -> (RunningServer, RawUpstream) {
    let upstream = start_raw_upstream(answer).await;
    let proxy = start_proxy(&upstream.url(), "").await;
    (proxy, upstream)
}

#[track_caller]
fn assert_ok(raw: &Raw, body: &str) {
    assert_eq!(raw.status, 200, "{raw:?}");
    assert_eq!(raw.text(), body, "{raw:?}");
}

// ---------------------------------------------------------------------------------------------
// Response framing and connection reuse
// ---------------------------------------------------------------------------------------------

/// A `200` with neither `Content-Length` nor `Transfer-Encoding` ends with the connection
/// (RFC 9112 §6.3 item 8): all of it reaches the visitor (chunked, its length being unknown),
/// and the next request needs a new upstream connection.
#[tokio::test]
async fn reads_a_body_delimited_by_the_close_and_opens_a_new_connection_next() {
    let (proxy, upstream) = start(|req| match req.target.as_str() {
        "/until-close" => Reply::new(
            &[
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst part, ",
                "second part",
            ],
            Then::Close,
        ),
        _ => Reply::ok("next"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    let raw = visitor.exchange("GET", &get("/until-close")).await;
    assert_ok(&raw, "first part, second part");
    assert_eq!(raw.framing, Framing::Chunked, "{raw:?}");
    assert_ok(&visitor.exchange("GET", &get("/next")).await, "next");
    assert_eq!(upstream.accepted(), 2);
    assert_eq!(upstream.seen(), ["0 GET /until-close", "1 GET /next"]);
}

/// A chunked response (an extension, a chunk split across two reads, a trailer section): the
/// visitor gets the body and the trailer in its own chunked framing, and the upstream connection
/// carries the next request.
#[tokio::test]
async fn relays_a_chunked_response_with_trailers_and_reuses_the_connection() {
    let (proxy, upstream) = start(|req| match req.target.as_str() {
        "/chunked" => Reply::new(
            &[
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n\
                 5;ext=1\r\nhello\r\n7\r\n, wo",
                "rld\r\n0\r\nX-Checksum: abc123\r\n\r\n",
            ],
            Then::KeepOpen,
        ),
        _ => Reply::ok("again"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    let request = "GET /chunked HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n";
    let raw = visitor.exchange("GET", request).await;
    assert_ok(&raw, "hello, world");
    assert_eq!(raw.framing, Framing::Chunked, "{raw:?}");
    assert_eq!(raw.trailers.len(), 1, "{raw:?}");
    let (name, value) = &raw.trailers[0];
    assert!(name.eq_ignore_ascii_case("x-checksum"), "{raw:?}");
    assert_eq!(value, "abc123", "{raw:?}");
    assert_ok(&visitor.exchange("GET", &get("/again")).await, "again");
    assert_eq!(upstream.accepted(), 1);
    assert_eq!(upstream.seen(), ["0 GET /chunked", "0 GET /again"]);
}

/// An interim `100 Continue` (in a read of its own) is dropped: the visitor sees the final
/// response only, nothing of the interim one is left to come before its next response, and the
/// upstream connection is still in step for the next request.
#[tokio::test]
async fn passes_only_the_final_response_after_an_interim_100_continue() {
    let (proxy, upstream) = start(|req| match req.target.as_str() {
        "/interim" => Reply::new(
            &[
                "HTTP/1.1 100 Continue\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Final: yes\r\n\r\nfinal",
            ],
            Then::KeepOpen,
        ),
        _ => Reply::ok("next"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    let raw = visitor.exchange("GET", &get("/interim")).await;
    assert_ok(&raw, "final");
    assert_eq!(raw.all("x-final"), ["yes"], "{raw:?}");
    assert_ok(&visitor.exchange("GET", &get("/next")).await, "next");
    assert!(visitor.buf.is_empty(), "{:?}", visitor.seen_text());
    assert_eq!(upstream.seen(), ["0 GET /interim", "0 GET /next"]);
}

/// `Connection: close` from the upstream (RFC 9112 §9.6): that connection is not used again,
/// even though the upstream here leaves it open and would answer on it.
#[tokio::test]
async fn does_not_reuse_a_connection_whose_response_said_connection_close() {
    let (proxy, upstream) = start(|req| match req.target.as_str() {
        "/closing" => {
            Reply::keep("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfirst")
        }
        _ => Reply::ok("second"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    assert_ok(&visitor.exchange("GET", &get("/closing")).await, "first");
    assert_ok(&visitor.exchange("GET", &get("/second")).await, "second");
    assert_eq!(upstream.accepted(), 2);
    assert_eq!(upstream.seen(), ["0 GET /closing", "1 GET /second"]);
}

/// Both `Transfer-Encoding: chunked` and `Content-Length` (RFC 9112 §6.3 item 3): the body is
/// read as chunked, the length is ignored (and must not reach the visitor beside a body of
/// another size), and the connection is not trusted again.
#[tokio::test]
async fn reads_chunked_over_content_length_and_does_not_reuse_the_connection() {
    let (proxy, upstream) = start(|req| match req.target.as_str() {
        "/both" => Reply::new(
            &[
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            ],
            Then::KeepOpen,
        ),
        _ => Reply::ok("next"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    let raw = visitor.exchange("GET", &get("/both")).await;
    assert_ok(&raw, "hello world");
    if raw.framing == Framing::ContentLength {
        assert_eq!(raw.all("content-length"), ["11"], "{raw:?}");
    }
    let mut visitor = Visitor::open(&proxy).await;
    assert_ok(&visitor.exchange("GET", &get("/next")).await, "next");
    assert_eq!(upstream.accepted(), 2);
    assert_eq!(upstream.seen(), ["0 GET /both", "1 GET /next"]);
}

/// An HTTP/1.0 response without `Connection: keep-alive` ends its connection (RFC 9112 §9.3),
/// even with a `Content-Length` and the upstream leaving the socket open.
#[tokio::test]
async fn does_not_reuse_an_http10_connection_without_keep_alive() {
    let (proxy, upstream) = start(|req| match req.target.as_str() {
        "/old" => Reply::keep("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold"),
        _ => Reply::ok("next"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    assert_ok(&visitor.exchange("GET", &get("/old")).await, "old");
    assert_ok(&visitor.exchange("GET", &get("/next")).await, "next");
    assert_eq!(upstream.accepted(), 2);
    assert_eq!(upstream.seen(), ["0 GET /old", "1 GET /next"]);
}

/// A response to HEAD has no body whatever its `Content-Length` says (RFC 9110 §9.3.2): the
/// visitor gets the head, and the connection serves the next request at once (waiting for 50
/// bytes would hang it; taking the next response's bytes as a body would garble it).
#[tokio::test]
async fn reuses_the_connection_after_a_head_response_with_a_length_and_no_body() {
    let (proxy, upstream) = start(|req| match req.method.as_str() {
        "HEAD" => Reply::keep("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"),
        _ => Reply::ok("hello"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    let head = visitor
        .exchange("HEAD", "HEAD /doc HTTP/1.1\r\nHost: a\r\n\r\n")
        .await;
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.all("content-length"), ["50"], "{head:?}");
    assert_ok(&visitor.exchange("GET", &get("/doc")).await, "hello");
    assert!(visitor.buf.is_empty(), "{:?}", visitor.seen_text());
    assert_eq!(upstream.accepted(), 1);
    assert_eq!(upstream.seen(), ["0 HEAD /doc", "0 GET /doc"]);
}

// ---------------------------------------------------------------------------------------------
// Broken responses
// ---------------------------------------------------------------------------------------------

/// A head that cannot be parsed, or whose framing cannot be trusted, is a `502`; the connection
/// it came on is not used again, and the proxy goes on serving.
#[tokio::test]
async fn answers_502_to_a_malformed_response_head() {
    const BAD: [&str; 5] = [
        "HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok",
    ];
    let (proxy, upstream) = start(|req| match req.target.strip_prefix("/bad/") {
        Some(i) => Reply::keep(BAD[i.parse::<usize>().unwrap()]),
        None => Reply::ok("fine"),
    })
    .await;
    for (i, bad) in BAD.iter().enumerate() {
        let mut visitor = Visitor::open(&proxy).await;
        let raw = visitor.exchange("GET", &get(&format!("/bad/{i}"))).await;
        assert_eq!(
            raw.status, 502,
            "upstream sent {bad:?}; visitor got {raw:?}"
        );
        assert_eq!(upstream.accepted(), i + 1, "after {bad:?}");
    }
    let mut visitor = Visitor::open(&proxy).await;
    assert_ok(&visitor.exchange("GET", &get("/ok")).await, "fine");
    assert_eq!(upstream.accepted(), BAD.len() + 1);
}

/// `Content-Length: 100`, ten bytes, then the close: the visitor's response must not look
/// complete (its connection ends before the 100 bytes, or before any byte), nothing hangs, and
/// the next visitor is served on a new upstream connection.
#[tokio::test]
async fn ends_the_visitor_response_early_when_the_upstream_closes_mid_body() {
    let (proxy, upstream) = start(|req| match req.target.as_str() {
        "/cut" => Reply::new(
            &[
                "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
                "0123456789",
            ],
            Then::Close,
        ),
        _ => Reply::ok("fine"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    visitor.send(get("/cut")).await;
    let got = visitor.until_close().await;
    let text = String::from_utf8_lossy(&got).into_owned();
    if !got.is_empty() {
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("an incomplete head: {text:?}"));
        assert!(head.starts_with("HTTP/1.1 200 "), "{text:?}");
        let head = head.to_ascii_lowercase();
        if head.contains("transfer-encoding: chunked") {
            assert!(
                !body.ends_with("0\r\n\r\n"),
                "a truncated body presented whole: {text:?}"
            );
        } else {
            assert!(head.contains("content-length: 100"), "{text:?}");
            assert!(body.len() < 100, "{text:?}");
            assert!("0123456789".starts_with(body), "{text:?}");
        }
    }
    let mut visitor = Visitor::open(&proxy).await;
    assert_ok(&visitor.exchange("GET", &get("/ok")).await, "fine");
    assert_eq!(upstream.seen(), ["0 GET /cut", "1 GET /ok"]);
}

// ---------------------------------------------------------------------------------------------
// The retry rule (`[proxy.timeouts] idle` in docs/configuration.md)
// ---------------------------------------------------------------------------------------------

/// The upstream closes a keep-alive connection right after its response: the next GET gets its
/// `200` (the dead connection noticed before use, or the request retried on a new one), never a
/// `502`.
#[tokio::test]
async fn a_get_after_the_upstream_closed_the_idle_connection_gets_200() {
    let (proxy, upstream) = start(|req| match req.target.as_str() {
        "/first" => Reply::new(
            &["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"],
            Then::HalfClose,
        ),
        _ => Reply::ok("second"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    assert_ok(&visitor.exchange("GET", &get("/first")).await, "first");
    assert_ok(&visitor.exchange("GET", &get("/second")).await, "second");
    assert_eq!(upstream.accepted(), 2);
    let seen = upstream.seen();
    assert_eq!(
        seen.last().map(String::as_str),
        Some("1 GET /second"),
        "{seen:?}"
    );
}

/// The same with a `POST` with an empty body next: `200` when the dead connection is noticed
/// before use, or `502` as documented, but the upstream never receives the POST twice.
#[tokio::test]
async fn a_post_after_the_upstream_closed_the_idle_connection_is_never_sent_twice() {
    let (proxy, upstream) = start(|req| match req.target.as_str() {
        "/first" => Reply::new(
            &["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"],
            Then::HalfClose,
        ),
        _ => Reply::ok("posted"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    assert_ok(&visitor.exchange("GET", &get("/first")).await, "first");
    let post = "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
    let raw = visitor.exchange("POST", post).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let seen = upstream.seen();
    let posts = seen.iter().filter(|s| s.contains("POST")).count();
    assert!(
        posts <= 1,
        "the POST reached the upstream {posts} times: {seen:?}"
    );
    match raw.status {
        200 => {
            assert_eq!(raw.text(), "posted");
            assert_eq!(seen, ["0 GET /first", "1 POST /submit"]);
        }
        502 => {}
        other => panic!("{other}: {raw:?}; upstream saw {seen:?}"),
    }
}

/// The race made certain: the upstream reads the next GET on the reused connection and closes
/// it without a byte of response. The GET (idempotent, no body) goes again on a new connection.
#[tokio::test]
async fn retries_a_get_whose_reused_connection_closed_without_answering() {
    let (proxy, upstream) = start(|req| match (req.target.as_str(), req.conn) {
        ("/dropped", 0) => Reply::drop_connection(),
        ("/dropped", _) => Reply::ok("retried"),
        _ => Reply::ok("first"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    assert_ok(&visitor.exchange("GET", &get("/first")).await, "first");
    assert_ok(&visitor.exchange("GET", &get("/dropped")).await, "retried");
    assert_eq!(
        upstream.seen(),
        ["0 GET /first", "0 GET /dropped", "1 GET /dropped"]
    );
}

/// The same race with a `POST` (not idempotent): it may have been acted on, so the visitor gets
/// `502` and the upstream does not get it a second time.
#[tokio::test]
async fn answers_502_and_does_not_resend_a_post_whose_reused_connection_closed() {
    let (proxy, upstream) = start(|req| match (req.method.as_str(), req.conn) {
        ("POST", 0) => Reply::drop_connection(),
        ("POST", _) => Reply::ok("posted again"),
        _ => Reply::ok("first"),
    })
    .await;
    let mut visitor = Visitor::open(&proxy).await;
    assert_ok(&visitor.exchange("GET", &get("/first")).await, "first");
    let post = "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
    let raw = visitor.exchange("POST", post).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let seen = upstream.seen();
    assert_eq!(
        seen,
        ["0 GET /first", "0 POST /submit"],
        "visitor got {raw:?}"
    );
    assert_eq!(raw.status, 502, "{raw:?}");
}

// ---------------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------------

/// A visitor's chunked body (in two writes, with a chunk extension) reaches the upstream framed
/// anew: chunked, or with a `Content-Length`, never both, and decoding to the bytes sent.
#[tokio::test]
async fn reframes_a_chunked_request_body_for_the_upstream() {
    let (proxy, upstream) = start(|_req| Reply::ok("stored")).await;
    let mut visitor = Visitor::open(&proxy).await;
    visitor
        .send(
            "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        )
        .await;
    tokio::time::sleep(GAP).await;
    visitor.send("6;ext=x\r\n world\r\n0\r\n\r\n").await;
    assert_ok(&visitor.response_to("POST").await, "stored");
    let received = upstream.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let post = &received[0];
    assert_eq!(
        (post.method.as_str(), post.target.as_str()),
        ("POST", "/upload")
    );
    assert_eq!(
        String::from_utf8_lossy(&post.body),
        "hello world",
        "{post:?}"
    );
    let codings = post.all("transfer-encoding");
    let lengths = post.all("content-length");
    assert!(
        codings.is_empty() || lengths.is_empty(),
        "both framings upstream: {post:?}"
    );
    if codings.is_empty() {
        assert_eq!(lengths, ["11"], "{post:?}");
    } else {
        assert_eq!(codings, ["chunked"], "{post:?}");
    }
}
