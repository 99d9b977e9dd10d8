//! Clients: derived from sessions, listed, read and verified by their client token.

use crate::common::{Api, assert_error, s};
use crate::shapes::assert_shape;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn clients_follow_their_sessions() {
    let api = Api::start().await;
    let user = s(&api.user("client@example.com").await, "id");
    let (_, first) = api.post("/sessions", json!({ "user_id": user })).await;
    let (_, second) = api.post("/sessions", json!({ "user_id": user })).await;
    let client = s(&first, "client_id");

    let (status, got) = api.get(&format!("/clients/{client}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_shape("GetClient", &got);
    assert_eq!(got["session_ids"], json!([first["id"]]));
    assert_eq!(got["last_active_session_id"], first["id"]);

    let (status, list) = api.get("/clients").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_shape("GetClientList", &list);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["id"], second["client_id"], "newest first");
    let (_, page) = api.get("/clients?limit=1&offset=1").await;
    assert_eq!(page[0]["id"], client.as_str());

    // The client reflects the session's state.
    api.post(&format!("/sessions/{}/revoke", s(&first, "id")), json!({}))
        .await;
    let (_, got) = api.get(&format!("/clients/{client}")).await;
    assert_eq!(got["sessions"][0]["status"], "revoked");
    assert_eq!(got["last_active_session_id"], serde_json::Value::Null);

    let (status, body) = api.get("/clients/client_unknown").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn verify_takes_a_client_token_of_this_instance() {
    let api = Api::start().await;
    let user = s(&api.user("verify-client@example.com").await, "id");
    let (_, session) = api.post("/sessions", json!({ "user_id": user })).await;
    let client = s(&session, "client_id");
    let token = api.server.client_token(&client).expect("client token");

    let (status, verified) = api.post("/clients/verify", json!({ "token": token })).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_shape("VerifyClient", &verified);
    assert_eq!(verified["id"], client.as_str());
    assert_eq!(verified["sessions"][0]["id"], session["id"]);

    // Garbage, a session token (no client id in it), and another server's client token.
    let (_, session_token) = api
        .post(
            &format!("/sessions/{}/tokens", s(&session, "id")),
            json!({}),
        )
        .await;
    let other = Api::start().await;
    let other_user = s(&other.user("other@example.com").await, "id");
    let (_, other_session) = other
        .post("/sessions", json!({ "user_id": other_user }))
        .await;
    let foreign = other
        .server
        .client_token(&s(&other_session, "client_id"))
        .expect("client token");
    for bad in ["garbage".to_string(), s(&session_token, "jwt"), foreign] {
        let (status, body) = api.post("/clients/verify", json!({ "token": bad })).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "cookie_invalid");
    }
    assert!(api.server.client_token("client_unknown").is_err());
}
