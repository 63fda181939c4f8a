//! The statistics of a period (issue 14, `docs/report.md`) on SQLite and on
//! PostgreSQL: the seed article's own monthly figures come out of two months
//! of items filed through the push (`support/period.rs`); every figure's
//! list of items has exactly as many items as the figure says; town staff
//! see their own town's figures only.

#[path = "support/period.rs"]
mod period;
mod support;

use minqing_server::access::{scope, Scope};
use minqing_server::report::stats::{Area, Ctx, Period, Selector, Stats};
use minqing_server::Db;
use period::OCT;
use std::path::Path;
use support::db::on_both_backends;

fn september(area: Area) -> Ctx {
    Ctx::new(
        Period::parse("2020-09").expect("period"),
        area,
        OCT + 40 * period::DAY,
    )
}

/// Every figure of `s` with its list query.
fn figures(s: &Stats) -> Vec<(String, u64, String)> {
    figures_in(&serde_json::to_value(s).expect("json"))
}

/// Every `{value, items}` in `v`, with its path.
fn figures_in(v: &serde_json::Value) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    fn walk(path: &str, v: &serde_json::Value, out: &mut Vec<(String, u64, String)>) {
        match v {
            serde_json::Value::Object(m) => {
                if let (Some(n), Some(q)) = (
                    m.get("value").and_then(|x| x.as_u64()),
                    m.get("items").and_then(|x| x.as_str()),
                ) {
                    out.push((path.to_owned(), n, q.to_owned()));
                    return;
                }
                for (k, x) in m {
                    walk(&format!("{path}.{k}"), x, out);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(&format!("{path}[{i}]"), x, out);
                }
            }
            _ => {}
        }
    }
    walk("", v, &mut out);
    out
}

fn param(q: &str, name: &str) -> Option<String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| {
            let mut out = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' && i + 2 < b.len() {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).expect("hex"));
                    i += 3;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).expect("utf-8")
        })
}

fn the_seeds_figures(db: Db) {
    let seeded = period::seed(&db);
    let ctx = september(Area::City);
    let (s, _) = db.stats(&Scope::All, &ctx).expect("stats");
    let got = |f: &minqing_server::report::stats::Figure| f.value;
    assert_eq!(got(&s.received), 166, "received");
    assert_eq!(got(&s.explained), 23, "explained on the spot");
    assert_eq!(got(&s.assigned), 141, "assigned");
    assert_eq!(got(&s.in_groups), 34, "handled in the groups");
    assert_eq!(got(&s.by_towns), 98, "by towns and streets");
    assert_eq!(got(&s.by_city), 9, "by city departments");
    assert_eq!(got(&s.unassigned), 2, "not yet assigned");
    assert_eq!(got(&s.resolved), 81, "resolved");
    assert_eq!(
        got(&s.carried.unassigned_before),
        2,
        "last period's not assigned"
    );
    assert_eq!(got(&s.carried.now_assigned), 2, "… now assigned");
    assert_eq!(
        got(&s.carried.resolved_from),
        70,
        "resolved among assigned, before"
    );
    assert_eq!(got(&s.carried.resolved_to), 81, "… now");
    assert_eq!(got(&s.previous_figures.received), 120);
    assert_eq!(got(&s.totals.received), 286);
    assert_eq!(got(&s.totals.explained), 38);
    assert_eq!(s.city_share_pct, Some(6.4));
    // Top five categories, most first.
    let top: Vec<(&str, u64)> = s
        .top_categories
        .iter()
        .map(|r| (r.code.as_str(), r.count.value))
        .collect();
    assert_eq!(
        top.iter().map(|t| t.0).collect::<Vec<_>>(),
        ["C03", "C04", "C01", "C02", "C05"],
        "{top:?}"
    );
    assert_eq!(s.top_categories[0].name_zh, "市政设施");
    // The 海洲街道 row: 98 handled by its office plus the group's items filed there.
    let haizhou = s.by_town.iter().find(|r| r.key == "haizhou").expect("row");
    assert_eq!(haizhou.received.value, 166);
    assert_eq!(s.by_town.len(), 12, "every town and street has a row");
    let office = s
        .by_unit
        .iter()
        .find(|r| r.name_zh == "海洲街道办事处")
        .expect("office row");
    assert_eq!(office.received.value, 98);
    assert_eq!(office.resolved.value, 56);
    assert_eq!(office.accepted_on_time.pct, Some(100.0));
    assert_eq!(office.accept_days.days, Some(0.0));
    assert_eq!(office.resolve_days.items.value, 56);
    // Two deputies filed everything.
    assert_eq!(s.active_deputies, 2);
    assert_eq!(s.deputies.iter().map(|d| d.items.value).sum::<u64>(), 166);
    // The trend ends with September.
    assert_eq!(s.trend.last().map(|m| m.received.value), Some(166));
    assert_eq!(s.trend[s.trend.len() - 2].received.value, 120);

    // Every figure's list has exactly its count, and the items are the
    // period's own (spot checks).
    let all = figures(&s);
    assert!(all.len() > 150, "{} figures", all.len());
    for (path, n, q) in &all {
        let sel = Selector::parse(
            &param(q, "figure").expect("figure"),
            param(q, "row").as_deref(),
        )
        .unwrap_or_else(|| panic!("{path}: {q} does not parse"));
        let (total, rows) = db
            .stats_items(&Scope::All, &ctx, &sel, 0, 500)
            .expect("items");
        assert_eq!(total, *n, "{path}: {q}");
        assert_eq!(rows.len() as u64, (*n).min(500), "{path}");
    }
    let (_, rows) = db
        .stats_items(
            &Scope::All,
            &ctx,
            &Selector::parse("received", None).expect("sel"),
            0,
            500,
        )
        .expect("received items");
    let mut got: Vec<_> = rows.iter().map(|r| r.ticket.id).collect();
    let mut want = seeded.september.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "the received figure lists September's items");

    // Town staff of 斜桥镇 see their town's figures: nothing of 海洲街道's.
    let chen = seeded
        .people
        .iter()
        .find(|p| p.name == "陈芊含")
        .expect("town staff");
    let actor = db.me(chen.id).expect("me").expect("exists").actor();
    let (theirs, _) = db.stats(&scope(&actor), &ctx).expect("stats");
    assert_eq!(theirs.received.value, 0);
    assert_eq!(theirs.totals.received.value, 0);
    assert!(theirs.by_town.iter().all(|r| r.received.value == 0));
    // 海洲街道's own staff see all of it, also as their town's area.
    let shen = seeded
        .people
        .iter()
        .find(|p| p.name == "沈晓燕")
        .expect("town staff");
    let actor = db.me(shen.id).expect("me").expect("exists").actor();
    let (theirs, _) = db
        .stats(&scope(&actor), &september(Area::Town("haizhou".into())))
        .expect("stats");
    assert_eq!(theirs.received.value, 166);
    assert_eq!(theirs.resolved.value, 81);
}

on_both_backends!(the_seeds_figures);

/// The seed's sentence, as the documents print it.
const SEED_SENTENCE: [&str; 2] = [
    "本期收到166件，代表当场解释办结23件，交办141件，“民情直通车”群办理34件，镇街道办理98件，市级部门办理9件，已解决81件。",
    "上一期专报中未交办的2件意见建议已完成交办，已交办件中涉及问题已解决的从70件增至81件。",
];

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (scripts/test.sh installs poppler-utils)"));
    assert!(out.status.success(), "{cmd} {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The Must-show test of issue 14: the seed's own figures, found in the PDF
/// (read back by poppler's pdftotext; every font embedded and mapped to
/// Unicode, by pdffonts), in the DOCX (its document.xml's text) and in the XLSX
/// ledger (read back by calamine). SQLite only: the documents are made from
/// the same `Stats` on both backends (the test above).
#[test]
fn the_documents_say_the_seeds_figures() {
    use calamine::{open_workbook_auto, Data, DataType, Reader};
    use minqing_server::report::ledger::{Kind, Spec};
    use minqing_server::report::monthly::{self, Monthly};
    use std::io::Read;

    let (db, dir) = support::db::sqlite();
    let seeded = period::seed(&db);
    let (s, _) = db
        .stats(&Scope::All, &september(Area::City))
        .expect("stats");

    // The monthly run, with the clock moved across the month boundary: 1 to
    // 8 October 2020 are the National Day and Mid-Autumn holidays, so
    // September's report is made on Friday 9 October, once.
    let cal = period::workflow().calendar;
    let day = |m: u8, d: u8| {
        time::Date::from_calendar_date(2020, time::Month::try_from(m).expect("month"), d)
            .expect("date")
    };
    assert_eq!(monthly::first_working_day(&cal, day(10, 20)), day(10, 9));
    assert_eq!(monthly::first_working_day(&cal, day(9, 30)), day(9, 1));
    assert_eq!(
        monthly::first_working_day(&cal, day(11, 30)),
        day(11, 2),
        "1 Nov is a Sunday"
    );
    let nov = OCT + 31 * period::DAY;
    assert_eq!(
        monthly::due(&cal, nov + period::DAY).map(|p| p.key),
        Some("2020-10".into())
    );
    assert_eq!(monthly::due(&cal, nov + period::DAY - 1), None);
    let m = Monthly {
        dir: dir.path().join("reports"),
        chromium: std::env::var("MINQING_CHROMIUM").unwrap_or_else(|_| "chromium".into()),
    };
    let oct9 = OCT + 8 * period::DAY;
    for (at, made) in [
        (OCT, None),
        (oct9 - 1, None),
        (oct9, Some("2020-09".to_owned())),
        (oct9 + 1, None),
        (oct9 + 20 * period::DAY, None),
    ] {
        assert_eq!(monthly::run(&db, &m, at).expect("run"), made, "at {at}");
    }
    // Announced to city staff, and to nobody else.
    let person = |name: &str| {
        seeded
            .people
            .iter()
            .find(|p| p.name == name)
            .expect("person")
            .id
    };
    let (inbox, _) = db
        .notifications(person("市人大工作人员"), 0, 100)
        .expect("inbox");
    let reports: Vec<_> = inbox.iter().filter(|n| n.kind == "report").collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0]
            .text_zh
            .starts_with("2020年9月民情专报已生成：本期收到166件"),
        "{}",
        reports[0].text_zh
    );
    for other in ["陆靖英", "沈晓燕", "海洲街道联络员", "系统管理员"] {
        let (theirs, _) = db.notifications(person(other), 0, 100).expect("inbox");
        assert!(theirs.iter().all(|n| n.kind != "report"), "{other}");
    }

    // PDF, printed by headless Chromium in the run.
    let pdf_path = m.dir.join("2020-09.pdf");
    let p = pdf_path.to_str().expect("path");
    // `MINQING_REPORT_PAGES=$PWD/docs/report` (absolute: tests run in server/) keeps the PDF and its pages as PNG
    // (pdftoppm) there: what a city official gets (docs/report/README.md).
    if let Ok(out) = std::env::var("MINQING_REPORT_PAGES") {
        std::fs::create_dir_all(&out).expect("pages dir");
        std::fs::copy(&pdf_path, Path::new(&out).join("2020-09.pdf")).expect("copy");
        run("pdftoppm", &["-r", "60", "-png", p, &format!("{out}/page")]);
    }
    let text = squeeze(&run("pdftotext", &["-enc", "UTF-8", p, "-"]));
    assert!(text.contains("海宁市人大民情专报"), "title: {text}");
    for s in SEED_SENTENCE {
        assert!(text.contains(&squeeze(s)), "PDF lacks {s}\n{text}");
    }
    let fonts = run("pdffonts", &[p]);
    let rows: Vec<Vec<&str>> = fonts
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .filter(|t: &Vec<&str>| t.len() >= 6)
        .collect();
    assert!(!rows.is_empty(), "{fonts}");
    // Chromium's PDF backend (Skia) embeds the CFF-outlined Noto CJK fonts
    // as Type 3 fonts (each glyph's outline drawn in the PDF; ADR 0015):
    // every font embedded, every one mapped to Unicode (so the text above
    // could be read back), none left for the reader's machine to find.
    for r in &rows {
        let n = r.len();
        assert_eq!(r[n - 5], "yes", "not embedded: {r:?}\n{fonts}");
        assert_eq!(r[n - 3], "yes", "no Unicode map: {r:?}\n{fonts}");
    }

    // DOCX: the text of word/document.xml.
    let docx = std::fs::read(m.dir.join("2020-09.docx")).expect("stored docx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document.xml")
        .read_to_string(&mut xml)
        .expect("read");
    let mut text = String::new();
    let mut in_tag = false;
    for c in xml.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = squeeze(&text.replace("&quot;", "\"").replace("&amp;", "&"));
    for s in SEED_SENTENCE {
        assert!(text.contains(&squeeze(s)), "DOCX lacks {s}\n{text}");
    }
    assert!(
        zip.by_name("word/media/image1.png").is_ok()
            || zip.file_names().any(|n| n.ends_with(".png"))
    );

    // XLSX: September's master ledger with the summary sheet, read back by calamine.
    let xlsx = dir.path().join("ledger.xlsx");
    let n = db
        .ledger(
            &Scope::All,
            &Spec {
                kind: Kind::Master,
                from: Some(period::SEP),
                before: Some(OCT),
                title: "海宁市民情总台帐（2020年9月）".into(),
            },
            Some(&s),
            &xlsx,
        )
        .expect("ledger");
    assert_eq!(n, 166);
    let mut wb = open_workbook_auto(&xlsx).expect("open xlsx");
    let summary = wb.worksheet_range("汇总").expect("summary sheet");
    let figure = |name: &str| -> f64 {
        summary
            .rows()
            .find(|r| r.first() == Some(&Data::String(name.into())))
            .and_then(|r| r.get(1).and_then(|d| d.as_f64()))
            .unwrap_or_else(|| panic!("no {name} in the summary"))
    };
    for (name, want) in [
        ("本期收到", 166.0),
        ("代表当场解释办结", 23.0),
        ("交办", 141.0),
        ("“民情直通车”群办理", 34.0),
        ("镇街道办理", 98.0),
        ("市级部门办理", 9.0),
        ("已解决", 81.0),
        ("上期未交办", 2.0),
        ("其中本期已完成交办", 2.0),
        ("上期已交办件中已解决（上期末）", 70.0),
        ("上期已交办件中已解决（本期末）", 81.0),
    ] {
        assert_eq!(figure(name), want, "{name}");
    }
    let master = wb.worksheet_range("总台帐").expect("master sheet");
    let head: Vec<String> = master
        .rows()
        .nth(1)
        .expect("head")
        .iter()
        .map(|d| d.to_string())
        .collect();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let items: Vec<&[Data]> = master.rows().skip(2).collect();
    assert_eq!(items.len(), 166);
    let count = |c: usize, v: &str| {
        items
            .iter()
            .filter(|r| r[c] == Data::String(v.to_owned()))
            .count()
    };
    let path = col("办理路径");
    assert_eq!(count(path, "代表当场解释办结"), 23);
    assert_eq!(count(path, "直通车群办理"), 34);
    assert_eq!(count(path, "镇街道办理"), 98);
    assert_eq!(count(path, "市级部门办理"), 9);
    assert_eq!(count(path, "未交办"), 2);
    assert_eq!(
        items
            .iter()
            .filter(|r| !r[col("解决时间")].is_empty())
            .count(),
        81,
        "resolution dates"
    );
    // The constituents' contact is in no cell (docs/security.md).
    for r in master.rows() {
        for c in r {
            let c = c.to_string();
            assert!(!c.contains("13912345678") && !c.contains("沈阿姨"), "{c}");
        }
    }
}

/// The rows of a ledger's item sheet (title and heads left out), read back
/// by calamine, and whether any cell holds the constituent's contact.
fn ledger_rows(xlsx: &[u8], sheet: &str) -> (usize, bool) {
    use calamine::Reader;
    let mut wb =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx.to_vec())).expect("xlsx");
    let range = wb.worksheet_range(sheet).expect("sheet");
    let contact = range.rows().flatten().any(|c| {
        let c = c.to_string();
        c.contains("13912345678") || c.contains("沈阿姨")
    });
    (range.rows().count().saturating_sub(2), contact)
}

/// Issue 14 over HTTP: the figures with the link behind each (every link's
/// list as long as its figure), the documents and ledgers as downloads, and
/// who may have which (deny by default). SQLite: the store tests above cover
/// both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_documents_and_ledgers_over_http() {
    let s = support::start().await;
    let (db, people) = (s.state.db.clone(), s.people.clone());
    tokio::task::spawn_blocking(move || period::seed_with(&db, people))
        .await
        .expect("seed");
    let token = |name: &'static str| {
        let s = &s;
        async move { s.login(name).await.access_token }
    };
    let get = |path: String, tok: String| {
        let s = &s;
        async move {
            s.req(reqwest::Method::GET, &path, Some(&tok))
                .send()
                .await
                .expect("request")
        }
    };
    let staff = token("市人大工作人员").await;

    // Every figure, and the list behind each.
    let r = get("/v1/stats?period=2020-09".into(), staff.clone()).await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["received"]["value"], 166);
    assert_eq!(v["carried"]["resolved_to"]["value"], 81);
    let st: Stats = {
        // The figures as the store computes them, for their links.
        let db = s.state.db.clone();
        tokio::task::spawn_blocking(move || db.stats(&Scope::All, &september(Area::City)))
            .await
            .expect("task")
            .expect("stats")
            .0
    };
    let figs = figures(&st);
    let served = figures_in(&v);
    assert_eq!(served.len(), figs.len());
    for (path, n, link) in &served {
        assert!(link.starts_with("/v1/stats/items?"), "{path}: {link}");
        let r = get(format!("{link}&per_page=100"), staff.clone()).await;
        assert_eq!(r.status(), 200, "{path}: {link}");
        let page: serde_json::Value = r.json().await.expect("json");
        assert_eq!(page["total"].as_u64(), Some(*n), "{path}: {link}");
        assert_eq!(
            page["items"].as_array().map(Vec::len),
            Some((*n).min(100) as usize),
            "{path}"
        );
    }
    for bad in [
        "/v1/stats?period=2020-13",
        "/v1/stats?area=nowhere",
        "/v1/stats/items?period=2020-09&figure=everything",
        "/v1/stats?period=2020-09&extra=1",
    ] {
        assert_eq!(get(bad.into(), staff.clone()).await.status(), 400, "{bad}");
    }

    // Town staff: their town's figures only.
    let xieqiao = token("陈芊含").await;
    let v: serde_json::Value = get("/v1/stats?period=2020-09".into(), xieqiao.clone())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["received"]["value"], 0);
    let haizhou = token("沈晓燕").await;
    let v: serde_json::Value = get("/v1/stats?period=2020-09".into(), haizhou.clone())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["received"]["value"], 166);

    // The DOCX for city staff (the PDF's print is the test above's).
    let r = get("/v1/reports/2020-09?format=docx".into(), staff.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(r.bytes().await.expect("docx").starts_with(b"PK"));

    // The city's monthly report, once stored by the monthly run, is served
    // as stored to those who see everything for the city; a town's staff get
    // theirs made for what they see.
    let dir = s.state.reports.dir.clone();
    std::fs::create_dir_all(&dir).expect("reports dir");
    std::fs::write(dir.join("2020-09.docx"), b"PK stored by the monthly run").expect("stored");
    let r = get("/v1/reports/2020-09?format=docx".into(), staff.clone()).await;
    assert_eq!(
        &r.bytes().await.expect("stored")[..],
        b"PK stored by the monthly run"
    );
    let r = get(
        "/v1/reports/2020-09?format=docx&area=town:haizhou".into(),
        staff.clone(),
    )
    .await;
    assert_ne!(
        &r.bytes().await.expect("made")[..],
        b"PK stored by the monthly run"
    );
    let r = get("/v1/reports/2020-09?format=docx".into(), haizhou.clone()).await;
    assert_eq!(r.status(), 200);
    let theirs = r.bytes().await.expect("made");
    assert!(theirs.starts_with(b"PK") && &theirs[..] != b"PK stored by the monthly run");

    // Ledgers.
    let xlsx = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        r.bytes().await.expect("xlsx").to_vec()
    };
    let master = xlsx(get("/v1/ledgers/master".into(), staff.clone()).await).await;
    assert_eq!(ledger_rows(&master, "总台帐"), (286, false));
    let sept = xlsx(get("/v1/ledgers/master?period=2020-09".into(), staff.clone()).await).await;
    assert_eq!(ledger_rows(&sept, "总台帐"), (166, false));
    let town = xlsx(get("/v1/ledgers/master".into(), xieqiao.clone()).await).await;
    assert_eq!(ledger_rows(&town, "总台帐"), (0, false));

    let lu = s.person("陆靖英").id;
    let wang = s.person("王建国").id;
    let deputy = token("陆靖英").await;
    let own = xlsx(get(format!("/v1/ledgers/deputy/{lu}"), deputy.clone()).await).await;
    assert_eq!(
        ledger_rows(&own, "履职台帐"),
        (143, false),
        "every other item is hers"
    );
    let by_staff = xlsx(get(format!("/v1/ledgers/deputy/{lu}"), staff.clone()).await).await;
    assert_eq!(ledger_rows(&by_staff, "履职台帐").0, 143);

    let office_person = s.person("海洲街道联络员").id;
    let me = {
        let db = s.state.db.clone();
        tokio::task::spawn_blocking(move || db.me(office_person))
            .await
            .expect("task")
            .expect("me")
            .expect("exists")
    };
    let office = me.actor().unit.expect("a unit").to_string();
    let contact = token("海洲街道联络员").await;
    let theirs = xlsx(get(format!("/v1/ledgers/unit/{office}"), contact.clone()).await).await;
    assert_eq!(
        ledger_rows(&theirs, "单位台帐"),
        (168, false),
        "70 + 98 items it took"
    );

    // Deny by default.
    let mobile = token("移动联络员").await;
    let coordinator = token("孟宪珂").await;
    let forbidden = [
        ("/v1/stats?period=2020-09".to_owned(), &deputy),
        ("/v1/stats?period=2020-09".to_owned(), &coordinator),
        ("/v1/stats?period=2020-09".to_owned(), &contact),
        (
            "/v1/stats/items?period=2020-09&figure=received".to_owned(),
            &deputy,
        ),
        ("/v1/reports/2020-09".to_owned(), &deputy),
        ("/v1/reports/2020-09?format=docx".to_owned(), &contact),
        ("/v1/ledgers/master".to_owned(), &deputy),
        ("/v1/ledgers/master".to_owned(), &contact),
        (format!("/v1/ledgers/deputy/{wang}"), &deputy),
        (format!("/v1/ledgers/deputy/{lu}"), &haizhou),
        (format!("/v1/ledgers/unit/{office}"), &mobile),
        (format!("/v1/ledgers/unit/{office}"), &deputy),
    ];
    for (path, tok) in forbidden {
        assert_eq!(get(path.clone(), tok.clone()).await.status(), 403, "{path}");
    }
    assert_eq!(
        s.req(reqwest::Method::GET, "/v1/stats", None)
            .send()
            .await
            .expect("anonymous")
            .status(),
        401
    );
    let nobody = uuid::Uuid::now_v7();
    assert_eq!(
        get(format!("/v1/ledgers/deputy/{nobody}"), staff.clone())
            .await
            .status(),
        404
    );
}
