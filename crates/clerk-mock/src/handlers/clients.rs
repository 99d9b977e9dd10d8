//! Clients: the browsers or devices sessions live on. The mock keeps no separate client
//! records: a client is the set of sessions sharing a `client_id`, so it exists from its first
//! session on and always shows the sessions as they are now.
//!
//! `POST /clients/verify` takes a client token, the JWT Clerk keeps in the `__client` cookie;
//! [`MockServer::client_token`](crate::MockServer::client_token) signs one for a client.

use super::{Ctx, Reply, page_array};
use crate::error::ApiError;
use crate::ids::{now_secs, random_token};
use crate::keys;
use crate::request::Req;
use crate::server::Env;
use crate::store::Store;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// The `Client` object for `id`, `None` when no session belongs to it.
pub(crate) fn client_json(store: &Store, id: &str) -> Option<Value> {
    let sessions: Vec<&Value> = store
        .sessions
        .values()
        .filter(|s| s["client_id"] == id)
        .collect();
    let first = sessions.first()?;
    let last_active = sessions
        .iter()
        .rev()
        .find(|s| s["status"] == "active")
        .map(|s| s["id"].clone())
        .unwrap_or(Value::Null);
    let updated_at = sessions
        .iter()
        .filter_map(|s| s["updated_at"].as_i64())
        .max()
        .unwrap_or_default();
    Some(json!({
        "object": "client",
        "id": id,
        "session_ids": sessions.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
        "sessions": sessions,
        "sign_in_id": null,
        "sign_up_id": null,
        "last_active_session_id": last_active,
        "last_authentication_strategy": null,
        "created_at": first["created_at"],
        "updated_at": updated_at,
    }))
}

/// `GET /clients`: newest first.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let mut ids: Vec<&str> = Vec::new();
    for session in ctx.store.sessions.values() {
        if let Some(id) = session["client_id"].as_str()
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    let mut rows: Vec<Value> = ids
        .into_iter()
        .filter_map(|id| client_json(ctx.store, id))
        .collect();
    rows.reverse();
    let (limit, offset) = req.page();
    Ok(Reply::ok(page_array(rows, limit, offset)))
}

/// `GET /clients/{client_id}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("client_id");
    client_json(ctx.store, id)
        .map(Reply::ok)
        .ok_or_else(|| ApiError::not_found("client", id))
}

fn cookie_invalid(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "cookie_invalid",
        "Invalid client token",
        format!("The client token {detail}."),
    )
}

/// `POST /clients/verify`: a client token signed by this instance naming a known client.
pub(crate) fn verify(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let token = req.required_str("token")?;
    let claims = keys::verify_jwt(&ctx.env.instance_id, token)
        .ok_or_else(|| cookie_invalid("is not a JWT signed by this instance"))?;
    if claims["exp"].as_i64().is_some_and(|exp| exp <= now_secs()) {
        return Err(cookie_invalid("has expired"));
    }
    let id = claims["id"]
        .as_str()
        .ok_or_else(|| cookie_invalid("has no 'id' claim naming the client"))?;
    client_json(ctx.store, id)
        .map(Reply::ok)
        .ok_or_else(|| ApiError::not_found("client", id))
}

/// Signs the client token of an existing client.
pub(crate) fn token(store: &Store, env: &Env, client_id: &str) -> Result<String, String> {
    if client_json(store, client_id).is_none() {
        return Err(format!(
            "no session belongs to a client with id '{client_id}'"
        ));
    }
    let claims = json!({
        "id": client_id,
        "rotating_token": random_token(32),
        "iat": now_secs(),
    });
    keys::sign_jwt(&env.instance_id, &claims)
        .ok_or_else(|| "the signing key could not be loaded".into())
}
