//! Human-readable durations in the configuration: `"500ms"`, `"30s"`, `"5m"`, `"2h"`, `"14d"`,
//! `"2w"`, `"6mo"`, `"13mo"`, `"1y"`.
//!
//! Cookie lifetimes are published in days, weeks, months and years (the regulator's limit is
//! "13 months"), so the same syntax serves timeouts and lifetimes. A month is the mean Gregorian
//! month (30.436875 days) and a year the mean Gregorian year, as `humantime` and `systemd` count.

use std::time::Duration;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const WEEK: u64 = 7 * DAY;
/// 365.2425 days / 12, in seconds.
const MONTH: u64 = 2_629_746;
/// 365.2425 days, in seconds.
const YEAR: u64 = 31_556_952;

/// Parses `<integer><unit>` where unit is one of `ms s m h d w mo y`; whitespace between them is
/// allowed. A bare number is refused: a timeout of `30` is ambiguous, so the unit is required.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit (use e.g. \"30s\", \"14d\", \"13mo\")"))?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(format!("`{text}` does not start with a number"));
    }
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{number}` is too large"))?;
    let overflow = || format!("`{text}` is too large");
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(value),
        "s" => Duration::from_secs(value),
        "m" | "min" => Duration::from_secs(value.checked_mul(MINUTE).ok_or_else(overflow)?),
        "h" => Duration::from_secs(value.checked_mul(HOUR).ok_or_else(overflow)?),
        "d" => Duration::from_secs(value.checked_mul(DAY).ok_or_else(overflow)?),
        "w" => Duration::from_secs(value.checked_mul(WEEK).ok_or_else(overflow)?),
        "mo" => Duration::from_secs(value.checked_mul(MONTH).ok_or_else(overflow)?),
        "y" => Duration::from_secs(value.checked_mul(YEAR).ok_or_else(overflow)?),
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (expected ms, s, m, h, d, w, mo or y)"
            ))
        }
    };
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        let cases = [
            ("500ms", Duration::from_millis(500)),
            ("30s", Duration::from_secs(30)),
            ("5m", Duration::from_secs(300)),
            ("2h", Duration::from_secs(7200)),
            ("14d", Duration::from_secs(14 * 86_400)),
            ("2w", Duration::from_secs(14 * 86_400)),
            ("13mo", Duration::from_secs(13 * 2_629_746)),
            ("1y", Duration::from_secs(31_556_952)),
            (" 10 s ", Duration::from_secs(10)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    /// A bare number is ambiguous (seconds? milliseconds?), so the unit is mandatory.
    #[test]
    fn refuses_a_number_without_unit() {
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
    }

    #[test]
    fn refuses_unknown_units_negative_and_empty_values() {
        assert!(parse_duration("3 fortnights").is_err());
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn refuses_overflowing_values_without_panicking() {
        assert!(parse_duration("99999999999999999999999s").is_err());
        assert!(parse_duration("18446744073709551615y").is_err());
    }
}
