//! A TCP proxy between device and server that injects the faults of the field:
//! a request that never arrives, an answer lost after the server committed, a
//! connection cut part-way through an upload, added latency. The fault in force
//! is read on every chunk, so it also hits pooled keep-alive connections.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    None,
    /// Client bytes are dropped and the connection closed: the server never
    /// hears the request.
    DropRequest,
    /// Requests reach the server; its answers are dropped and the connection
    /// closed: the server committed, the client does not know.
    DropResponse,
    /// Like [`Fault::DropResponse`], but only on a connection whose latest
    /// request line starts with this (`"POST /v1/uploads"`, `"PATCH "`,
    /// `"POST /v1/sync/push"`); other answers flow.
    DropResponseTo(&'static str),
    /// After this many more client→server bytes, reset the connection.
    CutAfter(u64),
    /// Wait this long before relaying each chunk, both ways.
    Latency(Duration),
    /// A simulated mobile link, both ways: each chunk waits for its share of
    /// the bandwidth, and the first chunk after a pause also waits `one_way`
    /// (the propagation delay; chunks of one burst are pipelined behind it).
    Link {
        one_way: Duration,
        bytes_per_sec: u64,
    },
    /// The server is overloaded: every request is answered `503` with
    /// `Retry-After: <secs>` (and the JSON error body the server sends) by the
    /// proxy itself, and its connection closed. Answers on connections that
    /// are already open (a live SSE stream) still flow.
    Unavailable {
        retry_after_secs: u64,
    },
}

/// One HTTP request the proxy saw begin, client → server.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: tokio::time::Instant,
    /// `METHOD /path`.
    pub line: String,
    /// Answered 503 by the proxy (never reached the server).
    pub refused: bool,
}

const METHODS: [&str; 7] = [
    "GET ", "POST ", "PUT ", "PATCH ", "HEAD ", "DELETE ", "OPTIONS ",
];

/// `METHOD /path` when `chunk` starts a request. Requests start a chunk of
/// their own (the clients here neither pipeline nor coalesce), and no body
/// this protocol sends starts with a method name and a space.
fn request_line(chunk: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&chunk[..chunk.len().min(256)]);
    let first = head.lines().next()?;
    METHODS.iter().any(|m| first.starts_with(m)).then(|| {
        first
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    })
}

#[derive(Default)]
struct Shared {
    fault: Mutex<Option<(Fault, u64)>>,
    target: Mutex<String>,
    /// Client→server bytes relayed since start.
    up: AtomicU64,
    /// Server→client bytes relayed since start.
    down: AtomicU64,
    /// Connections accepted.
    connections: AtomicU64,
    /// Requests seen begin, in order.
    requests: Mutex<Vec<Seen>>,
}

#[derive(Clone)]
pub struct Proxy {
    pub addr: String,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Listen on a free loopback port and relay to `target` (`host:port`).
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr").to_string();
        let shared = Arc::new(Shared::default());
        *shared.target.lock().expect("lock") = target.to_owned();
        let s = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                s.connections.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(relay(client, s.clone()));
            }
        });
        Proxy { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, fault: Fault) {
        let up = self.shared.up.load(Ordering::SeqCst);
        *self.shared.fault.lock().expect("lock") = Some((fault, up));
    }

    pub fn heal(&self) {
        self.set(Fault::None);
    }

    /// Point at another server address (after a restart on a new port).
    pub fn retarget(&self, target: &str) {
        *self.shared.target.lock().expect("lock") = target.to_owned();
    }

    /// Client→server bytes relayed so far.
    pub fn bytes_up(&self) -> u64 {
        self.shared.up.load(Ordering::SeqCst)
    }

    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Server→client bytes relayed so far.
    pub fn bytes_down(&self) -> u64 {
        self.shared.down.load(Ordering::SeqCst)
    }

    /// Every request seen so far (relayed or refused), oldest first.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.requests.lock().expect("lock").clone()
    }
}

impl Shared {
    fn fault(&self) -> (Fault, u64) {
        self.fault.lock().expect("lock").unwrap_or((Fault::None, 0))
    }
}

/// Hold `n` bytes as a link of `bytes_per_sec` would, plus the propagation
/// delay when they start a new burst (nothing sent for `one_way`).
async fn link_delay(
    last: &mut tokio::time::Instant,
    one_way: Duration,
    bytes_per_sec: u64,
    n: usize,
) {
    let now = tokio::time::Instant::now();
    let mut wait = Duration::from_secs_f64(n as f64 / bytes_per_sec.max(1) as f64);
    if now.duration_since(*last) > one_way {
        wait += one_way;
    }
    tokio::time::sleep(wait).await;
    *last = tokio::time::Instant::now();
}

async fn relay(client: TcpStream, s: Arc<Shared>) {
    let target = s.target.lock().expect("lock").clone();
    let Ok(server) = TcpStream::connect(&target).await else {
        return; // server down: the client sees the connection close
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut cr, cw) = client.into_split();
    let cw = Arc::new(tokio::sync::Mutex::new(cw));
    // This connection's latest request line, for the faults that target one
    // kind of request.
    let last_line: Arc<Mutex<String>> = Arc::default();
    let (up_line, down_line) = (last_line.clone(), last_line);
    let (mut sr, mut sw) = server.into_split();
    let refuse_w = cw.clone();
    let up_s = s.clone();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut last = tokio::time::Instant::now();
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let (fault, since) = up_s.fault();
            let mut n = n;
            let line = request_line(&buf[..n]);
            if let Some(line) = &line {
                *up_line.lock().expect("lock") = line.clone();
                up_s.requests.lock().expect("lock").push(Seen {
                    at: tokio::time::Instant::now(),
                    line: line.clone(),
                    refused: matches!(fault, Fault::Unavailable { .. }),
                });
            }
            match fault {
                Fault::Unavailable { retry_after_secs } => {
                    let body = r#"{"error":"unavailable","message_zh":"服务器繁忙，请稍后再试","message_en":"The server is busy; try again later"}"#;
                    let answer = format!(
                        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: {retry_after_secs}\r\n\
                         Content-Type: application/json\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = refuse_w.lock().await.write_all(answer.as_bytes()).await;
                    return;
                }
                Fault::DropRequest => return,
                Fault::CutAfter(limit) => {
                    let sent = up_s.up.load(Ordering::SeqCst) - since;
                    if sent + n as u64 >= limit {
                        n = limit.saturating_sub(sent) as usize;
                        if n > 0 && sw.write_all(&buf[..n]).await.is_ok() {
                            up_s.up.fetch_add(n as u64, Ordering::SeqCst);
                        }
                        return;
                    }
                }
                Fault::Latency(d) => tokio::time::sleep(d).await,
                Fault::Link {
                    one_way,
                    bytes_per_sec,
                } => link_delay(&mut last, one_way, bytes_per_sec, n).await,
                _ => {}
            }
            if sw.write_all(&buf[..n]).await.is_err() {
                return;
            }
            up_s.up.fetch_add(n as u64, Ordering::SeqCst);
        }
    };
    let down_s = s.clone();
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut last = tokio::time::Instant::now();
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            match down_s.fault().0 {
                Fault::DropResponse => return,
                Fault::DropResponseTo(prefix)
                    if down_line.lock().expect("lock").starts_with(prefix) =>
                {
                    return
                }
                Fault::Latency(d) => tokio::time::sleep(d).await,
                Fault::Link {
                    one_way,
                    bytes_per_sec,
                } => link_delay(&mut last, one_way, bytes_per_sec, n).await,
                _ => {}
            }
            if cw.lock().await.write_all(&buf[..n]).await.is_err() {
                return;
            }
            down_s.down.fetch_add(n as u64, Ordering::SeqCst);
        }
    };
    // Whichever side ends first ends the connection (both halves drop).
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}
