//! Duplicates and merging, on both backends: the open items of the same
//! category near and recent are suggested (nearest first); a coordinator merges
//! one into the other: the duplicate closes as 已合并 with its timeline whole,
//! its reporter becomes a co-reporter (联名) of the other, who can now see it;
//! a merge into a closed, unknown or invisible item is refused.

mod support;

use support::tickets;

use minqing_protocol::duplicates::{candidates, DuplicateRule, Probe};
use minqing_protocol::wire::RejectReason;
use minqing_protocol::*;
use minqing_server::Db;

support::db::on_both_backends!(near_recent_same_category_are_suggested_and_merge_keeps_everyone);

const DAY: i64 = 86_400_000;

fn place(lat: f64, lon: f64) -> Location {
    Location {
        latitude: lat,
        longitude: lon,
        accuracy_m: None,
        source: LocationSource::DeviceFix,
        address: None,
    }
}

fn near_recent_same_category_are_suggested_and_merge_keeps_everyone(db: Db) {
    let group = GroupId::new();
    let deputy = |role| Actor {
        user: UserId::new(),
        role,
        unit: None,
        groups: vec![group],
    };
    let (lu, du, wang) = (
        deputy(Role::CityDeputy),
        deputy(Role::TownDeputy),
        deputy(Role::CityDeputy),
    );
    let coordinator = deputy(Role::Coordinator);
    let outsider = Actor {
        groups: vec![GroupId::new()],
        ..deputy(Role::Coordinator)
    };
    let mut clients = std::collections::HashMap::new();
    let mut push = |who: &Actor, kind: MutationKind, at: i64| {
        let (client, n) = clients.entry(who.user).or_insert((ClientId::new(), 0u64));
        *n += 1;
        let m = Mutation {
            client_id: *client,
            mutation_id: *n,
            kind,
        };
        db.push(who, *client, &[m], at).expect("push").rejected
    };
    let report = |push: &mut dyn FnMut(&Actor, MutationKind, i64) -> Vec<_>,
                  who: &Actor,
                  category: &str,
                  at_place: Location,
                  at: i64| {
        let ticket = NewTicket {
            category: Some(category.into()),
            location: Some(at_place),
            ..tickets::new("窨井盖松动")
        };
        let id = ticket.id;
        let kind = MutationKind::CreateTicket { ticket };
        assert!(push(who, kind, at).is_empty());
        id
    };
    let t0 = 1_601_772_480_000;
    // The first report, then: the same cover 60 m away two hours later; another
    // 400 m away; the same place but another category; the same place 40 days on.
    let first = report(&mut push, &lu, "C03", place(30.5100, 120.6800), t0);
    let same = report(
        &mut push,
        &du,
        "C03",
        place(30.5105, 120.6803),
        t0 + 2 * 3_600_000,
    );
    let far = report(&mut push, &wang, "C03", place(30.5136, 120.6800), t0 + DAY);
    let other_kind = report(&mut push, &wang, "C04", place(30.5100, 120.6800), t0);
    let later = report(
        &mut push,
        &wang,
        "C03",
        place(30.5100, 120.6801),
        t0 + 40 * DAY,
    );

    let load = |id: TicketId| db.ticket(&id.to_string()).expect("read").expect("ticket");
    let open = db.open_in_category("C03").expect("open");
    assert_eq!(open.len(), 4, "open C03 items only");
    let subject = load(first);
    let found = candidates(Probe::of(&subject), &open, &DuplicateRule::default());
    let ids: Vec<TicketId> = found.iter().map(|c| c.ticket).collect();
    assert_eq!(ids, vec![same], "near, recent, same category only");
    assert!((55.0..70.0).contains(&found[0].distance_m), "{found:?}");
    let wide = DuplicateRule {
        radius_m: 500.0,
        window_days: 60,
    };
    let ids: Vec<TicketId> = candidates(Probe::of(&subject), &open, &wide)
        .iter()
        .map(|c| c.ticket)
        .collect();
    assert_eq!(ids, vec![later, same, far], "nearest first");
    let _ = other_kind;

    // The coordinator merges 杜玉妹's report into 陆靖英's.
    let merge = |into| MutationKind::Act {
        ticket: same,
        event: EventId::new(),
        action: Action::Merge { into },
    };
    // Not into an unknown item, nor one the merger cannot see.
    let refused = push(&coordinator, merge(TicketId::new()), t0 + 3 * 3_600_000);
    assert!(matches!(&refused[..], [r] if matches!(&r.reason,
        RejectReason::Denied(Denied::Invalid { field, .. }) if field == "into")));
    // Nor into an item of another group, which the coordinator cannot see.
    let stranger = Actor {
        groups: vec![GroupId::new()],
        ..deputy(Role::CityDeputy)
    };
    let elsewhere = report(&mut push, &stranger, "C03", place(30.5100, 120.6800), t0);
    let refused = push(&coordinator, merge(elsewhere), t0 + 3 * 3_600_000);
    assert!(matches!(&refused[..], [r] if matches!(&r.reason,
        RejectReason::Denied(Denied::Invalid { reason, .. }) if reason.contains("no such"))));
    // And an outsider coordinator cannot touch the item at all.
    let refused = push(&outsider, merge(first), t0 + 3 * 3_600_000);
    assert!(matches!(&refused[..], [r] if r.reason == RejectReason::TicketNotFound));
    assert!(push(&coordinator, merge(first), t0 + 3 * 3_600_000).is_empty());
    let merged = load(same);
    assert_eq!(merged.state, TicketState::Merged);
    assert_eq!(merged.merged_into, Some(first));
    assert_eq!(
        merged.timeline.len(),
        2,
        "its own timeline kept, merge added"
    );
    let into = load(first);
    assert_eq!(into.co_reporters, vec![du.user]);
    match &into.timeline.last().expect("event").kind {
        EventKind::Absorbed { from, co_reporters } => {
            assert_eq!(*from, same);
            assert_eq!(co_reporters, &vec![du.user]);
        }
        other => panic!("expected the merge recorded, got {other:?}"),
    }
    into.check_invariants().expect("consistent");
    merged.check_invariants().expect("consistent");
    // 杜玉妹 is a co-reporter now: she may answer on the merged item.
    let answer = MutationKind::Act {
        ticket: first,
        event: EventId::new(),
        action: Action::Answer {
            text: "是移动的井盖".into(),
        },
    };
    assert!(push(&du, answer, t0 + 4 * 3_600_000).is_empty());
    // A merged item is no longer a candidate, and nothing merges into it.
    let open = db.open_in_category("C03").expect("open");
    assert!(open.iter().all(|t| t.id != same));
    let again = MutationKind::Act {
        ticket: far,
        event: EventId::new(),
        action: Action::Merge { into: same },
    };
    let refused = push(&coordinator, again, t0 + 5 * 3_600_000);
    assert!(matches!(&refused[..], [r] if matches!(&r.reason,
        RejectReason::Denied(Denied::Invalid { reason, .. }) if reason.contains("closed or merged"))));
}
