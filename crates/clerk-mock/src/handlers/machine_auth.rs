//! What API keys, machines, M2M tokens and OAuth applications share: their state, the
//! checks of ids and secrets, and the answers to a token that does not verify.
//!
//! Tokens are kept as the JSON objects the API answers (without their secret and without the
//! `expired` flag, which depends on when the question is asked), next to their secret.

use crate::error::ApiError;
use crate::ids::now_ms;
use crate::request::Req;
use crate::server::Shared;
use crate::store::{Store, Table};
use axum::http::StatusCode;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::PoisonError;

/// The state of machine authentication.
#[derive(Debug, Default)]
pub(crate) struct MachineAuth {
    pub api_keys: Table<TokenRow>,
    /// API key secret -> id.
    pub api_key_secrets: HashMap<String, String>,
    pub machines: Table<MachineRow>,
    /// Opaque M2M tokens (JWT-format ones are not stored, as at Clerk).
    pub m2m_tokens: Table<TokenRow>,
    /// M2M token -> id.
    pub m2m_secrets: HashMap<String, String>,
    pub oauth_apps: Table<OAuthAppRow>,
    /// Opaque OAuth access tokens.
    pub oauth_tokens: Table<OAuthTokenRow>,
    /// OAuth access token or refresh token -> access token id.
    pub oauth_secrets: HashMap<String, String>,
    /// Authorization codes of `/oauth/authorize` not exchanged yet.
    pub oauth_codes: HashMap<String, super::oauth_flow::PendingCode>,
}

/// An API key or M2M token: the object as answered, and the secret that stands for it.
#[derive(Debug)]
pub(crate) struct TokenRow {
    pub json: Value,
    pub secret: String,
}

/// A machine: the object without its scopes, the machines it may reach (with when each scope
/// was created), and its secret keys.
#[derive(Debug)]
pub(crate) struct MachineRow {
    pub json: Value,
    pub scopes: Vec<(String, i64)>,
    pub secret: String,
    /// The secret key before the last rotation, and until when (ms) it still works.
    pub previous: Option<(String, i64)>,
}

/// An OAuth application and its client secret (public clients have none).
#[derive(Debug)]
pub(crate) struct OAuthAppRow {
    pub json: Value,
    pub secret: Option<String>,
}

/// An opaque OAuth access token with the refresh token of the same grant.
#[derive(Debug)]
pub(crate) struct OAuthTokenRow {
    pub json: Value,
    pub app_id: String,
    pub secret: String,
    pub refresh: String,
}

/// 400 `bad_request`, the answer of the machine authentication endpoints to a malformed value.
pub(crate) fn bad_request(detail: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_request",
        "Bad Request",
        detail,
    )
}

/// 404 for a token that cannot be used: unknown, revoked or expired (`why` says which).
pub(crate) fn token_rejected(what: &str, why: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "resource_not_found",
        "not found",
        format!("This {what} {why}."),
    )
}

/// True for `<prefix>_` followed by 32 hexadecimal digits, the shape of API key, M2M token and
/// OAuth access token ids.
pub(crate) fn is_hex_id(value: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|prefix| {
        value
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

/// True for `<prefix>_` followed by 27 word characters, the shape of user, organization and
/// machine ids in the patterns of these endpoints.
pub(crate) fn is_word_id(value: &str, prefixes: &[&str]) -> bool {
    value.split_once('_').is_some_and(|(prefix, rest)| {
        prefixes.contains(&prefix)
            && rest.chars().count() == 27
            && rest.chars().all(|c| c.is_alphanumeric() || c == '_')
    })
}

/// A copy of a token object with `expired` set for the present moment.
pub(crate) fn answer(json: &Value) -> Value {
    let mut out = json.clone();
    out["expired"] = Value::Bool(is_expired(json));
    out
}

/// True when the object's `expiration` (ms) has passed.
pub(crate) fn is_expired(json: &Value) -> bool {
    json["expiration"]
        .as_f64()
        .is_some_and(|at| at <= now_ms() as f64)
}

/// The expiry (ms) of a token that lives `seconds` from now (fractions allowed).
pub(crate) fn expiry_after(seconds: f64) -> i64 {
    now_ms().saturating_add((seconds * 1000.0).round() as i64)
}

/// The machine whose secret key the caller used, `None` when it used the instance's key; an
/// unknown or retired machine key answers 401.
pub(crate) fn calling_machine(store: &Store, req: &Req) -> Result<Option<String>, ApiError> {
    match req.machine_key.as_deref() {
        None => Ok(None),
        Some(key) => machine_with_key(store, key)
            .map(Some)
            .ok_or_else(ApiError::secret_key_invalid),
    }
}

/// The machine a secret key (current, or previous within its grace period) belongs to.
fn machine_with_key(store: &Store, key: &str) -> Option<String> {
    let now = now_ms();
    store
        .machine_auth
        .machines
        .values()
        .find(|m| {
            m.secret == key
                || m.previous
                    .as_ref()
                    .is_some_and(|(old, until)| old == key && *until > now)
        })
        .and_then(|m| m.json["id"].as_str().map(str::to_string))
}

/// Refuses a request made with a machine key no machine has, before its body is looked at:
/// authentication comes first.
pub(crate) fn check_machine_key(shared: &Shared, key: &str) -> Result<(), ApiError> {
    let store = shared.store.lock().unwrap_or_else(PoisonError::into_inner);
    machine_with_key(&store, key)
        .map(|_| ())
        .ok_or_else(ApiError::secret_key_invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_shapes() {
        assert!(is_hex_id("ak_3beecc9c60adb5f9b850e91a8ee1e992", &["ak"]));
        assert!(is_hex_id(
            "api_key_3beecc9c60adb5f9b850e91a8ee1e992",
            &["ak", "api_key"]
        ));
        assert!(!is_hex_id("ak_3beecc9c60adb5f9b850e91a8ee1e99", &["ak"]));
        assert!(!is_hex_id("mt_3beecc9c60adb5f9b850e91a8ee1e992", &["ak"]));
        assert!(!is_hex_id("ak_3beecc9c60adb5f9b850e91a8ee1e99z", &["ak"]));
        assert!(is_word_id(
            "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
            &["user", "org"]
        ));
        assert!(!is_word_id("user_short", &["user"]));
        assert!(!is_word_id("sess_2xhFjEI5X2qWRvtV13BzSj8H6Dk", &["user"]));
    }

    #[test]
    fn expiry_flags() {
        let past = serde_json::json!({ "expiration": now_ms() - 1 });
        let future = serde_json::json!({ "expiration": expiry_after(60.0) });
        let never = serde_json::json!({ "expiration": null });
        assert_eq!(answer(&past)["expired"], true);
        assert_eq!(answer(&future)["expired"], false);
        assert_eq!(answer(&never)["expired"], false);
    }
}
