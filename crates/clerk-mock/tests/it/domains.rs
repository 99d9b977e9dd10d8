//! Domains, proxy checks and redirect URLs keep state.

use crate::common::{Api, assert_error, s};
use clerk_mock::MockServer;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn satellite_domains_are_added_listed_updated_and_deleted() {
    let api = Api::start().await;
    let (status, list) = api.get("/domains").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total_count"], 1, "the primary domain: {list}");
    let primary = s(&list["data"][0], "id");
    assert_eq!(list["data"][0]["is_satellite"], false);

    let (status, domain) = api
        .post(
            "/domains",
            json!({ "name": "Shop.Example.com", "is_satellite": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{domain}");
    let id = s(&domain, "id");
    assert!(id.starts_with("dmn_"));
    assert_eq!(domain["name"], "shop.example.com");
    assert_eq!(domain["frontend_api_url"], "https://clerk.shop.example.com");

    let (_, list) = api.get("/domains").await;
    assert_eq!(list["total_count"], 2);
    assert_eq!(list["data"][1]["id"], id.as_str());

    let (status, updated) = api
        .patch(
            &format!("/domains/{id}"),
            json!({ "name": "store.example.com" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["name"], "store.example.com");
    let (_, list) = api.get("/domains").await;
    assert_eq!(list["data"][1]["name"], "store.example.com");

    // Names are unique; the primary domain stays.
    let (status, body) = api
        .post(
            "/domains",
            json!({ "name": "store.example.com", "is_satellite": true }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
    );
    let (status, body) = api.delete(&format!("/domains/{primary}")).await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "primary_domain_cannot_be_deleted",
    );

    let (status, deleted) = api.delete(&format!("/domains/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        deleted,
        json!({ "object": "domain", "id": id, "deleted": true })
    );
    let (status, body) = api.patch(&format!("/domains/{id}"), json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (_, list) = api.get("/domains").await;
    assert_eq!(list["total_count"], 1);
}

#[tokio::test]
async fn proxies_are_for_production_instances() {
    let api = Api::start().await;
    let (status, body) = api
        .post(
            "/domains",
            json!({ "name": "a.example.com", "is_satellite": true, "proxy_url": "https://a.example.com/__clerk" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "proxy_not_allowed_in_development",
    );

    let live = MockServer::builder()
        .secret_key("sk_live_mocked")
        .start()
        .await
        .expect("server starts");
    let api = Api::with(live);
    let (_, instance) = api.get("/instance").await;
    assert_eq!(instance["environment_type"], "production");
    let (status, domain) = api
        .post(
            "/domains",
            json!({ "name": "b.example.com", "is_satellite": true, "proxy_url": "https://b.example.com/__clerk" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{domain}");
    assert_eq!(domain["proxy_url"], "https://b.example.com/__clerk");
    // Ports are for development instances.
    let (status, body) = api
        .post(
            "/domains",
            json!({ "name": "localhost:3000", "is_satellite": true }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_format_invalid",
    );

    let (status, check) = api
        .post(
            "/proxy_checks",
            json!({ "domain_id": domain["id"], "proxy_url": "https://b.example.com/__clerk" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["object"], "proxy_check");
    assert_eq!(check["domain_id"], domain["id"]);
    assert_eq!(check["successful"], true);
    let (status, body) = api
        .post(
            "/proxy_checks",
            json!({ "domain_id": "dmn_unknown", "proxy_url": "https://b.example.com/__clerk" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_resource_not_found",
    );
}

#[tokio::test]
async fn redirect_urls_are_created_read_listed_and_deleted() {
    let api = Api::start().await;
    let (status, created) = api
        .post("/redirect_urls", json!({ "url": "myapp://oauth/callback" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = s(&created, "id");
    let (status, got) = api.get(&format!("/redirect_urls/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created);
    api.post(
        "/redirect_urls",
        json!({ "url": "https://example.com/done" }),
    )
    .await;
    let (_, list) = api.get("/redirect_urls").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let (_, page) = api.get("/redirect_urls?limit=1&offset=1").await;
    assert_eq!(page[0]["url"], "https://example.com/done");

    let (status, body) = api
        .post("/redirect_urls", json!({ "url": "myapp://oauth/callback" }))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "duplicate_record");
    let (status, body) = api
        .post("/redirect_urls", json!({ "url": "not a url" }))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_param_format_invalid",
    );

    let (status, deleted) = api.delete(&format!("/redirect_urls/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deleted"], true);
    let (status, body) = api.get(&format!("/redirect_urls/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}
