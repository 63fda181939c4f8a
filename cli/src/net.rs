//! The networked commands (`login`, `sync`, `watch`) and the item screens as
//! text (`list`, `show`): names, the timeline, clocks — never an id; an item
//! is typed as its short handle (`#1a2b3c4d`).
//! Each is a few calls into the core; upload progress comes from the core's
//! queue listener and is drawn with indicatif.

use indicatif::{ProgressBar, ProgressStyle};
use minqing_core::live::{HomeListener, HomeUpdate, QueueListener, RowDiff};
use minqing_core::outbox::OutboxEntry;
use minqing_core::screens::{TicketDetail, TicketRow};
use minqing_core::views::SyncBadge;
use minqing_core::Minqing;
use minqing_protocol::clocks::Colour;
use minqing_protocol::TicketState;
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

type Res = Result<(), Box<dyn std::error::Error>>;

pub async fn login(core: &Minqing, en: bool, phone: &str, code: Option<&str>) -> Res {
    let code = match code {
        Some(c) => c.to_owned(),
        None => {
            core.account().request_code(phone.to_owned()).await?;
            if !std::io::stdin().is_terminal() {
                println!(
                    "{}",
                    if en {
                        format!("Code sent to {phone}. Run: minqing login --phone {phone} --code <code>")
                    } else {
                        format!("验证码已发送至 {phone}。请运行：minqing login --phone {phone} --code <验证码>")
                    }
                );
                return Ok(());
            }
            print!("{}", if en { "Code: " } else { "验证码：" });
            std::io::stdout().flush()?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim().to_owned()
        }
    };
    let account = core.account().login(phone.to_owned(), code).await?;
    println!(
        "{} {}（{}）",
        if en { "Logged in as" } else { "已登录：" },
        account.name,
        account.role_label
    );
    Ok(())
}

/// Draws upload progress from queue updates.
struct Progress {
    bar: ProgressBar,
}

impl QueueListener for Progress {
    fn on_queue_changed(&self, entries: Vec<OutboxEntry>) {
        let uploads: Vec<&OutboxEntry> = entries.iter().filter(|e| e.kind == "upload").collect();
        let total: u64 = uploads.iter().filter_map(|e| e.total_bytes).sum();
        let done: u64 = uploads.iter().filter_map(|e| e.uploaded_bytes).sum();
        if total > 0 && done < total {
            self.bar.set_length(total);
            self.bar.set_position(done);
        }
    }
}

/// Push and pull until idle. Ok only when nothing is left pending.
pub async fn sync(core: &Minqing, en: bool, json: bool) -> Res {
    let bar = ProgressBar::hidden();
    if std::io::stderr().is_terminal() && !json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(if en { "uploading" } else { "上传照片" });
    }
    let _sub = core
        .sync()
        .subscribe_queue(Arc::new(Progress { bar: bar.clone() }));
    let report = core.sync().now().await;
    bar.finish_and_clear();
    let report = report?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else if en {
        println!(
            "pushed {}, rejected {}, photos {}, pulled {}, pending {}",
            report.pushed, report.rejected, report.uploaded_photos, report.pulled, report.pending
        );
    } else {
        println!(
            "已发送 {} 条，被退回 {} 条，上传照片 {} 张，收到更新 {} 条，待发送 {} 条",
            report.pushed, report.rejected, report.uploaded_photos, report.pulled, report.pending
        );
    }
    let left = report.pending;
    if left > 0 {
        return Err(if en {
            format!("{left} entries still pending (see `minqing queue`)")
        } else {
            format!("仍有 {left} 条未发送（见 minqing queue）")
        }
        .into());
    }
    Ok(())
}

/// The short handle a person types for an item: `#` and the last eight hex
/// digits of its id (the random part of a UUIDv7).
pub(crate) fn handle(id: &str) -> String {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    format!("#{}", &hex[hex.len().saturating_sub(8)..])
}

/// An item's id from what the user typed: the whole id, or a handle (`#` and
/// at least six trailing hex digits) that names one item on this device.
pub fn resolve(core: &Minqing, typed: &str) -> Result<String, Box<dyn std::error::Error>> {
    let t = typed.trim();
    if t.parse::<uuid_like::Id>().is_ok() {
        return Ok(t.to_owned());
    }
    let tail = t.trim_start_matches('#').to_ascii_lowercase();
    if tail.len() < 6 || !tail.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{typed}: not an item (use the #handle that `list` shows)").into());
    }
    let hits: Vec<String> = core
        .tickets()
        .list()?
        .into_iter()
        .map(|r| r.id)
        .filter(|id| id.replace('-', "").ends_with(&tail))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("{typed}: no such item on this device").into()),
        _ => Err(format!("{typed}: more than one item matches; type more digits").into()),
    }
}

mod uuid_like {
    /// A canonical UUID (8-4-4-4-12 hex digits).
    pub struct Id;
    impl std::str::FromStr for Id {
        type Err = ();
        fn from_str(s: &str) -> Result<Id, ()> {
            let parts: Vec<&str> = s.split('-').collect();
            let sizes = [8, 4, 4, 4, 12];
            (parts.len() == 5
                && parts
                    .iter()
                    .zip(sizes)
                    .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit())))
            .then_some(Id)
            .ok_or(())
        }
    }
}

/// A unit's id from its name (as `show` and the pickers print it).
pub fn unit_by_name(core: &Minqing, name: &str) -> Result<String, Box<dyn std::error::Error>> {
    if name.parse::<uuid_like::Id>().is_ok() {
        return Ok(name.to_owned());
    }
    let units = core.reference().units()?;
    let hits: Vec<_> = units
        .iter()
        .filter(|u| u.name == name || u.name.contains(name))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(format!("{name}: no such unit").into()),
        _ => Err(format!("{name}: more than one unit matches").into()),
    }
}

fn colour_mark(c: Option<Colour>) -> &'static str {
    match c {
        Some(Colour::Green) => "🟢",
        Some(Colour::Yellow) => "🟡",
        Some(Colour::Red) => "🔴",
        None => "  ",
    }
}

/// One line per item: handle, clock colour, state, text, unit, category.
pub(crate) fn row_line(r: &TicketRow) -> String {
    let mut out = format!(
        "{}  {} {:<6} {}",
        handle(&r.id),
        colour_mark(r.colour),
        r.state_label,
        r.text.chars().take(40).collect::<String>()
    );
    if let Some(u) = &r.unit_name {
        out.push_str(&format!("  · {u}"));
    }
    if let Some(c) = &r.category_label {
        out.push_str(&format!("  · {c}"));
    }
    if r.unread {
        out.push_str("  ●");
    }
    out
}

/// One line for an item after a verb: handle, state, text.
pub(crate) fn line(t: &TicketDetail) -> String {
    format!(
        "{}  {:<6} {}{}",
        handle(&t.id),
        t.state_label,
        t.text.chars().take(40).collect::<String>(),
        if t.photos.is_empty() {
            String::new()
        } else {
            format!("  📷{}", t.photos.len())
        }
    )
}

pub fn list(core: &Minqing, en: bool, json: bool) -> Res {
    let tickets = core.tickets().list()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&tickets)?);
    } else if tickets.is_empty() {
        println!("{}", if en { "No items" } else { "暂无民情" });
    } else {
        for t in &tickets {
            println!("{}", row_line(t));
        }
    }
    Ok(())
}

/// China time, to the minute.
fn at(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(minqing_protocol::calendar::CHINA_TIME);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The detail screen as text: names, the timeline, the clocks and what the
/// user may do now. No ids.
pub fn show(core: &Minqing, typed: &str, en: bool, json: bool) -> Res {
    let id = resolve(core, typed)?;
    let t = core.tickets().detail(id.clone())?;
    core.tickets().mark_seen(id)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&t)?);
        return Ok(());
    }
    let l = |zh: &'static str, en_: &'static str| if en { en_ } else { zh };
    println!("{}  {}", handle(&t.id), t.state_label);
    println!("{}", t.text);
    println!("{}：{}", l("报告人", "Reported by"), t.reporter_name);
    if let Some(u) = &t.unit_name {
        println!("{}：{u}", l("承办单位", "Unit"));
    }
    if let Some(g) = &t.group_name {
        println!("{}：{g}", l("直通车群", "Group"));
    }
    if let Some(c) = &t.category_label {
        println!("{}：{c}", l("类别", "Category"));
    }
    if let Some(loc) = &t.location {
        println!(
            "{}：{}{:.5}, {:.5}",
            l("地点", "Place"),
            loc.address
                .as_ref()
                .map(|a| format!("{a} "))
                .unwrap_or_default(),
            loc.latitude,
            loc.longitude
        );
    }
    for p in &t.photos {
        println!("{}：{}", l("照片", "Photo"), p.rendition_path);
    }
    for c in &t.clocks {
        println!(
            "{} {}：{} {}",
            colour_mark(Some(c.colour)),
            c.label,
            l("截止", "due"),
            at(c.due_at)
        );
    }
    println!("{}：", l("经过", "Timeline"));
    for e in &t.timeline {
        let mut line = format!(
            "  {}  {}（{}）{}",
            at(e.at),
            e.actor_name,
            e.role_label,
            e.summary
        );
        if let Some(text) = &e.text {
            line.push_str(&format!("：{text}"));
        }
        if !e.photos.is_empty() {
            line.push_str(&format!("  📷{}", e.photos.len()));
        }
        if e.sync != SyncBadge::Synced {
            line.push_str(&format!("  [{}]", l("未同步", "not synced")));
        }
        println!("{line}");
    }
    if !t.actions.is_empty() {
        let names: Vec<&str> = t.actions.iter().map(|a| a.label.as_str()).collect();
        println!("{}：{}", l("可以", "You may"), names.join("、"));
    }
    for r in &t.rejections {
        println!("{}：{r}", l("被退回", "Refused"));
    }
    Ok(())
}

/// Prints one line per item that appears or changes.
struct Watcher {
    seen: Mutex<HashMap<String, (TicketState, i64)>>,
    json: bool,
}

impl Watcher {
    fn saw(&self, row: &TicketRow) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let now = (row.state, row.updated_at);
        if seen.get(&row.id) != Some(&now) {
            if self.json {
                if let Ok(s) = serde_json::to_string(row) {
                    println!("{s}");
                }
            } else {
                println!("{}", row_line(row));
            }
            let _ = std::io::stdout().flush();
            seen.insert(row.id.clone(), now);
        }
    }
}

impl HomeListener for Watcher {
    fn on_home(&self, update: HomeUpdate) {
        for tab in update.changes {
            for d in tab.diffs {
                match d {
                    RowDiff::Reset { rows } => rows.iter().for_each(|r| self.saw(r)),
                    RowDiff::Insert { row, .. } | RowDiff::Set { row, .. } => self.saw(&row),
                    RowDiff::Remove { .. } => {}
                }
            }
        }
    }
}

/// Register `token` of `provider` through the core (as the phone shells do)
/// and sync, which sends it to the server (`POST /v1/devices`).
pub async fn push_token(core: &Minqing, en: bool, provider: &str, token: &str) -> Res {
    use minqing_core::api_sync::PushProvider;
    let p = match provider {
        "hms" => PushProvider::Hms,
        "mipush" => PushProvider::MiPush,
        "fcm" => PushProvider::Fcm,
        "apns" => PushProvider::Apns,
        other => return Err(format!("{other}: the provider is hms, mipush, fcm or apns").into()),
    };
    core.account().register_push_token(p, token.to_owned())?;
    core.sync().now().await?;
    let sent = core.account().push_registration()?.is_some_and(|r| r.sent);
    let msg = match (sent, en) {
        (true, false) => "推送令牌已登记",
        (true, true) => "push token registered",
        (false, false) => "推送令牌未能登记（服务器未接受）",
        (false, true) => "push token not registered (the server did not take it)",
    };
    println!("{msg}");
    if sent {
        Ok(())
    } else {
        Err(msg.into())
    }
}

/// Sync in the background and print changes as they arrive, until Ctrl-C.
pub async fn watch(core: Arc<Minqing>, json: bool) -> Res {
    let _sub = core.tickets().subscribe_home(Arc::new(Watcher {
        seen: Mutex::new(HashMap::new()),
        json,
    }));
    let _sync = core.sync().start()?;
    tokio::signal::ctrl_c().await?;
    Ok(())
}
