//! Integration tests of the mock server, over HTTP on 127.0.0.1.

mod actor_tokens;
mod bad_input;
mod common;
mod conformance;
mod errors;
mod frontend;
mod identifiers;
mod jwt;
mod organizations;
mod schema;
mod server;
mod sessions;
mod users;
mod webhooks;
