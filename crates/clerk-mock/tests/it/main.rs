//! Integration tests of the mock server, over HTTP on 127.0.0.1.

mod common;
mod conformance;
mod schema;
