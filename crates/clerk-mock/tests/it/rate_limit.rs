//! The opt-in rate limiter answers like Clerk once the window's budget is spent.

use crate::common::{Api, assert_error, read};
use clerk_mock::{MockServer, RateLimit};
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn development_figures_allow_100_requests_then_answer_429_with_retry_after() {
    let server = MockServer::builder()
        .rate_limit(RateLimit::DEVELOPMENT)
        .start()
        .await
        .expect("server starts");
    let api = Api::with(server);
    for i in 0..100 {
        let (status, body) = api.get("/users").await;
        assert_eq!(status, StatusCode::OK, "request {i}: {body}");
    }
    let response = api
        .http
        .get(api.url("/users"))
        .bearer_auth(api.server.secret_key())
        .send()
        .await
        .expect("answer");
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    let (status, body) = read(response).await;
    assert_error(
        status,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    );
    // The key set is never limited; a wrong key is refused before counting.
    let (status, _) = api.get("/jwks").await;
    assert_eq!(status, StatusCode::OK);
    let response = api
        .http
        .get(api.url("/users"))
        .bearer_auth("sk_test_wrong")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_next_window_admits_requests_again() {
    let server = MockServer::builder()
        .rate_limit(RateLimit::new(2, Duration::from_secs(2)))
        .start()
        .await
        .expect("server starts");
    let api = Api::with(server);
    assert_eq!(api.get("/users").await.0, StatusCode::OK);
    assert_eq!(api.get("/users").await.0, StatusCode::OK);
    let (status, _) = api.get("/users").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(api.get("/users").await.0, StatusCode::OK);
}

#[tokio::test]
async fn without_the_option_nothing_is_limited() {
    let api = Api::start().await;
    for _ in 0..150 {
        assert_eq!(api.get("/users").await.0, StatusCode::OK);
    }
}
