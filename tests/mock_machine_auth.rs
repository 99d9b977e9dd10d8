//! The SDK against the embedded mock for machine authentication, clients and JWT templates:
//! each resource family end to end through the generated client, and the tokens the mock signs
//! (M2M JWTs, JWT-template tokens, OAuth JWTs) or stores (API keys, opaque M2M and OAuth
//! tokens) verified by `auth::Verifier` against the mock, as an application would.

use clerk_backend_api::auth::{Principal, SignedOutReason, TokenKind, TokenKinds, Verifier};
use clerk_backend_api::prelude::*;
use clerk_backend_api::types::{
    CreateApiKeyBody, CreateJwtTemplateBody, CreateMachineBody, CreateMachineScopeBody,
    CreateOauthApplicationBody, CreateSessionBody, CreateSessionTokenFromTemplateBody,
    CreateUserBody, RevokeApiKeyBody, RevokeM2mTokenBody, RevokeOauthApplicationTokenBody,
    RotateMachineSecretKeyBody, UpdateApiKeyBody, UpdateJwtTemplateBody, UpdateMachineBody,
    UpdateOauthApplicationBody, VerifyApiKeyBody, VerifyClientBody, VerifyM2mTokenBody,
    VerifyOauthAccessTokenBody, VerifyOauthAccessTokenResponse,
};
use clerk_mock::MockServer;
use futures::TryStreamExt;
use serde_json::{Map, Value, json};

fn client(mock: &MockServer) -> Clerk {
    Clerk::builder(mock.secret_key())
        .base_url(mock.base_url())
        .build()
        .unwrap()
}

fn verifier(mock: &MockServer, accept: TokenKinds) -> Verifier {
    Verifier::builder()
        .secret_key(mock.secret_key())
        .api_url(mock.base_url())
        .issuer(mock.issuer())
        .accept(accept)
        .build()
        .unwrap()
}

fn machine_claims(principal: Principal) -> clerk_backend_api::auth::MachineClaims {
    match principal {
        Principal::Machine(claims) => *claims,
        Principal::Session(claims) => panic!("expected a machine token, got a session: {claims:?}"),
    }
}

async fn user(clerk: &Clerk, email: &str) -> String {
    clerk
        .create_user()
        .body(
            CreateUserBody::builder()
                .email_address(vec![email.to_string()])
                .first_name(Nullable::from("Grace"))
                .skip_password_requirement(Nullable::Value(true)),
        )
        .send()
        .await
        .unwrap()
        .id
}

/// Creates an M2M token with a machine's secret key. The SDK authenticates with the instance's
/// secret key only, and Clerk creates M2M tokens for the machine whose key is presented.
async fn create_m2m_token(mock: &MockServer, machine_key: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/m2m_tokens", mock.base_url()))
        .bearer_auth(machine_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn api_keys_through_the_sdk() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let owner = user(&clerk, "owner@example.com").await;

    let created = clerk
        .create_api_key()
        .body(
            CreateApiKeyBody::builder()
                .name("reporting")
                .subject(owner.clone())
                .scopes(vec!["read:reports".to_string()])
                .claims(json!({ "tier": "gold" })),
        )
        .send()
        .await
        .unwrap();
    assert!(created.secret.starts_with("ak_"));
    let fetched = clerk
        .get_api_key()
        .api_key_id(&created.id)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.name, "reporting");
    let secret = clerk
        .get_api_key_secret()
        .api_key_id(&created.id)
        .send()
        .await
        .unwrap();
    assert_eq!(secret.secret, created.secret);
    clerk
        .create_api_key()
        .body(
            CreateApiKeyBody::builder()
                .name("second")
                .subject(owner.clone()),
        )
        .send()
        .await
        .unwrap();
    let all: Vec<_> = clerk
        .get_api_keys()
        .subject(&owner)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let updated = clerk
        .update_api_key()
        .api_key_id(&created.id)
        .body(UpdateApiKeyBody::builder().description(Nullable::from("nightly reports")))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.description.as_deref(), Some("nightly reports"));
    assert_eq!(updated.scopes, ["read:reports"], "scopes left out stay");

    // The SDK's verifier asks the mock, which knows the secret.
    let verifier = verifier(&mock, TokenKinds::API_KEY);
    let claims = machine_claims(
        verifier
            .verify_token(&created.secret, TokenKinds::API_KEY)
            .await
            .unwrap(),
    );
    assert_eq!(claims.kind, TokenKind::ApiKey);
    assert_eq!(claims.subject, owner);
    assert!(claims.has_scope("read:reports"));
    assert_eq!(claims.claims, Some(json!({ "tier": "gold" })));
    let verified = clerk
        .verify_api_key()
        .body(VerifyApiKeyBody::builder().secret(created.secret.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.id, created.id);

    let revoked = clerk
        .revoke_api_key()
        .api_key_id(&created.id)
        .body(RevokeApiKeyBody::builder().revocation_reason(Nullable::from("rotated")))
        .send()
        .await
        .unwrap();
    assert!(revoked.revoked);
    let err: Error = clerk
        .verify_api_key()
        .body(VerifyApiKeyBody::builder().secret(created.secret.clone()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(
        verifier
            .verify_token(&created.secret, TokenKinds::API_KEY)
            .await
            .unwrap_err(),
        SignedOutReason::TokenInvalid
    );

    clerk
        .delete_api_key()
        .api_key_id(&created.id)
        .send()
        .await
        .unwrap();
    let err: Error = clerk
        .get_api_key()
        .api_key_id(&created.id)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn machines_and_m2m_tokens_through_the_sdk() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let api = clerk
        .create_machine()
        .body(CreateMachineBody::builder().name("orders-api"))
        .send()
        .await
        .unwrap();
    let worker = clerk
        .create_machine()
        .body(CreateMachineBody::builder().name("worker"))
        .send()
        .await
        .unwrap();
    let scope = clerk
        .create_machine_scope()
        .machine_id(&worker.id)
        .body(CreateMachineScopeBody::builder().to_machine_id(api.id.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(scope.to_machine_id, api.id);
    let fetched = clerk
        .get_machine()
        .machine_id(&worker.id)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.scoped_machines[0].id, api.id);
    let listed = clerk.list_machines().send().await.unwrap();
    assert_eq!(listed.total_count, 2);
    let renamed = clerk
        .update_machine()
        .machine_id(&worker.id)
        .body(UpdateMachineBody::builder().name("billing-worker".to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.name, "billing-worker");
    let rotated = clerk
        .rotate_machine_secret_key()
        .machine_id(&worker.id)
        .body(RotateMachineSecretKeyBody::builder().previous_token_ttl(0))
        .send()
        .await
        .unwrap();
    assert_ne!(rotated.secret, worker.secret_key);
    let key = clerk
        .get_machine_secret_key()
        .machine_id(&worker.id)
        .send()
        .await
        .unwrap();
    assert_eq!(key.secret, rotated.secret);

    // An opaque token: verified by the mock (through the SDK and through the verifier).
    let opaque = create_m2m_token(&mock, &key.secret, json!({ "claims": { "job": "sync" } })).await;
    let token = opaque["token"].as_str().unwrap().to_string();
    let verified = clerk
        .verify_m2m_token()
        .body(VerifyM2mTokenBody::builder().token(token.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.subject, worker.id);
    assert_eq!(verified.scopes, std::slice::from_ref(&api.id));
    let verifier = verifier(&mock, TokenKinds::M2M);
    let claims = machine_claims(
        verifier
            .verify_token(&token, TokenKinds::M2M)
            .await
            .unwrap(),
    );
    assert_eq!(claims.subject, worker.id);
    assert!(claims.has_scope(&api.id));
    let listed = clerk
        .get_m2m_tokens()
        .subject(&worker.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.m2m_tokens.len(), 1);
    clerk
        .revoke_m2m_token()
        .m2m_token_id(opaque["id"].as_str().unwrap())
        .body(RevokeM2mTokenBody::builder())
        .send()
        .await
        .unwrap();
    let err: Error = clerk
        .verify_m2m_token()
        .body(VerifyM2mTokenBody::builder().token(token.clone()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(
        verifier
            .verify_token(&token, TokenKinds::M2M)
            .await
            .unwrap_err(),
        SignedOutReason::TokenInvalid
    );

    // A JWT: verified locally against the mock's JWKS, custom claims and scopes included.
    let jwt = create_m2m_token(
        &mock,
        &key.secret,
        json!({ "token_format": "jwt", "claims": { "job": "export" } }),
    )
    .await;
    let claims = machine_claims(
        verifier
            .verify_token(jwt["token"].as_str().unwrap(), TokenKinds::M2M)
            .await
            .unwrap(),
    );
    assert_eq!(claims.kind, TokenKind::M2mToken);
    assert_eq!(claims.subject, worker.id);
    assert_eq!(claims.id, jwt["id"].as_str().unwrap());
    assert_eq!(claims.scopes, std::slice::from_ref(&api.id));
    assert_eq!(
        claims.claims.as_ref().and_then(|c| c.get("job")),
        Some(&json!("export"))
    );

    clerk
        .delete_machine_scope()
        .machine_id(&worker.id)
        .other_machine_id(&api.id)
        .send()
        .await
        .unwrap();
    clerk
        .delete_machine()
        .machine_id(&worker.id)
        .send()
        .await
        .unwrap();
    let err: Error = clerk
        .get_machine()
        .machine_id(&worker.id)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn oauth_applications_and_tokens_through_the_sdk() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let grace = user(&clerk, "grace@example.com").await;
    let app = clerk
        .create_oauth_application()
        .body(
            CreateOauthApplicationBody::builder()
                .name("Partner portal")
                .redirect_uris(Nullable::from(vec![
                    "https://partner.example.com/callback".to_string(),
                ])),
        )
        .send()
        .await
        .unwrap();
    assert!(app.client_secret.is_some());
    let listed = clerk.list_oauth_applications().send().await.unwrap();
    assert_eq!(listed.data[0].id, app.id);
    let updated = clerk
        .update_oauth_application()
        .oauth_application_id(&app.id)
        .body(
            UpdateOauthApplicationBody::builder()
                .scopes(Nullable::from("profile email public_metadata")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.scopes, "profile email public_metadata");
    let fetched = clerk
        .get_oauth_application()
        .oauth_application_id(&app.id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fetched.redirect_uris,
        ["https://partner.example.com/callback"]
    );
    let rotated = clerk
        .rotate_oauth_application_secret()
        .oauth_application_id(&app.id)
        .send()
        .await
        .unwrap();
    assert_ne!(rotated.client_secret, app.client_secret);

    // Opaque token: verified by the mock through the SDK and the verifier, then revoked.
    let token = mock
        .oauth_access_token(&app.client_id, &grace)
        .scopes(["email"])
        .issue()
        .unwrap();
    let verified = clerk
        .verify_oauth_access_token()
        .body(VerifyOauthAccessTokenBody::builder().access_token(token.access_token.clone()))
        .send()
        .await
        .unwrap();
    match verified {
        VerifyOauthAccessTokenResponse::Variant0(active) => {
            assert_eq!(active.subject, grace);
            assert_eq!(active.scopes, ["email"]);
        }
        other => panic!("expected an active token, got {other:?}"),
    }
    let verifier = verifier(&mock, TokenKinds::OAUTH);
    let claims = machine_claims(
        verifier
            .verify_token(&token.access_token, TokenKinds::OAUTH)
            .await
            .unwrap(),
    );
    assert_eq!(claims.client_id.as_deref(), Some(app.client_id.as_str()));
    clerk
        .revoke_oauth_application_token()
        .oauth_application_id(&app.id)
        .body(RevokeOauthApplicationTokenBody::builder().token(token.access_token.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        verifier
            .verify_token(&token.access_token, TokenKinds::OAUTH)
            .await
            .unwrap_err(),
        SignedOutReason::TokenInvalid
    );

    // JWT token: verified locally against the JWKS.
    let jwt = mock
        .oauth_access_token(&app.client_id, &grace)
        .jwt()
        .issue()
        .unwrap();
    let claims = machine_claims(
        verifier
            .verify_token(&jwt.access_token, TokenKinds::OAUTH)
            .await
            .unwrap(),
    );
    assert_eq!(claims.kind, TokenKind::OAuthToken);
    assert_eq!(claims.subject, grace);
    assert_eq!(claims.id, jwt.id);

    clerk
        .delete_oauth_application()
        .oauth_application_id(&app.id)
        .send()
        .await
        .unwrap();
    let err: Error = clerk
        .get_oauth_application()
        .oauth_application_id(&app.id)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn jwt_templates_and_their_tokens_through_the_sdk() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let grace = user(&clerk, "hopper@example.com").await;
    let claims: Map<String, Value> = json!({
        "aud": "convex",
        "email": "{{user.primary_email_address}}",
        "name": "{{user.first_name}}",
    })
    .as_object()
    .cloned()
    .unwrap();
    let template = clerk
        .create_jwt_template()
        .body(
            CreateJwtTemplateBody::builder()
                .name("convex")
                .claims(claims)
                .lifetime(Nullable::Value(600)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(template.lifetime, 600);
    let listed = clerk.list_jwt_templates().send().await.unwrap();
    assert_eq!(listed.len(), 1);
    let fetched = clerk
        .get_jwt_template()
        .template_id(&template.id)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.name, "convex");

    let session = clerk
        .create_session()
        .body(CreateSessionBody::builder().user_id(grace.clone()))
        .send()
        .await
        .unwrap();
    let token = clerk
        .create_session_token_from_template()
        .session_id(&session.id)
        .template_name("convex")
        .body(CreateSessionTokenFromTemplateBody::builder())
        .send()
        .await
        .unwrap();
    // The template token verifies against the mock's JWKS like a session token.
    let verified = verifier(&mock, TokenKinds::SESSION)
        .verify_session_token(token.jwt.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(verified.sub, grace);
    assert_eq!(verified.sid.as_deref(), Some(session.id.as_str()));
    assert_eq!(verified.get("email"), Some(&json!("hopper@example.com")));
    assert_eq!(verified.get("name"), Some(&json!("Grace")));
    assert_eq!(verified.get("aud"), Some(&json!("convex")));
    assert_eq!(verified.exp - verified.iat.unwrap(), 600);

    let renamed: Map<String, Value> = json!({ "role": "reader" }).as_object().cloned().unwrap();
    let updated = clerk
        .update_jwt_template()
        .template_id(&template.id)
        .body(
            UpdateJwtTemplateBody::builder()
                .name("convex-v2")
                .claims(renamed),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.name, "convex-v2");
    clerk
        .delete_jwt_template()
        .template_id(&template.id)
        .send()
        .await
        .unwrap();
    let err: Error = clerk
        .get_jwt_template()
        .template_id(&template.id)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    let err: Error = clerk
        .create_session_token_from_template()
        .session_id(&session.id)
        .template_name("convex-v2")
        .body(CreateSessionTokenFromTemplateBody::builder())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn clients_through_the_sdk() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let grace = user(&clerk, "clients@example.com").await;
    let session = clerk
        .create_session()
        .body(CreateSessionBody::builder().user_id(grace))
        .send()
        .await
        .unwrap();
    let listed = clerk.get_client_list().send().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, session.client_id);
    let fetched = clerk
        .get_client()
        .client_id(&session.client_id)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.session_ids, std::slice::from_ref(&session.id));
    let token = mock.client_token(&session.client_id).unwrap();
    let verified = clerk
        .verify_client()
        .body(VerifyClientBody::builder().token(token))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.id, session.client_id);
    let err: Error = clerk
        .verify_client()
        .body(VerifyClientBody::builder().token("not-a-client-token"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("cookie_invalid"));
}
