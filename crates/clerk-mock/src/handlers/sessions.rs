//! Sessions and the session tokens (RS256 JWTs) signed for them.

use super::users::find;
use super::{Ctx, Reply, now};
use crate::error::ApiError;
use crate::ids::random_hex;
use crate::keys;
use crate::request::Req;
use crate::server::Env;
use crate::store::Store;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// How long a session lives unless said otherwise: 7 days.
pub(crate) const DEFAULT_SESSION_MS: i64 = 7 * 24 * 3600 * 1000;

/// Default lifetime of a session token, in seconds (Clerk's is one minute).
const DEFAULT_TOKEN_SECS: i64 = 60;

fn find_session<'s>(store: &'s Store, id: &str) -> Result<&'s Value, ApiError> {
    store
        .sessions
        .get(id)
        .ok_or_else(|| ApiError::not_found("session", id))
}

/// Webhook data for session events: the session with its user.
pub(crate) fn event_data(store: &Store, session: &Value) -> Value {
    let mut data = session.clone();
    let user = session["user_id"]
        .as_str()
        .and_then(|id| store.users.get(id))
        .cloned()
        .unwrap_or(Value::Null);
    data["user"] = user;
    data
}

/// Creates an active session for a user (with an actor when impersonating) and emits
/// `session.created`.
pub(crate) fn start(
    ctx: &mut Ctx<'_>,
    user_id: &str,
    actor: Option<Value>,
    organization_id: Option<&str>,
    lifetime_ms: i64,
) -> Result<Value, ApiError> {
    find(ctx.store, user_id)?;
    let at = now();
    let session = json!({
        "object": "session",
        "id": ctx.id("sess"),
        "user_id": user_id,
        "client_id": ctx.id("client"),
        "actor": actor,
        "status": "active",
        "last_active_organization_id": organization_id,
        "last_active_at": at,
        "expire_at": at + lifetime_ms,
        "abandon_at": at + 30 * 24 * 3600 * 1000,
        "updated_at": at,
        "created_at": at,
    });
    if let Some(user) = ctx.store.users.get_mut(user_id) {
        user["last_sign_in_at"] = Value::from(at);
        user["last_active_at"] = Value::from(at);
    }
    let id = session["id"].as_str().unwrap_or_default().to_string();
    ctx.store.sessions.insert(id, session.clone());
    ctx.emit("session.created", |store| event_data(store, &session));
    Ok(session)
}

/// Signs a session token for `session`: Clerk's claims (`sub`, `sid`, `iss`, `iat`, `nbf`,
/// `exp`, `jti`, `v`, `sts`, `fva`), `act` for impersonation and `o` for the active organization.
pub(crate) fn sign_token(
    env: &Env,
    store: &Store,
    session: &Value,
    lifetime_secs: i64,
) -> Result<String, ApiError> {
    let iat = env.now_secs();
    let mut claims = Map::new();
    claims.insert("iss".into(), Value::from(env.origin.clone()));
    claims.insert("sub".into(), session["user_id"].clone());
    claims.insert("sid".into(), session["id"].clone());
    claims.insert("iat".into(), Value::from(iat));
    claims.insert("nbf".into(), Value::from(iat - 10));
    claims.insert("exp".into(), Value::from(iat + lifetime_secs));
    claims.insert("jti".into(), Value::from(random_hex::<10>()));
    claims.insert("v".into(), Value::from(2));
    claims.insert("sts".into(), Value::from("active"));
    claims.insert("fva".into(), json!([0, -1]));
    if session["actor"].is_object() {
        claims.insert("act".into(), session["actor"].clone());
    }
    if let Some(org_id) = session["last_active_organization_id"].as_str() {
        let membership = store
            .memberships
            .values()
            .find(|m| m["organization_id"] == org_id && m["user_id"] == session["user_id"]);
        if let (Some(org), Some(m)) = (store.organizations.get(org_id), membership) {
            let role = m["role"].as_str().unwrap_or_default();
            claims.insert(
                "o".into(),
                json!({ "id": org_id, "rol": role.strip_prefix("org:").unwrap_or(role), "slg": org["slug"] }),
            );
        }
    }
    keys::sign_jwt(&env.instance_id, &Value::Object(claims)).ok_or_else(ApiError::internal)
}

/// `GET /sessions`: needs `user_id` or `client_id`.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let user_id = req.query("user_id");
    let client_id = req.query("client_id");
    if user_id.is_none() && client_id.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "missing_query_parameter",
            "Missing query parameter",
            "Give either user_id or client_id to list sessions.",
        ));
    }
    let status = req.query("status");
    let mut rows: Vec<Value> = ctx
        .store
        .sessions
        .ordered()
        .into_iter()
        .filter(|s| user_id.is_none_or(|u| s["user_id"] == u))
        .filter(|s| client_id.is_none_or(|c| s["client_id"] == c))
        .filter(|s| status.is_none_or(|st| s["status"] == st))
        .cloned()
        .collect();
    // Newest first.
    rows.reverse();
    let (limit, offset) = req.page();
    Ok(Reply::ok(super::page_array(rows, limit, offset)))
}

/// `POST /sessions`.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let user_id = req.required_str("user_id")?;
    let org = req.str_field("active_organization_id");
    if let Some(org_id) = org
        && !ctx.store.organizations.contains(org_id)
    {
        return Err(ApiError::not_found("organization", org_id));
    }
    Ok(Reply::ok(start(
        ctx,
        user_id,
        None,
        org,
        DEFAULT_SESSION_MS,
    )?))
}

/// `GET /sessions/{session_id}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(
        find_session(ctx.store, req.path_param("session_id"))?.clone(),
    ))
}

/// `POST /sessions/{session_id}/revoke`.
pub(crate) fn revoke(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("session_id");
    let session = ctx
        .store
        .sessions
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("session", id))?;
    if session["status"] == "active" || session["status"] == "pending" {
        session["status"] = Value::from("revoked");
        session["updated_at"] = Value::from(now());
        let snapshot = session.clone();
        ctx.emit("session.revoked", |store| event_data(store, &snapshot));
    }
    let session = find_session(ctx.store, id)?.clone();
    Ok(Reply::ok(session))
}

/// `POST /sessions/{session_id}/tokens[/{template_name}]`: a token for an active session.
pub(crate) fn token(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("session_id");
    let session = find_session(ctx.store, id)?;
    if session["status"] != "active" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            format!("Session '{id}' is not active, so no token can be issued for it."),
        ));
    }
    let lifetime = req
        .i64_field("expires_in_seconds")
        .unwrap_or(DEFAULT_TOKEN_SECS);
    let jwt = sign_token(ctx.env, ctx.store, session, lifetime)?;
    Ok(Reply::ok(json!({ "object": "token", "jwt": jwt })))
}
