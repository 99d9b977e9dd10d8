//! Shared code of the tests that replay the web-app scenarios recorded from Clerk's JavaScript
//! SDK (`tests/fixtures/webauth/verdicts.json`): the settings, the request and a Backend API
//! stub of each scenario.
#![allow(dead_code)]

use std::time::{Duration, UNIX_EPOCH};

use clerk_backend_api::auth::{RequestAuthenticator, TokenKinds};
use http::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::auth_support::TestKey;

pub fn fixtures() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/webauth/verdicts.json"
    ))
    .expect("the fixtures are committed");
    serde_json::from_str(&text).expect("the fixtures are JSON")
}

pub fn accepted(option: &Value) -> TokenKinds {
    let kind = |name: &str| match name {
        "session_token" => TokenKinds::SESSION,
        "api_key" => TokenKinds::API_KEY,
        "m2m_token" => TokenKinds::M2M,
        "oauth_token" => TokenKinds::OAUTH,
        "any" => TokenKinds::ANY,
        other => panic!("unknown token kind {other}"),
    };
    match option {
        Value::Null => TokenKinds::SESSION,
        Value::String(name) => kind(name),
        Value::Array(names) => names.iter().fold(TokenKinds::NONE, |acc, n| {
            acc | kind(n.as_str().expect("name"))
        }),
        other => panic!("unexpected acceptsToken {other}"),
    }
}

pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|l| {
            l.iter()
                .map(|s| s.as_str().expect("text").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

pub async fn stub_api(scenario: &Value, kid: &str) -> MockServer {
    let server = MockServer::start().await;
    let respond = |stub: &Value| {
        let status = stub["status"].as_u64().expect("status") as u16;
        match stub.get("text").and_then(Value::as_str) {
            Some(text) => ResponseTemplate::new(status).set_body_string(text),
            None => ResponseTemplate::new(status).set_body_json(stub["body"].clone()),
        }
    };
    Mock::given(method("GET"))
        .and(path("/v1/jwks"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"keys": [TestKey::instance().jwk(kid)]})),
        )
        .mount(&server)
        .await;
    let api = &scenario["api"];
    if let Some(stub) = api.get("handshake_payload") {
        Mock::given(method("GET"))
            .and(path("/v1/clients/handshake_payload"))
            .respond_with(respond(stub))
            .mount(&server)
            .await;
    }
    if let Some(stub) = api.get("refresh") {
        Mock::given(method("POST"))
            .and(path_regex(r"^/v1/sessions/[^/]+/refresh$"))
            .respond_with(respond(stub))
            .mount(&server)
            .await;
    }
    if let Some(stub) = api.get("api_key") {
        Mock::given(method("POST"))
            .and(path("/v1/api_keys/verify"))
            .respond_with(respond(stub))
            .mount(&server)
            .await;
    }
    server
}

pub fn build(scenario: &Value, api_url: &str, now: u64) -> Result<RequestAuthenticator, String> {
    let o = &scenario["options"];
    let text = |name: &str| o.get(name).and_then(Value::as_str).map(str::to_owned);
    let mut builder = RequestAuthenticator::builder()
        .api_url(api_url)
        .accept(accepted(&o["acceptsToken"]))
        .authorized_parties(strings(&o["authorizedParties"]))
        .is_satellite(o["isSatellite"].as_bool().unwrap_or(false))
        .satellite_auto_sync(o["satelliteAutoSync"].as_bool().unwrap_or(false))
        .organization_patterns(strings(
            &o["organizationSyncOptions"]["organizationPatterns"],
        ))
        .personal_account_patterns(strings(
            &o["organizationSyncOptions"]["personalAccountPatterns"],
        ))
        .clock(move || UNIX_EPOCH + Duration::from_secs(now));
    if let Some(v) = text("secretKey") {
        builder = builder.secret_key(v);
    }
    if let Some(v) = text("publishableKey") {
        builder = builder.publishable_key(v);
    }
    if let Some(v) = text("domain") {
        builder = builder.domain(v);
    }
    if let Some(v) = text("proxyUrl") {
        builder = builder.proxy_url(v);
    }
    if let Some(v) = text("signInUrl") {
        builder = builder.sign_in_url(v);
    }
    builder.build().map_err(|e| e.to_string())
}

pub fn request(scenario: &Value) -> http::Request<()> {
    let r = &scenario["request"];
    let mut builder = http::Request::builder()
        .method(r["method"].as_str().expect("method"))
        .uri(r["url"].as_str().expect("url"));
    for pair in r["headers"].as_array().expect("headers") {
        let name = pair[0].as_str().expect("name");
        // Fetch headers are byte strings: each character is one byte (Latin-1).
        let bytes: Vec<u8> = pair[1]
            .as_str()
            .expect("value")
            .chars()
            .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
            .collect();
        builder = builder.header(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_bytes(&bytes).expect("value"),
        );
    }
    builder.body(()).expect("request")
}
