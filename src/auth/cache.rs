//! A cache of verified tokens, owned by one verifier.
//!
//! A browser sends the same session token with every request until it is refreshed (about a
//! minute), so a server checks the same bytes over and over; the RSA signature check is what
//! costs. An entry remembers that a token passed every check, under the SHA-256 of its exact
//! bytes (the token itself is not kept). The time checks still run on every hit, and an entry
//! never outlives the token's `exp` nor the configured maximum age, nor the key set it was
//! verified with.
//!
//! The map is split into shards, each behind its own mutex, chosen by the digest: concurrent
//! requests with different tokens rarely meet on a lock, and a lock is held only for a lookup
//! or an insertion, never across a signature check.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use super::claims::Times;
use super::verifier::Principal;

/// Number of shards: a power of two comfortably above the core count of most servers.
const SHARDS: usize = 32;

/// SHA-256 of a token's bytes.
pub(crate) type Digest = [u8; 32];

pub(crate) fn digest(token: &str) -> Digest {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// The key is already a uniform hash: its first eight bytes serve as the map's hash, so that
/// a lookup does not hash it a second time.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // A `[u8; 32]` is written as its length, then its bytes: the bytes come last, and
        // their first eight are what is left in the state.
        for &b in bytes.iter().take(8) {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
}

/// One lock's worth of the cache. The counters live under the same lock, so that counting
/// costs no shared atomic.
#[derive(Default)]
struct Shard {
    map: HashMap<Digest, Entry, BuildHasherDefault<DigestHasher>>,
    hits: u64,
    misses: u64,
}

struct Entry {
    principal: Arc<Principal>,
    times: Times,
    /// The entry is dropped at this time (ms since the epoch, on the verifier's clock): the
    /// earlier of `exp` and insertion plus the maximum age.
    until_ms: i64,
    /// The key set generation the token was verified under.
    generation: u64,
}

/// Counters of a verifier's [token cache](super::VerifierBuilder::token_cache), e.g. for
/// metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCacheStats {
    /// Tokens held now (entries past their time are counted until they are next looked up or
    /// pushed out).
    pub entries: usize,
    /// Verifications answered from the cache.
    pub hits: u64,
    /// Verifications that had to check the signature (the token was not held, or its entry
    /// had ended).
    pub misses: u64,
}

/// What a lookup found.
pub(crate) struct Hit {
    pub principal: Arc<Principal>,
    pub times: Times,
}

pub(crate) struct TokenCache {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    max_age_ms: i64,
}

impl TokenCache {
    /// A cache of at most `max_entries` tokens (rounded up to a multiple of the shard count),
    /// each kept at most `max_age_ms`.
    pub(crate) fn new(max_entries: usize, max_age_ms: i64) -> Self {
        let per_shard = max_entries.div_ceil(SHARDS).max(1);
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard,
            max_age_ms,
        }
    }

    fn shard(&self, key: &Digest) -> MutexGuard<'_, Shard> {
        let index = usize::from(key[31]) % SHARDS;
        // A poisoned shard only means a panic elsewhere while holding it; the map is sound.
        self.shards[index].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `key`, if it is still valid at `now_ms` under key set `generation`.
    pub(crate) fn get(&self, key: &Digest, now_ms: i64, generation: u64) -> Option<Hit> {
        let mut shard = self.shard(key);
        let Some(entry) = shard.map.get(key) else {
            shard.misses += 1;
            return None;
        };
        if entry.generation != generation || now_ms >= entry.until_ms {
            shard.map.remove(key);
            shard.misses += 1;
            return None;
        }
        let hit = Some(Hit {
            principal: entry.principal.clone(),
            times: entry.times,
        });
        shard.hits += 1;
        hit
    }

    /// Remembers a verified token. A full shard first drops its stale entries, then, if still
    /// full, the entry that would have expired first.
    pub(crate) fn insert(
        &self,
        key: Digest,
        principal: Principal,
        times: Times,
        now_ms: i64,
        generation: u64,
    ) {
        let until_ms = now_ms
            .saturating_add(self.max_age_ms)
            .min(times.exp.saturating_mul(1000));
        if until_ms <= now_ms {
            return;
        }
        let mut guard = self.shard(&key);
        let shard = &mut guard.map;
        if shard.len() >= self.per_shard && !shard.contains_key(&key) {
            shard.retain(|_, e| e.generation == generation && now_ms < e.until_ms);
            if shard.len() >= self.per_shard
                && let Some(first) = shard
                    .iter()
                    .min_by_key(|(_, e)| e.until_ms)
                    .map(|(k, _)| *k)
            {
                shard.remove(&first);
            }
        }
        shard.insert(
            key,
            Entry {
                principal: Arc::new(principal),
                times,
                until_ms,
                generation,
            },
        );
    }

    /// Drops every entry (the counters stay).
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            shard.lock().unwrap_or_else(|e| e.into_inner()).map.clear();
        }
    }

    /// Entries held (stale ones included until they are next touched), hits and misses.
    pub(crate) fn stats(&self) -> TokenCacheStats {
        let mut stats = TokenCacheStats::default();
        for shard in &self.shards {
            let shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            stats.entries += shard.map.len();
            stats.hits += shard.hits;
            stats.misses += shard.misses;
        }
        stats
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.stats().entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{MachineClaims, TokenKind};

    fn principal() -> Principal {
        let body = br#"{"id":"ak_1","subject":"user_1","scopes":[]}"#;
        Principal::Machine(Box::new(
            MachineClaims::from_api_response(TokenKind::ApiKey, body).expect("valid body"),
        ))
    }

    fn times(exp: i64) -> Times {
        Times {
            exp,
            nbf: None,
            iat: None,
        }
    }

    #[test]
    fn entries_end_at_exp_or_max_age_whichever_first() {
        let cache = TokenCache::new(64, 60_000);
        let key = digest("a");
        // exp in 10 s: the entry ends then, not after 60 s.
        cache.insert(key, principal(), times(1_010), 1_000_000, 0);
        assert!(cache.get(&key, 1_009_999, 0).is_some());
        assert!(cache.get(&key, 1_010_000, 0).is_none());
        // exp far away: the maximum age ends it.
        cache.insert(key, principal(), times(9_999_999), 1_000_000, 0);
        assert!(cache.get(&key, 1_059_999, 0).is_some());
        assert!(cache.get(&key, 1_060_000, 0).is_none());
    }

    #[test]
    fn another_generation_misses() {
        let cache = TokenCache::new(64, 60_000);
        let key = digest("a");
        cache.insert(key, principal(), times(9_999_999), 1_000_000, 3);
        assert!(cache.get(&key, 1_000_001, 4).is_none());
        assert!(
            cache.get(&key, 1_000_001, 3).is_none(),
            "the stale entry was dropped"
        );
    }

    #[test]
    fn bounded_in_entries() {
        let cache = TokenCache::new(SHARDS * 2, 60_000);
        for i in 0..10_000 {
            cache.insert(
                digest(&i.to_string()),
                principal(),
                times(9_999_999),
                1_000_000,
                0,
            );
        }
        assert!(cache.len() <= SHARDS * 2, "{}", cache.len());
        cache.clear();
        assert_eq!(cache.len(), 0);
    }
}
