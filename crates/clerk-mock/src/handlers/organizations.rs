//! Organizations, their memberships and their invitations.

use super::filters::Prefixed;
use super::managed::{instance, roles};
use super::users::{self, find as find_user, primary_email, public_user_data};
use super::{Ctx, Reply, looks_like_email, metadata, now, order_by, paginated, time_field};
use crate::error::ApiError;
use crate::request::Req;
use crate::store::{Store, deep_merge, sort_rows};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

const ADMIN_PERMISSIONS: &[&str] = &[
    "org:sys_profile:manage",
    "org:sys_profile:delete",
    "org:sys_memberships:read",
    "org:sys_memberships:manage",
    "org:sys_domains:read",
    "org:sys_domains:manage",
];
const MEMBER_PERMISSIONS: &[&str] = &["org:sys_memberships:read"];

// ---------------------------------------------------------------------------------------------
// Organizations.

/// The organization named by id or slug (Clerk accepts both in paths).
fn find<'s>(store: &'s Store, id_or_slug: &str) -> Result<&'s Value, ApiError> {
    store
        .organizations
        .get(id_or_slug)
        .or_else(|| {
            store
                .organizations
                .values()
                .find(|o| o["slug"] == id_or_slug)
        })
        .ok_or_else(|| ApiError::not_found("organization", id_or_slug))
}

fn find_id(store: &Store, id_or_slug: &str) -> Result<String, ApiError> {
    Ok(find(store, id_or_slug)?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// The organization as answered: with its member and pending invitation counts.
fn render(store: &Store, org: &Value) -> Value {
    let mut out = org.clone();
    let id = &org["id"];
    let members = store
        .memberships
        .values()
        .filter(|m| &m["organization_id"] == id)
        .count();
    let pending = store
        .organization_invitations
        .values()
        .filter(|i| &i["organization_id"] == id && i["status"] == "pending")
        .count();
    out["members_count"] = Value::from(members);
    out["pending_invitations_count"] = Value::from(pending);
    out
}

fn render_id(store: &Store, id: &str) -> Result<Value, ApiError> {
    Ok(render(store, find(store, id)?))
}

fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "organization".into()
    } else {
        slug
    }
}

fn slug_taken(store: &Store, slug: &str, own_id: Option<&str>) -> bool {
    store
        .organizations
        .values()
        .any(|o| o["slug"] == slug && Some(o["id"].as_str().unwrap_or_default()) != own_id)
}

/// `POST /organizations`.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::param_value("name", "must not be empty"));
    }
    let slug = match req.str_field("slug") {
        Some(slug) => {
            if slug_taken(ctx.store, slug, None) {
                return Err(ApiError::identifier_exists("slug", "slug"));
            }
            slug.to_string()
        }
        None => {
            // A slug derived from the name is made unique rather than rejected.
            let base = slugify(&name);
            let mut slug = base.clone();
            let mut n = 1;
            while slug_taken(ctx.store, &slug, None) {
                n += 1;
                slug = format!("{base}-{n}");
            }
            slug
        }
    };
    let creator = req.str_field("created_by").map(str::to_string);
    if let Some(creator) = &creator {
        find_user(ctx.store, creator)?;
    }
    let at = time_field(req, "created_at")?.unwrap_or_else(now);
    let (creator_role, max_memberships, admin_delete) = instance::organization_defaults(ctx.store);
    let id = ctx.id("org");
    let org = json!({
        "object": "organization",
        "id": id,
        "name": name,
        "slug": slug,
        "image_url": "",
        "has_image": false,
        "max_allowed_memberships": req.i64_field("max_allowed_memberships").unwrap_or(max_memberships),
        "admin_delete_enabled": admin_delete,
        "public_metadata": metadata(req, "public_metadata"),
        "private_metadata": metadata(req, "private_metadata"),
        "created_by": creator.clone().unwrap_or_default(),
        "role_set_key": req.field("role_set_key").cloned().unwrap_or(Value::Null),
        "created_at": at,
        "updated_at": at,
    });
    ctx.store.organizations.insert(id.clone(), org);
    let rendered = render_id(ctx.store, &id)?;
    ctx.emit("organization.created", |_| rendered.clone());
    if let Some(creator) = creator {
        add_member(ctx, &id, &creator, &creator_role, json!({}), json!({}))?;
    }
    Ok(Reply::ok(render_id(ctx.store, &id)?))
}

/// `GET /organizations/{organization_id}` (id or slug).
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(render_id(
        ctx.store,
        req.path_param("organization_id"),
    )?))
}

/// `GET /organizations`.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let order = order_by(req, &["name", "created_at", "members_count"], "-created_at")?;
    let query = req
        .query("query")
        .map(str::to_lowercase)
        .filter(|q| !q.is_empty());
    let user_ids = Prefixed::new(&req.query_all("user_id"), false);
    let org_ids = Prefixed::new(&req.query_all("organization_id"), false);
    let store = &*ctx.store;
    let mut rows: Vec<Value> = store
        .organizations
        .ordered()
        .into_iter()
        .filter(|o| {
            query.as_deref().is_none_or(|q| {
                ["id", "name", "slug"]
                    .iter()
                    .any(|f| o[*f].as_str().is_some_and(|v| v.to_lowercase().contains(q)))
            })
        })
        .filter(|o| {
            org_ids
                .as_ref()
                .is_none_or(|want| want.accepts(o["id"].as_str()))
        })
        .filter(|o| {
            user_ids.as_ref().is_none_or(|want| {
                let members: Vec<&str> = store
                    .memberships
                    .values()
                    .filter(|m| m["organization_id"] == o["id"])
                    .filter_map(|m| m["user_id"].as_str())
                    .collect();
                want.accepts_any(members.iter().copied())
            })
        })
        .map(|o| render(store, o))
        .collect();
    sort_rows(&mut rows, &order, |o| o[order.field.as_str()].clone());
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// Applies `change` to an organization, stamps it, emits `organization.updated`, answers it.
fn modify(
    ctx: &mut Ctx<'_>,
    id_or_slug: &str,
    change: impl FnOnce(&mut Value) -> Result<(), ApiError>,
) -> Result<Reply, ApiError> {
    let id = find_id(ctx.store, id_or_slug)?;
    let mut org = find(ctx.store, &id)?.clone();
    change(&mut org)?;
    org["updated_at"] = Value::from(now());
    if let Some(slot) = ctx.store.organizations.get_mut(&id) {
        *slot = org;
    }
    let rendered = render_id(ctx.store, &id)?;
    ctx.emit("organization.updated", |_| rendered.clone());
    Ok(Reply::ok(rendered))
}

/// `PATCH /organizations/{organization_id}`.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = find_id(ctx.store, req.path_param("organization_id"))?;
    if let Some(slug) = req.str_field("slug")
        && slug_taken(ctx.store, slug, Some(&id))
    {
        return Err(ApiError::identifier_exists("slug", "slug"));
    }
    let created_at = time_field(req, "created_at")?;
    modify(ctx, &id, |org| {
        for field in [
            "name",
            "slug",
            "max_allowed_memberships",
            "admin_delete_enabled",
        ] {
            if let Some(value) = req.field(field) {
                org[field] = value.clone();
            }
        }
        if req.body.get("role_set_key").is_some() {
            org["role_set_key"] = req.body["role_set_key"].clone();
        }
        if let Some(at) = created_at {
            org["created_at"] = Value::from(at);
        }
        Ok(())
    })
}

/// `DELETE /organizations/{organization_id}`: also removes its memberships and invitations.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = find_id(ctx.store, req.path_param("organization_id"))?;
    let org = ctx.store.organizations.remove(&id).unwrap_or(Value::Null);
    let store = &mut *ctx.store;
    for membership_id in store.memberships.ids() {
        if store
            .memberships
            .get(&membership_id)
            .is_some_and(|m| m["organization_id"] == id.as_str())
        {
            store.memberships.remove(&membership_id);
        }
    }
    for invitation_id in store.organization_invitations.ids() {
        if store
            .organization_invitations
            .get(&invitation_id)
            .is_some_and(|i| i["organization_id"] == id.as_str())
        {
            store.organization_invitations.remove(&invitation_id);
        }
    }
    let answer =
        json!({ "object": "organization", "id": id, "slug": org["slug"], "deleted": true });
    ctx.emit("organization.deleted", |_| {
        super::deleted("organization", &id)
    });
    Ok(Reply::ok(answer))
}

/// `PATCH /organizations/{organization_id}/metadata`: deep merge, `null` removes a key.
pub(crate) fn merge_metadata(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify(ctx, req.path_param("organization_id"), |org| {
        for field in ["public_metadata", "private_metadata"] {
            if let Some(patch) = req.field(field) {
                if !org[field].is_object() {
                    org[field] = json!({});
                }
                deep_merge(&mut org[field], patch);
            }
        }
        Ok(())
    })
}

/// `PUT /organizations/{organization_id}/metadata`.
pub(crate) fn replace_metadata(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify(ctx, req.path_param("organization_id"), |org| {
        for field in ["public_metadata", "private_metadata"] {
            if req.body.get(field).is_some() {
                org[field] = metadata(req, field);
            }
        }
        Ok(())
    })
}

/// `PUT /organizations/{organization_id}/logo`.
pub(crate) fn upload_logo(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = find_id(ctx.store, req.path_param("organization_id"))?;
    let url = format!("https://img.clerk.com/mock/{id}?v={}", now());
    let mut reply = modify(ctx, &id, |org| {
        org["has_image"] = Value::Bool(true);
        org["image_url"] = Value::from(url.clone());
        Ok(())
    })?;
    if let Some(body) = reply.body.as_mut() {
        body["logo_url"] = Value::from(url);
    }
    Ok(reply)
}

/// `DELETE /organizations/{organization_id}/logo`.
pub(crate) fn delete_logo(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify(ctx, req.path_param("organization_id"), |org| {
        org["has_image"] = Value::Bool(false);
        org["image_url"] = Value::from("");
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Memberships.

fn role_name(role: &str) -> String {
    let bare = role.strip_prefix("org:").unwrap_or(role);
    let mut chars = bare.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars)
            .collect::<String>()
            .replace('_', " "),
        None => String::new(),
    }
}

fn permissions(store: &Store, role: &str) -> Value {
    if let Some(keys) = roles::permission_keys(store, role) {
        return json!(keys);
    }
    let list = match role {
        "org:admin" | "admin" => ADMIN_PERMISSIONS,
        _ => MEMBER_PERMISSIONS,
    };
    json!(list)
}

/// The `OrganizationMembership` answer for a stored membership.
fn render_membership(store: &Store, m: &Value) -> Value {
    let org = m["organization_id"]
        .as_str()
        .and_then(|id| store.organizations.get(id));
    let user = m["user_id"].as_str().and_then(|id| store.users.get(id));
    let role = m["role"].as_str().unwrap_or_default();
    json!({
        "id": m["id"],
        "object": "organization_membership",
        "role": role,
        "role_name": roles::role_name(store, role).unwrap_or_else(|| role_name(role)),
        "permissions": permissions(store, role),
        "public_metadata": m["public_metadata"],
        "private_metadata": m["private_metadata"],
        "organization": org.map(|o| render(store, o)).unwrap_or(Value::Null),
        "public_user_data": user.map(public_user_data).unwrap_or(Value::Null),
        "created_at": m["created_at"],
        "updated_at": m["updated_at"],
    })
}

fn membership_id(store: &Store, org_id: &str, user_id: &str) -> Option<String> {
    store
        .memberships
        .values()
        .find(|m| m["organization_id"] == org_id && m["user_id"] == user_id)
        .and_then(|m| m["id"].as_str().map(str::to_string))
}

fn add_member(
    ctx: &mut Ctx<'_>,
    org_id: &str,
    user_id: &str,
    role: &str,
    public_metadata: Value,
    private_metadata: Value,
) -> Result<Value, ApiError> {
    let user = find_user(ctx.store, user_id)?;
    if membership_id(ctx.store, org_id, user_id).is_some() {
        let who = primary_email(user).unwrap_or(user_id).to_string();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "already_a_member_in_organization",
            "already a member",
            format!("{who} is already a member of the organization."),
        ));
    }
    let org = find(ctx.store, org_id)?;
    let limit = org["max_allowed_memberships"].as_i64().unwrap_or(0);
    let count = ctx
        .store
        .memberships
        .values()
        .filter(|m| m["organization_id"] == org_id)
        .count() as i64;
    if limit > 0 && count >= limit {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "organization_membership_quota_exceeded",
            "organization membership quota exceeded",
            format!("This organization allows at most {limit} memberships."),
        ));
    }
    let at = now();
    let id = ctx.id("orgmem");
    let stored = json!({
        "id": id,
        "organization_id": org_id,
        "user_id": user_id,
        "role": role,
        "public_metadata": public_metadata,
        "private_metadata": private_metadata,
        "created_at": at,
        "updated_at": at,
    });
    ctx.store.memberships.insert(id, stored.clone());
    let rendered = render_membership(ctx.store, &stored);
    ctx.emit("organizationMembership.created", |_| rendered.clone());
    Ok(rendered)
}

/// `POST /organizations/{organization_id}/memberships`.
pub(crate) fn create_membership(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let org_id = find_id(ctx.store, req.path_param("organization_id"))?;
    let user_id = req.required_str("user_id")?;
    let role = req.required_str("role")?;
    let membership = add_member(
        ctx,
        &org_id,
        user_id,
        role,
        metadata(req, "public_metadata"),
        metadata(req, "private_metadata"),
    )?;
    Ok(Reply::ok(membership))
}

const MEMBERSHIP_ORDER: &[&str] = &[
    "created_at",
    "first_name",
    "last_name",
    "email_address",
    "phone_number",
    "username",
];

/// Memberships matching the filters of a membership listing, sorted, as answers.
fn list_memberships_of(
    store: &Store,
    req: &Req,
    org_id: Option<&str>,
    user_id: Option<&str>,
) -> Result<Vec<Value>, ApiError> {
    let order = order_by(req, MEMBERSHIP_ORDER, "-created_at")?;
    let user_ids = Prefixed::new(&req.query_all("user_id"), false);
    let roles = req.query_all("role");
    let emails: Vec<String> = req
        .query_all("email_address")
        .iter()
        .map(|e| e.to_lowercase())
        .collect();
    let phones = req.query_all("phone_number");
    let usernames: Vec<String> = req
        .query_all("username")
        .iter()
        .map(|u| u.to_lowercase())
        .collect();
    let text = |name: &str| {
        req.query(name)
            .map(str::to_lowercase)
            .filter(|q| !q.is_empty())
    };
    let (query, name_query, email_query, username_query, phone_query) = (
        text("query"),
        text("name_query"),
        text("email_address_query"),
        text("username_query"),
        text("phone_number_query"),
    );
    let has = |value: &Value, q: &str| value.as_str().is_some_and(|v| v.to_lowercase().contains(q));

    let mut rows: Vec<(Value, Value)> = Vec::new();
    for m in store.memberships.ordered() {
        if org_id.is_some_and(|o| m["organization_id"] != o)
            || user_id.is_some_and(|u| m["user_id"] != u)
        {
            continue;
        }
        let user = m["user_id"]
            .as_str()
            .and_then(|id| store.users.get(id))
            .cloned()
            .unwrap_or(Value::Null);
        let user_emails: Vec<String> = user["email_addresses"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["email_address"].as_str().map(str::to_lowercase))
                    .collect()
            })
            .unwrap_or_default();
        let user_phones: Vec<&str> = user["phone_numbers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p["phone_number"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let keep = user_ids
            .as_ref()
            .is_none_or(|want| want.accepts(m["user_id"].as_str()))
            && (roles.is_empty() || roles.iter().any(|r| m["role"] == *r))
            && (emails.is_empty() || user_emails.iter().any(|e| emails.contains(e)))
            && (phones.is_empty() || user_phones.iter().any(|p| phones.contains(p)))
            && (usernames.is_empty()
                || user["username"]
                    .as_str()
                    .is_some_and(|u| usernames.contains(&u.to_lowercase())))
            && req.query_all("web3_wallet").is_empty()
            && name_query
                .as_deref()
                .is_none_or(|q| has(&user["first_name"], q) || has(&user["last_name"], q))
            && email_query
                .as_deref()
                .is_none_or(|q| user_emails.iter().any(|e| e.contains(q)))
            && phone_query
                .as_deref()
                .is_none_or(|q| user_phones.iter().any(|p| p.contains(q)))
            && username_query
                .as_deref()
                .is_none_or(|q| has(&user["username"], q))
            && query.as_deref().is_none_or(|q| {
                has(&user["id"], q)
                    || has(&user["first_name"], q)
                    || has(&user["last_name"], q)
                    || has(&user["username"], q)
                    || user_emails.iter().any(|e| e.contains(q))
                    || user_phones.iter().any(|p| p.contains(q))
            })
            && time_bounds(req, "created_at", &m["created_at"])
            && time_bounds(req, "last_active_at", &user["last_active_at"]);
        if keep {
            rows.push((m.clone(), user));
        }
    }
    sort_rows(&mut rows, &order, |(m, user)| match order.field.as_str() {
        "created_at" => m["created_at"].clone(),
        "email_address" => users::primary_email(user)
            .map(Value::from)
            .unwrap_or(Value::Null),
        "phone_number" => users::primary_phone(user)
            .map(Value::from)
            .unwrap_or(Value::Null),
        field => user[field].clone(),
    });
    Ok(rows
        .iter()
        .map(|(m, _)| render_membership(store, m))
        .collect())
}

fn time_bounds(req: &Req, field: &str, value: &Value) -> bool {
    let value = value.as_i64();
    req.query_i64(&format!("{field}_before"))
        .is_none_or(|t| value.is_some_and(|v| v < t))
        && req
            .query_i64(&format!("{field}_after"))
            .is_none_or(|t| value.is_some_and(|v| v > t))
}

/// `GET /organizations/{organization_id}/memberships`.
pub(crate) fn list_memberships(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let org_id = find_id(ctx.store, req.path_param("organization_id"))?;
    let rows = list_memberships_of(ctx.store, req, Some(&org_id), None)?;
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `GET /organization_memberships` (every organization).
pub(crate) fn instance_memberships(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let rows = list_memberships_of(ctx.store, req, None, None)?;
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `GET /users/{user_id}/organization_memberships`.
pub(crate) fn user_memberships(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let user_id = req.path_param("user_id");
    find_user(ctx.store, user_id)?;
    let rows = list_memberships_of(ctx.store, req, None, Some(user_id))?;
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// The stored membership of the path's organization and user.
fn path_membership(store: &Store, req: &Req) -> Result<String, ApiError> {
    let org_id = find_id(store, req.path_param("organization_id"))?;
    let user_id = req.path_param("user_id");
    membership_id(store, &org_id, user_id)
        .ok_or_else(|| ApiError::not_found("organization membership for user", user_id))
}

fn modify_membership(
    ctx: &mut Ctx<'_>,
    req: &Req,
    change: impl FnOnce(&mut Value),
) -> Result<Reply, ApiError> {
    let id = path_membership(ctx.store, req)?;
    let Some(m) = ctx.store.memberships.get_mut(&id) else {
        return Err(ApiError::not_found("organization membership", &id));
    };
    change(m);
    m["updated_at"] = Value::from(now());
    let stored = m.clone();
    let rendered = render_membership(ctx.store, &stored);
    ctx.emit("organizationMembership.updated", |_| rendered.clone());
    Ok(Reply::ok(rendered))
}

/// `PATCH /organizations/{organization_id}/memberships/{user_id}`.
pub(crate) fn update_membership(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let role = req.required_str("role")?.to_string();
    modify_membership(ctx, req, |m| m["role"] = Value::from(role))
}

/// `PATCH /organizations/{organization_id}/memberships/{user_id}/metadata`.
pub(crate) fn membership_metadata(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    modify_membership(ctx, req, |m| {
        for field in ["public_metadata", "private_metadata"] {
            if let Some(patch) = req.field(field) {
                if !m[field].is_object() {
                    m[field] = json!({});
                }
                deep_merge(&mut m[field], patch);
            }
        }
    })
}

/// `DELETE /organizations/{organization_id}/memberships/{user_id}`: answers the removed membership.
pub(crate) fn delete_membership(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = path_membership(ctx.store, req)?;
    let stored = ctx
        .store
        .memberships
        .get(&id)
        .cloned()
        .unwrap_or(Value::Null);
    let rendered = render_membership(ctx.store, &stored);
    ctx.store.memberships.remove(&id);
    let after = render_membership(ctx.store, &stored);
    ctx.emit("organizationMembership.deleted", |_| after.clone());
    let mut answer = rendered;
    // The organization in the answer counts members after the removal.
    answer["organization"] = after["organization"].clone();
    Ok(Reply::ok(answer))
}

// ---------------------------------------------------------------------------------------------
// Invitations.

fn inviter_data(store: &Store, inviter: Option<&str>) -> Value {
    let Some(user) = inviter.and_then(|id| store.users.get(id)) else {
        return Value::Null;
    };
    json!({
        "user_id": user["id"],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "image_url": user["image_url"],
        "has_image": user["has_image"],
        "identifier": primary_email(user).unwrap_or_default(),
    })
}

fn create_invitation_from(
    ctx: &mut Ctx<'_>,
    org_id: &str,
    item: &Map<String, Value>,
    prefix: &str,
) -> Result<Value, ApiError> {
    let field = |key: &str| item.get(key).filter(|v| !v.is_null());
    let name = |key: &str| format!("{prefix}{key}");
    let email = field("email_address")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::param_missing(&name("email_address")))?;
    let role = field("role")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::param_missing(&name("role")))?;
    if !looks_like_email(email) {
        return Err(ApiError::param_format(
            &name("email_address"),
            "a valid email address",
        ));
    }
    let inviter = field("inviter_user_id").and_then(Value::as_str);
    if let Some(inviter) = inviter {
        find_user(ctx.store, inviter)?;
    }
    let duplicate = ctx.store.organization_invitations.values().any(|i| {
        i["organization_id"] == org_id
            && i["status"] == "pending"
            && i["email_address"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
    });
    if duplicate {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "organization_invitation_not_unique",
            "organization invitation not unique",
            format!("{email} already has a pending invitation to this organization."),
        ));
    }
    let at = now();
    let days = field("expires_in_days")
        .and_then(Value::as_i64)
        .unwrap_or(30);
    let object = |key: &str| match field(key) {
        Some(v @ Value::Object(_)) => v.clone(),
        _ => json!({}),
    };
    let id = ctx.id("orginv");
    let invitation = json!({
        "object": "organization_invitation",
        "id": id,
        "email_address": email,
        "role": role,
        "role_name": roles::role_name(ctx.store, role).unwrap_or_else(|| role_name(role)),
        "organization_id": org_id,
        "inviter_id": inviter,
        "public_inviter_data": inviter_data(ctx.store, inviter),
        "status": "pending",
        "public_metadata": object("public_metadata"),
        "private_metadata": object("private_metadata"),
        "url": field("redirect_url").cloned().unwrap_or(Value::Null),
        "expires_at": at + days * 86_400_000,
        "created_at": at,
        "updated_at": at,
    });
    ctx.store
        .organization_invitations
        .insert(id, invitation.clone());
    ctx.emit("organizationInvitation.created", |_| invitation.clone());
    Ok(invitation)
}

/// `POST /organizations/{organization_id}/invitations`.
pub(crate) fn create_invitation(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let org_id = find_id(ctx.store, req.path_param("organization_id"))?;
    let body = req.body.as_object().cloned().unwrap_or_default();
    Ok(Reply::ok(create_invitation_from(ctx, &org_id, &body, "")?))
}

/// `POST /organizations/{organization_id}/invitations/bulk`: all or nothing.
pub(crate) fn create_invitations_bulk(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let org_id = find_id(ctx.store, req.path_param("organization_id"))?;
    let items: Vec<Map<String, Value>> = req
        .body
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
        .unwrap_or_default();
    let mut created: Vec<Value> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match create_invitation_from(ctx, &org_id, item, &format!("[{i}].")) {
            Ok(invitation) => created.push(invitation),
            Err(e) => {
                for inv in &created {
                    ctx.store
                        .organization_invitations
                        .remove(inv["id"].as_str().unwrap_or_default());
                }
                return Err(e);
            }
        }
    }
    let total = created.len();
    Ok(Reply::ok(json!({ "data": created, "total_count": total })))
}

fn invitation_rows(
    store: &Store,
    req: &Req,
    keep: impl Fn(&Value) -> bool,
) -> Result<Vec<Value>, ApiError> {
    let order = order_by(req, &["created_at", "email_address"], "-created_at")?;
    let status = req.query("status");
    let email = req.query("email_address");
    let query = req
        .query("query")
        .map(str::to_lowercase)
        .filter(|q| !q.is_empty());
    let mut rows: Vec<Value> = store
        .organization_invitations
        .ordered()
        .into_iter()
        .filter(|i| keep(i))
        .filter(|i| status.is_none_or(|s| i["status"] == s))
        .filter(|i| {
            email.is_none_or(|e| {
                i["email_address"]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case(e))
            })
        })
        .filter(|i| {
            query.as_deref().is_none_or(|q| {
                i["email_address"]
                    .as_str()
                    .is_some_and(|v| v.to_lowercase().contains(q))
            })
        })
        .cloned()
        .collect();
    sort_rows(&mut rows, &order, |i| i[order.field.as_str()].clone());
    Ok(rows)
}

/// An invitation with the public data of its organization.
fn with_organization(store: &Store, invitation: Value) -> Value {
    let mut out = invitation;
    let org = out["organization_id"]
        .as_str()
        .and_then(|id| store.organizations.get(id))
        .cloned();
    if let Some(org) = org {
        out["public_organization_data"] = json!({
            "id": org["id"],
            "name": org["name"],
            "slug": org["slug"],
            "image_url": org["image_url"],
            "has_image": org["has_image"],
        });
    }
    out
}

/// `GET /organizations/{organization_id}/invitations`.
pub(crate) fn list_invitations(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let org_id = find_id(ctx.store, req.path_param("organization_id"))?;
    let rows = invitation_rows(ctx.store, req, |i| i["organization_id"] == org_id.as_str())?;
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `GET /organizations/{organization_id}/invitations/pending`.
pub(crate) fn list_pending_invitations(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let org_id = find_id(ctx.store, req.path_param("organization_id"))?;
    let rows = invitation_rows(ctx.store, req, |i| {
        i["organization_id"] == org_id.as_str() && i["status"] == "pending"
    })?;
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `GET /organization_invitations` (every organization).
pub(crate) fn instance_invitations(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let rows = invitation_rows(ctx.store, req, |_| true)?;
    let rows = rows
        .into_iter()
        .map(|i| with_organization(ctx.store, i))
        .collect();
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `GET /users/{user_id}/organization_invitations`: invitations sent to the user's addresses.
pub(crate) fn user_invitations(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let user = find_user(ctx.store, req.path_param("user_id"))?;
    let emails: Vec<String> = user["email_addresses"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["email_address"].as_str().map(str::to_lowercase))
                .collect()
        })
        .unwrap_or_default();
    let rows = invitation_rows(ctx.store, req, |i| {
        i["email_address"]
            .as_str()
            .is_some_and(|e| emails.contains(&e.to_lowercase()))
    })?;
    let rows = rows
        .into_iter()
        .map(|i| with_organization(ctx.store, i))
        .collect();
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

fn path_invitation(store: &Store, req: &Req) -> Result<String, ApiError> {
    let org_id = find_id(store, req.path_param("organization_id"))?;
    let id = req.path_param("invitation_id");
    store
        .organization_invitations
        .get(id)
        .filter(|i| i["organization_id"] == org_id.as_str())
        .map(|_| id.to_string())
        .ok_or_else(|| ApiError::not_found("organization invitation", id))
}

/// `GET /organizations/{organization_id}/invitations/{invitation_id}`.
pub(crate) fn get_invitation(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = path_invitation(ctx.store, req)?;
    Ok(Reply::ok(
        ctx.store
            .organization_invitations
            .get(&id)
            .cloned()
            .unwrap_or(Value::Null),
    ))
}

/// `POST /organizations/{organization_id}/invitations/{invitation_id}/revoke`.
pub(crate) fn revoke_invitation(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = path_invitation(ctx.store, req)?;
    let Some(invitation) = ctx.store.organization_invitations.get_mut(&id) else {
        return Err(ApiError::not_found("organization invitation", &id));
    };
    match invitation["status"].as_str() {
        Some("pending") => {}
        Some("accepted") => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invitation_already_accepted",
                "Invitation is already accepted.",
                "This invitation was accepted; it can no longer be revoked.",
            ));
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invitation_already_revoked",
                "Invitation is already revoked.",
                "This invitation is no longer pending.",
            ));
        }
    }
    invitation["status"] = Value::from("revoked");
    invitation["updated_at"] = Value::from(now());
    let revoked = invitation.clone();
    ctx.emit("organizationInvitation.revoked", |_| revoked.clone());
    Ok(Reply::ok(revoked))
}
