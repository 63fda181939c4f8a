//! Submissions for store-level tests: a field capture with fresh ids and
//! nothing else set. Change what a test needs with struct update syntax:
//! `NewTicket { category: Some("C08".into()), ..tickets::new("…") }`.

#![allow(dead_code)]

use minqing_protocol::{
    ClientId, EventId, Mutation, MutationKind, NewTicket, SourceChannel, TicketId,
};

/// A field capture saying `text`, with a fresh ticket and event id.
pub fn new(text: &str) -> NewTicket {
    NewTicket {
        id: TicketId::new(),
        event: EventId::new(),
        group: None,
        jurisdiction: None,
        category: None,
        item: None,
        text: text.into(),
        location: None,
        channel: SourceChannel::FieldCapture,
        constituent: None,
        mentioned_unit: None,
        photo_count: 0,
    }
}

/// Mutation number `n` of `client`: submit `ticket`.
pub fn create(client: ClientId, n: u64, ticket: NewTicket) -> Mutation {
    Mutation {
        client_id: client,
        mutation_id: n,
        kind: MutationKind::CreateTicket { ticket },
    }
}

/// Put `unit` and `group` in the directory of `db` (a push refuses a
/// submission naming a unit or group that does not exist).
pub fn directory(
    db: &minqing_server::Db,
    group: minqing_protocol::GroupId,
    unit: minqing_protocol::UnitId,
) {
    use minqing_server::store::directory::{NewGroup, NewUnit};
    db.insert_unit(&NewUnit {
        id: unit,
        name_zh: "中国移动海宁分公司",
        name_en: "China Mobile Haining",
        kind: "company",
        key: None,
    })
    .expect("unit");
    db.insert_group(&NewGroup {
        id: group,
        name_zh: "街道直通车群",
        name_en: "Streets direct line",
        jurisdiction: "haizhou",
    })
    .expect("group");
}
