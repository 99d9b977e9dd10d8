//! What happens to every request: headers, retries, tracing, and the reply
//! read whole within the time allowed.
//!
//! The generated operations (through `crate::reply`), the hand-written ones
//! (uploads) and progenitor's client hooks all go through `execute`, which
//! returns the reply as read: status, headers and body.

use crate::api;
use crate::body;
use crate::client::{Inner, Settings};
use crate::error::{EXCERPT_LEN, RAW_BODY_META, excerpt};
use crate::operations;
use crate::retry::{Outcome, RetryPolicy};
use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::ResponseBuilderExt as _;
use reqwest::header::HeaderMap;
use reqwest::header::{AUTHORIZATION, HeaderName, RETRY_AFTER, USER_AGENT};
use reqwest::{Request, Response, StatusCode, Version};
use std::time::{Duration, Instant, SystemTime};
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
        // The generated operations read the `Reply` itself (`crate::reply`);
        // this path serves code that drives the hooks as progenitor does.
        let url = request.url().clone();
        let reply = execute(self.client(), self.inner(), request, info.operation_id).await?;
        Ok(reply.into_response(url))
    }
}

/// The headers Clerk expects on every request.
pub(crate) fn set_headers(request: &mut Request, inner: &Inner) {
    // (progenitor's own `api-version` header is dropped at build time.)
    let headers = request.headers_mut();
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
) -> reqwest::Result<Reply> {
    // The operation is looked up only when the span is recorded.
    let span = tracing::info_span!(
        "clerk.request",
        method = %request.method(),
        path = operations::find(method_name).map_or("?", |o| o.path),
        operation = operations::find(method_name).map_or(method_name, |o| o.operation_id),
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let attempts = send_with_retries(client, inner, request, started);
    // Entering a span nobody listens to on every poll is wasted work.
    if span.is_disabled() {
        return attempts.await.0;
    }
    let (result, attempts) = attempts.instrument(span.clone()).await;
    span.record("attempts", attempts);
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    if let Ok(reply) = &result {
        span.record("status", reply.status.as_u16());
    }
    result
}

/// A reply read whole: what one attempt produced, and what a call returns.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Why an attempt produced no reply.
enum Failure {
    /// Connecting, sending, or reading the body failed (or the client's own
    /// timeout struck).
    Http(reqwest::Error),
    /// The body passed the size limit; not retried, since it would again.
    TooLarge { limit: usize },
    /// The retry budget ([`RetryPolicy::max_elapsed`]) ran out during the
    /// attempt.
    OutOfTime,
    /// The attempt took longer than the client's timeout; retried like a
    /// connection lost in flight.
    AttemptTimedOut { timeout: Duration },
}

/// The attempts of one call; returns the last result and how many
/// attempts were made.
async fn send_with_retries(
    client: &reqwest::Client,
    inner: &Inner,
    mut request: Request,
    started: Instant,
) -> (reqwest::Result<Reply>, u32) {
    let policy: &RetryPolicy = &inner.retry;
    let settings = &inner.settings;
    let method = request.method().clone();
    let mut attempt = 1;
    loop {
        // A body that cannot be cloned (a stream) is sent once.
        let spare = if attempt < policy.max_attempts {
            spare(&request)
        } else {
            None
        };
        // Each attempt gets what is left of the budget, so that the budget
        // bounds the whole call, not only the start of the last attempt.
        let budget = policy.max_elapsed.saturating_sub(started.elapsed());
        let result = attempt_once(client, request, budget, settings).await;
        let (outcome, retry_after) = match &result {
            Ok(reply) => (
                Outcome::Status(reply.status),
                reply
                    .headers
                    .get(RETRY_AFTER)
                    .and_then(|v| crate::retry::parse_retry_after(v, SystemTime::now())),
            ),
            Err(Failure::Http(e)) if e.is_connect() => (Outcome::ConnectFailed, None),
            Err(Failure::Http(_) | Failure::AttemptTimedOut { .. }) => {
                (Outcome::FailedInFlight, None)
            }
            Err(Failure::TooLarge { .. } | Failure::OutOfTime) => (Outcome::Final, None),
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
                let result = match result {
                    Ok(reply) => Ok(reply),
                    Err(Failure::Http(e)) => Err(e),
                    Err(Failure::TooLarge { limit }) => {
                        Err(body::error_carrying(Box::new(ReplyTooLarge { limit })).await)
                    }
                    // Timed-out I/O errors, so that `is_timeout()` is true.
                    Err(Failure::AttemptTimedOut { timeout }) => {
                        Err(body::error_carrying(Box::new(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            AttemptTimedOut { timeout },
                        )))
                        .await)
                    }
                    Err(Failure::OutOfTime) => {
                        Err(body::error_carrying(Box::new(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            OutOfTime {
                                budget: policy.max_elapsed,
                            },
                        )))
                        .await)
                    }
                };
                return (result, attempt);
            }
        }
    }
}

/// A copy of `request` for another attempt; `None` when its body is a
/// stream, which can be sent only once.
///
/// `Request::try_clone` does the same and also allocates the request's
/// extension map to copy a timeout the requests built here never carry; on a
/// call to a local server that is a measurable part of the call.
fn spare(request: &Request) -> Option<Request> {
    let body = match request.body() {
        None => None,
        Some(body) => Some(reqwest::Body::from(Bytes::copy_from_slice(
            body.as_bytes()?,
        ))),
    };
    let mut copy = Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *copy.timeout_mut() = Some(*timeout);
    }
    *copy.body_mut() = body;
    Some(copy)
}

/// One attempt: the request, then its whole body, within `budget`.
///
/// The body is read here, inside the retry loop, so that a connection lost
/// or stalled while the body arrives is retried like one lost before the
/// status line. A success body is read up to the size limit; an error body
/// only in part, since it is only quoted.
async fn attempt_once(
    client: &reqwest::Client,
    request: Request,
    budget: Duration,
    settings: &Settings,
) -> Result<Reply, Failure> {
    let limit = settings.max_response_size;
    let exchange = async {
        let mut response = client.execute(request).await.map_err(Failure::Http)?;
        let body = if response.status().is_success() {
            body::read_limited(&mut response, limit)
                .await
                .map_err(|e| match e {
                    body::ReadError::TooLarge { limit } => Failure::TooLarge { limit },
                    body::ReadError::Transport(e) => Failure::Http(e),
                })?
        } else {
            body::read_prefix(&mut response, MAX_ERROR_BODY).await
        };
        Ok(Reply {
            status: response.status(),
            version: response.version(),
            headers: std::mem::take(response.headers_mut()),
            body,
        })
    };
    // One timer per attempt: the attempt's own timeout, or what is left of
    // the budget when that is shorter (or when the HTTP client is the
    // user's, whose timeouts are its own).
    match settings.attempt_timeout {
        Some(timeout) if timeout < budget => match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Failure::AttemptTimedOut { timeout }),
        },
        _ => match tokio::time::timeout(budget, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Failure::OutOfTime),
        },
    }
}

impl Reply {
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The reply as a `reqwest::Response`, for the hook path; an error body
    /// made decodable.
    fn into_response(self, url: reqwest::Url) -> Response {
        let Reply {
            status,
            version,
            headers,
            body,
        } = self;
        let (body, rewritten) = if status.as_u16() >= 400 {
            (decodable_error(body), true)
        } else {
            (body, false)
        };
        let mut builder = http::Response::builder()
            .status(status)
            .version(version)
            .url(url);
        if let Some(slot) = builder.headers_mut() {
            *slot = headers;
            let headers = slot;
            if rewritten {
                headers.insert(
                    reqwest::header::CONTENT_TYPE,
                    reqwest::header::HeaderValue::from_static("application/json"),
                );
            }
            // The body is in memory now; its length is known from it.
            headers.remove(reqwest::header::CONTENT_LENGTH);
            headers.remove(reqwest::header::TRANSFER_ENCODING);
        }
        match builder.body(body) {
            Ok(response) => Response::from(response),
            // Unreachable with the typed parts above; an empty reply with
            // the status is the least surprising fallback.
            Err(_) => {
                let mut response = http::Response::new(Bytes::new());
                *response.status_mut() = status;
                Response::from(response)
            }
        }
    }
}

/// The body of an error reply, as `ClerkErrors` JSON.
///
/// Clerk's own errors pass unchanged. A body that is something else (an HTML
/// page from a load balancer, an empty body, truncated JSON) is replaced by a
/// `ClerkErrors` with no errors and the start of the original body under
/// `meta`, so the status and headers reach [`crate::Error::Api`] instead of
/// being lost in a decoding error.
fn decodable_error(body: Bytes) -> Bytes {
    if serde_json::from_slice::<api::types::ClerkErrors>(&body).is_ok() {
        return body;
    }
    let text = excerpt(&body[..body.len().min(EXCERPT_LEN)]);
    serde_json::to_vec(&serde_json::json!({
        "errors": [],
        "meta": { RAW_BODY_META: text },
    }))
    .unwrap_or_default()
    .into()
}

/// Carried by the error of a reply over [`Settings::max_response_size`](crate::client::Settings).
#[derive(Debug, thiserror::Error)]
#[error("the reply is larger than the {} limit", body::human_size(*.limit))]
pub(crate) struct ReplyTooLarge {
    pub(crate) limit: usize,
}

/// Carried by the error of a call whose retry budget ran out.
#[derive(Debug, thiserror::Error)]
#[error("the call's time budget of {budget:?} (RetryPolicy::max_elapsed) ran out")]
pub(crate) struct OutOfTime {
    budget: Duration,
}

/// Carried by the error of an attempt that outlasted the client's timeout.
#[derive(Debug, thiserror::Error)]
#[error("no complete reply within the request timeout of {timeout:?} (ClerkBuilder::timeout)")]
pub(crate) struct AttemptTimedOut {
    timeout: Duration,
}

/// Runs a hand-written request through the same hooks as generated ones.
pub(crate) async fn send(
    clerk: &crate::Clerk,
    mut request: Request,
    method_name: &'static str,
) -> reqwest::Result<Reply> {
    set_headers(&mut request, clerk.api().inner());
    execute(clerk.http(), clerk.api().inner(), request, method_name).await
}
