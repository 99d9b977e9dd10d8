//! Refreshing an expired session token with the `__refresh` cookie, through the Backend API,
//! instead of sending the browser on a handshake.

use http::HeaderMap;
use http::header::{COOKIE, HeaderValue, SET_COOKIE};
use serde_json::{Map, Value};

use super::api::RefreshRequest;
use super::flow::Flow;
use crate::auth::Principal;
use crate::auth::outcome::RefreshFailure;

impl Flow<'_> {
    /// Asks the Backend API for a new session token for the expired one, and verifies it.
    pub(super) async fn attempt_refresh(&self) -> Result<(Principal, HeaderMap), RefreshFailure> {
        let ctx = &self.ctx;
        let (Some(expired), Some(refresh_token)) = (self.judged_token, ctx.refresh_in_cookie)
        else {
            return Err(RefreshFailure::NoRefreshCookie);
        };
        let session_id = ctx
            .decoded(expired)
            .and_then(|t| t.claim_str("sid").map(str::to_owned))
            .filter(|sid| !sid.is_empty())
            .ok_or(RefreshFailure::MissingSessionId)?;
        let request = RefreshRequest {
            session_id: &session_id,
            expired_token: expired,
            refresh_token,
            request_origin: ctx
                .url()
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default(),
            request_headers: request_headers(ctx.headers),
            suffixed_cookies: ctx.uses_suffixed_cookies,
        };
        let cookies = ctx.inner.api.refresh_session(request).await?;

        let mut headers = HeaderMap::new();
        let mut session_token = "";
        for cookie in &cookies {
            if let Ok(value) = HeaderValue::from_str(cookie) {
                headers.append(SET_COOKIE, value);
            }
            let pair = cookie.split(';').next().unwrap_or("");
            let mut name_value = pair.split('=');
            if name_value.next().unwrap_or("").starts_with("__session") {
                session_token = name_value.next().unwrap_or("");
            }
        }
        match self.verify_session(session_token).await {
            Ok(principal) => Ok((principal, headers)),
            Err(error) => {
                tracing::warn!(%error, "the refreshed session token does not verify");
                Err(RefreshFailure::InvalidSessionToken)
            }
        }
    }
}

/// The request's headers as the refresh operation takes them: each name with its value in a
/// list (several values of a name joined, as `fetch` does).
fn request_headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut map = Map::new();
    for name in headers.keys() {
        let separator = if name == COOKIE { "; " } else { ", " };
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(separator);
        map.insert(name.as_str().to_owned(), Value::from(vec![joined]));
    }
    map
}
