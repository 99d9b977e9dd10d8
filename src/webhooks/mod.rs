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
//! // With settings: Verifier::builder().secret("whsec_…").clock_skew(…).build()?
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
//! - The signature header may hold several `v1,<base64>` signatures separated by single
//!   spaces (one per active secret while a secret is being rotated); one match is enough.
//!   Comparison is constant-time. The header is read strictly (see the list below).
//! - The timestamp must be within [`DEFAULT_TOLERANCE`] (five minutes) of the clock, in
//!   both directions, to stop replays; see [`VerifierBuilder::clock_skew`] and, for tests,
//!   [`VerifierBuilder::clock`].
//! - The timestamp check leaves a replay window of the tolerance. An optional replay guard
//!   ([`VerifierBuilder::replay_guard`], [`InMemorySeenIds`] or a shared store, see
//!   [`replay`]) remembers accepted deliveries and refuses one arriving again.
//! - The Standard Webhooks header names (`webhook-id`, `webhook-timestamp`,
//!   `webhook-signature`) are accepted too.
//! - Failures are typed ([`VerifyError`], [`SecretError`]); none of them shows the secret,
//!   and `Debug` of [`SigningSecret`] and [`Verifier`] redacts it. Answer a failed
//!   verification with 401 and a body that is not an event with 400
//!   ([`WebhookError::status`]), without the error text.
//!
//! # Stricter than the Svix libraries, on purpose
//!
//! Every delivery that one of the Svix or Standard Webhooks libraries (Python `svix`, JS
//! `svix`, `standardwebhooks`) refuses is refused here too; the test suite compares verdicts
//! with them on a corpus of crafted deliveries (`tests/fixtures/reference/`). Where
//! they disagree among themselves, this verifier takes the strictest reading, and in a few
//! places it is stricter than all of them:
//!
//! | input | Svix libraries | here | why |
//! |---|---|---|---|
//! | signature without `=` padding | refused | refused | padding is part of Svix's format |
//! | an entry without a comma, with two commas, or empty (double or trailing space) | Python refuses the delivery when it reads that entry before a match, JS skips the entry | refused | the strictest of the two, wherever the entry stands |
//! | a `v1` entry that is not base64 of 32 bytes, next to a valid one | JS and sometimes Python skip it | refused | a sender never writes one; it is a sign of tampering |
//! | timestamp spelled `+17…`, `017…` or `17….0` | accepted when the signature covers the plain number | refused | the signature covers the header as sent; one spelling only |
//! | `svix-*` and `webhook-*` headers mixed in one delivery | Python mixes them header by header | refused (one set is read) | no sender mixes them |
//!
//! [`Verifier::verify`] authenticates the body's bytes whatever they are; the libraries also
//! insist on a UTF-8 (JS: JSON) body. [`Verifier::verify_event`] and the framework extractors
//! do too, since they decode the body as JSON.
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
//! # Web frameworks
//!
//! With the `axum` or `actix` feature, `VerifiedEvent` extracts a verified event in a handler
//! and rejects anything else with 401, 400, or 413 past the body limit
//! ([`VerifierBuilder::max_body_size`], 2 MiB by default). Both extractors are thin adapters
//! over [`Verifier::read_event`] and [`WebhookRejection`], which any other framework can use
//! the same way.
#![warn(missing_docs)]

#[cfg(feature = "actix")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
mod event;
mod macros;
mod receive;
pub mod replay;
mod secret;
pub mod types;
mod verify;

pub use event::{Event, EventPayload, UnrecognizedEvent};
#[cfg(any(feature = "axum", feature = "actix"))]
pub use receive::VerifiedEvent;
pub use receive::{BodyError, WebhookRejection};
pub use replay::{DEFAULT_SEEN_IDS_CAPACITY, InMemorySeenIds, SeenIds, SeenIdsError};
pub use secret::{SIGNING_SECRET_ENV, SecretError, SigningSecret};
pub use verify::{
    DEFAULT_MAX_BODY_SIZE, DEFAULT_TOLERANCE, Verifier, VerifierBuilder, VerifyError, WebhookError,
};
