//! The monthly report and the master ledger over 100,000 items on SQLite
//! (issue 14; goal: each ≤ 10 s and ≤ 300 MB peak memory).
//! Run: `cargo bench -p minqing-server --bench report` (results in
//! docs/benchmarks.md, "Reports"); `MINQING_BENCH_ITEMS` sets another size.
//!
//! Setup (once; the database file is kept in `target/bench-report-<N>.db`
//! and reused): the Haining demo directory, then N items over the twelve
//! months before 1 December 2020 (China time), filed through the push as
//! the phones file them, one push per deputy per day, and their handling
//! pushed by the people who do it: 15 % explained on the spot, 25 % claimed
//! by China Mobile in the group (two in five of them replied), 45 % claimed
//! by the 海洲街道 office (four in nine replied; for the groups the office is
//! not in, by China Mobile), 10 % put on the city's
//! assignment list (half with the government's feedback "resolved"), 5 %
//! left in the pool.
//!
//! Each measurement runs in a fresh child process (this binary again), so
//! its peak resident memory (`VmHWM`) is its own: the baseline (one scan
//! decoding every item, nothing computed: the floor any report pays), the
//! statistics of November 2020 (every figure, for the city), the DOCX, the
//! PDF (Chromium's print; its memory is Chromium's, not counted), and the
//! master ledger of every item (XLSX, constant memory).

use minqing_protocol::*;
use minqing_server::access::Scope;
use minqing_server::report::document;
use minqing_server::report::ledger::{Kind, Spec};
use minqing_server::report::stats::{Area, Ctx, Period};
use minqing_server::seed::{seed_demo, DemoUser};
use minqing_server::Db;
use std::path::{Path, PathBuf};
use std::time::Instant;

const DAY: i64 = 24 * 3_600_000;
/// 2020-12-01 00:00 China time.
const DEC: i64 = 1_606_752_000_000;

fn items() -> usize {
    std::env::var("MINQING_BENCH_ITEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn actor(db: &Db, people: &[DemoUser], name: &str) -> Actor {
    let p = people.iter().find(|p| p.name == name).expect("person");
    db.me(p.id).expect("me").expect("exists").actor()
}

fn push(db: &Db, who: &Actor, kinds: Vec<MutationKind>, at: i64) {
    if kinds.is_empty() {
        return;
    }
    let client = ClientId::new();
    let ms: Vec<Mutation> = kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| Mutation {
            client_id: client,
            mutation_id: i as u64 + 1,
            kind,
        })
        .collect();
    let r = db.push(who, client, &ms, at).expect("push");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected.first());
}

fn act(ticket: TicketId, action: Action) -> MutationKind {
    MutationKind::Act {
        ticket,
        event: EventId::new(),
        action,
    }
}

fn fill(db: &Db, n: usize) {
    let people = seed_demo(db).expect("seed");
    let deputies: Vec<Actor> = people
        .iter()
        .filter(|p| p.role.is_deputy())
        .map(|p| db.me(p.id).expect("me").expect("exists").actor())
        .collect();
    let mobile = actor(db, &people, "移动联络员");
    let office = actor(db, &people, "海洲街道联络员");
    let staff = actor(db, &people, "市人大工作人员");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let days = 365usize;
    let mut filed = 0usize;
    for day in 0..days {
        let at = DEC - (days - day) as i64 * DAY + 9 * 3_600_000;
        let today = n / days + usize::from(day < n % days);
        let (mut by_mobile, mut by_office, mut by_staff) = (Vec::new(), Vec::new(), Vec::new());
        let (mut replies_m, mut replies_o, mut feedback) = (Vec::new(), Vec::new(), Vec::new());
        for (d, deputy) in deputies.iter().enumerate() {
            let mine = today / deputies.len() + usize::from(d < today % deputies.len());
            let office_sees = deputy
                .groups
                .first()
                .is_some_and(|g| office.groups.contains(g));
            let mut kinds = Vec::new();
            for _ in 0..mine {
                let id = TicketId::new();
                let k = filed % 20;
                filed += 1;
                kinds.push(MutationKind::CreateTicket {
                    ticket: NewTicket {
                        id,
                        event: EventId::new(),
                        group: deputy.groups.first().copied(),
                        jurisdiction: None,
                        category: Some(format!("C{:02}", 1 + rng.below(29))),
                        item: None,
                        text: format!(
                            "海宁市水月亭路{}号附近窨井盖松动，汽车开过砰砰作响",
                            rng.below(300)
                        ),
                        location: Some(Location {
                            latitude: 30.40 + rng.below(1500) as f64 / 10_000.0,
                            longitude: 120.40 + rng.below(3000) as f64 / 10_000.0,
                            accuracy_m: Some(10.0),
                            source: LocationSource::DeviceFix,
                            address: Some(format!("海宁市水月亭路{}号", rng.below(300))),
                        }),
                        channel: SourceChannel::FieldCapture,
                        constituent: Some(ConstituentContact {
                            name: Some("沈阿姨".into()),
                            phone: Some("13912345678".into()),
                        }),
                        mentioned_unit: None,
                        photo_count: 0,
                    },
                });
                match k {
                    0..=2 => kinds.push(act(
                        id,
                        Action::ExplainClose {
                            text: "已当场向群众解释".into(),
                        },
                    )),
                    3..=7 => {
                        by_mobile.push(act(id, Action::Claim));
                        if k <= 4 {
                            replies_m.push((id, OutcomePath::HandledInGroup));
                        }
                    }
                    // The street office sees its own groups' pool; elsewhere
                    // China Mobile (in every group) takes these too.
                    8..=16 if office_sees => {
                        by_office.push(act(id, Action::Claim));
                        if k <= 11 {
                            replies_o.push((id, OutcomePath::HandledByTown));
                        }
                    }
                    8..=16 => {
                        by_mobile.push(act(id, Action::Claim));
                        if k <= 11 {
                            replies_m.push((id, OutcomePath::HandledInGroup));
                        }
                    }
                    17 | 18 => {
                        by_staff.push(act(
                            id,
                            Action::AssignToGovernment {
                                list: "2020年交办清单".into(),
                            },
                        ));
                        if k == 17 {
                            feedback.push(act(
                                id,
                                Action::GovernmentFeedback {
                                    text: "市政府反馈：已落实".into(),
                                    resolved: true,
                                },
                            ));
                        }
                    }
                    _ => {}
                }
            }
            push(db, deputy, kinds, at + d as i64 * 60_000);
        }
        let reply = |v: Vec<(TicketId, OutcomePath)>| {
            v.into_iter()
                .map(|(id, outcome)| {
                    act(
                        id,
                        Action::Reply {
                            text: "已安排处理，正在办理中。".into(),
                            outcome,
                        },
                    )
                })
                .collect::<Vec<_>>()
        };
        push(db, &mobile, by_mobile, at + 2 * 3_600_000);
        push(db, &office, by_office, at + 2 * 3_600_000);
        push(db, &staff, by_staff, at + 3 * 3_600_000);
        push(db, &mobile, reply(replies_m), at + 5 * 3_600_000);
        push(db, &office, reply(replies_o), at + 5 * 3_600_000);
        push(db, &staff, feedback, at + 6 * 3_600_000);
    }
    assert_eq!(filed, n);
}

/// This process's peak resident memory (kB), from /proc/self/status.
fn peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// This process's CPU time (user + system, ms), from /proc/self/stat (clock
/// ticks of 10 ms: Linux's USER_HZ on every architecture Debian ships).
fn cpu_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<u64>() * 10
}

/// One measurement, in this (child) process: prints `ms cpu-ms kB detail`.
fn child(phase: &str, db_path: &Path) {
    let db = Db::open(db_path).expect("open");
    let nov = Period::parse("2020-11").expect("period");
    let ctx = Ctx::new(nov, Area::City, DEC + DAY);
    let (t, cpu0) = (Instant::now(), cpu_ms());
    let detail = match phase {
        "scan" => format!("{} items read", db.report_scan(&Scope::All).expect("scan")),
        "stats" => {
            let (s, _) = db.stats(&Scope::All, &ctx).expect("stats");
            format!(
                "November: {} received, {} assigned, {} resolved; since the start {}",
                s.received.value, s.assigned.value, s.resolved.value, s.totals.received.value
            )
        }
        "docx" => {
            let (s, _) = db.stats(&Scope::All, &ctx).expect("stats");
            format!("{} bytes", document::docx(&s, DEC).expect("docx").len())
        }
        "pdf" => {
            let (s, _) = db.stats(&Scope::All, &ctx).expect("stats");
            let pdf = document::pdf(&document::html(&s, DEC), &document::chromium()).expect("pdf");
            format!("{} bytes (Chromium's memory not counted)", pdf.len())
        }
        "ledger" => {
            let out = db_path.with_extension("xlsx");
            let n = db
                .ledger(
                    &Scope::All,
                    &Spec {
                        kind: Kind::Master,
                        from: None,
                        before: None,
                        title: "海宁市民情总台帐".into(),
                    },
                    None,
                    &out,
                )
                .expect("ledger");
            let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            format!("{n} rows, {bytes} bytes")
        }
        _ => panic!("unknown phase {phase}"),
    };
    println!(
        "{} {} {} {detail}",
        t.elapsed().as_millis(),
        cpu_ms() - cpu0,
        peak_kb()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        child(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    let n = items();
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let db_path = target.join(format!("bench-report-{n}.db"));
    if !db_path.exists() {
        let building = db_path.with_extension("building");
        let _ = std::fs::remove_file(&building);
        let t = Instant::now();
        let db = Db::open(&building).expect("open");
        fill(&db, n);
        db.close();
        std::fs::rename(&building, &db_path).expect("rename");
        for ext in ["building-wal", "building-shm"] {
            let _ = std::fs::remove_file(db_path.with_extension(ext));
        }
        println!(
            "== setup: {n} items filed through the push in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    } else {
        println!("== setup: reusing {} ({n} items)", db_path.display());
    }
    let exe = std::env::current_exe().expect("exe");
    println!(
        "{:<46} {:>8} {:>8} {:>9}  detail",
        "measurement (SQLite)", "wall s", "CPU s", "peak MB"
    );
    for (phase, label) in [
        ("scan", "baseline: scan and decode every item"),
        ("stats", "statistics of 2020-11 (every figure)"),
        ("docx", "statistics + DOCX"),
        ("pdf", "statistics + PDF (Chromium print)"),
        ("ledger", "master ledger XLSX (every item)"),
    ] {
        let out = std::process::Command::new(&exe)
            .args(["--phase", phase])
            .arg(&db_path)
            .output()
            .expect("child");
        assert!(
            out.status.success(),
            "{phase}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let mut parts = line.trim().splitn(4, ' ');
        let mut num = || -> f64 { parts.next().and_then(|x| x.parse().ok()).unwrap_or(0.0) };
        let (ms, cpu, kb) = (num(), num(), num());
        println!(
            "{label:<46} {:>8.2} {:>8.2} {:>9.1}  {}",
            ms / 1000.0,
            cpu / 1000.0,
            kb / 1024.0,
            parts.next().unwrap_or("")
        );
    }
}
