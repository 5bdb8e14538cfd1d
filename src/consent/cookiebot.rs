//! The `cookiebot` consent format: Cookiebot's `CookieConsent` cookie. `0` means the visitor
//! accepted only necessary cookies, `-1` that they are outside a region requiring consent;
//! otherwise it is a percent-encoded JavaScript object literal, not JSON:
//! `{stamp:'…',necessary:true,preferences:false,statistics:false,marketing:false,method:'explicit',ver:1}`.
//!
//! Keys are Cookiebot's fixed categories `necessary`, `preferences`, `statistics`, `marketing`.
//! Other products also write a cookie named `CookieConsent` (`true`, `1.0.0.0.0`, …); those are
//! refused, which is why the format is named in the configuration rather than guessed.

use percent_encoding::percent_decode_str;

use super::format::{ConsentFormat, Reading, Unreadable};

const CATEGORIES: [&str; 4] = ["necessary", "preferences", "statistics", "marketing"];

#[derive(Debug, Default)]
pub struct CookieBotFormat;

impl ConsentFormat for CookieBotFormat {
    fn name(&self) -> &'static str {
        "cookiebot"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        let decoded = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| Unreadable("not UTF-8 once percent-decoded"))?;
        // The short forms say nothing about `necessary`, which is exempt anyway.
        let uniform = match decoded.as_ref() {
            // Cookiebot's server-side sample: the visitor accepted necessary cookies only.
            "0" => Some(false),
            // Not in a region that requires consent: Cookiebot grants everything.
            "-1" => Some(true),
            _ => None,
        };
        if let Some(granted) = uniform {
            for category in &CATEGORIES[1..] {
                answer(category, granted);
            }
            return Ok(Reading::Decided);
        }
        let choices = read_literal(&decoded)?;
        for (category, granted) in CATEGORIES.into_iter().zip(choices) {
            answer(category, granted);
        }
        Ok(Reading::Decided)
    }
}

/// Reads the object literal and returns the four category booleans, in `CATEGORIES` order.
fn read_literal(text: &str) -> Result<[bool; 4], Unreadable> {
    let body = text
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or(Unreadable("not an object literal"))?;
    let mut choices = [None; 4];
    let mut rest = body;
    while !rest.is_empty() {
        let (key, after_key) = rest
            .split_once(':')
            .ok_or(Unreadable("a property has no ':'"))?;
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Unreadable("a key is not an identifier"));
        }
        let (literal, after_value) = split_value(after_key)?;
        if let Some(slot) = CATEGORIES.iter().position(|category| *category == key) {
            if choices[slot].is_some() {
                return Err(Unreadable("a category appears twice"));
            }
            choices[slot] = Some(match literal {
                Literal::Bool(granted) => granted,
                Literal::Other => return Err(Unreadable("a category is not a boolean")),
            });
        }
        rest = match after_value.strip_prefix(',') {
            Some("") => return Err(Unreadable("a trailing comma")),
            Some(next) => next,
            None if after_value.is_empty() => after_value,
            None => return Err(Unreadable("garbage after a value")),
        };
    }
    let mut all = [false; 4];
    for (slot, choice) in all.iter_mut().zip(choices) {
        *slot = choice.ok_or(Unreadable("a category is missing"))?;
    }
    Ok(all)
}

enum Literal {
    Bool(bool),
    Other,
}

/// Splits one value (`true`, `false`, `'…'` or a number) off the front of `text`.
fn split_value(text: &str) -> Result<(Literal, &str), Unreadable> {
    if let Some(quoted) = text.strip_prefix('\'') {
        // Cookiebot's stamps are base64 and its methods plain words: no escapes to handle.
        let end = quoted
            .find('\'')
            .ok_or(Unreadable("an unterminated string"))?;
        return Ok((Literal::Other, &quoted[end + 1..]));
    }
    let end = text.find([',', '}']).unwrap_or(text.len());
    let (token, rest) = text.split_at(end);
    let literal = match token {
        "true" => Literal::Bool(true),
        "false" => Literal::Bool(false),
        number if is_number(number) => Literal::Other,
        _ => return Err(Unreadable("a value is not a boolean, string or number")),
    };
    Ok((literal, rest))
}

fn is_number(token: &str) -> bool {
    let digits = token.strip_prefix('-').unwrap_or(token);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().next().is_some_and(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::format::testing::{read_sorted, Answers};

    /// A real refuse-all value (consent-formats.md §2), as stored and decoded.
    const REFUSE_ALL: &str = "{stamp:%27Uv9YOAVP5djCBw71lxhE4rNAfTObaGck2Sn3rKWf9dPCYpqcWvAlpA==%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:false%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1697932000537}";
    const REFUSE_ALL_RAW: &str = "{stamp:'Uv9YOAVP5djCBw71lxhE4rNAfTObaGck2Sn3rKWf9dPCYpqcWvAlpA==',necessary:true,preferences:false,statistics:false,marketing:false,method:'explicit',ver:1,utc:1697932000537}";

    fn read(value: &str) -> Result<(Reading, Answers), Unreadable> {
        read_sorted(&CookieBotFormat, value)
    }

    fn choices(
        necessary: bool,
        preferences: bool,
        statistics: bool,
        marketing: bool,
    ) -> Vec<(String, bool)> {
        let mut answers: Vec<_> = CATEGORIES
            .iter()
            .map(|c| c.to_string())
            .zip([necessary, preferences, statistics, marketing])
            .collect();
        answers.sort();
        answers
    }

    #[test]
    fn reads_the_real_refusal_percent_encoded_or_raw() {
        let without_utc = REFUSE_ALL.replace("%2Cutc:1697932000537", "");
        for value in [REFUSE_ALL, REFUSE_ALL_RAW, without_utc.as_str()] {
            assert_eq!(
                read(value),
                Ok((Reading::Decided, choices(true, false, false, false))),
                "{value}"
            );
        }
    }

    #[test]
    fn reads_accept_all_and_partial() {
        let accept = REFUSE_ALL_RAW.replace(":false", ":true");
        assert_eq!(
            read(&accept),
            Ok((Reading::Decided, choices(true, true, true, true)))
        );
        let partial = REFUSE_ALL_RAW.replace("statistics:false", "statistics:true");
        assert_eq!(
            read(&partial),
            Ok((Reading::Decided, choices(true, false, true, false)))
        );
    }

    #[test]
    fn zero_refuses_and_minus_one_grants_every_optional_category() {
        let optional = |granted| {
            let mut answers = choices(granted, granted, granted, granted);
            answers.retain(|(key, _)| key != "necessary");
            answers
        };
        assert_eq!(read("0"), Ok((Reading::Decided, optional(false))));
        assert_eq!(read("-1"), Ok((Reading::Decided, optional(true))));
    }

    /// Fail closed: other products' `CookieConsent` values and damaged literals are unread.
    #[test]
    fn refuses_values_it_does_not_fully_understand() {
        let huge = format!("{{{}necessary:true}}", "x:1,".repeat(2000));
        let missing = REFUSE_ALL_RAW.replace("marketing:false,", "");
        let twice = REFUSE_ALL_RAW.replace("ver:1", "marketing:true");
        let truncated = &REFUSE_ALL[..REFUSE_ALL.len() / 2];
        for value in [
            "",
            "true",
            "1",
            "1.0.0.0.0",
            "mandatory|external",
            "{}",
            truncated,
            missing.as_str(),
            twice.as_str(),
            huge.as_str(),
            "{necessary:true,preferences:false,statistics:false,marketing:'no'}",
            "{necessary:true,preferences:false,statistics:false,marketing:1}",
            r#"{"necessary":true,"preferences":false,"statistics":false,"marketing":false}"#,
            "{necessary:true,preferences:false,statistics:false,marketing:false,}",
            "{necessary:true,preferences:false,statistics:false,marketing:false,x:'a}",
            "{necessary:true,preferences:false,statistics:false,marketing:falsey}",
            "{necessary:true,preferences:false,statistics:false,marketing:false,v:1.2.3}",
            "%FF",
            "{stamp:%FF,necessary:true}",
        ] {
            assert!(read(value).is_err(), "{value:?} was read");
        }
    }

    #[test]
    fn reports_nothing_when_unreadable_even_after_good_keys() {
        let mut answers = 0;
        let result = CookieBotFormat.read(
            "{necessary:true,preferences:true,statistics:true}",
            &mut |_, _| answers += 1,
        );
        assert!(result.is_err());
        assert_eq!(answers, 0);
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_read_without_panicking_or_answering_on_error(
            value in proptest::prop_oneof![
                ".*",
                "\\{([a-z]{1,10}:(true|false|'[a-z=]{0,5}'?|-?[0-9.]{1,4}|x)(,|%2C)){0,6}[a-z]{1,10}:(true|false|1)\\}?"
            ]
        ) {
            let mut answers = 0;
            let result = CookieBotFormat.read(&value, &mut |_, _| answers += 1);
            if result.is_err() {
                proptest::prop_assert_eq!(answers, 0);
            }
        }
    }
}
