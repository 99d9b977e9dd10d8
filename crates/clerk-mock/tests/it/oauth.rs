//! OAuth applications and their access tokens: the application lifecycle, secret rotation,
//! and verification of unknown, revoked, expired and valid tokens in both formats.

use crate::common::{Api, assert_error, s};
use crate::jwt;
use crate::shapes::assert_shape;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn application(api: &Api, body: Value) -> Value {
    let (status, app) = api.post("/oauth_applications", body).await;
    assert_eq!(status, StatusCode::OK, "{app}");
    assert_shape("CreateOAuthApplication", &app);
    app
}

#[tokio::test]
async fn oauth_application_lifecycle() {
    let api = Api::start().await;
    let app = application(
        &api,
        json!({ "name": "Partner portal", "redirect_uris": ["https://partner.example.com/cb", "partner://cb"] }),
    )
    .await;
    let id = s(&app, "id");
    assert!(!s(&app, "client_id").is_empty());
    assert!(!s(&app, "client_secret").is_empty());
    assert_eq!(app["scopes"], "profile email");
    assert_eq!(app["consent_screen_enabled"], true);
    assert_eq!(app["callback_url"], "https://partner.example.com/cb");
    assert!(
        s(&app, "token_fetch_url").starts_with(api.server.issuer()),
        "the URLs point at the mock: {app}"
    );

    let (status, got) = api.get(&format!("/oauth_applications/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_shape("GetOAuthApplication", &got);
    assert!(got.get("client_secret").is_none());
    assert_eq!(got["redirect_uris"], app["redirect_uris"]);

    application(&api, json!({ "name": "Analytics", "public": true })).await;
    let (status, list) = api.get("/oauth_applications").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_shape("ListOAuthApplications", &list);
    assert_eq!(list["total_count"], 2);
    assert_eq!(
        list["data"][0]["name"], "Partner portal",
        "oldest first by default"
    );
    let (_, list) = api.get("/oauth_applications?order_by=name").await;
    assert_eq!(list["data"][0]["name"], "Analytics");
    let (_, list) = api.get("/oauth_applications?name_query=partner").await;
    assert_eq!(list["total_count"], 1, "{list}");
    let (_, list) = api
        .get(&format!(
            "/oauth_applications?name_query={}",
            s(&app, "client_id")
        ))
        .await;
    assert_eq!(list["data"][0]["id"], id.as_str(), "{list}");

    let (status, updated) = api
        .patch(
            &format!("/oauth_applications/{id}"),
            json!({ "name": "Partner portal v2", "scopes": "profile email public_metadata", "consent_screen_enabled": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_shape("UpdateOAuthApplication", &updated);
    assert_eq!(updated["scopes"], "profile email public_metadata");
    assert_eq!(updated["consent_screen_enabled"], false);
    let (_, got) = api.get(&format!("/oauth_applications/{id}")).await;
    assert_eq!(got["name"], "Partner portal v2");

    // A logo upload (multipart) shows in later reads.
    let boundary = "logo-boundary";
    let upload = api
        .http
        .put(api.url(&format!("/oauth_applications/{id}/logo")))
        .bearer_auth(api.server.secret_key())
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logo.png\"\r\n\
             Content-Type: image/png\r\n\r\nPNG\r\n--{boundary}--\r\n"
        ))
        .send()
        .await
        .expect("the mock answers");
    let (status, with_logo) = crate::common::read(upload).await;
    assert_eq!(status, StatusCode::OK, "{with_logo}");
    assert_shape("UploadOAuthApplicationLogo", &with_logo);
    let logo = s(&with_logo, "client_image_url");
    let (_, got) = api.get(&format!("/oauth_applications/{id}")).await;
    assert_eq!(got["client_image_url"], logo.as_str());

    let (status, rotated) = api
        .post(
            &format!("/oauth_applications/{id}/rotate_secret"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_shape("RotateOAuthApplicationSecret", &rotated);
    assert_ne!(rotated["client_secret"], app["client_secret"]);

    let (status, gone) = api.delete(&format!("/oauth_applications/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert_shape("DeleteOAuthApplication", &gone);
    let (status, body) = api.get(&format!("/oauth_applications/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn applications_check_scopes_and_redirect_uris() {
    let api = Api::start().await;
    let (status, body) = api
        .post(
            "/oauth_applications",
            json!({ "name": "x", "scopes": "profile admin" }),
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
            "/oauth_applications",
            json!({ "name": "x", "redirect_uris": ["not a uri"] }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_format_invalid",
    );
    let (status, body) = api
        .post(
            "/oauth_applications",
            json!({ "name": "x", "redirect_uris": ["https://a.example/cb", "https://a.example/cb"] }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "duplicate_record");
    let public = application(&api, json!({ "name": "spa", "public": true })).await;
    assert!(public.get("client_secret").is_none(), "{public}");
}

#[tokio::test]
async fn access_tokens_verify_until_revoked_or_expired() {
    let api = Api::start().await;
    let user = s(&api.user("oauth-user@example.com").await, "id");
    let app = application(&api, json!({ "name": "Partner" })).await;
    let client_id = s(&app, "client_id");

    let token = api
        .server
        .oauth_access_token(&client_id, &user)
        .scopes(["email"])
        .issue()
        .expect("issued");
    assert!(token.access_token.starts_with("oat_"));
    let (status, verified) = api
        .post(
            "/oauth_applications/access_tokens/verify",
            json!({ "access_token": token.access_token }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_shape("verifyOAuthAccessToken", &verified);
    assert_eq!(verified["subject"], user.as_str());
    assert_eq!(verified["client_id"], client_id.as_str());
    assert_eq!(verified["scopes"], json!(["email"]));
    assert_eq!(verified["id"], token.id.as_str());
    // The deprecated field name works too; a refresh token is not an access token.
    let (status, _) = api
        .post(
            "/oauth_applications/access_tokens/verify",
            json!({ "secret": token.access_token }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let refresh = token.refresh_token.clone().unwrap_or_default();
    let (status, _) = api
        .post(
            "/oauth_applications/access_tokens/verify",
            json!({ "access_token": refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Revoking through the refresh token revokes the grant's access token.
    let (status, body) = api
        .post(
            &format!("/oauth_applications/{}/revoke_token", s(&app, "id")),
            json!({ "token": refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let short = api
        .server
        .oauth_access_token(&client_id, &user)
        .lifetime(Duration::from_millis(1))
        .issue()
        .expect("issued");
    tokio::time::sleep(Duration::from_millis(20)).await;
    for (access_token, why) in [
        (token.access_token.clone(), "revoked"),
        (short.access_token.clone(), "expired"),
        ("oat_garbage".to_string(), "unknown"),
    ] {
        let (status, body) = api
            .post(
                "/oauth_applications/access_tokens/verify",
                json!({ "access_token": access_token }),
            )
            .await;
        let error = assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
        assert!(
            error["long_message"]
                .as_str()
                .is_some_and(|m| m.contains(why)),
            "{body}"
        );
    }
    let (status, body) = api
        .post(
            &format!("/oauth_applications/{}/revoke_token", s(&app, "id")),
            json!({ "token": "unknown" }),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");

    // Deleting the application invalidates its tokens.
    let live = api
        .server
        .oauth_access_token(&client_id, &user)
        .issue()
        .expect("issued");
    api.delete(&format!("/oauth_applications/{}", s(&app, "id")))
        .await;
    let (status, _) = api
        .post(
            "/oauth_applications/access_tokens/verify",
            json!({ "access_token": live.access_token }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn jwt_access_tokens_verify_and_report_expiry() {
    let api = Api::start().await;
    let user = s(&api.user("jwt-user@example.com").await, "id");
    let app = application(&api, json!({ "name": "Partner" })).await;
    let client_id = s(&app, "client_id");
    let token = api
        .server
        .oauth_access_token(&client_id, &user)
        .jwt()
        .issue()
        .expect("issued");
    let (header, _, _) = jwt::split(&token.access_token);
    assert_eq!(header["typ"], "at+jwt");
    let claims = jwt::verify(&api, &token.access_token).await;
    assert_eq!(claims["sub"], user.as_str());
    assert_eq!(claims["client_id"], client_id.as_str());
    assert_eq!(claims["scope"], "profile email");
    let (status, verified) = api
        .post(
            "/oauth_applications/access_tokens/verify",
            json!({ "access_token": token.access_token }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_shape("verifyOAuthAccessToken", &verified);
    assert_eq!(verified["id"], token.id.as_str());

    let expired = api
        .server
        .oauth_access_token(&client_id, &user)
        .jwt()
        .lifetime(Duration::ZERO)
        .issue()
        .expect("issued");
    let (status, body) = api
        .post(
            "/oauth_applications/access_tokens/verify",
            json!({ "access_token": expired.access_token }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_shape("verifyOAuthAccessToken", &body);
    assert_eq!(body, json!({ "active": false }));
}

#[test]
fn issuing_reports_what_is_wrong() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let api = Api::start().await;
        let user = s(&api.user("issue@example.com").await, "id");
        let app = application(&api, json!({ "name": "Partner", "scopes": "profile" })).await;
        let err = api
            .server
            .oauth_access_token("nope", &user)
            .issue()
            .expect_err("unknown client");
        assert!(err.to_string().contains("client id 'nope'"), "{err}");
        let err = api
            .server
            .oauth_access_token(s(&app, "client_id"), "user_missing")
            .issue()
            .expect_err("unknown user");
        assert!(err.to_string().contains("user_missing"), "{err}");
        let err = api
            .server
            .oauth_access_token(s(&app, "client_id"), &user)
            .scopes(["email"])
            .issue()
            .expect_err("scope not granted to the application");
        assert!(err.to_string().contains("'email'"), "{err}");
        let token = api
            .server
            .oauth_access_token(s(&app, "client_id"), &user)
            .issue()
            .expect("issued");
        assert!(!format!("{token:?}").contains(&token.access_token));
    });
}
