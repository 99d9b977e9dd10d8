//! Organization permissions, roles and role sets.
//!
//! An instance starts with Clerk's system permissions (`org:sys_*`, which cannot be changed or
//! deleted) and the `org:admin` and `org:member` roles. Roles hold permission ids and answer
//! with the permissions expanded; role sets hold role keys. Memberships show the permissions of
//! their role, so assigning a permission to a role shows in its members' memberships.

use super::{
    State, copy_fields, copy_present, found, instance, matches_query, refused, state, template,
};
use crate::error::ApiError;
use crate::handlers::{Ctx, Reply, deleted, now, order_by, paginated};
use crate::request::Req;
use crate::server::Env;
use crate::store::{Store, sort_rows};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Clerk's system permissions, with the mock's names for them.
const SYSTEM_PERMISSIONS: &[(&str, &str, &str)] = &[
    (
        "org:sys_profile:manage",
        "Manage organization",
        "Change the organization's name, slug, logo and settings.",
    ),
    (
        "org:sys_profile:delete",
        "Delete organization",
        "Delete the organization.",
    ),
    (
        "org:sys_memberships:read",
        "Read members",
        "See the organization's members and invitations.",
    ),
    (
        "org:sys_memberships:manage",
        "Manage members",
        "Invite, remove and change the roles of members.",
    ),
    (
        "org:sys_domains:read",
        "Read domains",
        "See the organization's verified domains.",
    ),
    (
        "org:sys_domains:manage",
        "Manage domains",
        "Add, verify and remove the organization's domains.",
    ),
];

/// The system permissions and the two roles every instance starts with.
pub(crate) fn seed(state: &mut State, env: &Env) {
    let at = now();
    let mut ids = Vec::new();
    for (key, name, description) in SYSTEM_PERMISSIONS {
        let id = env.ids.next("perm");
        state.permissions.insert(
            id.clone(),
            json!({
                "object": "permission", "id": id, "name": name, "key": key,
                "description": description, "type": "system",
                "created_at": at, "updated_at": at,
            }),
        );
        ids.push((key, id));
    }
    let pick = |wanted: &[&str]| -> Vec<String> {
        ids.iter()
            .filter(|(key, _)| wanted.contains(key))
            .map(|(_, id)| id.clone())
            .collect()
    };
    let admin = pick(&SYSTEM_PERMISSIONS.iter().map(|p| p.0).collect::<Vec<_>>());
    let member = pick(&["org:sys_memberships:read"]);
    for (key, name, description, permissions) in [
        (
            "org:admin",
            "Admin",
            "Can manage every part of the organization.",
            admin,
        ),
        (
            "org:member",
            "Member",
            "Can see the organization and its members.",
            member,
        ),
    ] {
        let id = env.ids.next("role");
        state.roles.insert(
            id.clone(),
            json!({
                "object": "role", "id": id, "name": name, "key": key,
                "description": description, "permissions": permissions,
                "created_at": at, "updated_at": at,
            }),
        );
    }
}

/// The permission keys of the role with `key`, `None` when the roles were never read or
/// changed (then the built-in roles apply).
pub(crate) fn permission_keys(store: &Store, key: &str) -> Option<Vec<String>> {
    let state = &store.managed;
    let role = state.roles.values().find(|r| r["key"] == key)?;
    Some(
        ids_of(&role["permissions"])
            .filter_map(|id| state.permissions.get(id))
            .filter_map(|p| p["key"].as_str().map(str::to_string))
            .collect(),
    )
}

/// The name of the role with `key`, when the roles are known.
pub(crate) fn role_name(store: &Store, key: &str) -> Option<String> {
    store
        .managed
        .roles
        .values()
        .find(|r| r["key"] == key)
        .and_then(|r| r["name"].as_str().map(str::to_string))
}

fn ids_of(list: &Value) -> impl Iterator<Item = &str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn conflict(message: &str, long: String) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "resource_conflict",
        message.to_string(),
        long,
    )
}

fn immutable(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "system_permission_immutable",
        "system permissions cannot be changed",
        format!(
            "'{what}' is a system permission; system permissions cannot be changed or deleted."
        ),
    )
}

/// `org:` followed by lowercase letters, digits and underscores.
fn check_role_key(key: &str) -> Result<(), ApiError> {
    let ok = key.strip_prefix("org:").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::param_format(
            "key",
            "'org:' followed by lowercase letters, digits and underscores",
        ))
    }
}

/// `org:<feature>:<action>`, segments of lowercase letters, digits and underscores, not `org:sys_`.
fn check_permission_key(key: &str) -> Result<(), ApiError> {
    let segment = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let parts: Vec<&str> = key.split(':').collect();
    let ok = parts.len() == 3 && parts[0] == "org" && segment(parts[1]) && segment(parts[2]);
    if !ok || parts[1].starts_with("sys_") {
        return Err(ApiError::param_format(
            "key",
            "'org:<feature>:<action>' in lowercase letters, digits and underscores, not starting with 'org:sys_'",
        ));
    }
    Ok(())
}

/// Sorting, the `query` filter and paging shared by the three listings.
fn listing(req: &Req, rows: Vec<Value>) -> Result<Reply, ApiError> {
    let order = order_by(req, &["created_at", "name", "key"], "-created_at")?;
    let query = req.query("query");
    let mut rows: Vec<Value> = rows
        .into_iter()
        .filter(|r| query.is_none_or(|q| r["id"] == q) || matches_query(r, query, &["name", "key"]))
        .collect();
    sort_rows(&mut rows, &order, |r| r[order.field.as_str()].clone());
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

// ---------------------------------------------------------------------------------------------
// Permissions.

/// `GET /organization_permissions`.
pub(crate) fn list_permissions(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let rows = state(ctx).permissions.values().cloned().collect();
    listing(req, rows)
}

/// `POST /organization_permissions`.
pub(crate) fn create_permission(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?;
    let key = req.required_str("key")?;
    check_permission_key(key)?;
    if state(ctx).permissions.values().any(|p| p["key"] == key) {
        return Err(ApiError::identifier_exists("key", "permission key"));
    }
    let at = now();
    let id = ctx.id("perm");
    let permission = json!({
        "object": "permission", "id": id, "name": name, "key": key,
        "description": req.str_field("description").unwrap_or(""), "type": "user",
        "created_at": at, "updated_at": at,
    });
    state(ctx).permissions.insert(id, permission.clone());
    Ok(Reply::ok(permission))
}

/// `GET /organization_permissions/{permission_id}`.
pub(crate) fn get_permission(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("permission_id");
    Ok(Reply::ok(
        found(&state(ctx).permissions, "permission", id)?.clone(),
    ))
}

/// `PATCH /organization_permissions/{permission_id}`.
pub(crate) fn update_permission(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("permission_id");
    let state = state(ctx);
    let current = found(&state.permissions, "permission", id)?;
    if current["type"] == "system" {
        return Err(immutable(current["key"].as_str().unwrap_or(id)));
    }
    if let Some(key) = req.str_field("key") {
        check_permission_key(key)?;
        if state
            .permissions
            .values()
            .any(|p| p["key"] == key && p["id"] != id)
        {
            return Err(ApiError::identifier_exists("key", "permission key"));
        }
    }
    let Some(permission) = state.permissions.get_mut(id) else {
        return Err(ApiError::not_found("permission", id));
    };
    copy_present(permission, req, &["name", "key", "description"]);
    permission["updated_at"] = Value::from(now());
    Ok(Reply::ok(permission.clone()))
}

/// `DELETE /organization_permissions/{permission_id}`: also leaves every role.
pub(crate) fn delete_permission(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("permission_id");
    let state = state(ctx);
    let permission = found(&state.permissions, "permission", id)?;
    if permission["type"] == "system" {
        return Err(immutable(permission["key"].as_str().unwrap_or(id)));
    }
    state.permissions.remove(id);
    for role in state.roles.values_mut() {
        if let Some(list) = role["permissions"].as_array_mut() {
            list.retain(|p| p != id);
        }
    }
    Ok(Reply::ok(deleted("permission", id)))
}

// ---------------------------------------------------------------------------------------------
// Roles.

/// Whether members with this role may create organizations: the role can manage members and
/// the organization's profile (the mock's rule).
fn creator_eligible(keys: &[String]) -> bool {
    ["org:sys_memberships:manage", "org:sys_profile:manage"]
        .iter()
        .all(|wanted| keys.iter().any(|k| k == wanted))
}

/// The role with `id` as answered, `null` when there is none.
pub(crate) fn render_role_id(state: &State, id: &str) -> Value {
    state
        .roles
        .get(id)
        .map(|r| render_role(state, r))
        .unwrap_or(Value::Null)
}

/// A role as answered: its permissions expanded.
fn render_role(state: &State, role: &Value) -> Value {
    let permissions: Vec<Value> = ids_of(&role["permissions"])
        .filter_map(|id| state.permissions.get(id).cloned())
        .collect();
    let keys: Vec<String> = permissions
        .iter()
        .filter_map(|p| p["key"].as_str().map(str::to_string))
        .collect();
    let mut out = role.clone();
    out["is_creator_eligible"] = Value::Bool(creator_eligible(&keys));
    out["permissions"] = Value::Array(permissions);
    out
}

fn find_role<'s>(state: &'s State, id: &str) -> Result<&'s Value, ApiError> {
    found(&state.roles, "organization role", id)
}

/// The permission ids a request names, each checked to exist.
fn permission_ids(state: &State, req: &Req) -> Result<Option<Vec<String>>, ApiError> {
    let Some(list) = req.field("permissions").and_then(Value::as_array) else {
        return Ok(None);
    };
    let mut ids = Vec::new();
    for id in list.iter().filter_map(Value::as_str) {
        found(&state.permissions, "permission", id)?;
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }
    Ok(Some(ids))
}

/// `GET /organization_roles`.
pub(crate) fn list_roles(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let state = state(ctx);
    let rows = state
        .roles
        .values()
        .map(|r| render_role(state, r))
        .collect();
    listing(req, rows)
}

/// `POST /organization_roles`.
pub(crate) fn create_role(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?;
    let key = req.required_str("key")?;
    check_role_key(key)?;
    let state = state(ctx);
    if state.roles.values().any(|r| r["key"] == key) {
        return Err(ApiError::identifier_exists("key", "role key"));
    }
    let permissions = permission_ids(state, req)?.unwrap_or_default();
    let at = now();
    let id = ctx.id("role");
    let role = json!({
        "object": "role", "id": id, "name": name, "key": key,
        "description": req.field("description").cloned().unwrap_or(Value::Null),
        "permissions": permissions, "created_at": at, "updated_at": at,
    });
    let state = &mut ctx.store.managed;
    state.roles.insert(id, role.clone());
    if req.bool_field("include_in_initial_role_set") == Some(true)
        && let Some(set) = state
            .role_sets
            .values_mut()
            .find(|s| s["type"] == "initial")
        && let Some(roles) = set["roles"].as_array_mut()
    {
        roles.push(Value::from(key));
    }
    Ok(Reply::ok(render_role(state, &role)))
}

/// `GET /organization_roles/{organization_role_id}`.
pub(crate) fn get_role(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let state = state(ctx);
    let role = find_role(state, req.path_param("organization_role_id"))?;
    Ok(Reply::ok(render_role(state, role)))
}

/// Renames a role key everywhere it is used: memberships, invitations, role sets, settings.
fn rename_role_key(store: &mut Store, old: &str, new: &str) {
    let rename = |v: &mut Value| {
        if *v == old {
            *v = Value::from(new);
        }
    };
    for m in store.memberships.values_mut() {
        rename(&mut m["role"]);
    }
    for i in store.organization_invitations.values_mut() {
        rename(&mut i["role"]);
    }
    let state = &mut store.managed;
    for set in state.role_sets.values_mut() {
        for slot in ["default_role", "creator_role"] {
            rename(&mut set[slot]);
        }
        for key in set["roles"].as_array_mut().into_iter().flatten() {
            rename(key);
        }
    }
    if let Some(settings) = state.settings.get_mut(instance::ORGANIZATION_SETTINGS) {
        rename(&mut settings["creator_role"]);
        rename(&mut settings["domains_default_role"]);
    }
}

/// `PATCH /organization_roles/{organization_role_id}`.
pub(crate) fn update_role(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("organization_role_id");
    let state = state(ctx);
    let old_key = find_role(state, id)?["key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(key) = req.str_field("key") {
        check_role_key(key)?;
        if state
            .roles
            .values()
            .any(|r| r["key"] == key && r["id"] != id)
        {
            return Err(ApiError::identifier_exists("key", "role key"));
        }
    }
    let permissions = permission_ids(state, req)?;
    let Some(role) = state.roles.get_mut(id) else {
        return Err(ApiError::not_found("organization role", id));
    };
    copy_present(role, req, &["name", "key"]);
    copy_fields(role, req, &["description"]);
    if let Some(permissions) = permissions {
        role["permissions"] = json!(permissions);
    }
    role["updated_at"] = Value::from(now());
    let role = role.clone();
    if let Some(new_key) = role["key"].as_str().filter(|k| *k != old_key) {
        rename_role_key(ctx.store, &old_key, new_key);
    }
    Ok(Reply::ok(render_role(&ctx.store.managed, &role)))
}

/// `DELETE /organization_roles/{organization_role_id}`: refused while the role is in use.
pub(crate) fn delete_role(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("organization_role_id");
    let key = find_role(state(ctx), id)?["key"].clone();
    let store = &*ctx.store;
    let settings = store.managed.settings.get(instance::ORGANIZATION_SETTINGS);
    let use_of = if settings.is_some_and(|s| s["creator_role"] == key) {
        Some("the creator role of new organizations")
    } else if settings.is_some_and(|s| s["domains_default_role"] == key) {
        Some("the default role of organization domains")
    } else if store.memberships.values().any(|m| m["role"] == key) {
        Some("the role of organization members")
    } else if store
        .organization_invitations
        .values()
        .any(|i| i["role"] == key && i["status"] == "pending")
    {
        Some("the role of pending invitations")
    } else if store.managed.role_sets.values().any(|s| {
        s["default_role"] == key
            || s["creator_role"] == key
            || ids_of(&s["roles"]).any(|k| key == k)
    }) {
        Some("part of a role set")
    } else {
        None
    };
    if let Some(use_of) = use_of {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "organization_role_in_use",
            "the role is in use",
            format!("The role {key} is {use_of}, so it cannot be deleted."),
        ));
    }
    ctx.store.managed.roles.remove(id);
    Ok(Reply::ok(deleted("role", id)))
}

/// `POST /organization_roles/{organization_role_id}/permissions/{permission_id}`.
pub(crate) fn assign_permission(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    change_permission(ctx, req, true)
}

/// `DELETE /organization_roles/{organization_role_id}/permissions/{permission_id}`.
pub(crate) fn remove_permission(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    change_permission(ctx, req, false)
}

fn change_permission(ctx: &mut Ctx<'_>, req: &Req, assign: bool) -> Result<Reply, ApiError> {
    let role_id = req.path_param("organization_role_id");
    let permission_id = req.path_param("permission_id");
    let state = state(ctx);
    find_role(state, role_id)?;
    found(&state.permissions, "permission", permission_id)?;
    let Some(role) = state.roles.get_mut(role_id) else {
        return Err(ApiError::not_found("organization role", role_id));
    };
    let has = ids_of(&role["permissions"]).any(|p| p == permission_id);
    match (assign, has) {
        (true, true) => {
            return Err(conflict(
                "permission already assigned",
                format!("The role already has permission '{permission_id}'."),
            ));
        }
        (false, false) => {
            return Err(ApiError::not_found(
                "permission of this role",
                permission_id,
            ));
        }
        _ => {}
    }
    if let Some(list) = role["permissions"].as_array_mut() {
        if assign {
            list.push(Value::from(permission_id));
        } else {
            list.retain(|p| p != permission_id);
        }
    }
    role["updated_at"] = Value::from(now());
    let role = role.clone();
    Ok(Reply::ok(render_role(state, &role)))
}

// ---------------------------------------------------------------------------------------------
// Role sets.

fn role_item(state: &State, key: &Value) -> Value {
    let Some(role) = state.roles.values().find(|r| r["key"] == *key) else {
        return Value::Null;
    };
    json!({
        "object": "role_set_item", "id": role["id"], "name": role["name"], "key": role["key"],
        "description": role["description"], "created_at": role["created_at"],
        "updated_at": role["updated_at"],
    })
}

/// A role set as answered: its roles expanded.
fn render_set(state: &State, set: &Value) -> Value {
    let mut out = set.clone();
    out["roles"] = Value::Array(
        set["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| role_item(state, k))
            .filter(|r| !r.is_null())
            .collect(),
    );
    out["default_role"] = role_item(state, &set["default_role"]);
    out["creator_role"] = role_item(state, &set["creator_role"]);
    out
}

/// The id of the role set named by key or id.
fn find_set(state: &State, key_or_id: &str) -> Result<String, ApiError> {
    state
        .role_sets
        .get(key_or_id)
        .or_else(|| state.role_sets.values().find(|s| s["key"] == key_or_id))
        .and_then(|s| s["id"].as_str().map(str::to_string))
        .ok_or_else(|| ApiError::not_found("role set", key_or_id))
}

fn check_set_key(key: &str) -> Result<(), ApiError> {
    let ok = key.strip_prefix("role_set:").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::param_format(
            "key",
            "'role_set:' followed by lowercase letters, digits and underscores",
        ))
    }
}

/// The role keys named by `field`, each an existing role; 1 to 10 of them.
fn role_keys(state: &State, req: &Req, field: &str) -> Result<Vec<String>, ApiError> {
    let keys: Vec<String> = req
        .field(field)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() || keys.len() > 10 {
        return Err(ApiError::param_value(field, "needs 1 to 10 role keys"));
    }
    for key in &keys {
        if !state.roles.values().any(|r| r["key"] == key.as_str()) {
            return Err(ApiError::not_found("organization role with key", key));
        }
    }
    Ok(keys)
}

/// Makes `set_id` the only initial role set and records it in the organization settings.
fn make_initial(state: &mut State, set_id: &str) {
    let mut key = Value::Null;
    for set in state.role_sets.values_mut() {
        if set["id"] == set_id {
            set["type"] = Value::from("initial");
            key = set["key"].clone();
        } else if set["type"] == "initial" {
            set["type"] = Value::from("custom");
        }
    }
    if let Some(settings) = state.settings.get_mut(instance::ORGANIZATION_SETTINGS) {
        settings["initial_role_set_key"] = key;
    }
}

fn member_of_set(keys: &[String], field: &str, key: &str) -> Result<(), ApiError> {
    if keys.iter().any(|k| k == key) {
        Ok(())
    } else {
        Err(ApiError::param_value(
            field,
            "must name one of the role set's roles",
        ))
    }
}

/// `GET /role_sets`.
pub(crate) fn list_role_sets(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let state = state(ctx);
    let rows = state
        .role_sets
        .values()
        .map(|s| render_set(state, s))
        .collect();
    listing(req, rows)
}

/// `POST /role_sets`.
pub(crate) fn create_role_set(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?.to_string();
    let state = state(ctx);
    let roles = role_keys(state, req, "roles")?;
    let default_role = req.required_str("default_role_key")?;
    let creator_role = req.required_str("creator_role_key")?;
    member_of_set(&roles, "default_role_key", default_role)?;
    member_of_set(&roles, "creator_role_key", creator_role)?;
    let key = match req.str_field("key") {
        Some(key) => key.to_string(),
        None => {
            let slug: String = name
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            format!("role_set:{}", slug.trim_matches('_'))
        }
    };
    check_set_key(&key)?;
    if state.role_sets.values().any(|s| s["key"] == key.as_str()) {
        return Err(ApiError::identifier_exists("key", "role set key"));
    }
    let mut set = template(ctx.env, "CreateRoleSet");
    let id = ctx.id("rs");
    let at = now();
    set["id"] = Value::from(id.clone());
    set["name"] = Value::from(name);
    set["key"] = Value::from(key);
    set["description"] = req.field("description").cloned().unwrap_or(Value::Null);
    set["roles"] = json!(roles);
    set["default_role"] = Value::from(default_role);
    set["creator_role"] = Value::from(creator_role);
    set["type"] = Value::from("custom");
    set["role_set_migration"] = Value::Null;
    set["created_at"] = Value::from(at);
    set["updated_at"] = Value::from(at);
    let state = &mut ctx.store.managed;
    state.role_sets.insert(id.clone(), set);
    if req.str_field("type") == Some("initial") {
        make_initial(state, &id);
    }
    let set = found(&state.role_sets, "role set", &id)?;
    Ok(Reply::ok(render_set(state, set)))
}

/// `GET /role_sets/{role_set_key_or_id}`.
pub(crate) fn get_role_set(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let state = state(ctx);
    let id = find_set(state, req.path_param("role_set_key_or_id"))?;
    Ok(Reply::ok(render_set(
        state,
        found(&state.role_sets, "role set", &id)?,
    )))
}

/// Applies `change` to a role set and answers it.
fn modify_set(
    ctx: &mut Ctx<'_>,
    req: &Req,
    change: impl FnOnce(&State, &mut Value) -> Result<(), ApiError>,
) -> Result<Reply, ApiError> {
    let state = state(ctx);
    let id = find_set(state, req.path_param("role_set_key_or_id"))?;
    let mut set = found(&state.role_sets, "role set", &id)?.clone();
    change(state, &mut set)?;
    set["updated_at"] = Value::from(now());
    state.role_sets.insert(id.clone(), set);
    let set = found(&state.role_sets, "role set", &id)?;
    Ok(Reply::ok(render_set(state, set)))
}

fn set_keys(set: &Value) -> Vec<String> {
    ids_of(&set["roles"]).map(str::to_string).collect()
}

/// `PATCH /role_sets/{role_set_key_or_id}`.
pub(crate) fn update_role_set(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let initial = req.str_field("type") == Some("initial");
    let reply = modify_set(ctx, req, |state, set| {
        if let Some(key) = req.str_field("key") {
            check_set_key(key)?;
            if state
                .role_sets
                .values()
                .any(|s| s["key"] == key && s["id"] != set["id"])
            {
                return Err(ApiError::identifier_exists("key", "role set key"));
            }
        }
        let keys = set_keys(set);
        for (field, slot) in [
            ("default_role_key", "default_role"),
            ("creator_role_key", "creator_role"),
        ] {
            if let Some(key) = req.str_field(field) {
                member_of_set(&keys, field, key)?;
                set[slot] = Value::from(key);
            }
        }
        copy_present(set, req, &["name", "key"]);
        copy_fields(set, req, &["description"]);
        Ok(())
    })?;
    if initial {
        let state = &mut ctx.store.managed;
        let id = find_set(state, req.path_param("role_set_key_or_id"))
            .or_else(|_| find_set(state, req.str_field("key").unwrap_or_default()))?;
        make_initial(state, &id);
        let set = found(&state.role_sets, "role set", &id)?;
        return Ok(Reply::ok(render_set(state, set)));
    }
    Ok(reply)
}

/// `POST /role_sets/{role_set_key_or_id}/roles`.
pub(crate) fn add_roles(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify_set(ctx, req, |state, set| {
        let added = role_keys(state, req, "role_keys")?;
        let mut keys = set_keys(set);
        for key in added {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        if keys.len() > 10 {
            return Err(ApiError::param_value(
                "role_keys",
                "would make the set hold more than 10 roles",
            ));
        }
        for (field, slot) in [
            ("default_role_key", "default_role"),
            ("creator_role_key", "creator_role"),
        ] {
            if let Some(key) = req.str_field(field) {
                member_of_set(&keys, field, key)?;
                set[slot] = Value::from(key);
            }
        }
        set["roles"] = json!(keys);
        Ok(())
    })
}

/// `POST /role_sets/{role_set_key_or_id}/roles/replace`: members holding the old role get the
/// new one.
pub(crate) fn replace_role(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let from = req.required_str("role_key")?.to_string();
    let to = req.required_str("to_role_key")?.to_string();
    let state = state(ctx);
    let id = find_set(state, req.path_param("role_set_key_or_id"))?;
    let set_key = found(&state.role_sets, "role set", &id)?["key"].clone();
    if !state.roles.values().any(|r| r["key"] == to.as_str()) {
        return Err(ApiError::not_found("organization role with key", &to));
    }
    let reply = modify_set(ctx, req, |_, set| {
        let mut keys = set_keys(set);
        if !keys.contains(&from) {
            return Err(ApiError::param_value(
                "role_key",
                "must name one of the role set's roles",
            ));
        }
        if from == to {
            return Err(ApiError::param_value(
                "to_role_key",
                "must differ from role_key",
            ));
        }
        keys.retain(|k| *k != from);
        if !keys.contains(&to) {
            keys.push(to.clone());
        }
        for slot in ["default_role", "creator_role"] {
            if set[slot] == from.as_str() {
                set[slot] = Value::from(to.clone());
            }
        }
        set["roles"] = json!(keys);
        Ok(())
    })?;
    reassign_members(ctx.store, &set_key, |role| {
        (role == from).then(|| to.clone())
    });
    Ok(reply)
}

/// Gives members of organizations using the role set `set_key` the role `map` picks.
fn reassign_members(store: &mut Store, set_key: &Value, map: impl Fn(&str) -> Option<String>) {
    let orgs: Vec<Value> = store
        .organizations
        .values()
        .filter(|o| o["role_set_key"] == *set_key)
        .map(|o| o["id"].clone())
        .collect();
    for m in store.memberships.values_mut() {
        if orgs.contains(&m["organization_id"])
            && let Some(new) = m["role"].as_str().and_then(&map)
        {
            m["role"] = Value::from(new);
        }
    }
}

/// `POST /role_sets/{role_set_key_or_id}/replace`: organizations move to another role set and
/// this one is deleted.
pub(crate) fn replace_role_set(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let dest_key = req.required_str("dest_role_set_key")?.to_string();
    let state = state(ctx);
    let id = find_set(state, req.path_param("role_set_key_or_id"))?;
    let dest_id =
        find_set(state, &dest_key).map_err(|_| ApiError::not_found("role set", &dest_key))?;
    if dest_id == id {
        return Err(ApiError::param_value(
            "dest_role_set_key",
            "must name another role set",
        ));
    }
    let source = found(&state.role_sets, "role set", &id)?.clone();
    let dest_roles = set_keys(found(&state.role_sets, "role set", &dest_id)?);
    let mappings = req
        .field("reassignment_mappings")
        .cloned()
        .unwrap_or(Value::Null);
    // Members whose role the destination does not have need a mapping.
    let store = &*ctx.store;
    for m in store.memberships.values() {
        let in_source_org = store
            .organizations
            .get(m["organization_id"].as_str().unwrap_or_default())
            .is_some_and(|o| o["role_set_key"] == source["key"]);
        let role = m["role"].as_str().unwrap_or_default();
        let mapped = mappings[role].as_str().unwrap_or(role);
        if in_source_org && !dest_roles.iter().any(|k| k == mapped) {
            return Err(refused(
                "role_reassignment_required",
                "a role needs a mapping",
                format!("Members hold the role {role}, which the destination role set lacks; map it in reassignment_mappings."),
            )
            .param("reassignment_mappings"));
        }
    }
    reassign_members(ctx.store, &source["key"], |role| {
        mappings[role].as_str().map(str::to_string)
    });
    for org in ctx.store.organizations.values_mut() {
        if org["role_set_key"] == source["key"] {
            org["role_set_key"] = Value::from(dest_key.clone());
        }
    }
    let state = &mut ctx.store.managed;
    state.role_sets.remove(&id);
    if source["type"] == "initial" {
        make_initial(state, &dest_id);
    }
    Ok(Reply::ok(deleted("role_set", &id)))
}
