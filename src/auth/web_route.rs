//! The web-app mode of the framework adapters, whatever the framework.
//!
//! `auth::axum::WebAuthLayer` and `auth::actix::WebAuthMiddleware` hand the request's method,
//! URI and headers to [`web_step`] and do what it says: answer a redirect at once, or run the
//! handler with what it admitted and then [`carry`] the outcome's headers onto the handler's
//! response. The redirect rule, what the extractors see and how the headers join the handler's
//! own are decided here only, so the adapters cannot drift apart.

use http::header::{LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};

use super::{
    AuthReason, Principal, RequestAuthenticator, RequestOutcome, SignedOutReason, TokenKinds,
};
use crate::web_reply::Reply;

/// What an adapter does with one request.
#[derive(Debug)]
pub(crate) enum WebStep {
    /// Answer this at once (`307 Temporary Redirect` with the outcome's headers, `Location`
    /// among them); the handler does not run.
    Redirect(Reply),
    /// Run the handler with `admitted` and `outcome` in the request's extensions, then
    /// [`carry`] `headers` onto its response.
    Handler {
        admitted: Admission,
        /// The outcome, its headers already taken out into `headers`.
        outcome: RequestOutcome,
        headers: HeaderMap,
    },
}

/// What the token extractors of the adapters read for a request.
#[derive(Debug, Clone)]
pub(crate) enum Admission {
    SignedIn(Principal),
    SignedOut(SignedOutReason),
}

/// Decides for one request of a page.
pub(crate) async fn web_step(
    authenticator: &RequestAuthenticator,
    accept: TokenKinds,
    method: &Method,
    uri: &Uri,
    request_headers: &HeaderMap,
) -> WebStep {
    let mut outcome = authenticator
        .decide(method, uri, request_headers, accept)
        .await;
    let headers = outcome.take_headers();
    // A handshake, and a resolved handshake on a development instance (which cleans the
    // address bar), carry a `Location`: the browser goes there before any page renders.
    if headers.contains_key(LOCATION) {
        let mut reply = Reply::empty(StatusCode::TEMPORARY_REDIRECT);
        reply.headers = headers;
        return WebStep::Redirect(reply);
    }
    let admitted = match &outcome {
        RequestOutcome::SignedIn { auth, .. } => Admission::SignedIn(auth.clone()),
        // Handshakes always carry a `Location`; without one there is nothing to do but let the
        // page render signed out.
        RequestOutcome::SignedOut { reason, .. } | RequestOutcome::Handshake { reason, .. } => {
            Admission::SignedOut(token_reason(reason))
        }
    };
    WebStep::Handler {
        admitted,
        outcome,
        headers,
    }
}

/// The reason the token extractors see for a signed-out request.
fn token_reason(reason: &AuthReason) -> SignedOutReason {
    match reason {
        AuthReason::Token(reason) => reason.clone(),
        _ => SignedOutReason::TokenMissing,
    }
}

/// A response's header map, as each framework holds it.
pub(crate) trait ResponseHeaders {
    fn has(&self, name: &HeaderName) -> bool;
    fn append(&mut self, name: HeaderName, value: HeaderValue);
}

impl ResponseHeaders for HeaderMap {
    fn has(&self, name: &HeaderName) -> bool {
        self.contains_key(name)
    }

    fn append(&mut self, name: HeaderName, value: HeaderValue) {
        HeaderMap::append(self, name, value);
    }
}

/// Adds the outcome's headers to the handler's response: every `Set-Cookie` (after the
/// handler's own, in the outcome's order), and the other headers unless the handler set them.
pub(crate) fn carry(response: &mut impl ResponseHeaders, outcome: HeaderMap) {
    // A name comes once, then `None` for its further values, as a consumed `HeaderMap` yields.
    let mut name = None;
    for (next, value) in outcome {
        if let Some(next) = next {
            // Decided before any value of this name is added, so that the handler's own
            // header, not the first value added here, is what keeps the others out.
            let keep = next == SET_COOKIE || !response.has(&next);
            name = Some((next, keep));
        }
        if let Some((name, true)) = &name {
            response.append(name.clone(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::CACHE_CONTROL;

    #[test]
    fn outcome_headers_join_the_handlers_own() {
        let mut response = HeaderMap::new();
        response.insert(SET_COOKIE, HeaderValue::from_static("theme=dark"));
        response.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        let mut outcome = HeaderMap::new();
        outcome.append(SET_COOKIE, HeaderValue::from_static("__session=a"));
        outcome.append(SET_COOKIE, HeaderValue::from_static("__client_uat=1"));
        outcome.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        outcome.insert(
            "x-clerk-auth-status",
            HeaderValue::from_static("signed-out"),
        );
        carry(&mut response, outcome);
        let cookies: Vec<_> = response.get_all(SET_COOKIE).iter().collect();
        assert_eq!(cookies, ["theme=dark", "__session=a", "__client_uat=1"]);
        assert_eq!(response[CACHE_CONTROL], "max-age=60");
        assert_eq!(response["x-clerk-auth-status"], "signed-out");
    }

    #[test]
    fn repeated_headers_of_the_outcome_all_arrive() {
        let mut response = HeaderMap::new();
        let mut outcome = HeaderMap::new();
        outcome.append("vary", HeaderValue::from_static("cookie"));
        outcome.append("vary", HeaderValue::from_static("authorization"));
        carry(&mut response, outcome);
        let vary: Vec<_> = response.get_all("vary").iter().collect();
        assert_eq!(vary, ["cookie", "authorization"]);
    }
}
