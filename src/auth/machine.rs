//! Machine tokens: API keys, M2M tokens and OAuth access tokens.

use serde_json::{Map, Value};

use super::{SignedOutReason, TokenKind};

/// A verified machine token, the same shape for API keys, M2M tokens and OAuth access tokens,
/// whether the Backend API or a local JWT check verified it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MachineClaims {
    /// Which kind of machine token this is.
    pub kind: TokenKind,
    /// The token's id (`ak_…`, `mt_…`, `oat_…`, or the `jti` of a JWT); empty when unknown.
    pub id: String,
    /// Who the token acts for: `user_…`, `org_…` or `mch_…`.
    pub subject: String,
    /// Scopes granted to the token (for M2M tokens: the machines it may reach).
    pub scopes: Vec<String>,
    /// Custom claims attached when the token was created, if any.
    pub claims: Option<Value>,
    /// API keys: the key's name.
    pub name: Option<String>,
    /// OAuth access tokens: the OAuth application's client id.
    pub client_id: Option<String>,
    /// Expiry in milliseconds since the Unix epoch, when the token has one.
    pub expiration_ms: Option<i64>,
    raw: Map<String, Value>,
}

impl MachineClaims {
    /// The full verification answer (or JWT payload) as JSON, unknown fields included.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// True when `scope` is among [`scopes`](Self::scopes).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Reads the Backend API's answer to a verify call.
    ///
    /// A 200 answer can still describe an unusable token (`revoked`, `expired`, or OAuth's
    /// `{"active": false}`), so those flags are checked too.
    pub(crate) fn from_api_response(kind: TokenKind, body: &[u8]) -> Result<Self, SignedOutReason> {
        let raw: Map<String, Value> = serde_json::from_slice(body).map_err(|error| {
            tracing::warn!(%error, "the Backend API's token verification answer is not a JSON object");
            SignedOutReason::BackendUnavailable
        })?;
        if raw.get("active") == Some(&Value::Bool(false)) {
            return Err(SignedOutReason::Expired);
        }
        if raw.get("revoked") == Some(&Value::Bool(true)) {
            return Err(SignedOutReason::TokenRevoked);
        }
        if raw.get("expired") == Some(&Value::Bool(true)) {
            return Err(SignedOutReason::Expired);
        }
        let subject = match raw.get("subject").and_then(Value::as_str) {
            Some(s) if !s.is_empty() => s.to_owned(),
            _ => return Err(SignedOutReason::MissingClaim("subject")),
        };
        Ok(Self {
            kind,
            id: str_field(&raw, "id").unwrap_or_default(),
            subject,
            scopes: raw
                .get("scopes")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            claims: raw.get("claims").filter(|c| !c.is_null()).cloned(),
            name: str_field(&raw, "name"),
            client_id: str_field(&raw, "client_id"),
            expiration_ms: raw.get("expiration").and_then(as_millis),
            raw,
        })
    }

    /// Builds the view of a locally verified machine JWT (M2M or OAuth access token).
    pub(crate) fn from_jwt(
        kind: TokenKind,
        raw: Map<String, Value>,
        sub: String,
        exp: i64,
    ) -> Self {
        // Space-separated `scope` (OAuth) or `scopes` (M2M); an M2M token may list its target
        // machines in `aud` instead.
        let scopes = ["scope", "scopes"]
            .iter()
            .find_map(|k| raw.get(*k).and_then(Value::as_str))
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .or_else(|| {
                raw.get("aud").and_then(Value::as_array).map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
            })
            .unwrap_or_default();
        const STRUCTURAL: [&str; 6] = ["iss", "sub", "exp", "nbf", "iat", "jti"];
        let custom: Map<String, Value> = raw
            .iter()
            .filter(|(k, _)| !STRUCTURAL.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Self {
            kind,
            id: str_field(&raw, "jti").unwrap_or_default(),
            subject: sub,
            scopes,
            claims: (kind == TokenKind::M2mToken && !custom.is_empty())
                .then_some(Value::Object(custom)),
            name: None,
            client_id: str_field(&raw, "client_id").or_else(|| str_field(&raw, "azp")),
            expiration_ms: exp.checked_mul(1000),
            raw,
        }
    }
}

fn str_field(raw: &Map<String, Value>, name: &str) -> Option<String> {
    raw.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn as_millis(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_answer_flags_are_checked() {
        let revoked = br#"{"object":"api_key","id":"ak_1","subject":"user_1","revoked":true,"expired":false}"#;
        assert_eq!(
            MachineClaims::from_api_response(TokenKind::ApiKey, revoked),
            Err(SignedOutReason::TokenRevoked)
        );
        let inactive = br#"{"active":false}"#;
        assert_eq!(
            MachineClaims::from_api_response(TokenKind::OAuthToken, inactive),
            Err(SignedOutReason::Expired)
        );
        assert_eq!(
            MachineClaims::from_api_response(TokenKind::ApiKey, b"[1]"),
            Err(SignedOutReason::BackendUnavailable)
        );
    }
}
