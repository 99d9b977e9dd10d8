//! Decoding real-shaped replies, and the forward-compatibility rules: data
//! Clerk adds within an API version must decode and survive a round trip.

use clerk_backend_api::types::{
    ActorToken, ActorTokenStatus, ClerkErrors, CreateActorTokenBody, CreateActorTokenBodyActor,
    Organization, Session, User, VerificationOtpStatus,
};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/bapi/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

#[test]
fn core_fixtures_decode() {
    let user: User = serde_json::from_value(fixture("user")).unwrap();
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(user.external_id, None);
    assert_eq!(user.public_metadata["plan"], "pro");
    assert_eq!(user.email_addresses[0].email_address, "ada@example.test");

    let session: Session = serde_json::from_value(fixture("session")).unwrap();
    assert_eq!(session.status.as_str(), "active");
    assert_eq!(
        session.actor.as_ref().unwrap()["reason"],
        "support ticket 1234"
    );

    let org: Organization = serde_json::from_value(fixture("organization")).unwrap();
    assert_eq!(org.slug, "analytical-engines");

    let token: ActorToken = serde_json::from_value(fixture("actor_token")).unwrap();
    assert_eq!(token.status, ActorTokenStatus::Pending);
    assert_eq!(token.actor["level"], 2);

    let errors: ClerkErrors = serde_json::from_value(fixture("clerk_errors")).unwrap();
    assert_eq!(errors.errors[0].code, "form_identifier_exists");
    assert_eq!(
        errors.clerk_trace_id.as_deref(),
        Some("0b8a4e2f6c3d4a1b9e7f5c2d1a0b3c4d")
    );
}

#[test]
fn fixtures_round_trip_without_loss() {
    for name in [
        "user",
        "session",
        "organization",
        "actor_token",
        "clerk_errors",
    ] {
        let original = fixture(name);
        let again = match name {
            "user" => {
                serde_json::to_value(serde_json::from_value::<User>(original.clone()).unwrap())
            }
            "session" => {
                serde_json::to_value(serde_json::from_value::<Session>(original.clone()).unwrap())
            }
            "organization" => serde_json::to_value(
                serde_json::from_value::<Organization>(original.clone()).unwrap(),
            ),
            "actor_token" => serde_json::to_value(
                serde_json::from_value::<ActorToken>(original.clone()).unwrap(),
            ),
            _ => serde_json::to_value(
                serde_json::from_value::<ClerkErrors>(original.clone()).unwrap(),
            ),
        }
        .unwrap();
        // Every field that carried a value comes back with the same value
        // (fields that were null or an empty object may be left out).
        for (key, value) in original.as_object().unwrap() {
            if !value.is_null() && value != &json!({}) {
                assert_eq!(&again[key], value, "{name}.{key}");
            }
        }
    }
}

#[test]
fn unknown_fields_decode() {
    let mut user = fixture("user");
    user["a_field_added_later"] = json!({"nested": true});
    user["email_addresses"][0]["another_new_field"] = json!(1);
    let decoded: User = serde_json::from_value(user).unwrap();
    assert_eq!(decoded.id, "user_2tQv7pLmKc9XbNfR4aHdE1sWzYo");
}

#[test]
fn unknown_enum_values_are_kept_both_ways() {
    let mut token = fixture("actor_token");
    token["status"] = json!("escalated");
    let decoded: ActorToken = serde_json::from_value(token).unwrap();
    assert_eq!(
        decoded.status,
        ActorTokenStatus::Unknown("escalated".into())
    );
    assert!(decoded.status.is_unknown());
    assert_eq!(
        serde_json::to_value(&decoded).unwrap()["status"],
        "escalated"
    );

    // A nested enum inside a oneOf.
    let mut user = fixture("user");
    user["email_addresses"][0]["verification"]["status"] = json!("quarantined");
    let decoded: User = serde_json::from_value(user).unwrap();
    let again = serde_json::to_value(&decoded).unwrap();
    assert_eq!(
        again["email_addresses"][0]["verification"]["status"],
        "quarantined"
    );

    // Known values still match as plain variants.
    assert_eq!(
        VerificationOtpStatus::from("verified"),
        VerificationOtpStatus::Verified
    );
    assert_eq!(
        "revoked".parse::<ActorTokenStatus>().unwrap(),
        ActorTokenStatus::Revoked
    );
}

#[test]
fn actor_extra_claims_survive_sending_and_receiving() {
    // Sending: every key of the actor goes out, not only `sub`.
    let mut extra = serde_json::Map::new();
    extra.insert("reason".into(), json!("support ticket 1234"));
    extra.insert("level".into(), json!(2));
    let body = CreateActorTokenBody {
        user_id: "user_1".into(),
        actor: CreateActorTokenBodyActor {
            sub: "user_admin".into(),
            extra,
        },
        expires_in_seconds: 3600,
        session_max_duration_in_seconds: 1800,
    };
    let sent = serde_json::to_value(&body).unwrap();
    assert_eq!(
        sent["actor"],
        json!({"sub": "user_admin", "reason": "support ticket 1234", "level": 2})
    );

    // Receiving: the request type decodes extra keys back into `extra`.
    let back: CreateActorTokenBody = serde_json::from_value(sent).unwrap();
    assert_eq!(back.actor.extra["level"], 2);

    // And the reply keeps the whole actor.
    let token: ActorToken = serde_json::from_value(fixture("actor_token")).unwrap();
    assert_eq!(token.actor["reason"], "support ticket 1234");
}

#[test]
fn defaults_of_actor_token_requests() {
    let body: CreateActorTokenBody =
        serde_json::from_value(json!({"user_id": "user_1", "actor": {"sub": "user_admin"}}))
            .unwrap();
    assert_eq!(body.expires_in_seconds, 3600);
    assert_eq!(body.session_max_duration_in_seconds, 1800);
}

#[test]
fn absent_required_nullable_fields_decode_as_none() {
    let mut user = fixture("user");
    let obj = user.as_object_mut().unwrap();
    for key in [
        "external_id",
        "first_name",
        "last_sign_in_at",
        "lockout_expires_in_seconds",
    ] {
        obj.remove(key);
    }
    let decoded: User = serde_json::from_value(user).unwrap();
    assert_eq!(decoded.external_id, None);
    assert_eq!(decoded.first_name, None);
    assert_eq!(decoded.last_sign_in_at, None);

    // A required field that is not nullable is still required.
    let mut user = fixture("user");
    user.as_object_mut().unwrap().remove("id");
    assert!(serde_json::from_value::<User>(user).is_err());
}

#[test]
fn null_meta_in_errors_decodes() {
    let body = json!({
        "errors": [{"code": "resource_not_found", "message": "not found", "long_message": "Resource not found", "meta": null}],
        "meta": null,
        "clerk_trace_id": "abc"
    });
    let decoded: ClerkErrors = serde_json::from_value(body).unwrap();
    assert!(decoded.errors[0].meta.is_none());
    assert!(decoded.meta.is_none());
}
