//! The token verifier under injected faults: cleartext API URLs, redirects, oversized replies,
//! and a key set endpoint that hangs or fails. The server is the fault-injecting one of
//! `faults/` on 127.0.0.1.

mod auth_support;
mod faults;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use auth_support::*;
use clerk_backend_api::auth::{
    ConfigError, SignedOutReason, TokenKinds, Verifier, VerifierBuilder,
};
use faults::{FaultServer, Seen, Step, chunk, chunked_head, json_reply, redirect};
use http::{HeaderMap, HeaderValue};

fn jwks_body() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "keys": [TestKey::instance().jwk(KID)] })).unwrap()
}

fn builder(server: &FaultServer) -> VerifierBuilder {
    Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.url())
        .clock(fixed_clock)
}

fn jwks_requests(server: &FaultServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path == "/jwks")
        .count()
}

/// Answers the key set while `up` is true; hangs otherwise.
fn jwks_while(up: Arc<AtomicBool>) -> impl Fn(usize, &Seen) -> Vec<Step> + Send + Sync {
    let body = jwks_body();
    move |_, _| {
        if up.load(Ordering::SeqCst) {
            vec![Step::Write(json_reply("200 OK", &body))]
        } else {
            vec![Step::Hang]
        }
    }
}

#[tokio::test]
async fn plain_http_to_another_host_is_refused_before_any_connection() {
    let server = FaultServer::start(jwks_while(Arc::new(AtomicBool::new(true)))).await;
    let url = format!("http://api.example.com:{}", server.addr.port());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resolving = || {
        reqwest::Client::builder()
            .resolve("api.example.com", server.addr)
            .build()
            .unwrap()
    };
    let refused = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(&url)
        .http_client(resolving())
        .build();
    match refused {
        Err(error @ ConfigError::InsecureApiUrl(_)) => {
            let text = error.to_string();
            assert!(text.contains("api.example.com"), "{text}");
            assert!(text.contains("danger_allow_insecure_http"), "{text}");
        }
        other => panic!("expected InsecureApiUrl, got {other:?}"),
    }
    assert_eq!(server.connections(), 0);

    // Opting in lets the same setup fetch keys: the check was what stopped it.
    let verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(&url)
        .http_client(resolving())
        .danger_allow_insecure_http(true)
        .clock(fixed_clock)
        .build()
        .expect("opted in");
    assert!(
        verifier
            .verify_session_token(&TestKey::instance().session_token())
            .await
            .is_ok()
    );
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = FaultServer::start(jwks_while(Arc::new(AtomicBool::new(true)))).await;
    let target = elsewhere.url();
    let server = FaultServer::start(move |_, request| {
        vec![Step::Write(redirect(
            "307 Temporary Redirect",
            &format!("{target}{}", request.path),
        ))]
    })
    .await;
    let verifier = builder(&server).accept(TokenKinds::ANY).build().unwrap();
    assert_eq!(
        verifier
            .verify_session_token(&TestKey::instance().session_token())
            .await
            .err(),
        Some(SignedOutReason::KeysUnavailable)
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_static("Bearer ak_2abcdefghijklmnop"),
    );
    assert_eq!(
        verifier.authenticate(&headers).await.reason(),
        Some(&SignedOutReason::BackendUnavailable)
    );
    assert_eq!(server.requests().len(), 2);
    assert_eq!(
        elsewhere.connections(),
        0,
        "the secret key went nowhere else"
    );
}

#[tokio::test]
async fn replies_over_one_mebibyte_are_refused() {
    // A machine-token answer of 2 MiB, announced.
    let mut answer = br#"{"object":"api_key","id":"ak_1","subject":"user_1","pad":""#.to_vec();
    answer.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
    answer.extend_from_slice(br#""}"#);
    let server =
        FaultServer::start(move |_, _| vec![Step::Write(json_reply("200 OK", &answer))]).await;
    let verifier = builder(&server).accept(TokenKinds::ANY).build().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_static("Bearer ak_2abcdefghijklmnop"),
    );
    assert_eq!(
        verifier.authenticate(&headers).await.reason(),
        Some(&SignedOutReason::BackendUnavailable)
    );

    // A key set of 100 MB, chunked: refused after the first MiB.
    let server = FaultServer::start(|_, _| {
        let piece = chunk(&b"{},".repeat(20_000));
        let pieces = 100_000_000 / piece.len();
        vec![
            Step::Write(chunked_head()),
            Step::Write(chunk(b"{\"keys\":[")),
            Step::Stream {
                total: pieces * piece.len(),
                chunk: piece,
            },
        ]
    })
    .await;
    let verifier = builder(&server).build().unwrap();
    let started = Instant::now();
    assert_eq!(
        verifier
            .verify_session_token(&TestKey::instance().session_token())
            .await
            .err(),
        Some(SignedOutReason::KeysUnavailable)
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        server.streamed() < 24 * 1024 * 1024,
        "{} bytes streamed before the verifier hung up",
        server.streamed()
    );
}

#[tokio::test]
async fn a_hanging_key_set_endpoint_does_not_hold_up_verifications_with_a_cached_key() {
    let up = Arc::new(AtomicBool::new(true));
    let server = FaultServer::start(jwks_while(up.clone())).await;
    let verifier = builder(&server)
        .jwks_cache_ttl(Duration::from_millis(100))
        .jwks_refetch_interval(Duration::ZERO)
        .jwks_fetch_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let token = TestKey::instance().session_token();
    assert!(verifier.verify_session_token(&token).await.is_ok());

    // The endpoint now hangs, and the cached set is past its TTL.
    up.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    for _ in 0..20 {
        let started = Instant::now();
        assert!(verifier.verify_session_token(&token).await.is_ok());
        let took = started.elapsed();
        // A fetch would take the 10 s timeout; the cache answers at once.
        assert!(
            took < Duration::from_millis(500),
            "a verification took {took:?}"
        );
    }
    // One refresh is under way, not one per verification.
    wait_for(|| jwks_requests(&server) == 2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(verifier.verify_session_token(&token).await.is_ok());
    assert_eq!(jwks_requests(&server), 2);
}

#[tokio::test]
async fn a_stale_key_set_is_refreshed_behind_and_bounded_in_age() {
    let up = Arc::new(AtomicBool::new(true));
    let server = FaultServer::start(jwks_while(up.clone())).await;
    let verifier = builder(&server)
        .jwks_cache_ttl(Duration::from_millis(100))
        .jwks_max_stale(Duration::from_millis(300))
        .jwks_refetch_interval(Duration::ZERO)
        .jwks_fetch_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let token = TestKey::instance().session_token();
    assert!(verifier.verify_session_token(&token).await.is_ok());

    // Past the TTL, the API up: answered from the cache, refreshed in the background.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(verifier.verify_session_token(&token).await.is_ok());
    wait_for(|| jwks_requests(&server) == 2).await;

    // The API down for longer than TTL + max stale: the keys are no longer used.
    up.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        verifier.verify_session_token(&token).await.err(),
        Some(SignedOutReason::KeysUnavailable)
    );

    // Back up: the next fetch restores them.
    up.store(true, Ordering::SeqCst);
    assert!(verifier.verify_session_token(&token).await.is_ok());
}

#[tokio::test]
async fn after_a_failed_fetch_verifications_fail_fast() {
    let server = FaultServer::start(|_, _| vec![Step::Hang]).await;
    let verifier = builder(&server)
        .jwks_fetch_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let token = TestKey::instance().session_token();

    let started = Instant::now();
    assert_eq!(
        verifier.verify_session_token(&token).await.err(),
        Some(SignedOutReason::KeysUnavailable)
    );
    let first = started.elapsed();
    assert!(
        first >= Duration::from_millis(300),
        "the fetch ran to its timeout: {first:?}"
    );
    assert!(first < Duration::from_secs(3), "and no longer: {first:?}");

    // Right after: answered at once, without another request.
    let started = Instant::now();
    for _ in 0..50 {
        assert_eq!(
            verifier.verify_session_token(&token).await.err(),
            Some(SignedOutReason::KeysUnavailable)
        );
    }
    let rest = started.elapsed();
    assert!(
        rest < Duration::from_millis(250),
        "50 verifications took {rest:?}"
    );
    assert_eq!(jwks_requests(&server), 1);
}

#[tokio::test]
async fn during_an_outage_only_one_caller_waits_for_a_retry() {
    let up = Arc::new(AtomicBool::new(false));
    let server = FaultServer::start(jwks_while(up.clone())).await;
    let verifier = builder(&server)
        .jwks_fetch_timeout(Duration::from_millis(400))
        .jwks_refetch_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    let token = TestKey::instance().session_token();
    assert_eq!(
        verifier.verify_session_token(&token).await.err(),
        Some(SignedOutReason::KeysUnavailable)
    );
    tokio::time::sleep(Duration::from_millis(150)).await;

    // The interval has passed: one caller starts (and waits for) the next fetch; those
    // arriving while it runs fail at once instead of queueing behind it.
    let waiting = {
        let verifier = verifier.clone();
        let token = token.clone();
        tokio::spawn(async move { verifier.verify_session_token(&token).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    assert_eq!(
        verifier.verify_session_token(&token).await.err(),
        Some(SignedOutReason::KeysUnavailable)
    );
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        waiting.await.unwrap().err(),
        Some(SignedOutReason::KeysUnavailable)
    );
    assert_eq!(jwks_requests(&server), 2);
}

/// Polls `done` for up to two seconds.
async fn wait_for(done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "timed out waiting"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
