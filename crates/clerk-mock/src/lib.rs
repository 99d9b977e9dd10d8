#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![recursion_limit = "256"]

mod error;
mod handlers;
mod ids;
mod issue;
mod keys;
mod rate_limit;
mod request;
mod router;
mod server;
mod spec;
mod store;
mod synth;
mod validate;
mod webhooks;

pub use issue::{IssueError, OAuthAccessToken, OAuthAccessTokenBuilder};
pub use rate_limit::RateLimit;
pub use server::{DEFAULT_BODY_LIMIT, MockServer, MockServerBuilder, StartError};

/// Ids (`operationId`) of the operations the mock keeps state for, in the order of the
/// description; every other operation answers a response synthesized from its schema.
pub fn stateful_operations() -> Vec<&'static str> {
    spec::OPERATIONS
        .iter()
        .filter(|op| handlers::lookup(op.id).is_some())
        .map(|op| op.id)
        .collect()
}

/// Ids (`operationId`) of the operations answered from their response schema alone.
pub fn synthesized_operations() -> Vec<&'static str> {
    spec::OPERATIONS
        .iter()
        .filter(|op| handlers::lookup(op.id).is_none())
        .map(|op| op.id)
        .collect()
}

/// The reply the mock synthesizes for operation `operation_id` from its success schema (the
/// smallest reply the schema allows, with fresh ids), or `None` for an unknown operation or one
/// without a reply body. Stateful handlers start new resources from the same reply; tests of
/// clients decode it to check that every schema's reply can be read.
#[doc(hidden)]
pub fn synthesized_reply(operation_id: &str) -> Option<serde_json::Value> {
    let op = spec::find(operation_id)?;
    synth::example(op, &ids::IdGen::new(), "ins_mock")
}

/// Ids of stateful handlers that no operation of the description uses (a renamed operation
/// would show up here). Empty when the handlers and the description agree.
#[doc(hidden)]
pub fn unmatched_handlers() -> Vec<&'static str> {
    handlers::stateful_ids()
        .filter(|id| spec::find(id).is_none())
        .collect()
}
