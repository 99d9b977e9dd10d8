//! The waitlist: people asking to sign up to an instance that takes them one by one. Inviting an
//! entry creates an instance invitation (listed by `GET /invitations`).

use super::{found, state};
use crate::error::ApiError;
use crate::handlers::{
    Ctx, Reply, deleted, invitations, looks_like_email, now, order_by, paginated,
};
use crate::request::Req;
use crate::store::sort_rows;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

fn conflict(id: &str, status: &str, action: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "waitlist_entry_status_conflict",
        format!("the entry is {status}"),
        format!("Waitlist entry '{id}' is {status}, so it cannot be {action}."),
    )
}

/// The entry for `email`, creating a pending one when there is none.
fn add(ctx: &mut Ctx<'_>, email: &str, name: &str) -> Result<Value, ApiError> {
    if !looks_like_email(email) {
        return Err(ApiError::param_format(name, "a valid email address"));
    }
    let existing = state(ctx).waitlist.values().find(|e| {
        e["email_address"]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(email))
    });
    if let Some(entry) = existing {
        return Ok(entry.clone());
    }
    let at = now();
    let id = ctx.id("wle");
    let entry = json!({
        "object": "waitlist_entry", "id": id, "email_address": email, "status": "pending",
        "is_locked": false, "invitation": null, "created_at": at, "updated_at": at,
    });
    state(ctx).waitlist.insert(id, entry.clone());
    Ok(entry)
}

/// `GET /waitlist_entries`.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let order = order_by(
        req,
        &["created_at", "email_address", "invited_at"],
        "-created_at",
    )?;
    let status = req.query("status");
    let query = req
        .query("query")
        .map(str::to_lowercase)
        .filter(|q| !q.is_empty());
    let mut rows: Vec<Value> = state(ctx)
        .waitlist
        .values()
        .filter(|e| status.is_none_or(|s| e["status"] == s))
        .filter(|e| {
            query.as_deref().is_none_or(|q| {
                e["id"] == q
                    || e["email_address"]
                        .as_str()
                        .is_some_and(|v| v.to_lowercase().contains(q))
            })
        })
        .cloned()
        .collect();
    sort_rows(&mut rows, &order, |e| match order.field.as_str() {
        "invited_at" => e["invitation"]["created_at"].clone(),
        field => e[field].clone(),
    });
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `POST /waitlist_entries`: answers the existing entry when the address is already waiting.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let email = req.required_str("email_address")?;
    Ok(Reply::ok(add(ctx, email, "email_address")?))
}

/// `POST /waitlist_entries/bulk`: all or nothing.
pub(crate) fn create_bulk(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let emails: Vec<String> = req
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["email_address"].as_str().map(str::to_string))
        .collect();
    for (i, email) in emails.iter().enumerate() {
        let name = format!("[{i}].email_address");
        if !looks_like_email(email) {
            return Err(ApiError::param_format(&name, "a valid email address"));
        }
        if emails[..i].iter().any(|e| e.eq_ignore_ascii_case(email)) {
            return Err(ApiError::param_duplicate(&name));
        }
    }
    let mut entries = Vec::new();
    for (i, email) in emails.iter().enumerate() {
        entries.push(add(ctx, email, &format!("[{i}].email_address"))?);
    }
    Ok(Reply::ok(Value::Array(entries)))
}

fn entry_status(ctx: &mut Ctx<'_>, id: &str) -> Result<String, ApiError> {
    Ok(found(&state(ctx).waitlist, "waitlist entry", id)?["status"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// `DELETE /waitlist_entries/{waitlist_entry_id}`: pending entries only.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("waitlist_entry_id");
    let status = entry_status(ctx, id)?;
    if status != "pending" {
        return Err(conflict(id, &status, "deleted"));
    }
    state(ctx).waitlist.remove(id);
    Ok(Reply::ok(deleted("waitlist_entry", id)))
}

/// `POST /waitlist_entries/{waitlist_entry_id}/invite`: sends an invitation to the address.
pub(crate) fn invite(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("waitlist_entry_id");
    let status = entry_status(ctx, id)?;
    if status == "invited" || status == "completed" {
        return Err(conflict(id, &status, "invited"));
    }
    let email = state(ctx)
        .waitlist
        .get(id)
        .map(|e| e["email_address"].clone());
    let mut item = Map::new();
    item.insert("email_address".into(), email.unwrap_or(Value::Null));
    if let Some(ignore) = req.field("ignore_existing") {
        item.insert("ignore_existing".into(), ignore.clone());
    }
    let invitation = invitations::create_one(ctx, &item, "email_address")?;
    let Some(entry) = state(ctx).waitlist.get_mut(id) else {
        return Err(ApiError::not_found("waitlist entry", id));
    };
    entry["status"] = Value::from("invited");
    entry["invitation"] = invitation;
    entry["updated_at"] = Value::from(now());
    Ok(Reply::ok(entry.clone()))
}

/// `POST /waitlist_entries/{waitlist_entry_id}/reject`: also revokes a pending invitation sent
/// from the entry.
pub(crate) fn reject(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("waitlist_entry_id");
    let status = entry_status(ctx, id)?;
    if status == "rejected" || status == "completed" {
        return Err(conflict(id, &status, "rejected"));
    }
    let at = now();
    let invitation_id = state(ctx)
        .waitlist
        .get(id)
        .and_then(|e| e["invitation"]["id"].as_str().map(str::to_string));
    let mut revoked = Value::Null;
    if let Some(inv_id) = invitation_id
        && let Some(invitation) = ctx.store.invitations.get_mut(&inv_id)
        && invitation["status"] == "pending"
    {
        invitation["status"] = Value::from("revoked");
        invitation["revoked"] = Value::Bool(true);
        invitation["updated_at"] = Value::from(at);
        revoked = invitation.clone();
    }
    let Some(entry) = state(ctx).waitlist.get_mut(id) else {
        return Err(ApiError::not_found("waitlist entry", id));
    };
    entry["status"] = Value::from("rejected");
    if !revoked.is_null() {
        entry["invitation"] = revoked;
    }
    entry["updated_at"] = Value::from(at);
    Ok(Reply::ok(entry.clone()))
}
