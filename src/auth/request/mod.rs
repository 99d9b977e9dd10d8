//! Authenticating the requests of a web app the way Clerk's own backend SDK does: cookies,
//! handshake, refresh, satellites.
//!
//! A [`Verifier`] answers "is this token valid?". A server-rendered application needs more: a
//! browser that comes back after its one-minute session token expired must not look signed
//! out; it is sent through Clerk's Frontend API (the *handshake*), which refreshes its cookies
//! and sends it back. [`RequestAuthenticator`] makes that decision for each request and answers
//! with a [`RequestOutcome`]: signed in, signed out (with Clerk's reason), or handshake (with
//! the redirect), plus the headers the response must carry.
//!
//! ```
//! use clerk_backend_api::auth::{RequestAuthenticator, RequestOutcome};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = RequestAuthenticator::builder()
//!     .secret_key("sk_live_example")
//!     .publishable_key("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k") // clerk.example.com
//!     .authorized_parties(["https://example.com"])
//!     .build()?;
//!
//! // A first visit: no cookie, signed out, decided without any network call.
//! let request = http::Request::get("https://example.com/")
//!     .header("accept", "text/html")
//!     .body(())?;
//! # futures::executor::block_on(async {
//! match auth.authenticate_request(&request).await {
//!     RequestOutcome::SignedIn { auth, .. } => println!("hello {}", auth.subject()),
//!     RequestOutcome::SignedOut { reason, .. } => {
//!         assert_eq!(reason.to_string(), "session-token-and-uat-missing")
//!     }
//!     RequestOutcome::Handshake { location, .. } => println!("redirect to {location}"),
//! }
//! # });
//! # Ok(())
//! # }
//! ```
//!
//! # What is decided, in order
//!
//! - **Header first.** `Authorization: Bearer <token>` (that exact scheme, or a bare value
//!   without a space) is verified directly; the cookies are not read. An expired or
//!   not-yet-valid header token goes to the handshake decision like a cookie one.
//! - **Machine tokens** (API keys, M2M and OAuth tokens) when the route accepts them
//!   ([`TokenKinds`]), from the header only; a token of another kind is refused with
//!   `token-type-mismatch` without calling the Backend API.
//! - **A pending handshake** is resolved: `__clerk_handshake_nonce` (query or cookie) is
//!   exchanged at the Backend API for `Set-Cookie` directives, or `__clerk_handshake` is
//!   verified as a JWT of the instance key; the directives are passed on unchanged, in order,
//!   and the session token among them is verified.
//! - **Satellites** (`is_satellite`): a document `GET` without Clerk cookies (or with
//!   `__clerk_synced=false`) syncs with the primary domain first: production through the
//!   handshake (with [`satellite_auto_sync`](RequestAuthenticatorBuilder::satellite_auto_sync),
//!   or when the primary asked for it), development through the sign-in page.
//! - **Development instances** need the dev-browser token `__clerk_db_jwt`; a handshake
//!   fetches it.
//! - **Cookies:** `__client_uat` (when the browser's client last changed) against `__session`:
//!   neither is signed out; only one of them, or a token issued before `__client_uat`, needs a
//!   handshake. Cookie names may carry the instance's suffix (`__session_<suffix>`), chosen over
//!   the plain ones by Clerk's rule (issuers, `iat`, the two `__client_uat` values).
//! - **Expiry:** an expired session token on a `GET` with a `__refresh_<suffix>` cookie is
//!   refreshed through the Backend API (the new cookies are set and the request is signed in);
//!   otherwise, or when that fails, a handshake (reason `session-token-expired-refresh-<cause>`).
//! - **After verification:** a navigation from another site to the primary domain, and a URL
//!   naming another organization than the active one
//!   ([`organization_patterns`](RequestAuthenticatorBuilder::organization_patterns)), still ask
//!   for a handshake.
//! - **Only a browser navigation is redirected**: a `GET` whose `Sec-Fetch-Dest` is `document`
//!   or `iframe`, or without that header one accepting `text/html` first. Any other request
//!   gets the signed-out outcome with the same reason. A cookie `__clerk_redirect_count`
//!   (two seconds) counts handshakes; at three the request is signed out instead.
//!
//! # Where this crate decides differently from Clerk's SDK
//!
//! `tests/web_auth_fixtures.rs` runs every scenario of `tests/fixtures/webauth/verdicts.json`
//! (recorded from `@clerk/backend` 3.25.0 by the generator next to it) and requires the same
//! status, reason, `Location` and `Set-Cookie` list, except for these choices, each safer and
//! none able to break a real browser's flow:
//!
//! 1. **An expired handshake token is refused.** Clerk's SDK checks the signature of
//!    `__clerk_handshake` but not its `exp`, so a handshake token captured from a URL or a log
//!    could be replayed to plant its cookies forever. Here `exp` (when present) is checked with
//!    the clock skew; the Frontend API mints the token right before redirecting, so a real
//!    browser never carries an expired one. On a development instance the request is signed
//!    out with `token-expired`; on production it continues as if no handshake were pending.
//! 2. **The loop stops at three or more.** Clerk's SDK stops redirecting only when the counter
//!    cookie is exactly `3`; a counter of `4` or more (a forged or stale cookie) starts the
//!    loop over. Here any value from three on signs the request out. A real browser never gets
//!    past three, so nothing changes for it.
//! 3. **The token that failed is the one sent on.** When a header token expires, Clerk's SDK
//!    puts the *cookie* token (when there is one) in the handshake URL and refreshes the
//!    cookie's session, silently swapping the credential the request presented for another,
//!    possibly another user's. Here the failing header token is used for both. Browsers do not
//!    put bearer tokens on navigations, so their flow is unaffected.
//! 4. **No `Access-Control-Allow-Origin: null` with credentials.** Clerk's SDK adds that pair
//!    to the answer of a resolved handshake; `null` is the origin of sandboxed frames and
//!    `file:` pages, so any of them could read that response with the user's cookies. It is
//!    left out: the handshake is a top-level navigation, which CORS does not concern.
//! 5. **Errors are outcomes, not exceptions.** Where Clerk's SDK throws for a request (a
//!    handshake token with a bad signature on a development instance, a satellite whose
//!    sign-in URL is on the request's own origin), the request is signed out with a reason and
//!    a message, and the cause is logged; settings that are wrong for every request are
//!    refused by [`RequestAuthenticatorBuilder::build`] as a
//!    [`ConfigError`](super::ConfigError).
//! 6. **Stricter token checks carry over from [`Verifier`]**: the issuer is checked (by
//!    default the Frontend API of the publishable key), and tokens over the size limit are
//!    refused. Clerk's SDK checks the issuer only when told to.
//! 7. **Cookies are read one by one from the header bytes.** With several `Cookie` headers (as
//!    HTTP/2 sends them) each is parsed on its own; a cookie that is not UTF-8 is skipped
//!    alone.
//!
//! The `x-clerk-auth-message` texts are this crate's own; statuses, reasons, redirects and
//! cookies are Clerk's.

mod api;
mod context;
mod decode;
mod flow;
mod handshake;
mod org_sync;
mod refresh;
mod settings;

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use http::request::Parts;
use http::{HeaderMap, Method, Uri};

pub use settings::RequestAuthenticatorBuilder;

use self::api::Api;
use self::context::Context;
use self::flow::Flow;
use self::org_sync::OrgMatcher;
use self::settings::{Clock, ProxyUrl, PublishableKey};
use super::cookies::Cookies;
use super::outcome::RequestOutcome;
use super::{TokenKinds, Verifier};

/// Decides, for each request of a web app, whether it is signed in, signed out, or needs a
/// handshake; see the [module documentation](self). Cheap to clone; clones share the key
/// cache. Build one per Clerk instance.
#[derive(Clone)]
pub struct RequestAuthenticator {
    inner: std::sync::Arc<Inner>,
}

/// The checked settings.
pub(crate) struct Inner {
    verifier: Verifier,
    /// Development instances: the same checks with a day of clock skew, for the session token
    /// of a handshake (see `handshake.rs`).
    lenient_verifier: Option<Verifier>,
    api: Api,
    publishable_key: Option<PublishableKey>,
    /// The Frontend API host that issues the tokens (`clerk.<domain>` for a production
    /// satellite).
    original_frontend_api: String,
    suffix: String,
    /// Copies of verifier settings that `flow.rs` checks in Clerk's order.
    authorized_parties: Vec<String>,
    issuer: Option<String>,
    proxy_url: Option<ProxyUrl>,
    is_satellite: bool,
    sign_in_url: Option<url::Url>,
    satellite_auto_sync: bool,
    accept: TokenKinds,
    org_sync: OrgMatcher,
    clock_skew_ms: i64,
    clock: Option<Clock>,
}

impl Inner {
    fn now(&self) -> SystemTime {
        match &self.clock {
            Some(clock) => clock(),
            None => SystemTime::now(),
        }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        match self.now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        }
    }

    pub(crate) fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

impl fmt::Debug for RequestAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("RequestAuthenticator")
            .field("verifier", &inner.verifier)
            .field(
                "publishable_key",
                &inner.publishable_key.as_ref().map(|pk| &pk.key),
            )
            .field("is_satellite", &inner.is_satellite)
            .field("accept", &inner.accept)
            .finish_non_exhaustive()
    }
}

impl RequestAuthenticator {
    /// Starts configuring an authenticator.
    pub fn builder() -> RequestAuthenticatorBuilder {
        RequestAuthenticatorBuilder::default()
    }

    /// The token verifier inside, sharing its key cache: for API routes that only need
    /// `Authorization: Bearer` checks.
    pub fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// The token kinds [`authenticate`](Self::authenticate) accepts.
    pub fn accepted_kinds(&self) -> TokenKinds {
        self.inner.accept
    }

    /// Decides for a request from its [`Parts`].
    pub async fn authenticate(&self, parts: &Parts) -> RequestOutcome {
        self.decide(&parts.method, &parts.uri, &parts.headers, self.inner.accept)
            .await
    }

    /// Decides for a whole request (only its method, URI and headers are read).
    pub async fn authenticate_request<B>(&self, request: &http::Request<B>) -> RequestOutcome {
        self.decide(
            request.method(),
            request.uri(),
            request.headers(),
            self.inner.accept,
        )
        .await
    }

    /// Decides for a request, accepting the given token kinds instead of the configured ones.
    pub async fn authenticate_with(&self, parts: &Parts, accept: TokenKinds) -> RequestOutcome {
        self.decide(&parts.method, &parts.uri, &parts.headers, accept)
            .await
    }

    /// Decides from the three things read: method, URI (path and query; the scheme and host
    /// when the server passes them) and headers.
    pub async fn decide(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        accept: TokenKinds,
    ) -> RequestOutcome {
        let cookies = Cookies::parse(headers);
        let ctx = Context::new(&self.inner, method, uri, headers, &cookies);
        let mut flow = Flow {
            ctx,
            accept,
            judged_token: None,
        };
        if let Some(refused) = flow.check_request_settings() {
            return refused;
        }
        flow.decide().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Web frameworks run handlers on multi-threaded runtimes: the future must be `Send`.
    #[allow(dead_code)]
    fn futures_are_send(auth: &RequestAuthenticator, parts: &Parts) {
        fn send<T: Send>(_: T) {}
        send(auth.authenticate(parts));
    }
}
