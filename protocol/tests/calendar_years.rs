//! A year's calendar file as its notice states it: days in the neighbouring year
//! belong to the year whose notice arranged them (field case
//! `../shared/cases/field-2026-11/calendar/2008.toml`), and two loaded years that
//! mention the same date must agree about it.

use minqing_protocol::calendar::{Calendar, CalendarError};
use time::macros::date;

/// The 2008 arrangement: New Year holiday 2007-12-30 to 2008-01-01, make-up
/// Saturday 2007-12-29; Spring Festival 6–12 February, make-up 2–3 February.
const FIXTURE_2008: &str = include_str!("fixtures/calendar-2008.toml");

/// A 2007 file that agrees with 2008's about the turn of the year (it repeats
/// the days 2008's notice arranged, as a hand-made file might).
const AGREEING_2007: &str = r#"
year = 2007
[[holidays]]
name_zh = "元旦（2007年）"
from = "2007-01-01"
to = "2007-01-03"
[[holidays]]
name_zh = "元旦（跨年）"
from = "2007-12-30"
to = "2007-12-31"
[[workdays]]
date = "2007-12-29"
"#;

/// A 2007 file that says 29 December 2007 is a day off, where 2008's notice
/// makes it a make-up workday.
const DISAGREEING_2007: &str = r#"
year = 2007
[[holidays]]
name_zh = "假的年末假期"
from = "2007-12-28"
to = "2007-12-29"
"#;

#[test]
fn the_2008_file_loads_as_its_notice_states_it() {
    // Before: refused with "2007-12-29 is not in year 2008".
    let c = Calendar::from_files([FIXTURE_2008]).expect("the 2008 file loads");
    assert_eq!(c.years().collect::<Vec<_>>(), vec![2008]);

    // Saturday 29 December 2007 is worked; 30 December to 1 January are off.
    assert!(c.is_working_day(date!(2007 - 12 - 29)));
    for d in [
        date!(2007 - 12 - 30),
        date!(2007 - 12 - 31),
        date!(2008 - 01 - 01),
    ] {
        assert!(!c.is_working_day(d), "{d} is off");
        assert_eq!(c.holiday_name(d), Some("元旦"), "{d}");
    }
    assert!(c.is_working_day(date!(2008 - 01 - 02)));
    // Spring Festival: the make-up weekend is worked, 6–12 February off.
    assert!(c.is_working_day(date!(2008 - 02 - 02)));
    assert!(c.is_working_day(date!(2008 - 02 - 03)));
    for day in 6..=12 {
        let d = time::Date::from_calendar_date(2008, time::Month::February, day).expect("date");
        assert!(!c.is_working_day(d), "{d} is off");
    }
    assert!(c.is_working_day(date!(2008 - 02 - 13)));

    // Deadlines run across the turn of the year on those days: Friday
    // 28 December + 1 working day = Saturday 29 (make-up); + 2 = 2 January.
    assert_eq!(
        c.add_working_days(date!(2007 - 12 - 28), 1),
        date!(2007 - 12 - 29)
    );
    assert_eq!(
        c.add_working_days(date!(2007 - 12 - 28), 2),
        date!(2008 - 01 - 02)
    );
    assert_eq!(
        c.working_day_on_or_after(date!(2007 - 12 - 30)),
        date!(2008 - 01 - 02)
    );

    // 2007 itself was not loaded: the calendar says so for its other days.
    assert!(c.covers(date!(2008 - 06 - 01)));
    assert!(!c.covers(date!(2007 - 12 - 29)));
    assert_eq!(
        c.source(2008).and_then(|s| s.notice.title.as_deref()),
        Some("国务院办公厅关于2008年部分节假日安排的通知")
    );
}

#[test]
fn neighbouring_years_that_agree_load_together_in_either_order() {
    for files in [[FIXTURE_2008, AGREEING_2007], [AGREEING_2007, FIXTURE_2008]] {
        let c = Calendar::from_files(files).expect("both load");
        assert_eq!(c.years().collect::<Vec<_>>(), vec![2007, 2008]);
        assert!(c.covers(date!(2007 - 12 - 29)));
        assert!(c.is_working_day(date!(2007 - 12 - 29)));
        assert!(!c.is_working_day(date!(2007 - 12 - 31)));
        // The name comes from the file of the date's own year, whichever loaded first.
        assert_eq!(c.holiday_name(date!(2007 - 12 - 31)), Some("元旦（跨年）"));
        assert_eq!(c.holiday_name(date!(2008 - 01 - 01)), Some("元旦"));
    }
}

#[test]
fn neighbouring_years_that_disagree_refuse_the_second_file_whole() {
    // 2008 loaded first: the 2007 file's holiday on a 2008 make-up day is refused.
    let mut c = Calendar::from_files([FIXTURE_2008]).expect("2008");
    let before = c.clone();
    let err = c.load_year(DISAGREEING_2007).expect_err("refused");
    assert_eq!(
        err,
        CalendarError::YearsDisagree {
            date: date!(2007 - 12 - 29),
            workday_year: 2008,
            holiday_year: 2007,
            holiday: "假的年末假期".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "2007-12-29: the 2008 file makes it a make-up workday, the 2007 file a day off (假的年末假期)"
    );
    assert_eq!(c, before, "nothing of the refused file loaded");
    assert!(c.is_working_day(date!(2007 - 12 - 28)));

    // The other order: the 2008 file is the one refused.
    let mut c = Calendar::from_files([DISAGREEING_2007]).expect("2007");
    let before = c.clone();
    let err = c.load_year(FIXTURE_2008).expect_err("refused");
    assert!(
        matches!(
            err,
            CalendarError::YearsDisagree {
                workday_year: 2008,
                holiday_year: 2007,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(c, before);
    assert!(!c.covers(date!(2008 - 01 - 01)));
}

#[test]
fn a_mistyped_year_is_still_refused() {
    let cases = [
        // A make-up day in the wrong year (2008 typed as 2007, outside December).
        (
            "year = 2008\n[[workdays]]\ndate = '2007-02-02'\n",
            "2007-02-02 is not in year 2008",
        ),
        // The next year beyond January.
        (
            "year = 2008\n[[workdays]]\ndate = '2009-02-01'\n",
            "2009-02-01 is not in year 2008",
        ),
        // A range entirely in the year before.
        (
            "year = 2008\n[[holidays]]\nname_zh = '元旦'\nfrom = '2007-12-30'\nto = '2007-12-31'\n",
            "holiday 元旦: 2007-12-30 to 2007-12-31 has no day in year 2008",
        ),
        // Ten years off.
        (
            "year = 2008\n[[holidays]]\nname_zh = '春节'\nfrom = '2018-02-06'\nto = '2018-02-12'\n",
            "2018-02-06 is not in year 2008",
        ),
    ];
    for (text, want) in cases {
        let err = Calendar::new().load_year(text).expect_err(want);
        assert!(err.to_string().starts_with(want), "{want}: got {err}");
    }
}
