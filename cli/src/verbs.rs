//! The workflow verbs on the command line: what a unit contact, a coordinator
//! and the reporting deputy do to an item. Each acts on this device's store at
//! once (checked by the same state machine as the phone) and is queued; `sync`
//! sends it, and the server decides.

use clap::{Subcommand, ValueEnum};
use minqing_core::api_workflow::Outcome;
use minqing_core::views::TicketView;
use minqing_core::Minqing;
use std::path::PathBuf;

/// How the item was handled (counted in the monthly report).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutcomeArg {
    /// 直通车群办理
    Group,
    /// 镇街道办理
    Town,
    /// 市级部门办理
    City,
}

impl From<OutcomeArg> for Outcome {
    fn from(o: OutcomeArg) -> Self {
        match o {
            OutcomeArg::Group => Outcome::HandledInGroup,
            OutcomeArg::Town => Outcome::HandledByTown,
            OutcomeArg::City => Outcome::HandledByCityDepartment,
        }
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum Verb {
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
    /// Route the item to a unit (coordinators and staff).
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
        #[arg(long, value_enum, default_value = "group")]
        outcome: OutcomeArg,
    },
    /// 已处理好: resolved, with at least one proof photo of the fix.
    Resolve {
        id: String,
        #[arg(long)]
        text: String,
        #[arg(long = "photo", required = true)]
        photos: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "group")]
        outcome: OutcomeArg,
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

/// Do `verb` on this device; returns the item as it now stands locally.
pub fn run(core: &Minqing, verb: Verb) -> Result<TicketView, Box<dyn std::error::Error>> {
    Ok(match verb {
        Verb::Decline { id, reason } => core.decline(id, reason)?,
        Verb::Ask { id, text } => core.ask(id, text)?,
        Verb::Answer { id, text } => core.answer(id, text)?,
        Verb::Reassign { id, unit } => core.reassign(id, unit)?,
        Verb::Reply { id, text, outcome } => core.reply(id, text, outcome.into())?,
        Verb::Resolve {
            id,
            text,
            photos,
            outcome,
        } => {
            let mut proof = Vec::new();
            for p in &photos {
                let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
                let photo = core
                    .add_ticket_photo_bytes(id.clone(), bytes, true)
                    .map_err(|e| format!("{}: {e}", p.display()))?;
                proof.push(photo);
            }
            core.resolve(id, text, outcome.into(), proof)?
        }
        Verb::Confirm { id, rating } => core.confirm(id, rating)?,
        Verb::Reject { id, reason } => core.reject(id, reason)?,
        Verb::Rate { id, stars } => core.rate(id, stars)?,
        Verb::Review { id, level, note } => {
            core.review(id, matches!(level, LevelArg::City), note)?
        }
        Verb::Assign { id, list } => core.assign_to_government(id, list)?,
        Verb::Feedback { id, text, resolved } => {
            core.record_government_feedback(id, text, resolved)?
        }
    })
}
