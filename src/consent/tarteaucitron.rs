//! The `tarteaucitron` consent format: tarteaucitron.js's `tarteaucitron` cookie, a list of
//! `!<service>=<status>` entries with status `true`, `false` or `wait`
//! (`!gtag=true!youtube=false!matomo=wait`).
//!
//! Keys are tarteaucitron service names (`gtag`, `youtube`, `matomo`…); the library also writes
//! its own `tarteaucitron=true` entry, which is reported as an ordinary key. `wait` means the
//! visitor has not answered for that service, so it counts as not granted; a value where every
//! service still waits records no choice at all. tarteaucitron.js writes the value unencoded, so
//! it is not percent-decoded.

use super::format::{ConsentFormat, Reading, Unreadable};

#[derive(Debug, Default)]
pub struct TarteaucitronFormat;

impl ConsentFormat for TarteaucitronFormat {
    fn name(&self) -> &'static str {
        "tarteaucitron"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        if value.is_empty() {
            return Ok(Reading::Undecided);
        }
        // Every entry starts with `!`, so the text before the first one must be empty.
        let entries = value
            .strip_prefix('!')
            .ok_or(Unreadable("does not start with '!'"))?;
        // Check everything before answering anything: a half-understood value is unread.
        let mut answers = Vec::new();
        let mut any_decided = false;
        for entry in entries.split('!') {
            let (key, status) = entry
                .split_once('=')
                .ok_or(Unreadable("an entry has no '='"))?;
            if key.is_empty() {
                return Err(Unreadable("an entry has an empty service name"));
            }
            let granted = match status {
                "true" => true,
                "false" => false,
                "wait" => {
                    answers.push((key, false));
                    continue;
                }
                _ => return Err(Unreadable("a status is not true, false or wait")),
            };
            any_decided = true;
            answers.push((key, granted));
        }
        if !any_decided {
            return Ok(Reading::Undecided);
        }
        for (key, granted) in answers {
            answer(key, granted);
        }
        Ok(Reading::Decided)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::format::testing::{read_sorted, sorted as owned, Answers};

    fn read(value: &str) -> Result<(Reading, Answers), Unreadable> {
        read_sorted(&TarteaucitronFormat, value)
    }

    #[test]
    fn reads_accept_all() {
        assert_eq!(
            read("!tarteaucitron=true!gtag=true!youtube=true"),
            Ok((
                Reading::Decided,
                owned(&[("tarteaucitron", true), ("gtag", true), ("youtube", true)])
            ))
        );
    }

    #[test]
    fn reads_refuse_all() {
        assert_eq!(
            read("!tarteaucitron=true!gtag=false!youtube=false"),
            Ok((
                Reading::Decided,
                owned(&[("tarteaucitron", true), ("gtag", false), ("youtube", false)])
            ))
        );
    }

    /// The real mixed value from consent-formats.md §2.
    #[test]
    fn reads_a_partial_choice() {
        let value = "!tarteaucitron=true!website=true!analytics=false!regex_analytic=false\
                     !regex_ads=true!googletagmanager=false!facebookpixel=false\
                     !addtoanyshare=false!youtube=true";
        let expected = owned(&[
            ("tarteaucitron", true),
            ("website", true),
            ("analytics", false),
            ("regex_analytic", false),
            ("regex_ads", true),
            ("googletagmanager", false),
            ("facebookpixel", false),
            ("addtoanyshare", false),
            ("youtube", true),
        ]);
        assert_eq!(read(value), Ok((Reading::Decided, expected)));
    }

    #[test]
    fn a_waiting_service_is_not_granted() {
        assert_eq!(
            read("!gtag=true!youtube=false!matomo=wait"),
            Ok((
                Reading::Decided,
                owned(&[("gtag", true), ("youtube", false), ("matomo", false)])
            ))
        );
    }

    #[test]
    fn an_empty_value_or_only_waiting_services_records_no_choice() {
        for value in ["", "!gtag=wait", "!gtag=wait!youtube=wait"] {
            assert_eq!(read(value), Ok((Reading::Undecided, vec![])), "{value:?}");
        }
    }

    /// tarteaucitron.js does not encode the value; an encoded one is not something it wrote.
    #[test]
    fn refuses_a_percent_encoded_value() {
        assert!(read("%21gtag%3Dtrue").is_err());
    }

    /// Fail closed: any part that is not understood makes the whole value unread.
    #[test]
    fn refuses_values_it_does_not_fully_understand() {
        for value in [
            "!",
            "!!",
            "gtag=true",
            "!gtag",
            "!gtag=",
            "!gtag=tru",
            "!gtag=TRUE",
            "!gtag=true!",
            "!gtag=true!!youtube=false",
            "!=true",
            "!gtag=true=false",
            "!gtag=yes",
            "%FF",
            "garbage",
        ] {
            assert!(read(value).is_err(), "{value:?} was read");
        }
    }

    #[test]
    fn reports_nothing_when_unreadable_even_after_good_keys() {
        let mut answers = 0;
        let result = TarteaucitronFormat.read("!gtag=true!youtube=maybe", &mut |_, _| answers += 1);
        assert!(result.is_err());
        assert_eq!(answers, 0);
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_read_without_panicking_or_answering_on_error(
            value in proptest::prop_oneof![".*", "(![a-z=]{0,8}(=(true|false|wait))?){0,5}"]
        ) {
            let mut answers = 0;
            let result = TarteaucitronFormat.read(&value, &mut |_, _| answers += 1);
            if result.is_err() {
                proptest::prop_assert_eq!(answers, 0);
            }
        }
    }
}
