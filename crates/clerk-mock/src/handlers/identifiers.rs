//! Email addresses and phone numbers. They live inside their user (`email_addresses`,
//! `phone_numbers`), so a user read after a change here shows the change.

use super::users::{check_new_email, check_new_phone, find, find_mut};
use super::{Ctx, Reply, deleted, now};
use crate::error::ApiError;
use crate::request::Req;
use serde_json::{Value, json};

/// The verification Clerk reports for an identifier, by status.
fn verification(status: &str) -> Value {
    match status {
        "verified" => json!({
            "object": "verification_admin",
            "status": "verified",
            "strategy": "admin",
            "attempts": null,
            "expire_at": null,
        }),
        _ => Value::Null,
    }
}

/// An `EmailAddress` object.
pub(crate) fn email_json(id: &str, address: &str, verified: bool, at: i64) -> Value {
    json!({
        "id": id,
        "object": "email_address",
        "email_address": address,
        "reserved": false,
        "verification": verification(if verified { "verified" } else { "unverified" }),
        "linked_to": [],
        "matches_sso_connection": false,
        "created_at": at,
        "updated_at": at,
    })
}

/// A `PhoneNumber` object.
pub(crate) fn phone_json(id: &str, number: &str, verified: bool, at: i64) -> Value {
    json!({
        "id": id,
        "object": "phone_number",
        "phone_number": number,
        "reserved_for_second_factor": false,
        "default_second_factor": false,
        "reserved": false,
        "verification": verification(if verified { "verified" } else { "unverified" }),
        "linked_to": [],
        "backup_codes": null,
        "created_at": at,
        "updated_at": at,
    })
}

/// Which list of the user an identifier lives in, and the field naming its primary one.
#[derive(Clone, Copy)]
struct Kind {
    list: &'static str,
    value: &'static str,
    primary: &'static str,
    object: &'static str,
    path_param: &'static str,
}

const EMAIL: Kind = Kind {
    list: "email_addresses",
    value: "email_address",
    primary: "primary_email_address_id",
    object: "email_address",
    path_param: "email_address_id",
};
const PHONE: Kind = Kind {
    list: "phone_numbers",
    value: "phone_number",
    primary: "primary_phone_number_id",
    object: "phone_number",
    path_param: "phone_number_id",
};

/// The identifier the path names: its kind, id and owner.
fn locate(ctx: &Ctx<'_>, req: &Req) -> Result<(Kind, String, String), ApiError> {
    let (kind, id) = if !req.path_param(EMAIL.path_param).is_empty() {
        (EMAIL, req.path_param(EMAIL.path_param))
    } else {
        (PHONE, req.path_param(PHONE.path_param))
    };
    let owner = ctx
        .store
        .identifications
        .owner(id)
        .filter(|owner| {
            // The id must also be of the kind the path expects.
            ctx.store
                .users
                .get(owner)
                .is_some_and(|u| position(u, kind, id).is_some())
        })
        .map(str::to_string)
        .ok_or_else(|| ApiError::not_found(kind.object.replace('_', " ").as_str(), id))?;
    Ok((kind, id.to_string(), owner))
}

fn position(user: &Value, kind: Kind, id: &str) -> Option<usize> {
    user[kind.list]
        .as_array()?
        .iter()
        .position(|i| i["id"] == id)
}

/// Runs `change` on the identifier and its user, then stamps both and emits `user.updated`.
fn modify(
    ctx: &mut Ctx<'_>,
    owner: &str,
    kind: Kind,
    id: &str,
    change: impl FnOnce(&mut Value, usize),
) -> Result<Value, ApiError> {
    let at = now();
    let user = find_mut(ctx.store, owner)?;
    let index = position(user, kind, id).ok_or_else(|| ApiError::not_found(kind.object, id))?;
    change(user, index);
    user[kind.list][index]["updated_at"] = Value::from(at);
    user["updated_at"] = Value::from(at);
    let item = user[kind.list][index].clone();
    let snapshot = user.clone();
    ctx.emit("user.updated", |_| snapshot);
    Ok(item)
}

fn add(ctx: &mut Ctx<'_>, req: &Req, kind: Kind, item: Value) -> Result<Reply, ApiError> {
    let owner = req.required_str("user_id")?.to_string();
    let id = item["id"].as_str().unwrap_or_default().to_string();
    let make_primary = req.bool_field("primary") == Some(true);
    let user = find_mut(ctx.store, &owner)?;
    if let Some(list) = user[kind.list].as_array_mut() {
        list.push(item.clone());
    }
    if make_primary || user[kind.primary].is_null() {
        user[kind.primary] = Value::from(id.clone());
    }
    user["updated_at"] = Value::from(now());
    let snapshot = user.clone();
    ctx.store
        .identifications
        .add(&id, item[kind.value].as_str().unwrap_or_default(), &owner);
    ctx.emit("user.updated", |_| snapshot);
    Ok(Reply::ok(item))
}

/// `POST /email_addresses`.
pub(crate) fn create_email(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let owner = req.required_str("user_id")?;
    find(ctx.store, owner)?;
    let address = req.required_str("email_address")?;
    check_new_email(ctx.store, "email_address", address)?;
    let item = email_json(
        &ctx.id("idn"),
        address,
        req.bool_field("verified").unwrap_or(false),
        now(),
    );
    add(ctx, req, EMAIL, item)
}

/// `POST /phone_numbers`.
pub(crate) fn create_phone(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let owner = req.required_str("user_id")?;
    find(ctx.store, owner)?;
    let number = req.required_str("phone_number")?;
    check_new_phone(ctx.store, "phone_number", number)?;
    let mut item = phone_json(
        &ctx.id("idn"),
        number,
        req.bool_field("verified").unwrap_or(false),
        now(),
    );
    if req.bool_field("reserved_for_second_factor") == Some(true) {
        item["reserved_for_second_factor"] = Value::Bool(true);
    }
    add(ctx, req, PHONE, item)
}

/// `GET` of an email address or phone number.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let (kind, id, owner) = locate(ctx, req)?;
    let user = find(ctx.store, &owner)?;
    let index = position(user, kind, &id).ok_or_else(|| ApiError::not_found(kind.object, &id))?;
    Ok(Reply::ok(user[kind.list][index].clone()))
}

/// `PATCH` of an email address or phone number: `verified`, `primary`, `reserved_for_second_factor`.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let (kind, id, owner) = locate(ctx, req)?;
    let item = modify(ctx, &owner, kind, &id, |user, index| {
        if let Some(verified) = req.bool_field("verified") {
            user[kind.list][index]["verification"] =
                verification(if verified { "verified" } else { "unverified" });
        }
        if req.bool_field("primary") == Some(true) {
            user[kind.primary] = Value::from(id.clone());
        }
        if let Some(flag) = req.bool_field("reserved_for_second_factor") {
            user[kind.list][index]["reserved_for_second_factor"] = Value::Bool(flag);
        }
    })?;
    Ok(Reply::ok(item))
}

/// `DELETE` of an email address or phone number.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let (kind, id, owner) = locate(ctx, req)?;
    let user = find_mut(ctx.store, &owner)?;
    if let Some(list) = user[kind.list].as_array_mut() {
        list.retain(|i| i["id"] != id.as_str());
    }
    if user[kind.primary] == id.as_str() {
        user[kind.primary] = user[kind.list]
            .get(0)
            .map(|i| i["id"].clone())
            .unwrap_or(Value::Null);
    }
    user["updated_at"] = Value::from(now());
    let snapshot = user.clone();
    ctx.store.identifications.remove(&id);
    ctx.emit("user.updated", |_| snapshot);
    Ok(Reply::ok(deleted(kind.object, &id)))
}

/// Replaces all of a user's identifiers of a kind with one new, primary identifier.
fn replace(ctx: &mut Ctx<'_>, req: &Req, kind: Kind, mut item: Value) -> Result<Reply, ApiError> {
    let owner = req.path_param("user_id").to_string();
    let status = req.str_field("identification_status").unwrap_or("verified");
    item["verification"] = verification(status);
    item["reserved"] = Value::Bool(status == "reserved");
    let new_id = item["id"].as_str().unwrap_or_default().to_string();
    let user = find_mut(ctx.store, &owner)?;
    let old: Vec<String> = user[kind.list]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    user[kind.list] = Value::Array(vec![item.clone()]);
    user[kind.primary] = Value::from(new_id.clone());
    user["updated_at"] = Value::from(now());
    let snapshot = user.clone();
    for id in old {
        ctx.store.identifications.remove(&id);
    }
    ctx.store.identifications.add(
        &new_id,
        item[kind.value].as_str().unwrap_or_default(),
        &owner,
    );
    ctx.emit("user.updated", |_| snapshot);
    Ok(Reply::ok(item))
}

/// `PUT /users/{user_id}/email_address`.
pub(crate) fn replace_email(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    find(ctx.store, req.path_param("user_id"))?;
    let address = req.required_str("email_address")?;
    check_new_email(ctx.store, "email_address", address)?;
    let item = email_json(&ctx.id("idn"), address, true, now());
    replace(ctx, req, EMAIL, item)
}

/// `PUT /users/{user_id}/phone_number`.
pub(crate) fn replace_phone(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    find(ctx.store, req.path_param("user_id"))?;
    let number = req.required_str("phone_number")?;
    check_new_phone(ctx.store, "phone_number", number)?;
    let item = phone_json(&ctx.id("idn"), number, true, now());
    replace(ctx, req, PHONE, item)
}
