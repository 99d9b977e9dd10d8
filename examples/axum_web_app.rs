//! A server-rendered axum app signed in through Clerk: cookies, handshake, refresh.
//!
//! ```sh
//! cargo run --example axum_web_app --features axum     # against the embedded mock
//! # then open http://localhost:3000/ and follow "Sign in"
//! ```
//!
//! Against the embedded mock (the default), "Sign in" creates a demo user and a sign-in token
//! with the SDK and sends the browser through the mock's Frontend API, which signs it in and
//! sends it back; the app then syncs through one handshake. Session tokens live a minute: after
//! that, the next page load takes one handshake (or, with `CLERK_MOCK_REFRESH=1`, a refresh
//! through the Backend API) and the user stays signed in.
//!
//! With `CLERK_SECRET_KEY` and `CLERK_PUBLISHABLE_KEY` set, it runs against your Clerk instance
//! (`CLERK_SIGN_IN_URL` names its sign-in page, e.g. the Account Portal's). `PORT` changes the
//! port (3000 by default).
//!
//! The test `tests/web_app_e2e.rs` drives this app with a cookie-keeping HTTP client.

use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use clerk_backend_api::Clerk;
use clerk_backend_api::auth::axum::{AuthLayer, WebAuthLayer};
use clerk_backend_api::auth::{
    Principal, RequestAuthenticator, RequestAuthenticatorBuilder, RequestOutcome,
};
use clerk_backend_api::prelude::*;
use serde_json::{Value, json};

/// A clock the authenticator reads (tests move it).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// What the routes share.
#[derive(Clone)]
pub struct AppState {
    /// For the demo sign-in against the mock; `None` against a real instance.
    pub clerk: Option<Clerk>,
    /// The Frontend API the sign-in and sign-out links go to (the mock's), or the sign-in page.
    pub sign_in_url: Option<String>,
    pub frontend_api: Option<String>,
}

/// The authenticator for a mock server: its keys, its Backend API, its Frontend API (served
/// over plain HTTP, so given as the proxy URL) and its issuer.
pub fn mock_authenticator(
    mock: &clerk_mock::MockServer,
    clock: Option<Clock>,
) -> Result<RequestAuthenticator, Box<dyn Error>> {
    let mut builder = RequestAuthenticator::builder()
        .secret_key(mock.secret_key())
        .publishable_key(mock.publishable_key())
        .api_url(mock.base_url())
        .proxy_url(mock.frontend_api_url())
        .issuer(mock.issuer());
    if let Some(clock) = clock {
        builder = builder.clock(move || clock());
    }
    Ok(builder.build()?)
}

/// The app: pages behind [`WebAuthLayer`], a JSON API behind [`AuthLayer`] (401 mode).
pub fn app(authenticator: RequestAuthenticator, state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(home))
        .route("/account", get(account))
        .layer(WebAuthLayer::new(authenticator.clone()));
    let api = Router::new()
        .route("/api/me", get(me))
        .layer(AuthLayer::new(authenticator.verifier().clone()));
    let links = Router::new()
        .route("/sign-in", get(sign_in))
        .route("/sign-out", get(sign_out))
        .with_state(state);
    pages.merge(api).merge(links)
}

fn page(body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html><head><title>Clerk demo</title></head><body>{body}</body></html>"
    ))
}

/// Everyone; the page says who is signed in.
async fn home(outcome: RequestOutcome) -> Html<String> {
    match outcome.principal() {
        Some(user) => page(&format!(
            "<p>Signed in as <b id=\"user\">{}</b>.</p>\
             <p><a href=\"/account\">Account</a> · <a href=\"/sign-out\">Sign out</a></p>",
            user.subject()
        )),
        None => page(&format!(
            "<p>Signed out (<span id=\"reason\">{}</span>).</p><p><a href=\"/sign-in\">Sign in</a></p>",
            outcome.reason().map(|r| r.to_string()).unwrap_or_default()
        )),
    }
}

/// Signed-in users only: signed-out visitors go to the home page.
async fn account(user: Option<Principal>) -> Response {
    match user.as_ref().and_then(Principal::session) {
        Some(claims) => page(&format!(
            "<p>User {}, session {}.</p>",
            claims.sub,
            claims.sid.as_deref().unwrap_or("-")
        ))
        .into_response(),
        None => Redirect::to("/").into_response(),
    }
}

/// A bearer-token API: 401 without a valid token.
async fn me(principal: Principal) -> Json<Value> {
    Json(json!({ "user_id": principal.subject() }))
}

/// This app's origin as the browser sees it.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost:3000");
    format!("http://{host}")
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Against the mock: a demo user and a sign-in token, then the mock's Frontend API signs the
/// browser in. Against Clerk: the instance's sign-in page.
async fn sign_in(State(state): State<AppState>, request: Request) -> Response {
    let back = format!("{}/", origin(request.headers()));
    let (Some(clerk), Some(fapi)) = (&state.clerk, &state.frontend_api) else {
        return match &state.sign_in_url {
            Some(url) => {
                Redirect::to(&format!("{url}?redirect_url={}", encode(&back))).into_response()
            }
            None => (StatusCode::NOT_FOUND, "set CLERK_SIGN_IN_URL").into_response(),
        };
    };
    match demo_sign_in_token(clerk).await {
        Ok(ticket) => Redirect::to(&format!(
            "{fapi}/v1/client/sign_in?ticket={}&redirect_url={}",
            encode(&ticket),
            encode(&back)
        ))
        .into_response(),
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            format!("could not create a sign-in token: {error}"),
        )
            .into_response(),
    }
}

/// The demo user (created on first use) and a fresh sign-in token for them.
async fn demo_sign_in_token(clerk: &Clerk) -> clerk_backend_api::Result<String> {
    use clerk_backend_api::types::{CreateSignInTokenBody, CreateUserBody};
    let existing = clerk
        .get_user_list()
        .email_address(vec!["demo@example.com".to_owned()])
        .send()
        .await?;
    let user_id = match existing.first() {
        Some(user) => user.id.clone(),
        None => clerk
            .create_user()
            .body(
                CreateUserBody::builder()
                    .email_address(vec!["demo@example.com".to_owned()])
                    .first_name(Nullable::from("Demo")),
            )
            .send()
            .await?
            .id
            .clone(),
    };
    let token = clerk
        .create_sign_in_token()
        .body(CreateSignInTokenBody::builder().user_id(user_id))
        .send()
        .await?;
    Ok(token.token.clone().unwrap_or_default())
}

async fn sign_out(State(state): State<AppState>, request: Request) -> Response {
    let back = format!("{}/", origin(request.headers()));
    match &state.frontend_api {
        Some(fapi) => Redirect::to(&format!(
            "{fapi}/v1/client/sign_out?redirect_url={}",
            encode(&back)
        ))
        .into_response(),
        None => Redirect::to("/").into_response(),
    }
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    // Kept alive for as long as the app serves.
    let mut _mock = None;
    let (authenticator, state) = match std::env::var("CLERK_SECRET_KEY") {
        Ok(_) => {
            let authenticator = RequestAuthenticatorBuilder::from_env().build()?;
            let state = AppState {
                clerk: None,
                sign_in_url: std::env::var("CLERK_SIGN_IN_URL").ok(),
                frontend_api: None,
            };
            (authenticator, state)
        }
        Err(_) => {
            let refresh = std::env::var("CLERK_MOCK_REFRESH").is_ok_and(|v| v == "1");
            let mock = clerk_mock::MockServer::builder()
                .session_refresh(refresh)
                .start()
                .await?;
            let authenticator = mock_authenticator(&mock, None)?;
            let clerk = Clerk::builder(mock.secret_key())
                .base_url(mock.base_url())
                .build()?;
            let state = AppState {
                clerk: Some(clerk),
                sign_in_url: None,
                frontend_api: Some(mock.frontend_api_url().to_owned()),
            };
            println!("Clerk mock: {}", mock.base_url());
            _mock = Some(mock);
            (authenticator, state)
        }
    };
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    println!("open http://localhost:{port}/");
    axum::serve(listener, app(authenticator, state)).await?;
    Ok(())
}
