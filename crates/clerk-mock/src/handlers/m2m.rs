//! Machine-to-machine tokens, created by a machine with its secret key.
//!
//! Opaque tokens (`mt_...`) are stored: they can be listed, revoked and verified here. JWT
//! tokens are signed with the instance key (header `cat` names the M2M category, `sub` is the
//! machine, `scopes` the machines it may reach, custom claims at the top level) and are not
//! stored, as at Clerk: they verify by signature and expiry alone and cannot be revoked.
//!
//! Listing, revoking and verifying also take the instance's secret key. With a machine's key,
//! a machine sees and revokes only its own tokens and verifies only tokens meant for it (whose
//! scopes name it).

use super::machine_auth::{
    TokenRow, answer, bad_request, calling_machine, expiry_after, is_expired, is_hex_id,
    is_word_id, token_rejected,
};
use super::{Ctx, Reply, now};
use crate::error::ApiError;
use crate::ids::{now_ms, random_token};
use crate::keys;
use crate::request::Req;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// The operations a machine secret key may call.
pub(crate) const MACHINE_KEY_OPERATIONS: &[&str] = &[
    "createM2MToken",
    "getM2MTokens",
    "revokeM2MToken",
    "verifyM2MToken",
];

/// Header `cat` of M2M JWTs, as Clerk's SDKs recognize them.
const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

/// Claims an M2M token's own claims cannot set: they describe the token itself.
const RESERVED_CLAIMS: &[&str] = &["exp", "iat", "iss", "jti", "nbf", "sub"];

/// `POST /m2m_tokens` (with a machine secret key): 201 and the token, shown once.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let machine_id = calling_machine(ctx.store, req)?.ok_or_else(|| {
        bad_request(
            "Creating an M2M token needs the creating machine's secret key (ak_...) in the Authorization header, not the instance's secret key.",
        )
    })?;
    let claims = req.field("claims").cloned().unwrap_or(Value::Null);
    if let Some(reserved) = claims
        .as_object()
        .and_then(|c| RESERVED_CLAIMS.iter().find(|r| c.contains_key(**r)))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "machine_token_reserved_claim",
            "reserved claim used",
            format!("The claim '{reserved}' is set by Clerk and cannot be given."),
        )
        .param("claims"));
    }
    let machine = ctx
        .store
        .machine_auth
        .machines
        .get(&machine_id)
        .ok_or_else(|| ApiError::not_found("machine", &machine_id))?;
    let lifetime = match req.field("seconds_until_expiration") {
        None => machine.json["default_token_ttl"].as_f64().unwrap_or(3600.0),
        Some(v) => match v.as_f64() {
            Some(secs) if secs > 0.0 => secs,
            _ => {
                return Err(bad_request(
                    "seconds_until_expiration must be a number greater than 0.",
                ));
            }
        },
    };
    let scopes: Vec<Value> = machine
        .scopes
        .iter()
        .map(|(id, _)| Value::from(id.as_str()))
        .collect();
    let jwt = req.str_field("token_format") == Some("jwt");
    if let Some(min) = req.i64_field("min_remaining_ttl_seconds") {
        if min as f64 >= lifetime {
            return Err(bad_request(format!(
                "min_remaining_ttl_seconds ({min}) must be less than the token lifetime ({lifetime} seconds)."
            )));
        }
        // Reuse applies to opaque tokens only.
        if !jwt {
            let wanted = now_ms() + min * 1000;
            let tokens = ctx.store.machine_auth.m2m_tokens.ordered();
            let reusable = tokens.into_iter().rev().find(|t| {
                t.json["subject"] == machine_id.as_str()
                    && t.json["revoked"] == false
                    && t.json["claims"] == claims
                    && t.json["scopes"] == Value::Array(scopes.clone())
                    && t.json["expiration"]
                        .as_i64()
                        .is_none_or(|exp| exp >= wanted)
            });
            if let Some(token) = reusable {
                let mut body = answer(&token.json);
                body["token"] = Value::from(token.secret.clone());
                return Ok(Reply::json(StatusCode::CREATED, body));
            }
        }
    }

    let id = format!("mt_{}", ctx.env.ids.hex(32));
    let at = now();
    let expiration = expiry_after(lifetime);
    let json = json!({
        "object": "machine_to_machine_token",
        "id": id,
        "subject": machine_id,
        "claims": claims,
        "scopes": scopes,
        "revoked": false,
        "revocation_reason": null,
        "expiration": expiration,
        "last_used_at": null,
        "created_at": at,
        "updated_at": at,
    });
    let secret = if jwt {
        sign(ctx, &json)?
    } else {
        format!("mt_{}", random_token(40))
    };
    let mut body = answer(&json);
    body["token"] = Value::from(secret.clone());
    if !jwt {
        let auth = &mut ctx.store.machine_auth;
        auth.m2m_secrets.insert(secret.clone(), id.clone());
        auth.m2m_tokens.insert(id, TokenRow { json, secret });
    }
    Ok(Reply::json(StatusCode::CREATED, body))
}

/// The JWT form of a token object.
fn sign(ctx: &Ctx<'_>, token: &Value) -> Result<String, ApiError> {
    let iat = token["created_at"].as_i64().unwrap_or_default() / 1000;
    let mut claims = token["claims"].as_object().cloned().unwrap_or_default();
    claims.insert("iss".into(), Value::from(ctx.env.origin.clone()));
    claims.insert("sub".into(), token["subject"].clone());
    claims.insert("iat".into(), Value::from(iat));
    claims.insert("nbf".into(), Value::from(iat));
    claims.insert(
        "exp".into(),
        Value::from(token["expiration"].as_i64().unwrap_or_default() / 1000),
    );
    claims.insert("jti".into(), token["id"].clone());
    let scopes: Vec<&str> = token["scopes"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !scopes.is_empty() {
        claims.insert("scopes".into(), Value::from(scopes.join(" ")));
    }
    let header = json!({
        "alg": "RS256",
        "kid": ctx.env.instance_id,
        "typ": "JWT",
        "cat": M2M_CATEGORY,
    });
    keys::sign_jwt_with_header(header, &Value::Object(claims)).ok_or_else(ApiError::internal)
}

/// The token object a verified M2M JWT stands for.
fn from_jwt(claims: &Map<String, Value>) -> Option<Value> {
    let id = claims.get("jti")?.as_str()?;
    let subject = claims.get("sub")?.as_str()?;
    if !subject.starts_with("mch_") {
        return None;
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let exp = claims.get("exp")?.as_i64()?;
    let custom: Map<String, Value> = claims
        .iter()
        .filter(|(k, _)| !RESERVED_CLAIMS.contains(&k.as_str()) && k.as_str() != "scopes")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let scopes: Vec<&str> = claims
        .get("scopes")
        .and_then(Value::as_str)
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    Some(json!({
        "object": "machine_to_machine_token",
        "id": id,
        "subject": subject,
        "claims": if custom.is_empty() { Value::Null } else { Value::Object(custom) },
        "scopes": scopes,
        "revoked": false,
        "revocation_reason": null,
        "expiration": exp * 1000,
        "last_used_at": null,
        "created_at": iat * 1000,
        "updated_at": iat * 1000,
    }))
}

/// `POST /m2m_tokens/verify`: opaque tokens by lookup, JWTs by signature; unknown, revoked and
/// expired tokens (and, for a calling machine, tokens not meant for it) answer 404.
pub(crate) fn verify(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let caller = calling_machine(ctx.store, req)?;
    let token = req.required_str("token")?;
    let meant_for_caller = |json: &Value| {
        caller.as_deref().is_none_or(|me| {
            json["scopes"]
                .as_array()
                .is_some_and(|s| s.iter().any(|m| m == me))
        })
    };
    let unknown = || token_rejected("M2M token", "is unknown to this instance");
    if token.matches('.').count() == 2 {
        let claims = keys::verify_jwt(&ctx.env.instance_id, token).ok_or_else(unknown)?;
        let json = claims.as_object().and_then(from_jwt).ok_or_else(unknown)?;
        if is_expired(&json) {
            return Err(token_rejected("M2M token", "has expired"));
        }
        if !meant_for_caller(&json) {
            return Err(token_rejected(
                "M2M token",
                "is not meant for the calling machine",
            ));
        }
        return Ok(Reply::ok(answer(&json)));
    }
    let auth = &mut ctx.store.machine_auth;
    let row = auth
        .m2m_secrets
        .get(token)
        .and_then(|id| auth.m2m_tokens.get_mut(id))
        .ok_or_else(unknown)?;
    if row.json["revoked"] == true {
        return Err(token_rejected("M2M token", "was revoked"));
    }
    if is_expired(&row.json) {
        return Err(token_rejected("M2M token", "has expired"));
    }
    if !meant_for_caller(&row.json) {
        return Err(token_rejected(
            "M2M token",
            "is not meant for the calling machine",
        ));
    }
    row.json["last_used_at"] = Value::from(now());
    Ok(Reply::ok(answer(&row.json)))
}

/// `GET /m2m_tokens?subject=mch_...`: a machine's opaque tokens, newest first; revoked and
/// expired ones only when `revoked=true` or `expired=true`.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let caller = calling_machine(ctx.store, req)?;
    let subject = req.query("subject").unwrap_or_default();
    if !is_word_id(subject, &["mch"]) {
        return Err(bad_request(format!(
            "subject '{subject}' is not a machine id (mch_ followed by 27 characters)."
        )));
    }
    if !ctx.store.machine_auth.machines.contains(subject) {
        return Err(ApiError::not_found("machine", subject));
    }
    if caller.as_deref().is_some_and(|me| me != subject) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "authorization_invalid",
            "Unauthorized request",
            "A machine's secret key only lists that machine's own tokens.",
        ));
    }
    let with_revoked = req.query_bool("revoked").unwrap_or(false);
    let with_expired = req.query_bool("expired").unwrap_or(false);
    let mut rows: Vec<Value> = ctx
        .store
        .machine_auth
        .m2m_tokens
        .values()
        .map(|t| &t.json)
        .filter(|t| t["subject"] == subject)
        .filter(|t| with_revoked || t["revoked"] != true)
        .filter(|t| with_expired || !is_expired(t))
        .map(answer)
        .collect();
    rows.reverse();
    let total = rows.len();
    let (limit, offset) = req.page();
    let page: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    Ok(Reply::ok(
        json!({ "m2m_tokens": page, "total_count": total }),
    ))
}

/// `POST /m2m_tokens/{m2m_token_id}/revoke`: opaque tokens only; the first reason is kept.
pub(crate) fn revoke(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let caller = calling_machine(ctx.store, req)?;
    let id = req.path_param("m2m_token_id");
    if !is_hex_id(id, &["mt"]) {
        return Err(bad_request(format!(
            "'{id}' is not an M2M token id (mt_ followed by 32 hexadecimal digits)."
        )));
    }
    let row = ctx
        .store
        .machine_auth
        .m2m_tokens
        .get_mut(id)
        .filter(|t| caller.as_deref().is_none_or(|me| t.json["subject"] == me))
        .ok_or_else(|| ApiError::not_found("M2M token", id))?;
    if row.json["revoked"] != true {
        row.json["revoked"] = Value::Bool(true);
        row.json["revocation_reason"] = req
            .field("revocation_reason")
            .cloned()
            .unwrap_or(Value::Null);
        row.json["updated_at"] = Value::from(now());
    }
    Ok(Reply::ok(answer(&row.json)))
}
