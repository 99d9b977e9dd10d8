//! Webhook delivery the way Clerk's provider (Svix) does it.
//!
//! Each event is POSTed as JSON (`{type, object: "event", data, timestamp, instance_id,
//! event_attributes}`) with the headers `svix-id`, `svix-timestamp` and `svix-signature`
//! (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` under the key of the `whsec_` secret).
//! Events are delivered one at a time, in the order they happened, by a task per server; a
//! failed delivery (connection error or non-2xx answer) is tried twice more.

use crate::ids::{IdGen, now_ms, now_secs};
use axum::body::Body;
use axum::http::{Request, Uri, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hyper_util::rt::TokioIo;
use ring::hmac;
use serde_json::{Value, json};
use std::fmt;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Where and how to deliver webhooks.
#[derive(Clone)]
pub(crate) struct WebhookTarget {
    pub uri: Uri,
    pub key: Vec<u8>,
}

impl fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("uri", &self.uri)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl WebhookTarget {
    /// Checks the URL (plain `http://`, as test receivers are) and decodes the `whsec_` secret.
    pub fn new(url: &str, secret: &str) -> Result<Self, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("webhook URL '{url}' is not a valid URL: {e}"))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(format!(
                "webhook URL '{url}' must be an http:// URL with a host"
            ));
        }
        let encoded = secret
            .strip_prefix("whsec_")
            .ok_or_else(|| "the webhook signing secret must start with 'whsec_'".to_string())?;
        let key = STANDARD.decode(encoded).map_err(|_| {
            "the webhook signing secret is not 'whsec_' followed by base64".to_string()
        })?;
        if key.is_empty() {
            return Err("the webhook signing secret has an empty key".into());
        }
        Ok(WebhookTarget { uri, key })
    }
}

/// One event to deliver.
#[derive(Debug)]
pub(crate) struct Event {
    pub kind: &'static str,
    pub data: Value,
    pub user_agent: String,
}

/// Sends events to the delivery task of one server.
pub(crate) type EventSender = mpsc::UnboundedSender<Event>;

/// Starts the delivery task; it ends when every sender is dropped.
pub(crate) fn spawn(target: WebhookTarget, instance_id: String) -> EventSender {
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        let ids = IdGen::new();
        while let Some(event) = rx.recv().await {
            let body = json!({
                "type": event.kind,
                "object": "event",
                "data": event.data,
                "timestamp": now_ms(),
                "instance_id": instance_id,
                "event_attributes": {
                    "http_request": { "client_ip": "127.0.0.1", "user_agent": event.user_agent }
                },
            })
            .to_string();
            let msg_id = ids.next("msg");
            for attempt in 0..3u64 {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(100 * attempt * attempt)).await;
                }
                let timestamp = now_secs().to_string();
                let signature = sign(&target.key, &msg_id, &timestamp, &body);
                let sent = tokio::time::timeout(
                    Duration::from_secs(5),
                    post(&target.uri, &msg_id, &timestamp, &signature, body.clone()),
                )
                .await;
                if matches!(sent, Ok(Ok(status)) if (200..300).contains(&status)) {
                    break;
                }
            }
        }
    });
    tx
}

/// The `svix-signature` header value for one delivery.
pub(crate) fn sign(key: &[u8], msg_id: &str, timestamp: &str, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let content = format!("{msg_id}.{timestamp}.{body}");
    let tag = hmac::sign(&key, content.as_bytes());
    format!("v1,{}", STANDARD.encode(tag.as_ref()))
}

async fn post(
    uri: &Uri,
    msg_id: &str,
    timestamp: &str,
    signature: &str,
    body: String,
) -> Result<u16, String> {
    let host = uri.host().ok_or("no host")?;
    let port = uri.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        // Drives the connection until the answer is read; errors surface through `sender`.
        let _ = connection.await;
    });
    let authority = uri
        .authority()
        .map(|a| a.as_str())
        .unwrap_or(host)
        .to_string();
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let request = Request::post(path)
        .header(header::HOST, authority)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, "clerk-mock-webhooks")
        .header("svix-id", msg_id)
        .header("svix-timestamp", timestamp)
        .header("svix-signature", signature)
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_must_be_whsec_base64() {
        assert!(WebhookTarget::new("http://127.0.0.1:1/hook", "whsec_c2VjcmV0").is_ok());
        assert!(WebhookTarget::new("http://127.0.0.1:1/hook", "secret").is_err());
        assert!(WebhookTarget::new("http://127.0.0.1:1/hook", "whsec_!!!").is_err());
        assert!(WebhookTarget::new("https://example.com/hook", "whsec_c2VjcmV0").is_err());
    }

    #[test]
    fn signature_is_hmac_of_id_timestamp_body() {
        // Expected value computed with Python's hmac module:
        // base64(HMAC-SHA256(b"secret", b"msg_1.1700000000.{}")).
        let sig = sign(b"secret", "msg_1", "1700000000", "{}");
        assert_eq!(sig, "v1,A5oIrJxXPB/PkULSoVu0e4khvPiqpF9vljmhkSKg0FI=");
        assert_ne!(sig, sign(b"secret", "msg_2", "1700000000", "{}"));
    }
}
