//! Cost of verifying a session token with a warm key cache, against a bare `jsonwebtoken`
//! decode with the same key (signature and `exp` only, claims into a JSON map); and the same
//! verifier with its cache of verified tokens on, verifying the same token again and again
//! (what a server sees while a browser's token lives).
//!
//! Run: `cargo bench --bench auth_verify -- --warm-up-time 1 --measurement-time 3`

#[path = "../tests/auth_support/mod.rs"]
mod auth_support;

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_support::{KID, PUBLISHABLE_KEY, SECRET_KEY, TestKey, jwks_server, rs256_header};
use clerk_backend_api::auth::Verifier;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

fn bench_verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let key = TestKey::instance();
    let jwk = key.jwk(KID);
    let server = runtime.block_on(jwks_server(vec![jwk.clone()]));

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    // A realistic version 2 session token with an active organization.
    let token = key.sign(
        &rs256_header(KID),
        &json!({
            "sub": "user_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
            "sid": "sess_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
            "iss": "https://clerk.example.com",
            "azp": "https://app.example.com",
            "exp": now + 3600,
            "nbf": now - 10,
            "iat": now - 10,
            "sts": "active",
            "fva": [2, -1],
            "v": 2,
            "o": {"id": "org_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "rol": "admin", "slg": "acme",
                  "per": "read,manage", "fpm": "3,1"},
            "fea": "o:dashboard,u:export,o:billing",
            "pla": "u:free,o:pro",
        }),
    );

    let verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .publishable_key(PUBLISHABLE_KEY)
        .authorized_parties(["https://app.example.com"])
        .build()
        .expect("valid settings");
    // Warm the cache: this is the only request to the stub.
    let warm = runtime.block_on(verifier.verify_session_token(&token));
    assert!(warm.is_ok(), "{warm:?}");

    let cached_verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .publishable_key(PUBLISHABLE_KEY)
        .authorized_parties(["https://app.example.com"])
        .token_cache(10_000)
        .build()
        .expect("valid settings");
    let warm = runtime.block_on(cached_verifier.verify_session_token(&token));
    assert_eq!(
        warm.ok(),
        runtime.block_on(verifier.verify_session_token(&token)).ok()
    );

    let decoding_key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().expect("n"),
        jwk["e"].as_str().expect("e"),
    )
    .expect("valid components");
    let validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    let bare = jsonwebtoken::decode::<Map<String, Value>>(&token, &decoding_key, &validation);
    assert!(bare.is_ok(), "{bare:?}");

    let ours = || {
        let claims = futures::executor::block_on(verifier.verify_session_token(black_box(&token)));
        black_box(claims.is_ok())
    };
    let cached = || {
        let claims =
            futures::executor::block_on(cached_verifier.verify_session_token(black_box(&token)));
        black_box(claims.is_ok())
    };
    let bare = || {
        let claims = jsonwebtoken::decode::<Map<String, Value>>(
            black_box(&token),
            &decoding_key,
            &validation,
        );
        black_box(claims.is_ok())
    };

    // The two are interleaved call by call and only one side is timed in each benchmark, so
    // that load from other processes on a shared machine weighs on both alike.
    let mut group = c.benchmark_group("session_token");
    group.bench_function("clerk_verifier_warm_cache", |b| {
        b.iter_custom(|iters| timed_interleaved(iters, &ours, &bare))
    });
    group.bench_function("jsonwebtoken_decode", |b| {
        b.iter_custom(|iters| timed_interleaved(iters, &bare, &ours))
    });
    group.bench_function("clerk_verifier_token_cache_hit", |b| {
        b.iter_custom(|iters| timed_interleaved(iters, &cached, &ours))
    });
    group.finish();

    let (ours_us, bare_us) = paired_medians(&ours, &bare);
    println!(
        "paired medians over {PAIRS} calls each: clerk verifier {ours_us:.2} µs, \
         jsonwebtoken {bare_us:.2} µs, throughput ratio {:.3}",
        bare_us / ours_us
    );
    let (cached_us, uncached_us) = paired_medians(&cached, &ours);
    println!(
        "paired medians over {PAIRS} calls each: token cache hit {cached_us:.3} µs, \
         uncached {uncached_us:.2} µs, speed-up {:.1}x",
        uncached_us / cached_us
    );
    let stats = cached_verifier.token_cache_stats().expect("cache on");
    assert!(stats.hits > stats.misses, "{stats:?}");
}

const PAIRS: usize = 3000;

/// Medians of adjacent calls (microseconds): on a busy machine the criterion figures above
/// drift with other processes' load between two benchmarks, while a pair of back-to-back
/// calls sees the same load.
fn paired_medians(ours: &dyn Fn() -> bool, bare: &dyn Fn() -> bool) -> (f64, f64) {
    let mut ours_ns = Vec::with_capacity(PAIRS);
    let mut bare_ns = Vec::with_capacity(PAIRS);
    for i in 0..PAIRS {
        // Alternate which goes first, so neither always runs with warmer caches.
        let order: [(&dyn Fn() -> bool, &mut Vec<u128>); 2] = if i % 2 == 0 {
            [(ours, &mut ours_ns), (bare, &mut bare_ns)]
        } else {
            [(bare, &mut bare_ns), (ours, &mut ours_ns)]
        };
        for (f, times) in order {
            let start = Instant::now();
            black_box(f());
            times.push(start.elapsed().as_nanos());
        }
    }
    let median = |v: &mut Vec<u128>| {
        v.sort_unstable();
        v[v.len() / 2] as f64 / 1000.0
    };
    (median(&mut ours_ns), median(&mut bare_ns))
}

/// Runs `timed` and `untimed` alternately `iters` times; returns the time spent in `timed`.
fn timed_interleaved(iters: u64, timed: &dyn Fn() -> bool, untimed: &dyn Fn() -> bool) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        black_box(timed());
        total += start.elapsed();
        black_box(untimed());
    }
    total
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
