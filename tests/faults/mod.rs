//! A fault-injecting HTTP/1.1 server on 127.0.0.1 for the hardening tests.
//!
//! Each request is answered by a script of raw steps (bytes, pauses, a hang, a reset, a long
//! stream), so replies can break in ways a well-behaved test server never would: a body cut
//! off or stalled after the headers, a body of 100 MB, a redirect. Every connection closes
//! after its reply. The server counts connections, requests and the bytes it managed to
//! stream, and keeps what each request carried.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One thing the server does while answering.
#[derive(Clone, Debug)]
pub enum Step {
    /// Writes these bytes.
    Write(Vec<u8>),
    /// Waits.
    Sleep(Duration),
    /// Never answers further (the connection stays open until the client leaves).
    Hang,
    /// Resets the connection (RST).
    Reset,
    /// Writes `chunk` again and again, up to `total` bytes, until the client stops reading.
    Stream { chunk: Vec<u8>, total: usize },
}

/// What a request carried.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub head: String,
    pub body: Vec<u8>,
}

type Script = dyn Fn(usize, &Seen) -> Vec<Step> + Send + Sync;

pub struct FaultServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    streamed: Arc<AtomicUsize>,
}

impl FaultServer {
    /// Starts a server answering request number `n` (from 0) with `script(n, request)`.
    pub async fn start(script: impl Fn(usize, &Seen) -> Vec<Step> + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let streamed = Arc::new(AtomicUsize::new(0));
        let script: Arc<Script> = Arc::new(script);
        {
            let connections = connections.clone();
            let seen = seen.clone();
            let streamed = streamed.clone();
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    let seen = seen.clone();
                    let streamed = streamed.clone();
                    let script = script.clone();
                    tokio::spawn(async move {
                        serve(socket, seen, streamed, script).await;
                    });
                }
            });
        }
        Self {
            addr,
            connections,
            seen,
            streamed,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Bytes written by `Step::Stream` steps before the client stopped reading.
    pub fn streamed(&self) -> usize {
        self.streamed.load(Ordering::SeqCst)
    }
}

async fn serve(
    mut socket: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    streamed: Arc<AtomicUsize>,
    script: Arc<Script>,
) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let n = {
        let mut seen = seen.lock().unwrap();
        seen.push(request.clone());
        seen.len() - 1
    };
    for step in script(n, &request) {
        match step {
            Step::Write(bytes) => {
                if socket.write_all(&bytes).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
            }
            Step::Sleep(duration) => tokio::time::sleep(duration).await,
            Step::Hang => {
                // Wait for the client to go away, reading and dropping whatever it sends.
                let mut buf = [0u8; 1024];
                while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
                return;
            }
            Step::Reset => {
                let _ = socket.set_zero_linger();
                return;
            }
            Step::Stream { chunk, total } => {
                let mut sent = 0;
                while sent < total {
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                    sent += chunk.len();
                    streamed.fetch_add(chunk.len(), Ordering::SeqCst);
                }
            }
        }
    }
}

/// Reads one request: head, then a body of `content-length` bytes.
async fn read_request(socket: &mut TcpStream) -> Option<Seen> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    let mut first = head.lines().next().unwrap_or("").split(' ');
    Some(Seen {
        method: first.next().unwrap_or("").to_string(),
        path: first.next().unwrap_or("").to_string(),
        head,
        body,
    })
}

/// A complete reply with a JSON body.
pub fn json_reply(status: &str, body: &[u8]) -> Vec<u8> {
    let mut reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    reply.extend_from_slice(body);
    reply
}

/// The head of a reply announcing `length` bytes of JSON, without the body.
pub fn json_head(status: &str, length: usize) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// The head of a chunked reply of unannounced length.
pub fn chunked_head() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec()
}

/// `data` as one chunk of a chunked body.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// A redirect to `location`.
pub fn redirect(status: &str, location: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .into_bytes()
}
