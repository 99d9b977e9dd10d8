//! An actix-web middleware and extractors for authenticated routes.
//!
//! [`AuthMiddleware`] authenticates every request with a [`Verifier`]; wrap an `App`, a `scope`
//! or a `resource` with it. A request that is not signed in gets `401 Unauthorized` with
//! `WWW-Authenticate: Bearer` (or `503 Service Unavailable` when keys or the Backend API are
//! unreachable) with an empty body: the reason is logged at debug level, never sent. Signed-in
//! requests carry their [`Principal`] as a request extension, which handlers take with the
//! [`Principal`], [`SessionClaims`] or [`MachineClaims`] extractors (or `web::ReqData<Principal>`).
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use clerk_backend_api::auth::{SessionClaims, Verifier, actix::AuthMiddleware};
//!
//! async fn me(claims: SessionClaims) -> String {
//!     format!("signed in as {}", claims.sub)
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder().secret_key("sk_test_example").build()?;
//! HttpServer::new(move || {
//!     App::new().service(
//!         web::resource("/me")
//!             .wrap(AuthMiddleware::new(verifier.clone()))
//!             .route(web::get().to(me)),
//!     )
//! })
//! .bind(("127.0.0.1", 3000))?
//! .run()
//! .await?;
//! # Ok(())
//! # }
//! ```
//!
//! With [`AuthMiddleware::optional`] nothing is rejected: handlers take `Option<Principal>` or
//! [`AuthState`] and decide for themselves.
//!
//! The pages of a web app use [`WebAuthMiddleware`] instead: it runs the full decision of
//! [`RequestAuthenticator`](super::RequestAuthenticator) (cookies, handshake, refresh,
//! satellites), redirects handshakes and puts the cookies on the handler's response; see
//! [`web`].
//!
//! Every decision (accepted token kinds, statuses, the challenge header) is made by
//! [`RouteAuth`], which the axum layer shares: both frameworks answer the same request the same
//! way. The middleware only copies the request's headers for it and translates its answer.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};
use futures::future::LocalBoxFuture;

pub use super::AuthRejection;
use super::route::Admitted;
use super::{
    AuthState, MachineClaims, Principal, RouteAuth, SessionClaims, SignedOutReason, TokenKinds,
    Verifier,
};
use crate::web_reply::actix::headers;

pub mod web;

pub use web::{WebAuthMiddleware, WebAuthMiddlewareService};

/// An actix-web middleware that authenticates requests. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct AuthMiddleware {
    route: RouteAuth,
}

impl AuthMiddleware {
    /// Rejects every request that is not signed in with a token kind the verifier accepts
    /// ([`VerifierBuilder::accept`](super::VerifierBuilder::accept), session tokens by default).
    pub fn new(verifier: Verifier) -> Self {
        RouteAuth::new(verifier).into()
    }

    /// Token kinds accepted on the routes this middleware wraps, overriding the verifier's.
    pub fn accept(mut self, kinds: TokenKinds) -> Self {
        self.route = self.route.accept(kinds);
        self
    }

    /// Lets signed-out requests through; handlers see the outcome through [`AuthState`] or
    /// `Option<Principal>`.
    pub fn optional(mut self) -> Self {
        self.route = self.route.optional();
        self
    }
}

impl From<RouteAuth> for AuthMiddleware {
    fn from(route: RouteAuth) -> Self {
        Self { route }
    }
}

impl<S, B> Transform<S, ServiceRequest> for AuthMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = AuthMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuthMiddlewareService {
            service: Rc::new(service),
            route: self.route.clone(),
        }))
    }
}

/// The service made by [`AuthMiddleware`].
#[derive(Debug)]
pub struct AuthMiddlewareService<S> {
    service: Rc<S>,
    route: RouteAuth,
}

impl<S, B> Service<ServiceRequest> for AuthMiddlewareService<S>
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
        let route = self.route.clone();
        Box::pin(async move {
            match route.check(&headers(request.headers())).await {
                Ok(AuthState::SignedIn(principal)) => {
                    request.extensions_mut().insert(principal);
                }
                Ok(AuthState::SignedOut(reason)) => {
                    request.extensions_mut().insert(reason);
                }
                Err(rejection) => {
                    let response = HttpResponse::from(rejection.reply());
                    return Ok(request.into_response(response).map_into_right_body());
                }
            }
            service
                .call(request)
                .await
                .map(ServiceResponse::map_into_left_body)
        })
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status().as_u16())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.reply().into()
    }
}

/// Reads what the middleware left on the request.
fn admitted<T>(request: &HttpRequest, read: impl FnOnce(Admitted<'_>) -> T) -> T {
    let extensions = request.extensions();
    read(Admitted::new(
        extensions.get::<Principal>(),
        extensions.get::<SignedOutReason>(),
    ))
}

/// `Option<Principal>` comes from actix-web's own `Option<T>` extractor: `None` whenever this
/// one fails.
impl FromRequest for Principal {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(admitted(request, |a| a.principal().cloned()))
    }
}

impl FromRequest for SessionClaims {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(admitted(request, |a| a.session()))
    }
}

impl FromRequest for MachineClaims {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(admitted(request, |a| a.machine()))
    }
}

impl FromRequest for AuthState {
    type Error = AuthRejection;
    type Future = Ready<Result<Self, AuthRejection>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(admitted(request, |a| a.state()))
    }
}
