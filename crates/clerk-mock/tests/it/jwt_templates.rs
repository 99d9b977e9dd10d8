//! JWT templates: the lifecycle, reserved claims, and tokens signed from templates with
//! shortcodes resolved, lifetime and clock skew honoured.

use crate::common::{Api, assert_error, s};
use crate::jwt;
use crate::shapes::assert_shape;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn template(api: &Api, body: Value) -> Value {
    let (status, created) = api.post("/jwt_templates", body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_shape("CreateJWTTemplate", &created);
    created
}

#[tokio::test]
async fn jwt_template_lifecycle() {
    let api = Api::start().await;
    let created = template(
        &api,
        json!({ "name": "hasura", "claims": { "aud": "graphql", "uid": "{{user.id}}" } }),
    )
    .await;
    let id = s(&created, "id");
    assert!(id.starts_with("jtmp_"));
    assert_eq!(created["name"], "hasura");
    assert_eq!(
        created["claims"],
        json!({ "aud": "graphql", "uid": "{{user.id}}" })
    );
    assert_eq!(created["lifetime"], 60);
    assert_eq!(created["allowed_clock_skew"], 5);
    assert_eq!(created["custom_signing_key"], false);
    assert_eq!(created["signing_algorithm"], "RS256");

    let (status, got) = api.get(&format!("/jwt_templates/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_shape("GetJWTTemplate", &got);
    assert_eq!(got, created);

    template(&api, json!({ "name": "firebase", "claims": {} })).await;
    let (status, list) = api.get("/jwt_templates").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_shape("ListJWTTemplates", &list);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let (_, page) = api
        .get("/jwt_templates?paginated=true&limit=1&offset=1")
        .await;
    assert_eq!(page[0]["name"], "firebase", "{page}");

    let (status, updated) = api
        .patch(
            &format!("/jwt_templates/{id}"),
            json!({ "name": "hasura-v2", "claims": { "role": "user" }, "lifetime": 300 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_shape("UpdateJWTTemplate", &updated);
    assert_eq!(updated["claims"], json!({ "role": "user" }));
    assert_eq!(updated["lifetime"], 300);
    assert_eq!(updated["allowed_clock_skew"], 5);
    assert_eq!(updated["created_at"], created["created_at"]);
    let (_, got) = api.get(&format!("/jwt_templates/{id}")).await;
    assert_eq!(got["name"], "hasura-v2");

    let (status, body) = api
        .patch(
            &format!("/jwt_templates/{id}"),
            json!({ "name": "firebase", "claims": {} }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "duplicate_record");

    let (status, gone) = api.delete(&format!("/jwt_templates/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert_shape("DeleteJWTTemplate", &gone);
    assert_eq!(gone["deleted"], true);
    let (status, body) = api.get(&format!("/jwt_templates/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (_, list) = api.get("/jwt_templates").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn templates_refuse_reserved_claims_and_incomplete_custom_keys() {
    let api = Api::start().await;
    for claim in ["sub", "exp", "iss"] {
        let (status, body) = api
            .post(
                "/jwt_templates",
                json!({ "name": "bad", "claims": { claim: "x" } }),
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::BAD_REQUEST,
            "jwt_template_reserved_claim",
        );
    }
    let (status, body) = api
        .post(
            "/jwt_templates",
            json!({ "name": "custom", "claims": {}, "custom_signing_key": true, "signing_algorithm": "HS256" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_missing",
    );
    let (status, body) = api
        .post(
            "/jwt_templates",
            json!({ "name": "custom", "claims": {}, "custom_signing_key": true, "signing_algorithm": "RS256", "signing_key": "not a key" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
    let (status, body) = api
        .post(
            "/jwt_templates",
            json!({ "name": "short", "claims": {}, "lifetime": 10 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn template_tokens_resolve_shortcodes_and_honour_lifetime_and_skew() {
    let api = Api::start().await;
    let (_, user) = api
        .post(
            "/users",
            json!({
                "email_address": ["maria@example.com"],
                "first_name": "Maria",
                "external_id": "crm-42",
                "public_metadata": { "profile": { "interests": ["reading", "climbing"] }, "role": "editor" },
            }),
        )
        .await;
    let user_id = s(&user, "id");
    let (_, org) = api
        .post(
            "/organizations",
            json!({ "name": "Acme", "slug": "acme", "created_by": user_id }),
        )
        .await;
    let (_, session) = api
        .post(
            "/sessions",
            json!({ "user_id": user_id, "active_organization_id": org["id"] }),
        )
        .await;
    template(
        &api,
        json!({
            "name": "partner",
            "lifetime": 120,
            "allowed_clock_skew": 30,
            "claims": {
                "aud": "https://partner.example.com",
                "version": 1,
                "user_id": "{{user.id}}",
                "first_name": "{{user.first_name}}",
                "last_name": "{{user.last_name}}",
                "email": "{{user.primary_email_address}}",
                "email_verified": "{{user.email_verified}}",
                "phone": "{{user.primary_phone_address}}",
                "external": "{{user.external_id}}",
                "joined": "{{user.created_at}}",
                "interests": "{{user.public_metadata.profile.interests}}",
                "role": "{{user.public_metadata.role || 'viewer'}}",
                "nickname": "{{user.username || user.first_name}}",
                "greeting": "Hi {{user.first_name}}",
                "org": { "id": "{{org.id}}", "slug": "{{org.slug}}", "role": "{{org.role}}" },
                "invalid": "{{user.i_dont_exist}}"
            }
        }),
    )
    .await;

    let (status, token) = api
        .post(
            &format!("/sessions/{}/tokens/partner", s(&session, "id")),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_shape("CreateSessionTokenFromTemplate", &token);
    let jwt_text = s(&token, "jwt");
    let (header, _, _) = jwt::split(&jwt_text);
    assert_eq!(header["cat"], "cl_B7d4PD222AAA");
    let claims = jwt::verify(&api, &jwt_text).await;
    let joined = user["created_at"].as_i64().unwrap_or(0) / 1000;
    for (claim, want) in [
        ("aud", json!("https://partner.example.com")),
        ("version", json!(1)),
        ("user_id", json!(user_id)),
        ("first_name", json!("Maria")),
        ("last_name", Value::Null),
        ("email", json!("maria@example.com")),
        ("email_verified", json!(true)),
        ("phone", Value::Null),
        ("external", json!("crm-42")),
        ("joined", json!(joined)),
        ("interests", json!(["reading", "climbing"])),
        ("role", json!("editor")),
        ("nickname", json!("Maria")),
        ("greeting", json!("Hi Maria")),
        (
            "org",
            json!({ "id": org["id"], "slug": "acme", "role": "org:admin" }),
        ),
        ("invalid", json!("{{user.i_dont_exist}}")),
        ("sub", json!(user_id)),
        ("sid", session["id"].clone()),
        ("iss", json!(api.server.issuer())),
    ] {
        assert_eq!(claims[claim], want, "claim {claim} in {claims}");
    }
    let iat = claims["iat"].as_i64().unwrap_or(0);
    assert_eq!(claims["exp"].as_i64(), Some(iat + 120), "{claims}");
    assert_eq!(claims["nbf"].as_i64(), Some(iat - 30), "{claims}");
    assert!(claims["jti"].is_string());

    // expires_in_seconds overrides the template's lifetime.
    let (_, token) = api
        .post(
            &format!("/sessions/{}/tokens/partner", s(&session, "id")),
            json!({ "expires_in_seconds": 600 }),
        )
        .await;
    let claims = jwt::verify(&api, &s(&token, "jwt")).await;
    let iat = claims["iat"].as_i64().unwrap_or(0);
    assert_eq!(claims["exp"].as_i64(), Some(iat + 600));

    // Unknown template, unknown or inactive session.
    let (status, body) = api
        .post(
            &format!("/sessions/{}/tokens/nope", s(&session, "id")),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api
        .post("/sessions/sess_unknown/tokens/partner", json!({}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    api.post(
        &format!("/sessions/{}/revoke", s(&session, "id")),
        json!({}),
    )
    .await;
    let (status, body) = api
        .post(
            &format!("/sessions/{}/tokens/partner", s(&session, "id")),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn templates_with_their_own_key_sign_with_it() {
    let api = Api::start().await;
    let user = s(&api.user("hs@example.com").await, "id");
    let (_, session) = api.post("/sessions", json!({ "user_id": user })).await;
    let created = template(
        &api,
        json!({
            "name": "supabase",
            "claims": { "role": "authenticated" },
            "custom_signing_key": true,
            "signing_algorithm": "HS256",
            "signing_key": "super-secret-jwt-key"
        }),
    )
    .await;
    assert_eq!(created["custom_signing_key"], true);
    assert_eq!(created["signing_algorithm"], "HS256");
    assert!(created.get("signing_key").is_none());
    let (_, token) = api
        .post(
            &format!("/sessions/{}/tokens/supabase", s(&session, "id")),
            json!({}),
        )
        .await;
    let text = s(&token, "jwt");
    let (header, claims, signature) = jwt::split(&text);
    assert_eq!(header["alg"], "HS256");
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["sub"], user.as_str());
    let (message, _) = text.rsplit_once('.').unwrap_or_default();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"super-secret-jwt-key");
    ring::hmac::verify(&key, message.as_bytes(), &signature).expect("signed with the template key");
}
