//! What [`RequestAuthenticator`](super::RequestAuthenticator) decides for one request, as plain
//! data: the decision, why, and the headers the response must carry.

use std::borrow::Cow;
use std::fmt;

use http::HeaderMap;
use http::header::LOCATION;

use super::{Principal, SignedOutReason};

/// The decision for one request of a web app.
///
/// Every variant carries `headers`: what the response must carry whatever the application
/// answers (`Set-Cookie` directives in order, `Location`, `Cache-Control: no-store`, and the
/// `x-clerk-auth-status`, `x-clerk-auth-reason` and `x-clerk-auth-message` headers Clerk's
/// tools read). When they hold a `Location` (see [`redirect_location`](Self::redirect_location)),
/// answer with a redirect to it (`307 Temporary Redirect`) carrying them; the `axum` and
/// `actix` adapters do that.
#[derive(Debug, Clone)]
pub enum RequestOutcome {
    /// The request is authenticated. `headers` is usually empty; it holds cookies after a
    /// handshake was resolved or a session refreshed, and on development instances a
    /// `Location` that removes the handshake parameters from the address bar.
    SignedIn {
        /// Who is signed in.
        auth: Principal,
        /// Headers the response must carry.
        headers: HeaderMap,
    },
    /// The request is not authenticated; pages decide what to show, APIs answer 401.
    SignedOut {
        /// Why, with Clerk's reason string as its [`Display`](fmt::Display).
        reason: AuthReason,
        /// Detail for logs (also sent as `x-clerk-auth-message`); empty when there is none.
        message: String,
        /// Headers the response must carry (the debug headers, cookies to clear).
        headers: HeaderMap,
    },
    /// The browser must visit Clerk's Frontend API (or the sign-in page, for a satellite's
    /// first sync) and come back: answer `307` to `location` with `headers`.
    Handshake {
        /// Where to send the browser; also in `headers`.
        location: String,
        /// Headers the redirect must carry.
        headers: HeaderMap,
        /// Why a handshake is needed.
        reason: AuthReason,
    },
}

impl RequestOutcome {
    /// `signed-in`, `signed-out` or `handshake`, as in `x-clerk-auth-status`.
    pub fn status(&self) -> &'static str {
        match self {
            Self::SignedIn { .. } => "signed-in",
            Self::SignedOut { .. } => "signed-out",
            Self::Handshake { .. } => "handshake",
        }
    }

    /// The headers the response must carry.
    pub fn headers(&self) -> &HeaderMap {
        match self {
            Self::SignedIn { headers, .. }
            | Self::SignedOut { headers, .. }
            | Self::Handshake { headers, .. } => headers,
        }
    }

    /// Takes the headers out, leaving an empty map.
    pub fn take_headers(&mut self) -> HeaderMap {
        match self {
            Self::SignedIn { headers, .. }
            | Self::SignedOut { headers, .. }
            | Self::Handshake { headers, .. } => std::mem::take(headers),
        }
    }

    /// Where the response must redirect to, if anywhere: always for a handshake, and for a
    /// resolved handshake on a development instance.
    pub fn redirect_location(&self) -> Option<&str> {
        match self {
            Self::Handshake { location, .. } => Some(location),
            _ => self.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
        }
    }

    /// The authenticated principal, when signed in.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Self::SignedIn { auth, .. } => Some(auth),
            _ => None,
        }
    }

    /// Why the request is not signed in, for the other two outcomes.
    pub fn reason(&self) -> Option<&AuthReason> {
        match self {
            Self::SignedIn { .. } => None,
            Self::SignedOut { reason, .. } | Self::Handshake { reason, .. } => Some(reason),
        }
    }

    /// True for [`RequestOutcome::SignedIn`].
    pub fn is_signed_in(&self) -> bool {
        matches!(self, Self::SignedIn { .. })
    }
}

/// Why a request is signed out or needs a handshake.
///
/// [`Display`](fmt::Display) gives the reason string of Clerk's JavaScript SDK
/// (`session-token-expired-refresh-non-eligible-no-refresh-cookie`, `token-invalid-signature`,
/// ...), which is also sent as `x-clerk-auth-reason` and in the handshake URL, so logs and
/// Clerk's support read the same words whatever the backend language.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthReason {
    /// The token was refused by a check; see [`SignedOutReason`].
    Token(SignedOutReason),
    /// The token is of a kind the route does not accept (a machine token where sessions are
    /// expected, a JWT-template token, ...): `token-type-mismatch`.
    TokenTypeMismatch,
    /// A route accepting only one machine token kind got no `Authorization` header.
    NoTokenInHeader,
    /// Neither a session cookie nor `__client_uat`: signed out on this browser.
    SessionTokenAndUatMissing,
    /// A handshake was resolved and its cookies hold no session.
    SessionTokenMissing,
    /// `__client_uat` says signed in but there is no session cookie.
    ClientUatWithoutSessionToken,
    /// A session cookie without `__client_uat` (or with `0`).
    SessionTokenWithoutClientUat,
    /// The session token is older than the browser's last client change.
    SessionTokenIatBeforeClientUat,
    /// The session token expired; the refresh through the `__refresh` cookie was not tried or
    /// failed for the given cause.
    SessionTokenExpired(RefreshFailure),
    /// The session token's `nbf` is in the future.
    SessionTokenNotYetValid,
    /// The session token's `iat` is in the future.
    SessionTokenIatInTheFuture,
    /// Development instance without its dev-browser token.
    DevBrowserMissing,
    /// Development instance given a dev-browser token in the URL.
    DevBrowserSync,
    /// A satellite domain has to sync with the primary domain.
    SatelliteNeedsSyncing,
    /// The primary domain (development) sends the browser back to a satellite.
    PrimaryRespondsToSyncing,
    /// A navigation from another site to the primary domain refreshes the session first.
    PrimaryDomainCrossOriginSync,
    /// The URL names another organization than the session's active one.
    ActiveOrganizationMismatch,
    /// The settings do not allow deciding (logged at error level).
    UnexpectedError,
}

/// Why an expired session token was not refreshed through the `__refresh` cookie, as the
/// suffix of `session-token-expired-refresh-<cause>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshFailure {
    /// The request has no `__refresh` cookie (`non-eligible-no-refresh-cookie`).
    NoRefreshCookie,
    /// Only `GET` requests are refreshed (`non-eligible-non-get`).
    NotGet,
    /// The expired token names no session (`expired-session-token-missing-sid-claim`).
    MissingSessionId,
    /// The Backend API could not be reached, or answered `unexpected_error` (`fetch-error`).
    FetchError,
    /// The Backend API failed without an error code (`unexpected-bapi-error`).
    UnexpectedApiError,
    /// The Backend API answered without cookies (`unexpected-sdk-error`).
    NoCookies,
    /// The refreshed session token did not verify (`invalid-session-token`).
    InvalidSessionToken,
    /// The Backend API refused, with this error code (e.g. `expired_token_invalid`).
    Api(String),
}

impl RefreshFailure {
    fn as_str(&self) -> &str {
        match self {
            Self::NoRefreshCookie => "non-eligible-no-refresh-cookie",
            Self::NotGet => "non-eligible-non-get",
            Self::MissingSessionId => "expired-session-token-missing-sid-claim",
            Self::FetchError => "fetch-error",
            Self::UnexpectedApiError => "unexpected-bapi-error",
            Self::NoCookies => "unexpected-sdk-error",
            Self::InvalidSessionToken => "invalid-session-token",
            Self::Api(code) => code,
        }
    }
}

impl AuthReason {
    /// Clerk's reason string.
    pub fn as_str(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Token(reason) => token_reason(reason),
            Self::TokenTypeMismatch => "token-type-mismatch",
            Self::NoTokenInHeader => "No token in header",
            Self::SessionTokenAndUatMissing => "session-token-and-uat-missing",
            Self::SessionTokenMissing => "session-token-missing",
            Self::ClientUatWithoutSessionToken => "client-uat-but-no-session-token",
            Self::SessionTokenWithoutClientUat => "session-token-but-no-client-uat",
            Self::SessionTokenIatBeforeClientUat => "session-token-iat-before-client-uat",
            Self::SessionTokenExpired(cause) => {
                return Cow::Owned(format!("session-token-expired-refresh-{}", cause.as_str()));
            }
            Self::SessionTokenNotYetValid => "session-token-nbf",
            Self::SessionTokenIatInTheFuture => "session-token-iat-in-the-future",
            Self::DevBrowserMissing => "dev-browser-missing",
            Self::DevBrowserSync => "dev-browser-sync",
            Self::SatelliteNeedsSyncing => "satellite-needs-syncing",
            Self::PrimaryRespondsToSyncing => "primary-responds-to-syncing",
            Self::PrimaryDomainCrossOriginSync => "primary-domain-cross-origin-sync",
            Self::ActiveOrganizationMismatch => "active-organization-mismatch",
            Self::UnexpectedError => "unexpected-error",
        })
    }

    /// True when the failure lies with this server (keys or the Backend API unreachable, bad
    /// settings) rather than with the request.
    pub fn is_server_fault(&self) -> bool {
        match self {
            Self::Token(reason) => reason.is_server_fault(),
            Self::UnexpectedError => true,
            _ => false,
        }
    }
}

impl fmt::Display for AuthReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl From<SignedOutReason> for AuthReason {
    fn from(reason: SignedOutReason) -> Self {
        Self::Token(reason)
    }
}

/// Clerk's string for a failed token check.
fn token_reason(reason: &SignedOutReason) -> &'static str {
    match reason {
        SignedOutReason::Malformed
        | SignedOutReason::TokenTooLarge
        | SignedOutReason::TokenMissing
        | SignedOutReason::TokenInvalid
        | SignedOutReason::TokenRevoked => "token-invalid",
        SignedOutReason::AlgorithmNotAllowed => "token-invalid-algorithm",
        SignedOutReason::UnknownKey => "jwk-kid-mismatch",
        SignedOutReason::BadSignature => "token-invalid-signature",
        SignedOutReason::Expired => "token-expired",
        SignedOutReason::NotYetValid => "token-not-active-yet",
        SignedOutReason::IssuedInFuture => "token-iat-in-the-future",
        SignedOutReason::WrongAuthorizedParty => "token-invalid-authorized-parties",
        SignedOutReason::WrongIssuer => "token-invalid-issuer",
        SignedOutReason::MissingClaim(_) | SignedOutReason::WrongAudience => {
            "token-verification-failed"
        }
        SignedOutReason::TokenKindNotAccepted(_) | SignedOutReason::UnrecognizedCategory => {
            "token-type-mismatch"
        }
        SignedOutReason::KeysUnavailable => "jwk-remote-failed-to-load",
        SignedOutReason::BackendUnavailable => "unexpected-error",
        // A reason added later: the generic string rather than a wrong specific one.
        #[allow(unreachable_patterns)]
        _ => "token-verification-failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_strings_are_clerks() {
        assert_eq!(
            AuthReason::SessionTokenExpired(RefreshFailure::NoRefreshCookie).to_string(),
            "session-token-expired-refresh-non-eligible-no-refresh-cookie"
        );
        assert_eq!(
            AuthReason::SessionTokenExpired(RefreshFailure::Api("expired_token_invalid".into()))
                .to_string(),
            "session-token-expired-refresh-expired_token_invalid"
        );
        assert_eq!(
            AuthReason::Token(SignedOutReason::BadSignature).to_string(),
            "token-invalid-signature"
        );
        assert_eq!(
            AuthReason::NoTokenInHeader.to_string(),
            "No token in header"
        );
    }
}
