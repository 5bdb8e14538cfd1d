use super::*;

fn build_rewrite(public_host: &str) -> HostRewrite {
    HostRewrite::new("https", "portal.opendatasoft.com", None, public_host)
}

fn relocate_with(rw: &HostRewrite, value: &[u8], public_scheme: &str) -> Option<String> {
    let value = HeaderValue::from_bytes(value).expect("test value is valid");
    let got = rw.rewrite_location(&value, public_scheme)?;
    Some(String::from_utf8_lossy(got.as_bytes()).into_owned())
}

fn relocate(value: &str) -> Option<String> {
    relocate_with(&build_rewrite("Data.City.fr"), value.as_bytes(), "https")
}

fn rewrite_cookie_with(rw: &HostRewrite, value: &[u8]) -> Option<String> {
    let value = HeaderValue::from_bytes(value).expect("test value is valid");
    let got = rw.rewrite_cookie_domain(&value)?;
    Some(String::from_utf8_lossy(got.as_bytes()).into_owned())
}

fn rewrite_cookie(value: &str) -> Option<String> {
    rewrite_cookie_with(&build_rewrite("Data.City.fr"), value.as_bytes())
}

/// RFC 9110 §10.2.2: an absolute https redirect to the upstream moves to the public host.
#[test]
fn rewrites_an_absolute_https_location() {
    let got = relocate("https://portal.opendatasoft.com/explore/");
    assert_eq!(got.as_deref(), Some("https://data.city.fr/explore/"));
}

/// RFC 6454 §5: an http upstream with a port matches; the visitor's scheme is used.
#[test]
fn rewrites_an_absolute_http_location_to_the_public_scheme() {
    let rw = HostRewrite::new("http", "backend.local", Some(8080), "data.city.fr:8443");
    let got = relocate_with(&rw, b"http://backend.local:8080/a", "https");
    assert_eq!(got.as_deref(), Some("https://data.city.fr:8443/a"));
}

/// RFC 3986 §6.2.3: `:443` on https, an empty port and no port are the same origin.
#[test]
fn treats_the_default_port_as_equal_to_no_port() {
    assert!(relocate("https://portal.opendatasoft.com:443/x").is_some());
    assert!(relocate("https://portal.opendatasoft.com:/x").is_some());
    let rw = HostRewrite::new("https", "portal.opendatasoft.com", Some(443), "d.fr");
    assert!(relocate_with(&rw, b"https://portal.opendatasoft.com/x", "https").is_some());
}

/// RFC 6454 §5: another port or another scheme is another origin, left alone.
#[test]
fn leaves_a_different_port_or_scheme_untouched() {
    assert_eq!(relocate("https://portal.opendatasoft.com:8443/x"), None);
    assert_eq!(relocate("https://portal.opendatasoft.com:99999/x"), None);
    assert_eq!(relocate("http://portal.opendatasoft.com/x"), None);
}

/// RFC 3986 §6.2.2.1: scheme and host compare case-insensitively; the path keeps its case.
#[test]
fn matches_scheme_and_host_case_insensitively() {
    let got = relocate("HTTPS://Portal.OpenDataSoft.COM/Path");
    assert_eq!(got.as_deref(), Some("https://data.city.fr/Path"));
}

/// RFC 3986 §3.2: the authority ends at `/`, `?` or `#`; the rest is kept byte for byte.
#[test]
fn preserves_path_query_and_fragment_bytes() {
    let got = relocate("https://portal.opendatasoft.com/a%2F?q=%C3%A9#f?");
    let expected = "https://data.city.fr/a%2F?q=%C3%A9#f?";
    assert_eq!(got.as_deref(), Some(expected));
    let got = relocate("https://portal.opendatasoft.com?next=/x");
    assert_eq!(got.as_deref(), Some("https://data.city.fr?next=/x"));
    let got = relocate("https://portal.opendatasoft.com#top");
    assert_eq!(got.as_deref(), Some("https://data.city.fr#top"));
}

/// RFC 3986 §4.2: relative references already resolve against the public host.
#[test]
fn leaves_relative_locations_untouched() {
    for value in [
        "/login",
        "next?u=https://portal.opendatasoft.com/",
        "?a",
        "#f",
        "",
    ] {
        assert_eq!(relocate(value), None, "{value}");
    }
}

/// Edge case: a host that merely starts or ends like the upstream is another host.
#[test]
fn leaves_lookalike_hosts_untouched() {
    for value in [
        "https://portal.opendatasoft.com.evil.example/",
        "https://evilportal.opendatasoft.com/",
        "https://portal.opendatasoft.comx/",
        "https://portal.opendatasoft.com./",
    ] {
        assert_eq!(relocate(value), None, "{value}");
    }
}

/// RFC 3986 §3.2.1: an authority with userinfo is never treated as the upstream.
#[test]
fn leaves_userinfo_authorities_untouched() {
    for value in [
        "https://portal.opendatasoft.com@evil.example/",
        "https://user:pw@portal.opendatasoft.com/",
        "//portal.opendatasoft.com@evil.example/",
    ] {
        assert_eq!(relocate(value), None, "{value}");
    }
}

/// RFC 3986 §4.2: a scheme-relative reference to the upstream stays scheme-relative.
#[test]
fn rewrites_a_scheme_relative_location() {
    let got = relocate("//PORTAL.opendatasoft.com:443/a?b");
    assert_eq!(got.as_deref(), Some("//data.city.fr/a?b"));
    assert_eq!(relocate("//evil.example/a"), None);
}

/// RFC 3986 §3.2.2: an IPv6 upstream matches its bracketed literal and port.
#[test]
fn rewrites_a_bracketed_ipv6_upstream() {
    let rw = HostRewrite::new("http", "[::1]", Some(8080), "data.city.fr");
    let got = relocate_with(&rw, b"http://[::1]:8080/x", "http");
    assert_eq!(got.as_deref(), Some("http://data.city.fr/x"));
    assert_eq!(relocate_with(&rw, b"http://[::1]/x", "http"), None);
}

/// Edge case: non-UTF-8 values are left alone.
#[test]
fn leaves_non_utf8_values_untouched() {
    let rw = build_rewrite("data.city.fr");
    let got = relocate_with(&rw, b"https://portal.opendatasoft.com/\xff", "https");
    assert_eq!(got, None);
    let got = rewrite_cookie_with(&rw, b"a=\xff; Domain=portal.opendatasoft.com");
    assert_eq!(got, None);
}

/// RFC 6265 §5.1.3: a Domain equal to the upstream host becomes the public host.
#[test]
fn rewrites_a_cookie_domain_equal_to_the_upstream_host() {
    let got = rewrite_cookie("sid=1; Domain=portal.opendatasoft.com");
    assert_eq!(got.as_deref(), Some("sid=1; Domain=data.city.fr"));
}

/// RFC 6265 §5.2.3: a leading `.` is ignored for matching and kept; §5.1.3: case-insensitive.
#[test]
fn rewrites_a_dotted_upper_case_cookie_domain() {
    let got = rewrite_cookie("sid=1; domain=.PORTAL.opendatasoft.com");
    assert_eq!(got.as_deref(), Some("sid=1; domain=.data.city.fr"));
}

/// RFC 6265 §5.1.3: a parent domain of the upstream host domain-matches it.
#[test]
fn rewrites_a_parent_cookie_domain() {
    let got = rewrite_cookie("sid=1; Domain=opendatasoft.com");
    assert_eq!(got.as_deref(), Some("sid=1; Domain=data.city.fr"));
}

/// RFC 6265 §5.1.3: unrelated domains and suffixes off a label boundary do not match.
#[test]
fn leaves_an_unrelated_cookie_domain_untouched() {
    for domain in ["example.com", "datasoft.com", "x.portal.opendatasoft.com"] {
        assert_eq!(rewrite_cookie(&format!("a=b; Domain={domain}")), None);
    }
}

/// RFC 6265 §5.2: WSP around the name and `=` is allowed and kept as is.
#[test]
fn rewrites_a_cookie_domain_with_spaces_around_the_equals_sign() {
    let got = rewrite_cookie("sid=1;  Domain = portal.opendatasoft.com\t;Path=/");
    let expected = "sid=1;  Domain = data.city.fr\t;Path=/";
    assert_eq!(got.as_deref(), Some(expected));
}

/// RFC 6265 §5.2: the name/value pair is never parsed as an attribute.
#[test]
fn ignores_domain_text_inside_the_cookie_value() {
    for pair in [
        "q=Domain=portal.opendatasoft.com",
        "Domain=portal.opendatasoft.com",
    ] {
        assert_eq!(rewrite_cookie(pair), None);
        assert_eq!(rewrite_cookie(&format!("{pair}; Path=/")), None);
    }
}

/// RFC 6265 §5.2: every other byte, attribute order and case included, is preserved.
#[test]
fn preserves_every_other_byte_of_the_cookie() {
    let got = rewrite_cookie("id=a%3Bb; Max-Age=60;DOMAIN=Portal.OpenDataSoft.com ; SameSite=Lax");
    let expected = "id=a%3Bb; Max-Age=60;DOMAIN=data.city.fr ; SameSite=Lax";
    assert_eq!(got.as_deref(), Some(expected));
}

/// RFC 6265 §5.3: the last Domain wins, so every matching one is rewritten.
#[test]
fn rewrites_every_matching_domain_attribute() {
    let value = "a=b; Domain=opendatasoft.com; Domain=example.com; domain=portal.opendatasoft.com";
    let got = rewrite_cookie(value);
    let expected = "a=b; Domain=data.city.fr; Domain=example.com; domain=data.city.fr";
    assert_eq!(got.as_deref(), Some(expected));
}

/// RFC 6265 §5.1.3: a Domain naming an IP is rejected, so it is dropped for an IP host.
#[test]
fn drops_the_domain_attribute_for_an_ip_public_host() {
    for public in ["192.0.2.1", "192.0.2.1:8080", "[2001:db8::1]:8443", "::1"] {
        let value = b"a=b; Domain=portal.opendatasoft.com; Path=/;Domain=.opendatasoft.com";
        let got = rewrite_cookie_with(&build_rewrite(public), value);
        assert_eq!(got.as_deref(), Some("a=b; Path=/"), "{public}");
    }
}

/// RFC 6265 §5.2.3: a cookie domain is a host name, so the public host's port is left out.
#[test]
fn strips_the_port_from_the_public_host_in_cookie_domains() {
    let rw = build_rewrite("data.city.fr:8443");
    let got = rewrite_cookie_with(&rw, b"a=b; Domain=opendatasoft.com");
    assert_eq!(got.as_deref(), Some("a=b; Domain=data.city.fr"));
}

/// RFC 6265 §5.2.3: no Domain, an empty one, or one without `=` leaves nothing to change.
#[test]
fn returns_none_without_a_usable_domain_attribute() {
    for value in [
        "a=b",
        "a=b; Path=/; Secure",
        "a=b; Domain=",
        "a=b;Domain=.",
        "a=b; Domain",
    ] {
        assert_eq!(rewrite_cookie(value), None, "{value}");
    }
}

/// Edge case: a Domain that already names the public host needs no rewrite.
#[test]
fn returns_none_when_the_domain_is_already_the_public_host() {
    let rw = build_rewrite("portal.opendatasoft.com");
    let got = rewrite_cookie_with(&rw, b"a=b; Domain=portal.opendatasoft.com");
    assert_eq!(got, None);
}
