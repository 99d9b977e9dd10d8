//! A tower layer and axum extractors for authenticated routes.
//!
//! [`AuthLayer`] authenticates every request with a [`Verifier`]. A request that is not signed
//! in gets `401 Unauthorized` (or `503 Service Unavailable` when keys or the Backend API are
//! unreachable) with an empty body: the reason is logged at debug level, never sent. Signed-in
//! requests carry their [`Principal`] as a request extension, which handlers take with the
//! [`Principal`], [`SessionClaims`] or [`MachineClaims`] extractors.
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
//! The pages of a web app use [`WebAuthLayer`] instead: it runs the full decision of
//! [`RequestAuthenticator`](super::RequestAuthenticator) (cookies, handshake, refresh,
//! satellites), redirects handshakes and puts the cookies on the handler's response; see
//! [`web`].

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use tower::{Layer, Service};

pub mod web;

pub use web::{WebAuthLayer, WebAuthService};

use super::{
    AuthState, MachineClaims, Principal, SessionClaims, SignedOutReason, TokenKinds, Verifier,
};

/// A tower [`Layer`] that authenticates requests. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct AuthLayer {
    verifier: Verifier,
    accept: TokenKinds,
    optional: bool,
}

impl AuthLayer {
    /// Rejects every request that is not signed in with a token kind the verifier accepts
    /// ([`VerifierBuilder::accept`](super::VerifierBuilder::accept), session tokens by default).
    pub fn new(verifier: Verifier) -> Self {
        let accept = verifier.accepted_kinds();
        Self {
            verifier,
            accept,
            optional: false,
        }
    }

    /// Token kinds accepted on the routes behind this layer, overriding the verifier's.
    pub fn accept(mut self, kinds: TokenKinds) -> Self {
        self.accept = kinds;
        self
    }

    /// Lets signed-out requests through; handlers see the outcome through [`AuthState`] or
    /// `Option<Principal>`.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    layer: AuthLayer,
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
        let layer = self.layer.clone();
        Box::pin(async move {
            let state = layer
                .verifier
                .authenticate_with(request.headers(), layer.accept)
                .await;
            match state {
                AuthState::SignedIn(principal) => {
                    request.extensions_mut().insert(principal);
                }
                AuthState::SignedOut(reason) if layer.optional => {
                    request.extensions_mut().insert(reason);
                }
                AuthState::SignedOut(reason) => return Ok(reject(&reason)),
            }
            inner.call(request).await
        })
    }
}

/// The response for a refused request: status and challenge only, no detail.
fn reject(reason: &SignedOutReason) -> Response {
    if reason.is_server_fault() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
    )
        .into_response()
}

/// Why an auth extractor could not produce its value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRejection {
    /// The request is not signed in with a token of the needed kind: 401, no detail.
    Unauthenticated,
    /// No [`AuthLayer`] ran before the handler (a server bug): 500, logged.
    MissingLayer,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthenticated => reject(&SignedOutReason::TokenMissing),
            Self::MissingLayer => {
                tracing::error!("an auth extractor was used on a route without AuthLayer");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

fn principal_of(parts: &Parts) -> Result<&Principal, AuthRejection> {
    match parts.extensions.get::<Principal>() {
        Some(principal) => Ok(principal),
        None if parts.extensions.get::<SignedOutReason>().is_some() => {
            Err(AuthRejection::Unauthenticated)
        }
        None => Err(AuthRejection::MissingLayer),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        principal_of(parts).cloned()
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Principal {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Principal>().cloned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionClaims {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        principal_of(parts)?
            .session()
            .cloned()
            .ok_or(AuthRejection::Unauthenticated)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MachineClaims {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        principal_of(parts)?
            .machine()
            .cloned()
            .ok_or(AuthRejection::Unauthenticated)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthState {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(AuthState::SignedIn(principal.clone()));
        }
        match parts.extensions.get::<SignedOutReason>() {
            Some(reason) => Ok(AuthState::SignedOut(reason.clone())),
            None => Err(AuthRejection::MissingLayer),
        }
    }
}
