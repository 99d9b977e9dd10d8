//! Checking that a delivery was signed with the endpoint's secret, recently.

use super::Event;
use super::replay::SeenIds;
use super::secret::{SecretError, SigningSecret};
use base64::Engine as _;
use base64::engine::GeneralPurpose;
use hmac::Mac as _;
use http::{HeaderMap, HeaderName, Request, StatusCode};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq as _;

/// How far a delivery's timestamp may be from the verifier's clock, either way, by
/// default: five minutes, as in the Svix and Standard Webhooks libraries.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Largest body the `VerifiedEvent` extractors (axum, actix-web) and [`Verifier::read_event`]
/// read by default: 2 MiB, axum's own default limit. Clerk's events are far smaller; raise it
/// with [`VerifierBuilder::max_body_size`] if yours are not.
pub const DEFAULT_MAX_BODY_SIZE: usize = 2 * 1024 * 1024;

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
/// With a replay guard ([`VerifierBuilder::replay_guard`]), a delivery that passes is also
/// recorded, and the same delivery arriving again is refused.
///
/// Build one with [`Verifier::builder`], or with the short constructors [`from_env`],
/// [`from_secret`] and [`new`] for the defaults. Cloning is cheap (clones share the replay
/// guard); `Debug` does not show the secret.
///
/// [`from_env`]: Self::from_env
/// [`from_secret`]: Self::from_secret
/// [`new`]: Self::new
#[derive(Clone)]
pub struct Verifier {
    secret: SigningSecret,
    tolerance: Duration,
    clock: Option<Clock>,
    max_body_size: usize,
    seen: Option<Arc<dyn SeenIds>>,
}

/// Settings for a webhook [`Verifier`]; start from [`Verifier::builder`] or
/// [`VerifierBuilder::from_env`]. The setters are named as those of the session-token
/// verifier's builder ([`auth::VerifierBuilder`](crate::auth::VerifierBuilder)).
///
/// ```
/// use clerk_backend_api::webhooks::Verifier;
/// use std::time::Duration;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder()
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
///     .clock_skew(Duration::from_secs(60))
///     .max_body_size(8 * 1024 * 1024)
///     .build()?;
/// assert_eq!(verifier.max_body_size(), 8 * 1024 * 1024);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct VerifierBuilder {
    secret: Option<Result<SigningSecret, SecretError>>,
    clock_skew: Duration,
    clock: Option<Clock>,
    max_body_size: usize,
    seen: Option<Arc<dyn SeenIds>>,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        Self {
            secret: None,
            clock_skew: DEFAULT_TOLERANCE,
            clock: None,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            seen: None,
        }
    }
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("clock_skew", &self.clock_skew)
            .field("max_body_size", &self.max_body_size)
            .field("replay_guard", &self.seen.is_some())
            .finish_non_exhaustive()
    }
}

impl VerifierBuilder {
    /// A builder holding the secret in `CLERK_WEBHOOK_SIGNING_SECRET` (an error at
    /// [`build`](Self::build) when it is unset or unusable).
    pub fn from_env() -> Self {
        Self {
            secret: Some(SigningSecret::from_env()),
            ..Self::default()
        }
    }

    /// The endpoint's `whsec_…` secret; see [`SigningSecret::new`]. Checked by
    /// [`build`](Self::build).
    pub fn secret(mut self, secret: &str) -> Self {
        self.secret = Some(SigningSecret::new(secret));
        self
    }

    /// The endpoint's secret, already parsed.
    pub fn signing_secret(mut self, secret: SigningSecret) -> Self {
        self.secret = Some(Ok(secret));
        self
    }

    /// How far, in whole seconds, a delivery's timestamp may be from the clock, either way;
    /// [`DEFAULT_TOLERANCE`] (5 minutes) by default.
    ///
    /// Wider values accept older replays; narrower ones reject deliveries when clocks drift
    /// or retries queue.
    pub fn clock_skew(mut self, tolerance: Duration) -> Self {
        self.clock_skew = tolerance;
        self
    }

    /// Replaces the system clock, for tests that replay recorded deliveries.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// The largest body, in bytes, the `VerifiedEvent` extractors (axum, actix-web) and
    /// [`Verifier::read_event`] read; [`DEFAULT_MAX_BODY_SIZE`] (2 MiB) by default. A larger
    /// delivery is answered `413 Payload Too Large` without being read further.
    /// [`Verifier::verify`] itself checks whatever it is given.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Refuses a delivery already accepted ([`VerifyError::Replayed`]), using `store` to
    /// remember accepted ones: [`InMemorySeenIds`](super::InMemorySeenIds) for one process, a
    /// shared store when several servers receive deliveries. Off by default. See
    /// [`replay`](super::replay) for what is remembered and for how long.
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
    pub fn replay_guard(mut self, store: impl SeenIds + 'static) -> Self {
        self.seen = Some(Arc::new(store));
        self
    }

    /// Checks the secret and builds the verifier.
    pub fn build(self) -> Result<Verifier, SecretError> {
        let secret = self.secret.unwrap_or(Err(SecretError::Missing))?;
        Ok(Verifier {
            secret,
            tolerance: self.clock_skew,
            clock: self.clock,
            max_body_size: self.max_body_size,
            seen: self.seen,
        })
    }
}

impl Verifier {
    /// Starts configuring a verifier.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// A verifier for `secret` with the default settings.
    pub fn new(secret: SigningSecret) -> Self {
        Self {
            secret,
            tolerance: DEFAULT_TOLERANCE,
            clock: None,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
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
    #[deprecated(note = "use `Verifier::builder().clock_skew(…)`")]
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Replaces the system clock, for tests that replay recorded deliveries.
    #[deprecated(note = "use `Verifier::builder().clock(…)`")]
    pub fn with_clock<F>(mut self, clock: F) -> Self
    where
        F: Fn() -> SystemTime + Send + Sync + 'static,
    {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The secret deliveries are checked against.
    pub fn secret(&self) -> &SigningSecret {
        &self.secret
    }

    /// The largest body [`read_event`](Self::read_event) and the framework extractors read; see
    /// [`VerifierBuilder::max_body_size`].
    pub fn max_body_size(&self) -> usize {
        self.max_body_size
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

        let seconds = parse_timestamp(timestamp)
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
        let left =
            i128::from(timestamp) + i128::from(self.tolerance.as_secs()) - self.now_seconds() + 1;
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
            .field("max_body_size", &self.max_body_size)
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
    /// (`v1,<base64>`). Meant for tests of webhook handlers. The id is taken as bytes (a
    /// `&str`, `&[u8]`, `Vec<u8>`, …), exactly as the `svix-id` header will carry it.
    pub fn sign(&self, id: impl AsRef<[u8]>, timestamp: i64, body: &[u8]) -> String {
        let tag = self.tag(id.as_ref(), timestamp.to_string().as_bytes(), body);
        format!("v1,{}", STRICT_BASE64.encode(tag))
    }
}

/// A header's bytes; absent and empty are the same to us.
fn header<'a>(headers: &'a HeaderMap, name: &'static HeaderName) -> Result<&'a [u8], VerifyError> {
    match headers.get(name).map(|v| v.as_bytes()) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(VerifyError::MissingHeader(name.as_str())),
    }
}

/// Standard base64 with its `=` padding required, as Svix writes signatures and as the Svix
/// and Standard Webhooks libraries read them (no padding, non-zero trailing bits: refused).
const STRICT_BASE64: GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A timestamp header: decimal digits only, without sign, leading zeros or spaces.
///
/// The signature covers the header's bytes, and the Svix libraries sign the number they parse,
/// written plainly: a header in any other spelling (`+17…`, `017…`, `17….0`) cannot carry a
/// signature they accept, so it is refused here too.
fn parse_timestamp(bytes: &[u8]) -> Option<i64> {
    let canonical = match bytes {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        _ => bytes.iter().all(u8::is_ascii_digit),
    };
    if !canonical {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Accepts when a `v1` entry of the space-separated list matches `expected`.
///
/// The list is read strictly, so that nothing passes here that one of the Svix or Standard
/// Webhooks libraries refuses: entries are separated by exactly one space, each entry is
/// `<version>,<signature>` with exactly one comma, and a `v1` signature is padded base64 of 32
/// bytes. Any entry that breaks these rules makes the whole header malformed, even when
/// another entry would match. Entries of other versions (Svix's asymmetric `v1a`) are skipped.
fn check_signatures(expected: &[u8], header: &[u8], name: &'static str) -> Result<(), VerifyError> {
    let malformed = VerifyError::MalformedSignature(name);
    let mut matched = false;
    for entry in header.split(|b| *b == b' ') {
        let mut parts = entry.split(|b| *b == b',');
        let (Some(version), Some(signature), None) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed);
        };
        if version.is_empty() {
            return Err(malformed);
        }
        if version != b"v1" {
            continue;
        }
        let mut decoded = [0u8; 2 * TAG_LEN];
        match STRICT_BASE64.decode_slice(signature, &mut decoded) {
            Ok(TAG_LEN) => {}
            _ => return Err(malformed),
        }
        // Every entry is still read after a match, so that a malformed one refuses the header
        // whatever its position.
        matched |= bool::from(expected.ct_eq(&decoded[..TAG_LEN]));
    }
    if matched {
        Ok(())
    } else {
        Err(VerifyError::NoMatchingSignature)
    }
}

/// Why a delivery failed verification.
///
/// Every variant means the delivery must not be trusted; answer 401 without details (503
/// for [`SeenIdsUnavailable`](Self::SeenIdsUnavailable), see [`WebhookError::status`]).
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
    /// The signature header is not a space-separated list of `<version>,<signature>`
    /// entries, or one of its `v1` entries is not padded base64 of 32 bytes.
    #[error(
        "the `{0}` header is not a list of `v1,<padded base64 HMAC-SHA256>` signatures separated by single spaces"
    )]
    MalformedSignature(&'static str),
    /// No signature matches: the body or headers were altered, or the secret is not
    /// this endpoint's.
    #[error(
        "no signature matches; the body was altered, or the signing secret is not this endpoint's"
    )]
    NoMatchingSignature,
    /// The delivery is authentic but was accepted before: a replay. Only with a replay guard
    /// ([`VerifierBuilder::replay_guard`]).
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
