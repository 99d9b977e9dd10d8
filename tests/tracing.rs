//! Every request is a `clerk.request` span with the method, the path
//! template, the operation, the status, the attempts and the duration; the
//! secret key and bodies are not recorded.

mod common;

use clerk_backend_api::prelude::*;
use common::{SECRET, clerk, fixture};
use std::io::Write;
use std::sync::{Arc, Mutex};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn requests_are_traced_without_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .mount(&server)
        .await;
    clerk(&server.uri())
        .get_user()
        .user_id("user_42")
        .send()
        .await
        .unwrap();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("clerk.request") && l.contains("close"))
        .expect(&text);
    for field in [
        "method=GET",
        "path=\"/users/{user_id}\"",
        "operation=\"GetUser\"",
        "status=200",
        "attempts=1",
        "duration_ms=",
    ] {
        assert!(line.contains(field), "{field} missing from: {line}");
    }
    assert!(
        !text.contains(&SECRET[8..]),
        "the secret key was logged: {text}"
    );
    assert!(!text.contains("Lovelace"), "a body was logged: {text}");
}
