//! API keys: created for a user, organization or machine, listed per subject, revoked, deleted
//! and verified by their secret.
//!
//! The secret is in the answer to the creation and in `GET /api_keys/{id}/secret`, never in the
//! other answers. Verifying an unknown, revoked or expired secret answers 404, which Clerk's SDKs
//! read as "invalid token"; a successful verification records `last_used_at`.

use super::machine_auth::{
    TokenRow, answer, bad_request, expiry_after, is_expired, is_hex_id, is_word_id, token_rejected,
};
use super::{Ctx, Reply, deleted, now, paginated};
use crate::error::ApiError;
use crate::ids::random_token;
use crate::request::Req;
use crate::store::Store;
use serde_json::{Value, json};

const SUBJECT_PREFIXES: &[&str] = &["user", "org", "mch", "scim"];

fn check_subject(subject: &str) -> Result<(), ApiError> {
    if is_word_id(subject, SUBJECT_PREFIXES) {
        Ok(())
    } else {
        Err(bad_request(format!(
            "subject '{subject}' is not the id of a user, organization, machine or SCIM directory (user_, org_, mch_ or scim_ and 27 characters)."
        )))
    }
}

fn check_description(req: &Req) -> Result<(), ApiError> {
    match req.str_field("description") {
        Some(d) if d.chars().count() > 255 => Err(bad_request(
            "description may be at most 255 characters long.",
        )),
        _ => Ok(()),
    }
}

/// The lifetime in `seconds_until_expiration`: absent is `Ok(None)`, `null` is `Ok(Some(None))`.
fn lifetime(req: &Req) -> Result<Option<Option<f64>>, ApiError> {
    match req.body.get("seconds_until_expiration") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => match v.as_f64() {
            Some(secs) if secs > 0.0 => Ok(Some(Some(secs))),
            _ => Err(bad_request(
                "seconds_until_expiration must be a number greater than 0.",
            )),
        },
    }
}

/// The stored key named in the path, after checking the id's shape.
fn find<'s>(store: &'s mut Store, req: &Req) -> Result<&'s mut TokenRow, ApiError> {
    let id = req.path_param("apiKeyID");
    if !is_hex_id(id, &["ak", "api_key"]) {
        return Err(bad_request(format!(
            "'{id}' is not an API key id (ak_ followed by 32 hexadecimal digits)."
        )));
    }
    store
        .machine_auth
        .api_keys
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("API key", id))
}

/// `POST /api_keys`.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?;
    if name.chars().count() < 3 || name.trim() != name {
        return Err(bad_request(
            "name must have at least 3 characters and no leading or trailing whitespace.",
        ));
    }
    let subject = req.required_str("subject")?;
    check_subject(subject)?;
    let kind = req.str_field("type").unwrap_or("api_key");
    if !(3..=25).contains(&kind.chars().count()) {
        return Err(bad_request("type must be 3 to 25 characters long."));
    }
    if let Some(creator) = req.str_field("created_by")
        && !is_word_id(creator, &["user"])
    {
        return Err(bad_request(format!(
            "created_by '{creator}' is not a user id."
        )));
    }
    check_description(req)?;
    let expiration = lifetime(req)?.flatten().map(expiry_after);
    let id = format!("ak_{}", ctx.env.ids.hex(32));
    let secret = format!("ak_{}", random_token(32));
    let at = now();
    let json = json!({
        "object": "api_key",
        "id": id,
        "type": kind,
        "subject": subject,
        "name": name,
        "description": req.field("description").cloned().unwrap_or(Value::Null),
        "claims": req.field("claims").cloned().unwrap_or(Value::Null),
        "scopes": req.field("scopes").cloned().unwrap_or_else(|| json!([])),
        "revoked": false,
        "revocation_reason": null,
        "expiration": expiration,
        "created_by": req.field("created_by").cloned().unwrap_or(Value::Null),
        "last_used_at": null,
        "created_at": at,
        "updated_at": at,
    });
    let mut reply = answer(&json);
    reply["secret"] = Value::from(secret.clone());
    let auth = &mut ctx.store.machine_auth;
    auth.api_key_secrets.insert(secret.clone(), id.clone());
    auth.api_keys.insert(id, TokenRow { json, secret });
    Ok(Reply::ok(reply))
}

/// `GET /api_keys`: the keys of one subject, newest first; revoked and expired ones only with
/// `include_invalid=true`; `query` matches names (case-insensitive) and ids.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let subject = req.query("subject").unwrap_or_default();
    check_subject(subject)?;
    let kind = req.query("type").unwrap_or("api_key");
    let include_invalid = req.query("include_invalid") == Some("true");
    let query = req.query("query").map(str::to_lowercase);
    let mut rows: Vec<Value> = ctx
        .store
        .machine_auth
        .api_keys
        .values()
        .map(|row| &row.json)
        .filter(|k| k["subject"] == subject && k["type"] == kind)
        .filter(|k| include_invalid || !(k["revoked"] == true || is_expired(k)))
        .filter(|k| {
            query.as_deref().is_none_or(|q| {
                k["id"] == q
                    || k["name"]
                        .as_str()
                        .is_some_and(|n| n.to_lowercase().contains(q))
            })
        })
        .map(answer)
        .collect();
    rows.reverse();
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `GET /api_keys/{apiKeyID}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(answer(&find(ctx.store, req)?.json)))
}

/// `GET /api_keys/{apiKeyID}/secret`.
pub(crate) fn secret(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(json!({ "secret": find(ctx.store, req)?.secret })))
}

/// `PATCH /api_keys/{apiKeyID}`: `null` clears claims and description, and makes the key never
/// expire when given as `seconds_until_expiration`.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    if let Some(subject) = req.str_field("subject") {
        check_subject(subject)?;
    }
    check_description(req)?;
    let lifetime = lifetime(req)?;
    let row = find(ctx.store, req)?;
    for field in ["claims", "description", "scopes", "subject"] {
        if let Some(value) = req.body.get(field) {
            row.json[field] = value.clone();
        }
    }
    if let Some(lifetime) = lifetime {
        row.json["expiration"] = json!(lifetime.map(expiry_after));
    }
    row.json["updated_at"] = Value::from(now());
    Ok(Reply::ok(answer(&row.json)))
}

/// `DELETE /api_keys/{apiKeyID}`: the secret stops working at once.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = find(ctx.store, req)?.json["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let auth = &mut ctx.store.machine_auth;
    if let Some(row) = auth.api_keys.remove(&id) {
        auth.api_key_secrets.remove(&row.secret);
    }
    Ok(Reply::ok(deleted("api_key", &id)))
}

/// `POST /api_keys/{apiKeyID}/revoke`: the first revocation's reason is kept.
pub(crate) fn revoke(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let row = find(ctx.store, req)?;
    if row.json["revoked"] != true {
        row.json["revoked"] = Value::Bool(true);
        row.json["revocation_reason"] = req
            .field("revocation_reason")
            .cloned()
            .unwrap_or(Value::Null);
        row.json["updated_at"] = Value::from(now());
    }
    Ok(Reply::ok(answer(&row.json)))
}

/// `POST /api_keys/verify`.
pub(crate) fn verify(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let secret = req.required_str("secret")?;
    let auth = &mut ctx.store.machine_auth;
    let row = auth
        .api_key_secrets
        .get(secret)
        .and_then(|id| auth.api_keys.get_mut(id))
        .ok_or_else(|| token_rejected("API key", "is unknown to this instance"))?;
    if row.json["revoked"] == true {
        return Err(token_rejected("API key", "was revoked"));
    }
    if is_expired(&row.json) {
        return Err(token_rejected("API key", "has expired"));
    }
    row.json["last_used_at"] = Value::from(now());
    Ok(Reply::ok(answer(&row.json)))
}
