//! For every state × role (the protocol's cast: reporter, another deputy,
//! contact and head of the assigned unit, a unit in the group, a unit outside
//! it, coordinator, town staff, city staff, admin) and with the item on an
//! assignment list or not: the actions the detail screen offers are exactly
//! the sample actions `protocol::machine::decide` accepts for that actor —
//! the oracle is the protocol's own table test support, whose table test
//! checks `decide` cell by cell against docs/state-machine.md.

#[path = "../../protocol/tests/support/mod.rs"]
mod support;

use minqing_core::Minqing;
use minqing_protocol::machine::decide;
use minqing_protocol::{ActionKind, TicketState};
use support::{cast, in_state, on_list, sample_actions};

#[test]
fn offered_actions_equal_what_the_state_machine_allows() {
    let dir = tempfile::tempdir().expect("dir");
    let core = Minqing::open_at(dir.path().to_path_buf()).expect("open");
    let cast = cast();
    let samples = sample_actions(&cast);
    let (mut screens, mut offered_total, mut with_inputs) = (0, 0, 0);
    for state in TicketState::ALL {
        for listed in [false, true] {
            let ticket = if listed {
                on_list(&cast, state)
            } else {
                in_state(&cast, state)
            };
            core.store()
                .write(|tx| minqing_core::tickets::save(tx, &ticket))
                .expect("store the ticket");
            for (tag, actor) in &cast.actors {
                core.set_profile(actor).expect("profile");
                let detail = core
                    .tickets()
                    .detail(ticket.id.to_string())
                    .expect("detail");
                let offered: Vec<ActionKind> = detail.actions.iter().map(|a| a.kind).collect();
                let allowed: Vec<ActionKind> = samples
                    .iter()
                    .filter(|(_, a)| decide(&ticket, actor, a).is_ok())
                    .map(|(_, a)| a.kind())
                    .collect();
                assert_eq!(
                    offered, allowed,
                    "{tag} on a {state:?} item (on a list: {listed})"
                );
                for a in &detail.actions {
                    assert!(!a.label.is_empty());
                    // Whatever needs content asks for it.
                    let needs_input = !matches!(a.kind, ActionKind::Claim);
                    assert_eq!(!a.inputs.is_empty(), needs_input, "{:?}", a.kind);
                    with_inputs += usize::from(needs_input);
                }
                offered_total += offered.len();
                screens += 1;
            }
        }
    }
    // 8 states × 2 (on a list or not) × 10 actors.
    assert_eq!(screens, 160);
    // Sanity: the matrix is neither empty nor everything.
    assert!(
        offered_total > 100 && offered_total < 160 * 18,
        "{offered_total}"
    );
    println!("{screens} screens, {offered_total} offered actions, {with_inputs} with inputs");
}
