//! API keys: the lifecycle, listing filters, the secret shown once, and verification of
//! unknown, revoked, expired and valid secrets.

use crate::common::{Api, assert_error, s};
use crate::shapes::assert_shape;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const SUBJECT: &str = "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk";

async fn create(api: &Api, body: Value) -> Value {
    let (status, key) = api.post("/api_keys", body).await;
    assert_eq!(status, StatusCode::OK, "{key}");
    assert_shape("createApiKey", &key);
    key
}

#[tokio::test]
async fn api_key_lifecycle() {
    let api = Api::start().await;
    let key = create(
        &api,
        json!({
            "name": "billing sync",
            "subject": SUBJECT,
            "description": "nightly export",
            "scopes": ["read:invoices"],
            "claims": { "team": "billing" },
            "created_by": SUBJECT,
        }),
    )
    .await;
    let id = s(&key, "id");
    let secret = s(&key, "secret");
    assert!(id.starts_with("ak_") && secret.starts_with("ak_") && id != secret);
    assert_eq!(key["revoked"], false);
    assert_eq!(key["expiration"], Value::Null);
    assert_eq!(key["claims"], json!({ "team": "billing" }));

    // The secret is not part of later answers, only of its own endpoint.
    let (status, got) = api.get(&format!("/api_keys/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_shape("getApiKey", &got);
    assert!(got.get("secret").is_none(), "{got}");
    assert_eq!(got["name"], "billing sync");
    let (_, shown) = api.get(&format!("/api_keys/{id}/secret")).await;
    assert_eq!(shown, json!({ "secret": secret }));

    let (status, list) = api.get(&format!("/api_keys?subject={SUBJECT}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_shape("getApiKeys", &list);
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["data"][0]["id"], id.as_str());

    let (status, updated) = api
        .patch(
            &format!("/api_keys/{id}"),
            json!({ "description": null, "scopes": ["read:invoices", "write:invoices"], "seconds_until_expiration": 3600 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_shape("updateApiKey", &updated);
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(
        updated["scopes"],
        json!(["read:invoices", "write:invoices"])
    );
    assert!(updated["expiration"].as_i64().is_some_and(|e| e > 0));
    let (_, again) = api.get(&format!("/api_keys/{id}")).await;
    assert_eq!(again["scopes"], updated["scopes"]);

    let (status, gone) = api.delete(&format!("/api_keys/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert_shape("deleteApiKey", &gone);
    assert_eq!(
        gone,
        json!({ "object": "api_key", "id": id, "deleted": true })
    );
    let (status, body) = api.get(&format!("/api_keys/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api
        .post("/api_keys/verify", json!({ "secret": secret }))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn verify_answers_unknown_revoked_expired_and_valid_secrets() {
    let api = Api::start().await;
    let valid = create(&api, json!({ "name": "valid key", "subject": SUBJECT })).await;
    let revoked = create(&api, json!({ "name": "revoked key", "subject": SUBJECT })).await;
    let expiring = create(
        &api,
        json!({ "name": "short key", "subject": SUBJECT, "seconds_until_expiration": 0.001 }),
    )
    .await;
    let (status, body) = api
        .post(
            &format!("/api_keys/{}/revoke", s(&revoked, "id")),
            json!({ "revocation_reason": "leaked" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_shape("revokeApiKey", &body);
    assert_eq!(body["revoked"], true);
    assert_eq!(body["revocation_reason"], "leaked");
    tokio::time::sleep(Duration::from_millis(20)).await;

    for (secret, why) in [
        ("ak_not_a_key_of_this_instance".to_string(), "unknown"),
        (s(&revoked, "secret"), "revoked"),
        (s(&expiring, "secret"), "expired"),
    ] {
        let (status, body) = api
            .post("/api_keys/verify", json!({ "secret": secret }))
            .await;
        let error = assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
        assert!(
            error["long_message"]
                .as_str()
                .is_some_and(|m| m.contains(why)),
            "{body}"
        );
    }

    let (status, verified) = api
        .post("/api_keys/verify", json!({ "secret": s(&valid, "secret") }))
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_shape("verifyApiKey", &verified);
    assert_eq!(verified["id"], valid["id"]);
    assert_eq!(verified["subject"], SUBJECT);
    assert!(verified["last_used_at"].as_i64().is_some(), "{verified}");
    assert!(verified.get("secret").is_none());

    // Expired and revoked keys are listed only on request, flagged.
    let (_, list) = api.get(&format!("/api_keys?subject={SUBJECT}")).await;
    assert_eq!(list["total_count"], 1, "{list}");
    let (_, all) = api
        .get(&format!("/api_keys?subject={SUBJECT}&include_invalid=true"))
        .await;
    assert_shape("getApiKeys", &all);
    assert_eq!(all["total_count"], 3, "{all}");
    let expired = all["data"]
        .as_array()
        .and_then(|d| d.iter().find(|k| k["id"] == expiring["id"]))
        .cloned()
        .unwrap_or_default();
    assert_eq!(expired["expired"], true, "{all}");
}

#[tokio::test]
async fn listing_filters_by_subject_type_and_query_newest_first() {
    let api = Api::start().await;
    let other = "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk";
    create(&api, json!({ "name": "first key", "subject": SUBJECT })).await;
    create(&api, json!({ "name": "Second Key", "subject": SUBJECT })).await;
    create(&api, json!({ "name": "org key", "subject": other })).await;
    create(
        &api,
        json!({ "name": "custom kind", "subject": SUBJECT, "type": "service_key" }),
    )
    .await;

    let (_, list) = api.get(&format!("/api_keys?subject={SUBJECT}")).await;
    let names: Vec<&str> = list["data"]
        .as_array()
        .map(|d| d.iter().filter_map(|k| k["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Second Key", "first key"]);
    let (_, list) = api
        .get(&format!("/api_keys?subject={SUBJECT}&query=second"))
        .await;
    assert_eq!(list["total_count"], 1, "{list}");
    let (_, list) = api
        .get(&format!("/api_keys?subject={SUBJECT}&type=service_key"))
        .await;
    assert_eq!(list["data"][0]["name"], "custom kind", "{list}");
    let (_, list) = api
        .get(&format!("/api_keys?subject={SUBJECT}&limit=1&offset=1"))
        .await;
    assert_eq!(list["total_count"], 2);
    assert_eq!(list["data"][0]["name"], "first key", "{list}");
    let (_, list) = api.get(&format!("/api_keys?subject={other}")).await;
    assert_eq!(list["data"][0]["name"], "org key", "{list}");
}

#[tokio::test]
async fn malformed_values_answer_400() {
    let api = Api::start().await;
    for body in [
        json!({ "name": "ab", "subject": SUBJECT }),
        json!({ "name": " padded ", "subject": SUBJECT }),
        json!({ "name": "fine name", "subject": "sess_2xhFjEI5X2qWRvtV13BzSj8H6Dk" }),
        json!({ "name": "fine name", "subject": SUBJECT, "seconds_until_expiration": 0 }),
    ] {
        let (status, answer) = api.post("/api_keys", body).await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "bad_request");
    }
    let (status, body) = api.get("/api_keys/not_an_id").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = api.get("/api_keys?subject=nobody").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    let (status, body) = api.get("/api_keys").await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "missing_query_parameter",
    );
    let (status, body) = api
        .get("/api_keys/ak_00000000000000000000000000000000")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}
