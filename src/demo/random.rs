//! Throwaway random values for the demo portal's cookies (tokens, visitor ids). A xorshift is
//! plenty: nothing here protects anything, the values only have to look like a real portal's and
//! differ between visits. Not for any security use.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A xorshift64* generator shared by the portal's connection tasks without a lock.
#[derive(Debug)]
pub struct Xorshift {
    state: AtomicU64,
}

impl Xorshift {
    /// Seeds from the clock, so two demo runs hand out different values.
    pub fn seed_from_time() -> Xorshift {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        // Fold the 128-bit count into 64 bits; xorshift must never start from zero.
        let seed = (nanos as u64) ^ ((nanos >> 64) as u64) ^ 0x9E37_79B9_7F4A_7C15;
        Xorshift {
            state: AtomicU64::new(seed.max(1)),
        }
    }

    pub fn next_u64(&self) -> u64 {
        let mut current = self.state.load(Ordering::Relaxed);
        loop {
            let next = step(current);
            match self.state.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next.wrapping_mul(0x2545_F491_4F6C_DD1D),
                Err(seen) => current = seen,
            }
        }
    }

    /// `bytes` random bytes as lowercase hex (like Django's tokens).
    pub fn hex(&self, bytes: usize) -> String {
        let mut text = String::with_capacity(bytes * 2);
        let mut word = 0;
        for i in 0..bytes {
            if i % 8 == 0 {
                word = self.next_u64();
            }
            let byte = (word >> ((i % 8) * 8)) & 0xff;
            text.push_str(&format!("{byte:02x}"));
        }
        text
    }

    /// A decimal number below 10^digits, as analytics visitor ids look.
    pub fn digits(&self, digits: u32) -> u64 {
        self.next_u64() % 10u64.saturating_pow(digits)
    }
}

fn step(mut x: u64) -> u64 {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    x
}

/// Seconds since the epoch, as analytics cookies embed their creation time.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_has_two_digits_per_byte() {
        let rng = Xorshift::seed_from_time();
        let token = rng.hex(16);
        assert_eq!(token.len(), 32);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn successive_values_differ() {
        let rng = Xorshift::seed_from_time();
        assert_ne!(rng.hex(16), rng.hex(16));
        assert!(rng.digits(9) < 1_000_000_000);
    }
}
