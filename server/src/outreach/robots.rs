//! The direct-line groups' robots (issue 12, item 6): a group may have a
//! WeCom group robot (企业微信群机器人) and a DingTalk custom robot (钉钉自定义
//! 机器人, "加签" security); new items, declines, chases and resolutions are
//! posted to the group as markdown with a link to the item in the console —
//! what the seed's WeChat group saw by hand ("接单", "不是我们的", "已处理好").
//!
//! # Design
//! Posts are derived from the tickets' timelines, not from the code paths
//! that write them: a pass ([`enqueue`]) reads the tickets changed since its
//! cursor (`meta.robot_cursor` over the change sequence) of groups that have a
//! robot, and queues one post per robot and timeline event of interest
//! (`robot_posts`, unique per robot and event: a pass run twice, or by two
//! processes, queues once) — events from before the robot was set are not
//! posted. It holds the ticket write lock (`TICKET_WRITE_LOCK`), so no ticket
//! write is in flight while it reads the change sequence and the cursor never
//! skips one. A second pass ([`send_due`]) claims queued posts (`FOR UPDATE
//! SKIP LOCKED` on PostgreSQL) while holding each robot's row, so that no
//! robot is given more than `per_minute` posts in any minute across processes
//! (both vendors allow 20 a minute per robot), and sends them after the commit.
//!
//! The vendors, as documented:
//! - WeCom: `POST <webhook>` (the webhook holds the robot's `key`) with
//!   `{"msgtype":"markdown","markdown":{"content":…}}` (content ≤ 4096
//!   bytes); `errcode` 0 is success, 45009 is the rate limit (retried a minute
//!   later), 93000 an invalid webhook (failed, not retried).
//! - DingTalk: `POST <webhook>&timestamp=<ms>&sign=<sign>` (the webhook holds
//!   the `access_token`), `sign` = URL-encoded Base64 of HMAC-SHA256 under the
//!   secret of `timestamp + "\n" + secret` ([`dingtalk_sign`]); body
//!   `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`; `errcode` 130101
//!   is "sending too fast" (the robot is throttled for 10 minutes; retried
//!   then), 310000 a failed signature or keyword check (failed, not retried).
//!
//! A post names the item's reporter (a deputy), the unit and what it wrote —
//! never a constituent's contact, which stays in the item (`crate::access`).

use super::sealed::Sealer;
use crate::store::pg::TICKET_WRITE_LOCK;
use crate::store::sql::{args, Tx};
use crate::store::{Db, StoreError};
use base64::Engine as _;
use minqing_protocol::clocks::ClockKind;
use minqing_protocol::machine::Action;
use minqing_protocol::{EventKind, Ticket, TimelineEvent};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// A robot's vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[derive(utoipa::ToSchema)]
pub enum RobotKind {
    /// 企业微信群机器人.
    Wecom,
    /// 钉钉自定义机器人 (加签).
    Dingtalk,
}

impl RobotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RobotKind::Wecom => "wecom",
            RobotKind::Dingtalk => "dingtalk",
        }
    }

    pub fn parse(s: &str) -> Option<RobotKind> {
        match s {
            "wecom" => Some(RobotKind::Wecom),
            "dingtalk" => Some(RobotKind::Dingtalk),
            _ => None,
        }
    }
}

/// A robot to set on a group.
#[derive(Debug, Clone)]
pub struct RobotSetting {
    pub kind: RobotKind,
    /// The webhook URL the vendor gave (WeCom's holds `key=…`, DingTalk's
    /// `access_token=…`).
    pub webhook: String,
    /// DingTalk's signing secret (`SEC…`); none for WeCom.
    pub secret: Option<String>,
}

/// Why a robot setting is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RobotError {
    #[error("the webhook is not an https URL (http only to this machine)")]
    NotHttps,
    #[error("a WeCom webhook has its key in the query (…/cgi-bin/webhook/send?key=…)")]
    NoKey,
    #[error("a DingTalk webhook has its access_token in the query (…/robot/send?access_token=…)")]
    NoAccessToken,
    #[error("a DingTalk robot needs its signing secret (SEC…)")]
    NoSecret,
    #[error("a WeCom robot has no signing secret")]
    UnexpectedSecret,
}

/// Check `s` as the vendor's webhook and secret would be.
pub fn check(s: &RobotSetting) -> Result<(), RobotError> {
    let url = url::Url::parse(&s.webhook).map_err(|_| RobotError::NotHttps)?;
    let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() != "https" && !(url.scheme() == "http" && local) {
        return Err(RobotError::NotHttps);
    }
    let has = |name: &str| url.query_pairs().any(|(k, v)| k == name && !v.is_empty());
    match s.kind {
        RobotKind::Wecom => {
            if !has("key") {
                return Err(RobotError::NoKey);
            }
            if s.secret.is_some() {
                return Err(RobotError::UnexpectedSecret);
            }
        }
        RobotKind::Dingtalk => {
            if !has("access_token") {
                return Err(RobotError::NoAccessToken);
            }
            if !s
                .secret
                .as_deref()
                .is_some_and(|x| x.starts_with("SEC") && x.len() > 3)
            {
                return Err(RobotError::NoSecret);
            }
        }
    }
    Ok(())
}

/// What is shown of a configured robot: never the key or the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RobotView {
    pub kind: RobotKind,
    /// The webhook's host and path (`qyapi.weixin.qq.com/cgi-bin/webhook/send`).
    pub endpoint: String,
    /// Events from this time on are posted (ms since the Unix epoch).
    pub since: i64,
    pub updated_at: i64,
}

/// DingTalk's signature of a request at `timestamp_ms`: Base64 of
/// HMAC-SHA256(key = secret, `timestamp + "\n" + secret`), URL-encoded
/// (`+` → `%2B`, `/` → `%2F`, `=` → `%3D`), as DingTalk's custom robot
/// security settings document ("加签").
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    url::form_urlencoded::byte_serialize(b64.as_bytes()).collect()
}

impl Db {
    /// Set `group`'s robot of `s.kind` (replacing one), sealed by `sealer`;
    /// its posts begin with events at or after `now`.
    pub fn set_robot(
        &self,
        group: &str,
        s: &RobotSetting,
        sealer: &Sealer,
        now: i64,
    ) -> Result<(), StoreError> {
        let webhook = sealer.seal(&s.webhook);
        let secret = s.secret.as_deref().map(|x| sealer.seal(x));
        self.write(|tx| {
            tx.execute(
                "INSERT INTO group_robots (group_id, kind, webhook, secret, since, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (group_id, kind) DO UPDATE SET webhook = excluded.webhook,
                     secret = excluded.secret, updated_at = excluded.updated_at",
                args![group, s.kind.as_str(), webhook, secret, now],
            )?;
            Ok(())
        })
    }

    /// Remove `group`'s robot of `kind` and its queued posts; whether there was one.
    pub fn remove_robot(&self, group: &str, kind: RobotKind) -> Result<bool, StoreError> {
        self.write(|tx| {
            let n = tx.execute(
                "DELETE FROM group_robots WHERE group_id = ?1 AND kind = ?2",
                args![group, kind.as_str()],
            )?;
            tx.execute(
                "UPDATE robot_posts SET state = 'dropped' WHERE group_id = ?1 AND kind = ?2
                   AND state = 'queued'",
                args![group, kind.as_str()],
            )?;
            Ok(n > 0)
        })
    }

    /// `group`'s robots, without their keys.
    pub fn robots(&self, group: &str, sealer: &Sealer) -> Result<Vec<RobotView>, StoreError> {
        let rows = self.read(|tx| {
            tx.query(
                "SELECT kind, webhook, since, updated_at FROM group_robots WHERE group_id = ?1
                 ORDER BY kind",
                args![group],
            )
        })?;
        let mut out = Vec::new();
        for r in rows {
            let Some(kind) = RobotKind::parse(&r.get::<String>(0)?) else {
                continue;
            };
            let endpoint = sealer
                .open(&r.get::<String>(1)?)
                .ok()
                .and_then(|w| url::Url::parse(&w).ok())
                .map(|u| format!("{}{}", u.host_str().unwrap_or(""), u.path()))
                .unwrap_or_else(|| "(unreadable: another server secret)".into());
            out.push(RobotView {
                kind,
                endpoint,
                since: r.get(2)?,
                updated_at: r.get(3)?,
            });
        }
        Ok(out)
    }
}

/// A post about to be queued.
struct NewPost {
    event_id: String,
    what: &'static str,
    title: String,
    body: String,
}

/// Names the posts use, read once per pass.
#[derive(Default)]
struct Names {
    users: HashMap<String, String>,
    units: HashMap<String, String>,
    groups: HashMap<String, String>,
}

fn name_of(
    tx: &mut dyn Tx,
    cache: &mut HashMap<String, String>,
    sql: &str,
    id: &str,
) -> Result<String, StoreError> {
    if let Some(n) = cache.get(id) {
        return Ok(n.clone());
    }
    let name = tx
        .query_opt(sql, args![id])?
        .map(|r| r.get::<String>(0))
        .transpose()?
        .unwrap_or_else(|| "—".into());
    cache.insert(id.to_owned(), name.clone());
    Ok(name)
}

/// At most `n` characters of `s` on one line, `…` when cut.
fn excerpt(s: &str, n: usize) -> String {
    let line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = line.chars().take(n).collect();
    if line.chars().count() > n {
        out.push('…');
    }
    out
}

/// China time (UTC+8) of `ms` as `10月4日 08:48`.
fn china_time(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC));
    format!(
        "{}月{}日 {:02}:{:02}",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The post for `e` on `t`, if it is one the groups hear of.
fn post_for(
    tx: &mut dyn Tx,
    names: &mut Names,
    t: &Ticket,
    e: &TimelineEvent,
    console_url: &str,
) -> Result<Option<NewPost>, StoreError> {
    const USER: &str = "SELECT name FROM users WHERE id = ?1";
    const UNIT: &str = "SELECT name_zh FROM units WHERE id = ?1";
    const GROUP: &str = "SELECT name_zh FROM groups WHERE id = ?1";
    let group = match t.group {
        Some(g) => name_of(tx, &mut names.groups, GROUP, &g.to_string())?,
        None => return Ok(None),
    };
    let unit_name = |tx: &mut dyn Tx, names: &mut Names| -> Result<String, StoreError> {
        match t.assigned_unit.or(t.mentioned_unit) {
            Some(u) => name_of(tx, &mut names.units, UNIT, &u.to_string()),
            None => Ok("—".into()),
        }
    };
    let actor = name_of(tx, &mut names.users, USER, &e.actor.to_string())?;
    let when = china_time(e.at);
    let (what, title, lines): (&'static str, String, Vec<String>) = match &e.kind {
        EventKind::Submitted => {
            let mut lines = vec![
                format!("> {}", excerpt(&t.text, 80)),
                format!("上报 / by：{actor}（{}）", e.role.label_zh()),
            ];
            if let Some(u) = t.mentioned_unit {
                let unit = name_of(tx, &mut names.units, UNIT, &u.to_string())?;
                lines.push(format!("@{unit}"));
            } else {
                lines.push("待认领 / open to claim".into());
            }
            ("submitted", "新事项 New item".into(), lines)
        }
        EventKind::Action {
            action: Action::Decline { reason },
        } => {
            let unit = unit_name(tx, names)?;
            (
                "declined",
                "退回 Declined".into(),
                vec![
                    format!("> {}", excerpt(&t.text, 40)),
                    format!("{unit}（{actor}）：{}", excerpt(reason, 80)),
                    "已回到待认领，请协调 / back in the pool".into(),
                ],
            )
        }
        EventKind::Chased { chase } => {
            let unit = unit_name(tx, names)?;
            let clock = match chase.clock {
                ClockKind::Acceptance => "受理",
                ClockKind::Reply => "答复",
            };
            let state = if chase.level == 1 {
                "即将到期"
            } else {
                "已超期"
            };
            (
                "chased",
                format!("督办 Chase（第{}级）", chase.level),
                vec![
                    format!("> {}", excerpt(&t.text, 40)),
                    format!("{unit}：{clock}时限{state}，请尽快办理"),
                ],
            )
        }
        EventKind::Action {
            action: Action::Resolve { text, .. },
        } => {
            let unit = unit_name(tx, names)?;
            (
                "resolved",
                "已处理 Resolved".into(),
                vec![
                    format!("> {}", excerpt(&t.text, 40)),
                    format!("{unit}（{actor}）：{}", excerpt(text, 80)),
                    "请代表确认 / the deputy is asked to confirm".into(),
                ],
            )
        }
        _ => return Ok(None),
    };
    let link = format!("{}/items/{}", console_url.trim_end_matches('/'), t.id);
    let body = format!(
        "### 【{title}】{group}\n{}\n\n{when}\n\n[查看事项 / Open the item]({link})",
        lines.join("\n\n")
    );
    Ok(Some(NewPost {
        event_id: e.id.to_string(),
        what,
        title: format!("{title} · {group}"),
        body,
    }))
}

/// Tickets read per transaction by [`enqueue`].
pub const ENQUEUE_BATCH: usize = 200;

/// Queue the posts of every event since the cursor; how many were queued.
pub fn enqueue(db: &Db, console_url: &str, now: i64) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let (queued, more) = db.write(|tx| enqueue_batch(tx, console_url, now))?;
        total += queued;
        if !more {
            return Ok(total);
        }
    }
}

fn enqueue_batch(
    tx: &mut dyn Tx,
    console_url: &str,
    now: i64,
) -> Result<(usize, bool), StoreError> {
    tx.advisory_lock(TICKET_WRITE_LOCK)?;
    let cursor: i64 = tx
        .query_opt("SELECT value FROM meta WHERE key = 'robot_cursor'", &[])?
        .map(|r| r.get::<String>(0))
        .transpose()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let top: i64 = tx
        .query_one("SELECT COALESCE(MAX(seq), 0) FROM tickets", &[])?
        .get(0)?;
    let robots: Vec<(String, String, i64)> = tx
        .query("SELECT group_id, kind, since FROM group_robots", &[])?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .collect::<Result<_, StoreError>>()?;
    let mut queued = 0;
    let mut next = top;
    let mut more = false;
    if !robots.is_empty() && top > cursor {
        let rows = tx.query(
            "SELECT body, seq FROM tickets WHERE seq > ?1 AND seq <= ?2
               AND group_id IN (SELECT group_id FROM group_robots)
             ORDER BY seq LIMIT ?3",
            args![cursor, top, ENQUEUE_BATCH],
        )?;
        if rows.len() == ENQUEUE_BATCH {
            more = true;
            next = rows.last().map(|r| r.get(1)).transpose()?.unwrap_or(top);
        }
        let mut names = Names::default();
        for r in rows {
            let Ok(t) = serde_json::from_str::<Ticket>(&r.get::<String>(0)?) else {
                continue;
            };
            let Some(group) = t.group.map(|g| g.to_string()) else {
                continue;
            };
            for (g, kind, since) in robots.iter().filter(|(g, _, _)| *g == group) {
                for e in t.timeline.iter().filter(|e| e.at >= *since) {
                    let Some(p) = post_for(tx, &mut names, &t, e, console_url)? else {
                        continue;
                    };
                    queued += tx.execute(
                        "INSERT INTO robot_posts (group_id, kind, event_id, ticket_id, what,
                             title, body, state, attempts, next_at, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', 0, ?8, ?8)
                         ON CONFLICT (group_id, kind, event_id) DO NOTHING",
                        args![
                            g,
                            kind,
                            p.event_id,
                            t.id.to_string(),
                            p.what,
                            p.title,
                            p.body,
                            now
                        ],
                    )? as usize;
                }
            }
        }
    }
    if next > cursor {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('robot_cursor', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            args![next.to_string()],
        )?;
    }
    Ok((queued, more))
}

/// A post claimed for sending.
#[derive(Debug, Clone)]
struct Claimed {
    id: i64,
    kind: RobotKind,
    webhook: String,
    secret: Option<String>,
    title: String,
    body: String,
    attempts: i64,
}

/// What a vendor answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// The vendor's rate limit (WeCom 45009, DingTalk 130101): try again at.
    Throttled {
        errcode: i64,
        retry_in_ms: i64,
    },
    /// A mistake retrying cannot mend (wrong signature, invalid webhook).
    Refused {
        errcode: i64,
        errmsg: String,
    },
    /// No answer, or not one that parses: retried with backoff.
    Transport(String),
}

#[derive(Deserialize)]
struct VendorAnswer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Send one post to its robot (blocking).
/// DingTalk's `timestamp` is the real time (it refuses one more than an hour
/// off), whatever clock the pass runs by.
fn deliver(http: &reqwest::blocking::Client, c: &Claimed) -> Outcome {
    let (url, body) = match c.kind {
        RobotKind::Wecom => (
            c.webhook.clone(),
            serde_json::json!({"msgtype": "markdown", "markdown": {"content": c.body}}),
        ),
        RobotKind::Dingtalk => {
            let sep = if c.webhook.contains('?') { '&' } else { '?' };
            let now = crate::store::now_ms();
            let sign = dingtalk_sign(now, c.secret.as_deref().unwrap_or(""));
            (
                format!("{}{sep}timestamp={now}&sign={sign}", c.webhook),
                serde_json::json!({"msgtype": "markdown",
                    "markdown": {"title": c.title, "text": c.body}}),
            )
        }
    };
    let answer = match http.post(&url).json(&body).send() {
        Ok(a) => a,
        Err(e) => return Outcome::Transport(e.without_url().to_string()),
    };
    let status = answer.status();
    let Ok(v) = answer.json::<VendorAnswer>() else {
        return Outcome::Transport(format!("HTTP {status}: not the vendor's answer"));
    };
    match (c.kind, v.errcode) {
        (_, 0) => Outcome::Sent,
        (RobotKind::Wecom, 45009) => Outcome::Throttled {
            errcode: 45009,
            retry_in_ms: 60_000,
        },
        (RobotKind::Dingtalk, 130101) => Outcome::Throttled {
            errcode: 130101,
            retry_in_ms: 10 * 60_000,
        },
        (_, code) => Outcome::Refused {
            errcode: code,
            errmsg: v.errmsg,
        },
    }
}

/// Attempts at most for a post whose sends fail in transport.
pub const MAX_ATTEMPTS: i64 = 5;

/// What a sending pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub throttled: usize,
    pub failed: usize,
    /// Left queued because their robot had its posts of the minute.
    pub held: usize,
}

/// Claim what is due (each robot within `per_minute`), send, record.
pub fn send_due(
    db: &Db,
    http: &reqwest::blocking::Client,
    sealer: &Sealer,
    per_minute: u32,
    now: i64,
) -> Result<SendReport, StoreError> {
    let mut report = SendReport::default();
    let claimed = db.write(|tx| claim(tx, sealer, per_minute, now, &mut report))?;
    for c in claimed {
        let outcome = deliver(http, &c);
        let (state, next_at, error) = match &outcome {
            Outcome::Sent => {
                report.sent += 1;
                ("sent", now, None)
            }
            Outcome::Throttled {
                errcode,
                retry_in_ms,
            } => {
                report.throttled += 1;
                (
                    "queued",
                    now + retry_in_ms,
                    Some(format!("errcode {errcode}")),
                )
            }
            Outcome::Refused { errcode, errmsg } => {
                report.failed += 1;
                ("failed", now, Some(format!("errcode {errcode}: {errmsg}")))
            }
            Outcome::Transport(e) if c.attempts < MAX_ATTEMPTS => (
                "queued",
                now + 10_000 * (1 << c.attempts.clamp(0, 10)),
                Some(e.clone()),
            ),
            Outcome::Transport(e) => {
                report.failed += 1;
                ("failed", now, Some(e.clone()))
            }
        };
        if state != "sent" {
            tracing::warn!(post = c.id, ?outcome, "robot post not sent");
        }
        db.write(|tx| {
            tx.execute(
                "UPDATE robot_posts SET state = ?2, next_at = ?3, error = ?4 WHERE id = ?1",
                args![c.id, state, next_at, error],
            )
        })?;
    }
    Ok(report)
}

/// Posts claimed per pass at most.
pub const CLAIM: usize = 100;

/// A robot while posts are claimed for it.
struct Room {
    webhook: String,
    secret: Option<String>,
    left: i64,
}

fn claim(
    tx: &mut dyn Tx,
    sealer: &Sealer,
    per_minute: u32,
    now: i64,
    report: &mut SendReport,
) -> Result<Vec<Claimed>, StoreError> {
    let rows = tx.query(
        &format!(
            "SELECT id, group_id, kind, title, body, attempts FROM robot_posts
             WHERE state = 'queued' AND next_at <= ?1 ORDER BY group_id, kind, id LIMIT ?2{}",
            tx.skip_locked()
        ),
        args![now, CLAIM],
    )?;
    let mut out = Vec::new();
    // Per robot (group, kind): its sealed webhook and secret and the posts
    // left to it this minute; `None` when it was removed.
    let mut robots: HashMap<(String, String), Option<Room>> = HashMap::new();
    for r in rows {
        let (id, group, kind): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let key = (group.clone(), kind.clone());
        if !robots.contains_key(&key) {
            let robot = tx.query_opt(
                &format!(
                    "SELECT webhook, secret FROM group_robots WHERE group_id = ?1 AND kind = ?2{}",
                    tx.for_update()
                ),
                args![&group, &kind],
            )?;
            let entry = match robot {
                None => None,
                Some(robot) => {
                    let recent: i64 = tx
                        .query_one(
                            "SELECT COUNT(*) FROM robot_posts WHERE group_id = ?1 AND kind = ?2
                               AND state IN ('sending', 'sent') AND sent_at > ?3",
                            args![&group, &kind, now - 60_000],
                        )?
                        .get(0)?;
                    Some(Room {
                        webhook: robot.get(0)?,
                        secret: robot.get(1)?,
                        left: i64::from(per_minute) - recent,
                    })
                }
            };
            robots.insert(key.clone(), entry);
        }
        let Some(Some(Room {
            webhook,
            secret,
            left: room,
        })) = robots.get_mut(&key)
        else {
            // The robot was removed: its posts are dropped.
            tx.execute(
                "UPDATE robot_posts SET state = 'dropped' WHERE id = ?1",
                args![id],
            )?;
            continue;
        };
        if *room <= 0 {
            report.held += 1;
            continue;
        }
        let (Ok(webhook), secret) = (
            sealer.open(webhook),
            secret.as_deref().map(|s| sealer.open(s)).transpose(),
        ) else {
            continue;
        };
        let Ok(secret) = secret else {
            continue;
        };
        let Some(kind) = RobotKind::parse(&kind) else {
            continue;
        };
        *room -= 1;
        tx.execute(
            "UPDATE robot_posts SET state = 'sending', attempts = attempts + 1, sent_at = ?2
             WHERE id = ?1",
            args![id, now],
        )?;
        out.push(Claimed {
            id,
            kind,
            webhook,
            secret,
            title: r.get(3)?,
            body: r.get(4)?,
            attempts: r.get::<i64>(5)? + 1,
        });
    }
    Ok(out)
}

/// One recorded post (for the tests and the admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRow {
    pub id: i64,
    pub group_id: String,
    pub kind: String,
    pub what: String,
    pub ticket_id: String,
    pub body: String,
    pub state: String,
    pub attempts: i64,
    pub error: Option<String>,
}

impl Db {
    /// Every robot post, in order.
    pub fn robot_posts(&self) -> Result<Vec<PostRow>, StoreError> {
        self.read(|tx| {
            tx.query(
                "SELECT id, group_id, kind, what, ticket_id, body, state, attempts, error
                 FROM robot_posts ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(PostRow {
                    id: r.get(0)?,
                    group_id: r.get(1)?,
                    kind: r.get(2)?,
                    what: r.get(3)?,
                    ticket_id: r.get(4)?,
                    body: r.get(5)?,
                    state: r.get(6)?,
                    attempts: r.get(7)?,
                    error: r.get(8)?,
                })
            })
            .collect()
        })
    }
}

/// One round: queue new posts, send what is due (blocking).
pub fn run_pass(
    db: &Db,
    http: &reqwest::blocking::Client,
    sealer: &Sealer,
    config: &super::RobotsConfig,
    now: i64,
) -> Result<SendReport, StoreError> {
    enqueue(db, &config.console_url, now)?;
    send_due(db, http, sealer, config.per_minute, now)
}

/// The HTTP client of the robots (10 s per request), built once, off the
/// async runtime, and never dropped.
pub fn client() -> &'static reqwest::blocking::Client {
    static CLIENT: std::sync::OnceLock<reqwest::blocking::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::blocking::Client::new())
    })
}

/// Run a round every `config.interval_secs`, for ever (abort the task to stop).
pub async fn run_forever(
    db: std::sync::Arc<Db>,
    sealer: Sealer,
    config: super::RobotsConfig,
    clock: crate::clock::Clock,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(config.interval_secs.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let config = std::sync::Arc::new(config);
    loop {
        tick.tick().await;
        let (db, sealer, config, now) = (db.clone(), sealer.clone(), config.clone(), clock.now());
        let pass = tokio::task::spawn_blocking(move || {
            if !db.has_robots()? {
                return Ok(SendReport::default());
            }
            run_pass(&db, client(), &sealer, &config, now)
        });
        match pass.await {
            Ok(Ok(r)) if r != SendReport::default() => tracing::info!(
                sent = r.sent,
                throttled = r.throttled,
                failed = r.failed,
                held = r.held,
                "robot posts"
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("robot pass failed, retried next tick: {e}"),
            Err(e) => tracing::warn!("robot pass ended badly: {e}"),
        }
    }
}

impl Db {
    /// Is there a group with this id?
    pub fn group_exists(&self, id: &str) -> Result<bool, StoreError> {
        self.read(|tx| {
            Ok(tx
                .query_opt("SELECT 1 FROM groups WHERE id = ?1", args![id])?
                .is_some())
        })
    }

    /// Is any robot set, or any post still queued?
    pub fn has_robots(&self) -> Result<bool, StoreError> {
        self.read(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT 1 FROM group_robots UNION ALL
                     SELECT 1 FROM robot_posts WHERE state = 'queued' LIMIT 1",
                    &[],
                )?
                .is_some())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently with DingTalk's own Python sample (hmac,
    /// hashlib.sha256, base64.b64encode, urllib.parse.quote_plus) for this
    /// timestamp and secret; the value has a `+`, a `/` and `=` to encode.
    #[test]
    fn dingtalk_signature_matches_the_vendors_sample() {
        assert_eq!(
            dingtalk_sign(
                1577000000000,
                "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
            ),
            "w%2Bzop2Nw%2BqR8R%2Fu7zENH4sf%2BCq8FswZQXWtp7mKBwCo%3D"
        );
    }

    #[test]
    fn webhooks_are_checked() {
        let s = |kind, webhook: &str, secret: Option<&str>| RobotSetting {
            kind,
            webhook: webhook.into(),
            secret: secret.map(str::to_owned),
        };
        use RobotKind::*;
        assert_eq!(
            check(&s(
                Wecom,
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
                None
            )),
            Ok(())
        );
        assert_eq!(
            check(&s(
                Wecom,
                "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
                None
            )),
            Err(RobotError::NotHttps)
        );
        assert_eq!(
            check(&s(
                Wecom,
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
                None
            )),
            Err(RobotError::NoKey)
        );
        assert_eq!(
            check(&s(
                Dingtalk,
                "https://oapi.dingtalk.com/robot/send?access_token=t",
                None
            )),
            Err(RobotError::NoSecret)
        );
        assert_eq!(
            check(&s(
                Dingtalk,
                "https://oapi.dingtalk.com/robot/send?access_token=t",
                Some("SECx")
            )),
            Ok(())
        );
        assert_eq!(
            check(&s(
                Dingtalk,
                "http://127.0.0.1:9/robot/send?access_token=t",
                Some("SECx")
            )),
            Ok(())
        );
    }

    #[test]
    fn china_time_is_utc_plus_8() {
        // 2020-10-04 08:48 in China.
        assert_eq!(china_time(1_601_772_480_000), "10月4日 08:48");
    }
}
