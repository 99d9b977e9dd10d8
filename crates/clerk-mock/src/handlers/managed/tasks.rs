//! Agent tasks and admin portal link tokens: short-lived links handed to someone else.
//!
//! An agent task's URL signs the agent in as the user: it is the ticket link of a sign-in token
//! (see `tickets.rs`), so following it creates a session, once. Revoking the task revokes the
//! link.

use super::{refused, state, template};
use crate::error::ApiError;
use crate::handlers::tickets::{self, SIGN_IN};
use crate::handlers::users::user_with_email;
use crate::handlers::{Ctx, Reply, now};
use crate::ids::random_token;
use crate::request::Req;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// `POST /agents/tasks`: the user is named by id or by an email address they have.
pub(crate) fn create_agent_task(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let on_behalf = req.field("on_behalf_of").cloned().unwrap_or(Value::Null);
    let user_id = match (
        on_behalf["user_id"].as_str(),
        on_behalf["identifier"].as_str(),
    ) {
        (Some(id), _) => id.to_string(),
        (None, Some(identifier)) => user_with_email(ctx.store, identifier)
            .ok_or_else(|| ApiError::not_found("user with identifier", identifier))?,
        (None, None) => return Err(ApiError::param_missing("on_behalf_of.user_id")),
    };
    let agent_name = req.required_str("agent_name")?.to_string();
    let lifetime = req
        .i64_field("session_max_duration_in_seconds")
        .unwrap_or(1800);
    if lifetime <= 0 {
        return Err(ApiError::param_value(
            "session_max_duration_in_seconds",
            "must be positive",
        ));
    }
    let token = tickets::issue(ctx, &SIGN_IN, &user_id, None, 3600, lifetime * 1000)?;
    let agent_id = match state(ctx).agents.get(&agent_name) {
        Some(id) => id.clone(),
        None => {
            let id = ctx.id("agent");
            state(ctx).agents.insert(agent_name, id.clone());
            id
        }
    };
    let task_id = ctx.id("agtsk");
    let task = json!({
        "object": "agent_task",
        "agent_id": agent_id,
        "agent_task_id": task_id,
        "task_id": task_id,
        "url": token["url"],
    });
    let sign_in_token = token["id"].as_str().unwrap_or_default().to_string();
    state(ctx)
        .agent_tasks
        .insert(task_id, (task.clone(), sign_in_token));
    Ok(Reply::ok(task))
}

/// `POST /agents/tasks/{agent_task_id}/revoke`: pending tasks only.
pub(crate) fn revoke_agent_task(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("agent_task_id");
    let (task, sign_in_token) = state(ctx)
        .agent_tasks
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("agent task", id))?;
    let pending = ctx
        .store
        .sign_in_tokens
        .get(&sign_in_token)
        .is_some_and(|t| t.json["status"] == "pending");
    if !pending {
        return Err(refused(
            "agent_task_cannot_be_revoked",
            "the task is not pending",
            format!("Agent task '{id}' was already used or revoked."),
        ));
    }
    tickets::revoke(ctx, &SIGN_IN, &sign_in_token)?;
    Ok(Reply::ok(task))
}

/// `POST /admin_portal_link_tokens` (201).
pub(crate) fn create_portal_link(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    if let Some(org) = req.str_field("organization_id")
        && !ctx.store.organizations.contains(org)
    {
        return Err(refused(
            "organization_not_found",
            "no such organization",
            format!("There is no organization with id '{org}'."),
        )
        .param("organization_id"));
    }
    let seconds = req.i64_field("seconds_until_expiration").unwrap_or(3600);
    if seconds <= 0 {
        return Err(ApiError::param_value(
            "seconds_until_expiration",
            "must be positive",
        ));
    }
    let at = now();
    // The template carries ids in the hexadecimal form these tokens use.
    let mut link = template(ctx.env, "createAdminPortalLinkToken");
    let id = link["id"].as_str().unwrap_or_default().to_string();
    link["instance_id"] = Value::from(ctx.env.instance_id.clone());
    link["organization_id"] = req.field("organization_id").cloned().unwrap_or(Value::Null);
    link["it_contact_id"] = req.field("it_contact_id").cloned().unwrap_or(Value::Null);
    link["scopes"] = req.field("scopes").cloned().unwrap_or_else(|| json!([]));
    link["token"] = Value::from(random_token(40));
    link["revoked"] = Value::Bool(false);
    link["revocation_reason"] = Value::Null;
    link["expired"] = Value::Bool(false);
    link["expiration"] = Value::from(at + seconds * 1000);
    link["created_at"] = Value::from(at);
    link["updated_at"] = Value::from(at);
    state(ctx).portal_links.insert(id, link.clone());
    Ok(Reply::json(StatusCode::CREATED, link))
}

/// `POST /admin_portal_link_tokens/{adminPortalLinkTokenID}/revoke`: the answer leaves the
/// token out.
pub(crate) fn revoke_portal_link(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("adminPortalLinkTokenID");
    let link = state(ctx)
        .portal_links
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("admin portal link token", id))?;
    if link["revoked"] == true {
        return Err(refused(
            "admin_portal_link_token_revoked",
            "already revoked",
            format!("Admin portal link token '{id}' was revoked before."),
        ));
    }
    link["revoked"] = Value::Bool(true);
    link["revocation_reason"] = req
        .field("revocation_reason")
        .cloned()
        .unwrap_or(Value::Null);
    link["updated_at"] = Value::from(now());
    let mut answer = link.clone();
    if let Some(map) = answer.as_object_mut() {
        map.remove("token");
    }
    Ok(Reply::ok(answer))
}
