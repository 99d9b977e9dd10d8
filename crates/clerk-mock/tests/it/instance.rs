//! Instance settings, the Svix application, templates and sign-ups keep state.

use crate::common::{Api, assert_error, read, s};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_settings_change_shows_in_the_next_read() {
    let api = Api::start().await;
    let (_, instance) = api.get("/instance").await;
    assert_eq!(instance["environment_type"], "development");
    assert_eq!(instance["id"], api.server.instance_id());
    let (status, body) = api
        .patch(
            "/instance",
            json!({ "allowed_origins": ["chrome-extension://abc"] }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, instance) = api.get("/instance").await;
    assert_eq!(
        instance["allowed_origins"],
        json!(["chrome-extension://abc"])
    );
    let (status, body) = api
        .patch("/instance", json!({ "allowed_origins": ["no scheme"] }))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_format_invalid",
    );

    let (_, restrictions) = api
        .patch("/instance/restrictions", json!({ "allowlist": true }))
        .await;
    assert_eq!(restrictions["allowlist"], true);
    assert_eq!(restrictions["blocklist"], false);
    let (_, beta) = api
        .patch(
            "/beta_features/instance_settings",
            json!({ "progressive_sign_up": false }),
        )
        .await;
    assert_eq!(
        beta["restricted_to_allowlist"], true,
        "one switch, two views"
    );
    assert_eq!(beta["progressive_sign_up"], false);

    let (_, communication) = api
        .patch(
            "/instance/communication",
            json!({ "blocked_country_codes": ["de", "FR", "not-a-country", "FR"] }),
        )
        .await;
    assert_eq!(communication["blocked_country_codes"], json!(["DE", "FR"]));
    let (_, communication) = api.get("/instance/communication").await;
    assert_eq!(communication["blocked_country_codes"], json!(["DE", "FR"]));

    let (_, oauth) = api
        .patch(
            "/instance/oauth_application_settings",
            json!({ "dynamic_oauth_client_registration": true }),
        )
        .await;
    assert_eq!(oauth["dynamic_oauth_client_registration"], true);
    let (_, oauth) = api.get("/instance/oauth_application_settings").await;
    assert_eq!(oauth["dynamic_oauth_client_registration"], true);

    let (_, protect) = api
        .patch("/instance/protect", json!({ "rules_enabled": true }))
        .await;
    assert_eq!(protect["rules_enabled"], true);
    let (_, protect) = api.get("/instance/protect").await;
    assert_eq!(protect["rules_enabled"], true);
}

#[tokio::test]
async fn organization_settings_decide_new_organizations() {
    let api = Api::start().await;
    let (_, settings) = api.get("/instance/organization_settings").await;
    assert_eq!(settings["creator_role"], "org:admin");
    let (_, role) = api
        .post(
            "/organization_roles",
            json!({ "name": "Owner", "key": "org:owner" }),
        )
        .await;
    let (status, settings) = api
        .patch(
            "/instance/organization_settings",
            json!({ "creator_role_id": role["id"], "max_allowed_memberships": 2, "admin_delete_enabled": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["creator_role"], "org:owner");
    let (_, settings) = api.get("/instance/organization_settings").await;
    assert_eq!(settings["max_allowed_memberships"], 2);

    let owner = api.user("owner@example.com").await;
    let (_, org) = api
        .post(
            "/organizations",
            json!({ "name": "Acme", "created_by": owner["id"] }),
        )
        .await;
    assert_eq!(org["max_allowed_memberships"], 2);
    assert_eq!(org["admin_delete_enabled"], false);
    let (_, memberships) = api
        .get(&format!("/organizations/{}/memberships", s(&org, "id")))
        .await;
    assert_eq!(memberships["data"][0]["role"], "org:owner");

    let (status, body) = api
        .patch(
            "/instance/organization_settings",
            json!({ "creator_role_id": "role_nope" }),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    // The creator role cannot be deleted.
    let (status, body) = api
        .delete(&format!("/organization_roles/{}", s(&role, "id")))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "organization_role_in_use",
    );
}

#[tokio::test]
async fn the_svix_application_is_created_linked_and_deleted() {
    let api = Api::start().await;
    let (status, body) = api.post("/webhooks/svix_url", json!({})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "svix_app_missing");
    let (status, app) = api.post("/webhooks/svix", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        app["svix_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))
    );
    let (status, body) = api.post("/webhooks/svix", json!({})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "svix_app_exists");
    let (_, link) = api.post("/webhooks/svix_url", json!({})).await;
    assert_ne!(link["svix_url"], app["svix_url"]);
    let (status, _) = api.delete("/webhooks/svix").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = api.delete("/webhooks/svix").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "svix_app_missing");
}

#[tokio::test]
async fn templates_are_changed_previewed_toggled_and_reverted() {
    let api = Api::start().await;
    let (_, emails) = api.get("/templates/email").await;
    let slugs: Vec<&str> = emails
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["slug"].as_str())
        .collect();
    assert_eq!(
        slugs,
        ["verification_code", "invitation", "waitlist_invitation"]
    );
    let (_, sms) = api.get("/templates/sms").await;
    assert_eq!(sms.as_array().map(Vec::len), Some(1));
    let (status, body) = api.get("/templates/fax").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api.get("/templates/email/no_such_template").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    let (_, original) = api.get("/templates/email/verification_code").await;
    assert_eq!(original["can_revert"], false);
    let (status, changed) = api
        .put(
            "/templates/email/verification_code",
            json!({ "subject": "Your code", "body": "<p>Code: {{otp_code}}</p>" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["can_revert"], true);
    let (_, got) = api.get("/templates/email/verification_code").await;
    assert_eq!(got["subject"], "Your code");
    let (status, body) = api
        .put(
            "/templates/email/verification_code",
            json!({ "body": "no code here" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );

    let (status, preview) = api
        .post(
            "/templates/email/verification_code/preview",
            json!({ "subject": "Preview {{otp_code}}" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["subject"], "Preview {{otp_code}}");
    assert_eq!(preview["body"], "<p>Code: {{otp_code}}</p>");

    let (_, toggled) = api
        .post(
            "/templates/email/verification_code/toggle_delivery",
            json!({}),
        )
        .await;
    assert_eq!(toggled["delivered_by_clerk"], false);
    let (_, toggled) = api
        .post(
            "/templates/email/verification_code/toggle_delivery",
            json!({ "delivered_by_clerk": false }),
        )
        .await;
    assert_eq!(toggled["delivered_by_clerk"], false);

    let (status, reverted) = api
        .post("/templates/email/verification_code/revert", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reverted["subject"], original["subject"]);
    assert_eq!(reverted["id"], original["id"]);
    assert_eq!(reverted["delivered_by_clerk"], true);
    let (status, body) = api
        .post("/templates/email/verification_code/revert", json!({}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "template_not_reverted",
    );
}

#[tokio::test]
async fn sign_ups_started_by_a_browser_are_read_and_updated() {
    let api = Api::start().await;
    // The Frontend API call a browser makes; no secret key.
    let response = api
        .http
        .post(api.url("/client/sign_ups"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email_address=new%40example.com&first_name=Nia")
        .send()
        .await
        .expect("answer");
    let (status, started) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let sign_up = &started["response"];
    let id = s(sign_up, "id");
    assert_eq!(sign_up["status"], "missing_requirements");
    assert_eq!(sign_up["missing_fields"], json!(["password"]));
    assert_eq!(sign_up["unverified_fields"], json!(["email_address"]));

    let (status, got) = api.get(&format!("/sign_ups/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&got, sign_up);
    let (status, updated) = api
        .patch(
            &format!("/sign_ups/{id}"),
            json!({ "external_id": "crm-7", "custom_action": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["external_id"], "crm-7");
    assert_eq!(updated["custom_action"], true);
    let (_, got) = api.get(&format!("/sign_ups/{id}")).await;
    assert_eq!(got["external_id"], "crm-7");
    let (status, body) = api.get("/sign_ups/sua_unknown").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    // An address a user already has cannot sign up again.
    api.user("taken@example.com").await;
    let response = api
        .http
        .post(api.url("/client/sign_ups"))
        .json(&json!({ "email_address": "taken@example.com", "password": "long enough" }))
        .send()
        .await
        .expect("answer");
    let (status, body) = read(response).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
    );
}
