//! Users: create, read, list with filters and order, count, update, metadata, bans, locks,
//! email addresses and deletion.

use crate::common::{Api, assert_error, s};
use crate::schema;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|u| s(u, "id"))
        .collect()
}

#[tokio::test]
async fn create_then_get_returns_the_same_user() {
    let api = Api::start().await;
    let (status, user) = api
        .post(
            "/users",
            json!({
                "email_address": ["ada@example.com"],
                "phone_number": ["+15555550123"],
                "username": "ada_l",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "external_id": "ext-1",
                "password": "analytical engine",
                "public_metadata": { "role": "admin" },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let doc = schema::load_spec();
    schema::check_component(&doc, "User", &user).expect("a User");
    assert_eq!(user["object"], "user");
    assert!(s(&user, "id").starts_with("user_"));
    assert_eq!(
        user["email_addresses"][0]["email_address"],
        "ada@example.com"
    );
    assert_eq!(
        user["primary_email_address_id"],
        user["email_addresses"][0]["id"]
    );
    assert_eq!(
        user["primary_phone_number_id"],
        user["phone_numbers"][0]["id"]
    );
    assert_eq!(user["password_enabled"], true);
    assert_eq!(user["private_metadata"], json!({}));
    assert_eq!(user["last_sign_in_at"], Value::Null);

    let (status, fetched) = api.get(&format!("/users/{}", s(&user, "id"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, user);
}

#[tokio::test]
async fn list_filters_orders_and_pages() {
    let api = Api::start().await;
    let a = api.user("a@example.com").await;
    let b = api.user("b@example.com").await;
    let c = api.user("c@example.com").await;
    let (a, b, c) = (s(&a, "id"), s(&b, "id"), s(&c, "id"));

    let (_, newest_first) = api.get("/users").await;
    assert_eq!(ids(&newest_first), vec![c.clone(), b.clone(), a.clone()]);
    let (_, oldest_first) = api.get("/users?order_by=%2Bcreated_at").await;
    assert_eq!(ids(&oldest_first), vec![a.clone(), b.clone(), c.clone()]);
    let (_, by_email_desc) = api.get("/users?order_by=-email_address").await;
    assert_eq!(ids(&by_email_desc), vec![c.clone(), b.clone(), a.clone()]);

    let (_, page) = api.get("/users?limit=1&offset=1").await;
    assert_eq!(ids(&page), vec![b.clone()]);
    let (_, by_email) = api
        .get("/users?email_address=B@EXAMPLE.COM&email_address=c@example.com")
        .await;
    assert_eq!(ids(&by_email), vec![c.clone(), b.clone()]);
    let (_, by_id) = api.get(&format!("/users?user_id={a}")).await;
    assert_eq!(ids(&by_id), vec![a.clone()]);
    let (_, by_query) = api.get("/users?query=b%40exa").await;
    assert_eq!(ids(&by_query), vec![b.clone()]);
    let (_, none) = api.get("/users?external_id=nobody").await;
    assert_eq!(ids(&none), Vec::<String>::new());

    let (status, count) = api.get("/users/count").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count, json!({ "object": "total_count", "total_count": 3 }));
    let (_, count) = api.get("/users/count?email_address=a@example.com").await;
    assert_eq!(count["total_count"], 1);

    let (status, body) = api.get("/users?order_by=-favourite_colour").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
}

#[tokio::test]
async fn update_changes_fields_and_checks_them() {
    let api = Api::start().await;
    let user = api.user("u@example.com").await;
    let other = api.user("other@example.com").await;
    let id = s(&user, "id");
    let (status, updated) = api
        .patch(
            &format!("/users/{id}"),
            json!({ "first_name": "New", "last_name": null, "username": "newname" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["first_name"], "New");
    assert_eq!(updated["last_name"], Value::Null);
    assert_eq!(updated["username"], "newname");
    assert!(updated["updated_at"].as_i64() >= user["updated_at"].as_i64());

    let (status, body) = api
        .patch(
            &format!("/users/{}", s(&other, "id")),
            json!({ "username": "NewName" }),
        )
        .await;
    let error = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
    );
    assert_eq!(error["meta"]["param_name"], "username");

    let (status, body) = api
        .patch(
            &format!("/users/{id}"),
            json!({ "favourite_colour": "red" }),
        )
        .await;
    let error = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_unknown",
    );
    assert_eq!(error["meta"]["param_name"], "favourite_colour");

    let (status, body) = api
        .patch(&format!("/users/{id}"), json!({ "first_name": 42 }))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
}

#[tokio::test]
async fn create_rejects_duplicate_and_malformed_identifiers() {
    let api = Api::start().await;
    api.user("taken@example.com").await;
    let (status, body) = api
        .post("/users", json!({ "email_address": ["Taken@Example.com"] }))
        .await;
    let error = assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
    );
    assert_eq!(error["meta"]["param_name"], "email_address");

    let (status, body) = api
        .post("/users", json!({ "email_address": ["not-an-email"] }))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_format_invalid",
    );
    let (status, body) = api.post("/users", json!({ "phone_number": ["555"] })).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_format_invalid",
    );
    let (status, body) = api
        .post(
            "/users",
            json!({ "email_address": ["p@example.com"], "password": "short" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_password_length_too_short",
    );
    let (status, body) = api
        .post("/users", json!({ "email_address": "single@example.com" }))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
    // Nothing was created by the failed attempts.
    let (_, count) = api.get("/users/count").await;
    assert_eq!(count["total_count"], 1);
}

#[tokio::test]
async fn metadata_merges_deeply_and_null_deletes() {
    let api = Api::start().await;
    let (_, user) = api
        .post(
            "/users",
            json!({ "public_metadata": { "plan": "free", "limits": { "seats": 1, "projects": 3 } }, "private_metadata": { "stripe": "cus_1" } }),
        )
        .await;
    let id = s(&user, "id");
    let (status, merged) = api
        .patch(
            &format!("/users/{id}/metadata"),
            json!({ "public_metadata": { "limits": { "seats": 5, "projects": null }, "beta": true }, "unsafe_metadata": { "theme": "dark" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(
        merged["public_metadata"],
        json!({ "plan": "free", "limits": { "seats": 5 }, "beta": true })
    );
    assert_eq!(merged["private_metadata"], json!({ "stripe": "cus_1" }));
    assert_eq!(merged["unsafe_metadata"], json!({ "theme": "dark" }));

    let (_, replaced) = api
        .put(
            &format!("/users/{id}/metadata"),
            json!({ "public_metadata": { "only": 1 } }),
        )
        .await;
    assert_eq!(replaced["public_metadata"], json!({ "only": 1 }));
    assert_eq!(replaced["private_metadata"], json!({ "stripe": "cus_1" }));
}

#[tokio::test]
async fn ban_revokes_sessions_and_lock_sets_flags() {
    let api = Api::start().await;
    let id = s(&api.user("ban@example.com").await, "id");
    let (_, session) = api.post("/sessions", json!({ "user_id": id })).await;
    let (status, banned) = api.post(&format!("/users/{id}/ban"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(banned["banned"], true);
    let (_, session) = api.get(&format!("/sessions/{}", s(&session, "id"))).await;
    assert_eq!(session["status"], "revoked");
    let (_, banned_list) = api.get("/users?banned=true").await;
    assert_eq!(ids(&banned_list), vec![id.clone()]);
    let (_, unbanned) = api.post(&format!("/users/{id}/unban"), json!({})).await;
    assert_eq!(unbanned["banned"], false);

    let (_, locked) = api.post(&format!("/users/{id}/lock"), json!({})).await;
    assert_eq!(locked["locked"], true);
    let (_, unlocked) = api.post(&format!("/users/{id}/unlock"), json!({})).await;
    assert_eq!(unlocked["locked"], false);

    let (status, many) = api.post("/users/ban", json!({ "user_ids": [id] })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(many[0]["banned"], true);
}

#[tokio::test]
async fn email_addresses_live_in_their_user() {
    let api = Api::start().await;
    let user = api.user("first@example.com").await;
    let id = s(&user, "id");
    let (status, email) = api
        .post(
            "/email_addresses",
            json!({ "user_id": id, "email_address": "second@example.com", "verified": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{email}");
    let email_id = s(&email, "id");
    let (_, fetched) = api.get(&format!("/email_addresses/{email_id}")).await;
    assert_eq!(fetched, email);

    let (_, updated) = api
        .patch(
            &format!("/email_addresses/{email_id}"),
            json!({ "primary": true }),
        )
        .await;
    assert_eq!(updated["id"], email["id"]);
    let (_, user) = api.get(&format!("/users/{id}")).await;
    assert_eq!(user["primary_email_address_id"], email_id.as_str());
    assert_eq!(user["email_addresses"].as_array().map(Vec::len), Some(2));

    let (status, deleted) = api.delete(&format!("/email_addresses/{email_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        deleted,
        json!({ "object": "email_address", "id": email_id, "deleted": true })
    );
    let (_, user) = api.get(&format!("/users/{id}")).await;
    assert_eq!(user["email_addresses"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        user["primary_email_address_id"],
        user["email_addresses"][0]["id"]
    );
    let (status, body) = api.get(&format!("/email_addresses/{email_id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn delete_answers_a_deleted_object_and_forgets_the_user() {
    let api = Api::start().await;
    let id = s(&api.user("gone@example.com").await, "id");
    let (status, deleted) = api.delete(&format!("/users/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        deleted,
        json!({ "object": "user", "id": id, "deleted": true })
    );
    let (status, body) = api.get(&format!("/users/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (status, body) = api.delete(&format!("/users/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    // The address is free again.
    api.user("gone@example.com").await;
}

#[tokio::test]
async fn verify_password_compares_with_the_password_set() {
    let api = Api::start().await;
    let (_, user) = api
        .post(
            "/users",
            json!({ "email_address": ["pw@example.com"], "password": "s3cret-enough" }),
        )
        .await;
    let id = s(&user, "id");
    let (status, ok) = api
        .post(
            &format!("/users/{id}/verify_password"),
            json!({ "password": "s3cret-enough" }),
        )
        .await;
    assert_eq!((status, ok), (StatusCode::OK, json!({ "verified": true })));
    let (status, body) = api
        .post(
            &format!("/users/{id}/verify_password"),
            json!({ "password": "wrong" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "incorrect_password",
    );
}
