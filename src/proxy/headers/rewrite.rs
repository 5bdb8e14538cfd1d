//! Public-host rewriting of redirects and cookie domains (like nginx `proxy_redirect` and
//! `proxy_cookie_domain`).
//!
//! When visitors reach a portal under a public host (`data.city.fr`) that differs from the
//! upstream's (`portal.opendatasoft.com`), a `Location` naming the upstream sends the browser
//! off-site, and a cookie whose `Domain` names the upstream is rejected because it does not
//! domain-match the request host (RFC 6265 §5.3 step 6). Both are rewritten to the public host.
//! Values are scanned as bytes; nothing is allocated unless something is rewritten.

use std::net::IpAddr;

use bytes::Bytes;
use http::header::HeaderValue;

/// The upstream origin and the public host, prepared once at config load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRewrite {
    /// Lowercase upstream scheme (`http` or `https`).
    upstream_scheme: Box<str>,
    /// Lowercase upstream host, without brackets for IPv6 literals.
    upstream_host: Box<str>,
    /// Upstream port after applying the scheme default, so `:443` and no port compare equal.
    upstream_port: Option<u16>,
    /// An IP upstream host only domain-matches itself (RFC 6265 §5.1.3).
    upstream_host_is_ip: bool,
    /// Lowercase `host[:port]` that visitors use.
    public_host: Box<str>,
    /// The public host without port for cookie `Domain`; `None` when it is an IP address,
    /// which browsers reject as a `Domain` (RFC 6265 §5.1.3), so the attribute is dropped.
    cookie_domain: Option<Box<str>>,
}

impl HostRewrite {
    /// Prepares the rewrite rules. `upstream_scheme` is `http` or `https`, `upstream_host` a
    /// host without port, `upstream_port` `None` for the scheme's default, and `public_host` the
    /// `host[:port]` visitors use. Hosts and scheme are lowercased (RFC 3986 §6.2.2.1).
    #[must_use]
    pub fn new(
        upstream_scheme: &str,
        upstream_host: &str,
        upstream_port: Option<u16>,
        public_host: &str,
    ) -> Self {
        let upstream_scheme = upstream_scheme.to_ascii_lowercase();
        let upstream_host = strip_brackets(upstream_host).to_ascii_lowercase();
        let public_host = public_host.to_ascii_lowercase();
        let public_hostname = match public_host.parse::<IpAddr>() {
            Ok(_) => public_host.as_str(),
            Err(_) => split_host_port(public_host.as_bytes())
                .and_then(|(host, _)| std::str::from_utf8(host).ok())
                .unwrap_or(&public_host),
        };
        let cookie_domain = match strip_brackets(public_hostname).parse::<IpAddr>() {
            Ok(_) => None,
            Err(_) => Some(public_hostname.into()),
        };
        Self {
            upstream_port: upstream_port.or_else(|| find_default_port(&upstream_scheme)),
            upstream_host_is_ip: upstream_host.parse::<IpAddr>().is_ok(),
            upstream_scheme: upstream_scheme.into(),
            upstream_host: upstream_host.into(),
            public_host: public_host.into(),
            cookie_domain,
        }
    }

    /// Rewrites an absolute (`scheme://authority…`) or scheme-relative (`//authority…`)
    /// `Location` / `Content-Location` whose origin is the upstream (RFC 9110 §10.2.2, §8.7)
    /// into `<public_scheme>://<public_host><rest>` (resp. `//<public_host><rest>`), `rest`
    /// being the path, query and fragment byte for byte.
    ///
    /// Origins compare per RFC 6454 §5: scheme and host case-insensitively, ports after
    /// defaults (RFC 3986 §6.2.3). The authority ends at the first `/`, `?` or `#` (RFC 3986
    /// §3.2); one holding `@` is never ours, so `https://upstream@evil.example/` stays as is.
    /// Returns `None` when there is nothing to change, including relative references, other
    /// hosts, look-alikes and non-UTF-8 values.
    #[must_use]
    pub fn rewrite_location(
        &self,
        value: &HeaderValue,
        public_scheme: &str,
    ) -> Option<HeaderValue> {
        let bytes = value.as_bytes();
        std::str::from_utf8(bytes).ok()?;
        let (scheme, hier_part) = match bytes.strip_prefix(b"//") {
            Some(hier_part) => (None, hier_part),
            None => {
                let colon = bytes.iter().position(|&b| b == b':')?;
                let scheme = &bytes[..colon];
                if !scheme.eq_ignore_ascii_case(self.upstream_scheme.as_bytes()) {
                    return None;
                }
                (Some(public_scheme), bytes[colon + 1..].strip_prefix(b"//")?)
            }
        };
        let end = hier_part
            .iter()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(hier_part.len());
        let (authority, rest) = hier_part.split_at(end);
        if !self.is_upstream_authority(authority) {
            return None;
        }
        let mut out =
            Vec::with_capacity(public_scheme.len() + 3 + self.public_host.len() + rest.len());
        if let Some(scheme) = scheme {
            out.extend_from_slice(scheme.as_bytes());
            out.push(b':');
        }
        out.extend_from_slice(b"//");
        out.extend_from_slice(self.public_host.as_bytes());
        out.extend_from_slice(rest);
        HeaderValue::from_maybe_shared(Bytes::from(out)).ok()
    }

    /// Rewrites every `Domain` attribute of one `Set-Cookie` line that domain-matches the
    /// upstream host (RFC 6265 §5.1.3, leading `.` ignored per §5.2.3) to the public host
    /// without port, or drops it when the public host is an IP address.
    ///
    /// Only the domain's bytes change; the name/value pair before the first `;` is never read
    /// as an attribute (RFC 6265 §5.2), and every Domain that matches is rewritten since the
    /// last one wins (§5.3). Returns `None` when nothing changes or the value is not UTF-8.
    #[must_use]
    pub fn rewrite_cookie_domain(&self, set_cookie: &HeaderValue) -> Option<HeaderValue> {
        let bytes = set_cookie.as_bytes();
        std::str::from_utf8(bytes).ok()?;
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut separator = bytes.iter().position(|&b| b == b';')?;
        loop {
            let attr_start = separator + 1;
            let attr_end = bytes[attr_start..]
                .iter()
                .position(|&b| b == b';')
                .map_or(bytes.len(), |p| attr_start + p);
            if let Some((from, to)) = self.find_matching_domain(bytes, attr_start, attr_end) {
                let (from, to, replacement) = match &self.cookie_domain {
                    Some(domain) => (from, to, domain.as_bytes()),
                    None => (separator, attr_end, &b""[..]),
                };
                if bytes[from..to] != *replacement {
                    let buf = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 16));
                    buf.extend_from_slice(&bytes[copied..from]);
                    buf.extend_from_slice(replacement);
                    copied = to;
                }
            }
            if attr_end == bytes.len() {
                break;
            }
            separator = attr_end;
        }
        let mut buf = out?;
        buf.extend_from_slice(&bytes[copied..]);
        HeaderValue::from_maybe_shared(Bytes::from(buf)).ok()
    }

    /// Checks that an authority names the upstream: no userinfo, same host ignoring case, same
    /// port after defaults (RFC 3986 §3.2, §6.2.3).
    fn is_upstream_authority(&self, authority: &[u8]) -> bool {
        if authority.contains(&b'@') {
            return false;
        }
        let Some((host, port)) = split_host_port(authority) else {
            return false;
        };
        host.eq_ignore_ascii_case(self.upstream_host.as_bytes())
            && port.or_else(|| find_default_port(&self.upstream_scheme)) == self.upstream_port
    }

    /// Finds the domain bytes (after an optional leading `.`) of a `Domain` attribute in
    /// `bytes[start..end]` that domain-matches the upstream host (RFC 6265 §5.2, §5.2.3).
    fn find_matching_domain(
        &self,
        bytes: &[u8],
        start: usize,
        end: usize,
    ) -> Option<(usize, usize)> {
        let eq = start + bytes[start..end].iter().position(|&b| b == b'=')?;
        let (name_start, name_end) = trim_wsp(bytes, start, eq);
        if !bytes[name_start..name_end].eq_ignore_ascii_case(b"domain") {
            return None;
        }
        let (mut value_start, value_end) = trim_wsp(bytes, eq + 1, end);
        if value_start < value_end && bytes[value_start] == b'.' {
            value_start += 1;
        }
        let domain = &bytes[value_start..value_end];
        (!domain.is_empty() && self.domain_matches_upstream(domain))
            .then_some((value_start, value_end))
    }

    /// RFC 6265 §5.1.3: the host equals the domain, or ends with `.` + domain and is not an IP.
    fn domain_matches_upstream(&self, domain: &[u8]) -> bool {
        let host = self.upstream_host.as_bytes();
        if host.eq_ignore_ascii_case(domain) {
            return true;
        }
        let Some(dot) = host.len().checked_sub(domain.len() + 1) else {
            return false;
        };
        !self.upstream_host_is_ip
            && host[dot] == b'.'
            && host[dot + 1..].eq_ignore_ascii_case(domain)
    }
}

/// Default port of the schemes the proxy speaks (RFC 9110 §4.2.1, §4.2.2).
fn find_default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// Splits `host[:port]` or `[v6]:port`; an empty port means the default (RFC 3986 §3.2.3).
/// `None` if the port is not a number below 65536 or an IPv6 literal is malformed.
fn split_host_port(authority: &[u8]) -> Option<(&[u8], Option<u16>)> {
    let (host, port) = match authority.strip_prefix(b"[") {
        Some(inner) => {
            let close = inner.iter().position(|&b| b == b']')?;
            let port = match &inner[close + 1..] {
                [] => None,
                [b':', port @ ..] => Some(port),
                _ => return None,
            };
            (&inner[..close], port)
        }
        None => match authority.iter().rposition(|&b| b == b':') {
            Some(colon) => (&authority[..colon], Some(&authority[colon + 1..])),
            None => (authority, None),
        },
    };
    match port {
        None | Some([]) => Some((host, None)),
        Some(digits) => Some((host, Some(parse_port(digits)?))),
    }
}

/// Parses an all-digit port without allocating; `None` on any other byte or overflow.
fn parse_port(digits: &[u8]) -> Option<u16> {
    digits.iter().try_fold(0u16, |acc, &b| {
        let digit = b.is_ascii_digit().then(|| u16::from(b - b'0'))?;
        acc.checked_mul(10)?.checked_add(digit)
    })
}

/// Removes the brackets around an IPv6 literal, so `[::1]` and `::1` compare equal.
fn strip_brackets(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Trims RFC 6265 §5.2 WSP (space, tab) from `bytes[start..end]`, returning the new bounds.
fn trim_wsp(bytes: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && matches!(bytes[start], b' ' | b'\t') {
        start += 1;
    }
    while end > start && matches!(bytes[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    (start, end)
}

#[cfg(test)]
mod tests;
