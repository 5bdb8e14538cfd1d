//! Rewriting a `Set-Cookie` line when a rule says so: capping its lifetime to the declared
//! maximum, or adding a required attribute. Every other byte of the line is kept as it was.

use std::fmt::Write as _;

use smallvec::SmallVec;

use super::cookie_date::format_http_date;
use super::set_cookie::SetCookie;
use super::verdict::Missing;
use crate::registry::MaxLifetime;

/// The changes a verdict asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Edits {
    /// Rewrite `Max-Age`/`Expires` to this lifetime.
    pub cap: Option<MaxLifetime>,
    /// Attributes to add (or, for `SameSite`, to correct).
    pub add: Missing,
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.cap.is_none() && self.add.is_empty()
    }
}

/// Applies `edits` to `line`: the spans of the attributes being replaced are cut out, and the new
/// attributes are appended. A capped lifetime keeps the attribute forms the upstream used (a
/// `Max-Age` stays a `Max-Age`, an `Expires` an `Expires`, the latter for old browsers); a
/// `session` maximum removes both.
pub fn apply_edits(line: &str, cookie: &SetCookie<'_>, edits: &Edits, now: i64) -> String {
    // At most four spans of each kind (`Spans`): on the stack.
    let mut cuts: SmallVec<[std::ops::Range<usize>; 8]> = SmallVec::new();
    if edits.cap.is_some() {
        cuts.extend(cookie.lifetime_spans.iter());
    }
    if edits.add.same_site.is_some() {
        cuts.extend(cookie.same_site_spans.iter());
    }
    cuts.sort_by_key(|range| range.start);

    let mut out = String::with_capacity(line.len() + 48);
    let mut at = 0;
    for cut in cuts {
        if cut.start >= at && cut.end <= line.len() {
            out.push_str(line.get(at..cut.start).unwrap_or(""));
            at = cut.end;
        }
    }
    out.push_str(line.get(at..).unwrap_or(""));

    if let Some(MaxLifetime::Duration(max)) = edits.cap {
        let secs = i64::try_from(max.as_secs()).unwrap_or(i64::MAX);
        if cookie.max_age.is_some() {
            // `itoa` rather than `write!`: the formatting machinery cost more than the rest of
            // the rewrite (docs/performance.md).
            out.push_str("; Max-Age=");
            out.push_str(itoa::Buffer::new().format(secs));
        }
        if cookie.expires.is_some() {
            let mut buf = [0u8; 29];
            let _ = write!(
                out,
                "; Expires={}",
                format_http_date(now.saturating_add(secs), &mut buf)
            );
        }
    }
    if edits.add.secure {
        out.push_str("; Secure");
    }
    if edits.add.http_only {
        out.push_str("; HttpOnly");
    }
    if let Some(same_site) = edits.add.same_site {
        out.push_str("; SameSite=");
        out.push_str(same_site.as_str());
    }
    out
}
