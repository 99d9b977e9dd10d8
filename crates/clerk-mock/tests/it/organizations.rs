//! Organizations, memberships and organization invitations.

use crate::common::{Api, assert_error, s};
use crate::schema;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn data_ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|o| s(o, "id"))
        .collect()
}

#[tokio::test]
async fn organization_lifecycle() {
    let api = Api::start().await;
    let owner = s(&api.user("owner@example.com").await, "id");
    let (status, org) = api
        .post("/organizations", json!({ "name": "Acme Inc.", "created_by": owner, "public_metadata": { "tier": "gold" } }))
        .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    let doc = schema::load_spec();
    schema::check_component(&doc, "Organization", &org).expect("an Organization");
    assert_eq!(org["slug"], "acme-inc");
    assert_eq!(org["members_count"], 1);
    let id = s(&org, "id");
    assert!(id.starts_with("org_"));

    let (_, by_slug) = api.get("/organizations/acme-inc").await;
    assert_eq!(by_slug["id"], id.as_str());
    let (status, body) = api
        .post(
            "/organizations",
            json!({ "name": "Other", "slug": "acme-inc" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form_identifier_exists",
    );
    let (_, second) = api
        .post("/organizations", json!({ "name": "Acme Inc." }))
        .await;
    assert_eq!(second["slug"], "acme-inc-2");

    let (_, page) = api.get("/organizations?order_by=name&limit=1").await;
    assert_eq!(page["total_count"], 2);
    assert_eq!(data_ids(&page).len(), 1);
    let (_, mine) = api.get(&format!("/organizations?user_id={owner}")).await;
    assert_eq!(data_ids(&mine), vec![id.clone()]);

    let (_, updated) = api
        .patch(
            &format!("/organizations/{id}"),
            json!({ "name": "Acme Corp" }),
        )
        .await;
    assert_eq!(updated["name"], "Acme Corp");
    let (_, merged) = api
        .patch(
            &format!("/organizations/{id}/metadata"),
            json!({ "public_metadata": { "tier": null, "seats": 10 } }),
        )
        .await;
    assert_eq!(merged["public_metadata"], json!({ "seats": 10 }));

    let (status, deleted) = api.delete(&format!("/organizations/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["object"], "organization");
    let (status, body) = api.get(&format!("/organizations/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (_, memberships) = api
        .get(&format!("/users/{owner}/organization_memberships"))
        .await;
    assert_eq!(memberships["total_count"], 0);
}

#[tokio::test]
async fn memberships_add_list_update_remove() {
    let api = Api::start().await;
    let owner = s(&api.user("boss@example.com").await, "id");
    let member = s(&api.user("member@example.com").await, "id");
    let (_, org) = api
        .post(
            "/organizations",
            json!({ "name": "Team", "created_by": owner }),
        )
        .await;
    let org_id = s(&org, "id");

    let (status, membership) = api
        .post(
            &format!("/organizations/{org_id}/memberships"),
            json!({ "user_id": member, "role": "org:member" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{membership}");
    assert_eq!(membership["object"], "organization_membership");
    assert_eq!(membership["role"], "org:member");
    assert_eq!(membership["organization"]["id"], org_id.as_str());
    assert_eq!(membership["organization"]["members_count"], 2);
    assert_eq!(membership["public_user_data"]["user_id"], member.as_str());
    assert_eq!(
        membership["public_user_data"]["identifier"],
        "member@example.com"
    );

    let (status, body) = api
        .post(
            &format!("/organizations/{org_id}/memberships"),
            json!({ "user_id": member, "role": "org:member" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "already_a_member_in_organization",
    );

    let (_, list) = api
        .get(&format!(
            "/organizations/{org_id}/memberships?role=org:admin"
        ))
        .await;
    assert_eq!(list["total_count"], 1);
    assert_eq!(
        list["data"][0]["public_user_data"]["user_id"],
        owner.as_str()
    );
    let (_, everyone) = api.get("/organization_memberships").await;
    assert_eq!(everyone["total_count"], 2);

    let (_, promoted) = api
        .patch(
            &format!("/organizations/{org_id}/memberships/{member}"),
            json!({ "role": "org:admin" }),
        )
        .await;
    assert_eq!(promoted["role"], "org:admin");
    let (_, with_meta) = api
        .patch(
            &format!("/organizations/{org_id}/memberships/{member}/metadata"),
            json!({ "public_metadata": { "desk": 7 } }),
        )
        .await;
    assert_eq!(with_meta["public_metadata"], json!({ "desk": 7 }));

    let (status, removed) = api
        .delete(&format!("/organizations/{org_id}/memberships/{member}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(removed["public_user_data"]["user_id"], member.as_str());
    let (status, body) = api
        .delete(&format!("/organizations/{org_id}/memberships/{member}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
    let (_, org) = api.get(&format!("/organizations/{org_id}")).await;
    assert_eq!(org["members_count"], 1);

    let (status, body) = api
        .post(
            &format!("/organizations/{org_id}/memberships"),
            json!({ "user_id": "user_nobody", "role": "org:member" }),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "resource_not_found");
}

#[tokio::test]
async fn invitations_create_list_revoke() {
    let api = Api::start().await;
    let owner = s(&api.user("inviter@example.com").await, "id");
    let guest = s(&api.user("guest@example.com").await, "id");
    let (_, org) = api
        .post(
            "/organizations",
            json!({ "name": "Club", "created_by": owner }),
        )
        .await;
    let org_id = s(&org, "id");
    let (status, invitation) = api
        .post(
            &format!("/organizations/{org_id}/invitations"),
            json!({ "email_address": "guest@example.com", "role": "org:member", "inviter_user_id": owner }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{invitation}");
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["public_inviter_data"]["user_id"], owner.as_str());
    let invitation_id = s(&invitation, "id");

    let (status, body) = api
        .post(
            &format!("/organizations/{org_id}/invitations"),
            json!({ "email_address": "guest@example.com", "role": "org:member" }),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "organization_invitation_not_unique",
    );

    let (_, pending) = api
        .get(&format!(
            "/organizations/{org_id}/invitations?status=pending"
        ))
        .await;
    assert_eq!(pending["total_count"], 1);
    let (_, for_guest) = api
        .get(&format!("/users/{guest}/organization_invitations"))
        .await;
    assert_eq!(for_guest["total_count"], 1);
    assert_eq!(
        for_guest["data"][0]["public_organization_data"]["id"],
        org_id.as_str()
    );
    let (_, org) = api.get(&format!("/organizations/{org_id}")).await;
    assert_eq!(org["pending_invitations_count"], 1);

    let (status, revoked) = api
        .post(
            &format!("/organizations/{org_id}/invitations/{invitation_id}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(revoked["status"], "revoked");
    let (status, body) = api
        .post(
            &format!("/organizations/{org_id}/invitations/{invitation_id}/revoke"),
            json!({}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invitation_already_revoked",
    );

    let (status, bulk) = api
        .post(
            &format!("/organizations/{org_id}/invitations/bulk"),
            json!([{ "email_address": "x@example.com", "role": "org:member" }, { "email_address": "y@example.com", "role": "org:admin" }]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
    assert_eq!(bulk["total_count"], 2);
    let (_, all) = api.get("/organization_invitations").await;
    assert_eq!(all["total_count"], 3);
}
