//! Actor tokens: create, accept through the URL, impersonated session token, revoke.

use crate::common::{Api, assert_error, read, s};
use crate::jwt;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn accepted_actor_token_gives_a_session_token_with_the_actor() {
    let api = Api::start().await;
    let user_id = s(&api.user("target@example.com").await, "id");
    let actor = json!({ "sub": "user_support_agent", "iss": "support-console", "ticket": 42 });
    let (status, token) = api
        .post(
            "/actor_tokens",
            json!({ "user_id": user_id, "actor": actor, "session_max_duration_in_seconds": 600 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["object"], "actor_token");
    assert_eq!(token["status"], "pending");
    assert_eq!(token["actor"], actor);
    assert!(s(&token, "id").starts_with("act_"));
    let url = s(&token, "url");
    assert!(url.starts_with(&api.server.base_url()), "{url}");
    assert!(url.contains(&s(&token, "token")));

    // Following the link, as a browser would (no secret key).
    let response = api.http.get(&url).send().await.expect("answer");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (status, accepted) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert!(cookie.starts_with("__session="), "{cookie}");
    let session = &accepted["session"];
    assert_eq!(session["actor"], actor);
    assert_eq!(session["user_id"], user_id.as_str());
    let lifetime =
        session["expire_at"].as_i64().unwrap_or(0) - session["created_at"].as_i64().unwrap_or(0);
    assert_eq!(lifetime, 600_000);

    let claims = jwt::verify(&api, &s(&accepted, "jwt")).await;
    assert_eq!(
        claims["act"], actor,
        "the whole actor payload is in the act claim"
    );
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["sid"], session["id"]);

    // Tokens minted later for the session carry the actor too.
    let (_, later) = api
        .post(&format!("/sessions/{}/tokens", s(session, "id")), json!({}))
        .await;
    let claims = jwt::verify(&api, &s(&later, "jwt")).await;
    assert_eq!(claims["act"], actor);

    // A ticket works once.
    let (status, body) = read(api.http.get(&url).send().await.expect("answer")).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "actor_token_already_used_code",
    );
    // An accepted token cannot be revoked.
    let (status, body) = api
        .post(
            &format!("/actor_tokens/{}/revoke", s(&token, "id")),
            json!({}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "actor_token_cannot_be_revoked_code",
    );
}

#[tokio::test]
async fn revoking_twice_fails_and_revoked_tickets_are_refused() {
    let api = Api::start().await;
    let user_id = s(&api.user("t2@example.com").await, "id");
    let (_, token) = api
        .post(
            "/actor_tokens",
            json!({ "user_id": user_id, "actor": { "sub": "user_admin" } }),
        )
        .await;
    let id = s(&token, "id");
    let (status, revoked) = api
        .post(&format!("/actor_tokens/{id}/revoke"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["id"], id.as_str());

    let (status, body) = api
        .post(&format!("/actor_tokens/{id}/revoke"), json!({}))
        .await;
    let error = assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "actor_token_cannot_be_revoked_code",
    );
    assert!(
        error["long_message"]
            .as_str()
            .unwrap_or_default()
            .contains("revoked")
    );

    // Accepting by POST with the ticket in the body.
    let response = api
        .http
        .post(format!("{}/tickets/accept", api.server.base_url()))
        .json(&json!({ "ticket": token["token"] }))
        .send()
        .await
        .expect("answer");
    let (status, body) = read(response).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "actor_token_revoked_code",
    );
}

#[tokio::test]
async fn actor_token_input_is_checked() {
    let api = Api::start().await;
    let user_id = s(&api.user("t3@example.com").await, "id");
    let (status, body) = api
        .post("/actor_tokens", json!({ "user_id": user_id }))
        .await;
    let error = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_missing",
    );
    assert_eq!(error["meta"]["param_name"], "actor");
    let (status, body) = api
        .post("/actor_tokens", json!({ "user_id": user_id, "actor": {} }))
        .await;
    let error = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_missing",
    );
    assert_eq!(error["meta"]["param_name"], "actor.sub");
    let (status, body) = api
        .post(
            "/actor_tokens",
            json!({ "user_id": "user_nobody", "actor": { "sub": "x" } }),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api
        .post("/actor_tokens/act_unknown/revoke", json!({}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = read(
        api.http
            .get(format!("{}/tickets/accept", api.server.base_url()))
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_missing",
    );
}

#[tokio::test]
async fn sign_in_tokens_sign_in_once_and_revoke_only_when_pending() {
    let api = Api::start().await;
    let user_id = s(&api.user("sit@example.com").await, "id");
    let (status, token) = api
        .post("/sign_in_tokens", json!({ "user_id": user_id }))
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["status"], "pending");
    let (status, accepted) =
        read(api.http.get(s(&token, "url")).send().await.expect("answer")).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert!(accepted["session"]["actor"].is_null());
    let claims = jwt::verify(&api, &s(&accepted, "jwt")).await;
    assert!(claims.get("act").is_none());
    let (status, body) = api
        .post(
            &format!("/sign_in_tokens/{}/revoke", s(&token, "id")),
            json!({}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "sign_in_token_cannot_be_revoked_code",
    );

    let (_, second) = api
        .post("/sign_in_tokens", json!({ "user_id": user_id }))
        .await;
    let (status, revoked) = api
        .post(
            &format!("/sign_in_tokens/{}/revoke", s(&second, "id")),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, revoked["status"].clone()),
        (StatusCode::OK, json!("revoked"))
    );
}
