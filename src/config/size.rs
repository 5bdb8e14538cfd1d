//! Sizes in the configuration: `"64MiB"`, `"500KB"`, `"1GiB"`, `"4096B"`.

/// Parses `<integer><unit>` with unit B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit (use e.g. \"64MiB\")"))?;
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let factor: u64 = match unit.trim() {
        "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (expected B, KB, MB, GB, KiB, MiB or GiB)"
            ))
        }
    };
    value
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_and_binary_units() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("500KB"), Ok(500_000));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("4096B"), Ok(4096));
    }

    #[test]
    fn refuses_missing_or_unknown_units_and_overflow() {
        assert!(parse_size("64").is_err());
        assert!(parse_size("64mb").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("99999999999999999GiB").is_err());
    }
}
