//! Agent tasks sign an agent in through their URL; admin portal link tokens are revoked once.

use crate::common::{Api, assert_error, read, s};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_agent_task_url_signs_in_once_and_a_pending_task_can_be_revoked() {
    let api = Api::start().await;
    let user = api.user("helped@example.com").await;
    let body = |name: &str| {
        json!({
            "on_behalf_of": { "identifier": "helped@example.com" }, "permissions": "*",
            "agent_name": name, "task_description": "book a table",
            "redirect_url": "https://example.com/done",
        })
    };
    let (status, task) = api.post("/agents/tasks", body("concierge")).await;
    assert_eq!(status, StatusCode::OK, "{task}");
    let (_, second) = api.post("/agents/tasks", body("concierge")).await;
    assert_eq!(
        second["agent_id"], task["agent_id"],
        "one id per agent name"
    );
    assert_ne!(second["agent_task_id"], task["agent_task_id"]);

    let response = api.http.get(s(&task, "url")).send().await.expect("answer");
    let (status, accepted) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["session"]["user_id"], user["id"]);
    let (status, body) = api
        .post(
            &format!("/agents/tasks/{}/revoke", s(&task, "agent_task_id")),
            json!({}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "agent_task_cannot_be_revoked",
    );

    let pending = s(&second, "agent_task_id");
    let (status, revoked) = api
        .post(&format!("/agents/tasks/{pending}/revoke"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    let response = api
        .http
        .get(s(&second, "url"))
        .send()
        .await
        .expect("answer");
    assert_eq!(read(response).await.0, StatusCode::BAD_REQUEST);
    let (status, body) = api
        .post("/agents/tasks/agtsk_unknown/revoke", json!({}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api
        .post(
            "/agents/tasks",
            json!({
                "on_behalf_of": { "user_id": "user_unknown" }, "permissions": "*",
                "agent_name": "x", "task_description": "x", "redirect_url": "https://example.com",
            }),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn admin_portal_link_tokens_are_created_and_revoked_once() {
    let api = Api::start().await;
    let (status, link) = api
        .post(
            "/admin_portal_link_tokens",
            json!({ "scopes": ["sso"], "seconds_until_expiration": 60 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert!(link["token"].as_str().is_some_and(|t| t.len() >= 32));
    let id = s(&link, "id");
    let (status, revoked) = api
        .post(
            &format!("/admin_portal_link_tokens/{id}/revoke"),
            json!({ "revocation_reason": "sent to the wrong person" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["revoked"], true);
    assert!(revoked.get("token").is_none());
    let (status, body) = api
        .post(&format!("/admin_portal_link_tokens/{id}/revoke"), json!({}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "admin_portal_link_token_revoked",
    );
    // Bad input is a 400 here, as the description lists.
    let (status, body) = api
        .post(
            "/admin_portal_link_tokens",
            json!({ "seconds_until_expiration": 0 }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "form_param_value_invalid",
    );
}
