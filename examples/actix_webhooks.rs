//! Receives Clerk webhooks with actix-web: verified, decoded, one match arm per event type;
//! the same receiver as `axum_webhooks.rs`.
//!
//! ```text
//! CLERK_WEBHOOK_SIGNING_SECRET=whsec_... cargo run --example actix_webhooks --features actix
//! ```
//!
//! Then make `http://localhost:3000/webhooks/clerk` reachable (a tunnel, for instance)
//! and add it as an endpoint in the Clerk dashboard. Requests that fail verification get
//! 401, bodies that are not events get 400, bodies over the verifier's limit get 413, and
//! the handler only sees genuine events.

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use clerk_backend_api::webhooks::{Event, VerifiedEvent, Verifier};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Reads CLERK_WEBHOOK_SIGNING_SECRET; fails early with a clear message if unset.
    let verifier = Verifier::from_env()?;
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_string());
    // The extractor finds the verifier in the application data.
    let server = HttpServer::new(move || {
        App::new()
            .app_data(verifier.clone())
            .route("/webhooks/clerk", web::post().to(receive))
    })
    .bind(&addr)?;
    println!("listening on http://{addr}/webhooks/clerk");
    actix_web::rt::System::new().block_on(server.run())?;
    Ok(())
}

async fn receive(VerifiedEvent(event): VerifiedEvent) -> HttpResponse {
    match &event {
        Event::UserCreated(created) => {
            let user = &created.data;
            let email = user
                .email_addresses
                .iter()
                .find(|e| e.id.as_deref() == user.primary_email_address_id.as_deref())
                .map(|e| e.email_address.as_str());
            println!(
                "user {} signed up ({})",
                user.id,
                email.unwrap_or("no email")
            );
        }
        Event::UserDeleted(deleted) => {
            println!("user {} deleted", deleted.data.id.as_deref().unwrap_or("?"));
        }
        Event::OrganizationMembershipCreated(created) => {
            let membership = &created.data;
            println!(
                "{} joined {} as {}",
                membership
                    .public_user_data
                    .as_ref()
                    .map_or("someone", |u| u.user_id.as_str()),
                membership.organization.name,
                membership.role
            );
        }
        Event::SessionCreated(session) => {
            println!(
                "session {} started for {}",
                session.data.id, session.data.user_id
            );
        }
        Event::Other(other) => match &other.decode_error {
            // Clerk sent something this SDK version does not model: keep it, handle later.
            None => println!("new event type {}: {}", other.envelope.type_, other.data),
            Some(reason) => println!("{} did not decode: {reason}", other.envelope.type_),
        },
        other => println!("{} received", other.event_type()),
    }
    // Any 2xx acknowledges the delivery; anything else makes Svix retry it.
    HttpResponse::new(StatusCode::NO_CONTENT)
}
