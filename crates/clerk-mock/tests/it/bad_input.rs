//! Bad input gets Clerk-shaped errors, never a crash or a hang, and the server keeps serving.

use crate::common::{Api, assert_error, read};
use clerk_mock::MockServer;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The server still answers a normal request.
async fn still_serving(api: &Api) {
    let (status, body) = api.get("/users").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn post(api: &Api, path: &str) -> reqwest::RequestBuilder {
    api.http
        .post(api.url(path))
        .bearer_auth(api.server.secret_key())
}

#[tokio::test]
async fn malformed_json_is_400() {
    let api = Api::start().await;
    for body in ["{", "{\"email_address\": [}", "null garbage", "\u{0}"] {
        let response = post(&api, "/users")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let (status, body) = read(response.expect("answer")).await;
        assert_error(
            status,
            &body,
            StatusCode::BAD_REQUEST,
            "request_body_invalid",
        );
    }
    // Nesting deep enough to exhaust a naive recursive parser.
    let deep = "[".repeat(100_000);
    let response = post(&api, "/users")
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await;
    let (status, body) = read(response.expect("answer")).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "request_body_invalid",
    );
    // Valid JSON of the wrong shape is a parameter problem.
    let response = post(&api, "/users").json(&json!(["a"])).send().await;
    let (status, body) = read(response.expect("answer")).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
    still_serving(&api).await;
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let api = Api::start().await;
    let response = post(&api, "/users")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await;
    let (status, body) = read(response.expect("answer")).await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_content_type",
    );
    let response = post(&api, "/users")
        .body("{\"first_name\":\"x\"}")
        .send()
        .await;
    let (status, body) = read(response.expect("answer")).await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_content_type",
    );
    let response = api
        .http
        .put(api.url("/organizations/org_x/logo"))
        .bearer_auth(api.server.secret_key())
        .json(&json!({ "file": "x" }))
        .send()
        .await;
    let (status, body) = read(response.expect("answer")).await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_content_type",
    );
    still_serving(&api).await;
}

#[tokio::test]
async fn oversized_bodies_are_413_at_the_configured_limit() {
    let server = MockServer::builder()
        .body_limit(1024)
        .start()
        .await
        .expect("server starts");
    let api = Api::with(server);
    let big = json!({ "first_name": "x".repeat(2000) });
    let (status, body) = read(
        post(&api, "/users")
            .json(&big)
            .send()
            .await
            .expect("answer"),
    )
    .await;
    let error = assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_body_too_large",
    );
    assert!(
        error["long_message"]
            .as_str()
            .unwrap_or_default()
            .contains("1024")
    );
    let small = json!({ "first_name": "x".repeat(500) });
    let (status, _) = read(
        post(&api, "/users")
            .json(&small)
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    still_serving(&api).await;
}

#[tokio::test]
async fn default_limit_is_one_mebibyte() {
    let api = Api::start().await;
    let big = json!({ "first_name": "x".repeat(2 * 1024 * 1024) });
    let (status, body) = read(
        post(&api, "/users")
            .json(&big)
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_body_too_large",
    );
    still_serving(&api).await;
}

#[tokio::test]
async fn bad_query_parameters_are_rejected() {
    let api = Api::start().await;
    let cases = [
        ("/users?colour=red", "form_param_unknown", "colour"),
        ("/users?limit=501", "form_param_value_too_large", "limit"),
        (
            "/users?limit=100000000",
            "form_param_value_too_large",
            "limit",
        ),
        ("/users?limit=0", "form_param_value_invalid", "limit"),
        ("/users?offset=-1", "form_param_value_invalid", "offset"),
        ("/users?limit=ten", "form_param_format_invalid", "limit"),
        (
            "/users?limit=99999999999999999999999",
            "form_param_format_invalid",
            "limit",
        ),
        (
            "/users?banned=perhaps",
            "form_param_format_invalid",
            "banned",
        ),
        ("/users?limit=1&limit=2", "form_param_duplicate", "limit"),
        (
            "/invitations?status=lost",
            "form_param_value_invalid",
            "status",
        ),
    ];
    for (path, code, param) in cases {
        let (status, body) = api.get(path).await;
        let error = assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY, code);
        assert_eq!(error["meta"]["param_name"], param, "{path}");
    }
    // The largest page is allowed; lists may use the `name[]` form.
    let (status, _) = api.get("/users?limit=500&offset=0").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api
        .get("/users?email_address[]=a@example.com&email_address[]=b@example.com")
        .await;
    assert_eq!(status, StatusCode::OK);
    still_serving(&api).await;
}

#[tokio::test]
async fn undecodable_path_parameters_are_400() {
    let api = Api::start().await;
    let (status, body) = api.get("/users/%FF%FE").await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "malformed_request_parameters",
    );
    still_serving(&api).await;
}

#[tokio::test]
async fn garbage_and_stalled_connections_do_not_stop_the_server() {
    let api = Api::start().await;
    let address = api.server.address();

    // Not HTTP at all: the connection is answered or closed, nothing else happens.
    let mut garbage = TcpStream::connect(address).await.expect("connect");
    garbage
        .write_all(b"\x16\x03\x01\x02\x00 definitely not http\r\n\r\n")
        .await
        .expect("write");
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), garbage.read_to_end(&mut sink)).await;

    // A client that announces a body and never sends it only holds its own connection.
    let mut stalled = TcpStream::connect(address).await.expect("connect");
    let head = format!(
        "POST /v1/users HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{",
        api.server.secret_key()
    );
    stalled.write_all(head.as_bytes()).await.expect("write");

    let served = tokio::time::timeout(Duration::from_secs(5), still_serving(&api)).await;
    assert!(
        served.is_ok(),
        "the server answered others while one client stalled"
    );
    drop(stalled);
    drop(garbage);
    still_serving(&api).await;
}
