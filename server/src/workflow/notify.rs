//! Who is told what, by the in-app inbox (`GET /v1/notifications`) and, for
//! people with a registered phone, by push (`crate::push`): every step on an
//! item reaches its reporter and co-reporters (claimed, a question asked,
//! declined back to the pool, replied, resolved — "please confirm",
//! re-opened, chased); a new item reaches its unit's contacts or, in the
//! pool, the unit contacts of its group; a chase reaches the people its rung
//! names; a decline reaches the group's coordinators with the reason.
//!
//! Who hears which kind of step is data ([`NoticeRules`], TOML, with the
//! defaults above); the texts are written here, zh-CN first. A notice has two
//! texts: the inbox's (read in the app, behind login: it may quote the
//! item's first words and a decline's reason) and the push's (shown on a
//! lock screen and carried by a vendor: **no constituent data** — what
//! happened and which unit did it, never the item's text, place or contact).
//! The recipients are resolved by the database inside the transaction that
//! records the step, so a step, its notices and their push deliveries commit
//! together (`store::review::notify`).

use crate::push::outbox::PushText;
use minqing_protocol::clocks::{Chase, ChaseTarget, ClockKind};
use minqing_protocol::ticket::EventKind;
use minqing_protocol::{Action, GroupId, Role, Ticket, UnitId, UserId};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Who receives a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// Members of a group with this role (a group's coordinators; for an item
    /// in the pool, the unit contacts of its group).
    GroupRole(GroupId, Role),
    /// A unit's people with this role.
    UnitRole(UnitId, Role),
    /// Everyone with this role (the committee: city staff).
    Role(Role),
    /// These people (an item's reporter and co-reporters).
    Users(Vec<UserId>),
}

/// One notice to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub to: Recipients,
    /// Not to this person (whoever took the step hears nothing of it).
    pub except: Option<UserId>,
    pub kind: &'static str,
    /// The inbox's text.
    pub zh: String,
    pub en: String,
    /// The push's text: no constituent data.
    pub push: PushText,
}

/// Who hears a kind of step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The item's reporter and co-reporters.
    Reporters,
    /// The assigned unit's contacts; in the pool, the group's unit contacts.
    UnitContacts,
    /// The assigned unit's heads.
    UnitHeads,
    /// The group's coordinators.
    Coordinators,
    /// For a chase: the people its rung names.
    Rung,
}

/// Which audiences hear each kind of notice: `kind = ["audience", …]`, the
/// kinds being `submitted`, `claimed`, `declined`, `asked`, `answered`,
/// `reassigned`, `replied`, `resolved`, `reopened`, `confirmed`, `chased`.
/// A kind not named keeps its default; an empty list silences it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRules {
    pub rules: BTreeMap<String, Vec<Audience>>,
}

/// The kinds of notice there are.
pub const KINDS: [&str; 11] = [
    "submitted",
    "claimed",
    "declined",
    "asked",
    "answered",
    "reassigned",
    "replied",
    "resolved",
    "reopened",
    "confirmed",
    "chased",
];

impl Default for NoticeRules {
    /// Issue 12's rules: the reporters hear every step on their item; the
    /// unit hears of new and re-assigned items, answers, re-openings and
    /// confirmations; the coordinators hear of declines; a chase goes to its
    /// rung and to the reporters.
    fn default() -> Self {
        use Audience::*;
        let rules = [
            ("submitted", vec![UnitContacts]),
            ("claimed", vec![Reporters]),
            ("declined", vec![Reporters, Coordinators]),
            ("asked", vec![Reporters]),
            ("answered", vec![UnitContacts]),
            ("reassigned", vec![Reporters, UnitContacts]),
            ("replied", vec![Reporters]),
            ("resolved", vec![Reporters]),
            ("reopened", vec![Reporters, UnitContacts]),
            ("confirmed", vec![UnitContacts]),
            ("chased", vec![Reporters, Rung]),
        ];
        NoticeRules {
            rules: rules.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }
}

/// A rules file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("notice rules: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("notice rules: unknown kind {0:?} (known: {known})", known = KINDS.join(", "))]
    UnknownKind(String),
}

impl NoticeRules {
    /// The defaults with what `text` (TOML) says on top.
    pub fn from_toml(text: &str) -> Result<NoticeRules, RulesError> {
        let given: BTreeMap<String, Vec<Audience>> = toml::from_str(text)?;
        let mut rules = NoticeRules::default();
        for (kind, audiences) in given {
            if !KINDS.contains(&kind.as_str()) {
                return Err(RulesError::UnknownKind(kind));
            }
            rules.rules.insert(kind, audiences);
        }
        Ok(rules)
    }

    /// Who hears notices of `kind`.
    pub fn audiences(&self, kind: &str) -> &[Audience] {
        self.rules.get(kind).map_or(&[], Vec::as_slice)
    }

    /// Does `audience` hear notices of `kind`?
    pub fn tells(&self, kind: &str, audience: Audience) -> bool {
        self.audiences(kind).contains(&audience)
    }
}

fn excerpt(t: &Ticket) -> String {
    let mut s: String = t.text.chars().take(24).collect();
    if t.text.chars().count() > 24 {
        s.push('…');
    }
    s
}

/// The title every push carries.
pub const PUSH_TITLE_ZH: &str = "民情直通车";
pub const PUSH_TITLE_EN: &str = "Minqing";

fn push(zh: String, en: String) -> PushText {
    PushText {
        title_zh: PUSH_TITLE_ZH.into(),
        body_zh: zh,
        title_en: PUSH_TITLE_EN.into(),
        body_en: en,
    }
}

/// A unit gave the item back: its group's coordinators hear why.
pub fn declined(t: &Ticket, unit_name: &str, reason: &str) -> Option<Notice> {
    Some(Notice {
        to: Recipients::GroupRole(t.group?, Role::Coordinator),
        except: None,
        kind: "declined",
        zh: format!(
            "{unit_name}退回了“{}”：{reason}。该事项已回到待认领。",
            excerpt(t)
        ),
        en: format!(
            "{unit_name} declined \"{}\": {reason}. It is open to claim again.",
            excerpt(t)
        ),
        push: push(
            format!("{unit_name}退回了一件事项，请重新安排。"),
            format!("{unit_name} declined an item: please route it again."),
        ),
    })
}

fn clock_words(chase: &Chase) -> (&'static str, &'static str, &'static str, &'static str) {
    let (clock_zh, clock_en) = match chase.clock {
        ClockKind::Acceptance => ("受理", "acceptance"),
        ClockKind::Reply => ("答复", "reply"),
    };
    let (verb_zh, verb_en) = if chase.level == 1 {
        ("即将到期", "is due soon")
    } else {
        ("已超期", "is overdue")
    };
    (clock_zh, clock_en, verb_zh, verb_en)
}

/// A rung of the ladder fired on `t`: the people it names hear it.
pub fn chased(t: &Ticket, chase: &Chase) -> Option<Notice> {
    let to = match (chase.target, t.assigned_unit) {
        (ChaseTarget::UnitContact, Some(u)) => Recipients::UnitRole(u, Role::UnitContact),
        (ChaseTarget::UnitContact, None) => Recipients::GroupRole(t.group?, Role::UnitContact),
        (ChaseTarget::UnitHead, Some(u)) => Recipients::UnitRole(u, Role::UnitHead),
        // No unit yet: nobody's head to chase; the coordinator hears next.
        (ChaseTarget::UnitHead, None) => Recipients::GroupRole(t.group?, Role::Coordinator),
        (ChaseTarget::Coordinator, _) => Recipients::GroupRole(t.group?, Role::Coordinator),
        (ChaseTarget::Committee, _) => Recipients::Role(Role::CityStaff),
    };
    let (clock_zh, clock_en, verb_zh, verb_en) = clock_words(chase);
    Some(Notice {
        to,
        except: None,
        kind: "chased",
        zh: format!(
            "督办（第{}级）：“{}”的{clock_zh}时限{verb_zh}，请尽快办理。",
            chase.level,
            excerpt(t)
        ),
        en: format!(
            "Chase (level {}): the {clock_en} deadline of \"{}\" {verb_en}.",
            chase.level,
            excerpt(t)
        ),
        push: push(
            format!(
                "督办（第{}级）：一件事项的{clock_zh}时限{verb_zh}，请尽快办理。",
                chase.level
            ),
            format!(
                "Chase (level {}): an item's {clock_en} deadline {verb_en}.",
                chase.level
            ),
        ),
    })
}

/// The notices of a chase on `t`: its rung's people ([`chased`]) and, by
/// the rules, the reporters.
pub fn chase_notices(t: &Ticket, chase: &Chase, rules: &NoticeRules) -> Vec<Notice> {
    let mut out = Vec::new();
    for a in rules.audiences("chased") {
        match a {
            Audience::Rung => out.extend(chased(t, chase)),
            other => {
                let (clock_zh, clock_en, verb_zh, verb_en) = clock_words(chase);
                let zh = format!(
                    "督办：您反映的“{}”{clock_zh}时限{verb_zh}，平台已催办。",
                    excerpt(t)
                );
                let en = format!(
                    "Chase: the {clock_en} deadline of your item \"{}\" {verb_en}; the platform chased it.",
                    excerpt(t)
                );
                let p = push(
                    format!("您反映的一件事项{clock_zh}时限{verb_zh}，平台已催办。"),
                    format!("Your item's {clock_en} deadline {verb_en}; the platform chased it."),
                );
                out.extend(to_audience(t, *other, None, "chased", zh, en, p));
            }
        }
    }
    out
}

/// A notice of `kind` about `t` for audience `a`; `None` when the audience
/// is nobody here (no group, no unit, nobody but the actor).
fn to_audience(
    t: &Ticket,
    a: Audience,
    actor: Option<UserId>,
    kind: &'static str,
    zh: String,
    en: String,
    push: PushText,
) -> Option<Notice> {
    let to = match a {
        Audience::Reporters => {
            let mut users: Vec<UserId> = std::iter::once(t.reporter)
                .chain(t.co_reporters.iter().copied())
                .filter(|u| Some(*u) != actor)
                .collect();
            users.dedup();
            if users.is_empty() {
                return None;
            }
            Recipients::Users(users)
        }
        Audience::UnitContacts => match t.assigned_unit {
            Some(u) => Recipients::UnitRole(u, Role::UnitContact),
            None => Recipients::GroupRole(t.group?, Role::UnitContact),
        },
        Audience::UnitHeads => Recipients::UnitRole(t.assigned_unit?, Role::UnitHead),
        Audience::Coordinators => Recipients::GroupRole(t.group?, Role::Coordinator),
        // Only a chase has a rung.
        Audience::Rung => return None,
    };
    Some(Notice {
        to,
        except: actor,
        kind,
        zh,
        en,
        push,
    })
}

/// The notices for the events `t.timeline[from..]` (the steps one push just
/// applied; `from` = 0 for a new item), by `rules`. `unit_name` names a unit
/// (Chinese). The decline's coordinators are told by [`declined`], which
/// knows the declining unit and its reason: they are left out here.
pub fn for_events(
    t: &Ticket,
    from: usize,
    rules: &NoticeRules,
    unit_name: &mut dyn FnMut(UnitId) -> Option<String>,
) -> Vec<Notice> {
    let mut out = Vec::new();
    let x = excerpt(t);
    let unit = |u: Option<UnitId>, f: &mut dyn FnMut(UnitId) -> Option<String>| {
        u.and_then(f).unwrap_or_else(|| "承办单位".to_owned())
    };
    for e in t.timeline.iter().skip(from) {
        let actor = Some(e.actor);
        let (kind, zh, en, p): (&'static str, String, String, PushText) = match &e.kind {
            EventKind::Submitted => {
                if t.assigned_unit.is_some() {
                    (
                        "submitted",
                        format!("新事项“{x}”已交办贵单位，请受理。"),
                        format!("A new item \"{x}\" was routed to your unit: please accept it."),
                        push(
                            "有一件新事项交办贵单位，请受理。".into(),
                            "A new item was routed to your unit: please accept it.".into(),
                        ),
                    )
                } else {
                    (
                        "submitted",
                        format!("新事项“{x}”待认领。"),
                        format!("A new item \"{x}\" is open to claim."),
                        push(
                            "有一件新事项待认领。".into(),
                            "A new item is open to claim.".into(),
                        ),
                    )
                }
            }
            EventKind::Action { action } => {
                let by = unit(t.assigned_unit, unit_name);
                match action {
                    Action::Claim => (
                        "claimed",
                        format!("{by}已接单：“{x}”正在办理。"),
                        format!("{by} took up \"{x}\"."),
                        push(
                            format!("{by}已接单，您反映的事项正在办理。"),
                            format!("{by} took up your item."),
                        ),
                    ),
                    Action::Decline { .. } => (
                        "declined",
                        format!("“{x}”被退回，已回到待认领，等待重新安排。"),
                        format!("\"{x}\" was declined and is open to claim again."),
                        push(
                            "您反映的事项被退回，正在重新安排承办单位。".into(),
                            "Your item was declined; a unit is being found again.".into(),
                        ),
                    ),
                    Action::Ask { .. } => (
                        "asked",
                        format!("{by}就“{x}”提了一个问题，请回复。"),
                        format!("{by} asked a question about \"{x}\": please answer."),
                        push(
                            format!("{by}就您反映的事项提了一个问题，请在应用中回复。"),
                            format!("{by} asked about your item: please answer in the app."),
                        ),
                    ),
                    Action::Answer { .. } => (
                        "answered",
                        format!("代表回复了您关于“{x}”的问题。"),
                        format!("The deputy answered your question about \"{x}\"."),
                        push(
                            "代表回复了您的问题。".into(),
                            "The deputy answered your question.".into(),
                        ),
                    ),
                    Action::Reassign { .. } => (
                        "reassigned",
                        format!("“{x}”已改由{by}承办。"),
                        format!("\"{x}\" is now with {by}."),
                        push(
                            format!("一件事项已改由{by}承办。"),
                            format!("An item is now with {by}."),
                        ),
                    ),
                    Action::Reply { .. } => (
                        "replied",
                        format!("{by}答复了“{x}”，请查看并确认。"),
                        format!("{by} replied to \"{x}\": please read and confirm."),
                        push(
                            format!("{by}答复了您反映的事项，请查看。"),
                            format!("{by} replied to your item."),
                        ),
                    ),
                    Action::Resolve { .. } => (
                        "resolved",
                        format!("{by}已办结“{x}”，请确认。"),
                        format!("{by} resolved \"{x}\": please confirm."),
                        push(
                            format!("{by}已办结您反映的事项，请确认。"),
                            format!("{by} resolved your item: please confirm."),
                        ),
                    ),
                    Action::Reject { .. } => (
                        "reopened",
                        format!("代表对“{x}”的办理结果不满意，事项已重办。"),
                        format!("The deputy was not satisfied with \"{x}\": it is re-opened."),
                        push(
                            "一件事项因代表不满意已重办。".into(),
                            "An item was re-opened: the deputy was not satisfied.".into(),
                        ),
                    ),
                    Action::Confirm { .. } => (
                        "confirmed",
                        format!("代表确认“{x}”已办结。"),
                        format!("The deputy confirmed \"{x}\" is done."),
                        push(
                            "代表确认一件事项已办结。".into(),
                            "The deputy confirmed an item is done.".into(),
                        ),
                    ),
                    _ => continue,
                }
            }
            _ => continue,
        };
        for a in rules.audiences(kind) {
            if kind == "declined" && *a == Audience::Coordinators {
                continue;
            }
            out.extend(to_audience(
                t,
                *a,
                actor,
                kind,
                zh.clone(),
                en.clone(),
                p.clone(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_from_toml_on_top_of_the_defaults() {
        let r =
            NoticeRules::from_toml("claimed = []\nsubmitted = [\"unit_contacts\", \"unit_heads\"]")
                .expect("rules");
        assert!(r.audiences("claimed").is_empty());
        assert_eq!(
            r.audiences("submitted"),
            [Audience::UnitContacts, Audience::UnitHeads]
        );
        assert_eq!(r.audiences("resolved"), [Audience::Reporters]);
        assert!(matches!(
            NoticeRules::from_toml("claimd = []"),
            Err(RulesError::UnknownKind(_))
        ));
        assert!(NoticeRules::from_toml("claimed = [\"everyone\"]").is_err());
    }
}
