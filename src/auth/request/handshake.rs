//! The handshake: which requests may be redirected, the redirect to the Frontend API, the
//! loop counter, and resolving what the Frontend API sends back.

use std::fmt;

use http::header::{CACHE_CONTROL, HeaderValue, LOCATION, SET_COOKIE};
use http::{HeaderMap, Method};

use super::context::{
    DEV_BROWSER, HANDSHAKE, HANDSHAKE_HELP, HANDSHAKE_NONCE, LEGACY_DEV_BROWSER, REDIRECT_COUNT,
    without_params,
};
use super::flow::{Flow, debug_headers, non_session_category, signed_in};
use crate::auth::SignedOutReason;
use crate::auth::backend::API_VERSION;
use crate::auth::jwt::{self, Jwt};
use crate::auth::keys::Algorithm;
use crate::auth::outcome::{AuthReason, RequestOutcome};

/// Handshakes stop once the counter cookie says this many happened within its two seconds.
const LOOP_LIMIT: f64 = 3.0;

/// Why a handshake could not be resolved.
#[derive(Debug)]
pub(super) enum Failure {
    /// The handshake token itself does not verify.
    HandshakeToken(SignedOutReason),
    /// The session token the handshake delivered does not verify.
    SessionToken(SignedOutReason),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HandshakeToken(e) => write!(f, "handshake token refused: {e}"),
            Self::SessionToken(e) => write!(f, "session token of the handshake refused: {e}"),
        }
    }
}

impl Flow<'_> {
    /// Only a browser navigation can be redirected through the Frontend API and back: a `GET`
    /// for a document or an iframe, or, from browsers that do not send `Sec-Fetch-Dest`, one
    /// that accepts HTML first.
    pub(super) fn eligible_for_handshake(&self) -> bool {
        if self.ctx.method != Method::GET {
            return false;
        }
        match self.ctx.sec_fetch_dest() {
            Some(dest) => dest == "document" || dest == "iframe",
            None => self
                .ctx
                .accept()
                .is_some_and(|accept| accept.starts_with("text/html")),
        }
    }

    /// A handshake when the request can take one; signed out otherwise, or when the loop
    /// counter says the last ones did not help. `location` replaces the Frontend API URL for
    /// the satellite sync redirects.
    pub(super) fn maybe_handshake(
        &self,
        reason: AuthReason,
        message: String,
        location: Option<String>,
    ) -> RequestOutcome {
        if !self.eligible_for_handshake() {
            return self.signed_out(reason, message);
        }
        let Some(location) = location.or_else(|| self.handshake_url(&reason)) else {
            // No usable host in the request: nowhere to come back to.
            return self.signed_out(reason, message);
        };
        if self.ctx.loop_counter >= LOOP_LIMIT {
            tracing::warn!(
                %reason,
                "handshake redirect loop: signed out instead; check that the publishable and \
                 secret keys belong to the same instance and that this domain is configured for it"
            );
            return self.signed_out(reason, message);
        }
        let Ok(location_value) = HeaderValue::from_str(&location) else {
            return self.signed_out(reason, message);
        };
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, location_value);
        // Browsers keep redirects of inactive tabs in cache; a cached one would loop.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let counter = format!(
            "{REDIRECT_COUNT}={}; SameSite=Lax; HttpOnly; Max-Age=2",
            self.ctx.loop_counter + 1.0
        );
        if let Ok(value) = HeaderValue::from_str(&counter) {
            headers.append(SET_COOKIE, value);
        }
        debug_headers(&mut headers, "handshake", &reason, &message);
        tracing::debug!(%reason, "handshake");
        RequestOutcome::Handshake {
            location,
            headers,
            reason,
        }
    }

    /// `<frontend API>/v1/client/handshake?redirect_url=…&…`
    fn handshake_url(&self, reason: &AuthReason) -> Option<String> {
        let ctx = &self.ctx;
        let request_url = ctx.url()?;
        let redirect_url = without_params(request_url, &[DEV_BROWSER, LEGACY_DEV_BROWSER]);
        let fapi = &ctx.frontend_api;
        let base = if fapi.starts_with("http") {
            fapi.to_string()
        } else {
            format!("https://{fapi}")
        };
        let base = format!("{}/", base.trim_end_matches('/'));
        let mut url = url::Url::parse(&base)
            .ok()?
            .join("v1/client/handshake")
            .ok()?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("redirect_url", redirect_url.as_str())
                .append_pair("__clerk_api_version", API_VERSION)
                .append_pair(
                    "suffixed_cookies",
                    if ctx.uses_suffixed_cookies {
                        "true"
                    } else {
                        "false"
                    },
                )
                .append_pair("__clerk_hs_reason", &reason.to_string())
                .append_pair("format", "nonce");
            if let Some(token) = self.judged_token {
                query.append_pair("__session", token);
            }
            if ctx.development()
                && let Some(token) = &ctx.dev_browser
            {
                query.append_pair(DEV_BROWSER, token);
            }
            if let Some(target) = self.org_target() {
                query.append_pair("organization_id", target.query_value());
            }
        }
        Some(url.into())
    }

    /// Turns the Frontend API's answer (a nonce to exchange at the Backend API, or a signed
    /// handshake token) into `Set-Cookie` directives, and verifies the session token among them.
    pub(super) async fn resolve_handshake(&self) -> Result<RequestOutcome, Failure> {
        let ctx = &self.ctx;
        let directives = if let Some(nonce) = &ctx.handshake_nonce {
            match ctx.inner.api.handshake_payload(nonce).await {
                Ok(directives) => directives,
                Err(error) => {
                    tracing::warn!(%error, "could not fetch the handshake payload");
                    Vec::new()
                }
            }
        } else if let Some(token) = &ctx.handshake_token {
            self.verify_handshake_token(token)
                .await
                .map_err(Failure::HandshakeToken)?
        } else {
            Vec::new()
        };

        let mut headers = HeaderMap::new();
        let mut session_token = "";
        for directive in &directives {
            match HeaderValue::from_str(directive) {
                Ok(value) => {
                    headers.append(SET_COOKIE, value);
                }
                Err(_) => tracing::warn!("skipping a handshake cookie that is not a header value"),
            }
            let pair = directive.split(';').next().unwrap_or("");
            let mut name_value = pair.split('=');
            if name_value.next().unwrap_or("").starts_with("__session") {
                session_token = name_value.next().unwrap_or("");
            }
        }
        if ctx.development()
            && let Some(url) = ctx.url()
        {
            // The handshake came back in the URL: send the browser to the clean one.
            let clean = without_params(
                url,
                &[HANDSHAKE, HANDSHAKE_HELP, DEV_BROWSER, HANDSHAKE_NONCE],
            );
            if let Ok(value) = HeaderValue::from_str(clean.as_str()) {
                headers.append(LOCATION, value);
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
        }
        if session_token.is_empty() {
            return Ok(self.signed_out_with(
                AuthReason::SessionTokenMissing,
                String::new(),
                headers,
            ));
        }
        match self.verify_session(session_token).await {
            Ok(principal) => Ok(signed_in(principal, headers)),
            Err(
                error @ (SignedOutReason::Expired
                | SignedOutReason::NotYetValid
                | SignedOutReason::IssuedInFuture),
            ) if ctx.inner.lenient_verifier.is_some() => {
                // Development machines' clocks are often off: allow a day, as Clerk's SDK does.
                tracing::error!(
                    %error,
                    "the session token of the handshake is off by more than the clock skew; \
                     check this machine's clock"
                );
                let lenient = ctx
                    .inner
                    .lenient_verifier
                    .as_ref()
                    .unwrap_or(&ctx.inner.verifier);
                self.verify_session_with(session_token, lenient)
                    .await
                    .map(|principal| signed_in(principal, headers))
                    .map_err(Failure::SessionToken)
            }
            Err(error) => Err(Failure::SessionToken(error)),
        }
    }

    /// A handshake token is an RS256 JWT of the instance key whose `handshake` claim lists the
    /// directives. Unlike Clerk's SDK, an expired one is refused (see the module documentation).
    async fn verify_handshake_token(&self, token: &str) -> Result<Vec<String>, SignedOutReason> {
        let inner = &self.ctx.inner;
        let decoded = self.ctx.decoded(token).ok_or(SignedOutReason::Malformed)?;
        let jwt = Jwt::parse(token)?;
        if decoded.header_value("typ").is_some_and(|t| t != "JWT") {
            return Err(SignedOutReason::Malformed);
        }
        // Handshake tokens carry the session category (or none); a JWT-template token of the
        // same instance could otherwise smuggle its own `handshake` claim.
        if non_session_category(&decoded) {
            return Err(SignedOutReason::Malformed);
        }
        let alg =
            Algorithm::from_jose(&jwt.header.alg).ok_or(SignedOutReason::AlgorithmNotAllowed)?;
        let key = inner.verifier.key_for(jwt.header.kid.as_deref()).await?;
        if key.alg.is_some_and(|key_alg| key_alg != alg) {
            return Err(SignedOutReason::AlgorithmNotAllowed);
        }
        if !key.verify(alg, jwt.signing_input, &jwt.signature()?) {
            return Err(SignedOutReason::BadSignature);
        }
        let claims = jwt.claims()?;
        if let Some(exp) = jwt::numeric_date(&claims, "exp")?
            && exp.saturating_mul(1000) <= inner.now_ms().saturating_sub(inner.clock_skew_ms)
        {
            return Err(SignedOutReason::Expired);
        }
        Ok(match claims.get("handshake") {
            Some(serde_json::Value::Array(list)) => list
                .iter()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
    }
}
