//! The web-app mode: [`WebAuthMiddleware`] runs a [`RequestAuthenticator`] on every request and
//! turns its [`RequestOutcome`] into HTTP, deciding nothing itself; the same as
//! `auth::axum::WebAuthLayer`, over the same core.
//!
//! - A handshake (or any outcome whose headers hold a `Location`) is answered right away with
//!   `307 Temporary Redirect` and the outcome's headers; the handler does not run.
//! - Signed in: the handler runs with the [`Principal`](crate::auth::Principal) (the extractors
//!   of the [parent module](super) work as with [`AuthMiddleware`](super::AuthMiddleware)),
//!   and its response carries the outcome's headers, the `Set-Cookie`s of a refresh above all.
//! - Signed out: the handler runs too and decides (a page shows a sign-in link, a handler
//!   taking [`SessionClaims`](crate::auth::SessionClaims) answers 401); the response carries
//!   the outcome's headers (cookies to clear, `x-clerk-auth-*`).
//!
//! Handlers can take the whole [`RequestOutcome`] (its headers already moved to the response).
//! The outcome's headers join every response the wrapped services give, extractor refusals
//! included; an error that a middleware inside this one returns instead of a response passes
//! through as it is (actix-web makes it a response afterwards, without them). API routes that
//! only accept `Authorization: Bearer` keep [`AuthMiddleware`](super::AuthMiddleware), with
//! [`RequestAuthenticator::verifier`] sharing the key cache.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use clerk_backend_api::auth::actix::WebAuthMiddleware;
//! use clerk_backend_api::auth::{Principal, RequestAuthenticatorBuilder};
//!
//! async fn home(user: Option<Principal>) -> String {
//!     match user {
//!         Some(user) => format!("hello {}", user.subject()),
//!         None => "please sign in".to_owned(),
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let authenticator = RequestAuthenticatorBuilder::from_env().build()?;
//! HttpServer::new(move || {
//!     App::new()
//!         .wrap(WebAuthMiddleware::new(authenticator.clone()))
//!         .route("/", web::get().to(home))
//! })
//! .bind(("127.0.0.1", 3000))?
//! .run()
//! .await?;
//! # Ok(())
//! # }
//! ```

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse};
use futures::future::LocalBoxFuture;

use super::AuthRejection;
use crate::auth::web_route::{Admission, WebStep, carry, web_step};
use crate::auth::{RequestAuthenticator, RequestOutcome, TokenKinds};
use crate::web_reply::actix::{headers, method, uri};

/// An actix-web middleware for the pages of a web app. See the [module docs](self).
///
/// The decisions (when to redirect, what the extractors see, how the outcome's headers join
/// the handler's) are made by a core shared with the axum layer.
#[derive(Debug, Clone)]
pub struct WebAuthMiddleware {
    authenticator: RequestAuthenticator,
    accept: TokenKinds,
}

impl WebAuthMiddleware {
    /// Authenticates with the token kinds the authenticator accepts (session tokens by default).
    pub fn new(authenticator: RequestAuthenticator) -> Self {
        let accept = authenticator.accepted_kinds();
        Self {
            authenticator,
            accept,
        }
    }

    /// Token kinds accepted on the routes this middleware wraps, overriding the
    /// authenticator's.
    pub fn accept(mut self, kinds: TokenKinds) -> Self {
        self.accept = kinds;
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for WebAuthMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = WebAuthMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(WebAuthMiddlewareService {
            service: Rc::new(service),
            middleware: self.clone(),
        }))
    }
}

/// The service made by [`WebAuthMiddleware`].
#[derive(Debug)]
pub struct WebAuthMiddlewareService<S> {
    service: Rc<S>,
    middleware: WebAuthMiddleware,
}

impl<S, B> Service<ServiceRequest> for WebAuthMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let middleware = self.middleware.clone();
        Box::pin(async move {
            let step = web_step(
                &middleware.authenticator,
                middleware.accept,
                &method(request.method()),
                &uri(request.uri()),
                &headers(request.headers()),
            )
            .await;
            let (admitted, outcome, carried) = match step {
                WebStep::Redirect(reply) => {
                    let response = HttpResponse::from(reply);
                    return Ok(request.into_response(response).map_into_right_body());
                }
                WebStep::Handler {
                    admitted,
                    outcome,
                    headers,
                } => (admitted, outcome, headers),
            };
            {
                let mut extensions = request.extensions_mut();
                match admitted {
                    Admission::SignedIn(principal) => {
                        extensions.insert(principal);
                    }
                    Admission::SignedOut(reason) => {
                        extensions.insert(reason);
                    }
                }
                extensions.insert(outcome);
            }
            let mut response = service.call(request).await?;
            carry(response.headers_mut(), carried);
            Ok(response.map_into_left_body())
        })
    }
}

impl FromRequest for RequestOutcome {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    /// The outcome of [`WebAuthMiddleware`] for this request (its headers already moved to the
    /// response).
    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            request
                .extensions()
                .get::<RequestOutcome>()
                .cloned()
                .ok_or(AuthRejection::MissingLayer),
        )
    }
}
