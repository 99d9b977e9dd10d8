//! The hand-written layer against stub servers: headers, secrets, retries,
//! errors, pagination, uploads and timeouts.

mod common;

use clerk_backend_api::prelude::*;
use clerk_backend_api::uploads::Upload;
use clerk_backend_api::{Clerk, Error};
use common::{SECRET, clerk, fast_retries, fixture};
use futures::TryStreamExt;
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "errors": [{"code": "resource_not_found", "message": "not found", "long_message": "No user was found with id user_404"}],
        "clerk_trace_id": "trace-from-body"
    }))
}

#[tokio::test]
async fn every_request_carries_auth_version_and_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_1"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(header("clerk-api-version", "2026-05-12"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let clerk = Clerk::builder(SECRET)
        .base_url(format!("{}/v1", server.uri()))
        .user_agent_suffix("my-app/2.0")
        .build()
        .unwrap();
    clerk.get_user().user_id("user_1").send().await.unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    let ua = request.headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(ua.starts_with("clerk-backend-api-rust/"), "{ua}");
    assert!(ua.ends_with(" my-app/2.0"), "{ua}");
    assert!(
        request.headers.get("api-version").is_none(),
        "progenitor's header is replaced"
    );
}

#[tokio::test]
async fn the_secret_never_shows_in_debug_or_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(not_found())
        .mount(&server)
        .await;
    let clerk = clerk(&server.uri());
    let secret_part = "abcdefSECRET";
    assert!(!format!("{clerk:?}").contains(secret_part));
    assert!(!format!("{:?}", Clerk::builder(SECRET)).contains(secret_part));
    let err = clerk
        .get_user()
        .user_id("user_404")
        .send()
        .await
        .unwrap_err();
    assert!(!format!("{err:?}").contains(secret_part));
    assert!(!format!("{err}").contains(secret_part));
    // A bad key is reported without echoing it.
    let bad = Clerk::new("sk_test_has space").unwrap_err();
    assert!(!bad.to_string().contains("has space"), "{bad}");
}

#[tokio::test]
async fn clerk_errors_are_decoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(not_found())
        .mount(&server)
        .await;
    let err: Error = clerk(&server.uri())
        .get_user()
        .user_id("user_404")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.code(), Some("resource_not_found"));
    assert_eq!(err.trace_id(), Some("trace-from-body"));
    let api = err.api().unwrap();
    assert_eq!(
        api.errors[0].long_message,
        "No user was found with id user_404"
    );
    assert!(api.body_excerpt.is_none());
    assert!(err.to_string().contains("404"), "{err}");
}

#[tokio::test]
async fn trace_id_falls_back_to_the_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(422)
                .insert_header("cf-ray", "8f00aa-LHR")
                .set_body_json(json!({"errors": [{"code": "form_param_format_invalid", "message": "m", "long_message": "lm", "meta": null}]})),
        )
        .mount(&server)
        .await;
    let err: Error = clerk(&server.uri())
        .get_user()
        .user_id("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(err.trace_id(), Some("8f00aa-LHR"));
}

#[tokio::test]
async fn html_and_empty_error_bodies_are_typed_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/html"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_raw("<html><body>Forbidden by proxy</body></html>", "text/html"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/empty"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/truncated"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw(r#"{"errors": [{"code": "x""#, "application/json"),
        )
        .mount(&server)
        .await;
    let clerk = clerk(&server.uri());

    let err: Error = clerk.get_user().user_id("html").send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    let excerpt = err.api().unwrap().body_excerpt.clone().unwrap();
    assert!(excerpt.contains("Forbidden by proxy"), "{excerpt}");
    assert!(err.to_string().contains("Forbidden by proxy"));

    let err: Error = clerk.get_user().user_id("empty").send().await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(err.api().unwrap().body_excerpt.as_deref(), Some(""));
    assert!(err.to_string().contains("empty body"), "{err}");

    let err: Error = clerk
        .get_user()
        .user_id("truncated")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(err.api().unwrap().errors.is_empty());
}

#[tokio::test]
async fn a_success_body_that_does_not_decode_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"id": "user_1", "object": "us"#, "application/json"),
        )
        .mount(&server)
        .await;
    let err: Error = clerk(&server.uri())
        .get_user()
        .user_id("x")
        .send()
        .await
        .unwrap_err();
    match err {
        Error::Decode { excerpt, .. } => assert!(excerpt.starts_with(r#"{"id": "user_1""#)),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// Answers with the statuses in turn, then 200 with `body`.
struct Sequence {
    statuses: Vec<u16>,
    headers: Vec<(&'static str, String)>,
    body: serde_json::Value,
    calls: std::sync::atomic::AtomicUsize,
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match self.statuses.get(n) {
            Some(&status) => {
                let mut t = ResponseTemplate::new(status).set_body_json(
                    json!({"errors": [{"code": "x", "message": "m", "long_message": "lm"}]}),
                );
                for (k, v) in &self.headers {
                    t = t.insert_header(*k, v.as_str());
                }
                t
            }
            None => ResponseTemplate::new(200).set_body_json(self.body.clone()),
        }
    }
}

fn sequence(
    statuses: &[u16],
    headers: Vec<(&'static str, String)>,
    body: serde_json::Value,
) -> Sequence {
    Sequence {
        statuses: statuses.to_vec(),
        headers,
        body,
        calls: Default::default(),
    }
}

async fn requests_made(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn retried_statuses_for_get() {
    for status in [429u16, 500, 502, 503, 504] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(sequence(&[status, status], vec![], fixture("user")))
            .mount(&server)
            .await;
        let user = clerk(&server.uri()).get_user().user_id("u").send().await;
        assert!(user.is_ok(), "{status}: {user:?}");
        assert_eq!(requests_made(&server).await, 3, "status {status}");
    }
}

#[tokio::test]
async fn statuses_that_are_not_retried() {
    for status in [400u16, 401, 403, 404, 409, 422] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(sequence(&[status], vec![], fixture("user")))
            .mount(&server)
            .await;
        let err: Error = clerk(&server.uri())
            .get_user()
            .user_id("u")
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(requests_made(&server).await, 1, "status {status}");
    }
}

#[tokio::test]
async fn post_is_not_retried_on_500_but_is_on_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sequence(&[500], vec![], fixture("actor_token")))
        .mount(&server)
        .await;
    let clerk = clerk(&server.uri());
    let err = clerk
        .impersonate(clerk_backend_api::impersonation::Impersonation::new(
            "u", "a",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(requests_made(&server).await, 1);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sequence(&[503], vec![], fixture("actor_token")))
        .mount(&server)
        .await;
    let clerk = common::clerk(&server.uri());
    clerk
        .impersonate(clerk_backend_api::impersonation::Impersonation::new(
            "u", "a",
        ))
        .await
        .unwrap();
    assert_eq!(requests_made(&server).await, 2);
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(sequence(&[503; 10], vec![], fixture("user")))
        .mount(&server)
        .await;
    let err: Error = clerk(&server.uri())
        .get_user()
        .user_id("u")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(requests_made(&server).await, 3);
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(sequence(&[503, 503], vec![], fixture("user")))
        .mount(&server)
        .await;
    let clerk = clerk(&server.uri()).with_retry_policy(RetryPolicy::disabled());
    assert!(clerk.get_user().user_id("u").send().await.is_err());
    assert_eq!(requests_made(&server).await, 1);
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(sequence(
            &[429],
            vec![("retry-after", "1".into())],
            fixture("user"),
        ))
        .mount(&server)
        .await;
    let started = Instant::now();
    clerk(&server.uri())
        .get_user()
        .user_id("u")
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests_made(&server).await, 2);
}

#[tokio::test]
async fn retry_after_as_a_date_is_honoured() {
    let server = MockServer::start().await;
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    Mock::given(method("GET"))
        .respond_with(sequence(
            &[503],
            vec![("retry-after", when)],
            fixture("user"),
        ))
        .mount(&server)
        .await;
    let started = Instant::now();
    clerk(&server.uri())
        .get_user()
        .user_id("u")
        .send()
        .await
        .unwrap();
    // The date has a one-second resolution: the wait is between 1 and 2 s.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests_made(&server).await, 2);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_returns_the_error_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(sequence(
            &[429],
            vec![("retry-after", "3600".into())],
            fixture("user"),
        ))
        .mount(&server)
        .await;
    let err: Error = clerk(&server.uri())
        .get_user()
        .user_id("u")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(requests_made(&server).await, 1);
}

#[tokio::test]
async fn connection_failures_are_transport_errors() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clerk = Clerk::builder(SECRET)
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let err: Error = clerk.get_user().user_id("u").send().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn slow_replies_time_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("user"))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let clerk = Clerk::builder(SECRET)
        .base_url(format!("{}/v1", server.uri()))
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let started = Instant::now();
    let err: Error = clerk.get_user().user_id("u").send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn pages_with_total_count() {
    let server = MockServer::start().await;
    let org = fixture("organization");
    for (offset, n) in [(0u64, 2usize), (2, 2), (4, 1)] {
        Mock::given(method("GET"))
            .and(path("/v1/organizations"))
            .and(query_param("offset", offset.to_string()))
            .and(query_param("limit", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": vec![org.clone(); n],
                "total_count": 5
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let orgs: Vec<_> = clerk(&server.uri())
        .list_organizations()
        .query("engines")
        .pages_of(2)
        .map_ok(|page| page.data.len())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(orgs, vec![2, 2, 1]);
}

#[tokio::test]
async fn items_across_pages_of_a_bare_array() {
    let server = MockServer::start().await;
    let user = fixture("user");
    for (offset, n) in [(0u64, 500usize), (500, 500), (1000, 3)] {
        Mock::given(method("GET"))
            .and(path("/v1/users"))
            .and(query_param("offset", offset.to_string()))
            .and(query_param("limit", "500"))
            .and(query_param("order_by", "-created_at"))
            .respond_with(ResponseTemplate::new(200).set_body_json(vec![user.clone(); n]))
            .expect(1)
            .mount(&server)
            .await;
    }
    let users: Vec<_> = clerk(&server.uri())
        .get_user_list()
        .order_by("-created_at")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 1003);
}

#[tokio::test]
async fn uploads_are_multipart() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/users/user_1/profile_image"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let png = b"\x89PNG\r\n\x1a\nfake image bytes".to_vec();
    let user = clerk(&server.uri())
        .set_user_profile_image(
            "user_1",
            Upload::from_bytes(png.clone(), "avatar.png", "image/png"),
        )
        .await
        .unwrap();
    assert_eq!(user.id, "user_2tQv7pLmKc9XbNfR4aHdE1sWzYo");
    let request = &server.received_requests().await.unwrap()[0];
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = String::from_utf8_lossy(&request.body);
    assert!(
        body.contains(r#"Content-Disposition: form-data; name="file"; filename="avatar.png""#),
        "{body}"
    );
    assert!(body.contains("Content-Type: image/png"));
    assert!(request.body.windows(png.len()).any(|w| w == png.as_slice()));
    common::assert_clerk_headers(request);
}

#[tokio::test]
async fn upload_errors_are_api_errors() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/organizations/org_1/logo"))
        .respond_with(ResponseTemplate::new(413).set_body_raw("too large", "text/plain"))
        .mount(&server)
        .await;
    let err = clerk(&server.uri())
        .upload_organization_logo(
            "org_1",
            Upload::from_bytes(vec![0u8; 16], "logo.png", "image/png"),
            Some("user_1"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(413));
    assert_eq!(
        err.api().unwrap().body_excerpt.as_deref(),
        Some("too large")
    );
}

#[tokio::test]
async fn uploads_are_sent_once() {
    // reqwest streams multipart bodies, so there is no copy to send again.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sequence(&[503], vec![], fixture("user")))
        .mount(&server)
        .await;
    let err = clerk(&server.uri())
        .set_user_profile_image(
            "user_1",
            Upload::from_bytes(vec![1u8; 8], "a.png", "image/png"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(requests_made(&server).await, 1);
}
