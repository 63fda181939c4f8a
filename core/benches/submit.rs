//! Submit latency: a draft with an ingested photo → 完成 acknowledged (ticket,
//! photo ownership and outbox entries committed with synchronous=FULL).
//! Baseline in the same run: one bare one-row INSERT transaction on a SQLite file
//! with the same pragmas — the floor a durable commit costs on this disk.
//!
//!   cargo bench -p minqing-core --bench submit
//!   (MINQING_BENCH_N=… to change the sample count, default 400)

use minqing_core::Minqing;
use std::time::{Duration, Instant};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::var("MINQING_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let dir = tempfile::tempdir()?;
    let photo = minqing_capture::testsupport::photo_jpeg(1600, 1200);
    let core = Minqing::open_at(dir.path().join("store"))?;

    let mut submit = Vec::with_capacity(n);
    for i in 0..n + 20 {
        let draft = core.drafts().create()?;
        core.drafts()
            .set_text(draft.id.clone(), format!("第{i}条：水月亭路窨井盖松动"))?;
        core.drafts()
            .add_photo_bytes(draft.id.clone(), photo.clone())?;
        let t = Instant::now();
        core.drafts().submit(draft.id)?;
        if i >= 20 {
            submit.push(t.elapsed());
        }
    }
    submit.sort();

    let conn = rusqlite::Connection::open(dir.path().join("baseline.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")?;
    let mut bare = Vec::with_capacity(n);
    for i in 0..n + 20 {
        let t = Instant::now();
        conn.execute("INSERT INTO t (body) VALUES (?1)", [format!("row {i}")])?;
        if i >= 20 {
            bare.push(t.elapsed());
        }
    }
    bare.sort();

    println!("submit latency, n = {n} (after 20 warm-ups), synchronous=FULL, WAL");
    println!("{:<44} {:>12} {:>12} {:>12}", "", "p50", "p99", "max");
    println!(
        "{:<44} {:>12} {:>12} {:>12}",
        "minqing submit (draft + 1 photo → ticket)",
        ms(pct(&submit, 0.5)),
        ms(pct(&submit, 0.99)),
        ms(*submit.last().unwrap_or(&Duration::ZERO))
    );
    println!(
        "{:<44} {:>12} {:>12} {:>12}",
        "baseline: bare 1-row INSERT commit",
        ms(pct(&bare, 0.5)),
        ms(pct(&bare, 0.99)),
        ms(*bare.last().unwrap_or(&Duration::ZERO))
    );
    Ok(())
}
