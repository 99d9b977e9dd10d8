//! One request per HTTP method against a stub server: path, query and JSON
//! body as Clerk expects them.

mod common;

use clerk_backend_api::prelude::*;
use clerk_backend_api::types::{CreateUserBody, ReplaceUserMetadataBody, UpdateUserBody};
use common::{clerk, fixture};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every request the stub received carried Clerk's headers.
async fn assert_clerk_headers_on_all(server: &MockServer) {
    for request in server.received_requests().await.unwrap() {
        common::assert_clerk_headers(&request);
    }
}

#[tokio::test]
async fn get_sends_arrays_as_repeated_keys() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .and(query_param("limit", "20"))
        .and(query_param("order_by", "-created_at"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([fixture("user")])))
        .expect(1)
        .mount(&server)
        .await;
    let users = clerk(&server.uri())
        .get_user_list()
        .email_address(vec![
            "a@example.test".to_string(),
            "b@example.test".to_string(),
        ])
        .limit(20)
        .order_by("-created_at")
        .send()
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    let request = &server.received_requests().await.unwrap()[0];
    let query = request.url.query().unwrap();
    assert!(
        query.contains("email_address=a%40example.test&email_address=b%40example.test"),
        "{query}"
    );
    assert_clerk_headers_on_all(&server).await;
}

#[tokio::test]
async fn post_sends_the_json_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/users"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "email_address": ["ada@example.test"],
            "first_name": "Ada",
            "public_metadata": {"plan": "pro"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let mut metadata = serde_json::Map::new();
    metadata.insert("plan".into(), json!("pro"));
    let body = CreateUserBody::builder()
        .email_address(vec!["ada@example.test".to_string()])
        .first_name(Nullable::from("Ada"))
        .public_metadata(metadata);
    let user = clerk(&server.uri())
        .create_user()
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(user.username.as_deref(), Some("ada"));
    assert_clerk_headers_on_all(&server).await;
}

#[tokio::test]
async fn patch_sends_explicit_nulls_and_leaves_out_the_rest() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/v1/users/user_123"))
        .and(body_json(json!({"external_id": null, "last_name": "King"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    clerk(&server.uri())
        .update_user()
        .user_id("user_123")
        .body(
            UpdateUserBody::builder()
                .external_id(Nullable::Null)
                .last_name(Nullable::from("King")),
        )
        .send()
        .await
        .unwrap();
    assert_clerk_headers_on_all(&server).await;
}

#[tokio::test]
async fn put_replaces_metadata() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/users/user_123/metadata"))
        .and(body_json(json!({"public_metadata": {"tier": 3}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let mut public = serde_json::Map::new();
    public.insert("tier".into(), json!(3));
    clerk(&server.uri())
        .replace_user_metadata()
        .user_id("user_123")
        .body(ReplaceUserMetadataBody::builder().public_metadata(public))
        .send()
        .await
        .unwrap();
    assert_clerk_headers_on_all(&server).await;
}

#[tokio::test]
async fn delete_encodes_path_parameters() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user%2F1%20x"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "user", "id": "user/1 x", "deleted": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    let deleted = clerk(&server.uri())
        .delete_user()
        .user_id("user/1 x")
        .send()
        .await
        .unwrap();
    assert!(deleted.deleted);
    assert_clerk_headers_on_all(&server).await;
}
