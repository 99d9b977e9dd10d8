//! The cache of verified tokens, key sets given in memory, and the synchronous path.

mod auth_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use auth_support::*;
use clerk_backend_api::auth::{
    ConfigError, SignedOutReason, TokenCacheStats, TokenKinds, Verifier, VerifierBuilder,
};
use serde_json::json;

/// A clock the test moves, in milliseconds.
#[derive(Clone)]
struct Clock(Arc<AtomicI64>);

impl Clock {
    fn at(seconds: i64) -> Self {
        Self(Arc::new(AtomicI64::new(seconds * 1000)))
    }

    fn set_ms(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    fn install(&self, builder: VerifierBuilder) -> VerifierBuilder {
        let now = self.0.clone();
        builder.clock(move || UNIX_EPOCH + Duration::from_millis(now.load(Ordering::SeqCst) as u64))
    }
}

fn jwks(keys: &[(&TestKey, &str)]) -> String {
    let keys: Vec<_> = keys.iter().map(|(key, kid)| key.jwk(kid)).collect();
    json!({ "keys": keys }).to_string()
}

fn stats(verifier: &Verifier) -> TokenCacheStats {
    verifier.token_cache_stats().expect("cache on")
}

fn cached_pem(clock: &Clock) -> Verifier {
    clock
        .install(
            Verifier::builder()
                .jwt_key(TestKey::instance().public_pem)
                .issuer(ISSUER)
                .authorized_parties([APP_ORIGIN])
                .token_cache(100),
        )
        .build()
        .expect("valid settings")
}

#[test]
fn a_repeated_token_is_answered_from_the_cache_with_the_same_claims() {
    let clock = Clock::at(NOW);
    let verifier = cached_pem(&clock);
    let token = TestKey::instance().session_token();
    let first = verifier.verify_session_token_sync(&token).expect("valid");
    assert_eq!(stats(&verifier).misses, 1);
    assert_eq!(stats(&verifier).hits, 0);
    for _ in 0..3 {
        let again = verifier.verify_session_token_sync(&token).expect("valid");
        assert_eq!(again, first);
    }
    let async_hit = futures::executor::block_on(verifier.verify_session_token(&token));
    assert_eq!(async_hit.as_ref().ok(), Some(&first));
    let s = stats(&verifier);
    assert_eq!((s.entries, s.hits, s.misses), (1, 4, 1));

    // A token one byte off is not the cached one.
    let mut other = token.clone();
    other.push('A');
    assert!(verifier.verify_session_token_sync(&other).is_err());
    assert_eq!(stats(&verifier).hits, 4);

    // Without the cache, nothing is counted.
    let plain = Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .build()
        .expect("valid");
    assert_eq!(plain.token_cache_stats(), None);
}

#[test]
fn refused_tokens_are_not_cached() {
    let clock = Clock::at(NOW);
    let verifier = cached_pem(&clock);
    let token = TestKey::instance().sign(
        &rs256_header(KID),
        &claims_with(json!({"azp": "https://evil.example"})),
    );
    for _ in 0..2 {
        assert_eq!(
            verifier.verify_session_token_sync(&token).err(),
            Some(SignedOutReason::WrongAuthorizedParty)
        );
    }
    let s = stats(&verifier);
    assert_eq!((s.entries, s.hits, s.misses), (0, 0, 2));
}

#[test]
fn an_entry_ends_at_exp_and_the_time_checks_run_on_every_hit() {
    let clock = Clock::at(NOW);
    let verifier = cached_pem(&clock);
    // exp is NOW + 60; nbf NOW - 10.
    let token = TestKey::instance().session_token();
    assert!(verifier.verify_session_token_sync(&token).is_ok());

    clock.set_ms((NOW + 59) * 1000 + 999);
    assert!(verifier.verify_session_token_sync(&token).is_ok());
    assert_eq!(stats(&verifier).hits, 1);

    // At exp the entry is gone: the token is checked again in full, which still accepts it
    // within the clock skew, and it is not cached again.
    clock.set_ms((NOW + 60) * 1000);
    assert!(verifier.verify_session_token_sync(&token).is_ok());
    let s = stats(&verifier);
    assert_eq!((s.hits, s.misses, s.entries), (1, 2, 0));
    clock.set_ms((NOW + 65) * 1000);
    assert_eq!(
        verifier.verify_session_token_sync(&token).err(),
        Some(SignedOutReason::Expired)
    );

    // A cached token whose nbf is ahead of a clock set back is refused on the hit.
    clock.set_ms(NOW * 1000);
    let fresh = TestKey::instance().sign(
        &rs256_header(KID),
        &claims_with(json!({"nbf": NOW + 5, "iat": NOW})),
    );
    assert!(verifier.verify_session_token_sync(&fresh).is_ok());
    clock.set_ms((NOW - 1) * 1000);
    assert_eq!(
        verifier.verify_session_token_sync(&fresh).err(),
        Some(SignedOutReason::NotYetValid)
    );
    assert_eq!(
        stats(&verifier).hits,
        2,
        "refused on a hit, not re-verified"
    );
}

#[test]
fn an_entry_ends_after_the_maximum_age() {
    let clock = Clock::at(NOW);
    let verifier = clock
        .install(
            Verifier::builder()
                .jwt_key(TestKey::instance().public_pem)
                .token_cache(100)
                .token_cache_max_age(Duration::from_secs(10)),
        )
        .build()
        .expect("valid");
    let token = TestKey::instance().session_token();
    assert!(verifier.verify_session_token_sync(&token).is_ok());
    clock.set_ms((NOW + 9) * 1000);
    assert!(verifier.verify_session_token_sync(&token).is_ok());
    clock.set_ms((NOW + 10) * 1000);
    assert!(verifier.verify_session_token_sync(&token).is_ok());
    let s = stats(&verifier);
    assert_eq!((s.hits, s.misses), (1, 2));
}

#[test]
fn replacing_the_key_set_clears_the_cache() {
    let instance = TestKey::instance();
    let rotated = TestKey::rotated();
    let verifier = Verifier::builder()
        .jwks_json(jwks(&[(&instance, KID)]))
        .clock(fixed_clock)
        .token_cache(100)
        .build()
        .expect("valid");
    let token = instance.session_token();
    assert!(verifier.verify_session_token_sync(&token).is_ok());
    assert!(verifier.verify_session_token_sync(&token).is_ok());
    assert_eq!(stats(&verifier).hits, 1);

    // The instance rotates to a new key and drops the old one: the old token must fail now,
    // though it was cached.
    assert_eq!(
        verifier
            .set_jwks_json(&jwks(&[(&rotated, "ins_rotated")]))
            .expect("usable key set"),
        1
    );
    assert_eq!(stats(&verifier).entries, 0);
    assert_eq!(
        verifier.verify_session_token_sync(&token).err(),
        Some(SignedOutReason::UnknownKey)
    );
    let new = rotated.sign(&rs256_header("ins_rotated"), &session_claims());
    assert!(verifier.verify_session_token_sync(&new).is_ok());

    // A document without usable keys is refused and changes nothing.
    assert!(matches!(
        verifier.set_jwks_json(r#"{"keys":[]}"#),
        Err(ConfigError::InvalidKeySet(_))
    ));
    assert!(verifier.verify_session_token_sync(&new).is_ok());
}

#[tokio::test]
async fn a_fetched_key_set_that_changes_drops_what_the_old_one_verified() {
    let server = jwks_server(vec![TestKey::instance().jwk(KID)]).await;
    let verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .jwks_refetch_interval(Duration::ZERO)
        .clock(fixed_clock)
        .token_cache(100)
        .build()
        .expect("valid");
    let old = TestKey::instance().session_token();
    assert!(verifier.verify_session_token(&old).await.is_ok());
    assert!(verifier.verify_session_token(&old).await.is_ok());
    assert_eq!(stats(&verifier).hits, 1);

    // The next fetch (caused by a token with a new kid) brings only the rotated key.
    server.reset().await;
    mount_jwks(
        &server,
        vec![TestKey::rotated().jwk("ins_rotated")],
        Duration::ZERO,
    )
    .await;
    let new = TestKey::rotated().sign(&rs256_header("ins_rotated"), &session_claims());
    assert!(verifier.verify_session_token(&new).await.is_ok());
    assert_eq!(
        verifier.verify_session_token(&old).await.err(),
        Some(SignedOutReason::UnknownKey)
    );
    assert_eq!(stats(&verifier).hits, 1, "no hit after the key set changed");
}

#[test]
fn verifiers_do_not_share_their_caches() {
    let token = TestKey::instance().session_token();
    let lenient = Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .clock(fixed_clock)
        .token_cache(100)
        .build()
        .expect("valid");
    // Same key, stricter settings: the token is for another party.
    let strict = Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .authorized_parties(["https://other.example.com"])
        .clock(fixed_clock)
        .token_cache(100)
        .build()
        .expect("valid");
    assert!(lenient.verify_session_token_sync(&token).is_ok());
    assert!(lenient.verify_session_token_sync(&token).is_ok());
    assert_eq!(
        strict.verify_session_token_sync(&token).err(),
        Some(SignedOutReason::WrongAuthorizedParty)
    );
    assert_eq!(stats(&strict).hits, 0);
    assert_eq!(stats(&lenient).hits, 1);

    // Clones share theirs.
    let clone = lenient.clone();
    assert!(clone.verify_session_token_sync(&token).is_ok());
    assert_eq!(stats(&lenient).hits, 2);
}

#[test]
fn a_cached_token_is_still_refused_where_its_kind_is_not_accepted() {
    let verifier = Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .clock(fixed_clock)
        .token_cache(100)
        .build()
        .expect("valid");
    let token = TestKey::instance().session_token();
    assert!(verifier.verify_token_sync(&token, TokenKinds::ANY).is_ok());
    assert!(
        verifier
            .verify_token_sync(&token, TokenKinds::MACHINE)
            .is_err()
    );
}

#[test]
fn concurrent_hits_from_many_threads() {
    let verifier = cached_pem(&Clock::at(NOW));
    let tokens: Vec<String> = (0..8)
        .map(|i| {
            TestKey::instance().sign(
                &rs256_header(KID),
                &claims_with(json!({"sub": format!("user_{i}")})),
            )
        })
        .collect();
    std::thread::scope(|scope| {
        for t in 0..8 {
            let verifier = &verifier;
            let tokens = &tokens;
            scope.spawn(move || {
                for i in 0..500 {
                    // Every thread walks all tokens, so threads meet on the same entries.
                    let token = &tokens[(t + i) % tokens.len()];
                    let claims = verifier.verify_session_token_sync(token).expect("valid");
                    assert_eq!(claims.sub, format!("user_{}", (t + i) % tokens.len()));
                }
            });
        }
    });
    let s = stats(&verifier);
    assert_eq!(s.hits + s.misses, 8 * 500);
    // Each token misses at most once per thread that raced on its first use.
    assert!(s.misses <= 8 * 8, "{s:?}");
    assert_eq!(s.entries, 8);
}

#[test]
fn the_sync_path_with_a_pem_key_or_a_key_set_in_memory() {
    let token = TestKey::instance().session_token();
    let pem = Verifier::builder()
        .jwt_key(TestKey::instance().public_pem)
        .clock(fixed_clock)
        .build()
        .expect("valid");
    assert_eq!(
        pem.verify_session_token_sync(&token).expect("valid").sub,
        "user_2abc"
    );
    let in_memory = Verifier::builder()
        .jwks_json(jwks(&[(&TestKey::instance(), KID)]))
        .clock(fixed_clock)
        .build()
        .expect("valid");
    assert!(in_memory.verify_session_token_sync(&token).is_ok());
    let other_kid = TestKey::instance().sign(&rs256_header("ins_other"), &session_claims());
    assert_eq!(
        in_memory.verify_session_token_sync(&other_kid).err(),
        Some(SignedOutReason::UnknownKey)
    );
    // Opaque machine tokens need the Backend API.
    assert_eq!(
        in_memory
            .verify_token_sync("ak_0123456789abcdef", TokenKinds::ANY)
            .err(),
        Some(SignedOutReason::BackendUnavailable)
    );
    // A key set given in memory is not a reason to look at the network, and a bad one is
    // reported when building.
    assert!(matches!(
        Verifier::builder().jwks_json("not json").build(),
        Err(ConfigError::InvalidKeySet(_))
    ));
    // set_jwks_json needs a verifier built with a key set in memory.
    assert!(matches!(
        pem.set_jwks_json(&jwks(&[(&TestKey::instance(), KID)])),
        Err(ConfigError::InvalidOption(..))
    ));

    let mut headers = http::HeaderMap::new();
    headers.insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    assert!(in_memory.authenticate_sync(&headers).is_signed_in());
}

#[tokio::test]
async fn the_sync_path_uses_fetched_keys_without_fetching() {
    let server = jwks_server(vec![TestKey::instance().jwk(KID)]).await;
    let verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .clock(fixed_clock)
        .build()
        .expect("valid");
    let token = TestKey::instance().session_token();
    assert_eq!(
        verifier.verify_session_token_sync(&token).err(),
        Some(SignedOutReason::KeysUnavailable)
    );
    assert_eq!(jwks_requests(&server).await, 0);
    assert!(verifier.verify_session_token(&token).await.is_ok());
    assert!(verifier.verify_session_token_sync(&token).is_ok());
    let unknown = TestKey::instance().sign(&rs256_header("ins_unknown"), &session_claims());
    assert_eq!(
        verifier.verify_session_token_sync(&unknown).err(),
        Some(SignedOutReason::UnknownKey)
    );
    assert_eq!(jwks_requests(&server).await, 1);
}
