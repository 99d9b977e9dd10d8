//! The key set cache: single flight on a cold cache, refetch on key rotation, rate limit on
//! unknown key ids, expiry (refreshed in the background), outages, and isolation between
//! verifiers.

mod auth_support;

use std::time::Duration;

use auth_support::*;
use clerk_backend_api::auth::{SignedOutReason, Verifier, VerifierBuilder};
use futures::future::join_all;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn builder(server: &MockServer) -> VerifierBuilder {
    Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .clock(fixed_clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_verifications_on_a_cold_cache_share_one_fetch() {
    let server = MockServer::start().await;
    // A slow answer makes sure the verifications really overlap.
    mount_jwks(
        &server,
        vec![TestKey::instance().jwk(KID)],
        Duration::from_millis(200),
    )
    .await;
    // No rate limit between fetches: only the single flight may keep this at one request.
    let verifier = builder(&server)
        .jwks_refetch_interval(Duration::ZERO)
        .build()
        .expect("valid settings");
    let token = TestKey::instance().session_token();

    let results = join_all((0..100).map(|_| {
        let verifier = verifier.clone();
        let token = token.clone();
        tokio::spawn(async move { verifier.verify_session_token(&token).await })
    }))
    .await;
    for result in results {
        let verified = result.expect("spawned verification finished");
        assert!(verified.is_ok(), "{verified:?}");
    }
    assert_eq!(jwks_requests(&server).await, 1);
}

#[tokio::test]
async fn a_new_kid_triggers_exactly_one_refetch() {
    let server = MockServer::start().await;
    mount_jwks(&server, vec![TestKey::instance().jwk(KID)], Duration::ZERO).await;
    let verifier = builder(&server)
        .jwks_refetch_interval(Duration::ZERO)
        .build()
        .expect("valid settings");
    assert!(
        verifier
            .verify_session_token(&TestKey::instance().session_token())
            .await
            .is_ok()
    );
    assert_eq!(jwks_requests(&server).await, 1);

    // The instance rotates: the key set now also holds the new key.
    server.reset().await;
    mount_jwks(
        &server,
        vec![
            TestKey::instance().jwk(KID),
            TestKey::rotated().jwk("ins_rotated"),
        ],
        Duration::from_millis(100),
    )
    .await;
    let rotated = TestKey::rotated().sign(&rs256_header("ins_rotated"), &session_claims());
    let results = join_all((0..20).map(|_| verifier.verify_session_token(&rotated))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        jwks_requests(&server).await,
        1,
        "one refetch for the new kid"
    );

    // Both keys are now cached: no further fetch.
    assert!(verifier.verify_session_token(&rotated).await.is_ok());
    assert!(
        verifier
            .verify_session_token(&TestKey::instance().session_token())
            .await
            .is_ok()
    );
    assert_eq!(jwks_requests(&server).await, 1);
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_interval() {
    let server = jwks_server(vec![TestKey::instance().jwk(KID)]).await;
    let verifier = builder(&server)
        .jwks_refetch_interval(Duration::from_secs(60))
        .build()
        .expect("valid settings");
    assert!(
        verifier
            .verify_session_token(&TestKey::instance().session_token())
            .await
            .is_ok()
    );
    for i in 0..10 {
        let token = TestKey::instance().sign(
            &rs256_header(&format!("ins_made_up_{i}")),
            &session_claims(),
        );
        assert_eq!(
            verifier.verify_session_token(&token).await.err(),
            Some(SignedOutReason::UnknownKey)
        );
    }
    assert_eq!(
        jwks_requests(&server).await,
        1,
        "made-up kids cause no fetch within the interval"
    );
}

#[tokio::test]
async fn the_key_set_expires_after_its_ttl() {
    let server = jwks_server(vec![TestKey::instance().jwk(KID)]).await;
    let verifier = builder(&server)
        .jwks_cache_ttl(Duration::from_millis(300))
        .jwks_refetch_interval(Duration::ZERO)
        .build()
        .expect("valid settings");
    let token = TestKey::instance().session_token();
    assert!(verifier.verify_session_token(&token).await.is_ok());
    assert!(verifier.verify_session_token(&token).await.is_ok());
    assert_eq!(jwks_requests(&server).await, 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Past its TTL, the set still answers at once and is refreshed behind.
    assert!(verifier.verify_session_token(&token).await.is_ok());
    wait_for_jwks_requests(&server, 2).await;
    assert!(verifier.verify_session_token(&token).await.is_ok());
    assert_eq!(jwks_requests(&server).await, 2);
}

/// Waits (up to two seconds) until the stub has received `count` key set requests.
async fn wait_for_jwks_requests(server: &MockServer, count: usize) {
    let started = std::time::Instant::now();
    while jwks_requests(server).await < count {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "expected {count} key set requests"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn outages_are_server_faults_and_stale_keys_are_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let verifier = builder(&server)
        .jwks_cache_ttl(Duration::from_millis(200))
        .jwks_refetch_interval(Duration::ZERO)
        .build()
        .expect("valid settings");
    let token = TestKey::instance().session_token();
    let reason = verifier.verify_session_token(&token).await.err();
    assert_eq!(reason, Some(SignedOutReason::KeysUnavailable));
    assert!(reason.is_some_and(|r| r.is_server_fault()));

    // Once keys were fetched, a later outage keeps them in use.
    server.reset().await;
    mount_jwks(&server, vec![TestKey::instance().jwk(KID)], Duration::ZERO).await;
    assert!(verifier.verify_session_token(&token).await.is_ok());
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(verifier.verify_session_token(&token).await.is_ok());
    wait_for_jwks_requests(&server, 1).await;
    assert_eq!(
        jwks_requests(&server).await,
        1,
        "the stale set was refreshed once, in vain"
    );
}

#[tokio::test]
async fn a_bad_secret_key_is_a_server_fault() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "errors": [{"code": "authentication_invalid", "message": "invalid"}]
        })))
        .mount(&server)
        .await;
    let verifier = builder(&server).build().expect("valid settings");
    assert_eq!(
        verifier
            .verify_session_token(&TestKey::instance().session_token())
            .await
            .err(),
        Some(SignedOutReason::KeysUnavailable)
    );
}

#[tokio::test]
async fn each_verifier_has_its_own_cache() {
    // Two instances whose keys share a kid: each verifier only trusts its own instance.
    let ours = jwks_server(vec![TestKey::instance().jwk(KID)]).await;
    let theirs = jwks_server(vec![TestKey::other().jwk(KID)]).await;
    let our_verifier = builder(&ours).build().expect("valid settings");
    let their_verifier = builder(&theirs).build().expect("valid settings");

    let our_token = TestKey::instance().session_token();
    let their_token = TestKey::other().session_token();
    assert!(our_verifier.verify_session_token(&our_token).await.is_ok());
    assert!(
        their_verifier
            .verify_session_token(&their_token)
            .await
            .is_ok()
    );
    assert_eq!(
        our_verifier.verify_session_token(&their_token).await.err(),
        Some(SignedOutReason::BadSignature)
    );
    assert_eq!(
        their_verifier.verify_session_token(&our_token).await.err(),
        Some(SignedOutReason::BadSignature)
    );
    // A fresh verifier for the same instance starts cold.
    let second = builder(&ours).build().expect("valid settings");
    assert!(second.verify_session_token(&our_token).await.is_ok());
    assert_eq!(jwks_requests(&ours).await, 2);
}
