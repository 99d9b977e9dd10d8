//! Cost of verifying a 10 KiB delivery, next to the bare HMAC-SHA256 (RustCrypto `hmac` +
//! `sha2`) of the same signed content, which is the floor for any verifier.
//!
//! ```text
//! cargo bench --bench webhooks_verify -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Goal: the verifier's throughput is at least 0.9 times the baseline's.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use sha2::Sha256;
use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use clerk_backend_api::webhooks::{SigningSecret, Verifier};

const SECRET: &str = "whsec_dGVzdC1zaWduaW5nLWtleS1mb3ItY2xlcmstd2ViaG9va3M=";
const KEY: &[u8] = b"test-signing-key-for-clerk-webhooks";
const PAYLOAD_LEN: usize = 10 * 1024;
const ID: &str = "msg_2Zk8QmTbN4xVfJ0aPq7RrLwY3cD";
const TIMESTAMP: i64 = 1_767_225_600;

/// A `user.updated`-like event padded to exactly 10 KiB.
fn payload() -> Vec<u8> {
    let head = format!(
        r#"{{"type":"user.updated","object":"event","timestamp":{}000,"instance_id":"ins_1","data":{{"id":"user_1","object":"user","bio":""#,
        TIMESTAMP
    );
    let tail = r#""}}"#;
    let filler = PAYLOAD_LEN - head.len() - tail.len();
    let mut body = head.into_bytes();
    body.extend(std::iter::repeat_n(b'a', filler));
    body.extend(tail.as_bytes());
    assert_eq!(body.len(), PAYLOAD_LEN);
    body
}

fn verify(c: &mut Criterion) {
    let body = payload();
    let secret = SigningSecret::new(SECRET).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("svix-id", ID.parse().unwrap());
    headers.insert("svix-timestamp", TIMESTAMP.to_string().parse().unwrap());
    let signature = secret.sign(ID, TIMESTAMP, &body);
    headers.insert("svix-signature", signature.parse().unwrap());
    let at = UNIX_EPOCH + Duration::from_secs(TIMESTAMP as u64);
    let verifier = Verifier::builder()
        .signing_secret(secret)
        .clock(move || at)
        .build()
        .unwrap();
    assert_eq!(verifier.verify(&headers, &body), Ok(()));

    // The baseline keys its MAC once, like the verifier, and only hashes per iteration.
    let keyed = Hmac::<Sha256>::new_from_slice(KEY).unwrap();
    let timestamp = TIMESTAMP.to_string();

    let mut group = c.benchmark_group("webhooks_verify_10KiB");
    group.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    group.bench_function("clerk_verifier", |b| {
        b.iter(|| verifier.verify(black_box(&headers), black_box(&body)))
    });
    group.bench_function("hmac_sha2_baseline", |b| {
        b.iter(|| {
            let mut mac = keyed.clone();
            mac.update(ID.as_bytes());
            mac.update(b".");
            mac.update(timestamp.as_bytes());
            mac.update(b".");
            mac.update(black_box(&body));
            mac.finalize().into_bytes()
        })
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
