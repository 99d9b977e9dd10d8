//! An actix-web app protected by Clerk authentication; the same app as `axum_auth.rs`.
//!
//! ```sh
//! CLERK_SECRET_KEY=sk_test_... CLERK_PUBLISHABLE_KEY=pk_test_... \
//! CLERK_AUTHORIZED_PARTIES=http://localhost:5173 \
//!     cargo run --example actix_auth --features actix
//! curl -H "Authorization: Bearer $SESSION_TOKEN" http://127.0.0.1:3000/me
//! ```
//!
//! `CLERK_JWT_KEY` (the PEM public key) may replace or complement `CLERK_SECRET_KEY` for
//! networkless session checks; API keys on `/api/reports` need the secret key. `PORT` changes
//! the port (3000 by default).

use std::error::Error;
use std::net::Ipv4Addr;

use actix_web::{App, HttpResponse, HttpServer, web};
use clerk_backend_api::auth::actix::AuthMiddleware;
use clerk_backend_api::auth::{Principal, SessionClaims, TokenKinds, VerifierBuilder};
use serde_json::{Value, json};

/// Public: greets signed-in users by id, everyone else anonymously.
async fn home(principal: Option<Principal>) -> String {
    match principal {
        Some(p) => format!("hello {}\n", p.subject()),
        None => "hello, anonymous visitor\n".to_owned(),
    }
}

/// Signed-in users only: what the session token says.
async fn me(claims: SessionClaims) -> web::Json<Value> {
    let org = claims
        .organization
        .as_ref()
        .map(|o| json!({"id": o.id, "role": o.role, "slug": o.slug, "permissions": o.permissions}));
    web::Json(json!({
        "user_id": claims.sub,
        "session_id": claims.sid,
        "impersonated_by": claims.act.as_ref().map(|a| &a.sub),
        "organization": org,
    }))
}

/// Sessions with an organization permission, or API keys with a scope.
async fn reports(principal: Principal) -> HttpResponse {
    let allowed = match &principal {
        Principal::Session(claims) => claims.has_org_permission("org:reports:read"),
        Principal::Machine(machine) => machine.has_scope("reports:read"),
    };
    if !allowed {
        return HttpResponse::Forbidden().finish();
    }
    HttpResponse::Ok().body(format!("reports for {}\n", principal.subject()))
}

fn main() -> Result<(), Box<dyn Error>> {
    let parties: Vec<String> = std::env::var("CLERK_AUTHORIZED_PARTIES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let verifier = VerifierBuilder::from_env()
        .authorized_parties(parties)
        .build()
        .map_err(|e| format!("{e} (see the top of examples/actix_auth.rs)"))?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);

    // The verifier is cloned into every worker; clones share the key cache.
    let server = HttpServer::new(move || {
        App::new()
            .service(
                web::resource("/me")
                    .wrap(AuthMiddleware::new(verifier.clone()))
                    .route(web::get().to(me)),
            )
            .service(
                web::resource("/api/reports")
                    .wrap(
                        AuthMiddleware::new(verifier.clone())
                            .accept(TokenKinds::SESSION | TokenKinds::API_KEY),
                    )
                    .route(web::get().to(reports)),
            )
            .service(
                web::resource("/")
                    .wrap(AuthMiddleware::new(verifier.clone()).optional())
                    .route(web::get().to(home)),
            )
    })
    .bind((Ipv4Addr::LOCALHOST, port))?;
    for addr in server.addrs() {
        println!("listening on http://{addr}");
    }
    actix_web::rt::System::new().block_on(server.run())?;
    Ok(())
}
