//! Sign-in tokens and testing tokens.

use super::actor_tokens::{ticket, ticket_url};
use super::users::find;
use super::{Ctx, Reply, now};
use crate::error::ApiError;
use crate::ids::random_token;
use crate::request::Req;
use crate::store::TicketRef;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// `POST /sign_in_tokens`: a pending token whose `url` signs the user in on this server.
pub(crate) fn create_sign_in_token(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let user_id = req.required_str("user_id")?;
    find(ctx.store, user_id)?;
    let expires_in = req
        .i64_field("expires_in_seconds")
        .unwrap_or(30 * 24 * 3600);
    let id = ctx.id("sit");
    let token = ticket(ctx, &id, "sign_in_token", expires_in)?;
    let at = now();
    let json = json!({
        "object": "sign_in_token",
        "id": id,
        "status": "pending",
        "user_id": user_id,
        "token": token,
        "url": ticket_url(ctx, &token),
        "created_at": at,
        "updated_at": at,
    });
    ctx.store
        .tickets
        .insert(token, TicketRef::SignIn(id.clone()));
    ctx.store.sign_in_tokens.insert(id, json.clone());
    Ok(Reply::ok(json))
}

/// `POST /sign_in_tokens/{sign_in_token_id}/revoke`: only pending tokens can be revoked.
pub(crate) fn revoke_sign_in_token(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("sign_in_token_id");
    let token = ctx
        .store
        .sign_in_tokens
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("sign-in token", id))?;
    if token["status"] != "pending" {
        let status = token["status"].as_str().unwrap_or_default().to_string();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "sign_in_token_cannot_be_revoked_code",
            "cannot revoke",
            format!("This sign-in token is {status}; only pending sign-in tokens can be revoked."),
        ));
    }
    token["status"] = Value::from("revoked");
    token["updated_at"] = Value::from(now());
    Ok(Reply::ok(token.clone()))
}

/// `POST /testing_tokens`: a token valid for one hour.
pub(crate) fn create_testing_token(_ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(json!({
        "object": "testing_token",
        "token": format!("{}-{}", crate::ids::now_secs(), random_token(20)),
        "expires_at": now() + 3600 * 1000,
    })))
}
