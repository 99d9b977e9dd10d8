//! SAML and enterprise connections and directories keep state.

use crate::common::{Api, assert_error, s};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn saml_connections_lifecycle() {
    let api = Api::start().await;
    let (_, org) = api.post("/organizations", json!({ "name": "Acme" })).await;
    let org_id = s(&org, "id");
    let (status, created) = api
        .post(
            "/saml_connections",
            json!({
                "name": "Acme Okta", "provider": "saml_okta", "domains": ["acme.com"],
                "organization_id": org_id, "idp_entity_id": "https://idp.acme.com",
                "attribute_mapping": { "email_address": "mail" },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = s(&created, "id");
    assert_eq!(created["active"], false);
    assert_eq!(created["domain"], "acme.com");
    assert_eq!(created["attribute_mapping"]["email_address"], "mail");
    assert!(
        created["acs_url"]
            .as_str()
            .unwrap_or_default()
            .ends_with(&id)
    );
    let (_, got) = api.get(&format!("/saml_connections/{id}")).await;
    assert_eq!(got, created);
    api.post(
        "/saml_connections",
        json!({ "name": "Other", "provider": "saml_custom", "domain": "other.com" }),
    )
    .await;
    let (_, list) = api.get("/saml_connections").await;
    assert_eq!(list["total_count"], 2);
    let (_, list) = api
        .get(&format!("/saml_connections?organization_id=-{org_id}"))
        .await;
    assert_eq!(list["data"][0]["name"], "Other");
    let (_, list) = api
        .get(&format!("/saml_connections?organization_id=%2B{org_id}"))
        .await;
    assert_eq!(list["data"][0]["name"], "Acme Okta");
    assert_eq!(list["total_count"], 1);
    let (_, list) = api.get("/saml_connections?query=okta").await;
    assert_eq!(list["total_count"], 1);

    // A domain belongs to one connection.
    let (status, body) = api
        .post(
            "/saml_connections",
            json!({ "name": "Dup", "provider": "saml_custom", "domains": ["acme.com"] }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "saml_connection_domain_taken",
    );
    let (status, body) = api
        .post(
            "/saml_connections",
            json!({ "name": "No domain", "provider": "saml_custom" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_missing",
    );

    let (status, updated) = api
        .patch(
            &format!("/saml_connections/{id}"),
            json!({ "active": true, "idp_sso_url": "https://idp.acme.com/sso", "domains": ["acme.com", "acme.io"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["active"], true);
    assert_eq!(updated["domains"], json!(["acme.com", "acme.io"]));
    let (status, deleted) = api.delete(&format!("/saml_connections/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["object"], "saml_connection");
    let (status, body) = api.get(&format!("/saml_connections/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn enterprise_connections_test_runs_and_directories() {
    let api = Api::start().await;
    let (status, oidc) = api
        .post(
            "/enterprise_connections",
            json!({
                "name": "Corp", "provider": "oidc_custom", "domains": ["corp.com"],
                "oidc": { "client_id": "abc", "client_secret": "shh", "discovery_url": "https://idp.corp.com/.well-known/openid-configuration" },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{oidc}");
    let id = s(&oidc, "id");
    assert_eq!(oidc["oauth_config"]["client_id"], "abc");
    assert!(
        oidc["oauth_config"].get("client_secret").is_none(),
        "the secret is not shown"
    );
    assert!(oidc["saml_connection"].is_null());
    let (_, saml) = api
        .post(
            "/enterprise_connections",
            json!({ "name": "Saml", "provider": "saml_google", "domains": ["saml.com"], "active": true }),
        )
        .await;
    assert_eq!(saml["saml_connection"]["active"], true);
    let (_, got) = api.get(&format!("/enterprise_connections/{id}")).await;
    assert_eq!(got, oidc);
    let (_, list) = api.get("/enterprise_connections?active=true").await;
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["data"][0]["name"], "Saml");
    let (status, updated) = api
        .patch(
            &format!("/enterprise_connections/{id}"),
            json!({ "name": "Corp SSO", "oidc": { "requires_pkce": true } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["name"], "Corp SSO");
    assert_eq!(updated["oauth_config"]["requires_pkce"], true);
    assert_eq!(updated["oauth_config"]["client_id"], "abc");

    let (status, run) = api
        .post(
            &format!("/enterprise_connections/{id}/test_runs"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert!(
        run["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://127.0.0.1:"))
    );
    let (_, runs) = api
        .get(&format!("/enterprise_connections/{id}/test_runs"))
        .await;
    assert_eq!(runs["total_count"], 1);
    assert_eq!(runs["data"][0]["connection_type"], "oauth");
    let (_, runs) = api
        .get(&format!(
            "/enterprise_connections/{id}/test_runs?status=success"
        ))
        .await;
    assert_eq!(runs["total_count"], 0);

    // Directories provision from a connection; /scim_directories reaches the same ones.
    let (_, roles) = api.get("/organization_roles?query=org:member").await;
    let member_role = s(&roles["data"][0], "id");
    let (status, directory) = api
        .post(
            "/directories",
            json!({ "enterprise_connection_id": id, "provider": "okta", "name": "Okta users" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{directory}");
    let dir = s(&directory, "id");
    let first_key = s(&directory, "api_key");
    let (_, got) = api.get(&format!("/directories/{dir}")).await;
    assert!(got["api_key"].is_null(), "the key is shown once");
    let (_, scim) = api.get(&format!("/scim_directories/{dir}")).await;
    assert_eq!(scim["object"], "scim_directory");
    let (status, body) = api
        .post(
            &format!("/directories/{dir}/group_role_mappings"),
            json!({ "directory_group_id": "g1", "role_id": member_role }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "group_role_mapping_disabled",
    );
    let (_, updated) = api
        .patch(
            &format!("/directories/{dir}"),
            json!({ "group_role_mapping_enabled": true, "attribute_mapping": { "title": "jobTitle" } }),
        )
        .await;
    assert_eq!(updated["attribute_mapping"]["title"], "jobTitle");
    let (status, mapping) = api
        .post(
            &format!("/directories/{dir}/group_role_mappings"),
            json!({ "directory_group_id": "g1", "role_id": member_role }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mapping}");
    assert_eq!(mapping["role"]["key"], "org:member");
    assert_eq!(mapping["precedence"], 1);
    let (_, replaced) = api
        .put(
            &format!("/scim_directories/{dir}/group_role_mappings"),
            json!({ "mappings": [{ "scim_group_id": "a", "role_id": member_role }, { "scim_group_id": "b", "role_id": member_role }] }),
        )
        .await;
    assert_eq!(replaced["total_count"], 2);
    assert_eq!(replaced["data"][1]["precedence"], 2);
    assert_eq!(replaced["data"][0]["object"], "scim_group_role_mapping");
    let (_, listed) = api
        .get(&format!("/directories/{dir}/group_role_mappings"))
        .await;
    assert_eq!(listed["data"][0]["directory_group_id"], "a");
    let gone = s(&listed["data"][0], "id");
    let (status, _) = api
        .delete(&format!("/directories/{dir}/group_role_mappings/{gone}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .delete(&format!("/directories/{dir}/group_role_mappings/{gone}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (_, rotated) = api
        .post(&format!("/directories/{dir}/rotate_api_key"), json!({}))
        .await;
    assert_ne!(rotated["api_key"], first_key.as_str());
    let (_, list) = api.get("/scim_directories").await;
    assert_eq!(list["total_count"], 1);
    let (status, _) = api.delete(&format!("/scim_directories/{dir}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api.get(&format!("/directories/{dir}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    let (status, deleted) = api.delete(&format!("/enterprise_connections/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deleted"], true);
    let (status, body) = api
        .get(&format!("/enterprise_connections/{id}/test_runs"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}
