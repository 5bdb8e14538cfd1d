//! Forwarding headers (`X-Forwarded-*`, `X-Real-IP`, RFC 7239 `Forwarded`), `Via`
//! (RFC 9110 §7.6.3) and the `X-Request-Id` correlation id.
//!
//! The upstream sees only the proxy's address, so these fields tell it who the client was.
//! They are only as trustworthy as the hop that wrote them: a chain is extended only when the
//! peer is a configured trusted proxy, and otherwise replaced, so clients cannot spoof them.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::{LazyLock, OnceLock};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, FORWARDED, VIA};
use http::Version;
use ipnet::IpNet;

use super::present::{find_present, Present, Sieve};
use crate::fields::FieldAccess;
use crate::proxy::arena::copy_to_shared;

/// De facto list of client and proxy addresses, oldest first.
pub static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// De facto scheme (`http`/`https`) the client used to reach the first proxy.
pub static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// De facto authority the client asked the first proxy for.
pub static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// De facto single client address (nginx convention).
pub static X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
/// Correlation id shared by every hop and log line of one request.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming request id we propagate; longer ones are replaced to bound log lines.
const MAX_REQUEST_ID_LEN: usize = 128;

/// What the proxy knows about the hop it is adding.
#[derive(Debug, Clone, Copy)]
pub struct Hop<'a> {
    /// The TCP peer of this connection.
    pub peer: IpAddr,
    /// `peer` as a field value ([`ip_value`]), made once per connection.
    pub peer_value: &'a HeaderValue,
    /// `"http"` or `"https"`: the scheme the client used to reach us.
    pub proto: &'static str,
    /// The authority the client asked for (`Host` or HTTP/2 `:authority`), if any: the
    /// request's own value, which `X-Forwarded-Host` then shares rather than copies.
    pub host: Option<&'a HeaderValue>,
    /// The peer is one of the configured trusted proxies.
    pub trusted: bool,
    /// The connection's `Forwarded` element, kept from its earlier requests.
    pub element: &'a ElementMemo,
}

/// One connection's `Forwarded` element, made for its first request and given again to the
/// next ones: it depends on the peer, the scheme and the host, and only the host can change
/// between the requests of a connection (an element for another host is made afresh). One per
/// connection: the peer is not part of what it compares.
#[derive(Debug, Default)]
pub struct ElementMemo(OnceLock<Element>);

/// An element, with the scheme and host it was made for.
type Element = (&'static str, Option<HeaderValue>, Option<HeaderValue>);

impl ElementMemo {
    fn element(&self, peer: IpAddr, hop: &Hop<'_>) -> Option<HeaderValue> {
        if let Some((proto, host, element)) = self.0.get() {
            if *proto == hop.proto && host.as_ref() == hop.host {
                return element.clone();
            }
        }
        let element = to_header_value(format_forwarded_element(peer, hop));
        // Kept only the first time: a connection's first host is nearly always its only one.
        let _ = self.0.set((hop.proto, hop.host.cloned(), element.clone()));
        element
    }
}

impl Hop<'_> {
    /// The authority as text, when it is visible ASCII (what a `Host` must be).
    fn host_text(&self) -> Option<&str> {
        self.host.and_then(|host| host.to_str().ok())
    }
}

/// Tells whether `peer` lies in one of the `trusted` networks.
///
/// A dual-stack listener reports IPv4 clients as IPv4-mapped IPv6 (`::ffff:a.b.c.d`, RFC 4291
/// §2.5.5.2), so the peer is also matched in canonical form, letting `10.0.0.0/8` match them.
#[must_use]
pub fn is_trusted_proxy(peer: IpAddr, trusted: &[IpNet]) -> bool {
    let canonical = peer.to_canonical();
    trusted
        .iter()
        .any(|net| net.contains(&canonical) || net.contains(&peer))
}

/// Sets `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Real-IP` and RFC 7239
/// `Forwarded` for this hop.
///
/// From a trusted peer the incoming chains are extended (RFC 7239 §4: each proxy appends its
/// element) and the single-valued fields are kept, since that proxy saw the real client. From
/// anyone else every incoming forwarding line is dropped and a fresh chain holding only this hop
/// is written, because a client can put anything there. Incoming lines are joined as opaque
/// bytes; a value that still could not be built falls back to a fresh chain, never a panic.
pub fn add_forwarding_headers(headers: &mut impl FieldAccess, hop: &Hop<'_>) -> Origin {
    let peer = hop.peer.to_canonical();
    let element = hop.element.element(peer, hop);
    let proto = HeaderValue::from_maybe_shared(Bytes::from_static(hop.proto.as_bytes())).ok();
    let host = hop
        .host_text()
        .filter(|h| !h.is_empty())
        .and(hop.host)
        .cloned();
    let mut present = find_present(headers, &FORWARDING, *FORWARDING_SIEVE);
    if !hop.trusted {
        for name in present.names(&FORWARDING) {
            headers.remove_all(name);
        }
        present = Present::default();
    }
    let fields = [
        (PROTO, proto),
        (HOST, host),
        (REAL_IP, Some(hop.peer_value.clone())),
    ];
    // What each field says once set: a kept one is read back, this hop's own is known. A
    // field `present` does not hold is absent (or was just removed), so it is added without
    // looking for it again.
    let [proto, host, real_ip] = fields.map(|(index, value)| {
        if present.has(index) {
            return headers.first(&FORWARDING[index]).cloned();
        }
        let value = value?;
        headers.add(FORWARDING[index].clone(), value.clone());
        Some(value)
    });
    let chains = [(FOR, Some(hop.peer_value.clone())), (ELEMENTS, element)];
    for (index, ours) in chains {
        match ours {
            Some(ours) if present.has(index) => append_to_chain(headers, &FORWARDING[index], ours),
            Some(ours) => headers.add(FORWARDING[index].clone(), ours),
            None => {}
        }
    }
    Origin {
        proto,
        host,
        real_ip,
    }
}

/// The visitor's origin as the single-valued forwarding fields tell it once this hop has set
/// them (a trusted hop's kept, or this hop's own): what the rest of the request needs from them
/// without looking them up again.
#[derive(Debug, Default)]
pub struct Origin {
    /// `X-Forwarded-Proto`.
    pub proto: Option<HeaderValue>,
    /// `X-Forwarded-Host`.
    pub host: Option<HeaderValue>,
    /// `X-Real-IP`.
    pub real_ip: Option<HeaderValue>,
}

/// The forwarding fields, looked for in one pass over the request's names (the same names as
/// the statics above, which a test checks).
static FORWARDING: [HeaderName; 5] = [
    HeaderName::from_static("x-forwarded-for"),
    FORWARDED,
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-real-ip"),
];
static FORWARDING_SIEVE: LazyLock<Sieve> = LazyLock::new(|| Sieve::of(&FORWARDING));
const FOR: usize = 0;
const ELEMENTS: usize = 1;
const PROTO: usize = 2;
const HOST: usize = 3;
const REAL_IP: usize = 4;

/// An address as a field value (`192.0.2.7`, `2001:db8::1`), for [`Hop::peer_value`].
pub fn ip_value(ip: IpAddr) -> HeaderValue {
    // An address's text is always a valid value; the fallback only keeps this total.
    to_header_value(ip.to_string()).unwrap_or_else(|| HeaderValue::from_static("unknown"))
}

/// This proxy's `Via` entries, `<protocol-version> <pseudonym>` (e.g. `1.1 consentry`), one per
/// protocol version, made once rather than with every message.
///
/// RFC 9110 §7.6.3 requires every proxy to append itself, on requests and responses, so that
/// loops and protocol downgrades along the chain can be seen; the `HTTP/` prefix is omitted as
/// the protocol is HTTP. Existing lines are kept, combined with ours into one value. A pseudonym
/// that is not a valid field value leaves the field untouched.
pub struct ViaEntries {
    entries: Vec<(Version, HeaderValue)>,
}

impl ViaEntries {
    pub fn new(pseudonym: &str) -> ViaEntries {
        let versions = [
            Version::HTTP_09,
            Version::HTTP_10,
            Version::HTTP_11,
            Version::HTTP_2,
            Version::HTTP_3,
        ];
        let entries = versions
            .into_iter()
            .filter_map(|version| {
                let protocol = format_via_protocol_version(version);
                let entry = format!("{protocol} {pseudonym}");
                Some((version, to_header_value(entry)?))
            })
            .collect();
        ViaEntries { entries }
    }

    /// Appends the entry for a message of `version` to its `Via`.
    pub fn append(&self, headers: &mut impl FieldAccess, version: Version) {
        if let Some((_, entry)) = self.entries.iter().find(|(v, _)| *v == version) {
            append_to_chain(headers, &VIA, entry.clone());
        }
    }
}

/// Keeps a usable incoming `X-Request-Id` (the first line: 1 to 128 bytes of ASCII
/// alphanumerics and `-_.:/+=`) or replaces every line with a fresh hyphenated UUID v4, and
/// returns the id in effect.
///
/// Propagating the caller's id lets operators correlate one request across every hop's logs;
/// validating it keeps log injection and unbounded log lines out. Extra lines are collapsed to
/// the kept one so the upstream cannot see two ids.
pub fn ensure_request_id(headers: &mut impl FieldAccess) -> HeaderValue {
    let (usable, several) = {
        let mut lines = headers.values_of(&X_REQUEST_ID);
        let first = lines.next();
        let usable = first
            .filter(|v| is_usable_request_id(v.as_bytes()))
            .cloned();
        (usable, lines.next().is_some())
    };
    if let Some(id) = usable {
        if several {
            headers.set(X_REQUEST_ID.clone(), id.clone());
        }
        return id;
    }
    let id = generate_request_id();
    headers.set(X_REQUEST_ID.clone(), id.clone());
    id
}

/// Checks the id charset and length so that a propagated id is safe to log verbatim.
fn is_usable_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(b))
}

/// Generates a random UUID v4 id, in this thread's shared block rather than an allocation of
/// its own (see `proxy::arena`); its 36 ASCII bytes are always a valid value, the nil UUID
/// fallback only keeps the function total without `expect`.
fn generate_request_id() -> HeaderValue {
    let mut buf = uuid::Uuid::encode_buffer();
    let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    HeaderValue::from_maybe_shared(copy_to_shared(text.as_bytes()))
        .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-0000-0000-000000000000"))
}

/// Maps the message version to the `Via` protocol-version (RFC 9110 §7.6.3). `http::Version`
/// cannot hold any other version; the fallback only satisfies the non-exhaustive match.
fn format_via_protocol_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

/// Combines all existing lines of a list field into one value and appends `ours`
/// (RFC 9110 §5.3: lines of a list field are equivalent to one comma-joined line). Blank lines
/// are skipped so the result never starts with `, `. If the joined bytes are not a valid value,
/// the chain restarts with `ours`.
fn append_to_chain(headers: &mut impl FieldAccess, name: &HeaderName, ours: HeaderValue) {
    let mut joined = Vec::new();
    let mut lines = 0;
    for line in headers.values_of(name) {
        lines += 1;
        let line = line.as_bytes().trim_ascii();
        if !line.is_empty() {
            joined.extend_from_slice(line);
            joined.extend_from_slice(b", ");
        }
    }
    if lines == 0 {
        // The usual case: no chain yet, and no need to look for one again.
        headers.add(name.clone(), ours);
        return;
    }
    if joined.is_empty() {
        headers.set(name.clone(), ours);
        return;
    }
    joined.extend_from_slice(ours.as_bytes());
    let value = HeaderValue::from_maybe_shared(Bytes::from(joined)).unwrap_or(ours);
    headers.set(name.clone(), value);
}

/// Builds `for=<node>;proto=<proto>[;host=<host>]` (RFC 7239 §4, §5). IPv6 nodes are bracketed
/// and quoted because `:` is not a token character (RFC 7239 §6).
fn format_forwarded_element(peer: IpAddr, hop: &Hop<'_>) -> String {
    let mut out = String::with_capacity(64);
    // The address's text, made once per connection; formatted afresh only should it not be.
    match (peer, hop.peer_value.to_str()) {
        (IpAddr::V4(_), Ok(text)) => {
            out.push_str("for=");
            out.push_str(text);
        }
        (IpAddr::V6(_), Ok(text)) => {
            out.push_str("for=\"[");
            out.push_str(text);
            out.push_str("]\"");
        }
        // Writing to a String cannot fail.
        (IpAddr::V4(v4), Err(_)) => drop(write!(out, "for={v4}")),
        (IpAddr::V6(v6), Err(_)) => drop(write!(out, "for=\"[{v6}]\"")),
    }
    if is_quotable(hop.proto) {
        out.push_str(";proto=");
        push_token_or_quoted(&mut out, hop.proto);
    }
    if let Some(host) = hop.host_text().filter(|h| is_quotable(h)) {
        out.push_str(";host=");
        push_token_or_quoted(&mut out, host);
    }
    out
}

/// Writes `value` bare if it is a token, else as a quoted-string with `\` and `"` escaped
/// (RFC 7239 §4, RFC 9110 §5.6.2 token, §5.6.4 quoted-string).
fn push_token_or_quoted(out: &mut String, value: &str) {
    if value.bytes().all(is_tchar) {
        out.push_str(value);
        return;
    }
    out.push('"');
    // Runs between escapes are copied whole (an authority with a port is quoted every time).
    let mut rest = value;
    while let Some(at) = rest.bytes().position(|b| b == b'"' || b == b'\\') {
        let (run, escaped) = rest.split_at(at);
        out.push_str(run);
        out.push('\\');
        out.push_str(escaped.get(..1).unwrap_or_default());
        rest = escaped.get(1..).unwrap_or_default();
    }
    out.push_str(rest);
    out.push('"');
}

/// A value fits a quoted-string if it is non-empty and has no control characters other than
/// HTAB (RFC 9110 §5.6.4 qdtext / quoted-pair); such values are left out instead.
fn is_quotable(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`'
        | b'|' | b'~')
}

/// Turns a freshly built string into a value without copying it; `None` if it is invalid.
fn to_header_value(text: String) -> Option<HeaderValue> {
    HeaderValue::from_maybe_shared(Bytes::from(text)).ok()
}

#[cfg(test)]
mod tests;
