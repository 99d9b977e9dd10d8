//! Directories that provision users from an identity provider (SCIM), and the mappings from
//! their groups to organization roles. `/directories` and the older `/scim_directories` reach
//! the same directories; each answers with its own object names.

use super::roles::render_role_id;
use super::{copy_present, found, found_mut, refused, state, template};
use crate::error::ApiError;
use crate::handlers::{Ctx, Reply, deleted, now, paginated};
use crate::ids::random_token;
use crate::request::Req;
use serde_json::{Map, Value, json};

/// Which of the two paths a request came by: decides object names and parameter names.
struct Flavor {
    scim: bool,
}

impl Flavor {
    fn of(req: &Req) -> Flavor {
        Flavor {
            scim: req.op.path.starts_with("/scim_directories"),
        }
    }

    fn id_param(&self) -> &'static str {
        if self.scim {
            "scim_directory_id"
        } else {
            "directory_id"
        }
    }

    fn object(&self) -> &'static str {
        if self.scim {
            "scim_directory"
        } else {
            "directory"
        }
    }

    fn mapping_object(&self) -> &'static str {
        if self.scim {
            "scim_group_role_mapping"
        } else {
            "directory_group_role_mapping"
        }
    }
}

/// A directory as answered: without its API key unless `with_key`.
fn render(flavor: &Flavor, directory: &Value, with_key: bool) -> Value {
    let mut out = directory.clone();
    out["object"] = Value::from(flavor.object());
    if !with_key {
        out["api_key"] = Value::Null;
    }
    out
}

fn render_mapping(ctx: &mut Ctx<'_>, flavor: &Flavor, mapping: &Value) -> Value {
    let mut out = mapping.clone();
    out["object"] = Value::from(flavor.mapping_object());
    let role_id = mapping["role_id"].as_str().unwrap_or_default().to_string();
    if let Some(map) = out.as_object_mut() {
        map.remove("role_id");
    }
    out["role"] = render_role_id(state(ctx), &role_id);
    out
}

fn directory_id(ctx: &mut Ctx<'_>, req: &Req, flavor: &Flavor) -> Result<String, ApiError> {
    let id = req.path_param(flavor.id_param());
    found(&state(ctx).directories, "directory", id)?;
    Ok(id.to_string())
}

/// A mapping row from one item of a request; `precedence` given or next in line.
fn new_mapping(
    ctx: &mut Ctx<'_>,
    directory: &str,
    item: &Map<String, Value>,
    precedence: i64,
    name: &str,
) -> Result<Value, ApiError> {
    let role_id = item
        .get("role_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::param_missing(&format!("{name}role_id")))?;
    if !state(ctx).roles.contains(role_id) {
        return Err(ApiError::not_found("organization role", role_id));
    }
    let group = item
        .get("directory_group_id")
        .or_else(|| item.get("scim_group_id"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let display = item
        .get("directory_group_display_name")
        .or_else(|| item.get("scim_group_display_name"))
        .and_then(Value::as_str)
        .unwrap_or(group);
    let at = now();
    Ok(json!({
        "id": ctx.id("dgrm"),
        "directory_id": directory, "scim_directory_id": directory,
        "directory_group_id": group, "scim_group_id": group,
        "directory_group_display_name": display, "scim_group_display_name": display,
        "role_id": role_id,
        "precedence": item.get("precedence").and_then(Value::as_i64).unwrap_or(precedence),
        "created_at": at, "updated_at": at,
    }))
}

fn mappings_of(ctx: &mut Ctx<'_>, directory: &str) -> Vec<Value> {
    let mut rows: Vec<Value> = state(ctx)
        .mappings
        .values()
        .filter(|(owner, _)| owner == directory)
        .map(|(_, m)| m.clone())
        .collect();
    rows.sort_by_key(|m| m["precedence"].as_i64().unwrap_or(0));
    rows
}

/// `GET /directories`.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let mut rows: Vec<Value> = state(ctx)
        .directories
        .values()
        .map(|d| render(&flavor, d, false))
        .collect();
    rows.reverse();
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `POST /directories`: answers the API key the identity provider authenticates with, once.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let connection = req.required_str("enterprise_connection_id")?;
    let provider = req.required_str("provider")?;
    if !state(ctx).enterprise.contains(connection) {
        return Err(ApiError::not_found("enterprise connection", connection));
    }
    let id = ctx.id("dir");
    let mut directory = template(
        ctx.env,
        if flavor.scim {
            "CreateSCIMDirectory"
        } else {
            "CreateDirectory"
        },
    );
    let at = now();
    let items: Vec<Map<String, Value>> = req
        .field("group_role_mappings")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
        .unwrap_or_default();
    let mut mappings = Vec::new();
    for (i, item) in items.iter().enumerate() {
        mappings.push(new_mapping(
            ctx,
            &id,
            item,
            i as i64 + 1,
            &format!("group_role_mappings[{i}]."),
        )?);
    }
    directory["id"] = Value::from(id.clone());
    directory["name"] = Value::from(req.str_field("name").unwrap_or(provider));
    directory["provider"] = Value::from(provider);
    directory["enterprise_connection_id"] = Value::from(connection);
    directory["endpoint_url"] = Value::from(format!("{}/scim/v2/{id}", ctx.env.origin));
    directory["enabled"] = Value::Bool(true);
    directory["group_role_mapping_enabled"] = Value::Bool(!mappings.is_empty());
    directory["attribute_mapping"] = json!({});
    directory["custom_attributes"] = json!([]);
    directory["api_key"] = Value::from(format!("scim_{}", random_token(32)));
    directory["created_at"] = Value::from(at);
    directory["updated_at"] = Value::from(at);
    let state = state(ctx);
    state.directories.insert(id.clone(), directory.clone());
    for mapping in mappings {
        let mapping_id = mapping["id"].as_str().unwrap_or_default().to_string();
        state.mappings.insert(mapping_id, (id.clone(), mapping));
    }
    Ok(Reply::ok(render(&flavor, &directory, true)))
}

/// `GET /directories/{directory_id}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let id = directory_id(ctx, req, &flavor)?;
    let directory = found(&state(ctx).directories, "directory", &id)?;
    Ok(Reply::ok(render(&flavor, directory, false)))
}

/// `PATCH /directories/{directory_id}`: a `null` in `attribute_mapping` removes that key.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let id = directory_id(ctx, req, &flavor)?;
    let directory = found_mut(&mut state(ctx).directories, "directory", &id)?;
    copy_present(
        directory,
        req,
        &["name", "enabled", "provider", "group_role_mapping_enabled"],
    );
    if let Some(Value::Object(patch)) = req.field("attribute_mapping") {
        crate::store::deep_merge(
            &mut directory["attribute_mapping"],
            &Value::Object(patch.clone()),
        );
    }
    directory["updated_at"] = Value::from(now());
    Ok(Reply::ok(render(&flavor, directory, false)))
}

/// `DELETE /directories/{directory_id}`: its mappings go with it.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let id = directory_id(ctx, req, &flavor)?;
    let state = state(ctx);
    state.directories.remove(&id);
    for mapping in state.mappings.ids() {
        if state
            .mappings
            .get(&mapping)
            .is_some_and(|(owner, _)| *owner == id)
        {
            state.mappings.remove(&mapping);
        }
    }
    Ok(Reply::ok(deleted(flavor.object(), &id)))
}

/// `POST /directories/{directory_id}/rotate_api_key`: a new key, shown this once.
pub(crate) fn rotate_api_key(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let id = directory_id(ctx, req, &flavor)?;
    let directory = found_mut(&mut state(ctx).directories, "directory", &id)?;
    directory["api_key"] = Value::from(format!("scim_{}", random_token(32)));
    directory["updated_at"] = Value::from(now());
    Ok(Reply::ok(render(&flavor, directory, true)))
}

/// Mappings can only be changed on a directory with group role mapping turned on.
fn mapping_enabled(ctx: &mut Ctx<'_>, id: &str) -> Result<(), ApiError> {
    let directory = found(&state(ctx).directories, "directory", id)?;
    if directory["group_role_mapping_enabled"] == true {
        Ok(())
    } else {
        Err(refused(
            "group_role_mapping_disabled",
            "group role mapping is off",
            "Turn on group_role_mapping_enabled for the directory before changing its mappings."
                .into(),
        ))
    }
}

/// `GET /directories/{directory_id}/group_role_mappings`, by precedence.
pub(crate) fn list_mappings(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let id = directory_id(ctx, req, &flavor)?;
    let rows: Vec<Value> = mappings_of(ctx, &id)
        .iter()
        .map(|m| render_mapping(ctx, &flavor, m))
        .collect();
    Ok(Reply::ok(paginated(rows, usize::MAX, 0)))
}

/// `POST /directories/{directory_id}/group_role_mappings`.
pub(crate) fn create_mapping(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let id = directory_id(ctx, req, &flavor)?;
    mapping_enabled(ctx, &id)?;
    let next = mappings_of(ctx, &id).len() as i64 + 1;
    let item = req.body.as_object().cloned().unwrap_or_default();
    let mapping = new_mapping(ctx, &id, &item, next, "")?;
    let mapping_id = mapping["id"].as_str().unwrap_or_default().to_string();
    state(ctx)
        .mappings
        .insert(mapping_id, (id, mapping.clone()));
    Ok(Reply::ok(render_mapping(ctx, &flavor, &mapping)))
}

/// `PUT /directories/{directory_id}/group_role_mappings`: the list replaces every mapping; its
/// order gives the precedence.
pub(crate) fn replace_mappings(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let id = directory_id(ctx, req, &flavor)?;
    mapping_enabled(ctx, &id)?;
    let items: Vec<Map<String, Value>> = req
        .field("mappings")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
        .unwrap_or_default();
    let mut fresh = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut item = item.clone();
        item.remove("precedence");
        fresh.push(new_mapping(
            ctx,
            &id,
            &item,
            i as i64 + 1,
            &format!("mappings[{i}]."),
        )?);
    }
    let state = state(ctx);
    for mapping in state.mappings.ids() {
        if state
            .mappings
            .get(&mapping)
            .is_some_and(|(owner, _)| *owner == id)
        {
            state.mappings.remove(&mapping);
        }
    }
    for mapping in &fresh {
        let mapping_id = mapping["id"].as_str().unwrap_or_default().to_string();
        state
            .mappings
            .insert(mapping_id, (id.clone(), mapping.clone()));
    }
    let rows: Vec<Value> = fresh
        .iter()
        .map(|m| render_mapping(ctx, &flavor, m))
        .collect();
    Ok(Reply::ok(paginated(rows, usize::MAX, 0)))
}

/// `DELETE /directories/{directory_id}/group_role_mappings/{mapping_id}`.
pub(crate) fn delete_mapping(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let flavor = Flavor::of(req);
    let id = directory_id(ctx, req, &flavor)?;
    let mapping_id = req.path_param("mapping_id");
    let state = state(ctx);
    if state
        .mappings
        .get(mapping_id)
        .is_none_or(|(owner, _)| *owner != id)
    {
        return Err(ApiError::not_found("group role mapping", mapping_id));
    }
    state.mappings.remove(mapping_id);
    Ok(Reply::ok(deleted(flavor.mapping_object(), mapping_id)))
}
