//! The workflow of the direct lines on the server: the rules of the clocks (the
//! working-day calendar and the deadline policy) and the escalation scheduler
//! that chases late items ([`escalation`]).
//!
//! The rules themselves are pure and live in `minqing_protocol::{calendar,
//! clocks}`; this module holds the deployment's copy of their data and runs them.

pub mod escalation;
pub mod notify;
pub mod reference;

use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::Policy;
use minqing_protocol::taxonomy::{RoutingRules, Taxonomy};
use minqing_protocol::{NewTicket, Ticket};

/// The deployment's reference data the workflow runs on: the calendar an admin
/// loaded, the clocks' policy, the taxonomy and the routing rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workflow {
    pub calendar: Calendar,
    pub policy: Policy,
    /// Empty: any category is accepted as given.
    pub taxonomy: Taxonomy,
    pub routing: RoutingRules,
    /// Who hears which kind of step (`notify`).
    pub notices: notify::NoticeRules,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("calendar {file}: {source}")]
    Calendar {
        file: String,
        source: minqing_protocol::calendar::CalendarError,
    },
    /// One line per problem, each naming the file (`routing: rule 2: …`).
    #[error("{}", reference_lines(file, source))]
    Reference {
        file: String,
        source: Box<minqing_protocol::taxonomy::TaxonomyError>,
    },
    #[error("calendar dir {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

fn reference_lines(file: &str, source: &minqing_protocol::taxonomy::TaxonomyError) -> String {
    let lines: Vec<String> = source
        .problems()
        .iter()
        .map(|p| format!("{file}: {p}"))
        .collect();
    lines.join("\n")
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

    /// When the scheduler must look at `t` next (`None`: nothing scheduled).
    pub fn next_due(&self, t: &Ticket) -> Option<i64> {
        minqing_protocol::clocks::next_due(t, &self.calendar, &self.policy)
    }

    /// What is stored with `t` besides its body: [`Workflow::next_due`] and
    /// when its earliest running clock turns yellow and red (the console's
    /// board counts colours from these; `crate::store::listing`).
    pub fn schedule(&self, t: &Ticket) -> crate::store::tickets::Schedule {
        let clocks = minqing_protocol::clocks::running_clocks(t, &self.calendar, &self.policy);
        crate::store::tickets::Schedule {
            next_due: self.next_due(t),
            warn_at: clocks.iter().map(|c| c.warn_at).min(),
            due_at: clocks.iter().map(|c| c.due_at).min(),
        }
    }
}
