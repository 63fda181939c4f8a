//! Crash safety: SIGKILL a process at random points while it submits tickets and
//! moves outbox entries, many times over the same store. Afterwards every
//! acknowledged submit is there exactly once, nothing is half-written, and
//! `PRAGMA integrity_check` says ok.
//!
//! Runs: `MINQING_CRASH_RUNS` (default 200).

use minqing_core::Minqing;
use rusqlite::Connection;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A small deterministic PRNG (xorshift) so a failing seed can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

#[test]
fn sigkill_at_random_points_loses_and_doubles_nothing() {
    let runs: usize = std::env::var("MINQING_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("MINQING_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_2020_1004);
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = dir.path().join("photo.jpg");
    std::fs::write(&photo, minqing_capture::testsupport::photo_jpeg(640, 480)).expect("photo");
    let data = dir.path().join("store");

    let mut rng = Rng(seed);
    let mut acked: Vec<String> = Vec::new();
    let mut killed_mid_run = 0;
    for run in 0..runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-hammer"))
            .arg(&data)
            .arg(&photo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hammer");
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        // Kill somewhere between start-up and a few dozen submits in.
        let delay = Duration::from_micros(rng.next() % 300_000);
        let started = Instant::now();
        std::thread::sleep(delay);
        let exited_early = child.try_wait().expect("try_wait").is_some();
        // On Unix, Child::kill sends SIGKILL: no chance to clean up.
        let _ = child.kill();
        let status = child.wait().expect("wait");
        let lines = reader.join().expect("reader");
        if exited_early {
            let mut err = String::new();
            use std::io::Read;
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!(
                "run {run}: hammer exited by itself ({status:?}) after {:?}: {err}",
                started.elapsed()
            );
        }
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "run {run}: not killed by SIGKILL");
        if lines.iter().any(|l| l == "READY") {
            killed_mid_run += 1;
        }
        acked.extend(
            lines
                .iter()
                .filter_map(|l| l.strip_prefix("ACK ").map(str::to_owned)),
        );
    }

    // Reopen as the app would after the last crash (this runs recovery).
    let core = Minqing::open_at(data.clone()).expect("reopen");
    assert_eq!(core.integrity_check().expect("check"), "ok");
    drop(core);
    let conn = Connection::open(data.join("minqing.db")).expect("open db");

    // Every acknowledged submit is present exactly once.
    let unique: HashSet<&String> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len(), "an id was acknowledged twice");
    for id in &acked {
        let n: i64 = conn
            .query_row("SELECT count(*) FROM tickets WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("count");
        assert_eq!(n, 1, "acknowledged ticket {id} present {n} times");
    }
    // No half-written ticket: each has exactly one create mutation, each photo an
    // upload and an attach, and no photo belongs to both a draft and a ticket.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM tickets t WHERE (SELECT count(*) FROM outbox o WHERE o.ticket_id = t.id AND o.kind = 'create_ticket') != 1"),
        0
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM photos p WHERE p.ticket_id IS NOT NULL AND ((SELECT count(*) FROM outbox o WHERE o.photo_id = p.id AND o.kind = 'upload') != 1 OR (SELECT count(*) FROM outbox o WHERE o.photo_id = p.id AND o.kind = 'attach_photo') != 1)"),
        0
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM photos WHERE draft_id IS NOT NULL AND ticket_id IS NOT NULL"
        ),
        0
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM outbox WHERE ticket_id NOT IN (SELECT id FROM tickets)"
        ),
        0
    );
    // Mutation numbers are unique and gap-free: the server will accept the stream.
    let (n, max): (i64, i64) = conn
        .query_row(
            "SELECT count(mutation_id), COALESCE(max(mutation_id), 0) FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("numbers");
    assert_eq!(n, max, "mutation ids have a gap");
    // Nothing is left `sending` after recovery.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM outbox WHERE state = 'sending'"),
        0
    );
    // Every photo row of a ticket has its files on disk.
    let mut stmt = conn
        .prepare("SELECT id FROM photos WHERE ticket_id IS NOT NULL")
        .expect("photos");
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("q")
        .map(|r| r.expect("row"))
        .collect();
    for id in &ids {
        assert!(
            data.join("photos").join(format!("{id}.jpg")).is_file(),
            "photo file {id} missing"
        );
    }
    // And no file without a row (the sweep at open removed leftovers).
    let rows = count(&conn, "SELECT count(*) FROM photos") as usize;
    let files = std::fs::read_dir(data.join("photos"))
        .expect("photos dir")
        .count();
    assert_eq!(
        files,
        rows * 2,
        "rendition + thumbnail per photo row, nothing else"
    );
    let tickets = count(&conn, "SELECT count(*) FROM tickets");
    println!(
        "crash safety: {runs} SIGKILLs ({killed_mid_run} after start-up), {} acknowledged submits, {tickets} tickets, {} ticket photos, integrity ok",
        acked.len(),
        ids.len()
    );
    assert!(
        acked.len() >= runs / 4,
        "too few submits to mean anything: {}",
        acked.len()
    );
}
