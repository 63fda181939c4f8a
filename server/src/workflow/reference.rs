//! The reference data the workflow runs on, as text files: the taxonomy, the
//! routing rules and one calendar file per year. The defaults are the
//! deployment's configured files (or the bundled examples), and for the calendar
//! the State Council's arrangements compiled into the binary
//! ([`OFFICIAL_YEARS`]) with the configured `calendar_dir`'s years on top; what an
//! admin loads through the API (`crate::http::admin`) is stored in the database
//! and wins, file by file (a calendar file is one year). Every change is checked by building the whole [`Workflow`]
//! from the result first, so a file that would break another (routing rules
//! naming a category the new taxonomy lacks) is refused and nothing changes.

use super::{Workflow, WorkflowError};
use minqing_protocol::calendar::{local_date, Calendar, OFFICIAL_YEARS};
use minqing_protocol::clocks::Policy;
use minqing_protocol::taxonomy::{
    RoutingRules, Taxonomy, EXAMPLE_ROUTING_TOML, EXAMPLE_TAXONOMY_TOML,
};
use minqing_protocol::ticket::Timestamp;
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
    /// The configured defaults: the files named, else the bundled examples; the
    /// shipped calendar years, each replaced by the year file for it in
    /// `calendar_dir` if there is one (every `*.toml` there is read).
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
        for (year, body) in OFFICIAL_YEARS {
            files.insert(format!("{CALENDAR_PREFIX}{year}"), (*body).to_owned());
        }
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

/// The years a deadline set at `now` may reach (this one and that of two months
/// on: the reply clock runs a month, longer over holidays) that no loaded
/// calendar file covers: their deadlines count Monday to Friday only.
pub fn uncovered_years(calendar: &Calendar, now: Timestamp) -> Vec<i32> {
    const TWO_MONTHS_MS: Timestamp = 62 * 24 * 3_600_000;
    let mut years = vec![];
    for d in [
        local_date(now),
        local_date(now.saturating_add(TWO_MONTHS_MS)),
    ] {
        if !calendar.covers(d) && !years.contains(&d.year()) {
            years.push(d.year());
        }
    }
    years
}

/// The year a calendar file describes (checked whole).
pub fn year_of(body: &str) -> Result<i32, minqing_protocol::calendar::CalendarError> {
    Calendar::new().load_year(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn shipped_years_are_the_default_and_a_configured_year_replaces_one() {
        let shipped = Reference::configured(None, None, None).expect("defaults");
        let wf = shipped.build().expect("builds");
        let years: Vec<i32> = wf.calendar.years().collect();
        let official: Vec<i32> = OFFICIAL_YEARS.iter().map(|(y, _)| *y).collect();
        assert_eq!(years, official);
        // The 2020 arrangement as extended: Friday 31 January 2020 is off.
        assert!(!wf.calendar.is_working_day(date!(2020 - 01 - 31)));

        let tmp = tempfile::tempdir().expect("dir");
        let dir = tmp.path();
        // A deployment's own 2020 (a Monday–Friday year) and an extra year, 2008.
        std::fs::write(dir.join("mine-2020.toml"), "year = 2020\nsource = 'ours'\n").expect("w");
        std::fs::write(
            dir.join("2008.toml"),
            include_str!("../../../protocol/tests/fixtures/calendar-2008.toml"),
        )
        .expect("w");
        let configured = Reference::configured(None, None, Some(dir)).expect("configured");
        let wf = configured.build().expect("builds");
        let mut want = vec![2008];
        want.extend(&official);
        assert_eq!(wf.calendar.years().collect::<Vec<_>>(), want);
        assert!(
            wf.calendar.is_working_day(date!(2020 - 01 - 31)),
            "2020 replaced"
        );
        assert_eq!(
            wf.calendar
                .source(2020)
                .and_then(|s| s.notice.title.as_deref()),
            Some("ours")
        );
        assert!(
            !wf.calendar.is_working_day(date!(2021 - 02 - 12)),
            "2021 shipped"
        );
        assert!(
            wf.calendar.is_working_day(date!(2007 - 12 - 29)),
            "2008's make-up day"
        );

        // An admin's stored year wins over both.
        let stored = configured.with([(
            format!("{CALENDAR_PREFIX}2021"),
            "year = 2021\nsource = 'admin'\n".to_owned(),
        )]);
        let wf = stored.build().expect("builds");
        assert!(
            wf.calendar.is_working_day(date!(2021 - 02 - 12)),
            "2021 replaced"
        );
    }

    /// What the admin API answers a refused file with (`文件未通过检查：` and
    /// this): every problem on a line of its own, naming the file.
    #[test]
    fn a_refused_file_names_every_problem_on_its_own_line() {
        let shipped = Reference::configured(None, None, None).expect("defaults");
        let bad = shipped.with([(
            ROUTING.to_owned(),
            "rules = [\n { category = \"C99\", unit = \"mobile\" },\n { category = \"C05\", unit = \"\" },\n]\n"
                .to_owned(),
        )]);
        let e = bad.build().expect_err("refused").to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 2, "{e}");
        assert!(
            lines[0].starts_with("routing: routing rule 1: ") && lines[0].contains("C99"),
            "{e}"
        );
        assert_eq!(lines[1], "routing: routing rule 2: empty unit");
    }

    #[test]
    fn uncovered_years_are_those_deadlines_set_now_can_reach() {
        let cal = Calendar::official().expect("shipped");
        let at = |d: time::Date| minqing_protocol::calendar::start_of_day(d) + 9 * 3_600_000;
        assert_eq!(
            uncovered_years(&cal, at(date!(2026 - 06 - 01))),
            Vec::<i32>::new()
        );
        assert_eq!(uncovered_years(&cal, at(date!(2026 - 11 - 29))), vec![2027]);
        assert_eq!(uncovered_years(&cal, at(date!(2027 - 03 - 01))), vec![2027]);
        assert_eq!(uncovered_years(&cal, at(date!(2018 - 12 - 01))), vec![2018]);
        assert_eq!(
            uncovered_years(&Calendar::new(), at(date!(2026 - 12 - 01))),
            vec![2026, 2027]
        );
    }
}
