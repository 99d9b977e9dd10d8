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

/// Decodes `json` as `T` and encodes it again.
fn again<T: serde::de::DeserializeOwned + serde::Serialize>(json: &Value) -> (T, Value) {
    let decoded: T = serde_json::from_value(json.clone()).unwrap();
    let encoded = serde_json::to_value(&decoded).unwrap();
    (decoded, encoded)
}

#[test]
fn a_discriminator_chooses_the_variant_and_nothing_is_dropped() {
    use clerk_backend_api::types::{EmailAddressVerification, EnterpriseAccountVerification};

    // Verified through OAuth: the OTP variant's fields are all there too,
    // but `object` says what it is, and `error` survives.
    let oauth = json!({
        "object": "verification_from_oauth", "status": "unverified",
        "strategy": "from_oauth_google", "attempts": null, "expire_at": null,
        "error": {"code": "oauth_access_denied", "message": "denied", "long_message": "Access denied"}
    });
    let (decoded, encoded) = again::<EmailAddressVerification>(&oauth);
    let EmailAddressVerification::FromOauth(v) = decoded else {
        panic!("{decoded:?}")
    };
    assert_eq!(v.error.unwrap().code, "oauth_access_denied");
    assert_eq!(encoded, oauth);

    // SAML keeps its redirect URL.
    let saml = json!({
        "object": "verification_saml", "status": "unverified", "strategy": "saml",
        "attempts": null, "expire_at": 1767225600000_i64,
        "external_verification_redirect_url": "https://idp.example.test/sso"
    });
    let (decoded, encoded) = again::<EnterpriseAccountVerification>(&saml);
    assert!(
        matches!(&decoded, EnterpriseAccountVerification::Saml(v)
            if v.external_verification_redirect_url.as_deref() == Some("https://idp.example.test/sso")),
        "{decoded:?}"
    );
    assert_eq!(encoded, saml);

    // Without the discriminator, the fields decide.
    let mut untagged = saml.clone();
    untagged.as_object_mut().unwrap().remove("object");
    let (decoded, encoded) = again::<EnterpriseAccountVerification>(&untagged);
    assert!(
        matches!(decoded, EnterpriseAccountVerification::Saml(_)),
        "{decoded:?}"
    );
    assert_eq!(encoded, untagged);
}

#[test]
fn an_unknown_kind_is_kept_whole() {
    use clerk_backend_api::types::EmailAddressVerification;
    let new_kind = json!({
        "object": "verification_carrier_pigeon", "status": "verified", "feathers": 3
    });
    let (decoded, encoded) = again::<EmailAddressVerification>(&new_kind);
    assert!(
        matches!(&decoded, EmailAddressVerification::Unknown(v) if *v == new_kind),
        "{decoded:?}"
    );
    assert_eq!(encoded, new_kind);

    // A known kind that does not match its type is an error that says so.
    let broken = json!({"object": "verification_otp", "status": 5});
    let err = serde_json::from_value::<EmailAddressVerification>(broken).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("EmailAddressVerification") && text.contains("verification_otp"),
        "{text}"
    );
}

#[test]
fn jwks_keys_take_the_variant_that_explains_their_fields() {
    use clerk_backend_api::types::{Jwks, JwksKeysItem};
    let jwks = json!({"keys": [
        {"kid": "ins_ec", "alg": "ES256", "use": "sig", "kty": "EC", "crv": "P-256",
         "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
         "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
        {"kid": "ins_ed", "alg": "EdDSA", "use": "sig", "kty": "OKP", "crv": "Ed25519",
         "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        {"kid": "ins_rsa", "alg": "RS256", "use": "sig", "kty": "RSA", "n": "0vx7", "e": "AQAB"},
        {"kid": "ins_new", "alg": "ML-DSA-44", "use": "sig", "kty": "AKP", "pub": "abc"}
    ]});
    let (decoded, encoded) = again::<Jwks>(&jwks);
    assert!(
        matches!(&decoded.keys[0], JwksKeysItem::EcdsaPublicKey(k) if k.y.starts_with("x_FE")),
        "{:?}",
        decoded.keys[0]
    );
    assert!(matches!(decoded.keys[1], JwksKeysItem::Ed25519PublicKey(_)));
    assert!(matches!(decoded.keys[2], JwksKeysItem::RsaPublicKey(_)));
    // A key type none of the variants can hold is kept as JSON.
    assert!(matches!(decoded.keys[3], JwksKeysItem::Unknown(_)));
    assert_eq!(encoded, jwks);
}

#[test]
fn unions_without_a_discriminator() {
    use clerk_backend_api::types::{SessionRefresh, VerifyOauthAccessTokenResponse};
    let token = json!({"object": "token", "jwt": "eyJ.x.y"});
    let (decoded, encoded) = again::<SessionRefresh>(&token);
    assert!(matches!(decoded, SessionRefresh::Token(_)));
    assert_eq!(encoded, token);
    let cookies = json!({"object": "cookies", "cookies": ["__session=abc"]});
    let (decoded, _) = again::<SessionRefresh>(&cookies);
    assert!(matches!(decoded, SessionRefresh::Cookies(_)));

    let inactive = json!({"active": false});
    let (decoded, encoded) = again::<VerifyOauthAccessTokenResponse>(&inactive);
    assert!(matches!(
        decoded,
        VerifyOauthAccessTokenResponse::Variant1(_)
    ));
    assert_eq!(encoded, inactive);
}

#[test]
fn saml_connections_decode_without_the_undefined_required_fields() {
    use clerk_backend_api::types::SamlConnection;
    let mut connection = json!({
        "object": "saml_connection", "id": "samlc_1", "name": "Acme",
        "domain": "acme.test", "domains": ["acme.test", "acme.example"],
        "idp_entity_id": null, "idp_sso_url": null, "idp_certificate": null,
        "idp_certificate_issued_at": null, "idp_certificate_expires_at": null,
        "acs_url": "https://clerk.test/acs", "sp_entity_id": "https://clerk.test/sp",
        "sp_metadata_url": "https://clerk.test/metadata", "active": true, "provider": "saml_custom",
        "user_count": 3, "sync_user_attributes": true, "allow_subdomains": false,
        "allow_idp_initiated": false, "disable_additional_identifications": false,
        "allow_organization_account_linking": false, "force_authn": false,
        "login_hint": {"mode": "off"}, "created_at": 1, "updated_at": 2
    });
    // Neither `authenticatable` nor `disable_jit_provisioning`: still decodes,
    // and both `domain` and `domains` are kept.
    let (decoded, encoded) = again::<SamlConnection>(&connection);
    assert_eq!(decoded.domain.as_deref(), Some("acme.test"));
    assert_eq!(decoded.domains.len(), 2);
    assert_eq!(encoded, connection);
    // When sent, they are kept as they came.
    connection["authenticatable"] = json!(true);
    connection["disable_jit_provisioning"] = json!(null);
    let (decoded, encoded) = again::<SamlConnection>(&connection);
    assert_eq!(decoded.extra["authenticatable"], true);
    assert_eq!(encoded, connection);
}

#[test]
fn numbers_keep_their_precision_and_unknown_fields_come_back() {
    use clerk_backend_api::types::CommerceSubscriptionCreditResponse;
    // `format: float` in the spec; f32 would turn 0.1 into 0.10000000149011612.
    let json = json!({
        "amount": {"amount": 1, "amount_formatted": "0.01", "currency": "USD", "currency_symbol": "$"},
        "cycle_remaining_percent": 0.1, "added_later": {"x": 1}
    });
    let (decoded, encoded) = again::<CommerceSubscriptionCreditResponse>(&json);
    assert_eq!(decoded.cycle_remaining_percent, Some(0.1_f64));
    assert_eq!(decoded.extra["added_later"]["x"], 1);
    assert_eq!(encoded, json);
}

#[test]
fn an_absent_required_value_of_any_type_decodes_as_null() {
    use clerk_backend_api::types::GetApiKeyResponse;
    let json = json!({
        "object": "api_key", "id": "ak_1", "type": "api_key", "name": "ci", "subject": "user_1",
        "scopes": [], "revoked": false, "revocation_reason": null, "expired": false,
        "expiration": null, "created_by": null, "description": null, "last_used_at": null,
        "created_at": 1.0, "updated_at": 2.0
    });
    let (decoded, encoded) = again::<GetApiKeyResponse>(&json);
    assert!(decoded.claims.is_null());
    assert_eq!(encoded["claims"], Value::Null);
}
