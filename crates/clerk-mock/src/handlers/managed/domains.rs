//! The instance's domains (one primary, any number of satellites), proxy checks and the
//! redirect URLs native and browser-extension apps may return to.

use super::{State, copy_fields, found, found_mut, instance, refused, state, template};
use crate::error::ApiError;
use crate::handlers::{Ctx, Reply, deleted, now, page_array, paginated};
use crate::request::Req;
use crate::server::Env;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// The primary domain: the host this server answers on.
pub(crate) fn seed(state: &mut State, env: &Env) {
    let host = env.origin.trim_start_matches("http://").to_string();
    let at = now();
    let id = env.ids.next("dmn");
    state.domains.insert(
        id.clone(),
        json!({
            "object": "domain",
            "id": id,
            "name": host,
            "is_satellite": false,
            "frontend_api_url": env.origin,
            "accounts_portal_url": null,
            "proxy_url": null,
            "development_origin": "",
            "cname_targets": null,
            "created_at": at,
            "updated_at": at,
        }),
    );
}

/// The answer for a domain: the stored object without the bookkeeping timestamps, which the
/// `Domain` schema does not have.
fn render(domain: &Value) -> Value {
    let mut out = domain.clone();
    if let Some(map) = out.as_object_mut() {
        map.remove("created_at");
        map.remove("updated_at");
    }
    out
}

/// A domain name as Clerk takes it: a host, with a port only on development instances.
fn check_name(env: &Env, name: &str) -> Result<(), ApiError> {
    let (host, port) = match name.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (name, None),
    };
    let host_ok = !host.is_empty()
        && !name.contains("://")
        && host.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let port_ok = match port {
        None => true,
        Some(p) => !instance::is_production(env) && p.parse::<u16>().is_ok(),
    };
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(ApiError::param_format(
            "name",
            if instance::is_production(env) {
                "a domain name without a scheme or port, like example.com"
            } else {
                "a host name, optionally with a port (localhost:3000), without a scheme"
            },
        ))
    }
}

/// Proxies are for production instances only.
fn check_proxy(env: &Env, req: &Req) -> Result<(), ApiError> {
    let Some(url) = req.str_field("proxy_url") else {
        return Ok(());
    };
    if !instance::is_production(env) {
        return Err(refused(
            "proxy_not_allowed_in_development",
            "proxy URLs are for production instances",
            "A proxy URL can only be set on a production instance's domains.".into(),
        )
        .param("proxy_url"));
    }
    if !url.starts_with("https://") {
        return Err(ApiError::param_format("proxy_url", "an https:// URL"));
    }
    Ok(())
}

fn name_taken(state: &State, name: &str, own_id: Option<&str>) -> bool {
    state.domains.values().any(|d| {
        d["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
            && d["id"].as_str() != own_id
    })
}

/// `GET /domains`.
pub(crate) fn list(ctx: &mut Ctx<'_>, _req: &Req) -> Result<Reply, ApiError> {
    let rows: Vec<Value> = state(ctx).domains.values().map(render).collect();
    Ok(Reply::ok(paginated(rows, usize::MAX, 0)))
}

/// `POST /domains`: a satellite domain.
pub(crate) fn add(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?.to_lowercase();
    check_name(ctx.env, &name)?;
    check_proxy(ctx.env, req)?;
    if name_taken(state(ctx), &name, None) {
        return Err(ApiError::identifier_exists("name", "domain"));
    }
    let mut domain = template(ctx.env, "AddDomain");
    let id = ctx.id("dmn");
    let at = now();
    domain["id"] = Value::from(id.clone());
    domain["name"] = Value::from(name.clone());
    domain["is_satellite"] = Value::Bool(true);
    domain["frontend_api_url"] = Value::from(format!("https://clerk.{name}"));
    domain["accounts_portal_url"] = Value::Null;
    domain["development_origin"] = Value::from("");
    domain["proxy_url"] = req.field("proxy_url").cloned().unwrap_or(Value::Null);
    domain["cname_targets"] = Value::Null;
    domain["created_at"] = Value::from(at);
    domain["updated_at"] = Value::from(at);
    let answer = render(&domain);
    state(ctx).domains.insert(id, domain);
    Ok(Reply::ok(answer))
}

/// `PATCH /domains/{domain_id}`.
pub(crate) fn update(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("domain_id");
    found(&state(ctx).domains, "domain", id)?;
    let name = req.str_field("name").map(str::to_lowercase);
    if let Some(name) = &name {
        check_name(ctx.env, name)?;
        if name_taken(state(ctx), name, Some(id)) {
            return Err(ApiError::identifier_exists("name", "domain"));
        }
    }
    check_proxy(ctx.env, req)?;
    let domain = found_mut(&mut state(ctx).domains, "domain", id)?;
    if let Some(name) = name {
        if domain["is_satellite"] == true {
            domain["frontend_api_url"] = Value::from(format!("https://clerk.{name}"));
        }
        domain["name"] = Value::from(name);
    }
    copy_fields(domain, req, &["proxy_url"]);
    domain["updated_at"] = Value::from(now());
    Ok(Reply::ok(render(domain)))
}

/// `DELETE /domains/{domain_id}`: satellites only.
pub(crate) fn delete(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("domain_id");
    let domains = &mut state(ctx).domains;
    if found(domains, "domain", id)?["is_satellite"] != true {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "primary_domain_cannot_be_deleted",
            "the primary domain cannot be deleted",
            "Only satellite domains can be deleted; the instance's primary domain stays.",
        ));
    }
    domains.remove(id);
    Ok(Reply::ok(deleted("domain", id)))
}

/// `POST /proxy_checks`: checks a proxy URL for one of the domains. The mock reaches no proxy,
/// so a well-formed `https://` URL counts as working.
pub(crate) fn proxy_check(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let domain_id = req.required_str("domain_id")?;
    let proxy_url = req.required_str("proxy_url")?;
    if !state(ctx).domains.contains(domain_id) {
        return Err(ApiError::resource_not_found_param("domain_id"));
    }
    if !proxy_url.starts_with("https://") || proxy_url.len() <= "https://".len() {
        return Err(ApiError::param_format("proxy_url", "an https:// URL"));
    }
    let at = now();
    let mut check = template(ctx.env, "VerifyDomainProxy");
    check["domain_id"] = Value::from(domain_id);
    check["proxy_url"] = Value::from(proxy_url);
    check["successful"] = Value::Bool(true);
    check["last_run_at"] = Value::from(at);
    check["created_at"] = Value::from(at);
    check["updated_at"] = Value::from(at);
    Ok(Reply::ok(check))
}

/// `GET /redirect_urls` (a bare array).
pub(crate) fn list_redirect_urls(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let rows: Vec<Value> = state(ctx).redirect_urls.values().cloned().collect();
    let (limit, offset) = match req.query("limit") {
        // Without `limit` every URL comes back, as Clerk does.
        None => (usize::MAX, req.page().1),
        Some(_) => req.page(),
    };
    Ok(Reply::ok(page_array(rows, limit, offset)))
}

/// `POST /redirect_urls`.
pub(crate) fn create_redirect_url(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let url = req.required_str("url")?.to_string();
    let well_formed = url.split_once("://").is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    }) && !url.chars().any(char::is_whitespace);
    if !well_formed {
        return Err(ApiError::param_format(
            "url",
            "an absolute URL with a scheme (https://example.com/callback, myapp://callback)",
        ));
    }
    if state(ctx)
        .redirect_urls
        .values()
        .any(|r| r["url"] == url.as_str())
    {
        return Err(ApiError::duplicate_record(format!(
            "The redirect URL '{url}' is already allowed."
        )));
    }
    let id = ctx.id("ru");
    let at = now();
    let row = json!({
        "object": "redirect_url",
        "id": id,
        "url": url,
        "created_at": at,
        "updated_at": at,
    });
    state(ctx).redirect_urls.insert(id, row.clone());
    Ok(Reply::ok(row))
}

/// `GET /redirect_urls/{id}`.
pub(crate) fn get_redirect_url(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let row = found(
        &state(ctx).redirect_urls,
        "redirect URL",
        req.path_param("id"),
    )?;
    Ok(Reply::ok(row.clone()))
}

/// `DELETE /redirect_urls/{id}`.
pub(crate) fn delete_redirect_url(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("id");
    state(ctx)
        .redirect_urls
        .remove(id)
        .ok_or_else(|| ApiError::not_found("redirect URL", id))?;
    Ok(Reply::ok(deleted("redirect_url", id)))
}
