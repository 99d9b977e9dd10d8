//! An axum extractor for verified webhook events.

use super::{Event, Verifier, WebhookError};
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_LENGTH;

/// Extracts a webhook [`Event`] whose delivery passed verification.
///
/// The [`Verifier`] comes from the router state (`Verifier: FromRef<S>`). A request
/// that fails is answered:
///
/// - `401 Unauthorized` when it fails verification;
/// - `400 Bad Request` when its body cannot be read or is not an event;
/// - `413 Payload Too Large` when its body is longer than the verifier's
///   [`max_body_size`](super::VerifierBuilder::max_body_size) (2 MiB by default), which
///   replaces axum's own body limit for this extractor.
///
/// The response says nothing more than the status and a short generic message (naming
/// the limit for 413); the reason is logged at `debug` level through `tracing`.
///
/// ```no_run
/// use axum::{Router, routing::post};
/// use clerk_backend_api::webhooks::{Event, VerifiedEvent, Verifier};
///
/// async fn handle(VerifiedEvent(event): VerifiedEvent) {
///     if let Event::UserCreated(created) = event {
///         println!("welcome {}", created.data.id);
///     }
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder()
///     .secret(&std::env::var("CLERK_WEBHOOK_SIGNING_SECRET")?)
///     .max_body_size(4 * 1024 * 1024)
///     .build()?;
/// let app: Router = Router::new()
///     .route("/webhooks/clerk", post(handle))
///     .with_state(verifier);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEvent(pub Event);

impl<S> FromRequest<S> for VerifiedEvent
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let limit = verifier.max_body_size();
        let (parts, body) = request.into_parts();
        // A declared length over the limit is refused before anything is read.
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(WebhookRejection::TooLarge { limit });
        }
        let body = read_body(body, limit).await?;
        verifier
            .verify_event(&parts.headers, &body)
            .map(VerifiedEvent)
            .map_err(WebhookRejection::Webhook)
    }
}

/// Reads at most `limit` bytes; more is a [`WebhookRejection::TooLarge`].
async fn read_body(body: axum::body::Body, limit: usize) -> Result<Bytes, WebhookRejection> {
    use futures::TryStreamExt as _;
    let mut stream = body.into_data_stream();
    let mut buffer = bytes::BytesMut::new();
    while let Some(chunk) = stream.try_next().await.map_err(WebhookRejection::Body)? {
        if buffer.len() + chunk.len() > limit {
            return Err(WebhookRejection::TooLarge { limit });
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

/// Why [`VerifiedEvent`] refused a request. Its response carries only a status and a
/// generic message; the details stay here, for logs.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The body could not be read (connection closed, ...).
    Body(axum::Error),
    /// The body is longer than the verifier's
    /// [`max_body_size`](super::VerifierBuilder::max_body_size): 413.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The delivery failed verification or is not an event.
    Webhook(WebhookError),
}

impl WebhookRejection {
    /// The status the response carries.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Body(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Webhook(error) => error.status(),
        }
    }
}

impl std::fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Body(error) => write!(f, "could not read the webhook body: {error}"),
            Self::TooLarge { limit } => write!(
                f,
                "the webhook body is larger than the verifier's limit of {limit} bytes; \
                 raise it with `VerifierBuilder::max_body_size` if such deliveries are expected"
            ),
            Self::Webhook(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Body(error) => Some(error),
            Self::TooLarge { .. } => None,
            Self::Webhook(error) => Some(error),
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        tracing::debug!(error = %self, "rejected a webhook delivery");
        let status = self.status();
        let message = match &self {
            Self::TooLarge { limit } => {
                format!("webhook body larger than the {limit}-byte limit")
            }
            _ if status == StatusCode::UNAUTHORIZED => "invalid webhook signature".to_owned(),
            _ => "invalid webhook payload".to_owned(),
        };
        (status, message).into_response()
    }
}
