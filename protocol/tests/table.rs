//! The state machine checked cell by cell against the table in
//! docs/state-machine.md: every action × every state × every kind of actor.

mod support;

use minqing_protocol::machine::decide;
use minqing_protocol::*;
use support::*;

/// Who may act, per action (rows) and state (columns). `-`: nobody.
/// Actors: R reporter, D other deputy, A/H contact/head of the assigned unit,
/// O other unit in the group, X unit outside the group, C coordinator,
/// T town staff, S city staff, M admin.
const TABLE: &str = "
action          | pool      | routed   | accepted | replied  | resolved | reopened | closed | merged
claim           | AHO       | AH       | -        | -        | -        | -        | -      | -
decline         | -         | AH       | AH       | -        | -        | AH       | -      | -
ask             | AHOCTS    | AHCTS    | AHCTS    | AHCTS    | AHCTS    | AHCTS    | -      | -
answer          | R         | R        | R        | R        | R        | R        | -      | -
reassign        | CTS       | CTS      | CTS      | -        | -        | CTS      | -      | -
reply           | -         | -        | AH       | -        | -        | AH       | -      | -
resolve         | -         | -        | AH       | AH       | -        | AH       | -      | -
confirm         | -         | -        | -        | R        | R        | -        | -      | -
reject          | -         | -        | -        | R        | R        | -        | -      | -
explain_close   | R         | R        | -        | -        | -        | -        | -      | -
merge           | CTS       | CTS      | CTS      | CTS      | CTS      | CTS      | -      | -
rate            | -         | -        | -        | -        | -        | -        | R      | -
attach_evidence | R         | R        | R        | R        | R        | R        | -      | -
attach_proof    | -         | -        | AH       | AH       | -        | AH       | -      | -
review_town     | T         | T        | T        | T        | T        | T        | T      | -
review_city     | S         | S        | S        | S        | S        | S        | S      | -
assign          | S         | S        | S        | S        | S        | S        | -      | -
feedback        | S         | S        | S        | S        | S        | S        | S      | -
";

fn state_named(name: &str) -> TicketState {
    TicketState::ALL
        .into_iter()
        .find(|s| serde_json::to_value(s).expect("json") == name)
        .unwrap_or_else(|| panic!("unknown state {name}"))
}

#[test]
fn every_cell_of_the_table_holds() {
    let cast = cast();
    let actions = sample_actions(&cast);
    let mut lines = TABLE.trim().lines();
    let header: Vec<&str> = lines
        .next()
        .expect("header")
        .split('|')
        .map(str::trim)
        .collect();
    let states: Vec<TicketState> = header[1..].iter().map(|s| state_named(s)).collect();
    assert_eq!(
        states.len(),
        TicketState::ALL.len(),
        "table covers every state"
    );
    let mut rows = 0;
    let mut cells = 0;
    for line in lines {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let (_, action) = actions
            .iter()
            .find(|(n, _)| *n == cols[0])
            .unwrap_or_else(|| panic!("unknown action {}", cols[0]));
        rows += 1;
        for (state, who) in states.iter().zip(&cols[1..]) {
            // The government's feedback is about an item on an assignment list.
            let ticket = if cols[0] == "feedback" {
                on_list(&cast, *state)
            } else {
                in_state(&cast, *state)
            };
            for (tag, actor) in &cast.actors {
                let expected = who.contains(tag);
                let got = decide(&ticket, actor, action);
                assert_eq!(
                    got.is_ok(),
                    expected,
                    "{} by {tag} from {state:?}: got {got:?}",
                    cols[0]
                );
                // Wrong-state refusals are told apart from wrong-actor refusals.
                if who == &"-" {
                    assert!(matches!(got, Err(Denied::WrongState { .. })), "{got:?}");
                } else if !expected {
                    assert!(matches!(got, Err(Denied::Forbidden { .. })), "{got:?}");
                }
                cells += 1;
            }
        }
    }
    assert_eq!(rows, actions.len(), "table covers every action");
    assert_eq!(cells, 18 * 8 * 10);
}

#[test]
fn submission_routes_by_mention_and_only_deputies_submit() {
    let cast = cast();
    assert_eq!(submitted(&cast, false).state, TicketState::Pool);
    let routed = submitted(&cast, true);
    assert_eq!(routed.state, TicketState::Routed);
    assert_eq!(routed.assigned_unit, Some(cast.unit));
    routed.check_invariants().expect("invariants");

    let unit_contact = &cast.actors[2].1;
    let mut new = NewTicket {
        id: TicketId::new(),
        event: EventId::new(),
        group: Some(cast.group),
        jurisdiction: Some("330481".into()),
        category: None,
        item: None,
        text: "x".into(),
        location: None,
        channel: SourceChannel::Phone,
        constituent: None,
        mentioned_unit: None,
        photo_count: 0,
    };
    assert!(matches!(
        Ticket::submit(new.clone(), unit_contact, 0),
        Err(Denied::Forbidden { .. })
    ));
    new.text = "   ".into();
    assert!(matches!(
        Ticket::submit(new.clone(), &cast.actors[0].1, 0),
        Err(Denied::Invalid { .. })
    ));
    new.text = "井盖".into();
    new.location = Some(Location {
        latitude: 95.0,
        longitude: 120.0,
        accuracy_m: None,
        source: LocationSource::Manual,
        address: None,
    });
    assert!(matches!(
        Ticket::submit(new, &cast.actors[0].1, 0),
        Err(Denied::Invalid { .. })
    ));
}

#[test]
fn bad_content_is_refused_with_the_field_named() {
    let cast = cast();
    let (r, a, c) = (&cast.actors[0].1, &cast.actors[2].1, &cast.actors[6].1);
    let accepted = in_state(&cast, TicketState::Accepted);
    let resolved = in_state(&cast, TicketState::Resolved);
    let closed = in_state(&cast, TicketState::Closed);
    let field = |r: Result<TicketState, Denied>| match r {
        Err(Denied::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    };
    let decline = Action::Decline { reason: " ".into() };
    assert_eq!(field(decide(&accepted, a, &decline)), "reason");
    let no_proof = Action::Resolve {
        text: "好了".into(),
        proof: vec![],
        outcome: OutcomePath::HandledByTown,
    };
    assert_eq!(field(decide(&accepted, a, &no_proof)), "proof");
    let on_spot = Action::Reply {
        text: "好了".into(),
        outcome: OutcomePath::ExplainedOnSpot,
    };
    assert_eq!(field(decide(&accepted, a, &on_spot)), "outcome");
    assert_eq!(
        field(decide(&resolved, r, &Action::Confirm { rating: Some(6) })),
        "rating"
    );
    assert_eq!(
        field(decide(&closed, r, &Action::Rate { stars: 0 })),
        "rating"
    );
    let self_merge = Action::Merge { into: accepted.id };
    assert_eq!(field(decide(&accepted, c, &self_merge)), "into");
    let long = Action::Ask {
        text: "长".repeat(4001),
    };
    assert_eq!(field(decide(&accepted, c, &long)), "text");
    let mut bad_photo = photo(3, PhotoKind::Evidence);
    bad_photo.sha256 = "../../etc/passwd".into();
    let attach = Action::AttachPhoto { photo: bad_photo };
    assert_eq!(field(decide(&accepted, r, &attach)), "photo");
}

/// Proof of a fix must be attached as proof, taken after the report (camera
/// clocks get ten minutes' slack) and near the item (300 m plus both fixes'
/// accuracy).
#[test]
fn proof_photos_are_checked_against_the_item() {
    let cast = cast();
    let a = &cast.actors[2].1;
    let place = |lat: f64, lon: f64| Location {
        latitude: lat,
        longitude: lon,
        accuracy_m: Some(20.0),
        source: LocationSource::PhotoExif,
        address: None,
    };
    let mut t = in_state(&cast, TicketState::Accepted);
    t.created_at = 1_601_772_480_000; // 2020-10-04 08:48 China time
    t.location = Some(place(30.5100, 120.6800));
    let resolve = |id: PhotoId| Action::Resolve {
        text: "已处理好".into(),
        proof: vec![id],
        outcome: OutcomePath::HandledInGroup,
    };
    let reason = |r: Result<TicketState, Denied>| match r {
        Err(Denied::Invalid { field, reason }) if field == "proof" => reason,
        other => panic!("expected an invalid proof, got {other:?}"),
    };
    // Not attached at all, or attached as evidence rather than proof.
    assert!(reason(decide(&t, a, &resolve(PhotoId(uid(777))))).contains("not attached"));
    let evidence = photo(20, PhotoKind::Evidence);
    t.photos.push(evidence.clone());
    assert!(reason(decide(&t, a, &resolve(evidence.id))).contains("not attached"));

    let mut fix = photo(21, PhotoKind::Proof);
    // Taken at 19:09 about 110 m away: accepted.
    fix.taken_at = Some(t.created_at + 10 * 3600 * 1000 + 21 * 60 * 1000);
    fix.location = Some(place(30.5110, 120.6800));
    t.photos.push(fix.clone());
    assert_eq!(decide(&t, a, &resolve(fix.id)), Ok(TicketState::Resolved));

    // A camera clock eleven minutes before the report: refused; nine: accepted.
    let mut early = fix.clone();
    early.id = PhotoId(uid(22));
    early.taken_at = Some(t.created_at - 11 * 60 * 1000);
    t.photos.push(early.clone());
    assert!(reason(decide(&t, a, &resolve(early.id))).contains("before"));
    let mut slack = early.clone();
    slack.id = PhotoId(uid(23));
    slack.taken_at = Some(t.created_at - 9 * 60 * 1000);
    t.photos.push(slack.clone());
    assert_eq!(decide(&t, a, &resolve(slack.id)), Ok(TicketState::Resolved));

    // About 1.1 km away: refused. No place on the photo: the place is not
    // checked. No time (a file whose only time is its modification time):
    // refused, since nothing shows the fix is new.
    let mut far = fix.clone();
    far.id = PhotoId(uid(24));
    far.location = Some(place(30.5200, 120.6800));
    t.photos.push(far.clone());
    assert!(reason(decide(&t, a, &resolve(far.id))).contains("too far"));
    let mut placeless = fix.clone();
    placeless.id = PhotoId(uid(25));
    placeless.location = None;
    t.photos.push(placeless.clone());
    assert_eq!(
        decide(&t, a, &resolve(placeless.id)),
        Ok(TicketState::Resolved)
    );
    let mut timeless = fix;
    timeless.id = PhotoId(uid(26));
    timeless.taken_at = None;
    t.photos.push(timeless.clone());
    assert!(reason(decide(&t, a, &resolve(timeless.id))).contains("when it was taken"));
}

#[test]
fn apply_records_each_step_and_reject_reopens() {
    let cast = cast();
    let (r, a) = (&cast.actors[0].1, &cast.actors[2].1);
    let mut t = submitted(&cast, false);
    let (fix1, fix2) = (photo(1, PhotoKind::Proof), photo(2, PhotoKind::Proof));
    let steps = [
        (a, Action::Claim),
        (
            a,
            Action::AttachPhoto {
                photo: fix1.clone(),
            },
        ),
        (
            a,
            Action::Resolve {
                text: "已处理好".into(),
                proof: vec![fix1.id],
                outcome: OutcomePath::HandledInGroup,
            },
        ),
        (
            r,
            Action::Reject {
                reason: "还在响".into(),
            },
        ),
        (
            a,
            Action::AttachPhoto {
                photo: fix2.clone(),
            },
        ),
        (
            a,
            Action::Resolve {
                text: "重新固定".into(),
                proof: vec![fix2.id],
                outcome: OutcomePath::HandledInGroup,
            },
        ),
        (r, Action::Confirm { rating: Some(5) }),
    ];
    for (i, (actor, action)) in steps.into_iter().enumerate() {
        t.apply(actor, action, EventId::new(), 10 + i as i64)
            .expect("step");
        t.check_invariants().expect("invariants");
    }
    assert_eq!(t.state, TicketState::Closed);
    assert_eq!(t.reopen_count, 1);
    assert_eq!(t.resolved, Some(true));
    assert_eq!(t.rating, Some(5));
    assert_eq!(t.assigned_unit, Some(cast.unit));
    assert_eq!(t.timeline.len(), 8);

    // A refused action leaves the ticket exactly as it was.
    let before = t.clone();
    assert!(t.apply(a, Action::Claim, EventId::new(), 99).is_err());
    assert_eq!(t, before);
}

/// What a screen offers ([`machine::allowed`], content aside) is exactly what
/// `decide` accepts with valid content, for every state × actor × kind; and
/// every sample action's kind is its table row.
#[test]
fn allowed_kinds_are_what_decide_accepts() {
    use minqing_protocol::machine::{allowed, permitted};
    let cast = cast();
    let actions = sample_actions(&cast);
    let mut checked = 0;
    for state in TicketState::ALL {
        for on_a_list in [false, true] {
            let ticket = if on_a_list {
                on_list(&cast, state)
            } else {
                in_state(&cast, state)
            };
            for (tag, actor) in &cast.actors {
                let offered = allowed(&ticket, actor);
                for (name, action) in &actions {
                    let kind = action.kind();
                    assert_eq!(
                        offered.contains(&kind),
                        decide(&ticket, actor, action).is_ok(),
                        "{name} by {tag} from {state:?} (on a list: {on_a_list})"
                    );
                    assert_eq!(
                        permitted(&ticket, actor, kind).is_ok(),
                        offered.contains(&kind)
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 8 * 2 * 10 * 18);
    let kinds: Vec<ActionKind> = actions.iter().map(|(_, a)| a.kind()).collect();
    assert_eq!(
        kinds,
        ActionKind::ALL.to_vec(),
        "one sample per kind, in order"
    );
}
