//! Start-up time of a mock server: `MockServer::start()` until it listens, then drop.
//!
//! `cargo bench -p clerk-mock --bench startup`

use clerk_mock::MockServer;
use criterion::{Criterion, criterion_group, criterion_main};

fn startup(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    c.bench_function("MockServer::start + drop", |b| {
        b.to_async(&runtime).iter(|| async {
            let server = MockServer::start().await;
            drop(server);
        })
    });
    // The first request of a new server pays for nothing left over from start-up.
    c.bench_function("start + first GET /users + drop", |b| {
        let http = reqwest::Client::new();
        b.to_async(&runtime).iter(|| {
            let http = http.clone();
            async move {
                let server = MockServer::start().await;
                let response = http
                    .get(format!("{}/users", server.base_url()))
                    .bearer_auth(server.secret_key())
                    .send()
                    .await
                    .expect("answer");
                assert!(response.status().is_success());
                drop(server);
            }
        })
    });
}

criterion_group!(benches, startup);
criterion_main!(benches);
