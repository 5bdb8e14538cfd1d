use super::*;
use proptest::prelude::*;

mod reference;

const NOW: i64 = 1_700_000_000;
/// `21 Oct 2037 07:28:00` (UTC), the RFC 6265 §4.1.1 example date.
const AT_2037: i64 = 2_139_722_880;

fn parse(line: &str) -> SetCookie<'_> {
    parse_set_cookie(line).unwrap()
}

/// The line with every span of `spans` cut out.
fn without(line: &str, spans: &Spans) -> String {
    let mut kept = String::new();
    let mut from = 0;
    for span in spans.iter() {
        kept.push_str(&line[from..span.start]);
        from = span.end;
    }
    kept + &line[from..]
}

/// RFC 6265 §5.2 steps 3-4: name and value split at the first `=`, SP/HTAB trimmed, the
/// value kept verbatim otherwise (empty, quoted, containing `=`, `,` or UTF-8).
#[test]
fn splits_and_trims_the_name_value_pair() {
    let cases = [
        ("a=1", "a", "1"),
        (" a = 1 ; Secure", "a", "1"),
        ("\ta\t=\t1\t", "a", "1"),
        ("a=", "a", ""),
        ("a=\"x y\"", "a", "\"x y\""),
        ("a=b=c", "a", "b=c"),
        ("a=é,ü", "a", "é,ü"),
    ];
    for (line, name, value) in cases {
        let cookie = parse(line);
        assert_eq!((cookie.name, cookie.value), (name, value), "{line:?}");
    }
}

/// RFC 6265 §5.2.2: `-`? 1*DIGIT only, anything else `Invalid`; out-of-range values clamp.
#[test]
fn reads_max_age_forms() {
    let cases = [
        ("0", MaxAge::Seconds(0)),
        ("-1", MaxAge::Seconds(-1)),
        ("60", MaxAge::Seconds(60)),
        ("007", MaxAge::Seconds(7)),
        ("+5", MaxAge::Invalid),
        ("5s", MaxAge::Invalid),
        ("", MaxAge::Invalid),
        ("-", MaxAge::Invalid),
        ("1 0", MaxAge::Invalid),
        ("99999999999999999999999", MaxAge::Seconds(i64::MAX)),
        ("-99999999999999999999", MaxAge::Seconds(i64::MIN)),
    ];
    for (value, expected) in cases {
        let line = format!("a=1; Max-Age={value}");
        assert_eq!(parse(&line).max_age, Some(expected), "{line:?}");
    }
}

/// RFC 6265bis §5.6: browsers ignore values over 1024 bytes, so a padded `Max-Age=000…0`
/// must not read as a deletion.
#[test]
fn refuses_oversized_lifetime_values() {
    let line = format!("a=1; Max-Age={}", "0".repeat(1025));
    assert_eq!(parse(&line).max_age, Some(MaxAge::Invalid));
    let line = format!("a=1; Expires=21 Oct 2037 07:28:00 {}", "x".repeat(1024));
    assert_eq!(parse(&line).expires, Some(Expires::Invalid));
}

/// RFC 6265 §5.3 step 3: `Max-Age` beats `Expires` whichever comes first, the last of each
/// wins, and an expiry not after now is a deletion.
#[test]
fn computes_lifetime_from_the_last_winning_attribute() {
    use Lifetime::{Expired, Seconds, Session};
    let future = Seconds(AT_2037 - NOW);
    let cases = [
        ("a=1", Session),
        ("a=1; Max-Age=60", Seconds(60)),
        ("a=1; Max-Age=60; Expires=1 Jan 70 0:0:0", Seconds(60)),
        ("a=1; Expires=1 Jan 70 0:0:0; Max-Age=60", Seconds(60)),
        ("a=1; Expires=21 Oct 37 7:28:0; Max-Age=0", Expired),
        ("a=1; Max-Age=60; Max-Age=-1", Expired),
        ("a=1; Max-Age=0; Max-Age=60", Seconds(60)),
        ("a=1; Expires=21 Oct 37 7:28:0", future),
        ("a=1; Expires=1 Jan 1970 00:00:00", Expired),
        (
            "a=1; Expires=1 Jan 70 0:0:0; Expires=21 Oct 37 7:28:0",
            future,
        ),
        (
            "a=1; Expires=21 Oct 37 7:28:0; Expires=1 Jan 70 0:0:0",
            Expired,
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(parse(line).lifetime(NOW), expected, "{line:?}");
    }
}

/// RFC 6265 §5.2.1-§5.2.2 as browsers apply them: an invalid `Max-Age` falls back to
/// `Expires`, an invalid `Expires` to a session, and both stay visible as `Invalid`.
#[test]
fn ignores_invalid_lifetimes_but_reports_them() {
    let cookie = parse("a=1; Max-Age=5s; Expires=Wed, 21 Oct 2037 07:28:00 GMT");
    assert_eq!(cookie.max_age, Some(MaxAge::Invalid));
    assert_eq!(cookie.lifetime(NOW), Lifetime::Seconds(AT_2037 - NOW));
    let cookie = parse("a=1; Max-Age=60; Max-Age=x; Expires=tomorrow");
    assert_eq!(cookie.expires, Some(Expires::Invalid));
    assert_eq!(cookie.lifetime(NOW), Lifetime::Session);
}

/// Edge case: lifetime arithmetic saturates instead of overflowing.
#[test]
fn saturates_lifetime_arithmetic() {
    let cookie = parse("a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT");
    assert_eq!(cookie.lifetime(i64::MIN), Lifetime::Seconds(i64::MAX));
}

/// RFC 6265 §5.3 step 3: a cookie whose expiry is not after now deletes it.
#[test]
fn detects_deletions() {
    assert!(parse("a=; Max-Age=0").is_deletion(NOW));
    assert!(parse("a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT").is_deletion(NOW));
    assert!(!parse("a=1; Max-Age=1").is_deletion(NOW));
    assert!(!parse("a=1").is_deletion(NOW));
}

/// RFC 6265 §5.2: attribute names match case-insensitively; flag values are ignored.
#[test]
fn matches_attribute_names_case_insensitively() {
    let cookie = parse("a=1; max-AGE=5; SECURE; httponly=yes; PARTITIONED; DOMAIN=x.fr; PATH=/p");
    assert_eq!(cookie.max_age, Some(MaxAge::Seconds(5)));
    assert!(cookie.secure && cookie.http_only && cookie.partitioned);
    assert_eq!((cookie.domain, cookie.path), (Some("x.fr"), Some("/p")));
    let cookie = parse("a=1; EXPIRES=21 Oct 2037 07:28:00; sAmEsItE=sTrIcT");
    assert_eq!(cookie.expires, Some(Expires::At(AT_2037)));
    assert_eq!(cookie.same_site, Some(SameSite::Strict));
}

/// RFC 6265bis §5.6.7: `Strict`/`Lax`/`None` case-insensitively, anything else
/// `Invalid`; the last one wins.
#[test]
fn reads_same_site_values() {
    let cases = [
        ("a=1; SameSite=Strict", Some(SameSite::Strict)),
        ("a=1; SameSite = lax ", Some(SameSite::Lax)),
        ("a=1; SameSite=NONE", Some(SameSite::None)),
        ("a=1; SameSite=Laxx", Some(SameSite::Invalid)),
        ("a=1; SameSite", Some(SameSite::Invalid)),
        ("a=1; SameSite=None; SameSite=Lax", Some(SameSite::Lax)),
        ("a=1", None),
    ];
    for (line, expected) in cases {
        assert_eq!(parse(line).same_site, expected, "{line:?}");
    }
}

/// RFC 6265 §5.2.3-§5.2.4: `Domain=` is ignored entirely (an earlier one stays), the last
/// `Path` wins and an empty or relative one means the default-path.
#[test]
fn reads_domain_and_path() {
    let cases = [
        ("a=1; Domain=", None, None),
        ("a=1; Domain=.ex.fr; Domain= ", Some(".ex.fr"), None),
        ("a=1; Domain=a.fr; Domain=b.fr", Some("b.fr"), None),
        ("a=1; Path=/a; Path=/b", None, Some("/b")),
        ("a=1; Path=/a; Path=", None, None),
        ("a=1; Path=relative", None, None),
    ];
    for (line, domain, path) in cases {
        let cookie = parse(line);
        assert_eq!((cookie.domain, cookie.path), (domain, path), "{line:?}");
    }
}

/// RFC 6265 §5.2: empty (`;;`), trailing and unknown attributes are skipped.
#[test]
fn skips_empty_and_unknown_attributes() {
    for line in [
        "a=1;;",
        "a=1; ;\t; ",
        "a=1; Foo=bar; =x; Max-Agee=5",
        "a=1;",
    ] {
        assert_eq!(parse(line), parse("a=1"), "{line:?}");
    }
}

/// RFC 6265 §5.2 steps 2 and 5, RFC 6265bis §5.6 step 1: lines the filter refuses.
#[test]
fn refuses_malformed_lines() {
    let lifetimes = "a=1; Max-Age=1; Expires=x; Max-Age=2; Expires=y; Max-Age=3";
    let same_sites = "a=1; SameSite=a; SameSite=b; SameSite=c; SameSite=d; SameSite=e";
    let cases = [
        ("", ParseError::Empty),
        (" \t ", ParseError::Empty),
        ("novalue", ParseError::NoEquals),
        ("novalue; a=b", ParseError::NoEquals),
        ("=abc", ParseError::EmptyName),
        (" =abc", ParseError::EmptyName),
        ("a=b\x01c", ParseError::InvalidChars),
        ("a\x7f=b", ParseError::InvalidChars),
        ("a=b; Path=/\n", ParseError::InvalidChars),
        (lifetimes, ParseError::TooManyAttributes),
        (same_sites, ParseError::TooManyAttributes),
    ];
    for (line, error) in cases {
        assert_eq!(parse_set_cookie(line), Err(error), "{line:?}");
    }
}

/// Edge case: four lifetime attributes are still accepted (the limit is "more than 4").
#[test]
fn accepts_four_lifetime_attributes() {
    let cookie = parse("a=1; Max-Age=1; Expires=x; Max-Age=2; Expires=y");
    assert_eq!(cookie.lifetime_spans.len(), 4);
    assert!(!cookie.lifetime_spans.too_many);
}

/// Spans start at the preceding `;`, so cutting them out leaves the line without those
/// attributes and nothing else changed.
#[test]
fn reports_spans_that_cut_out_cleanly() {
    let line = "a=1; Max-Age=10; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT";
    assert_eq!(without(line, &parse(line).lifetime_spans), "a=1; Path=/");
    let line = "a=1;SameSite=None; Secure ;samesite=lax";
    assert_eq!(without(line, &parse(line).same_site_spans), "a=1; Secure ");
    assert!(parse("a=1; Secure").lifetime_spans.is_empty());
}

/// RFC 6265 §5.2: only `;` separates; the comma of an `Expires` date splits nothing.
#[test]
fn keeps_commas_inside_expires() {
    let cookie = parse("id=a,b; Expires=Wed, 21 Oct 2037 07:28:00 GMT, HttpOnly; Secure");
    assert_eq!(cookie.value, "a,b");
    assert_eq!(cookie.expires, Some(Expires::At(AT_2037)));
    assert!(cookie.secure && !cookie.http_only);
}

/// Cookie-ish lines: a valid first pair, then real attribute names (any case) or junk
/// with arbitrary values and whitespace.
fn cookie_lines() -> impl Strategy<Value = String> {
    let names = "(?i)(max-age|expires|samesite|domain|path|secure|httponly|partitioned)";
    let name = prop_oneof![names, "[ \t]{0,2}[a-zA-Z-]{0,8}[ \t]{0,2}"];
    let value = proptest::option::of("[ \t]{0,2}=[ \t]{0,2}[ -:<-~\t]{0,30}");
    let attributes = proptest::collection::vec((name, value), 0..8);
    ("[a-z]{1,4}=[ -:<-~]{0,12}", attributes).prop_map(|(mut line, attributes)| {
        for (name, value) in attributes {
            line = line + ";" + &name + &value.unwrap_or_default();
        }
        line
    })
}

/// `Max-Age` values around the edges of the fast path: up to 18 digits, 19 and more (which
/// saturate), a sign, leading zeros, junk.
fn max_age_values() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{1,25}",
        "-?0{0,20}[1-9][0-9]{16,20}",
        "[-+]?[0-9a-z ]{0,6}",
        Just("9223372036854775807".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("-".to_owned()),
    ]
}

/// Attribute names and `SameSite` values one byte away from a real one: a case flip, or any
/// ASCII byte in its place (under a fold that set bit 5 of every byte, CR would pass for `-`).
fn near_miss_words() -> impl Strategy<Value = String> {
    let words = prop_oneof![
        Just("max-age"),
        Just("expires"),
        Just("samesite"),
        Just("httponly"),
        Just("domain"),
        Just("secure"),
        Just("path"),
        Just("partitioned"),
        Just("strict"),
        Just("lax"),
        Just("none"),
    ];
    (
        words,
        any::<prop::sample::Index>(),
        0_u8..0x80,
        any::<bool>(),
    )
        .prop_map(|(word, index, byte, replace)| {
            let mut bytes = word.as_bytes().to_vec();
            let at = index.index(bytes.len());
            bytes[at] = match replace {
                true => byte,
                false => bytes[at].to_ascii_uppercase(),
            };
            String::from_utf8(bytes).unwrap()
        })
}

proptest! {
    /// Names and values that nearly match are read as the reference parser reads them, so
    /// the word-wise case fold matches exactly the names equal ignoring ASCII case.
    #[test]
    fn folds_near_miss_names_as_the_reference_parser(word in near_miss_words(), value in "[a-zA-Z0-9=]{0,9}") {
        for line in [format!("a=1; {word}={value}; Path=/"), format!("a=1; SameSite={word}"), format!("a=1;{word}")] {
            prop_assert_eq!(parse_set_cookie(&line), reference::parse_set_cookie(&line));
        }
    }

    /// The walk over byte ranges reads every line exactly as the former parser did.
    #[test]
    fn parses_cookie_lines_as_the_reference_parser(line in cookie_lines()) {
        prop_assert_eq!(parse_set_cookie(&line), reference::parse_set_cookie(&line));
    }

    /// The same for any text at all, errors included.
    #[test]
    fn parses_any_text_as_the_reference_parser(line in any::<String>()) {
        prop_assert_eq!(parse_set_cookie(&line), reference::parse_set_cookie(&line));
    }

    /// And for every kind of `Max-Age` value, the saturating ones included.
    #[test]
    fn reads_max_age_as_the_reference_parser(value in max_age_values(), space in "[ \t]{0,2}") {
        let line = format!("a=1; Max-Age={space}{value}{space}; Path=/");
        prop_assert_eq!(parse_set_cookie(&line), reference::parse_set_cookie(&line));
    }

    /// Robustness: any unicode text parses or fails without panicking.
    #[test]
    fn parses_any_text_without_panicking(line in any::<String>(), now in any::<i64>()) {
        if let Ok(cookie) = parse_set_cookie(&line) {
            let _ = cookie.lifetime(now);
        }
    }

    /// Robustness: byte soup (lossily decoded, so with CTLs and U+FFFD) never panics.
    #[test]
    fn parses_any_bytes_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(cookie) = parse_set_cookie(&String::from_utf8_lossy(&bytes)) {
            let _ = cookie.lifetime(0);
        }
    }

    /// Spans start at a `;` and end at a `;` or the end; cutting out the lifetime spans
    /// leaves a valid line with no `Max-Age`/`Expires` and the same `SameSite`.
    #[test]
    fn spans_cut_out_whole_attributes(line in cookie_lines(), now in any::<i64>()) {
        let Ok(cookie) = parse_set_cookie(&line) else { return Ok(()) };
        let _ = cookie.lifetime(now);
        for span in cookie.lifetime_spans.iter().chain(cookie.same_site_spans.iter()) {
            prop_assert_eq!(line.as_bytes().get(span.start), Some(&b';'));
            prop_assert!(matches!(line.as_bytes().get(span.end), None | Some(b';')));
        }
        let kept = without(&line, &cookie.lifetime_spans);
        let stripped = parse_set_cookie(&kept);
        prop_assert_eq!(stripped.map(|c| (c.max_age, c.expires, c.same_site)),
            Ok((None, None, cookie.same_site)));
    }
}
