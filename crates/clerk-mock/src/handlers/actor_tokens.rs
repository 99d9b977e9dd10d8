//! Actor tokens (impersonation) and the ticket link that accepts them.
//!
//! `POST /actor_tokens` answers a pending token whose `url` points at this server
//! (`/v1/tickets/accept?ticket=...`). Following that link (GET, or POST with `ticket` in the
//! query or body) accepts the ticket: it creates a session for the user whose tokens carry the
//! actor in their `act` claim, and answers `{"session": Session, "jwt": "<session token>"}`
//! with the token also set as the `__session` cookie. Sign-in tokens are accepted the same way,
//! without an actor.

use super::sessions::{self, DEFAULT_SESSION_MS};
use super::users::find;
use super::{Ctx, Reply, now};
use crate::error::ApiError;
use crate::ids::now_secs;
use crate::keys;
use crate::request::Req;
use crate::router::{error_response, read_body, reply_response, with_store};
use crate::server::Shared;
use crate::store::{ActorTokenRow, TicketRef};
use axum::Extension;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// Signs a ticket: a JWT naming the token it stands for, like Clerk's tickets.
pub(crate) fn ticket(
    ctx: &Ctx<'_>,
    token_id: &str,
    kind: &str,
    expires_in_secs: i64,
) -> Result<String, ApiError> {
    let iat = now_secs();
    let claims = json!({ "iid": ctx.env.instance_id, "sid": token_id, "st": kind, "iat": iat, "exp": iat + expires_in_secs });
    keys::sign_jwt(&ctx.env.instance_id, &claims).ok_or_else(ApiError::internal)
}

/// The link that accepts a ticket on this server.
pub(crate) fn ticket_url(ctx: &Ctx<'_>, ticket: &str) -> String {
    format!("{}/v1/tickets/accept?ticket={ticket}", ctx.env.origin)
}

/// `POST /actor_tokens`.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let user_id = req.required_str("user_id")?;
    find(ctx.store, user_id)?;
    let actor = req
        .field("actor")
        .cloned()
        .ok_or_else(|| ApiError::param_missing("actor"))?;
    let expires_in = req.i64_field("expires_in_seconds").unwrap_or(3600);
    let session_max = req
        .i64_field("session_max_duration_in_seconds")
        .unwrap_or(1800);
    if expires_in <= 0 {
        return Err(ApiError::param_value(
            "expires_in_seconds",
            "must be positive",
        ));
    }
    if session_max <= 0 {
        return Err(ApiError::param_value(
            "session_max_duration_in_seconds",
            "must be positive",
        ));
    }
    let id = ctx.id("act");
    let token = ticket(ctx, &id, "actor_token", expires_in)?;
    let at = now();
    let json = json!({
        "object": "actor_token",
        "id": id,
        "status": "pending",
        "user_id": user_id,
        "actor": actor,
        "token": token,
        "url": ticket_url(ctx, &token),
        "created_at": at,
        "updated_at": at,
    });
    ctx.store
        .tickets
        .insert(token, TicketRef::Actor(id.clone()));
    ctx.store.actor_tokens.insert(
        id,
        ActorTokenRow {
            json: json.clone(),
            session_max_duration_secs: session_max,
            expires_at_ms: at + expires_in * 1000,
        },
    );
    Ok(Reply::ok(json))
}

/// `POST /actor_tokens/{actor_token_id}/revoke`: only pending tokens can be revoked.
pub(crate) fn revoke(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("actor_token_id");
    let row = ctx
        .store
        .actor_tokens
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("actor token", id))?;
    let status = row.json["status"].as_str().unwrap_or_default().to_string();
    if status != "pending" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "actor_token_cannot_be_revoked_code",
            "cannot revoke",
            format!("This actor token is {status}; only pending actor tokens can be revoked."),
        ));
    }
    row.json["status"] = Value::from("revoked");
    row.json["updated_at"] = Value::from(now());
    Ok(Reply::ok(row.json.clone()))
}

fn ticket_error(code: &'static str, message: &str, long: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message, long)
}

/// Accepts a ticket: checks its token, marks it accepted and starts the session.
fn accept(ctx: &mut Ctx<'_>, ticket: &str) -> Result<Reply, ApiError> {
    let reference = ctx.store.tickets.get(ticket).cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            "This ticket is unknown to this server.",
        )
    })?;
    let at = now();
    let (user_id, actor, lifetime_ms) = match &reference {
        TicketRef::Actor(id) => {
            let row = ctx
                .store
                .actor_tokens
                .get(id)
                .ok_or_else(|| ApiError::not_found("actor token", id))?;
            match row.json["status"].as_str() {
                Some("revoked") => {
                    return Err(ticket_error(
                        "actor_token_revoked_code",
                        "actor token has been revoked",
                        "This actor token was revoked and can no longer be used.",
                    ));
                }
                Some("accepted") => {
                    return Err(ticket_error(
                        "actor_token_already_used_code",
                        "actor token has already been used",
                        "Each actor token can be used once; this one already was.",
                    ));
                }
                _ if row.expires_at_ms <= at => {
                    return Err(ticket_error(
                        "actor_token_cannot_be_used_code",
                        "actor token cannot be used",
                        "This actor token has expired; create a new one.",
                    ));
                }
                _ => {}
            }
            let user_id = row.json["user_id"].as_str().unwrap_or_default().to_string();
            (
                user_id,
                Some(row.json["actor"].clone()),
                row.session_max_duration_secs * 1000,
            )
        }
        TicketRef::SignIn(id) => {
            let token = ctx
                .store
                .sign_in_tokens
                .get(id)
                .ok_or_else(|| ApiError::not_found("sign-in token", id))?;
            if token["status"] != "pending" {
                return Err(ticket_error(
                    "sign_in_token_cannot_be_used",
                    "sign-in token cannot be used",
                    "This sign-in token was already used or revoked.",
                ));
            }
            (
                token["user_id"].as_str().unwrap_or_default().to_string(),
                None,
                DEFAULT_SESSION_MS,
            )
        }
    };
    if ctx.store.users.get(&user_id).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "actor_token_subject_not_found",
            "user not found",
            "The user this token signs in as no longer exists.",
        ));
    }
    let session = sessions::start(ctx, &user_id, actor, None, lifetime_ms)?;
    match &reference {
        TicketRef::Actor(id) => {
            if let Some(row) = ctx.store.actor_tokens.get_mut(id) {
                row.json["status"] = Value::from("accepted");
                row.json["updated_at"] = Value::from(at);
            }
        }
        TicketRef::SignIn(id) => {
            if let Some(token) = ctx.store.sign_in_tokens.get_mut(id) {
                token["status"] = Value::from("accepted");
                token["updated_at"] = Value::from(at);
            }
        }
    }
    let jwt = sessions::sign_token(ctx.env, ctx.store, &session, 60)?;
    let mut reply = Reply::ok(json!({ "session": session, "jwt": jwt }));
    reply.cookie = Some(format!("__session={jwt}; Path=/; HttpOnly; SameSite=Lax"));
    Ok(reply)
}

/// `GET|POST /v1/tickets/accept?ticket=...` (no secret key: it is a link for browsers).
pub(crate) async fn accept_ticket(
    Extension(shared): Extension<Arc<Shared>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = read_body(body, shared.env.body_limit).await else {
        return error_response(&shared, &ApiError::body_too_large(shared.env.body_limit));
    };
    let from_query = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "ticket" || k == "__clerk_ticket")
        .map(|(_, v)| v.into_owned());
    let from_body = || {
        serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v.get("ticket").and_then(Value::as_str).map(str::to_string))
            .or_else(|| {
                form_urlencoded::parse(&bytes)
                    .find(|(k, _)| k == "ticket")
                    .map(|(_, v)| v.into_owned())
            })
    };
    let Some(ticket) = from_query.or_else(from_body) else {
        return error_response(&shared, &ApiError::param_missing("ticket"));
    };
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match with_store(&shared, user_agent, |ctx| accept(ctx, &ticket)) {
        Ok(reply) => reply_response(reply),
        Err(e) => error_response(&shared, &e),
    }
}
