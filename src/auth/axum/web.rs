//! The web-app mode: [`WebAuthLayer`] runs a [`RequestAuthenticator`] on every request and
//! turns its [`RequestOutcome`] into HTTP, deciding nothing itself.
//!
//! - A handshake (or any outcome whose headers hold a `Location`) is answered right away with
//!   `307 Temporary Redirect` and the outcome's headers; the handler does not run.
//! - Signed in: the handler runs with the [`Principal`](crate::auth::Principal) (the extractors of the
//!   [parent module](super) work as with [`AuthLayer`](super::AuthLayer)), and its response
//!   carries the outcome's headers, the `Set-Cookie`s of a refresh above all.
//! - Signed out: the handler runs too and decides (a page shows a sign-in link, a handler
//!   taking [`SessionClaims`](crate::auth::SessionClaims) answers 401); the response carries
//!   the outcome's headers (cookies to clear, `x-clerk-auth-*`).
//!
//! Handlers can take the whole [`RequestOutcome`] (its headers already moved to the response).
//! API routes that only accept `Authorization: Bearer` keep [`AuthLayer`](super::AuthLayer),
//! with [`RequestAuthenticator::verifier`] sharing the key cache.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use clerk_backend_api::auth::axum::WebAuthLayer;
//! use clerk_backend_api::auth::{Principal, RequestAuthenticatorBuilder};
//!
//! async fn home(user: Option<Principal>) -> String {
//!     match user {
//!         Some(user) => format!("hello {}", user.subject()),
//!         None => "please sign in".to_owned(),
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let authenticator = RequestAuthenticatorBuilder::from_env().build()?;
//! let app: Router = Router::new()
//!     .route("/", get(home))
//!     .layer(WebAuthLayer::new(authenticator));
//! # Ok(())
//! # }
//! ```

use std::task::{Context, Poll};

use axum::extract::FromRequestParts;
use axum::http::Request;
use axum::http::request::Parts;
use axum::response::Response;
use futures::future::BoxFuture;
use tower::{Layer, Service};

use super::AuthRejection;
use crate::auth::web_route::{Admission, WebStep, carry, web_step};
use crate::auth::{RequestAuthenticator, RequestOutcome, TokenKinds};

/// A tower [`Layer`] for the pages of a web app. See the [module docs](self).
///
/// The decisions (when to redirect, what the extractors see, how the outcome's headers join
/// the handler's) are made by a core shared with the actix-web middleware.
#[derive(Debug, Clone)]
pub struct WebAuthLayer {
    authenticator: RequestAuthenticator,
    accept: TokenKinds,
}

impl WebAuthLayer {
    /// Authenticates with the token kinds the authenticator accepts (session tokens by default).
    pub fn new(authenticator: RequestAuthenticator) -> Self {
        let accept = authenticator.accepted_kinds();
        Self {
            authenticator,
            accept,
        }
    }

    /// Token kinds accepted on the routes behind this layer, overriding the authenticator's.
    pub fn accept(mut self, kinds: TokenKinds) -> Self {
        self.accept = kinds;
        self
    }
}

impl<S> Layer<S> for WebAuthLayer {
    type Service = WebAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WebAuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`WebAuthLayer`].
#[derive(Debug, Clone)]
pub struct WebAuthService<S> {
    inner: S,
    layer: WebAuthLayer,
}

impl<S, B> Service<Request<B>> for WebAuthService<S>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone is fresh and maybe not ready; the ready one (polled above) serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let step = web_step(
                &layer.authenticator,
                layer.accept,
                &parts.method,
                &parts.uri,
                &parts.headers,
            )
            .await;
            let (admitted, outcome, headers) = match step {
                WebStep::Redirect(reply) => return Ok(reply.into()),
                WebStep::Handler {
                    admitted,
                    outcome,
                    headers,
                } => (admitted, outcome, headers),
            };
            match admitted {
                Admission::SignedIn(principal) => {
                    parts.extensions.insert(principal);
                }
                Admission::SignedOut(reason) => {
                    parts.extensions.insert(reason);
                }
            }
            parts.extensions.insert(outcome);
            let mut response = inner.call(Request::from_parts(parts, body)).await?;
            carry(response.headers_mut(), headers);
            Ok(response)
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestOutcome {
    type Rejection = AuthRejection;

    /// The outcome of [`WebAuthLayer`] for this request (its headers already moved to the
    /// response).
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestOutcome>()
            .cloned()
            .ok_or(AuthRejection::MissingLayer)
    }
}
