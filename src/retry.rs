//! When a failed request is sent again, and how long to wait first.
//!
//! Retries are on by default ([`RetryPolicy::default`]). A request is sent
//! again only when doing so cannot apply a change twice:
//!
//! | outcome | methods retried | why it is safe |
//! |---|---|---|
//! | connection could not be opened | all | nothing reached Clerk |
//! | 429 Too Many Requests | all | Clerk refused the request before handling it |
//! | 502, 503, 504 | all | the gateway or Clerk refused or lost the request before handling it |
//! | 500 Internal Server Error | GET, HEAD, PUT, DELETE, OPTIONS | repeating an idempotent request has the effect of sending it once |
//! | timeout, connection lost mid-request (reply body included) | GET, HEAD, PUT, DELETE, OPTIONS | the first attempt may have been applied |
//!
//! The reply body is read inside the retry loop: a connection reset, or a
//! body that stalls after the status line until the timeout, counts as a
//! connection lost mid-request. Any other status (400, 401, 404, 422, …, and
//! redirects, which are not followed) is returned at once: sending the
//! same request again would fail the same way. A reply over the size limit
//! ([`ClerkBuilder::max_response_size`](crate::ClerkBuilder::max_response_size))
//! is not retried either. Uploads
//! ([`crate::uploads`]) are never sent twice: their multipart body is
//! streamed, so there is no copy to send again.
//!
//! The wait before attempt `n + 1` is `initial_backoff * 2^(n-1)`, capped at
//! `max_backoff`, with jitter: a random value between half of that and all of
//! it, so that many clients failing together do not come back together. When
//! Clerk sends `Retry-After` (seconds or an HTTP date), that wait is used
//! instead, unless it exceeds `max_retry_after`: then the error is returned
//! at once, with [`Error::retry_after`](crate::Error::retry_after) set, so
//! the caller decides. Retrying stops after `max_attempts` attempts in all,
//! or when the next wait would end after `max_elapsed` since the first
//! attempt started.
//!
//! `max_elapsed` is a deadline for the whole call: each attempt is also cut
//! off when the budget runs out (the call then fails with
//! [`Error::Timeout`](crate::Error::Timeout)), so an attempt that starts
//! late cannot run its full timeout past the budget.
//!
//! Per request, use [`Clerk::with_retry_policy`](crate::Clerk::with_retry_policy)
//! (cheap: it shares the connection pool); [`RetryPolicy::disabled`] turns
//! retries off.

use reqwest::{Method, StatusCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// How failed requests are retried. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; `1` means no retry. Default 3.
    pub max_attempts: u32,
    /// Wait before the first retry, before jitter. Default 500 ms.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts, before jitter. Default 8 s.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one ends retrying. Default 60 s.
    pub max_retry_after: Duration,
    /// The whole call, attempts and waits, ends within this much time since
    /// the first attempt started: each attempt is limited to what is left,
    /// and no retry starts whose wait would end after it. Default 60 s.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

/// What happened to one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A reply with this status.
    Status(StatusCode),
    /// The connection could not be opened: nothing was sent.
    ConnectFailed,
    /// Timed out or lost the connection after sending may have started.
    FailedInFlight,
    /// An outcome that another attempt would not change: a reply over the
    /// size limit, or the time budget spent.
    Final,
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets [`max_attempts`](Self::max_attempts).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets [`initial_backoff`](Self::initial_backoff).
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff).
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// Sets [`max_retry_after`](Self::max_retry_after).
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Sets [`max_elapsed`](Self::max_elapsed).
    pub fn max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// Whether this outcome of this method may be retried at all.
    pub(crate) fn is_retryable(method: &Method, outcome: Outcome) -> bool {
        let idempotent = matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        match outcome {
            Outcome::ConnectFailed => true,
            Outcome::FailedInFlight => idempotent,
            Outcome::Final => false,
            Outcome::Status(s) => match s.as_u16() {
                429 | 502 | 503 | 504 => true,
                500 => idempotent,
                _ => false,
            },
        }
    }

    /// How long to wait before the next attempt, or `None` to stop.
    ///
    /// `attempt` is the number of the attempt that just failed (1-based),
    /// `elapsed` the time since the first one started.
    pub(crate) fn next_wait(
        &self,
        method: &Method,
        outcome: Outcome,
        retry_after: Option<Duration>,
        attempt: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts || !Self::is_retryable(method, outcome) {
            return None;
        }
        let wait = match retry_after {
            Some(wait) if wait > self.max_retry_after => return None,
            Some(wait) => wait,
            None => jitter(self.backoff(attempt)),
        };
        (elapsed + wait <= self.max_elapsed).then_some(wait)
    }

    /// The wait after failed attempt `attempt`, before jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// A random duration between half of `wait` and `wait`.
fn jitter(wait: Duration) -> Duration {
    let half = wait / 2;
    let nanos = half.as_nanos().min(u64::MAX as u128) as u64;
    if nanos == 0 {
        return wait;
    }
    half + Duration::from_nanos(random() % (nanos + 1))
}

/// A fast, non-cryptographic random number (splitmix64 over a counter seeded
/// from the clock): jitter needs spread, not secrecy.
fn random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut z = STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(seed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Reads `Retry-After`: a number of seconds or an HTTP date.
pub(crate) fn parse_retry_after(
    value: &reqwest::header::HeaderValue,
    now: SystemTime,
) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(500));
        assert_eq!(p.backoff(2), Duration::from_secs(1));
        assert_eq!(p.backoff(5), Duration::from_secs(8));
        assert_eq!(p.backoff(40), Duration::from_secs(8));
    }

    #[test]
    fn jitter_stays_between_half_and_all() {
        for _ in 0..1000 {
            let w = jitter(Duration::from_secs(2));
            assert!(
                w >= Duration::from_secs(1) && w <= Duration::from_secs(2),
                "{w:?}"
            );
        }
    }

    #[test]
    fn post_is_not_retried_on_500_but_get_is() {
        let s = Outcome::Status(StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!RetryPolicy::is_retryable(&Method::POST, s));
        assert!(RetryPolicy::is_retryable(&Method::GET, s));
        assert!(RetryPolicy::is_retryable(
            &Method::POST,
            Outcome::Status(StatusCode::TOO_MANY_REQUESTS)
        ));
        assert!(!RetryPolicy::is_retryable(
            &Method::POST,
            Outcome::FailedInFlight
        ));
        assert!(RetryPolicy::is_retryable(
            &Method::POST,
            Outcome::ConnectFailed
        ));
        assert!(!RetryPolicy::is_retryable(
            &Method::GET,
            Outcome::Status(StatusCode::NOT_FOUND)
        ));
    }

    #[test]
    fn retry_after_over_the_cap_stops() {
        let p = RetryPolicy::default();
        let s = Outcome::Status(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            p.next_wait(
                &Method::GET,
                s,
                Some(Duration::from_secs(2)),
                1,
                Duration::ZERO
            ),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.next_wait(
                &Method::GET,
                s,
                Some(Duration::from_secs(61)),
                1,
                Duration::ZERO
            ),
            None
        );
        assert_eq!(p.next_wait(&Method::GET, s, None, 3, Duration::ZERO), None);
        assert_eq!(
            p.next_wait(
                &Method::GET,
                s,
                Some(Duration::from_secs(2)),
                1,
                Duration::from_secs(59)
            ),
            None
        );
    }

    #[test]
    fn retry_after_in_both_forms() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        let secs = HeaderValue::from_static("7");
        assert_eq!(parse_retry_after(&secs, now), Some(Duration::from_secs(7)));
        let date = HeaderValue::from_static("Wed, 21 Oct 2026 07:28:05 GMT");
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(5)));
        let past = HeaderValue::from_static("Wed, 21 Oct 2026 07:27:00 GMT");
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(&HeaderValue::from_static("soon"), now),
            None
        );
    }
}
