//! Cleanup: the `Set-Cookie` deletions that remove from the visitor's browser the cookies its
//! consent does not cover (refused, withdrawn, denied by GPC, or never declared).
//!
//! A browser sends only `name=value` back; it never says which `Domain` and `Path` a cookie was
//! stored with, and a deletion only removes the cookie whose name, domain and path it repeats
//! exactly (RFC 6265 §5.3 step 11). So one deletion is planned for every form the cookie may have
//! been stored in: the declaration's domain and path when known, the host-only form, every
//! parent domain up to the registrable domain (the Public Suffix List says where that is), and
//! every path the browser could have sent it on for this request (`/`, each directory of the
//! request path, the path itself). Deleting a form that does not exist is a no-op for the browser.
//!
//! `__Host-` cookies only exist host-only on `/` with `Secure` (RFC 6265bis §4.1.3.2), and
//! `__Secure-` ones only with `Secure`: their deletions say so, or the browser would refuse them.
//! Other deletions carry `Secure` when the visitor is on https, where a secure deletion also
//! removes a non-secure cookie of the same name, domain and path.
//!
//! The plan is bounded per response. When a response cannot carry every form, the first half of
//! the budget goes to the most likely forms (path `/` first) and the rest to a window that moves
//! on with every response (`turn`), so that a browser that keeps the cookie in a rare form loses
//! it within a few page views.

use std::net::IpAddr;

use crate::registry::Declaration;

/// The expiry every deletion carries besides `Max-Age=0`, for browsers that ignore `Max-Age`.
const EPOCH: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

/// How many directories of the request path are tried, shallowest first.
const MAX_PATH_DEPTH: usize = 8;

/// The cleanup settings (`[policy.cleanup]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cleanup {
    pub enabled: bool,
    /// The most deletions one response carries.
    pub max_per_response: usize,
}

impl Default for Cleanup {
    fn default() -> Self {
        Cleanup {
            enabled: true,
            max_per_response: 50,
        }
    }
}

/// Where the visitor is, as the browser sees it.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    /// The host the visitor asked for, possibly with a port.
    pub host: &'a str,
    /// The request path, without query.
    pub path: &'a str,
    /// The visitor reached the portal over https.
    pub secure: bool,
}

/// A cookie to remove, with what its declaration knows of where it lives.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub name: &'a str,
    pub domain: Option<&'a str>,
    pub path: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// The cookie `name`, with where its declaration (if any) says it lives.
    pub fn declared(name: &'a str, declaration: Option<&'a Declaration>) -> Target<'a> {
        Target {
            name,
            domain: declaration.and_then(|d| d.domain.as_deref()),
            path: declaration.and_then(|d| d.path.as_deref()),
        }
    }
}

/// One `Set-Cookie` deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deletion<'a> {
    pub name: &'a str,
    /// `None`: the host-only form (no `Domain` attribute).
    pub domain: Option<&'a str>,
    pub path: &'a str,
    pub secure: bool,
}

impl Deletion<'_> {
    /// The header line: an empty value that expired at once, on exactly this domain and path.
    pub fn to_line(&self) -> String {
        let mut line = format!(
            "{}=; Max-Age=0; Expires={EPOCH}; Path={}",
            self.name, self.path
        );
        if let Some(domain) = self.domain {
            line.push_str("; Domain=");
            line.push_str(domain);
        }
        if self.secure {
            line.push_str("; Secure");
        }
        line
    }
}

/// The deletions for one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<'a> {
    pub deletions: Vec<Deletion<'a>>,
    /// Forms left for later responses because of the bound.
    pub left_out: usize,
}

/// Plans the deletions for `targets` (names already deduplicated by the caller), at most `max`,
/// the overflow chosen by `turn` (see the module documentation).
pub fn plan_deletions<'a>(
    site: &Site<'a>,
    targets: &[Target<'a>],
    max: usize,
    turn: u64,
) -> Plan<'a> {
    let host = host_without_port(site.host);
    let domains = parent_domains(host);
    let paths = request_paths(site.path);
    let forms: Vec<Vec<Deletion<'a>>> = targets
        .iter()
        .filter(|t| is_deletable_name(t.name))
        .map(|t| forms_of(t, &domains, &paths, site.secure))
        .collect();
    let ordered = interleave(forms);
    let total = ordered.len();
    let deletions = select(ordered, max, turn);
    Plan {
        left_out: total - deletions.len(),
        deletions,
    }
}

/// Every form of one cookie, most likely first: path by path (`/` first), and on each path the
/// declared domain, the host-only form, then the registrable domain down to the host.
fn forms_of<'a>(
    target: &Target<'a>,
    domains: &[&'a str],
    paths: &[&'a str],
    secure_site: bool,
) -> Vec<Deletion<'a>> {
    let form = |domain, path| Deletion {
        name: target.name,
        domain,
        path,
        secure: secure_site || target.name.starts_with("__Secure-"),
    };
    if target.name.starts_with("__Host-") {
        return vec![Deletion {
            secure: true,
            ..form(None, "/")
        }];
    }
    let declared_domain = target
        .domain
        .filter(|d| domains.iter().any(|known| known.eq_ignore_ascii_case(d)));
    let mut domain_forms: Vec<Option<&'a str>> = Vec::with_capacity(domains.len() + 2);
    domain_forms.extend(declared_domain.map(Some));
    domain_forms.push(None);
    domain_forms.extend(domains.iter().map(|d| Some(*d)));
    dedup_in_order(&mut domain_forms);

    let mut path_forms: Vec<&'a str> = Vec::with_capacity(paths.len() + 1);
    path_forms.extend(target.path.filter(|p| is_usable_path(p)));
    path_forms.extend_from_slice(paths);
    dedup_in_order(&mut path_forms);

    path_forms
        .iter()
        .flat_map(|path| domain_forms.iter().map(move |domain| (*domain, *path)))
        .map(|(domain, path)| form(domain, path))
        .collect()
}

/// Round robin over the cookies, so that each one's likeliest forms come before any cookie's
/// unlikely ones.
fn interleave(forms: Vec<Vec<Deletion<'_>>>) -> Vec<Deletion<'_>> {
    let longest = forms.iter().map(Vec::len).max().unwrap_or(0);
    let mut ordered = Vec::with_capacity(forms.iter().map(Vec::len).sum());
    for rank in 0..longest {
        ordered.extend(forms.iter().filter_map(|f| f.get(rank).copied()));
    }
    ordered
}

/// All of them when they fit; otherwise the first half of `max` in order and the rest from a
/// window over the remainder that starts further on at each `turn`.
fn select(ordered: Vec<Deletion<'_>>, max: usize, turn: u64) -> Vec<Deletion<'_>> {
    if ordered.len() <= max {
        return ordered;
    }
    let head = max / 2;
    let window = max - head;
    let rest = &ordered[head..];
    let start = usize::try_from(turn.wrapping_mul(window as u64) % rest.len() as u64).unwrap_or(0);
    let mut chosen = ordered[..head].to_vec();
    chosen.extend((0..window).map(|i| rest[(start + i) % rest.len()]));
    chosen
}

/// The host without its port and trailing dot (`example.fr.:8080` → `example.fr`).
fn host_without_port(host: &str) -> &str {
    let host = if host.starts_with('[') {
        // An IPv6 literal keeps its brackets up to `]`.
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    host.strip_suffix('.').unwrap_or(host)
}

/// The domains a cookie of this host may name in `Domain`: the registrable domain and every
/// subdomain down to the host itself. None for an IP address or a host that is itself a public
/// suffix (or has none, like `localhost`): there only host-only cookies exist.
fn parent_domains(host: &str) -> Vec<&str> {
    if !is_dns_name(host) || host.parse::<IpAddr>().is_ok() {
        return Vec::new();
    }
    let lower = host.to_ascii_lowercase();
    let Some(registrable) = psl::domain_str(&lower) else {
        return Vec::new();
    };
    let registrable_len = registrable.len();
    let mut domains: Vec<&str> = host
        .char_indices()
        .filter(|&(i, c)| i == 0 || c == '.')
        .map(|(i, c)| {
            if c == '.' && i > 0 {
                &host[i + 1..]
            } else {
                &host[i..]
            }
        })
        .filter(|d| d.len() >= registrable_len)
        .collect();
    // From the registrable domain (most likely: analytics scripts pick the widest) to the host.
    domains.reverse();
    domains
}

/// Labels of letters, digits and `-` (1 to 63 each) joined by dots: the only hosts a `Domain`
/// attribute may name. Anything else (a Host header the visitor made up) gets host-only forms.
fn is_dns_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `/`, then each directory of the request path, then the path itself: every path a cookie the
/// browser sent on this request may have (RFC 6265 §5.1.4), bar those with a trailing `/`.
fn request_paths(path: &str) -> Vec<&str> {
    let mut paths = vec!["/"];
    if !is_usable_path(path) {
        return paths;
    }
    paths.extend(
        path.match_indices('/')
            .map(|(i, _)| &path[..i])
            .filter(|p| !p.is_empty())
            .take(MAX_PATH_DEPTH),
    );
    if path.len() > 1 && !path.ends_with('/') && paths.len() <= MAX_PATH_DEPTH {
        paths.push(path);
    }
    paths
}

/// A path that can stand in a `Path` attribute: absolute, and without `;` or control bytes, which
/// would end the attribute or the header.
fn is_usable_path(path: &str) -> bool {
    path.starts_with('/') && path.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b';')
}

/// A name that can be repeated in a `Set-Cookie` line as the browser sent it. A nameless cookie
/// (a pair without `=`) is left alone: it cannot be named.
fn is_deletable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && !matches!(b, b';' | b'='))
}

fn dedup_in_order<T: PartialEq + Copy>(items: &mut Vec<T>) {
    let mut seen: Vec<T> = Vec::with_capacity(items.len());
    items.retain(|item| {
        let new = !seen.contains(item);
        if new {
            seen.push(*item);
        }
        new
    });
}

#[cfg(test)]
#[path = "cleanup_tests.rs"]
mod tests;
