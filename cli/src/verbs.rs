//! The workflow verbs on the command line: what a unit contact, a coordinator
//! and the reporting deputy do to an item. Each acts on this device's store at
//! once (checked by the same state machine as the phone) and is queued; `sync`
//! sends it, and the server decides.

use clap::{Subcommand, ValueEnum};
use minqing_core::screens::{ActionInput, TicketDetail};
use minqing_core::Minqing;
use minqing_protocol::{OutcomePath, PhotoKind, ReviewLevel};
use std::path::PathBuf;

/// How the item was handled (counted in the monthly report): the protocol's
/// `OutcomePath`, by its wire name or a short one — `group` (直通车群办理),
/// `town` (镇街道办理), `city` (市级部门办理).
fn outcome(s: &str) -> Result<OutcomePath, String> {
    let wire = match s {
        "group" => "handled_in_group",
        "town" => "handled_by_town",
        "city" => "handled_by_city_department",
        other => other,
    };
    serde_json::from_value::<OutcomePath>(serde_json::Value::String(wire.into()))
        .ok()
        .filter(|o| *o != OutcomePath::ExplainedOnSpot)
        .ok_or_else(|| format!("{s}: one of group, town, city"))
}

#[derive(Debug, Clone, Subcommand)]
pub enum Verb {
    /// Claim an item for your unit (接单).
    Claim { id: String },
    /// Add a photo to an item: the deputy's evidence (the marking on the cover),
    /// or with --proof the unit's photo of the fix.
    AddPhoto {
        id: String,
        #[arg(long = "photo", required = true)]
        photos: Vec<PathBuf>,
        #[arg(long)]
        proof: bool,
    },
    /// "不是我们的": give the item back to the pool, with the reason.
    Decline {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Ask inside the item ("是哪种井盖？").
    Ask {
        id: String,
        #[arg(long)]
        text: String,
    },
    /// Answer a question (the reporting deputy).
    Answer {
        id: String,
        #[arg(long)]
        text: String,
    },
    /// Route the item to a unit (coordinators and staff), named as `list` shows it.
    Reassign {
        id: String,
        #[arg(long)]
        unit: String,
    },
    /// 答复: the unit's reply.
    Reply {
        id: String,
        #[arg(long)]
        text: String,
        #[arg(long, value_parser = outcome, default_value = "group")]
        outcome: OutcomePath,
    },
    /// 已处理好: resolved, with at least one proof photo of the fix.
    Resolve {
        id: String,
        #[arg(long)]
        text: String,
        #[arg(long = "photo", required = true)]
        photos: Vec<PathBuf>,
        #[arg(long, value_parser = outcome, default_value = "group")]
        outcome: OutcomePath,
    },
    /// Accept the result (the reporting deputy), optionally rating it 1–5.
    Confirm {
        id: String,
        #[arg(long)]
        rating: Option<u8>,
    },
    /// Not satisfied: the item re-opens as 重办.
    Reject {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Rate a closed item 1–5.
    Rate {
        id: String,
        #[arg(long)]
        stars: u8,
    },
    /// Mark an item reviewed: 初审 (town staff) or 复审 (city staff).
    Review {
        id: String,
        #[arg(long, value_enum)]
        level: LevelArg,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 交办: put an item on an assignment list to the government (city staff).
    Assign {
        id: String,
        #[arg(long)]
        list: String,
    },
    /// Record the government's feedback on an assigned item (city staff).
    Feedback {
        id: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        resolved: bool,
    },
}

/// Which review level.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LevelArg {
    /// 初审: town/street staff.
    Town,
    /// 复审: city staff.
    City,
}

/// Add photo files to an item; returns their ids.
fn add_photos(
    core: &Minqing,
    id: &str,
    photos: &[PathBuf],
    kind: PhotoKind,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut ids = Vec::new();
    for p in photos {
        let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let photo = core
            .tickets()
            .add_photo_bytes(id.to_owned(), bytes, kind)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        ids.push(photo);
    }
    Ok(ids)
}

/// Do `verb` on this device; returns the item as it now stands locally.
pub fn run(core: &Minqing, verb: Verb) -> Result<TicketDetail, Box<dyn std::error::Error>> {
    let resolve = |h: &str| crate::net::resolve(core, h);
    let (id, input) = match verb {
        Verb::Claim { id } => (resolve(&id)?, ActionInput::Claim),
        Verb::Decline { id, reason } => (resolve(&id)?, ActionInput::Decline { reason }),
        Verb::Ask { id, text } => (resolve(&id)?, ActionInput::Ask { text }),
        Verb::Answer { id, text } => (resolve(&id)?, ActionInput::Answer { text }),
        Verb::Reassign { id, unit } => (
            resolve(&id)?,
            ActionInput::Reassign {
                unit_id: crate::net::unit_by_name(core, &unit)?,
            },
        ),
        Verb::Reply { id, text, outcome } => (resolve(&id)?, ActionInput::Reply { text, outcome }),
        Verb::Resolve {
            id,
            text,
            photos,
            outcome,
        } => {
            let id = resolve(&id)?;
            let proof_photo_ids = add_photos(core, &id, &photos, PhotoKind::Proof)?;
            (
                id,
                ActionInput::Resolve {
                    text,
                    outcome,
                    proof_photo_ids,
                },
            )
        }
        Verb::Confirm { id, rating } => (resolve(&id)?, ActionInput::Confirm { rating }),
        Verb::Reject { id, reason } => (resolve(&id)?, ActionInput::Reject { reason }),
        Verb::Rate { id, stars } => (resolve(&id)?, ActionInput::Rate { stars }),
        Verb::Review { id, level, note } => (
            resolve(&id)?,
            ActionInput::Review {
                level: match level {
                    LevelArg::Town => ReviewLevel::Town,
                    LevelArg::City => ReviewLevel::City,
                },
                note,
            },
        ),
        Verb::Assign { id, list } => (resolve(&id)?, ActionInput::AssignToGovernment { list }),
        Verb::Feedback { id, text, resolved } => (
            resolve(&id)?,
            ActionInput::GovernmentFeedback { text, resolved },
        ),
        Verb::AddPhoto { id, photos, proof } => {
            let id = resolve(&id)?;
            let kind = if proof {
                PhotoKind::Proof
            } else {
                PhotoKind::Evidence
            };
            add_photos(core, &id, &photos, kind)?;
            return Ok(core.tickets().detail(id)?);
        }
    };
    Ok(core.tickets().act(id, input)?)
}
