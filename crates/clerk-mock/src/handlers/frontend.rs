//! A minimal Frontend API, enough for a browser to sign in and for web apps to run Clerk's
//! handshake against the mock: everything happens with redirects and cookies, no script.
//!
//! - `GET /v1/client/handshake?redirect_url=…[&format=nonce][&suffixed_cookies=true]
//!   [&organization_id=…]`: reads the browser's `__client` cookie (for this server's host),
//!   mints a session token when its client has an active session, and redirects back to
//!   `redirect_url` with `__clerk_handshake_nonce=<nonce>` (`format=nonce`; the directives are
//!   then read once through `GET /v1/clients/handshake_payload`) or `__clerk_handshake=<JWT>`
//!   (signed by the instance key, the directives in its `handshake` claim). The directives set
//!   `__clerk_db_jwt`, `__session` and `__client_uat` (also under the suffixed names when
//!   `suffixed_cookies=true`), and `__refresh_<suffix>` when session refresh is on; without a
//!   session they clear the session. `organization_id` switches the active organization first
//!   (an id or slug of an organization the user belongs to; empty for the personal account).
//! - `GET /v1/client/sign_in?ticket=…&redirect_url=…`: accepts a sign-in token (or actor
//!   token) ticket, binds the new session to the browser's client and redirects back with
//!   `__clerk_db_jwt=<dev browser token>`, which makes a development app sync through a
//!   handshake. Clerk signs users in through its own pages; this is the mock's shortcut.
//! - `GET /v1/client/sign_out?redirect_url=…`: ends the client's session and redirects back
//!   the same way.

use super::sessions;
use super::tickets;
use super::{Ctx, Reply};
use crate::error::ApiError;
use crate::ids::random_token;
use crate::keys;
use crate::router::{error_response, with_store};
use crate::server::Shared;
use axum::Extension;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The cookie that names the browser's client on the Frontend API's host.
const CLIENT_COOKIE: &str = "__client";
/// Lifetime of the session tokens a handshake mints, as Clerk's.
const TOKEN_SECS: i64 = 60;
/// How long a handshake nonce can be exchanged.
const NONCE_MS: i64 = 5 * 60 * 1000;
/// `Max-Age` of `__client_uat`, ten years as Clerk sets it.
const UAT_MAX_AGE: i64 = 315_360_000;

/// What the Frontend API remembers about browsers.
#[derive(Debug, Default)]
pub(crate) struct FrontendState {
    /// `__client` cookie value → the browser's client.
    clients: HashMap<String, Client>,
    /// Handshake nonce → its directives and when it stops working (ms).
    nonces: HashMap<String, (Vec<String>, i64)>,
    /// Refresh token → the session it refreshes.
    refresh_tokens: HashMap<String, String>,
}

#[derive(Debug, Clone)]
struct Client {
    session_id: Option<String>,
    dev_browser: String,
    /// When the client last changed (sign-in, sign-out, organization switch), in seconds.
    updated_at: i64,
}

impl FrontendState {
    /// Takes the directives of a nonce; a nonce works once, for five minutes.
    pub(crate) fn take_nonce(&mut self, nonce: &str, now_ms: i64) -> Option<Vec<String>> {
        let (directives, expires) = self.nonces.remove(nonce)?;
        (now_ms < expires).then_some(directives)
    }

    /// The session a refresh token was issued for.
    pub(crate) fn refresh_session(&self, refresh_token: &str) -> Option<&str> {
        self.refresh_tokens.get(refresh_token).map(String::as_str)
    }
}

/// The Frontend API routes.
pub(crate) fn routes() -> Router {
    Router::new()
        .route("/v1/client/handshake", get(handshake))
        .route("/v1/client/sign_in", get(sign_in))
        .route("/v1/client/sign_out", get(sign_out))
}

/// The suffix Clerk gives cookie names for an instance: the first 8 characters of the URL-safe
/// base64 of SHA-1 over the publishable key.
pub(crate) fn cookie_suffix(publishable_key: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        publishable_key.as_bytes(),
    );
    base64::engine::general_purpose::URL_SAFE
        .encode(digest.as_ref())
        .chars()
        .take(8)
        .collect()
}

/// The cookies of a signed-in session: `__session` and `__client_uat`, under the suffixed
/// names too when asked.
pub(crate) fn session_cookies(
    ctx: &Ctx<'_>,
    jwt: &str,
    client_updated_at: i64,
    suffixed: bool,
) -> Vec<String> {
    let suffix = cookie_suffix(&ctx.env.publishable_key);
    let mut names = vec![String::new()];
    if suffixed {
        names.insert(0, format!("_{suffix}"));
    }
    let mut cookies = Vec::new();
    for name in &names {
        cookies.push(format!("__session{name}={jwt}; Path=/; SameSite=Lax"));
    }
    for name in &names {
        cookies.push(format!(
            "__client_uat{name}={client_updated_at}; Path=/; Max-Age={UAT_MAX_AGE}; SameSite=Lax"
        ));
    }
    cookies
}

fn query_pairs(request_query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(request_query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn query<'q>(pairs: &'q [(String, String)], name: &str) -> Option<&'q str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The first cookie `name` of the request, over every `Cookie` header.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `redirect_url` must be an absolute http(s) URL.
fn redirect_target(pairs: &[(String, String)]) -> Result<String, ApiError> {
    let target = query(pairs, "redirect_url")
        .ok_or_else(|| ApiError::query_param_missing("redirect_url"))?;
    if !(target.starts_with("http://") || target.starts_with("https://")) {
        return Err(ApiError::param_format(
            "redirect_url",
            "an absolute http(s) URL",
        ));
    }
    Ok(target.to_string())
}

/// `url` with one more query parameter (`value` is URL-safe), before any fragment.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let separator = if base.contains('?') { '&' } else { '?' };
    let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let mut out = format!("{base}{separator}{name}={encoded}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// The browser's client, created (with a fresh `__client` cookie to set) when it has none.
fn client_of(ctx: &mut Ctx<'_>, cookie_value: Option<String>) -> (String, bool) {
    if let Some(value) = cookie_value
        && ctx.store.frontend.clients.contains_key(&value)
    {
        return (value, false);
    }
    let token = random_token(32);
    let client = Client {
        session_id: None,
        dev_browser: format!("dvb_{}", random_token(27)),
        updated_at: ctx.env.now_secs(),
    };
    ctx.store.frontend.clients.insert(token.clone(), client);
    (token, true)
}

fn redirect(location: &str, set_client: Option<&str>, status: StatusCode) -> Response {
    let mut response = status.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(token) = set_client
        && let Ok(value) = HeaderValue::from_str(&format!(
            "{CLIENT_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
        ))
    {
        headers.append(header::SET_COOKIE, value);
    }
    response
}

/// Runs `work` under the store lock and turns its result into a response.
fn run(
    shared: &Shared,
    headers: &HeaderMap,
    work: impl FnOnce(&mut Ctx<'_>) -> Result<Response, ApiError>,
) -> Response {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut out = None;
    let result = with_store(shared, user_agent, |ctx| {
        out = Some(work(ctx)?);
        Ok(Reply::empty(StatusCode::OK))
    });
    match result {
        Ok(_) => out.unwrap_or_else(|| error_response(shared, &ApiError::internal())),
        Err(e) => error_response(shared, &e),
    }
}

/// Switches the session's active organization: an id or slug of an organization the user
/// belongs to, or the personal account for an empty value. Anything else changes nothing.
fn switch_organization(ctx: &mut Ctx<'_>, session_id: &str, target: &str) -> bool {
    let Some(user_id) = ctx
        .store
        .sessions
        .get(session_id)
        .and_then(|s| s["user_id"].as_str())
        .map(str::to_string)
    else {
        return false;
    };
    let organization = if target.is_empty() {
        None
    } else {
        let found = ctx
            .store
            .organizations
            .values()
            .find(|o| o["id"] == target || o["slug"] == target)
            .and_then(|o| o["id"].as_str())
            .map(str::to_string);
        let Some(org_id) = found else {
            return false;
        };
        let member =
            ctx.store.memberships.values().any(|m| {
                m["organization_id"] == org_id.as_str() && m["user_id"] == user_id.as_str()
            });
        if !member {
            return false;
        }
        Some(org_id)
    };
    let now = ctx.env.now_ms();
    match ctx.store.sessions.get_mut(session_id) {
        Some(session) => {
            session["last_active_organization_id"] = organization.map_or(Value::Null, Value::from);
            session["updated_at"] = Value::from(now);
            true
        }
        None => false,
    }
}

/// The active session of a client, if it still is one.
fn active_session(ctx: &Ctx<'_>, client: &Client) -> Option<Value> {
    let id = client.session_id.as_deref()?;
    ctx.store
        .sessions
        .get(id)
        .filter(|s| s["status"] == "active")
        .cloned()
}

/// `GET /v1/client/handshake`.
async fn handshake(Extension(shared): Extension<Arc<Shared>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let pairs = query_pairs(parts.uri.query());
    let client_cookie = cookie(&parts.headers, CLIENT_COOKIE);
    run(&shared, &parts.headers, |ctx| {
        let target = redirect_target(&pairs)?;
        let suffixed = query(&pairs, "suffixed_cookies") == Some("true");
        let (token, created) = client_of(ctx, client_cookie);
        let mut client = ctx
            .store
            .frontend
            .clients
            .get(&token)
            .cloned()
            .ok_or_else(ApiError::internal)?;
        if let Some(session_id) = client.session_id.clone()
            && let Some(org) = query(&pairs, "organization_id")
            && switch_organization(ctx, &session_id, org)
        {
            client.updated_at = ctx.env.now_secs();
        }
        if let Some(dev_browser) = query(&pairs, "__clerk_db_jwt").filter(|v| !v.is_empty()) {
            client.dev_browser = dev_browser.to_string();
        }
        ctx.store
            .frontend
            .clients
            .insert(token.clone(), client.clone());

        let suffix = cookie_suffix(&ctx.env.publishable_key);
        let mut directives = vec![format!(
            "__clerk_db_jwt={}; Path=/; SameSite=Lax",
            client.dev_browser
        )];
        match active_session(ctx, &client) {
            Some(session) => {
                let jwt = sessions::sign_token(ctx.env, ctx.store, &session, TOKEN_SECS)?;
                directives.extend(session_cookies(ctx, &jwt, client.updated_at, suffixed));
                if ctx.env.session_refresh {
                    let refresh = format!("rt_{}", random_token(32));
                    let session_id = session["id"].as_str().unwrap_or_default().to_string();
                    ctx.store
                        .frontend
                        .refresh_tokens
                        .insert(refresh.clone(), session_id);
                    directives.push(format!(
                        "__refresh_{suffix}={refresh}; Path=/; HttpOnly; SameSite=Lax"
                    ));
                }
            }
            None => {
                directives.push("__session=; Path=/; Max-Age=0; SameSite=Lax".to_string());
                directives.push(format!(
                    "__client_uat=0; Path=/; Max-Age={UAT_MAX_AGE}; SameSite=Lax"
                ));
                if suffixed {
                    directives.push(format!(
                        "__session_{suffix}=; Path=/; Max-Age=0; SameSite=Lax"
                    ));
                    directives.push(format!(
                        "__client_uat_{suffix}=0; Path=/; Max-Age={UAT_MAX_AGE}; SameSite=Lax"
                    ));
                }
            }
        }

        let now_ms = ctx.env.now_ms();
        let location = if query(&pairs, "format") == Some("nonce") {
            let nonce = format!("nonce_{}", random_token(32));
            ctx.store
                .frontend
                .nonces
                .insert(nonce.clone(), (directives, now_ms + NONCE_MS));
            with_param(&target, "__clerk_handshake_nonce", &nonce)
        } else {
            let iat = ctx.env.now_secs();
            let claims = json!({ "handshake": directives, "iat": iat, "exp": iat + TOKEN_SECS });
            let jwt =
                keys::sign_jwt(&ctx.env.instance_id, &claims).ok_or_else(ApiError::internal)?;
            with_param(&target, "__clerk_handshake", &jwt)
        };
        Ok(redirect(
            &location,
            created.then_some(token.as_str()),
            StatusCode::TEMPORARY_REDIRECT,
        ))
    })
}

/// `GET /v1/client/sign_in?ticket=…&redirect_url=…`.
async fn sign_in(Extension(shared): Extension<Arc<Shared>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let pairs = query_pairs(parts.uri.query());
    let client_cookie = cookie(&parts.headers, CLIENT_COOKIE);
    run(&shared, &parts.headers, |ctx| {
        let target = redirect_target(&pairs)?;
        let ticket =
            query(&pairs, "ticket").ok_or_else(|| ApiError::query_param_missing("ticket"))?;
        let accepted = tickets::accept(ctx, ticket)?;
        let session_id = accepted
            .body
            .as_ref()
            .and_then(|b| b["session"]["id"].as_str())
            .map(str::to_string)
            .ok_or_else(ApiError::internal)?;
        let (token, created) = client_of(ctx, client_cookie);
        let now = ctx.env.now_secs();
        let client = ctx
            .store
            .frontend
            .clients
            .get_mut(&token)
            .ok_or_else(ApiError::internal)?;
        client.session_id = Some(session_id);
        client.updated_at = now;
        let location = with_param(&target, "__clerk_db_jwt", &client.dev_browser);
        Ok(redirect(
            &location,
            created.then_some(token.as_str()),
            StatusCode::SEE_OTHER,
        ))
    })
}

/// `GET /v1/client/sign_out?redirect_url=…`.
async fn sign_out(Extension(shared): Extension<Arc<Shared>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let pairs = query_pairs(parts.uri.query());
    let client_cookie = cookie(&parts.headers, CLIENT_COOKIE);
    run(&shared, &parts.headers, |ctx| {
        let target = redirect_target(&pairs)?;
        let (token, created) = client_of(ctx, client_cookie);
        let now_secs = ctx.env.now_secs();
        let now_ms = ctx.env.now_ms();
        let client = ctx
            .store
            .frontend
            .clients
            .get_mut(&token)
            .ok_or_else(ApiError::internal)?;
        let ended = client.session_id.take();
        client.updated_at = now_secs;
        let location = with_param(&target, "__clerk_db_jwt", &client.dev_browser);
        if let Some(session) = ended.and_then(|id| ctx.store.sessions.get_mut(&id))
            && session["status"] == "active"
        {
            session["status"] = Value::from("ended");
            session["updated_at"] = Value::from(now_ms);
        }
        let store = &mut *ctx.store;
        let sessions = &store.sessions;
        store.frontend.refresh_tokens.retain(|_, session| {
            sessions
                .get(session)
                .is_some_and(|s| s["status"] == "active")
        });
        Ok(redirect(
            &location,
            created.then_some(token.as_str()),
            StatusCode::SEE_OTHER,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_go_before_the_fragment() {
        assert_eq!(with_param("http://a/p", "x", "1"), "http://a/p?x=1");
        assert_eq!(
            with_param("http://a/p?y=2#f", "x", "a b"),
            "http://a/p?y=2&x=a+b#f"
        );
    }

    #[test]
    fn suffix_is_clerks() {
        assert_eq!(
            cookie_suffix("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k"),
            "l2OS3d9k"
        );
    }
}
