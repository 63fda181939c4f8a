//! Test fixtures shared by the table and property tests: a cast of actors and a
//! ticket that can be put in any state.

#![allow(dead_code)]

use minqing_protocol::*;
use uuid::Uuid;

pub fn uid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub struct Cast {
    pub group: GroupId,
    pub unit: UnitId,
    pub other_unit: UnitId,
    pub outside_unit: UnitId,
    pub actors: Vec<(&'static str, Actor)>,
}

/// R reporter, D other deputy, A/H contact/head of the assigned unit, O contact of
/// another unit in the group, X unit contact outside the group, C coordinator,
/// T town staff, S city staff, M admin.
pub fn cast() -> Cast {
    let group = GroupId(uid(1));
    let unit = UnitId(uid(10));
    let other_unit = UnitId(uid(11));
    let outside_unit = UnitId(uid(12));
    let mk = |n: u128, role: Role, unit: Option<UnitId>, in_group: bool| Actor {
        user: UserId(uid(100 + n)),
        role,
        unit,
        groups: if in_group { vec![group] } else { vec![] },
    };
    Cast {
        group,
        unit,
        other_unit,
        outside_unit,
        actors: vec![
            ("R", mk(0, Role::CityDeputy, None, true)),
            ("D", mk(1, Role::TownDeputy, None, true)),
            ("A", mk(2, Role::UnitContact, Some(unit), true)),
            ("H", mk(3, Role::UnitHead, Some(unit), true)),
            ("O", mk(4, Role::UnitContact, Some(other_unit), true)),
            ("X", mk(5, Role::UnitContact, Some(outside_unit), false)),
            ("C", mk(6, Role::Coordinator, None, true)),
            ("T", mk(7, Role::TownStaff, None, false)),
            ("S", mk(8, Role::CityStaff, None, false)),
            ("M", mk(9, Role::Admin, None, true)),
        ],
    }
}

pub fn submitted(cast: &Cast, mention: bool) -> Ticket {
    let reporter = &cast.actors[0].1;
    let new = NewTicket {
        id: TicketId(uid(1000)),
        event: EventId(uid(2000)),
        group: Some(cast.group),
        jurisdiction: Some("330481".into()),
        category: Some("city.roads".into()),
        item: None,
        text: "水月亭路窨井盖松动".into(),
        location: None,
        channel: SourceChannel::FieldCapture,
        constituent: None,
        mentioned_unit: mention.then_some(cast.unit),
        photo_count: 0,
    };
    Ticket::submit(new, reporter, 1).expect("submit")
}

/// A consistent ticket in `state`, assigned to `cast.unit` where a unit belongs.
pub fn in_state(cast: &Cast, state: TicketState) -> Ticket {
    let mut t = submitted(cast, false);
    t.state = state;
    if state.has_unit() || state == TicketState::Closed {
        t.assigned_unit = Some(cast.unit);
    }
    if state == TicketState::Closed {
        t.outcome = Some(OutcomePath::HandledByTown);
        t.resolved = Some(true);
    }
    if state == TicketState::Merged {
        t.merged_into = Some(TicketId(uid(1001)));
    }
    if matches!(
        state,
        TicketState::Accepted | TicketState::Replied | TicketState::Reopened
    ) {
        // The fix's photo the sample `resolve` names.
        t.photos.push(PhotoRef {
            id: PhotoId(uid(9)),
            ..photo(9, PhotoKind::Proof)
        });
    }
    t
}

/// Like [`in_state`], and on an assignment list (交办清单).
pub fn on_list(cast: &Cast, state: TicketState) -> Ticket {
    let mut t = in_state(cast, state);
    t.timeline.push(TimelineEvent {
        id: EventId(uid(3000)),
        at: 2,
        actor: cast.actors[8].1.user,
        role: Role::CityStaff,
        kind: EventKind::Action {
            action: Action::AssignToGovernment {
                list: "2020年9月交办清单".into(),
            },
        },
    });
    t
}

pub fn photo(n: u128, kind: PhotoKind) -> PhotoRef {
    PhotoRef {
        id: PhotoId(uid(5000 + n)),
        sha256: "ab".repeat(32),
        kind,
        width: 100,
        height: 100,
        // Proof must say when it was taken; 2100-01-01 is after any test item.
        taken_at: (kind == PhotoKind::Proof).then_some(4_102_444_800_000),
        location: None,
    }
}

/// One valid example of each action (plus both photo kinds).
pub fn sample_actions(cast: &Cast) -> Vec<(&'static str, Action)> {
    vec![
        ("claim", Action::Claim),
        (
            "decline",
            Action::Decline {
                reason: "不是我们的".into(),
            },
        ),
        (
            "ask",
            Action::Ask {
                text: "是哪种井盖？".into(),
            },
        ),
        (
            "answer",
            Action::Answer {
                text: "移动的".into(),
            },
        ),
        (
            "reassign",
            Action::Reassign {
                unit: cast.other_unit,
            },
        ),
        (
            "reply",
            Action::Reply {
                text: "已派人查看".into(),
                outcome: OutcomePath::HandledInGroup,
            },
        ),
        (
            "resolve",
            Action::Resolve {
                text: "已处理好".into(),
                proof: vec![PhotoId(uid(9))],
                outcome: OutcomePath::HandledInGroup,
            },
        ),
        ("confirm", Action::Confirm { rating: Some(5) }),
        (
            "reject",
            Action::Reject {
                reason: "仍然松动".into(),
            },
        ),
        (
            "explain_close",
            Action::ExplainClose {
                text: "已向群众解释".into(),
            },
        ),
        (
            "merge",
            Action::Merge {
                into: TicketId(uid(1002)),
            },
        ),
        ("rate", Action::Rate { stars: 4 }),
        (
            "attach_evidence",
            Action::AttachPhoto {
                photo: photo(1, PhotoKind::Evidence),
            },
        ),
        (
            "attach_proof",
            Action::AttachPhoto {
                photo: photo(2, PhotoKind::Proof),
            },
        ),
        (
            "review_town",
            Action::Review {
                level: ReviewLevel::Town,
                note: "已核实，分流至移动公司".into(),
            },
        ),
        (
            "review_city",
            Action::Review {
                level: ReviewLevel::City,
                note: String::new(),
            },
        ),
        (
            "assign",
            Action::AssignToGovernment {
                list: "2020年10月交办清单".into(),
            },
        ),
        (
            "feedback",
            Action::GovernmentFeedback {
                text: "已列入改造计划".into(),
                resolved: false,
            },
        ),
    ]
}
