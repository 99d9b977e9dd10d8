//! Setters take what a Rust programmer has at hand (see
//! `clerk_backend_api::convert`). Each form below must compile, and must
//! send what it says. The forms that must not compile are the
//! `compile_fail` examples of `src/convert.rs`.

mod common;

use clerk_backend_api::prelude::*;
use clerk_backend_api::types::{
    CreateOrganizationBody, CreateUserBody, GetSessionListStatus, UpdateUserBody,
};
use serde_json::{Value, json};
use std::borrow::Cow;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A stub that answers every request with a 404, and the query strings of
/// what it received, in order.
async fn stub() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"errors": []})))
        .mount(&server)
        .await;
    server
}

async fn queries(server: &MockServer) -> Vec<Vec<(String, String)>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.query_pairs().into_owned().collect())
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn query_and_path_parameters_take_natural_values() {
    let server = stub().await;
    let clerk = common::clerk(&server.uri());
    let owned = String::from("user_2");
    let ids = vec![String::from("org_1"), String::from("org_2")];
    let handles = ["ada", "grace"];

    // Strings (&str, String, &String), integer literals (a NonZeroU64 limit
    // and a u64 offset), bool, and every kind of string list.
    let _ = clerk
        .get_user_list()
        .limit(10)
        .offset(20usize)
        .banned(true)
        .created_at_after(1_700_000_000_000i64)
        .last_active_at_since(5)
        .query("ada")
        .order_by(String::from("-created_at"))
        .provider(&owned)
        .email_address(["a@example.test", "b@example.test"])
        .user_id(vec!["user_1", "user_2"])
        .external_id(vec![String::from("ext_1")])
        .organization_id(&ids)
        .phone_number(&["+15550100"][..])
        .username(handles.iter().map(|h| h.to_uppercase()))
        .web3_wallet(Vec::<Cow<'_, str>>::new())
        .send()
        .await;
    // Path parameters.
    let _ = clerk.get_user().user_id("user_1").send().await;
    let _ = clerk.get_user().user_id(owned.clone()).send().await;
    let _ = clerk.get_user().user_id(&owned).send().await;
    // An enum: a variant or its string form; a list of enum values.
    let _ = clerk
        .get_session_list()
        .status(GetSessionListStatus::Active)
        .send()
        .await;
    let _ = clerk.get_session_list().status("revoked").send().await;
    let _ = clerk
        .list_all_organization_domains()
        .enrollment_mode(["automatic_invitation", "manual_invitation"])
        .send()
        .await;

    let got = queries(&server).await;
    assert_eq!(
        got[0],
        pairs(&[
            ("banned", "true"),
            ("created_at_after", "1700000000000"),
            ("email_address", "a@example.test"),
            ("email_address", "b@example.test"),
            ("external_id", "ext_1"),
            ("last_active_at_since", "5"),
            ("limit", "10"),
            ("offset", "20"),
            ("order_by", "-created_at"),
            ("organization_id", "org_1"),
            ("organization_id", "org_2"),
            ("phone_number", "+15550100"),
            ("provider", "user_2"),
            ("query", "ada"),
            ("user_id", "user_1"),
            ("user_id", "user_2"),
            ("username", "ADA"),
            ("username", "GRACE"),
        ])
    );
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(
        paths[1..4],
        ["/v1/users/user_1", "/v1/users/user_2", "/v1/users/user_2"]
    );
    assert_eq!(got[4], pairs(&[("status", "active")]));
    assert_eq!(got[5], pairs(&[("status", "revoked")]));
    assert_eq!(
        got[6],
        pairs(&[
            ("enrollment_mode", "automatic_invitation"),
            ("enrollment_mode", "manual_invitation"),
        ])
    );
}

#[cfg(feature = "machine-auth")]
#[tokio::test]
async fn number_parameters_take_integers_and_floats() {
    let server = stub().await;
    let clerk = common::clerk(&server.uri());
    let _ = clerk
        .get_api_keys()
        .subject("user_1")
        .limit(10)
        .offset(2.0)
        .send()
        .await;
    // The spec types these as numbers: they are sent as floats.
    let got = &queries(&server).await[0];
    let number = |key: &str| -> f64 {
        let (_, v) = got.iter().find(|(k, _)| k == key).unwrap();
        v.parse().unwrap()
    };
    assert_eq!((number("limit"), number("offset")), (10.0, 2.0));
}

fn json_of<B, T>(builder: B) -> Value
where
    T: TryFrom<B> + serde::Serialize,
    T::Error: std::fmt::Display,
{
    match T::try_from(builder) {
        Ok(body) => serde_json::to_value(body).unwrap(),
        Err(e) => panic!("the body did not build: {e}"),
    }
}

#[test]
fn body_fields_take_natural_values() {
    let email = String::from("ada@example.test");
    let mut private = serde_json::Map::new();
    private.insert("score".into(), json!(7));
    let body = CreateUserBody::builder()
        .email_address([&email])
        .phone_number(Vec::<String>::new())
        .first_name("Ada")
        .last_name(String::from("Lovelace"))
        .external_id(&email)
        .username(Some("ada"))
        .password(None::<&str>)
        .skip_password_requirement(true)
        .public_metadata(json!({"plan": "pro"}))
        .private_metadata(private)
        .password_hasher("bcrypt")
        .email_address_identification_status(["verified"]);
    let sent = json_of::<_, CreateUserBody>(body);
    assert_eq!(sent["email_address"], json!(["ada@example.test"]));
    assert_eq!(sent["first_name"], "Ada");
    assert_eq!(sent["last_name"], "Lovelace");
    assert_eq!(sent["external_id"], "ada@example.test");
    assert_eq!(sent["username"], "ada");
    assert!(sent.get("password").is_none(), "None leaves it out");
    assert_eq!(sent["skip_password_requirement"], true);
    assert_eq!(sent["public_metadata"], json!({"plan": "pro"}));
    assert_eq!(sent["private_metadata"], json!({"score": 7}));
    assert_eq!(sent["password_hasher"], "bcrypt");
    assert_eq!(
        sent["email_address_identification_status"],
        json!(["verified"])
    );
}

#[test]
fn nullable_fields_take_a_value_or_null() {
    let body = UpdateUserBody::builder()
        .first_name("Ada")
        .last_name(Nullable::Null)
        .username(Nullable::from("ada"))
        .locale(Nullable::Value("fr-FR".to_string()))
        .external_id(None::<String>)
        .create_organizations_limit(3)
        .delete_self_enabled(false);
    let sent = json_of::<_, UpdateUserBody>(body);
    assert_eq!(
        sent,
        json!({
            "first_name": "Ada",
            "last_name": null,
            "username": "ada",
            "locale": "fr-FR",
            "create_organizations_limit": 3,
            "delete_self_enabled": false,
        })
    );
    let body = CreateOrganizationBody::builder()
        .name("Acme")
        .public_metadata(json!({"tier": 1}))
        .private_metadata(Nullable::Null)
        .max_allowed_memberships(50);
    let sent = json_of::<_, CreateOrganizationBody>(body);
    assert_eq!(sent["public_metadata"], json!({"tier": 1}));
    assert_eq!(sent["private_metadata"], Value::Null);
    assert_eq!(sent["max_allowed_memberships"], 50);
}

#[cfg(feature = "machine-auth")]
#[test]
fn claims_and_float_fields() {
    use clerk_backend_api::types::{CreateApiKeyBody, CreateM2mTokenBody};
    let body = CreateApiKeyBody::builder()
        .name("ci")
        .subject("user_1")
        .scopes(["read", "write"])
        .claims(json!({"team": "ops"}))
        .seconds_until_expiration(3600);
    let sent = json_of::<_, CreateApiKeyBody>(body);
    assert_eq!(sent["claims"], json!({"team": "ops"}));
    assert_eq!(sent["seconds_until_expiration"], json!(3600.0));
    assert_eq!(sent["scopes"], json!(["read", "write"]));
    let body = CreateM2mTokenBody::builder()
        .seconds_until_expiration(90.5)
        .min_remaining_ttl_seconds(60);
    let sent = json_of::<_, CreateM2mTokenBody>(body);
    assert_eq!(sent["seconds_until_expiration"], json!(90.5));
    assert_eq!(sent["min_remaining_ttl_seconds"], 60);
}

#[test]
fn conversions_that_fail_name_the_field() {
    let body = CreateUserBody::builder().public_metadata(json!(["not", "an", "object"]));
    let err = CreateUserBody::try_from(body).unwrap_err().to_string();
    assert_eq!(
        err,
        "`CreateUserBody.public_metadata`: expected a JSON object, got an array \
         (use Nullable::Null to send null)"
    );
    let body = UpdateUserBody::builder().create_organizations_limit(u64::MAX);
    let err = UpdateUserBody::try_from(body).unwrap_err().to_string();
    assert!(err.contains("create_organizations_limit"), "{err}");
    assert!(err.contains("out of range"), "{err}");
}
