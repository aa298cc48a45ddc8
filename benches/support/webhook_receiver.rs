//! A minimal local webhook receiver for the outbox throughput benchmark: HTTP/1.1 with
//! keep-alive on 127.0.0.1, one task per connection, bodies framed by Content-Length. Every
//! request is checked the way a real receiver would: `X-Hubble-Signature-256` must be
//! `sha256=<hex HMAC-SHA256(secret, body)>` (computed here with the hmac/sha2 crates, not
//! with the sender's code), and its `X-Hubble-Idempotency-Key` is remembered, so the bench
//! can assert that exactly N distinct, correctly signed deliveries arrived.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What arrived since the last [`Receiver::expect`].
#[derive(Default)]
pub struct Tally {
    /// Requests answered, whatever the status.
    pub answered: AtomicUsize,
    /// Requests answered 200 (signed correctly).
    pub requests: AtomicUsize,
    /// Requests without a signature or with a wrong one (answered 401).
    pub bad_signatures: AtomicUsize,
    /// Requests that were not `POST` with a Content-Length and the idempotency key (400).
    pub malformed: AtomicUsize,
    /// Distinct idempotency keys of the signed requests.
    pub keys: Mutex<HashSet<String>>,
    /// Answered requests that end the run.
    target: AtomicUsize,
    /// Rung once when `answered` reaches `target`.
    pub all_in: Notify,
}

pub struct Receiver {
    pub addr: SocketAddr,
    pub tally: Arc<Tally>,
}

impl Receiver {
    /// Listens on 127.0.0.1:0 and serves until the runtime ends.
    pub async fn start(secret: &str) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let tally = Arc::new(Tally::default());
        let secret: Arc<[u8]> = secret.as_bytes().into();
        let t = tally.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let _ = sock.set_nodelay(true);
                tokio::spawn(serve(sock, t.clone(), secret.clone()));
            }
        });
        Receiver { addr, tally }
    }

    /// Starts a new count: `all_in` is rung when `n` requests have been answered.
    pub fn expect(&self, n: usize) {
        let t = &self.tally;
        t.answered.store(0, Ordering::SeqCst);
        t.requests.store(0, Ordering::SeqCst);
        t.bad_signatures.store(0, Ordering::SeqCst);
        t.malformed.store(0, Ordering::SeqCst);
        t.keys.lock().unwrap().clear();
        t.target.store(n, Ordering::SeqCst);
    }

    /// Requests answered, bad signatures, malformed requests, distinct keys.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let t = &self.tally;
        (
            t.requests.load(Ordering::SeqCst),
            t.bad_signatures.load(Ordering::SeqCst),
            t.malformed.load(Ordering::SeqCst),
            t.keys.lock().unwrap().len(),
        )
    }
}

fn expected_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// One keep-alive connection: request after request until the client closes it.
async fn serve(sock: TcpStream, tally: Arc<Tally>, secret: Arc<[u8]>) {
    let (rd, mut wr) = sock.into_split();
    let mut rd = BufReader::new(rd);
    let mut line = String::new();
    loop {
        // Request line.
        line.clear();
        if rd.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let post = line.starts_with("POST ");
        // Headers up to the empty line.
        let (mut length, mut signature, mut key) = (None, None, None);
        loop {
            line.clear();
            if rd.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let Some((name, value)) = l.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "x-hubble-signature-256" => signature = Some(value.to_string()),
                "x-hubble-idempotency-key" => key = Some(value.to_string()),
                _ => {}
            }
        }
        let mut body = vec![0; length.unwrap_or(0)];
        if rd.read_exact(&mut body).await.is_err() {
            return;
        }
        let status = match (post, length, signature, key) {
            (true, Some(_), Some(sig), Some(key)) => {
                if sig == expected_signature(&secret, &body) {
                    tally.keys.lock().unwrap().insert(key);
                    "200 OK"
                } else {
                    tally.bad_signatures.fetch_add(1, Ordering::SeqCst);
                    "401 Unauthorized"
                }
            }
            (true, Some(_), None, _) => {
                tally.bad_signatures.fetch_add(1, Ordering::SeqCst);
                "401 Unauthorized"
            }
            _ => {
                tally.malformed.fetch_add(1, Ordering::SeqCst);
                "400 Bad Request"
            }
        };
        let head = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
        if wr.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        if status == "200 OK" {
            tally.requests.fetch_add(1, Ordering::SeqCst);
        }
        let n = tally.answered.fetch_add(1, Ordering::SeqCst) + 1;
        if n == tally.target.load(Ordering::SeqCst) {
            tally.all_in.notify_one();
        }
    }
}
