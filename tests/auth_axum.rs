//! The tower layer and axum extractors (needs `--features axum`).
#![cfg(feature = "axum")]

mod auth_support;

use auth_support::*;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use axum::{Extension, Router};
use clerk_backend_api::auth::axum::AuthLayer;
use clerk_backend_api::auth::{
    AuthState, MachineClaims, Principal, SessionClaims, TokenKinds, Verifier,
};
use serde_json::json;
use tower::ServiceExt as _;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn verifier() -> Verifier {
    Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .publishable_key(PUBLISHABLE_KEY)
        .authorized_parties([APP_ORIGIN])
        .clock(fixed_clock)
        .build()
        .expect("valid settings")
}

async fn me(claims: SessionClaims) -> String {
    let org = claims.organization.map(|o| o.id).unwrap_or_default();
    format!("{} {org}", claims.sub)
}

async fn via_extension(Extension(principal): Extension<Principal>) -> String {
    format!("{:?} {}", principal.kind(), principal.subject())
}

async fn maybe(principal: Option<Principal>) -> String {
    principal.map_or_else(|| "anonymous".to_owned(), |p| p.subject().to_owned())
}

async fn state(state: AuthState) -> String {
    match state {
        AuthState::SignedIn(p) => format!("in:{}", p.subject()),
        AuthState::SignedOut(reason) => format!("out:{}", reason.code()),
    }
}

async fn machine(claims: MachineClaims) -> String {
    claims.subject
}

async fn send(app: Router, token: Option<&str>, uri: &str) -> (StatusCode, Option<String>, String) {
    let mut request = Request::builder().uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (
        status,
        challenge,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn protected() -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/ext", get(via_extension))
        .layer(AuthLayer::new(verifier()))
}

#[tokio::test]
async fn signed_out_requests_get_a_bare_401() {
    let key = TestKey::instance();
    let expired = key.sign(&rs256_header(KID), &claims_with(json!({"exp": NOW - 3600})));
    let forged = TestKey::other().session_token();
    for token in [
        None,
        Some(expired.as_str()),
        Some(forged.as_str()),
        Some("garbage"),
    ] {
        let (status, challenge, body) = send(protected(), token, "/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(challenge.as_deref(), Some("Bearer"));
        assert!(body.is_empty(), "no detail in the body, got {body:?}");
    }
}

#[tokio::test]
async fn claims_reach_the_handler() {
    let token = TestKey::instance().sign(
        &rs256_header(KID),
        &claims_with(json!({"org_id": "org_7", "org_role": "org:member"})),
    );
    let (status, _, body) = send(protected(), Some(&token), "/me").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user_2abc org_7"));
    let (status, _, body) = send(protected(), Some(&token), "/ext").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "SessionToken user_2abc")
    );
}

#[tokio::test]
async fn optional_layer_lets_everyone_through() {
    let app = || {
        Router::new()
            .route("/maybe", get(maybe))
            .route("/state", get(state))
            .layer(AuthLayer::new(verifier()).optional())
    };
    let token = TestKey::instance().session_token();
    assert_eq!(send(app(), None, "/maybe").await.2, "anonymous");
    assert_eq!(send(app(), Some(&token), "/maybe").await.2, "user_2abc");
    assert_eq!(send(app(), None, "/state").await.2, "out:token-missing");
    assert_eq!(
        send(app(), Some("a.b.c"), "/state").await.2,
        "out:token-malformed"
    );
    assert_eq!(send(app(), Some(&token), "/state").await.2, "in:user_2abc");
}

#[tokio::test]
async fn unreachable_keys_give_503_without_detail() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .clock(fixed_clock)
        .build()
        .expect("valid settings");
    let app = Router::new()
        .route("/me", get(me))
        .layer(AuthLayer::new(verifier));
    let (status, _, body) = send(app, Some(&TestKey::instance().session_token()), "/me").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.is_empty());
}

#[tokio::test]
async fn routes_choose_the_token_kinds_they_accept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api_keys/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "api_key", "id": "ak_1", "subject": "user_9", "scopes": [],
            "revoked": false, "expired": false, "expiration": null,
        })))
        .mount(&server)
        .await;
    let verifier = Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .clock(fixed_clock)
        .build()
        .expect("valid settings");
    let app = Router::new()
        .route("/machine", get(machine))
        .layer(AuthLayer::new(verifier.clone()).accept(TokenKinds::API_KEY))
        .merge(
            Router::new()
                .route("/me", get(me))
                .layer(AuthLayer::new(verifier)),
        );
    let (status, _, body) = send(app.clone(), Some("ak_1"), "/machine").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user_9"));
    // The session-only route refuses the API key; the API-key route refuses sessions.
    assert_eq!(
        send(app.clone(), Some("ak_1"), "/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let session = TestKey::instance().session_token();
    assert_eq!(
        send(app, Some(&session), "/machine").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn extractor_without_layer_is_a_server_error() {
    let app = Router::new().route("/me", get(me));
    let (status, _, body) = send(app, Some(&TestKey::instance().session_token()), "/me").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.is_empty());
}
