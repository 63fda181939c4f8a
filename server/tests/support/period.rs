//! Two months of items whose figures are the seed article's monthly report
//! (issue 14): "本期收到166件，代表当场解释办结23件，交办141件，“民情直通车”微信群办理
//! 34件，镇街道办理98件，市级部门办理9件，已解决81件。上一期专报中未交办的2件意见建议
//! 已完成交办，已交办件中涉及问题已解决的从70件增至81件。"
//!
//! Filed through the push as phones and the console file them, with the
//! server time of each step given (August and September 2020, China time):
//! - August 2020 (the period before): 120 items — 15 explained on the spot,
//!   30 claimed by China Mobile in the group, 70 by the 海洲街道 office, 3 put
//!   on the city's assignment list, 2 left in the pool. By the end of August
//!   70 are resolved (20 in the group, 50 by the street office); in September
//!   the 2 left in the pool are claimed and resolved and 9 more of the street
//!   office's are resolved: 81.
//! - September 2020 (the period): 166 items — 23 explained on the spot, 34
//!   claimed by China Mobile (20 resolved), 98 by the street office (56
//!   resolved), 9 on the assignment list (5 resolved by the government's
//!   feedback), 2 left in the pool: 81 resolved.
//!
//! Categories are skewed so the top five are C03 > C04 > C01 > C02 > C05.

#![allow(dead_code)]

use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::Policy;
use minqing_protocol::taxonomy::{RoutingRules, Taxonomy};
use minqing_protocol::*;
use minqing_server::seed::{seed_demo, DemoUser};
use minqing_server::store::uploads::UploadRecord;
use minqing_server::workflow::Workflow;
use minqing_server::Db;

pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;
/// 2020-08-01 00:00 China time.
pub const AUG: i64 = 1_596_211_200_000;
/// 2020-09-01 00:00 China time.
pub const SEP: i64 = 1_598_889_600_000;
/// 2020-10-01 00:00 China time.
pub const OCT: i64 = 1_601_481_600_000;

pub struct Seeded {
    pub people: Vec<DemoUser>,
    pub september: Vec<TicketId>,
    pub august: Vec<TicketId>,
}

struct Ctx<'a> {
    db: &'a Db,
    people: &'a [DemoUser],
    n: usize,
}

/// When a later step comes: this many days after the submission, or at a
/// given time (ms).
#[derive(Clone, Copy, PartialEq)]
enum When {
    After(i64),
    At(i64),
}

impl When {
    fn from(self, at: i64) -> i64 {
        match self {
            When::After(days) => at + days * DAY,
            When::At(t) => t,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Fate {
    Explained,
    /// Claimed by China Mobile (a company in the group): resolved then, or not.
    Group(Option<When>),
    /// Claimed by the 海洲街道 office: resolved then, or not.
    Town(Option<When>),
    /// Put on the city's assignment list: the government's feedback says
    /// resolved then, or not.
    City(Option<When>),
    /// Left in the pool; claimed by China Mobile and resolved then, if given.
    Pool(Option<(When, When)>),
}

impl Ctx<'_> {
    fn actor(&self, name: &str) -> Actor {
        let p = self
            .people
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no demo person {name}"));
        self.db.me(p.id).expect("me").expect("exists").actor()
    }

    fn push(&self, who: &Actor, kind: MutationKind, at: i64) {
        let client = ClientId::new();
        let m = Mutation {
            client_id: client,
            mutation_id: 1,
            kind,
        };
        let r = self.db.push(who, client, &[m], at).expect("push");
        assert!(r.rejected.is_empty(), "refused: {:?}", r.rejected);
    }

    fn act(&self, who: &Actor, ticket: TicketId, action: Action, at: i64) {
        self.push(
            who,
            MutationKind::Act {
                ticket,
                event: EventId::new(),
                action,
            },
            at,
        );
    }

    /// The unit proves the fix with a photo taken then, and resolves.
    fn resolve(&self, unit: &Actor, ticket: TicketId, outcome: OutcomePath, at: i64) {
        let photo = PhotoId::new();
        let sha = format!("{:064x}", self.n * 7919 + at as usize % 1000);
        let rec = UploadRecord {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: unit.user.to_string(),
            photo_id: photo.to_string(),
            ticket_id: ticket.to_string(),
            sha256: sha.clone(),
            length: 10,
            offset: 10,
            expires_at: i64::MAX,
            completed: false,
        };
        self.db.create_upload(&rec, at).expect("upload");
        self.db.complete_upload(&rec.id, at).expect("complete");
        self.act(
            unit,
            ticket,
            Action::AttachPhoto {
                photo: PhotoRef {
                    id: photo,
                    sha256: sha,
                    kind: PhotoKind::Proof,
                    width: 800,
                    height: 600,
                    taken_at: Some(at - 60_000),
                    location: None,
                },
            },
            at,
        );
        self.act(
            unit,
            ticket,
            Action::Resolve {
                text: "已处理好。".into(),
                proof: vec![photo],
                outcome,
            },
            at + 60_000,
        );
    }

    fn file(&mut self, deputy: &str, at: i64, category: &str, fate: Fate) -> TicketId {
        self.n += 1;
        let d = self.actor(deputy);
        let id = TicketId::new();
        let item = format!("{category}-0{}", 1 + self.n % 3);
        self.push(
            &d,
            MutationKind::CreateTicket {
                ticket: NewTicket {
                    id,
                    event: EventId::new(),
                    group: d.groups.first().copied(),
                    jurisdiction: None,
                    category: Some(category.into()),
                    item: Some(item),
                    text: format!("第{}件：水月亭路{}号附近窨井盖松动", self.n, self.n % 300),
                    location: Some(Location {
                        latitude: 30.51 + (self.n % 50) as f64 / 10_000.0,
                        longitude: 120.68 + (self.n % 70) as f64 / 10_000.0,
                        accuracy_m: Some(8.0),
                        source: LocationSource::DeviceFix,
                        address: Some(format!("海宁市水月亭路{}号", self.n % 300)),
                    }),
                    channel: SourceChannel::FieldCapture,
                    constituent: Some(ConstituentContact {
                        name: Some("沈阿姨".into()),
                        phone: Some("13912345678".into()),
                    }),
                    mentioned_unit: None,
                    photo_count: 0,
                },
            },
            at,
        );
        let mobile = self.actor("移动联络员");
        let office = self.actor("海洲街道联络员");
        let staff = self.actor("市人大工作人员");
        match fate {
            Fate::Explained => self.act(
                &d,
                id,
                Action::ExplainClose {
                    text: "已当场向群众解释".into(),
                },
                at + HOUR,
            ),
            Fate::Group(r) => {
                self.act(&mobile, id, Action::Claim, at + HOUR);
                if let Some(w) = r {
                    self.resolve(&mobile, id, OutcomePath::HandledInGroup, w.from(at));
                }
            }
            Fate::Town(r) => {
                self.act(&office, id, Action::Claim, at + 2 * HOUR);
                if let Some(w) = r {
                    self.resolve(&office, id, OutcomePath::HandledByTown, w.from(at));
                }
            }
            Fate::City(r) => {
                self.act(
                    &staff,
                    id,
                    Action::AssignToGovernment {
                        list: "2020年交办清单".into(),
                    },
                    at + 3 * HOUR,
                );
                if let Some(w) = r {
                    self.act(
                        &staff,
                        id,
                        Action::GovernmentFeedback {
                            text: "市政府反馈：已落实".into(),
                            resolved: true,
                        },
                        w.from(at),
                    );
                }
            }
            Fate::Pool(later) => {
                if let Some((claim, resolve)) = later {
                    self.act(&mobile, id, Action::Claim, claim.from(at));
                    self.resolve(&mobile, id, OutcomePath::HandledInGroup, resolve.from(at));
                }
            }
        }
        id
    }
}

/// The skewed categories: item `i` of a month.
fn category(i: usize) -> &'static str {
    match i % 20 {
        0..=5 => "C03",
        6..=9 => "C04",
        10..=12 => "C01",
        13..=14 => "C02",
        15 => "C05",
        16 => "C06",
        17 => "C07",
        18 => "C08",
        _ => "C09",
    }
}

/// The workflow the figures are computed on: the official calendars, the
/// example taxonomy (for the names), no routing rules (so every item goes
/// where the steps above send it).
pub fn workflow() -> Workflow {
    Workflow::new(Calendar::official().expect("calendars"), Policy::default()).with_reference(
        Taxonomy::example().expect("taxonomy"),
        RoutingRules::default(),
    )
}

/// The demo directory and the two months of items (see the module docs).
pub fn seed(db: &Db) -> Seeded {
    let people = seed_demo(db).expect("seed");
    seed_with(db, people)
}

/// The two months of items, on a database the demo directory is already in.
pub fn seed_with(db: &Db, people: Vec<DemoUser>) -> Seeded {
    db.set_workflow(workflow()).expect("workflow");
    let mut c = Ctx {
        db,
        people: &people,
        n: 0,
    };
    // Deputies of the streets group (the 海洲街道 office's contact is in it).
    let deputies = ["陆靖英", "王建国"];
    let mut fates = Vec::new();
    // August: 15 explained, 30 group (20 resolved in August), 70 town (50
    // resolved in August, 9 more in September), 3 city, 2 pool (claimed and
    // resolved in September).
    fates.extend([Fate::Explained; 15]);
    fates.extend((0..30).map(|i| Fate::Group((i < 20).then_some(When::After(1)))));
    fates.extend((0..70).map(|i| {
        Fate::Town(match i {
            0..50 => Some(When::After(1)),
            50..59 => Some(When::At(SEP + 9 * DAY + 10 * HOUR)),
            _ => None,
        })
    }));
    fates.extend([Fate::City(None); 3]);
    fates.extend(
        [Fate::Pool(Some((
            When::At(SEP + 4 * DAY + 10 * HOUR),
            When::At(SEP + 14 * DAY + 10 * HOUR),
        ))); 2],
    );
    let august = fates
        .into_iter()
        .enumerate()
        .map(|(i, fate)| {
            // 3 to 26 August; resolutions a day later stay in August.
            let at = AUG + (2 + (i % 24) as i64) * DAY + 9 * HOUR + i as i64 * 60_000;
            c.file(deputies[i % 2], at, category(i), fate)
        })
        .collect();
    // September: 23 explained, 34 group (20 resolved), 98 town (56
    // resolved), 9 city (5 resolved), 2 pool.
    let mut fates = Vec::new();
    fates.extend([Fate::Explained; 23]);
    fates.extend((0..34).map(|i| Fate::Group((i < 20).then_some(When::After(2)))));
    fates.extend((0..98).map(|i| Fate::Town((i < 56).then_some(When::After(2)))));
    fates.extend((0..9).map(|i| Fate::City((i < 5).then_some(When::After(3)))));
    fates.extend([Fate::Pool(None); 2]);
    let september = fates
        .into_iter()
        .enumerate()
        .map(|(i, fate)| {
            // 1 to 25 September; resolutions within three days stay in it.
            let at = SEP + (i % 25) as i64 * DAY + 9 * HOUR + i as i64 * 60_000;
            c.file(deputies[i % 2], at, category(i), fate)
        })
        .collect();
    Seeded {
        people,
        september,
        august,
    }
}
