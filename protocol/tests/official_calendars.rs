//! Every day of every shipped year (`data/calendar/`, compiled in as
//! `OFFICIAL_YEARS`) against the State Council's notices.
//!
//! The table below was typed from the notices' texts (sources in
//! `data/calendar/README.md`), in the notices' own shorthand — "2月4日至10日" is
//! `"02-04..02-10"`, a day in another year is written in full — and not generated
//! from the data files. Every day of each year is then asserted: a day the notice
//! gives off is off, a make-up day (调休上班) is worked, any other weekday is worked
//! and any other weekend day is off.

use minqing_protocol::calendar::{Calendar, Notice, OFFICIAL_YEARS};
use std::collections::BTreeMap;
use time::{Date, Duration, Month, Weekday};

struct Arrangement {
    year: i32,
    title: &'static str,
    document: Option<&'static str>,
    issued: &'static str,
    /// Later notices that changed the year: (title, document, issued).
    amendments: &'static [(&'static str, &'static str, &'static str)],
    /// Days off as the notice gives them (after its amendments).
    off: &'static [&'static str],
    /// Make-up workdays (上班).
    worked: &'static [&'static str],
    /// Statutory holidays (全国年节及纪念日放假办法): weekdays off minus make-up days.
    statutory_days: i64,
}

const NOTICES: &[Arrangement] = &[
    Arrangement {
        year: 2019,
        title: "国务院办公厅关于2019年部分节假日安排的通知",
        document: Some("国办发明电〔2018〕15号"),
        issued: "2018-12-04",
        // 劳动节 changed from "5月1日放假" to 5月1日至4日, 4月28日、5月5日上班.
        amendments: &[(
            "国务院办公厅关于调整2019年劳动节假期安排的通知",
            "国办发明电〔2019〕3号",
            "2019-03-22",
        )],
        off: &[
            "2018-12-30..2019-01-01", // 元旦
            "02-04..02-10",           // 春节
            "04-05",                  // 清明节，与周末连休
            "05-01..05-04",           // 劳动节（调整后）
            "06-07",                  // 端午节，与周末连休
            "09-13",                  // 中秋节，与周末连休
            "10-01..10-07",           // 国庆节
        ],
        worked: &[
            "2018-12-29",
            "02-02",
            "02-03",
            "04-28",
            "05-05",
            "09-29",
            "10-12",
        ],
        statutory_days: 11,
    },
    Arrangement {
        year: 2020,
        title: "国务院办公厅关于2020年部分节假日安排的通知",
        document: Some("国办发明电〔2019〕16号"),
        issued: "2019-11-21",
        // 春节 extended to 2月2日; 2月3日（星期一）起正常上班. Saturday 2月1日, a
        // make-up day in the notice, became a day off.
        amendments: &[(
            "国务院办公厅关于延长2020年春节假期的通知",
            "国办发明电〔2020〕1号",
            "2020-01-26",
        )],
        off: &[
            "01-01",
            "01-24..02-02", // 春节 1月24日至30日, extended to 2月2日
            "04-04..04-06",
            "05-01..05-05",
            "06-25..06-27",
            "10-01..10-08", // 国庆节、中秋节
        ],
        worked: &["01-19", "04-26", "05-09", "06-28", "09-27", "10-10"],
        // 11, plus Friday 31 January and Saturday 1 February from the extension.
        statutory_days: 13,
    },
    Arrangement {
        year: 2021,
        title: "国务院办公厅关于2021年部分节假日安排的通知",
        document: Some("国办发明电〔2020〕27号"),
        issued: "2020-11-25",
        amendments: &[],
        off: &[
            "01-01..01-03",
            "02-11..02-17",
            "04-03..04-05",
            "05-01..05-05",
            "06-12..06-14",
            "09-19..09-21",
            "10-01..10-07",
        ],
        worked: &[
            "02-07", "02-20", "04-25", "05-08", "09-18", "09-26", "10-09",
        ],
        statutory_days: 11,
    },
    Arrangement {
        year: 2022,
        title: "国务院办公厅关于2022年部分节假日安排的通知",
        document: Some("国办发明电〔2021〕11号"),
        issued: "2021-10-25",
        amendments: &[],
        off: &[
            "01-01..01-03",
            "01-31..02-06",
            "04-03..04-05",
            "04-30..05-04",
            "06-03..06-05",
            "09-10..09-12",
            "10-01..10-07",
        ],
        worked: &[
            "01-29", "01-30", "04-02", "04-24", "05-07", "10-08", "10-09",
        ],
        statutory_days: 11,
    },
    Arrangement {
        year: 2023,
        title: "国务院办公厅关于2023年部分节假日安排的通知",
        document: Some("国办发明电〔2022〕16号"),
        issued: "2022-12-08",
        amendments: &[],
        off: &[
            "2022-12-31..2023-01-02",
            "01-21..01-27",
            "04-05",
            "04-29..05-03",
            "06-22..06-24",
            "09-29..10-06", // 中秋节、国庆节
        ],
        worked: &[
            "01-28", "01-29", "04-23", "05-06", "06-25", "10-07", "10-08",
        ],
        statutory_days: 11,
    },
    Arrangement {
        year: 2024,
        title: "国务院办公厅关于2024年部分节假日安排的通知",
        document: Some("国办发明电〔2023〕7号"),
        issued: "2023-10-25",
        amendments: &[],
        off: &[
            "01-01",
            "02-10..02-17", // 除夕 2月9日 only "encouraged": a working day
            "04-04..04-06",
            "05-01..05-05",
            "06-10",
            "09-15..09-17",
            "10-01..10-07",
        ],
        worked: &[
            "02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12",
        ],
        statutory_days: 11,
    },
    Arrangement {
        year: 2025,
        title: "国务院办公厅关于2025年部分节假日安排的通知",
        document: Some("国办发明电〔2024〕12号"),
        issued: "2024-11-12",
        amendments: &[],
        off: &[
            "01-01", // 放假1天，不调休
            "01-28..02-04",
            "04-04..04-06",
            "05-01..05-05",
            "05-31..06-02",
            "10-01..10-08", // 国庆节、中秋节
        ],
        worked: &["01-26", "02-08", "04-27", "09-28", "10-11"],
        // The 2024 revision: 春节 and 劳动节 one day more each.
        statutory_days: 13,
    },
    Arrangement {
        year: 2026,
        title: "国务院办公厅关于2026年部分节假日安排的通知",
        document: None, // not found in any source checked; not guessed
        issued: "2025-11-04",
        amendments: &[],
        off: &[
            "01-01..01-03",
            "02-15..02-23",
            "04-04..04-06",
            "05-01..05-05",
            "06-19..06-21",
            "09-25..09-27",
            "10-01..10-07",
        ],
        worked: &["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"],
        statutory_days: 13,
    },
];

fn date(year: i32, s: &str) -> Date {
    let full = if s.len() == 5 {
        format!("{year}-{s}")
    } else {
        s.to_owned()
    };
    let p: Vec<u16> = full
        .split('-')
        .map(|x| x.parse().expect("number"))
        .collect();
    Date::from_calendar_date(
        p[0] as i32,
        Month::try_from(p[1] as u8).expect("month"),
        p[2] as u8,
    )
    .unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The days a range like `"01-24..02-02"` names.
fn days(year: i32, range: &str) -> Vec<Date> {
    let (from, to) = match range.split_once("..") {
        Some((a, b)) => (date(year, a), date(year, b)),
        None => (date(year, range), date(year, range)),
    };
    assert!(from <= to, "{range}");
    let mut out = vec![];
    let mut d = from;
    while d <= to {
        out.push(d);
        d += Duration::days(1);
    }
    out
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Every date any notice mentions → (off?, the year whose notice says so).
fn table() -> BTreeMap<Date, (bool, i32)> {
    let mut t = BTreeMap::new();
    for a in NOTICES {
        let mut weekdays_off = 0;
        for r in a.off {
            for d in days(a.year, r) {
                assert!(t.insert(d, (true, a.year)).is_none(), "{d} twice");
                weekdays_off += i64::from(!is_weekend(d));
            }
        }
        for w in a.worked {
            let d = date(a.year, w);
            assert!(
                is_weekend(d),
                "the table's make-up day {d} is a weekend day"
            );
            assert!(t.insert(d, (false, a.year)).is_none(), "{d} twice");
        }
        // The table adds up: working days lost = the statutory holidays.
        assert_eq!(
            weekdays_off - a.worked.len() as i64,
            a.statutory_days,
            "{}: weekdays off minus make-up days",
            a.year
        );
    }
    t
}

#[test]
fn every_day_of_every_shipped_year_is_as_the_notices_say() {
    let cal = Calendar::official().expect("the shipped calendars load");
    let shipped: Vec<i32> = OFFICIAL_YEARS.iter().map(|(y, _)| *y).collect();
    let typed: Vec<i32> = NOTICES.iter().map(|a| a.year).collect();
    assert_eq!(
        shipped, typed,
        "every shipped year is in the table, and only those"
    );
    assert_eq!(cal.years().collect::<Vec<_>>(), typed);

    let table = table();
    let first = date(typed[0] - 1, "12-01");
    let last = date(typed[typed.len() - 1], "12-31");
    let (mut checked, mut off, mut worked_weekends) = (0, 0, 0);
    let mut d = first;
    while d <= last {
        let expected = match table.get(&d) {
            Some((is_off, _)) => !is_off,
            None => !is_weekend(d),
        };
        assert_eq!(
            cal.is_working_day(d),
            expected,
            "{d} ({}) should be {}",
            d.weekday(),
            if expected { "worked" } else { "off" }
        );
        // A name exactly for the days a notice gives off.
        assert_eq!(
            cal.holiday_name(d).is_some(),
            matches!(table.get(&d), Some((true, _))),
            "{d}: holiday name {:?}",
            cal.holiday_name(d)
        );
        if d.year() >= typed[0] {
            assert!(cal.covers(d), "{d} covered");
        }
        checked += 1;
        off += i32::from(!expected);
        worked_weekends += i32::from(expected && is_weekend(d));
        d += Duration::days(1);
    }
    // 1 December 2018 to 31 December 2026.
    assert_eq!(checked, 31 + 365 * 6 + 366 * 2);
    assert_eq!(worked_weekends, 7 + 6 + 7 + 7 + 7 + 8 + 5 + 6);
    assert!(off > 0);
    // Nothing was shipped for 2027 (see data/calendar/README.md): Monday–Friday,
    // and the calendar says it does not know.
    assert!(!cal.covers(date(2027, "01-01")));
}

#[test]
fn each_shipped_file_names_its_notice() {
    let cal = Calendar::official().expect("the shipped calendars load");
    for a in NOTICES {
        let src = cal
            .source(a.year)
            .unwrap_or_else(|| panic!("{} loaded", a.year));
        assert_eq!(
            src.notice,
            Notice {
                title: Some(a.title.to_owned()),
                document: a.document.map(str::to_owned),
                issued: Some(date(a.year, a.issued)),
            },
            "{}",
            a.year
        );
        // A notice is issued before its year starts.
        assert!(date(a.year, a.issued) < date(a.year, "01-01"), "{}", a.year);
        let amendments: Vec<Notice> = a
            .amendments
            .iter()
            .map(|(t, doc, issued)| Notice {
                title: Some((*t).to_owned()),
                document: Some((*doc).to_owned()),
                issued: Some(date(a.year, issued)),
            })
            .collect();
        assert_eq!(src.amendments, amendments, "{}", a.year);
        let (_, text) = OFFICIAL_YEARS
            .iter()
            .find(|(y, _)| *y == a.year)
            .expect("shipped");
        assert!(
            text.contains(&format!("source = \"{}\"", a.title)),
            "{}",
            a.year
        );
    }
}

#[test]
fn from_2025_no_more_than_six_working_days_in_a_row() {
    // The 2024 revision of 全国年节及纪念日放假办法 (in force 2025): "除个别特殊情形外，
    // 法定节假日假期前后连续工作一般不超过6天". Both shipped years since keep it all
    // year round — a check on the data independent of the table.
    let cal = Calendar::official().expect("loads");
    let (mut run, mut longest) = (0, 0);
    let mut d = date(2025, "01-01");
    while d <= date(2026, "12-31") {
        run = if cal.is_working_day(d) { run + 1 } else { 0 };
        longest = i32::max(longest, run);
        d += Duration::days(1);
    }
    assert_eq!(longest, 6);
}
