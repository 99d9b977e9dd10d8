//! `POST /sessions/{session_id}/refresh` (`RefreshSession`): a new session token for an
//! expired one, given the refresh token a Frontend API handshake set in the `__refresh_<suffix>`
//! cookie (see `frontend.rs` and `MockServerBuilder::session_refresh`).
//!
//! The session must be active, the refresh token issued for it, and the expired token one of
//! its tokens (its `sid`); otherwise 401, which tells SDKs to fall back to a handshake. With
//! `format: "cookie"` the answer is `{"object": "cookies", "cookies": [...]}` (the suffixed
//! names with `?suffixed_cookies=true`), else `{"object": "token", "jwt": ...}`.

use super::frontend::session_cookies;
use super::sessions::sign_token;
use super::{Ctx, Reply};
use crate::error::ApiError;
use crate::request::Req;
use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::{Value, json};

/// Query parameters Clerk's SDKs send that the description does not list: accepted, not
/// refused as unknown.
pub(crate) fn undocumented_query(operation_id: &str, name: &str) -> bool {
    operation_id == "RefreshSession" && name == "suffixed_cookies"
}

fn refused(why: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "authentication_invalid",
        "the session cannot be refreshed",
        why.to_string(),
    )
}

/// The `sid` claim of a token, read without checking it (it only has to name the session).
fn session_of(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims["sid"].as_str().map(str::to_string)
}

/// The handler.
pub(crate) fn refresh(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("session_id");
    let session = ctx
        .store
        .sessions
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("session", id))?;
    if session["status"] != "active" {
        return Err(refused(
            "The session is not active any more; sign in again.",
        ));
    }
    let refresh_token = req.required_str("refresh_token")?;
    if ctx.store.frontend.refresh_session(refresh_token) != Some(id) {
        return Err(refused(
            "The refresh token was not issued for this session.",
        ));
    }
    let expired = req.required_str("expired_token")?;
    if session_of(expired).as_deref() != Some(id) {
        return Err(refused(
            "The expired token does not belong to this session.",
        ));
    }
    let jwt = sign_token(ctx.env, ctx.store, &session, 60)?;
    if req.str_field("format") == Some("cookie") {
        let suffixed = req.query("suffixed_cookies") == Some("true");
        let updated_at = session["updated_at"].as_i64().unwrap_or(0) / 1000;
        let cookies = session_cookies(ctx, &jwt, updated_at, suffixed);
        return Ok(Reply::ok(
            json!({ "object": "cookies", "cookies": cookies }),
        ));
    }
    Ok(Reply::ok(json!({ "object": "token", "jwt": jwt })))
}
