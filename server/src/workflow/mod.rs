//! The workflow of the direct lines on the server: the rules of the clocks (the
//! working-day calendar and the deadline policy) and the escalation scheduler
//! that chases late items ([`escalation`]).
//!
//! The rules themselves are pure and live in `minqing_protocol::{calendar,
//! clocks}`; this module holds the deployment's copy of their data and runs them.

pub mod escalation;

use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::Policy;
use minqing_protocol::Ticket;
use std::path::Path;

/// The data the clocks run on: the calendar an admin loaded and the policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workflow {
    pub calendar: Calendar,
    pub policy: Policy,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("calendar {file}: {source}")]
    Calendar {
        file: String,
        source: minqing_protocol::calendar::CalendarError,
    },
    #[error("calendar dir {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

impl Workflow {
    pub fn new(calendar: Calendar, policy: Policy) -> Self {
        Workflow { calendar, policy }
    }

    /// Load every `*.toml` year file in `dir` (see `minqing_protocol::calendar`
    /// for the format), in name order. One bad file refuses the whole directory.
    pub fn load_calendar_dir(dir: &Path) -> Result<Calendar, WorkflowError> {
        let io = |source| WorkflowError::Io {
            dir: dir.display().to_string(),
            source,
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut cal = Calendar::new();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(io)?;
            cal.load_year(&text)
                .map_err(|source| WorkflowError::Calendar {
                    file: f.display().to_string(),
                    source,
                })?;
        }
        Ok(cal)
    }

    /// When the scheduler must look at `t` next (`None`: nothing scheduled).
    pub fn next_due(&self, t: &Ticket) -> Option<i64> {
        minqing_protocol::clocks::next_due(t, &self.calendar, &self.policy)
    }
}
