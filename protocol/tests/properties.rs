//! Property: no sequence of actions, by anyone, in any order, reaches a ticket
//! that breaks the invariants, and the timeline only ever grows by one event per
//! accepted action.

mod support;

use minqing_protocol::*;
use proptest::prelude::*;
use support::*;

fn action_for(cast: &Cast, kind: u8, n: u128) -> Action {
    let units = [cast.unit, cast.other_unit, cast.outside_unit];
    let text = if n.is_multiple_of(7) {
        String::new()
    } else {
        format!("t{n}")
    };
    match kind % 14 {
        0 => Action::Claim,
        1 => Action::Decline { reason: text },
        2 => Action::Ask { text },
        3 => Action::Answer { text },
        4 => Action::Reassign {
            unit: units[(n % 3) as usize],
        },
        5 => Action::Reply {
            text,
            outcome: if n.is_multiple_of(5) {
                OutcomePath::ExplainedOnSpot
            } else {
                OutcomePath::HandledByTown
            },
        },
        6 => Action::Resolve {
            text,
            proof: if n.is_multiple_of(4) {
                vec![]
            } else {
                vec![PhotoId(uid(n))]
            },
            outcome: OutcomePath::HandledByCityDepartment,
        },
        7 => Action::Confirm {
            rating: Some((n % 7) as u8),
        },
        8 => Action::Reject { reason: text },
        9 => Action::ExplainClose { text },
        10 => Action::Merge {
            into: TicketId(uid(1000 + n % 3)),
        },
        11 => Action::Rate {
            stars: (n % 7) as u8,
        },
        12 => Action::AttachPhoto {
            photo: photo(n % 5, PhotoKind::Evidence),
        },
        _ => Action::AttachPhoto {
            photo: photo(n % 5, PhotoKind::Proof),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_sequence_breaks_the_rules(
        mention in any::<bool>(),
        steps in prop::collection::vec((0usize..10, any::<u8>(), 0u128..50), 0..60),
    ) {
        let cast = cast();
        let mut t = submitted(&cast, mention);
        let mut accepted = 1usize;
        for (i, (who, kind, n)) in steps.into_iter().enumerate() {
            let actor = &cast.actors[who].1;
            let before = t.clone();
            let result = t.apply(actor, action_for(&cast, kind, n), EventId(uid(1_000_000 + i as u128)), i as i64);
            match result {
                Ok(()) => {
                    accepted += 1;
                    // Append-only: everything that was there is still there.
                    prop_assert_eq!(&t.timeline[..before.timeline.len()], &before.timeline[..]);
                }
                Err(_) => prop_assert_eq!(&t, &before),
            }
            prop_assert_eq!(t.timeline.len(), accepted);
            if let Err(rule) = t.check_invariants() {
                prop_assert!(false, "invariant broken: {rule}; ticket {t:?}");
            }
        }
    }
}
