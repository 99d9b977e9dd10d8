//! The Frontend API handshake, sign-in and sign-out, the handshake payload behind a nonce, and
//! session refresh.

use crate::common::{Api, assert_error, read, s};
use crate::schema;
use base64::Engine as _;
use clerk_mock::MockServer;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use std::time::Duration;

const APP: &str = "http://app.test/page?x=1";

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `name=value` of the `__client` cookie the response sets.
fn client_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__client="))
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
}

struct Frontend {
    api: Api,
    browser: reqwest::Client,
}

impl Frontend {
    fn new(server: MockServer) -> Self {
        Frontend {
            api: Api::with(server),
            browser: browser(),
        }
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.api.server.frontend_api_url())
    }

    async fn get(&self, path_and_query: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.browser.get(self.url(path_and_query));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.expect("the mock answers")
    }

    /// A signed-in browser: a user, a sign-in token, its link followed. Returns the user id
    /// and the `__client` cookie.
    async fn sign_in(&self) -> (String, String) {
        let user = self.api.user("ada@example.com").await;
        let (status, token) = self
            .api
            .post("/sign_in_tokens", json!({ "user_id": s(&user, "id") }))
            .await;
        assert_eq!(status, StatusCode::OK, "{token}");
        let ticket = s(&token, "token");
        let response = self
            .get(
                &format!(
                    "/v1/client/sign_in?ticket={ticket}&redirect_url={}",
                    urlencode(APP)
                ),
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()[LOCATION]
            .to_str()
            .expect("text")
            .to_string();
        assert!(
            location.starts_with("http://app.test/page?x=1&__clerk_db_jwt=dvb_"),
            "{location}"
        );
        let cookie = client_cookie(&response).expect("a client cookie");
        (s(&user, "id"), cookie)
    }

    /// Runs a handshake in token format; returns its directives.
    async fn handshake(&self, cookie: Option<&str>, extra: &str) -> Vec<String> {
        let response = self
            .get(
                &format!(
                    "/v1/client/handshake?redirect_url={}{extra}",
                    urlencode(APP)
                ),
                cookie,
            )
            .await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let location = response.headers()[LOCATION].to_str().expect("text");
        assert!(location.starts_with("http://app.test/page?x=1&__clerk_handshake="));
        let token = query_param(location, "__clerk_handshake").expect("token");
        let claims = claims(&token);
        claims["handshake"]
            .as_array()
            .expect("directives")
            .iter()
            .map(|d| d.as_str().expect("text").to_string())
            .collect()
    }
}

/// The answer matches the documented success schema of `RefreshSession`.
fn conforms(answer: &Value) {
    let doc = schema::load_spec();
    let (status, schema) = schema::success_schema(&doc, "RefreshSession").expect("documented");
    assert_eq!(status, 200);
    schema::check(&doc, schema.expect("a schema"), answer, "$").expect("conforms");
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn session_token(directives: &[String]) -> Option<String> {
    directives
        .iter()
        .filter_map(|d| d.strip_prefix("__session="))
        .map(|d| d.split(';').next().unwrap_or_default().to_string())
        .find(|t| !t.is_empty())
}

#[tokio::test]
async fn handshake_without_a_client_signs_out_and_hands_a_nonce_over_once() {
    let fapi = Frontend::new(MockServer::start().await);
    let response = fapi
        .get(
            &format!(
                "/v1/client/handshake?redirect_url={}&format=nonce&suffixed_cookies=true",
                urlencode(APP)
            ),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert!(client_cookie(&response).is_some(), "a client is created");
    let location = response.headers()[LOCATION]
        .to_str()
        .expect("text")
        .to_string();
    let nonce = query_param(&location, "__clerk_handshake_nonce").expect("a nonce");

    // The payload needs the secret key.
    let (status, body) = read(
        fapi.api
            .http
            .get(
                fapi.api
                    .url(&format!("/clients/handshake_payload?nonce={nonce}")),
            )
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "authorization_header_format_invalid",
    );

    let (status, body) = fapi
        .api
        .get(&format!("/clients/handshake_payload?nonce={nonce}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let directives: Vec<&str> = body["directives"]
        .as_array()
        .expect("directives")
        .iter()
        .map(|d| d.as_str().expect("text"))
        .collect();
    assert!(
        directives[0].starts_with("__clerk_db_jwt=dvb_"),
        "{directives:?}"
    );
    assert!(directives.contains(&"__session=; Path=/; Max-Age=0; SameSite=Lax"));
    assert!(directives.iter().any(|d| d.starts_with("__client_uat=0;")));
    assert!(
        directives
            .iter()
            .any(|d| d.starts_with("__client_uat_") && d.contains("=0;"))
    );

    // Once only.
    let (status, body) = fapi
        .api
        .get(&format!("/clients/handshake_payload?nonce={nonce}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = fapi.api.get("/clients/handshake_payload").await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "missing_query_parameter",
    );
}

#[tokio::test]
async fn signed_in_browser_gets_a_session_token_that_follows_the_clock() {
    let fapi = Frontend::new(MockServer::start().await);
    let (user_id, cookie) = fapi.sign_in().await;
    let directives = fapi.handshake(Some(&cookie), "").await;
    let token = session_token(&directives).expect("a session token");
    let first = claims(&token);
    assert_eq!(first["sub"], user_id.as_str());
    assert_eq!(first["iss"], fapi.api.server.issuer());
    assert!(
        directives
            .iter()
            .any(|d| d.starts_with("__client_uat=") && !d.starts_with("__client_uat=0;"))
    );
    assert!(
        !directives.iter().any(|d| d.starts_with("__refresh")),
        "refresh is off by default"
    );

    fapi.api.server.advance_clock(Duration::from_secs(3600));
    let later = claims(&session_token(&fapi.handshake(Some(&cookie), "").await).expect("token"));
    let moved = later["iat"].as_i64().expect("iat") - first["iat"].as_i64().expect("iat");
    assert!((3600..3610).contains(&moved), "{moved}");

    // A cookie the server does not know is a new, signed-out client.
    let directives = fapi.handshake(Some("__client=unknown"), "").await;
    assert_eq!(session_token(&directives), None);

    // Signing out ends the session; the next handshake clears the cookies.
    let response = fapi
        .get(
            &format!("/v1/client/sign_out?redirect_url={}", urlencode(APP)),
            Some(&cookie),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let directives = fapi.handshake(Some(&cookie), "").await;
    assert_eq!(session_token(&directives), None);
    let (_, sessions) = fapi.api.get(&format!("/sessions?user_id={user_id}")).await;
    assert_eq!(sessions[0]["status"], "ended");
}

#[tokio::test]
async fn handshake_switches_the_active_organization() {
    let fapi = Frontend::new(MockServer::start().await);
    let (user_id, cookie) = fapi.sign_in().await;
    let (status, org) = fapi
        .api
        .post(
            "/organizations",
            json!({ "name": "Acme", "slug": "acme", "created_by": user_id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{org}");

    let directives = fapi.handshake(Some(&cookie), "&organization_id=acme").await;
    let token = claims(&session_token(&directives).expect("token"));
    assert_eq!(token["o"]["slg"], "acme", "{token}");

    // Back to the personal account; an organization the user is not in changes nothing.
    let directives = fapi.handshake(Some(&cookie), "&organization_id=").await;
    assert!(
        claims(&session_token(&directives).expect("token"))
            .get("o")
            .is_none()
    );
    let directives = fapi
        .handshake(Some(&cookie), "&organization_id=org_unknown")
        .await;
    assert!(
        claims(&session_token(&directives).expect("token"))
            .get("o")
            .is_none()
    );
}

#[tokio::test]
async fn sessions_refresh_with_the_refresh_token_of_a_handshake() {
    let server = MockServer::builder()
        .session_refresh(true)
        .start()
        .await
        .expect("starts");
    let fapi = Frontend::new(server);
    let (_, cookie) = fapi.sign_in().await;
    let directives = fapi.handshake(Some(&cookie), "").await;
    let expired = session_token(&directives).expect("token");
    let sid = claims(&expired)["sid"].as_str().expect("sid").to_string();
    let refresh = directives
        .iter()
        .find(|d| d.starts_with("__refresh_"))
        .and_then(|d| d.split(';').next())
        .and_then(|d| d.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("a refresh cookie");

    fapi.api.server.advance_clock(Duration::from_secs(120));
    let body = json!({
        "expired_token": expired,
        "refresh_token": refresh,
        "request_origin": "http://app.test",
        "request_headers": {"user-agent": ["test"]},
        "format": "cookie",
    });
    let (status, answer) = fapi
        .api
        .post(
            &format!("/sessions/{sid}/refresh?suffixed_cookies=true"),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["object"], "cookies");
    conforms(&answer);
    let cookies: Vec<String> = answer["cookies"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c.as_str().expect("text").to_string())
        .collect();
    let fresh = cookies
        .iter()
        .find(|c| c.starts_with("__session_"))
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("a suffixed session cookie");
    let fresh = claims(&fresh);
    assert_eq!(fresh["sid"], sid.as_str());
    assert!(fresh["iat"].as_i64() > claims(&expired)["iat"].as_i64());

    // Token format by default.
    let mut token_body = body.clone();
    token_body["format"] = Value::Null;
    let (status, answer) = fapi
        .api
        .post(&format!("/sessions/{sid}/refresh"), token_body)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["object"], "token");
    conforms(&answer);

    // Wrong refresh token, or a token of another session: 401.
    let mut wrong = body.clone();
    wrong["refresh_token"] = json!("rt_wrong");
    let (status, answer) = fapi
        .api
        .post(&format!("/sessions/{sid}/refresh"), wrong)
        .await;
    assert_error(
        status,
        &answer,
        StatusCode::UNAUTHORIZED,
        "authentication_invalid",
    );
    let (status, answer) = fapi.api.post("/sessions/sess_other/refresh", body).await;
    assert_error(status, &answer, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn bad_frontend_requests_are_refused() {
    let fapi = Frontend::new(MockServer::start().await);
    let response = fapi.get("/v1/client/handshake", None).await;
    let (status, body) = read(response).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "missing_query_parameter",
    );
    let response = fapi
        .get(
            "/v1/client/handshake?redirect_url=javascript:alert(1)",
            None,
        )
        .await;
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let response = fapi
        .get(
            &format!(
                "/v1/client/sign_in?ticket=nope&redirect_url={}",
                urlencode(APP)
            ),
            None,
        )
        .await;
    let (status, body) = read(response).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}
