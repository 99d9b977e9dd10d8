//! Instance settings: each settings document answers what the last change set, and the
//! organization settings decide the defaults of new organizations. Also the instance's Svix
//! application (the webhook dashboard).

use super::{State, found, state};
use crate::error::ApiError;
use crate::handlers::{Ctx, Reply};
use crate::ids::random_token;
use crate::request::Req;
use crate::server::Env;
use crate::store::Store;
use axum::http::StatusCode;
use serde_json::{Value, json};

pub(crate) const INSTANCE: &str = "instance";
/// Settings `PATCH /instance` takes that `GET /instance` does not show.
const INSTANCE_CONFIG: &str = "instance_config";
pub(crate) const RESTRICTIONS: &str = "instance_restrictions";
const COMMUNICATION: &str = "instance_communication";
const OAUTH_APPLICATIONS: &str = "oauth_application_settings";
pub(crate) const ORGANIZATION_SETTINGS: &str = "organization_settings";
const PROTECT: &str = "instance_protect";
const AUTH_CONFIG: &str = "instance_settings";

/// Whether the server plays a production instance: its secret key is a live one.
pub(crate) fn is_production(env: &Env) -> bool {
    env.secret_key.starts_with("sk_live_")
}

/// The settings a new instance has.
pub(crate) fn seed(state: &mut State, env: &Env) {
    let id = env.instance_id.clone();
    let docs = [
        (
            INSTANCE,
            json!({
                "object": "instance", "id": id,
                "environment_type": if is_production(env) { "production" } else { "development" },
                "allowed_origins": [], "workspace_id": null,
            }),
        ),
        (
            INSTANCE_CONFIG,
            json!({
                "test_mode": !is_production(env), "hibp": true, "support_email": null,
                "clerk_js_version": null, "development_origin": null, "cookieless_dev": false,
                "url_based_session_syncing": false,
                "preferred_sign_in_strategy_when_password_required": "password",
            }),
        ),
        (
            RESTRICTIONS,
            json!({
                "object": "instance_restrictions", "allowlist": false, "blocklist": false,
                "allowlist_blocklist_disabled_on_sign_in": false,
                "block_email_subaddresses": false, "block_disposable_email_domains": false,
            }),
        ),
        (
            COMMUNICATION,
            json!({ "object": "instance_communication", "blocked_country_codes": [] }),
        ),
        (
            OAUTH_APPLICATIONS,
            json!({
                "object": "oauth_application_settings",
                "dynamic_oauth_client_registration": false,
                "default_scopes": ["profile", "email"],
                "oauth_jwt_access_tokens": false,
                "client_id_metadata_documents_advertised": false,
                "client_id_metadata_documents_only_allow_pre_registered_clients": false,
                "client_id_metadata_documents_block_implicitly_allowed_clients": false,
            }),
        ),
        (
            ORGANIZATION_SETTINGS,
            json!({
                "object": "organization_settings", "enabled": true,
                "max_allowed_memberships": 0, "max_allowed_roles": 10,
                "max_role_sets_allowed": 10, "max_allowed_domains": 10,
                "max_allowed_permissions": 50, "creator_role": "org:admin",
                "admin_delete_enabled": true, "domains_enabled": false, "slug_disabled": false,
                "domains_enrollment_modes": [], "domains_default_role": "org:member",
                "initial_role_set_key": null,
            }),
        ),
        (
            PROTECT,
            json!({
                "object": "instance_protect", "rules_enabled": false,
                "specter_enabled": false, "checks_bypassed": false,
            }),
        ),
        (
            AUTH_CONFIG,
            json!({
                "object": "instance_settings", "id": id, "restricted_to_allowlist": false,
                "from_email_address": "notifications", "progressive_sign_up": true,
                "enhanced_email_deliverability": false,
            }),
        ),
    ];
    for (name, doc) in docs {
        state.settings.insert(name, doc);
    }
}

/// What new organizations start with: the creator's role, the membership limit and whether
/// admins may delete the organization. The built-in defaults until the settings are changed.
pub(crate) fn organization_defaults(store: &Store) -> (String, i64, bool) {
    match store.managed.settings.get(ORGANIZATION_SETTINGS) {
        Some(s) => (
            s["creator_role"]
                .as_str()
                .unwrap_or("org:admin")
                .to_string(),
            s["max_allowed_memberships"].as_i64().unwrap_or(0),
            s["admin_delete_enabled"].as_bool().unwrap_or(true),
        ),
        None => ("org:admin".to_string(), 0, true),
    }
}

fn doc<'c>(ctx: &'c mut Ctx<'_>, name: &'static str) -> &'c mut Value {
    state(ctx).settings.entry(name).or_insert_with(|| json!({}))
}

/// Sets each field of `fields` the body gives (non-null) on the document, answers it.
fn patch(ctx: &mut Ctx<'_>, req: &Req, name: &'static str, fields: &[&str]) -> Value {
    let doc = doc(ctx, name);
    for field in fields {
        if let Some(value) = req.field(field) {
            doc[*field] = value.clone();
        }
    }
    doc.clone()
}

fn show(ctx: &mut Ctx<'_>, name: &'static str) -> Result<Reply, ApiError> {
    Ok(Reply::ok(doc(ctx, name).clone()))
}

fn no_content(req: &Req) -> Reply {
    Reply::empty(StatusCode::from_u16(req.op.status).unwrap_or(StatusCode::NO_CONTENT))
}

/// `GET /instance`.
pub(crate) fn get_instance(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    show(ctx, INSTANCE)
}

/// `PATCH /instance` (204): `allowed_origins` shows in `GET /instance`; the rest is kept.
pub(crate) fn update_instance(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    if let Some(origins) = req.field("allowed_origins").and_then(Value::as_array) {
        for (i, origin) in origins.iter().enumerate() {
            let ok = origin
                .as_str()
                .and_then(|o| o.split_once("://"))
                .is_some_and(|(scheme, host)| !scheme.is_empty() && !host.is_empty());
            if !ok {
                return Err(ApiError::param_format(
                    &format!("allowed_origins[{i}]"),
                    "an origin with a scheme, like chrome-extension://abc or http://localhost:3000",
                ));
            }
        }
    }
    if let Some(strategy) = req.str_field("preferred_sign_in_strategy_when_password_required")
        && !["password", "otp", ""].contains(&strategy)
    {
        return Err(ApiError::param_value(
            "preferred_sign_in_strategy_when_password_required",
            "must be password, otp or empty",
        ));
    }
    patch(ctx, req, INSTANCE, &["allowed_origins"]);
    patch(
        ctx,
        req,
        INSTANCE_CONFIG,
        &[
            "test_mode",
            "hibp",
            "support_email",
            "clerk_js_version",
            "development_origin",
            "cookieless_dev",
            "url_based_session_syncing",
            "preferred_sign_in_strategy_when_password_required",
        ],
    );
    Ok(no_content(req))
}

/// `PATCH /instance/restrictions`.
pub(crate) fn update_restrictions(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let answer = patch(
        ctx,
        req,
        RESTRICTIONS,
        &[
            "allowlist",
            "blocklist",
            "allowlist_blocklist_disabled_on_sign_in",
            "block_email_subaddresses",
            "block_disposable_email_domains",
        ],
    );
    // The beta settings show the same switch as `restricted_to_allowlist`.
    doc(ctx, AUTH_CONFIG)["restricted_to_allowlist"] = answer["allowlist"].clone();
    Ok(Reply::ok(answer))
}

/// `GET /instance/communication`.
pub(crate) fn get_communication(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    show(ctx, COMMUNICATION)
}

/// `PATCH /instance/communication`: the list replaces the blocked countries; values that are
/// not two-letter country codes are dropped, as Clerk drops codes it does not know.
pub(crate) fn update_communication(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    if let Some(codes) = req.field("blocked_country_codes").and_then(Value::as_array) {
        let mut kept: Vec<String> = Vec::new();
        for code in codes.iter().filter_map(Value::as_str) {
            let code = code.to_ascii_uppercase();
            if code.len() == 2
                && code.chars().all(|c| c.is_ascii_uppercase())
                && !kept.contains(&code)
            {
                kept.push(code);
            }
        }
        doc(ctx, COMMUNICATION)["blocked_country_codes"] = json!(kept);
    }
    show(ctx, COMMUNICATION)
}

/// `GET /instance/oauth_application_settings`.
pub(crate) fn get_oauth_settings(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    show(ctx, OAUTH_APPLICATIONS)
}

/// `PATCH /instance/oauth_application_settings`.
pub(crate) fn update_oauth_settings(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(patch(
        ctx,
        req,
        OAUTH_APPLICATIONS,
        &[
            "dynamic_oauth_client_registration",
            "default_scopes",
            "oauth_jwt_access_tokens",
            "client_id_metadata_documents_advertised",
            "client_id_metadata_documents_only_allow_pre_registered_clients",
            "client_id_metadata_documents_block_implicitly_allowed_clients",
        ],
    )))
}

/// `GET /instance/organization_settings`.
pub(crate) fn get_organization_settings(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    show(ctx, ORGANIZATION_SETTINGS)
}

/// `PATCH /instance/organization_settings`: roles are given by id and shown by key.
pub(crate) fn update_organization_settings(
    ctx: &mut Ctx<'_>,
    req: &Req,
) -> Result<Reply, ApiError> {
    const MODES: &[&str] = &[
        "manual_invitation",
        "automatic_invitation",
        "automatic_suggestion",
    ];
    if let Some(modes) = req
        .field("domains_enrollment_modes")
        .and_then(Value::as_array)
    {
        for mode in modes {
            if !mode.as_str().is_some_and(|m| MODES.contains(&m)) {
                return Err(ApiError::param_value(
                    "domains_enrollment_modes",
                    &format!("may only hold {}", MODES.join(", ")),
                ));
            }
        }
    }
    if let Some(max) = req.i64_field("max_allowed_memberships")
        && max < 0
    {
        return Err(ApiError::param_value(
            "max_allowed_memberships",
            "must be at least 0",
        ));
    }
    let mut roles = Vec::new();
    for (field, slot) in [
        ("creator_role_id", "creator_role"),
        ("domains_default_role_id", "domains_default_role"),
    ] {
        if let Some(id) = req.str_field(field) {
            let role = found(&state(ctx).roles, "organization role", id)?;
            roles.push((slot, role["key"].clone()));
        }
    }
    patch(
        ctx,
        req,
        ORGANIZATION_SETTINGS,
        &[
            "enabled",
            "max_allowed_memberships",
            "admin_delete_enabled",
            "domains_enabled",
            "slug_disabled",
            "domains_enrollment_modes",
        ],
    );
    let doc = doc(ctx, ORGANIZATION_SETTINGS);
    for (slot, key) in roles {
        doc[slot] = key;
    }
    Ok(Reply::ok(doc.clone()))
}

/// `GET /instance/protect`.
pub(crate) fn get_protect(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    show(ctx, PROTECT)
}

/// `PATCH /instance/protect`.
pub(crate) fn update_protect(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(patch(
        ctx,
        req,
        PROTECT,
        &["rules_enabled", "specter_enabled"],
    )))
}

/// `PATCH /beta_features/instance_settings`.
pub(crate) fn update_auth_config(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let answer = patch(
        ctx,
        req,
        AUTH_CONFIG,
        &[
            "restricted_to_allowlist",
            "from_email_address",
            "progressive_sign_up",
        ],
    );
    if let Some(flag) = req.field("restricted_to_allowlist") {
        doc(ctx, RESTRICTIONS)["allowlist"] = flag.clone();
    }
    if let Some(test_mode) = req.field("test_mode") {
        doc(ctx, INSTANCE_CONFIG)["test_mode"] = test_mode.clone();
    }
    Ok(Reply::ok(answer))
}

fn svix_missing() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "svix_app_missing",
        "no Svix application",
        "This instance has no Svix application; create one with POST /webhooks/svix first.",
    )
}

fn new_svix_url() -> String {
    format!(
        "https://app.svix.com/app-portal/login#key={}",
        random_token(32)
    )
}

/// `POST /webhooks/svix`.
pub(crate) fn create_svix_app(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    let state = state(ctx);
    if state.svix_url.is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "svix_app_exists",
            "a Svix application exists",
            "This instance already has a Svix application.",
        ));
    }
    let url = new_svix_url();
    state.svix_url = Some(url.clone());
    Ok(Reply::ok(json!({ "svix_url": url })))
}

/// `DELETE /webhooks/svix` (204).
pub(crate) fn delete_svix_app(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    state(ctx).svix_url.take().ok_or_else(svix_missing)?;
    Ok(no_content(req))
}

/// `POST /webhooks/svix_url`: a new dashboard link for the existing application.
pub(crate) fn svix_url(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    let state = state(ctx);
    if state.svix_url.is_none() {
        return Err(svix_missing());
    }
    let url = new_svix_url();
    state.svix_url = Some(url.clone());
    Ok(Reply::ok(json!({ "svix_url": url })))
}
