//! One audit log line, as far as the report needs it (docs/audit-log.md).
//!
//! Fields borrow from the line's bytes when they can (`Cow`), so reading millions of lines does
//! not allocate a string per field; fields the report does not use are not parsed at all.

use std::borrow::Cow;

use serde::Deserialize;

/// The fields of any line; which of them must be present depends on `type`.
#[derive(Debug, Deserialize)]
struct RawLine<'a> {
    #[serde(rename = "type", borrow)]
    line_type: Cow<'a, str>,
    #[serde(borrow)]
    instance: Cow<'a, str>,
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(default, borrow)]
    last_time: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    cookie: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    declaration: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    category: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    path: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    consent_state: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(default)]
    enforced: Option<bool>,
    #[serde(default)]
    count: Option<u64>,
}

/// A `violation` line.
#[derive(Debug, PartialEq, Eq)]
pub struct Violation<'a> {
    pub instance: Cow<'a, str>,
    pub time: Cow<'a, str>,
    /// Equal to `time` when the line stands for one occurrence.
    pub last_time: Cow<'a, str>,
    pub kind: Cow<'a, str>,
    pub cookie: Cow<'a, str>,
    /// `None`: the cookie is undeclared.
    pub declaration: Option<Cow<'a, str>>,
    pub category: Option<Cow<'a, str>>,
    pub path: Cow<'a, str>,
    pub consent_state: Cow<'a, str>,
    pub mode: Cow<'a, str>,
    pub enforced: bool,
    /// How many violations the line stands for; at least 1.
    pub count: u64,
}

/// What a line turned out to be.
// One lives at a time, on the stack: boxing the large variant would allocate on every line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    Violation(Violation<'a>),
    FileStart,
    /// Well-formed, but of a `type` this version does not know.
    Other,
    /// Not JSON, or a violation missing what the report needs.
    Unreadable,
}

/// Classifies one line (without its trailing newline).
pub fn parse_line(bytes: &[u8]) -> Line<'_> {
    let Ok(raw) = serde_json::from_slice::<RawLine<'_>>(bytes) else {
        return Line::Unreadable;
    };
    match raw.line_type.as_ref() {
        "violation" => into_violation(raw).map_or(Line::Unreadable, Line::Violation),
        "file-start" => Line::FileStart,
        _ => Line::Other,
    }
}

fn into_violation(raw: RawLine<'_>) -> Option<Violation<'_>> {
    // The day and the period are read off `time`'s first characters: a line whose time is not
    // even a date would land in a made-up day, so it is unreadable instead.
    if !looks_like_a_date(&raw.time) {
        return None;
    }
    let last_time = match raw.last_time {
        Some(last) if looks_like_a_date(&last) => last,
        _ => raw.time.clone(),
    };
    Some(Violation {
        instance: raw.instance,
        time: raw.time,
        last_time,
        kind: raw.kind?,
        cookie: raw.cookie?,
        declaration: raw.declaration,
        category: raw.category,
        path: raw.path?,
        consent_state: raw.consent_state?,
        mode: raw.mode?,
        enforced: raw.enforced?,
        // The writer never writes 0; reading it as 1 keeps "lines <= violations" true.
        count: raw.count.unwrap_or(1).max(1),
    })
}

fn looks_like_a_date(time: &str) -> bool {
    let bytes = time.as_bytes();
    bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

impl Violation<'_> {
    /// The UTC day of the (first) occurrence, `YYYY-MM-DD`.
    pub fn day(&self) -> &str {
        self.time.get(..10).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"action":"drop","category":"statistics","client":"192.0.2.0/24","consent_source":null,"consent_state":"none","cookie":"_g\u0061","cookie_domain":null,"cookie_path":"/","count":3,"declaration":"name \"_ga\"","detail":null,"direction":"response","enforced":true,"gpc":false,"granted":[],"hash":"5d1c","host":"data.example.fr","instance":"web-1","kind":"no-consent","last_time":"2026-11-29T05:12:09.410Z","method":"GET","mode":"enforce","path":"/explore/","prev":"a07e","request_id":"9f1c","seq":42,"status":200,"time":"2026-11-29T05:12:03.042Z","type":"violation","v":1}"#;

    #[test]
    fn a_violation_line_yields_the_fields_the_report_counts() {
        let Line::Violation(v) = parse_line(LINE.as_bytes()) else {
            panic!("not a violation");
        };
        assert_eq!(v.cookie, "_ga", "escapes are decoded");
        assert_eq!(v.declaration.as_deref(), Some("name \"_ga\""));
        assert_eq!(v.count, 3);
        assert_eq!(v.day(), "2026-11-29");
        assert_eq!(v.last_time, "2026-11-29T05:12:09.410Z");
        assert!(v.enforced);
    }

    #[test]
    fn file_start_and_unknown_types_are_told_apart_from_garbage() {
        let start = r#"{"hash":"x","instance":"web-1","prev":"0","reason":"new","seq":0,"time":"2026-11-29T05:00:00.000Z","type":"file-start","v":1}"#;
        assert_eq!(parse_line(start.as_bytes()), Line::FileStart);
        let other = r#"{"instance":"web-1","time":"2026-11-29T05:00:00.000Z","type":"heartbeat"}"#;
        assert_eq!(parse_line(other.as_bytes()), Line::Other);
        assert_eq!(parse_line(&LINE.as_bytes()[..80]), Line::Unreadable);
        assert_eq!(parse_line(b""), Line::Unreadable);
        assert_eq!(parse_line(b"\xff\xfe"), Line::Unreadable);
    }

    #[test]
    fn a_violation_without_a_kind_or_a_date_is_unreadable() {
        let no_kind = LINE.replace(r#""kind":"no-consent","#, "");
        assert_eq!(parse_line(no_kind.as_bytes()), Line::Unreadable);
        let bad_time = LINE.replace("2026-11-29T05:12:03.042Z", "soon");
        assert_eq!(parse_line(bad_time.as_bytes()), Line::Unreadable);
    }
}
