//! Issue 13, the staff console's server side: the listing queries (board,
//! item list, export) see exactly what `access::can_see` lets each person see
//! — every demo person × every demo item, on SQLite and PostgreSQL — their
//! filters, search, sort and paging; and over real HTTP the console's
//! session cookie: sign-in, CSRF, page guards answering 403/404 with the API's
//! rules, logout, the idle expiry.

mod support;

use minqing_server::access::{can_see, scope, Scope};
use minqing_server::seed::{seed_demo, seed_demo_items};
use minqing_server::store::listing::{ItemFilter, SortKey, NO_UNIT};
use minqing_server::store::now_ms;
use minqing_server::Db;
use std::collections::BTreeSet;
use support::db::on_both_backends;

const DAY: i64 = 24 * 3_600_000;

fn seeded(db: &Db) -> (Vec<minqing_server::seed::DemoUser>, i64) {
    let people = seed_demo(db).expect("seed");
    let now = now_ms();
    let n = seed_demo_items(db, &people, now).expect("demo items");
    assert!(n > 20, "{n} demo items");
    (people, now)
}

fn ids(rows: &[minqing_server::store::listing::ItemRow]) -> BTreeSet<String> {
    rows.iter().map(|r| r.ticket.id.to_string()).collect()
}

fn all(db: &Db, scope: &Scope, filter: &ItemFilter, now: i64) -> (u64, BTreeSet<String>) {
    let (total, rows) = db
        .list_items(scope, filter, SortKey::Created, false, 0, 100_000, now)
        .expect("list");
    assert_eq!(total as usize, rows.len());
    (total, ids(&rows))
}

/// What each person's listing holds is exactly what `can_see` lets them see;
/// the board counts the open ones.
fn the_listing_scope_is_can_see(db: Db) {
    let (people, now) = seeded(&db);
    let (_, rows) = db
        .list_items(
            &Scope::All,
            &ItemFilter::default(),
            SortKey::Created,
            false,
            0,
            100_000,
            now,
        )
        .expect("everything");
    assert!(rows.len() > 20);
    for p in &people {
        let actor = db.me(p.id).expect("me").expect("exists").actor();
        let expected: BTreeSet<String> = rows
            .iter()
            .filter(|r| can_see(&actor, &r.ticket))
            .map(|r| r.ticket.id.to_string())
            .collect();
        let (_, got) = all(&db, &scope(&actor), &ItemFilter::default(), now);
        assert_eq!(got, expected, "{} ({:?})", p.name, p.role);
        let open = rows
            .iter()
            .filter(|r| can_see(&actor, &r.ticket) && !r.ticket.state.is_terminal())
            .count() as u64;
        let board: u64 = db
            .board(&scope(&actor), now)
            .expect("board")
            .iter()
            .map(|c| c.green + c.yellow + c.red)
            .sum();
        assert_eq!(board, open, "{}'s board", p.name);
    }
    // 斜桥镇's staff see 斜桥镇's items and none of 海洲街道's; the city sees both.
    let chen = people.iter().find(|p| p.name == "陈芊含").expect("陈芊含");
    let chen = db.me(chen.id).expect("me").expect("exists").actor();
    let (_, seen) = all(&db, &scope(&chen), &ItemFilter::default(), now);
    let haizhou = ItemFilter {
        jurisdiction: Some("haizhou".into()),
        ..ItemFilter::default()
    };
    let (n, haizhou_items) = all(&db, &Scope::All, &haizhou, now);
    assert!(n >= 4, "海洲街道 has items");
    assert!(seen.is_disjoint(&haizhou_items));
    assert!(!seen.is_empty());
}

/// Filters, search, sort and pages.
fn filters_search_sort_and_pages(db: Db) {
    let (_, now) = seeded(&db);
    let every = |f: ItemFilter| all(&db, &Scope::All, &f, now);
    let (_, rows) = db
        .list_items(
            &Scope::All,
            &ItemFilter::default(),
            SortKey::Created,
            false,
            0,
            100_000,
            now,
        )
        .expect("everything");
    let count = |pred: &dyn Fn(&minqing_protocol::Ticket) -> bool| {
        rows.iter().filter(|r| pred(&r.ticket)).count() as u64
    };

    // Search in Chinese over the text and the address, every word required.
    let (n, found) = every(ItemFilter {
        q: Some("窨井盖".into()),
        ..ItemFilter::default()
    });
    assert_eq!(n, 1);
    let story = rows
        .iter()
        .find(|r| r.ticket.text.contains("窨井盖"))
        .expect("the manhole story");
    assert!(found.contains(&story.ticket.id.to_string()));
    let (n, _) = every(ItemFilter {
        q: Some("方便桥 水月亭路".into()),
        ..ItemFilter::default()
    });
    assert_eq!(n, 1, "words from the address");
    let (n, _) = every(ItemFilter {
        q: Some("窨井盖 不存在的词".into()),
        ..ItemFilter::default()
    });
    assert_eq!(n, 0);
    let (n, _) = every(ItemFilter {
        q: Some("100%_".into()),
        ..ItemFilter::default()
    });
    assert_eq!(n, 0, "wildcards are literal");

    // State, town/street, category, unit, reporter, period, open, overdue.
    let (n, _) = every(ItemFilter {
        states: vec!["pool".into(), "routed".into()],
        ..ItemFilter::default()
    });
    assert_eq!(
        n,
        count(&|t| matches!(
            t.state,
            minqing_protocol::TicketState::Pool | minqing_protocol::TicketState::Routed
        ))
    );
    let (n, _) = every(ItemFilter {
        jurisdiction: Some("xieqiao".into()),
        category: Some("C03".into()),
        ..ItemFilter::default()
    });
    assert_eq!(
        n,
        count(&|t| t.jurisdiction.as_deref() == Some("xieqiao")
            && t.category.as_deref() == Some("C03"))
    );
    let (n, _) = every(ItemFilter {
        unit: Some(NO_UNIT.into()),
        ..ItemFilter::default()
    });
    assert_eq!(n, count(&|t| t.assigned_unit.is_none()));
    let (n, _) = every(ItemFilter {
        reporter: Some(story.ticket.reporter.to_string()),
        ..ItemFilter::default()
    });
    assert_eq!(n, count(&|t| t.reporter == story.ticket.reporter));
    let (n, _) = every(ItemFilter {
        from: Some(now - 7 * DAY),
        to: Some(now + DAY),
        ..ItemFilter::default()
    });
    assert_eq!(n, count(&|t| t.created_at >= now - 7 * DAY));
    let (n, _) = every(ItemFilter {
        open: Some(false),
        ..ItemFilter::default()
    });
    assert_eq!(n, count(&|t| t.state.is_terminal()));
    let (late, late_ids) = every(ItemFilter {
        overdue: true,
        ..ItemFilter::default()
    });
    assert!(late > 0, "some demo items are late");
    for r in rows
        .iter()
        .filter(|r| late_ids.contains(&r.ticket.id.to_string()))
    {
        assert!(r.due_at.is_some_and(|d| d <= now));
        assert!(!r.ticket.state.is_terminal());
    }
    // The board's red count is the overdue list's length.
    let red: u64 = db
        .board(&Scope::All, now)
        .expect("board")
        .iter()
        .map(|c| c.red)
        .sum();
    assert_eq!(red, late);

    // Sorted by due date, items without a running clock last; pages add up.
    let (_, by_due) = db
        .list_items(
            &Scope::All,
            &ItemFilter::default(),
            SortKey::Due,
            true,
            0,
            1000,
            now,
        )
        .expect("by due");
    let dues: Vec<Option<i64>> = by_due.iter().map(|r| r.due_at).collect();
    let firsts: Vec<i64> = dues.iter().map_while(|d| *d).collect();
    assert!(firsts.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
    assert!(dues[firsts.len()..].iter().all(Option::is_none), "{dues:?}");
    let mut paged = BTreeSet::new();
    for page in 0..10 {
        let (total, rows) = db
            .list_items(
                &Scope::All,
                &ItemFilter::default(),
                SortKey::Created,
                false,
                page * 7,
                7,
                now,
            )
            .expect("page");
        assert_eq!(total as usize, by_due.len());
        paged.extend(ids(&rows));
    }
    assert_eq!(paged, ids(&by_due), "pages cover the list once");
}

/// A console session ends when idle, moves on while used, and never
/// outlives its cap.
fn console_sessions_expire_when_idle(db: Db) {
    let people = seed_demo(&db).expect("seed");
    let user = people[0].id;
    let t0 = 1_700_000_000_000;
    let idle = 30 * 60_000;
    let max = 12 * 3_600_000;
    let id = db
        .create_session(
            &minqing_server::store::auth::NewSession {
                user,
                device: "console",
                access_hash: "a-hash",
                access_expires: t0 + 3_600_000,
                refresh_hash: "r-hash",
                refresh_expires: t0 + 30 * DAY,
            },
            t0,
        )
        .expect("session");
    db.begin_console_session(&id, t0, idle).expect("begin");
    let live = |at: i64| db.session_by_access("a-hash", at).expect("read").is_some();
    assert!(live(t0 + idle - 1));
    assert!(!live(t0 + idle + 1), "idle past the window: ended");
    // Used after 20 minutes: alive until 20 + 30.
    db.touch_console_session(&id, "console", t0 + 20 * 60_000, idle, max)
        .expect("touch");
    assert!(live(t0 + 49 * 60_000));
    assert!(!live(t0 + 51 * 60_000));
    // Used all day: never past the cap.
    let mut at = t0;
    while at < t0 + 2 * max {
        db.touch_console_session(&id, "console", at, idle, max)
            .expect("touch");
        at += 10 * 60_000;
    }
    assert!(live(t0 + max - 60_000));
    assert!(!live(t0 + max + 1));
    // The refresh token was voided at sign-in.
    assert!(matches!(
        db.rotate_session(
            "r-hash",
            &minqing_server::store::auth::NewSession {
                user,
                device: "",
                access_hash: "a2",
                access_expires: t0 + 1,
                refresh_hash: "r2",
                refresh_expires: t0 + 2,
            },
            t0 + 1,
        )
        .expect("rotate"),
        minqing_server::store::auth::Refreshed::Unknown
    ));
}

on_both_backends!(
    the_listing_scope_is_can_see,
    filters_search_sort_and_pages,
    console_sessions_expire_when_idle
);
