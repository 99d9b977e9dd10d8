//! Load test: many concurrent keep-alive clients on loopback for a fixed time, printing
//! requests per second and the error count.
//!
//! `cargo bench -p clerk-mock --bench load` (release build). Settings through the environment:
//! `LOAD_CLIENTS` (concurrent connections, default 64), `LOAD_SECONDS` (default 5),
//! `LOAD_WORKERS` (runtime threads, default one per core). Client and server share the runtime,
//! so the figure is what the machine does with both. Each client holds one HTTP/1.1 connection
//! and sends requests back to back: 80% `GET /users/{id}`, 15% `GET /users?limit=10`, 5%
//! `POST /users`. Any transport error or non-2xx answer counts as an error.

use axum::body::Body;
use axum::http::{Request, header};
use clerk_mock::MockServer;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let clients = setting("LOAD_CLIENTS", 64);
    let seconds = setting("LOAD_SECONDS", 5);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = std::env::var("LOAD_WORKERS")
        .ok()
        .and_then(|w| w.parse::<usize>().ok())
    {
        builder.worker_threads(workers);
    }
    let runtime = builder.enable_all().build().expect("runtime");
    runtime.block_on(run(clients, Duration::from_secs(seconds)));
}

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    errors: AtomicU64,
    created: AtomicU64,
}

async fn run(clients: u64, duration: Duration) {
    let server = MockServer::start().await;
    let address = server.address();
    let auth = format!("Bearer {}", server.secret_key());

    let mut seed = connect(address).await.expect("seed connection");
    let mut user_ids = Vec::new();
    for i in 0..100 {
        let body =
            json!({ "email_address": [format!("seed{i}@example.com")], "first_name": "Seed" });
        let (status, bytes) = send(&mut seed, address, &auth, "POST", "/v1/users", Some(body))
            .await
            .expect("seed user");
        assert!(
            status < 300,
            "seeding failed: {}",
            String::from_utf8_lossy(&bytes)
        );
        let user: serde_json::Value = serde_json::from_slice(&bytes).expect("seed json");
        user_ids.push(user["id"].as_str().unwrap_or_default().to_string());
    }
    let user_ids = Arc::new(user_ids);
    let counts = Arc::new(Counts::default());

    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (user_ids, counts, auth) = (user_ids.clone(), counts.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut connection = None;
            let mut n = client;
            while Instant::now() < deadline {
                n = n.wrapping_add(1);
                if connection.is_none() {
                    connection = connect(address).await;
                }
                let Some(sender) = connection.as_mut() else {
                    counts.errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let outcome = match n % 20 {
                    0 => {
                        let k = counts.created.fetch_add(1, Ordering::Relaxed);
                        let body = json!({ "email_address": [format!("load{k}@example.com")] });
                        send(sender, address, &auth, "POST", "/v1/users", Some(body)).await
                    }
                    1..=3 => send(sender, address, &auth, "GET", "/v1/users?limit=10", None).await,
                    _ => {
                        let id = &user_ids[(n as usize * 7) % user_ids.len()];
                        send(
                            sender,
                            address,
                            &auth,
                            "GET",
                            &format!("/v1/users/{id}"),
                            None,
                        )
                        .await
                    }
                };
                match outcome {
                    Some((status, _)) if (200..300).contains(&status) => {
                        counts.ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(_) => {
                        counts.errors.fetch_add(1, Ordering::Relaxed);
                    }
                    None => {
                        counts.errors.fetch_add(1, Ordering::Relaxed);
                        connection = None;
                    }
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ok = counts.ok.load(Ordering::Relaxed);
    let errors = counts.errors.load(Ordering::Relaxed);
    println!(
        "clerk-mock load: {clients} clients, {elapsed:.1} s, {} requests, {:.0} requests/s, {errors} errors",
        ok + errors,
        (ok + errors) as f64 / elapsed
    );
}

type Sender = hyper::client::conn::http1::SendRequest<Body>;

async fn connect(address: std::net::SocketAddr) -> Option<Sender> {
    let stream = TcpStream::connect(address).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Some(sender)
}

/// One request on the connection; the status and the whole body, `None` on a transport error.
async fn send(
    sender: &mut Sender,
    address: std::net::SocketAddr,
    auth: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Option<(u16, Vec<u8>)> {
    sender.ready().await.ok()?;
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, address.to_string())
        .header(header::AUTHORIZATION, auth);
    let request = match body {
        Some(json) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string())),
        None => builder.body(Body::empty()),
    }
    .ok()?;
    let response = sender.send_request(request).await.ok()?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, bytes.to_vec()))
}
