//! A device store restored from a backup, or copied to a second phone, loses
//! no report (field case "A restored phone", `../shared/cases/field-2026-11/`).
//!
//! Everything runs as a user would: the real `minqing-server` process, and the
//! `minqing` CLI process on a data directory that is copied with the files
//! closed, as a phone backup or a phone-to-phone transfer copies it. At the
//! end a fresh device of the same deputy pulls what the server holds: every
//! report exactly once, its photo attached once, and the queues of the copies
//! drained. On SQLite (`demo`) and on PostgreSQL (`serve`, needs
//! `MINQING_TEST_DATABASE_URL`: without it the PostgreSQL half fails under CI
//! and is skipped elsewhere).

use minqing_capture::testsupport::photo_jpeg;
use minqing_e2e::server::ServerProc;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
    ok(&minqing(dir, &server.url, &["login", "--phone", &phone]));
    let code = server.code_for(&phone);
    ok(&minqing(
        dir,
        &server.url,
        &["login", "--phone", &phone, "--code", &code],
    ));
}

/// `cp -a`: the whole data directory, as a backup or a transfer copies it.
fn copy_dir(from: &Path, to: &Path) {
    if to.exists() {
        std::fs::remove_dir_all(to).expect("remove");
    }
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(status.success());
}

fn report(dir: &Path, server: &str, text: &str, photo: Option<&Path>) -> String {
    let mut args = vec!["report", "--text", text];
    if let Some(p) = photo {
        args.extend(["--photo", p.to_str().expect("utf8")]);
    }
    ok(&minqing(dir, server, &args))
}

/// `sync` exits 0 only when the queue is drained; the queue then holds no
/// entry that is not `sent`.
fn sync_drained(dir: &Path, server: &str) {
    let out = ok(&minqing(dir, server, &["sync", "--json"]));
    let r: serde_json::Value = serde_json::from_str(&out).expect("sync report");
    assert_eq!(r["pending"], 0, "{out}");
    let queue: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&minqing(dir, server, &["queue", "--json"]))).expect("queue");
    for e in &queue {
        assert_eq!(e["state"], "sent", "every entry delivered: {e}");
    }
}

/// What the server holds, as another device sees it: the group's
/// coordinator (孟宪珂), logged in once (login codes are rate-limited),
/// syncs and lists. Text → (photos, timeline events), for the texts that
/// start with `mark`. Panics on a text seen twice.
struct Checker {
    dir: PathBuf,
    url: String,
}

impl Checker {
    fn new(tmp: &Path, server: &ServerProc) -> Checker {
        let dir = tmp.join("coordinator");
        login(&dir, server, "孟宪珂");
        Checker {
            dir,
            url: server.url.clone(),
        }
    }

    fn held(&self, mark: &str) -> BTreeMap<String, (usize, u32)> {
        ok(&minqing(&self.dir, &self.url, &["sync"]));
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&ok(&minqing(&self.dir, &self.url, &["list", "--json"])))
                .expect("list");
        let mut out = BTreeMap::new();
        for t in list {
            let text = t["text"].as_str().expect("text").to_owned();
            if !text.starts_with(mark) {
                continue;
            }
            let id = t["id"].as_str().expect("id");
            let detail: serde_json::Value =
                serde_json::from_str(&ok(&minqing(&self.dir, &self.url, &["show", id, "--json"])))
                    .expect("show");
            let photos = detail["photos"].as_array().map_or(0, Vec::len);
            let events = detail["timeline"].as_array().expect("timeline").len() as u32;
            assert!(
                out.insert(text.clone(), (photos, events)).is_none(),
                "{text} is on the server twice"
            );
        }
        out
    }
}

/// The field case as the README types it: report A, sync, back up, report B,
/// sync, restore the backup, report C, sync. Then more on the restored phone,
/// and a second restore of the same backup.
fn restored_phone(server: &ServerProc, tmp: &Path, check: &Checker) {
    let url = &server.url;
    let phone = tmp.join("phone");
    let backup = tmp.join("backup");
    login(&phone, server, "陆靖英");
    report(&phone, url, "恢复-A 水月亭路窨井盖松动", None);
    sync_drained(&phone, url);
    copy_dir(&phone, &backup);
    report(&phone, url, "恢复-B 方便桥路灯不亮", None);
    sync_drained(&phone, url);

    copy_dir(&backup, &phone);
    report(&phone, url, "恢复-C 红绿灯绿灯太短", None);
    sync_drained(&phone, url);
    report(&phone, url, "恢复-D 燃气警示桩突出", None);
    sync_drained(&phone, url);
    // Restored once more from the same backup: the new client id is lost
    // with it, and the fork is found again.
    copy_dir(&backup, &phone);
    report(&phone, url, "恢复-E 人行道破损", None);
    sync_drained(&phone, url);

    let held = check.held("恢复-");
    let texts: Vec<&str> = held.keys().map(|k| &k[..8]).collect();
    assert_eq!(
        texts,
        ["恢复-A", "恢复-B", "恢复-C", "恢复-D", "恢复-E"],
        "{held:?}"
    );
}

/// One store on two phones: a report still unsent at the copy (with a photo,
/// whose attach each copy numbers differently), then each phone reports and
/// syncs in turn.
fn copied_phone(server: &ServerProc, tmp: &Path, check: &Checker) {
    let url = &server.url;
    let p = tmp.join("p");
    let q = tmp.join("q");
    // Another deputy of the group (login codes are one a minute per number).
    login(&p, server, "王建国");
    report(&p, url, "复制-0 先前的", None);
    sync_drained(&p, url);
    let photo = tmp.join("cover.jpg");
    std::fs::write(&photo, photo_jpeg(800, 600)).expect("photo");
    report(&p, url, "复制-A 井盖有中国移动标记", Some(&photo));
    copy_dir(&p, &q);

    sync_drained(&p, url);
    report(&q, url, "复制-Q1 第二部手机", None);
    sync_drained(&q, url);
    report(&p, url, "复制-P1 第一部手机", None);
    report(&q, url, "复制-Q2 第二部手机", None);
    sync_drained(&q, url);
    sync_drained(&p, url);
    report(&p, url, "复制-P2 第一部手机", None);
    sync_drained(&p, url);

    let held = check.held("复制-");
    let mut want = BTreeMap::new();
    want.insert("复制-0 先前的".to_owned(), (0, 1));
    // Submitted, then the photo attached: once.
    want.insert("复制-A 井盖有中国移动标记".to_owned(), (1, 2));
    for t in [
        "复制-P1 第一部手机",
        "复制-P2 第一部手机",
        "复制-Q1 第二部手机",
        "复制-Q2 第二部手机",
    ] {
        want.insert(t.to_owned(), (0, 1));
    }
    assert_eq!(held, want);
}

#[test]
fn restored_and_copied_stores_deliver_everything_on_sqlite() {
    let tmp = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&server_bin(), &tmp.path().join("server"), "127.0.0.1:0");
    let check = Checker::new(tmp.path(), &server);
    restored_phone(&server, &tmp.path().join("restore"), &check);
    copied_phone(&server, &tmp.path().join("copy"), &check);
}

#[test]
fn restored_and_copied_stores_deliver_everything_on_postgres() {
    const URL_VAR: &str = "MINQING_TEST_DATABASE_URL";
    let base = match std::env::var(URL_VAR) {
        Ok(u) if !u.is_empty() => u,
        _ if std::env::var_os("CI").is_some() => {
            panic!("{URL_VAR} is not set, and CI is: start PostgreSQL with `eval \"$(scripts/pg.sh)\"`")
        }
        _ => {
            eprintln!("skipped: {URL_VAR} is not set (run `eval \"$(scripts/pg.sh)\"`)");
            return;
        }
    };
    let url = minqing_server::store::pg::create_scratch_database(&base)
        .unwrap_or_else(|e| panic!("create a test database on {base}: {e}"));
    let tmp = tempfile::tempdir().expect("dir");
    let server = ServerProc::start_serve(
        &server_bin(),
        &tmp.path().join("server"),
        "127.0.0.1:0",
        &url,
        true,
    );
    let check = Checker::new(tmp.path(), &server);
    restored_phone(&server, &tmp.path().join("restore"), &check);
    copied_phone(&server, &tmp.path().join("copy"), &check);
}
