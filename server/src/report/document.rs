//! The monthly 民情专报 as documents (ADR 0015): the seed's prose paragraph
//! with the period's figures filled in, then tables and charts — as an HTML
//! page that headless Chromium prints to PDF (fonts embedded: Debian's
//! fonts-noto-cjk), and as DOCX for the OA systems (docx-rs; the charts as
//! PNG). Both are made from one [`Stats`], so they say the same.

use super::charts::{self, Chart};
use super::stats::{Rate, RowStats, Stats};
use minqing_protocol::calendar::CHINA_TIME;
use std::fmt::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("PDF: Chromium ({0}) could not be run: {1}")]
    NoChromium(String, std::io::Error),
    #[error("PDF: Chromium failed: {0}")]
    Chromium(String),
    #[error("DOCX: {0}")]
    Docx(String),
    #[error("chart: {0}")]
    Chart(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn china(ms: i64, fmt: &[time::format_description::FormatItem<'_>]) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| t.to_offset(CHINA_TIME).format(fmt).unwrap_or_default())
        .unwrap_or_default()
}

fn date_zh(ms: i64) -> String {
    china(
        ms,
        time::macros::format_description!("[year]年[month padding:none]月[day padding:none]日"),
    )
}

fn datetime(ms: i64) -> String {
    china(
        ms,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"),
    )
}

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"))
}

fn rate(r: &Rate) -> String {
    pct(r.pct)
}

fn days(d: Option<f64>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| format!("{d:.1}"))
}

/// The document's title: `海宁市人大民情专报`.
pub fn title(s: &Stats) -> String {
    format!("{}人大民情专报", s.area.name_zh)
}

/// The prose, paragraph by paragraph, in the seed's form: "本期收到166件，代表
/// 当场解释办结23件，交办141件，…已解决81件。上一期专报中未交办的2件意见建议已完成
/// 交办，已交办件中涉及问题已解决的从70件增至81件。本期意见建议内容分类单项数据位列
/// 前五位的是……"
pub fn prose(s: &Stats) -> Vec<String> {
    let mut out = Vec::new();
    let mut p = format!(
        "本期收到{}件，代表当场解释办结{}件，交办{}件，“民情直通车”群办理{}件，镇街道办理{}件，市级部门办理{}件，已解决{}件。",
        s.received.value,
        s.explained.value,
        s.assigned.value,
        s.in_groups.value,
        s.by_towns.value,
        s.by_city.value,
        s.resolved.value
    );
    let c = &s.carried;
    let (before, now) = (c.unassigned_before.value, c.now_assigned.value);
    if before == 0 {
        p.push_str("上一期专报中的意见建议均已交办，");
    } else if now == before {
        let _ = write!(p, "上一期专报中未交办的{before}件意见建议已完成交办，");
    } else {
        let _ = write!(
            p,
            "上一期专报中未交办的{before}件意见建议已完成交办{now}件，"
        );
    }
    let (from, to) = (c.resolved_from.value, c.resolved_to.value);
    if to > from {
        let _ = write!(p, "已交办件中涉及问题已解决的从{from}件增至{to}件。");
    } else {
        let _ = write!(p, "已交办件中涉及问题已解决的为{to}件。");
    }
    if !s.top_categories.is_empty() {
        let top: Vec<String> = s
            .top_categories
            .iter()
            .map(|r| format!("{}（{}件）", r.name_zh, r.count.value))
            .collect();
        let _ = write!(
            p,
            "本期意见建议内容分类单项数据位列前五位的是：{}。",
            top.join("、")
        );
    }
    out.push(p);

    let mut p = String::from("与上期相比，");
    let mut parts = Vec::new();
    for (key, name) in [("received", "收到"), ("resolved", "已解决")] {
        if let Some(ch) = s.change.get(key) {
            let what = match ch.delta {
                0 => format!("{name}件数持平"),
                d if d > 0 => format!("{name}件数增加{d}件"),
                d => format!("{name}件数减少{}件", -d),
            };
            parts.push(match ch.pct {
                Some(x) if ch.delta != 0 => format!("{what}（{:+.1}%）", x),
                _ => what,
            });
        }
    }
    p.push_str(&parts.join("，"));
    p.push('。');
    if s.assigned.value > 0 {
        let _ = write!(
            p,
            "本期交办件中需要市一级办理的{}件，占交办件的{}。",
            s.by_city.value,
            pct(s.city_share_pct)
        );
    }
    out.push(p);

    let t = &s.totals;
    let since = t
        .since
        .map(|ms| {
            china(
                ms,
                time::macros::format_description!("[year]年[month padding:none]月"),
            )
        })
        .unwrap_or_default();
    out.push(format!(
        "民情数据库自{since}建立以来，累计收到意见建议{}件，代表当场解释办结{}件，交办{}件，解决{}件；需要市一级办理的占交办件的{}。",
        t.received.value,
        t.explained.value,
        t.assigned.value,
        t.resolved.value,
        pct(t.city_share_pct)
    ));
    out.push(format!(
        "本期共有{}位代表提交意见建议，提交一周一结报{}份。",
        s.active_deputies, s.weekly_filed
    ));
    out
}

/// The charts of the report: categories, trend, towns and streets.
pub fn charts(s: &Stats) -> Vec<Chart> {
    let cats: Vec<(String, Vec<u64>)> = s
        .by_category
        .iter()
        .take(10)
        .map(|r| (r.name_zh.clone(), vec![r.count.value]))
        .collect();
    let months: Vec<String> = s
        .trend
        .iter()
        .map(|m| m.month.get(2..).unwrap_or(&m.month).replace('-', "."))
        .collect();
    let towns: Vec<(String, Vec<u64>)> = s
        .by_town
        .iter()
        .map(|r| (r.name_zh.clone(), vec![r.received.value, r.resolved.value]))
        .collect();
    vec![
        charts::bars("图1 本期意见建议分类（前十位）", &cats, &["收到件数"]),
        charts::lines(
            "图2 近十二个月趋势",
            &months,
            &[
                ("收到", s.trend.iter().map(|m| m.received.value).collect()),
                ("交办", s.trend.iter().map(|m| m.assigned.value).collect()),
                ("已解决", s.trend.iter().map(|m| m.resolved.value).collect()),
            ],
        ),
        charts::bars("图3 各镇街道收到与解决", &towns, &["收到", "已解决"]),
    ]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const ROW_HEAD: [&str; 8] = [
    "名称",
    "收到",
    "按时受理率",
    "按时答复率",
    "已解决",
    "不满意率",
    "平均受理（工作日）",
    "平均解决（工作日）",
];

fn row_cells(r: &RowStats) -> [String; 8] {
    [
        r.name_zh.clone(),
        r.received.value.to_string(),
        rate(&r.accepted_on_time),
        rate(&r.replied_on_time),
        r.resolved.value.to_string(),
        rate(&r.dissatisfaction),
        days(r.accept_days.days),
        days(r.resolve_days.days),
    ]
}

/// The tables of the report: (heading, column heads, rows).
pub fn tables(s: &Stats) -> Vec<(String, Vec<String>, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    out.push((
        "表1 本期总体情况".to_owned(),
        ["项目", "本期", "上期", "增减"].map(String::from).to_vec(),
        [
            (
                "收到",
                &s.received,
                &s.previous_figures.received,
                "received",
            ),
            (
                "代表当场解释办结",
                &s.explained,
                &s.previous_figures.explained,
                "explained",
            ),
            (
                "交办",
                &s.assigned,
                &s.previous_figures.assigned,
                "assigned",
            ),
            (
                "已解决",
                &s.resolved,
                &s.previous_figures.resolved,
                "resolved",
            ),
        ]
        .iter()
        .map(|(name, now, before, key)| {
            vec![
                (*name).to_owned(),
                now.value.to_string(),
                before.value.to_string(),
                s.change
                    .get(*key)
                    .map(|c| format!("{:+}", c.delta))
                    .unwrap_or_default(),
            ]
        })
        .chain([
            vec![
                "其中：“民情直通车”群办理".into(),
                s.in_groups.value.to_string(),
                String::new(),
                String::new(),
            ],
            vec![
                "　　　镇街道办理".into(),
                s.by_towns.value.to_string(),
                String::new(),
                String::new(),
            ],
            vec![
                "　　　市级部门办理".into(),
                s.by_city.value.to_string(),
                String::new(),
                String::new(),
            ],
            vec![
                "未交办".into(),
                s.unassigned.value.to_string(),
                String::new(),
                String::new(),
            ],
        ])
        .collect(),
    ));
    let ranked = |v: &[super::stats::Ranked]| -> Vec<Vec<String>> {
        v.iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    (i + 1).to_string(),
                    r.name_zh.clone(),
                    r.count.value.to_string(),
                    pct((s.received.value > 0).then(|| {
                        (r.count.value as f64 * 1000.0 / s.received.value as f64).round() / 10.0
                    })),
                ]
            })
            .collect()
    };
    let head = ["位次", "名称", "件数", "占比"].map(String::from).to_vec();
    out.push((
        "表2 意见建议分类前五位".into(),
        head.clone(),
        ranked(&s.top_categories),
    ));
    out.push(("表3 意见建议项目前五位".into(), head, ranked(&s.top_items)));
    let head: Vec<String> = ROW_HEAD.map(String::from).to_vec();
    out.push((
        "表4 各镇街道办理情况".into(),
        head.clone(),
        s.by_town.iter().map(|r| row_cells(r).to_vec()).collect(),
    ));
    out.push((
        "表5 承办单位办理情况".into(),
        head,
        s.by_unit.iter().map(|r| row_cells(r).to_vec()).collect(),
    ));
    out.push((
        "表6 近十二个月趋势".into(),
        ["月份", "收到", "交办", "已解决"]
            .map(String::from)
            .to_vec(),
        s.trend
            .iter()
            .map(|m| {
                vec![
                    m.label_zh.clone(),
                    m.received.value.to_string(),
                    m.assigned.value.to_string(),
                    m.resolved.value.to_string(),
                ]
            })
            .collect(),
    ));
    out.push((
        "表7 代表履职情况（提交件数前二十位）".into(),
        ["代表", "提交意见建议", "一周一结报"]
            .map(String::from)
            .to_vec(),
        s.deputies
            .iter()
            .take(20)
            .map(|d| {
                vec![
                    d.name.clone(),
                    d.items.value.to_string(),
                    d.weekly_filed.to_string(),
                ]
            })
            .collect(),
    ));
    out
}

/// The subtitle line: period, cut-off, when generated.
fn subtitle(s: &Stats, generated_at: i64) -> String {
    format!(
        "{}（{}至{}）　统计截至{}　生成于{}",
        s.period.label_zh,
        date_zh(s.period.from),
        date_zh(s.period.to - 1),
        datetime(s.period.cutoff),
        datetime(generated_at)
    )
}

/// Definitions in one line each (the full text: `docs/report.md`).
const NOTES: [&str; 5] = [
    "收到：本期提交的意见建议（合并到其他件的不重复计算）；各项数据为统计截止时的状态。",
    "交办：已由承办单位接收（认领、转派或规则派送）或已列入市政府交办清单；按承办单位答复时所选办理层级，未答复的按交办清单（市级部门）或承办单位类别（镇街道）计。",
    "已解决：承办单位附办结照片办结且代表未表示不满意，或市政府反馈已落实。",
    "按时受理、按时答复：按工作日日历计算的受理时限（当天）、答复时限（一个月）内完成的比例；不满意率：代表不满意或评价1–2星的件数占代表已评价件数的比例。",
    "平均受理、平均解决：自提交之日至接单、办结之日相隔的工作日数的平均值。",
];

/// The report as an HTML page (A4, print styles, the charts inline).
pub fn html(s: &Stats, generated_at: i64) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title><style>
@page {{ size: A4; margin: 22mm 20mm 20mm 20mm;
  @bottom-center {{ content: "— " counter(page) " —"; font-family: "Noto Serif CJK SC", serif; font-size: 10pt; }} }}
body {{ font-family: "Noto Serif CJK SC", "Source Han Serif SC", serif; font-size: 12pt; line-height: 1.75; color: #111; margin: 0; }}
h1 {{ font-family: "Noto Serif CJK SC", serif; font-weight: 900; color: #b71c1c; text-align: center; font-size: 26pt; letter-spacing: 4pt; margin: 0 0 4pt; }}
.sub {{ text-align: center; font-size: 10.5pt; color: #333; border-bottom: 2px solid #b71c1c; padding-bottom: 6pt; margin-bottom: 12pt; }}
h2 {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 14pt; margin: 14pt 0 6pt; }}
p {{ text-indent: 2em; margin: 0 0 6pt; text-align: justify; }}
table {{ border-collapse: collapse; width: 100%; margin: 4pt 0 10pt; font-size: 9.5pt; line-height: 1.4; page-break-inside: auto; }}
caption {{ font-family: "Noto Sans CJK SC", sans-serif; font-weight: 700; font-size: 10.5pt; padding: 4pt 0; }}
th, td {{ border: 0.6pt solid #555; padding: 2pt 4pt; text-align: center; }}
th {{ background: #f3e5e5; font-family: "Noto Sans CJK SC", sans-serif; font-weight: 700; }}
td:first-child {{ text-align: left; }}
tr {{ page-break-inside: avoid; }}
figure {{ margin: 6pt 0 12pt; text-align: center; page-break-inside: avoid; }}
figcaption {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 10pt; font-weight: 700; }}
figure svg {{ max-width: 100%; height: auto; }}
.notes {{ font-size: 9pt; color: #444; line-height: 1.5; }}
.notes p {{ text-indent: 0; }}
</style></head><body>
<h1>{title}</h1><div class="sub">{sub}</div>
<h2>一、总体情况</h2>
"#,
        title = esc(&title(s)),
        sub = esc(&subtitle(s, generated_at)),
    );
    for p in prose(s) {
        let _ = writeln!(h, "<p>{}</p>", esc(&p));
    }
    let tables = tables(s);
    let charts = charts(s);
    let table = |h: &mut String,
                 (caption, head, rows): &(String, Vec<String>, Vec<Vec<String>>)| {
        let _ = write!(h, "<table><caption>{}</caption><thead><tr>", esc(caption));
        for c in head {
            let _ = write!(h, "<th>{}</th>", esc(c));
        }
        h.push_str("</tr></thead><tbody>");
        if rows.is_empty() {
            let _ = write!(h, r#"<tr><td colspan="{}">（无）</td></tr>"#, head.len());
        }
        for r in rows {
            h.push_str("<tr>");
            for c in r {
                let _ = write!(h, "<td>{}</td>", esc(c));
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table>\n");
    };
    let figure = |h: &mut String, c: &Chart| {
        let _ = writeln!(
            h,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            c.svg,
            esc(&c.title)
        );
    };
    table(&mut h, &tables[0]);
    h.push_str("<h2>二、分类情况</h2>\n");
    table(&mut h, &tables[1]);
    table(&mut h, &tables[2]);
    figure(&mut h, &charts[0]);
    h.push_str("<h2>三、趋势</h2>\n");
    figure(&mut h, &charts[1]);
    table(&mut h, &tables[5]);
    h.push_str("<h2>四、各镇街道办理情况</h2>\n");
    table(&mut h, &tables[3]);
    figure(&mut h, &charts[2]);
    h.push_str("<h2>五、承办单位办理情况</h2>\n");
    table(&mut h, &tables[4]);
    h.push_str("<h2>六、代表履职情况</h2>\n");
    table(&mut h, &tables[6]);
    h.push_str(r#"<div class="notes"><h2>附：统计口径</h2>"#);
    for n in NOTES {
        let _ = write!(h, "<p>{}</p>", esc(n));
    }
    h.push_str("</div></body></html>\n");
    h
}

/// How long Chromium may take to print one report.
pub const PRINT_TIMEOUT: Duration = Duration::from_secs(90);

/// Print `html` to PDF with headless Chromium (`chromium`: its command):
/// the page is written to a private temporary directory and printed from
/// there, with no network, a throwaway profile and no header or footer.
pub fn pdf(html: &str, chromium: &str) -> Result<Vec<u8>, DocError> {
    let dir = tempfile::tempdir()?;
    let page = dir.path().join("report.html");
    std::fs::write(&page, html)?;
    let out = dir.path().join("report.pdf");
    let profile = dir.path().join("profile");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(file_url(&page))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| DocError::NoChromium(chromium.to_owned(), e))?;
    let began = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if began.elapsed() > PRINT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(DocError::Chromium(format!(
                "no PDF after {} s",
                PRINT_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let bytes = std::fs::read(&out).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF") {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        let tail: String = err.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
        return Err(DocError::Chromium(format!("{status}: {tail}")));
    }
    Ok(bytes)
}

fn file_url(p: &Path) -> String {
    let mut s = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The report as DOCX: the same prose, tables and charts (as PNG), A4, with
/// the fonts Chinese offices have (宋体 for the text, 黑体 for headings).
pub fn docx(s: &Stats, generated_at: i64) -> Result<Vec<u8>, DocError> {
    use docx_rs::*;
    let song = || RunFonts::new().east_asia("宋体").ascii("Times New Roman");
    let hei = || RunFonts::new().east_asia("黑体").ascii("Arial");
    let text = |t: &str, size: usize| Run::new().add_text(t).size(size).fonts(song());
    let heading = |t: &str| {
        Paragraph::new()
            .add_run(Run::new().add_text(t).size(30).bold().fonts(hei()))
            .line_spacing(LineSpacing::new().before(240).after(120))
    };
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(1247)
                .bottom(1134)
                .left(1134)
                .right(1134),
        )
        .default_fonts(song())
        .default_size(24);
    doc = doc
        .add_paragraph(
            Paragraph::new().align(AlignmentType::Center).add_run(
                Run::new()
                    .add_text(title(s))
                    .size(52)
                    .bold()
                    .color("B71C1C")
                    .fonts(song()),
            ),
        )
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(text(&subtitle(s, generated_at), 20)),
        )
        .add_paragraph(heading("一、总体情况"));
    for p in prose(s) {
        doc = doc.add_paragraph(
            Paragraph::new()
                .indent(None, Some(SpecialIndentType::FirstLine(480)), None, None)
                .line_spacing(LineSpacing::new().line(400))
                .add_run(text(&p, 24)),
        );
    }
    let tables = tables(s);
    let charts = charts(s);
    let table = |(caption, head, rows): &(String, Vec<String>, Vec<Vec<String>>)| {
        let cell = |t: &str, bold: bool| {
            let mut r = Run::new().add_text(t).size(18).fonts(song());
            if bold {
                r = r.bold();
            }
            TableCell::new().add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(r))
        };
        let mut trs = vec![TableRow::new(head.iter().map(|h| cell(h, true)).collect())];
        for r in rows {
            trs.push(TableRow::new(r.iter().map(|c| cell(c, false)).collect()));
        }
        if rows.is_empty() {
            let mut first = vec![cell("（无）", false)];
            first.extend((1..head.len()).map(|_| cell("", false)));
            trs.push(TableRow::new(first));
        }
        (
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(Run::new().add_text(caption).size(21).bold().fonts(hei())),
            Table::new(trs).width(9638, WidthType::Dxa),
        )
    };
    let figure = |doc: Docx, c: &Chart| -> Result<Docx, DocError> {
        let png = charts::png(c, 2.0).map_err(DocError::Chart)?;
        // 16 cm wide, in proportion.
        let (w_emu, h_emu) = (
            5_760_000u32,
            5_760_000u64 * u64::from(c.height) / u64::from(c.width),
        );
        let pic =
            Pic::new_with_dimensions(png, c.width * 2, c.height * 2).size(w_emu, h_emu as u32);
        Ok(doc
            .add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_run(Run::new().add_image(pic)),
            )
            .add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_run(Run::new().add_text(&c.title).size(20).bold().fonts(hei())),
            ))
    };
    let add_table = |doc: Docx, t| {
        let (caption, table) = table(t);
        doc.add_paragraph(caption).add_table(table)
    };
    doc = add_table(doc, &tables[0]);
    doc = doc.add_paragraph(heading("二、分类情况"));
    doc = add_table(doc, &tables[1]);
    doc = add_table(doc, &tables[2]);
    doc = figure(doc, &charts[0])?;
    doc = doc.add_paragraph(heading("三、趋势"));
    doc = figure(doc, &charts[1])?;
    doc = add_table(doc, &tables[5]);
    doc = doc.add_paragraph(heading("四、各镇街道办理情况"));
    doc = add_table(doc, &tables[3]);
    doc = figure(doc, &charts[2])?;
    doc = doc.add_paragraph(heading("五、承办单位办理情况"));
    doc = add_table(doc, &tables[4]);
    doc = doc.add_paragraph(heading("六、代表履职情况"));
    doc = add_table(doc, &tables[6]);
    doc = doc.add_paragraph(heading("附：统计口径"));
    for n in NOTES {
        doc = doc.add_paragraph(Paragraph::new().add_run(text(n, 18)));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| DocError::Docx(e.to_string()))?;
    Ok(out.into_inner())
}

/// The Chromium command the PDF is printed with: `MINQING_CHROMIUM`, or
/// `chromium` (Debian's package) on the `PATH`.
pub fn chromium() -> String {
    std::env::var("MINQING_CHROMIUM")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "chromium".to_owned())
}
