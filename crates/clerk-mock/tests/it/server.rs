//! Starting, running side by side, and stopping servers; the command-line binary.

use crate::common::{Api, read, s};
use base64::Engine as _;
use clerk_mock::MockServer;
use reqwest::StatusCode;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn servers_are_independent() {
    let one = Api::start().await;
    let two = Api::start().await;
    assert_ne!(one.server.secret_key(), two.server.secret_key());
    assert_ne!(one.server.instance_id(), two.server.instance_id());
    assert_ne!(one.server.base_url(), two.server.base_url());
    assert!(one.server.secret_key().starts_with("sk_test_"));
    assert!(
        one.server.base_url().starts_with("http://127.0.0.1:")
            && one.server.base_url().ends_with("/v1")
    );

    let id = s(&one.user("only-here@example.com").await, "id");
    let (status, _) = two.get(&format!("/users/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, count) = two.get("/users/count").await;
    assert_eq!(count["total_count"], 0);
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = MockServer::start().await;
    let url = format!("{}/users", server.base_url());
    let key = server.secret_key().to_string();
    let http = crate::common::http_client();
    let (status, _) = read(
        http.get(&url)
            .bearer_auth(&key)
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    drop(server);
    // The listener closes as soon as the shutdown is seen.
    let mut refused = false;
    for _ in 0..50 {
        let fresh = crate::common::http_client();
        if fresh.get(&url).bearer_auth(&key).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "the server still answers after being dropped");
}

#[tokio::test]
async fn builder_options_apply() {
    let server = MockServer::builder()
        .secret_key("sk_test_fixed_for_tests")
        .start()
        .await
        .expect("starts");
    assert_eq!(server.secret_key(), "sk_test_fixed_for_tests");
    let api = Api::with(server);
    let (status, _) = api.get("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(matches!(
        MockServer::builder().secret_key("has space").start().await,
        Err(clerk_mock::StartError::SecretKey)
    ));

    // The publishable key names this server's host, as Clerk's keys name the Frontend API host.
    let encoded = api
        .server
        .publishable_key()
        .strip_prefix("pk_test_")
        .expect("pk_test_ prefix");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    assert_eq!(
        String::from_utf8(decoded).ok(),
        Some(format!("{}$", api.server.address()))
    );
    assert!(
        api.server
            .jwt_public_key_pem()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert!(
        !format!("{:?}", api.server).contains(api.server.secret_key()),
        "Debug output hides the key"
    );
}

#[test]
fn binary_prints_its_base_url_and_key() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clerk-mock"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = lines.next().and_then(Result::ok).unwrap_or_default();
    let key = lines.next().and_then(Result::ok).unwrap_or_default();
    let base_url = base.strip_prefix("base_url=").map(str::to_string);
    let secret = key.strip_prefix("secret_key=").map(str::to_string);

    let answer = (|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async {
            let response = crate::common::http_client()
                .post(format!("{}/users", base_url.as_deref()?))
                .bearer_auth(secret.as_deref()?)
                .json(&json!({ "first_name": "Cli" }))
                .send()
                .await
                .ok()?;
            Some(response.status())
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    assert!(base.starts_with("base_url=http://127.0.0.1:"), "{base}");
    assert!(key.starts_with("secret_key=sk_test_"), "{key}");
    assert_eq!(answer, Some(StatusCode::OK));
}

#[test]
fn binary_rejects_bad_arguments() {
    let output = Command::new(env!("CARGO_BIN_EXE_clerk-mock"))
        .args(["--port", "seventy"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid port"));
}
