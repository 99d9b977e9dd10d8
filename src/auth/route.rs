//! Authentication of the routes of an API, whatever the web framework.
//!
//! The axum layer and the actix-web middleware are thin adapters over this module: they hand it
//! the request's headers and store what it admits, or send what it rejects. Which token kinds a
//! route accepts, whether a signed-out request goes through, and which status and headers a
//! refusal carries are decided here only, so the adapters cannot drift apart.

use std::fmt;

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::{AuthState, SignedOutReason, TokenKinds, Verifier};
#[cfg(any(feature = "axum", feature = "actix"))]
use super::{MachineClaims, Principal, SessionClaims};
#[cfg(any(feature = "axum", feature = "actix"))]
use crate::web_reply::Reply;

/// How the routes behind one layer or middleware are authenticated: with which verifier, which
/// token kinds they accept, and whether signed-out requests go through.
///
/// This is the framework-neutral core of `auth::axum::AuthLayer` and
/// `auth::actix::AuthMiddleware`. For another framework, call [`check`](Self::check) with the
/// request's headers and turn an [`AuthRejection`] into a response with its
/// [`status`](AuthRejection::status) and [`headers`](AuthRejection::headers) (and no body).
///
/// ```
/// use clerk_backend_api::auth::{AuthRejection, RouteAuth, TokenKinds, Verifier};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder().secret_key("sk_test_example").build()?;
/// let reports = RouteAuth::new(verifier).accept(TokenKinds::SESSION | TokenKinds::API_KEY);
///
/// # futures::executor::block_on(async {
/// // No token: refused with 401 and a `WWW-Authenticate: Bearer` challenge.
/// let refused = reports.check(&http::HeaderMap::new()).await.unwrap_err();
/// assert_eq!(refused, AuthRejection::Unauthenticated);
/// assert_eq!(refused.status(), http::StatusCode::UNAUTHORIZED);
/// assert_eq!(refused.headers()["www-authenticate"], "Bearer");
/// # });
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RouteAuth {
    verifier: Verifier,
    accept: TokenKinds,
    optional: bool,
}

impl RouteAuth {
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

    /// Token kinds accepted on these routes, overriding the verifier's. Machine tokens are read
    /// from the `Authorization` header only, never from cookies.
    pub fn accept(mut self, kinds: TokenKinds) -> Self {
        self.accept = kinds;
        self
    }

    /// Lets signed-out requests through: [`check`](Self::check) then never rejects, and the
    /// handler decides from the [`AuthState`].
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The verifier, shared by every clone.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The token kinds these routes accept.
    pub fn accepted_kinds(&self) -> TokenKinds {
        self.accept
    }

    /// True when signed-out requests go through.
    pub fn is_optional(&self) -> bool {
        self.optional
    }

    /// Authenticates one request from its headers.
    ///
    /// `Ok` holds what the handler is to see: always [`AuthState::SignedIn`] unless the routes
    /// are [optional](Self::optional). `Err` is the refusal to send instead of calling the
    /// handler; its reason was logged at debug level by the verifier and is not in it.
    pub async fn check(&self, headers: &HeaderMap) -> Result<AuthState, AuthRejection> {
        match self.verifier.authenticate_with(headers, self.accept).await {
            AuthState::SignedOut(reason) if !self.optional => {
                Err(AuthRejection::for_reason(&reason))
            }
            state => Ok(state),
        }
    }
}

/// Why a request was refused by the auth layer or middleware, or why an auth extractor could
/// not produce its value.
///
/// The response is a status and headers only: nothing tells the client which check failed
/// (see [`status`](Self::status) and [`headers`](Self::headers)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRejection {
    /// The request is not signed in with a token of the needed kind: `401 Unauthorized` with
    /// `WWW-Authenticate: Bearer`.
    Unauthenticated,
    /// The keys or the Backend API could not be reached, so no token could be checked: `503
    /// Service Unavailable`. A fault of this server, not of the client.
    Unavailable,
    /// An extractor ran on a route without the auth layer or middleware (a server bug): `500
    /// Internal Server Error`, logged at error level.
    MissingLayer,
}

impl AuthRejection {
    /// The refusal for a request signed out for `reason`.
    pub fn for_reason(reason: &SignedOutReason) -> Self {
        if reason.is_server_fault() {
            Self::Unavailable
        } else {
            Self::Unauthenticated
        }
    }

    /// The status the response carries.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::MissingLayer => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The headers the response carries: the `Bearer` challenge of a 401.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Self::Unauthenticated = self {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        headers
    }

    /// The response, as the adapters send it; a missing layer is logged here, once.
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn reply(&self) -> Reply {
        if let Self::MissingLayer = self {
            tracing::error!(
                "an auth extractor was used on a route without the auth layer or middleware"
            );
        }
        let mut reply = Reply::empty(self.status());
        reply.headers = self.headers();
        reply
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unauthenticated => "the request is not signed in with an accepted token",
            Self::Unavailable => "tokens cannot be checked: keys or the Backend API unreachable",
            Self::MissingLayer => {
                "no auth layer or middleware ran before this extractor; add one to the route"
            }
        })
    }
}

impl std::error::Error for AuthRejection {}

/// What the layer or middleware left on a request, as the extractors read it. Each adapter
/// builds one from its own request extensions.
#[cfg(any(feature = "axum", feature = "actix"))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admitted<'a> {
    principal: Option<&'a Principal>,
    signed_out: Option<&'a SignedOutReason>,
}

#[cfg(any(feature = "axum", feature = "actix"))]
impl<'a> Admitted<'a> {
    pub(crate) fn new(
        principal: Option<&'a Principal>,
        signed_out: Option<&'a SignedOutReason>,
    ) -> Self {
        Self {
            principal,
            signed_out,
        }
    }

    /// The principal; a signed-out request is unauthenticated, a request the layer never saw
    /// is a server bug.
    pub(crate) fn principal(self) -> Result<&'a Principal, AuthRejection> {
        match (self.principal, self.signed_out) {
            (Some(principal), _) => Ok(principal),
            (None, Some(_)) => Err(AuthRejection::Unauthenticated),
            (None, None) => Err(AuthRejection::MissingLayer),
        }
    }

    /// The principal when there is one, whatever the reason when there is none. (actix-web's
    /// own `Option<T>` extractor does the same from [`principal`](Self::principal).)
    #[cfg(feature = "axum")]
    pub(crate) fn optional_principal(self) -> Option<Principal> {
        self.principal.cloned()
    }

    /// The session claims: a machine token is unauthenticated for a handler that wants a user.
    pub(crate) fn session(self) -> Result<SessionClaims, AuthRejection> {
        self.principal()?
            .session()
            .cloned()
            .ok_or(AuthRejection::Unauthenticated)
    }

    /// The machine claims: a session is unauthenticated for a handler that wants a machine.
    pub(crate) fn machine(self) -> Result<MachineClaims, AuthRejection> {
        self.principal()?
            .machine()
            .cloned()
            .ok_or(AuthRejection::Unauthenticated)
    }

    /// The whole state, for handlers behind an optional layer.
    pub(crate) fn state(self) -> Result<AuthState, AuthRejection> {
        match (self.principal, self.signed_out) {
            (Some(principal), _) => Ok(AuthState::SignedIn(principal.clone())),
            (None, Some(reason)) => Ok(AuthState::SignedOut(reason.clone())),
            (None, None) => Err(AuthRejection::MissingLayer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> Verifier {
        Verifier::builder()
            .secret_key("sk_test_example")
            .build()
            .expect("valid settings")
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    #[test]
    fn required_routes_refuse_optional_routes_admit() {
        let headers = HeaderMap::new();
        let required = RouteAuth::new(verifier());
        assert_eq!(
            block_on(required.check(&headers)),
            Err(AuthRejection::Unauthenticated)
        );
        let optional = required.optional();
        assert_eq!(
            block_on(optional.check(&headers)),
            Ok(AuthState::SignedOut(SignedOutReason::TokenMissing))
        );
    }

    #[test]
    fn refusals_carry_status_and_challenge_only() {
        let unauthenticated = AuthRejection::for_reason(&SignedOutReason::Expired);
        assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(unauthenticated.headers()[WWW_AUTHENTICATE], "Bearer");

        let unavailable = AuthRejection::for_reason(&SignedOutReason::KeysUnavailable);
        assert_eq!(unavailable, AuthRejection::Unavailable);
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(unavailable.headers().is_empty());
        assert_eq!(
            AuthRejection::for_reason(&SignedOutReason::BackendUnavailable).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            AuthRejection::MissingLayer.status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert!(AuthRejection::MissingLayer.headers().is_empty());
    }

    #[cfg(any(feature = "axum", feature = "actix"))]
    #[test]
    fn the_reply_is_status_and_headers_without_a_body() {
        for rejection in [
            AuthRejection::Unauthenticated,
            AuthRejection::Unavailable,
            AuthRejection::MissingLayer,
        ] {
            let reply = rejection.reply();
            assert_eq!(reply.status, rejection.status());
            assert_eq!(reply.headers, rejection.headers());
            assert!(reply.body.is_empty());
        }
    }

    #[cfg(any(feature = "axum", feature = "actix"))]
    #[test]
    fn extractors_read_what_the_layer_left() {
        let reason = SignedOutReason::TokenMissing;
        let nothing = Admitted::new(None, None);
        assert_eq!(nothing.principal(), Err(AuthRejection::MissingLayer));
        assert_eq!(nothing.state(), Err(AuthRejection::MissingLayer));
        assert_eq!(nothing.optional_principal(), None);
        let signed_out = Admitted::new(None, Some(&reason));
        assert_eq!(signed_out.principal(), Err(AuthRejection::Unauthenticated));
        assert_eq!(signed_out.session(), Err(AuthRejection::Unauthenticated));
        assert_eq!(signed_out.state(), Ok(AuthState::SignedOut(reason.clone())));
    }
}
