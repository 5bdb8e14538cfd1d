//! A request head off the wire (RFC 9112 §2–§3): parsed with `httparse`, turned into an
//! `http::Request` whose header values point into the received bytes (no copy), and judged for
//! how its body is framed (§6.3), strictly: every ambiguity a request could be smuggled through is
//! refused with 400 rather than guessed at.

use bytes::{Bytes, BytesMut};
use http::header::TRANSFER_ENCODING;
use http::header::{CONTENT_LENGTH, EXPECT, HOST};
use http::uri::Authority;
use http::{Method, StatusCode, Uri, Version};

use super::fields::{build_fields, field_slots, locate_fields, parse_length, span, FieldRanges};
use crate::fields::{FieldAccess, Fields};
use crate::proxy::arena::copy_to_shared;
use crate::proxy::headers::hop::{keeps_alive, split_list_elements};
use crate::proxy::request::ProxyRequest;

/// The largest request head accepted (request line and fields); larger gets 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How the request's body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// A parsed request head and what the connection needs to know about it.
pub struct Head {
    pub request: ProxyRequest<()>,
    pub framing: Framing,
    /// Whether the visitor wants the connection kept open after this exchange.
    pub keep_alive: bool,
    /// `Expect: 100-continue`: the visitor waits for a go-ahead before sending the body.
    pub expects_continue: bool,
}

/// A head that cannot be served: answered with `status`, then the connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    pub status: StatusCode,
    pub reason: &'static str,
}

impl Rejection {
    const fn bad(reason: &'static str) -> Self {
        Rejection {
            status: StatusCode::BAD_REQUEST,
            reason,
        }
    }

    const fn too_large(reason: &'static str) -> Self {
        Rejection {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            reason,
        }
    }
}

/// Takes one complete head off the front of `buf`: `Ok(None)` when more bytes are needed.
pub fn parse_head(buf: &mut BytesMut) -> Result<Option<Head>, Rejection> {
    let mut slots = field_slots();
    let mut parsed = httparse::Request::new(&mut []);
    let base = buf.as_ptr() as usize;
    let len = match parsed.parse_with_uninit_headers(buf, &mut slots) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD_BYTES => {
            return Err(Rejection::too_large("request head too large"))
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Rejection::too_large("too many header fields"))
        }
        Err(_) => return Err(Rejection::bad("malformed request head")),
    };
    if len > MAX_HEAD_BYTES {
        return Err(Rejection::too_large("request head too large"));
    }
    let (Some(method), Some(target), Some(minor)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(Rejection::bad("malformed request line"));
    };
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|_| Rejection::bad("malformed method"))?;
    let target = span(target.as_bytes(), base);
    let version = if minor == 1 {
        Version::HTTP_11
    } else {
        Version::HTTP_10
    };
    let mut ranges = FieldRanges::new();
    locate_fields(parsed.headers, base, &mut ranges);

    // The header values point into `head` for as long as the request lives (waiting for an
    // upstream connection, say). A head alone in a larger read buffer is copied out, so that it
    // keeps its own few hundred bytes alive rather than the whole buffer (into this thread's
    // shared block: no allocation of its own).
    let head = if buf.len() == len && buf.capacity() >= 2 * len {
        let head = copy_to_shared(buf);
        buf.clear();
        head
    } else {
        buf.split_to(len).freeze()
    };
    let (at, target_len) = target;
    let uri = Uri::from_maybe_shared(head.slice(at..at + target_len))
        .map_err(|_| Rejection::bad("malformed request target"))?;
    // Room for the forwarding fields the proxy adds.
    let headers = build_fields(&head, &ranges, 8).map_err(Rejection::bad)?;
    check_host(&headers, &head, version)?;
    let framing = read_framing(&headers, version)?;
    let keep_alive = keeps_alive(&headers, version);
    let expects_continue = version == Version::HTTP_11
        && headers
            .first(&EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let request = ProxyRequest {
        method,
        uri,
        version,
        fields: headers,
        body: (),
        upgrade: None,
    };
    Ok(Some(Head {
        request,
        framing,
        keep_alive,
        expects_continue,
    }))
}

/// RFC 9112 §3.2: an HTTP/1.1 request carries exactly one `Host`; more than one is refused in
/// any version, since the proxy and the upstream could pick different ones.
fn check_host(headers: &Fields, head: &Bytes, version: Version) -> Result<(), Rejection> {
    let mut hosts = headers.values_of(&HOST);
    match (hosts.next(), hosts.next()) {
        (None, _) if version == Version::HTTP_11 => Err(Rejection::bad("missing Host")),
        (Some(_), Some(_)) => Err(Rejection::bad("more than one Host")),
        // `uri-host [":" port]` (RFC 9110 §7.2): no userinfo, nothing an authority cannot hold.
        (Some(host), None)
            if host.as_bytes().contains(&b'@') || !is_authority(host.as_bytes(), head) =>
        {
            Err(Rejection::bad("malformed Host"))
        }
        _ => Ok(()),
    }
}

/// Whether `host` parses as a URI authority. It is read from `head`'s bytes when it lies in them
/// (as every value of a parsed head does): `Authority::try_from` a slice would copy it into an
/// allocation only to drop it.
fn is_authority(host: &[u8], head: &Bytes) -> bool {
    let start = (host.as_ptr() as usize).wrapping_sub(head.as_ptr() as usize);
    match head.get(start..start.saturating_add(host.len())) {
        Some(within) if within.as_ptr() == host.as_ptr() && !host.is_empty() => {
            Authority::from_maybe_shared(head.slice(start..start + host.len())).is_ok()
        }
        _ => Authority::try_from(host).is_ok(),
    }
}

/// RFC 9112 §6.3, strictly: `Transfer-Encoding` must end in `chunked` (and is refused beside a
/// `Content-Length`, or in HTTP/1.0); every `Content-Length` must be the same plain number.
fn read_framing(headers: &Fields, version: Version) -> Result<Framing, Rejection> {
    let mut codings = split_list_elements(headers, &TRANSFER_ENCODING).peekable();
    if codings.peek().is_some() {
        if version == Version::HTTP_10 {
            return Err(Rejection::bad("Transfer-Encoding in an HTTP/1.0 request"));
        }
        if headers.has(&CONTENT_LENGTH) {
            return Err(Rejection::bad("both Transfer-Encoding and Content-Length"));
        }
        let (count, last) = codings.fold((0, None), |(count, _), coding| (count + 1, Some(coding)));
        if !last.is_some_and(|coding| coding.eq_ignore_ascii_case(b"chunked")) {
            return Err(Rejection::bad("the last transfer coding is not chunked"));
        }
        if count > 1 {
            // A coding before `chunked` (gzip, ...) would have to be kept for the upstream.
            return Err(Rejection {
                status: StatusCode::NOT_IMPLEMENTED,
                reason: "unsupported transfer coding",
            });
        }
        return Ok(Framing::Chunked);
    }
    let mut length = None;
    // Not `split_list_elements`: an empty element is malformed here, not skipped.
    let values = headers.values_of(&CONTENT_LENGTH);
    for value in values.flat_map(|v| v.as_bytes().split(|&b| b == b',')) {
        let value = value.trim_ascii();
        let parsed = parse_length(value).ok_or(Rejection::bad("malformed Content-Length"))?;
        if length.is_some_and(|known| known != parsed) {
            return Err(Rejection::bad("conflicting Content-Length values"));
        }
        length = Some(parsed);
    }
    Ok(match length {
        None | Some(0) => Framing::None,
        Some(length) => Framing::Length(length),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<Head>, Rejection> {
        parse_head(&mut BytesMut::from(text))
    }

    fn rejected(text: &str) -> StatusCode {
        match parse(text) {
            Err(rejection) => rejection.status,
            Ok(_) => panic!("accepted: {text:?}"),
        }
    }

    #[test]
    fn parses_a_get_and_leaves_the_next_request_in_the_buffer() {
        let mut buf = BytesMut::from("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\nGET /next");
        let head = parse_head(&mut buf).unwrap().unwrap();
        assert_eq!(head.request.method, Method::GET);
        assert_eq!(head.request.uri, "/a?b=1");
        let x_a = http::HeaderName::from_static("x-a");
        assert_eq!(head.request.fields.first(&x_a).unwrap(), "1");
        assert_eq!(head.framing, Framing::None);
        assert!(head.keep_alive);
        assert_eq!(&buf[..], b"GET /next");
    }

    #[test]
    fn waits_for_the_rest_of_a_partial_head() {
        assert!(parse("GET / HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
    }

    #[test]
    fn reads_content_length_and_chunked_framing() {
        let head = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(head.unwrap().unwrap().framing, Framing::Length(5));
        let head = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n");
        assert_eq!(head.unwrap().unwrap().framing, Framing::Length(5));
        let head = parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n");
        assert_eq!(head.unwrap().unwrap().framing, Framing::Chunked);
    }

    #[test]
    fn refuses_every_ambiguous_body_framing() {
        for bad in [
            "Content-Length: 5\r\nContent-Length: 6",
            "Content-Length: +5",
            "Content-Length: -1",
            "Content-Length: 1 2",
            "Content-Length: abc",
            "Content-Length: ",
            "Content-Length: 5,",
            "Content-Length: 99999999999999999999",
            "Content-Length: 4\r\nTransfer-Encoding: chunked",
            "Transfer-Encoding: gzip",
            "Transfer-Encoding: chunked, identity",
        ] {
            let text = format!("POST / HTTP/1.1\r\nHost: x\r\n{bad}\r\n\r\n");
            assert_eq!(rejected(&text), StatusCode::BAD_REQUEST, "{bad}");
        }
        let gzip_chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
        assert_eq!(rejected(gzip_chunked), StatusCode::NOT_IMPLEMENTED);
        let old = "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(rejected(old), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn requires_exactly_one_well_formed_host_in_http_1_1() {
        assert_eq!(rejected("GET / HTTP/1.1\r\n\r\n"), StatusCode::BAD_REQUEST);
        let two = "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
        assert_eq!(rejected(two), StatusCode::BAD_REQUEST);
        let bad = "GET / HTTP/1.1\r\nHost: a b\r\n\r\n";
        assert_eq!(rejected(bad), StatusCode::BAD_REQUEST);
        assert!(parse("GET / HTTP/1.0\r\n\r\n").unwrap().is_some());
        assert!(parse("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")
            .unwrap()
            .is_some());
    }

    #[test]
    fn checks_a_host_inside_the_head_or_outside_it_alike() {
        let head = Bytes::from_static(b"Host: example.org:80\r\nX-A: a b\r\n");
        assert!(is_authority(&head[6..20], &head));
        assert!(!is_authority(&head[27..30], &head));
        assert!(is_authority(b"example.org:80", &head));
        assert!(!is_authority(b"a b", &head));
        assert!(!is_authority(b"", &head));
    }

    #[test]
    fn keeps_http_1_0_open_only_on_request() {
        let head = parse("GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(!head.keep_alive);
        let head = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assert!(head.unwrap().unwrap().keep_alive);
        let head = parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: te, close\r\n\r\n");
        assert!(!head.unwrap().unwrap().keep_alive);
    }

    #[test]
    fn refuses_oversized_heads_and_too_many_fields_with_431() {
        let big = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        assert_eq!(rejected(&big), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let many: String = (0..=super::super::fields::MAX_FIELDS)
            .map(|i| format!("X-{i}: 1\r\n"))
            .collect();
        let many = format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n");
        assert_eq!(rejected(&many), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }

    #[test]
    fn refuses_garbage_and_folded_fields() {
        assert_eq!(rejected("HELLO\r\n\r\n"), StatusCode::BAD_REQUEST);
        let folded = "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n";
        assert_eq!(rejected(folded), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn notes_expect_100_continue() {
        let head =
            parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n");
        assert!(head.unwrap().unwrap().expects_continue);
    }
}
