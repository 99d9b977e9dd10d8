//! Verified, typed Clerk webhooks.
//!
//! Clerk delivers webhooks through Svix: each delivery is a POST whose JSON body is an
//! event, signed with the endpoint's secret (`whsec_...`, shown in the Clerk dashboard).
//! A [`Verifier`] checks the signature and the timestamp, then decodes the body into an
//! [`Event`], one variant per event type, each holding its typed `data`.
//!
//! ```
//! use clerk_backend_api::webhooks::{Event, Verifier};
//! use http::HeaderMap;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In production: `Verifier::from_env()?`, reading CLERK_WEBHOOK_SIGNING_SECRET.
//! let verifier = Verifier::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//!
//! // What arrives: the raw body and three headers (signed here to have some).
//! let body = br#"{"type":"role.deleted","object":"event","timestamp":1716883200000,
//!     "instance_id":"ins_2abc","data":{"object":"role","id":"role_2def","deleted":true}}"#;
//! let now = std::time::SystemTime::now()
//!     .duration_since(std::time::UNIX_EPOCH)?
//!     .as_secs() as i64;
//! let mut headers = HeaderMap::new();
//! headers.insert("svix-id", "msg_2ghi".parse()?);
//! headers.insert("svix-timestamp", now.to_string().parse()?);
//! headers.insert(
//!     "svix-signature",
//!     verifier.secret().sign("msg_2ghi", now, body).parse()?,
//! );
//!
//! match verifier.verify_event(&headers, body)? {
//!     Event::RoleDeleted(event) => assert_eq!(event.data.id.as_deref(), Some("role_2def")),
//!     Event::UserCreated(event) => println!("new user {}", event.data.id),
//!     other => println!("not handled: {}", other.envelope().type_),
//! }
//! # Ok(()) }
//! ```
//!
//! # Verification
//!
//! - The signed content is `<svix-id>.<svix-timestamp>.<body>`, so verify the body
//!   exactly as received, before any parsing.
//! - The signature header may hold several space-separated `v1,<base64>` signatures (one
//!   per active secret while a secret is being rotated); one match is enough. Comparison
//!   is constant-time.
//! - The timestamp must be within [`DEFAULT_TOLERANCE`] (five minutes) of the clock, in
//!   both directions, to stop replays; see [`Verifier::with_tolerance`] and, for tests,
//!   [`Verifier::with_clock`].
//! - The timestamp check leaves a replay window of the tolerance. An optional replay guard
//!   ([`Verifier::with_replay_guard`], [`InMemorySeenIds`] or a shared store, see [`replay`])
//!   remembers accepted deliveries and refuses one arriving again.
//! - The Standard Webhooks header names (`webhook-id`, `webhook-timestamp`,
//!   `webhook-signature`) are accepted too.
//! - Failures are typed ([`VerifyError`], [`SecretError`]); none of them shows the secret,
//!   and `Debug` of [`SigningSecret`] and [`Verifier`] redacts it. Answer a failed
//!   verification with 401 and a body that is not an event with 400
//!   ([`WebhookError::status`]), without the error text.
//!
//! # Forward compatibility
//!
//! Clerk adds event types, fields and enum values over time; none of them makes decoding
//! fail. An event of an unknown type, or whose `data` does not fit the type expected for
//! it, becomes [`Event::Other`] with its JSON kept. Unknown fields of known objects land in
//! their `extra` map, unknown enum values in an `Unknown(String)` variant, and both
//! serialize back as received.
//!
//! The types in [`types`] are generated at build time from this crate's description of the
//! events (`openapi/webhooks/`).
//!
//! # axum
//!
//! With the `axum` feature, `VerifiedEvent` extracts a verified event in a handler and
//! rejects anything else with 401 or 400.
#![warn(missing_docs)]

mod event;
#[cfg(feature = "axum")]
mod extract;
mod macros;
pub mod replay;
mod secret;
pub mod types;
mod verify;

pub use event::{Event, EventPayload, UnrecognizedEvent};
#[cfg(feature = "axum")]
pub use extract::{VerifiedEvent, WebhookRejection};
pub use replay::{DEFAULT_SEEN_IDS_CAPACITY, InMemorySeenIds, SeenIds, SeenIdsError};
pub use secret::{SIGNING_SECRET_ENV, SecretError, SigningSecret};
pub use verify::{DEFAULT_TOLERANCE, Verifier, VerifyError, WebhookError};
