//! Cost of deciding a signed-in web-app request (a page load with a valid `__session` cookie
//! among other cookies and headers) against verifying its session token alone, with the same
//! verifier and a warm key cache.
//!
//! Run: `cargo bench --bench web_auth -- --warm-up-time 1 --measurement-time 3`

#[path = "../tests/auth_support/mod.rs"]
mod auth_support;

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_support::{KID, SECRET_KEY, TestKey, jwks_server};
use clerk_backend_api::auth::RequestAuthenticator;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

/// `pk_live_` + base64("clerk.example.com$"): a production instance, as most traffic is.
const PUBLISHABLE_KEY: &str = "pk_live_Y2xlcmsuZXhhbXBsZS5jb20k";

fn bench_web_auth(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let key = TestKey::instance();
    let server = runtime.block_on(jwks_server(vec![key.jwk(KID)]));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    // The same realistic version 2 session token as `auth_verify`.
    let token = key.sign(
        &json!({"alg": "RS256", "kid": KID, "typ": "JWT", "cat": "cl_B7d4PD111AAA"}),
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

    let authenticator = RequestAuthenticator::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.uri())
        .publishable_key(PUBLISHABLE_KEY)
        .authorized_parties(["https://app.example.com"])
        .build()
        .expect("valid settings");
    let verifier = authenticator.verifier().clone();
    let request = http::Request::get("/dashboard?tab=overview")
        .header("host", "app.example.com")
        // Behind a TLS-terminating proxy, as production apps run.
        .header("x-forwarded-proto", "https")
        .header(
            "accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .header("sec-fetch-dest", "document")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        )
        .header("referer", "https://app.example.com/")
        .header(
            "cookie",
            format!(
                "theme=dark; _ga=GA1.1.123456789.1700000000; __client_uat={}; __session={token}; \
                 __clerk_db_jwt=unused",
                now - 100
            ),
        )
        .body(())
        .expect("request");
    // Warm the cache: this is the only request to the stub.
    let warm = runtime.block_on(authenticator.authenticate_request(&request));
    assert!(warm.is_signed_in(), "{warm:?}");
    assert!(warm.headers().is_empty());

    let request_flow = || {
        let outcome =
            futures::executor::block_on(authenticator.authenticate_request(black_box(&request)));
        black_box(outcome.is_signed_in())
    };
    let token_only = || {
        let claims = futures::executor::block_on(verifier.verify_session_token(black_box(&token)));
        black_box(claims.is_ok())
    };

    let mut group = c.benchmark_group("web_request");
    group.bench_function("signed_in_page_request", |b| {
        b.iter_custom(|iters| timed_interleaved(iters, &request_flow, &token_only))
    });
    group.bench_function("verify_session_token_alone", |b| {
        b.iter_custom(|iters| timed_interleaved(iters, &token_only, &request_flow))
    });
    group.finish();

    paired_ratio(&request_flow, &token_only);
}

/// Throughput ratio from medians of adjacent calls, robust to load changes on a shared machine.
fn paired_ratio(request_flow: &dyn Fn() -> bool, token_only: &dyn Fn() -> bool) {
    const PAIRS: usize = 3000;
    let mut flow_ns = Vec::with_capacity(PAIRS);
    let mut token_ns = Vec::with_capacity(PAIRS);
    for i in 0..PAIRS {
        let order: [(&dyn Fn() -> bool, &mut Vec<u128>); 2] = if i % 2 == 0 {
            [(request_flow, &mut flow_ns), (token_only, &mut token_ns)]
        } else {
            [(token_only, &mut token_ns), (request_flow, &mut flow_ns)]
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
    // The mean counts the slow calls too (allocation, preemption), which the median ignores.
    let mean = |v: &Vec<u128>| v.iter().sum::<u128>() as f64 / v.len() as f64 / 1000.0;
    let (flow_mean, token_mean) = (mean(&flow_ns), mean(&token_ns));
    let (flow_us, token_us) = (median(&mut flow_ns), median(&mut token_ns));
    println!(
        "paired medians over {PAIRS} calls each: signed-in page request {flow_us:.2} µs, \
         session token alone {token_us:.2} µs, throughput ratio {:.3}",
        token_us / flow_us
    );
    println!(
        "paired means: signed-in page request {flow_mean:.2} µs, session token alone \
         {token_mean:.2} µs, throughput ratio {:.3}",
        token_mean / flow_mean
    );
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

criterion_group!(benches, bench_web_auth);
criterion_main!(benches);
