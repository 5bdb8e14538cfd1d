//! Cookie dates: the lenient parser browsers use for `Expires` (RFC 6265 §5.1.1) and the
//! IMF-fixdate writer (RFC 9110 §5.6.7) used when a capped `Expires` is written back.
//!
//! Both work on the stack only: the proxy judges every `Set-Cookie` line, so a date must cost
//! a few dozen nanoseconds, not an allocation.

/// 1601-01-01T00:00:00Z, the earliest date RFC 6265 §5.1.1 step 5 accepts (year >= 1601).
const MIN_SECS: i64 = -11_644_473_600;
/// 9999-12-31T23:59:59Z, the latest date a four-digit year can write.
const MAX_SECS: i64 = 253_402_300_799;
const SECS_PER_DAY: i64 = 86_400;

/// Parses a cookie-date with the algorithm of RFC 6265 §5.1.1, the lenient one browsers use
/// (rather than the strict `sane-cookie-date` of §4.1.1), because what matters to a filter is
/// the date the browser will see: tokens split on delimiters, the first time, day-of-month,
/// month and year tokens found in any order; 2-digit years 70-99 mean 1970-1999 and 0-69 mean
/// 2000-2069 (step 3-4). Returns `None` where the browser ignores the attribute (step 5-6): a
/// missing part, day-of-month outside 1-31, year < 1601, hour > 23, minute or second > 59, or a
/// day that does not exist (31 Feb). Returns Unix seconds (UTC), possibly negative.
pub fn parse_cookie_date(text: &str) -> Option<i64> {
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    let tokens = text.as_bytes().split(|&b| is_delimiter(b));
    for token in tokens.filter(|token| !token.is_empty()) {
        // §5.1.1 step 2: each token is tried against the productions in this order, and each
        // production is taken only once (the first matching token wins).
        if time.is_none() {
            if let Some(hms) = parse_time(token) {
                time = Some(hms);
                continue;
            }
        }
        if day.is_none() {
            if let Some(value) = parse_leading_digits(token, 1, 2) {
                day = Some(value);
                continue;
            }
        }
        if month.is_none() {
            if let Some(value) = parse_month(token) {
                month = Some(value);
                continue;
            }
        }
        if year.is_none() {
            year = parse_leading_digits(token, 2, 4);
        }
    }
    let ((hour, minute, second), day, month, year) = (time?, day?, month?, year?);
    let year = match year {
        70..=99 => year + 1900,
        0..=69 => year + 2000,
        _ => year,
    };
    if year < 1601 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    let secs_of_day = i64::from(hour * 3600 + minute * 60 + second);
    Some(days * SECS_PER_DAY + secs_of_day)
}

/// Writes Unix seconds as an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Wed, 21 Oct 2037 07:28:00
/// GMT`, the only form RFC 6265 §4.1.1 lets a server send, into `out` (no allocation) and
/// returns it. Seconds outside years 1601..=9999 are clamped to that range, which is what
/// §5.1.1 can read back and what four digits can write.
pub fn format_http_date(secs: i64, out: &mut [u8; 29]) -> &str {
    let secs = secs.clamp(MIN_SECS, MAX_SECS);
    let days = secs.div_euclid(SECS_PER_DAY);
    let secs_of_day = secs.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday (index 4 counting from Sunday).
    let weekday = match (days + 4).rem_euclid(7) {
        0 => *b"Sun",
        1 => *b"Mon",
        2 => *b"Tue",
        3 => *b"Wed",
        4 => *b"Thu",
        5 => *b"Fri",
        _ => *b"Sat",
    };
    let month = month_name(month);
    let [y0, y1, y2, y3] = four_digits(year);
    let [d0, d1] = two_digits(day);
    let [h0, h1] = two_digits(secs_of_day / 3600);
    let [m0, m1] = two_digits(secs_of_day / 60 % 60);
    let [s0, s1] = two_digits(secs_of_day % 60);
    let [w0, w1, w2] = weekday;
    let [n0, n1, n2] = month;
    *out = [
        w0, w1, w2, b',', b' ', d0, d1, b' ', n0, n1, n2, b' ', y0, y1, y2, y3, b' ', h0, h1, b':',
        m0, m1, b':', s0, s1, b' ', b'G', b'M', b'T',
    ];
    // Every byte written above is ASCII, so this never falls back.
    std::str::from_utf8(out).unwrap_or_default()
}

/// The delimiter class of RFC 6265 §5.1.1: `%x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E`.
fn is_delimiter(b: u8) -> bool {
    matches!(b, 0x09 | 0x20..=0x2F | 0x3B..=0x40 | 0x5B..=0x60 | 0x7B..=0x7E)
}

/// Splits `min..=max` leading digits followed by a non-digit or the end off `token`, the shape
/// shared by `time-field` (`1*2DIGIT`), `day-of-month` (`1*2DIGIT ( non-digit *OCTET )`) and
/// `year` (`2*4DIGIT ( non-digit *OCTET )`) in §5.1.1.
fn split_leading_digits(token: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let count = token.iter().take_while(|b| b.is_ascii_digit()).count();
    if count < min || count > max {
        return None;
    }
    let (digits, rest) = token.split_at_checked(count)?;
    let value = digits.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0'));
    Some((value, rest))
}

/// Reads a `day-of-month` or `year` token of §5.1.1 (what follows the digits is ignored).
fn parse_leading_digits(token: &[u8], min: usize, max: usize) -> Option<u32> {
    split_leading_digits(token, min, max).map(|(value, _)| value)
}

/// Matches §5.1.1 `time = hms-time ( non-digit *OCTET )`, `hms-time = time-field ":"
/// time-field ":" time-field`, `time-field = 1*2DIGIT`.
fn parse_time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let (hour, rest) = split_leading_digits(token, 1, 2)?;
    let (minute, rest) = split_leading_digits(rest.strip_prefix(b":")?, 1, 2)?;
    let (second, _) = split_leading_digits(rest.strip_prefix(b":")?, 1, 2)?;
    Some((hour, minute, second))
}

/// Matches §5.1.1 `month = ( "jan" / ... / "dec" ) *OCTET`, case-insensitively; returns 1-12.
fn parse_month(token: &[u8]) -> Option<u32> {
    let [a, b, c] = [token.first()?, token.get(1)?, token.get(2)?].map(u8::to_ascii_lowercase);
    let month = match &[a, b, c] {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    };
    Some(month)
}

/// The three-letter English month name of RFC 9110 §5.6.7 for month 1-12.
fn month_name(month: i64) -> [u8; 3] {
    match month {
        1 => *b"Jan",
        2 => *b"Feb",
        3 => *b"Mar",
        4 => *b"Apr",
        5 => *b"May",
        6 => *b"Jun",
        7 => *b"Jul",
        8 => *b"Aug",
        9 => *b"Sep",
        10 => *b"Oct",
        11 => *b"Nov",
        _ => *b"Dec",
    }
}

/// The length of a month in the proleptic Gregorian calendar, for §5.1.1 step 6 ("the date
/// does not exist").
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The last two decimal digits of `n` (0..=99 in practice) as ASCII.
fn two_digits(n: i64) -> [u8; 2] {
    [digit(n / 10), digit(n)]
}

/// The last four decimal digits of `n` (a year 1601..=9999) as ASCII.
fn four_digits(n: i64) -> [u8; 4] {
    [digit(n / 1000), digit(n / 100), digit(n / 10), digit(n)]
}

/// The last decimal digit of `n` as ASCII.
fn digit(n: i64) -> u8 {
    // rem_euclid(10) is 0..=9, so the cast cannot truncate.
    b'0' + n.rem_euclid(10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2037-10-21T07:28:00Z, the example date of RFC 6265 §4.1.1 / RFC 9110 §5.6.7.
    const OCT_21_2037: i64 = 2_139_722_880;

    /// RFC 6265 §5.1.1: the four forms servers send (IMF-fixdate, RFC 850, asctime, and the
    /// Netscape dash form) all parse to the same instant.
    #[test]
    fn parses_the_common_expires_forms() {
        for text in [
            "Wed, 21 Oct 2037 07:28:00 GMT",
            "Wednesday, 21-Oct-37 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2037",
            "Wed, 21-Oct-2037 07:28:00 GMT",
        ] {
            assert_eq!(parse_cookie_date(text), Some(OCT_21_2037), "{text}");
        }
    }

    /// RFC 6265 §5.1.1 step 3-4: two-digit years pivot at 70 (70 → 1970, 69 → 2069).
    #[test]
    fn pivots_two_digit_years_at_seventy() {
        let cases = [
            ("01 Jan 70 00:00:00", 0),
            ("01 Jan 69 00:00:00", 3_124_224_000),
            ("01 Jan 00 00:00:00", 946_684_800),
            ("01 Jan 99 00:00:00", 915_148_800),
        ];
        for (text, secs) in cases {
            assert_eq!(parse_cookie_date(text), Some(secs), "{text}");
        }
    }

    /// RFC 6265 §5.1.1 step 5-6: out-of-range fields, missing parts and non-existent days are
    /// failures, so the browser ignores the attribute.
    #[test]
    fn refuses_invalid_dates() {
        for text in [
            "Sat, 31 Feb 2037 07:28:00 GMT",
            "Tue, 29 Feb 2100 07:28:00 GMT",
            "Sun, 31 Dec 1600 23:59:59 GMT",
            "Wed, 21 Oct 2037 24:00:00 GMT",
            "Wed, 21 Oct 2037 07:60:00 GMT",
            "Wed, 21 Oct 2037 07:28:60 GMT",
            "Wed, 00 Oct 2037 07:28:00 GMT",
            "Wed, 21 Oct 2037 GMT",
            "Wed, 21 2037 07:28:00 GMT",
            "21 Oct 07:28:00",
            "Wed, 21 Oct 12037 07:28:00 GMT",
            "Wed, 21 Oct 2037 07:28:000 GMT",
            "",
            "garbage",
            "0",
        ] {
            assert_eq!(parse_cookie_date(text), None, "{text}");
        }
    }

    /// RFC 6265 §5.1.1: tokens may come in any order, months match on their first three
    /// letters case-insensitively, and trailing non-digits after a field are allowed.
    #[test]
    fn accepts_lenient_token_shapes() {
        for text in [
            "2037 OCTOBER 21 07:28:00",
            "07:28:00GMT 21st oct 2037",
            "21/oct/2037 7:28:0",
        ] {
            assert_eq!(parse_cookie_date(text), Some(OCT_21_2037), "{text}");
        }
        assert_eq!(parse_cookie_date("29 Feb 2000 00:00:00"), Some(951_782_400));
    }

    /// RFC 9110 §5.6.7: IMF-fixdate output reads back to the same second through §5.1.1.
    #[test]
    fn round_trips_formatted_dates() {
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (OCT_21_2037, "Wed, 21 Oct 2037 07:28:00 GMT"),
            (MAX_SECS, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (MIN_SECS, "Mon, 01 Jan 1601 00:00:00 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        ];
        for (secs, text) in cases {
            let mut out = [0; 29];
            assert_eq!(format_http_date(secs, &mut out), text);
            assert_eq!(parse_cookie_date(text), Some(secs), "{text}");
        }
    }

    /// Edge case: a date outside 1601..=9999 is clamped, never written with a wrong year width.
    #[test]
    fn clamps_dates_outside_four_digit_years() {
        let mut out = [0; 29];
        assert_eq!(
            format_http_date(i64::MAX, &mut out),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        assert_eq!(
            format_http_date(i64::MIN, &mut out),
            "Mon, 01 Jan 1601 00:00:00 GMT"
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Robustness: any text, however broken, yields a result and never panics.
        #[test]
        fn parses_any_text_without_panicking(text in any::<String>()) {
            let _ = parse_cookie_date(&text);
        }

        /// Robustness: date-like fragments in any order never panic and, when accepted, stay
        /// in the range §5.1.1 step 5 allows.
        #[test]
        fn keeps_accepted_dates_in_range(
            text in "([0-9]{1,5}|[0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3}|[A-Za-z]{1,9}|[ ,/:-]){0,12}"
        ) {
            if let Some(secs) = parse_cookie_date(&text) {
                prop_assert!((MIN_SECS..=MAX_SECS).contains(&secs), "{text} -> {secs}");
            }
        }

        /// RFC 9110 §5.6.7 / RFC 6265 §5.1.1: every representable second round-trips.
        #[test]
        fn round_trips_every_second(secs in MIN_SECS..=MAX_SECS) {
            let mut out = [0; 29];
            let text = format_http_date(secs, &mut out);
            prop_assert_eq!(parse_cookie_date(text), Some(secs), "{}", text);
        }
    }
}
