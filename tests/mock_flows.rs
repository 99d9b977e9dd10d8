//! The SDK against the embedded mock server, end to end: users,
//! impersonation, sessions and their tokens, organizations, allow and block
//! lists, invitations, sign-in and testing tokens, and Clerk's errors.

use clerk_backend_api::auth::Verifier;
use clerk_backend_api::impersonation::Impersonation;
use clerk_backend_api::prelude::*;
use clerk_backend_api::types::{
    ActorTokenStatus, CreateAllowlistIdentifierBody, CreateInvitationBody, CreateOrganizationBody,
    CreateOrganizationInvitationBody, CreateOrganizationMembershipBody, CreateSessionBody,
    CreateSessionTokenBody, CreateSignInTokenBody, CreateUserBody, UpdateUserMetadataBody, User,
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

fn map(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

async fn create_user(clerk: &Clerk, email: &str, first: &str) -> User {
    clerk
        .create_user()
        .body(
            CreateUserBody::builder()
                .email_address(vec![email.to_string()])
                .first_name(first)
                .skip_password_requirement(true),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn users_lifecycle() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let ada = create_user(&clerk, "ada@example.com", "Ada").await;
    assert_eq!(ada.first_name.as_deref(), Some("Ada"));
    assert_eq!(ada.email_addresses[0].email_address, "ada@example.com");

    // Duplicate email: Clerk's error code.
    let err: Error = clerk
        .create_user()
        .body(CreateUserBody::builder().email_address(vec!["ada@example.com".to_string()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("form_identifier_exists"));

    // Update with an explicit null, metadata merge, ban and lock.
    let updated = clerk
        .update_user()
        .user_id(&ada.id)
        .body(
            clerk_backend_api::types::UpdateUserBody::builder()
                .first_name(Nullable::Null)
                .last_name(Nullable::from("King")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.first_name, None);
    assert_eq!(updated.last_name.as_deref(), Some("King"));
    clerk
        .update_user_metadata()
        .user_id(&ada.id)
        .body(
            UpdateUserMetadataBody::builder()
                .public_metadata(map(json!({"plan": "pro", "seats": 3}))),
        )
        .send()
        .await
        .unwrap();
    let merged = clerk
        .update_user_metadata()
        .user_id(&ada.id)
        .body(
            UpdateUserMetadataBody::builder()
                .public_metadata(map(json!({"seats": null, "region": "eu"}))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        Value::Object(merged.public_metadata.clone()),
        json!({"plan": "pro", "region": "eu"})
    );
    assert!(
        clerk
            .ban_user()
            .user_id(&ada.id)
            .send()
            .await
            .unwrap()
            .banned
    );
    assert!(
        !clerk
            .unban_user()
            .user_id(&ada.id)
            .send()
            .await
            .unwrap()
            .banned
    );
    assert!(
        clerk
            .lock_user()
            .user_id(&ada.id)
            .send()
            .await
            .unwrap()
            .locked
    );
    assert!(
        !clerk
            .unlock_user()
            .user_id(&ada.id)
            .send()
            .await
            .unwrap()
            .locked
    );

    // Delete, then 404.
    assert!(
        clerk
            .delete_user()
            .user_id(&ada.id)
            .send()
            .await
            .unwrap()
            .deleted
    );
    let err: Error = clerk.get_user().user_id(&ada.id).send().await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.code(), Some("resource_not_found"));
    assert!(err.trace_id().is_some());
}

#[tokio::test]
async fn listing_filtering_and_paging_users() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    for i in 0..7 {
        create_user(&clerk, &format!("user{i}@example.com"), &format!("User{i}")).await;
    }
    let all: Vec<User> = clerk
        .get_user_list()
        .order_by("+created_at")
        .pages_of(3)
        .try_concat()
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0].first_name.as_deref(), Some("User0"));
    let newest_first: Vec<User> = clerk
        .get_user_list()
        .order_by("-created_at")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(newest_first[0].first_name.as_deref(), Some("User6"));
    let filtered = clerk
        .get_user_list()
        .email_address(vec![
            "user2@example.com".to_string(),
            "user5@example.com".to_string(),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.len(), 2);
    let count = clerk.get_users_count().query("user").send().await.unwrap();
    assert_eq!(count.total_count, 7);
}

#[tokio::test]
async fn impersonation_end_to_end() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let customer = create_user(&clerk, "customer@example.com", "Customer").await;
    let agent = create_user(&clerk, "agent@example.com", "Agent").await;

    let token = clerk
        .impersonate(
            Impersonation::new(&customer.id, &agent.id)
                .claim("ticket", "SUP-9")
                .claim("level", 2),
        )
        .await
        .unwrap();
    assert_eq!(token.status, ActorTokenStatus::Pending);
    assert_eq!(token.actor["ticket"], "SUP-9");

    // Following the URL accepts the token and yields a session token whose
    // `act` claim carries the whole actor payload.
    let accepted: Value = reqwest::get(token.url.clone().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .secret_key(mock.secret_key())
        .api_url(mock.base_url())
        .issuer(mock.issuer())
        .build()
        .unwrap();
    let claims = verifier
        .verify_session_token(accepted["jwt"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.sub, customer.id);
    let act = claims.act.unwrap();
    assert_eq!(act.sub, agent.id);
    assert_eq!(act.extra["ticket"], "SUP-9");
    assert_eq!(act.extra["level"], 2);

    // A used token cannot be revoked; a pending one can, once.
    let err = clerk.revoke_impersonation(&token.id).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let pending = clerk
        .impersonate(Impersonation::new(&customer.id, &agent.id))
        .await
        .unwrap();
    let revoked = clerk.revoke_impersonation(&pending.id).await.unwrap();
    assert_eq!(revoked.status, ActorTokenStatus::Revoked);
    assert!(clerk.revoke_impersonation(&pending.id).await.is_err());
}

#[tokio::test]
async fn sessions_and_their_tokens_verify() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let user = create_user(&clerk, "s@example.com", "S").await;
    let session = clerk
        .create_session()
        .body(CreateSessionBody::builder().user_id(user.id.clone()))
        .send()
        .await
        .unwrap();
    let token = clerk
        .create_session_token()
        .session_id(&session.id)
        .body(CreateSessionTokenBody::builder())
        .send()
        .await
        .unwrap();
    let verifier = Verifier::builder()
        .secret_key(mock.secret_key())
        .api_url(mock.base_url())
        .issuer(mock.issuer())
        .build()
        .unwrap();
    let claims = verifier
        .verify_session_token(token.jwt.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.sid.as_deref(), Some(session.id.as_str()));

    let listed = clerk
        .get_session_list()
        .user_id(&user.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let revoked = clerk
        .revoke_session()
        .session_id(&session.id)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status.as_str(), "revoked");

    // The JWKS the verifier used is reachable through the client too.
    let jwks = clerk.get_jwks().send().await.unwrap();
    assert!(!jwks.keys.is_empty());
}

#[tokio::test]
async fn organizations_memberships_and_invitations() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let owner = create_user(&clerk, "owner@example.com", "Owner").await;
    let member = create_user(&clerk, "member@example.com", "Member").await;
    let org = clerk
        .create_organization()
        .body(
            CreateOrganizationBody::builder()
                .name("Engines Ltd")
                .created_by(&owner.id),
        )
        .send()
        .await
        .unwrap();
    clerk
        .create_organization_membership()
        .organization_id(&org.id)
        .body(
            CreateOrganizationMembershipBody::builder()
                .user_id(member.id.clone())
                .role("org:member"),
        )
        .send()
        .await
        .unwrap();
    let memberships = clerk
        .list_organization_memberships()
        .organization_id(&org.id)
        .send()
        .await
        .unwrap();
    assert_eq!(memberships.total_count, 2, "the creator and the new member");
    let invitation = clerk
        .create_organization_invitation()
        .organization_id(&org.id)
        .body(
            CreateOrganizationInvitationBody::builder()
                .email_address("guest@example.com")
                .role("org:member")
                .inviter_user_id(&owner.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        invitation
            .status
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("pending")
    );
    let orgs: Vec<_> = clerk
        .list_organizations()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(orgs.len(), 1);
}

#[tokio::test]
async fn allow_and_block_lists_invitations_and_tokens() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let allowed = clerk
        .create_allowlist_identifier()
        .body(
            CreateAllowlistIdentifierBody::builder()
                .identifier("@example.com")
                .notify(false),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.identifier.as_deref(), Some("@example.com"));
    assert_eq!(
        clerk
            .list_allowlist_identifiers()
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    clerk
        .delete_allowlist_identifier()
        .identifier_id(allowed.id.clone().unwrap())
        .send()
        .await
        .unwrap();

    let invitation = clerk
        .create_invitation()
        .body(CreateInvitationBody::builder().email_address("new@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(invitation.status.as_str(), "pending");
    let revoked = clerk
        .revoke_invitation()
        .invitation_id(&invitation.id)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status.as_str(), "revoked");

    let user = create_user(&clerk, "t@example.com", "T").await;
    let sign_in = clerk
        .create_sign_in_token()
        .body(CreateSignInTokenBody::builder().user_id(user.id.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status.as_str(), "pending");
    assert!(sign_in.token.is_some());
    let testing = clerk.create_testing_token().send().await.unwrap();
    assert!(!testing.token.is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_refused() {
    let mock = MockServer::start().await;
    let clerk = Clerk::builder("sk_test_not_the_right_one")
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let err: Error = clerk.get_user_list().send().await.unwrap_err();
    assert!(err.is_unauthorized());
    assert!(err.code().is_some());
}
