//! Routing at submit, on both backends: an item nobody @-mentioned goes to the
//! unit the rules suggest for its category and area (the area is its group's),
//! recorded in the timeline; the deputy's @-mention always wins; no rule, an
//! unknown category or a rule naming a unit the directory lacks leave it in the
//! claim pool. Unknown taxonomy codes are dropped, never refused.

mod support;

use support::tickets;

use minqing_protocol::taxonomy::{RoutingRules, Taxonomy};
use minqing_protocol::*;
use minqing_server::store::directory::{NewGroup, NewUnit};
use minqing_server::workflow::Workflow;
use minqing_server::Db;

support::db::on_both_backends!(rules_route_what_nobody_named);

fn unit(db: &Db, key: &str) -> UnitId {
    let id = UnitId::new();
    db.insert_unit(&NewUnit {
        id,
        name_zh: key,
        name_en: key,
        kind: "department",
        key: Some(key),
    })
    .expect("unit");
    id
}

fn rules_route_what_nobody_named(db: Db) {
    let taxonomy = Taxonomy::example().expect("taxonomy");
    let routing = RoutingRules::example().expect("routing");
    db.set_workflow(Workflow::default().with_reference(taxonomy, routing))
        .expect("workflow");
    let mobile = unit(&db, "mobile");
    let housing = unit(&db, "housing");
    let group = |jurisdiction: &str| {
        let id = GroupId::new();
        db.insert_group(&NewGroup {
            id,
            name_zh: "直通车群",
            name_en: "Direct line",
            jurisdiction,
        })
        .expect("group");
        id
    };
    let (xiashi, xucun) = (group("xiashi"), group("xucun"));
    let deputy = |g: GroupId| Actor {
        user: UserId::new(),
        role: Role::CityDeputy,
        unit: None,
        groups: vec![g],
    };
    let submit = |g: GroupId, category: Option<&str>, item: Option<&str>, mention| {
        let d = deputy(g);
        let client = ClientId::new();
        let ticket = NewTicket {
            category: category.map(str::to_owned),
            item: item.map(str::to_owned),
            mentioned_unit: mention,
            ..tickets::new("窨井盖松动")
        };
        let id = ticket.id;
        let m = tickets::create(client, 1, ticket);
        let r = db.push(&d, client, &[m], 1_000).expect("push");
        assert!(r.rejected.is_empty(), "never refused: {:?}", r.rejected);
        db.ticket(&id.to_string()).expect("read").expect("ticket")
    };

    // 通信设施 in 硖石: China Mobile, by rule, recorded; the area is the group's.
    let t = submit(xiashi, Some("C25"), Some("C25-02"), None);
    assert_eq!(t.state, TicketState::Routed);
    assert_eq!(t.assigned_unit, Some(mobile));
    assert_eq!(t.jurisdiction.as_deref(), Some("xiashi"));
    match &t.timeline[1].kind {
        EventKind::RoutedByRule { unit, rule } => {
            assert_eq!(*unit, mobile);
            assert!(rule.contains("C25") && rule.ends_with("→ mobile"), "{rule}");
        }
        other => panic!("expected a routing event, got {other:?}"),
    }
    t.check_invariants().expect("consistent");

    // 市政设施: the city bureau in a street, the town government in 许村 —
    // whose unit is not in this directory, so it stays open to claim.
    assert_eq!(
        submit(xiashi, Some("C03"), None, None).assigned_unit,
        Some(housing)
    );
    let t = submit(xucun, Some("C03"), None, None);
    assert_eq!((t.state, t.timeline.len()), (TicketState::Pool, 1));

    // The deputy's @-mention wins over the rules.
    let t = submit(xiashi, Some("C25"), None, Some(housing));
    assert_eq!(t.assigned_unit, Some(housing));
    assert_eq!(t.timeline.len(), 1);

    // No rule for 教育; no category at all; an unknown category (dropped).
    assert_eq!(
        submit(xiashi, Some("C14"), None, None).state,
        TicketState::Pool
    );
    assert_eq!(submit(xiashi, None, None, None).state, TicketState::Pool);
    let t = submit(xiashi, Some("X99"), Some("X99-01"), None);
    assert_eq!(
        (t.category, t.item, t.state),
        (None, None, TicketState::Pool)
    );
    // An item of another category is dropped; the category stays.
    let t = submit(xiashi, Some("C25"), Some("C03-02"), None);
    assert_eq!(t.category.as_deref(), Some("C25"));
    assert_eq!(t.item, None);
}
