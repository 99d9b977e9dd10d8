//! Start-up time of a mock server: `MockServer::start()` until it listens, then drop; and the
//! same followed by one request on a fresh connection, to show nothing is left for later.
//!
//! `cargo bench -p clerk-mock --bench startup`

use axum::body::Body;
use axum::http::{Request, header};
use clerk_mock::MockServer;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;

/// `GET /v1/users` on a new connection; the status code.
async fn first_request(server: &MockServer) -> u16 {
    let stream = tokio::net::TcpStream::connect(server.address())
        .await
        .expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let request = Request::get("/v1/users")
        .header(header::HOST, server.address().to_string())
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", server.secret_key()),
        )
        .body(Body::empty())
        .expect("request");
    let response = sender.send_request(request).await.expect("answer");
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    status
}

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
    c.bench_function("start + first GET /users + drop", |b| {
        b.to_async(&runtime).iter(|| async {
            let server = MockServer::start().await;
            assert_eq!(first_request(&server).await, 200);
            drop(server);
        })
    });
}

criterion_group!(benches, startup);
criterion_main!(benches);
