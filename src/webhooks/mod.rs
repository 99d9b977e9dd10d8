//! Verified, typed Clerk webhooks.
#![warn(missing_docs)]

mod event;
mod macros;
pub mod types;

pub use event::{Event, EventPayload, UnrecognizedEvent};
