//! The webhook replay guard: a delivery accepted once is refused when it arrives again.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_backend_api::webhooks::{
    InMemorySeenIds, SeenIds, SeenIdsError, Verifier, VerifyError, WebhookError,
};
use http::{HeaderMap, StatusCode};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const BODY: &[u8] = br#"{"type":"role.deleted","object":"event","timestamp":1716883200000,
    "instance_id":"ins_2abc","data":{"object":"role","id":"role_2def","deleted":true}}"#;
const NOW: i64 = 1_750_000_000;

fn at(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds as u64)
}

/// A delivery of `id` signed at `timestamp`.
fn delivery(verifier: &Verifier, id: &str, timestamp: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("svix-id", id.parse().unwrap());
    headers.insert("svix-timestamp", timestamp.to_string().parse().unwrap());
    headers.insert(
        "svix-signature",
        verifier.secret().sign(id, timestamp, BODY).parse().unwrap(),
    );
    headers
}

fn guarded(store: impl SeenIds + 'static) -> Verifier {
    guarded_with(store, Duration::from_secs(300))
}

fn guarded_with(store: impl SeenIds + 'static, tolerance: Duration) -> Verifier {
    Verifier::builder()
        .secret(SECRET)
        .clock(|| at(NOW))
        .clock_skew(tolerance)
        .replay_guard(store)
        .build()
        .unwrap()
}

#[test]
fn a_second_delivery_of_one_id_is_refused() {
    let verifier = guarded(InMemorySeenIds::default());
    let headers = delivery(&verifier, "msg_2abc", NOW - 30);
    assert_eq!(verifier.verify(&headers, BODY), Ok(()));
    assert_eq!(verifier.verify(&headers, BODY), Err(VerifyError::Replayed));
    let error = verifier.verify_event(&headers, BODY).unwrap_err();
    assert!(matches!(error, WebhookError::Verify(VerifyError::Replayed)));
    assert_eq!(error.status(), StatusCode::UNAUTHORIZED);

    // Clones share the store.
    assert_eq!(
        verifier.clone().verify(&headers, BODY),
        Err(VerifyError::Replayed)
    );
    // Another message passes.
    let other = delivery(&verifier, "msg_2def", NOW - 30);
    assert_eq!(verifier.verify(&other, BODY), Ok(()));
}

#[test]
fn the_senders_own_retry_is_signed_anew_and_passes() {
    let verifier = guarded(InMemorySeenIds::default());
    let first = delivery(&verifier, "msg_2abc", NOW - 30);
    let retry = delivery(&verifier, "msg_2abc", NOW - 25);
    assert_eq!(verifier.verify(&first, BODY), Ok(()));
    assert_eq!(verifier.verify(&retry, BODY), Ok(()));
    assert_eq!(verifier.verify(&retry, BODY), Err(VerifyError::Replayed));
}

#[test]
fn forged_or_stale_deliveries_are_not_recorded() {
    let store = Arc::new(InMemorySeenIds::default());
    let verifier = guarded(store.clone());
    let mut forged = delivery(&verifier, "msg_2abc", NOW - 30);
    forged.insert(
        "svix-signature",
        "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            .parse()
            .unwrap(),
    );
    assert_eq!(
        verifier.verify(&forged, BODY),
        Err(VerifyError::NoMatchingSignature)
    );
    let stale = delivery(&verifier, "msg_2abc", NOW - 3600);
    assert!(matches!(
        verifier.verify(&stale, BODY),
        Err(VerifyError::TimestampTooOld { .. })
    ));
    assert!(
        store.is_empty(),
        "only authentic, timely deliveries are recorded"
    );
    // So the authentic delivery still passes once.
    let genuine = delivery(&verifier, "msg_2abc", NOW - 30);
    assert_eq!(verifier.verify(&genuine, BODY), Ok(()));
    assert_eq!(store.len(), 1);
}

/// A store shared by "several servers": each verifier has its own, the store is one.
#[test]
fn verifiers_sharing_a_store_refuse_a_replay_sent_to_another() {
    let store = Arc::new(InMemorySeenIds::default());
    let server_a = guarded(store.clone());
    let server_b = guarded(store.clone());
    let headers = delivery(&server_a, "msg_2abc", NOW);
    assert_eq!(server_a.verify(&headers, BODY), Ok(()));
    assert_eq!(server_b.verify(&headers, BODY), Err(VerifyError::Replayed));
}

/// Records what it is asked, answers from a fixed script.
struct Scripted {
    answer: Result<bool, SeenIdsError>,
    asked: std::sync::Mutex<Vec<(String, i64, Duration)>>,
}

impl SeenIds for Scripted {
    fn insert(&self, id: &str, timestamp: i64, ttl: Duration) -> Result<bool, SeenIdsError> {
        self.asked
            .lock()
            .unwrap()
            .push((id.to_string(), timestamp, ttl));
        self.answer.clone()
    }
}

#[test]
fn entries_live_until_the_timestamp_leaves_the_tolerance() {
    let store = Arc::new(Scripted {
        answer: Ok(true),
        asked: Default::default(),
    });
    let verifier = guarded_with(store.clone(), Duration::from_secs(300));
    let headers = delivery(&verifier, "msg_2abc", NOW - 100);
    assert_eq!(verifier.verify(&headers, BODY), Ok(()));
    let headers = delivery(&verifier, "msg_2def", NOW + 100);
    assert_eq!(verifier.verify(&headers, BODY), Ok(()));
    let asked = store.asked.lock().unwrap().clone();
    assert_eq!(
        asked,
        vec![
            ("msg_2abc".to_string(), NOW - 100, Duration::from_secs(201)),
            ("msg_2def".to_string(), NOW + 100, Duration::from_secs(401)),
        ]
    );
}

#[test]
fn a_store_that_cannot_answer_refuses_with_503() {
    let verifier = guarded(Scripted {
        answer: Err(SeenIdsError::new("connection refused")),
        asked: Default::default(),
    });
    let headers = delivery(&verifier, "msg_2abc", NOW);
    let error = verifier.verify_event(&headers, BODY).unwrap_err();
    assert!(
        matches!(&error, WebhookError::Verify(VerifyError::SeenIdsUnavailable(m)) if m.contains("connection refused")),
        "{error:?}"
    );
    assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[test]
fn without_a_guard_a_delivery_passes_any_number_of_times() {
    let verifier = Verifier::builder()
        .secret(SECRET)
        .clock(|| at(NOW))
        .build()
        .unwrap();
    let headers = delivery(&verifier, "msg_2abc", NOW);
    for _ in 0..3 {
        assert_eq!(verifier.verify(&headers, BODY), Ok(()));
    }
    assert!(!format!("{verifier:?}").contains("whsec"));
}
