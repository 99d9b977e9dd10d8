//! Resources of machine authentication, clients and JWT templates for the conformance run:
//! ids for path parameters, and the bodies, queries and keys their operations need.

use crate::common::{Api, s};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct MachineFixtures {
    api_key: String,
    api_key_secret: String,
    machine: String,
    machine_key: String,
    scoped_machine: String,
    spare_machine: String,
    m2m_token_id: String,
    m2m_token: String,
    oauth_app: String,
    oauth_token: String,
    client: String,
    client_token: String,
    template: String,
    template_name: String,
}

async fn ok(api: &Api, path: &str, body: Value) -> Value {
    let (status, answer) = api.post(path, body).await;
    assert!(status.is_success(), "fixture setup {path} failed: {answer}");
    answer
}

pub async fn create(api: &Api, user: &str, session: &str) -> MachineFixtures {
    let api_key = ok(
        api,
        "/api_keys",
        json!({ "name": "fixture key", "subject": user }),
    )
    .await;
    let scoped = ok(api, "/machines", json!({ "name": "scoped" })).await;
    let machine = ok(
        api,
        "/machines",
        json!({ "name": "caller", "scoped_machines": [s(&scoped, "id")] }),
    )
    .await;
    let spare = ok(api, "/machines", json!({ "name": "spare" })).await;
    let machine_key = s(&machine, "secret_key");
    let response = api
        .http
        .post(api.url("/m2m_tokens"))
        .bearer_auth(&machine_key)
        .json(&json!({}))
        .send()
        .await
        .expect("the mock answers");
    assert_eq!(response.status(), StatusCode::CREATED);
    let m2m: Value = response.json().await.expect("JSON");
    let app = ok(api, "/oauth_applications", json!({ "name": "fixture app" })).await;
    let oauth_token = api
        .server
        .oauth_access_token(s(&app, "client_id"), user)
        .issue()
        .expect("token issued");
    let (_, session) = api.get(&format!("/sessions/{session}")).await;
    let client = s(&session, "client_id");
    let template = ok(
        api,
        "/jwt_templates",
        json!({ "name": "fixture-template", "claims": { "email": "{{user.primary_email_address}}" } }),
    )
    .await;
    MachineFixtures {
        api_key: s(&api_key, "id"),
        api_key_secret: s(&api_key, "secret"),
        machine: s(&machine, "id"),
        machine_key,
        scoped_machine: s(&scoped, "id"),
        spare_machine: s(&spare, "id"),
        m2m_token_id: s(&m2m, "id"),
        m2m_token: s(&m2m, "token"),
        oauth_app: s(&app, "id"),
        oauth_token: oauth_token.access_token,
        client_token: api.server.client_token(&client).expect("client token"),
        client,
        template: s(&template, "id"),
        template_name: s(&template, "name"),
    }
}

/// The value of a path parameter of these resources.
pub fn path_value(fx: &MachineFixtures, name: &str) -> Option<String> {
    Some(match name {
        "apiKeyID" => fx.api_key.clone(),
        "machine_id" => fx.machine.clone(),
        "other_machine_id" => fx.scoped_machine.clone(),
        "m2m_token_id" => fx.m2m_token_id.clone(),
        "oauth_application_id" => fx.oauth_app.clone(),
        "client_id" => fx.client.clone(),
        "template_id" => fx.template.clone(),
        "template_name" => fx.template_name.clone(),
        _ => return None,
    })
}

/// Bodies that need these resources (or more than the schema asks for).
pub fn body(id: &str, fx: &MachineFixtures) -> Option<Value> {
    Some(match id {
        "createApiKey" => json!({ "name": "second key", "subject": fx.machine }),
        "verifyApiKey" => json!({ "secret": fx.api_key_secret }),
        "verifyM2MToken" => json!({ "token": fx.m2m_token }),
        "verifyOAuthAccessToken" => json!({ "access_token": fx.oauth_token }),
        "RevokeOAuthApplicationToken" => json!({ "token": fx.oauth_token }),
        "VerifyClient" => json!({ "token": fx.client_token }),
        "CreateMachineScope" => json!({ "to_machine_id": fx.spare_machine }),
        "CreateJWTTemplate" => json!({ "name": "second-template", "claims": {} }),
        "UpdateJWTTemplate" => json!({ "name": "renamed-template", "claims": { "a": 1 } }),
        _ => return None,
    })
}

/// Query strings these operations need.
pub fn query(id: &str, fx: &MachineFixtures) -> Option<String> {
    match id {
        "getM2MTokens" => Some(format!("?subject={}", fx.machine)),
        _ => None,
    }
}

/// The bearer token of operations a machine calls with its own secret key.
pub fn bearer(id: &str, fx: &MachineFixtures) -> Option<String> {
    (id == "createM2MToken").then(|| fx.machine_key.clone())
}
