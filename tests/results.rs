//! What a generated `send()` returns: the reply itself, or the crate's one
//! error type, whose helpers work on the call's result directly.

mod common;

use clerk_backend_api::prelude::*;
use clerk_backend_api::types::CreateUserBody;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn mock_client() -> (clerk_mock::MockServer, Clerk) {
    let mock = clerk_mock::MockServer::start().await;
    let clerk = Clerk::builder(mock.secret_key())
        .base_url(mock.base_url())
        .build()
        .unwrap();
    (mock, clerk)
}

#[tokio::test]
async fn a_404_from_the_mock_is_not_found_on_the_result() {
    let (_mock, clerk) = mock_client().await;
    let result = clerk.get_user().user_id("user_missing").send().await;
    let err = result.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.code(), Some("resource_not_found"));
    assert!(err.trace_id().is_some(), "{err:?}");
    assert!(err.to_string().starts_with("Clerk replied 404"), "{err}");
}

#[tokio::test]
async fn replies_are_the_types_themselves() {
    let (_mock, clerk) = mock_client().await;
    let user: clerk_backend_api::types::User = clerk
        .create_user()
        .body(CreateUserBody::builder().email_address(["ada@example.com"]))
        .send()
        .await
        .unwrap();
    let count: clerk_backend_api::types::TotalCount = clerk.get_users_count().send().await.unwrap();
    assert_eq!(count.total_count, 1);
    let deleted = clerk.delete_user().user_id(&user.id).send().await.unwrap();
    assert!(deleted.deleted);
}

async fn lookup(clerk: &Clerk, id: &str) -> Result<String, Box<dyn std::error::Error>> {
    let user = clerk.get_user().user_id(id).send().await?;
    Ok(user.id)
}

#[tokio::test]
async fn question_mark_into_a_boxed_error_keeps_ours() {
    let (_mock, clerk) = mock_client().await;
    let boxed = lookup(&clerk, "user_missing").await.unwrap_err();
    let ours = boxed
        .downcast_ref::<clerk_backend_api::Error>()
        .expect("the box holds clerk_backend_api::Error");
    assert!(ours.is_not_found());
    assert_eq!(boxed.to_string(), ours.to_string());
    assert!(boxed.to_string().contains("resource_not_found"), "{boxed}");
}

/// A stub that must receive nothing.
async fn untouched() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_metadata_value_that_is_not_an_object_is_an_invalid_request() {
    let server = untouched().await;
    let err = common::clerk(&server.uri())
        .create_user()
        .body(
            CreateUserBody::builder()
                .email_address(["ada@example.com"])
                .public_metadata(json!("pro")),
        )
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::InvalidRequest(message) => assert!(
            message
                .contains("`CreateUserBody.public_metadata`: expected a JSON object, got a string"),
            "{message}"
        ),
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    assert!(err.to_string().starts_with("invalid request: "), "{err}");
}

#[tokio::test]
async fn a_limit_of_zero_is_an_invalid_request() {
    let server = untouched().await;
    let err = common::clerk(&server.uri())
        .get_user_list()
        .limit(0)
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::InvalidRequest(message) => assert_eq!(
            message,
            "parameter `limit`: 0 is not allowed (expected a number of at least 1)"
        ),
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    // A negative offset too.
    let err = common::clerk(&server.uri())
        .get_user_list()
        .offset(-1)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(m) if m.starts_with("parameter `offset`: -1")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_reply_that_does_not_decode_names_the_operation_and_the_field() {
    let mut users: Vec<serde_json::Value> = (0..300).map(|_| common::fixture("user")).collect();
    users[201]["email_addresses"][0]["created_at"] = json!("yesterday");
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(&users))
        .mount(&server)
        .await;
    let err = common::clerk(&server.uri())
        .get_user_list()
        .send()
        .await
        .unwrap_err();
    let Error::Decode {
        operation,
        path,
        excerpt,
        source,
    } = &err
    else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(*operation, "get_user_list");
    assert_eq!(path, "[201].email_addresses[0].created_at");
    assert!(source.to_string().contains("yesterday"), "{source}");
    assert!(excerpt.contains("\"yesterday\"⟨here⟩"), "{excerpt}");
    assert!(excerpt.len() < 200, "{excerpt}");
    let text = err.to_string();
    assert!(
        text.contains("get_user_list") && text.contains("`[201].email_addresses[0].created_at`"),
        "{text}"
    );
}
