//! Users: creation with email addresses, phone numbers, username and password; listing with
//! Clerk's filters and ordering; updates, metadata merging, bans, locks and deletion.

use super::filters::Prefixed;
use super::identifiers::{email_json, phone_json};
use super::{Ctx, Reply, deleted, metadata, now, order_by, time_field};
use crate::error::ApiError;
use crate::request::Req;
use crate::store::{Store, deep_merge, sort_rows};
use serde_json::{Value, json};

/// Fields `GET /users` can sort by (alphabetical).
const ORDER_FIELDS: &[&str] = &[
    "created_at",
    "email_address",
    "first_name",
    "last_active_at",
    "last_name",
    "last_sign_in_at",
    "phone_number",
    "updated_at",
    "username",
    "web3wallet",
];

/// The stored user, or 404.
pub(crate) fn find<'s>(store: &'s Store, id: &str) -> Result<&'s Value, ApiError> {
    store
        .users
        .get(id)
        .ok_or_else(|| ApiError::not_found("user", id))
}

pub(crate) fn find_mut<'s>(store: &'s mut Store, id: &str) -> Result<&'s mut Value, ApiError> {
    store
        .users
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("user", id))
}

/// The user's primary email address (or first one), as text.
pub(crate) fn primary_email(user: &Value) -> Option<&str> {
    primary_identifier(
        user,
        "email_addresses",
        "primary_email_address_id",
        "email_address",
    )
}

/// The user's primary phone number (or first one), as text.
pub(crate) fn primary_phone(user: &Value) -> Option<&str> {
    primary_identifier(
        user,
        "phone_numbers",
        "primary_phone_number_id",
        "phone_number",
    )
}

fn primary_identifier<'v>(
    user: &'v Value,
    list: &str,
    primary: &str,
    field: &str,
) -> Option<&'v str> {
    let items = user.get(list)?.as_array()?;
    let primary_id = user.get(primary).and_then(Value::as_str);
    items
        .iter()
        .find(|i| i.get("id").and_then(Value::as_str) == primary_id)
        .or_else(|| items.first())
        .and_then(|i| i.get(field))
        .and_then(Value::as_str)
}

fn identifier_values<'v>(user: &'v Value, list: &str, field: &str) -> Vec<&'v str> {
    user.get(list)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get(field).and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

/// The user owning an email address (case-insensitive).
pub(crate) fn user_with_email(store: &Store, email: &str) -> Option<String> {
    store
        .identifications
        .owner_of_value(email)
        .map(str::to_string)
}

/// The user owning a phone number.
pub(crate) fn user_with_phone(store: &Store, phone: &str) -> Option<String> {
    store
        .identifications
        .owner_of_value(phone)
        .map(str::to_string)
}

fn user_with_username(store: &Store, username: &str) -> Option<String> {
    store.users.values().find_map(|u| {
        u.get("username")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(username))
            .then(|| u["id"].as_str().unwrap_or_default().to_string())
    })
}

/// Checks a new email address: format, and not used by another user.
pub(crate) fn check_new_email(store: &Store, name: &str, email: &str) -> Result<(), ApiError> {
    if !super::looks_like_email(email) {
        return Err(ApiError::param_format(name, "a valid email address"));
    }
    if user_with_email(store, email).is_some() {
        return Err(ApiError::identifier_exists(name, "email address"));
    }
    Ok(())
}

/// Checks a new phone number: E.164, and not used by another user.
pub(crate) fn check_new_phone(store: &Store, name: &str, phone: &str) -> Result<(), ApiError> {
    if !super::looks_like_phone(phone) {
        return Err(ApiError::param_format(
            name,
            "a phone number in E.164 format (+ and up to 15 digits)",
        ));
    }
    if user_with_phone(store, phone).is_some() {
        return Err(ApiError::identifier_exists(name, "phone number"));
    }
    Ok(())
}

fn check_username(store: &Store, username: &str, own_id: Option<&str>) -> Result<(), ApiError> {
    let len = username.chars().count();
    if !(4..=64).contains(&len) {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "form_username_invalid_length",
            "Username length is invalid",
            "Usernames are 4 to 64 characters long.",
        )
        .param("username"));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "form_username_invalid_character",
            "Username has invalid characters",
            "Usernames may only contain letters, digits, '_', '-' and '.'.",
        )
        .param("username"));
    }
    match user_with_username(store, username) {
        Some(other) if Some(other.as_str()) != own_id => {
            Err(ApiError::identifier_exists("username", "username"))
        }
        _ => Ok(()),
    }
}

fn check_password(req: &Req) -> Result<(), ApiError> {
    if let Some(password) = req.str_field("password")
        && req.bool_field("skip_password_checks") != Some(true)
        && password.chars().count() < 8
    {
        return Err(ApiError::password_too_short("password"));
    }
    Ok(())
}

/// Checks a new web3 wallet address: `0x` and 40 hex digits, not used by another user.
fn check_new_wallet(store: &Store, wallet: &str) -> Result<(), ApiError> {
    let well_formed = wallet
        .strip_prefix("0x")
        .is_some_and(|hex| hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !well_formed {
        return Err(ApiError::param_format(
            "web3_wallet",
            "an address of 0x and 40 hexadecimal digits",
        ));
    }
    if store.identifications.owner_of_value(wallet).is_some() {
        return Err(ApiError::identifier_exists("web3_wallet", "web3 wallet"));
    }
    Ok(())
}

/// A `Web3Wallet` object, verified by the administrator who created it.
fn wallet_json(id: &str, wallet: &str, at: i64) -> Value {
    json!({
        "id": id,
        "object": "web3_wallet",
        "web3_wallet": wallet,
        "verification": {
            "object": "verification_admin",
            "status": "verified",
            "strategy": "admin",
            "attempts": null,
            "expire_at": null,
        },
        "created_at": at,
        "updated_at": at,
    })
}

fn image_url(id: &str) -> String {
    format!("https://img.clerk.com/mock/{id}")
}

/// `POST /users`.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let emails: Vec<&str> = list_field(req, "email_address");
    let phones: Vec<&str> = list_field(req, "phone_number");
    let wallets: Vec<&str> = list_field(req, "web3_wallet");
    for (i, wallet) in wallets.iter().enumerate() {
        check_new_wallet(ctx.store, wallet)?;
        if wallets[..i].iter().any(|w| w.eq_ignore_ascii_case(wallet)) {
            return Err(ApiError::param_duplicate("web3_wallet"));
        }
    }
    for (i, email) in emails.iter().enumerate() {
        check_new_email(ctx.store, "email_address", email)?;
        if emails[..i].iter().any(|e| e.eq_ignore_ascii_case(email)) {
            return Err(ApiError::param_duplicate("email_address"));
        }
    }
    for (i, phone) in phones.iter().enumerate() {
        check_new_phone(ctx.store, "phone_number", phone)?;
        if phones[..i].contains(phone) {
            return Err(ApiError::param_duplicate("phone_number"));
        }
    }
    if let Some(username) = req.str_field("username") {
        check_username(ctx.store, username, None)?;
    }
    check_password(req)?;
    if req.str_field("password_digest").is_some() && req.field("password_hasher").is_none() {
        return Err(ApiError::param_missing("password_hasher"));
    }
    let created_at = time_field(req, "created_at")?.unwrap_or_else(now);
    let legal_accepted_at = time_field(req, "legal_accepted_at")?;

    let id = ctx.id("user");
    let email_objects: Vec<Value> = emails
        .iter()
        .map(|e| email_json(&ctx.id("idn"), e, true, created_at))
        .collect();
    let phone_objects: Vec<Value> = phones
        .iter()
        .map(|p| phone_json(&ctx.id("idn"), p, true, created_at))
        .collect();
    let wallet_objects: Vec<Value> = wallets
        .iter()
        .map(|w| wallet_json(&ctx.id("idn"), w, created_at))
        .collect();
    let has_password =
        req.str_field("password").is_some() || req.str_field("password_digest").is_some();
    let first_id = |items: &[Value]| {
        items
            .first()
            .map(|i| i["id"].clone())
            .unwrap_or(Value::Null)
    };
    let user = json!({
        "id": id,
        "object": "user",
        "external_id": req.field("external_id").cloned().unwrap_or(Value::Null),
        "primary_email_address_id": first_id(&email_objects),
        "primary_phone_number_id": first_id(&phone_objects),
        "primary_web3_wallet_id": first_id(&wallet_objects),
        "username": req.field("username").cloned().unwrap_or(Value::Null),
        "first_name": req.field("first_name").cloned().unwrap_or(Value::Null),
        "last_name": req.field("last_name").cloned().unwrap_or(Value::Null),
        "locale": req.field("locale").cloned().unwrap_or(Value::Null),
        "profile_image_url": image_url(&id),
        "image_url": image_url(&id),
        "has_image": false,
        "public_metadata": metadata(req, "public_metadata"),
        "private_metadata": metadata(req, "private_metadata"),
        "unsafe_metadata": metadata(req, "unsafe_metadata"),
        "email_addresses": email_objects,
        "phone_numbers": phone_objects,
        "web3_wallets": wallet_objects,
        "passkeys": [],
        "password_enabled": has_password,
        "two_factor_enabled": req.str_field("totp_secret").is_some(),
        "totp_enabled": req.str_field("totp_secret").is_some(),
        "backup_code_enabled": req.field("backup_codes").and_then(Value::as_array).is_some_and(|c| !c.is_empty()),
        "mfa_enabled_at": null,
        "mfa_disabled_at": null,
        "password_last_updated_at": if has_password { Value::from(created_at) } else { Value::Null },
        "external_accounts": [],
        "saml_accounts": [],
        "enterprise_accounts": [],
        "last_sign_in_at": null,
        "banned": req.bool_field("banned").unwrap_or(false),
        "locked": req.bool_field("locked").unwrap_or(false),
        "deprovisioned": false,
        "lockout_expires_in_seconds": null,
        "verification_attempts_remaining": 100,
        "updated_at": created_at,
        "created_at": created_at,
        "delete_self_enabled": req.bool_field("delete_self_enabled").unwrap_or(true),
        "create_organization_enabled": req.bool_field("create_organization_enabled").unwrap_or(true),
        "create_organizations_limit": req.field("create_organizations_limit").cloned().unwrap_or(Value::Null),
        "last_active_at": null,
        "legal_accepted_at": legal_accepted_at,
        "bypass_client_trust": req.bool_field("bypass_client_trust").unwrap_or(false),
    });
    for (list, field) in [
        ("email_addresses", "email_address"),
        ("phone_numbers", "phone_number"),
        ("web3_wallets", "web3_wallet"),
    ] {
        for item in user[list].as_array().into_iter().flatten() {
            if let (Some(ident), Some(value)) = (item["id"].as_str(), item[field].as_str()) {
                ctx.store.identifications.add(ident, value, &id);
            }
        }
    }
    if let Some(password) = req.str_field("password") {
        ctx.store.passwords.insert(id.clone(), password.to_string());
    }
    super::managed::factors::remember(ctx.store, &id, req);
    ctx.store.users.insert(id.clone(), user.clone());
    ctx.emit("user.created", |_| user.clone());
    Ok(Reply::ok(user))
}

/// A body field that is a list of strings (absent gives an empty list).
fn list_field<'r>(req: &'r Req, name: &str) -> Vec<&'r str> {
    req.field(name)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `GET /users/{user_id}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(
        find(ctx.store, req.path_param("user_id"))?.clone(),
    ))
}

/// The list filters of `GET /users` and `GET /users/count`, read from the query once.
struct Filter {
    emails: Option<Vec<String>>,
    phones: Option<Vec<String>>,
    /// `external_id`, `user_id` and `organization_id` take `+`/`-` prefixes.
    external_ids: Option<Prefixed>,
    usernames: Option<Vec<String>>,
    user_ids: Option<Prefixed>,
    org_ids: Option<Prefixed>,
    /// Web3 wallets and external-account providers: the mock keeps none, so nobody matches.
    impossible: bool,
    banned: Option<bool>,
    /// `(field, before, after)` bounds in milliseconds.
    bounds: Vec<(&'static str, Option<i64>, Option<i64>)>,
    active_since: Option<i64>,
    email_query: Option<String>,
    phone_query: Option<String>,
    username_query: Option<String>,
    name_query: Option<String>,
    query: Option<String>,
}

impl Filter {
    fn new(req: &Req) -> Self {
        let any_of = |name: &str| -> Option<Vec<String>> {
            let values = req.query_all(name);
            (!values.is_empty()).then(|| values.iter().map(|v| v.to_lowercase()).collect())
        };
        let text = |name: &str| {
            req.query(name)
                .filter(|q| !q.is_empty())
                .map(str::to_lowercase)
        };
        let bounds = ["created_at", "last_active_at", "last_sign_in_at"]
            .into_iter()
            .map(|field| {
                (
                    field,
                    req.query_i64(&format!("{field}_before")),
                    req.query_i64(&format!("{field}_after")),
                )
            })
            .filter(|(_, before, after)| before.is_some() || after.is_some())
            .collect();
        Filter {
            emails: any_of("email_address"),
            phones: any_of("phone_number"),
            external_ids: Prefixed::new(&req.query_all("external_id"), true),
            usernames: any_of("username"),
            user_ids: Prefixed::new(&req.query_all("user_id"), true),
            org_ids: Prefixed::new(&req.query_all("organization_id"), false),
            impossible: any_of("web3_wallet").is_some()
                || any_of("provider_user_id").is_some()
                || req.query("provider").is_some(),
            banned: req.query_bool("banned"),
            bounds,
            active_since: req.query_i64("last_active_at_since"),
            email_query: text("email_address_query"),
            phone_query: text("phone_number_query"),
            username_query: text("username_query"),
            name_query: text("name_query"),
            query: text("query"),
        }
    }

    /// True when no filter is given (every user matches).
    fn is_empty(&self) -> bool {
        self.emails.is_none()
            && self.phones.is_none()
            && self.external_ids.is_none()
            && self.usernames.is_none()
            && self.user_ids.is_none()
            && self.org_ids.is_none()
            && !self.impossible
            && self.banned.is_none()
            && self.bounds.is_empty()
            && self.active_since.is_none()
            && self.email_query.is_none()
            && self.phone_query.is_none()
            && self.username_query.is_none()
            && self.name_query.is_none()
            && self.query.is_none()
    }

    fn accepts(&self, store: &Store, user: &Value) -> bool {
        let id = user["id"].as_str().unwrap_or_default();
        let lower = |v: &Value| v.as_str().map(str::to_lowercase);
        let has = |v: &Value, q: &str| v.as_str().is_some_and(|h| h.to_lowercase().contains(q));
        let emails = || identifier_values(user, "email_addresses", "email_address");
        let phones = || identifier_values(user, "phone_numbers", "phone_number");
        !self.impossible
            && self
                .emails
                .as_ref()
                .is_none_or(|want| emails().iter().any(|e| want.contains(&e.to_lowercase())))
            && self
                .phones
                .as_ref()
                .is_none_or(|want| phones().iter().any(|p| want.contains(&p.to_lowercase())))
            && self
                .external_ids
                .as_ref()
                .is_none_or(|want| want.accepts(lower(&user["external_id"]).as_deref()))
            && self
                .usernames
                .as_ref()
                .is_none_or(|want| lower(&user["username"]).is_some_and(|u| want.contains(&u)))
            && self
                .user_ids
                .as_ref()
                .is_none_or(|want| want.accepts(Some(&id.to_lowercase())))
            && self.org_ids.as_ref().is_none_or(|want| {
                let orgs: Vec<&str> = store
                    .memberships
                    .values()
                    .filter(|m| m["user_id"] == id)
                    .filter_map(|m| m["organization_id"].as_str())
                    .collect();
                want.accepts_any(orgs.iter().copied())
            })
            && self.banned.is_none_or(|b| user["banned"] == b)
            && self.bounds.iter().all(|(field, before, after)| {
                let value = user[*field].as_i64();
                before.is_none_or(|t| value.is_some_and(|v| v < t))
                    && after.is_none_or(|t| value.is_some_and(|v| v > t))
            })
            && self
                .active_since
                .is_none_or(|t| user["last_active_at"].as_i64().is_some_and(|v| v >= t))
            && self
                .email_query
                .as_deref()
                .is_none_or(|q| emails().iter().any(|e| e.to_lowercase().contains(q)))
            && self
                .phone_query
                .as_deref()
                .is_none_or(|q| phones().iter().any(|p| p.contains(q)))
            && self
                .username_query
                .as_deref()
                .is_none_or(|q| has(&user["username"], q))
            && self
                .name_query
                .as_deref()
                .is_none_or(|q| has(&user["first_name"], q) || has(&user["last_name"], q))
            && self.query.as_deref().is_none_or(|q| {
                id.to_lowercase().contains(q)
                    || ["first_name", "last_name", "username", "external_id"]
                        .iter()
                        .any(|f| has(&user[*f], q))
                    || emails().iter().any(|e| e.to_lowercase().contains(q))
                    || phones().iter().any(|p| p.contains(q))
            })
    }
}

/// The users matching the list filters of `GET /users` and `GET /users/count`, sorted.
fn matching<'s>(store: &'s Store, req: &Req) -> Result<Vec<&'s Value>, ApiError> {
    let order = order_by(req, ORDER_FIELDS, "-created_at")?;
    if req.query("starting_after").is_some() {
        // A cursor needs a unique, unchanging order, and replaces the offset.
        if order.field != "created_at" {
            return Err(ApiError::param_value(
                "starting_after",
                "needs the users ordered by created_at (leave order_by out, or use created_at, +created_at or -created_at)",
            ));
        }
        if req.query_i64("offset").is_some_and(|o| o != 0) {
            return Err(ApiError::param_value(
                "starting_after",
                "cannot be combined with a non-zero offset",
            ));
        }
    }
    let filter = Filter::new(req);
    let mut rows: Vec<&Value> = if filter.is_empty() {
        store.users.ordered()
    } else {
        store
            .users
            .values()
            .filter(|u| filter.accepts(store, u))
            .collect()
    };
    sort_rows(&mut rows, &order, |u| match order.field.as_str() {
        "email_address" => primary_email(u).map(Value::from).unwrap_or(Value::Null),
        "phone_number" => primary_phone(u).map(Value::from).unwrap_or(Value::Null),
        "web3wallet" => Value::Null,
        field => u[field].clone(),
    });
    if let Some(after) = req.query("starting_after")
        && let Some(pos) = rows.iter().position(|u| u["id"] == after)
    {
        rows.drain(..=pos);
    }
    Ok(rows)
}

/// `GET /users`.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let rows = matching(ctx.store, req)?;
    let (limit, offset) = req.page();
    // Only the page is copied: listings stay cheap however many users there are.
    Ok(Reply::ok(Value::Array(
        rows.into_iter().skip(offset).take(limit).cloned().collect(),
    )))
}

/// `GET /users/count`.
pub(crate) fn count(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let rows = matching(ctx.store, req)?;
    Ok(Reply::ok(
        json!({ "object": "total_count", "total_count": rows.len() }),
    ))
}

/// Applies `change` to a user, stamps `updated_at`, emits `user.updated` and answers the user.
fn modify(
    ctx: &mut Ctx<'_>,
    id: &str,
    change: impl FnOnce(&mut Value) -> Result<(), ApiError>,
) -> Result<Reply, ApiError> {
    let user = find_mut(ctx.store, id)?;
    let mut updated = user.clone();
    change(&mut updated)?;
    updated["updated_at"] = Value::from(now());
    *user = updated.clone();
    ctx.emit("user.updated", |_| updated.clone());
    Ok(Reply::ok(updated))
}

/// `PATCH /users/{user_id}`.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    let user = find(ctx.store, &id)?;
    if let Some(username) = req.str_field("username") {
        check_username(ctx.store, username, Some(&id))?;
    }
    for (field, list) in [
        ("primary_email_address_id", "email_addresses"),
        ("primary_phone_number_id", "phone_numbers"),
        ("primary_web3_wallet_id", "web3_wallets"),
    ] {
        if let Some(wanted) = req.str_field(field) {
            let owned = user[list]
                .as_array()
                .into_iter()
                .flatten()
                .any(|i| i["id"] == wanted);
            if !owned {
                return Err(ApiError::resource_not_found_param(field));
            }
        }
    }
    check_password(req)?;
    let created_at = time_field(req, "created_at")?;
    let legal_accepted_at = time_field(req, "legal_accepted_at")?;
    if let Some(password) = req.str_field("password") {
        ctx.store.passwords.insert(id.clone(), password.to_string());
    }
    super::managed::factors::remember(ctx.store, &id, req);
    let sign_out = req.bool_field("sign_out_of_other_sessions") == Some(true);
    let reply = modify(ctx, &id, |user| {
        for field in [
            "external_id",
            "first_name",
            "last_name",
            "locale",
            "primary_email_address_id",
            "primary_phone_number_id",
            "primary_web3_wallet_id",
            "username",
            "delete_self_enabled",
            "create_organization_enabled",
            "create_organizations_limit",
            "bypass_client_trust",
        ] {
            if let Some(value) = req.body.get(field) {
                // An explicit null clears fields that may be null; others keep their value.
                if !value.is_null() || nullable_user_field(field) {
                    user[field] = value.clone();
                }
            }
        }
        if req.str_field("password").is_some() || req.str_field("password_digest").is_some() {
            user["password_enabled"] = Value::Bool(true);
            user["password_last_updated_at"] = Value::from(now());
        }
        if req.str_field("totp_secret").is_some() {
            user["totp_enabled"] = Value::Bool(true);
            user["two_factor_enabled"] = Value::Bool(true);
        }
        if let Some(codes) = req.field("backup_codes").and_then(Value::as_array) {
            user["backup_code_enabled"] = Value::Bool(!codes.is_empty());
        }
        if let Some(at) = created_at {
            user["created_at"] = Value::from(at);
        }
        if let Some(at) = legal_accepted_at {
            user["legal_accepted_at"] = Value::from(at);
        }
        Ok(())
    })?;
    if sign_out {
        revoke_sessions(ctx, &id);
    }
    Ok(reply)
}

fn nullable_user_field(field: &str) -> bool {
    matches!(
        field,
        "external_id"
            | "first_name"
            | "last_name"
            | "locale"
            | "username"
            | "create_organizations_limit"
    )
}

/// Revokes every active session of a user (bans and password changes do).
pub(crate) fn revoke_sessions(ctx: &mut Ctx<'_>, user_id: &str) {
    let at = now();
    let mut revoked = Vec::new();
    for session in ctx.store.sessions.values_mut() {
        if session["user_id"] == user_id && session["status"] == "active" {
            session["status"] = Value::from("revoked");
            session["updated_at"] = Value::from(at);
            revoked.push(session.clone());
        }
    }
    for session in revoked {
        ctx.emit("session.revoked", |store| {
            super::sessions::event_data(store, &session)
        });
    }
}

/// `DELETE /users/{user_id}`.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id");
    if ctx.store.users.remove(id).is_none() {
        return Err(ApiError::not_found("user", id));
    }
    let store = &mut *ctx.store;
    store.identifications.remove_user(id);
    store.passwords.remove(id);
    super::managed::factors::forget(store, id);
    for session_id in store.sessions.ids() {
        if store
            .sessions
            .get(&session_id)
            .is_some_and(|s| s["user_id"] == id)
        {
            store.sessions.remove(&session_id);
        }
    }
    for membership_id in store.memberships.ids() {
        if store
            .memberships
            .get(&membership_id)
            .is_some_and(|m| m["user_id"] == id)
        {
            store.memberships.remove(&membership_id);
        }
    }
    let answer = deleted("user", id);
    ctx.emit("user.deleted", |_| answer.clone());
    Ok(Reply::ok(answer))
}

/// `POST /users/{user_id}/ban`.
pub(crate) fn ban(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    let reply = modify(ctx, &id, |u| {
        u["banned"] = Value::Bool(true);
        Ok(())
    })?;
    revoke_sessions(ctx, &id);
    Ok(reply)
}

/// `POST /users/{user_id}/unban`.
pub(crate) fn unban(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify(ctx, req.path_param("user_id"), |u| {
        u["banned"] = Value::Bool(false);
        Ok(())
    })
}

fn set_banned_many(ctx: &mut Ctx<'_>, req: &Req, banned: bool) -> Result<Reply, ApiError> {
    let ids = list_field(req, "user_ids");
    for id in &ids {
        find(ctx.store, id)?;
    }
    let mut users = Vec::new();
    for id in ids {
        let reply = modify(ctx, id, |u| {
            u["banned"] = Value::Bool(banned);
            Ok(())
        })?;
        if banned {
            revoke_sessions(ctx, id);
        }
        users.extend(reply.body);
    }
    Ok(Reply::ok(Value::Array(users)))
}

/// `POST /users/ban`.
pub(crate) fn ban_many(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    set_banned_many(ctx, req, true)
}

/// `POST /users/unban`.
pub(crate) fn unban_many(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    set_banned_many(ctx, req, false)
}

/// `POST /users/{user_id}/lock`.
pub(crate) fn lock(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify(ctx, req.path_param("user_id"), |u| {
        u["locked"] = Value::Bool(true);
        u["verification_attempts_remaining"] = Value::from(0);
        // Locked by an administrator: no automatic expiry.
        u["lockout_expires_in_seconds"] = Value::Null;
        Ok(())
    })
}

/// `POST /users/{user_id}/unlock`.
pub(crate) fn unlock(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify(ctx, req.path_param("user_id"), |u| {
        u["locked"] = Value::Bool(false);
        u["verification_attempts_remaining"] = Value::from(100);
        u["lockout_expires_in_seconds"] = Value::Null;
        Ok(())
    })
}

/// `PATCH /users/{user_id}/metadata`: deep merge, `null` removes a key.
pub(crate) fn merge_metadata(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify(ctx, req.path_param("user_id"), |u| {
        for field in ["public_metadata", "private_metadata", "unsafe_metadata"] {
            if let Some(patch) = req.field(field) {
                if !u[field].is_object() {
                    u[field] = json!({});
                }
                deep_merge(&mut u[field], patch);
            }
        }
        Ok(())
    })
}

/// `PUT /users/{user_id}/metadata`: replaces the given metadata objects.
pub(crate) fn replace_metadata(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify(ctx, req.path_param("user_id"), |u| {
        for field in ["public_metadata", "private_metadata", "unsafe_metadata"] {
            if req.body.get(field).is_some() {
                u[field] = metadata(req, field);
            }
        }
        Ok(())
    })
}

/// `POST /users/{user_id}/profile_image`.
pub(crate) fn set_profile_image(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    let url = format!("{}?v={}", image_url(&id), now());
    modify(ctx, &id, |u| {
        u["has_image"] = Value::Bool(true);
        u["image_url"] = Value::from(url.clone());
        u["profile_image_url"] = Value::from(url);
        Ok(())
    })
}

/// `DELETE /users/{user_id}/profile_image`.
pub(crate) fn delete_profile_image(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    modify(ctx, &id, |u| {
        u["has_image"] = Value::Bool(false);
        u["image_url"] = Value::from(image_url(&id));
        u["profile_image_url"] = Value::from(image_url(&id));
        Ok(())
    })
}

/// `POST /users/{user_id}/verify_password`.
pub(crate) fn verify_password(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id");
    find(ctx.store, id)?;
    let given = req.required_str("password")?;
    match ctx.store.passwords.get(id) {
        Some(stored) if stored == given => Ok(Reply::ok(json!({ "verified": true }))),
        _ => Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "incorrect_password",
            "incorrect password",
            "The password does not match the one set for this user.",
        )),
    }
}

/// `POST /users/{user_id}/remove_password`.
pub(crate) fn remove_password(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    ctx.store.passwords.remove(&id);
    modify(ctx, &id, |u| {
        u["password_enabled"] = Value::Bool(false);
        Ok(())
    })
}

/// Public data of a user as organizations show it.
pub(crate) fn public_user_data(user: &Value) -> Value {
    let identifier = primary_email(user)
        .or_else(|| primary_phone(user))
        .map(Value::from)
        .unwrap_or_else(|| user["username"].clone());
    json!({
        "user_id": user["id"],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "profile_image_url": user["profile_image_url"],
        "image_url": user["image_url"],
        "has_image": user["has_image"],
        "identifier": identifier,
        "username": user["username"],
        "banned": user["banned"],
        "deprovisioned": false,
    })
}
