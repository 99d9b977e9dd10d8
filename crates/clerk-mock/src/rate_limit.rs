//! The opt-in rate limiter: a fixed number of requests per window for the whole instance, as
//! Clerk limits Backend API requests per secret key. Once the window's budget is spent, every
//! request is answered 429 `too_many_requests` with `Retry-After` (whole seconds until the
//! window ends) until the next window starts. `GET /v1/jwks` is never limited, as at Clerk.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many requests a server takes per window before answering 429; see
/// [`MockServerBuilder::rate_limit`](crate::MockServerBuilder::rate_limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    requests: u32,
    window: Duration,
}

impl RateLimit {
    /// Clerk's limit for development instances: 100 requests per 10 seconds.
    pub const DEVELOPMENT: RateLimit = RateLimit {
        requests: 100,
        window: Duration::from_secs(10),
    };

    /// Clerk's limit for production instances: 1000 requests per 10 seconds.
    pub const PRODUCTION: RateLimit = RateLimit {
        requests: 1000,
        window: Duration::from_secs(10),
    };

    /// `requests` per `window`, for tests that want to reach the limit quickly. At least one
    /// request and a window of at least a millisecond are allowed.
    pub fn new(requests: u32, window: Duration) -> RateLimit {
        RateLimit {
            requests: requests.max(1),
            window: window.max(Duration::from_millis(1)),
        }
    }

    /// Requests allowed per window.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The length of a window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// The limiter of one server.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    /// Start of the current window and requests counted in it.
    window: Mutex<(Instant, u32)>,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            window: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Counts a request; `Err(seconds)` when it is over the limit, with the seconds until the
    /// window ends (at least 1).
    pub fn admit(&self) -> Result<(), u64> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> Result<(), u64> {
        let mut window = self
            .window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if now.saturating_duration_since(window.0) >= self.limit.window {
            *window = (now, 0);
        }
        if window.1 >= self.limit.requests {
            let left = self
                .limit
                .window
                .saturating_sub(now.saturating_duration_since(window.0));
            return Err(left.as_millis().div_ceil(1000).max(1) as u64);
        }
        window.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_its_budget_then_refuses_until_it_ends() {
        let limiter = Limiter::new(RateLimit::new(3, Duration::from_secs(10)));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.admit_at(start), Ok(()));
        }
        assert_eq!(limiter.admit_at(start), Err(10));
        assert_eq!(
            limiter.admit_at(start + Duration::from_millis(8_500)),
            Err(2)
        );
        assert_eq!(limiter.admit_at(start + Duration::from_secs(10)), Ok(()));
    }

    #[test]
    fn clerk_figures() {
        assert_eq!(RateLimit::DEVELOPMENT.requests(), 100);
        assert_eq!(RateLimit::DEVELOPMENT.window(), Duration::from_secs(10));
        assert_eq!(RateLimit::new(0, Duration::ZERO).requests(), 1);
    }
}
