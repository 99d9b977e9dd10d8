//! The endpoints an OAuth client of this instance calls (Clerk serves them on its Frontend API):
//! the authorization endpoint `GET /oauth/authorize` and the token endpoint `POST /oauth/token`,
//! for the authorization code grant (with PKCE) and refresh tokens.
//!
//! The mock has no sign-in page or consent screen: the user is whoever the session token in the
//! `__session` cookie (or an `Authorization: Bearer` header) belongs to, and consent is given.
//! Errors follow OAuth 2.0 (RFC 6749): `{"error", "error_description"}`, or a redirect carrying
//! `error` once the redirect URI is known to be the application's.

use super::machine_auth::OAuthAppRow;
use super::oauth;
use crate::ids::{now_ms, random_token};
use crate::keys;
use crate::router::read_body;
use crate::server::Shared;
use crate::store::Store;
use axum::Extension;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

/// How long an authorization code can be exchanged.
const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// How long the access tokens of this flow live.
const ACCESS_TOKEN_LIFETIME_MS: i64 = 3600 * 1000;

/// An authorization code waiting to be exchanged.
#[derive(Debug)]
pub(crate) struct PendingCode {
    client_id: String,
    user_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    /// PKCE: the challenge and its method (`S256` or `plain`).
    challenge: Option<(String, String)>,
    expires_at_ms: i64,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description });
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the redirect URI cannot be used in a Location header",
        ),
    }
}

/// `uri` with query parameters appended.
fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.finish())
}

fn app_by_client_id<'s>(store: &'s Store, client_id: &str) -> Option<&'s OAuthAppRow> {
    store
        .machine_auth
        .oauth_apps
        .values()
        .find(|a| a.json["client_id"] == client_id)
}

/// The signed-in user: the owner of the active session whose token is in the `__session`
/// cookie or the `Authorization` header.
fn signed_in_user(store: &Store, instance_id: &str, headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix("__session="))
        .next();
    let claims = keys::verify_jwt(instance_id, bearer.or(cookie)?)?;
    if claims["exp"]
        .as_i64()
        .is_some_and(|exp| exp * 1000 <= now_ms())
    {
        return None;
    }
    let session = store.sessions.get(claims["sid"].as_str()?)?;
    (session["status"] == "active")
        .then(|| session["user_id"].as_str().map(str::to_string))
        .flatten()
}

/// `GET /oauth/authorize`: answers with a redirect to the application carrying `code` and
/// `state`.
pub(crate) async fn authorize(
    Extension(shared): Extension<Arc<Shared>>,
    request: Request,
) -> Response {
    let params: HashMap<String, String> =
        form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let mut store = shared.store.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(client_id) = param("client_id") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id is missing",
        );
    };
    let Some(app) = app_by_client_id(&store, client_id) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "no OAuth application has this client_id",
        );
    };
    let registered: Vec<&str> = app.json["redirect_uris"]
        .as_array()
        .map(|uris| uris.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let redirect_uri = match (param("redirect_uri"), registered.as_slice()) {
        (Some(uri), _) if registered.contains(&uri) => uri.to_string(),
        (None, [only]) => (*only).to_string(),
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri is not one of the application's redirect URIs",
            );
        }
    };
    // From here on, errors go back to the application.
    let state = param("state");
    let fail = |error: &str, description: &str| {
        let mut query = vec![("error", error), ("error_description", description)];
        if let Some(state) = state {
            query.push(("state", state));
        }
        redirect(&with_query(&redirect_uri, &query))
    };
    if param("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "only the authorization code flow (response_type=code) is served",
        );
    }
    let allowed: Vec<&str> = app.json["scopes"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let scopes: Vec<String> = match param("scope") {
        Some(scope) => scope.split_whitespace().map(str::to_string).collect(),
        None => allowed.iter().map(|s| s.to_string()).collect(),
    };
    if scopes.iter().any(|s| !allowed.contains(&s.as_str())) {
        return fail("invalid_scope", "a scope is not one of the application's");
    }
    let challenge = match (param("code_challenge"), param("code_challenge_method")) {
        (Some(challenge), method @ (None | Some("S256" | "plain"))) => {
            Some((challenge.to_string(), method.unwrap_or("plain").to_string()))
        }
        (Some(_), Some(_)) => {
            return fail(
                "invalid_request",
                "code_challenge_method must be S256 or plain",
            );
        }
        (None, _) => None,
    };
    let needs_pkce = app.json["pkce_required"] == true || app.json["public"] == true;
    if needs_pkce && challenge.is_none() {
        return fail(
            "invalid_request",
            "this application must use PKCE (code_challenge)",
        );
    }
    let Some(user_id) = signed_in_user(&store, &shared.env.instance_id, request.headers()) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "login_required",
            "no signed-in user: send a session token of this server in the __session cookie",
        );
    };
    let code = random_token(32);
    store.machine_auth.oauth_codes.insert(
        code.clone(),
        PendingCode {
            client_id: client_id.to_string(),
            user_id,
            redirect_uri: redirect_uri.clone(),
            scopes,
            challenge,
            expires_at_ms: now_ms() + CODE_LIFETIME_MS,
        },
    );
    let mut query = vec![("code", code.as_str())];
    if let Some(state) = state {
        query.push(("state", state));
    }
    redirect(&with_query(&redirect_uri, &query))
}

/// The client credentials of a token request: HTTP Basic, else `client_id` and `client_secret`
/// in the body.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| STANDARD.decode(b64.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(id, secret)| (id.to_string(), secret.to_string()))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            form.get("client_id").cloned(),
            form.get("client_secret").cloned(),
        ),
    }
}

fn pkce_matches(challenge: &(String, String), verifier: &str) -> bool {
    let (expected, method) = challenge;
    if method == "S256" {
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        URL_SAFE_NO_PAD.encode(digest.as_ref()) == *expected
    } else {
        verifier == expected
    }
}

/// `POST /oauth/token` (form-encoded): exchanges an authorization code or a refresh token for
/// an access token and a new refresh token.
pub(crate) async fn token(Extension(shared): Extension<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = read_body(body, shared.env.body_limit).await else {
        return oauth_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "the request body is too large",
        );
    };
    let form: HashMap<String, String> = form_urlencoded::parse(&bytes).into_owned().collect();
    let (client_id, client_secret) = client_credentials(&parts.headers, &form);
    let mut store = shared.store.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(client_id) = client_id else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id is missing",
        );
    };
    let Some(app) = app_by_client_id(&store, &client_id) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "no OAuth application has this client_id",
        );
    };
    if let Some(secret) = &app.secret
        && client_secret.as_deref() != Some(secret.as_str())
    {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the client secret is missing or wrong",
        );
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let invalid_grant = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why);
    let (user_id, scopes) = match field("grant_type") {
        "authorization_code" => {
            let Some(pending) = store.machine_auth.oauth_codes.remove(field("code")) else {
                return invalid_grant("the authorization code is unknown or was already used");
            };
            if pending.client_id != client_id {
                return invalid_grant("the authorization code belongs to another client");
            }
            if pending.expires_at_ms <= now_ms() {
                return invalid_grant("the authorization code has expired");
            }
            if field("redirect_uri") != pending.redirect_uri {
                return invalid_grant("redirect_uri differs from the authorization request's");
            }
            if let Some(challenge) = &pending.challenge
                && !pkce_matches(challenge, field("code_verifier"))
            {
                return invalid_grant("code_verifier does not match the code_challenge");
            }
            (pending.user_id, pending.scopes)
        }
        "refresh_token" => {
            let refresh = field("refresh_token");
            let auth = &mut store.machine_auth;
            let Some(row) = auth
                .oauth_secrets
                .get(refresh)
                .and_then(|id| auth.oauth_tokens.get_mut(id))
                .filter(|t| !refresh.is_empty() && t.refresh == refresh)
                .filter(|t| t.json["client_id"] == client_id.as_str())
                .filter(|t| t.json["revoked"] != true)
            else {
                return invalid_grant("the refresh token is unknown, revoked or of another client");
            };
            // Refresh tokens are used once: the new grant replaces this one.
            row.refresh = String::new();
            let user = row.json["subject"].as_str().unwrap_or_default().to_string();
            let scopes = row.json["scopes"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            auth.oauth_secrets.remove(refresh);
            (user, scopes)
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            );
        }
    };
    let issued = match oauth::issue(
        &mut store,
        &shared.env,
        &client_id,
        &user_id,
        Some(scopes.clone()),
        ACCESS_TOKEN_LIFETIME_MS,
        false,
    ) {
        Ok(issued) => issued,
        Err(why) => return invalid_grant(&why),
    };
    let body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME_MS / 1000,
        "refresh_token": issued.refresh_token,
        "scope": scopes.join(" "),
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_and_plain() {
        // The example of RFC 7636, appendix B.
        let challenge = (
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_string(),
            "S256".to_string(),
        );
        assert!(pkce_matches(
            &challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!pkce_matches(&challenge, "something else"));
        let plain = ("abc".to_string(), "plain".to_string());
        assert!(pkce_matches(&plain, "abc"));
    }

    #[test]
    fn query_is_appended() {
        assert_eq!(
            with_query("https://a.example/cb", &[("code", "x y"), ("state", "s")]),
            "https://a.example/cb?code=x+y&state=s"
        );
        assert_eq!(
            with_query("myapp://cb?x=1", &[("code", "c")]),
            "myapp://cb?x=1&code=c"
        );
    }
}
