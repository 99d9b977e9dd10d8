//! Allow-list, block-list, instance invitations and testing tokens.

use crate::common::{Api, assert_error, s};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn allowlist_and_blocklist_identifiers() {
    let api = Api::start().await;
    let (status, allowed) = api
        .post(
            "/allowlist_identifiers",
            json!({ "identifier": "*@example.com" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{allowed}");
    assert_eq!(allowed["object"], "allowlist_identifier");
    assert_eq!(allowed["identifier_type"], "email_address");
    assert_eq!(allowed["instance_id"], api.server.instance_id());
    let (status, body) = api
        .post(
            "/allowlist_identifiers",
            json!({ "identifier": "*@example.com" }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "duplicate_record");
    let (_, phone) = api
        .post(
            "/allowlist_identifiers",
            json!({ "identifier": "+15555550100" }),
        )
        .await;
    assert_eq!(phone["identifier_type"], "phone_number");
    let (_, list) = api.get("/allowlist_identifiers").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let (status, deleted) = api
        .delete(&format!("/allowlist_identifiers/{}", s(&allowed, "id")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        deleted,
        json!({ "object": "allowlist_identifier", "id": allowed["id"], "deleted": true })
    );

    let (_, blocked) = api
        .post(
            "/blocklist_identifiers",
            json!({ "identifier": "spam@example.com" }),
        )
        .await;
    let (_, list) = api.get("/blocklist_identifiers").await;
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["data"][0]["id"], blocked["id"]);
    let (status, body) = api.delete("/blocklist_identifiers/blid_unknown").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api
        .post(
            "/blocklist_identifiers",
            json!({ "identifier": "not an identifier" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_format_invalid",
    );
}

#[tokio::test]
async fn instance_invitations() {
    let api = Api::start().await;
    api.user("member@example.com").await;
    let (status, invitation) = api
        .post("/invitations", json!({ "email_address": "new@example.com", "public_metadata": { "plan": "trial" }, "expires_in_days": 7 }))
        .await;
    assert_eq!(status, StatusCode::OK, "{invitation}");
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["public_metadata"], json!({ "plan": "trial" }));
    let lifetime = invitation["expires_at"].as_i64().unwrap_or(0)
        - invitation["created_at"].as_i64().unwrap_or(0);
    assert_eq!(lifetime, 7 * 86_400_000);

    let (status, body) = api
        .post(
            "/invitations",
            json!({ "email_address": "new@example.com" }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "duplicate_record");
    let (status, body) = api
        .post(
            "/invitations",
            json!({ "email_address": "member@example.com" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
    );
    let (status, _) = api
        .post(
            "/invitations",
            json!({ "email_address": "member@example.com", "ignore_existing": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, bulk) = api
        .post(
            "/invitations/bulk",
            json!([{ "email_address": "b1@example.com" }, { "email_address": "b2@example.com" }]),
        )
        .await;
    assert_eq!(bulk.as_array().map(Vec::len), Some(2));
    let (_, list) = api.get("/invitations?status=pending&query=new").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    let path = format!("/invitations/{}/revoke", s(&invitation, "id"));
    let (status, revoked) = api.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (revoked["status"].clone(), revoked["revoked"].clone()),
        (json!("revoked"), json!(true))
    );
    let (status, body) = api.post(&path, json!({})).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invitation_already_revoked",
    );
}

#[tokio::test]
async fn testing_tokens_expire_later() {
    let api = Api::start().await;
    let (status, token) = api.post("/testing_tokens", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(token["object"], "testing_token");
    assert!(!s(&token, "token").is_empty());
    assert!(token["expires_at"].as_i64().is_some_and(|t| t > 0));
}
