//! The view state of the ticket screens, decided here so a shell only renders:
//! the home lists per role ([`HomeView`]), a ticket's detail with its timeline,
//! clocks and the actions the signed-in person may take now ([`TicketDetail`]),
//! and the input an action needs ([`ActionOffer`], [`ActionInput`]).
//!
//! # Rules
//! - **No id is shown.** Records carry ids only as handles for calls back into
//!   the core; every person, unit, group and category appears by name, from the
//!   reference data on the device ([`crate::reference`]). A person the device
//!   does not know is shown by role ("单位联络员"), never by id.
//! - **The state machine decides the buttons.** [`offers`] lists exactly the
//!   kinds `minqing_protocol::machine::allowed` gives for this actor on this
//!   ticket (local echo included); the core's tests check it for every state ×
//!   role against the protocol's table.
//! - **Clocks on the phone.** Colours come from `protocol::clocks` on the
//!   synced calendar and clock rules, at the device's time, offline.
//!
//! Home tabs per role: deputies — 我的 (reported or co-reported) and 本群 (their
//! groups' other items); unit contacts and heads — 待认领 (their groups' pool)
//! and 本单位 (assigned to their unit); coordinators and staff — 待分派 (the
//! pool), 已超期 (a red clock) and 办理中 (every open item); admins — 全部.
//! Rows are newest activity first.

use crate::error::{Error, Lang, Result};
use crate::outbox::OutboxState;
use crate::reference::{pick, role_label, Reference};
use crate::store::Store;
use crate::views::{state_label, LocationView, PhotoView, SyncBadge};
use minqing_protocol::calendar::local_date;
use minqing_protocol::clocks::{running_clocks, ChaseTarget, ClockKind, Colour, SYSTEM_USER};
use minqing_protocol::machine::allowed;
use minqing_protocol::{
    Action, ActionKind, Actor, EventKind, OutcomePath, PhotoId, ReviewLevel, Role, Ticket,
    TicketState, UnitId, UserId,
};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

/// What a screen needs to know besides the ticket.
pub struct Ctx<'a> {
    pub reference: &'a Reference,
    pub actor: &'a Actor,
    /// The signed-in user's own name, if known.
    pub me_name: Option<&'a str>,
    pub lang: Lang,
    /// Device time, ms since the epoch (clock colours).
    pub now: i64,
}

impl Ctx<'_> {
    fn t(&self, zh: &str, en: &str) -> String {
        pick(self.lang, zh, en)
    }

    fn unit(&self, id: UnitId) -> String {
        self.reference
            .unit_name(id, self.lang)
            .unwrap_or_else(|| self.t("（未知单位）", "(unknown unit)"))
    }

    /// A person's name and role label, never an id.
    fn who(&self, user: UserId, role: Role) -> (String, String) {
        if user == SYSTEM_USER {
            return (
                self.t("民情直通车平台", "Minqing platform"),
                self.t("系统", "System"),
            );
        }
        if let Some(p) = self.reference.person(user) {
            return (p.name.clone(), role_label(p.role, self.lang));
        }
        if user == self.actor.user {
            let name = self
                .me_name
                .map(str::to_owned)
                .unwrap_or_else(|| self.t("我", "Me"));
            return (name, role_label(role, self.lang));
        }
        (role_label(role, self.lang), role_label(role, self.lang))
    }
}

// ---------------------------------------------------------------- home

/// A tab of the home screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, uniffi::Enum)]
pub enum HomeTab {
    /// 我的: items the deputy reported (or co-reported).
    Mine,
    /// 本群: other items of the deputy's groups.
    Group,
    /// 待认领: the claim pool of the unit's groups.
    ToClaim,
    /// 本单位: items assigned to the unit.
    Ours,
    /// 待分派: the pool, for coordinators and staff to route.
    ToRoute,
    /// 已超期: an overdue clock.
    Overdue,
    /// 办理中: every open item.
    Open,
    /// 全部: everything on the device.
    All,
}

impl HomeTab {
    pub fn label(self, lang: Lang) -> String {
        let (zh, en) = match self {
            HomeTab::Mine => ("我的", "Mine"),
            HomeTab::Group => ("本群", "My groups"),
            HomeTab::ToClaim => ("待认领", "To claim"),
            HomeTab::Ours => ("本单位", "Our unit"),
            HomeTab::ToRoute => ("待分派", "To route"),
            HomeTab::Overdue => ("已超期", "Overdue"),
            HomeTab::Open => ("办理中", "Open"),
            HomeTab::All => ("全部", "All"),
        };
        pick(lang, zh, en)
    }

    /// The tabs of a role, in order.
    pub fn for_role(role: Role) -> Vec<HomeTab> {
        match role {
            Role::CityDeputy | Role::TownDeputy => vec![HomeTab::Mine, HomeTab::Group],
            Role::UnitContact | Role::UnitHead => vec![HomeTab::ToClaim, HomeTab::Ours],
            Role::Coordinator | Role::TownStaff | Role::CityStaff => {
                vec![HomeTab::ToRoute, HomeTab::Overdue, HomeTab::Open]
            }
            Role::Admin => vec![HomeTab::All],
        }
    }

    fn holds(self, t: &Ticket, a: &Actor, colour: Option<Colour>) -> bool {
        let mine = a.user == t.reporter || t.co_reporters.contains(&a.user);
        let in_groups = t.group.is_some_and(|g| a.groups.contains(&g));
        match self {
            HomeTab::Mine => mine,
            HomeTab::Group => !mine && in_groups,
            HomeTab::ToClaim => t.state == TicketState::Pool && in_groups,
            HomeTab::Ours => a.unit.is_some() && t.assigned_unit == a.unit,
            HomeTab::ToRoute => t.state == TicketState::Pool,
            HomeTab::Overdue => colour == Some(Colour::Red),
            HomeTab::Open => !t.state.is_terminal(),
            HomeTab::All => true,
        }
    }
}

/// One row of a home list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct TicketRow {
    /// A handle for opening the item; not shown.
    pub id: String,
    pub text: String,
    pub state: TicketState,
    pub state_label: String,
    /// The most urgent running clock's colour; `None` when no clock runs.
    pub colour: Option<Colour>,
    /// The unit responsible, by name.
    pub unit_name: Option<String>,
    pub category_label: Option<String>,
    /// The first photo's thumbnail on this device, if it has one yet.
    pub thumbnail_path: Option<String>,
    pub sync: SyncBadge,
    /// Something happened that the user has not opened yet.
    pub unread: bool,
    pub created_at: i64,
    /// The newest event's time (the list's order).
    pub updated_at: i64,
}

/// A tab's header: what the tab bar shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct TabHeader {
    pub tab: HomeTab,
    pub label: String,
    pub count: u32,
}

/// One tab with its rows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct HomeTabView {
    pub header: TabHeader,
    pub rows: Vec<TicketRow>,
}

/// The home screen for the signed-in role.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct HomeView {
    pub tabs: Vec<HomeTabView>,
}

/// Per ticket: the outbox states of its entries not yet sent.
fn unsent_states(conn: &Connection) -> Result<HashMap<String, Vec<OutboxState>>> {
    let rows: Vec<(String, String)> = conn
        .prepare_cached("SELECT ticket_id, state FROM outbox WHERE state != 'sent'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut out: HashMap<String, Vec<OutboxState>> = HashMap::new();
    for (t, s) in rows {
        out.entry(t).or_default().push(OutboxState::parse(&s)?);
    }
    Ok(out)
}

fn seen(conn: &Connection) -> Result<HashMap<String, usize>> {
    Ok(conn
        .prepare_cached("SELECT ticket_id, events FROM ticket_seen")?
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as usize)))?
        .collect::<Result<_, _>>()?)
}

fn first_thumbnail(conn: &Connection, store: &Store, ticket: &str) -> Result<Option<String>> {
    let id: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT id FROM photos WHERE ticket_id = ?1 ORDER BY position LIMIT 1",
        [ticket],
        |r| r.get(0),
    ))?;
    Ok(id.map(|p| {
        store
            .photo_dir()
            .join(crate::photos::thumbnail_file(&p))
            .to_string_lossy()
            .into_owned()
    }))
}

fn worst_colour(ctx: &Ctx<'_>, t: &Ticket) -> Option<Colour> {
    running_clocks(t, &ctx.reference.calendar, &ctx.reference.policy)
        .iter()
        .map(|c| c.colour(ctx.now))
        .max()
}

/// Whether `t` has news for the user: events by others after what they have
/// seen, or an unread notice about it.
fn is_unread(
    t: &Ticket,
    me: UserId,
    seen: Option<usize>,
    noticed: &HashSet<String>,
    id: &str,
) -> bool {
    noticed.contains(id)
        || t.timeline
            .iter()
            .skip(seen.unwrap_or(0))
            .any(|e| e.actor != me)
}

struct Shared {
    unsent: HashMap<String, Vec<OutboxState>>,
    seen: HashMap<String, usize>,
    noticed: HashSet<String>,
}

impl Shared {
    fn read(conn: &Connection) -> Result<Shared> {
        Ok(Shared {
            unsent: unsent_states(conn)?,
            seen: seen(conn)?,
            noticed: crate::inbox::unread_tickets(conn)?,
        })
    }
}

fn row_with(
    ctx: &Ctx<'_>,
    conn: &Connection,
    store: &Store,
    t: &Ticket,
    shared: &Shared,
) -> Result<(TicketRow, Option<Colour>)> {
    let id = t.id.to_string();
    let colour = worst_colour(ctx, t);
    let row = TicketRow {
        text: t.text.clone(),
        state: t.state,
        state_label: state_label(t.state, ctx.lang),
        colour,
        unit_name: t.assigned_unit.map(|u| ctx.unit(u)),
        category_label: ctx.reference.category_label(
            t.category.as_deref(),
            t.item.as_deref(),
            ctx.lang,
        ),
        thumbnail_path: first_thumbnail(conn, store, &id)?,
        sync: SyncBadge::from_states(shared.unsent.get(&id).cloned().unwrap_or_default()),
        unread: is_unread(
            t,
            ctx.actor.user,
            shared.seen.get(&id).copied(),
            &shared.noticed,
            &id,
        ),
        created_at: t.created_at,
        updated_at: t.timeline.last().map_or(t.created_at, |e| e.at),
        id,
    };
    Ok((row, colour))
}

/// One ticket's row.
pub fn row(ctx: &Ctx<'_>, conn: &Connection, store: &Store, t: &Ticket) -> Result<TicketRow> {
    Ok(row_with(ctx, conn, store, t, &Shared::read(conn)?)?.0)
}

fn newest_first(rows: &mut [TicketRow]) {
    rows.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then_with(|| b.id.cmp(&a.id))
    });
}

/// Every local ticket's row, newest activity first (the CLI's `list`).
pub fn all_rows(ctx: &Ctx<'_>, conn: &Connection, store: &Store) -> Result<Vec<TicketRow>> {
    let shared = Shared::read(conn)?;
    let mut rows = crate::tickets::load_all(conn)?
        .iter()
        .map(|t| row_with(ctx, conn, store, t, &shared).map(|(r, _)| r))
        .collect::<Result<Vec<_>>>()?;
    newest_first(&mut rows);
    Ok(rows)
}

/// The home screen of the signed-in role.
pub fn home(ctx: &Ctx<'_>, conn: &Connection, store: &Store) -> Result<HomeView> {
    let shared = Shared::read(conn)?;
    let tabs = HomeTab::for_role(ctx.actor.role);
    let mut lists: Vec<Vec<TicketRow>> = vec![Vec::new(); tabs.len()];
    for t in crate::tickets::load_all(conn)? {
        let (row, colour) = row_with(ctx, conn, store, &t, &shared)?;
        for (i, tab) in tabs.iter().enumerate() {
            if tab.holds(&t, ctx.actor, colour) {
                lists[i].push(row.clone());
            }
        }
    }
    Ok(HomeView {
        tabs: tabs
            .into_iter()
            .zip(lists)
            .map(|(tab, mut rows)| {
                newest_first(&mut rows);
                HomeTabView {
                    header: TabHeader {
                        tab,
                        label: tab.label(ctx.lang),
                        count: rows.len() as u32,
                    },
                    rows,
                }
            })
            .collect(),
    })
}

// ---------------------------------------------------------------- detail

/// A deadline running on an item, computed on the phone.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct ClockView {
    pub kind: ClockKind,
    /// 受理时限 / 答复时限.
    pub label: String,
    pub started_at: i64,
    pub due_at: i64,
    pub colour: Colour,
}

/// What kind of timeline entry (for an icon; the words are in `summary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, uniffi::Enum)]
pub enum EntryKind {
    Submitted,
    Action {
        action: ActionKind,
    },
    /// 督办: the platform chased someone.
    Chased,
    RoutedByRule,
    /// 联名: a duplicate was merged in.
    Absorbed,
}

/// A chase (督办记录) on the timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct ChaseView {
    pub clock_label: String,
    pub level: u8,
    /// Who was chased: 提醒联络员, 督促单位负责人, …
    pub target_label: String,
    pub due_at: i64,
}

/// One step of an item's life, as the detail screen shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct TimelineEntry {
    /// Server time (device time while not yet sent), ms since the epoch.
    pub at: i64,
    pub actor_name: String,
    pub role_label: String,
    pub kind: EntryKind,
    /// What happened, in the user's language ("退回", "转派给中国移动海宁分公司").
    pub summary: String,
    /// What the person wrote (a reason, a question, a reply), if anything.
    pub text: Option<String>,
    /// Photos this step added, as far as this device has them.
    pub photos: Vec<PhotoView>,
    pub chase: Option<ChaseView>,
    /// The signed-in user did this.
    pub mine: bool,
    /// Synced, or still waiting to be sent / rejected (local echo).
    pub sync: SyncBadge,
}

/// An item's detail screen.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct TicketDetail {
    /// A handle for the calls on this item; not shown.
    pub id: String,
    pub text: String,
    pub state: TicketState,
    pub state_label: String,
    pub category_label: Option<String>,
    pub unit_name: Option<String>,
    pub group_name: Option<String>,
    pub reporter_name: String,
    pub co_reporter_names: Vec<String>,
    pub location: Option<LocationView>,
    pub photos: Vec<PhotoView>,
    pub created_at: i64,
    pub outcome_label: Option<String>,
    pub rating: Option<u8>,
    /// The constituent's contact, when the user may see it.
    pub constituent: Option<crate::views::ConstituentInput>,
    pub timeline: Vec<TimelineEntry>,
    pub clocks: Vec<ClockView>,
    /// False when a clock runs through a year with no calendar on the device.
    pub calendar_covers: bool,
    /// What the signed-in person may do now, in the table's order.
    pub actions: Vec<ActionOffer>,
    pub sync: SyncBadge,
    /// Why the server refused a change of this user's, if it did.
    pub rejections: Vec<String>,
}

/// A button on the detail screen: an action the user may take now.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct ActionOffer {
    pub kind: ActionKind,
    pub label: String,
    /// What to ask for before calling `act` (empty: act at once).
    pub inputs: Vec<InputSpec>,
}

/// What an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, uniffi::Enum)]
pub enum InputKind {
    /// A reason (decline, reject).
    Reason,
    /// Free text (a question, an answer, a reply, feedback).
    Text,
    /// An optional note (reviews).
    Note,
    /// Photos of the fix, added with `add_photo(…, Proof)` first.
    ProofPhotos,
    /// One photo, taken or picked (attach evidence or proof).
    Photo,
    /// 1–5 stars.
    Rating,
    /// How it was handled: one of `choices`.
    Outcome,
    /// A unit: one of `choices`.
    Unit,
    /// Another item to merge into: one of `choices`.
    MergeTarget,
    /// The assignment list's name (交办清单).
    ListName,
    /// Resolved or not: one of `choices` (`true` / `false`).
    Resolved,
}

/// One value the user picks from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct Choice {
    /// What to pass back (an enum name, an id): not shown.
    pub value: String,
    pub label: String,
}

/// One input an action needs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct InputSpec {
    pub kind: InputKind,
    pub label: String,
    pub required: bool,
    /// For pickers; empty for free input.
    pub choices: Vec<Choice>,
}

/// An action with what the user gave, for `TicketsService::act`. Photos are
/// attached with `add_photo`; a resolution names its proof photos' ids.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ActionInput {
    Claim,
    Decline {
        reason: String,
    },
    Ask {
        text: String,
    },
    Answer {
        text: String,
    },
    Reassign {
        unit_id: String,
    },
    Reply {
        text: String,
        outcome: OutcomePath,
    },
    Resolve {
        text: String,
        outcome: OutcomePath,
        proof_photo_ids: Vec<String>,
    },
    Confirm {
        rating: Option<u8>,
    },
    Reject {
        reason: String,
    },
    ExplainClose {
        text: String,
    },
    Merge {
        into_ticket_id: String,
    },
    Rate {
        stars: u8,
    },
    Review {
        level: ReviewLevel,
        note: String,
    },
    AssignToGovernment {
        list: String,
    },
    GovernmentFeedback {
        text: String,
        resolved: bool,
    },
}

fn parse_id<T: std::str::FromStr>(field: &'static str, s: &str) -> Result<T> {
    s.parse().map_err(|_| Error::Invalid {
        field,
        reason: s.chars().take(64).collect(),
    })
}

impl ActionInput {
    /// The protocol action (ids checked).
    pub fn into_action(self) -> Result<Action> {
        Ok(match self {
            ActionInput::Claim => Action::Claim,
            ActionInput::Decline { reason } => Action::Decline { reason },
            ActionInput::Ask { text } => Action::Ask { text },
            ActionInput::Answer { text } => Action::Answer { text },
            ActionInput::Reassign { unit_id } => Action::Reassign {
                unit: parse_id("unit_id", &unit_id)?,
            },
            ActionInput::Reply { text, outcome } => Action::Reply { text, outcome },
            ActionInput::Resolve {
                text,
                outcome,
                proof_photo_ids,
            } => Action::Resolve {
                text,
                outcome,
                proof: proof_photo_ids
                    .iter()
                    .map(|p| parse_id::<PhotoId>("proof", p))
                    .collect::<Result<_>>()?,
            },
            ActionInput::Confirm { rating } => Action::Confirm { rating },
            ActionInput::Reject { reason } => Action::Reject { reason },
            ActionInput::ExplainClose { text } => Action::ExplainClose { text },
            ActionInput::Merge { into_ticket_id } => Action::Merge {
                into: parse_id("into_ticket_id", &into_ticket_id)?,
            },
            ActionInput::Rate { stars } => Action::Rate { stars },
            ActionInput::Review { level, note } => Action::Review { level, note },
            ActionInput::AssignToGovernment { list } => Action::AssignToGovernment { list },
            ActionInput::GovernmentFeedback { text, resolved } => {
                Action::GovernmentFeedback { text, resolved }
            }
        })
    }
}

/// A way an item was handled, in `lang`.
pub fn outcome_label(o: OutcomePath, lang: Lang) -> String {
    let (zh, en) = match o {
        OutcomePath::ExplainedOnSpot => ("代表当场解释办结", "Explained on the spot"),
        OutcomePath::HandledInGroup => ("直通车群办理", "Handled in the group"),
        OutcomePath::HandledByTown => ("镇街道办理", "Handled by the town or street"),
        OutcomePath::HandledByCityDepartment => ("市级部门办理", "Handled by a city department"),
    };
    pick(lang, zh, en)
}

fn outcome_choices(lang: Lang) -> Vec<Choice> {
    [
        OutcomePath::HandledInGroup,
        OutcomePath::HandledByTown,
        OutcomePath::HandledByCityDepartment,
    ]
    .into_iter()
    .map(|o| Choice {
        value: crate::views::enum_name(o),
        label: outcome_label(o, lang),
    })
    .collect()
}

fn input(ctx: &Ctx<'_>, kind: InputKind, required: bool, choices: Vec<Choice>) -> InputSpec {
    let (zh, en) = match kind {
        InputKind::Reason => ("原因", "Reason"),
        InputKind::Text => ("内容", "Text"),
        InputKind::Note => ("备注", "Note"),
        InputKind::ProofPhotos => ("办结照片", "Photos of the fix"),
        InputKind::Photo => ("照片", "Photo"),
        InputKind::Rating => ("评价（1–5星）", "Rating (1–5 stars)"),
        InputKind::Outcome => ("办理方式", "How it was handled"),
        InputKind::Unit => ("转派给", "Route to"),
        InputKind::MergeTarget => ("合并到", "Merge into"),
        InputKind::ListName => ("交办清单", "Assignment list"),
        InputKind::Resolved => ("是否解决", "Resolved"),
    };
    InputSpec {
        kind,
        label: ctx.t(zh, en),
        required,
        choices,
    }
}

/// The actions `ctx.actor` may take on `t` now (the state machine's
/// `allowed`), each with the inputs it needs. `others` are the other local
/// tickets (merge targets).
pub fn offers(ctx: &Ctx<'_>, t: &Ticket, others: &[Ticket]) -> Vec<ActionOffer> {
    allowed(t, ctx.actor)
        .into_iter()
        .map(|kind| {
            use InputKind as I;
            let inputs = match kind {
                ActionKind::Claim => vec![],
                ActionKind::Decline | ActionKind::Reject => {
                    vec![input(ctx, I::Reason, true, vec![])]
                }
                ActionKind::Ask | ActionKind::Answer | ActionKind::ExplainClose => {
                    vec![input(ctx, I::Text, true, vec![])]
                }
                ActionKind::Reassign => {
                    let units = ctx
                        .reference
                        .unit_order
                        .iter()
                        .filter(|u| {
                            !(t.state == TicketState::Routed && t.assigned_unit == Some(**u))
                        })
                        .map(|u| Choice {
                            value: u.to_string(),
                            label: ctx.unit(*u),
                        })
                        .collect();
                    vec![input(ctx, I::Unit, true, units)]
                }
                ActionKind::Reply => vec![
                    input(ctx, I::Text, true, vec![]),
                    input(ctx, I::Outcome, true, outcome_choices(ctx.lang)),
                ],
                ActionKind::Resolve => vec![
                    input(ctx, I::Text, true, vec![]),
                    input(ctx, I::Outcome, true, outcome_choices(ctx.lang)),
                    input(ctx, I::ProofPhotos, true, vec![]),
                ],
                ActionKind::Confirm => vec![input(ctx, I::Rating, false, vec![])],
                ActionKind::Rate => vec![input(ctx, I::Rating, true, vec![])],
                ActionKind::Merge => {
                    let targets = others
                        .iter()
                        .filter(|o| o.id != t.id && !o.state.is_terminal())
                        .map(|o| Choice {
                            value: o.id.to_string(),
                            label: format!(
                                "{}（{}）",
                                o.text.chars().take(30).collect::<String>(),
                                state_label(o.state, ctx.lang)
                            ),
                        })
                        .collect();
                    vec![input(ctx, I::MergeTarget, true, targets)]
                }
                ActionKind::AttachEvidence | ActionKind::AttachProof => {
                    vec![input(ctx, I::Photo, true, vec![])]
                }
                ActionKind::ReviewTown | ActionKind::ReviewCity => {
                    vec![input(ctx, I::Note, false, vec![])]
                }
                ActionKind::AssignToGovernment => vec![input(ctx, I::ListName, true, vec![])],
                ActionKind::GovernmentFeedback => vec![
                    input(ctx, I::Text, true, vec![]),
                    input(
                        ctx,
                        I::Resolved,
                        true,
                        vec![
                            Choice {
                                value: "true".into(),
                                label: ctx.t("已解决", "Resolved"),
                            },
                            Choice {
                                value: "false".into(),
                                label: ctx.t("未解决", "Not resolved"),
                            },
                        ],
                    ),
                ],
            };
            ActionOffer {
                kind,
                label: pick(ctx.lang, kind.label_zh(), kind.label_en()),
                inputs,
            }
        })
        .collect()
}

fn clock_label(k: ClockKind, lang: Lang) -> String {
    pick(lang, k.label_zh(), k.label_en())
}

fn target_label(t: ChaseTarget, lang: Lang) -> String {
    let en = match t {
        ChaseTarget::UnitContact => "Reminded the unit's contact",
        ChaseTarget::UnitHead => "Chased the unit's head",
        ChaseTarget::Coordinator => "Referred to the coordinator",
        ChaseTarget::Committee => "Referred to the committee",
    };
    pick(lang, t.label_zh(), en)
}

/// The running clocks of `t`, and whether the device's calendar covers them.
pub fn clocks(ctx: &Ctx<'_>, t: &Ticket) -> (Vec<ClockView>, bool) {
    let running = running_clocks(t, &ctx.reference.calendar, &ctx.reference.policy);
    let covers = running.iter().all(|c| {
        ctx.reference.calendar.covers(local_date(c.started_at))
            && ctx.reference.calendar.covers(local_date(c.due_at - 1))
    });
    (
        running
            .into_iter()
            .map(|c| ClockView {
                kind: c.kind,
                label: clock_label(c.kind, ctx.lang),
                started_at: c.started_at,
                due_at: c.due_at,
                colour: c.colour(ctx.now),
            })
            .collect(),
        covers,
    )
}

/// Per event id of this ticket: the state of its outbox entry while unsent,
/// and the rejection reasons.
fn event_states(
    conn: &Connection,
    ticket: &str,
) -> Result<(HashMap<String, OutboxState>, Vec<String>)> {
    let rows: Vec<(String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT state, payload, reject_reason FROM outbox
             WHERE ticket_id = ?1 AND kind != 'upload' AND state != 'sent' ORDER BY id",
        )?
        .query_map([ticket], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut states = HashMap::new();
    let mut rejections = Vec::new();
    for (state, payload, reason) in rows {
        let state = OutboxState::parse(&state)?;
        let v: serde_json::Value = serde_json::from_str(&payload)?;
        let event = v
            .get("event")
            .or_else(|| v.get("ticket").and_then(|t| t.get("event")))
            .and_then(|e| e.as_str())
            .map(str::to_owned);
        if let Some(e) = event {
            states.insert(e, state);
        }
        if let Some(r) = reason {
            rejections.push(r);
        }
    }
    Ok((states, rejections))
}

fn entry(
    ctx: &Ctx<'_>,
    e: &minqing_protocol::TimelineEvent,
    photos: &HashMap<String, PhotoView>,
    sync: SyncBadge,
) -> TimelineEntry {
    let (actor_name, role_label) = ctx.who(e.actor, e.role);
    let lang = ctx.lang;
    let mut text = None;
    let mut shown = Vec::new();
    let mut chase = None;
    let (kind, summary) = match &e.kind {
        EventKind::Submitted => (
            EntryKind::Submitted,
            ctx.t("提交了这条民情", "Reported this item"),
        ),
        EventKind::RoutedByRule { unit, .. } => (
            EntryKind::RoutedByRule,
            match lang {
                Lang::ZhCn => format!("按分派规则转给{}", ctx.unit(*unit)),
                Lang::En => format!("Routed to {} by the routing rules", ctx.unit(*unit)),
            },
        ),
        EventKind::Absorbed { .. } => (
            EntryKind::Absorbed,
            ctx.t(
                "合并了相同问题的另一条民情（联名）",
                "Merged a duplicate into this item (joint report)",
            ),
        ),
        EventKind::Chased { chase: c } => {
            let v = ChaseView {
                clock_label: clock_label(c.clock, lang),
                level: c.level,
                target_label: target_label(c.target, lang),
                due_at: c.due_at,
            };
            let s = match lang {
                Lang::ZhCn => format!(
                    "督办：{}（第{}级）{}",
                    v.clock_label, c.level, v.target_label
                ),
                Lang::En => format!(
                    "Chase: {} (level {}): {}",
                    v.clock_label, c.level, v.target_label
                ),
            };
            chase = Some(v);
            (EntryKind::Chased, s)
        }
        EventKind::Action { action } => {
            let k = action.kind();
            let label = pick(lang, k.label_zh(), k.label_en());
            let summary = match action {
                Action::Decline { reason } | Action::Reject { reason } => {
                    text = Some(reason.clone());
                    label
                }
                Action::Ask { text: t }
                | Action::Answer { text: t }
                | Action::ExplainClose { text: t } => {
                    text = Some(t.clone());
                    label
                }
                Action::Reassign { unit } => match lang {
                    Lang::ZhCn => format!("转派给{}", ctx.unit(*unit)),
                    Lang::En => format!("Reassigned to {}", ctx.unit(*unit)),
                },
                Action::Reply { text: t, outcome } => {
                    text = Some(t.clone());
                    format!("{label}（{}）", outcome_label(*outcome, lang))
                }
                Action::Resolve {
                    text: t,
                    outcome,
                    proof,
                } => {
                    text = Some(t.clone());
                    shown.extend(
                        proof
                            .iter()
                            .filter_map(|p| photos.get(&p.to_string()).cloned()),
                    );
                    format!("{label}（{}）", outcome_label(*outcome, lang))
                }
                Action::Confirm { rating: Some(r) } => match lang {
                    Lang::ZhCn => format!("确认办结，评价{r}星"),
                    Lang::En => format!("Confirmed, rated {r} stars"),
                },
                Action::Rate { stars } => match lang {
                    Lang::ZhCn => format!("评价{stars}星"),
                    Lang::En => format!("Rated {stars} stars"),
                },
                Action::AttachPhoto { photo } => {
                    shown.extend(photos.get(&photo.id.to_string()).cloned());
                    match photo.kind {
                        minqing_protocol::PhotoKind::Evidence => {
                            ctx.t("补充了照片", "Added a photo")
                        }
                        minqing_protocol::PhotoKind::Proof => {
                            ctx.t("上传了办结照片", "Added a photo of the fix")
                        }
                    }
                }
                Action::Review { note, .. } => {
                    if !note.trim().is_empty() {
                        text = Some(note.clone());
                    }
                    label
                }
                Action::AssignToGovernment { list } => match lang {
                    Lang::ZhCn => format!("列入{list}"),
                    Lang::En => format!("Put on {list}"),
                },
                Action::GovernmentFeedback { text: t, resolved } => {
                    text = Some(t.clone());
                    match (lang, resolved) {
                        (Lang::ZhCn, true) => "政府反馈：已解决".into(),
                        (Lang::ZhCn, false) => "政府反馈：未解决".into(),
                        (Lang::En, true) => "Government feedback: resolved".into(),
                        (Lang::En, false) => "Government feedback: not resolved".into(),
                    }
                }
                Action::Merge { .. } => ctx.t("合并到另一条民情", "Merged into another item"),
                Action::Claim | Action::Confirm { rating: None } => label,
            };
            (EntryKind::Action { action: k }, summary)
        }
    };
    TimelineEntry {
        at: e.at,
        actor_name,
        role_label,
        kind,
        summary,
        text,
        photos: shown,
        chase,
        mine: e.actor == ctx.actor.user,
        sync,
    }
}

/// The detail screen of ticket `id`.
pub fn detail(ctx: &Ctx<'_>, conn: &Connection, store: &Store, id: &str) -> Result<TicketDetail> {
    let t = crate::tickets::load(conn, id)?;
    let photo_list = crate::photos::list(
        conn,
        &store.photo_dir(),
        crate::photos::Owner::Ticket,
        id,
        ctx.lang == Lang::En,
    )?;
    let by_id: HashMap<String, PhotoView> = photo_list
        .iter()
        .map(|p| (p.id.clone(), p.clone()))
        .collect();
    let (states, rejections) = event_states(conn, id)?;
    let timeline = t
        .timeline
        .iter()
        .map(|e| {
            let sync = states
                .get(&e.id.to_string())
                .map_or(SyncBadge::Synced, |s| SyncBadge::from_states([*s]));
            entry(ctx, e, &by_id, sync)
        })
        .collect();
    let needs_merge = allowed(&t, ctx.actor).contains(&ActionKind::Merge);
    let others = if needs_merge {
        crate::tickets::load_all(conn)?
    } else {
        Vec::new()
    };
    let (clock_views, calendar_covers) = clocks(ctx, &t);
    let badge = SyncBadge::from_states(unsent_states(conn)?.get(id).cloned().unwrap_or_default());
    let reporter = ctx.who(t.reporter, Role::CityDeputy).0;
    Ok(TicketDetail {
        id: t.id.to_string(),
        text: t.text.clone(),
        state: t.state,
        state_label: state_label(t.state, ctx.lang),
        category_label: ctx.reference.category_label(
            t.category.as_deref(),
            t.item.as_deref(),
            ctx.lang,
        ),
        unit_name: t.assigned_unit.map(|u| ctx.unit(u)),
        group_name: t.group.and_then(|g| ctx.reference.group_name(g, ctx.lang)),
        reporter_name: reporter,
        co_reporter_names: t
            .co_reporters
            .iter()
            .map(|u| ctx.who(*u, Role::CityDeputy).0)
            .collect(),
        location: t.location.as_ref().map(LocationView::from_location),
        photos: photo_list,
        created_at: t.created_at,
        outcome_label: t.outcome.map(|o| outcome_label(o, ctx.lang)),
        rating: t.rating,
        constituent: t
            .constituent
            .clone()
            .map(|c| crate::views::ConstituentInput {
                name: c.name,
                phone: c.phone,
            }),
        timeline,
        clocks: clock_views,
        calendar_covers,
        actions: offers(ctx, &t, &others),
        sync: badge,
        rejections,
    })
}

/// The user opened the item: what it holds now counts as seen.
pub fn mark_seen(conn: &Connection, id: &str) -> Result<bool> {
    let t = crate::tickets::load(conn, id)?;
    let n = conn.execute(
        "INSERT INTO ticket_seen (ticket_id, events) VALUES (?1, ?2)
         ON CONFLICT(ticket_id) DO UPDATE SET events = excluded.events
         WHERE events != excluded.events",
        rusqlite::params![id, t.timeline.len() as i64],
    )?;
    // Its notices have been read too, here: the person has the item in
    // front of them. (The server's read mark is a high-water mark over the
    // whole inbox, so it is not moved for one item; a pull keeps a local
    // read, `inbox::store_fetched` merging with max.)
    let read = conn.execute(
        "UPDATE notifications SET read = 1 WHERE ticket_id = ?1 AND read = 0",
        [id],
    )?;
    Ok(n + read > 0)
}
