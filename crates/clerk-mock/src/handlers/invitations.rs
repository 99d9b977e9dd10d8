//! Invitations to sign up to the instance.

use super::users::user_with_email;
use super::{Ctx, Reply, looks_like_email, now, order_by, page_array};
use crate::error::ApiError;
use crate::request::Req;
use crate::store::sort_rows;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// Creates one invitation from the fields of `item` (a request body or one element of a bulk body).
pub(crate) fn create_one(
    ctx: &mut Ctx<'_>,
    item: &Map<String, Value>,
    name: &str,
) -> Result<Value, ApiError> {
    let field = |key: &str| item.get(key).filter(|v| !v.is_null());
    let email = field("email_address")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::param_missing(name))?;
    if !looks_like_email(email) {
        return Err(ApiError::param_format(name, "a valid email address"));
    }
    let pending = ctx.store.invitations.values().any(|inv| {
        inv["status"] == "pending"
            && inv["email_address"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
    });
    if pending {
        return Err(ApiError::duplicate_record(format!(
            "There is already a pending invitation for {email}."
        )));
    }
    let ignore_existing = field("ignore_existing")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !ignore_existing && user_with_email(ctx.store, email).is_some() {
        return Err(ApiError::identifier_exists(name, "email address"));
    }
    let at = now();
    let expires_at = field("expires_in_days")
        .and_then(Value::as_i64)
        .map(|days| at + days * 86_400_000);
    let id = ctx.id("inv");
    // Clerk's link leads to the sign-up page with a ticket; the mock has no sign-up page.
    let mut url = format!(
        "{}/sign-up?__clerk_ticket={}",
        ctx.env.origin,
        crate::ids::random_token(32)
    );
    if let Some(redirect) = field("redirect_url").and_then(Value::as_str) {
        url = format!(
            "{url}&redirect_url={}",
            form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
        );
    }
    let public_metadata = match field("public_metadata") {
        Some(v @ Value::Object(_)) => v.clone(),
        _ => json!({}),
    };
    let invitation = json!({
        "object": "invitation",
        "id": id,
        "email_address": email,
        "public_metadata": public_metadata,
        "revoked": false,
        "status": "pending",
        "url": url,
        "expires_at": expires_at,
        "created_at": at,
        "updated_at": at,
    });
    ctx.store.invitations.insert(id, invitation.clone());
    Ok(invitation)
}

/// `POST /invitations`.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let body = req.body.as_object().cloned().unwrap_or_default();
    Ok(Reply::ok(create_one(ctx, &body, "email_address")?))
}

/// `POST /invitations/bulk`: all or nothing.
pub(crate) fn create_bulk(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let items: Vec<Map<String, Value>> = req
        .body
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
        .unwrap_or_default();
    let mut created = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match create_one(ctx, item, &format!("[{i}].email_address")) {
            Ok(invitation) => created.push(invitation),
            Err(e) => {
                for inv in &created {
                    ctx.store
                        .invitations
                        .remove(inv["id"].as_str().unwrap_or_default());
                }
                return Err(e);
            }
        }
    }
    Ok(Reply::ok(Value::Array(created)))
}

/// `GET /invitations`.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let order = order_by(
        req,
        &["created_at", "email_address", "expires_at"],
        "-created_at",
    )?;
    let status = req.query("status");
    let query = req.query("query").map(str::to_lowercase);
    let mut rows: Vec<Value> = ctx
        .store
        .invitations
        .ordered()
        .into_iter()
        .filter(|inv| status.is_none_or(|s| inv["status"] == s))
        .filter(|inv| {
            query.as_deref().is_none_or(|q| {
                inv["email_address"]
                    .as_str()
                    .is_some_and(|e| e.to_lowercase().contains(q))
            })
        })
        .cloned()
        .collect();
    sort_rows(&mut rows, &order, |inv| inv[order.field.as_str()].clone());
    let (limit, offset) = req.page();
    Ok(Reply::ok(page_array(rows, limit, offset)))
}

/// `POST /invitations/{invitation_id}/revoke`.
pub(crate) fn revoke(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("invitation_id");
    let invitation = ctx
        .store
        .invitations
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("invitation", id))?;
    match invitation["status"].as_str() {
        Some("revoked") => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invitation_already_revoked",
            "Invitation is already revoked.",
            "This invitation was revoked before.",
        )),
        Some("accepted") => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invitation_already_accepted",
            "Invitation is already accepted.",
            "This invitation was accepted; it can no longer be revoked.",
        )),
        _ => {
            invitation["status"] = Value::from("revoked");
            invitation["revoked"] = Value::Bool(true);
            invitation["updated_at"] = Value::from(now());
            Ok(Reply::ok(invitation.clone()))
        }
    }
}
