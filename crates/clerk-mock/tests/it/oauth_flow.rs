//! The OAuth authorization code flow an OAuth client runs against the mock: authorize with a
//! signed-in session, exchange the code (PKCE), refresh, and the errors of each step.

use crate::common::{Api, read, s};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};

const REDIRECT: &str = "https://partner.example.com/callback";
const VERIFIER: &str = "a-code-verifier-long-enough-to-be-realistic-0123456789";

fn challenge() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, VERIFIER.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// A client that does not follow redirects, so that the `Location` can be read.
fn browser() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

struct Setup {
    api: Api,
    app: Value,
    session_token: String,
    user: String,
}

async fn setup(app_body: Value) -> Setup {
    let api = Api::start().await;
    let user = s(&api.user("flow@example.com").await, "id");
    let (_, session) = api.post("/sessions", json!({ "user_id": user })).await;
    let (_, token) = api
        .post(
            &format!("/sessions/{}/tokens", s(&session, "id")),
            json!({}),
        )
        .await;
    let (status, app) = api.post("/oauth_applications", app_body).await;
    assert_eq!(status, StatusCode::OK, "{app}");
    Setup {
        api,
        app,
        session_token: s(&token, "jwt"),
        user,
    }
}

/// `GET /oauth/authorize` with the session cookie; the status and `Location`.
async fn authorize(setup: &Setup, query: &[(&str, &str)]) -> (StatusCode, String, Value) {
    let response = browser()
        .get(format!("{}/oauth/authorize", setup.api.server.issuer()))
        .query(query)
        .header("cookie", format!("__session={}", setup.session_token))
        .send()
        .await
        .expect("the mock answers");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (status, body) = read(response).await;
    (status, location, body)
}

fn query_param(location: &str, name: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A form-encoded body.
fn form(pairs: &[(&str, &str)]) -> String {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        body.append_pair(k, v);
    }
    body.finish()
}

async fn token(setup: &Setup, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = browser()
        .post(format!("{}/oauth/token", setup.api.server.issuer()))
        .basic_auth(
            s(&setup.app, "client_id"),
            Some(s(&setup.app, "client_secret")),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .expect("the mock answers");
    read(response).await
}

#[tokio::test]
async fn authorization_code_flow_with_pkce_and_refresh() {
    let setup = setup(json!({ "name": "Partner", "redirect_uris": [REDIRECT] })).await;
    let client_id = s(&setup.app, "client_id");
    let challenge = challenge();
    let (status, location, body) = authorize(
        &setup,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("scope", "profile email"),
            ("state", "xyz"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND, "{body}");
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("xyz"));
    let code = query_param(&location, "code").expect("a code");

    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, tokens) = token(&setup, &exchange).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "profile email");
    assert_eq!(tokens["expires_in"], 3600);
    let access = s(&tokens, "access_token");
    let (status, verified) = setup
        .api
        .post(
            "/oauth_applications/access_tokens/verify",
            json!({ "access_token": access }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["subject"], setup.user.as_str());
    assert_eq!(verified["client_id"], client_id.as_str());

    // A code works once.
    let (status, body) = token(&setup, &exchange).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    // A refresh token gives a new access token, once.
    let refresh = s(&tokens, "refresh_token");
    let refreshing = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let (status, renewed) = token(&setup, &refreshing).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_ne!(renewed["access_token"], tokens["access_token"]);
    let (status, _) = setup
        .api
        .post(
            "/oauth_applications/access_tokens/verify",
            json!({ "access_token": renewed["access_token"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = token(&setup, &refreshing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn the_token_endpoint_checks_client_code_and_verifier() {
    let setup =
        setup(json!({ "name": "Partner", "redirect_uris": [REDIRECT], "pkce_required": true }))
            .await;
    let client_id = s(&setup.app, "client_id");
    let challenge = challenge();
    let base = [
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (_, location, _) = authorize(&setup, &base).await;
    let code = query_param(&location, "code").expect("a code");

    let (status, body) = token(
        &setup,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "not-the-verifier"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_grant"))
    );

    // A wrong client secret.
    let response = browser()
        .post(format!("{}/oauth/token", setup.api.server.issuer()))
        .basic_auth(&client_id, Some("wrong"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("grant_type", "authorization_code"), ("code", "x")]))
        .send()
        .await
        .expect("answer");
    let (status, body) = read(response).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("invalid_client"))
    );

    let (status, body) = token(&setup, &[("grant_type", "password")]).await;
    assert_eq!(body["error"], "unsupported_grant_type", "{status}");

    // PKCE is required for this application.
    let (status, location, _) = authorize(
        &setup,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("state", "s1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
}

#[tokio::test]
async fn the_authorization_endpoint_checks_client_redirect_scope_and_user() {
    let setup =
        setup(json!({ "name": "Partner", "redirect_uris": [REDIRECT], "scopes": "profile" })).await;
    let client_id = s(&setup.app, "client_id");

    let (status, _, body) =
        authorize(&setup, &[("response_type", "code"), ("client_id", "nope")]).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_client"))
    );
    let (status, _, body) = authorize(
        &setup,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "https://evil.example/cb"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_request"))
    );
    let (status, location, _) = authorize(
        &setup,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("scope", "email"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("invalid_scope")
    );
    let (status, location, _) = authorize(
        &setup,
        &[("response_type", "token"), ("client_id", &client_id)],
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("unsupported_response_type")
    );

    // Without a signed-in session.
    let response = browser()
        .get(format!("{}/oauth/authorize", setup.api.server.issuer()))
        .query(&[("response_type", "code"), ("client_id", client_id.as_str())])
        .send()
        .await
        .expect("answer");
    let (status, body) = read(response).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("login_required"))
    );
}
