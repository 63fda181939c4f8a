//! The desktop CLI against the real server, as a user types it: log in with the
//! texted code, report with a photo, `sync` (exit 0 only when drained), a unit
//! contact's `watch` printing the item live, `claim`, and `show` on the
//! deputy's side. Offline, `sync` exits non-zero and keeps the queue.

use minqing_capture::testsupport::photo_jpeg;
use minqing_e2e::server::ServerProc;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn server_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

fn minqing(dir: &Path, server: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_e2e-minqing"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--server", server])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run minqing")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn login(dir: &Path, server: &ServerProc, name: &str) {
    let phone = server.phone(name);
    let out = ok(&minqing(dir, &server.url, &["login", "--phone", &phone]));
    assert!(
        out.contains("--code"),
        "tells the user what to do next: {out}"
    );
    let code = server.code_for(&phone);
    let out = ok(&minqing(
        dir,
        &server.url,
        &["login", "--phone", &phone, "--code", &code],
    ));
    assert!(out.contains(name), "{out}");
}

#[test]
fn report_sync_watch_claim_show() {
    let tmp = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&server_bin(), &tmp.path().join("server"), "127.0.0.1:0");
    let deputy = tmp.path().join("deputy");
    let contact = tmp.path().join("contact");
    login(&deputy, &server, "陆靖英");
    login(&contact, &server, "移动联络员");

    // Offline first: the report is kept and `sync` says so with a non-zero exit.
    let photo = tmp.path().join("manhole.jpg");
    std::fs::write(&photo, photo_jpeg(1200, 900)).expect("photo");
    let id = ok(&minqing(
        &deputy,
        &server.url,
        &[
            "report",
            "--text",
            "水月亭路窨井盖不闭合",
            "--photo",
            photo.to_str().expect("utf8"),
        ],
    ));
    let offline = minqing(&deputy, "http://127.0.0.1:9", &["sync"]);
    assert!(!offline.status.success(), "sync must fail offline");
    let stderr = String::from_utf8_lossy(&offline.stderr);
    assert!(stderr.contains("网络"), "{stderr}");

    // The contact watches live.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_e2e-minqing"))
        .arg("--data-dir")
        .arg(&contact)
        .args(["--server", &server.url, "watch", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("watch");
    let (tx, rx) = mpsc::channel::<serde_json::Value>();
    let out = watch.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                if tx.send(v).is_err() {
                    return;
                }
            }
        }
    });

    // Back online (the real server address, remembered from login).
    let out = ok(&minqing(&deputy, &server.url, &["sync", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&out).expect("json report");
    assert_eq!(report["pending"], 0);
    assert_eq!(report["uploaded_photos"], 1);

    let wait = |rx: &mpsc::Receiver<serde_json::Value>, state: &str| loop {
        let v = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("watch never printed {id} as {state}"));
        if v["id"] == id.as_str() && v["state"] == state {
            return v;
        }
    };
    let seen = wait(&rx, "pool");
    assert_eq!(seen["text"], "水月亭路窨井盖不闭合");

    // The contact claims (another process on the same store) and syncs; the
    // watcher is poked and prints the new state.
    ok(&minqing(&contact, &server.url, &["claim", &id]));
    ok(&minqing(&contact, &server.url, &["sync"]));
    wait(&rx, "accepted");
    let _ = watch.kill();
    let _ = watch.wait();

    ok(&minqing(&deputy, &server.url, &["sync"]));
    let shown: serde_json::Value = serde_json::from_str(&ok(&minqing(
        &deputy,
        &server.url,
        &["show", &id, "--json"],
    )))
    .expect("json");
    assert_eq!(shown["state"], "accepted");
    assert_eq!(shown["state_label"], "办理中");
    // `list` shows names and a short handle, never the id.
    let listed = ok(&minqing(&contact, &server.url, &["list"]));
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    let handle = format!("#{}", &hex[hex.len() - 8..]);
    assert!(
        listed.contains(&handle) && !listed.contains(&id),
        "{listed}"
    );
    assert!(listed.contains("办理中"), "{listed}");
    // `show` prints the timeline by name and the clocks; the handle works as an id.
    let shown = ok(&minqing(&deputy, &server.url, &["show", &handle]));
    assert!(!shown.contains(&id), "{shown}");
    assert!(
        shown.contains("陆靖英") && shown.contains("提交了这条民情"),
        "{shown}"
    );
    assert!(
        shown.contains("接单") && shown.contains("答复时限"),
        "{shown}"
    );
    // 17:48 in the seed: the deputy adds a photo to the item.
    let marking = tmp.path().join("marking.jpg");
    std::fs::write(&marking, photo_jpeg(900, 1200)).expect("photo");
    let out = ok(&minqing(
        &deputy,
        &server.url,
        &[
            "add-photo",
            &handle,
            "--photo",
            marking.to_str().expect("utf8"),
        ],
    ));
    assert!(out.contains("📷2"), "{out}");
    ok(&minqing(&deputy, &server.url, &["sync"]));
    // The contact's device fetched the deputy's photo.
    let contact_show: serde_json::Value = serde_json::from_str(&ok(&minqing(
        &contact,
        &server.url,
        &["show", &id, "--json"],
    )))
    .expect("json");
    assert_eq!(contact_show["photos"].as_array().map(Vec::len), Some(1));
}

fn refused(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "expected a refusal, got stdout: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).trim().to_owned()
}

/// The workflow verbs, typed: claim, ask, answer, resolve with a proof photo,
/// reject (重办), resolve again, confirm with a rating — each synced through the
/// server — and verbs the state machine refuses, with a Chinese reason and
/// nothing queued.
#[test]
fn workflow_verbs_take_an_item_to_closed() {
    let tmp = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&server_bin(), &tmp.path().join("server"), "127.0.0.1:0");
    let deputy = tmp.path().join("deputy");
    let contact = tmp.path().join("contact");
    login(&deputy, &server, "陆靖英");
    login(&contact, &server, "移动联络员");
    let url = server.url.clone();
    let run = |dir: &Path, args: &[&str]| ok(&minqing(dir, &url, args));

    let id = run(&deputy, &["report", "--text", "方便桥东侧窨井盖松动"]);
    run(&deputy, &["sync"]);
    run(&contact, &["sync"]);
    run(&contact, &["claim", &id]);
    run(&contact, &["ask", &id, "--text", "请发一下具体位置"]);
    run(&contact, &["sync"]);
    run(&deputy, &["sync"]);
    run(&deputy, &["answer", &id, "--text", "桥东第二个井盖"]);
    run(&deputy, &["sync"]);

    // A photo whose camera says 2020 cannot prove today's fix: refused, nothing queued.
    let old = tmp.path().join("old.jpg");
    std::fs::write(&old, photo_jpeg(1200, 900)).expect("photo");
    run(&contact, &["sync"]);
    let why = refused(&minqing(
        &contact,
        &url,
        &[
            "resolve",
            &id,
            "--text",
            "已处理好",
            "--photo",
            old.to_str().expect("utf8"),
        ],
    ));
    assert!(why.contains("before the item was reported"), "{why}");
    // A file whose only time is when it was last modified (field case
    // datetime-only.jpg) does not say when it was taken: refused too.
    let modified = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../capture/tests/fixtures/datetime-only.jpg"
    );
    let why = refused(&minqing(
        &contact,
        &url,
        &["resolve", &id, "--text", "已处理好", "--photo", modified],
    ));
    assert!(why.contains("when it was taken"), "{why}");
    // Taken now, in Haining (the camera writes no offset: read as China time).
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    let taken = format!(
        "{:04}:{:02}:{:02} {:02}:{:02}:{:02}",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let fix = tmp.path().join("fixed.jpg");
    let spec = minqing_capture::testsupport::ExifSpec {
        date_time_original: Some(taken),
        gps_time: None,
        ..Default::default()
    };
    std::fs::write(
        &fix,
        minqing_capture::testsupport::photo_with(1200, 900, &spec),
    )
    .expect("photo");
    let fix = fix.to_str().expect("utf8").to_owned();
    let out = run(
        &contact,
        &["resolve", &id, "--text", "已处理好", "--photo", &fix],
    );
    assert!(out.contains("已办结待确认"), "{out}");
    run(&contact, &["sync"]);

    run(&deputy, &["sync"]);
    let out = run(&deputy, &["reject", &id, "--reason", "还在响"]);
    assert!(out.contains("重办"), "{out}");
    run(&deputy, &["sync"]);
    run(&contact, &["sync"]);
    run(
        &contact,
        &[
            "resolve",
            &id,
            "--text",
            "已更换井盖",
            "--photo",
            &fix,
            "--outcome",
            "town",
        ],
    );
    run(&contact, &["sync"]);
    run(&deputy, &["sync"]);

    // Refused locally, with the reason in Chinese; nothing is queued.
    let why = refused(&minqing(&contact, &url, &["confirm", &id]));
    assert!(why.contains("无权"), "{why}");
    let why = refused(&minqing(&deputy, &url, &["rate", &id, "--stars", "4"]));
    assert!(why.contains("不能执行"), "{why}");
    let why = refused(&minqing(&deputy, &url, &["confirm", &id, "--rating", "9"]));
    assert!(why.contains("评分") && why.contains("1 到 5"), "{why}");

    run(&deputy, &["confirm", &id, "--rating", "4"]);
    run(&deputy, &["sync"]);
    let shown: serde_json::Value =
        serde_json::from_str(&run(&deputy, &["show", &id, "--json"])).expect("json");
    assert_eq!(shown["state"], "closed");
    let queue = run(&deputy, &["queue", "--json"]);
    let queue: serde_json::Value = serde_json::from_str(&queue).expect("json");
    assert!(
        queue
            .as_array()
            .expect("list")
            .iter()
            .all(|e| e["state"] == "sent"),
        "{queue}"
    );
}
