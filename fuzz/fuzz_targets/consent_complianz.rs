//! The `complianz` consent adapter on arbitrary values: read or refused, never a panic, and nothing
//! answered when refused.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    let Some(format) = consentry::consent::source::make_format("complianz") else {
        return;
    };
    let mut answered = false;
    if format.read(value, &mut |_, _| answered = true).is_err() {
        assert!(!answered, "an unreadable value must not answer");
    }
});
