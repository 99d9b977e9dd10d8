//! An axum extractor for verified webhook events.

use super::{Event, Verifier, WebhookError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// Extracts a webhook [`Event`] whose delivery passed verification.
///
/// The [`Verifier`] comes from the router state (`Verifier: FromRef<S>`). A request
/// that fails is answered 401 when it fails verification (a replay included, with a
/// replay guard), 503 when the replay guard cannot be consulted, and 400 when its body
/// cannot be read or is not an event; the response says nothing more, and the reason is logged
/// at `debug` level through `tracing`.
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
/// let app: Router = Router::new()
///     .route("/webhooks/clerk", post(handle))
///     .with_state(Verifier::from_env()?);
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
        let headers = request.headers().clone();
        let body = Bytes::from_request(request, state)
            .await
            .map_err(WebhookRejection::Body)?;
        verifier
            .verify_event(&headers, &body)
            .map(VerifiedEvent)
            .map_err(WebhookRejection::Webhook)
    }
}

/// Why [`VerifiedEvent`] refused a request. Its response carries only a status and a
/// generic message; the details stay here, for logs.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The body could not be read (too large, connection closed, ...).
    Body(BytesRejection),
    /// The delivery failed verification or is not an event.
    Webhook(WebhookError),
}

impl WebhookRejection {
    /// The status the response carries.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Body(_) => StatusCode::BAD_REQUEST,
            Self::Webhook(error) => error.status(),
        }
    }
}

impl std::fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Body(error) => write!(f, "could not read the webhook body: {error}"),
            Self::Webhook(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Body(error) => Some(error),
            Self::Webhook(error) => Some(error),
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        tracing::debug!(error = %self, "rejected a webhook delivery");
        let status = self.status();
        let message = if status == StatusCode::UNAUTHORIZED {
            "invalid webhook signature"
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            "try again later"
        } else {
            "invalid webhook payload"
        };
        (status, message).into_response()
    }
}
