//! One call through the SDK versus the same call with bare reqwest +
//! serde_json, against the same local server; and decoding a page of 500
//! users.
//!
//! `cargo bench --bench client_overhead`
//!
//! The server is a minimal keep-alive HTTP/1.1 responder on 127.0.0.1 that
//! answers every request with the same user, so both sides pay the same
//! network and server cost and the difference is the SDK's own work
//! (request building, hooks, tracing span, retry bookkeeping).
//!
//! The bare call is written as a production call would be: its URL formatted
//! per call and the whole exchange under a timeout, as the SDK's calls are
//! (30 s by default). A bare call with no timeout at all, which can hang
//! forever, skips a timer the SDK arms per call; its figure is printed too.

use clerk_backend_api::prelude::*;
use clerk_backend_api::types::User;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn user_json(id: usize) -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bapi/user.json");
    let mut user: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    user["id"] = format!("user_{id:027}").into();
    user
}

/// Serves `body` to every request, keeping connections open.
async fn serve(body: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut pending = Vec::new();
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    pending.extend_from_slice(&buf[..n]);
                    // Requests have no body: each ends with a blank line.
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        pending.drain(..end + 4);
                        if socket.write_all(&response).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn call(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = serde_json::to_vec(&user_json(1)).unwrap();
    let base = rt.block_on(serve(body));
    let clerk = Clerk::builder("sk_test_bench")
        .base_url(format!("{base}/v1"))
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let api = format!("{base}/v1");

    let mut group = c.benchmark_group("get_user");
    group.bench_function("sdk", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(clerk.get_user().user_id("user_1").send().await.unwrap()) })
    });
    group.bench_function("bare_reqwest", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(bare(&http, &api, "user_1", Some(TIMEOUT)).await) })
    });
    group.finish();

    // The two groups above run one after the other, so a change of load on a shared
    // machine between them shows up as overhead. Medians of adjacent calls, alternating
    // which goes first, are robust to that.
    for (label, timeout) in [
        ("with a timeout", Some(TIMEOUT)),
        ("without a timeout", None),
    ] {
        const PAIRS: usize = 3000;
        let (mut sdk_ns, mut bare_ns) = (Vec::with_capacity(PAIRS), Vec::with_capacity(PAIRS));
        rt.block_on(async {
            for i in 0..PAIRS {
                for sdk_turn in [i % 2 == 0, i % 2 != 0] {
                    let start = Instant::now();
                    if sdk_turn {
                        black_box(clerk.get_user().user_id("user_1").send().await.unwrap());
                        sdk_ns.push(start.elapsed().as_nanos());
                    } else {
                        black_box(bare(&http, &api, "user_1", timeout).await);
                        bare_ns.push(start.elapsed().as_nanos());
                    }
                }
            }
        });
        let median = |v: &mut Vec<u128>| {
            v.sort_unstable();
            v[v.len() / 2] as f64 / 1000.0
        };
        let (sdk_us, bare_us) = (median(&mut sdk_ns), median(&mut bare_ns));
        println!(
            "paired medians over {PAIRS} calls each: sdk {sdk_us:.2} µs, bare reqwest \
             {label} {bare_us:.2} µs, overhead ratio {:.3}",
            sdk_us / bare_us
        );
    }
}

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The call by hand: the URL, the headers Clerk needs, the body read whole
/// (within `timeout` when given) and decoded.
async fn bare(
    http: &reqwest::Client,
    api: &str,
    id: &str,
    timeout: Option<std::time::Duration>,
) -> User {
    let exchange = async {
        let response = http
            .get(format!("{api}/users/{id}"))
            .bearer_auth("sk_test_bench")
            .header("clerk-api-version", "2026-05-12")
            .header("accept", "application/json")
            .send()
            .await?;
        response.bytes().await
    };
    let bytes = match timeout {
        Some(limit) => tokio::time::timeout(limit, exchange).await.unwrap(),
        None => exchange.await,
    }
    .unwrap();
    serde_json::from_slice::<User>(&bytes).unwrap()
}

fn decode(c: &mut Criterion) {
    let page: Vec<serde_json::Value> = (0..500).map(user_json).collect();
    let bytes = serde_json::to_vec(&page).unwrap();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("page_of_500_users", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Vec<User>>(black_box(&bytes)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, call, decode);
criterion_main!(benches);
