//! Tickets: what actor tokens and sign-in tokens have in common.
//!
//! Both are issued `pending` with a `token` (a signed ticket) and a `url` pointing at this
//! server (`/v1/tickets/accept?ticket=...`). Following that link (GET, or POST with `ticket` in
//! the query, a JSON body or a form body) accepts the ticket once: it creates a session for the
//! token's user and answers `{"session": Session, "jwt": "<session token>"}`, also setting the
//! `__session` cookie. An actor token's session carries its actor, so the session's tokens have
//! the `act` claim. Only pending tokens can be revoked.

use super::sessions;
use super::users::find;
use super::{Ctx, Reply, now};
use crate::error::ApiError;
use crate::ids::now_secs;
use crate::keys;
use crate::router::{error_response, read_body, reply_response, with_store};
use crate::server::Shared;
use crate::store::{Store, Table, TokenRow};
use axum::Extension;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// The facts that differ between the two kinds of token.
pub(crate) struct Kind {
    /// The `object` value, also the ticket's `st` claim.
    pub object: &'static str,
    pub prefix: &'static str,
    /// Words for messages.
    pub label: &'static str,
    pub table: fn(&mut Store) -> &mut Table<TokenRow>,
    pub cannot_revoke: &'static str,
    pub revoked: &'static str,
    pub used: &'static str,
    pub expired: &'static str,
}

pub(crate) const ACTOR: Kind = Kind {
    object: "actor_token",
    prefix: "act",
    label: "actor token",
    table: |store| &mut store.actor_tokens,
    cannot_revoke: "actor_token_cannot_be_revoked_code",
    revoked: "actor_token_revoked_code",
    used: "actor_token_already_used_code",
    expired: "actor_token_cannot_be_used_code",
};

pub(crate) const SIGN_IN: Kind = Kind {
    object: "sign_in_token",
    prefix: "sit",
    label: "sign-in token",
    table: |store| &mut store.sign_in_tokens,
    cannot_revoke: "sign_in_token_cannot_be_revoked_code",
    revoked: "sign_in_token_revoked",
    used: "sign_in_token_already_used",
    expired: "sign_in_token_expired",
};

/// Issues a pending token of `kind` for a user; `actor` only for actor tokens.
pub(crate) fn issue(
    ctx: &mut Ctx<'_>,
    kind: &'static Kind,
    user_id: &str,
    actor: Option<Value>,
    expires_in_secs: i64,
    session_lifetime_ms: i64,
) -> Result<Value, ApiError> {
    find(ctx.store, user_id)?;
    let id = ctx.id(kind.prefix);
    let iat = now_secs();
    let claims = json!({
        "iid": ctx.env.instance_id,
        "sid": id,
        "st": kind.object,
        "iat": iat,
        "exp": iat + expires_in_secs,
    });
    let ticket = keys::sign_jwt(&ctx.env.instance_id, &claims).ok_or_else(ApiError::internal)?;
    let at = now();
    let mut json = json!({
        "object": kind.object,
        "id": id,
        "status": "pending",
        "user_id": user_id,
        "token": ticket,
        "url": format!("{}/v1/tickets/accept?ticket={ticket}", ctx.env.origin),
        "created_at": at,
        "updated_at": at,
    });
    if let Some(actor) = actor {
        json["actor"] = actor;
    }
    ctx.store.tickets.insert(ticket, (kind.object, id.clone()));
    let row = TokenRow {
        json: json.clone(),
        expires_at_ms: at + expires_in_secs * 1000,
        session_lifetime_ms,
    };
    (kind.table)(ctx.store).insert(id, row);
    Ok(json)
}

/// Revokes a pending token; any other status is refused with the kind's code.
pub(crate) fn revoke(ctx: &mut Ctx<'_>, kind: &Kind, id: &str) -> Result<Reply, ApiError> {
    let row = (kind.table)(ctx.store)
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(kind.label, id))?;
    let status = row.json["status"].as_str().unwrap_or_default().to_string();
    if status != "pending" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            kind.cannot_revoke,
            "cannot revoke",
            format!(
                "This {} is {status}; only pending ones can be revoked.",
                kind.label
            ),
        ));
    }
    row.json["status"] = Value::from("revoked");
    row.json["updated_at"] = Value::from(now());
    Ok(Reply::ok(row.json.clone()))
}

/// Accepts a ticket: checks its token, marks it accepted and starts the session.
pub(crate) fn accept(ctx: &mut Ctx<'_>, ticket: &str) -> Result<Reply, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            "This ticket is unknown to this server.",
        )
    };
    let (object, id) = ctx.store.tickets.get(ticket).cloned().ok_or_else(unknown)?;
    let kind = if object == ACTOR.object {
        &ACTOR
    } else {
        &SIGN_IN
    };
    let at = now();
    let row = (kind.table)(ctx.store).get(&id).ok_or_else(unknown)?;
    let refuse = |code: &'static str, why: &str| {
        let message = format!("{} cannot be used", kind.label);
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            code,
            message,
            format!("This {} {why}.", kind.label),
        ))
    };
    match row.json["status"].as_str() {
        Some("revoked") => return refuse(kind.revoked, "was revoked"),
        Some("accepted") => return refuse(kind.used, "was already used; each one works once"),
        _ if row.expires_at_ms <= at => {
            return refuse(kind.expired, "has expired; create a new one");
        }
        _ => {}
    }
    let user_id = row.json["user_id"].as_str().unwrap_or_default().to_string();
    let actor = row.json.get("actor").cloned();
    let lifetime_ms = row.session_lifetime_ms;
    if ctx.store.users.get(&user_id).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "actor_token_subject_not_found",
            "user not found",
            "The user this token signs in as no longer exists.",
        ));
    }
    let session = sessions::start(ctx, &user_id, actor, None, lifetime_ms)?;
    if let Some(row) = (kind.table)(ctx.store).get_mut(&id) {
        row.json["status"] = Value::from("accepted");
        row.json["updated_at"] = Value::from(at);
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
