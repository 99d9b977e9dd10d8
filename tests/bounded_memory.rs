//! Oversized replies are refused with bounded memory: this test binary counts every heap
//! allocation, and a 100 MB reply must not raise the peak by more than a few MiB.
//!
//! In its own binary, one case at a time, so that nothing else allocates meanwhile.

mod auth_support;
mod common;
mod faults;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_support::*;
use clerk_backend_api::auth::{SignedOutReason, Verifier};
use clerk_backend_api::prelude::*;
use faults::{FaultServer, Step, chunk, chunked_head, json_head};

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let now = IN_USE.fetch_add(grown, Ordering::SeqCst) + grown;
                PEAK.fetch_max(now, Ordering::SeqCst);
            } else {
                IN_USE.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const HUNDRED_MB: usize = 100 * 1000 * 1000;
const MIB: usize = 1024 * 1024;

/// How far the peak of heap use rose above its starting point while `run` ran.
async fn peak_rise<F: std::future::Future<Output = ()>>(run: F) -> usize {
    let start = IN_USE.load(Ordering::SeqCst);
    PEAK.store(start, Ordering::SeqCst);
    run.await;
    PEAK.load(Ordering::SeqCst).saturating_sub(start)
}

/// A JSON array of empty objects, 100 MB of it, chunked without a length.
fn hostile_key_set() -> Vec<Step> {
    let piece = chunk(&b"{},".repeat(20_000));
    vec![
        Step::Write(chunked_head()),
        Step::Write(chunk(b"{\"keys\":[")),
        Step::Stream {
            total: HUNDRED_MB / piece.len() * piece.len(),
            chunk: piece,
        },
    ]
}

#[tokio::test]
async fn oversized_replies_are_refused_with_bounded_memory() {
    // The key set: chunked, no length.
    let server = FaultServer::start(|_, _| hostile_key_set()).await;
    let verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.url())
        .clock(fixed_clock)
        .build()
        .unwrap();
    let token = TestKey::instance().session_token();
    let rise = peak_rise(async {
        assert_eq!(
            verifier.verify_session_token(&token).await.err(),
            Some(SignedOutReason::KeysUnavailable)
        );
    })
    .await;
    assert!(rise < 8 * MIB, "the heap peak rose by {rise} bytes");
    assert!(
        server.streamed() < 24 * MIB,
        "{} bytes streamed",
        server.streamed()
    );

    // The key set again, announced as 100 MB: refused before reading.
    let server = FaultServer::start(|_, _| {
        vec![
            Step::Write(json_head("200 OK", HUNDRED_MB)),
            Step::Stream {
                chunk: vec![b' '; 64 * 1024],
                total: HUNDRED_MB,
            },
        ]
    })
    .await;
    let verifier = Verifier::builder()
        .secret_key(SECRET_KEY)
        .api_url(server.url())
        .clock(fixed_clock)
        .build()
        .unwrap();
    let rise = peak_rise(async {
        assert_eq!(
            verifier.verify_session_token(&token).await.err(),
            Some(SignedOutReason::KeysUnavailable)
        );
    })
    .await;
    assert!(rise < 8 * MIB, "the heap peak rose by {rise} bytes");

    // An API reply over the client's limit (4 MiB here), chunked.
    let server = FaultServer::start(|_, _| hostile_key_set()).await;
    let clerk = Clerk::builder(common::SECRET)
        .base_url(format!("{}/v1", server.url()))
        .max_response_size(4 * MIB)
        .build()
        .unwrap();
    let rise = peak_rise(async {
        let result = clerk.get_user().user_id("user_1").send().await;
        assert!(
            matches!(result, Err(Error::ResponseTooLarge { limit }) if limit == 4 * MIB),
            "{result:?}"
        );
    })
    .await;
    assert!(rise < 16 * MIB, "the heap peak rose by {rise} bytes");
}
