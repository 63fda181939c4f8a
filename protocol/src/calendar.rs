//! The working-day calendar: which days count for the deadlines.
//!
//! Chinese official working days are Monday to Friday, except the public holidays
//! the State Council announces each year, plus the weekend days it declares
//! make-up workdays (调休上班). None of that is computed: the days come from one
//! file per year, in the format below, and this module only answers questions
//! about the days it was given. The State Council's own arrangements ship with
//! the product ([`OFFICIAL_YEARS`], `data/calendar/`); an admin may load or
//! replace any year. A year nobody loaded falls back to plain Monday–Friday, and
//! [`Calendar::covers`] says so, so the server can warn instead of guessing.
//!
//! # File format (TOML, one file per year)
//! ```toml
//! year = 2020
//! source = "国务院办公厅关于2020年部分节假日安排的通知"   # the notice's title
//! document = "国办发明电〔2019〕16号"                      # its number (optional)
//! issued = "2019-11-21"                                   # the date it bears (optional)
//!
//! [[amendments]]               # later notices already applied to the days below
//! source = "国务院办公厅关于延长2020年春节假期的通知"
//! document = "国办发明电〔2020〕1号"
//! issued = "2020-01-26"
//!
//! [[holidays]]                 # days off, inclusive ranges
//! name_zh = "国庆节、中秋节"
//! name_en = "National Day and Mid-Autumn Festival"
//! from = "2020-10-01"
//! to = "2020-10-08"
//!
//! [[workdays]]                 # weekend days worked instead (调休上班)
//! date = "2020-09-27"
//! name_zh = "国庆节、中秋节调休"
//! ```
//! A file says what its notice says, including days in the neighbouring year:
//! 2008's New Year holiday runs from 2007-12-30 and its make-up day is Saturday
//! 2007-12-29. Such days may lie in December of the year before or January of the
//! year after — no further, so a mistyped year is still refused — and a holiday
//! range must include at least one day of its own year. When two loaded years
//! mention the same date they must agree (both off, or both worked); a date one
//! file makes a day off and another a make-up workday refuses the second file.
//!
//! Dates are local dates in China Standard Time (UTC+8, no daylight saving), which
//! is also the zone every deadline is measured in.

use crate::ticket::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;
use time::macros::{format_description, offset};
use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

/// China Standard Time: the zone of every local date and deadline.
pub const CHINA_TIME: UtcOffset = offset!(+8);

/// The longest holiday range accepted (Spring Festival and National Day are 8–9
/// days, 2020's extended Spring Festival 10); anything longer is a typo.
const MAX_HOLIDAY_DAYS: i64 = 15;

/// The State Council's holiday arrangements shipped with the product, one file
/// per year as `data/calendar/<year>.toml` (sources in `data/calendar/README.md`).
/// A year whose notice was not published, or could not be checked, is absent.
pub const OFFICIAL_YEARS: &[(i32, &str)] = &[
    (2019, include_str!("../../data/calendar/2019.toml")),
    (2020, include_str!("../../data/calendar/2020.toml")),
    (2021, include_str!("../../data/calendar/2021.toml")),
    (2022, include_str!("../../data/calendar/2022.toml")),
    (2023, include_str!("../../data/calendar/2023.toml")),
    (2024, include_str!("../../data/calendar/2024.toml")),
    (2025, include_str!("../../data/calendar/2025.toml")),
    (2026, include_str!("../../data/calendar/2026.toml")),
];

/// Why a calendar file was refused. Nothing is loaded from a refused file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("not a calendar file: {0}")]
    Syntax(String),
    #[error("{field}: {value:?} is not a date (YYYY-MM-DD)")]
    BadDate { field: &'static str, value: String },
    #[error("holiday {name}: ends ({to}) before it starts ({from})")]
    Backwards { name: String, from: Date, to: Date },
    #[error("holiday {name}: {days} days is longer than any official holiday")]
    TooLong { name: String, days: i64 },
    #[error(
        "{date} is not in year {year} (a year's file may reach only into December of the \
         year before and January of the year after)"
    )]
    OutsideYear { date: Date, year: i32 },
    #[error("holiday {name}: {from} to {to} has no day in year {year}")]
    NotInYear {
        name: String,
        from: Date,
        to: Date,
        year: i32,
    },
    #[error("{date} is both a holiday and a make-up workday")]
    Conflict { date: Date },
    #[error(
        "{date}: the {workday_year} file makes it a make-up workday, the {holiday_year} file \
         a day off ({holiday})"
    )]
    YearsDisagree {
        date: Date,
        workday_year: i32,
        holiday_year: i32,
        holiday: String,
    },
    #[error("make-up workday {date} is a {weekday} (make-up days are weekend days)")]
    NotWeekend { date: Date, weekday: Weekday },
    #[error("year {0} is already loaded")]
    DuplicateYear(i32),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    document: Option<String>,
    #[serde(default)]
    issued: Option<String>,
    #[serde(default)]
    amendments: Vec<AmendmentFile>,
    #[serde(default)]
    holidays: Vec<HolidayRange>,
    #[serde(default)]
    workdays: Vec<MakeUpDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AmendmentFile {
    source: String,
    #[serde(default)]
    document: Option<String>,
    #[serde(default)]
    issued: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayRange {
    name_zh: String,
    #[serde(default)]
    #[allow(dead_code)]
    name_en: Option<String>,
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MakeUpDay {
    date: String,
    #[serde(default)]
    name_zh: Option<String>,
}

/// A notice a year's file names: its title, document number and date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notice {
    /// The title (`source`), e.g. 国务院办公厅关于2020年部分节假日安排的通知.
    pub title: Option<String>,
    /// The document number, e.g. 国办发明电〔2019〕16号.
    pub document: Option<String>,
    /// The date the notice bears.
    pub issued: Option<Date>,
}

/// Where a loaded year's days come from, as its file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearSource {
    pub notice: Notice,
    /// Later notices that changed the year (already applied to its days).
    pub amendments: Vec<Notice>,
}

/// A day a file mentions: what it is called and which year's file said so.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mention {
    name: String,
    year: i32,
}

/// The days that count, for the years loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Each loaded year and where its file says it comes from.
    years: BTreeMap<i32, YearSource>,
    /// Day off → the holiday's Chinese name.
    holidays: BTreeMap<Date, Mention>,
    /// Make-up workday → what it makes up for.
    workdays: BTreeMap<Date, Mention>,
}

fn parse_date(field: &'static str, s: &str) -> Result<Date, CalendarError> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).map_err(|_| {
        CalendarError::BadDate {
            field,
            value: s.chars().take(40).collect(),
        }
    })
}

/// May a file for `year` mention `date`? Its own year, December of the year
/// before, January of the year after.
fn within_reach(date: Date, year: i32) -> bool {
    let y = date.year();
    y == year
        || (y == year - 1 && date.month() == Month::December)
        || (y == year + 1 && date.month() == Month::January)
}

fn parse_issued(s: &Option<String>) -> Result<Option<Date>, CalendarError> {
    s.as_deref().map(|d| parse_date("issued", d)).transpose()
}

/// Record `date` in `map` for `year`, keeping the name of the file whose own
/// year the date is in when two files agree about it.
fn mention(map: &mut BTreeMap<Date, Mention>, date: Date, name: &str, year: i32) {
    match map.get(&date) {
        Some(m) if m.year == date.year() || year != date.year() => {}
        _ => {
            map.insert(
                date,
                Mention {
                    name: name.to_owned(),
                    year,
                },
            );
        }
    }
}

impl Calendar {
    /// No year loaded: Monday to Friday only.
    pub fn new() -> Self {
        Self::default()
    }

    /// A calendar from several year files (see the module docs for the format).
    pub fn from_files<'a>(files: impl IntoIterator<Item = &'a str>) -> Result<Self, CalendarError> {
        let mut cal = Calendar::new();
        for f in files {
            cal.load_year(f)?;
        }
        Ok(cal)
    }

    /// The State Council's arrangements shipped with the product ([`OFFICIAL_YEARS`]).
    pub fn official() -> Result<Self, CalendarError> {
        Self::from_files(OFFICIAL_YEARS.iter().map(|(_, text)| *text))
    }

    /// Add one year file; all or nothing. Returns the year it described.
    pub fn load_year(&mut self, toml_text: &str) -> Result<i32, CalendarError> {
        let file: YearFile =
            toml::from_str(toml_text).map_err(|e| CalendarError::Syntax(e.message().to_owned()))?;
        let year = file.year;
        if self.years.contains_key(&year) {
            return Err(CalendarError::DuplicateYear(year));
        }
        let source = YearSource {
            notice: Notice {
                title: file.source.clone(),
                document: file.document.clone(),
                issued: parse_issued(&file.issued)?,
            },
            amendments: file
                .amendments
                .iter()
                .map(|a| {
                    Ok(Notice {
                        title: Some(a.source.clone()),
                        document: a.document.clone(),
                        issued: parse_issued(&a.issued)?,
                    })
                })
                .collect::<Result<_, CalendarError>>()?,
        };
        let mut holidays = BTreeMap::new();
        for h in &file.holidays {
            let from = parse_date("from", &h.from)?;
            let to = parse_date("to", &h.to)?;
            if to < from {
                return Err(CalendarError::Backwards {
                    name: h.name_zh.clone(),
                    from,
                    to,
                });
            }
            let days = (to - from).whole_days() + 1;
            if days > MAX_HOLIDAY_DAYS {
                return Err(CalendarError::TooLong {
                    name: h.name_zh.clone(),
                    days,
                });
            }
            for end in [from, to] {
                if !within_reach(end, year) {
                    return Err(CalendarError::OutsideYear { date: end, year });
                }
            }
            // A range may start in December (New Year's Day from 30 December) but
            // must hold a day of its own year.
            if from.year() != year && to.year() != year {
                return Err(CalendarError::NotInYear {
                    name: h.name_zh.clone(),
                    from,
                    to,
                    year,
                });
            }
            let mut d = from;
            while d <= to {
                holidays.insert(d, h.name_zh.clone());
                d = match d.next_day() {
                    Some(n) => n,
                    None => break,
                };
            }
        }
        let mut workdays = BTreeMap::new();
        for w in &file.workdays {
            let date = parse_date("date", &w.date)?;
            if !within_reach(date, year) {
                return Err(CalendarError::OutsideYear { date, year });
            }
            if holidays.contains_key(&date) {
                return Err(CalendarError::Conflict { date });
            }
            if let Some(other) = self.holidays.get(&date) {
                return Err(CalendarError::YearsDisagree {
                    date,
                    workday_year: year,
                    holiday_year: other.year,
                    holiday: other.name.clone(),
                });
            }
            let weekday = date.weekday();
            if !is_weekend(weekday) {
                return Err(CalendarError::NotWeekend { date, weekday });
            }
            workdays.insert(date, w.name_zh.clone().unwrap_or_default());
        }
        for (date, name) in &holidays {
            if let Some(other) = self.workdays.get(date) {
                return Err(CalendarError::YearsDisagree {
                    date: *date,
                    workday_year: other.year,
                    holiday_year: year,
                    holiday: name.clone(),
                });
            }
        }
        self.years.insert(year, source);
        for (date, name) in &holidays {
            mention(&mut self.holidays, *date, name, year);
        }
        for (date, name) in &workdays {
            mention(&mut self.workdays, *date, name, year);
        }
        Ok(year)
    }

    /// Where a loaded year's file says its days come from.
    pub fn source(&self, year: i32) -> Option<&YearSource> {
        self.years.get(&year)
    }

    /// Was the year of `date` loaded? If not, answers for it are Monday–Friday only.
    pub fn covers(&self, date: Date) -> bool {
        self.years.contains_key(&date.year())
    }

    /// The years loaded.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        if self.workdays.contains_key(&date) {
            return true;
        }
        !self.holidays.contains_key(&date) && !is_weekend(date.weekday())
    }

    /// The holiday `date` belongs to, if it is one.
    pub fn holiday_name(&self, date: Date) -> Option<&str> {
        self.holidays.get(&date).map(|m| m.name.as_str())
    }

    /// `date` itself if it is a working day, else the next one.
    pub fn working_day_on_or_after(&self, date: Date) -> Date {
        let mut d = date;
        // A year has at most a few dozen consecutive days off; the bound only
        // guards against a calendar that would make every day a holiday.
        for _ in 0..366 {
            if self.is_working_day(d) {
                return d;
            }
            d = match d.next_day() {
                Some(n) => n,
                None => return d,
            };
        }
        d
    }

    /// The `n`-th working day after `date` (`date` itself not counted).
    pub fn add_working_days(&self, date: Date, n: u32) -> Date {
        let mut d = date;
        let mut left = n;
        while left > 0 {
            d = match d.next_day() {
                Some(next) => next,
                None => return d,
            };
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }
}

fn is_weekend(w: Weekday) -> bool {
    matches!(w, Weekday::Saturday | Weekday::Sunday)
}

/// The local (China Standard Time) date of a timestamp.
pub fn local_date(at: Timestamp) -> Date {
    let secs = at.div_euclid(1000);
    OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(CHINA_TIME)
        .date()
}

/// The first millisecond after `date` ends (24:00 China Standard Time).
pub fn end_of_day(date: Date) -> Timestamp {
    let next = date.next_day().unwrap_or(date);
    next.midnight().assume_offset(CHINA_TIME).unix_timestamp() * 1000
}

/// Midnight at the start of `date`, China Standard Time.
pub fn start_of_day(date: Date) -> Timestamp {
    date.midnight().assume_offset(CHINA_TIME).unix_timestamp() * 1000
}

/// The same day-of-month `months` later, clamped to the month's last day
/// (31 January + 1 month = 28/29 February).
pub fn add_months(date: Date, months: u32) -> Date {
    let total = date.year() as i64 * 12 + (date.month() as i64 - 1) + months as i64;
    let year = total.div_euclid(12) as i32;
    let month = match time::Month::try_from((total.rem_euclid(12) + 1) as u8) {
        Ok(m) => m,
        Err(_) => return date,
    };
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

/// The span of an ISO week written `2020-W40`: Monday 00:00 to the next
/// Monday 00:00, China time. `None` when it is not such a week.
pub fn week_range(week: &str) -> Option<(Timestamp, Timestamp)> {
    let (y, w) = week.split_once("-W")?;
    if !all_digits(y, 4) || !all_digits(w, 2) {
        return None;
    }
    let (year, n): (i32, u8) = (y.parse().ok()?, w.parse().ok()?);
    let monday = Date::from_iso_week_date(year, n, Weekday::Monday).ok()?;
    let next = monday.checked_add(time::Duration::weeks(1))?;
    Some((start_of_day(monday), start_of_day(next)))
}

/// `s` is `n` ASCII digits (no sign: `parse` would take `+123` as a year).
fn all_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// The span of a month written `2020-10`, China time.
pub fn month_range(month: &str) -> Option<(Timestamp, Timestamp)> {
    let (y, m) = month.split_once('-')?;
    if !all_digits(y, 4) || !all_digits(m, 2) {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let first = Date::from_calendar_date(y.parse().ok()?, month, 1).ok()?;
    Some((start_of_day(first), start_of_day(add_months(first, 1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// Test fixture modelled on the 2020 holiday notice (National Day and
    /// Mid-Autumn Festival together: 1–8 October off, 27 September and
    /// 10 October worked). A fixture, not a claim about any official schedule.
    pub(crate) const FIXTURE_2020: &str = include_str!("../tests/fixtures/calendar-2020.toml");

    fn cal() -> Calendar {
        Calendar::from_files([FIXTURE_2020]).expect("fixture loads")
    }

    /// Periods are written one way: four digits, two digits; no sign.
    #[test]
    fn periods_are_digits_only() {
        assert!(week_range("2020-W40").is_some());
        assert!(week_range("2020-W53").is_some());
        assert!(week_range("2021-W53").is_none(), "2021 has 52 ISO weeks");
        assert!(week_range("+202-W40").is_none());
        assert!(week_range("2020-W+4").is_none());
        assert!(month_range("2020-10").is_some());
        assert!(month_range("+202-10").is_none());
        assert!(month_range("2020-+1").is_none());
    }

    #[test]
    fn golden_week_and_make_up_days() {
        let c = cal();
        assert!(c.covers(date!(2020 - 10 - 04)));
        for d in 1..=8 {
            let day = Date::from_calendar_date(2020, time::Month::October, d).expect("date");
            assert!(!c.is_working_day(day), "{day} is a holiday");
        }
        assert_eq!(
            c.holiday_name(date!(2020 - 10 - 04)),
            Some("国庆节、中秋节")
        );
        // Sunday 27 September and Saturday 10 October are worked.
        assert!(c.is_working_day(date!(2020 - 09 - 27)));
        assert!(c.is_working_day(date!(2020 - 10 - 10)));
        // An ordinary weekend stays off.
        assert!(!c.is_working_day(date!(2020 - 10 - 11)));
        assert!(!c.is_working_day(date!(2020 - 09 - 26)));
        // From the holiday, the next working day is Friday 9 October.
        assert_eq!(
            c.working_day_on_or_after(date!(2020 - 10 - 04)),
            date!(2020 - 10 - 09)
        );
        // Wednesday 30 September + 1 working day = Friday 9 October;
        // + 2 = Saturday 10 October (a make-up day); + 3 = Monday 12 October.
        assert_eq!(
            c.add_working_days(date!(2020 - 09 - 30), 1),
            date!(2020 - 10 - 09)
        );
        assert_eq!(
            c.add_working_days(date!(2020 - 09 - 30), 2),
            date!(2020 - 10 - 10)
        );
        assert_eq!(
            c.add_working_days(date!(2020 - 09 - 30), 3),
            date!(2020 - 10 - 12)
        );
    }

    #[test]
    fn unloaded_year_is_monday_to_friday_and_says_so() {
        let c = cal();
        assert!(!c.covers(date!(2021 - 10 - 01)));
        assert!(c.is_working_day(date!(2021 - 10 - 01))); // a Friday, no data
        assert!(!c.is_working_day(date!(2021 - 10 - 02)));
    }

    #[test]
    fn local_days_are_china_time() {
        // 2020-10-03T16:00:00Z is midnight on 4 October in Haining.
        let midnight = 1_601_740_800_000;
        assert_eq!(local_date(midnight), date!(2020 - 10 - 04));
        assert_eq!(local_date(midnight - 1), date!(2020 - 10 - 03));
        assert_eq!(start_of_day(date!(2020 - 10 - 04)), midnight);
        assert_eq!(end_of_day(date!(2020 - 10 - 03)), midnight);
    }

    #[test]
    fn weeks_and_months_are_china_time_spans() {
        // ISO week 40 of 2020: Monday 28 September to Monday 5 October.
        assert_eq!(
            week_range("2020-W40"),
            Some((
                start_of_day(date!(2020 - 09 - 28)),
                start_of_day(date!(2020 - 10 - 05))
            ))
        );
        assert_eq!(
            month_range("2020-10"),
            Some((
                start_of_day(date!(2020 - 10 - 01)),
                start_of_day(date!(2020 - 11 - 01))
            ))
        );
        assert_eq!(
            month_range("2020-12").map(|r| r.1),
            Some(start_of_day(date!(2021 - 01 - 01)))
        );
        for bad in [
            "2020-W54",
            "2020-40",
            "20-W40",
            "2020-W4",
            "x",
            "2020-W40/../",
        ] {
            assert_eq!(week_range(bad), None, "{bad}");
        }
        for bad in ["2020-13", "2020-1", "2020/10", "", "2020-10-01"] {
            assert_eq!(month_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn months_clamp_to_the_month_end() {
        assert_eq!(add_months(date!(2020 - 01 - 31), 1), date!(2020 - 02 - 29));
        assert_eq!(add_months(date!(2021 - 01 - 31), 1), date!(2021 - 02 - 28));
        assert_eq!(add_months(date!(2020 - 10 - 04), 1), date!(2020 - 11 - 04));
        assert_eq!(add_months(date!(2020 - 12 - 15), 1), date!(2021 - 01 - 15));
        assert_eq!(add_months(date!(2020 - 11 - 30), 3), date!(2021 - 02 - 28));
    }

    #[test]
    fn bad_files_are_refused_whole() {
        let mut c = cal();
        let before = c.clone();
        let cases = [
            ("year = 2021\n[[holidays]]\nname_zh='x'\nfrom='2021-13-01'\nto='2021-13-02'\n", "BadDate"),
            ("year = 2021\n[[holidays]]\nname_zh='x'\nfrom='2021-05-05'\nto='2021-05-01'\n", "Backwards"),
            ("year = 2021\n[[holidays]]\nname_zh='x'\nfrom='2021-05-01'\nto='2021-06-30'\n", "TooLong"),
            ("year = 2021\n[[holidays]]\nname_zh='x'\nfrom='2019-05-01'\nto='2019-05-02'\n", "OutsideYear"),
            // The neighbouring year only as far as its December / January.
            ("year = 2021\n[[holidays]]\nname_zh='x'\nfrom='2020-11-29'\nto='2020-12-01'\n", "OutsideYear"),
            ("year = 2021\n[[holidays]]\nname_zh='x'\nfrom='2022-01-30'\nto='2022-02-02'\n", "OutsideYear"),
            ("year = 2021\n[[workdays]]\ndate='2020-11-28'\n", "OutsideYear"),
            ("year = 2021\n[[workdays]]\ndate='2022-02-05'\n", "OutsideYear"),
            ("year = 2021\n[[holidays]]\nname_zh='x'\nfrom='2020-12-24'\nto='2020-12-25'\n", "NotInYear"),
            ("year = 2021\nissued = '2020-11-31'\n", "BadDate"),
            ("year = 2021\n[[amendments]]\nsource = 'x'\nissued = 'soon'\n", "BadDate"),
            ("year = 2021\n[[amendments]]\ndocument = 'x'\n", "Syntax"),
            ("year = 2021\n[[workdays]]\ndate='2021-05-05'\n", "NotWeekend"),
            ("year = 2021\n[[holidays]]\nname_zh='x'\nfrom='2021-05-01'\nto='2021-05-05'\n[[workdays]]\ndate='2021-05-01'\n", "Conflict"),
            ("year = 2020\n", "DuplicateYear"),
            ("year = 'twenty'\n", "Syntax"),
            ("year = 2021\nholiday = []\n", "Syntax"),
        ];
        for (text, want) in cases {
            let err = c.load_year(text).expect_err(want);
            assert!(format!("{err:?}").starts_with(want), "{want}: got {err:?}");
            assert_eq!(c, before, "{want}: nothing loaded");
        }
    }
}
