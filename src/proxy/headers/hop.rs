//! Hop-by-hop header handling (RFC 9110 §7.6.1).
//!
//! A proxy terminates the connection on each side, so fields that describe *this* connection
//! must not be forwarded: a passed-on `Transfer-Encoding` or `Keep-Alive` would describe framing
//! and timeouts the next hop never agreed to, and a client could smuggle a second message
//! boundary past us. HTTP/2 forbids the same fields outright (RFC 9113 §8.2.2).

use http::header::{HeaderName, HeaderValue, CONNECTION, TE, TRAILER, TRANSFER_ENCODING, UPGRADE};
use http::Version;
use std::sync::LazyLock;

use super::present::{find_present, Sieve};
use crate::fields::FieldAccess;

/// The fields that are always connection-specific, whether or not `Connection` names them
/// (RFC 9110 §7.6.1). `Keep-Alive` and `Proxy-Connection` are not in `http`'s table but are
/// hop-by-hop too (RFC 9112 Appendix C.2.2). `Proxy-Authenticate` / `Proxy-Authorization` are
/// deliberately absent: RFC 9110 §11.7 makes them end-to-end, for a proxy chain to pass on.
static FIXED_HOP_BY_HOP: [HeaderName; 7] = [
    CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    TE,
    TRAILER,
    TRANSFER_ENCODING,
    UPGRADE,
];
static HOP_BY_HOP_SIEVE: LazyLock<Sieve> = LazyLock::new(|| Sieve::of(&FIXED_HOP_BY_HOP));
/// Where `CONNECTION` is in [`FIXED_HOP_BY_HOP`]: only a `Connection` line names more fields.
const CONNECTION_AT: usize = 0;

/// Splits every line of a list-valued field into trimmed, non-empty elements
/// (RFC 9110 §5.6.1: empty list elements are ignored).
pub fn split_list_elements<'a>(
    headers: &'a impl FieldAccess,
    name: &'a HeaderName,
) -> impl Iterator<Item = &'a [u8]> {
    headers
        .values_of(name)
        .flat_map(|line| line.as_bytes().split(|b| *b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|element| !element.is_empty())
}

/// Whether the connection stays open after this message (RFC 9112 §9.3): HTTP/1.1 unless a
/// `Connection` line says `close`; HTTP/1.0 only when one says `keep-alive`. The same rule for
/// the visitor's requests and the upstream's responses.
pub fn keeps_alive(headers: &impl FieldAccess, version: Version) -> bool {
    let mut options = split_list_elements(headers, &CONNECTION);
    if version == Version::HTTP_11 {
        !options.any(|o| o.eq_ignore_ascii_case(b"close"))
    } else {
        options.any(|o| o.eq_ignore_ascii_case(b"keep-alive"))
    }
}

/// Removes hop-by-hop fields: first every field named by any `Connection` line, then the fixed
/// set (`Connection`, `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`, `Transfer-Encoding`,
/// `Upgrade`).
///
/// RFC 9110 §7.6.1 requires an intermediary to remove the fields named as connection options
/// before forwarding. Every `Connection` line counts, tokens are compared case-insensitively and
/// tokens that are not valid field names are skipped rather than rejected, since they can name
/// nothing we could forward. End-to-end fields are left alone, including the proxy
/// authentication fields (RFC 9110 §11.7).
pub fn remove_hop_by_hop_headers(headers: &mut impl FieldAccess) {
    let present = find_present(headers, &FIXED_HOP_BY_HOP, *HOP_BY_HOP_SIEVE);
    if present.is_empty() {
        return;
    }
    if present.has(CONNECTION_AT) {
        remove_named_by_connection(headers);
    }
    for name in present.names(&FIXED_HOP_BY_HOP) {
        headers.remove_all(name);
    }
}

/// Removes every field a `Connection` line names, other than the fixed set.
fn remove_named_by_connection(headers: &mut impl FieldAccess) {
    // Collected first because removal needs the map mutably; `Vec::new` allocates only if a
    // token names a field outside the fixed set.
    let mut named: Vec<HeaderName> = Vec::new();
    for token in split_list_elements(headers, &CONNECTION) {
        if FIXED_HOP_BY_HOP
            .iter()
            .any(|n| token.eq_ignore_ascii_case(n.as_str().as_bytes()))
        {
            continue;
        }
        if let Ok(name) = HeaderName::from_bytes(token) {
            named.push(name);
        }
    }
    for name in named {
        headers.remove_all(&name);
    }
}

/// Returns the `Upgrade` value when the message really asks for a protocol switch: a
/// `Connection` line carries the `upgrade` option and an `Upgrade` field is present.
///
/// RFC 9110 §7.8 requires the sender of `Upgrade` to also send `Connection: upgrade`, because
/// `Upgrade` is itself hop-by-hop; an `Upgrade` without it was meant for some earlier hop and
/// must be ignored. Call this before [`remove_hop_by_hop_headers`], which removes both. Several
/// `Upgrade` lines are combined into one list value (RFC 9110 §5.3).
#[must_use]
pub fn requested_upgrade(headers: &impl FieldAccess) -> Option<HeaderValue> {
    if !split_list_elements(headers, &CONNECTION).any(|t| t.eq_ignore_ascii_case(b"upgrade")) {
        return None;
    }
    let mut lines = headers
        .values_of(&UPGRADE)
        .filter(|line| !line.as_bytes().trim_ascii().is_empty());
    let first = lines.next()?;
    let Some(second) = lines.next() else {
        return Some(first.clone());
    };
    let mut joined = first.as_bytes().to_vec();
    for line in std::iter::once(second).chain(lines) {
        joined.extend_from_slice(b", ");
        joined.extend_from_slice(line.as_bytes());
    }
    HeaderValue::from_maybe_shared(bytes::Bytes::from(joined)).ok()
}

/// Puts `Connection: upgrade` and `Upgrade: <value>` back after the hop-by-hop fields were
/// stripped, so that an upgrade handshake (e.g. WebSocket, RFC 6455 §4.1) reaches the next hop
/// as a valid RFC 9110 §7.8 request or response. HTTP/1.1 only: HTTP/2 forbids both fields
/// (RFC 9113 §8.2.2) and upgrades through extended CONNECT instead (RFC 8441).
pub fn restore_upgrade(headers: &mut impl FieldAccess, upgrade: HeaderValue) {
    headers.set(CONNECTION, HeaderValue::from_static("upgrade"));
    headers.set(UPGRADE, upgrade);
}

/// True if a `TE` line lists `trailers` (RFC 9110 §10.1.4).
///
/// `TE` is hop-by-hop, but whether the client can take trailers decides what the upstream may
/// send; gRPC servers refuse requests without `TE: trailers`, so the proxy forwards the option.
#[must_use]
pub fn accepts_trailers(headers: &impl FieldAccess) -> bool {
    split_list_elements(headers, &TE).any(|element| element.eq_ignore_ascii_case(b"trailers"))
}

/// Sets `TE: trailers` toward the upstream after stripping, when [`accepts_trailers`] said the
/// client takes them (RFC 9110 §10.1.4). Over HTTP/1.1 the caller must also list `TE` in
/// `Connection` (RFC 9110 §7.6.1); HTTP/2 allows exactly this value (RFC 9113 §8.2.2).
pub fn restore_te_trailers(headers: &mut impl FieldAccess) {
    headers.set(TE, HeaderValue::from_static("trailers"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{PROXY_AUTHENTICATE, PROXY_AUTHORIZATION};
    use http::HeaderMap;

    #[test]
    fn the_connection_index_names_connection_in_the_fixed_set() {
        assert_eq!(FIXED_HOP_BY_HOP[CONNECTION_AT], CONNECTION);
    }

    fn build_headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    fn collect_names(headers: &HeaderMap) -> Vec<&str> {
        let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        names
    }

    /// RFC 9110 §7.6.1: every `Connection` line counts, not only the first.
    #[test]
    fn removes_every_header_named_in_every_connection_line() {
        let mut h = build_headers(&[
            ("connection", "x-a, x-b"),
            ("connection", "x-c"),
            ("x-a", "1"),
            ("x-b", "2"),
            ("x-c", "3"),
            ("x-d", "4"),
        ]);
        remove_hop_by_hop_headers(&mut h);
        assert_eq!(collect_names(&h), ["x-d"]);
    }

    /// RFC 9110 §5.1: field names are case-insensitive, so `X-Foo` in `Connection` names `x-foo`.
    #[test]
    fn matches_connection_tokens_case_insensitively() {
        let mut h = build_headers(&[
            ("connection", "X-Foo,  CLOSE "),
            ("x-foo", "1"),
            ("close", "2"),
        ]);
        remove_hop_by_hop_headers(&mut h);
        assert!(h.is_empty());
    }

    /// RFC 9110 §7.6.1: a field with an end-to-end-looking name is still removed once it is
    /// named as a connection option, with all of its lines.
    #[test]
    fn removes_all_lines_of_an_end_to_end_name_listed_in_connection() {
        let mut h = build_headers(&[
            ("connection", "x-foo"),
            ("x-foo", "1"),
            ("x-foo", "2"),
            ("x-bar", "3"),
        ]);
        remove_hop_by_hop_headers(&mut h);
        assert_eq!(collect_names(&h), ["x-bar"]);
    }

    /// Edge case: invalid or empty tokens (RFC 9110 §5.6.1 empty elements) are skipped, not fatal.
    #[test]
    fn skips_garbage_connection_tokens_without_panicking() {
        let mut h = build_headers(&[
            ("connection", "a b, ,,"),
            ("connection", ""),
            ("connection", "x-ok, (\"bad\")"),
            ("x-ok", "1"),
            ("accept", "*/*"),
        ]);
        remove_hop_by_hop_headers(&mut h);
        assert_eq!(collect_names(&h), ["accept"]);
    }

    /// Edge case: non-ASCII bytes in a `Connection` line are not a valid name and are skipped.
    #[test]
    fn skips_non_ascii_connection_tokens() {
        let mut h = HeaderMap::new();
        let value = HeaderValue::from_bytes(b"x-\xe9, x-ok").expect("obs-text is a valid value");
        h.append(CONNECTION, value);
        h.append("x-ok", HeaderValue::from_static("1"));
        h.append("x-keep", HeaderValue::from_static("1"));
        remove_hop_by_hop_headers(&mut h);
        assert_eq!(collect_names(&h), ["x-keep"]);
    }

    /// RFC 9110 §7.6.1 / RFC 9112 Appendix C.2.2: the fixed set goes even when not named.
    #[test]
    fn removes_the_fixed_hop_by_hop_set() {
        let mut h = build_headers(&[
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("trailer", "x-checksum"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("connection", "close"),
        ]);
        remove_hop_by_hop_headers(&mut h);
        assert!(h.is_empty());
    }

    /// RFC 9110 §11.7: proxy authentication fields are end-to-end and must survive, as must
    /// ordinary end-to-end fields.
    #[test]
    fn keeps_end_to_end_headers_including_proxy_authentication() {
        let mut h = build_headers(&[
            ("proxy-authenticate", "Basic realm=\"p\""),
            ("proxy-authorization", "Basic Zm9vOmJhcg=="),
            ("content-type", "text/html"),
            ("cookie", "a=b"),
            ("connection", "keep-alive"),
        ]);
        remove_hop_by_hop_headers(&mut h);
        assert!(h.contains_key(PROXY_AUTHENTICATE));
        assert!(h.contains_key(PROXY_AUTHORIZATION));
        assert_eq!(collect_names(&h).len(), 4);
    }

    /// RFC 9110 §7.8: `Connection: upgrade` plus `Upgrade` is an upgrade request.
    #[test]
    fn detects_an_upgrade_request() {
        let h = build_headers(&[("connection", "Upgrade"), ("upgrade", "websocket")]);
        assert_eq!(
            requested_upgrade(&h),
            Some(HeaderValue::from_static("websocket"))
        );
    }

    /// RFC 9110 §7.8: the `upgrade` option may sit among others in any `Connection` line.
    #[test]
    fn detects_upgrade_among_other_connection_options() {
        let h = build_headers(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket"),
        ]);
        assert_eq!(
            requested_upgrade(&h),
            Some(HeaderValue::from_static("websocket"))
        );
        let h = build_headers(&[
            ("connection", "keep-alive"),
            ("connection", "UPGRADE"),
            ("upgrade", "h2c"),
        ]);
        assert_eq!(requested_upgrade(&h), Some(HeaderValue::from_static("h2c")));
    }

    /// RFC 9110 §7.8: `Upgrade` without the `upgrade` connection option is ignored.
    #[test]
    fn ignores_upgrade_without_connection_upgrade() {
        let h = build_headers(&[("upgrade", "websocket")]);
        assert_eq!(requested_upgrade(&h), None);
        let h = build_headers(&[
            ("connection", "keep-alive, upgraded"),
            ("upgrade", "websocket"),
        ]);
        assert_eq!(requested_upgrade(&h), None);
    }

    /// RFC 9110 §7.8: `Connection: upgrade` alone, or with an empty `Upgrade`, offers nothing.
    #[test]
    fn ignores_connection_upgrade_without_an_upgrade_value() {
        assert_eq!(
            requested_upgrade(&build_headers(&[("connection", "upgrade")])),
            None
        );
        let h = build_headers(&[("connection", "upgrade"), ("upgrade", " ")]);
        assert_eq!(requested_upgrade(&h), None);
    }

    /// RFC 9110 §5.3: several `Upgrade` lines mean one comma-joined list.
    #[test]
    fn joins_multiple_upgrade_lines() {
        let h = build_headers(&[
            ("connection", "upgrade"),
            ("upgrade", "h2c"),
            ("upgrade", "websocket"),
        ]);
        assert_eq!(
            requested_upgrade(&h),
            Some(HeaderValue::from_static("h2c, websocket"))
        );
    }

    /// RFC 9110 §7.8 / RFC 6455 §4.1: a WebSocket handshake survives stripping once restored.
    #[test]
    fn restores_the_upgrade_handshake_after_stripping() {
        let mut h = build_headers(&[
            ("connection", "Upgrade, x-a"),
            ("upgrade", "websocket"),
            ("x-a", "1"),
        ]);
        let upgrade = requested_upgrade(&h);
        remove_hop_by_hop_headers(&mut h);
        assert!(h.is_empty());
        restore_upgrade(&mut h, upgrade.expect("an upgrade was requested"));
        assert_eq!(
            h.get(CONNECTION),
            Some(&HeaderValue::from_static("upgrade"))
        );
        assert_eq!(h.get(UPGRADE), Some(&HeaderValue::from_static("websocket")));
        assert_eq!(h.len(), 2);
    }

    /// RFC 9110 §10.1.4: `trailers` is found case-insensitively in any `TE` line.
    #[test]
    fn detects_trailers_in_te() {
        assert!(accepts_trailers(&build_headers(&[(
            "te",
            "gzip;q=0.5, Trailers"
        )])));
        assert!(accepts_trailers(&build_headers(&[
            ("te", "gzip"),
            ("te", "trailers")
        ])));
    }

    /// RFC 9110 §10.1.4: other codings, or a token merely containing `trailers`, do not count.
    #[test]
    fn does_not_detect_trailers_when_absent() {
        assert!(!accepts_trailers(&build_headers(&[])));
        assert!(!accepts_trailers(&build_headers(&[(
            "te",
            "gzip, no-trailers"
        )])));
    }

    /// RFC 9113 §8.2.2: `TE: trailers` is the one value allowed on toward the upstream.
    #[test]
    fn restores_te_trailers_after_stripping() {
        let mut h = build_headers(&[("te", "trailers, deflate")]);
        let trailers = accepts_trailers(&h);
        remove_hop_by_hop_headers(&mut h);
        assert!(trailers);
        restore_te_trailers(&mut h);
        assert_eq!(h.get(TE), Some(&HeaderValue::from_static("trailers")));
        assert_eq!(h.len(), 1);
    }
}
