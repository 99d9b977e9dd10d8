//! Sign-in tokens (accepted through their ticket link, see `tickets.rs`) and testing tokens.

use super::sessions::DEFAULT_SESSION_MS;
use super::tickets::{self, SIGN_IN};
use super::{Ctx, Reply, now};
use crate::error::ApiError;
use crate::ids::{now_secs, random_token};
use crate::request::Req;
use serde_json::json;

/// `POST /sign_in_tokens`: `expires_in_seconds` defaults to 30 days.
pub(crate) fn create_sign_in_token(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let user_id = req.required_str("user_id")?;
    let expires_in = req
        .i64_field("expires_in_seconds")
        .unwrap_or(30 * 24 * 3600);
    let token = tickets::issue(ctx, &SIGN_IN, user_id, None, expires_in, DEFAULT_SESSION_MS)?;
    Ok(Reply::ok(token))
}

/// `POST /sign_in_tokens/{sign_in_token_id}/revoke`.
pub(crate) fn revoke_sign_in_token(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    tickets::revoke(ctx, &SIGN_IN, req.path_param("sign_in_token_id"))
}

/// `POST /testing_tokens`: a token valid for one hour.
pub(crate) fn create_testing_token(_ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(json!({
        "object": "testing_token",
        "token": format!("{}-{}", now_secs(), random_token(20)),
        "expires_at": now() + 3600 * 1000,
    })))
}
