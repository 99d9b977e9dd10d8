//! Identifiers, secrets and clocks.
//!
//! Ids look like Clerk's: a prefix, an underscore and 27 base-62 characters
//! (`user_2xVb...`). They only need to be unique within a server, so a fast generator seeded from
//! the system's random source is enough; secrets (the secret key, tickets) come from the system's
//! random source directly.

use ring::rand::{SecureRandom, SystemRandom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Generates ids for one server.
#[derive(Debug)]
pub(crate) struct IdGen {
    seed: u64,
    counter: AtomicU64,
}

impl IdGen {
    pub fn new() -> Self {
        let bytes = random_bytes::<8>();
        IdGen {
            seed: u64::from_le_bytes(bytes),
            counter: AtomicU64::new(0),
        }
    }

    /// A new id with the given prefix, e.g. `user_...`.
    pub fn next(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut state = self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut out = String::with_capacity(prefix.len() + 28);
        out.push_str(prefix);
        out.push('_');
        for _ in 0..27 {
            state = splitmix(state);
            out.push(ALPHABET[(state % 62) as usize] as char);
        }
        out
    }
}

impl IdGen {
    /// `len` fresh lower-case hex digits.
    pub fn hex(&self, len: usize) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut state = self.seed ^ n.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        let mut out = String::with_capacity(len);
        while out.len() < len {
            state = splitmix(state);
            for nibble in 0..16 {
                if out.len() < len {
                    out.push(b"0123456789abcdef"[((state >> (nibble * 4)) & 0xf) as usize] as char);
                }
            }
        }
        out
    }
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        // No system randomness (should not happen on supported platforms): fall back to the
        // clock so that servers still differ from each other.
        let t = now_nanos().to_le_bytes();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = t[i % t.len()] ^ (i as u8);
        }
    }
    bytes
}

/// A random base-62 string of `len` characters, for secrets.
pub(crate) fn random_token(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<32>() {
            // Rejection sampling keeps the characters uniform.
            if (b as usize) < 62 * 4 && out.len() < len {
                out.push(ALPHABET[(b as usize) % 62] as char);
            }
        }
    }
    out
}

/// A random lower-case hex string of `2 * N` characters.
pub(crate) fn random_hex<const N: usize>() -> String {
    random_bytes::<N>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch, the unit of Clerk's timestamps.
pub(crate) fn now_ms() -> i64 {
    (now_nanos() / 1_000_000) as i64
}

/// Seconds since the Unix epoch, the unit of token claims.
pub(crate) fn now_secs() -> i64 {
    (now_nanos() / 1_000_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_length_and_differ() {
        let ids = IdGen::new();
        let a = ids.next("user");
        let b = ids.next("user");
        assert!(a.starts_with("user_"));
        assert_eq!(a.len(), "user_".len() + 27);
        assert_ne!(a, b);
        assert!(a[5..].bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn random_tokens_are_alphanumeric() {
        let t = random_token(40);
        assert_eq!(t.len(), 40);
        assert!(t.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(t, random_token(40));
    }
}
