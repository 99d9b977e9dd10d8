//! Checking that a delivery was signed with the endpoint's secret, recently.

use super::Event;
use super::replay::SeenIds;
use super::secret::{BASE64, SecretError, SigningSecret};
use base64::Engine as _;
use hmac::Mac as _;
use http::{HeaderMap, HeaderName, Request, StatusCode};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq as _;

/// How far a delivery's timestamp may be from the verifier's clock, either way, by
/// default: five minutes, as in the Svix and Standard Webhooks libraries.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The three headers of a delivery under one naming scheme. Parsed once: looking a
/// header up by `&str` would parse the name on every call.
struct HeaderNames {
    id: HeaderName,
    timestamp: HeaderName,
    signature: HeaderName,
}

/// Names Svix, which delivers Clerk's webhooks, uses.
static SVIX: HeaderNames = HeaderNames {
    id: HeaderName::from_static("svix-id"),
    timestamp: HeaderName::from_static("svix-timestamp"),
    signature: HeaderName::from_static("svix-signature"),
};

/// Names from the Standard Webhooks specification; same content.
static STANDARD: HeaderNames = HeaderNames {
    id: HeaderName::from_static("webhook-id"),
    timestamp: HeaderName::from_static("webhook-timestamp"),
    signature: HeaderName::from_static("webhook-signature"),
};

impl HeaderNames {
    fn any_in(&'static self, headers: &HeaderMap) -> bool {
        [&self.id, &self.timestamp, &self.signature]
            .into_iter()
            .any(|name| headers.contains_key(name))
    }
}

/// Length of an HMAC-SHA256 tag.
const TAG_LEN: usize = 32;

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Checks webhook deliveries against an endpoint's signing secret.
///
/// A delivery passes when its timestamp is within the tolerance of the verifier's clock
/// (both directions) and one of the `v1` signatures in its signature header is the
/// HMAC-SHA256 of `<id>.<timestamp>.<body>` under the secret. Signatures are compared in
/// constant time.
///
/// Headers are read under the Svix names (`svix-id`, `svix-timestamp`, `svix-signature`)
/// when any of those is present, otherwise under the Standard Webhooks names
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature`); the two sets are never mixed.
///
/// With a replay guard ([`with_replay_guard`](Self::with_replay_guard)), a delivery that
/// passes is also recorded, and the same delivery arriving again is refused.
///
/// Cloning is cheap (clones share the replay guard); `Debug` does not show the secret.
#[derive(Clone)]
pub struct Verifier {
    secret: SigningSecret,
    tolerance: Duration,
    clock: Option<Clock>,
    seen: Option<Arc<dyn SeenIds>>,
}

impl Verifier {
    /// A verifier for `secret` with the default tolerance and the system clock.
    pub fn new(secret: SigningSecret) -> Self {
        Self {
            secret,
            tolerance: DEFAULT_TOLERANCE,
            clock: None,
            seen: None,
        }
    }

    /// A verifier for a `whsec_...` secret; see [`SigningSecret::new`].
    pub fn from_secret(secret: &str) -> Result<Self, SecretError> {
        SigningSecret::new(secret).map(Self::new)
    }

    /// A verifier for the secret in `CLERK_WEBHOOK_SIGNING_SECRET`.
    pub fn from_env() -> Result<Self, SecretError> {
        SigningSecret::from_env().map(Self::new)
    }

    /// Sets how far, in whole seconds, a delivery's timestamp may be from the clock.
    ///
    /// Wider values accept older replays; narrower ones reject deliveries when clocks
    /// drift or retries queue.
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Replaces the system clock, for tests that replay recorded deliveries.
    pub fn with_clock<F>(mut self, clock: F) -> Self
    where
        F: Fn() -> SystemTime + Send + Sync + 'static,
    {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Refuses a delivery already accepted ([`VerifyError::Replayed`]), using `store` to
    /// remember accepted ones: [`InMemorySeenIds`](super::InMemorySeenIds) for one process, a
    /// shared store when several servers receive deliveries. Off by default. See
    /// [`SeenIds`] for what is remembered and for how long.
    pub fn with_replay_guard(mut self, store: impl SeenIds + 'static) -> Self {
        self.seen = Some(Arc::new(store));
        self
    }

    /// The secret deliveries are checked against.
    pub fn secret(&self) -> &SigningSecret {
        &self.secret
    }

    /// Checks a delivery's headers against its raw body, exactly as received.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
        let names = if !SVIX.any_in(headers) && STANDARD.any_in(headers) {
            &STANDARD
        } else {
            &SVIX
        };

        let id = header(headers, &names.id)?;
        let timestamp = header(headers, &names.timestamp)?;
        let signatures = header(headers, &names.signature)?;

        let seconds = std::str::from_utf8(timestamp)
            .ok()
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or(VerifyError::InvalidTimestamp(names.timestamp.as_str()))?;
        self.check_time(seconds)?;

        // Signed as received: the timestamp's own bytes, not a reformatted number.
        let expected = self.secret.tag(id, timestamp, body);
        check_signatures(&expected, signatures, names.signature.as_str())?;
        match &self.seen {
            Some(seen) => self.record(seen.as_ref(), id, seconds),
            None => Ok(()),
        }
    }

    /// Records an authentic delivery in the replay guard; refuses it if it was recorded before.
    fn record(&self, seen: &dyn SeenIds, id: &[u8], timestamp: i64) -> Result<(), VerifyError> {
        // Kept until the timestamp leaves the tolerance (plus a second for rounding): from
        // then on the time check refuses the delivery by itself.
        let now = self.now_seconds();
        let left = i128::from(timestamp) + i128::from(self.tolerance.as_secs()) - now + 1;
        let ttl = Duration::from_secs(u64::try_from(left).unwrap_or(0));
        match seen.insert(&String::from_utf8_lossy(id), timestamp, ttl) {
            Ok(true) => Ok(()),
            Ok(false) => Err(VerifyError::Replayed),
            Err(error) => {
                tracing::warn!(%error, "the webhook replay guard could not be consulted");
                Err(VerifyError::SeenIdsUnavailable(error.to_string()))
            }
        }
    }

    /// Checks a delivery, then decodes its body as an [`Event`].
    pub fn verify_event(&self, headers: &HeaderMap, body: &[u8]) -> Result<Event, WebhookError> {
        self.verify(headers, body)?;
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(WebhookError::Payload)?;
        Event::from_value(value).map_err(WebhookError::Payload)
    }

    /// [`verify_event`](Self::verify_event) for a request whose body has been read.
    pub fn verify_request<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
    ) -> Result<Event, WebhookError> {
        self.verify_event(request.headers(), request.body().as_ref())
    }

    fn now(&self) -> SystemTime {
        self.clock
            .as_ref()
            .map_or_else(SystemTime::now, |clock| clock())
    }

    fn now_seconds(&self) -> i128 {
        match self.now().duration_since(UNIX_EPOCH) {
            Ok(since) => i128::from(since.as_secs()),
            Err(before) => -i128::from(before.duration().as_secs()),
        }
    }

    fn check_time(&self, timestamp: i64) -> Result<(), VerifyError> {
        let now = self.now_seconds();
        let tolerance = self.tolerance;
        let seconds = |delta: i128| Duration::from_secs(u64::try_from(delta).unwrap_or(u64::MAX));
        let age = now - i128::from(timestamp);
        if age > i128::from(tolerance.as_secs()) {
            return Err(VerifyError::TimestampTooOld {
                age: seconds(age),
                tolerance,
            });
        }
        if -age > i128::from(tolerance.as_secs()) {
            return Err(VerifyError::TimestampTooNew {
                ahead: seconds(-age),
                tolerance,
            });
        }
        Ok(())
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secret", &self.secret)
            .field("tolerance", &self.tolerance)
            .field(
                "clock",
                &if self.clock.is_some() {
                    "custom"
                } else {
                    "system"
                },
            )
            .field("replay_guard", &self.seen.is_some())
            .finish()
    }
}

impl SigningSecret {
    /// The HMAC-SHA256 of `<id>.<timestamp>.<body>`.
    fn tag(&self, id: &[u8], timestamp: &[u8], body: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = self.mac.clone();
        mac.update(id);
        mac.update(b".");
        mac.update(timestamp);
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    /// Signs a delivery the way Clerk does, returning the signature header value
    /// (`v1,<base64>`). Meant for tests of webhook handlers.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.tag(id.as_bytes(), timestamp.to_string().as_bytes(), body);
        format!("v1,{}", BASE64.encode(tag))
    }
}

/// A header's bytes; absent and empty are the same to us.
fn header<'a>(headers: &'a HeaderMap, name: &'static HeaderName) -> Result<&'a [u8], VerifyError> {
    match headers.get(name).map(|v| v.as_bytes()) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(VerifyError::MissingHeader(name.as_str())),
    }
}

/// Accepts when any `v1` entry of the space-separated list matches `expected`.
fn check_signatures(expected: &[u8], header: &[u8], name: &'static str) -> Result<(), VerifyError> {
    let mut well_formed = false;
    for entry in header.split(|b| *b == b' ').filter(|e| !e.is_empty()) {
        let Some(comma) = entry.iter().position(|b| *b == b',') else {
            continue;
        };
        let (version, signature) = (&entry[..comma], &entry[comma + 1..]);
        // Other schemes (such as Svix's asymmetric `v1a`) are not ours to check.
        if version != b"v1" {
            continue;
        }
        let mut decoded = [0u8; 2 * TAG_LEN];
        match BASE64.decode_slice(signature, &mut decoded) {
            Ok(TAG_LEN) => well_formed = true,
            _ => continue,
        }
        if bool::from(expected.ct_eq(&decoded[..TAG_LEN])) {
            return Ok(());
        }
    }
    Err(if well_formed {
        VerifyError::NoMatchingSignature
    } else {
        VerifyError::MalformedSignature(name)
    })
}

/// Why a delivery failed verification.
///
/// Every variant means the delivery must not be trusted; answer 401 without details.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A required header is absent or empty; the request is probably not a delivery.
    #[error(
        "the `{0}` header is missing or empty; the request does not look like a webhook delivery"
    )]
    MissingHeader(&'static str),
    /// The timestamp header is not a whole number of seconds.
    #[error("the `{0}` header is not a whole number of seconds since the Unix epoch")]
    InvalidTimestamp(&'static str),
    /// The delivery is older than the tolerance allows: possibly a replay.
    #[error(
        "the delivery was signed {age:?} ago, more than the {tolerance:?} allowed; it may be a replay, or this server's clock is off"
    )]
    TimestampTooOld {
        /// How old the delivery is.
        age: Duration,
        /// The verifier's tolerance.
        tolerance: Duration,
    },
    /// The delivery is dated further in the future than the tolerance allows.
    #[error(
        "the delivery is dated {ahead:?} in the future, more than the {tolerance:?} allowed; check this server's clock"
    )]
    TimestampTooNew {
        /// How far ahead of the clock the delivery is.
        ahead: Duration,
        /// The verifier's tolerance.
        tolerance: Duration,
    },
    /// The signature header holds no `v1,<base64 of 32 bytes>` entry.
    #[error("the `{0}` header holds no signature of the form `v1,<base64 HMAC-SHA256>`")]
    MalformedSignature(&'static str),
    /// No signature matches: the body or headers were altered, or the secret is not
    /// this endpoint's.
    #[error(
        "no signature matches; the body was altered, or the signing secret is not this endpoint's"
    )]
    NoMatchingSignature,
    /// The delivery is authentic but was accepted before: a replay. Only with a replay guard
    /// ([`Verifier::with_replay_guard`]).
    #[error("this delivery (same id and timestamp) was already accepted; it is a replay")]
    Replayed,
    /// The replay guard's store could not answer, so the delivery was refused rather than
    /// risk a replay; answer 503 so that the sender tries again later.
    #[error("the webhook replay guard could not be consulted: {0}")]
    SeenIdsUnavailable(String),
}

/// Why a delivery was not accepted as an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The delivery failed verification.
    #[error("webhook verification failed: {0}")]
    Verify(#[from] VerifyError),
    /// The delivery is authentic but its body is not an event: not JSON, or without
    /// the fields every event has.
    #[error("webhook body is not a Clerk event: {0}")]
    Payload(#[source] serde_json::Error),
}

impl WebhookError {
    /// The status to answer with: 401 for a failed verification, 503 when the replay
    /// guard could not be consulted (the sender retries later), 400 for a body that is not
    /// an event. Send it without the error's text.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Verify(VerifyError::SeenIdsUnavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Verify(_) => StatusCode::UNAUTHORIZED,
            Self::Payload(_) => StatusCode::BAD_REQUEST,
        }
    }
}
