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
    a_reused_mutation_id_is_a_fork_not_a_replay,
    a_change_resent_under_a_new_client_id_applies_once,
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

/// A restored store: A and B were applied as 1 and 2; the restored copy only
/// knows A, and files C as 2. C is not a replay of B: the server says where
/// the histories part, applies nothing from there, and does not let the device
/// mark C done. A true replay (B itself) is still a replay, and C goes through
/// under a new client id.
fn a_reused_mutation_id_is_a_fork_not_a_replay(store: SyncStore) {
    let w = world(store);
    let c = ClientId::new();
    let (a, b, cc) = (TicketId::new(), TicketId::new(), TicketId::new());
    let ma = create(c, 1, a);
    let mb = create(c, 2, b);
    w.store
        .push(&w.deputy, c, std::slice::from_ref(&ma), 0)
        .expect("A");
    let r = w
        .store
        .push(&w.deputy, c, std::slice::from_ref(&mb), 0)
        .expect("B");
    assert_eq!((r.last_mutation_id, r.forked_at), (2, None));

    // The restored store re-sends A (acknowledged in its copy, but say the
    // answer was lost) and then C as mutation 2, with a mutation 3 behind it.
    let mc = create(c, 2, cc);
    let behind = act(
        c,
        3,
        cc,
        Action::Answer {
            text: "补充".into(),
        },
    );
    let r = w
        .store
        .push(&w.deputy, c, &[ma.clone(), mc.clone(), behind.clone()], 0)
        .expect("forked push");
    assert_eq!(r.forked_at, Some(2), "{r:?}");
    assert_eq!(r.last_mutation_id, 1, "C must not be marked done");
    assert!(w.store.ticket(&cc.to_string()).expect("read").is_none());

    // The original store's replay of B is still just a replay.
    let r = w.store.push(&w.deputy, c, &[mb], 0).expect("replay");
    assert_eq!((r.last_mutation_id, r.forked_at), (2, None));

    // Under a new client id, numbered from 1, C and what followed it apply.
    let c2 = ClientId::new();
    let renumbered = [
        Mutation {
            client_id: c2,
            mutation_id: 1,
            kind: mc.kind,
        },
        Mutation {
            client_id: c2,
            mutation_id: 2,
            kind: behind.kind,
        },
    ];
    let r = w.store.push(&w.deputy, c2, &renumbered, 0).expect("C");
    assert_eq!((r.last_mutation_id, r.forked_at), (2, None));
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let (ts, _) = tickets(w.store.pull(&w.deputy, None).expect("pull"));
    let mut ids: Vec<TicketId> = ts.iter().map(|t| t.id).collect();
    ids.sort();
    let mut want = vec![a, b, cc];
    want.sort();
    assert_eq!(ids, want, "A, B and C, each once");
}

/// What a forked store renumbers may include changes the server already holds
/// under the old client id (a photo's attach numbered differently on each
/// copy). Sent again under the new id, each applies once and is not refused.
fn a_change_resent_under_a_new_client_id_applies_once(store: SyncStore) {
    let w = world(store);
    let (c, c2) = (ClientId::new(), ClientId::new());
    let t = TicketId::new();
    let submit = create(c, 1, t);
    let answer = act(
        c,
        2,
        t,
        Action::Answer {
            text: "移动的".into(),
        },
    );
    w.store
        .push(&w.deputy, c, &[submit.clone(), answer.clone()], 0)
        .expect("first copy");
    let again = [
        Mutation {
            client_id: c2,
            mutation_id: 1,
            kind: submit.kind,
        },
        Mutation {
            client_id: c2,
            mutation_id: 2,
            kind: answer.kind,
        },
    ];
    let r = w.store.push(&w.deputy, c2, &again, 0).expect("second copy");
    assert_eq!(r.last_mutation_id, 2);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let t = w
        .store
        .ticket(&t.to_string())
        .expect("read")
        .expect("there");
    assert_eq!(t.timeline.len(), 2, "submitted and answered, once each");
    // Someone else's submission with the same ticket id is still a duplicate.
    let other = Actor {
        user: UserId::new(),
        ..w.deputy.clone()
    };
    let c3 = ClientId::new();
    let r = w
        .store
        .push(
            &other,
            c3,
            &[Mutation {
                client_id: c3,
                mutation_id: 1,
                kind: again[0].kind.clone(),
            }],
            0,
        )
        .expect("push");
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].reason, RejectReason::DuplicateTicket);
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
