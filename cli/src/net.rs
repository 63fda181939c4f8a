//! The networked commands: `login`, `sync`, `list`, `show`, `watch`, `claim`.
//! Each is a few calls into the core; upload progress comes from the core's
//! queue listener and is drawn with indicatif.

use indicatif::{ProgressBar, ProgressStyle};
use minqing_core::listeners::{QueueListener, TicketListener};
use minqing_core::outbox::OutboxEntry;
use minqing_core::views::TicketView;
use minqing_core::Minqing;
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

type Res = Result<(), Box<dyn std::error::Error>>;

pub async fn login(core: &Minqing, en: bool, phone: &str, code: Option<&str>) -> Res {
    let code = match code {
        Some(c) => c.to_owned(),
        None => {
            core.request_code(phone.to_owned()).await?;
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
    let account = core.login(phone.to_owned(), code).await?;
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
    let _sub = core.subscribe_queue(Arc::new(Progress { bar: bar.clone() }));
    let report = core.sync_now().await;
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

pub(crate) fn line(t: &TicketView) -> String {
    format!(
        "{}  {:<6} {}{}",
        t.id,
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
    let tickets = core.list_tickets()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&tickets)?);
    } else if tickets.is_empty() {
        println!("{}", if en { "No items" } else { "暂无民情" });
    } else {
        for t in &tickets {
            println!("{}", line(t));
        }
    }
    Ok(())
}

pub fn show(core: &Minqing, id: &str, json: bool) -> Res {
    let t = core.get_ticket(id.to_owned())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&t)?);
    } else {
        println!("{}", line(&t));
        if let Some(u) = &t.assigned_unit {
            println!("  unit: {u}");
        }
        for p in &t.photos {
            println!("  photo: {}", p.rendition_path);
        }
        println!("  timeline: {} events", t.timeline_len);
    }
    Ok(())
}

pub fn claim(core: &Minqing, id: &str) -> Res {
    let t = core.claim(id.to_owned())?;
    println!("{}", line(&t));
    Ok(())
}

/// Prints one line per ticket that appears or changes state.
struct Watcher {
    seen: Mutex<HashMap<String, (String, u32)>>,
    json: bool,
}

impl TicketListener for Watcher {
    fn on_tickets_changed(&self, tickets: Vec<TicketView>) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        for t in tickets {
            let now = (t.state.clone(), t.timeline_len);
            if seen.get(&t.id) != Some(&now) {
                if self.json {
                    if let Ok(s) = serde_json::to_string(&t) {
                        println!("{s}");
                    }
                } else {
                    println!("{}", line(&t));
                }
                let _ = std::io::stdout().flush();
                seen.insert(t.id.clone(), now);
            }
        }
    }
}

/// Sync in the background and print changes as they arrive, until Ctrl-C.
pub async fn watch(core: Arc<Minqing>, json: bool) -> Res {
    let _sub = core.subscribe_tickets(Arc::new(Watcher {
        seen: Mutex::new(HashMap::new()),
        json,
    }));
    let _sync = core.clone().start_sync()?;
    tokio::signal::ctrl_c().await?;
    Ok(())
}
