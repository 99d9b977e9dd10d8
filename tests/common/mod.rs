//! Helpers shared by the integration tests.
#![allow(dead_code)]

use clerk_backend_api::{Clerk, RetryPolicy};
use serde_json::Value;
use std::time::Duration;

pub const SECRET: &str = "sk_test_0123456789abcdefSECRET";

pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/bapi/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

/// A client for a stub server, with fast retries so tests stay quick.
pub fn clerk(server_uri: &str) -> Clerk {
    Clerk::builder(SECRET)
        .base_url(format!("{server_uri}/v1"))
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

/// The headers every request to Clerk carries.
pub fn assert_clerk_headers(request: &wiremock::Request) {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{} {} has no {name} header", request.method, request.url))
            .to_string()
    };
    assert_eq!(header("authorization"), format!("Bearer {SECRET}"));
    assert_eq!(header("clerk-api-version"), "2026-05-12");
    assert!(header("user-agent").starts_with("clerk-backend-api-rust/"));
    assert!(request.headers.get("api-version").is_none());
}
