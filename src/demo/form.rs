//! Reading the portal's HTML forms: `application/x-www-form-urlencoded` bodies (WHATWG URL
//! standard), which is all the demo's buttons send.

use percent_encoding::percent_decode_str;

/// The body as `(name, value)` pairs, in order; a pair without `=` has an empty value.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_form_text(key), decode_form_text(value))
        })
        .collect()
}

/// HTML forms send spaces as `+` (WHATWG URL, application/x-www-form-urlencoded).
fn decode_form_text(text: &str) -> String {
    percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent_escapes() {
        assert_eq!(
            parse_form("a=x+y%21&b"),
            [("a".into(), "x y!".into()), ("b".into(), String::new())]
        );
    }

    #[test]
    fn skips_empty_pairs() {
        assert_eq!(parse_form("&a=1&&"), [("a".into(), "1".into())]);
    }
}
