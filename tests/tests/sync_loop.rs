//! Two device cores and the server's sync store, connected by plain function
//! calls (the HTTP layer comes next): offline submit → push → the unit sees it →
//! ask/answer → claim → reply → confirm; two claims made offline and synced one
//! after the other, where exactly one wins and the loser sees why (claims that
//! truly race, at the same moment through two database handles, are
//! `server/tests/pg_store.rs`'s `claims_racing_*` on PostgreSQL and SQLite);
//! pending local changes survive a pull.

use minqing_core::outbox::OutboxState;
use minqing_core::{sync, tickets, Minqing};
use minqing_protocol::{Action, Actor, GroupId, OutcomePath, Role, TicketState, UnitId, UserId};
use minqing_server::{Db as SyncStore, PullResult};

struct Device {
    core: Minqing,
    actor: Actor,
}

fn device(dir: &std::path::Path, name: &str, actor: Actor) -> Device {
    let core = Minqing::open_at(dir.join(name)).expect("open");
    core.set_profile(&actor).expect("profile");
    Device { core, actor }
}

/// One round: push everything numbered, then pull. Returns rejections seen.
fn sync(d: &Device, server: &SyncStore, now: i64) -> Vec<(u64, String)> {
    let client = d.core.client_id().expect("client").parse().expect("uuid");
    let batch = sync::prepare_push(d.core.store(), 100).expect("prepare");
    let result = server.push(&d.actor, client, &batch, now).expect("push");
    let rejected: Vec<(u64, String)> = result
        .rejected
        .iter()
        .map(|r| (r.mutation_id, r.reason.to_string()))
        .collect();
    sync::record_push_result(d.core.store(), result.last_mutation_id, &rejected).expect("record");
    let cursor = sync::cursor(d.core.store()).expect("cursor");
    match server.pull(&d.actor, cursor.as_deref()).expect("pull") {
        PullResult::Changes {
            tickets,
            gone,
            cursor,
            ..
        } => sync::apply_pull(d.core.store(), &tickets, &gone, &cursor).expect("apply"),
        PullResult::Reset { .. } => sync::reset_cursor(d.core.store()).expect("reset"),
    }
    rejected
}

fn act(d: &Device, ticket: &str, action: Action) {
    tickets::act(d.core.store(), ticket, action).expect("local action");
}

fn state(d: &Device, ticket: &str) -> String {
    minqing_core::views::state_name(
        d.core
            .tickets()
            .detail(ticket.into())
            .expect("ticket")
            .state,
    )
}

#[test]
fn the_manhole_story_through_two_devices_and_the_store() {
    let dir = tempfile::tempdir().expect("dir");
    let server = SyncStore::open(&dir.path().join("server.db")).expect("server");
    let group = GroupId::new();
    let mobile = UnitId::new();
    let deputy = device(
        dir.path(),
        "deputy",
        Actor {
            user: UserId::new(),
            role: Role::CityDeputy,
            unit: None,
            groups: vec![group],
        },
    );
    let contact = device(
        dir.path(),
        "mobile",
        Actor {
            user: UserId::new(),
            role: Role::UnitContact,
            unit: Some(mobile),
            groups: vec![group],
        },
    );

    // 08:48, offline: 完成.
    let draft = deputy.core.drafts().create().expect("draft");
    deputy
        .core
        .drafts()
        .set_text(
            draft.id.clone(),
            "水月亭路移动公司到方便桥之间多个窨井盖松动".into(),
        )
        .expect("text");
    let t = deputy.core.drafts().submit(draft.id).expect("submit").id;
    assert_eq!(state(&deputy, &t), "pool");

    // Signal returns: push, then the unit contact pulls and sees it in the pool.
    assert!(sync(&deputy, &server, 1_000).is_empty());
    sync(&contact, &server, 1_001);
    assert_eq!(state(&contact, &t), "pool");

    // "Which kind of cover is it?" — "Mostly China Mobile's."
    act(
        &contact,
        &t,
        Action::Ask {
            text: "是哪种井盖？".into(),
        },
    );
    sync(&contact, &server, 2_000);
    sync(&deputy, &server, 2_001);
    act(
        &deputy,
        &t,
        Action::Answer {
            text: "大部分是移动的".into(),
        },
    );
    // Offline for a while: a pull must not hide the deputy's own pending answer.
    sync_pull_only(&deputy, &server);
    let view = deputy
        .core
        .store()
        .read(|c| tickets::load(c, &t))
        .expect("load");
    assert_eq!(
        view.timeline.len(),
        3,
        "submitted, ask, and the pending answer"
    );
    sync(&deputy, &server, 3_000);

    // 接单, reply, the deputy confirms.
    sync(&contact, &server, 4_000);
    act(&contact, &t, Action::Claim);
    act(
        &contact,
        &t,
        Action::Reply {
            text: "已处理好".into(),
            outcome: OutcomePath::HandledInGroup,
        },
    );
    assert!(sync(&contact, &server, 5_000).is_empty());
    sync(&deputy, &server, 5_001);
    assert_eq!(state(&deputy, &t), "replied");
    act(&deputy, &t, Action::Confirm { rating: Some(5) });
    sync(&deputy, &server, 6_000);
    sync(&contact, &server, 6_001);
    assert_eq!(state(&contact, &t), "closed");

    let final_ticket = contact
        .core
        .store()
        .read(|c| tickets::load(c, &t))
        .expect("load");
    assert_eq!(final_ticket.state, TicketState::Closed);
    assert_eq!(final_ticket.timeline.len(), 6);
    assert_eq!(final_ticket.assigned_unit, Some(mobile));
    // Server-stamped times, in order.
    let times: Vec<i64> = final_ticket.timeline.iter().map(|e| e.at).collect();
    assert_eq!(times, [1_000, 2_000, 3_000, 5_000, 5_000, 6_000]);
    for d in [&deputy, &contact] {
        assert!(d
            .core
            .sync()
            .outbox()
            .expect("q")
            .iter()
            .all(|e| e.state == OutboxState::Sent));
    }
}

fn sync_pull_only(d: &Device, server: &SyncStore) {
    let cursor = sync::cursor(d.core.store()).expect("cursor");
    if let PullResult::Changes {
        tickets,
        gone,
        cursor,
        ..
    } = server.pull(&d.actor, cursor.as_deref()).expect("pull")
    {
        sync::apply_pull(d.core.store(), &tickets, &gone, &cursor).expect("apply");
    }
}

#[test]
fn two_offline_claims_exactly_one_wins_and_the_loser_is_told() {
    let dir = tempfile::tempdir().expect("dir");
    let server = SyncStore::open(&dir.path().join("server.db")).expect("server");
    let group = GroupId::new();
    let deputy = device(
        dir.path(),
        "deputy",
        Actor {
            user: UserId::new(),
            role: Role::TownDeputy,
            unit: None,
            groups: vec![group],
        },
    );
    let unit_a = UnitId::new();
    let a = device(
        dir.path(),
        "a",
        Actor {
            user: UserId::new(),
            role: Role::UnitContact,
            unit: Some(unit_a),
            groups: vec![group],
        },
    );
    let b = device(
        dir.path(),
        "b",
        Actor {
            user: UserId::new(),
            role: Role::UnitHead,
            unit: Some(UnitId::new()),
            groups: vec![group],
        },
    );
    let draft = deputy.core.drafts().create().expect("draft");
    deputy
        .core
        .drafts()
        .set_text(draft.id.clone(), "红绿灯绿灯时间太短".into())
        .expect("text");
    let t = deputy.core.drafts().submit(draft.id).expect("submit").id;
    sync(&deputy, &server, 10);
    sync(&a, &server, 11);
    sync(&b, &server, 12);
    // Both claim while offline; both see their own claim at once.
    act(&a, &t, Action::Claim);
    act(&b, &t, Action::Claim);
    assert_eq!(state(&a, &t), "accepted");
    assert_eq!(state(&b, &t), "accepted");
    assert!(sync(&a, &server, 20).is_empty());
    let lost = sync(&b, &server, 21);
    assert_eq!(lost.len(), 1, "exactly one claim wins");
    let entry = b
        .core
        .sync()
        .outbox()
        .expect("q")
        .into_iter()
        .find(|e| e.kind == "claim")
        .expect("claim");
    assert_eq!(entry.state, OutboxState::Rejected);
    assert!(entry.reject_reason.is_some());
    // After the pull, B's copy is gone (A's unit holds it now and B may not see
    // it), while A and the deputy see A's unit on it.
    assert!(b.core.tickets().detail(t.clone()).is_err());
    assert!(b.core.tickets().list().expect("list").is_empty());
    sync(&deputy, &server, 22);
    let seen = deputy
        .core
        .store()
        .read(|c| tickets::load(c, &t))
        .expect("load");
    assert_eq!(seen.assigned_unit, Some(unit_a));
    assert_eq!(state(&a, &t), "accepted");
}
