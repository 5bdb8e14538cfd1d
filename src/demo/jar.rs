//! The scripted visitor's cookie jar: the few rules of RFC 6265 §5.3 and §5.4 a browser applies
//! that matter to the demo, so that the visit shows what a real browser would keep and send.
//!
//! A cookie is stored under its name, domain and path; a line that repeats all three replaces
//! it, and one that has already expired (`Max-Age` ≤ 0, or an `Expires` in the past) deletes
//! it. That is exactly what consentry's cleanup relies on, so a deletion sent on the wrong path
//! or domain leaves the cookie in this jar, as it would in a browser, and the demo's checks see
//! it. The visitor talks to one host, so there is no public-suffix or cross-site logic.
//!
//! The `Set-Cookie` lines are split here rather than with consentry's own parser: the jar stands
//! in for the browser, and a test double that shares the code under test would share its bugs.

use std::net::IpAddr;

use crate::policy::cookie_date::parse_cookie_date;

/// One `Set-Cookie` line as it reached the visitor: its name and lifetime, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedCookie {
    pub name: String,
    pub max_age: Option<i64>,
    /// The line had already expired: it deletes the cookie rather than sets it.
    pub deletes: bool,
}

/// One cookie the browser holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StoredCookie {
    name: String,
    value: String,
    /// `None`: host-only (no `Domain` attribute), as browsers keep the two forms apart.
    domain: Option<String>,
    path: String,
}

/// The cookies of one site, in the order they were first set.
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    cookies: Vec<StoredCookie>,
}

/// A `Set-Cookie` line split into what the jar needs.
struct ParsedLine<'a> {
    name: &'a str,
    value: &'a str,
    max_age: Option<i64>,
    expires: Option<i64>,
    domain: Option<&'a str>,
    path: Option<&'a str>,
}

impl CookieJar {
    /// Applies one `Set-Cookie` line received from `host` for a request to `request_path`, at
    /// `now` (Unix seconds). `None` when a browser would ignore the line.
    pub fn apply_set_cookie(
        &mut self,
        line: &str,
        host: &str,
        request_path: &str,
        now: i64,
    ) -> Option<ReceivedCookie> {
        let parsed = parse_line(line)?;
        let domain = match parsed.domain {
            Some(domain) => Some(accept_domain(domain, host)?),
            None => None,
        };
        let path = parsed
            .path
            .map_or_else(|| default_path(request_path), str::to_owned);
        // RFC 6265 §5.3 step 3: Max-Age wins over Expires, whatever their order.
        let deletes = match (parsed.max_age, parsed.expires) {
            (Some(seconds), _) => seconds <= 0,
            (None, Some(at)) => at <= now,
            (None, None) => false,
        };
        let cookie = StoredCookie {
            name: parsed.name.to_owned(),
            value: parsed.value.to_owned(),
            domain,
            path,
        };
        self.store(cookie, deletes);
        Some(ReceivedCookie {
            name: parsed.name.to_owned(),
            max_age: parsed.max_age,
            deletes,
        })
    }

    /// The `Cookie` header for a request to `request_path`: longer paths first, then the order
    /// of creation (RFC 6265 §5.4 step 2). `None` when nothing is to be sent.
    pub fn render_cookie_header(&self, request_path: &str) -> Option<String> {
        let mut sent: Vec<&StoredCookie> = self
            .cookies
            .iter()
            .filter(|c| path_matches(request_path, &c.path))
            .collect();
        // A stable sort keeps the creation order among equal paths.
        sent.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let pairs: Vec<String> = sent
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// The names of the cookies held, in order (never their values).
    pub fn list_names(&self) -> Vec<String> {
        self.cookies.iter().map(|c| c.name.clone()).collect()
    }

    /// RFC 6265 §5.3 step 11: the same name, domain and path replace the old cookie (which
    /// keeps its place, as its creation time is kept) or, for an expired line, remove it.
    fn store(&mut self, cookie: StoredCookie, deletes: bool) {
        let same = |kept: &StoredCookie| {
            kept.name == cookie.name && kept.domain == cookie.domain && kept.path == cookie.path
        };
        match self.cookies.iter().position(same) {
            Some(index) if deletes => {
                self.cookies.remove(index);
            }
            Some(index) => self.cookies[index] = cookie,
            None if deletes => {}
            None => self.cookies.push(cookie),
        }
    }
}

/// RFC 6265 §5.2: the pair before the first `;`, split at its first `=`, then the attributes;
/// the last of each attribute wins. A line without `=` or with an empty name is ignored.
fn parse_line(line: &str) -> Option<ParsedLine<'_>> {
    let mut parts = line.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut parsed = ParsedLine {
        name,
        value: value.trim(),
        max_age: None,
        expires: None,
        domain: None,
        path: None,
    };
    for attribute in parts {
        let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
        let (key, value) = (key.trim(), value.trim());
        if key.eq_ignore_ascii_case("max-age") {
            // An invalid Max-Age is ignored, and an earlier valid one still counts.
            parsed.max_age = parse_max_age(value).or(parsed.max_age);
        } else if key.eq_ignore_ascii_case("expires") {
            // The browser's lenient date algorithm (§5.1.1), the same a browser runs.
            parsed.expires = parse_cookie_date(value).or(parsed.expires);
        } else if key.eq_ignore_ascii_case("domain") && !value.is_empty() {
            parsed.domain = Some(value);
        } else if key.eq_ignore_ascii_case("path") {
            // §5.2.4: a path that is not absolute means the default path.
            parsed.path = value.starts_with('/').then_some(value);
        }
    }
    Some(parsed)
}

/// RFC 6265 §5.2.2: `-`? 1*DIGIT and nothing else; too large a number still means "long" (or,
/// negative, "already expired"), so it saturates instead of being ignored.
fn parse_max_age(value: &str) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let saturated = if value.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    };
    Some(value.parse().unwrap_or(saturated))
}

/// RFC 6265 §5.2.3 and §5.3 step 6: the `Domain` attribute without its leading dot,
/// lowercased, kept only when the host domain-matches it (an IP address only matches itself);
/// otherwise the browser ignores the whole line.
fn accept_domain(domain: &str, host: &str) -> Option<String> {
    let domain = domain
        .strip_prefix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    let matches = host == domain
        || (host.parse::<IpAddr>().is_err() && host.ends_with(&format!(".{domain}")));
    matches.then_some(domain)
}

/// RFC 6265 §5.1.4: the request path up to, not including, its last `/`, or `/`.
fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(last) if request_path.starts_with('/') && last > 0 => request_path[..last].to_owned(),
        _ => "/".to_owned(),
    }
}

/// RFC 6265 §5.1.4: the cookie's path is the request path, or a prefix of it that ends with
/// `/` or is followed by one.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "127.0.0.1";
    const NOW: i64 = 1_700_000_000;

    fn jar_with(lines: &[&str]) -> CookieJar {
        let mut jar = CookieJar::default();
        for line in lines {
            jar.apply_set_cookie(line, HOST, "/", NOW);
        }
        jar
    }

    fn sent(jar: &CookieJar) -> String {
        jar.render_cookie_header("/").unwrap_or_default()
    }

    #[test]
    fn keeps_cookies_in_the_order_first_set_and_sends_them_back() {
        let jar = jar_with(&["a=1; Path=/", "b=x=y; Max-Age=100; Path=/", "c=; Path=/"]);
        assert_eq!(sent(&jar), "a=1; b=x=y; c=");
    }

    #[test]
    fn a_new_value_replaces_the_old_one_in_place() {
        let jar = jar_with(&["a=1; Path=/", "b=2; Path=/", "a=3; Path=/"]);
        assert_eq!(sent(&jar), "a=3; b=2");
    }

    #[test]
    fn max_age_zero_or_below_deletes() {
        let mut jar = jar_with(&["a=1; Path=/", "b=2; Path=/", "c=3; Path=/"]);
        let received = jar.apply_set_cookie("a=; Max-Age=0; Path=/", HOST, "/", NOW);
        assert_eq!(received.map(|r| r.deletes), Some(true));
        jar.apply_set_cookie("b=; Max-Age=-5; Path=/", HOST, "/", NOW);
        jar.apply_set_cookie("c=; Max-Age=-99999999999999999999; Path=/", HOST, "/", NOW);
        assert_eq!(jar.render_cookie_header("/"), None);
    }

    #[test]
    fn an_expires_in_the_past_deletes_and_one_in_the_future_keeps() {
        let jar = jar_with(&[
            "a=1; Path=/",
            "b=2; Path=/",
            "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
            "b=3; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Path=/",
        ]);
        assert_eq!(sent(&jar), "b=3");
    }

    /// What consentry's cleanup sends: both attributes, Max-Age deciding.
    #[test]
    fn max_age_wins_over_expires() {
        let jar = jar_with(&[
            "a=1; Path=/",
            "a=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100; Path=/",
        ]);
        assert_eq!(sent(&jar), "a=2");
        let jar = jar_with(&[
            "a=1; Path=/",
            "a=; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Path=/",
        ]);
        assert_eq!(sent(&jar), "");
    }

    #[test]
    fn an_invalid_max_age_is_ignored() {
        let mut jar = CookieJar::default();
        let received = jar.apply_set_cookie("a=1; Max-Age=+0; Path=/", HOST, "/", NOW);
        assert_eq!(
            received.map(|r| (r.max_age, r.deletes)),
            Some((None, false))
        );
        assert_eq!(sent(&jar), "a=1");
    }

    /// The reason the jar is not keyed by name alone: a deletion must repeat the path and the
    /// domain, or a browser keeps the cookie.
    #[test]
    fn a_deletion_on_another_path_or_domain_leaves_the_cookie() {
        let mut jar = jar_with(&["a=1; Path=/"]);
        jar.apply_set_cookie("a=; Max-Age=0; Path=/explore", HOST, "/", NOW);
        jar.apply_set_cookie("a=; Max-Age=0; Path=/; Domain=127.0.0.1", HOST, "/", NOW);
        assert_eq!(sent(&jar), "a=1");
        jar.apply_set_cookie("a=; Max-Age=0; Path=/", HOST, "/", NOW);
        assert_eq!(sent(&jar), "");
    }

    #[test]
    fn a_line_without_path_gets_the_default_path() {
        let mut jar = CookieJar::default();
        jar.apply_set_cookie("a=1", HOST, "/explore/dataset", NOW);
        assert_eq!(jar.render_cookie_header("/"), None);
        assert_eq!(
            jar.render_cookie_header("/explore/x").as_deref(),
            Some("a=1")
        );
        jar.apply_set_cookie("a=; Max-Age=0; Path=/explore", HOST, "/", NOW);
        assert_eq!(jar.render_cookie_header("/explore/x"), None);
    }

    #[test]
    fn longer_paths_are_sent_first() {
        let mut jar = jar_with(&["a=1; Path=/"]);
        jar.apply_set_cookie("b=2; Path=/explore", HOST, "/", NOW);
        assert_eq!(
            jar.render_cookie_header("/explore").as_deref(),
            Some("b=2; a=1")
        );
        assert_eq!(
            jar.render_cookie_header("/explorer").as_deref(),
            Some("a=1")
        );
    }

    #[test]
    fn ignores_what_a_browser_ignores() {
        let mut jar = CookieJar::default();
        for line in ["novalue", "=1", "a=1; Domain=example.org"] {
            assert_eq!(jar.apply_set_cookie(line, HOST, "/", NOW), None, "{line}");
        }
        assert_eq!(jar.list_names(), Vec::<String>::new());
    }

    #[test]
    fn a_domain_cookie_needs_a_matching_host() {
        assert_eq!(
            accept_domain(".Example.fr", "data.example.fr").as_deref(),
            Some("example.fr")
        );
        assert_eq!(accept_domain("example.fr", "badexample.fr"), None);
        assert_eq!(accept_domain("0.0.1", "127.0.0.1"), None);
    }
}
