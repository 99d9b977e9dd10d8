//! The actix-web extractor for verified webhook events: a thin adapter over
//! [`Verifier::read_event`] and [`WebhookRejection`].

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures::future::LocalBoxFuture;

use super::{VerifiedEvent, Verifier, WebhookRejection};
use crate::web_reply::actix::headers;

/// The [`Verifier`] comes from the application data: `app_data(verifier)` or
/// `app_data(web::Data::new(verifier))`, on the app, a scope or a resource. Without one the
/// request is answered 500 (and the cause logged). See [`VerifiedEvent`] for the answers to
/// refused deliveries. actix-web's own payload limits do not apply: the verifier's does.
///
/// ```no_run
/// use actix_web::{App, HttpServer, web};
/// use clerk_backend_api::webhooks::{Event, VerifiedEvent, Verifier};
///
/// async fn handle(VerifiedEvent(event): VerifiedEvent) -> &'static str {
///     if let Event::UserCreated(created) = event {
///         println!("welcome {}", created.data.id);
///     }
///     "ok"
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder()
///     .secret(&std::env::var("CLERK_WEBHOOK_SIGNING_SECRET")?)
///     .max_body_size(4 * 1024 * 1024)
///     .build()?;
/// HttpServer::new(move || {
///     App::new()
///         .app_data(verifier.clone())
///         .route("/webhooks/clerk", web::post().to(handle))
/// })
/// .bind(("127.0.0.1", 3000))?
/// .run()
/// .await?;
/// # Ok(()) }
/// ```
impl FromRequest for VerifiedEvent {
    type Error = WebhookRejection;
    type Future = LocalBoxFuture<'static, Result<Self, WebhookRejection>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let verifier = request.app_data::<Verifier>().cloned().or_else(|| {
            request
                .app_data::<web::Data<Verifier>>()
                .map(|data| Verifier::clone(data))
        });
        let headers = headers(request.headers());
        let body = payload.take();
        Box::pin(async move {
            let verifier = verifier.ok_or(WebhookRejection::MissingVerifier)?;
            verifier.read_event(&headers, body).await.map(VerifiedEvent)
        })
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status().as_u16())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.reply().into()
    }
}
