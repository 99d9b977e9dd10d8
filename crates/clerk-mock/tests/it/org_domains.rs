//! Organization domains and the waitlist keep state.

use crate::common::{Api, assert_error, s};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn organization(api: &Api, name: &str) -> String {
    let (status, org) = api.post("/organizations", json!({ "name": name })).await;
    assert_eq!(status, StatusCode::OK, "{org}");
    s(&org, "id")
}

fn names(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn organization_domains_lifecycle_and_filters() {
    let api = Api::start().await;
    let org = organization(&api, "Acme").await;
    let other = organization(&api, "Globex").await;
    let (status, domain) = api
        .post(
            &format!("/organizations/{org}/domains"),
            json!({ "name": "Acme.com", "enrollment_mode": "automatic_invitation" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{domain}");
    let id = s(&domain, "id");
    assert_eq!(domain["name"], "acme.com");
    assert_eq!(domain["verification"]["status"], "verified");
    assert_eq!(domain["public_organization_data"]["name"], "Acme");
    let (_, unverified) = api
        .post(
            &format!("/organizations/{org}/domains"),
            json!({ "name": "acme.dev", "enrollment_mode": "enterprise_sso", "verified": false }),
        )
        .await;
    api.post(
        &format!("/organizations/{other}/domains"),
        json!({ "name": "globex.com" }),
    )
    .await;

    let (_, list) = api.get(&format!("/organizations/{org}/domains")).await;
    assert_eq!(list["total_count"], 2);
    let (_, list) = api
        .get(&format!("/organizations/{org}/domains?verified=false"))
        .await;
    assert_eq!(names(&list), ["acme.dev"]);
    let (_, list) = api
        .get(&format!(
            "/organizations/{org}/domains?enrollment_mode=-enterprise_sso"
        ))
        .await;
    assert_eq!(names(&list), ["acme.com"]);
    let (_, all) = api.get("/organization_domains?order_by=name").await;
    assert_eq!(names(&all), ["acme.com", "acme.dev", "globex.com"]);
    let (_, all) = api
        .get("/organization_domains?enrollment_mode=-enterprise_sso&enrollment_mode=-manual_invitation")
        .await;
    assert_eq!(names(&all), ["acme.com"]);
    let (_, all) = api
        .get(&format!("/organization_domains?query={other}"))
        .await;
    assert_eq!(names(&all), ["globex.com"]);
    let (_, all) = api.get("/organization_domains?domains=acme.dev").await;
    assert_eq!(names(&all), ["acme.dev"]);
    let (status, body) = api.get("/organization_domains?query=%20").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );

    let (status, body) = api
        .post(
            &format!("/organizations/{org}/domains"),
            json!({ "name": "acme.com" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
    );

    let uid = s(&unverified, "id");
    let (status, updated) = api
        .patch(
            &format!("/organizations/{org}/domains/{uid}"),
            json!({ "verified": true, "enrollment_mode": "automatic_suggestion" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["verification"]["status"], "verified");
    assert_eq!(updated["enrollment_mode"], "automatic_suggestion");
    let (status, owned) = api
        .post(
            &format!("/organizations/{org}/domains/{uid}/verify_ownership"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{owned}");
    assert_eq!(
        owned["ownership_verification"]["strategy"],
        "manual_override"
    );
    let (_, again) = api
        .post(
            &format!("/organizations/{org}/domains/{uid}/verify_ownership"),
            json!({}),
        )
        .await;
    assert_eq!(
        again["ownership_verification"]["verified_at"],
        owned["ownership_verification"]["verified_at"]
    );

    // A domain is reached through its own organization only.
    let (status, body) = api
        .delete(&format!("/organizations/{other}/domains/{id}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, deleted) = api
        .delete(&format!("/organizations/{org}/domains/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["object"], "organization_domain");
    let (status, body) = api
        .patch(&format!("/organizations/{org}/domains/{id}"), json!({}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    // Deleting an organization takes its domains along.
    api.delete(&format!("/organizations/{other}")).await;
    let (_, all) = api.get("/organization_domains").await;
    assert_eq!(names(&all), ["acme.dev"]);
}

#[tokio::test]
async fn waitlist_entries_are_created_invited_rejected_and_deleted() {
    let api = Api::start().await;
    let (status, entry) = api
        .post(
            "/waitlist_entries",
            json!({ "email_address": "ada@example.com" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    assert_eq!(entry["status"], "pending");
    let id = s(&entry, "id");
    // The same address answers the same entry.
    let (_, same) = api
        .post(
            "/waitlist_entries",
            json!({ "email_address": "ADA@example.com" }),
        )
        .await;
    assert_eq!(same["id"], id.as_str());
    let (status, bulk) = api
        .post(
            "/waitlist_entries/bulk",
            json!([{ "email_address": "bob@example.com" }, { "email_address": "cy@example.com" }]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
    let (status, body) = api
        .post(
            "/waitlist_entries/bulk",
            json!([{ "email_address": "d@example.com" }, { "email_address": "d@example.com" }]),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_duplicate",
    );

    let (_, list) = api.get("/waitlist_entries").await;
    assert_eq!(list["total_count"], 3);
    assert_eq!(
        list["data"][0]["email_address"], "cy@example.com",
        "newest first"
    );
    let (_, found) = api.get("/waitlist_entries?query=bob").await;
    assert_eq!(found["total_count"], 1);

    let (status, invited) = api
        .post(&format!("/waitlist_entries/{id}/invite"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{invited}");
    assert_eq!(invited["status"], "invited");
    assert_eq!(invited["invitation"]["email_address"], "ada@example.com");
    let (_, invitations) = api.get("/invitations").await;
    assert_eq!(invitations[0]["id"], invited["invitation"]["id"]);
    let (status, body) = api
        .post(&format!("/waitlist_entries/{id}/invite"), json!({}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "waitlist_entry_status_conflict",
    );
    let (_, invited_list) = api.get("/waitlist_entries?status=invited").await;
    assert_eq!(invited_list["total_count"], 1);

    let (status, rejected) = api
        .post(&format!("/waitlist_entries/{id}/reject"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["invitation"]["status"], "revoked");
    let (status, body) = api.delete(&format!("/waitlist_entries/{id}")).await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "waitlist_entry_status_conflict",
    );

    let pending = s(&bulk[0], "id");
    let (status, deleted) = api.delete(&format!("/waitlist_entries/{pending}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["object"], "waitlist_entry");
    let (status, body) = api
        .post(&format!("/waitlist_entries/{pending}/reject"), json!({}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}
