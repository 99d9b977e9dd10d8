//! The decision for one request: the header flow, the cookie flow and its ordered steps.
//!
//! The order of the steps and the reasons are those of `authenticateRequest` in Clerk's
//! JavaScript SDK (`@clerk/backend` 3.x), so that an application written with this crate and
//! one written with Clerk's SDK treat the same browser the same way. Where this module decides
//! differently, the module documentation of [`request`](super) lists it with the reason.

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};

use super::context::{Context, DEV_BROWSER, REDIRECT_URL, SYNCED, rewrite_query};
use super::decode::Unverified;
use super::org_sync::Target;
use crate::auth::outcome::{AuthReason, RefreshFailure, RequestOutcome};
use crate::auth::{Principal, SignedOutReason, TokenKind, TokenKinds};

const AUTH_STATUS: HeaderName = HeaderName::from_static("x-clerk-auth-status");
const AUTH_REASON: HeaderName = HeaderName::from_static("x-clerk-auth-reason");
const AUTH_MESSAGE: HeaderName = HeaderName::from_static("x-clerk-auth-message");

/// Header `cat` values of Clerk's session tokens and of the "no category" marker; any other
/// `cat` marks a token of another class signed with the same key.
const SESSION_CATEGORY: &str = "cl_B7d4PD111AAA";
const IGNORE_CATEGORY: &str = "cl_I7d4PD111III";

/// Where the token being judged came from, for messages.
#[derive(Debug, Clone, Copy)]
pub(super) enum Carrier {
    Header,
    Cookie,
}

impl Carrier {
    fn as_str(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }
}

/// How the route's accepted token kinds shape the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Session tokens only: header, then cookies.
    Session,
    /// One machine kind: the header only.
    Machine(TokenKind),
    /// Several kinds: the header token's kind is checked first.
    Mixed,
}

impl Mode {
    fn of(accept: TokenKinds) -> Self {
        let kinds = [
            TokenKind::SessionToken,
            TokenKind::ApiKey,
            TokenKind::M2mToken,
            TokenKind::OAuthToken,
        ];
        let mut accepted = kinds.into_iter().filter(|k| accept.contains(*k));
        match (accepted.next(), accepted.next()) {
            (Some(TokenKind::SessionToken), None) => Self::Session,
            (Some(kind), None) => Self::Machine(kind),
            _ => Self::Mixed,
        }
    }
}

/// One request being decided.
pub(super) struct Flow<'r> {
    pub ctx: Context<'r>,
    pub accept: TokenKinds,
    /// The token the handshake URL and a refresh carry: the one being judged (see the module
    /// documentation of `request` for why the header token is never swapped for the cookie's).
    pub judged_token: Option<&'r str>,
}

impl<'r> Flow<'r> {
    pub(super) async fn decide(&mut self) -> RequestOutcome {
        let mode = Mode::of(self.accept);
        if mode == Mode::Mixed {
            let kind = match self.ctx.token_in_header {
                Some(token) => self.machine_kind(token).unwrap_or(TokenKind::SessionToken),
                None => TokenKind::SessionToken,
            };
            if !self.accept.contains(kind) {
                return self.signed_out(AuthReason::TokenTypeMismatch, String::new());
            }
        }
        match (self.ctx.token_in_header, mode) {
            (Some(token), Mode::Mixed) => self.any_token_in_header(token).await,
            (Some(token), Mode::Session) => self.session_in_header(token).await,
            (Some(token), Mode::Machine(_)) => self.machine_in_header(token).await,
            (None, Mode::Machine(_)) => self.signed_out(AuthReason::NoTokenInHeader, String::new()),
            (None, _) => self.cookie_flow().await,
        }
    }

    async fn session_in_header(&mut self, token: &'r str) -> RequestOutcome {
        self.judged_token = Some(token);
        let this = &*self;
        if this.is_machine_jwt(token) || this.has_non_session_category(token) {
            return this.signed_out(AuthReason::TokenTypeMismatch, String::new());
        }
        match this.verify_session(token).await {
            Ok(principal) => signed_in(principal, HeaderMap::new()),
            Err(error) => this.token_error(error, Carrier::Header).await,
        }
    }

    async fn machine_in_header(&self, token: &'r str) -> RequestOutcome {
        match self.machine_kind(token) {
            Some(kind) if self.accept.contains(kind) => self.verify_machine(token, kind).await,
            _ => self.signed_out(AuthReason::TokenTypeMismatch, String::new()),
        }
    }

    async fn any_token_in_header(&mut self, token: &'r str) -> RequestOutcome {
        if let Some(kind) = self.machine_kind(token) {
            if !self.accept.contains(kind) {
                return self.signed_out(AuthReason::TokenTypeMismatch, String::new());
            }
            return self.verify_machine(token, kind).await;
        }
        self.judged_token = Some(token);
        let this = &*self;
        if this.has_non_session_category(token) {
            return this.signed_out(AuthReason::TokenTypeMismatch, String::new());
        }
        match this.verify_session(token).await {
            Ok(principal) => signed_in(principal, HeaderMap::new()),
            Err(error) => this.token_error(error, Carrier::Header).await,
        }
    }

    async fn verify_machine(&self, token: &str, kind: TokenKind) -> RequestOutcome {
        match self
            .ctx
            .inner
            .verifier
            .verify_token(token, TokenKinds::from(kind))
            .await
        {
            Ok(principal) => signed_in(principal, HeaderMap::new()),
            Err(error) => {
                let message = format!("{error} (kind={kind})");
                self.signed_out(AuthReason::Token(error), message)
            }
        }
    }

    /// Verifies a session token with the checks of Clerk's SDK that the verifier does not
    /// make itself (`typ`, when present, must be `JWT`).
    pub(super) async fn verify_session(&self, token: &str) -> Result<Principal, SignedOutReason> {
        self.verify_session_with(token, &self.ctx.inner.verifier)
            .await
    }

    pub(super) async fn verify_session_with(
        &self,
        token: &str,
        verifier: &crate::auth::Verifier,
    ) -> Result<Principal, SignedOutReason> {
        let decoded = self.ctx.decoded(token).ok_or(SignedOutReason::Malformed)?;
        self.verify_decoded(token, &decoded, verifier).await
    }

    /// [`verify_session_with`](Self::verify_session_with) for a token decoded already.
    async fn verify_decoded(
        &self,
        token: &str,
        decoded: &Unverified,
        verifier: &crate::auth::Verifier,
    ) -> Result<Principal, SignedOutReason> {
        if decoded.header_value("typ").is_some_and(|t| t != "JWT") {
            return Err(SignedOutReason::Malformed);
        }
        // The claims read above are handed over, so that they are parsed once.
        match verifier
            .verify_token_parsed(token, TokenKinds::SESSION, decoded.for_verifier())
            .await
        {
            Ok(principal) => match self.claims_problem(decoded) {
                Some(problem) => Err(problem),
                None => Ok(principal),
            },
            // The verifier checks times before the claims; Clerk's SDK the other way round. A
            // token that is expired *and* for another party is refused for the latter, rather
            // than sent on a handshake. The signature has been checked at this point.
            Err(
                time @ (SignedOutReason::Expired
                | SignedOutReason::NotYetValid
                | SignedOutReason::IssuedInFuture),
            ) => Err(self.claims_problem(decoded).unwrap_or(time)),
            Err(other) => Err(other),
        }
    }

    /// The claim checks of Clerk's SDK that come before the time checks: the authorized party
    /// (required once parties are configured), the issuer and the audience.
    fn claims_problem(&self, token: &Unverified) -> Option<SignedOutReason> {
        let inner = &self.ctx.inner;
        if !inner.authorized_parties.is_empty() {
            match token.claim_str("azp") {
                Some(azp)
                    if !azp.is_empty() && inner.authorized_parties.iter().any(|p| p == azp) => {}
                _ => return Some(SignedOutReason::WrongAuthorizedParty),
            }
        }
        if let Some(issuer) = &inner.issuer
            && token.claim_str("iss") != Some(issuer.as_str())
        {
            return Some(SignedOutReason::WrongIssuer);
        }
        None
    }

    /// A session token failed a check: refresh it when it merely expired and a refresh token
    /// is at hand, hand the time errors to the handshake decision, sign out otherwise.
    pub(super) async fn token_error(
        &self,
        error: SignedOutReason,
        carrier: Carrier,
    ) -> RequestOutcome {
        let is_get = self.ctx.method == Method::GET;
        let refresh_failure = if error == SignedOutReason::Expired
            && self.ctx.refresh_in_cookie.is_some()
            && is_get
        {
            match self.attempt_refresh().await {
                Ok((principal, headers)) => return signed_in(principal, headers),
                Err(failure) => Some(failure),
            }
        } else if !is_get {
            Some(RefreshFailure::NotGet)
        } else if self.ctx.refresh_in_cookie.is_none() {
            Some(RefreshFailure::NoRefreshCookie)
        } else {
            None
        };
        let message = format!(
            "{error} (reason={}, token-carrier={})",
            AuthReason::Token(error.clone()),
            carrier.as_str()
        );
        match error {
            SignedOutReason::Expired => self.maybe_handshake(
                AuthReason::SessionTokenExpired(
                    refresh_failure.unwrap_or(RefreshFailure::NoRefreshCookie),
                ),
                message,
                None,
            ),
            SignedOutReason::NotYetValid => {
                self.maybe_handshake(AuthReason::SessionTokenNotYetValid, message, None)
            }
            SignedOutReason::IssuedInFuture => {
                self.maybe_handshake(AuthReason::SessionTokenIatInTheFuture, message, None)
            }
            other => self.signed_out(AuthReason::Token(other), message),
        }
    }

    async fn cookie_flow(&mut self) -> RequestOutcome {
        self.judged_token = self.ctx.session_in_cookie;
        self.cookie_steps().await
    }

    async fn cookie_steps(&self) -> RequestOutcome {
        let ctx = &self.ctx;
        let development = ctx.development();

        if ctx.handshake_nonce.is_some() || ctx.handshake_token.is_some() {
            match self.resolve_handshake().await {
                Ok(outcome) => return outcome,
                Err(super::handshake::Failure::HandshakeToken(error)) if development => {
                    // Clerk's SDK stops the request with an error here; a signed-out page
                    // says the same without failing the request.
                    tracing::error!(
                        reason = %AuthReason::Token(error.clone()),
                        "the handshake token in the URL does not verify; if the instance keys \
                         changed, clear this site's cookies"
                    );
                    let message = format!(
                        "the handshake token does not verify: {error}; if the instance keys \
                         changed, clear this site's cookies"
                    );
                    return self.signed_out(AuthReason::Token(error), message);
                }
                Err(failure) => {
                    // Another application's handshake cookie on a shared parent domain, or a
                    // stale one: continue, a new handshake will follow if needed.
                    tracing::warn!(%failure, "could not resolve the handshake; continuing without it");
                }
            }
        }

        let ctx = &self.ctx;
        let has_session = ctx.session_in_cookie.is_some();
        let has_active_client = ctx.client_uat != 0.0;
        let is_get = ctx.method == Method::GET;
        let document = ctx.sec_fetch_dest() == Some("document");
        let md_sync_eligible = ctx.inner.is_satellite && document && is_get;
        let synced = ctx.query_raw(SYNCED);
        let needs_sync = synced.as_deref() == Some("false");
        let sync_completed = synced.as_deref() == Some("true");
        let has_cookies = has_session || has_active_client;
        let skip_satellite_sync = !ctx.inner.satellite_auto_sync && !has_cookies && !needs_sync;

        if md_sync_eligible && !sync_completed && (ctx.production() || development) {
            if skip_satellite_sync {
                return self.signed_out(AuthReason::SessionTokenAndUatMissing, String::new());
            }
            if !has_cookies || needs_sync {
                let location = if development {
                    // A development satellite syncs through the sign-in page of the primary.
                    let Some(mut sign_in) = ctx.inner.sign_in_url.clone() else {
                        return self.misconfigured("a development satellite needs `sign_in_url`");
                    };
                    let back = ctx.url().map(|u| u.to_string()).unwrap_or_default();
                    rewrite_query(&mut sign_in, |pairs| {
                        pairs.push((REDIRECT_URL.to_owned(), back))
                    });
                    Some(sign_in.to_string())
                } else {
                    None
                };
                return self.maybe_handshake(
                    AuthReason::SatelliteNeedsSyncing,
                    String::new(),
                    location,
                );
            }
        }

        // The primary domain of a development instance sends a syncing satellite back, with
        // the dev-browser token. This comes before the dev-browser checks below so that the
        // primary does not start a handshake of its own in the middle of the satellite's.
        if development
            && !ctx.inner.is_satellite
            && let Some(target) = ctx.query(REDIRECT_URL)
        {
            match url::Url::parse(&target) {
                Ok(mut back) => {
                    let token = ctx.dev_browser.clone();
                    rewrite_query(&mut back, |pairs| {
                        if let Some(token) = token {
                            pairs.push((DEV_BROWSER.to_owned(), token));
                        }
                        set_pair(pairs, SYNCED, "true");
                    });
                    return self.maybe_handshake(
                        AuthReason::PrimaryRespondsToSyncing,
                        String::new(),
                        Some(back.to_string()),
                    );
                }
                Err(_) => {
                    tracing::warn!("ignoring a `__clerk_redirect_url` that is not a URL");
                }
            }
        }

        if development && ctx.query_raw(DEV_BROWSER).is_some() {
            return self.maybe_handshake(AuthReason::DevBrowserSync, String::new(), None);
        }
        if development && ctx.dev_browser.is_none() {
            return self.maybe_handshake(AuthReason::DevBrowserMissing, String::new(), None);
        }

        let token = match (has_active_client, ctx.session_in_cookie) {
            (false, None) => {
                return self.signed_out(AuthReason::SessionTokenAndUatMissing, String::new());
            }
            (false, Some(_)) => {
                return self.maybe_handshake(
                    AuthReason::SessionTokenWithoutClientUat,
                    String::new(),
                    None,
                );
            }
            (true, None) => {
                return self.maybe_handshake(
                    AuthReason::ClientUatWithoutSessionToken,
                    String::new(),
                    None,
                );
            }
            (true, Some(token)) => token,
        };

        let Some(decoded) = self.ctx.decoded_in_request(token) else {
            return self
                .token_error(SignedOutReason::Malformed, Carrier::Cookie)
                .await;
        };
        if is_machine_jwt(&decoded) || non_session_category(&decoded) {
            return self.signed_out(AuthReason::TokenTypeMismatch, String::new());
        }
        if decoded
            .claim_number("iat")
            .is_some_and(|iat| iat < self.ctx.client_uat)
        {
            return self.maybe_handshake(
                AuthReason::SessionTokenIatBeforeClientUat,
                String::new(),
                None,
            );
        }

        let verified = self
            .verify_decoded(token, &decoded, &self.ctx.inner.verifier)
            .await;
        let principal = match verified {
            Ok(principal) => principal,
            Err(error) => return self.token_error(error, Carrier::Cookie).await,
        };

        // A navigation from another site (a satellite, typically) to the primary domain:
        // refresh the session first, so that a sign-out or switch made there is seen here.
        let ctx = &self.ctx;
        if !ctx.inner.is_satellite
            && is_get
            && document
            && ctx.cross_origin_referrer()
            && !ctx.known_clerk_referrer()
            && ctx.loop_counter == 0.0
        {
            return self.maybe_handshake(
                AuthReason::PrimaryDomainCrossOriginSync,
                "a navigation from another site to the primary domain refreshes the session first"
                    .to_owned(),
                None,
            );
        }

        if let Some(handshake) = self.organization_sync(&principal) {
            return handshake;
        }
        signed_in(principal, HeaderMap::new())
    }

    /// A handshake when the URL names another organization than the session's active one.
    fn organization_sync(&self, principal: &Principal) -> Option<RequestOutcome> {
        let ctx = &self.ctx;
        let claims = principal.session()?;
        // Pending sessions are signed out for pages; nothing to activate.
        if claims.sts.as_deref() == Some("pending") {
            return None;
        }
        let target = self.org_target()?;
        let active = claims.organization.as_ref();
        let must_activate = match &target {
            Target::OrganizationSlug(slug) => active.and_then(|o| o.slug.as_deref()) != Some(slug),
            Target::OrganizationId(id) => active.map(|o| o.id.as_str()) != Some(id),
            Target::PersonalAccount => active.is_some(),
        };
        if !must_activate {
            return None;
        }
        if ctx.loop_counter >= 3.0 {
            // The organization was asked for before and the session still lacks it: not one
            // the user belongs to. The page decides.
            tracing::warn!("the organization named by the URL could not be activated");
            return None;
        }
        match self.maybe_handshake(AuthReason::ActiveOrganizationMismatch, String::new(), None) {
            handshake @ RequestOutcome::Handshake { .. } => Some(handshake),
            _ => None,
        }
    }

    pub(super) fn org_target(&self) -> Option<Target> {
        let matcher = &self.ctx.inner.org_sync;
        if matcher.is_empty() {
            return None;
        }
        matcher.find(self.ctx.url()?.path())
    }

    /// A signed-out outcome with its debug headers.
    pub(super) fn signed_out(&self, reason: AuthReason, message: String) -> RequestOutcome {
        self.signed_out_with(reason, message, HeaderMap::new())
    }

    pub(super) fn signed_out_with(
        &self,
        reason: AuthReason,
        message: String,
        mut headers: HeaderMap,
    ) -> RequestOutcome {
        tracing::debug!(%reason, "request signed out");
        debug_headers(&mut headers, "signed-out", &reason, &message);
        RequestOutcome::SignedOut {
            reason,
            message,
            headers,
        }
    }

    fn misconfigured(&self, what: &'static str) -> RequestOutcome {
        tracing::error!("{what}; fix the authenticator settings");
        self.signed_out(AuthReason::UnexpectedError, what.to_owned())
    }

    /// The per-request part of the settings checks.
    pub(super) fn check_request_settings(&self) -> Option<RequestOutcome> {
        let ctx = &self.ctx;
        if !ctx.inner.is_satellite
            || matches!(Mode::of(self.accept), Mode::Machine(TokenKind::M2mToken))
        {
            return None;
        }
        let (Some(sign_in), Some(origin)) = (&ctx.inner.sign_in_url, ctx.origin_header()) else {
            return None;
        };
        (sign_in.origin().ascii_serialization() == origin).then(|| {
            self.misconfigured(
                "the sign-in URL of a satellite must be on the primary domain, not on the satellite's origin",
            )
        })
    }
}

pub(super) fn signed_in(auth: Principal, headers: HeaderMap) -> RequestOutcome {
    RequestOutcome::SignedIn { auth, headers }
}

/// Adds `x-clerk-auth-status`, `-reason` and (when not empty) `-message`; a value that cannot
/// be a header is left out.
pub(super) fn debug_headers(
    headers: &mut HeaderMap,
    status: &'static str,
    reason: &AuthReason,
    message: &str,
) {
    headers.insert(AUTH_STATUS, HeaderValue::from_static(status));
    if let Ok(value) = HeaderValue::from_str(&reason.to_string()) {
        headers.insert(AUTH_REASON, value);
    }
    if !message.is_empty()
        && let Ok(value) = HeaderValue::from_str(message)
    {
        headers.insert(AUTH_MESSAGE, value);
    }
}

/// `URLSearchParams.set`: replaces the first pair of that name, drops the others, or appends.
fn set_pair(pairs: &mut Vec<(String, String)>, name: &str, value: &str) {
    match pairs.iter().position(|(k, _)| k == name) {
        Some(first) => {
            pairs[first].1 = value.to_owned();
            let mut index = 0;
            pairs.retain(|(k, _)| {
                let keep = index <= first || k != name;
                index += 1;
                keep
            });
        }
        None => pairs.push((name.to_owned(), value.to_owned())),
    }
}

/// A JWT whose `sub` is a machine: an M2M token.
fn is_m2m_jwt(token: &Unverified) -> bool {
    token.jwt_format
        && token
            .claim_str("sub")
            .is_some_and(|s| s.starts_with("mch_"))
}

/// A JWT whose `typ` is that of OAuth access tokens.
fn is_oauth_jwt(token: &Unverified) -> bool {
    token.jwt_format
        && matches!(
            token.header_str("typ"),
            Some("at+jwt" | "application/at+jwt")
        )
}

fn is_machine_jwt(token: &Unverified) -> bool {
    is_oauth_jwt(token) || is_m2m_jwt(token)
}

pub(super) fn non_session_category(token: &Unverified) -> bool {
    match token.header_value("cat") {
        None => false,
        Some(cat) => cat != SESSION_CATEGORY && cat != IGNORE_CATEGORY,
    }
}

impl Flow<'_> {
    /// The machine token kind of a header token: by prefix, or a JWT whose `sub` is a machine
    /// (M2M) or whose `typ` is `at+jwt` (OAuth).
    fn machine_kind(&self, token: &str) -> Option<TokenKind> {
        if token.starts_with("mt_") || self.is_m2m_jwt(token) {
            return Some(TokenKind::M2mToken);
        }
        if token.starts_with("oat_") || self.is_oauth_jwt(token) {
            return Some(TokenKind::OAuthToken);
        }
        token.starts_with("ak_").then_some(TokenKind::ApiKey)
    }

    fn is_m2m_jwt(&self, token: &str) -> bool {
        self.ctx.decoded(token).is_some_and(|t| is_m2m_jwt(&t))
    }

    fn is_oauth_jwt(&self, token: &str) -> bool {
        self.ctx.decoded(token).is_some_and(|t| is_oauth_jwt(&t))
    }

    fn is_machine_jwt(&self, token: &str) -> bool {
        self.ctx.decoded(token).is_some_and(|t| is_machine_jwt(&t))
    }

    /// The header `cat` marks another class of token than sessions.
    fn has_non_session_category(&self, token: &str) -> bool {
        self.ctx
            .decoded(token)
            .is_some_and(|t| non_session_category(&t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_pair_is_url_search_params_set() {
        let mut pairs = vec![
            ("a".to_owned(), "1".to_owned()),
            ("s".to_owned(), "false".to_owned()),
            ("b".to_owned(), "2".to_owned()),
            ("s".to_owned(), "x".to_owned()),
        ];
        set_pair(&mut pairs, "s", "true");
        let names: Vec<_> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(names, ["a=1", "s=true", "b=2"]);
        set_pair(&mut pairs, "c", "3");
        assert_eq!(pairs.last().map(|(k, _)| k.as_str()), Some("c"));
    }

    #[test]
    fn modes() {
        assert_eq!(Mode::of(TokenKinds::SESSION), Mode::Session);
        assert_eq!(
            Mode::of(TokenKinds::API_KEY),
            Mode::Machine(TokenKind::ApiKey)
        );
        assert_eq!(Mode::of(TokenKinds::ANY), Mode::Mixed);
        assert_eq!(Mode::of(TokenKinds::NONE), Mode::Mixed);
    }
}
