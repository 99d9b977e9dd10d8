//! Clerk-shaped errors: authentication, unknown resources and routes, parameter problems.

use crate::common::{Api, assert_error, read};
use crate::schema;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn requests_without_the_right_secret_key_are_401() {
    let api = Api::start().await;
    let url = api.url("/users");
    let doc = schema::load_spec();

    let (status, body) = read(api.http.get(&url).send().await.expect("answer")).await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "authorization_header_format_invalid",
    );
    schema::check_component(&doc, "ClerkErrors", &body).expect("ClerkErrors");

    let (status, body) = read(
        api.http
            .get(&url)
            .header("authorization", "Basic abc")
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "authorization_header_format_invalid",
    );

    let (status, body) = read(
        api.http
            .get(&url)
            .bearer_auth("sk_test_wrong")
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "clerk_key_invalid");

    // Another server's key is just as wrong.
    let other = clerk_mock::MockServer::start().await;
    let (status, body) = read(
        api.http
            .get(&url)
            .bearer_auth(other.secret_key())
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "clerk_key_invalid");

    // Checked before anything else about the request.
    let (status, body) = read(
        api.http
            .post(&url)
            .body("{broken")
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "authorization_header_format_invalid",
    );
}

#[tokio::test]
async fn unknown_ids_and_routes_are_404() {
    let api = Api::start().await;
    for path in [
        "/users/user_missing",
        "/organizations/org_missing",
        "/sessions/sess_missing",
        "/email_addresses/idn_missing",
        "/phone_numbers/idn_missing",
        "/users/user_missing/organization_memberships",
        "/organizations/org_missing/memberships",
    ] {
        let (status, body) = api.get(path).await;
        let error = assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
        assert!(
            error["long_message"]
                .as_str()
                .unwrap_or_default()
                .contains("missing"),
            "{path}: {body}"
        );
    }
    let (status, body) = api.get("/no_such_collection").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api
        .call(reqwest::Method::PUT, "/users", Some(json!({})))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn every_error_body_has_a_distinct_trace_id() {
    let api = Api::start().await;
    let (_, first) = api.get("/users/user_a").await;
    let (_, second) = api.get("/users/user_a").await;
    assert_ne!(first["clerk_trace_id"], second["clerk_trace_id"]);
}

#[tokio::test]
async fn missing_and_unknown_parameters_are_422() {
    let api = Api::start().await;
    let (status, body) = api.post("/organizations", json!({})).await;
    let error = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_missing",
    );
    assert_eq!(error["meta"]["param_name"], "name");
    let (status, body) = api
        .post(
            "/allowlist_identifiers",
            json!({ "identifier": "a@example.com", "colour": "red" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_unknown",
    );
    let (status, body) = api
        .post(
            "/invitations",
            json!({ "email_address": "a@example.com", "template_slug": "nope" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
    let (status, body) = api
        .post(
            "/invitations",
            json!({ "email_address": "a@example.com", "expires_in_days": 1000 }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_too_large",
    );
}
