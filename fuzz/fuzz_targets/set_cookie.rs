//! The Set-Cookie parser and the lifetime it derives: any bytes, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        if let Ok(cookie) = consentry::policy::set_cookie::parse_set_cookie(line) {
            let _ = cookie.lifetime(1_764_393_123);
        }
    }
});
