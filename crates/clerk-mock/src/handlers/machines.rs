//! Machines: the parties of M2M authentication. Each has a secret key (`ak_...`) it uses to
//! create and verify M2M tokens, and scopes naming the machines it may reach.
//!
//! Rotating the secret key keeps the previous one working for `previous_token_ttl` seconds.
//! Deleting a machine deletes its M2M tokens and removes it from other machines' scopes.

use super::machine_auth::MachineRow;
use super::{Ctx, Reply, now, order_by, paginated};
use crate::error::ApiError;
use crate::ids::random_token;
use crate::request::Req;
use crate::store::{Store, sort_rows};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Clerk's limit on the machines one machine may reach.
const MAX_SCOPES: usize = 150;

fn new_secret() -> String {
    format!("ak_{}", random_token(32))
}

fn find<'s>(store: &'s Store, id: &str) -> Result<&'s MachineRow, ApiError> {
    store
        .machine_auth
        .machines
        .get(id)
        .ok_or_else(|| ApiError::not_found("machine", id))
}

fn find_mut<'s>(store: &'s mut Store, id: &str) -> Result<&'s mut MachineRow, ApiError> {
    store
        .machine_auth
        .machines
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("machine", id))
}

/// The `Machine` object: the stored fields and the machines it may reach.
pub(crate) fn machine_json(store: &Store, row: &MachineRow) -> Value {
    let scoped: Vec<Value> = row
        .scopes
        .iter()
        .filter_map(|(id, _)| store.machine_auth.machines.get(id))
        .map(|m| m.json.clone())
        .collect();
    let mut out = row.json.clone();
    out["scoped_machines"] = Value::Array(scoped);
    out
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if (1..=255).contains(&name.chars().count()) {
        Ok(())
    } else {
        Err(ApiError::param_value(
            "name",
            "must be 1 to 255 characters long",
        ))
    }
}

/// `GET /machines`: `query` matches an id exactly or a name partly (case-insensitive);
/// `order_by` takes `name` or `created_at` (default `-created_at`).
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let order = order_by(req, &["created_at", "name"], "-created_at")?;
    let query = req.query("query").filter(|q| !q.is_empty());
    let lower = query.map(str::to_lowercase);
    let store = &*ctx.store;
    let mut rows: Vec<Value> = store
        .machine_auth
        .machines
        .values()
        .filter(|m| {
            query.is_none_or(|q| {
                m.json["id"] == q
                    || m.json["name"].as_str().is_some_and(|n| {
                        n.to_lowercase()
                            .contains(lower.as_deref().unwrap_or_default())
                    })
            })
        })
        .map(|m| machine_json(store, m))
        .collect();
    sort_rows(&mut rows, &order, |m| m[order.field.as_str()].clone());
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `POST /machines`: the answer carries the secret key.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?;
    check_name(name)?;
    let scoped: Vec<String> = req
        .field("scoped_machines")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    for id in &scoped {
        if !ctx.store.machine_auth.machines.contains(id) {
            return Err(ApiError::resource_not_found_param("scoped_machines"));
        }
    }
    let at = now();
    let id = ctx.id("mch");
    let json = json!({
        "object": "machine",
        "id": id,
        "name": name,
        "instance_id": ctx.env.instance_id,
        "created_at": at,
        "updated_at": at,
        "default_token_ttl": req.i64_field("default_token_ttl").unwrap_or(3600),
    });
    let mut scopes: Vec<(String, i64)> = Vec::new();
    for target in scoped {
        if !scopes.iter().any(|(s, _)| *s == target) {
            scopes.push((target, at));
        }
    }
    let row = MachineRow {
        json,
        scopes,
        secret: new_secret(),
        previous: None,
    };
    let mut answer = machine_json(ctx.store, &row);
    answer["secret_key"] = Value::from(row.secret.clone());
    ctx.store.machine_auth.machines.insert(id, row);
    Ok(Reply::ok(answer))
}

/// `GET /machines/{machine_id}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let row = find(ctx.store, req.path_param("machine_id"))?;
    Ok(Reply::ok(machine_json(ctx.store, row)))
}

/// `PATCH /machines/{machine_id}`: `name` and `default_token_ttl`.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    if let Some(name) = req.str_field("name") {
        check_name(name)?;
    }
    let row = find_mut(ctx.store, req.path_param("machine_id"))?;
    if let Some(name) = req.str_field("name") {
        row.json["name"] = Value::from(name);
    }
    if let Some(ttl) = req.i64_field("default_token_ttl") {
        row.json["default_token_ttl"] = Value::from(ttl);
    }
    row.json["updated_at"] = Value::from(now());
    let row = find(ctx.store, req.path_param("machine_id"))?;
    Ok(Reply::ok(machine_json(ctx.store, row)))
}

/// `DELETE /machines/{machine_id}`.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("machine_id");
    let auth = &mut ctx.store.machine_auth;
    auth.machines
        .remove(id)
        .ok_or_else(|| ApiError::not_found("machine", id))?;
    for machine in auth.machines.values_mut() {
        machine.scopes.retain(|(target, _)| target != id);
    }
    let tokens: Vec<(String, String)> = auth
        .m2m_tokens
        .values()
        .filter(|t| t.json["subject"] == id)
        .map(|t| {
            (
                t.json["id"].as_str().unwrap_or_default().to_string(),
                t.secret.clone(),
            )
        })
        .collect();
    for (token_id, secret) in tokens {
        auth.m2m_tokens.remove(&token_id);
        auth.m2m_secrets.remove(&secret);
    }
    Ok(Reply::ok(
        json!({ "object": "machine", "id": id, "deleted": true }),
    ))
}

/// `GET /machines/{machine_id}/secret_key`.
pub(crate) fn secret_key(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let row = find(ctx.store, req.path_param("machine_id"))?;
    Ok(Reply::ok(
        json!({ "object": "machine_secret_key", "secret": row.secret }),
    ))
}

/// `POST /machines/{machine_id}/secret_key/rotate`.
pub(crate) fn rotate_secret_key(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let grace = req.i64_field("previous_token_ttl").unwrap_or(0);
    let row = find_mut(ctx.store, req.path_param("machine_id"))?;
    let old = std::mem::replace(&mut row.secret, new_secret());
    row.previous = (grace > 0).then(|| (old, now() + grace * 1000));
    row.json["updated_at"] = Value::from(now());
    Ok(Reply::ok(
        json!({ "object": "machine_secret_key", "secret": row.secret }),
    ))
}

/// `POST /machines/{machine_id}/scopes`: lets the machine reach `to_machine_id`.
pub(crate) fn create_scope(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let from = req.path_param("machine_id");
    let to = req.required_str("to_machine_id")?;
    find(ctx.store, from)?;
    find(ctx.store, to)?;
    let row = find_mut(ctx.store, from)?;
    if row.scopes.iter().any(|(target, _)| target == to) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "Conflict",
            format!("Machine '{from}' can already reach machine '{to}'."),
        ));
    }
    if row.scopes.len() >= MAX_SCOPES {
        return Err(ApiError::param_value(
            "to_machine_id",
            &format!("cannot be added: a machine may reach at most {MAX_SCOPES} machines"),
        ));
    }
    let at = now();
    row.scopes.push((to.to_string(), at));
    Ok(Reply::ok(json!({
        "object": "machine_scope",
        "from_machine_id": from,
        "to_machine_id": to,
        "created_at": at,
    })))
}

/// `DELETE /machines/{machine_id}/scopes/{other_machine_id}`.
pub(crate) fn delete_scope(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let from = req.path_param("machine_id");
    let to = req.path_param("other_machine_id");
    let row = find_mut(ctx.store, from)?;
    let before = row.scopes.len();
    row.scopes.retain(|(target, _)| target != to);
    if row.scopes.len() == before {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            format!("Machine '{from}' has no scope for machine '{to}'."),
        ));
    }
    Ok(Reply::ok(json!({
        "object": "machine_scope",
        "from_machine_id": from,
        "to_machine_id": to,
        "deleted": true,
    })))
}
