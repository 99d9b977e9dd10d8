//! Integration tests of the mock server, over HTTP on 127.0.0.1.

mod actor_tokens;
mod bad_input;
mod common;
mod conformance;
mod connections;
mod domains;
mod errors;
mod factors;
mod identifiers;
mod instance;
mod jwt;
mod org_domains;
mod organizations;
mod rate_limit;
mod roles;
mod rules;
mod schema;
mod server;
mod sessions;
mod tasks;
mod users;
mod webhooks;
