//! Second factors, the compromised-password mark, web3 wallets and verification codes.

use crate::common::{Api, assert_error, s};
use reqwest::StatusCode;
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

/// "Hello!\xDE\xAD\xBE\xEF" in base32, a secret authenticator apps show in their examples.
const SECRET: &str = "JBSWY3DPEHPK3PXP";
const SECRET_BYTES: &[u8] = b"Hello!\xDE\xAD\xBE\xEF";

/// The current TOTP code of `SECRET`, computed here independently of the server.
fn current_code() -> String {
    let step = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 30)
        .unwrap_or(0);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, SECRET_BYTES);
    let tag = ring::hmac::sign(&key, &step.to_be_bytes());
    let d = tag.as_ref();
    let o = (d[19] & 0x0f) as usize;
    let n = u32::from_be_bytes([d[o] & 0x7f, d[o + 1], d[o + 2], d[o + 3]]);
    format!("{:06}", n % 1_000_000)
}

#[tokio::test]
async fn totp_and_backup_codes_verify_and_are_removed() {
    let api = Api::start().await;
    let (status, user) = api
        .post(
            "/users",
            json!({
                "email_address": ["mfa@example.com"], "totp_secret": SECRET,
                "backup_codes": ["11111111", "22222222"],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let id = s(&user, "id");
    assert_eq!(user["totp_enabled"], true);
    assert_eq!(user["backup_code_enabled"], true);

    let (status, verified) = api
        .post(
            &format!("/users/{id}/verify_totp"),
            json!({ "code": current_code() }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified, json!({ "verified": true, "code_type": "totp" }));
    let (status, body) = api
        .post(
            &format!("/users/{id}/verify_totp"),
            json!({ "code": "000000x" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_code_incorrect",
    );
    // A backup code works once.
    let (_, verified) = api
        .post(
            &format!("/users/{id}/verify_totp"),
            json!({ "code": "11111111" }),
        )
        .await;
    assert_eq!(verified["code_type"], "backup_code");
    let (status, body) = api
        .post(
            &format!("/users/{id}/verify_totp"),
            json!({ "code": "11111111" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_code_incorrect",
    );

    let (status, answer) = api.delete(&format!("/users/{id}/totp")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({ "user_id": id }));
    let (_, user) = api.get(&format!("/users/{id}")).await;
    assert_eq!(user["totp_enabled"], false);
    assert_eq!(user["backup_code_enabled"], true);
    let (status, body) = api
        .post(
            &format!("/users/{id}/verify_totp"),
            json!({ "code": current_code() }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_code_incorrect",
    );

    api.delete(&format!("/users/{id}/backup_code")).await;
    let (_, user) = api.get(&format!("/users/{id}")).await;
    assert_eq!(user["backup_code_enabled"], false);
    let (status, _) = api
        .post(
            &format!("/users/{id}/verify_totp"),
            json!({ "code": "22222222" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Disabling MFA takes everything off, second-factor phone numbers included.
    let (_, user) = api
        .patch(
            &format!("/users/{id}"),
            json!({ "totp_secret": SECRET, "backup_codes": ["3"] }),
        )
        .await;
    assert_eq!(user["two_factor_enabled"], true);
    let (status, _) = api.delete(&format!("/users/{id}/mfa")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, user) = api.get(&format!("/users/{id}")).await;
    assert_eq!(user["two_factor_enabled"], false);
    assert_eq!(user["totp_enabled"], false);
    assert!(user["mfa_disabled_at"].is_i64());
}

#[tokio::test]
async fn a_compromised_password_can_sign_the_user_out() {
    let api = Api::start().await;
    let (_, user) = api
        .post(
            "/users",
            json!({ "email_address": ["pw@example.com"], "password": "correct horse battery" }),
        )
        .await;
    let id = s(&user, "id");
    let (_, session) = api.post("/sessions", json!({ "user_id": id })).await;
    let (status, marked) = api
        .post(
            &format!("/users/{id}/password/set_compromised"),
            json!({ "revoke_all_sessions": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{marked}");
    assert_eq!(marked["id"], id.as_str());
    let (_, session) = api.get(&format!("/sessions/{}", s(&session, "id"))).await;
    assert_eq!(session["status"], "revoked");
    let (status, user) = api
        .post(
            &format!("/users/{id}/password/unset_compromised"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["object"], "user");

    let without = api.user("nopw@example.com").await;
    let (status, body) = api
        .post(
            &format!("/users/{}/password/set_compromised", s(&without, "id")),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "password_not_set");
}

#[tokio::test]
async fn web3_wallets_are_created_with_the_user_and_deleted() {
    let api = Api::start().await;
    let wallet = "0x52908400098527886e0f7030069857d2e4169ee7";
    let (status, user) = api
        .post(
            "/users",
            json!({ "web3_wallet": [wallet], "email_address": ["w@example.com"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let id = s(&user, "id");
    let wallet_id = s(&user["web3_wallets"][0], "id");
    assert_eq!(user["primary_web3_wallet_id"], wallet_id.as_str());
    let (status, body) = api.post("/users", json!({ "web3_wallet": [wallet] })).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
    );
    let (status, body) = api.post("/users", json!({ "web3_wallet": ["0x12"] })).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_format_invalid",
    );

    let (status, deleted) = api
        .delete(&format!("/users/{id}/web3_wallets/{wallet_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        deleted,
        json!({ "object": "web3_wallet", "id": wallet_id, "deleted": true })
    );
    let (_, user) = api.get(&format!("/users/{id}")).await;
    assert_eq!(user["web3_wallets"], json!([]));
    assert!(user["primary_web3_wallet_id"].is_null());
    let (status, body) = api
        .delete(&format!("/users/{id}/web3_wallets/{wallet_id}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    // The address is free again.
    let (status, _) = api.post("/users", json!({ "web3_wallet": [wallet] })).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn verification_codes_verify_email_addresses_and_phone_numbers() {
    let api = Api::start().await;
    let user = api.user("owner@example.com").await;
    let (_, email) = api
        .post(
            "/email_addresses",
            json!({ "user_id": user["id"], "email_address": "second@example.com", "verified": false }),
        )
        .await;
    let email_id = s(&email, "id");
    assert!(email["verification"].is_null());
    let (status, verification) = api
        .post(
            &format!("/email_addresses/{email_id}/prepare_verification"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verification}");
    assert_eq!(verification["status"], "unverified");
    assert_eq!(verification["strategy"], "email_code");
    let vid = s(&verification, "id");
    let attempt = |code: &str| json!({ "verification_id": vid, "code": code });
    let (_, wrong) = api
        .post(
            &format!("/email_addresses/{email_id}/attempt_verification"),
            attempt("111111"),
        )
        .await;
    assert_eq!(wrong["status"], "unverified");
    assert_eq!(wrong["attempts"], 1);
    let (_, right) = api
        .post(
            &format!("/email_addresses/{email_id}/attempt_verification"),
            attempt("424242"),
        )
        .await;
    assert_eq!(right["status"], "verified");
    let (_, email) = api.get(&format!("/email_addresses/{email_id}")).await;
    assert_eq!(email["verification"]["status"], "verified");
    assert_eq!(email["verification"]["strategy"], "email_code");
    let (status, body) = api
        .post(
            &format!("/email_addresses/{email_id}/attempt_verification"),
            attempt("424242"),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "verification_already_verified",
    );

    // Three wrong codes fail a phone verification.
    let (_, phone) = api
        .post(
            "/phone_numbers",
            json!({ "user_id": user["id"], "phone_number": "+15555550123" }),
        )
        .await;
    let phone_id = s(&phone, "id");
    let (_, verification) = api
        .post(
            &format!("/phone_numbers/{phone_id}/prepare_verification"),
            json!({}),
        )
        .await;
    assert_eq!(verification["channel"], "sms");
    let body = json!({ "verification_id": verification["id"], "code": "000000" });
    for _ in 0..3 {
        api.post(
            &format!("/phone_numbers/{phone_id}/attempt_verification"),
            body.clone(),
        )
        .await;
    }
    let (_, failed) = api
        .post(
            &format!("/phone_numbers/{phone_id}/attempt_verification"),
            json!({ "verification_id": verification["id"], "code": "424242" }),
        )
        .await;
    assert_eq!(failed["status"], "failed");
    // A verification of another identifier is unknown here.
    let (status, body) = api
        .post(
            &format!("/email_addresses/{email_id}/attempt_verification"),
            json!({ "verification_id": verification["id"], "code": "424242" }),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}
