//! Sign-ups. Browsers start them through Clerk's Frontend API, so the mock answers the one
//! Frontend API call that starts a sign-up, `POST /v1/client/sign_ups` (no secret key, a JSON or
//! form body); the Backend API then reads and updates them.
//!
//! The mock sends no verification codes, so a sign-up stays `missing_requirements` with its
//! email address or phone number unverified.

use super::{copy_fields, found, found_mut, state, template};
use crate::error::ApiError;
use crate::handlers::{Ctx, Reply, looks_like_email, looks_like_phone, now};
use crate::request::Req;
use crate::router::{error_response, read_body, reply_response, with_store};
use crate::server::Shared;
use axum::Extension;
use axum::extract::Request;
use axum::http::header;
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// What the mock's instance asks of a sign-up.
const REQUIRED: &[&str] = &["email_address", "password"];
const OPTIONAL: &[&str] = &["first_name", "last_name", "username", "phone_number"];
/// Sign-ups left alone are abandoned after a day.
const ABANDON_MS: i64 = 24 * 3600 * 1000;

fn unverified() -> Value {
    json!({
        "status": "unverified", "strategy": "email_code", "attempts": 0,
        "expire_at": now() + 10 * 60 * 1000,
        "next_action": "needs_prepare", "supported_strategies": ["email_code"],
    })
}

/// Starts a sign-up from the fields a browser sent.
fn start(ctx: &mut Ctx<'_>, fields: &Map<String, Value>) -> Result<Value, ApiError> {
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    if let Some(email) = text("email_address") {
        if !looks_like_email(email) {
            return Err(ApiError::param_format(
                "email_address",
                "a valid email address",
            ));
        }
        if crate::handlers::users::user_with_email(ctx.store, email).is_some() {
            return Err(ApiError::identifier_exists(
                "email_address",
                "email address",
            ));
        }
    }
    if let Some(phone) = text("phone_number")
        && !looks_like_phone(phone)
    {
        return Err(ApiError::param_format(
            "phone_number",
            "a phone number in E.164 format",
        ));
    }
    if text("password").is_some_and(|p| p.chars().count() < 8) {
        return Err(ApiError::password_too_short("password"));
    }
    let mut sign_up = template(ctx.env, "GetSignUp");
    let id = ctx.id("sua");
    let at = now();
    sign_up["id"] = Value::from(id.clone());
    for field in [
        "email_address",
        "phone_number",
        "username",
        "first_name",
        "last_name",
    ] {
        sign_up[field] = text(field).map(Value::from).unwrap_or(Value::Null);
    }
    sign_up["password_enabled"] = Value::Bool(text("password").is_some());
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|f| text(f).is_none())
        .collect();
    let unverified_fields: Vec<&str> = ["email_address", "phone_number"]
        .into_iter()
        .filter(|f| text(f).is_some())
        .collect();
    sign_up["required_fields"] = json!(REQUIRED);
    sign_up["optional_fields"] = json!(OPTIONAL);
    sign_up["missing_fields"] = json!(missing);
    sign_up["unverified_fields"] = json!(unverified_fields);
    sign_up["verifications"] = json!({
        "email_address": if text("email_address").is_some() { unverified() } else { Value::Null },
        "phone_number": if text("phone_number").is_some() { unverified() } else { Value::Null },
        "web3_wallet": null,
        "external_account": null,
    });
    sign_up["unsafe_metadata"] = match fields.get("unsafe_metadata") {
        Some(v @ Value::Object(_)) => v.clone(),
        _ => json!({}),
    };
    sign_up["public_metadata"] = json!({});
    sign_up["status"] = Value::from("missing_requirements");
    sign_up["legal_accepted_at"] = if fields.get("legal_accepted") == Some(&Value::Bool(true))
        || text("legal_accepted") == Some("true")
    {
        Value::from(at)
    } else {
        Value::Null
    };
    sign_up["abandon_at"] = Value::from(at + ABANDON_MS);
    state(ctx).sign_ups.insert(id, sign_up.clone());
    Ok(sign_up)
}

/// `POST /v1/client/sign_ups` (Frontend API, no secret key): answers `{"response": SignUp}`.
pub(crate) async fn frontend_create(
    Extension(shared): Extension<Arc<Shared>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method != axum::http::Method::POST {
        return error_response(&shared, &ApiError::route_not_found());
    }
    let Ok(bytes) = read_body(body, shared.env.body_limit).await else {
        return error_response(&shared, &ApiError::body_too_large(shared.env.body_limit));
    };
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let fields: Map<String, Value> = if is_json {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => map,
            Ok(_) => Map::new(),
            Err(e) => return error_response(&shared, &ApiError::body_invalid(&e.to_string())),
        }
    } else {
        form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
            .collect()
    };
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match with_store(&shared, user_agent, |ctx| {
        start(ctx, &fields).map(|s| Reply::ok(json!({ "response": s })))
    }) {
        Ok(reply) => reply_response(reply),
        Err(e) => error_response(&shared, &e),
    }
}

/// `GET /sign_ups/{id}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let sign_up = found(&state(ctx).sign_ups, "sign-up", req.path_param("id"))?;
    Ok(Reply::ok(sign_up.clone()))
}

/// `PATCH /sign_ups/{id}`: `external_id` and `custom_action`.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let sign_up = found_mut(&mut state(ctx).sign_ups, "sign-up", req.path_param("id"))?;
    copy_fields(sign_up, req, &["external_id"]);
    if let Some(flag) = req.bool_field("custom_action") {
        sign_up["custom_action"] = Value::Bool(flag);
    }
    Ok(Reply::ok(sign_up.clone()))
}
