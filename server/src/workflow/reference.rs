//! The reference data the workflow runs on, as text files: the taxonomy, the
//! routing rules and one calendar file per year. The deployment's configured
//! files (or the bundled examples) are the defaults; what an admin loads
//! through the API (`crate::http::admin`) is stored in the database and wins,
//! file by file. Every change is checked by building the whole [`Workflow`]
//! from the result first, so a file that would break another (routing rules
//! naming a category the new taxonomy lacks) is refused and nothing changes.

use super::{Workflow, WorkflowError};
use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::Policy;
use minqing_protocol::taxonomy::{
    RoutingRules, Taxonomy, EXAMPLE_ROUTING_TOML, EXAMPLE_TAXONOMY_TOML,
};
use std::collections::BTreeMap;
use std::path::Path;

/// Stored names: `taxonomy`, `routing`, `calendar/<year>`.
pub const TAXONOMY: &str = "taxonomy";
pub const ROUTING: &str = "routing";
pub const CALENDAR_PREFIX: &str = "calendar/";

/// The text of every reference file, by stored name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reference {
    pub files: BTreeMap<String, String>,
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> WorkflowError + '_ {
    move |source| WorkflowError::Io {
        dir: p.display().to_string(),
        source,
    }
}

impl Reference {
    /// The configured defaults: the files named, else the bundled examples, and
    /// every `*.toml` year file in `calendar_dir`.
    pub fn configured(
        taxonomy: Option<&Path>,
        routing: Option<&Path>,
        calendar_dir: Option<&Path>,
    ) -> Result<Reference, WorkflowError> {
        let mut files = BTreeMap::new();
        let text = |p: Option<&Path>, example: &str| match p {
            Some(p) => std::fs::read_to_string(p).map_err(io(p)),
            None => Ok(example.to_owned()),
        };
        files.insert(TAXONOMY.to_owned(), text(taxonomy, EXAMPLE_TAXONOMY_TOML)?);
        files.insert(ROUTING.to_owned(), text(routing, EXAMPLE_ROUTING_TOML)?);
        if let Some(dir) = calendar_dir {
            let mut paths: Vec<_> = std::fs::read_dir(dir)
                .map_err(io(dir))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for p in paths {
                let body = std::fs::read_to_string(&p).map_err(io(&p))?;
                let year = year_of(&body).map_err(|source| WorkflowError::Calendar {
                    file: p.display().to_string(),
                    source,
                })?;
                files.insert(format!("{CALENDAR_PREFIX}{year}"), body);
            }
        }
        Ok(Reference { files })
    }

    /// These defaults with `stored` (what an admin loaded) on top.
    pub fn with(&self, stored: impl IntoIterator<Item = (String, String)>) -> Reference {
        let mut files = self.files.clone();
        files.extend(stored);
        Reference { files }
    }

    /// Parse and cross-check everything into a workflow with the default policy.
    pub fn build(&self) -> Result<Workflow, WorkflowError> {
        let bad = |file: &str| {
            let file = file.to_owned();
            move |source| WorkflowError::Reference {
                file,
                source: Box::new(source),
            }
        };
        let empty = String::new();
        let taxonomy = Taxonomy::from_toml(self.files.get(TAXONOMY).unwrap_or(&empty))
            .map_err(bad(TAXONOMY))?;
        let routing = RoutingRules::from_toml(self.files.get(ROUTING).unwrap_or(&empty), &taxonomy)
            .map_err(bad(ROUTING))?;
        let mut calendar = Calendar::new();
        for (name, body) in self.files.range(CALENDAR_PREFIX.to_owned()..) {
            if !name.starts_with(CALENDAR_PREFIX) {
                break;
            }
            calendar
                .load_year(body)
                .map_err(|source| WorkflowError::Calendar {
                    file: name.clone(),
                    source,
                })?;
        }
        Ok(Workflow::new(calendar, Policy::default()).with_reference(taxonomy, routing))
    }
}

/// The year a calendar file describes (checked whole).
pub fn year_of(body: &str) -> Result<i32, minqing_protocol::calendar::CalendarError> {
    Calendar::new().load_year(body)
}
