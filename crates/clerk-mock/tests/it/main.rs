//! Integration tests of the mock server, over HTTP on 127.0.0.1.

mod actor_tokens;
mod api_keys;
mod bad_input;
mod clients;
mod common;
mod conformance;
mod conformance_machine;
mod errors;
mod identifiers;
mod jwt;
mod jwt_templates;
mod machines;
mod oauth;
mod oauth_flow;
mod organizations;
mod schema;
mod server;
mod sessions;
mod shapes;
mod users;
mod webhooks;
