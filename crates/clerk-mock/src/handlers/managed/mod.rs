//! Stateful handlers for the resources that configure an instance and its organizations:
//! domains and redirect URLs, organization roles, permissions, role sets and domains, the
//! waitlist, SAML and enterprise connections, directories, instance settings, email and SMS
//! templates, sign-ups, agent tasks, admin portal links, and the second factors and
//! verifications of users.
//!
//! New resources start from the success body the description gives for their creation (built
//! at compile time, so every required field is present with a value of its type), then take the
//! values of the request. What Clerk creates with an instance (the primary domain, the system
//! permissions, the admin and member roles, the templates, the settings) is created the first
//! time any of these resources is used, so that starting a server stays as cheap as before.

pub(crate) mod connections;
pub(crate) mod directories;
pub(crate) mod domains;
pub(crate) mod factors;
pub(crate) mod instance;
pub(crate) mod org_domains;
pub(crate) mod roles;
pub(crate) mod sign_ups;
pub(crate) mod tasks;
pub(crate) mod templates;
pub(crate) mod waitlist;

use super::{Ctx, Handler};
use crate::error::ApiError;
use crate::request::Req;
use crate::server::Env;
use crate::store::Table;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// What these resources keep, inside the server's store.
#[derive(Debug, Default)]
pub(crate) struct State {
    seeded: bool,
    /// `Domain` objects; the first is the primary domain.
    pub domains: Table<Value>,
    pub redirect_urls: Table<Value>,
    /// `Permission` objects.
    pub permissions: Table<Value>,
    /// `Role` objects whose `permissions` lists permission ids (expanded when answering).
    pub roles: Table<Value>,
    /// `RoleSet` objects whose `roles` lists role keys and whose `default_role` and
    /// `creator_role` are role keys (expanded when answering).
    pub role_sets: Table<Value>,
    pub org_domains: Table<Value>,
    pub waitlist: Table<Value>,
    pub saml: Table<Value>,
    pub enterprise: Table<Value>,
    /// Test runs of enterprise connections, with the connection's id in `connection_id`.
    pub test_runs: Table<(String, Value)>,
    /// Directories (`/directories` and the older `/scim_directories` name the same ones).
    pub directories: Table<Value>,
    /// Group role mappings, with their directory's id.
    pub mappings: Table<(String, Value)>,
    /// Instance settings, by the `object` of each settings document.
    pub settings: HashMap<&'static str, Value>,
    /// Templates by `<template_type>/<slug>`.
    pub templates: Table<Value>,
    pub sign_ups: Table<Value>,
    /// Verifications started with `prepare_verification`, by id.
    pub verifications: HashMap<String, factors::Verification>,
    /// Users whose password is marked compromised.
    pub compromised: HashSet<String>,
    /// TOTP secrets and unused backup codes, by user id.
    pub totp_secrets: HashMap<String, String>,
    pub backup_codes: HashMap<String, Vec<String>>,
    /// The Svix application's dashboard URL, once one is created.
    pub svix_url: Option<String>,
    /// Agent ids by agent name.
    pub agents: HashMap<String, String>,
    /// Agent tasks, with the sign-in token behind each one's URL.
    pub agent_tasks: Table<(Value, String)>,
    pub portal_links: Table<Value>,
}

impl State {
    /// Creates what an instance starts with, once.
    pub fn seed(&mut self, env: &Env) {
        if self.seeded {
            return;
        }
        self.seeded = true;
        roles::seed(self, env);
        domains::seed(self, env);
        templates::seed(self, env);
        instance::seed(self, env);
    }
}

/// The state, seeded.
pub(crate) fn state<'c>(ctx: &'c mut Ctx<'_>) -> &'c mut State {
    ctx.store.managed.seed(ctx.env);
    &mut ctx.store.managed
}

/// The success body of operation `op_id` built from its schema, with fresh ids: the starting
/// point of a new resource.
pub(crate) fn template(env: &Env, op_id: &str) -> Value {
    crate::spec::find(op_id)
        .and_then(|op| crate::synth::example(op, &env.ids, &env.instance_id))
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// Copies the body fields named in `fields` that the request gives (an explicit `null`
/// included) into `target`.
pub(crate) fn copy_fields(target: &mut Value, req: &Req, fields: &[&str]) {
    for field in fields {
        if let Some(value) = req.body.get(*field) {
            target[*field] = value.clone();
        }
    }
}

/// Copies the given non-null body fields into `target`: for fields that cannot be cleared.
pub(crate) fn copy_present(target: &mut Value, req: &Req, fields: &[&str]) {
    for field in fields {
        if let Some(value) = req.field(field) {
            target[*field] = value.clone();
        }
    }
}

/// Looks a row up by id, or answers 404 naming the kind.
pub(crate) fn found<'t, T>(table: &'t Table<T>, what: &str, id: &str) -> Result<&'t T, ApiError> {
    table.get(id).ok_or_else(|| ApiError::not_found(what, id))
}

/// Looks a row up by id for changing it, or answers 404 naming the kind.
pub(crate) fn found_mut<'t, T>(
    table: &'t mut Table<T>,
    what: &str,
    id: &str,
) -> Result<&'t mut T, ApiError> {
    table
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(what, id))
}

/// Case-insensitive partial match of `query` in any of the string `fields` of `row`.
pub(crate) fn matches_query(row: &Value, query: Option<&str>, fields: &[&str]) -> bool {
    let Some(query) = query.map(str::to_lowercase).filter(|q| !q.is_empty()) else {
        return true;
    };
    fields.iter().any(|f| {
        row[*f]
            .as_str()
            .is_some_and(|v| v.to_lowercase().contains(&query))
    })
}

/// A 400 for a request Clerk refuses in the state the resource is in.
pub(crate) fn refused(code: &'static str, message: &str, long: String) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        code,
        message.to_string(),
        long,
    )
}

/// Stateful handlers of this module, by operation id.
pub(crate) static HANDLERS: &[(&str, Handler)] = &[
    // Domains, redirect URLs and proxy checks.
    ("ListDomains", domains::list),
    ("AddDomain", domains::add),
    ("UpdateDomain", domains::update),
    ("DeleteDomain", domains::delete),
    ("VerifyDomainProxy", domains::proxy_check),
    ("ListRedirectURLs", domains::list_redirect_urls),
    ("CreateRedirectURL", domains::create_redirect_url),
    ("GetRedirectURL", domains::get_redirect_url),
    ("DeleteRedirectURL", domains::delete_redirect_url),
    // Organization roles, permissions and role sets.
    ("ListOrganizationPermissions", roles::list_permissions),
    ("CreateOrganizationPermission", roles::create_permission),
    ("GetOrganizationPermission", roles::get_permission),
    ("UpdateOrganizationPermission", roles::update_permission),
    ("DeleteOrganizationPermission", roles::delete_permission),
    ("ListOrganizationRoles", roles::list_roles),
    ("CreateOrganizationRole", roles::create_role),
    ("GetOrganizationRole", roles::get_role),
    ("UpdateOrganizationRole", roles::update_role),
    ("DeleteOrganizationRole", roles::delete_role),
    (
        "AssignPermissionToOrganizationRole",
        roles::assign_permission,
    ),
    (
        "RemovePermissionFromOrganizationRole",
        roles::remove_permission,
    ),
    ("ListRoleSets", roles::list_role_sets),
    ("CreateRoleSet", roles::create_role_set),
    ("GetRoleSet", roles::get_role_set),
    ("UpdateRoleSet", roles::update_role_set),
    ("ReplaceRoleSet", roles::replace_role_set),
    ("AddRolesToRoleSet", roles::add_roles),
    ("ReplaceRoleInRoleSet", roles::replace_role),
    // Organization domains.
    ("ListAllOrganizationDomains", org_domains::list_all),
    ("ListOrganizationDomains", org_domains::list),
    ("CreateOrganizationDomain", org_domains::create),
    ("UpdateOrganizationDomain", org_domains::update),
    ("DeleteOrganizationDomain", org_domains::delete),
    (
        "VerifyOrganizationDomainOwnership",
        org_domains::verify_ownership,
    ),
    // Waitlist.
    ("ListWaitlistEntries", waitlist::list),
    ("CreateWaitlistEntry", waitlist::create),
    ("CreateBulkWaitlistEntries", waitlist::create_bulk),
    ("DeleteWaitlistEntry", waitlist::delete),
    ("InviteWaitlistEntry", waitlist::invite),
    ("RejectWaitlistEntry", waitlist::reject),
    // SAML and enterprise connections.
    ("ListSAMLConnections", connections::list_saml),
    ("CreateSAMLConnection", connections::create_saml),
    ("GetSAMLConnection", connections::get_saml),
    ("UpdateSAMLConnection", connections::update_saml),
    ("DeleteSAMLConnection", connections::delete_saml),
    ("ListEnterpriseConnections", connections::list_enterprise),
    ("CreateEnterpriseConnection", connections::create_enterprise),
    ("GetEnterpriseConnection", connections::get_enterprise),
    ("UpdateEnterpriseConnection", connections::update_enterprise),
    ("DeleteEnterpriseConnection", connections::delete_enterprise),
    (
        "ListEnterpriseConnectionTestRuns",
        connections::list_test_runs,
    ),
    (
        "CreateEnterpriseConnectionTestRun",
        connections::create_test_run,
    ),
    // Directories, under both of their paths.
    ("ListDirectories", directories::list),
    ("CreateDirectory", directories::create),
    ("GetDirectory", directories::get),
    ("UpdateDirectory", directories::update),
    ("DeleteDirectory", directories::delete),
    ("RotateDirectoryAPIKey", directories::rotate_api_key),
    ("ListDirectoryGroupRoleMappings", directories::list_mappings),
    (
        "CreateDirectoryGroupRoleMapping",
        directories::create_mapping,
    ),
    (
        "ReplaceDirectoryGroupRoleMappings",
        directories::replace_mappings,
    ),
    (
        "DeleteDirectoryGroupRoleMapping",
        directories::delete_mapping,
    ),
    ("ListSCIMDirectories", directories::list),
    ("CreateSCIMDirectory", directories::create),
    ("GetSCIMDirectory", directories::get),
    ("UpdateSCIMDirectory", directories::update),
    ("DeleteSCIMDirectory", directories::delete),
    ("RotateSCIMDirectoryAPIKey", directories::rotate_api_key),
    ("ListSCIMGroupRoleMappings", directories::list_mappings),
    ("CreateSCIMGroupRoleMapping", directories::create_mapping),
    (
        "ReplaceSCIMGroupRoleMappings",
        directories::replace_mappings,
    ),
    ("DeleteSCIMGroupRoleMapping", directories::delete_mapping),
    // Instance settings and the Svix application.
    ("GetInstance", instance::get_instance),
    ("UpdateInstance", instance::update_instance),
    ("UpdateInstanceRestrictions", instance::update_restrictions),
    ("GetInstanceCommunication", instance::get_communication),
    (
        "UpdateInstanceCommunication",
        instance::update_communication,
    ),
    (
        "GetInstanceOAuthApplicationSettings",
        instance::get_oauth_settings,
    ),
    (
        "UpdateInstanceOAuthApplicationSettings",
        instance::update_oauth_settings,
    ),
    (
        "GetInstanceOrganizationSettings",
        instance::get_organization_settings,
    ),
    (
        "UpdateInstanceOrganizationSettings",
        instance::update_organization_settings,
    ),
    ("GetInstanceProtect", instance::get_protect),
    ("UpdateInstanceProtect", instance::update_protect),
    ("UpdateInstanceAuthConfig", instance::update_auth_config),
    ("CreateSvixApp", instance::create_svix_app),
    ("DeleteSvixApp", instance::delete_svix_app),
    ("GenerateSvixAuthURL", instance::svix_url),
    // Email and SMS templates.
    ("GetTemplateList", templates::list),
    ("GetTemplate", templates::get),
    ("UpsertTemplate", templates::upsert),
    ("RevertTemplate", templates::revert),
    ("PreviewTemplate", templates::preview),
    ("ToggleTemplateDelivery", templates::toggle_delivery),
    // Sign-ups.
    ("GetSignUp", sign_ups::get),
    ("UpdateSignUp", sign_ups::update),
    // Agent tasks and admin portal links.
    ("CreateAgentTask", tasks::create_agent_task),
    ("RevokeAgentTask", tasks::revoke_agent_task),
    ("createAdminPortalLinkToken", tasks::create_portal_link),
    ("revokeAdminPortalLinkToken", tasks::revoke_portal_link),
    // Second factors, passwords, web3 wallets and verifications of users.
    ("DisableMFA", factors::disable_mfa),
    ("DeleteTOTP", factors::delete_totp),
    ("DeleteBackupCode", factors::delete_backup_codes),
    ("VerifyTOTP", factors::verify_totp),
    ("SetUserPasswordCompromised", factors::set_compromised),
    ("UnsetUserPasswordCompromised", factors::unset_compromised),
    ("UserWeb3WalletDelete", factors::delete_web3_wallet),
    (
        "PrepareEmailAddressVerification",
        factors::prepare_verification,
    ),
    (
        "AttemptEmailAddressVerification",
        factors::attempt_verification,
    ),
    (
        "PreparePhoneNumberVerification",
        factors::prepare_verification,
    ),
    (
        "AttemptPhoneNumberVerification",
        factors::attempt_verification,
    ),
];
