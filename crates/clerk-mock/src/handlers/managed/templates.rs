//! Email and SMS templates. An instance has a fixed set (the mock's: the verification code,
//! invitation and waitlist invitation emails and the verification code SMS); they can be
//! changed, previewed, reverted and switched between delivery by Clerk and by the app.

use super::{State, found, found_mut, refused, state};
use crate::error::ApiError;
use crate::handlers::{Ctx, Reply, now, page_array};
use crate::request::Req;
use crate::server::Env;
use serde_json::{Value, json};

/// A built-in template: type, slug, name, subject, body, required variables.
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [&'static str],
);

const DEFAULTS: &[Builtin] = &[
    (
        "email",
        "verification_code",
        "Verification code",
        Some("{{otp_code}} is your verification code"),
        "<p>Enter {{otp_code}} to continue to {{app.name}}.</p>",
        &["otp_code"],
    ),
    (
        "email",
        "invitation",
        "Invitation",
        Some("You are invited to {{app.name}}"),
        "<p><a href=\"{{action_url}}\">Accept the invitation</a> to join {{app.name}}.</p>",
        &["action_url"],
    ),
    (
        "email",
        "waitlist_invitation",
        "Waitlist invitation",
        Some("Your place on the {{app.name}} waitlist came up"),
        "<p><a href=\"{{action_url}}\">Sign up</a> to {{app.name}} now.</p>",
        &["action_url"],
    ),
    (
        "sms",
        "verification_code",
        "Verification code",
        None,
        "{{otp_code}} is your {{app.name}} verification code.",
        &["otp_code"],
    ),
];

const AVAILABLE: &[&str] = &[
    "app.name",
    "app.url",
    "otp_code",
    "action_url",
    "user.first_name",
];

fn key(template_type: &str, slug: &str) -> String {
    format!("{template_type}/{slug}")
}

fn default_template(env: &Env, position: usize) -> Option<Value> {
    let (kind, slug, name, subject, body, required) = DEFAULTS.get(position)?;
    let at = now();
    Some(json!({
        "id": env.ids.next("tmpl"),
        "object": "template",
        "instance_id": env.instance_id,
        "resource_type": "system",
        "template_type": kind,
        "name": name,
        "slug": slug,
        "position": position,
        "can_revert": false,
        "can_delete": false,
        "can_edit_body": true,
        "can_toggle": true,
        "subject": subject,
        "markup": "",
        "body": body,
        "available_variables": AVAILABLE,
        "required_variables": required,
        "from_email_name": if *kind == "email" { "notifications" } else { "" },
        "reply_to_email_name": "",
        "delivered_by_clerk": true,
        "enabled": true,
        "flagged_as_suspicious": false,
        "created_at": at,
        "updated_at": at,
    }))
}

pub(crate) fn seed(state: &mut State, env: &Env) {
    for position in 0..DEFAULTS.len() {
        if let Some(t) = default_template(env, position) {
            let k = key(
                t["template_type"].as_str().unwrap_or_default(),
                t["slug"].as_str().unwrap_or_default(),
            );
            state.templates.insert(k, t);
        }
    }
}

/// The key of the template the path names.
fn path_key(req: &Req) -> String {
    key(req.path_param("template_type"), req.path_param("slug"))
}

fn what(req: &Req) -> String {
    format!("{} template", req.path_param("template_type"))
}

/// `GET /templates/{template_type}`, by position.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let kind = req.path_param("template_type");
    if kind != "email" && kind != "sms" {
        return Err(ApiError::not_found("template type", kind));
    }
    let mut rows: Vec<Value> = state(ctx)
        .templates
        .values()
        .filter(|t| t["template_type"] == kind)
        .cloned()
        .collect();
    rows.sort_by_key(|t| t["position"].as_i64().unwrap_or(0));
    let (limit, offset) = match req.query("limit") {
        None => (usize::MAX, req.page().1),
        Some(_) => req.page(),
    };
    Ok(Reply::ok(page_array(rows, limit, offset)))
}

/// `GET /templates/{template_type}/{slug}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let k = path_key(req);
    Ok(Reply::ok(
        found(&state(ctx).templates, &what(req), &k)?.clone(),
    ))
}

/// Refuses a body that leaves out a variable the template needs.
fn check_required(template: &Value, body: &str) -> Result<(), ApiError> {
    for var in template["required_variables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let used =
            body.contains(&format!("{{{{{var}}}}}")) || body.contains(&format!("{{{{ {var} }}}}"));
        if !used {
            return Err(ApiError::param_value(
                "body",
                &format!("must use the variable {{{{{var}}}}}"),
            ));
        }
    }
    Ok(())
}

/// `PUT /templates/{template_type}/{slug}`: changes the template.
pub(crate) fn upsert(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let k = path_key(req);
    let what = what(req);
    let template = found_mut(&mut state(ctx).templates, &what, &k)?;
    if let Some(body) = req.str_field("body") {
        check_required(template, body)?;
    }
    for field in [
        "name",
        "body",
        "from_email_name",
        "reply_to_email_name",
        "delivered_by_clerk",
    ] {
        if let Some(value) = req.field(field) {
            template[field] = value.clone();
        }
    }
    if template["template_type"] == "email" {
        if let Some(subject) = req.body.get("subject") {
            template["subject"] = subject.clone();
        }
        if let Some(markup) = req.field("markup") {
            template["markup"] = markup.clone();
        }
    }
    template["can_revert"] = Value::Bool(true);
    template["updated_at"] = Value::from(now());
    Ok(Reply::ok(template.clone()))
}

/// `POST /templates/{template_type}/{slug}/revert`: back to the instance's default.
pub(crate) fn revert(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let k = path_key(req);
    let what = what(req);
    let current = found(&state(ctx).templates, &what, &k)?;
    if current["can_revert"] != true {
        return Err(refused(
            "template_not_reverted",
            "nothing to revert",
            "This template still has its default content.".into(),
        ));
    }
    let position = current["position"].as_u64().unwrap_or(0) as usize;
    let (id, created_at) = (current["id"].clone(), current["created_at"].clone());
    let mut fresh = default_template(ctx.env, position).unwrap_or(Value::Null);
    fresh["id"] = id;
    fresh["created_at"] = created_at;
    state(ctx).templates.insert(k, fresh.clone());
    Ok(Reply::ok(fresh))
}

/// `POST /templates/{template_type}/{slug}/preview`: the template with the request's changes,
/// not saved.
pub(crate) fn preview(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let k = path_key(req);
    let what = what(req);
    let template = found(&state(ctx).templates, &what, &k)?;
    let mut out = json!({});
    for field in ["subject", "body", "from_email_name", "reply_to_email_name"] {
        out[field] = req
            .body
            .get(field)
            .cloned()
            .unwrap_or_else(|| template[field].clone());
    }
    if let Some(body) = out["body"].as_str() {
        check_required(template, body)?;
    }
    Ok(Reply::ok(out))
}

/// `POST /templates/{template_type}/{slug}/toggle_delivery`: sets `delivered_by_clerk`, or
/// flips it when the body does not say.
pub(crate) fn toggle_delivery(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let k = path_key(req);
    let what = what(req);
    let template = found_mut(&mut state(ctx).templates, &what, &k)?;
    let next = req
        .bool_field("delivered_by_clerk")
        .unwrap_or(template["delivered_by_clerk"] != true);
    template["delivered_by_clerk"] = Value::Bool(next);
    template["updated_at"] = Value::from(now());
    Ok(Reply::ok(template.clone()))
}
