//! Webhook verification and decoding, against deliveries signed by the Python `svix`
//! package (`tests/fixtures/webhooks/generate.py`).

use clerk_backend_api::webhooks::types::{
    EmailAddressVerification, OrganizationDomainVerification, PhoneNumberVerification,
    SessionStatus, User, UserObject, WebhookEventPayload,
};
use clerk_backend_api::webhooks::{
    DEFAULT_MAX_BODY_SIZE, DEFAULT_TOLERANCE, Event, SecretError, SigningSecret, Verifier,
    VerifierBuilder, VerifyError, WebhookError,
};
use http::{HeaderMap, HeaderValue, Request};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Deserialize)]
struct Delivery {
    name: String,
    file: String,
    svix_id: String,
    timestamp: i64,
    signature: String,
    #[serde(rename = "type")]
    event_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Fixtures {
    secret: String,
    other_secret: String,
    events: Vec<Delivery>,
    unknown_type: Delivery,
    data_mismatch: Delivery,
    several_signatures: Delivery,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webhooks")
}

fn fixtures() -> Fixtures {
    let text = std::fs::read_to_string(fixture_dir().join("deliveries.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

impl Delivery {
    fn body(&self) -> Vec<u8> {
        std::fs::read(fixture_dir().join(&self.file)).unwrap()
    }

    fn headers(&self) -> HeaderMap {
        self.headers_named("svix-id", "svix-timestamp", "svix-signature")
    }

    fn headers_named(&self, id: &str, timestamp: &str, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::HeaderName::from_bytes(id.as_bytes()).unwrap(),
            self.svix_id.parse().unwrap(),
        );
        headers.insert(
            http::HeaderName::from_bytes(timestamp.as_bytes()).unwrap(),
            self.timestamp.to_string().parse().unwrap(),
        );
        headers.insert(
            http::HeaderName::from_bytes(signature.as_bytes()).unwrap(),
            self.signature.parse().unwrap(),
        );
        headers
    }
}

/// A verifier for `secret` whose clock reads `at` (Unix seconds).
fn verifier_at(secret: &str, at: i64) -> Verifier {
    let at = UNIX_EPOCH + Duration::from_secs(at.try_into().unwrap());
    Verifier::builder()
        .secret(secret)
        .clock(move || at)
        .build()
        .unwrap()
}

fn verify(f: &Fixtures, d: &Delivery) -> Result<Event, WebhookError> {
    verifier_at(&f.secret, d.timestamp).verify_event(&d.headers(), &d.body())
}

#[test]
fn fixtures_cover_every_known_event_type_once() {
    let f = fixtures();
    let in_fixtures: Vec<&str> = f
        .events
        .iter()
        .filter_map(|d| d.event_type.as_deref())
        .collect();
    let unique: BTreeSet<&str> = in_fixtures.iter().copied().collect();
    assert_eq!(unique.len(), in_fixtures.len(), "a type appears twice");
    let known: BTreeSet<&str> = Event::KNOWN_TYPES.iter().copied().collect();
    assert_eq!(unique, known);
    assert_eq!(known.len(), 45);
}

#[test]
fn every_event_type_verifies_and_decodes_to_its_variant() {
    let f = fixtures();
    for d in &f.events {
        let event = verify(&f, d).unwrap_or_else(|e| panic!("{}: {e}", d.name));
        if let Event::Other(other) = &event {
            panic!("{}: did not decode: {:?}", d.name, other.decode_error);
        }
        assert_eq!(event.known_type(), d.event_type.as_deref(), "{}", d.name);
        assert_eq!(event.event_type(), d.name);
        assert_eq!(
            event.envelope().instance_id,
            "ins_2Zk8QmTbN4xVfJ0aPq7RrLwY3cD"
        );
        assert_eq!(event.envelope().timestamp, d.timestamp * 1000);
    }
}

#[test]
fn decoded_events_encode_back_to_the_same_event() {
    let f = fixtures();
    for d in f.events.iter().chain([&f.unknown_type, &f.data_mismatch]) {
        let event = verify(&f, d).unwrap();
        let json = serde_json::to_value(&event).unwrap();
        let again = Event::from_value(json).unwrap();
        // The mismatch reason is not part of the JSON; everything else must survive.
        match (&event, &again) {
            (Event::Other(a), Event::Other(b)) => {
                assert_eq!((&a.envelope, &a.data), (&b.envelope, &b.data), "{}", d.name)
            }
            _ => assert_eq!(event, again, "{}", d.name),
        }
    }
}

#[test]
fn typed_data_holds_the_sample_values() {
    let f = fixtures();
    let find = |name: &str| f.events.iter().find(|d| d.name == name).unwrap();

    let Event::UserCreated(created) = verify(&f, find("user.created")).unwrap() else {
        panic!("user.created is not UserCreated");
    };
    let user: &User = &created.data;
    assert_eq!(user.id, "user_2Zk8QpTbN4xVfJ0aPq7RrLwY3cD");
    assert_eq!(user.object, UserObject::User);
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(user.external_id, None);
    assert!(matches!(
        user.email_addresses[0].verification,
        Some(EmailAddressVerification::Otp(_))
    ));
    assert!(matches!(
        user.phone_numbers[0].verification,
        Some(PhoneNumberVerification::Admin(_))
    ));
    let attributes = created.envelope.event_attributes.as_ref().unwrap();
    let request = attributes.http_request.as_ref().unwrap();
    assert_eq!(request.client_ip.as_deref(), Some("203.0.113.24"));

    // `pending` is not among the session statuses the spec lists: kept as unknown.
    let Event::SessionPending(pending) = verify(&f, find("session.pending")).unwrap() else {
        panic!("session.pending is not SessionPending");
    };
    assert_eq!(
        pending.data.status,
        SessionStatus::Unknown("pending".into())
    );
    assert_eq!(pending.data.user.id, user.id);

    let Event::OrganizationInvitationAccepted(accepted) =
        verify(&f, find("organizationInvitation.accepted")).unwrap()
    else {
        panic!("organizationInvitation.accepted is not OrganizationInvitationAccepted");
    };
    assert_eq!(accepted.data.user_id, "user_2Zk8SU4OrH9yQ2zSvA6vJ0iM4nR");
    let organization = accepted
        .data
        .data
        .public_organization_data
        .as_ref()
        .unwrap();
    assert_eq!(organization.slug, "analytical-engines");

    let Event::RoleDeleted(deleted) = verify(&f, find("role.deleted")).unwrap() else {
        panic!("role.deleted is not RoleDeleted");
    };
    assert!(deleted.data.deleted);
}

#[test]
fn our_signatures_match_svix() {
    let f = fixtures();
    let secret = SigningSecret::new(&f.secret).unwrap();
    for d in f.events.iter().chain([&f.unknown_type, &f.data_mismatch]) {
        assert_eq!(
            secret.sign(&d.svix_id, d.timestamp, &d.body()),
            d.signature,
            "{}",
            d.name
        );
    }
}

#[test]
fn standard_webhooks_header_names_are_accepted() {
    let f = fixtures();
    let d = &f.events[0];
    let headers = d.headers_named("webhook-id", "webhook-timestamp", "webhook-signature");
    let event = verifier_at(&f.secret, d.timestamp).verify_event(&headers, &d.body());
    assert!(event.is_ok(), "{event:?}");
}

#[test]
fn the_two_header_sets_are_not_mixed() {
    let f = fixtures();
    let d = &f.events[0];
    let mut headers = d.headers_named("svix-id", "webhook-timestamp", "webhook-signature");
    let result = verifier_at(&f.secret, d.timestamp).verify(&headers, &d.body());
    assert_eq!(result, Err(VerifyError::MissingHeader("svix-timestamp")));
    headers.insert("svix-timestamp", d.timestamp.to_string().parse().unwrap());
    let result = verifier_at(&f.secret, d.timestamp).verify(&headers, &d.body());
    assert_eq!(result, Err(VerifyError::MissingHeader("svix-signature")));
}

#[test]
fn changed_body_is_rejected() {
    let f = fixtures();
    let d = f.events.iter().find(|d| d.name == "user.created").unwrap();
    let body = String::from_utf8(d.body())
        .unwrap()
        .replace("\"banned\": false", "\"banned\": true");
    assert_ne!(body.as_bytes(), d.body());
    let result = verifier_at(&f.secret, d.timestamp).verify(&d.headers(), body.as_bytes());
    assert_eq!(result, Err(VerifyError::NoMatchingSignature));

    // One byte more is a change too.
    let mut longer = d.body();
    longer.push(b' ');
    let result = verifier_at(&f.secret, d.timestamp).verify(&d.headers(), &longer);
    assert_eq!(result, Err(VerifyError::NoMatchingSignature));
}

#[test]
fn changed_id_or_timestamp_is_rejected() {
    let f = fixtures();
    let d = &f.events[3];
    let verifier = verifier_at(&f.secret, d.timestamp);
    let mut headers = d.headers();
    headers.insert("svix-id", "msg_somebody_else".parse().unwrap());
    assert_eq!(
        verifier.verify(&headers, &d.body()),
        Err(VerifyError::NoMatchingSignature)
    );

    let mut headers = d.headers();
    headers.insert(
        "svix-timestamp",
        (d.timestamp + 1).to_string().parse().unwrap(),
    );
    assert_eq!(
        verifier.verify(&headers, &d.body()),
        Err(VerifyError::NoMatchingSignature)
    );
}

#[test]
fn wrong_secret_is_rejected() {
    let f = fixtures();
    let d = &f.events[0];
    let result = verifier_at(&f.other_secret, d.timestamp).verify(&d.headers(), &d.body());
    assert_eq!(result, Err(VerifyError::NoMatchingSignature));
}

/// The `whsec_` prefix only labels the string: the bare base64 key is accepted (as the
/// Svix libraries do) and verifies the same deliveries.
#[test]
fn secret_without_prefix_is_accepted() {
    let f = fixtures();
    let bare = f.secret.strip_prefix("whsec_").unwrap();
    for d in &f.events {
        let result = verifier_at(bare, d.timestamp).verify(&d.headers(), &d.body());
        assert_eq!(result, Ok(()), "{}", d.name);
    }
    // Unpadded and surrounded by whitespace (as from a file) is the same key.
    let loose = format!("  {}\n", f.secret.trim_end_matches('='));
    let d = &f.events[0];
    assert_eq!(
        verifier_at(&loose, d.timestamp).verify(&d.headers(), &d.body()),
        Ok(())
    );
}

#[test]
fn unusable_secrets_are_rejected() {
    assert_eq!(SigningSecret::new("").unwrap_err(), SecretError::Empty);
    assert_eq!(
        SigningSecret::new("whsec_").unwrap_err(),
        SecretError::Empty
    );
    assert_eq!(SigningSecret::new("  \n").unwrap_err(), SecretError::Empty);
    assert_eq!(
        SigningSecret::new("whsec_not*base64!").unwrap_err(),
        SecretError::InvalidBase64
    );
    assert_eq!(
        SigningSecret::new("sk_test_abcdefghijklmnop").unwrap_err(),
        SecretError::InvalidBase64
    );
}

#[test]
fn secret_from_env() {
    let f = fixtures();
    let d = &f.events[0];
    // SAFETY: no other test in this binary reads or writes this variable.
    unsafe { std::env::set_var("CLERK_WEBHOOK_SIGNING_SECRET", &f.secret) };
    let at = UNIX_EPOCH + Duration::from_secs(d.timestamp as u64);
    let verifier = VerifierBuilder::from_env()
        .clock(move || at)
        .build()
        .unwrap();
    assert_eq!(verifier.verify(&d.headers(), &d.body()), Ok(()));
    unsafe { std::env::remove_var("CLERK_WEBHOOK_SIGNING_SECRET") };
    assert_eq!(
        Verifier::from_env().unwrap_err(),
        SecretError::MissingEnv {
            var: "CLERK_WEBHOOK_SIGNING_SECRET"
        }
    );
}

#[test]
fn debug_and_errors_never_show_the_secret() {
    let f = fixtures();
    let key = f.secret.strip_prefix("whsec_").unwrap();
    let verifier = Verifier::from_secret(&f.secret).unwrap();
    for text in [
        format!("{verifier:?}"),
        format!("{:?}", verifier.secret()),
        format!("{:?}", SigningSecret::new(&f.secret).unwrap()),
    ] {
        assert!(text.contains("redacted"), "{text}");
        assert!(!text.contains(key) && !text.contains(&key[..12]), "{text}");
    }
    let bad = format!("whsec_{key}!!");
    let error = SigningSecret::new(&bad).unwrap_err();
    assert!(!format!("{error} {error:?}").contains(&key[..12]));
}

#[test]
fn timestamp_too_old_is_rejected() {
    let f = fixtures();
    let d = &f.events[0];
    let limit = DEFAULT_TOLERANCE.as_secs() as i64;
    let ok = verifier_at(&f.secret, d.timestamp + limit).verify(&d.headers(), &d.body());
    assert_eq!(ok, Ok(()));
    let late = verifier_at(&f.secret, d.timestamp + limit + 1).verify(&d.headers(), &d.body());
    assert_eq!(
        late,
        Err(VerifyError::TimestampTooOld {
            age: Duration::from_secs(301),
            tolerance: DEFAULT_TOLERANCE
        })
    );
}

#[test]
fn timestamp_too_far_in_the_future_is_rejected() {
    let f = fixtures();
    let d = &f.events[0];
    let limit = DEFAULT_TOLERANCE.as_secs() as i64;
    let ok = verifier_at(&f.secret, d.timestamp - limit).verify(&d.headers(), &d.body());
    assert_eq!(ok, Ok(()));
    let early = verifier_at(&f.secret, d.timestamp - limit - 1).verify(&d.headers(), &d.body());
    assert_eq!(
        early,
        Err(VerifyError::TimestampTooNew {
            ahead: Duration::from_secs(301),
            tolerance: DEFAULT_TOLERANCE
        })
    );
}

#[test]
fn tolerance_is_configurable() {
    let f = fixtures();
    let d = &f.events[0];
    let verifier = |at: i64| {
        let at = UNIX_EPOCH + Duration::from_secs(at as u64);
        Verifier::builder()
            .secret(&f.secret)
            .clock_skew(Duration::from_secs(10))
            .clock(move || at)
            .build()
            .unwrap()
    };
    assert_eq!(
        verifier(d.timestamp + 10).verify(&d.headers(), &d.body()),
        Ok(())
    );
    assert!(matches!(
        verifier(d.timestamp + 11).verify(&d.headers(), &d.body()),
        Err(VerifyError::TimestampTooOld { .. })
    ));
    assert!(matches!(
        verifier(d.timestamp - 11).verify(&d.headers(), &d.body()),
        Err(VerifyError::TimestampTooNew { .. })
    ));
}

#[test]
fn the_system_clock_rejects_old_deliveries() {
    // The fixtures were signed for 2026-01-01; without an injected clock they are stale
    // today (and would be "too new" on a machine whose clock is years behind).
    let f = fixtures();
    let d = &f.events[0];
    let result = Verifier::from_secret(&f.secret)
        .unwrap()
        .verify(&d.headers(), &d.body());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if now > d.timestamp + 300 {
        assert!(
            matches!(result, Err(VerifyError::TimestampTooOld { .. })),
            "{result:?}"
        );
    } else if now < d.timestamp - 300 {
        assert!(
            matches!(result, Err(VerifyError::TimestampTooNew { .. })),
            "{result:?}"
        );
    }
}

#[test]
fn each_missing_header_is_named() {
    let f = fixtures();
    let d = &f.events[0];
    let verifier = verifier_at(&f.secret, d.timestamp);
    for name in ["svix-id", "svix-timestamp", "svix-signature"] {
        let mut headers = d.headers();
        headers.remove(name);
        assert_eq!(
            verifier.verify(&headers, &d.body()),
            Err(VerifyError::MissingHeader(name))
        );
        // Present but empty counts as missing.
        headers.insert(name, HeaderValue::from_static(""));
        assert_eq!(
            verifier.verify(&headers, &d.body()),
            Err(VerifyError::MissingHeader(name))
        );
    }
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut headers = d.headers_named("webhook-id", "webhook-timestamp", "webhook-signature");
        headers.remove(name);
        assert_eq!(
            verifier.verify(&headers, &d.body()),
            Err(VerifyError::MissingHeader(name))
        );
    }
    assert_eq!(
        verifier.verify(&HeaderMap::new(), &d.body()),
        Err(VerifyError::MissingHeader("svix-id"))
    );
}

#[test]
fn timestamp_that_is_not_a_number_is_rejected() {
    let f = fixtures();
    let d = &f.events[0];
    let verifier = verifier_at(&f.secret, d.timestamp);
    for bad in ["soon", "1767225600.5", "0x69558600", "99999999999999999999"] {
        let mut headers = d.headers();
        headers.insert("svix-timestamp", bad.parse().unwrap());
        assert_eq!(
            verifier.verify(&headers, &d.body()),
            Err(VerifyError::InvalidTimestamp("svix-timestamp")),
            "{bad}"
        );
    }
}

#[test]
fn malformed_signatures_are_rejected() {
    let f = fixtures();
    let d = &f.events[0];
    let verifier = verifier_at(&f.secret, d.timestamp);
    let valid = d.signature.strip_prefix("v1,").unwrap();
    for bad in [
        "garbage".to_string(),
        "v1".to_string(),
        "v1,".to_string(),
        "v1,not*base64".to_string(),
        "v1,AAAA".to_string(),
        format!("v1,{valid}{valid}"),
        valid.to_string(),
        "   ".to_string(),
    ] {
        let mut headers = d.headers();
        headers.insert("svix-signature", bad.parse().unwrap());
        assert_eq!(
            verifier.verify(&headers, &d.body()),
            Err(VerifyError::MalformedSignature("svix-signature")),
            "{bad:?}"
        );
    }
    // A well-formed signature that does not match is a different failure.
    let mut headers = d.headers();
    headers.insert(
        "svix-signature",
        format!("v1,{}", "A".repeat(43) + "=").parse().unwrap(),
    );
    assert_eq!(
        verifier.verify(&headers, &d.body()),
        Err(VerifyError::NoMatchingSignature)
    );
}

#[test]
fn several_signatures_with_only_the_last_valid_are_accepted() {
    let f = fixtures();
    let d = &f.several_signatures;
    assert_eq!(d.signature.split(' ').count(), 4);
    let event = verify(&f, d).unwrap();
    assert_eq!(event.known_type(), Some("user.updated"));

    // The same list without its last entry matches nothing.
    let mut without_last: Vec<&str> = d.signature.split(' ').collect();
    without_last.pop();
    let mut headers = d.headers();
    headers.insert("svix-signature", without_last.join(" ").parse().unwrap());
    let result = verifier_at(&f.secret, d.timestamp).verify(&headers, &d.body());
    assert_eq!(result, Err(VerifyError::NoMatchingSignature));
}

#[test]
fn unknown_event_type_decodes_to_the_fallback_with_its_json() {
    let f = fixtures();
    let d = &f.unknown_type;
    let Event::Other(other) = verify(&f, d).unwrap() else {
        panic!("an unknown type decoded to a typed variant");
    };
    assert_eq!(other.envelope.type_, "agent.summoned");
    assert_eq!(other.decode_error, None);
    assert_eq!(other.data["mood"], "curious");
    let original: Value = serde_json::from_slice(&d.body()).unwrap();
    assert_eq!(serde_json::to_value(Event::Other(other)).unwrap(), original);
}

#[test]
fn known_type_with_data_that_does_not_fit_decodes_to_the_fallback() {
    let f = fixtures();
    let d = &f.data_mismatch;
    let event = verify(&f, d).unwrap();
    assert_eq!(event.event_type(), "user.created");
    assert_eq!(event.known_type(), None);
    let Event::Other(other) = event else {
        unreachable!()
    };
    assert!(other.decode_error.is_some());
    assert_eq!(other.data, json!({ "id": 42, "object": "user" }));
}

#[test]
fn verify_request_reads_headers_and_body() {
    let f = fixtures();
    let d = &f.events[0];
    let verifier = verifier_at(&f.secret, d.timestamp);
    let mut request = Request::post("/webhooks/clerk").body(d.body()).unwrap();
    *request.headers_mut() = d.headers();
    assert_eq!(
        verifier.verify_request(&request).unwrap().known_type(),
        d.event_type.as_deref()
    );

    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, bytes::Bytes::from(body));
    assert!(verifier.verify_request(&request).is_ok());
}

#[test]
fn error_statuses() {
    let f = fixtures();
    let d = &f.events[0];
    let secret = SigningSecret::new(&f.secret).unwrap();
    let verifier = verifier_at(&f.secret, d.timestamp);

    let error = verifier
        .verify_event(&HeaderMap::new(), &d.body())
        .unwrap_err();
    assert_eq!(error.status(), http::StatusCode::UNAUTHORIZED);

    // Authentic, but not an event.
    for body in [&b"not json"[..], br#"{"data": {}}"#, b"[1, 2]"] {
        let mut headers = d.headers();
        headers.insert(
            "svix-signature",
            secret.sign(&d.svix_id, d.timestamp, body).parse().unwrap(),
        );
        let error = verifier.verify_event(&headers, body).unwrap_err();
        assert!(matches!(error, WebhookError::Payload(_)), "{error:?}");
        assert_eq!(error.status(), http::StatusCode::BAD_REQUEST);
    }
}

#[test]
fn unknown_enum_values_round_trip() {
    let status: SessionStatus = serde_json::from_value(json!("hibernating")).unwrap();
    assert_eq!(status, SessionStatus::Unknown("hibernating".into()));
    assert_eq!(serde_json::to_value(&status).unwrap(), json!("hibernating"));
    assert_eq!(status.to_string(), "hibernating");

    let known: SessionStatus = serde_json::from_value(json!("active")).unwrap();
    assert_eq!(known, SessionStatus::Active);
    assert_eq!(SessionStatus::from("active"), SessionStatus::Active);
    assert_eq!(serde_json::to_value(&known).unwrap(), json!("active"));
    assert!(serde_json::from_value::<SessionStatus>(json!(3)).is_err());
}

#[test]
fn unknown_fields_are_kept_and_encoded_back() {
    let input = json!({
        "type": "role.deleted",
        "object": "event",
        "timestamp": 1767225600000_i64,
        "instance_id": "ins_1",
        "delivery_attempt": 2,
        "data": { "object": "role", "id": "role_1", "deleted": true, "deleted_by": "user_9" }
    });
    let event = Event::from_value(input.clone()).unwrap();
    let Event::RoleDeleted(payload) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(payload.data.extra["deleted_by"], "user_9");
    assert_eq!(payload.envelope.extra["delivery_attempt"], 2);
    assert_eq!(serde_json::to_value(&event).unwrap(), input);
}

#[test]
fn absent_required_nullable_field_decodes_as_none() {
    // `verified_at` is required but nullable; leaving it out is read as null.
    let verification: OrganizationDomainVerification = serde_json::from_value(json!({
        "status": "verified", "strategy": "email_code", "attempts": 1, "expire_at": null
    }))
    .unwrap();
    assert_eq!(verification.verified_at, None);
    assert_eq!(verification.expire_at, None);
    // It is still written out, as null.
    assert_eq!(
        serde_json::to_value(&verification).unwrap()["verified_at"],
        Value::Null
    );
    // A required field that is not nullable is still required.
    assert!(
        serde_json::from_value::<OrganizationDomainVerification>(json!({
            "strategy": "email_code", "attempts": 1, "expire_at": null, "verified_at": null
        }))
        .is_err()
    );
}

#[test]
fn unknown_kind_in_a_tagged_union_is_kept() {
    let json =
        json!({ "object": "verification_carrier_pigeon", "status": "verified", "feathers": 3 });
    let verification: EmailAddressVerification = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(
        verification,
        EmailAddressVerification::Unknown(json.clone())
    );
    assert_eq!(verification.tag(), Some("verification_carrier_pigeon"));
    assert_eq!(serde_json::to_value(&verification).unwrap(), json);

    // A known tag chooses its type, even where another kind's fields would also fit.
    let admin: EmailAddressVerification = serde_json::from_value(json!({
        "object": "verification_admin", "status": "verified", "strategy": "admin",
        "attempts": null, "expire_at": null
    }))
    .unwrap();
    assert!(
        matches!(admin, EmailAddressVerification::Admin(_)),
        "{admin:?}"
    );
}

#[test]
fn envelope_fields_are_required() {
    for missing in ["type", "object", "timestamp", "instance_id"] {
        let mut event = json!({
            "type": "role.deleted", "object": "event", "timestamp": 1, "instance_id": "ins_1",
            "data": { "object": "role", "deleted": true }
        });
        event.as_object_mut().unwrap().remove(missing);
        assert!(Event::from_value(event).is_err(), "{missing}");
    }
    assert!(serde_json::from_value::<WebhookEventPayload>(json!({})).is_err());
}

#[test]
fn signatures_are_decoded_strictly() {
    let f = fixtures();
    let d = &f.events[0];
    let verifier = verifier_at(&f.secret, d.timestamp);
    // The fixture's own signature carries its padding and passes.
    assert!(d.signature.ends_with('='));
    assert_eq!(verifier.verify(&d.headers(), &d.body()), Ok(()));
    let with = |signature: &str| {
        let mut headers = d.headers();
        headers.insert("svix-signature", signature.parse().unwrap());
        verifier.verify(&headers, &d.body())
    };
    let malformed = Err(VerifyError::MalformedSignature("svix-signature"));
    // The same signature without its padding, or in the URL-safe alphabet, does not.
    assert_eq!(with(d.signature.trim_end_matches('=')), malformed);
    let url_safe = d.signature.replace('+', "-").replace('/', "_");
    if url_safe != d.signature {
        assert_eq!(with(&url_safe), malformed);
    }
    // A malformed entry next to the valid one refuses the delivery, wherever it stands.
    for list in [
        format!("garbage {}", d.signature),
        format!("{} v1,abc,def", d.signature),
        format!("v1,AAAA {}", d.signature),
        format!("{}  {}", d.signature, d.signature),
        format!("{} ", d.signature),
        format!(" {}", d.signature),
    ] {
        assert_eq!(with(&list), malformed, "{list:?}");
    }
    // Entries of other versions are skipped.
    assert_eq!(with(&format!("v1a,AAAA {}", d.signature)), Ok(()));
    assert_eq!(
        with(&format!("v2,{}", &d.signature[3..])),
        Err(VerifyError::NoMatchingSignature)
    );
}

#[test]
fn the_timestamp_has_one_spelling() {
    let f = fixtures();
    let d = &f.events[0];
    let verifier = verifier_at(&f.secret, d.timestamp);
    let secret = SigningSecret::new(&f.secret).unwrap();
    for spelling in [
        format!("+{}", d.timestamp),
        format!("0{}", d.timestamp),
        format!("{}.0", d.timestamp),
        format!(" {}", d.timestamp),
        format!("{}abc", d.timestamp),
    ] {
        let mut headers = d.headers();
        headers.insert("svix-timestamp", spelling.parse().unwrap());
        assert_eq!(
            verifier.verify(&headers, &d.body()),
            Err(VerifyError::InvalidTimestamp("svix-timestamp")),
            "{spelling:?}"
        );
    }
    // The plain spelling, signed by us, passes: `sign` writes what `verify` reads.
    let signature = secret.sign(d.svix_id.as_str(), d.timestamp, &d.body());
    assert_eq!(signature, d.signature);
}

#[test]
fn sign_takes_the_id_as_bytes() {
    let f = fixtures();
    let d = &f.events[0];
    let secret = SigningSecret::new(&f.secret).unwrap();
    let id = d.svix_id.clone();
    let from_str = secret.sign(id.as_str(), d.timestamp, &d.body());
    assert_eq!(secret.sign(id.as_bytes(), d.timestamp, &d.body()), from_str);
    assert_eq!(
        secret.sign(id.clone().into_bytes(), d.timestamp, &d.body()),
        from_str
    );
    assert_eq!(from_str, d.signature);
    // An id that is not UTF-8 signs and verifies as the bytes it is.
    let id = [b'm', b's', b'g', b'_', 0xff];
    let signature = secret.sign(id, d.timestamp, &d.body());
    let mut headers = d.headers();
    headers.insert("svix-id", HeaderValue::from_bytes(&id).unwrap());
    headers.insert("svix-signature", signature.parse().unwrap());
    assert_eq!(
        verifier_at(&f.secret, d.timestamp).verify(&headers, &d.body()),
        Ok(())
    );
}

#[test]
fn the_builder_needs_a_secret_and_names_its_settings_as_the_token_verifier() {
    assert_eq!(
        Verifier::builder().build().unwrap_err(),
        SecretError::Missing
    );
    assert_eq!(
        Verifier::builder().secret("whsec_!!!").build().unwrap_err(),
        SecretError::InvalidBase64
    );
    let f = fixtures();
    let verifier = Verifier::builder()
        .signing_secret(SigningSecret::new(&f.secret).unwrap())
        .build()
        .unwrap();
    assert_eq!(verifier.max_body_size(), DEFAULT_MAX_BODY_SIZE);
    assert!(!format!("{:?}", Verifier::builder().secret(&f.secret)).contains(&f.secret[6..]));
}
