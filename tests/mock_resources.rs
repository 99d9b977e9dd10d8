//! The SDK against the embedded mock, end to end, for the resources that configure an
//! instance: domains and redirect URLs, organization roles, permissions, role sets and
//! domains, the waitlist, connections and directories, instance settings, templates,
//! sign-ups, second factors; and the mock's rate limiter against the SDK's retries.

use clerk_backend_api::prelude::*;
use clerk_backend_api::types::{
    AddDomainBody, AddRolesToRoleSetBody, CreateOrganizationBody, CreateOrganizationDomainBody,
    CreateOrganizationPermissionBody, CreateOrganizationRoleBody, CreateRedirectUrlBody,
    CreateRoleSetBody, CreateUserBody, CreateWaitlistEntryBody, InviteWaitlistEntryBody,
    UpdateDomainBody, UpdateInstanceOrganizationSettingsBody, UpdateInstanceRestrictionsBody,
    UpdateOrganizationDomainBody, UpdateOrganizationRoleBody, UpdateSignUpBody, UpsertTemplateBody,
    UpsertTemplateTemplateType, VerifyTotpBody,
};
use clerk_backend_api::{Clerk, RetryPolicy};
use clerk_mock::{MockServer, RateLimit};
use std::time::{Duration, Instant};

fn client(mock: &MockServer) -> Clerk {
    Clerk::builder(mock.secret_key())
        .base_url(mock.base_url())
        .build()
        .unwrap()
}

fn not_found<T: std::fmt::Debug>(result: Result<T, impl Into<Error>>) -> bool {
    match result.map_err(Into::into) {
        Err(e) => e.is_not_found(),
        Ok(v) => panic!("expected 404, got {v:?}"),
    }
}

#[tokio::test]
async fn domains_and_redirect_urls() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let added = clerk
        .add_domain()
        .body(
            AddDomainBody::builder()
                .name("shop.example.com")
                .is_satellite(true),
        )
        .send()
        .await
        .unwrap();
    assert!(added.is_satellite);
    let listed = clerk.list_domains().send().await.unwrap();
    assert_eq!(listed.total_count, 2);
    let updated = clerk
        .update_domain()
        .domain_id(&added.id)
        .body(UpdateDomainBody::builder().name(Nullable::from("store.example.com")))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.name, "store.example.com");
    clerk
        .delete_domain()
        .domain_id(&added.id)
        .send()
        .await
        .unwrap();
    assert_eq!(clerk.list_domains().send().await.unwrap().total_count, 1);

    let url = clerk
        .create_redirect_url()
        .body(CreateRedirectUrlBody::builder().url("myapp://callback"))
        .send()
        .await
        .unwrap();
    let got = clerk.get_redirect_url().id(&url.id).send().await.unwrap();
    assert_eq!(got.url, "myapp://callback");
    assert_eq!(clerk.list_redirect_urls().send().await.unwrap().len(), 1);
    clerk
        .delete_redirect_url()
        .id(&url.id)
        .send()
        .await
        .unwrap();
    assert!(not_found(clerk.get_redirect_url().id(&url.id).send().await));
}

#[tokio::test]
async fn roles_permissions_role_sets_and_organization_domains() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let permission = clerk
        .create_organization_permission()
        .body(
            CreateOrganizationPermissionBody::builder()
                .name("Read invoices")
                .key("org:invoices:read"),
        )
        .send()
        .await
        .unwrap();
    let role = clerk
        .create_organization_role()
        .body(
            CreateOrganizationRoleBody::builder()
                .name("Billing")
                .key("org:billing")
                .permissions(Nullable::from(vec![permission.id.clone()])),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(role.permissions[0].key, "org:invoices:read");
    let renamed = clerk
        .update_organization_role()
        .organization_role_id(&role.id)
        .body(UpdateOrganizationRoleBody::builder().name(Nullable::from("Finance")))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.name, "Finance");
    let roles = clerk.list_organization_roles().send().await.unwrap();
    assert_eq!(roles.total_count, 3);

    let set = clerk
        .create_role_set()
        .body(
            CreateRoleSetBody::builder()
                .name("Teams")
                .roles(vec!["org:admin".to_string(), "org:member".to_string()])
                .default_role_key("org:member")
                .creator_role_key("org:admin"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(set.key, "role_set:teams");
    let set = clerk
        .add_roles_to_role_set()
        .role_set_key_or_id(&set.key)
        .body(AddRolesToRoleSetBody::builder().role_keys(vec!["org:billing".to_string()]))
        .send()
        .await
        .unwrap();
    assert_eq!(set.roles.len(), 3);

    // Settings: the new role creates organizations.
    clerk
        .update_instance_organization_settings()
        .body(
            UpdateInstanceOrganizationSettingsBody::builder()
                .creator_role_id(Nullable::from(role.id.as_str())),
        )
        .send()
        .await
        .unwrap();
    let settings = clerk
        .get_instance_organization_settings()
        .send()
        .await
        .unwrap();
    assert_eq!(settings.creator_role, "org:billing");

    let org = clerk
        .create_organization()
        .body(CreateOrganizationBody::builder().name("Acme"))
        .send()
        .await
        .unwrap();
    let domain = clerk
        .create_organization_domain()
        .organization_id(&org.id)
        .body(
            CreateOrganizationDomainBody::builder()
                .name("acme.com".to_string())
                .verified(Nullable::Value(false)),
        )
        .send()
        .await
        .unwrap();
    let domain = clerk
        .update_organization_domain()
        .organization_id(&org.id)
        .domain_id(&domain.id)
        .body(UpdateOrganizationDomainBody::builder().verified(Nullable::Value(true)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        domain.verification.as_ref().map(|v| v.status.as_str()),
        Some("verified")
    );
    let all = clerk.list_all_organization_domains().send().await.unwrap();
    assert_eq!(all.total_count, 1);
    clerk
        .delete_organization_domain()
        .organization_id(&org.id)
        .domain_id(&domain.id)
        .send()
        .await
        .unwrap();
    let listed = clerk
        .list_organization_domains()
        .organization_id(&org.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.total_count, 0);

    // Unknown ids are Clerk's 404, for parents too.
    assert!(not_found(
        clerk
            .get_organization_role()
            .organization_role_id("role_nope")
            .send()
            .await
    ));
    assert!(not_found(
        clerk
            .list_organization_domains()
            .organization_id("org_nope")
            .send()
            .await
    ));
}

#[tokio::test]
async fn waitlist_templates_settings_and_sign_ups() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let entry = clerk
        .create_waitlist_entry()
        .body(CreateWaitlistEntryBody::builder().email_address("wait@example.com"))
        .send()
        .await
        .unwrap();
    let invited = clerk
        .invite_waitlist_entry()
        .waitlist_entry_id(&entry.id)
        .body(InviteWaitlistEntryBody::builder())
        .send()
        .await
        .unwrap();
    assert_eq!(invited.status.to_string(), "invited");
    let entries = clerk.list_waitlist_entries().send().await.unwrap();
    assert_eq!(entries.total_count, 1);
    assert_eq!(clerk.list_invitations().send().await.unwrap().len(), 1);

    let template = clerk
        .upsert_template()
        .template_type(UpsertTemplateTemplateType::Email)
        .slug("verification_code")
        .body(
            UpsertTemplateBody::builder()
                .subject(Nullable::from("Your code"))
                .body("<p>{{otp_code}}</p>".to_string()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(template.subject.as_deref(), Some("Your code"));
    assert_eq!(template.can_revert, Some(true));

    let restrictions = clerk
        .update_instance_restrictions()
        .body(UpdateInstanceRestrictionsBody::builder().blocklist(Nullable::Value(true)))
        .send()
        .await
        .unwrap();
    assert!(restrictions.blocklist);

    // A sign-up starts in the browser (the Frontend API), then the backend reads it.
    let fapi = format!("{}/client/sign_ups", mock.base_url());
    let started = post_form(&fapi, "email_address=new%40example.com").await;
    let id = started
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a sign-up id")
        .to_string();
    let sign_up = clerk.get_sign_up().id(&id).send().await.unwrap();
    assert_eq!(sign_up.email_address.as_deref(), Some("new@example.com"));
    let sign_up = clerk
        .update_sign_up()
        .id(&id)
        .body(UpdateSignUpBody::builder().external_id(Nullable::from("crm-1")))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_up.external_id.as_deref(), Some("crm-1"));
}

/// A form POST over a plain TCP connection (the Frontend API takes no secret key).
async fn post_form(url: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
}

#[tokio::test]
async fn second_factors() {
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let user = clerk
        .create_user()
        .body(
            CreateUserBody::builder()
                .email_address(vec!["mfa@example.com".to_string()])
                .backup_codes(vec!["12345678".to_string()]),
        )
        .send()
        .await
        .unwrap();
    assert!(user.backup_code_enabled);
    let verified = clerk
        .verify_totp()
        .user_id(&user.id)
        .body(VerifyTotpBody::builder().code("12345678"))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.verified, Some(true));
    let again: Error = clerk
        .verify_totp()
        .user_id(&user.id)
        .body(VerifyTotpBody::builder().code("12345678"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some("form_code_incorrect"));
    clerk.disable_mfa().user_id(&user.id).send().await.unwrap();
    assert!(not_found(
        clerk.disable_mfa().user_id("user_nope").send().await
    ));
}

#[cfg(feature = "enterprise-sso")]
#[tokio::test]
async fn enterprise_connections_and_directories() {
    use clerk_backend_api::types::{
        CreateDirectoryBody, CreateEnterpriseConnectionBody,
        CreateEnterpriseConnectionBodyProvider, UpdateEnterpriseConnectionBody,
    };
    let mock = MockServer::start().await;
    let clerk = client(&mock);
    let connection = clerk
        .create_enterprise_connection()
        .body(
            CreateEnterpriseConnectionBody::builder()
                .name("Corp")
                .provider(CreateEnterpriseConnectionBodyProvider::SamlOkta)
                .domains(vec!["corp.com".to_string()]),
        )
        .send()
        .await
        .unwrap();
    let connection = clerk
        .update_enterprise_connection()
        .enterprise_connection_id(&connection.id)
        .body(UpdateEnterpriseConnectionBody::builder().active(Nullable::Value(true)))
        .send()
        .await
        .unwrap();
    assert!(connection.active);
    let listed = clerk
        .list_enterprise_connections()
        .active(true)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.total_count, 1);
    let directory = clerk
        .create_directory()
        .body(
            CreateDirectoryBody::builder()
                .enterprise_connection_id(connection.id.clone())
                .provider("okta"),
        )
        .send()
        .await
        .unwrap();
    assert!(directory.api_key.is_some());
    let got = clerk
        .get_directory()
        .directory_id(&directory.id)
        .send()
        .await
        .unwrap();
    assert!(got.api_key.is_none(), "shown once");
    clerk
        .delete_enterprise_connection()
        .enterprise_connection_id(&connection.id)
        .send()
        .await
        .unwrap();
    assert!(not_found(
        clerk
            .get_enterprise_connection()
            .enterprise_connection_id(&connection.id)
            .send()
            .await
    ));
}

#[tokio::test]
async fn the_sdk_waits_out_the_mocks_rate_limit() {
    let mock = MockServer::builder()
        .rate_limit(RateLimit::new(3, Duration::from_secs(1)))
        .start()
        .await
        .unwrap();
    let clerk = client(&mock);
    let strict = clerk.with_retry_policy(RetryPolicy::disabled());
    for _ in 0..3 {
        strict.get_user_list().send().await.unwrap();
    }
    // Without retries: Clerk's 429 with its Retry-After.
    let refused: Error = strict.get_user_list().send().await.unwrap_err();
    assert!(refused.is_rate_limited(), "{refused:?}");
    assert_eq!(refused.code(), Some("too_many_requests"));
    let wait = refused.retry_after().expect("Retry-After");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(1),
        "{wait:?}"
    );

    // With the default policy the SDK waits as told and then succeeds.
    let started = Instant::now();
    for _ in 0..3 {
        strict.get_user_list().send().await.ok();
    }
    clerk.get_user_list().send().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "the retry waited for the next window: {:?}",
        started.elapsed()
    );
}
