//! The password flood of issue 16: 50 concurrent `POST /v1/auth/password` with
//! a wrong password against the server process, for 15 s, while `/health` is
//! asked every 50 ms. Reports the server's resident memory (sampled every
//! 100 ms, and its high-water mark `VmHWM`) and `/health` latency before and
//! during the flood, and what the flood was answered.
//!
//!     cargo bench -p minqing-e2e --bench flood
//!
//! Scenarios (each on a fresh server, `minqing-server demo`):
//! - `one-account`: every request names the same staff account (陈芊含);
//! - `unknown-numbers`: every request names a fresh unregistered number;
//! - `bound-only`: as `unknown-numbers`, with the per-address throttle opened
//!   wide (a config file), so only the concurrency bound on password hashing
//!   stands between the flood and the server (skipped with
//!   `MINQING_FLOOD_SERVER`, for a build without those config keys).
//!
//! `MINQING_FLOOD_SERVER=/path/to/minqing-server` runs another build (the
//! figures "before" in docs/benchmarks.md come from the parent commit's binary).
//! `MINQING_FLOOD_SECS` shortens or lengthens the flood (default 15).
//!
//! The same run also compares, without a flood, how long a wrong password takes
//! for a staff account and for an unknown number (issue 16: 22.9 ms vs 1.0 ms
//! told who is registered), and the same for SMS code requests.

use minqing_e2e::server::ServerProc;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 50;
const STAFF: &str = "陈芊含";

fn server_bin() -> (PathBuf, bool) {
    match std::env::var_os("MINQING_FLOOD_SERVER") {
        Some(p) => (PathBuf::from(p), true),
        None => (
            PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server")),
            false,
        ),
    }
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

fn mb(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `/health` every 50 ms until `until`: latencies in ms (a timeout counts as 30 s).
async fn probe_health(url: String, until: Instant) -> Vec<f64> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut out = Vec::new();
    while Instant::now() < until {
        let t = Instant::now();
        let ok = http
            .get(format!("{url}/health"))
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        out.push(if ok { ms } else { 30_000.0 });
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    out.sort_by(f64::total_cmp);
    out
}

/// RSS every 100 ms until `until`: the largest seen.
async fn sample_rss(pid: u32, until: Instant) -> u64 {
    let mut peak = 0;
    while Instant::now() < until {
        peak = peak.max(status_field(pid, "VmRSS:").unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    peak
}

#[derive(Default)]
struct Answers {
    ok: AtomicU64,
    unauthorized: AtomicU64,
    throttled: AtomicU64,
    unavailable: AtomicU64,
    other: AtomicU64,
}

async fn scenario(name: &str, bin: &std::path::Path, extra: &[&str], secs: u64) {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start_with(bin, dir.path(), "127.0.0.1:0", extra);
    let pid = server.pid();
    let staff = server.phone(STAFF);
    let url = server.url.clone();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = status_field(pid, "VmRSS:").unwrap_or(0);

    // Before: /health alone for 3 s.
    let idle = probe_health(url.clone(), Instant::now() + Duration::from_secs(3)).await;

    // The flood.
    let until = Instant::now() + Duration::from_secs(secs);
    let answers = Arc::new(Answers::default());
    let counter = Arc::new(AtomicU64::new(0));
    let mut floods = Vec::new();
    for _ in 0..CONCURRENCY {
        let (url, answers, counter, staff) =
            (url.clone(), answers.clone(), counter.clone(), staff.clone());
        let unknown = name != "one-account";
        floods.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client");
            while Instant::now() < until {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let phone = if unknown {
                    format!("139{:08}", n % 100_000_000)
                } else {
                    staff.clone()
                };
                let r = http
                    .post(format!("{url}/v1/auth/password"))
                    .json(&serde_json::json!({ "phone": phone, "password": "wrong" }))
                    .send()
                    .await;
                let slot = match r.map(|r| r.status().as_u16()) {
                    Ok(200) => &answers.ok,
                    Ok(401) => &answers.unauthorized,
                    Ok(429) => &answers.throttled,
                    Ok(503) => &answers.unavailable,
                    _ => &answers.other,
                };
                slot.fetch_add(1, Ordering::Relaxed);
                // A throttled or refused client waits a little before its next try.
                if !std::ptr::eq(slot, &answers.unauthorized) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }
    let rss = tokio::spawn(sample_rss(pid, until));
    let during = probe_health(url.clone(), until).await;
    for f in floods {
        let _ = f.await;
    }
    let rss_peak = rss.await.unwrap_or(0);
    let hwm = status_field(pid, "VmHWM:").unwrap_or(0);
    let rss_after = status_field(pid, "VmRSS:").unwrap_or(0);
    let l = |v: &AtomicU64| v.load(Ordering::Relaxed);
    println!(
        "{name:<16} RSS idle {:7.1} MB, peak sampled {:7.1} MB, VmHWM {:7.1} MB, after {:7.1} MB",
        mb(rss_idle),
        mb(rss_peak),
        mb(hwm),
        mb(rss_after)
    );
    println!(
        "{name:<16} /health before: p50 {:8.2} ms  p99 {:8.2} ms  max {:8.2} ms  (n={})",
        pct(&idle, 0.5),
        pct(&idle, 0.99),
        idle.last().copied().unwrap_or(f64::NAN),
        idle.len()
    );
    println!(
        "{name:<16} /health during: p50 {:8.2} ms  p99 {:8.2} ms  max {:8.2} ms  (n={})",
        pct(&during, 0.5),
        pct(&during, 0.99),
        during.last().copied().unwrap_or(f64::NAN),
        during.len()
    );
    println!(
        "{name:<16} flood answered: 200 {} · 401 {} · 429 {} · 503 {} · other {}  ({} requests in {secs} s)",
        l(&answers.ok),
        l(&answers.unauthorized),
        l(&answers.throttled),
        l(&answers.unavailable),
        l(&answers.other),
        l(&counter)
    );
}

/// Median and mean of the time each request takes, sent one after another (ms).
async fn times_ms(reqs: Vec<reqwest::RequestBuilder>) -> (f64, f64) {
    let mut v = Vec::with_capacity(reqs.len());
    for r in reqs {
        let t = Instant::now();
        let _ = r.send().await;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    v.sort_by(f64::total_cmp);
    (pct(&v, 0.5), mean)
}

/// Registered or not, by timing: wrong passwords and code requests, each kind
/// of number interleaved with the other.
async fn timing(bin: &std::path::Path) {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start_with(bin, dir.path(), "127.0.0.1:0", &[]);
    let http = reqwest::Client::new();
    let url = server.url.clone();
    let pw = |phone: &str| {
        http.post(format!("{url}/v1/auth/password"))
            .json(&serde_json::json!({ "phone": phone, "password": "wrong" }))
    };
    let code = |phone: &str| {
        http.post(format!("{url}/v1/auth/sms-code"))
            .json(&serde_json::json!({ "phone": phone }))
    };
    // Warm up (connections, caches), on numbers not measured.
    let _ = times_ms(vec![pw("13999990000"), code("13999990000")]).await;
    // Three tries per account stay below any throttle.
    let staff = server.phone(STAFF);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..3 {
        known.push(times_ms(vec![pw(&staff)]).await.0);
        unknown.push(times_ms(vec![pw(&format!("1399999100{i}"))]).await.0);
    }
    known.sort_by(f64::total_cmp);
    unknown.sort_by(f64::total_cmp);
    println!(
        "timing           wrong password: staff {:.2} ms, unknown number {:.2} ms (median of 3 each)",
        pct(&known, 0.5),
        pct(&unknown, 0.5)
    );
    // One code request per registered demo number, and as many unknown ones.
    let mut phones: Vec<String> = server.phones.values().cloned().collect();
    phones.sort();
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for (i, p) in phones.iter().enumerate() {
        known.push(times_ms(vec![code(p)]).await.0);
        unknown.push(times_ms(vec![code(&format!("139999920{i:02}"))]).await.0);
    }
    known.sort_by(f64::total_cmp);
    unknown.sort_by(f64::total_cmp);
    println!(
        "timing           code request: registered {:.2} ms, unknown {:.2} ms (median of {} each)",
        pct(&known, 0.5),
        pct(&unknown, 0.5),
        phones.len()
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let (bin, other_build) = server_bin();
    let secs: u64 = std::env::var("MINQING_FLOOD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    println!("server: {}", bin.display());
    println!(
        "{CONCURRENCY} concurrent wrong passwords for {secs} s; /health every 50 ms; RSS every 100 ms"
    );
    scenario("one-account", &bin, &[], secs).await;
    scenario("unknown-numbers", &bin, &[], secs).await;
    let cfg_dir = tempfile::tempdir().expect("dir");
    let cfg = cfg_dir.path().join("flood.toml");
    std::fs::write(
        &cfg,
        "[throttle]\npassword_free_per_address = 1000000\npassword_free_per_account = 1000000\n",
    )
    .expect("config");
    let cfg_s = cfg.to_string_lossy().to_string();
    let wide: &[&str] = &["--config", &cfg_s];
    if !other_build {
        scenario("bound-only", &bin, wide, secs).await;
    }
    timing(&bin).await;
}
