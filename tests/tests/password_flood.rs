//! Issue 16, item 1, on the real server process with its default settings: 50
//! concurrent wrong passwords for one staff account (the probe that took the
//! server from 171 MB to 7.3 GB) leave its memory bounded and the server
//! answering. A bound, not a speed: the figures are in docs/benchmarks.md
//! ("Password flood", `cargo bench -p minqing-e2e --bench flood`).

use minqing_e2e::server::ServerProc;
use std::path::PathBuf;

fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .expect("VmHWM")
        * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_wrong_passwords_do_not_exhaust_the_server() {
    let dir = tempfile::tempdir().expect("dir");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"));
    let server = ServerProc::start(&bin, dir.path(), "127.0.0.1:0");
    let staff = server.phone("陈芊含");
    let http = reqwest::Client::new();
    let mut floods = Vec::new();
    for _ in 0..50 {
        let (http, url, staff) = (http.clone(), server.url.clone(), staff.clone());
        floods.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for _ in 0..4 {
                let r = http
                    .post(format!("{url}/v1/auth/password"))
                    .json(&serde_json::json!({ "phone": staff, "password": "wrong" }))
                    .send()
                    .await
                    .expect("answered");
                answers.push(r.status().as_u16());
            }
            answers
        }));
    }
    let mut answers = Vec::new();
    for f in floods {
        answers.extend(f.await.expect("task"));
    }
    assert!(
        answers.iter().all(|st| [401, 429, 503].contains(st)),
        "{answers:?}"
    );
    assert!(answers.contains(&429), "the account is throttled");
    let r = http
        .get(format!("{}/health", server.url))
        .send()
        .await
        .expect("health");
    assert_eq!(r.status(), 200);
    let peak = peak_rss(server.pid());
    assert!(
        peak < 512 * 1024 * 1024,
        "peak RSS {} MB (a generous ceiling; 50 argon2 at once took GBs)",
        peak / (1024 * 1024)
    );
}
