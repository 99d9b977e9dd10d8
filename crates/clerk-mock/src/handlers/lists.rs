//! Allow-list and block-list identifiers.

use super::{Ctx, Reply, deleted, now, page_array, paginated};
use crate::error::ApiError;
use crate::request::Req;
use crate::store::Table;
use serde_json::{Value, json};

/// The kind of identifier Clerk would record for `identifier`.
fn identifier_type(identifier: &str) -> Result<&'static str, ApiError> {
    if identifier.contains('@') {
        Ok("email_address")
    } else if identifier.starts_with('+') && super::looks_like_phone(identifier) {
        Ok("phone_number")
    } else if identifier.starts_with("0x") && identifier.len() == 42 {
        Ok("web3_wallet")
    } else {
        Err(ApiError::param_format(
            "identifier",
            "an email address (or *@domain), an E.164 phone number or a web3 wallet",
        ))
    }
}

fn create(ctx: &mut Ctx<'_>, req: &Req, blocklist: bool) -> Result<Reply, ApiError> {
    let identifier = req.required_str("identifier")?.to_string();
    let kind = identifier_type(&identifier)?;
    let (object, prefix) = if blocklist {
        ("blocklist_identifier", "blid")
    } else {
        ("allowlist_identifier", "alid")
    };
    let id = ctx.id(prefix);
    if table(ctx, blocklist)
        .values()
        .any(|row| row["identifier"] == identifier.as_str())
    {
        return Err(ApiError::duplicate_record(format!(
            "The identifier '{identifier}' is already on the list."
        )));
    }
    let at = now();
    let row = json!({
        "object": object,
        "id": id,
        "identifier": identifier,
        "identifier_type": kind,
        "instance_id": ctx.env.instance_id,
        "created_at": at,
        "updated_at": at,
    });
    table(ctx, blocklist).insert(id, row.clone());
    Ok(Reply::ok(row))
}

fn table<'c>(ctx: &'c mut Ctx<'_>, blocklist: bool) -> &'c mut Table<Value> {
    if blocklist {
        &mut ctx.store.blocklist
    } else {
        &mut ctx.store.allowlist
    }
}

fn delete(ctx: &mut Ctx<'_>, req: &Req, blocklist: bool) -> Result<Reply, ApiError> {
    let id = req.path_param("identifier_id").to_string();
    let object = if blocklist {
        "blocklist_identifier"
    } else {
        "allowlist_identifier"
    };
    table(ctx, blocklist)
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("identifier", &id))?;
    Ok(Reply::ok(deleted(object, &id)))
}

/// `GET /allowlist_identifiers` (a bare array).
pub(crate) fn list_allowlist(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let rows: Vec<Value> = ctx.store.allowlist.ordered().into_iter().cloned().collect();
    let (limit, offset) = req.page();
    Ok(Reply::ok(page_array(rows, limit, offset)))
}

/// `POST /allowlist_identifiers`.
pub(crate) fn create_allowlist(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    create(ctx, req, false)
}

/// `DELETE /allowlist_identifiers/{identifier_id}`.
pub(crate) fn delete_allowlist(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    delete(ctx, req, false)
}

/// `GET /blocklist_identifiers` (`{data, total_count}`, not paginated).
pub(crate) fn list_blocklist(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    let rows: Vec<Value> = ctx.store.blocklist.ordered().into_iter().cloned().collect();
    Ok(Reply::ok(paginated(rows, usize::MAX, 0)))
}

/// `POST /blocklist_identifiers`.
pub(crate) fn create_blocklist(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    create(ctx, req, true)
}

/// `DELETE /blocklist_identifiers/{identifier_id}`.
pub(crate) fn delete_blocklist(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    delete(ctx, req, true)
}
