//! The sync store's guarantees: exactly-once push, gaps refused, rejections
//! recorded and not blocking, pull by cursor with visibility and resets — on
//! SQLite and on PostgreSQL alike.

mod support;

use support::tickets;

use minqing_protocol::wire::RejectReason;
use minqing_protocol::*;
use minqing_server::{Db as SyncStore, PullResult, PushError};

struct World {
    store: SyncStore,
    deputy: Actor,
    contact: Actor,
    outsider: Actor,
    group: GroupId,
}

support::db::on_both_backends!(
    a_replayed_push_changes_nothing,
    a_gap_is_refused_and_advances_nothing,
    a_rejection_is_recorded_reported_on_replay_and_does_not_block,
    a_client_id_cannot_be_borrowed,
    pull_follows_the_cursor_and_respects_visibility,
    unknown_cursors_answer_with_a_reset,
);

fn world(store: SyncStore) -> World {
    let group = GroupId::new();
    let unit = UnitId::new();
    World {
        store,
        deputy: Actor {
            user: UserId::new(),
            role: Role::CityDeputy,
            unit: None,
            groups: vec![group],
        },
        contact: Actor {
            user: UserId::new(),
            role: Role::UnitContact,
            unit: Some(unit),
            groups: vec![group],
        },
        outsider: Actor {
            user: UserId::new(),
            role: Role::UnitContact,
            unit: Some(UnitId::new()),
            groups: vec![],
        },
        group,
    }
}

fn create(client: ClientId, n: u64, id: TicketId) -> Mutation {
    tickets::create(
        client,
        n,
        NewTicket {
            id,
            ..tickets::new("水月亭路窨井盖松动")
        },
    )
}

fn act(client: ClientId, n: u64, ticket: TicketId, action: Action) -> Mutation {
    Mutation {
        client_id: client,
        mutation_id: n,
        kind: MutationKind::Act {
            ticket,
            event: EventId::new(),
            action,
        },
    }
}

fn tickets(r: PullResult) -> (Vec<Ticket>, String) {
    match r {
        PullResult::Changes {
            tickets, cursor, ..
        } => (tickets, cursor),
        PullResult::Reset { .. } => panic!("unexpected reset"),
    }
}

fn a_replayed_push_changes_nothing(store: SyncStore) {
    let w = world(store);
    let c = ClientId::new();
    let t = TicketId::new();
    let batch = [
        create(c, 1, t),
        act(
            c,
            2,
            t,
            Action::Answer {
                text: "移动的".into(),
            },
        ),
    ];
    let first = w.store.push(&w.deputy, c, &batch, 1000).expect("push");
    assert_eq!(first.last_mutation_id, 2);
    let again = w.store.push(&w.deputy, c, &batch, 2000).expect("replay");
    assert_eq!(again.last_mutation_id, 2);
    let (ts, _) = tickets(w.store.pull(&w.deputy, None).expect("pull"));
    assert_eq!(ts.len(), 1);
    assert_eq!(ts[0].timeline.len(), 2, "the answer is there once");
    assert_eq!(
        ts[0].created_at, 1000,
        "the server stamps time, the replay does not"
    );
    assert_eq!(ts[0].group, Some(w.group), "filed under the deputy's group");
}

fn a_gap_is_refused_and_advances_nothing(store: SyncStore) {
    let w = world(store);
    let c = ClientId::new();
    let err = w
        .store
        .push(&w.deputy, c, &[create(c, 2, TicketId::new())], 0)
        .expect_err("gap");
    assert!(
        matches!(
            err,
            PushError::Gap {
                expected: 1,
                got: 2
            }
        ),
        "{err:?}"
    );
    let ok = w
        .store
        .push(&w.deputy, c, &[create(c, 1, TicketId::new())], 0)
        .expect("in order");
    assert_eq!(ok.last_mutation_id, 1);
}

fn a_rejection_is_recorded_reported_on_replay_and_does_not_block(store: SyncStore) {
    let w = world(store);
    let c = ClientId::new();
    let t = TicketId::new();
    // A deputy cannot claim: rejected. The next mutation still applies.
    let batch = [
        create(c, 1, t),
        act(c, 2, t, Action::Claim),
        act(
            c,
            3,
            t,
            Action::Answer {
                text: "补充：移动公司的井盖".into(),
            },
        ),
        act(c, 4, TicketId::new(), Action::Answer { text: "x".into() }),
    ];
    let r = w.store.push(&w.deputy, c, &batch, 0).expect("push");
    assert_eq!(r.last_mutation_id, 4);
    assert_eq!(r.rejected.len(), 2);
    assert!(matches!(
        r.rejected[0].reason,
        RejectReason::Denied(Denied::Forbidden { .. })
    ));
    assert_eq!(r.rejected[1].reason, RejectReason::TicketNotFound);
    let again = w.store.push(&w.deputy, c, &batch, 0).expect("replay");
    assert_eq!(again.rejected, r.rejected);
    let (ts, _) = tickets(w.store.pull(&w.deputy, None).expect("pull"));
    assert_eq!(ts[0].timeline.len(), 2);
}

fn a_client_id_cannot_be_borrowed(store: SyncStore) {
    let w = world(store);
    let c = ClientId::new();
    w.store
        .push(&w.deputy, c, &[create(c, 1, TicketId::new())], 0)
        .expect("push");
    let err = w
        .store
        .push(
            &w.contact,
            c,
            &[act(c, 2, TicketId::new(), Action::Claim)],
            0,
        )
        .expect_err("stolen");
    assert!(matches!(err, PushError::NotYourClient));
    let other = ClientId::new();
    let err = w
        .store
        .push(&w.deputy, c, &[create(other, 2, TicketId::new())], 0)
        .expect_err("mixed");
    assert!(matches!(err, PushError::WrongClient { .. }));
}

fn pull_follows_the_cursor_and_respects_visibility(store: SyncStore) {
    let w = world(store);
    let (dc, cc) = (ClientId::new(), ClientId::new());
    let t = TicketId::new();
    w.store
        .push(&w.deputy, dc, &[create(dc, 1, t)], 0)
        .expect("create");
    // The unit contact sees the pool item of its group; the outsider sees nothing.
    let (seen, cursor) = tickets(w.store.pull(&w.contact, None).expect("pull"));
    assert_eq!(seen.len(), 1);
    assert!(tickets(w.store.pull(&w.outsider, None).expect("pull"))
        .0
        .is_empty());
    // An outsider's action on an invisible ticket is "not found", not "forbidden".
    let oc = ClientId::new();
    let r = w
        .store
        .push(&w.outsider, oc, &[act(oc, 1, t, Action::Claim)], 0)
        .expect("push");
    assert_eq!(r.rejected[0].reason, RejectReason::TicketNotFound);

    w.store
        .push(&w.contact, cc, &[act(cc, 1, t, Action::Claim)], 5)
        .expect("claim");
    let (deputy_view, deputy_cursor) =
        tickets(w.store.pull(&w.deputy, Some(&cursor)).expect("pull"));
    assert_eq!(deputy_view.len(), 1);
    assert_eq!(deputy_view[0].state, TicketState::Accepted);
    // Nothing new since: empty, same cursor.
    let (none, same) = tickets(w.store.pull(&w.deputy, Some(&deputy_cursor)).expect("pull"));
    assert!(none.is_empty());
    assert_eq!(same, deputy_cursor);
}

fn unknown_cursors_answer_with_a_reset(store: SyncStore) {
    let w = world(store);
    for bad in [
        "",
        "garbage",
        "0000000000000000.0",
        "x.y",
        "../../etc/passwd",
    ] {
        assert!(
            matches!(
                w.store.pull(&w.deputy, Some(bad)).expect("pull"),
                PullResult::Reset { .. }
            ),
            "{bad}"
        );
    }
    let (_, cursor) = tickets(w.store.pull(&w.deputy, None).expect("pull"));
    let (epoch, _) = cursor.split_once('.').expect("dot");
    let ahead = format!("{epoch}.999");
    assert!(matches!(
        w.store.pull(&w.deputy, Some(&ahead)).expect("pull"),
        PullResult::Reset { .. }
    ));
}
