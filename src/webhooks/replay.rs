//! Refusing a delivery that was already accepted: the replay guard.
//!
//! The timestamp check alone lets a captured delivery be sent again, as is, any number of
//! times within the tolerance (five minutes either way). A [`SeenIds`] store closes that
//! window: the verifier records each delivery it accepts, and refuses one it has recorded
//! with [`VerifyError::Replayed`](super::VerifyError::Replayed).
//!
//! # What is remembered
//!
//! A delivery is known by its id *and* its timestamp, both covered by the signature. A replay
//! repeats both; nobody without the secret can change either. Svix's own retries (after a
//! failed or timed-out attempt) carry the same id with a new timestamp and a new signature, so
//! they still pass: refusing them would only delay a delivery your handler has not completed.
//! An entry is kept until the delivery's timestamp falls out of the tolerance, after which the
//! timestamp check refuses it anyway; so memory holds at most the deliveries of one tolerance
//! window.
//!
//! This is a guard against replays, not deduplication: a message may still reach your handler
//! twice (a retry after your 2xx got lost). Make the handler idempotent on the message id
//! (`svix-id`) where that matters.
//!
//! # Several servers
//!
//! [`InMemorySeenIds`] protects one process. When several servers receive deliveries (behind
//! a load balancer), a replay sent to another server passes unless they share the store.
//! Implement [`SeenIds`] over a shared store with an atomic "insert if absent, with expiry";
//! with Redis, `SET <key> 1 NX PX <ttl in ms>` answers `OK` for a new key and nothing for a
//! known one:
//!
//! ```
//! use clerk_backend_api::webhooks::{SeenIds, SeenIdsError};
//! use std::time::Duration;
//!
//! /// A client of the shared store, e.g. a pool of blocking Redis connections.
//! trait SetNx: Send + Sync {
//!     /// `SET key 1 NX PX ttl_ms`: true when the key was set.
//!     fn set_nx_px(&self, key: &str, ttl_ms: u64) -> Result<bool, String>;
//! }
//!
//! struct SharedSeenIds<C>(C);
//!
//! impl<C: SetNx> SeenIds for SharedSeenIds<C> {
//!     fn insert(&self, id: &str, timestamp: i64, ttl: Duration) -> Result<bool, SeenIdsError> {
//!         let key = format!("clerk-webhook:{id}:{timestamp}");
//!         let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
//!         self.0.set_nx_px(&key, ttl_ms).map_err(SeenIdsError::new)
//!     }
//! }
//! ```
//!
//! The check runs inside verification, which is synchronous: keep the store's own timeout
//! short (tens of milliseconds), as it holds the thread for that long. When the store cannot
//! answer, the delivery is refused with
//! [`VerifyError::SeenIdsUnavailable`](super::VerifyError::SeenIdsUnavailable), answered 503
//! so that the sender tries again later, rather than let a possible replay through.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default number of deliveries an [`InMemorySeenIds`] remembers.
pub const DEFAULT_SEEN_IDS_CAPACITY: usize = 100_000;

/// A store of the deliveries a verifier has accepted (a seen-id store).
///
/// See the [module docs](self) for what to key on and for a shared implementation.
pub trait SeenIds: Send + Sync {
    /// Records the delivery `id` signed at `timestamp` (seconds since the Unix epoch), to be
    /// remembered for `ttl`. Answers `true` when it was not recorded yet, `false` when it was
    /// (a replay). Must be atomic: of two concurrent calls with the same delivery, one answers
    /// `false`.
    fn insert(&self, id: &str, timestamp: i64, ttl: Duration) -> Result<bool, SeenIdsError>;
}

impl<T: SeenIds + ?Sized> SeenIds for Arc<T> {
    fn insert(&self, id: &str, timestamp: i64, ttl: Duration) -> Result<bool, SeenIdsError> {
        (**self).insert(id, timestamp, ttl)
    }
}

/// A [`SeenIds`] store could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenIdsError(String);

impl SeenIdsError {
    /// An error with this description (it is logged; don't put secrets in it).
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for SeenIdsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SeenIdsError {}

/// A [`SeenIds`] store in this process's memory: bounded, each entry dropped when its time is
/// up.
///
/// When it is full of entries still in their window, the oldest is dropped to make room (and
/// a warning logged): memory stays bounded, at the cost of that one delivery being replayable
/// for the rest of its window. Size it above the deliveries you expect in twice the tolerance
/// (ten minutes by default); each entry takes about 100 bytes plus the id.
///
/// ```
/// use clerk_backend_api::webhooks::{InMemorySeenIds, Verifier};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder()
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
///     .replay_guard(InMemorySeenIds::default())
///     .build()?;
/// # Ok(()) }
/// ```
pub struct InMemorySeenIds {
    capacity: usize,
    state: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    /// When each remembered delivery may be forgotten.
    expiry: HashMap<(Box<str>, i64), Instant>,
    /// The same deliveries in the order they were recorded.
    order: VecDeque<((Box<str>, i64), Instant)>,
}

impl InMemorySeenIds {
    /// A store remembering at most `capacity` deliveries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            state: Mutex::new(Entries::default()),
        }
    }

    /// How many deliveries are remembered now (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.lock().expiry.len()
    }

    /// Whether no delivery is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A poisoned lock only means a panic elsewhere while holding it; the maps are sound.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for InMemorySeenIds {
    /// A store of [`DEFAULT_SEEN_IDS_CAPACITY`] deliveries.
    fn default() -> Self {
        Self::new(DEFAULT_SEEN_IDS_CAPACITY)
    }
}

impl fmt::Debug for InMemorySeenIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemorySeenIds")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl SeenIds for InMemorySeenIds {
    fn insert(&self, id: &str, timestamp: i64, ttl: Duration) -> Result<bool, SeenIdsError> {
        let now = Instant::now();
        let mut entries = self.lock();
        let key = (Box::<str>::from(id), timestamp);
        if entries.expiry.get(&key).is_some_and(|until| *until > now) {
            return Ok(false);
        }
        entries.sweep(now);
        // The order holds every entry of the map (and perhaps outdated copies), so bounding
        // it bounds both.
        while entries.order.len() >= self.capacity {
            let Some((oldest, until)) = entries.order.pop_front() else {
                break;
            };
            if entries.expiry.get(&oldest) == Some(&until) {
                entries.expiry.remove(&oldest);
                if until > now {
                    tracing::warn!(
                        capacity = self.capacity,
                        "the webhook replay guard is full; forgetting the oldest delivery early"
                    );
                }
            }
        }
        let until = now.checked_add(ttl).unwrap_or(now);
        entries.expiry.insert(key.clone(), until);
        entries.order.push_back((key, until));
        Ok(true)
    }
}

impl Entries {
    /// Drops the expired entries at the front of the order. Entries live for different times,
    /// so an expired one may wait behind a live one; it is dropped when its turn comes, and
    /// the capacity bounds memory meanwhile.
    fn sweep(&mut self, now: Instant) {
        while let Some((key, until)) = self.order.front() {
            if *until > now {
                break;
            }
            // Only if the map still holds this very entry, not a newer one of the same key.
            if self.expiry.get(key) == Some(until) {
                self.expiry.remove(key);
            }
            self.order.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_is_new_once_within_its_time() {
        let seen = InMemorySeenIds::new(10);
        let ttl = Duration::from_secs(60);
        assert_eq!(seen.insert("msg_1", 100, ttl), Ok(true));
        assert_eq!(seen.insert("msg_1", 100, ttl), Ok(false));
        // A retry of the same message is signed anew, at another time.
        assert_eq!(seen.insert("msg_1", 105, ttl), Ok(true));
        assert_eq!(seen.insert("msg_2", 100, ttl), Ok(true));
        assert_eq!(seen.len(), 3);
    }

    #[test]
    fn entries_expire() {
        let seen = InMemorySeenIds::new(10);
        assert_eq!(seen.insert("msg_1", 100, Duration::ZERO), Ok(true));
        assert_eq!(seen.insert("msg_1", 100, Duration::ZERO), Ok(true));
        assert_eq!(seen.len(), 1, "the expired entry was swept");
    }

    #[test]
    fn memory_is_bounded() {
        let seen = InMemorySeenIds::new(3);
        let ttl = Duration::from_secs(60);
        for i in 0..10 {
            assert_eq!(seen.insert(&format!("msg_{i}"), 100, ttl), Ok(true));
            assert!(seen.len() <= 3);
        }
        // The newest are remembered, the oldest forgotten.
        assert_eq!(seen.insert("msg_9", 100, ttl), Ok(false));
        assert_eq!(seen.insert("msg_0", 100, ttl), Ok(true));
    }
}
