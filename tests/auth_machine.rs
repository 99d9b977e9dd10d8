//! Machine tokens: opaque ones against a stub of the Backend API's verify endpoints, JWT ones
//! locally, and the per-route choice of accepted kinds.

mod auth_support;

use auth_support::*;
use clerk_backend_api::auth::{AuthState, SignedOutReason, TokenKind, TokenKinds, Verifier};
use http::{HeaderMap, HeaderValue};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_KEY: &str = "ak_3beecc9c60adb5f9b850e91a8ee1e992";
const M2M_TOKEN: &str = "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e";
const OAUTH_TOKEN: &str = "oat_0ef5a7a33d87ed87ee7954c845d80450";

fn verifier(server: &MockServer, accept: TokenKinds) -> Verifier {
    Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .accept(accept)
        .clock(fixed_clock)
        .build()
        .expect("valid settings")
}

async fn stub(
    server: &MockServer,
    endpoint: &str,
    body: serde_json::Value,
    status: u16,
    answer: serde_json::Value,
) {
    Mock::given(method("POST"))
        .and(path(endpoint))
        .and(header(
            "authorization",
            format!("Bearer {SECRET_KEY}").as_str(),
        ))
        .and(header("clerk-api-version", "2026-05-12"))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(status).set_body_json(answer))
        .mount(server)
        .await;
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header value"),
    );
    headers
}

fn api_key_answer() -> serde_json::Value {
    json!({
        "object": "api_key",
        "id": API_KEY,
        "type": "api_key",
        "subject": "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
        "name": "BILLING_SYNC",
        "description": null,
        "claims": {"team": "billing"},
        "scopes": ["read", "write"],
        "revoked": false,
        "revocation_reason": null,
        "expired": false,
        "expiration": null,
        "created_by": null,
        "last_used_at": null,
        "created_at": 1716883200000_i64,
        "updated_at": 1716883200000_i64,
        "a_field_added_later": true,
    })
}

#[tokio::test]
async fn api_key_is_verified_by_the_backend_api() {
    let server = MockServer::start().await;
    stub(
        &server,
        "/api_keys/verify",
        json!({"secret": API_KEY}),
        200,
        api_key_answer(),
    )
    .await;
    let verifier = verifier(&server, TokenKinds::SESSION | TokenKinds::API_KEY);

    let state = verifier.authenticate(&bearer(API_KEY)).await;
    let machine = state
        .principal()
        .and_then(|p| p.machine())
        .expect("signed in as a machine");
    assert_eq!(machine.kind, TokenKind::ApiKey);
    assert_eq!(machine.id, API_KEY);
    assert_eq!(machine.subject, "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk");
    assert_eq!(machine.name.as_deref(), Some("BILLING_SYNC"));
    assert_eq!(machine.scopes, ["read", "write"]);
    assert!(machine.has_scope("write"));
    assert_eq!(machine.claims, Some(json!({"team": "billing"})));
    assert_eq!(machine.raw().get("a_field_added_later"), Some(&json!(true)));
}

#[tokio::test]
async fn m2m_and_oauth_tokens_use_their_endpoints() {
    let server = MockServer::start().await;
    stub(
        &server,
        "/m2m_tokens/verify",
        json!({"token": M2M_TOKEN}),
        200,
        json!({
            "object": "machine_to_machine_token", "id": M2M_TOKEN,
            "subject": "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "claims": null,
            "scopes": ["mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em"], "revoked": false,
            "revocation_reason": null, "expired": false, "expiration": (NOW + 600) * 1000,
            "last_used_at": null, "created_at": 1, "updated_at": 1,
        }),
    )
    .await;
    stub(
        &server,
        "/oauth_applications/access_tokens/verify",
        json!({"access_token": OAUTH_TOKEN}),
        200,
        json!({
            "object": "clerk_idp_oauth_access_token", "id": OAUTH_TOKEN,
            "client_id": "client_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
            "subject": "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "scopes": ["profile", "email"],
            "revoked": false, "revocation_reason": null, "expired": false, "expiration": null,
            "created_at": 1, "updated_at": 1,
        }),
    )
    .await;
    let verifier = verifier(&server, TokenKinds::MACHINE);

    let m2m = verifier
        .verify_token(M2M_TOKEN, TokenKinds::MACHINE)
        .await
        .expect("valid");
    let m2m = m2m.machine().expect("machine");
    assert_eq!(
        (m2m.kind, m2m.subject.as_str()),
        (TokenKind::M2mToken, "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk")
    );
    assert_eq!(m2m.expiration_ms, Some((NOW + 600) * 1000));
    assert_eq!(m2m.claims, None);

    let oauth = verifier
        .verify_token(OAUTH_TOKEN, TokenKinds::MACHINE)
        .await
        .expect("valid");
    let oauth = oauth.machine().expect("machine");
    assert_eq!(oauth.kind, TokenKind::OAuthToken);
    assert_eq!(
        oauth.client_id.as_deref(),
        Some("client_2xhFjEI5X2qWRvtV13BzSj8H6Dk")
    );
    assert_eq!(oauth.scopes, ["profile", "email"]);
}

#[tokio::test]
async fn refusals_from_the_backend_api() {
    let server = MockServer::start().await;
    let not_found = json!({"errors": [{"code": "not_found", "message": "x", "long_message": "x"}]});
    stub(
        &server,
        "/api_keys/verify",
        json!({"secret": "ak_unknown"}),
        404,
        not_found,
    )
    .await;
    let mut revoked = api_key_answer();
    revoked["revoked"] = json!(true);
    revoked["revocation_reason"] = json!("leaked");
    stub(
        &server,
        "/api_keys/verify",
        json!({"secret": "ak_revoked"}),
        200,
        revoked,
    )
    .await;
    let mut expired = api_key_answer();
    expired["expiration"] = json!((NOW - 3600) * 1000);
    stub(
        &server,
        "/api_keys/verify",
        json!({"secret": "ak_expired"}),
        200,
        expired,
    )
    .await;
    stub(
        &server,
        "/api_keys/verify",
        json!({"secret": "ak_outage"}),
        500,
        json!({}),
    )
    .await;
    stub(
        &server,
        "/api_keys/verify",
        json!({"secret": "ak_badsecret"}),
        401,
        json!({}),
    )
    .await;
    stub(
        &server,
        "/oauth_applications/access_tokens/verify",
        json!({"access_token": "oat_inactive"}),
        200,
        json!({"active": false}),
    )
    .await;
    let verifier = verifier(&server, TokenKinds::ANY);

    let cases = [
        ("ak_unknown", SignedOutReason::TokenInvalid),
        ("ak_revoked", SignedOutReason::TokenRevoked),
        ("ak_expired", SignedOutReason::Expired),
        ("ak_outage", SignedOutReason::BackendUnavailable),
        ("ak_badsecret", SignedOutReason::BackendUnavailable),
        ("oat_inactive", SignedOutReason::Expired),
    ];
    for (token, expected) in cases {
        assert_eq!(
            verifier.verify_token(token, TokenKinds::ANY).await.err(),
            Some(expected),
            "{token}"
        );
    }
}

#[tokio::test]
async fn machine_tokens_are_refused_unless_accepted_without_calling_the_api() {
    let server = MockServer::start().await;
    stub(
        &server,
        "/api_keys/verify",
        json!({"secret": API_KEY}),
        200,
        api_key_answer(),
    )
    .await;
    let default = verifier(&server, TokenKinds::default());
    assert_eq!(
        default.authenticate(&bearer(API_KEY)).await,
        AuthState::SignedOut(SignedOutReason::TokenKindNotAccepted(TokenKind::ApiKey))
    );
    assert_eq!(
        default
            .verify_token(M2M_TOKEN, TokenKinds::API_KEY)
            .await
            .err(),
        Some(SignedOutReason::TokenKindNotAccepted(TokenKind::M2mToken))
    );
    // Per call, a route may accept more than the verifier's default.
    assert!(
        default
            .authenticate_with(&bearer(API_KEY), TokenKinds::API_KEY)
            .await
            .is_signed_in()
    );
    // Machine tokens never count when they arrive in the session cookie.
    let mut cookie = HeaderMap::new();
    cookie.insert(
        "cookie",
        HeaderValue::from_str(&format!("__session={API_KEY}")).expect("value"),
    );
    assert_eq!(
        default.authenticate_with(&cookie, TokenKinds::ANY).await,
        AuthState::SignedOut(SignedOutReason::TokenKindNotAccepted(TokenKind::ApiKey))
    );
    let calls = server.received_requests().await.unwrap_or_default().len();
    assert_eq!(calls, 1, "only the accepted call reached the API");
}

#[tokio::test]
async fn machine_jwts_verify_locally() {
    let key = TestKey::instance();
    let server = jwks_server(vec![key.jwk(KID)]).await;
    let verifier = verifier(&server, TokenKinds::SESSION);

    let m2m_jwt = key.sign(
        &serde_json::json!({"alg": "RS256", "kid": KID, "cat": "cl_B7d4PD333AAA"}),
        &json!({
            "sub": "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "jti": "mt_0123", "iat": NOW - 5,
            "exp": NOW + 300, "scopes": "mch_a mch_b", "custom": {"k": 1},
        }),
    );
    let principal = verifier
        .verify_token(&m2m_jwt, TokenKinds::M2M)
        .await
        .expect("valid M2M JWT");
    let m2m = principal.machine().expect("machine");
    assert_eq!(m2m.kind, TokenKind::M2mToken);
    assert_eq!(m2m.id, "mt_0123");
    assert_eq!(m2m.scopes, ["mch_a", "mch_b"]);
    assert_eq!(
        m2m.claims,
        Some(json!({"scopes": "mch_a mch_b", "custom": {"k": 1}}))
    );

    // Without the category, an M2M JWT is recognized by its machine subject.
    let uncategorized = key.sign(
        &rs256_header(KID),
        &json!({"sub": "mch_1", "exp": NOW + 300, "iat": NOW}),
    );
    let principal = verifier
        .verify_token(&uncategorized, TokenKinds::M2M)
        .await
        .expect("valid");
    assert_eq!(principal.kind(), TokenKind::M2mToken);

    let oauth_jwt = key.sign(
        &json!({"alg": "RS256", "kid": KID, "typ": "at+jwt"}),
        &json!({
            "sub": "user_1", "client_id": "client_1", "scope": "read write", "jti": "oat_1",
            "exp": NOW + 300, "iat": NOW,
        }),
    );
    let principal = verifier
        .verify_token(&oauth_jwt, TokenKinds::OAUTH)
        .await
        .expect("valid");
    let oauth = principal.machine().expect("machine");
    assert_eq!(
        (oauth.kind, oauth.client_id.as_deref()),
        (TokenKind::OAuthToken, Some("client_1"))
    );
    assert_eq!(oauth.scopes, ["read", "write"]);

    // Same checks as any JWT: an expired OAuth JWT, or one signed by another instance, fails.
    let expired = key.sign(
        &json!({"alg": "RS256", "kid": KID, "typ": "application/at+jwt"}),
        &json!({"sub": "user_1", "exp": NOW - 60}),
    );
    assert_eq!(
        verifier
            .verify_token(&expired, TokenKinds::OAUTH)
            .await
            .err(),
        Some(SignedOutReason::Expired)
    );
    let forged = TestKey::other().sign(
        &json!({"alg": "RS256", "kid": KID, "typ": "at+jwt"}),
        &json!({"sub": "user_1", "exp": NOW + 60}),
    );
    assert_eq!(
        verifier
            .verify_token(&forged, TokenKinds::OAUTH)
            .await
            .err(),
        Some(SignedOutReason::BadSignature)
    );
    // A session token is not accepted where only M2M tokens are.
    assert_eq!(
        verifier
            .verify_token(&key.session_token(), TokenKinds::M2M)
            .await
            .err(),
        Some(SignedOutReason::TokenKindNotAccepted(
            TokenKind::SessionToken
        ))
    );
}

#[tokio::test]
async fn opaque_tokens_need_a_secret_key() {
    let verifier = Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .accept(TokenKinds::ANY)
        .build()
        .expect("valid settings");
    assert_eq!(
        verifier.verify_token(API_KEY, TokenKinds::ANY).await.err(),
        Some(SignedOutReason::BackendUnavailable)
    );
}
