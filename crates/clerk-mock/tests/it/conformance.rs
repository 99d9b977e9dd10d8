//! Every operation of the description, called with valid input against a server holding a few
//! resources, answers its documented success status with a body its schema accepts.

use crate::common::{Api, read, s};
use crate::conformance_machine::{self as machine, MachineFixtures};
use crate::schema::{self, spec};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

const PASSWORD: &str = "correct horse battery";

/// Resources every operation can refer to.
struct Fixtures {
    user: String,
    outsider: String,
    email_id: String,
    phone_id: String,
    org: String,
    session: String,
    actor_token: String,
    sign_in_token: String,
    org_invitation: String,
    invitation: String,
    allowlist: String,
    blocklist: String,
    machine: MachineFixtures,
    managed: Managed,
}

/// Resources of the instance-configuration operations.
struct Managed {
    domain: String,
    redirect_url: String,
    /// A permission the fixture role has, and one it lacks.
    permission: String,
    spare_permission: String,
    role: String,
    role_set: String,
    org_domain: String,
    waitlist: String,
    saml: String,
    enterprise: String,
    directory: String,
    mapping: String,
    sign_up: String,
    wallet: String,
    email_verification: String,
    phone_verification: String,
    agent_task: String,
    portal_link: String,
}

/// A wallet address for the fixture user.
const WALLET: &str = "0x52908400098527886e0f7030069857d2e4169ee7";
const BACKUP_CODE: &str = "31415926";

async fn managed_fixtures(api: &Api, user: &Value, org: &str) -> Managed {
    let ok = |(status, body): (StatusCode, Value)| {
        assert!(status.is_success(), "fixture setup failed: {body}");
        body
    };
    let id = |v: Value| s(&v, "id");
    let domain = id(ok(api
        .post(
            "/domains",
            json!({ "name": "satellite.example.com", "is_satellite": true }),
        )
        .await));
    let redirect_url = id(ok(api
        .post("/redirect_urls", json!({ "url": "myapp://callback" }))
        .await));
    let permission = id(ok(api
        .post(
            "/organization_permissions",
            json!({ "name": "Read reports", "key": "org:reports:read" }),
        )
        .await));
    let spare_permission = id(ok(api
        .post(
            "/organization_permissions",
            json!({ "name": "Write reports", "key": "org:reports:write" }),
        )
        .await));
    let role = id(ok(api
        .post(
            "/organization_roles",
            json!({ "name": "Auditor", "key": "org:auditor", "permissions": [permission] }),
        )
        .await));
    let set = |key: &str| {
        json!({
            "name": key, "key": key, "roles": ["org:admin", "org:member"],
            "default_role_key": "org:member", "creator_role_key": "org:admin",
        })
    };
    let role_set = id(ok(api.post("/role_sets", set("role_set:main")).await));
    ok(api.post("/role_sets", set("role_set:other")).await);
    let org_domain = id(ok(api
        .post(
            &format!("/organizations/{org}/domains"),
            json!({ "name": "acme.example.com", "enrollment_mode": "automatic_invitation" }),
        )
        .await));
    let waitlist = id(ok(api
        .post(
            "/waitlist_entries",
            json!({ "email_address": "waiting@example.com" }),
        )
        .await));
    let saml = id(ok(api
        .post(
            "/saml_connections",
            json!({ "name": "Okta", "provider": "saml_okta", "domains": ["saml.example.com"] }),
        )
        .await));
    let enterprise = id(ok(api
        .post(
            "/enterprise_connections",
            json!({ "name": "Corp", "provider": "oidc_custom", "domains": ["corp.example.com"] }),
        )
        .await));
    let directory = ok(api
        .post(
            "/directories",
            json!({
                "enterprise_connection_id": enterprise, "provider": "okta",
                "group_role_mappings": [{ "directory_group_id": "g1", "role_id": role }],
            }),
        )
        .await);
    let directory = id(directory);
    let (_, mappings) = api
        .get(&format!("/directories/{directory}/group_role_mappings"))
        .await;
    let mapping = s(&mappings["data"][0], "id");
    let response = api
        .http
        .post(api.url("/client/sign_ups"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email_address=signing-up%40example.com&password=correct+horse+battery")
        .send()
        .await
        .expect("the mock answers");
    let (status, sign_up) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{sign_up}");
    ok(api
        .put(
            "/templates/email/verification_code",
            json!({ "body": "<p>{{otp_code}}</p>" }),
        )
        .await);
    let email = s(&user["email_addresses"][0], "id");
    let phone = s(&user["phone_numbers"][0], "id");
    let email_verification = id(ok(api
        .post(
            &format!("/email_addresses/{email}/prepare_verification"),
            json!({}),
        )
        .await));
    let phone_verification = id(ok(api
        .post(
            &format!("/phone_numbers/{phone}/prepare_verification"),
            json!({}),
        )
        .await));
    let agent_task = ok(api
        .post(
            "/agents/tasks",
            json!({
                "on_behalf_of": { "user_id": user["id"] }, "permissions": "*",
                "agent_name": "helper", "task_description": "tidy up",
                "redirect_url": "https://example.com/done",
            }),
        )
        .await);
    let portal_link = id(ok(api.post("/admin_portal_link_tokens", json!({})).await));
    Managed {
        agent_task: s(&agent_task, "agent_task_id"),
        portal_link,
        domain,
        redirect_url,
        permission,
        spare_permission,
        role,
        role_set,
        org_domain,
        waitlist,
        saml,
        enterprise,
        directory,
        mapping,
        sign_up: s(&sign_up["response"], "id"),
        wallet: s(&user["web3_wallets"][0], "id"),
        email_verification,
        phone_verification,
    }
}

async fn fixtures(api: &Api) -> Fixtures {
    let ok = |(status, body): (StatusCode, Value)| {
        assert_eq!(status, StatusCode::OK, "fixture setup failed: {body}");
        body
    };
    let user = ok(api
        .post(
            "/users",
            json!({
                "email_address": ["owner@example.com"], "phone_number": ["+15555550100"],
                "password": PASSWORD, "web3_wallet": [WALLET],
                "totp_secret": "JBSWY3DPEHPK3PXP", "backup_codes": [BACKUP_CODE],
            }),
        )
        .await);
    let member = ok(api
        .post("/users", json!({ "email_address": ["member@example.com"] }))
        .await);
    let outsider = ok(api
        .post(
            "/users",
            json!({ "email_address": ["outsider@example.com"] }),
        )
        .await);
    let user_id = s(&user, "id");
    let org = ok(api
        .post(
            "/organizations",
            json!({ "name": "Acme", "created_by": user_id }),
        )
        .await);
    let org_id = s(&org, "id");
    ok(api
        .post(
            &format!("/organizations/{org_id}/memberships"),
            json!({ "user_id": s(&member, "id"), "role": "org:member" }),
        )
        .await);
    let session = ok(api.post("/sessions", json!({ "user_id": user_id })).await);
    let machine = machine::create(api, &user_id, &s(&session, "id")).await;
    let actor_token = ok(api
        .post(
            "/actor_tokens",
            json!({ "user_id": user_id, "actor": { "sub": "user_admin" } }),
        )
        .await);
    let sign_in_token = ok(api
        .post("/sign_in_tokens", json!({ "user_id": user_id }))
        .await);
    let org_invitation = ok(api
        .post(
            &format!("/organizations/{org_id}/invitations"),
            json!({ "email_address": "owner@example.com", "role": "org:member", "inviter_user_id": user_id }),
        )
        .await);
    let invitation = ok(api
        .post(
            "/invitations",
            json!({ "email_address": "invited@example.com" }),
        )
        .await);
    let allowlist = ok(api
        .post(
            "/allowlist_identifiers",
            json!({ "identifier": "allowed@example.com" }),
        )
        .await);
    let blocklist = ok(api
        .post(
            "/blocklist_identifiers",
            json!({ "identifier": "blocked@example.com" }),
        )
        .await);
    let managed = managed_fixtures(api, &user, &org_id).await;
    Fixtures {
        email_id: s(&user["email_addresses"][0], "id"),
        phone_id: s(&user["phone_numbers"][0], "id"),
        user: user_id,
        outsider: s(&outsider, "id"),
        org: org_id,
        session: s(&session, "id"),
        actor_token: s(&actor_token, "id"),
        sign_in_token: s(&sign_in_token, "id"),
        org_invitation: s(&org_invitation, "id"),
        invitation: s(&invitation, "id"),
        allowlist: s(&allowlist, "id"),
        blocklist: s(&blocklist, "id"),
        machine,
        managed,
    }
}

/// The value of a path parameter for an operation on `path`.
fn path_value(fx: &Fixtures, method: &str, path: &str, param: &Value) -> String {
    let name = param["name"].as_str().unwrap_or_default();
    let pattern = param.pointer("/schema/pattern").and_then(Value::as_str);
    let m = &fx.managed;
    match name {
        "domain_id" if path.starts_with("/organizations") => m.org_domain.clone(),
        "domain_id" => m.domain.clone(),
        "id" if path.starts_with("/redirect_urls") => m.redirect_url.clone(),
        "id" if path.starts_with("/sign_ups") => m.sign_up.clone(),
        "permission_id" if path.starts_with("/organization_roles") && method == "post" => {
            m.spare_permission.clone()
        }
        "permission_id" => m.permission.clone(),
        "organization_role_id" => m.role.clone(),
        "role_set_key_or_id" => m.role_set.clone(),
        "waitlist_entry_id" => m.waitlist.clone(),
        "saml_connection_id" => m.saml.clone(),
        "enterprise_connection_id" => m.enterprise.clone(),
        "directory_id" | "scim_directory_id" => m.directory.clone(),
        "mapping_id" => m.mapping.clone(),
        "slug" => "verification_code".into(),
        "web3_wallet_identification_id" => m.wallet.clone(),
        "agent_task_id" => m.agent_task.clone(),
        "adminPortalLinkTokenID" => m.portal_link.clone(),
        "user_id" => fx.user.clone(),
        "organization_id" => fx.org.clone(),
        "session_id" => fx.session.clone(),
        "email_address_id" => fx.email_id.clone(),
        "phone_number_id" => fx.phone_id.clone(),
        "actor_token_id" => fx.actor_token.clone(),
        "sign_in_token_id" => fx.sign_in_token.clone(),
        "invitation_id" if path.starts_with("/organizations") => fx.org_invitation.clone(),
        "invitation_id" => fx.invitation.clone(),
        "identifier_id" if path.starts_with("/allowlist") => fx.allowlist.clone(),
        "identifier_id" => fx.blocklist.clone(),
        "template_type" => "email".into(),
        other if machine::path_value(&fx.machine, other).is_some() => {
            machine::path_value(&fx.machine, other).unwrap_or_default()
        }
        other => match pattern.and_then(schema::synth::from_pattern) {
            Some(value) => value,
            None => format!("mock_{other}"),
        },
    }
}

/// A body the schema accepts: required fields with plain values.
fn example_body(doc: &Value, schema: &Value, name: &str, depth: usize) -> Value {
    let schema = spec::deref(doc, schema);
    if depth > 8 {
        return Value::Null;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values[0].clone();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return example_body(doc, first, name, depth + 1);
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => {
            let count = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .max(1);
            let item = schema
                .get("items")
                .map(|i| example_body(doc, i, name, depth + 1))
                .unwrap_or(Value::Null);
            Value::Array((0..count).map(|_| item.clone()).collect())
        }
        Some("string") if name.contains("email") => json!("someone@example.com"),
        Some("string") if name.contains("url") || name.contains("uri") => {
            json!("https://example.com")
        }
        Some("string") => json!("x"),
        Some("integer") | Some("number") => json!(
            schema
                .get("minimum")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                .max(1)
        ),
        Some("boolean") => json!(true),
        _ => {
            let mut out = Map::new();
            let props = schema.get("properties").and_then(Value::as_object);
            for field in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let field = field.as_str().unwrap_or_default();
                let sub = props
                    .and_then(|p| p.get(field))
                    .cloned()
                    .unwrap_or(json!({ "type": "string" }));
                out.insert(field.to_string(), example_body(doc, &sub, field, depth + 1));
            }
            Value::Object(out)
        }
    }
}

/// Bodies for the stateful operations, which check more than the schema does.
fn stateful_body(id: &str, fx: &Fixtures) -> Option<Value> {
    if let Some(body) = machine::body(id, &fx.machine) {
        return Some(body);
    }
    Some(match id {
        "CreateUser" => {
            json!({ "email_address": ["new@example.com"], "username": "newuser", "password": PASSWORD })
        }
        "UpdateUser" => json!({ "first_name": "Renamed", "username": "renamed" }),
        "UsersBan" | "UsersUnban" => json!({ "user_ids": [fx.user] }),
        "UpdateUserMetadata" | "ReplaceUserMetadata" => {
            json!({ "public_metadata": { "plan": "pro" } })
        }
        "VerifyPassword" => json!({ "password": PASSWORD }),
        "CreateEmailAddress" => {
            json!({ "user_id": fx.user, "email_address": "second@example.com" })
        }
        "CreatePhoneNumber" => json!({ "user_id": fx.user, "phone_number": "+15555550199" }),
        "ReplaceUserEmailAddress" => json!({ "email_address": "replaced@example.com" }),
        "ReplaceUserPhoneNumber" => json!({ "phone_number": "+15555550177" }),
        "createSession" => json!({ "user_id": fx.user }),
        "CreateActorToken" => json!({ "user_id": fx.user, "actor": { "sub": "user_admin" } }),
        "CreateSignInToken" => json!({ "user_id": fx.user }),
        "CreateOrganization" => json!({ "name": "Second org" }),
        "UpdateOrganization" => json!({ "name": "Renamed org" }),
        "MergeOrganizationMetadata" | "ReplaceOrganizationMetadata" => {
            json!({ "public_metadata": { "tier": 1 } })
        }
        "CreateOrganizationMembership" => json!({ "user_id": fx.outsider, "role": "org:member" }),
        "UpdateOrganizationMembership" => json!({ "role": "org:member" }),
        "UpdateOrganizationMembershipMetadata" => json!({ "public_metadata": { "seat": 3 } }),
        "CreateOrganizationInvitation" => {
            json!({ "email_address": "new-invitee@example.com", "role": "org:member" })
        }
        "CreateOrganizationInvitationBulk" => {
            json!([{ "email_address": "bulk-invitee@example.com", "role": "org:member" }])
        }
        "CreateInvitation" => json!({ "email_address": "newcomer@example.com" }),
        "CreateBulkInvitations" => json!([{ "email_address": "bulk@example.com" }]),
        "CreateAllowlistIdentifier" => json!({ "identifier": "new-allowed@example.com" }),
        "CreateBlocklistIdentifier" => json!({ "identifier": "new-blocked@example.com" }),
        "AddDomain" => json!({ "name": "second.example.com", "is_satellite": true }),
        "VerifyDomainProxy" => {
            json!({ "domain_id": fx.managed.domain, "proxy_url": "https://example.com/__clerk" })
        }
        "CreateRedirectURL" => json!({ "url": "https://example.com/callback" }),
        "CreateOrganizationPermission" => json!({ "name": "Export", "key": "org:reports:export" }),
        "CreateOrganizationRole" => json!({ "name": "Viewer", "key": "org:viewer" }),
        "CreateRoleSet" => json!({
            "name": "Third", "roles": ["org:admin"],
            "default_role_key": "org:admin", "creator_role_key": "org:admin",
        }),
        "ReplaceRoleSet" => json!({ "dest_role_set_key": "role_set:other" }),
        "AddRolesToRoleSet" => json!({ "role_keys": ["org:auditor"] }),
        "ReplaceRoleInRoleSet" => json!({ "role_key": "org:member", "to_role_key": "org:auditor" }),
        "CreateOrganizationDomain" => json!({ "name": "new.example.com" }),
        "CreateSAMLConnection" => json!({
            "name": "Second", "provider": "saml_custom", "domains": ["second-saml.example.com"],
        }),
        "CreateEnterpriseConnection" => json!({
            "name": "Second", "provider": "saml_okta", "domains": ["second-sso.example.com"],
        }),
        "CreateDirectory" | "CreateSCIMDirectory" => {
            json!({ "enterprise_connection_id": fx.managed.enterprise, "provider": "okta" })
        }
        "CreateDirectoryGroupRoleMapping" => {
            json!({ "directory_group_id": "g2", "role_id": fx.managed.role })
        }
        "CreateSCIMGroupRoleMapping" => {
            json!({ "scim_group_id": "g2", "role_id": fx.managed.role })
        }
        "ReplaceDirectoryGroupRoleMappings" => {
            json!({ "mappings": [{ "directory_group_id": "g3", "role_id": fx.managed.role }] })
        }
        "ReplaceSCIMGroupRoleMappings" => {
            json!({ "mappings": [{ "scim_group_id": "g3", "role_id": fx.managed.role }] })
        }
        "UpsertTemplate" => json!({ "name": "Code", "body": "<b>{{otp_code}}</b>" }),
        "VerifyTOTP" => json!({ "code": BACKUP_CODE }),
        "CreateAgentTask" => json!({
            "on_behalf_of": { "identifier": "owner@example.com" }, "permissions": "*",
            "agent_name": "helper", "task_description": "tidy up",
            "redirect_url": "https://example.com/done",
        }),
        "AttemptEmailAddressVerification" => {
            json!({ "verification_id": fx.managed.email_verification, "code": "424242" })
        }
        "AttemptPhoneNumberVerification" => {
            json!({ "verification_id": fx.managed.phone_verification, "code": "424242" })
        }
        _ => return None,
    })
}

/// Query strings for operations that need one.
fn query_for(id: &str, fx: &Fixtures) -> String {
    if let Some(query) = machine::query(id, &fx.machine) {
        return query;
    }
    match id {
        "GetSessionList" => format!("?user_id={}", fx.user),
        "getApiKeys" => format!("?subject={}", fx.user),
        _ => String::new(),
    }
}

const BOUNDARY: &str = "clerk-mock-test-boundary";

fn multipart_file() -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
         Content-Type: image/png\r\n\r\nPNGDATA\r\n--{BOUNDARY}--\r\n"
    )
    .into_bytes()
}

/// Calls one operation on a fresh server; `Err` describes what did not conform.
async fn exercise(doc: &Value, index: usize) -> Result<(), String> {
    let ops = spec::operations(doc);
    let op = &ops[index];
    let id = op.id();
    if id == "RefreshSession" {
        // Needs a refresh token from a Frontend API handshake: `frontend.rs` calls it so and
        // checks its answers against the schema.
        return Ok(());
    }
    let api = Api::start().await;
    let fx = fixtures(&api).await;
    // Operations on the Svix application need one; creating it needs none yet.
    if id == "DeleteSvixApp" || id == "GenerateSvixAuthURL" {
        let (status, body) = api.post("/webhooks/svix", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let mut path = op.path.to_string();
    for p in &op.parameters {
        if p.get("in").and_then(Value::as_str) == Some("path") {
            let name = p["name"].as_str().unwrap_or_default();
            path = path.replace(
                &format!("{{{name}}}"),
                &path_value(&fx, op.method, op.path, p),
            );
        }
    }
    let url = format!("{}{path}{}", api.server.base_url(), query_for(&id, &fx));
    let method =
        Method::from_bytes(op.method.to_uppercase().as_bytes()).map_err(|e| e.to_string())?;
    let mut request = api.http.request(method, &url).bearer_auth(
        machine::bearer(&id, &fx.machine).unwrap_or_else(|| api.server.secret_key().into()),
    );
    if let Some(body) = op.op.get("requestBody").map(|b| spec::deref(doc, b)) {
        if let Some(schema) = spec::json_content_schema(doc, body) {
            let json = stateful_body(&id, &fx).unwrap_or_else(|| example_body(doc, schema, "", 0));
            request = request.json(&json);
        } else if body.pointer("/content/multipart~1form-data").is_some() {
            request = request
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(multipart_file());
        }
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("{id}: request failed: {e}"))?;
    let (status, body) = read(response).await;

    let (want_status, schema) =
        schema::success_schema(doc, &id).ok_or_else(|| format!("{id}: no success response"))?;
    if status.as_u16() != want_status {
        return Err(format!(
            "{id} {} {path}: status {status}, expected {want_status}: {body}",
            op.method
        ));
    }
    if let Some(schema) = schema {
        schema::check(doc, schema, &body, "$").map_err(|e| format!("{id}: {e}\n  body: {body}"))?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_its_documented_success_shape() {
    let doc = std::sync::Arc::new(schema::load_spec());
    let count = spec::operations(&doc).len();
    assert!(
        count >= 200,
        "the description should list the whole API, found {count} operations"
    );
    let mut failures = Vec::new();
    // A few at a time: each call starts its own server with its own fixtures.
    for chunk in (0..count).collect::<Vec<_>>().chunks(8) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let doc = doc.clone();
                tokio::spawn(async move { exercise(&doc, i).await })
            })
            .collect();
        for task in tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failures.push(e),
                Err(e) => failures.push(format!("task failed: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} operations do not conform:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_protected_operation_requires_the_secret_key() {
    let doc = schema::load_spec();
    let api = Api::start().await;
    let mut failures = Vec::new();
    for op in spec::operations(&doc) {
        let public = op
            .op
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty);
        let path = op.path.replace('{', "x").replace('}', "");
        let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).expect("method");
        let response = api
            .http
            .request(method, api.url(&path))
            .send()
            .await
            .expect("answer");
        let (status, body) = read(response).await;
        if public {
            if status == StatusCode::UNAUTHORIZED {
                failures.push(format!("{}: public operation asked for a key", op.id()));
            }
            continue;
        }
        if status != StatusCode::UNAUTHORIZED {
            failures.push(format!("{}: {status} without a key", op.id()));
        } else if let Err(e) = schema::check_component(&doc, "ClerkErrors", &body) {
            failures.push(format!("{}: error body: {e}", op.id()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stateful_handlers_match_operations_of_the_description() {
    assert_eq!(clerk_mock::unmatched_handlers(), Vec::<&str>::new());
    let stateful = clerk_mock::stateful_operations();
    let synthesized = clerk_mock::synthesized_operations();
    let doc = schema::load_spec();
    assert_eq!(
        stateful.len() + synthesized.len(),
        spec::operations(&doc).len()
    );
    assert!(stateful.contains(&"CreateUser") && stateful.contains(&"CreateActorToken"));
}

#[test]
fn readme_lists_the_stateful_operations() {
    let readme = include_str!("../../README.md");
    for id in clerk_mock::stateful_operations() {
        assert!(
            readme.contains(&format!("`{id}`")),
            "README does not list stateful operation {id}"
        );
    }
}
