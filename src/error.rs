//! The one error type of the crate.
//!
//! Every call returns [`Result<T>`](crate::Result). An [`Error`] is one of:
//!
//! - [`Error::Api`]: Clerk answered with an error status. [`ApiError`] has the
//!   status, the decoded Clerk errors (`code`, `message`, `long_message`,
//!   `meta`), the trace id Clerk gives for support requests and the
//!   `Retry-After` delay, when there is one. A reply that is not Clerk's JSON
//!   (an HTML page from a proxy, an empty body) is still an `Api` error, with
//!   no decoded errors and a short excerpt of the body.
//! - [`Error::Timeout`] and [`Error::Transport`]: the request did not complete
//!   (a timeout of an attempt, or the call's whole budget spent).
//! - [`Error::ResponseTooLarge`]: a successful reply's body passed the
//!   configured size limit, and was not read further.
//! - [`Error::Decode`]: a successful reply whose body does not match the
//!   expected type: the operation, the JSON path of the field that failed
//!   and the text around it.
//! - [`Error::InvalidRequest`]: a required parameter was missing or could not
//!   be converted; nothing was sent.
//! - [`Error::Config`]: the client could not be built (malformed secret key or
//!   base URL, plain `http://` to a host other than this machine, TLS setup).
//!
//! Nothing in an error contains the secret key.

use crate::api::types::{ClerkError, ClerkErrors};
use crate::transport::{AttemptTimedOut, OutOfTime, ReplyTooLarge};
use std::fmt;
use std::time::Duration;

/// The result of every call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many bytes of a body an error keeps.
pub(crate) const EXCERPT_LEN: usize = 512;

/// Key under which the transport marks an error reply that was not Clerk's
/// JSON, in the `meta` object of the [`ClerkErrors`] it stands in for it.
pub(crate) const RAW_BODY_META: &str = "clerk_backend_api.raw_body";

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Clerk replied with an error status (4xx or 5xx).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request or the connection timed out, or the call's time budget
    /// ([`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed)) ran
    /// out.
    #[error("request to Clerk timed out: {}", timeout_text(.0))]
    Timeout(#[source] reqwest::Error),
    /// The request could not be sent or the reply could not be read
    /// (connection refused or reset, TLS failure, DNS).
    #[error("could not reach Clerk: {0}")]
    Transport(#[source] reqwest::Error),
    /// A successful reply's body was longer than the limit set with
    /// [`ClerkBuilder::max_response_size`](crate::ClerkBuilder::max_response_size);
    /// it was not read further. Not retried.
    #[error(
        "Clerk's reply is larger than the {} limit; it was not read. If such a reply is \
         expected, raise the limit with ClerkBuilder::max_response_size",
        crate::body::human_size(*limit)
    )]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A successful reply did not match the expected type.
    #[error(
        "could not decode the reply of {operation} at `{path}`: {source}; the body there: {excerpt}"
    )]
    Decode {
        /// The operation (its method name, such as `get_user_list`).
        operation: &'static str,
        /// Where in the body decoding failed, as a JSON path such as
        /// `data[3].email_addresses[0].verification` (`.` for the whole body).
        path: String,
        /// The text around that spot, the spot marked `⟨here⟩`: about a
        /// hundred bytes, however long the body.
        excerpt: String,
        /// What did not match.
        #[source]
        source: serde_json::Error,
    },
    /// The request was not sent: a required value was missing or invalid.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client could not be configured.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// An error reply from Clerk.
#[derive(Clone)]
pub struct ApiError {
    /// HTTP status of the reply.
    pub status: reqwest::StatusCode,
    /// The errors Clerk listed; empty when the body was not Clerk's JSON.
    pub errors: Vec<ClerkError>,
    /// Clerk's trace id: the body's `clerk_trace_id`, else the `x-clerk-trace-id`
    /// or `cf-ray` header. Quote it when asking Clerk's support.
    pub trace_id: Option<String>,
    /// How long Clerk asked to wait before trying again (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The start of the body when it was not Clerk's JSON (an HTML error page
    /// from a proxy, say); `None` when it was.
    pub body_excerpt: Option<String>,
}

impl ApiError {
    /// The code of the first error, such as `resource_not_found`.
    pub fn code(&self) -> Option<&str> {
        self.errors.first().map(|e| e.code.as_str())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("errors", &self.errors)
            .field("trace_id", &self.trace_id)
            .field("retry_after", &self.retry_after)
            .field("body_excerpt", &self.body_excerpt)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clerk replied {}", self.status)?;
        match self.errors.first() {
            Some(e) => {
                write!(f, ": {} ({})", e.long_message, e.code)?;
                if self.errors.len() > 1 {
                    write!(f, " and {} more", self.errors.len() - 1)?;
                }
            }
            None => match &self.body_excerpt {
                // Set by the transport: where the redirect pointed.
                Some(text) if self.status.is_redirection() && !text.is_empty() => {
                    write!(f, ": {text}")?
                }
                Some(body) if !body.is_empty() => {
                    write!(f, " with a body that is not Clerk's JSON: {body}")?
                }
                _ => write!(f, " with an empty body")?,
            },
        }
        if let Some(trace) = &self.trace_id {
            write!(f, " [trace id {trace}]")?;
        }
        Ok(())
    }
}

impl Error {
    /// The HTTP status, when Clerk replied with an error.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// The API error, when Clerk replied with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The code of the first Clerk error, such as `form_identifier_exists`.
    pub fn code(&self) -> Option<&str> {
        self.api().and_then(ApiError::code)
    }

    /// Whether Clerk said the resource does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(reqwest::StatusCode::NOT_FOUND)
    }

    /// Whether the secret key was missing, malformed or revoked (401).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(reqwest::StatusCode::UNAUTHORIZED)
    }

    /// Whether Clerk rate limited the request (429).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(reqwest::StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// Clerk's trace id of the reply, if there was one.
    pub fn trace_id(&self) -> Option<&str> {
        self.api().and_then(|e| e.trace_id.as_deref())
    }

    /// The `Retry-After` delay Clerk asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|e| e.retry_after)
    }

    fn from_reqwest(e: reqwest::Error) -> Self {
        if let Some(too_large) = crate::body::find_cause::<ReplyTooLarge>(&e) {
            return Error::ResponseTooLarge {
                limit: too_large.limit,
            };
        }
        if e.is_timeout() {
            Error::Timeout(e)
        } else {
            Error::Transport(e)
        }
    }

    pub(crate) fn api_from_parts(
        status: reqwest::StatusCode,
        headers: &reqwest::header::HeaderMap,
        body: ClerkErrors,
    ) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let body_excerpt = body
            .meta
            .as_ref()
            .and_then(|m| m.get(RAW_BODY_META))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        Error::Api(Box::new(ApiError {
            status,
            errors: body.errors,
            trace_id: body
                .clerk_trace_id
                .filter(|t| !t.is_empty())
                .or_else(|| header("x-clerk-trace-id"))
                .or_else(|| header("cf-ray")),
            retry_after: headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| crate::retry::parse_retry_after(v, std::time::SystemTime::now())),
            body_excerpt,
        }))
    }
}

/// The text of a timeout: the spent budget when that is what struck, else
/// reqwest's own.
fn timeout_text(error: &reqwest::Error) -> String {
    let inner = crate::body::find_cause::<std::io::Error>(error).and_then(|io| io.get_ref());
    if let Some(out_of_time) = inner.and_then(|e| e.downcast_ref::<OutOfTime>()) {
        return out_of_time.to_string();
    }
    if let Some(attempt) = inner.and_then(|e| e.downcast_ref::<AttemptTimedOut>()) {
        return attempt.to_string();
    }
    error.to_string()
}

/// The start of a body as text, for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let end = body.len().min(EXCERPT_LEN);
    let mut text = String::from_utf8_lossy(&body[..end]).into_owned();
    if body.len() > end {
        text.push('…');
    }
    text
}

impl From<progenitor_client::Error<ClerkErrors>> for Error {
    fn from(e: progenitor_client::Error<ClerkErrors>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::ErrorResponse(rv) => {
                let status = rv.status();
                let headers = rv.headers().clone();
                Error::api_from_parts(status, &headers, rv.into_inner())
            }
            P::InvalidRequest(msg) => Error::InvalidRequest(msg),
            P::Custom(msg) => Error::InvalidRequest(msg),
            P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
                Error::from_reqwest(e)
            }
            P::InvalidResponsePayload(body, source) => {
                crate::reply::decode_error(&body, "(unknown operation)", "?".into(), source)
            }
            P::UnexpectedResponse(response) => {
                // Only informational or redirect statuses get here: every 4xx
                // and 5xx is mapped to ClerkErrors by the generator rules.
                // Redirects are not followed (see `ClerkBuilder::http_client`);
                // where one pointed is the useful part.
                let status = response.status();
                let body_excerpt = redirect_note(response.headers()).unwrap_or_default();
                Error::Api(Box::new(ApiError {
                    status,
                    errors: Vec::new(),
                    trace_id: None,
                    retry_after: None,
                    body_excerpt: Some(body_excerpt),
                }))
            }
        }
    }
}

/// Where a redirect pointed, for the error of a reply that redirects: redirects are not
/// followed (see `ClerkBuilder::http_client`), and the target is what tells a wrong base URL.
pub(crate) fn redirect_note(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let location = headers.get(reqwest::header::LOCATION)?;
    Some(format!(
        "a redirect to {}, not followed (the Backend API does not redirect: check the base URL)",
        excerpt(location.as_bytes())
    ))
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::from_reqwest(e)
    }
}
