//! OAuth applications (this instance acting as an OAuth provider) and the access tokens issued
//! to them.
//!
//! Access tokens come from the authorization code flow (`oauth_flow.rs`) or from
//! [`MockServer::oauth_access_token`](crate::MockServer::oauth_access_token): opaque ones
//! (`oat_...`, stored with a refresh token of the same grant) or JWTs (header `typ: at+jwt`,
//! signed with the instance key). Verification answers 404 for unknown, revoked and expired
//! opaque tokens, and `{"active": false}` for an expired JWT, as Clerk's reference describes.

use super::machine_auth::{
    OAuthAppRow, OAuthTokenRow, answer, bad_request, is_expired, token_rejected,
};
use super::{Ctx, Reply, deleted, now, order_by, paginated};
use crate::error::ApiError;
use crate::ids::{now_ms, random_token};
use crate::keys;
use crate::request::Req;
use crate::server::Env;
use crate::store::{Store, sort_rows};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Scopes an OAuth application may ask for.
const KNOWN_SCOPES: &[&str] = &[
    "email",
    "offline_access",
    "openid",
    "private_metadata",
    "profile",
    "public_metadata",
];

const DEFAULT_SCOPES: &str = "profile email";

fn find<'s>(store: &'s mut Store, id: &str) -> Result<&'s mut OAuthAppRow, ApiError> {
    store
        .machine_auth
        .oauth_apps
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("OAuth application", id))
}

fn check_scopes(scopes: &str) -> Result<(), ApiError> {
    match scopes
        .split_whitespace()
        .find(|s| !KNOWN_SCOPES.contains(s))
    {
        Some(unknown) => Err(ApiError::param_value(
            "scopes",
            &format!(
                "names '{unknown}', which is not one of {}",
                KNOWN_SCOPES.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// The redirect URIs of a create or update body (`redirect_uris`, else the deprecated
/// `callback_url`), checked: each an absolute URI, no duplicates.
fn redirect_uris(req: &Req) -> Result<Option<Vec<String>>, ApiError> {
    let uris: Vec<String> = match (req.field("redirect_uris"), req.str_field("callback_url")) {
        (Some(Value::Array(list)), _) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        (_, Some(url)) if !url.is_empty() => vec![url.to_string()],
        _ => return Ok(None),
    };
    for (i, uri) in uris.iter().enumerate() {
        let absolute = uri
            .split_once("://")
            .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty());
        if !absolute || uri.chars().any(char::is_whitespace) {
            return Err(ApiError::param_format(
                "redirect_uris",
                "a list of absolute URIs (any scheme, e.g. https://app.example.com/callback)",
            ));
        }
        if uris[..i].contains(uri) {
            return Err(ApiError::duplicate_record(format!(
                "The redirect URI '{uri}' is listed twice."
            )));
        }
    }
    Ok(Some(uris))
}

fn set_redirects(json: &mut Value, uris: Vec<String>) {
    json["callback_url"] = Value::from(uris.first().cloned().unwrap_or_default());
    json["redirect_uris"] = json!(uris);
}

fn with_secret(row: &OAuthAppRow) -> Value {
    let mut out = row.json.clone();
    if let Some(secret) = &row.secret {
        out["client_secret"] = Value::from(secret.clone());
    }
    out
}

/// `GET /oauth_applications`: `order_by` `created_at` or `name` (default `+created_at`);
/// `name_query` matches names partly (case-insensitive) or a `client_id` exactly.
pub(crate) fn list(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let order = order_by(req, &["created_at", "name"], "+created_at")?;
    let query = req.query("name_query").filter(|q| !q.is_empty());
    let lower = query.map(str::to_lowercase).unwrap_or_default();
    let mut rows: Vec<Value> = ctx
        .store
        .machine_auth
        .oauth_apps
        .values()
        .map(|a| &a.json)
        .filter(|a| {
            query.is_none_or(|q| {
                a["client_id"] == q
                    || a["name"]
                        .as_str()
                        .is_some_and(|n| n.to_lowercase().contains(&lower))
            })
        })
        .cloned()
        .collect();
    sort_rows(&mut rows, &order, |a| a[order.field.as_str()].clone());
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `POST /oauth_applications`: the answer carries the client secret (public clients have none).
pub(crate) fn create(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?;
    if name.trim().is_empty() || name.chars().count() > 256 {
        return Err(ApiError::param_value(
            "name",
            "must be 1 to 256 characters long",
        ));
    }
    let scopes = req.str_field("scopes").unwrap_or(DEFAULT_SCOPES);
    check_scopes(scopes)?;
    let uris = redirect_uris(req)?.unwrap_or_default();
    let public = req.bool_field("public").unwrap_or(false);
    let id = ctx.id("oa");
    let origin = &ctx.env.origin;
    let at = now();
    let mut json = json!({
        "object": "oauth_application",
        "id": id,
        "instance_id": ctx.env.instance_id,
        "name": name,
        "client_id": random_token(16),
        "client_uri": null,
        "client_image_url": null,
        "dynamically_registered": false,
        "consent_screen_enabled": req.bool_field("consent_screen_enabled").unwrap_or(true),
        "pkce_required": req.bool_field("pkce_required").unwrap_or(false),
        "public": public,
        "scopes": scopes,
        "authorize_url": format!("{origin}/oauth/authorize"),
        "token_fetch_url": format!("{origin}/oauth/token"),
        "user_info_url": format!("{origin}/oauth/userinfo"),
        "discovery_url": format!("{origin}/.well-known/openid-configuration"),
        "token_introspection_url": format!("{origin}/oauth/token_info"),
        "created_at": at,
        "updated_at": at,
    });
    set_redirects(&mut json, uris);
    let row = OAuthAppRow {
        json,
        secret: (!public).then(|| random_token(32)),
    };
    let body = with_secret(&row);
    ctx.store.machine_auth.oauth_apps.insert(id, row);
    Ok(Reply::ok(body))
}

/// `GET /oauth_applications/{oauth_application_id}`.
pub(crate) fn get(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let row = find(ctx.store, req.path_param("oauth_application_id"))?;
    Ok(Reply::ok(row.json.clone()))
}

/// `PATCH /oauth_applications/{oauth_application_id}`.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    if let Some(name) = req.str_field("name")
        && (name.trim().is_empty() || name.chars().count() > 256)
    {
        return Err(ApiError::param_value(
            "name",
            "must be 1 to 256 characters long",
        ));
    }
    if let Some(scopes) = req.str_field("scopes") {
        check_scopes(scopes)?;
    }
    let uris = redirect_uris(req)?;
    let row = find(ctx.store, req.path_param("oauth_application_id"))?;
    for field in ["name", "scopes"] {
        if let Some(value) = req.str_field(field) {
            row.json[field] = Value::from(value);
        }
    }
    for field in ["consent_screen_enabled", "pkce_required", "public"] {
        if let Some(value) = req.bool_field(field) {
            row.json[field] = Value::Bool(value);
        }
    }
    if let Some(uris) = uris {
        set_redirects(&mut row.json, uris);
    }
    // A client that becomes confidential needs a secret; a public one keeps none.
    match (row.json["public"] == true, row.secret.is_some()) {
        (true, true) => row.secret = None,
        (false, false) => row.secret = Some(random_token(32)),
        _ => {}
    }
    row.json["updated_at"] = Value::from(now());
    Ok(Reply::ok(row.json.clone()))
}

/// `DELETE /oauth_applications/{oauth_application_id}`: its access tokens stop working.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("oauth_application_id");
    let auth = &mut ctx.store.machine_auth;
    auth.oauth_apps
        .remove(id)
        .ok_or_else(|| ApiError::not_found("OAuth application", id))?;
    let tokens: Vec<String> = auth
        .oauth_tokens
        .values()
        .filter(|t| t.app_id == id)
        .filter_map(|t| t.json["id"].as_str().map(str::to_string))
        .collect();
    for token_id in tokens {
        if let Some(row) = auth.oauth_tokens.remove(&token_id) {
            auth.oauth_secrets.remove(&row.secret);
            auth.oauth_secrets.remove(&row.refresh);
        }
    }
    Ok(Reply::ok(deleted("oauth_application", id)))
}

/// `PUT /oauth_applications/{oauth_application_id}/logo` (multipart).
pub(crate) fn upload_logo(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("oauth_application_id");
    let row = find(ctx.store, id)?;
    row.json["client_image_url"] =
        Value::from(format!("https://img.clerk.com/mock/{id}?v={}", now()));
    row.json["updated_at"] = Value::from(now());
    Ok(Reply::ok(row.json.clone()))
}

/// `POST /oauth_applications/{oauth_application_id}/rotate_secret`: the old secret stops
/// working at once.
pub(crate) fn rotate_secret(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let row = find(ctx.store, req.path_param("oauth_application_id"))?;
    row.secret = Some(random_token(32));
    row.json["updated_at"] = Value::from(now());
    Ok(Reply::ok(with_secret(row)))
}

/// `POST /oauth_applications/{oauth_application_id}/revoke_token`: revokes the grant of an
/// opaque access or refresh token of this application; 204.
pub(crate) fn revoke_token(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let app_id = req.path_param("oauth_application_id");
    find(ctx.store, app_id)?;
    let token = req.required_str("token")?;
    let auth = &mut ctx.store.machine_auth;
    let row = auth
        .oauth_secrets
        .get(token)
        .and_then(|id| auth.oauth_tokens.get_mut(id))
        .filter(|t| t.app_id == app_id)
        .ok_or_else(|| token_rejected("OAuth token", "is unknown to this application"))?;
    if row.json["revoked"] != true {
        row.json["revoked"] = Value::Bool(true);
        row.json["revocation_reason"] = Value::from("Revoked through the Backend API");
        row.json["updated_at"] = Value::from(now());
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `POST /oauth_applications/access_tokens/verify`.
pub(crate) fn verify(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let token = req
        .str_field("access_token")
        .or_else(|| req.str_field("secret"))
        .ok_or_else(|| bad_request("access_token is required."))?;
    let unknown = || token_rejected("OAuth access token", "is unknown to this instance");
    if token.matches('.').count() == 2 {
        let is_access_token = keys::jwt_header(token)
            .and_then(|h| h["typ"].as_str().map(str::to_ascii_lowercase))
            .is_some_and(|typ| typ == "at+jwt" || typ == "application/at+jwt");
        let claims = keys::verify_jwt(&ctx.env.instance_id, token)
            .filter(|_| is_access_token)
            .ok_or_else(unknown)?;
        let exp = claims["exp"].as_i64().ok_or_else(unknown)?;
        if exp * 1000 <= now_ms() {
            return Ok(Reply::ok(json!({ "active": false })));
        }
        let iat = claims["iat"].as_i64().unwrap_or_default() * 1000;
        let scopes: Vec<&str> = claims["scope"]
            .as_str()
            .map(|s| s.split_whitespace().collect())
            .unwrap_or_default();
        return Ok(Reply::ok(json!({
            "object": "clerk_idp_oauth_access_token",
            "id": claims["jti"],
            "client_id": claims["client_id"],
            "subject": claims["sub"],
            "scopes": scopes,
            "revoked": false,
            "revocation_reason": null,
            "expired": false,
            "expiration": exp * 1000,
            "created_at": iat,
            "updated_at": iat,
        })));
    }
    let auth = &ctx.store.machine_auth;
    let row = auth
        .oauth_secrets
        .get(token)
        .and_then(|id| auth.oauth_tokens.get(id))
        .filter(|t| t.secret == token)
        .ok_or_else(unknown)?;
    if row.json["revoked"] == true {
        return Err(token_rejected("OAuth access token", "was revoked"));
    }
    if is_expired(&row.json) {
        return Err(token_rejected("OAuth access token", "has expired"));
    }
    Ok(Reply::ok(answer(&row.json)))
}

/// What [`issue`] hands out.
pub(crate) struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id: String,
    pub expires_at_ms: i64,
}

/// Issues an access token of the application with `client_id` to `user_id`, as a completed
/// authorization would: `scopes` default to the application's and must be among them.
pub(crate) fn issue(
    store: &mut Store,
    env: &Env,
    client_id: &str,
    user_id: &str,
    scopes: Option<Vec<String>>,
    lifetime_ms: i64,
    jwt: bool,
) -> Result<Issued, String> {
    let app = store
        .machine_auth
        .oauth_apps
        .values()
        .find(|a| a.json["client_id"] == client_id)
        .ok_or_else(|| format!("no OAuth application has the client id '{client_id}'"))?;
    if !store.users.contains(user_id) {
        return Err(format!("there is no user with id '{user_id}'"));
    }
    let allowed: Vec<&str> = app.json["scopes"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let scopes = scopes.unwrap_or_else(|| allowed.iter().map(|s| s.to_string()).collect());
    if let Some(extra) = scopes.iter().find(|s| !allowed.contains(&s.as_str())) {
        return Err(format!(
            "the application may not ask for the scope '{extra}' (it has '{}')",
            allowed.join(" ")
        ));
    }
    let app_id = app.json["id"].as_str().unwrap_or_default().to_string();
    let id = format!("oat_{}", env.ids.hex(32));
    let at = now();
    let expires_at_ms = at.saturating_add(lifetime_ms);
    if jwt {
        let iat = at / 1000;
        let claims = json!({
            "iss": env.origin,
            "sub": user_id,
            "client_id": client_id,
            "scope": scopes.join(" "),
            "jti": id,
            "iat": iat,
            "nbf": iat,
            "exp": expires_at_ms / 1000,
        });
        let header = json!({ "alg": "RS256", "kid": env.instance_id, "typ": "at+jwt" });
        let access_token = keys::sign_jwt_with_header(header, &claims)
            .ok_or_else(|| "the signing key could not be loaded".to_string())?;
        return Ok(Issued {
            access_token,
            refresh_token: None,
            id,
            expires_at_ms,
        });
    }
    let secret = format!("oat_{}", random_token(40));
    let refresh = random_token(48);
    let json = json!({
        "object": "clerk_idp_oauth_access_token",
        "id": id,
        "client_id": client_id,
        "subject": user_id,
        "scopes": scopes,
        "revoked": false,
        "revocation_reason": null,
        "expiration": expires_at_ms,
        "created_at": at,
        "updated_at": at,
    });
    let auth = &mut store.machine_auth;
    auth.oauth_secrets.insert(secret.clone(), id.clone());
    auth.oauth_secrets.insert(refresh.clone(), id.clone());
    auth.oauth_tokens.insert(
        id.clone(),
        OAuthTokenRow {
            json,
            app_id,
            secret: secret.clone(),
            refresh: refresh.clone(),
        },
    );
    Ok(Issued {
        access_token: secret,
        refresh_token: Some(refresh),
        id,
        expires_at_ms,
    })
}
