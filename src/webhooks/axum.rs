//! The axum extractor for verified webhook events: a thin adapter over
//! [`Verifier::read_event`] and [`WebhookRejection`].

use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};

use super::{VerifiedEvent, Verifier, WebhookRejection};

/// The [`Verifier`] comes from the router state (`Verifier: FromRef<S>`); see
/// [`VerifiedEvent`] for the answers to refused deliveries.
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
impl<S> FromRequest<S> for VerifiedEvent
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let (parts, body) = request.into_parts();
        verifier
            .read_event(&parts.headers, body.into_data_stream())
            .await
            .map(VerifiedEvent)
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        self.reply().into()
    }
}
