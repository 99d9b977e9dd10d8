//! Domains of organizations: which email domains join an organization, and how.

use super::{found, state, template};
use crate::error::ApiError;
use crate::handlers::filters::Prefixed;
use crate::handlers::{Ctx, Reply, deleted, now, order_by, paginated};
use crate::request::Req;
use crate::store::{Store, sort_rows};
use serde_json::{Value, json};

const ENROLLMENT_MODES: &[&str] = &[
    "manual_invitation",
    "automatic_invitation",
    "automatic_suggestion",
    "enterprise_sso",
];

/// The organization the path names (by id or slug), as its id.
fn organization_id(store: &Store, req: &Req) -> Result<String, ApiError> {
    let key = req.path_param("organization_id");
    store
        .organizations
        .get(key)
        .or_else(|| store.organizations.values().find(|o| o["slug"] == key))
        .and_then(|o| o["id"].as_str().map(str::to_string))
        .ok_or_else(|| ApiError::not_found("organization", key))
}

fn check_mode(mode: &str) -> Result<(), ApiError> {
    if ENROLLMENT_MODES.contains(&mode) {
        Ok(())
    } else {
        Err(ApiError::param_value(
            "enrollment_mode",
            &format!("must be one of {}", ENROLLMENT_MODES.join(", ")),
        ))
    }
}

fn verification(verified: bool, strategy: &str) -> Value {
    let at = now();
    if verified {
        json!({ "status": "verified", "strategy": strategy, "attempts": null, "expire_at": null, "verified_at": at })
    } else {
        json!({ "status": "unverified", "strategy": "email_code", "attempts": 0, "expire_at": null, "verified_at": null })
    }
}

/// A domain as answered: with its organization's public data and pending invitation count.
fn render(store: &Store, domain: &Value) -> Value {
    let mut out = domain.clone();
    let org = domain["organization_id"]
        .as_str()
        .and_then(|id| store.organizations.get(id));
    if let Some(org) = org {
        out["public_organization_data"] = json!({
            "id": org["id"], "name": org["name"], "slug": org["slug"],
            "image_url": org["image_url"], "has_image": org["has_image"],
        });
    }
    let suffix = format!("@{}", domain["name"].as_str().unwrap_or_default());
    out["total_pending_invitations"] = Value::from(
        store
            .organization_invitations
            .values()
            .filter(|i| {
                i["organization_id"] == domain["organization_id"]
                    && i["status"] == "pending"
                    && i["email_address"]
                        .as_str()
                        .is_some_and(|e| e.to_lowercase().ends_with(&suffix))
            })
            .count(),
    );
    out
}

fn is_verified(domain: &Value) -> bool {
    domain["verification"]["status"] == "verified"
}

/// Domains of living organizations (a deleted organization's domains go with it).
fn rows(store: &Store) -> impl Iterator<Item = &Value> {
    store.managed.org_domains.values().filter(|d| {
        d["organization_id"]
            .as_str()
            .is_some_and(|id| store.organizations.contains(id))
    })
}

/// `verified=true|false`.
fn verified_filter(req: &Req) -> Result<Option<bool>, ApiError> {
    match req.query("verified") {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::param_format("verified", "true or false")),
    }
}

/// `GET /organizations/{organization_id}/domains`.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let org_id = organization_id(ctx.store, req)?;
    let verified = verified_filter(req)?;
    let modes = Prefixed::new(&req.query_all("enrollment_mode"), false);
    let store = &*ctx.store;
    let mut list: Vec<Value> = rows(store)
        .filter(|d| d["organization_id"] == org_id.as_str())
        .filter(|d| verified.is_none_or(|v| is_verified(d) == v))
        .filter(|d| {
            modes
                .as_ref()
                .is_none_or(|m| m.accepts(d["enrollment_mode"].as_str()))
        })
        .map(|d| render(store, d))
        .collect();
    list.reverse();
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(list, limit, offset)))
}

/// `GET /organization_domains`: every organization's domains.
pub(crate) fn list_all(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let order = order_by(req, &["name", "created_at"], "-created_at")?;
    let verified = verified_filter(req)?;
    let modes = Prefixed::new(&req.query_all("enrollment_mode"), false);
    let names: Vec<String> = req
        .query_all("domains")
        .iter()
        .map(|d| d.to_lowercase())
        .collect();
    let query = req.query("query");
    if query.is_some_and(|q| q.trim().is_empty()) {
        return Err(ApiError::param_value("query", "must not be empty"));
    }
    let org = req.query("organization_id");
    let store = &*ctx.store;
    let mut list: Vec<Value> = rows(store)
        .filter(|d| org.is_none_or(|o| d["organization_id"] == o))
        .filter(|d| verified.is_none_or(|v| is_verified(d) == v))
        .filter(|d| {
            modes
                .as_ref()
                .is_none_or(|m| m.accepts(d["enrollment_mode"].as_str()))
        })
        .filter(|d| names.is_empty() || names.iter().any(|n| d["name"] == n.as_str()))
        .filter(|d| match query {
            None => true,
            Some(q) if q.starts_with("org_") => d["organization_id"] == q,
            Some(q) => d["name"]
                .as_str()
                .is_some_and(|n| n.contains(&q.to_lowercase())),
        })
        .map(|d| render(store, d))
        .collect();
    sort_rows(&mut list, &order, |d| d[order.field.as_str()].clone());
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(list, limit, offset)))
}

/// `POST /organizations/{organization_id}/domains`: verified unless `verified` is false.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let org_id = organization_id(ctx.store, req)?;
    let name = req.required_str("name")?.trim().to_lowercase();
    let looks_like_domain = name.contains('.')
        && !name.starts_with('.')
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !looks_like_domain {
        return Err(ApiError::param_format(
            "name",
            "a domain name, like example.com",
        ));
    }
    let mode = req
        .str_field("enrollment_mode")
        .unwrap_or("manual_invitation");
    check_mode(mode)?;
    let store = &*ctx.store;
    if rows(store).any(|d| d["organization_id"] == org_id.as_str() && d["name"] == name.as_str()) {
        return Err(ApiError::identifier_exists("name", "domain"));
    }
    let verified = req.bool_field("verified").unwrap_or(true);
    let mut domain = template(ctx.env, "CreateOrganizationDomain");
    let id = ctx.id("orgdmn");
    let at = now();
    domain["id"] = Value::from(id.clone());
    domain["organization_id"] = Value::from(org_id);
    domain["name"] = Value::from(name);
    domain["enrollment_mode"] = Value::from(mode);
    domain["affiliation_email_address"] = Value::Null;
    domain["affiliation_verification"] = Value::Null;
    domain["ownership_verification"] = Value::Null;
    domain["verification"] = verification(verified, "admin");
    domain["total_pending_invitations"] = Value::from(0);
    domain["total_pending_suggestions"] = Value::from(0);
    domain["created_at"] = Value::from(at);
    domain["updated_at"] = Value::from(at);
    state(ctx).org_domains.insert(id.clone(), domain);
    answer(ctx, &id)
}

fn answer(ctx: &mut Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let store = &*ctx.store;
    let domain = found(&store.managed.org_domains, "organization domain", id)?;
    Ok(Reply::ok(render(store, domain)))
}

/// The domain the path names, checked to belong to the path's organization.
fn path_domain(ctx: &mut Ctx<'_>, req: &Req) -> Result<String, ApiError> {
    let org_id = organization_id(ctx.store, req)?;
    let id = req.path_param("domain_id");
    state(ctx)
        .org_domains
        .get(id)
        .filter(|d| d["organization_id"] == org_id.as_str())
        .map(|_| id.to_string())
        .ok_or_else(|| ApiError::not_found("organization domain", id))
}

/// `PATCH /organizations/{organization_id}/domains/{domain_id}`.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = path_domain(ctx, req)?;
    if let Some(mode) = req.str_field("enrollment_mode") {
        check_mode(mode)?;
    }
    if let Some(domain) = state(ctx).org_domains.get_mut(&id) {
        if let Some(mode) = req.str_field("enrollment_mode") {
            domain["enrollment_mode"] = Value::from(mode);
        }
        if let Some(verified) = req.bool_field("verified")
            && verified != is_verified(domain)
        {
            domain["verification"] = verification(verified, "admin");
        }
        domain["updated_at"] = Value::from(now());
    }
    answer(ctx, &id)
}

/// `DELETE /organizations/{organization_id}/domains/{domain_id}`.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = path_domain(ctx, req)?;
    state(ctx).org_domains.remove(&id);
    Ok(Reply::ok(deleted("organization_domain", &id)))
}

/// `POST /organizations/{organization_id}/domains/{domain_id}/verify_ownership`: marks the
/// ownership verified by an administrator; calling it again changes nothing.
pub(crate) fn verify_ownership(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = path_domain(ctx, req)?;
    if let Some(domain) = state(ctx).org_domains.get_mut(&id)
        && domain["ownership_verification"]["status"] != "verified"
    {
        domain["ownership_verification"] = verification(true, "manual_override");
        domain["updated_at"] = Value::from(now());
    }
    answer(ctx, &id)
}
