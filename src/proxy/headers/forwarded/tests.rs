use super::*;
use http::HeaderMap;

fn to_value(bytes: &[u8]) -> HeaderValue {
    HeaderValue::from_bytes(bytes).expect("test value is a valid header value")
}

fn parse_ip(text: &str) -> IpAddr {
    text.parse().expect("test address parses")
}

/// Runs [`add_forwarding_headers`] for an `https` hop on a copy of `incoming`.
fn forward(incoming: &HeaderMap, peer: &str, host: Option<&str>, trusted: bool) -> HeaderMap {
    let mut h = incoming.clone();
    let peer = parse_ip(peer);
    let host = host.map(|host| to_value(host.as_bytes()));
    let hop = Hop {
        peer,
        peer_value: &ip_value(peer.to_canonical()),
        proto: "https",
        host: host.as_ref(),
        trusted,
        element: &ElementMemo::default(),
    };
    add_forwarding_headers(&mut h, &hop);
    h
}

/// All lines of a field, one per text line, so a test also sees how many there are.
fn read(headers: &HeaderMap, name: &HeaderName) -> String {
    let lines = headers.get_all(name).iter().map(HeaderValue::as_bytes);
    String::from_utf8_lossy(&lines.collect::<Vec<_>>().join(&b'\n')).into_owned()
}

fn spoof() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.append(&X_FORWARDED_FOR, to_value(b"1.1.1.1"));
    h.append(&X_FORWARDED_FOR, to_value(b"2.2.2.2, 3.3.3.3"));
    h.append(&FORWARDED, to_value(b"for=1.1.1.1;proto=https"));
    h.append(&FORWARDED, to_value(b"for=2.2.2.2"));
    h.append(&X_FORWARDED_PROTO, to_value(b"http"));
    h.append(&X_FORWARDED_HOST, to_value(b"evil.example"));
    h.append(&X_REAL_IP, to_value(b"1.1.1.1"));
    h
}

/// RFC 7239 §8.1: fields from an untrusted client are replaced by a chain holding this hop.
#[test]
fn replaces_every_spoofed_forwarding_header_from_an_untrusted_peer() {
    let h = forward(&spoof(), "192.0.2.7", Some("data.city.fr"), false);
    assert_eq!(read(&h, &X_FORWARDED_FOR), "192.0.2.7");
    let fwd = read(&h, &FORWARDED);
    assert_eq!(fwd, "for=192.0.2.7;proto=https;host=data.city.fr");
    assert_eq!(read(&h, &X_FORWARDED_PROTO), "https");
    assert_eq!(read(&h, &X_FORWARDED_HOST), "data.city.fr");
    assert_eq!(read(&h, &X_REAL_IP), "192.0.2.7");
}

/// RFC 7239 §4: a trusted proxy's chains are extended, all incoming lines joined in order.
#[test]
fn extends_multi_line_chains_from_a_trusted_peer() {
    let h = forward(&spoof(), "10.0.0.2", Some("data.city.fr"), true);
    let xff = "1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.2";
    assert_eq!(read(&h, &X_FORWARDED_FOR), xff);
    let fwd = "for=1.1.1.1;proto=https, for=2.2.2.2, for=10.0.0.2;proto=https;host=data.city.fr";
    assert_eq!(read(&h, &FORWARDED), fwd);
}

/// Edge case: a trusted proxy's single-valued fields describe the real client and are kept.
#[test]
fn keeps_incoming_proto_host_and_real_ip_from_a_trusted_peer() {
    let h = forward(&spoof(), "10.0.0.2", Some("data.city.fr"), true);
    assert_eq!(read(&h, &X_FORWARDED_PROTO), "http");
    assert_eq!(read(&h, &X_FORWARDED_HOST), "evil.example");
    assert_eq!(read(&h, &X_REAL_IP), "1.1.1.1");
}

/// Edge case: a trusted peer that sent nothing gets every field from this hop.
#[test]
fn fills_missing_fields_from_the_hop_for_a_trusted_peer() {
    let h = forward(&HeaderMap::new(), "10.0.0.2", Some("data.city.fr"), true);
    assert_eq!(read(&h, &X_FORWARDED_FOR), "10.0.0.2");
    assert_eq!(read(&h, &X_FORWARDED_PROTO), "https");
    assert_eq!(read(&h, &X_FORWARDED_HOST), "data.city.fr");
    assert_eq!(read(&h, &X_REAL_IP), "10.0.0.2");
}

/// RFC 7239 §6: an IPv6 node is bracketed and quoted; XFF and X-Real-IP carry it bare.
#[test]
fn quotes_and_brackets_an_ipv6_peer_in_forwarded() {
    let h = forward(&HeaderMap::new(), "2001:db8::1", None, false);
    assert_eq!(read(&h, &FORWARDED), r#"for="[2001:db8::1]";proto=https"#);
    assert_eq!(read(&h, &X_FORWARDED_FOR), "2001:db8::1");
    assert_eq!(read(&h, &X_REAL_IP), "2001:db8::1");
}

/// RFC 4291 §2.5.5.2: an IPv4-mapped peer is written as the IPv4 address it stands for.
#[test]
fn normalises_an_ipv4_mapped_peer_to_ipv4() {
    let h = forward(&HeaderMap::new(), "::ffff:192.0.2.1", None, false);
    assert_eq!(read(&h, &FORWARDED), "for=192.0.2.1;proto=https");
    assert_eq!(read(&h, &X_FORWARDED_FOR), "192.0.2.1");
}

/// RFC 7239 §4: a host that is not a token (a port's `:`) is quoted, `"` and `\` escaped.
#[test]
fn quotes_a_host_that_is_not_a_token() {
    let h = forward(&HeaderMap::new(), "192.0.2.1", Some("d.fr:8443"), false);
    let fwd = read(&h, &FORWARDED);
    assert_eq!(fwd, r#"for=192.0.2.1;proto=https;host="d.fr:8443""#);
    let h = forward(&HeaderMap::new(), "192.0.2.1", Some("a\"b\\c"), false);
    let fwd = read(&h, &FORWARDED);
    assert_eq!(fwd, r#"for=192.0.2.1;proto=https;host="a\"b\\c""#);
}

/// RFC 7239 §5.3: without a known authority, `host=` and X-Forwarded-Host are left out.
#[test]
fn omits_host_when_the_authority_is_unknown() {
    let h = forward(&spoof(), "192.0.2.1", None, false);
    assert_eq!(read(&h, &FORWARDED), "for=192.0.2.1;proto=https");
    assert!(!h.contains_key(&X_FORWARDED_HOST));
}

/// Edge case: a `Host` value that is not text (bytes above 0x7F; control characters never get
/// this far, a field value cannot hold them) is left out of both fields, no panic.
#[test]
fn omits_a_host_that_is_not_text() {
    let mut h = HeaderMap::new();
    let peer = parse_ip("192.0.2.1");
    let host = to_value(b"caf\xe9.fr");
    let hop = Hop {
        peer,
        peer_value: &ip_value(peer),
        proto: "https",
        host: Some(&host),
        trusted: false,
        element: &ElementMemo::default(),
    };
    add_forwarding_headers(&mut h, &hop);
    assert_eq!(read(&h, &FORWARDED), "for=192.0.2.1;proto=https");
    assert!(!h.contains_key(&X_FORWARDED_HOST));
}

/// Edge case: non-ASCII incoming lines are joined as opaque bytes; blank lines skipped.
#[test]
fn joins_non_ascii_and_skips_blank_incoming_lines() {
    let mut incoming = HeaderMap::new();
    incoming.append(&X_FORWARDED_FOR, to_value(b"caf\xe9"));
    incoming.append(&X_FORWARDED_FOR, to_value(b" "));
    let h = forward(&incoming, "10.0.0.2", None, true);
    let xff: Vec<_> = h.get_all(&X_FORWARDED_FOR).iter().collect();
    assert_eq!(xff, [&to_value(b"caf\xe9, 10.0.0.2")]);
}

/// Edge case: membership works for IPv4 and IPv6 networks alike.
#[test]
fn trusts_peers_inside_v4_and_v6_networks() {
    let nets: [IpNet; 2] = [
        "10.0.0.0/8".parse().expect("net"),
        "2001:db8::/32".parse().expect("net"),
    ];
    assert!(is_trusted_proxy(parse_ip("10.1.2.3"), &nets));
    assert!(is_trusted_proxy(parse_ip("2001:db8::5"), &nets));
    assert!(!is_trusted_proxy(parse_ip("192.0.2.1"), &nets));
    assert!(!is_trusted_proxy(parse_ip("2001:db9::1"), &nets));
    assert!(!is_trusted_proxy(parse_ip("10.1.2.3"), &[]));
}

/// RFC 4291 §2.5.5.2: an IPv4-mapped peer matches IPv4 networks (and mapped networks).
#[test]
fn trusts_an_ipv4_mapped_peer_inside_a_v4_network() {
    let v4: IpNet = "10.0.0.0/8".parse().expect("net");
    let mapped: IpNet = "::ffff:10.0.0.0/104".parse().expect("net");
    assert!(is_trusted_proxy(parse_ip("::ffff:10.9.9.9"), &[v4]));
    assert!(is_trusted_proxy(parse_ip("::ffff:10.9.9.9"), &[mapped]));
    assert!(!is_trusted_proxy(parse_ip("::ffff:192.0.2.1"), &[v4]));
}

/// RFC 9110 §7.6.3: the first proxy creates `Via`.
#[test]
fn appends_via_when_absent() {
    let mut h = HeaderMap::new();
    ViaEntries::new("consentry").append(&mut h, Version::HTTP_11);
    assert_eq!(read(&h, &VIA), "1.1 consentry");
}

/// RFC 9110 §7.6.3 / §5.3: existing lines are kept, combined, and ours comes last.
#[test]
fn appends_via_after_combined_existing_lines() {
    let mut h = HeaderMap::new();
    h.append(&VIA, to_value(b"1.0 fred, 1.1 p.example.net"));
    h.append(&VIA, to_value(b"2 edge"));
    ViaEntries::new("consentry").append(&mut h, Version::HTTP_11);
    let via = read(&h, &VIA);
    assert_eq!(via, "1.0 fred, 1.1 p.example.net, 2 edge, 1.1 consentry");
}

/// RFC 9110 §7.6.3: the protocol name `HTTP` is omitted, so HTTP/2 is just `2`.
#[test]
fn writes_the_bare_protocol_version_for_every_http_version() {
    let versions = [Version::HTTP_09, Version::HTTP_10, Version::HTTP_11];
    let versions = versions
        .into_iter()
        .chain([Version::HTTP_2, Version::HTTP_3]);
    for (version, expected) in versions.zip(["0.9 c", "1.0 c", "1.1 c", "2 c", "3 c"]) {
        let mut h = HeaderMap::new();
        ViaEntries::new("c").append(&mut h, version);
        assert_eq!(read(&h, &VIA), expected);
    }
}

/// Edge case: a pseudonym that is not a valid field value leaves `Via` untouched.
#[test]
fn leaves_via_untouched_for_an_invalid_pseudonym() {
    let mut h = HeaderMap::new();
    h.append(&VIA, to_value(b"1.1 edge"));
    ViaEntries::new("bad\npseudonym").append(&mut h, Version::HTTP_11);
    assert_eq!(read(&h, &VIA), "1.1 edge");
}

/// Edge case: a well-formed incoming id (up to 128 bytes, full charset) is propagated.
#[test]
fn keeps_a_usable_incoming_request_id() {
    let longest = format!("{}Z9-_.:/+=0AzB", "a".repeat(115));
    assert_eq!(longest.len(), MAX_REQUEST_ID_LEN);
    for id in [longest.as_str(), "abc"] {
        let mut h = HeaderMap::new();
        h.insert(&X_REQUEST_ID, to_value(id.as_bytes()));
        assert_eq!(ensure_request_id(&mut h), id);
        assert_eq!(read(&h, &X_REQUEST_ID), id);
    }
}

/// Edge case: extra id lines are collapsed to the kept first one.
#[test]
fn collapses_extra_request_id_lines_to_the_first() {
    let mut h = HeaderMap::new();
    h.append(&X_REQUEST_ID, to_value(b"first"));
    h.append(&X_REQUEST_ID, to_value(b"second"));
    assert_eq!(ensure_request_id(&mut h), "first");
    assert_eq!(read(&h, &X_REQUEST_ID), "first");
}

/// RFC 9562 §5.4: a missing id is replaced by a hyphenated UUID version 4.
#[test]
fn generates_a_uuid_v4_request_id_when_absent() {
    let mut h = HeaderMap::new();
    let id = ensure_request_id(&mut h);
    let text = id.to_str().expect("generated id is ASCII");
    let uuid = uuid::Uuid::parse_str(text).expect("generated id is a UUID");
    assert_eq!((text.len(), uuid.get_version_num()), (36, 4));
    assert_eq!(h.get(&X_REQUEST_ID), Some(&id));
}

/// Edge case (log injection): empty, too long, spaced or non-ASCII ids are all replaced.
#[test]
fn replaces_an_unusable_request_id() {
    let too_long = "a".repeat(MAX_REQUEST_ID_LEN + 1);
    let bad: [&[u8]; 5] = [b"", too_long.as_bytes(), b"a b", b"caf\xc3\xa9", b"a\"b"];
    for value in bad {
        let mut h = HeaderMap::new();
        h.append(&X_REQUEST_ID, to_value(value));
        h.append(&X_REQUEST_ID, to_value(b"good"));
        let id = ensure_request_id(&mut h);
        assert_eq!(id.len(), 36);
        assert_eq!(h.get_all(&X_REQUEST_ID).iter().collect::<Vec<_>>(), [&id]);
    }
}

/// Edge case: generated ids are random, not a constant.
#[test]
fn generates_different_request_ids() {
    let first = ensure_request_id(&mut HeaderMap::new());
    let second = ensure_request_id(&mut HeaderMap::new());
    assert_ne!(first, second);
}

#[test]
fn the_forwarding_names_looked_for_are_the_published_ones() {
    let published = [
        &X_FORWARDED_FOR,
        &FORWARDED,
        &X_FORWARDED_PROTO,
        &X_FORWARDED_HOST,
        &X_REAL_IP,
    ];
    for (index, name) in [FOR, ELEMENTS, PROTO, HOST, REAL_IP]
        .into_iter()
        .zip(published)
    {
        assert_eq!(&FORWARDING[index], name);
    }
}

/// The element kept for a connection serves its later requests only while they name the same
/// host and scheme; another host or scheme gets its own.
#[test]
fn a_connection_reuses_its_element_only_for_the_same_host_and_scheme() {
    let memo = ElementMemo::default();
    let peer = parse_ip("192.0.2.1");
    let peer_value = ip_value(peer);
    let forward_with = |host: &str, proto: &'static str| {
        let mut h = HeaderMap::new();
        let host = to_value(host.as_bytes());
        let hop = Hop {
            peer,
            peer_value: &peer_value,
            proto,
            host: Some(&host),
            trusted: false,
            element: &memo,
        };
        add_forwarding_headers(&mut h, &hop);
        read(&h, &FORWARDED)
    };
    let first = "for=192.0.2.1;proto=https;host=portal.example";
    assert_eq!(forward_with("portal.example", "https"), first);
    assert_eq!(forward_with("portal.example", "https"), first);
    assert_eq!(
        forward_with("other.example", "https"),
        "for=192.0.2.1;proto=https;host=other.example"
    );
    assert_eq!(
        forward_with("portal.example", "http"),
        "for=192.0.2.1;proto=http;host=portal.example"
    );
    assert_eq!(forward_with("portal.example", "https"), first);
}
