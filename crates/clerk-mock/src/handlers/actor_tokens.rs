//! Actor tokens (impersonation): issued and revoked here, accepted through their ticket link
//! (see `tickets.rs`).

use super::tickets::{self, ACTOR};
use super::{Ctx, Reply};
use crate::error::ApiError;
use crate::request::Req;

/// `POST /actor_tokens`: `expires_in_seconds` defaults to 3600, the impersonated session's
/// `session_max_duration_in_seconds` to 1800.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let user_id = req.required_str("user_id")?;
    let actor = req
        .field("actor")
        .cloned()
        .ok_or_else(|| ApiError::param_missing("actor"))?;
    let expires_in = req.i64_field("expires_in_seconds").unwrap_or(3600);
    let session_max = req
        .i64_field("session_max_duration_in_seconds")
        .unwrap_or(1800);
    for (name, value) in [
        ("expires_in_seconds", expires_in),
        ("session_max_duration_in_seconds", session_max),
    ] {
        if value <= 0 {
            return Err(ApiError::param_value(name, "must be positive"));
        }
    }
    let token = tickets::issue(
        ctx,
        &ACTOR,
        user_id,
        Some(actor),
        expires_in,
        session_max * 1000,
    )?;
    Ok(Reply::ok(token))
}

/// `POST /actor_tokens/{actor_token_id}/revoke`.
pub(crate) fn revoke(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    tickets::revoke(ctx, &ACTOR, req.path_param("actor_token_id"))
}
