//! JWT templates and the tokens signed from them (`POST /sessions/{id}/tokens/{template_name}`).
//!
//! A template's claims are copied into the token with Clerk's shortcodes resolved for the
//! session's user and active organization: a string that is exactly `"{{user.first_name}}"`
//! becomes the value with its own type (an object for `{{user.public_metadata}}`, `null` when the
//! user has none), shortcodes inside longer strings are interpolated as text, `||` gives
//! fallbacks (`{{user.username || user.id}}`, `{{user.public_metadata.role || 'member'}}`), and an
//! unknown shortcode stays as written. The default claims (`iss`, `sub`, `sid`, `iat`, `jti`,
//! `exp` = `iat` + lifetime, `nbf` = `iat` - allowed clock skew) cannot be set by the template.
//!
//! Tokens are signed with the instance key (header `cat` names the template category), or with
//! the template's own key when `custom_signing_key` is set (HS256/384/512 with the key's bytes,
//! RS256/384/512 or ES256/384 with a PKCS#8 PEM key).

use super::users::{primary_email, primary_phone};
use super::{Ctx, Reply, deleted, now, page_array};
use crate::error::ApiError;
use crate::ids::{now_secs, random_hex};
use crate::keys;
use crate::request::Req;
use crate::store::Store;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};
use serde_json::{Map, Value, json};

/// Defaults Clerk gives a template: tokens live 60 s and tolerate 5 s of clock skew.
const DEFAULT_LIFETIME: i64 = 60;
const DEFAULT_CLOCK_SKEW: i64 = 5;

/// Header `cat` of tokens from JWT templates, as Clerk's SDKs recognize them.
const TEMPLATE_CATEGORY: &str = "cl_B7d4PD222AAA";

/// The claims every token carries; a template may not name them.
const DEFAULT_CLAIMS: &[&str] = &["azp", "exp", "iat", "iss", "jti", "nbf", "sid", "sub"];

/// Algorithms a template's own key may sign with.
const CUSTOM_ALGORITHMS: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384",
];

/// A template and, when it has one, its own signing key (never answered).
#[derive(Debug)]
pub(crate) struct TemplateRow {
    pub json: Value,
    pub signing_key: Option<String>,
}

fn find<'s>(store: &'s mut Store, id: &str) -> Result<&'s mut TemplateRow, ApiError> {
    store
        .jwt_templates
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("JWT template", id))
}

/// The settings of a create or update body, checked; `current` is the template being updated.
fn settings(
    store: &Store,
    req: &Req,
    current: Option<&TemplateRow>,
) -> Result<(Map<String, Value>, Option<String>), ApiError> {
    let name = req.required_str("name")?;
    if name.trim().is_empty() {
        return Err(ApiError::param_value("name", "must not be empty"));
    }
    let own_id = current.and_then(|t| t.json["id"].as_str());
    if store
        .jwt_templates
        .values()
        .any(|t| t.json["name"] == name && t.json["id"].as_str() != own_id)
    {
        return Err(ApiError::duplicate_record(format!(
            "A JWT template named '{name}' already exists."
        )));
    }
    let claims = req
        .field("claims")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::param_missing("claims"))?;
    if let Some(reserved) = DEFAULT_CLAIMS.iter().find(|c| claims.contains_key(**c)) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "jwt_template_reserved_claim",
            "reserved claim used",
            format!("The claim '{reserved}' is set by Clerk in every token and cannot be used in a template."),
        )
        .param("claims"));
    }
    let keep = |field: &str, default: i64| match req.body.get(field) {
        None => current
            .and_then(|t| t.json[field].as_i64())
            .unwrap_or(default),
        Some(v) => v.as_i64().unwrap_or(default),
    };
    let lifetime = keep("lifetime", DEFAULT_LIFETIME);
    let skew = keep("allowed_clock_skew", DEFAULT_CLOCK_SKEW);
    let custom = req.bool_field("custom_signing_key").unwrap_or(false);
    let (algorithm, key) = if custom {
        let algorithm = req
            .str_field("signing_algorithm")
            .ok_or_else(|| ApiError::param_missing("signing_algorithm"))?;
        if !CUSTOM_ALGORITHMS.contains(&algorithm) {
            return Err(ApiError::param_value(
                "signing_algorithm",
                &format!("must be one of {}", CUSTOM_ALGORITHMS.join(", ")),
            ));
        }
        let key = req
            .str_field("signing_key")
            .ok_or_else(|| ApiError::param_missing("signing_key"))?;
        // Signing once proves the key fits the algorithm.
        sign_custom(algorithm, key, &json!({})).map_err(|why| {
            ApiError::param_value(
                "signing_key",
                &format!("cannot sign {algorithm} tokens: {why}"),
            )
        })?;
        (algorithm.to_string(), Some(key.to_string()))
    } else {
        ("RS256".to_string(), None)
    };
    let mut json = Map::new();
    json.insert("object".into(), Value::from("jwt_template"));
    json.insert("name".into(), Value::from(name));
    json.insert("claims".into(), Value::Object(claims.clone()));
    json.insert("lifetime".into(), Value::from(lifetime));
    json.insert("allowed_clock_skew".into(), Value::from(skew));
    json.insert("custom_signing_key".into(), Value::Bool(custom));
    json.insert("signing_algorithm".into(), Value::from(algorithm));
    Ok((json, key))
}

/// `GET /jwt_templates`: every template, or one page with `paginated=true`.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let rows: Vec<Value> = ctx
        .store
        .jwt_templates
        .values()
        .map(|t| t.json.clone())
        .collect();
    if req.query_bool("paginated") == Some(true) {
        let (limit, offset) = req.page();
        return Ok(Reply::ok(page_array(rows, limit, offset)));
    }
    Ok(Reply::ok(Value::Array(rows)))
}

/// `POST /jwt_templates`.
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let (mut json, signing_key) = settings(ctx.store, req, None)?;
    let id = ctx.id("jtmp");
    let at = now();
    json.insert("id".into(), Value::from(id.clone()));
    json.insert("created_at".into(), Value::from(at));
    json.insert("updated_at".into(), Value::from(at));
    let json = Value::Object(json);
    ctx.store.jwt_templates.insert(
        id,
        TemplateRow {
            json: json.clone(),
            signing_key,
        },
    );
    Ok(Reply::ok(json))
}

/// `GET /jwt_templates/{template_id}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    Ok(Reply::ok(
        find(ctx.store, req.path_param("template_id"))?.json.clone(),
    ))
}

/// `PATCH /jwt_templates/{template_id}`: name and claims are required; a lifetime or clock skew
/// left out keeps its value, `null` restores the default.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("template_id");
    let current = ctx
        .store
        .jwt_templates
        .get(id)
        .ok_or_else(|| ApiError::not_found("JWT template", id))?;
    let (mut json, signing_key) = settings(ctx.store, req, Some(current))?;
    let row = find(ctx.store, id)?;
    for field in ["id", "created_at"] {
        json.insert(field.into(), row.json[field].clone());
    }
    json.insert("updated_at".into(), Value::from(now()));
    row.json = Value::Object(json);
    row.signing_key = signing_key;
    Ok(Reply::ok(row.json.clone()))
}

/// `DELETE /jwt_templates/{template_id}`.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("template_id");
    ctx.store
        .jwt_templates
        .remove(id)
        .ok_or_else(|| ApiError::not_found("JWT template", id))?;
    Ok(Reply::ok(deleted("jwt_template", id)))
}

/// `POST /sessions/{session_id}/tokens/{template_name}`: a token for an active session from the
/// named template; `expires_in_seconds` overrides the template's lifetime.
pub(crate) fn session_token(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let session_id = req.path_param("session_id");
    let session = ctx
        .store
        .sessions
        .get(session_id)
        .ok_or_else(|| ApiError::not_found("session", session_id))?;
    if session["status"] != "active" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            format!("Session '{session_id}' is not active, so no token can be issued for it."),
        ));
    }
    let name = req.path_param("template_name");
    let template = ctx
        .store
        .jwt_templates
        .values()
        .find(|t| t.json["name"] == name)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "resource_not_found",
                "JWT template not found",
                format!("No JWT template is named '{name}'."),
            )
        })?;
    let lifetime = req
        .i64_field("expires_in_seconds")
        .or_else(|| template.json["lifetime"].as_i64())
        .unwrap_or(DEFAULT_LIFETIME);
    let skew = template.json["allowed_clock_skew"]
        .as_i64()
        .unwrap_or(DEFAULT_CLOCK_SKEW);
    let scope = Scope::new(ctx.store, session);
    let mut claims = match resolve(&template.json["claims"], &scope) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let iat = now_secs();
    claims.insert("iss".into(), Value::from(ctx.env.origin.clone()));
    claims.insert("sub".into(), session["user_id"].clone());
    claims.insert("sid".into(), session["id"].clone());
    claims.insert("iat".into(), Value::from(iat));
    claims.insert("nbf".into(), Value::from(iat - skew));
    claims.insert("exp".into(), Value::from(iat + lifetime));
    claims.insert("jti".into(), Value::from(random_hex::<10>()));
    let claims = Value::Object(claims);
    let jwt = match (&template.signing_key, template.json["signing_algorithm"].as_str()) {
        (Some(key), Some(algorithm)) => {
            sign_custom(algorithm, key, &claims).map_err(|_| ApiError::internal())?
        }
        _ => keys::sign_jwt_with_header(
            json!({ "alg": "RS256", "kid": ctx.env.instance_id, "typ": "JWT", "cat": TEMPLATE_CATEGORY }),
            &claims,
        )
        .ok_or_else(ApiError::internal)?,
    };
    Ok(Reply::ok(json!({ "object": "token", "jwt": jwt })))
}

// ---------------------------------------------------------------------------------------------
// Shortcodes.

/// What shortcodes can refer to: the session's user and active organization.
struct Scope<'s> {
    user: Option<&'s Value>,
    org: Option<&'s Value>,
    role: Option<&'s Value>,
}

impl<'s> Scope<'s> {
    fn new(store: &'s Store, session: &'s Value) -> Self {
        let user_id = session["user_id"].as_str().unwrap_or_default();
        let org_id = session["last_active_organization_id"].as_str();
        let membership = org_id.and_then(|org_id| {
            store
                .memberships
                .values()
                .find(|m| m["organization_id"] == org_id && m["user_id"] == user_id)
        });
        Scope {
            user: store.users.get(user_id),
            org: org_id.and_then(|id| store.organizations.get(id)),
            role: membership.map(|m| &m["role"]),
        }
    }

    /// The value of a path such as `user.first_name` or `org.public_metadata.tier`: `None`
    /// when the path names nothing Clerk knows, `Some(Null)` when it does but there is no value.
    fn lookup(&self, path: &str) -> Option<Value> {
        let (root, rest) = path.split_once('.')?;
        let (field, deeper) = match rest.split_once('.') {
            Some((field, deeper)) => (field, Some(deeper)),
            None => (rest, None),
        };
        match root {
            "user" => self.user_field(field, deeper),
            "org" => self.org_field(field, deeper),
            _ => None,
        }
    }

    fn user_field(&self, field: &str, deeper: Option<&str>) -> Option<Value> {
        let Some(user) = self.user else {
            return Some(Value::Null);
        };
        let text = |v: Option<&str>| v.map(Value::from).unwrap_or(Value::Null);
        let verified = |list: &str, primary: &str| {
            let items = user[list].as_array()?;
            let item = items
                .iter()
                .find(|i| i["id"] == user[primary])
                .or_else(|| items.first())?;
            Some(Value::Bool(item["verification"]["status"] == "verified"))
        };
        let value = match (field, deeper) {
            ("public_metadata" | "unsafe_metadata", Some(path)) => dig(&user[field], path),
            (_, Some(_)) => return None,
            (
                "id" | "external_id" | "first_name" | "last_name" | "username" | "image_url"
                | "profile_image_url" | "has_image" | "two_factor_enabled" | "public_metadata"
                | "unsafe_metadata",
                None,
            ) => user[field].clone(),
            ("full_name", None) => {
                let parts: Vec<&str> = ["first_name", "last_name"]
                    .iter()
                    .filter_map(|f| user[*f].as_str())
                    .filter(|s| !s.is_empty())
                    .collect();
                if parts.is_empty() {
                    Value::Null
                } else {
                    Value::from(parts.join(" "))
                }
            }
            ("primary_email_address", None) => text(primary_email(user)),
            ("primary_phone_address" | "primary_phone_number", None) => text(primary_phone(user)),
            ("email_verified", None) => verified("email_addresses", "primary_email_address_id")
                .unwrap_or(Value::Bool(false)),
            ("phone_number_verified", None) => {
                verified("phone_numbers", "primary_phone_number_id").unwrap_or(Value::Bool(false))
            }
            // Clerk's shortcodes give these as Unix timestamps in seconds.
            ("created_at" | "updated_at", None) => user[field]
                .as_i64()
                .map(|ms| Value::from(ms / 1000))
                .unwrap_or(Value::Null),
            _ => return None,
        };
        Some(value)
    }

    fn org_field(&self, field: &str, deeper: Option<&str>) -> Option<Value> {
        let known = matches!(
            field,
            "id" | "name" | "slug" | "image_url" | "has_image" | "public_metadata" | "role"
        );
        if !known || (deeper.is_some() && field != "public_metadata") {
            return None;
        }
        let Some(org) = self.org else {
            return Some(Value::Null);
        };
        Some(match (field, deeper) {
            ("public_metadata", Some(path)) => dig(&org[field], path),
            ("role", None) => self.role.cloned().unwrap_or(Value::Null),
            _ => org[field].clone(),
        })
    }

    /// Evaluates the inside of `{{...}}`: alternatives separated by `||`, each a path or a
    /// quoted, numeric or boolean literal; the first one with a value wins. `None` when the
    /// expression is a single path Clerk does not know (the text then stays as written).
    fn eval(&self, expr: &str) -> Option<Value> {
        let alternatives: Vec<&str> = expr.split("||").map(str::trim).collect();
        let mut known = false;
        for alternative in &alternatives {
            let value = literal(alternative).or_else(|| self.lookup(alternative));
            if let Some(value) = value {
                known = true;
                if !value.is_null() {
                    return Some(value);
                }
            }
        }
        (known || alternatives.len() > 1).then_some(Value::Null)
    }
}

/// A literal in a fallback chain: `'text'`, `"text"`, a number, `true`, `false` or `null`.
fn literal(text: &str) -> Option<Value> {
    for quote in ['\'', '"'] {
        if let Some(inner) = text
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return Some(Value::from(inner));
        }
    }
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => text.parse::<i64>().map(Value::from).ok().or_else(|| {
            text.parse::<f64>()
                .ok()
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
        }),
    }
}

/// The value at a dotted path inside metadata; `null` when it is not there.
fn dig(value: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(value, |v, key| v.get(key))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The template's claims with shortcodes resolved, recursively.
fn resolve(value: &Value, scope: &Scope<'_>) -> Value {
    match value {
        Value::String(text) => resolve_text(text, scope),
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, scope)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, scope)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn resolve_text(text: &str, scope: &Scope<'_>) -> Value {
    // A string that is one shortcode takes the value's own type.
    if let Some(expr) = text
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .filter(|expr| !expr.contains("{{") && !expr.contains("}}"))
    {
        return scope.eval(expr).unwrap_or_else(|| Value::from(text));
    }
    // Otherwise each shortcode is replaced by its text.
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let expr = &rest[start + 2..start + 2 + len];
        out.push_str(&rest[..start]);
        match scope.eval(expr) {
            Some(Value::String(s)) => out.push_str(&s),
            Some(Value::Null) => {}
            Some(other) => out.push_str(&other.to_string()),
            None => out.push_str(&rest[start..start + len + 4]),
        }
        rest = &rest[start + len + 4..];
    }
    out.push_str(rest);
    Value::from(out)
}

// ---------------------------------------------------------------------------------------------
// Templates with their own signing key.

/// The DER bytes inside a PEM block (any label).
fn pem_der(pem: &str) -> Result<Vec<u8>, &'static str> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    if body.is_empty() || !pem.contains("-----BEGIN") {
        return Err("the key is not PEM-encoded");
    }
    STANDARD
        .decode(body)
        .map_err(|_| "the PEM body is not valid base64")
}

/// Signs `claims` with a template's own key.
fn sign_custom(algorithm: &str, key: &str, claims: &Value) -> Result<String, &'static str> {
    let header = json!({ "alg": algorithm, "typ": "JWT" });
    let mut message = URL_SAFE_NO_PAD.encode(header.to_string());
    message.push('.');
    message.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let rng = SystemRandom::new();
    let signature: Vec<u8> = match algorithm {
        "HS256" | "HS384" | "HS512" => {
            if key.is_empty() {
                return Err("the key is empty");
            }
            let alg = match algorithm {
                "HS256" => ring::hmac::HMAC_SHA256,
                "HS384" => ring::hmac::HMAC_SHA384,
                _ => ring::hmac::HMAC_SHA512,
            };
            ring::hmac::sign(
                &ring::hmac::Key::new(alg, key.as_bytes()),
                message.as_bytes(),
            )
            .as_ref()
            .to_vec()
        }
        "RS256" | "RS384" | "RS512" => {
            let der = pem_der(key)?;
            let pair = RsaKeyPair::from_pkcs8(&der)
                .or_else(|_| RsaKeyPair::from_der(&der))
                .map_err(|_| "the key is not an RSA private key (PKCS#8 or PKCS#1)")?;
            let padding: &'static dyn signature::RsaEncoding = match algorithm {
                "RS256" => &signature::RSA_PKCS1_SHA256,
                "RS384" => &signature::RSA_PKCS1_SHA384,
                _ => &signature::RSA_PKCS1_SHA512,
            };
            let mut out = vec![0u8; pair.public().modulus_len()];
            pair.sign(padding, &rng, message.as_bytes(), &mut out)
                .map_err(|_| "signing failed")?;
            out
        }
        "ES256" | "ES384" => {
            let der = pem_der(key)?;
            let alg = if algorithm == "ES256" {
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING
            } else {
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING
            };
            let pair = EcdsaKeyPair::from_pkcs8(alg, &der, &rng)
                .map_err(|_| "the key is not a PKCS#8 EC private key on the algorithm's curve")?;
            pair.sign(&rng, message.as_bytes())
                .map_err(|_| "signing failed")?
                .as_ref()
                .to_vec()
        }
        _ => return Err("the algorithm is not supported"),
    };
    message.push('.');
    message.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_with<'s>(
        user: &'s Value,
        org: Option<&'s Value>,
        role: Option<&'s Value>,
    ) -> Scope<'s> {
        Scope {
            user: Some(user),
            org,
            role,
        }
    }

    #[test]
    fn shortcodes_resolve_with_types_fallbacks_and_interpolation() {
        let user = json!({
            "id": "user_1",
            "first_name": "Maria",
            "last_name": null,
            "username": null,
            "created_at": 1_700_000_000_123_i64,
            "primary_email_address_id": "idn_1",
            "email_addresses": [{ "id": "idn_1", "email_address": "maria@example.com", "verification": { "status": "verified" } }],
            "phone_numbers": [],
            "public_metadata": { "profile": { "interests": ["reading"] }, "role": "admin" },
            "unsafe_metadata": {},
        });
        let org = json!({ "id": "org_1", "slug": "acme", "name": "Acme" });
        let role = json!("org:admin");
        let scope = scope_with(&user, Some(&org), Some(&role));
        let template = json!({
            "static": [1, 2, { "nested": true }],
            "id": "{{user.id}}",
            "surname": "{{user.last_name}}",
            "email": "{{user.primary_email_address}}",
            "verified": "{{user.email_verified}}",
            "phone": "{{user.primary_phone_address}}",
            "joined": "{{user.created_at}}",
            "interests": "{{user.public_metadata.profile.interests}}",
            "missing_meta": "{{user.public_metadata.nothing.here}}",
            "handle": "{{user.username || user.id}}",
            "level": "{{user.public_metadata.level || 'basic'}}",
            "greeting": "Hello {{user.first_name}} {{user.last_name}}!",
            "org": { "slug": "{{org.slug}}", "role": "{{org.role}}" },
            "unknown": "{{user.i_dont_exist}}",
            "private": "{{user.private_metadata}}",
            "mixed_unknown": "x {{session.nope}} y",
        });
        let out = resolve(&template, &scope);
        assert_eq!(
            out,
            json!({
                "static": [1, 2, { "nested": true }],
                "id": "user_1",
                "surname": null,
                "email": "maria@example.com",
                "verified": true,
                "phone": null,
                "joined": 1_700_000_000,
                "interests": ["reading"],
                "missing_meta": null,
                "handle": "user_1",
                "level": "basic",
                "greeting": "Hello Maria !",
                "org": { "slug": "acme", "role": "org:admin" },
                "unknown": "{{user.i_dont_exist}}",
                "private": "{{user.private_metadata}}",
                "mixed_unknown": "x {{session.nope}} y",
            })
        );
        // Without an active organization, organization shortcodes give null.
        let no_org = scope_with(&user, None, None);
        assert_eq!(resolve(&json!("{{org.id}}"), &no_org), Value::Null);
    }

    #[test]
    fn custom_keys_sign_and_bad_keys_are_refused() {
        let token = sign_custom("HS256", "shared-secret", &json!({ "a": 1 })).expect("signs");
        let (message, signature) = token.rsplit_once('.').expect("three parts");
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"shared-secret");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64");
        ring::hmac::verify(&key, message.as_bytes(), &signature).expect("HMAC verifies");
        assert!(sign_custom("RS256", "not a pem", &json!({})).is_err());
        assert!(
            sign_custom(
                "ES256",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
                &json!({})
            )
            .is_err()
        );
        assert!(sign_custom("HS256", "", &json!({})).is_err());
    }
}
