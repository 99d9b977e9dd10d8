//! Helpers shared by the integration tests: a client bound to one mock server.

use clerk_mock::MockServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A plain HTTP client for talking to the mock.
///
/// When these tests are built together with the SDK (`cargo test --workspace`),
/// cargo's feature unification gives reqwest the SDK's rustls-without-provider
/// setting, and reqwest then needs a process-wide crypto provider before any
/// client is built; ring is installed for that (a no-op when one exists).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A mock server and an HTTP client that authenticates to it.
pub struct Api {
    pub server: MockServer,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn start() -> Api {
        Api::with(MockServer::start().await)
    }

    pub fn with(server: MockServer) -> Api {
        Api {
            server,
            http: http_client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// Sends a request with the server's secret key and a JSON body (when given).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(self.server.secret_key());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the mock answers");
        read(response).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a user with one email address and returns it.
    pub async fn user(&self, email: &str) -> Value {
        let (status, user) = self
            .post(
                "/users",
                json!({ "email_address": [email], "first_name": "Test" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{user}");
        user
    }
}

/// Status and JSON body of a response (`Value::Null` when the body is empty or not JSON).
pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.expect("body readable");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

/// Asserts a Clerk-shaped error with the given status and code, returning the first error.
#[track_caller]
pub fn assert_error(
    status: StatusCode,
    body: &Value,
    want_status: StatusCode,
    want_code: &str,
) -> Value {
    assert_eq!(status, want_status, "unexpected status, body: {body}");
    let error = &body["errors"][0];
    assert_eq!(error["code"], want_code, "unexpected error: {body}");
    assert!(
        error["message"].is_string() && error["long_message"].is_string(),
        "{body}"
    );
    assert!(error["meta"].is_object(), "{body}");
    assert!(
        body["clerk_trace_id"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    error.clone()
}

/// The string at `value[key]`.
pub fn s(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {value}"))
        .to_string()
}
