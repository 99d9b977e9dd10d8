//! What secures a user besides the password: second factors (TOTP, backup codes, SMS codes),
//! the compromised-password mark, web3 wallets, and one-time codes that verify an email
//! address or phone number from a backend.
//!
//! TOTP codes are checked for real (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, one step of
//! drift either way) against the `totp_secret` given when the user was created or updated.
//! Verification codes are not sent anywhere: the code is always 424242, the code Clerk's test
//! mode accepts for its test addresses.

use super::state;
use crate::error::ApiError;
use crate::handlers::users::find_mut;
use crate::handlers::{Ctx, Reply, deleted, now};
use crate::ids::now_secs;
use crate::request::Req;
use crate::store::Store;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// The code every verification accepts.
pub(crate) const TEST_CODE: &str = "424242";
/// How long a verification code lives.
const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// Wrong codes a verification takes before it fails.
const MAX_ATTEMPTS: i64 = 3;

/// A verification started by `prepare_verification`.
#[derive(Debug, Clone)]
pub(crate) struct Verification {
    /// The email address or phone number it verifies.
    pub identification_id: String,
    pub strategy: &'static str,
    pub status: &'static str,
    pub attempts: i64,
    pub expire_at: i64,
}

/// Keeps the TOTP secret and backup codes a create or update request gives for a user.
pub(crate) fn remember(store: &mut Store, user_id: &str, req: &Req) {
    let state = &mut store.managed;
    if let Some(secret) = req.str_field("totp_secret") {
        state
            .totp_secrets
            .insert(user_id.to_string(), secret.to_string());
    }
    if let Some(codes) = req.field("backup_codes").and_then(Value::as_array) {
        let codes: Vec<String> = codes
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        state.backup_codes.insert(user_id.to_string(), codes);
    }
}

/// Forgets everything kept for a deleted user.
pub(crate) fn forget(store: &mut Store, user_id: &str) {
    let state = &mut store.managed;
    state.totp_secrets.remove(user_id);
    state.backup_codes.remove(user_id);
    state.compromised.remove(user_id);
}

/// Applies `change` to a user, stamps it, emits `user.updated` and answers `{"user_id"}`
/// (or the user when `answer_user`).
fn change_user(
    ctx: &mut Ctx<'_>,
    user_id: &str,
    answer_user: bool,
    change: impl FnOnce(&mut Value),
) -> Result<Reply, ApiError> {
    let user = find_mut(ctx.store, user_id)?;
    change(user);
    let two_factor = user["totp_enabled"] == true
        || user["phone_numbers"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["reserved_for_second_factor"] == true));
    user["two_factor_enabled"] = Value::Bool(two_factor);
    user["updated_at"] = Value::from(now());
    let snapshot = user.clone();
    ctx.emit("user.updated", |_| snapshot.clone());
    Ok(Reply::ok(if answer_user {
        snapshot
    } else {
        json!({ "user_id": user_id })
    }))
}

/// `DELETE /users/{user_id}/mfa`: every second factor at once.
pub(crate) fn disable_mfa(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    let reply = change_user(ctx, &id, false, |u| {
        u["totp_enabled"] = Value::Bool(false);
        u["backup_code_enabled"] = Value::Bool(false);
        u["mfa_disabled_at"] = Value::from(now());
        for phone in u["phone_numbers"].as_array_mut().into_iter().flatten() {
            phone["reserved_for_second_factor"] = Value::Bool(false);
            phone["default_second_factor"] = Value::Bool(false);
        }
    })?;
    forget_factors(ctx, &id);
    Ok(reply)
}

fn forget_factors(ctx: &mut Ctx<'_>, id: &str) {
    let state = state(ctx);
    state.totp_secrets.remove(id);
    state.backup_codes.remove(id);
}

/// `DELETE /users/{user_id}/totp`.
pub(crate) fn delete_totp(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    let reply = change_user(ctx, &id, false, |u| u["totp_enabled"] = Value::Bool(false))?;
    state(ctx).totp_secrets.remove(&id);
    Ok(reply)
}

/// `DELETE /users/{user_id}/backup_code`.
pub(crate) fn delete_backup_codes(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    let reply = change_user(ctx, &id, false, |u| {
        u["backup_code_enabled"] = Value::Bool(false)
    })?;
    state(ctx).backup_codes.remove(&id);
    Ok(reply)
}

/// `POST /users/{user_id}/verify_totp`: a current TOTP code, or a backup code (used up).
pub(crate) fn verify_totp(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    let code = req.required_str("code")?.trim().to_string();
    find_mut(ctx.store, &id)?;
    let state = state(ctx);
    if let Some(secret) = state.totp_secrets.get(&id)
        && totp_matches(secret, &code, now_secs())
    {
        return Ok(Reply::ok(json!({ "verified": true, "code_type": "totp" })));
    }
    if let Some(codes) = state.backup_codes.get_mut(&id)
        && let Some(pos) = codes.iter().position(|c| *c == code)
    {
        codes.remove(pos);
        let none_left = codes.is_empty();
        if none_left {
            change_user(ctx, &id, false, |u| {
                u["backup_code_enabled"] = Value::Bool(false)
            })?;
        }
        return Ok(Reply::ok(
            json!({ "verified": true, "code_type": "backup_code" }),
        ));
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_code_incorrect",
        "Incorrect code",
        "The code is neither the user's current TOTP code nor one of their unused backup codes.",
    )
    .param("code"))
}

/// `POST /users/{user_id}/password/set_compromised`: the user must reset the password at the
/// next sign-in; `revoke_all_sessions` also signs them out.
pub(crate) fn set_compromised(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    if find_mut(ctx.store, &id)?["password_enabled"] != true {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "password_not_set",
            "the user has no password",
            "Only a password that is set can be marked compromised.",
        ));
    }
    state(ctx).compromised.insert(id.clone());
    let reply = change_user(ctx, &id, true, |_| {})?;
    if req.bool_field("revoke_all_sessions") == Some(true) {
        crate::handlers::users::revoke_sessions(ctx, &id);
    }
    Ok(reply)
}

/// `POST /users/{user_id}/password/unset_compromised`.
pub(crate) fn unset_compromised(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("user_id").to_string();
    find_mut(ctx.store, &id)?;
    state(ctx).compromised.remove(&id);
    change_user(ctx, &id, true, |_| {})
}

/// `DELETE /users/{user_id}/web3_wallets/{web3_wallet_identification_id}`.
pub(crate) fn delete_web3_wallet(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let user_id = req.path_param("user_id").to_string();
    let wallet_id = req.path_param("web3_wallet_identification_id").to_string();
    let user = find_mut(ctx.store, &user_id)?;
    let owned = user["web3_wallets"]
        .as_array()
        .is_some_and(|ws| ws.iter().any(|w| w["id"] == wallet_id.as_str()));
    if !owned {
        return Err(ApiError::not_found("web3 wallet", &wallet_id));
    }
    change_user(ctx, &user_id, false, |u| {
        if let Some(list) = u["web3_wallets"].as_array_mut() {
            list.retain(|w| w["id"] != wallet_id.as_str());
        }
        if u["primary_web3_wallet_id"] == wallet_id.as_str() {
            u["primary_web3_wallet_id"] = u["web3_wallets"]
                .get(0)
                .map(|w| w["id"].clone())
                .unwrap_or(Value::Null);
        }
    })?;
    ctx.store.identifications.remove(&wallet_id);
    Ok(Reply::ok(deleted("web3_wallet", &wallet_id)))
}

// ---------------------------------------------------------------------------------------------
// Verification codes for email addresses and phone numbers.

/// The identification the path names: its id, owner and which list of the owner holds it.
fn locate(
    ctx: &Ctx<'_>,
    req: &Req,
) -> Result<(String, String, &'static str, &'static str), ApiError> {
    let (id, list, strategy) = if !req.path_param("email_address_id").is_empty() {
        (
            req.path_param("email_address_id"),
            "email_addresses",
            "email_code",
        )
    } else {
        (
            req.path_param("phone_number_id"),
            "phone_numbers",
            "phone_code",
        )
    };
    let what = if list == "email_addresses" {
        "email address"
    } else {
        "phone number"
    };
    let owner = ctx
        .store
        .identifications
        .owner(id)
        .filter(|owner| {
            ctx.store.users.get(owner).is_some_and(|u| {
                u[list]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|i| i["id"] == id))
            })
        })
        .ok_or_else(|| ApiError::not_found(what, id))?;
    Ok((id.to_string(), owner.to_string(), list, strategy))
}

fn answer(id: &str, v: &Verification) -> Value {
    json!({
        "object": "verification", "id": id, "status": v.status, "strategy": v.strategy,
        "attempts": v.attempts, "expire_at": v.expire_at,
        "channel": if v.strategy == "phone_code" { Value::from("sms") } else { Value::Null },
    })
}

/// `POST /{email_addresses|phone_numbers}/{id}/prepare_verification`: "sends" a code.
pub(crate) fn prepare_verification(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let (ident, _, _, strategy) = locate(ctx, req)?;
    let id = ctx.id("ver");
    let verification = Verification {
        identification_id: ident,
        strategy,
        status: "unverified",
        attempts: 0,
        expire_at: now() + CODE_LIFETIME_MS,
    };
    let body = answer(&id, &verification);
    state(ctx).verifications.insert(id, verification);
    Ok(Reply::ok(body))
}

/// `POST /{email_addresses|phone_numbers}/{id}/attempt_verification`: a wrong or late code is
/// reported in the status; the right one verifies the address or number.
pub(crate) fn attempt_verification(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let (ident, owner, list, strategy) = locate(ctx, req)?;
    let verification_id = req.required_str("verification_id")?.to_string();
    let code = req.required_str("code")?.trim().to_string();
    let Some(v) = state(ctx)
        .verifications
        .get_mut(&verification_id)
        .filter(|v| v.identification_id == ident)
    else {
        return Err(ApiError::not_found("verification", &verification_id));
    };
    match v.status {
        "verified" => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "verification_already_verified",
                "already verified",
                "This verification was completed before; prepare a new one to check another code.",
            ));
        }
        "failed" | "expired" => return Ok(Reply::ok(answer(&verification_id, v))),
        _ => {}
    }
    v.attempts += 1;
    if now() > v.expire_at {
        v.status = "expired";
    } else if code == TEST_CODE {
        v.status = "verified";
    } else if v.attempts >= MAX_ATTEMPTS {
        v.status = "failed";
    }
    let (status, attempts, expire_at) = (v.status, v.attempts, v.expire_at);
    let body = answer(&verification_id, v);
    if status == "verified" {
        let user = find_mut(ctx.store, &owner)?;
        let item = user[list]
            .as_array_mut()
            .and_then(|items| items.iter_mut().find(|i| i["id"] == ident.as_str()));
        if let Some(item) = item
            && item["verification"]["status"] != "verified"
        {
            item["verification"] = json!({
                "object": "verification_otp", "status": "verified", "strategy": strategy,
                "attempts": attempts, "expire_at": expire_at,
            });
            item["updated_at"] = Value::from(now());
            change_user(ctx, &owner, false, |_| {})?;
        }
    }
    Ok(Reply::ok(body))
}

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238 over RFC 4226).

/// Decodes RFC 4648 base32, ignoring case, spaces and padding.
fn base32(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut count = 0u32;
    let mut out = Vec::new();
    for c in text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
    {
        let v = match c.to_ascii_uppercase() {
            u @ 'A'..='Z' => u as u64 - 'A' as u64,
            d @ '2'..='7' => d as u64 - '2' as u64 + 26,
            _ => return None,
        };
        bits = (bits << 5) | v;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// The 6-digit code of `secret` for the 30-second step `counter`.
fn totp_code(key: &[u8], counter: u64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let tag = ring::hmac::sign(&key, &counter.to_be_bytes());
    let digest = tag.as_ref();
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// Whether `code` is the TOTP code of `secret` at `now` (seconds), one step either way.
pub(crate) fn totp_matches(secret: &str, code: &str, now: i64) -> bool {
    let Some(key) = base32(secret).filter(|k| !k.is_empty()) else {
        return false;
    };
    let step = (now.max(0) / 30) as u64;
    [step.saturating_sub(1), step, step + 1]
        .iter()
        .any(|s| totp_code(&key, *s) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_the_rfc_6238_vectors() {
        // RFC 6238 appendix B: the ASCII key "12345678901234567890", SHA-1, 8 digits; the
        // last 6 digits are the 6-digit codes.
        let key = b"12345678901234567890";
        assert_eq!(totp_code(key, 59 / 30), "287082");
        assert_eq!(totp_code(key, 1_111_111_109 / 30), "081804");
        assert_eq!(totp_code(key, 1_234_567_890 / 30), "005924");
        // The same key in base32.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(base32(secret).as_deref(), Some(&key[..]));
        assert!(totp_matches(secret, "005924", 1_234_567_890));
        assert!(totp_matches(secret, "005924", 1_234_567_890 + 30));
        assert!(!totp_matches(secret, "005924", 1_234_567_890 + 90));
        assert!(!totp_matches("not base32!", "005924", 1_234_567_890));
    }
}
