//! What happens to every request: headers, retries, tracing, and error
//! bodies made decodable.
//!
//! It lives in progenitor's client hooks, so the generated operations and the
//! hand-written ones (uploads) go through the same code.

use crate::api;
use crate::client::Inner;
use crate::error::{EXCERPT_LEN, RAW_BODY_META, excerpt};
use crate::operations;
use crate::retry::{Outcome, RetryPolicy};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderName, RETRY_AFTER, USER_AGENT};
use reqwest::{Request, Response};
use std::time::{Instant, SystemTime};
use tracing::Instrument;

static CLERK_API_VERSION: HeaderName = HeaderName::from_static("clerk-api-version");

/// Largest error body read in full; a longer one is cut (it is only quoted).
const MAX_ERROR_BODY: usize = 64 * 1024;

impl ClientHooks<Inner> for api::Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        set_headers(request, self.inner());
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        execute(self.client(), self.inner(), request, info.operation_id).await
    }
}

/// The headers Clerk expects on every request.
pub(crate) fn set_headers(request: &mut Request, inner: &Inner) {
    let headers = request.headers_mut();
    // progenitor adds `api-version`; Clerk reads `Clerk-API-Version`.
    headers.remove("api-version");
    headers.insert(AUTHORIZATION, inner.settings.authorization.clone());
    headers.insert(
        CLERK_API_VERSION.clone(),
        inner.settings.api_version.clone(),
    );
    headers.insert(USER_AGENT, inner.settings.user_agent.clone());
}

/// Sends a request, retrying as the policy allows, inside a tracing span.
pub(crate) async fn execute(
    client: &reqwest::Client,
    inner: &Inner,
    request: Request,
    method_name: &str,
) -> reqwest::Result<Response> {
    let op = operations::find(method_name);
    let span = tracing::info_span!(
        "clerk.request",
        method = %request.method(),
        path = op.map(|o| o.path).unwrap_or("?"),
        operation = op.map(|o| o.operation_id).unwrap_or(method_name),
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    send_with_retries(client, &inner.retry, request)
        .instrument(span)
        .await
}

async fn send_with_retries(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    mut request: Request,
) -> reqwest::Result<Response> {
    let started = Instant::now();
    let method = request.method().clone();
    let mut attempt = 1;
    loop {
        // A body that cannot be cloned (a stream) is sent once.
        let spare = if attempt < policy.max_attempts {
            request.try_clone()
        } else {
            None
        };
        let result = client.execute(request).await;
        let (outcome, retry_after) = match &result {
            Ok(response) => (
                Outcome::Status(response.status()),
                response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| crate::retry::parse_retry_after(v, SystemTime::now())),
            ),
            Err(e) if e.is_connect() => (Outcome::ConnectFailed, None),
            Err(_) => (Outcome::FailedInFlight, None),
        };
        let failed = !matches!(outcome, Outcome::Status(s) if s.is_success());
        let wait = if failed {
            policy.next_wait(&method, outcome, retry_after, attempt, started.elapsed())
        } else {
            None
        };
        match (wait, spare) {
            (Some(wait), Some(next)) => {
                tracing::debug!(
                    attempt,
                    ?outcome,
                    wait_ms = wait.as_millis() as u64,
                    "retrying"
                );
                tokio::time::sleep(wait).await;
                request = next;
                attempt += 1;
            }
            _ => {
                let span = tracing::Span::current();
                span.record("attempts", attempt);
                span.record("duration_ms", started.elapsed().as_millis() as u64);
                if let Ok(response) = &result {
                    span.record("status", response.status().as_u16());
                }
                return match result {
                    Ok(response) if response.status().as_u16() >= 400 => {
                        Ok(decodable_error(response).await)
                    }
                    other => other,
                };
            }
        }
    }
}

/// Returns an error reply whose body decodes as `ClerkErrors`.
///
/// Clerk's own errors pass unchanged. A body that is something else (an HTML
/// page from a load balancer, an empty body, truncated JSON) is replaced by a
/// `ClerkErrors` with no errors and the start of the original body under
/// `meta`, so the status and headers reach [`crate::Error::Api`] instead of
/// being lost in a decoding error.
async fn decodable_error(mut response: Response) -> Response {
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    let clerk_shaped = serde_json::from_slice::<api::types::ClerkErrors>(&body).is_ok();
    let body = if clerk_shaped {
        body
    } else {
        let text = excerpt(&body[..body.len().min(EXCERPT_LEN)]);
        serde_json::to_vec(&serde_json::json!({
            "errors": [],
            "meta": { RAW_BODY_META: text },
        }))
        .unwrap_or_default()
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.headers_mut().insert(
        reqwest::header::CONTENT_TYPE,
        reqwest::header::HeaderValue::from_static("application/json"),
    );
    rebuilt
        .headers_mut()
        .remove(reqwest::header::CONTENT_LENGTH);
    Response::from(rebuilt)
}

/// Runs a hand-written request through the same hooks as generated ones.
pub(crate) async fn send(
    clerk: &crate::Clerk,
    mut request: Request,
    method_name: &'static str,
) -> reqwest::Result<Response> {
    set_headers(&mut request, clerk.api().inner());
    execute(clerk.http(), clerk.api().inner(), request, method_name).await
}
