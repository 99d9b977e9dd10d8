//! A tower layer and axum extractors for authenticated routes.
//!
//! [`AuthLayer`] authenticates every request with a [`Verifier`]. A request that is not signed
//! in gets `401 Unauthorized` with `WWW-Authenticate: Bearer` (or `503 Service Unavailable` when
//! keys or the Backend API are unreachable) with an empty body: the reason is logged at debug
//! level, never sent. Signed-in requests carry their [`Principal`] as a request extension, which
//! handlers take with the [`Principal`], [`SessionClaims`] or [`MachineClaims`] extractors.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use clerk_backend_api::auth::{SessionClaims, Verifier, axum::AuthLayer};
//!
//! async fn me(claims: SessionClaims) -> String {
//!     format!("signed in as {}", claims.sub)
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder().secret_key("sk_test_example").build()?;
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .layer(AuthLayer::new(verifier));
//! # Ok(())
//! # }
//! ```
//!
//! With [`AuthLayer::optional`] nothing is rejected: handlers take `Option<Principal>` or
//! [`AuthState`] and decide for themselves.
//!
//! Every decision (accepted token kinds, statuses, the challenge header) is made by
//! [`RouteAuth`], which the actix-web middleware shares: both frameworks answer the same
//! request the same way.
//!
//! The pages of a web app use [`WebAuthLayer`] instead: it runs the full decision of
//! [`RequestAuthenticator`](super::RequestAuthenticator) (cookies, handshake, refresh,
//! satellites), redirects handshakes and puts the cookies on the handler's response; see
//! [`web`].

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::Request;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use tower::{Layer, Service};

pub mod web;

pub use web::{WebAuthLayer, WebAuthService};

pub use super::AuthRejection;
use super::route::Admitted;
use super::{
    AuthState, MachineClaims, Principal, RouteAuth, SessionClaims, SignedOutReason, TokenKinds,
    Verifier,
};

/// A tower [`Layer`] that authenticates requests. See the [module docs](self).
///
/// The decisions are [`RouteAuth`]'s, shared with the actix-web middleware.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    route: RouteAuth,
}

impl AuthLayer {
    /// Rejects every request that is not signed in with a token kind the verifier accepts
    /// ([`VerifierBuilder::accept`](super::VerifierBuilder::accept), session tokens by default).
    pub fn new(verifier: Verifier) -> Self {
        RouteAuth::new(verifier).into()
    }

    /// Token kinds accepted on the routes behind this layer, overriding the verifier's.
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

impl From<RouteAuth> for AuthLayer {
    fn from(route: RouteAuth) -> Self {
        Self { route }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            route: self.route.clone(),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    route: RouteAuth,
}

impl<S, B> Service<Request<B>> for AuthService<S>
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

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone is fresh and maybe not ready; the ready one (polled above) serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let route = self.route.clone();
        Box::pin(async move {
            match route.check(request.headers()).await {
                Ok(AuthState::SignedIn(principal)) => {
                    request.extensions_mut().insert(principal);
                }
                Ok(AuthState::SignedOut(reason)) => {
                    request.extensions_mut().insert(reason);
                }
                Err(rejection) => return Ok(rejection.into_response()),
            }
            inner.call(request).await
        })
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        self.reply().into()
    }
}

fn admitted(parts: &Parts) -> Admitted<'_> {
    Admitted::new(
        parts.extensions.get::<Principal>(),
        parts.extensions.get::<SignedOutReason>(),
    )
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        admitted(parts).principal().cloned()
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Principal {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(admitted(parts).optional_principal())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionClaims {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        admitted(parts).session()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MachineClaims {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        admitted(parts).machine()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthState {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        admitted(parts).state()
    }
}
