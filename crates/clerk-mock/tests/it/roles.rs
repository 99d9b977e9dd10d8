//! Organization permissions, roles and role sets keep state, and memberships follow roles.

use crate::common::{Api, assert_error, s};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn keys(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["key"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn an_instance_starts_with_system_permissions_and_two_roles() {
    let api = Api::start().await;
    let (_, roles) = api.get("/organization_roles?order_by=key").await;
    assert_eq!(keys(&roles), ["org:admin", "org:member"]);
    assert_eq!(roles["data"][0]["is_creator_eligible"], true);
    assert_eq!(roles["data"][1]["is_creator_eligible"], false);
    let (_, permissions) = api.get("/organization_permissions?limit=100").await;
    assert_eq!(permissions["total_count"], 6);
    let system = &permissions["data"][0];
    assert_eq!(system["type"], "system");
    let (status, body) = api
        .patch(
            &format!("/organization_permissions/{}", s(system, "id")),
            json!({ "name": "x" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "system_permission_immutable",
    );
    let (status, body) = api
        .delete(&format!("/organization_permissions/{}", s(system, "id")))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "system_permission_immutable",
    );
}

#[tokio::test]
async fn permissions_lifecycle() {
    let api = Api::start().await;
    let (status, created) = api
        .post(
            "/organization_permissions",
            json!({ "name": "Read invoices", "key": "org:invoices:read", "description": "See invoices" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["type"], "user");
    let id = s(&created, "id");
    let (_, got) = api.get(&format!("/organization_permissions/{id}")).await;
    assert_eq!(got, created);
    let (_, found) = api.get("/organization_permissions?query=invoices").await;
    assert_eq!(keys(&found), ["org:invoices:read"]);
    let (_, found) = api
        .get(&format!("/organization_permissions?query={id}"))
        .await;
    assert_eq!(found["total_count"], 1);
    let (status, updated) = api
        .patch(
            &format!("/organization_permissions/{id}"),
            json!({ "name": "See invoices", "key": "org:invoices:view" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["key"], "org:invoices:view");
    for bad in [
        "org:sys_profile:x",
        "invoices:read",
        "org:Invoices:read",
        "org:a",
    ] {
        let (status, body) = api
            .post(
                "/organization_permissions",
                json!({ "name": "x", "key": bad }),
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_format_invalid",
        );
    }
    let (status, body) = api
        .post(
            "/organization_permissions",
            json!({ "name": "x", "key": "org:invoices:view" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
    );
    let (status, deleted) = api.delete(&format!("/organization_permissions/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["object"], "permission");
    let (status, body) = api.get(&format!("/organization_permissions/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn roles_lifecycle_with_permissions_and_members() {
    let api = Api::start().await;
    let (_, permission) = api
        .post(
            "/organization_permissions",
            json!({ "name": "Read invoices", "key": "org:invoices:read" }),
        )
        .await;
    let permission_id = s(&permission, "id");
    let (status, role) = api
        .post(
            "/organization_roles",
            json!({ "name": "Billing", "key": "org:billing", "permissions": [permission_id] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{role}");
    let role_id = s(&role, "id");
    assert_eq!(role["permissions"][0]["key"], "org:invoices:read");
    let (_, got) = api.get(&format!("/organization_roles/{role_id}")).await;
    assert_eq!(got, role);
    let (_, list) = api.get("/organization_roles").await;
    assert_eq!(
        list["data"][0]["key"], "org:billing",
        "newest first: {list}"
    );

    // A member with the role sees its permissions; assigning one more shows at once.
    let owner = api.user("owner@example.com").await;
    let member = api.user("member@example.com").await;
    let (_, org) = api
        .post(
            "/organizations",
            json!({ "name": "Acme", "created_by": owner["id"] }),
        )
        .await;
    let org_id = s(&org, "id");
    let (status, membership) = api
        .post(
            &format!("/organizations/{org_id}/memberships"),
            json!({ "user_id": member["id"], "role": "org:billing" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{membership}");
    assert_eq!(membership["role_name"], "Billing");
    assert_eq!(membership["permissions"], json!(["org:invoices:read"]));
    let (_, members_read) = api
        .get("/organization_permissions?query=org:sys_memberships:read")
        .await;
    let read_id = s(&members_read["data"][0], "id");
    let (status, role) = api
        .post(
            &format!("/organization_roles/{role_id}/permissions/{read_id}"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{role}");
    assert_eq!(role["permissions"].as_array().map(Vec::len), Some(2));
    let (status, body) = api
        .post(
            &format!("/organization_roles/{role_id}/permissions/{read_id}"),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "resource_conflict");
    let (_, members) = api
        .get(&format!("/organizations/{org_id}/memberships"))
        .await;
    let billing = members["data"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["role"] == "org:billing"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        billing["permissions"],
        json!(["org:invoices:read", "org:sys_memberships:read"])
    );
    let (status, role) = api
        .delete(&format!(
            "/organization_roles/{role_id}/permissions/{read_id}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(role["permissions"].as_array().map(Vec::len), Some(1));
    let (status, body) = api
        .delete(&format!(
            "/organization_roles/{role_id}/permissions/{read_id}"
        ))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    // Renaming the key follows into memberships.
    let (status, role) = api
        .patch(
            &format!("/organization_roles/{role_id}"),
            json!({ "key": "org:finance", "name": "Finance" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{role}");
    let (_, memberships) = api
        .get(&format!(
            "/users/{}/organization_memberships",
            s(&member, "id")
        ))
        .await;
    assert_eq!(memberships["data"][0]["role"], "org:finance");
    assert_eq!(memberships["data"][0]["role_name"], "Finance");

    // In use: refused; once free: deleted.
    let (status, body) = api.delete(&format!("/organization_roles/{role_id}")).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "organization_role_in_use",
    );
    api.delete(&format!(
        "/organizations/{org_id}/memberships/{}",
        s(&member, "id")
    ))
    .await;
    let (status, deleted) = api.delete(&format!("/organization_roles/{role_id}")).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    let (status, body) = api.get(&format!("/organization_roles/{role_id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    // Deleting a permission takes it off every role.
    let (_, admin) = api.get("/organization_roles?query=org:admin").await;
    let admin_id = s(&admin["data"][0], "id");
    let (_, role) = api
        .post(
            &format!("/organization_roles/{admin_id}/permissions/{permission_id}"),
            json!({}),
        )
        .await;
    assert_eq!(role["permissions"].as_array().map(Vec::len), Some(7));
    api.delete(&format!("/organization_permissions/{permission_id}"))
        .await;
    let (_, role) = api.get(&format!("/organization_roles/{admin_id}")).await;
    assert_eq!(role["permissions"].as_array().map(Vec::len), Some(6));
}

#[tokio::test]
async fn role_sets_lifecycle() {
    let api = Api::start().await;
    api.post(
        "/organization_roles",
        json!({ "name": "Viewer", "key": "org:viewer" }),
    )
    .await;
    let (status, set) = api
        .post(
            "/role_sets",
            json!({
                "name": "Support Teams", "roles": ["org:admin", "org:member"],
                "default_role_key": "org:member", "creator_role_key": "org:admin",
                "type": "initial",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["key"], "role_set:support_teams");
    assert_eq!(set["type"], "initial");
    assert_eq!(set["default_role"]["key"], "org:member");
    assert_eq!(set["roles"].as_array().map(Vec::len), Some(2));
    let id = s(&set, "id");
    let (_, by_key) = api.get("/role_sets/role_set:support_teams").await;
    let (_, by_id) = api.get(&format!("/role_sets/{id}")).await;
    assert_eq!(by_key, by_id);
    let (_, settings) = api.get("/instance/organization_settings").await;
    assert_eq!(settings["initial_role_set_key"], "role_set:support_teams");

    let (status, body) = api
        .post(
            "/role_sets",
            json!({
                "name": "Bad", "roles": ["org:admin"],
                "default_role_key": "org:member", "creator_role_key": "org:admin",
            }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );

    let (status, set) = api
        .post(
            &format!("/role_sets/{id}/roles"),
            json!({ "role_keys": ["org:viewer"], "default_role_key": "org:viewer" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["default_role"]["key"], "org:viewer");
    let (status, set) = api
        .patch(&format!("/role_sets/{id}"), json!({ "name": "Support" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(set["name"], "Support");

    // Members of organizations using the set move to the replacement role.
    let owner = api.user("owner@example.com").await;
    let member = api.user("member@example.com").await;
    let (_, org) = api
        .post(
            "/organizations",
            json!({ "name": "Acme", "created_by": owner["id"], "role_set_key": "role_set:support_teams" }),
        )
        .await;
    let org_id = s(&org, "id");
    api.post(
        &format!("/organizations/{org_id}/memberships"),
        json!({ "user_id": member["id"], "role": "org:member" }),
    )
    .await;
    let (status, set) = api
        .post(
            &format!("/role_sets/{id}/roles/replace"),
            json!({ "role_key": "org:member", "to_role_key": "org:viewer" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let keys: Vec<&str> = set["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert_eq!(keys, ["org:admin", "org:viewer"]);
    let (_, members) = api
        .get(&format!(
            "/organizations/{org_id}/memberships?role=org:viewer"
        ))
        .await;
    assert_eq!(members["total_count"], 1, "{members}");

    // Replacing the set moves the organization to another one and deletes this one.
    api.post(
        "/role_sets",
        json!({
            "name": "Plain", "key": "role_set:plain", "roles": ["org:admin", "org:member"],
            "default_role_key": "org:member", "creator_role_key": "org:admin",
        }),
    )
    .await;
    let (status, body) = api
        .post(
            &format!("/role_sets/{id}/replace"),
            json!({ "dest_role_set_key": "role_set:plain" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "role_reassignment_required",
    );
    let (status, deleted) = api
        .post(
            &format!("/role_sets/{id}/replace"),
            json!({ "dest_role_set_key": "role_set:plain", "reassignment_mappings": { "org:viewer": "org:member" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["deleted"], true);
    let (status, body) = api.get(&format!("/role_sets/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (_, org) = api.get(&format!("/organizations/{org_id}")).await;
    assert_eq!(org["role_set_key"], "role_set:plain");
    let (_, list) = api.get("/role_sets").await;
    assert_eq!(list["total_count"], 1);
    assert_eq!(
        list["data"][0]["type"], "initial",
        "the replacement became initial"
    );
}
