//! Rules that hold across operations: unknown ids in paths, `+`/`-` list filters, the cursor
//! rules of `GET /users`, repeated `order_by`, and the status of bad input per operation.

use crate::common::{Api, assert_error, s};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn ids(list: &Value) -> Vec<String> {
    let items = list.get("data").unwrap_or(list);
    items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn unknown_ids_in_paths_answer_404_whether_or_not_the_operation_keeps_state() {
    let api = Api::start().await;
    let user = api.user("known@example.com").await;
    let known = s(&user, "id");
    for (method, path) in [
        ("DELETE", "/users/user_unknown/mfa".to_string()),
        (
            "GET",
            "/users/user_unknown/billing/subscription".to_string(),
        ),
        ("GET", "/users/user_unknown/trusted_devices".to_string()),
        ("DELETE", "/users/user_unknown/passkeys/idn_x".to_string()),
        (
            "GET",
            "/organizations/org_unknown/billing/credits".to_string(),
        ),
        ("GET", "/organization_roles/role_unknown".to_string()),
        ("DELETE", "/domains/dmn_unknown".to_string()),
        ("GET", "/templates/email/unknown_slug".to_string()),
        (
            "PATCH",
            format!("/organizations/org_unknown/memberships/{known}/metadata"),
        ),
        (
            "PATCH",
            "/organizations/org_unknown/domains/orgdmn_x".to_string(),
        ),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let body = (method != reqwest::Method::GET && method != reqwest::Method::DELETE)
            .then(|| json!({}));
        let (status, answer) = api.call(method.clone(), &path, body).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{method} {path} answered {status}: {answer}"
        );
        assert_eq!(answer["errors"][0]["code"], "resource_not_found");
    }
    // The parent is checked first and named in the message.
    let (_, answer) = api
        .delete(&format!("/users/user_unknown/passkeys/{known}"))
        .await;
    assert!(
        answer["errors"][0]["long_message"]
            .as_str()
            .is_some_and(|m| m.contains("user_unknown")),
        "{answer}"
    );
    // A known parent lets operations without state through.
    let (status, _) = api.get(&format!("/users/{known}/trusted_devices")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn user_filters_take_plus_and_minus_prefixes() {
    let api = Api::start().await;
    let mut users = Vec::new();
    for (i, external) in ["ext-a", "ext-b", "ext-c"].iter().enumerate() {
        let (_, user) = api
            .post(
                "/users",
                json!({ "email_address": [format!("u{i}@example.com")], "external_id": external }),
            )
            .await;
        users.push(s(&user, "id"));
    }
    let (_, org) = api.post("/organizations", json!({ "name": "Acme" })).await;
    let org_id = s(&org, "id");
    api.post(
        &format!("/organizations/{org_id}/memberships"),
        json!({ "user_id": users[0], "role": "org:member" }),
    )
    .await;

    let (_, list) = api
        .get("/users?external_id=-ext-a&order_by=%2Bcreated_at")
        .await;
    assert_eq!(ids(&list), [users[1].clone(), users[2].clone()]);
    let (_, list) = api.get("/users?external_id=%2Bext-b").await;
    assert_eq!(ids(&list), [users[1].clone()]);
    // An unencoded `+` arrives as a space, and still includes.
    let (_, list) = api.get("/users?external_id=+ext-b").await;
    assert_eq!(ids(&list), [users[1].clone()]);
    let (_, list) = api
        .get(&format!(
            "/users?user_id=-{}&user_id=-{}",
            users[0], users[2]
        ))
        .await;
    assert_eq!(ids(&list), [users[1].clone()]);
    let (_, list) = api
        .get(&format!(
            "/users?user_id={}&user_id=-{}",
            users[0], users[0]
        ))
        .await;
    assert!(ids(&list).is_empty(), "{list}");
    let (_, list) = api
        .get(&format!(
            "/users?organization_id=-{org_id}&order_by=%2Bcreated_at"
        ))
        .await;
    assert_eq!(ids(&list), [users[1].clone(), users[2].clone()]);
    let (_, count) = api
        .get(&format!("/users/count?organization_id=-{org_id}"))
        .await;
    assert_eq!(count["total_count"], 2);
    let (_, count) = api.get("/users/count?external_id=-ext-c").await;
    assert_eq!(count["total_count"], 2);

    // Organizations and memberships too.
    let (_, other) = api
        .post("/organizations", json!({ "name": "Globex" }))
        .await;
    let (_, orgs) = api
        .get(&format!("/organizations?organization_id=-{org_id}"))
        .await;
    assert_eq!(ids(&orgs), [s(&other, "id")]);
    let (_, orgs) = api
        .get(&format!("/organizations?user_id=-{}", users[0]))
        .await;
    assert_eq!(ids(&orgs), [s(&other, "id")]);
    let (_, orgs) = api
        .get(&format!("/organizations?user_id=%2B{}", users[0]))
        .await;
    assert_eq!(ids(&orgs), std::slice::from_ref(&org_id));
    api.post(
        &format!("/organizations/{org_id}/memberships"),
        json!({ "user_id": users[1], "role": "org:member" }),
    )
    .await;
    let (_, members) = api
        .get(&format!(
            "/organizations/{org_id}/memberships?user_id=-{}",
            users[0]
        ))
        .await;
    assert_eq!(members["total_count"], 1);
    assert_eq!(
        members["data"][0]["public_user_data"]["user_id"],
        users[1].as_str()
    );
}

#[tokio::test]
async fn the_cursor_of_the_user_list_follows_clerks_rules() {
    let api = Api::start().await;
    let mut created = Vec::new();
    for i in 0..4 {
        created.push(s(&api.user(&format!("c{i}@example.com")).await, "id"));
    }
    let (status, page) = api
        .get(&format!(
            "/users?order_by=%2Bcreated_at&starting_after={}&limit=2",
            created[0]
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(ids(&page), created[1..3].to_vec());
    let (status, page) = api
        .get(&format!("/users?starting_after={}", created[3]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page).len(), 3, "newest first by default: {page}");
    let (status, body) = api
        .get(&format!("/users?starting_after={}&offset=1", created[0]))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
    let (status, _) = api
        .get(&format!("/users?starting_after={}&offset=0", created[0]))
        .await;
    assert_eq!(status, StatusCode::OK, "a zero offset is no offset");
    let (status, body) = api
        .get(&format!(
            "/users?starting_after={}&order_by=-email_address",
            created[0]
        ))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
    assert_eq!(body["errors"][0]["meta"]["param_name"], "starting_after");
}

#[tokio::test]
async fn of_several_order_by_the_first_counts() {
    let api = Api::start().await;
    api.post(
        "/users",
        json!({ "email_address": ["b@example.com"], "first_name": "Ann" }),
    )
    .await;
    api.post(
        "/users",
        json!({ "email_address": ["a@example.com"], "first_name": "Zed" }),
    )
    .await;
    let (status, list) = api
        .get("/users?order_by=first_name&order_by=-first_name")
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["first_name"], "Ann");
    let (_, list) = api
        .get("/users?order_by=-first_name&order_by=first_name")
        .await;
    assert_eq!(list[0]["first_name"], "Zed");
    // Other single-valued parameters still refuse repeats.
    let (status, body) = api.get("/users?limit=1&limit=2").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_duplicate",
    );
}

#[tokio::test]
async fn bad_input_gets_the_status_each_operation_documents() {
    let api = Api::start().await;
    // `POST /users/ban` lists 400 and no 422 for bad input.
    let (status, body) = api.post("/users/ban", json!({})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "form_param_missing");
    let (status, body) = api.post("/users/ban", json!({ "user_ids": "x" })).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "form_param_value_invalid",
    );
    let user = api.user("x@example.com").await;
    let id = s(&user, "id");
    let (status, body) = api
        .post(
            &format!("/users/{id}/remove_password"),
            json!({ "unknown": 1 }),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "form_param_unknown");
    let email = s(&user["email_addresses"][0], "id");
    let (status, body) = api
        .patch(
            &format!("/email_addresses/{email}"),
            json!({ "verified": "yes" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "form_param_value_invalid",
    );
    // `POST /users` lists 422.
    let (status, body) = api.post("/users", json!({ "first_name": 5 })).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_value_invalid",
    );
}
