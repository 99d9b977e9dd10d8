//! Machines and their M2M tokens: the machine lifecycle, scopes, secret keys and rotation, and
//! tokens created, listed, revoked and verified in both formats.

use crate::common::{Api, assert_error, read, s};
use crate::jwt;
use crate::shapes::assert_shape;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

async fn machine(api: &Api, body: Value) -> Value {
    let (status, created) = api.post("/machines", body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_shape("CreateMachine", &created);
    created
}

/// A request authenticated with a machine's secret key.
async fn as_machine(
    api: &Api,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = api.http.request(method, api.url(path)).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.expect("the mock answers")).await
}

async fn m2m_token(api: &Api, key: &str, body: Value) -> Value {
    let (status, token) = as_machine(api, key, Method::POST, "/m2m_tokens", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    assert_shape("createM2MToken", &token);
    token
}

#[tokio::test]
async fn machine_lifecycle_with_scopes() {
    let api = Api::start().await;
    let target = machine(&api, json!({ "name": "billing" })).await;
    let caller = machine(
        &api,
        json!({ "name": "reports", "scoped_machines": [s(&target, "id")], "default_token_ttl": 120 }),
    )
    .await;
    let id = s(&caller, "id");
    assert!(id.starts_with("mch_"));
    assert!(s(&caller, "secret_key").starts_with("ak_"));
    assert_eq!(caller["default_token_ttl"], 120);
    assert_eq!(caller["scoped_machines"][0]["id"], target["id"]);

    let (status, got) = api.get(&format!("/machines/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_shape("GetMachine", &got);
    assert!(got.get("secret_key").is_none());
    assert_eq!(got["scoped_machines"][0]["name"], "billing");

    let (status, list) = api.get("/machines?order_by=name").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_shape("ListMachines", &list);
    assert_eq!(list["total_count"], 2);
    assert_eq!(list["data"][0]["name"], "billing");
    let (_, list) = api.get("/machines").await;
    assert_eq!(list["data"][0]["name"], "reports", "newest first: {list}");
    let (_, list) = api.get("/machines?query=REP").await;
    assert_eq!(list["total_count"], 1, "{list}");
    let (_, list) = api
        .get(&format!("/machines?query={}", s(&target, "id")))
        .await;
    assert_eq!(list["data"][0]["id"], target["id"], "{list}");

    let (status, updated) = api
        .patch(
            &format!("/machines/{id}"),
            json!({ "name": "reporting", "default_token_ttl": 60 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_shape("UpdateMachine", &updated);
    assert_eq!(updated["name"], "reporting");
    assert_eq!(updated["default_token_ttl"], 60);

    // Scopes: added, refused twice, removed.
    let third = machine(&api, json!({ "name": "search" })).await;
    let (status, scope) = api
        .post(
            &format!("/machines/{id}/scopes"),
            json!({ "to_machine_id": s(&third, "id") }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{scope}");
    assert_shape("CreateMachineScope", &scope);
    assert_eq!(scope["from_machine_id"], id.as_str());
    let (status, body) = api
        .post(
            &format!("/machines/{id}/scopes"),
            json!({ "to_machine_id": s(&third, "id") }),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict");
    let (status, body) = api
        .post(
            &format!("/machines/{id}/scopes"),
            json!({ "to_machine_id": "mch_unknown" }),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (_, got) = api.get(&format!("/machines/{id}")).await;
    assert_eq!(got["scoped_machines"].as_array().map(Vec::len), Some(2));
    let (status, removed) = api
        .delete(&format!("/machines/{id}/scopes/{}", s(&target, "id")))
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_shape("DeleteMachineScope", &removed);
    let (status, body) = api
        .delete(&format!("/machines/{id}/scopes/{}", s(&target, "id")))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    // Deleting the target removes it from every scope.
    let (status, gone) = api.delete(&format!("/machines/{}", s(&third, "id"))).await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert_shape("DeleteMachine", &gone);
    let (_, got) = api.get(&format!("/machines/{id}")).await;
    assert_eq!(got["scoped_machines"], json!([]));
    let (status, _) = api.delete(&format!("/machines/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api.get(&format!("/machines/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn creating_a_machine_checks_its_scopes() {
    let api = Api::start().await;
    let (status, body) = api
        .post(
            "/machines",
            json!({ "name": "x", "scoped_machines": ["mch_nope"] }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_resource_not_found",
    );
    let (status, body) = api.post("/machines", json!({ "name": "" })).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
}

#[tokio::test]
async fn secret_keys_rotate_with_a_grace_period() {
    let api = Api::start().await;
    let created = machine(&api, json!({ "name": "worker" })).await;
    let id = s(&created, "id");
    let first = s(&created, "secret_key");
    let (status, shown) = api.get(&format!("/machines/{id}/secret_key")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_shape("GetMachineSecretKey", &shown);
    assert_eq!(shown["secret"], first.as_str());

    let (status, rotated) = api
        .post(
            &format!("/machines/{id}/secret_key/rotate"),
            json!({ "previous_token_ttl": 60 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_shape("RotateMachineSecretKey", &rotated);
    let second = s(&rotated, "secret");
    assert_ne!(first, second);
    // Both keys work during the grace period.
    for key in [&first, &second] {
        m2m_token(&api, key, json!({})).await;
    }
    // Without a grace period the previous key stops at once.
    let (_, rotated) = api
        .post(
            &format!("/machines/{id}/secret_key/rotate"),
            json!({ "previous_token_ttl": 0 }),
        )
        .await;
    let (status, body) =
        as_machine(&api, &second, Method::POST, "/m2m_tokens", Some(json!({}))).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "clerk_key_invalid");
    m2m_token(&api, &s(&rotated, "secret"), json!({})).await;
}

#[tokio::test]
async fn m2m_tokens_are_created_listed_revoked_and_verified() {
    let api = Api::start().await;
    let target = machine(&api, json!({ "name": "api" })).await;
    let caller = machine(
        &api,
        json!({ "name": "cron", "scoped_machines": [s(&target, "id")], "default_token_ttl": 600 }),
    )
    .await;
    let caller_id = s(&caller, "id");
    let key = s(&caller, "secret_key");

    // The instance key cannot create tokens: a machine does.
    let (status, body) = api.post("/m2m_tokens", json!({})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = as_machine(
        &api,
        "ak_unknown",
        Method::POST,
        "/m2m_tokens",
        Some(json!({})),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "clerk_key_invalid");
    // Authentication comes before the body is checked.
    let (status, body) = as_machine(
        &api,
        "ak_unknown",
        Method::POST,
        "/m2m_tokens",
        Some(json!({ "not_a_field": 1 })),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "clerk_key_invalid");

    let token = m2m_token(&api, &key, json!({ "claims": { "job": "nightly" } })).await;
    assert_eq!(token["subject"], caller_id.as_str());
    assert_eq!(token["scopes"], json!([s(&target, "id")]));
    let lifetime =
        token["expiration"].as_i64().unwrap_or(0) - token["created_at"].as_i64().unwrap_or(0);
    assert!(
        (599_000..=601_000).contains(&lifetime),
        "default TTL: {token}"
    );
    let secret = s(&token, "token");
    assert!(secret.starts_with("mt_"));

    // Verified with the instance key, or by a machine the token is meant for.
    let (status, verified) = api
        .post("/m2m_tokens/verify", json!({ "token": secret }))
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_shape("verifyM2MToken", &verified);
    assert_eq!(verified["claims"], json!({ "job": "nightly" }));
    assert!(verified["last_used_at"].as_i64().is_some());
    let (status, _) = as_machine(
        &api,
        &s(&target, "secret_key"),
        Method::POST,
        "/m2m_tokens/verify",
        Some(json!({ "token": secret })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The creator is not in its own token's scopes.
    let (status, body) = as_machine(
        &api,
        &key,
        Method::POST,
        "/m2m_tokens/verify",
        Some(json!({ "token": secret })),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    // Listing: by subject; a machine sees only its own.
    let (status, list) = api.get(&format!("/m2m_tokens?subject={caller_id}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_shape("getM2MTokens", &list);
    assert_eq!(list["total_count"], 1);
    assert!(list["m2m_tokens"][0].get("token").is_none());
    let (status, list) = as_machine(
        &api,
        &key,
        Method::GET,
        &format!("/m2m_tokens?subject={caller_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let (status, body) = as_machine(
        &api,
        &key,
        Method::GET,
        &format!("/m2m_tokens?subject={}", s(&target, "id")),
        None,
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "authorization_invalid",
    );
    let (status, body) = api
        .get("/m2m_tokens?subject=mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    // Revoked: refused by verification, listed only on request.
    let id = s(&token, "id");
    let (status, revoked) = as_machine(
        &api,
        &key,
        Method::POST,
        &format!("/m2m_tokens/{id}/revoke"),
        Some(json!({ "revocation_reason": "rotated" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_shape("revokeM2MToken", &revoked);
    assert_eq!(revoked["revoked"], true);
    let (status, body) = api
        .post("/m2m_tokens/verify", json!({ "token": secret }))
        .await;
    let error = assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    assert!(
        error["long_message"]
            .as_str()
            .is_some_and(|m| m.contains("revoked"))
    );
    let (_, list) = api.get(&format!("/m2m_tokens?subject={caller_id}")).await;
    assert_eq!(list["total_count"], 0, "{list}");
    let (_, list) = api
        .get(&format!("/m2m_tokens?subject={caller_id}&revoked=true"))
        .await;
    assert_eq!(list["total_count"], 1, "{list}");

    // Expired and unknown tokens are refused too.
    let short = m2m_token(&api, &key, json!({ "seconds_until_expiration": 0.001 })).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    for (token, why) in [
        (s(&short, "token"), "expired"),
        ("mt_garbage".into(), "unknown"),
    ] {
        let (status, body) = api
            .post("/m2m_tokens/verify", json!({ "token": token }))
            .await;
        let error = assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
        assert!(
            error["long_message"]
                .as_str()
                .is_some_and(|m| m.contains(why)),
            "{body}"
        );
    }
    let (_, list) = api
        .get(&format!("/m2m_tokens?subject={caller_id}&expired=true"))
        .await;
    assert_eq!(list["m2m_tokens"][0]["expired"], true, "{list}");

    // Revoking: malformed id, unknown id.
    let (status, body) = api.post("/m2m_tokens/nope/revoke", json!({})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = api
        .post(
            "/m2m_tokens/mt_00000000000000000000000000000000/revoke",
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    // Deleting the machine deletes its tokens.
    let live = m2m_token(&api, &key, json!({})).await;
    api.delete(&format!("/machines/{caller_id}")).await;
    let (status, _) = api
        .post("/m2m_tokens/verify", json!({ "token": s(&live, "token") }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn jwt_tokens_are_signed_by_the_instance_and_verify_statelessly() {
    let api = Api::start().await;
    let target = machine(&api, json!({ "name": "api" })).await;
    let caller = machine(
        &api,
        json!({ "name": "cron", "scoped_machines": [s(&target, "id")] }),
    )
    .await;
    let key = s(&caller, "secret_key");
    let token = m2m_token(
        &api,
        &key,
        json!({ "token_format": "jwt", "claims": { "job": "nightly" }, "seconds_until_expiration": 300 }),
    )
    .await;
    let jwt = s(&token, "token");
    let (header, _, _) = jwt::split(&jwt);
    assert_eq!(header["cat"], "cl_B7d4PD333AAA");
    let claims = jwt::verify(&api, &jwt).await;
    assert_eq!(claims["sub"], caller["id"]);
    assert_eq!(claims["jti"], token["id"]);
    assert_eq!(claims["scopes"], target["id"]);
    assert_eq!(claims["job"], "nightly");
    assert_eq!(claims["iss"], api.server.issuer());
    let exp = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    assert!((299..=301).contains(&exp), "{claims}");

    let (status, verified) = api
        .post("/m2m_tokens/verify", json!({ "token": jwt }))
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_shape("verifyM2MToken", &verified);
    assert_eq!(verified["id"], token["id"]);
    assert_eq!(verified["claims"], json!({ "job": "nightly" }));
    assert_eq!(verified["scopes"], json!([s(&target, "id")]));

    // Not stored: not listed, not revocable.
    let (_, list) = api
        .get(&format!("/m2m_tokens?subject={}", s(&caller, "id")))
        .await;
    assert_eq!(list["total_count"], 0, "{list}");
    let (status, _) = api
        .post(
            &format!("/m2m_tokens/{}/revoke", s(&token, "id")),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A tampered or expired JWT is refused.
    let (head, _) = jwt.rsplit_once('.').unwrap_or_default();
    let forged = format!("{head}.c2lnbmF0dXJl");
    let (status, _) = api
        .post("/m2m_tokens/verify", json!({ "token": forged }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let short = m2m_token(
        &api,
        &key,
        json!({ "token_format": "jwt", "seconds_until_expiration": 0.001 }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (status, body) = api
        .post("/m2m_tokens/verify", json!({ "token": s(&short, "token") }))
        .await;
    let error = assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    assert!(
        error["long_message"]
            .as_str()
            .is_some_and(|m| m.contains("expired"))
    );
}

#[tokio::test]
async fn token_creation_rules() {
    let api = Api::start().await;
    let caller = machine(&api, json!({ "name": "cron", "default_token_ttl": 3600 })).await;
    let key = s(&caller, "secret_key");
    let (status, body) = as_machine(
        &api,
        &key,
        Method::POST,
        "/m2m_tokens",
        Some(json!({ "claims": { "sub": "someone-else" } })),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "machine_token_reserved_claim",
    );
    let (status, body) = as_machine(
        &api,
        &key,
        Method::POST,
        "/m2m_tokens",
        Some(json!({ "seconds_until_expiration": 60, "min_remaining_ttl_seconds": 60 })),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");

    // With min_remaining_ttl_seconds, a live token with the same claims is handed out again.
    let first = m2m_token(
        &api,
        &key,
        json!({ "claims": { "a": 1 }, "min_remaining_ttl_seconds": 60 }),
    )
    .await;
    let again = m2m_token(
        &api,
        &key,
        json!({ "claims": { "a": 1 }, "min_remaining_ttl_seconds": 60 }),
    )
    .await;
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["token"], again["token"]);
    let other = m2m_token(
        &api,
        &key,
        json!({ "claims": { "a": 2 }, "min_remaining_ttl_seconds": 60 }),
    )
    .await;
    assert_ne!(first["id"], other["id"]);
    let fresh = m2m_token(&api, &key, json!({ "claims": { "a": 1 } })).await;
    assert_ne!(first["id"], fresh["id"]);
}
