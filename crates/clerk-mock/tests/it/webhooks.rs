//! Webhook delivery: a receiving server checks every Svix signature and the payload shape.

use crate::common::{Api, s};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clerk_mock::MockServer;
use ring::hmac;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Clone)]
struct Receiver {
    events: mpsc::UnboundedSender<Value>,
    failures_left: Arc<AtomicUsize>,
}

/// Accepts a delivery only if its signature verifies (as Svix's libraries check it).
async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if receiver.failures_left.load(Ordering::SeqCst) > 0 {
        receiver.failures_left.fetch_sub(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (id, timestamp, signatures) = (
        header("svix-id"),
        header("svix-timestamp"),
        header("svix-signature"),
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let Ok(sent_at) = timestamp.parse::<i64>() else {
        return StatusCode::BAD_REQUEST;
    };
    if (now - sent_at).abs() > 300 || !id.starts_with("msg_") {
        return StatusCode::BAD_REQUEST;
    }
    let key = STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap_or_default();
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&body);
    let valid = signatures
        .split(' ')
        .filter_map(|sig| sig.strip_prefix("v1,"))
        .any(|sig| {
            STANDARD
                .decode(sig)
                .is_ok_and(|tag| hmac::verify(&key, &signed, &tag).is_ok())
        });
    if !valid {
        return StatusCode::UNAUTHORIZED;
    }
    match serde_json::from_slice(&body) {
        Ok(event) => {
            let _ = receiver.events.send(event);
            StatusCode::NO_CONTENT
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

async fn receiver(failures: usize) -> (String, mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let state = Receiver {
        events: tx,
        failures_left: Arc::new(AtomicUsize::new(failures)),
    };
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event arrives in time")
        .expect("open")
}

#[tokio::test]
async fn events_are_delivered_signed_and_in_order() {
    let (url, mut events) = receiver(0).await;
    let server = MockServer::builder()
        .webhook(url, SECRET)
        .start()
        .await
        .expect("server starts");
    let api = Api::with(server);

    let user = api.user("hooked@example.com").await;
    let id = s(&user, "id");
    api.patch(&format!("/users/{id}"), json!({ "first_name": "Changed" }))
        .await;
    let (_, session) = api.post("/sessions", json!({ "user_id": id })).await;
    let (_, org) = api
        .post(
            "/organizations",
            json!({ "name": "Hooks", "created_by": id }),
        )
        .await;
    api.delete(&format!("/users/{id}")).await;

    let created = next(&mut events).await;
    assert_eq!(created["type"], "user.created");
    assert_eq!(created["object"], "event");
    assert_eq!(created["data"], user);
    assert_eq!(created["instance_id"], api.server.instance_id());
    assert!(
        created["timestamp"]
            .as_i64()
            .is_some_and(|t| t > 1_600_000_000_000),
        "milliseconds"
    );
    assert!(created["event_attributes"]["http_request"]["user_agent"].is_string());
    assert!(created["event_attributes"]["http_request"]["client_ip"].is_string());

    let updated = next(&mut events).await;
    assert_eq!(
        (
            updated["type"].clone(),
            updated["data"]["first_name"].clone()
        ),
        (json!("user.updated"), json!("Changed"))
    );
    let session_created = next(&mut events).await;
    assert_eq!(session_created["type"], "session.created");
    assert_eq!(session_created["data"]["id"], session["id"]);
    assert_eq!(session_created["data"]["user"]["id"], id.as_str());
    let org_created = next(&mut events).await;
    assert_eq!(org_created["type"], "organization.created");
    assert_eq!(org_created["data"]["id"], org["id"]);
    let membership = next(&mut events).await;
    assert_eq!(membership["type"], "organizationMembership.created");
    let deleted = next(&mut events).await;
    assert_eq!(deleted["type"], "user.deleted");
    assert_eq!(
        deleted["data"],
        json!({ "object": "user", "id": id, "deleted": true })
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried() {
    let (url, mut events) = receiver(2).await;
    let server = MockServer::builder()
        .webhook(url, SECRET)
        .start()
        .await
        .expect("server starts");
    let api = Api::with(server);
    api.user("retry@example.com").await;
    let event = next(&mut events).await;
    assert_eq!(event["type"], "user.created");
}

#[tokio::test]
async fn webhook_settings_are_checked_at_start() {
    let bad_secret = MockServer::builder()
        .webhook("http://127.0.0.1:9/hook", "not-a-secret")
        .start()
        .await;
    assert!(matches!(
        bad_secret,
        Err(clerk_mock::StartError::Webhook(_))
    ));
    let bad_url = MockServer::builder()
        .webhook("ftp://example.com", SECRET)
        .start()
        .await;
    assert!(matches!(bad_url, Err(clerk_mock::StartError::Webhook(_))));
}
