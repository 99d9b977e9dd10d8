//! The check every operation goes through before it runs: each id in the path that names
//! something the server keeps (a user, an organization, a role...) must exist, or the answer is
//! 404 `resource_not_found`, as Clerk answers. Parents are checked before children, so
//! `DELETE /users/{unknown}/mfa` is refused whether or not the operation keeps state.
//!
//! Path parameters naming things the mock never holds (passkeys, external accounts, billing
//! items...) are not checked: there would be no way to make those operations succeed.

use crate::error::ApiError;
use crate::request::Req;
use crate::server::Env;
use crate::store::Store;

/// What a path parameter names: a description for the error, and how to find it.
struct Kind {
    what: &'static str,
    exists: fn(&Store, &str) -> bool,
    /// Whether finding it needs the instance's seeded resources.
    managed: bool,
}

const fn kind(what: &'static str, exists: fn(&Store, &str) -> bool) -> Option<Kind> {
    Some(Kind {
        what,
        exists,
        managed: false,
    })
}

const fn managed(what: &'static str, exists: fn(&Store, &str) -> bool) -> Option<Kind> {
    Some(Kind {
        what,
        exists,
        managed: true,
    })
}

/// The kind a path parameter names, from the path segment before it and its name.
fn kind_of(path: &str, collection: &str, param: &str) -> Option<Kind> {
    let in_organization = path.starts_with("/organizations/");
    match (collection, param) {
        ("users" | "memberships", "user_id") => kind("user", |s, id| s.users.contains(id)),
        ("organizations", "organization_id") => kind("organization", |s, id| {
            s.organizations.contains(id) || s.organizations.values().any(|o| o["slug"] == id)
        }),
        ("sessions", "session_id") => kind("session", |s, id| s.sessions.contains(id)),
        ("email_addresses", _) => kind("email address", |s, id| {
            s.identifications.owner(id).is_some()
        }),
        ("phone_numbers", _) => kind("phone number", |s, id| {
            s.identifications.owner(id).is_some()
        }),
        ("web3_wallets", _) => kind("web3 wallet", |s, id| s.identifications.owner(id).is_some()),
        ("actor_tokens", _) => kind("actor token", |s, id| s.actor_tokens.contains(id)),
        ("sign_in_tokens", _) => kind("sign-in token", |s, id| s.sign_in_tokens.contains(id)),
        ("invitations", _) if in_organization => kind("organization invitation", |s, id| {
            s.organization_invitations.contains(id)
        }),
        ("invitations", _) => kind("invitation", |s, id| s.invitations.contains(id)),
        ("allowlist_identifiers", _) => kind("identifier", |s, id| s.allowlist.contains(id)),
        ("blocklist_identifiers", _) => kind("identifier", |s, id| s.blocklist.contains(id)),
        ("domains", _) if in_organization => managed("organization domain", |s, id| {
            s.managed.org_domains.contains(id)
        }),
        ("domains", _) => managed("domain", |s, id| s.managed.domains.contains(id)),
        ("redirect_urls", _) => {
            managed("redirect URL", |s, id| s.managed.redirect_urls.contains(id))
        }
        ("sign_ups", _) => managed("sign-up", |s, id| s.managed.sign_ups.contains(id)),
        ("organization_roles", _) => {
            managed("organization role", |s, id| s.managed.roles.contains(id))
        }
        ("organization_permissions" | "permissions", _) => {
            managed("permission", |s, id| s.managed.permissions.contains(id))
        }
        ("role_sets", _) => managed("role set", |s, id| {
            s.managed.role_sets.contains(id) || s.managed.role_sets.values().any(|r| r["key"] == id)
        }),
        ("waitlist_entries", _) => {
            managed("waitlist entry", |s, id| s.managed.waitlist.contains(id))
        }
        ("saml_connections", _) => managed("SAML connection", |s, id| s.managed.saml.contains(id)),
        ("enterprise_connections", _) => managed("enterprise connection", |s, id| {
            s.managed.enterprise.contains(id)
        }),
        ("directories" | "scim_directories", _) => {
            managed("directory", |s, id| s.managed.directories.contains(id))
        }
        ("group_role_mappings", _) => managed("group role mapping", |s, id| {
            s.managed.mappings.contains(id)
        }),
        ("tasks", "agent_task_id") => {
            managed("agent task", |s, id| s.managed.agent_tasks.contains(id))
        }
        ("admin_portal_link_tokens", _) => managed("admin portal link token", |s, id| {
            s.managed.portal_links.contains(id)
        }),
        ("templates", "template_type") => kind("template type", |_, t| t == "email" || t == "sms"),
        _ => None,
    }
}

/// Answers 404 for the first id in the path that names nothing.
pub(crate) fn check(store: &mut Store, env: &Env, req: &Req) -> Result<(), ApiError> {
    let path = req.op.path;
    let mut previous = "";
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let value = req.path_param(param);
            if param == "slug" && previous == "{template_type}" {
                // Templates are named by type and slug together.
                store.managed.seed(env);
                let key = format!("{}/{value}", req.path_param("template_type"));
                if !store.managed.templates.contains(&key) {
                    return Err(ApiError::not_found("template", value));
                }
            } else if let Some(kind) = kind_of(path, previous, param) {
                if kind.managed {
                    store.managed.seed(env);
                }
                if !(kind.exists)(store, value) {
                    return Err(ApiError::not_found(kind.what, value));
                }
            }
        }
        previous = segment;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_map_to_what_they_name() {
        assert!(kind_of("/users/{user_id}/mfa", "users", "user_id").is_some());
        assert_eq!(
            kind_of(
                "/organizations/{organization_id}/domains/{domain_id}",
                "domains",
                "domain_id"
            )
            .map(|k| k.what),
            Some("organization domain")
        );
        assert_eq!(
            kind_of("/domains/{domain_id}", "domains", "domain_id").map(|k| k.what),
            Some("domain")
        );
        // Kinds the mock never holds are not checked.
        assert!(kind_of("/users/{user_id}/passkeys/{id}", "passkeys", "id").is_none());
    }
}
