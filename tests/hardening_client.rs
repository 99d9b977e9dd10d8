//! The API client under injected faults: cleartext base URLs, redirects, oversized replies,
//! bodies cut off or stalled, and the time budget as a deadline. The server is the
//! fault-injecting one of `faults/` on 127.0.0.1.

mod common;
mod faults;

use std::time::{Duration, Instant};

use clerk_backend_api::ClerkBuilder;
use clerk_backend_api::prelude::*;
use clerk_backend_api::types::CreateUserBody;
use common::{SECRET, fast_retries, fixture};
use faults::{FaultServer, Step, chunk, chunked_head, json_head, json_reply, redirect};

fn user_body() -> Vec<u8> {
    serde_json::to_vec(&fixture("user")).unwrap()
}

fn builder(server: &FaultServer) -> ClerkBuilder {
    Clerk::builder(SECRET)
        .base_url(format!("{}/v1", server.url()))
        .retry_policy(fast_retries())
}

/// A plain reqwest client that sends every connection for `name` to `server`: lets a test
/// use a name that is not loopback while staying on 127.0.0.1.
fn client_resolving(name: &str, server: &FaultServer) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .resolve(name, server.addr)
        .build()
        .unwrap()
}

#[tokio::test]
async fn plain_http_to_another_host_is_refused_before_any_connection() {
    let server =
        FaultServer::start(|_, _| vec![Step::Write(json_reply("200 OK", &user_body()))]).await;
    let port = server.addr.port();
    let url = format!("http://api.example.com:{port}/v1");

    // The name resolves to the local server, so a request would reach it: none does.
    let refused = Clerk::builder(SECRET)
        .base_url(&url)
        .http_client(client_resolving("api.example.com", &server))
        .build();
    match refused {
        Err(Error::Config(message)) => {
            assert!(message.contains("cleartext"), "{message}");
            assert!(message.contains("danger_allow_insecure_http"), "{message}");
            assert!(!message.contains(SECRET));
        }
        other => panic!("expected a Config error, got {other:?}"),
    }
    for url in [
        "http://10.1.2.3/v1",
        "http://[2001:db8::1]/v1",
        "http://localhost.example.com/v1",
    ] {
        assert!(
            matches!(
                Clerk::builder(SECRET).base_url(url).build(),
                Err(Error::Config(_))
            ),
            "{url}"
        );
    }
    assert_eq!(server.connections(), 0);

    // The explicit opt-in lets the same setup through: the check was what stopped it.
    let clerk = Clerk::builder(SECRET)
        .base_url(&url)
        .http_client(client_resolving("api.example.com", &server))
        .danger_allow_insecure_http(true)
        .build()
        .expect("opted in");
    clerk
        .get_user()
        .user_id("user_1")
        .send()
        .await
        .expect("reaches the server");
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn loopback_hosts_need_no_opt_in() {
    for url in [
        "http://127.0.0.1:1/v1",
        "http://127.5.6.7/v1",
        "http://[::1]:8080/v1",
        "http://localhost:3000/v1",
    ] {
        assert!(
            Clerk::builder(SECRET).base_url(url).build().is_ok(),
            "{url}"
        );
    }
}

#[tokio::test]
async fn redirects_are_not_followed_and_no_body_is_sent_again() {
    let elsewhere = FaultServer::start(|_, _| vec![Step::Write(json_reply("200 OK", b"{}"))]).await;
    let target = format!("{}/v1/users", elsewhere.url());
    let server = {
        let target = target.clone();
        FaultServer::start(move |_, _| {
            vec![Step::Write(redirect("307 Temporary Redirect", &target))]
        })
        .await
    };
    let clerk = builder(&server).build().unwrap();

    let error = clerk
        .create_user()
        .body(
            CreateUserBody::builder()
                .password(Nullable::from("correct horse battery staple".to_string())),
        )
        .send()
        .await
        .expect_err("a redirect is an error");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(307));
    let text = error.to_string();
    assert!(
        text.contains(&target),
        "the error names the Location: {text}"
    );
    assert!(!text.contains("correct horse"), "{text}");

    let error = clerk
        .get_user()
        .user_id("user_1")
        .send()
        .await
        .expect_err("a redirect is an error");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(307));

    // The first server saw the password once; the second saw nothing at all.
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(String::from_utf8_lossy(&requests[0].body).contains("correct horse"));
    assert_eq!(elsewhere.connections(), 0);
}

#[tokio::test]
async fn a_reply_over_the_size_limit_is_refused_while_it_arrives() {
    // Announced too long: refused before the body is read.
    let announced = FaultServer::start(|_, _| {
        vec![
            Step::Write(json_head("200 OK", 100 * 1024 * 1024)),
            Step::Stream {
                chunk: vec![b' '; 64 * 1024],
                total: 100 * 1024 * 1024,
            },
        ]
    })
    .await;
    let clerk = builder(&announced)
        .max_response_size(1024 * 1024)
        .build()
        .unwrap();
    let error = clerk
        .get_user()
        .user_id("user_1")
        .send()
        .await
        .expect_err("too large");
    assert!(
        matches!(error, Error::ResponseTooLarge { limit } if limit == 1024 * 1024),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_response_size"), "{error}");
    assert_eq!(announced.requests().len(), 1, "not retried");

    // Not announced (chunked): refused once the bytes pass the limit.
    let chunked = FaultServer::start(|_, _| {
        let piece = chunk(&[b' '; 64 * 1024]);
        let pieces = 100 * 1024 * 1024 / piece.len();
        vec![
            Step::Write(chunked_head()),
            Step::Stream {
                total: pieces * piece.len(),
                chunk: piece,
            },
        ]
    })
    .await;
    let clerk = builder(&chunked)
        .max_response_size(1024 * 1024)
        .build()
        .unwrap();
    let error = clerk
        .get_user()
        .user_id("user_1")
        .send()
        .await
        .expect_err("too large");
    assert!(matches!(error, Error::ResponseTooLarge { .. }), "{error:?}");
    assert_eq!(chunked.requests().len(), 1, "not retried");
    // The client stopped reading after 1 MiB: what the server got out is that plus what the
    // sockets' buffers held, far from 100 MB.
    assert!(
        chunked.streamed() < 24 * 1024 * 1024,
        "{} bytes streamed",
        chunked.streamed()
    );

    // Within the limit, the same reply is fine.
    let body = user_body();
    let fine = FaultServer::start(move |_, _| vec![Step::Write(json_reply("200 OK", &body))]).await;
    let clerk = builder(&fine)
        .max_response_size(1024 * 1024)
        .build()
        .unwrap();
    assert!(clerk.get_user().user_id("user_1").send().await.is_ok());
}

/// The first reply is cut off in the middle of its body, by a reset or a close; the second is
/// whole.
fn cut_then_whole(reset: bool) -> impl Fn(usize, &faults::Seen) -> Vec<Step> + Send + Sync {
    let body = user_body();
    move |n, _| {
        if n == 0 {
            vec![
                Step::Write(json_head("200 OK", body.len())),
                Step::Write(body[..body.len() / 2].to_vec()),
                Step::Sleep(Duration::from_millis(20)),
                if reset {
                    Step::Reset
                } else {
                    Step::Write(Vec::new())
                },
            ]
        } else {
            vec![Step::Write(json_reply("200 OK", &body))]
        }
    }
}

#[tokio::test]
async fn a_body_cut_off_is_retried_for_get_and_not_for_post() {
    for reset in [true, false] {
        let server = FaultServer::start(cut_then_whole(reset)).await;
        let clerk = builder(&server).build().unwrap();
        let user = clerk.get_user().user_id("user_1").send().await;
        assert!(user.is_ok(), "reset={reset}: {user:?}");
        assert_eq!(server.requests().len(), 2, "reset={reset}");

        let server = FaultServer::start(cut_then_whole(reset)).await;
        let clerk = builder(&server).build().unwrap();
        let created = clerk
            .create_user()
            .body(CreateUserBody::builder())
            .send()
            .await;
        assert!(
            matches!(created, Err(Error::Transport(_))),
            "reset={reset}: {created:?}"
        );
        assert_eq!(
            server.requests().len(),
            1,
            "POST is sent once (reset={reset})"
        );
    }
}

/// The first reply stalls after half its body; the second is whole.
fn stall_then_whole() -> impl Fn(usize, &faults::Seen) -> Vec<Step> + Send + Sync {
    let body = user_body();
    move |n, _| {
        if n == 0 {
            vec![
                Step::Write(json_head("200 OK", body.len())),
                Step::Write(body[..body.len() / 2].to_vec()),
                Step::Hang,
            ]
        } else {
            vec![Step::Write(json_reply("200 OK", &body))]
        }
    }
}

#[tokio::test]
async fn a_body_that_stalls_is_retried_for_get_and_not_for_post() {
    let server = FaultServer::start(stall_then_whole()).await;
    let clerk = builder(&server)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let user = clerk.get_user().user_id("user_1").send().await;
    assert!(user.is_ok(), "{user:?}");
    assert_eq!(server.requests().len(), 2);

    let server = FaultServer::start(stall_then_whole()).await;
    let clerk = builder(&server)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let created = clerk
        .create_user()
        .body(CreateUserBody::builder())
        .send()
        .await;
    assert!(matches!(&created, Err(e) if e.is_timeout()), "{created:?}");
    let message = format!("{}", created.unwrap_err());
    assert!(message.contains("request timeout of 300ms"), "{message}");
    assert_eq!(server.requests().len(), 1, "POST is sent once");
}

#[tokio::test]
async fn the_time_budget_is_a_deadline_for_the_whole_call() {
    // Every attempt hangs; each may run 5 s by the client's timeout, but the call has 400 ms.
    let server = FaultServer::start(|_, _| vec![Step::Hang]).await;
    let clerk = builder(&server)
        .timeout(Duration::from_secs(5))
        .retry_policy(fast_retries().max_elapsed(Duration::from_millis(400)))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = clerk
        .get_user()
        .user_id("user_1")
        .send()
        .await
        .expect_err("hangs");
    let took = started.elapsed();
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.to_string().contains("max_elapsed"), "{error}");
    assert!(took < Duration::from_secs(2), "the call took {took:?}");
    assert_eq!(server.requests().len(), 1);

    // A retry that starts late gets only what is left: 503 at once, a wait, then a hang.
    let server = FaultServer::start(|n, _| {
        if n == 0 {
            vec![Step::Write(json_reply(
                "503 Service Unavailable",
                b"{\"errors\":[]}",
            ))]
        } else {
            vec![Step::Hang]
        }
    })
    .await;
    let clerk = builder(&server)
        .timeout(Duration::from_secs(5))
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(200))
                .max_backoff(Duration::from_millis(200))
                .max_elapsed(Duration::from_millis(500)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = clerk
        .get_user()
        .user_id("user_1")
        .send()
        .await
        .expect_err("hangs");
    let took = started.elapsed();
    assert!(error.is_timeout(), "{error:?}");
    assert!(took < Duration::from_secs(2), "the call took {took:?}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn buffered_replies_keep_status_headers_and_body() {
    let body = user_body();
    let server = FaultServer::start(move |_, _| {
        // A body in several pieces, as a slow server would send it.
        let mut steps = vec![Step::Write(chunked_head())];
        for piece in body.chunks(100) {
            steps.push(Step::Write(chunk(piece)));
        }
        steps.push(Step::Write(b"0\r\n\r\n".to_vec()));
        steps
    })
    .await;
    let clerk = builder(&server).build().unwrap();
    let user = clerk
        .get_user()
        .user_id("user_1")
        .send()
        .await
        .expect("decodes");
    assert_eq!(user.id, fixture("user")["id"].as_str().unwrap());
}
