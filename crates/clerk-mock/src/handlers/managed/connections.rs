//! SAML connections and enterprise connections (SAML or OpenID Connect), with the test runs an
//! administrator starts to try an enterprise connection. A domain belongs to one connection at
//! a time.

use super::{State, copy_fields, copy_present, found, found_mut, matches_query, state, template};
use crate::error::ApiError;
use crate::handlers::filters::Prefixed;
use crate::handlers::{Ctx, Reply, deleted, now, order_by, paginated};
use crate::request::Req;
use crate::store::sort_rows;
use axum::http::StatusCode;
use serde_json::{Value, json};

const SAML_PROVIDERS: &[&str] = &["saml_custom", "saml_okta", "saml_google", "saml_microsoft"];

/// The domains a request gives (`domains`, or the older single `domain`), lower-cased.
fn requested_domains(req: &Req) -> Option<Vec<String>> {
    if let Some(list) = req.field("domains").and_then(Value::as_array) {
        return Some(
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_lowercase)
                .collect(),
        );
    }
    req.str_field("domain").map(|d| vec![d.to_lowercase()])
}

/// Refuses domains another connection (of either kind) already has.
fn check_domains(state: &State, domains: &[String], own_id: Option<&str>) -> Result<(), ApiError> {
    if domains.is_empty() {
        return Err(ApiError::param_missing("domains"));
    }
    for domain in domains {
        if !domain.contains('.') || domain.contains('@') || domain.contains("://") {
            return Err(ApiError::param_format(
                "domains",
                "domain names, like example.com",
            ));
        }
        let taken = state
            .saml
            .values()
            .chain(state.enterprise.values())
            .filter(|c| c["id"].as_str() != own_id)
            .any(|c| {
                c["domains"]
                    .as_array()
                    .is_some_and(|ds| ds.iter().any(|d| d == domain.as_str()))
            });
        if taken {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "saml_connection_domain_taken",
                "domain already used",
                format!("Another connection already uses the domain {domain}."),
            )
            .param("domains"));
        }
    }
    Ok(())
}

/// Checks that an `organization_id` in the body names an organization.
fn check_organization(ctx: &Ctx<'_>, req: &Req) -> Result<(), ApiError> {
    match req.str_field("organization_id") {
        Some(id) if !ctx.store.organizations.contains(id) => {
            Err(ApiError::not_found("organization", id))
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// SAML connections.

const SAML_FIELDS: &[&str] = &[
    "idp_entity_id",
    "idp_sso_url",
    "idp_certificate",
    "idp_metadata_url",
    "idp_metadata",
    "organization_id",
];

const SAML_FLAGS: &[&str] = &[
    "name",
    "active",
    "sync_user_attributes",
    "allow_subdomains",
    "allow_idp_initiated",
    "disable_additional_identifications",
    "allow_organization_account_linking",
    "force_authn",
    "login_hint",
];

fn set_domains(connection: &mut Value, domains: Vec<String>) {
    connection["domain"] = domains
        .first()
        .cloned()
        .map(Value::from)
        .unwrap_or(Value::Null);
    connection["domains"] = json!(domains);
}

/// Attribute mappings keep the four keys the schema requires.
fn set_attribute_mapping(connection: &mut Value, req: &Req) {
    if let Some(Value::Object(given)) = req.field("attribute_mapping") {
        for key in ["user_id", "email_address", "first_name", "last_name"] {
            if let Some(v) = given.get(key) {
                connection["attribute_mapping"][key] = v.clone();
            }
        }
    }
}

/// `GET /saml_connections`.
pub(crate) fn list_saml(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let order = order_by(req, &["created_at", "name"], "-created_at")?;
    let orgs = Prefixed::new(&req.query_all("organization_id"), false);
    let query = req.query("query");
    let mut rows: Vec<Value> = state(ctx)
        .saml
        .values()
        .filter(|c| matches_query(c, query, &["name"]))
        .filter(|c| {
            orgs.as_ref()
                .is_none_or(|o| o.accepts(c["organization_id"].as_str()))
        })
        .cloned()
        .collect();
    sort_rows(&mut rows, &order, |c| c[order.field.as_str()].clone());
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `POST /saml_connections`: inactive until an administrator activates it.
pub(crate) fn create_saml(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?.to_string();
    let provider = req.required_str("provider")?.to_string();
    if !SAML_PROVIDERS.contains(&provider.as_str()) {
        return Err(ApiError::param_value(
            "provider",
            &format!("must be one of {}", SAML_PROVIDERS.join(", ")),
        ));
    }
    let domains = requested_domains(req).unwrap_or_default();
    check_domains(state(ctx), &domains, None)?;
    check_organization(ctx, req)?;
    let mut connection = template(ctx.env, "CreateSAMLConnection");
    let id = ctx.id("samlc");
    let origin = &ctx.env.origin;
    let at = now();
    connection["id"] = Value::from(id.clone());
    connection["name"] = Value::from(name);
    connection["provider"] = Value::from(provider);
    set_domains(&mut connection, domains);
    for field in SAML_FIELDS {
        connection[*field] = Value::Null;
    }
    connection["attribute_mapping"] =
        json!({ "user_id": "", "email_address": "", "first_name": "", "last_name": "" });
    connection["acs_url"] = Value::from(format!("{origin}/v1/saml/acs/{id}"));
    connection["sp_entity_id"] = Value::from(format!("{origin}/saml/{id}"));
    connection["sp_metadata_url"] = Value::from(format!("{origin}/v1/saml/metadata/{id}"));
    connection["enterprise_connection_id"] = Value::Null;
    connection["created_at"] = Value::from(at);
    connection["updated_at"] = Value::from(at);
    copy_fields(&mut connection, req, SAML_FIELDS);
    copy_present(&mut connection, req, &["force_authn", "login_hint"]);
    set_attribute_mapping(&mut connection, req);
    state(ctx).saml.insert(id, connection.clone());
    Ok(Reply::ok(connection))
}

/// `GET /saml_connections/{saml_connection_id}`.
pub(crate) fn get_saml(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("saml_connection_id");
    Ok(Reply::ok(
        found(&state(ctx).saml, "SAML connection", id)?.clone(),
    ))
}

/// `PATCH /saml_connections/{saml_connection_id}`.
pub(crate) fn update_saml(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("saml_connection_id");
    found(&state(ctx).saml, "SAML connection", id)?;
    let domains = requested_domains(req);
    if let Some(domains) = &domains {
        check_domains(state(ctx), domains, Some(id))?;
    }
    check_organization(ctx, req)?;
    let connection = found_mut(&mut state(ctx).saml, "SAML connection", id)?;
    if let Some(domains) = domains {
        set_domains(connection, domains);
    }
    copy_fields(connection, req, SAML_FIELDS);
    copy_present(connection, req, SAML_FLAGS);
    set_attribute_mapping(connection, req);
    connection["updated_at"] = Value::from(now());
    Ok(Reply::ok(connection.clone()))
}

/// `DELETE /saml_connections/{saml_connection_id}`.
pub(crate) fn delete_saml(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("saml_connection_id");
    state(ctx)
        .saml
        .remove(id)
        .ok_or_else(|| ApiError::not_found("SAML connection", id))?;
    Ok(Reply::ok(deleted("saml_connection", id)))
}

// ---------------------------------------------------------------------------------------------
// Enterprise connections.

const ENTERPRISE_PROVIDERS: &[&str] = &[
    "saml_custom",
    "saml_okta",
    "saml_google",
    "saml_microsoft",
    "oidc_custom",
    "oidc_github_enterprise",
    "oidc_gitlab",
];

/// Fills the protocol part (`saml_connection` or `oauth_config`) from the request's `saml` or
/// `oidc` settings.
fn apply_protocol(connection: &mut Value, req: &Req, origin: &str) {
    let id = connection["id"].as_str().unwrap_or_default().to_string();
    let is_saml = connection["provider"]
        .as_str()
        .is_some_and(|p| p.starts_with("saml_"));
    let at = now();
    if is_saml {
        if connection["saml_connection"].is_null() {
            connection["saml_connection"] = json!({
                "id": id, "name": connection["name"], "idp_entity_id": null, "idp_sso_url": null,
                "idp_metadata_url": null,
                "acs_url": format!("{origin}/v1/saml/acs/{id}"),
                "sp_entity_id": format!("{origin}/saml/{id}"),
                "sp_metadata_url": format!("{origin}/v1/saml/metadata/{id}"),
                "active": connection["active"], "allow_idp_initiated": false,
                "allow_subdomains": false, "force_authn": false,
                "login_hint": { "mode": "off" },
            });
        }
        if let Some(Value::Object(saml)) = req.field("saml") {
            for key in [
                "idp_entity_id",
                "idp_sso_url",
                "idp_metadata_url",
                "allow_idp_initiated",
                "allow_subdomains",
                "force_authn",
                "login_hint",
            ] {
                if let Some(v) = saml
                    .get(key)
                    .filter(|v| !v.is_null() || key.starts_with("idp_"))
                {
                    connection["saml_connection"][key] = v.clone();
                }
            }
        }
        connection["saml_connection"]["active"] = connection["active"].clone();
        connection["oauth_config"] = Value::Null;
    } else {
        if connection["oauth_config"].is_null() {
            connection["oauth_config"] = json!({
                "id": id, "name": connection["name"],
                "provider_key": connection["provider"],
                "client_id": null, "discovery_url": null, "auth_url": null, "token_url": null,
                "user_info_url": null, "requires_pkce": false, "logo_public_url": null,
                "created_at": at, "updated_at": at,
            });
        }
        if let Some(Value::Object(oidc)) = req.field("oidc") {
            // The client secret is kept by Clerk but never shown again.
            for key in [
                "client_id",
                "discovery_url",
                "auth_url",
                "token_url",
                "user_info_url",
            ] {
                if let Some(v) = oidc.get(key) {
                    connection["oauth_config"][key] = v.clone();
                }
            }
            if let Some(v) = oidc.get("requires_pkce").filter(|v| v.is_boolean()) {
                connection["oauth_config"]["requires_pkce"] = v.clone();
            }
            connection["oauth_config"]["updated_at"] = Value::from(at);
        }
        connection["saml_connection"] = Value::Null;
    }
}

/// `GET /enterprise_connections`.
pub(crate) fn list_enterprise(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let org = req.query("organization_id");
    let active = req.query_bool("active");
    let mut rows: Vec<Value> = state(ctx)
        .enterprise
        .values()
        .filter(|c| org.is_none_or(|o| c["organization_id"] == o))
        .filter(|c| active.is_none_or(|a| c["active"] == a))
        .cloned()
        .collect();
    rows.reverse();
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `POST /enterprise_connections` (201).
pub(crate) fn create_enterprise(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required_str("name")?.to_string();
    let provider = req.required_str("provider")?.to_string();
    if !ENTERPRISE_PROVIDERS.contains(&provider.as_str()) {
        return Err(ApiError::param_value(
            "provider",
            &format!("must be one of {}", ENTERPRISE_PROVIDERS.join(", ")),
        ));
    }
    let domains = requested_domains(req).unwrap_or_default();
    check_domains(state(ctx), &domains, None)?;
    check_organization(ctx, req)?;
    let mut connection = template(ctx.env, "CreateEnterpriseConnection");
    let id = ctx.id("entconn");
    let at = now();
    connection["id"] = Value::from(id.clone());
    connection["name"] = Value::from(name);
    connection["provider"] = Value::from(provider);
    connection["domains"] = json!(domains);
    connection["active"] = Value::Bool(req.bool_field("active").unwrap_or(false));
    connection["organization_id"] = req.field("organization_id").cloned().unwrap_or(Value::Null);
    connection["logo_public_url"] = Value::Null;
    connection["sync_user_attributes"] = Value::Bool(true);
    connection["disable_additional_identifications"] = Value::Bool(false);
    connection["allow_organization_account_linking"] = Value::Bool(
        req.bool_field("allow_organization_account_linking")
            .unwrap_or(false),
    );
    connection["custom_attributes"] = json!([]);
    connection["saml_connection"] = Value::Null;
    connection["oauth_config"] = Value::Null;
    connection["created_at"] = Value::from(at);
    connection["updated_at"] = Value::from(at);
    apply_protocol(&mut connection, req, &ctx.env.origin);
    state(ctx).enterprise.insert(id, connection.clone());
    Ok(Reply::json(StatusCode::CREATED, connection))
}

/// `GET /enterprise_connections/{enterprise_connection_id}`.
pub(crate) fn get_enterprise(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("enterprise_connection_id");
    Ok(Reply::ok(
        found(&state(ctx).enterprise, "enterprise connection", id)?.clone(),
    ))
}

/// `PATCH /enterprise_connections/{enterprise_connection_id}`.
pub(crate) fn update_enterprise(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("enterprise_connection_id");
    found(&state(ctx).enterprise, "enterprise connection", id)?;
    let domains = requested_domains(req);
    if let Some(domains) = &domains {
        check_domains(state(ctx), domains, Some(id))?;
    }
    check_organization(ctx, req)?;
    let origin = ctx.env.origin.clone();
    let connection = found_mut(&mut state(ctx).enterprise, "enterprise connection", id)?;
    if let Some(domains) = domains {
        connection["domains"] = json!(domains);
    }
    copy_present(
        connection,
        req,
        &[
            "name",
            "active",
            "sync_user_attributes",
            "disable_additional_identifications",
            "allow_organization_account_linking",
        ],
    );
    copy_fields(connection, req, &["organization_id"]);
    apply_protocol(connection, req, &origin);
    connection["updated_at"] = Value::from(now());
    Ok(Reply::ok(connection.clone()))
}

/// `DELETE /enterprise_connections/{enterprise_connection_id}`: its test runs go with it.
pub(crate) fn delete_enterprise(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("enterprise_connection_id");
    let state = state(ctx);
    state
        .enterprise
        .remove(id)
        .ok_or_else(|| ApiError::not_found("enterprise connection", id))?;
    for run in state.test_runs.ids() {
        if state
            .test_runs
            .get(&run)
            .is_some_and(|(owner, _)| owner == id)
        {
            state.test_runs.remove(&run);
        }
    }
    Ok(Reply::ok(deleted("enterprise_connection", id)))
}

/// `GET /enterprise_connections/{enterprise_connection_id}/test_runs`, newest first.
pub(crate) fn list_test_runs(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("enterprise_connection_id");
    let statuses = req.query_all("status");
    let state = state(ctx);
    found(&state.enterprise, "enterprise connection", id)?;
    let mut rows: Vec<Value> = state
        .test_runs
        .values()
        .filter(|(owner, run)| {
            owner == id && (statuses.is_empty() || statuses.iter().any(|s| run["status"] == *s))
        })
        .map(|(_, run)| run.clone())
        .collect();
    rows.reverse();
    let (limit, offset) = req.page();
    Ok(Reply::ok(paginated(rows, limit, offset)))
}

/// `POST /enterprise_connections/{enterprise_connection_id}/test_runs`: records a pending run
/// and answers the URL that would start it at the identity provider.
pub(crate) fn create_test_run(ctx: &mut Ctx<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.path_param("enterprise_connection_id").to_string();
    let connection = found(&state(ctx).enterprise, "enterprise connection", &id)?;
    let kind = if connection["provider"]
        .as_str()
        .is_some_and(|p| p.starts_with("saml_"))
    {
        "saml"
    } else {
        "oauth"
    };
    let run_id = ctx.id("ectr");
    let run = json!({
        "id": run_id, "status": "pending", "connection_type": kind, "parsed_user_info": null,
        "logs": [], "created_at": now(),
    });
    let url = format!(
        "{}/v1/enterprise_connections/{id}/test_runs/{run_id}/start",
        ctx.env.origin
    );
    state(ctx).test_runs.insert(run_id, (id, run));
    Ok(Reply::ok(json!({ "url": url })))
}
