//! The workflow of the direct lines on the server: the rules of the clocks (the
//! working-day calendar and the deadline policy) and the escalation scheduler
//! that chases late items ([`escalation`]).
//!
//! The rules themselves are pure and live in `minqing_protocol::{calendar,
//! clocks}`; this module holds the deployment's copy of their data and runs them.

pub mod escalation;

use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::Policy;
use minqing_protocol::taxonomy::{RoutingRules, Taxonomy};
use minqing_protocol::{NewTicket, Ticket};
use std::path::Path;

/// The deployment's reference data the workflow runs on: the calendar an admin
/// loaded, the clocks' policy, the taxonomy and the routing rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workflow {
    pub calendar: Calendar,
    pub policy: Policy,
    /// Empty: any category is accepted as given.
    pub taxonomy: Taxonomy,
    pub routing: RoutingRules,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("calendar {file}: {source}")]
    Calendar {
        file: String,
        source: minqing_protocol::calendar::CalendarError,
    },
    #[error("{file}: {source}")]
    Reference {
        file: String,
        source: Box<minqing_protocol::taxonomy::TaxonomyError>,
    },
    #[error("calendar dir {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

impl Workflow {
    pub fn new(calendar: Calendar, policy: Policy) -> Self {
        Workflow {
            calendar,
            policy,
            ..Default::default()
        }
    }

    /// Use `taxonomy` (its categories' reply spans go into the policy) and
    /// `routing`.
    pub fn with_reference(mut self, taxonomy: Taxonomy, routing: RoutingRules) -> Self {
        self.policy.reply_within_by_category = taxonomy.reply_within_by_category();
        self.taxonomy = taxonomy;
        self.routing = routing;
        self
    }

    /// Read a taxonomy and routing rules from files; `None` takes the bundled
    /// examples (`data/*.example.toml`, demo only).
    pub fn load_reference(
        taxonomy: Option<&Path>,
        routing: Option<&Path>,
    ) -> Result<(Taxonomy, RoutingRules), WorkflowError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| WorkflowError::Io {
                dir: p.display().to_string(),
                source,
            })
        };
        let bad = |file: &str| {
            let file = file.to_owned();
            move |source| WorkflowError::Reference {
                file,
                source: Box::new(source),
            }
        };
        let taxonomy = match taxonomy {
            Some(p) => Taxonomy::from_toml(&read(p)?).map_err(bad(&p.display().to_string()))?,
            None => Taxonomy::example().map_err(bad("taxonomy.example.toml"))?,
        };
        let routing = match routing {
            Some(p) => RoutingRules::from_toml(&read(p)?, &taxonomy)
                .map_err(bad(&p.display().to_string()))?,
            None => RoutingRules::example().map_err(bad("routing.example.toml"))?,
        };
        Ok((taxonomy, routing))
    }

    /// A submission's category and item as the taxonomy knows them: unknown
    /// codes (a device with an older list) are dropped rather than refused —
    /// the item is kept, and the town's first review classifies it.
    pub fn classify(&self, new: &mut NewTicket) {
        if self.taxonomy.categories.is_empty() {
            return;
        }
        let category = new
            .category
            .as_deref()
            .and_then(|c| self.taxonomy.category(c));
        match category {
            None => {
                new.category = None;
                new.item = None;
            }
            Some(c) => {
                if new.item.as_deref().is_some_and(|i| c.item(i).is_none()) {
                    new.item = None;
                }
            }
        }
    }

    /// The unit key the routing rules suggest for `t`, and a description of the
    /// match for the timeline.
    pub fn suggest(&self, t: &Ticket) -> Option<(String, String)> {
        let key = self.routing.suggest(
            t.category.as_deref(),
            t.item.as_deref(),
            t.jurisdiction.as_deref(),
        )?;
        let what = [
            t.category.as_deref(),
            t.item.as_deref(),
            t.jurisdiction.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        Some((key.to_owned(), format!("{what} → {key}")))
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
