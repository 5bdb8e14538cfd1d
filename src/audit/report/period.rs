//! `--since` / `--until`: which violations the report covers.
//!
//! The log's `time` is always RFC 3339 UTC with milliseconds (`2026-11-29T05:12:03.042Z`), so a
//! bound normalised to exactly that shape compares with it as a plain string: lexicographic order
//! is chronological order, and no date arithmetic runs per line.

use time::{Date, Month};

/// The half-open interval `[since, until)`, each bound normalised; `None` is unbounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Period {
    pub since: Option<String>,
    pub until: Option<String>,
}

impl Period {
    /// Whether a line whose `time` is `time` falls in the period.
    pub fn contains(&self, time: &str) -> bool {
        self.since.as_deref().is_none_or(|since| time >= since)
            && self.until.as_deref().is_none_or(|until| time < until)
    }
}

/// Reads the two options; the error names the option and says what is accepted.
pub fn parse_period(since: Option<&str>, until: Option<&str>) -> Result<Period, String> {
    let period = Period {
        since: since
            .map(|text| normalise_time(text).map_err(|e| format!("--since {text:?}: {e}")))
            .transpose()?,
        until: until
            .map(|text| normalise_time(text).map_err(|e| format!("--until {text:?}: {e}")))
            .transpose()?,
    };
    if let (Some(since), Some(until)) = (&period.since, &period.until) {
        if since >= until {
            return Err(format!(
                "--since ({since}) must be before --until ({until}): the period is empty"
            ));
        }
    }
    Ok(period)
}

const EXPECTED: &str =
    "expected a date (2026-11-01) or an RFC 3339 UTC time (2026-11-01T08:30:00Z, 2026-11-01T08:30:00.250Z)";

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[.f{1,3}](Z|+00:00)` to `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn normalise_time(text: &str) -> Result<String, String> {
    let text = text.trim();
    let (date, rest) = text.split_at_checked(10).ok_or(EXPECTED)?;
    check_date(date)?;
    if rest.is_empty() {
        return Ok(format!("{date}T00:00:00.000Z"));
    }
    let rest = rest
        .strip_prefix(['T', 't', ' '])
        .ok_or_else(|| EXPECTED.to_owned())?;
    let (clock, zone) = rest.split_at_checked(8).ok_or(EXPECTED)?;
    check_clock(clock)?;
    let (fraction, zone) = match zone.strip_prefix('.') {
        Some(after_dot) => {
            let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 3 {
                // The log keeps milliseconds: a finer bound could not be compared exactly.
                return Err("give at most 3 fractional digits (milliseconds)".to_owned());
            }
            after_dot.split_at(digits)
        }
        None => ("", zone),
    };
    if !matches!(zone, "Z" | "z" | "+00:00" | "-00:00") {
        return Err(format!(
            "{EXPECTED}; the log is in UTC, so give the time in UTC with `Z`"
        ));
    }
    Ok(format!("{date}T{clock}.{fraction:0<3}Z"))
}

fn check_date(date: &str) -> Result<(), String> {
    let bytes = date.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err(EXPECTED.to_owned());
    }
    let number = |range: std::ops::Range<usize>| date[range].parse::<u16>().unwrap_or(0);
    let year = i32::from(number(0..4));
    let month = Month::try_from(u8::try_from(number(5..7)).unwrap_or(0))
        .map_err(|_| format!("{date} is not a date: no such month"))?;
    let day = u8::try_from(number(8..10)).unwrap_or(0);
    Date::from_calendar_date(year, month, day)
        .map(|_| ())
        .map_err(|_| format!("{date} is not a date: no such day"))
}

fn check_clock(clock: &str) -> Result<(), String> {
    let bytes = clock.as_bytes();
    let shape_ok = bytes.len() == 8
        && bytes[2] == b':'
        && bytes[5] == b':'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 2 || i == 5 || b.is_ascii_digit());
    if !shape_ok {
        return Err(EXPECTED.to_owned());
    }
    let number = |range: std::ops::Range<usize>| clock[range].parse::<u8>().unwrap_or(99);
    // 60 seconds is a leap second, which RFC 3339 allows.
    if number(0..2) > 23 || number(3..5) > 59 || number(6..8) > 60 {
        return Err(format!("{clock} is not a time of day"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_means_midnight_utc() {
        assert_eq!(
            normalise_time("2026-11-01").unwrap(),
            "2026-11-01T00:00:00.000Z"
        );
    }

    #[test]
    fn rfc3339_times_are_padded_to_milliseconds() {
        assert_eq!(
            normalise_time("2026-11-01T08:30:00Z").unwrap(),
            "2026-11-01T08:30:00.000Z"
        );
        assert_eq!(
            normalise_time("2026-11-01t08:30:00.25+00:00").unwrap(),
            "2026-11-01T08:30:00.250Z"
        );
        assert_eq!(
            normalise_time("2026-11-01T08:30:00.042Z").unwrap(),
            "2026-11-01T08:30:00.042Z"
        );
    }

    #[test]
    fn non_utc_offsets_and_nonsense_are_refused() {
        for bad in [
            "2026-11-01T08:30:00+01:00",
            "2026-11-01T08:30:00",
            "2026-13-01",
            "2026-02-30",
            "2026-11-01T24:00:00Z",
            "2026-11-01T08:30:00.0001Z",
            "yesterday",
            "2026-1-1",
            "",
        ] {
            assert!(normalise_time(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn since_is_inclusive_and_until_exclusive() {
        let period = parse_period(Some("2026-11-02"), Some("2026-11-03")).unwrap();
        assert!(!period.contains("2026-11-01T23:59:59.999Z"));
        assert!(period.contains("2026-11-02T00:00:00.000Z"));
        assert!(period.contains("2026-11-02T23:59:59.999Z"));
        assert!(!period.contains("2026-11-03T00:00:00.000Z"));
    }

    #[test]
    fn an_empty_period_is_an_error() {
        assert!(parse_period(Some("2026-11-03"), Some("2026-11-03")).is_err());
        assert!(parse_period(Some("2026-11-04"), Some("2026-11-03")).is_err());
    }

    #[test]
    fn no_bounds_contain_everything() {
        assert!(Period::default().contains("1970-01-01T00:00:00.000Z"));
    }
}
