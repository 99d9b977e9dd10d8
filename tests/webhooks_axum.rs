//! The axum extractor, through a router, with deliveries signed by the Python `svix`
//! package.
#![cfg(feature = "axum")]

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::routing::post;
use clerk_backend_api::webhooks::{Event, SigningSecret, VerifiedEvent, Verifier};
use http::{Request, StatusCode};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};
use tower::ServiceExt as _;

struct Delivery {
    id: String,
    timestamp: i64,
    signature: String,
    body: Vec<u8>,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webhooks")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("deliveries.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn delivery(entry: &Value) -> Delivery {
    Delivery {
        id: entry["svix_id"].as_str().unwrap().to_string(),
        timestamp: entry["timestamp"].as_i64().unwrap(),
        signature: entry["signature"].as_str().unwrap().to_string(),
        body: std::fs::read(fixture_dir().join(entry["file"].as_str().unwrap())).unwrap(),
    }
}

fn user_created() -> (String, Delivery) {
    let manifest = manifest();
    let entry = manifest["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "user.created")
        .unwrap();
    (
        manifest["secret"].as_str().unwrap().to_string(),
        delivery(entry),
    )
}

async fn handle(VerifiedEvent(event): VerifiedEvent) -> String {
    match event {
        Event::UserCreated(created) => format!("user {}", created.data.id),
        other => format!("other {}", other.event_type()),
    }
}

fn app(secret: &str, at: i64) -> Router {
    let at = UNIX_EPOCH + Duration::from_secs(at as u64);
    let verifier = Verifier::builder()
        .secret(secret)
        .clock(move || at)
        .build()
        .unwrap();
    Router::new()
        .route("/webhooks/clerk", post(handle))
        .with_state(verifier)
}

fn request(d: &Delivery, signature: &str, body: Vec<u8>) -> Request<Body> {
    Request::post("/webhooks/clerk")
        .header("content-type", "application/json")
        .header("svix-id", &d.id)
        .header("svix-timestamp", d.timestamp.to_string())
        .header("svix-signature", signature)
        .body(Body::from(body))
        .unwrap()
}

async fn send(app: Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn verified_event_reaches_the_handler() {
    let (secret, d) = user_created();
    let (status, body) = send(
        app(&secret, d.timestamp),
        request(&d, &d.signature, d.body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "user user_2Zk8QpTbN4xVfJ0aPq7RrLwY3cD");
}

#[tokio::test]
async fn bad_signature_is_401_without_details() {
    let (secret, d) = user_created();
    let mut changed = d.body.clone();
    changed.push(b'\n');
    let (status, body) = send(
        app(&secret, d.timestamp),
        request(&d, &d.signature, changed),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, "invalid webhook signature");

    let (status, body) = send(
        app(&secret, d.timestamp + 3600),
        request(&d, &d.signature, d.body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, "invalid webhook signature");
}

#[tokio::test]
async fn missing_headers_are_401() {
    let (secret, d) = user_created();
    let request = Request::post("/webhooks/clerk")
        .body(Body::from(d.body.clone()))
        .unwrap();
    let (status, body) = send(app(&secret, d.timestamp), request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, "invalid webhook signature");
}

#[tokio::test]
async fn authentic_body_that_is_not_an_event_is_400() {
    let (secret, d) = user_created();
    let body = b"{\"hello\": \"world\"}".to_vec();
    let signature = SigningSecret::new(&secret)
        .unwrap()
        .sign(&d.id, d.timestamp, &body);
    let (status, text) = send(app(&secret, d.timestamp), request(&d, &signature, body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(text, "invalid webhook payload");
}

#[tokio::test]
async fn unknown_event_type_reaches_the_handler() {
    let manifest = manifest();
    let d = delivery(&manifest["unknown_type"]);
    let secret = manifest["secret"].as_str().unwrap();
    let (status, body) = send(
        app(secret, d.timestamp),
        request(&d, &d.signature, d.body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "other agent.summoned");
}

fn app_with_limit(secret: &str, at: i64, limit: usize) -> Router {
    let at = UNIX_EPOCH + Duration::from_secs(at as u64);
    let verifier = Verifier::builder()
        .secret(secret)
        .clock(move || at)
        .max_body_size(limit)
        .build()
        .unwrap();
    Router::new()
        .route("/webhooks/clerk", post(handle))
        .with_state(verifier)
}

#[tokio::test]
async fn the_body_limit_is_the_verifiers_and_past_it_the_answer_is_413() {
    let (secret, d) = user_created();
    let len = d.body.len();

    // A validly signed delivery larger than axum's own 2 MB default passes under a larger
    // limit: the extractor reads under the verifier's limit only.
    let mut big = d.body.clone();
    big.truncate(big.len() - 1); // drop the closing brace
    big.extend_from_slice(b", \"padding\": \"");
    big.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
    big.extend_from_slice(b"\"}");
    let signature = SigningSecret::new(&secret)
        .unwrap()
        .sign(d.id.as_bytes(), d.timestamp, &big);
    let (status, _) = send(
        app_with_limit(&secret, d.timestamp, 4 * 1024 * 1024),
        request(&d, &signature, big.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Under the default limit (2 MiB) the same delivery is 413, and the answer says so.
    let (status, text) = send(app(&secret, d.timestamp), request(&d, &signature, big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(text, "webhook body larger than the 2097152-byte limit");

    // Exactly at the limit passes; one byte less is 413, with and without Content-Length.
    let (status, _) = send(
        app_with_limit(&secret, d.timestamp, len),
        request(&d, &d.signature, d.body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(
        app_with_limit(&secret, d.timestamp, len - 1),
        request(&d, &d.signature, d.body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        d.body.chunks(100).map(|c| Ok(c.to_vec())).collect();
    let streamed = Request::post("/webhooks/clerk")
        .header("svix-id", &d.id)
        .header("svix-timestamp", d.timestamp.to_string())
        .header("svix-signature", &d.signature)
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    let (status, text) = send(app_with_limit(&secret, d.timestamp, len - 1), streamed).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains(&format!("{}-byte limit", len - 1)), "{text}");
}

#[test]
fn the_rejection_names_the_limit() {
    use clerk_backend_api::webhooks::WebhookRejection;
    let rejection = WebhookRejection::TooLarge { limit: 1024 };
    assert_eq!(rejection.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(rejection.to_string().contains("1024 bytes"));
    assert!(rejection.to_string().contains("max_body_size"));
}
