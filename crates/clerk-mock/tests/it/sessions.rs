//! Sessions and session tokens.

use crate::common::{Api, assert_error, s};
use crate::jwt;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn session_lifecycle_with_a_verifiable_token() {
    let api = Api::start().await;
    let user_id = s(&api.user("s@example.com").await, "id");
    let (status, session) = api.post("/sessions", json!({ "user_id": user_id })).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["object"], "session");
    assert_eq!(session["status"], "active");
    assert_eq!(session["user_id"], user_id.as_str());
    let session_id = s(&session, "id");
    assert!(session_id.starts_with("sess_"));

    let (_, listed) = api.get(&format!("/sessions?user_id={user_id}")).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let (_, fetched) = api.get(&format!("/sessions/{session_id}")).await;
    assert_eq!(fetched["id"], session["id"]);
    let (_, user) = api.get(&format!("/users/{user_id}")).await;
    assert!(user["last_sign_in_at"].is_i64());

    let (status, token) = api
        .post(
            &format!("/sessions/{session_id}/tokens"),
            json!({ "expires_in_seconds": 120 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["object"], "token");
    let claims = jwt::verify(&api, &s(&token, "jwt")).await;
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["sid"], session_id.as_str());
    assert_eq!(claims["iss"], api.server.issuer());
    assert_eq!(
        claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0),
        120
    );
    assert!(claims.get("act").is_none());
    let (header, _, _) = jwt::split(&s(&token, "jwt"));
    assert_eq!(header["kid"], api.server.instance_id());

    let (status, revoked) = api
        .post(&format!("/sessions/{session_id}/revoke"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(revoked["status"], "revoked");
    let (status, body) = api
        .post(&format!("/sessions/{session_id}/tokens"), json!({}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (_, active) = api
        .get(&format!("/sessions?user_id={user_id}&status=active"))
        .await;
    assert_eq!(active, json!([]));
}

#[tokio::test]
async fn session_token_carries_the_active_organization() {
    let api = Api::start().await;
    let user_id = s(&api.user("o@example.com").await, "id");
    let (_, org) = api
        .post(
            "/organizations",
            json!({ "name": "Org Co", "created_by": user_id }),
        )
        .await;
    let (_, session) = api
        .post(
            "/sessions",
            json!({ "user_id": user_id, "active_organization_id": org["id"] }),
        )
        .await;
    let (_, token) = api
        .post(
            &format!("/sessions/{}/tokens", s(&session, "id")),
            json!({}),
        )
        .await;
    let claims = jwt::verify(&api, &s(&token, "jwt")).await;
    assert_eq!(claims["v"], 2);
    assert_eq!(
        claims["o"],
        json!({ "id": org["id"], "rol": "admin", "slg": "org-co" })
    );
}

#[tokio::test]
async fn listing_needs_a_user_or_client_and_unknown_ids_are_404() {
    let api = Api::start().await;
    let (status, body) = api.get("/sessions").await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "missing_query_parameter",
    );
    let (status, body) = api.get("/sessions/sess_unknown").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api
        .post("/sessions", json!({ "user_id": "user_unknown" }))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api.post("/sessions", json!({})).await;
    let error = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_missing",
    );
    assert_eq!(error["meta"]["param_name"], "user_id");
}

#[tokio::test]
async fn jwks_lists_the_signing_key_publicly_too() {
    let api = Api::start().await;
    let (status, jwks) = api.get("/jwks").await;
    assert_eq!(status, StatusCode::OK);
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kid"], api.server.instance_id());
    assert!(s(key, "kid").starts_with("ins_"));
    let public = api
        .http
        .get(format!("{}/.well-known/jwks.json", api.server.issuer()))
        .send()
        .await
        .expect("answer");
    let public: serde_json::Value = public.json().await.expect("json");
    assert_eq!(public, jwks);
}
