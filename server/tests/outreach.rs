//! Issue 12 items 5–6 against real databases (both backends) and local fakes
//! of the vendors over loopback HTTP (`support/outreach_fakes.rs`, which check
//! each request as the vendor documents it):
//!
//! - the SMS fallback: a chase unread after the timeout is texted through
//!   Tencent Cloud SMS (signature verified by the fake), at once when the
//!   person has no device, never when read in time, once only, within the
//!   daily cap; the vendor's refusals are recorded; two server processes on
//!   one PostgreSQL text each notice once;
//! - the groups' robots: new item, decline, chase and resolution posted to
//!   WeCom and to DingTalk (signature verified by the fake), once each, with
//!   the console link and without the constituent's contact; 20 a minute per
//!   robot, the vendor's rate limit retried;
//! - the admin API of the robots, the secrets sealed at rest, and login codes
//!   through Tencent.

#[path = "support/outreach_fakes.rs"]
mod outreach_fakes;
mod support;

use minqing_protocol::calendar::Calendar;
use minqing_protocol::clocks::Policy;
use minqing_protocol::*;
use minqing_server::outreach::fallback;
use minqing_server::outreach::robots::{self, RobotKind, RobotSetting};
use minqing_server::outreach::sealed::Sealer;
use minqing_server::outreach::tencent_sms::TencentSms;
use minqing_server::outreach::{FallbackConfig, RobotsConfig};
use minqing_server::push::devices::Registration;
use minqing_server::push::Provider;
use minqing_server::secret::ServerSecret;
use minqing_server::store::directory::NewUser;
use minqing_server::store::uploads::UploadRecord;
use minqing_server::workflow::escalation::run_once;
use minqing_server::workflow::Workflow;
use minqing_server::Db;
use support::db::on_both_backends;
use support::tickets;
use time::macros::datetime;

const MIN: i64 = 60_000;

macro_rules! cst {
    ($($t:tt)*) => {
        datetime!($($t)* +8).unix_timestamp() * 1000
    };
}

/// The constituent's number: never in an SMS or a post.
const CONSTITUENT_PHONE: &str = "13912345678";

struct World {
    group: GroupId,
    deputy: Actor,
    /// A unit contact with a phone registered for push.
    with_device: Actor,
    /// A unit contact without one.
    without_device: Actor,
}

const PHONE_WITH_DEVICE: &str = "13800000001";
const PHONE_WITHOUT_DEVICE: &str = "13800000002";

fn world(db: &Db) -> World {
    db.set_workflow(Workflow::new(
        Calendar::official().expect("calendars"),
        Policy::default(),
    ))
    .expect("workflow");
    let (group, unit) = (GroupId::new(), UnitId::new());
    tickets::directory(db, group, unit);
    let person = |phone: &str, name: &str, role: Role, unit: Option<UnitId>| {
        let id = UserId::new();
        db.insert_user(&NewUser {
            id,
            phone,
            name,
            role,
            unit,
            jurisdiction: None,
            password_hash: None,
            groups: vec![group],
        })
        .expect("user");
        Actor {
            user: id,
            role,
            unit,
            groups: vec![group],
        }
    };
    let w = World {
        group,
        deputy: person("13700000001", "陆靖英", Role::CityDeputy, None),
        with_device: person(
            PHONE_WITH_DEVICE,
            "移动联络员",
            Role::UnitContact,
            Some(unit),
        ),
        without_device: person(
            PHONE_WITHOUT_DEVICE,
            "移动负责人",
            Role::UnitContact,
            Some(unit),
        ),
    };
    db.register_device(
        "session-1",
        &w.with_device.user.to_string(),
        &Registration {
            provider: Provider::Hms,
            token: "hms-token-1".into(),
            app_id: "cn.minqing.app".into(),
            language: "zh-cn".into(),
            app_version: "1.0".into(),
        },
        cst!(2020-10-01 08:00),
    )
    .expect("device");
    // The reporter too (other notices may reach the reporter; they wait for
    // the timeout like the contact's).
    db.register_device(
        "session-2",
        &w.deputy.user.to_string(),
        &Registration {
            provider: Provider::Apns,
            token: "ab".repeat(32),
            app_id: "cn.minqing.app".into(),
            language: "zh-cn".into(),
            app_version: "1.0".into(),
        },
        cst!(2020-10-01 08:00),
    )
    .expect("device");
    w
}

/// Unread notices of `kind` of everyone in `w`.
fn unread(db: &Db, w: &World, kind: &str) -> Vec<(UserId, i64)> {
    let mut out = Vec::new();
    for who in [&w.deputy, &w.with_device, &w.without_device] {
        let (notices, _) = db.notifications(who.user, 0, 1000).expect("inbox");
        out.extend(
            notices
                .iter()
                .filter(|n| n.kind == kind && !n.read)
                .map(|n| (who.user, n.id)),
        );
    }
    out.sort();
    out
}

fn push(db: &Db, who: &Actor, kind: MutationKind, at: i64) {
    let client = ClientId::new();
    let m = Mutation {
        client_id: client,
        mutation_id: 1,
        kind,
    };
    let r = db.push(who, client, &[m], at).expect("push");
    assert!(r.rejected.is_empty(), "refused: {:?}", r.rejected);
}

fn act(db: &Db, who: &Actor, ticket: TicketId, action: Action, at: i64) {
    let kind = MutationKind::Act {
        ticket,
        event: EventId::new(),
        action,
    };
    push(db, who, kind, at);
}

/// The deputy reports an item @-mentioning the unit, with the constituent's
/// contact, at `at`.
fn submit(db: &Db, w: &World, text: &str, at: i64) -> TicketId {
    let t = NewTicket {
        group: Some(w.group),
        mentioned_unit: w.with_device.unit,
        constituent: Some(ConstituentContact {
            name: Some("张阿姨".into()),
            phone: Some(CONSTITUENT_PHONE.into()),
        }),
        ..tickets::new(text)
    };
    let id = t.id;
    push(db, &w.deputy, MutationKind::CreateTicket { ticket: t }, at);
    id
}

fn tencent(fakes: &outreach_fakes::Fakes) -> TencentSms {
    TencentSms::new(fakes.tencent_config()).expect("tencent config")
}

fn policy() -> FallbackConfig {
    FallbackConfig {
        enabled: true,
        unread_minutes: 30,
        daily_cap: 5,
        ..FallbackConfig::default()
    }
}

/// Chases of `id` recorded by a pass at `at`; the notices go to both unit
/// contacts.
fn chase(db: &Db, at: i64) -> usize {
    run_once(db, at).expect("escalation").chased
}

fn sms_fallback_after_the_timeout(db: Db) {
    let fakes = outreach_fakes::start();
    let gw = tencent(&fakes);
    let w = world(&db);
    let t0 = cst!(2020-10-09 09:00);
    let item = submit(&db, &w, "水月亭路移动公司至方便桥之间的窨井盖不闭合", t0);
    // Not accepted by 20:15 (three quarters of the day's acceptance clock):
    // the first rung reminds the unit's contacts.
    let chased_at = cst!(2020-10-09 20:30);
    assert!(chase(&db, chased_at) >= 1, "a chase fires");
    let sent = |fakes: &outreach_fakes::Fakes| fakes.accepted("tencent");

    // At once: the contact without a device; the one with a device waits.
    let r = fallback::run_pass(&db, &gw, &policy(), chased_at + MIN).expect("pass");
    assert_eq!((r.sent, r.failed, r.capped), (1, 0, 0), "{r:?}");
    let first = sent(&fakes);
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].body["PhoneNumberSet"][0],
        format!("+86{PHONE_WITHOUT_DEVICE}")
    );
    assert_eq!(
        first[0].body["TemplateId"],
        outreach_fakes::TC_NOTICE_TEMPLATE
    );
    let item_ref: String = item.to_string().replace('-', "")[..8].to_owned();
    assert_eq!(
        first[0].body["TemplateParamSet"],
        serde_json::json!(["督办", item_ref])
    );

    // Before the timeout nothing more; after it, everyone else's chase notices
    // (the contact with a device; the reporter's, if the reporter hears of chases).
    let r = fallback::run_pass(&db, &gw, &policy(), chased_at + 29 * MIN).expect("pass");
    assert_eq!(r, fallback::PassReport::default());
    let r = fallback::run_pass(&db, &gw, &policy(), chased_at + 31 * MIN).expect("pass");
    let due = unread(&db, &w, "chased");
    assert_eq!(r.sent, due.len() - 1, "{r:?}");
    let texts = sent(&fakes);
    assert_eq!(texts.len(), due.len());
    assert!(texts
        .iter()
        .any(|t| t.body["PhoneNumberSet"][0] == format!("+86{PHONE_WITH_DEVICE}")));
    let mut decided: Vec<i64> = db
        .sms_fallbacks()
        .expect("decisions")
        .iter()
        .map(|d| d.notification_id)
        .collect();
    decided.sort();
    let mut due_ids: Vec<i64> = due.iter().map(|(_, id)| *id).collect();
    due_ids.sort();
    assert_eq!(decided, due_ids, "every unread chase notice decided once");

    // Exactly once: later passes send nothing more.
    for later in [chased_at + 32 * MIN, chased_at + 5 * 60 * MIN] {
        let r = fallback::run_pass(&db, &gw, &policy(), later).expect("pass");
        assert_eq!(r, fallback::PassReport::default());
    }
    assert_eq!(sent(&fakes).len(), due.len());
    let decisions = db.sms_fallbacks().expect("decisions");
    assert!(decisions.iter().all(|d| d.state == "sent"));
    assert!(decisions
        .iter()
        .all(|d| (d.reason == "no_device") == (d.user_id == w.without_device.user.to_string())));
    assert!(decisions.iter().all(|d| d
        .provider_ref
        .as_deref()
        .is_some_and(|r| r.starts_with("2433:"))));

    // No constituent data, no item text in any SMS.
    for t in sent(&fakes) {
        let body = t.body.to_string();
        assert!(
            !body.contains(CONSTITUENT_PHONE) && !body.contains("窨井盖"),
            "{body}"
        );
    }
    assert!(fakes.refused().is_empty(), "{:?}", fakes.refused());
}

/// "Please confirm": a resolution's notice to the reporting deputy (who has a
/// phone registered) unread after the timeout goes by SMS.
fn please_confirm_goes_by_sms_after_the_timeout(db: Db) {
    let fakes = outreach_fakes::start();
    let gw = tencent(&fakes);
    let w = world(&db);
    let t0 = cst!(2020-10-04 08:48);
    let item = submit(&db, &w, "窨井盖不闭合", t0);
    act(&db, &w.with_device, item, Action::Claim, t0 + MIN);
    let resolved_at = cst!(2020-10-04 19:09);
    resolve(&db, &w.with_device, item, resolved_at);
    let asked = unread(&db, &w, "resolved");
    assert!(
        asked.iter().any(|(u, _)| *u == w.deputy.user),
        "the reporter is asked to confirm: {asked:?}"
    );
    let r = fallback::run_pass(&db, &gw, &policy(), resolved_at + 29 * MIN).expect("pass");
    assert_eq!(r.sent, 0, "{r:?}");
    let r = fallback::run_pass(&db, &gw, &policy(), resolved_at + 32 * MIN).expect("pass");
    assert_eq!(r.sent, asked.len(), "{r:?}");
    let to_deputy: Vec<_> = fakes
        .accepted("tencent")
        .into_iter()
        .filter(|t| t.body["PhoneNumberSet"][0] == "+8613700000001")
        .collect();
    assert_eq!(to_deputy.len(), 1);
    assert_eq!(to_deputy[0].body["TemplateParamSet"][0], "请确认");
}

fn a_notice_read_in_time_is_not_texted_and_the_cap_holds(db: Db) {
    let fakes = outreach_fakes::start();
    let gw = tencent(&fakes);
    let w = world(&db);
    submit(&db, &w, "路灯不亮", cst!(2020-10-09 09:00));
    submit(&db, &w, "井盖缺失", cst!(2020-10-09 09:01));
    let chased_at = cst!(2020-10-09 20:30);
    assert_eq!(chase(&db, chased_at), 2);
    // The contact with a device reads the inbox within the timeout.
    let (notices, _) = db.notifications(w.with_device.user, 0, 100).expect("inbox");
    assert_eq!(notices.iter().filter(|n| n.kind == "chased").count(), 2);
    let newest = notices.iter().map(|n| n.id).max().expect("a notice");
    db.mark_read(w.with_device.user, newest, chased_at + 10 * MIN)
        .expect("read");
    db.mark_read(w.deputy.user, i64::MAX, chased_at + 10 * MIN)
        .expect("read");
    // A cap of one text a day: the contact without a device gets the first
    // notice's text, the second is capped.
    let capped = FallbackConfig {
        daily_cap: 1,
        ..policy()
    };
    let r = fallback::run_pass(&db, &gw, &capped, chased_at + 31 * MIN).expect("pass");
    assert_eq!((r.sent, r.capped), (1, 1), "{r:?}");
    let decisions = db.sms_fallbacks().expect("decisions");
    assert!(
        decisions
            .iter()
            .all(|d| d.user_id == w.without_device.user.to_string()),
        "a notice read in time is not texted: {decisions:?}"
    );
    let mut states: Vec<&str> = decisions.iter().map(|d| d.state.as_str()).collect();
    states.sort();
    assert_eq!(states, ["capped", "sent"]);
    assert_eq!(fakes.accepted("tencent").len(), 1);
    // Capped is a decision too: not texted later either.
    let r = fallback::run_pass(&db, &gw, &capped, chased_at + 24 * 60 * MIN).expect("pass");
    assert_eq!(r, fallback::PassReport::default());
}

fn the_vendors_refusals_are_recorded(db: Db) {
    let fakes = outreach_fakes::start();
    fakes.lock().daily_limit = 0;
    let w = world(&db);
    submit(&db, &w, "垃圾未清运", cst!(2020-10-09 09:00));
    let chased_at = cst!(2020-10-09 20:30);
    assert!(chase(&db, chased_at) >= 1);
    // Tencent's per-number daily limit.
    let r =
        fallback::run_pass(&db, &tencent(&fakes), &policy(), chased_at + 31 * MIN).expect("pass");
    let decisions = db.sms_fallbacks().expect("decisions");
    assert_eq!((r.sent, r.failed), (0, decisions.len()), "{r:?}");
    assert!(decisions.len() >= 2);
    assert!(decisions.iter().all(|d| d.state == "failed"
        && d.error
            .as_deref()
            .is_some_and(|e| e.contains("LimitExceeded.PhoneNumberDailyLimit"))));
    // A wrong secret key: Tencent's signature failure, for the login codes too.
    let mut wrong = fakes.tencent_config();
    wrong.secret_key = Some(minqing_server::app::SecretText("not-the-key".into()));
    let gw = TencentSms::new(wrong).expect("config");
    let msg = fallback::message(PHONE_WITH_DEVICE, "chased", &TicketId::new().to_string(), 0);
    let e = gw
        .send_sms(&msg, minqing_server::store::now_ms() / 1000)
        .expect_err("refused");
    assert_eq!(
        e,
        minqing_server::outreach::tencent_sms::TencentError::Api {
            code: "AuthFailure.SignatureFailure".into(),
            message: "The provided credentials could not be validated. Please check your signature is correct.".into()
        }
    );
    // A timestamp more than five minutes off: expired.
    let e = tencent(&fakes)
        .send_sms(&msg, minqing_server::store::now_ms() / 1000 - 600)
        .expect_err("expired");
    assert!(
        matches!(e, minqing_server::outreach::tencent_sms::TencentError::Api { ref code, .. } if code == "AuthFailure.SignatureExpire"),
        "{e:?}"
    );
}

/// The same fallback through Alibaba Cloud SMS: signed as Alibaba documents
/// (the fake recomputes it), the notice template's named variables, and
/// Alibaba's refusals recorded with its codes.
/// A text whose process ended between the decision and the vendor's answer
/// stays unsent (never twice) and is recorded failed by a later pass.
fn a_decision_left_sending_is_recorded_failed(db: Db) {
    let fakes = outreach_fakes::start();
    let w = world(&db);
    submit(&db, &w, "护栏倒了", cst!(2020-10-09 09:00));
    let chased_at = cst!(2020-10-09 20:30);
    assert!(chase(&db, chased_at) >= 1);
    let (notices, _) = db
        .notifications(w.without_device.user, 0, 10)
        .expect("inbox");
    let id = notices[0].id;
    let user = w.without_device.user.to_string();
    db.write(|tx| {
        tx.execute(
            "INSERT INTO sms_fallbacks (notification_id, user_id, reason, state, day, decided_at)
             VALUES (?1, ?2, 'no_device', 'sending', 0, ?3)",
            minqing_server::store::sql::args![id, user, chased_at + MIN],
        )
    })
    .expect("a decision left sending");
    let r =
        fallback::run_pass(&db, &tencent(&fakes), &policy(), chased_at + 5 * MIN).expect("pass");
    assert_eq!(r.sent, 0, "{r:?}");
    let state = |db: &Db| {
        db.sms_fallbacks()
            .expect("decisions")
            .into_iter()
            .find(|d| d.notification_id == id)
            .expect("decision")
            .state
    };
    assert_eq!(state(&db), "sending", "not yet: it may still be under way");
    fallback::run_pass(&db, &tencent(&fakes), &policy(), chased_at + 12 * MIN).expect("pass");
    assert_eq!(state(&db), "failed");
    assert!(fakes
        .accepted("tencent")
        .iter()
        .all(|t| t.body["PhoneNumberSet"][0] != format!("+86{PHONE_WITHOUT_DEVICE}")));
}

fn the_fallback_through_alibaba(db: Db) {
    use minqing_server::outreach::aliyun_sms::{AliyunError, AliyunSms};
    let fakes = outreach_fakes::start();
    let gw = AliyunSms::new(fakes.aliyun_config()).expect("config");
    let w = world(&db);
    let item = submit(&db, &w, "桥下积水", cst!(2020-10-09 09:00));
    let chased_at = cst!(2020-10-09 20:30);
    assert!(chase(&db, chased_at) >= 1);
    let r = fallback::run_pass(&db, &gw, &policy(), chased_at + MIN).expect("pass");
    assert_eq!((r.sent, r.failed), (1, 0), "{r:?}");
    let sent = fakes.accepted("aliyun");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["PhoneNumbers"], PHONE_WITHOUT_DEVICE);
    let item_ref: String = item.to_string().replace('-', "")[..8].to_owned();
    assert_eq!(
        sent[0].body["TemplateParam"],
        serde_json::json!({"kind": "督办", "ref": item_ref})
    );
    let decisions = db.sms_fallbacks().expect("decisions");
    assert!(decisions[0]
        .provider_ref
        .as_deref()
        .is_some_and(|b| b.ends_with("^0")));
    // Past the number's daily limit: Alibaba's business limit control.
    fakes.lock().daily_limit = 0;
    let r = fallback::run_pass(&db, &gw, &policy(), chased_at + 31 * MIN).expect("pass");
    assert!(r.failed >= 1 && r.sent == 0, "{r:?}");
    assert!(db.sms_fallbacks().expect("decisions").iter().any(|d| d
        .error
        .as_deref()
        .is_some_and(|e| e.contains("isv.BUSINESS_LIMIT_CONTROL"))));
    // A wrong secret: SignatureDoesNotMatch.
    let mut wrong = fakes.aliyun_config();
    wrong.access_key_secret = Some(minqing_server::app::SecretText("wrong".into()));
    let msg = fallback::message(PHONE_WITH_DEVICE, "resolved", &item.to_string(), 0);
    let e = AliyunSms::new(wrong)
        .expect("config")
        .send_sms(&msg, minqing_server::store::now_ms())
        .expect_err("refused");
    assert_eq!(
        e,
        AliyunError::Refused {
            code: "SignatureDoesNotMatch".into(),
            message: "Specified signature is not matched with our calculation.".into()
        }
    );
    // A timestamp 20 minutes off: expired.
    let e = gw
        .send_sms(&msg, minqing_server::store::now_ms() - 20 * MIN)
        .expect_err("expired");
    assert!(
        matches!(e, AliyunError::Refused { ref code, .. } if code == "InvalidTimeStamp.Expired"),
        "{e:?}"
    );
}

fn sealer() -> Sealer {
    Sealer::new(&ServerSecret::from_hex(&"ab".repeat(32)).expect("secret"))
}

fn resolve(db: &Db, unit: &Actor, ticket: TicketId, at: i64) {
    let photo = PhotoId::new();
    let sha = format!("{:064x}", at);
    let rec = UploadRecord {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: unit.user.to_string(),
        photo_id: photo.to_string(),
        ticket_id: ticket.to_string(),
        sha256: sha.clone(),
        length: 10,
        offset: 10,
        expires_at: i64::MAX,
        completed: false,
    };
    db.create_upload(&rec, at).expect("upload");
    db.complete_upload(&rec.id, at).expect("complete");
    act(
        db,
        unit,
        ticket,
        Action::AttachPhoto {
            photo: PhotoRef {
                id: photo,
                sha256: sha,
                kind: PhotoKind::Proof,
                width: 800,
                height: 600,
                taken_at: Some(at - MIN),
                location: None,
            },
        },
        at,
    );
    act(
        db,
        unit,
        ticket,
        Action::Resolve {
            text: "已处理好。".into(),
            proof: vec![photo],
            outcome: OutcomePath::HandledInGroup,
        },
        at + MIN,
    );
}

fn robots_config(per_minute: u32) -> RobotsConfig {
    RobotsConfig {
        console_url: "https://minqing.example.cn".into(),
        interval_secs: 1,
        per_minute,
    }
}

fn set_robots(db: &Db, fakes: &outreach_fakes::Fakes, group: GroupId, at: i64) {
    let s = sealer();
    db.set_robot(
        &group.to_string(),
        &RobotSetting {
            kind: RobotKind::Wecom,
            webhook: fakes.wecom_webhook(),
            secret: None,
        },
        &s,
        at,
    )
    .expect("wecom");
    db.set_robot(
        &group.to_string(),
        &RobotSetting {
            kind: RobotKind::Dingtalk,
            webhook: fakes.dingtalk_webhook(),
            secret: Some(outreach_fakes::DING_SECRET.into()),
        },
        &s,
        at,
    )
    .expect("dingtalk");
}

fn robots_post_items_declines_chases_and_resolutions(db: Db) {
    let fakes = outreach_fakes::start();
    let w = world(&db);
    let t0 = cst!(2020-10-04 08:48);
    // An item before the robots were set is not posted.
    submit(&db, &w, "旧事项", t0 - 60 * MIN);
    set_robots(&db, &fakes, w.group, t0 - MIN);
    let item = submit(
        &db,
        &w,
        "水月亭路移动公司至方便桥之间的马路上有几个窨井盖不闭合",
        t0,
    );
    let declined = submit(&db, &w, "路边垃圾桶破损", t0 + MIN);
    let unit = &w.with_device;
    act(
        &db,
        unit,
        declined,
        Action::Decline {
            reason: "不是我们的".into(),
        },
        t0 + 2 * MIN,
    );
    act(&db, unit, item, Action::Claim, t0 + 3 * MIN);
    resolve(&db, unit, item, cst!(2020-10-04 19:09));
    // The declined item is back in the pool; its acceptance clock runs late.
    assert!(chase(&db, cst!(2020-10-12 17:30)) >= 1);
    let now = cst!(2020-10-12 17:31);
    let r =
        robots::run_pass(&db, robots::client(), &sealer(), &robots_config(20), now).expect("pass");
    assert_eq!(r.failed + r.throttled + r.held, 0, "{r:?}");
    let posts = db.robot_posts().expect("posts");
    let mut whats: Vec<&str> = posts
        .iter()
        .filter(|p| p.kind == "wecom")
        .map(|p| p.what.as_str())
        .collect();
    whats.sort();
    whats.dedup();
    assert_eq!(whats, ["chased", "declined", "resolved", "submitted"]);
    assert!(posts.iter().all(|p| p.state == "sent"), "{posts:?}");
    let wecom = fakes.accepted("wecom");
    let ding = fakes.accepted("dingtalk");
    assert_eq!(wecom.len(), posts.len() / 2);
    assert_eq!(ding.len(), posts.len() / 2);
    // The fake checked DingTalk's signature; the posts link the item and
    // carry no contact.
    let first = wecom[0].body["markdown"]["content"]
        .as_str()
        .expect("content");
    assert!(
        first.contains("新事项")
            && first.contains("陆靖英")
            && first.contains("@中国移动海宁分公司"),
        "{first}"
    );
    assert!(
        first.contains(&format!("(https://minqing.example.cn/items/{item})")),
        "{first}"
    );
    for p in wecom.iter().chain(&ding) {
        let text = p.body.to_string();
        assert!(
            !text.contains(CONSTITUENT_PHONE) && !text.contains("张阿姨"),
            "{text}"
        );
    }
    // The older item is posted only for what happened to it since (its chase).
    assert!(posts
        .iter()
        .filter(|p| p.body.contains("旧事项"))
        .all(|p| p.what == "chased"));
    assert!(ding
        .iter()
        .all(|d| d.query.contains_key("sign") && d.query.contains_key("timestamp")));
    let resolved = posts
        .iter()
        .find(|p| p.what == "resolved")
        .expect("resolved");
    assert!(resolved.body.contains("已处理好") && resolved.body.contains("请代表确认"));
    let declined_post = posts
        .iter()
        .find(|p| p.what == "declined")
        .expect("declined");
    assert!(declined_post.body.contains("不是我们的"));
    // Once: another pass posts nothing.
    let before = fakes.lock().accepted.len();
    let r = robots::run_pass(
        &db,
        robots::client(),
        &sealer(),
        &robots_config(20),
        now + MIN,
    )
    .expect("pass");
    assert_eq!(r, robots::SendReport::default());
    assert_eq!(fakes.lock().accepted.len(), before);
    assert!(fakes.refused().is_empty(), "{:?}", fakes.refused());
}

fn robots_keep_to_twenty_a_minute(db: Db) {
    let fakes = outreach_fakes::start();
    let w = world(&db);
    let t0 = cst!(2020-10-04 08:00);
    set_robots(&db, &fakes, w.group, t0 - MIN);
    for i in 0..25 {
        submit(&db, &w, &format!("事项 {i}"), t0 + i * 1000);
    }
    let now = t0 + 30 * MIN;
    let cfg = robots_config(20);
    let r = robots::run_pass(&db, robots::client(), &sealer(), &cfg, now).expect("pass");
    assert_eq!(
        (r.sent, r.held),
        (40, 10),
        "20 per robot this minute: {r:?}"
    );
    let r = robots::run_pass(&db, robots::client(), &sealer(), &cfg, now + 30_000).expect("pass");
    assert_eq!((r.sent, r.held), (0, 10), "still the same minute: {r:?}");
    // The vendors counted 20 each in real time too: the rest is posted when
    // our minute is over (the fakes' minute is reset for the test).
    fakes.lock().recent.clear();
    let r = robots::run_pass(&db, robots::client(), &sealer(), &cfg, now + 61_000).expect("pass");
    assert_eq!((r.sent, r.held), (10, 0), "{r:?}");
    assert!(fakes.refused().is_empty());
    assert_eq!(fakes.accepted("wecom").len(), 25);
    assert_eq!(fakes.accepted("dingtalk").len(), 25);
}

fn the_vendors_rate_limit_is_retried_later(db: Db) {
    let fakes = outreach_fakes::start();
    let w = world(&db);
    let t0 = cst!(2020-10-04 08:00);
    set_robots(&db, &fakes, w.group, t0 - MIN);
    for i in 0..22 {
        submit(&db, &w, &format!("事项 {i}"), t0 + i * 1000);
    }
    // A deployment set to more than the vendors allow: they refuse the 21st.
    let cfg = robots_config(30);
    let now = t0 + 30 * MIN;
    let r = robots::run_pass(&db, robots::client(), &sealer(), &cfg, now).expect("pass");
    assert_eq!((r.sent, r.throttled), (40, 4), "{r:?}");
    let mut refused: Vec<String> = fakes.refused().into_iter().map(|(_, c)| c).collect();
    refused.sort();
    assert_eq!(refused, ["130101", "130101", "45009", "45009"]);
    // WeCom's are retried a minute later, DingTalk's after its 10-minute block.
    fakes.lock().recent.clear();
    let r = robots::run_pass(&db, robots::client(), &sealer(), &cfg, now + 61_000).expect("pass");
    assert_eq!((r.sent, r.throttled), (2, 0), "{r:?}");
    let r = robots::run_pass(&db, robots::client(), &sealer(), &cfg, now + 9 * MIN).expect("pass");
    assert_eq!(r.sent, 0, "{r:?}");
    let r = robots::run_pass(
        &db,
        robots::client(),
        &sealer(),
        &cfg,
        now + 10 * MIN + 1000,
    )
    .expect("pass");
    assert_eq!(r.sent, 2, "{r:?}");
    assert!(db
        .robot_posts()
        .expect("posts")
        .iter()
        .all(|p| p.state == "sent"));
}

on_both_backends!(
    sms_fallback_after_the_timeout,
    please_confirm_goes_by_sms_after_the_timeout,
    a_notice_read_in_time_is_not_texted_and_the_cap_holds,
    the_vendors_refusals_are_recorded,
    the_fallback_through_alibaba,
    a_decision_left_sending_is_recorded_failed,
    robots_post_items_declines_chases_and_resolutions,
    robots_keep_to_twenty_a_minute,
    the_vendors_rate_limit_is_retried_later,
);

/// Two server processes on one PostgreSQL run their passes at the same
/// moment: every due notice is texted once.
#[test]
fn two_processes_text_each_notice_once() {
    let Some(url) = support::db::fresh_pg_url() else {
        return;
    };
    let a = Db::connect_postgres(&url).expect("a");
    let b = Db::connect_postgres(&url).expect("b");
    let fakes = outreach_fakes::start();
    fakes.lock().daily_limit = 1000;
    let w = world(&a);
    b.set_workflow(a.workflow().as_ref().clone()).expect("wf");
    for i in 0..40 {
        submit(
            &a,
            &w,
            &format!("事项 {i}"),
            cst!(2020-10-09 09:00) + i * 1000,
        );
    }
    let chased_at = cst!(2020-10-09 20:30);
    assert!(chase(&a, chased_at) >= 40);
    let big_cap = FallbackConfig {
        daily_cap: 1000,
        ..policy()
    };
    let at = chased_at + 31 * MIN;
    let (ra, rb) = std::thread::scope(|s| {
        let ja = s.spawn(|| fallback::run_pass(&a, &tencent(&fakes), &big_cap, at).expect("a"));
        let jb = s.spawn(|| fallback::run_pass(&b, &tencent(&fakes), &big_cap, at).expect("b"));
        (ja.join().expect("a"), jb.join().expect("b"))
    });
    let notices = a.sms_fallbacks().expect("decisions").len();
    assert_eq!(ra.sent + rb.sent, notices, "{ra:?} {rb:?}");
    assert_eq!(fakes.accepted("tencent").len(), notices);
    assert!(notices >= 80, "two contacts × 40 chases: {notices}");
}

/// The server as deployed with `[sms] provider = "tencent"` and robots: a
/// login code goes through Tencent (the fake checks the signature and the
/// template), the administrator sets the group's robots (others 403, bad
/// webhooks 400), their keys are sealed in the database and never shown, and
/// the server's own pass posts a new item to the group's DingTalk robot.
async fn deployed(s: support::TestServer, fakes: outreach_fakes::Fakes) {
    use reqwest::Method;
    // A login code through Tencent's SendSms.
    let login = |phone: String| {
        let (s, fakes) = (&s, &fakes);
        async move {
            let r = s
                .http
                .post(s.u("/v1/auth/sms-code"))
                .json(&serde_json::json!({ "phone": phone }))
                .send()
                .await
                .expect("sms-code");
            assert_eq!(r.status(), 202);
            let to = format!("+86{phone}");
            let mut code = None;
            for _ in 0..500 {
                code = fakes.accepted("tencent").iter().rev().find_map(|t| {
                    (t.body["PhoneNumberSet"][0] == to
                        && t.body["TemplateId"] == outreach_fakes::TC_LOGIN_TEMPLATE)
                        .then(|| t.body["TemplateParamSet"][0].as_str().map(str::to_owned))
                        .flatten()
                });
                if code.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            let code = code.expect("a code through Tencent");
            let r = s
                .http
                .post(s.u("/v1/auth/login"))
                .json(&serde_json::json!({ "phone": phone, "code": code, "device": "t" }))
                .send()
                .await
                .expect("login");
            assert_eq!(r.status(), 200);
            r.json::<minqing_protocol::wire::SessionTokens>()
                .await
                .expect("tokens")
                .access_token
        }
    };
    let admin = login(s.person("系统管理员").phone.clone()).await;
    let deputy_phone = s.person("陆靖英").phone.clone();
    let deputy = login(deputy_phone.clone()).await;
    let sent = fakes.accepted("tencent");
    assert_eq!(sent[0].body["TemplateParamSet"][1], "5", "minutes valid");
    assert!(!std::fs::exists(s.data_dir.join("sms.log")).unwrap_or(false));

    // The deputy's group (the PostgreSQL client blocks: off the runtime).
    let db = s.state.db.clone();
    let deputy_id = s.person("陆靖英").id;
    let me = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || db.me(deputy_id))
            .await
            .expect("task")
            .expect("me")
            .expect("deputy")
    };
    let group = me.groups[0];
    let path = |kind: &str| format!("/v1/admin/groups/{group}/robots/{kind}");
    let put = |token: &str, kind: &str, body: serde_json::Value| {
        s.req(Method::PUT, &path(kind), Some(token))
            .json(&body)
            .send()
    };
    let wecom = serde_json::json!({ "webhook": fakes.wecom_webhook() });
    let ding = serde_json::json!({ "webhook": fakes.dingtalk_webhook(),
        "secret": outreach_fakes::DING_SECRET });
    assert_eq!(
        put(&deputy, "wecom", wecom.clone())
            .await
            .expect("put")
            .status(),
        403
    );
    let r = put(
        &admin,
        "wecom",
        serde_json::json!({"webhook": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"}),
    )
    .await
    .expect("put");
    assert_eq!(r.status(), 400);
    let r = put(
        &admin,
        "dingtalk",
        serde_json::json!({"webhook": fakes.dingtalk_webhook()}),
    )
    .await
    .expect("put");
    assert_eq!(r.status(), 400, "DingTalk without its secret");
    assert_eq!(
        put(&admin, "telegram", wecom.clone())
            .await
            .expect("put")
            .status(),
        404
    );
    assert_eq!(
        put(&admin, "wecom", wecom).await.expect("put").status(),
        200
    );
    let r = put(&admin, "dingtalk", ding).await.expect("put");
    assert_eq!(r.status(), 200);
    let listed = s
        .req(
            Method::GET,
            &format!("/v1/admin/groups/{group}/robots"),
            Some(&admin),
        )
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        listed.contains("\"dingtalk\"") && listed.contains("\"wecom\""),
        "{listed}"
    );
    assert!(
        !listed.contains(outreach_fakes::WECOM_KEY)
            && !listed.contains(outreach_fakes::DING_TOKEN)
            && !listed.contains("SECfake"),
        "{listed}"
    );
    // Sealed at rest.
    let stored: Vec<String> = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            db.read(|tx| {
                tx.query(
                    "SELECT webhook, COALESCE(secret, '') FROM group_robots",
                    &[],
                )?
                .iter()
                .map(|r| Ok(format!("{} {}", r.get::<String>(0)?, r.get::<String>(1)?)))
                .collect::<Result<Vec<_>, minqing_server::store::StoreError>>()
            })
        })
        .await
        .expect("task")
        .expect("rows")
    };
    assert_eq!(stored.len(), 2);
    for row in &stored {
        assert!(row.starts_with("ms1:"));
        assert!(
            !row.contains(outreach_fakes::WECOM_KEY)
                && !row.contains(outreach_fakes::DING_TOKEN)
                && !row.contains("SECfake")
        );
    }
    // WeCom removed; DingTalk stays.
    let del = |token: &str| s.req(Method::DELETE, &path("wecom"), Some(token)).send();
    assert_eq!(del(&deputy).await.expect("delete").status(), 403);
    assert_eq!(del(&admin).await.expect("delete").status(), 204);
    assert_eq!(del(&admin).await.expect("delete").status(), 404);

    // A new item: the server's pass posts it to the DingTalk robot.
    let t = NewTicket {
        group: Some(group),
        ..tickets::new("海昌路口红绿灯不亮")
    };
    let client = ClientId::new();
    let actor = me.actor();
    let at = minqing_server::store::now_ms();
    let pushed = tokio::task::spawn_blocking(move || {
        db.push(&actor, client, &[tickets::create(client, 1, t)], at)
    })
    .await
    .expect("task")
    .expect("push");
    assert!(pushed.rejected.is_empty());
    let mut posted = Vec::new();
    for _ in 0..1000 {
        posted = fakes.accepted("dingtalk");
        if !posted.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(posted.len(), 1, "posted by the server's pass");
    let text = posted[0].body["markdown"]["text"].as_str().expect("text");
    assert!(
        text.contains("海昌路口红绿灯不亮") && text.contains("https://console.test/items/"),
        "{text}"
    );
    assert!(
        fakes.accepted("wecom").is_empty(),
        "the removed robot posts nothing"
    );

    // The item is not claimed: a chase (run here two days on) tells the
    // group's unit contacts, who have no phone registered — the server's SMS
    // fallback texts them at once, through Tencent, with the notice template.
    let db = s.state.db.clone();
    let chased = tokio::task::spawn_blocking(move || run_once(&db, at + 2 * 24 * 60 * MIN))
        .await
        .expect("task")
        .expect("escalation");
    assert!(chased.chased >= 1);
    let mut notices = Vec::new();
    for _ in 0..1000 {
        notices = fakes
            .accepted("tencent")
            .into_iter()
            .filter(|t| t.body["TemplateId"] == outreach_fakes::TC_NOTICE_TEMPLATE)
            .collect();
        if !notices.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(!notices.is_empty(), "texted by the server's fallback pass");
    assert_eq!(notices[0].body["TemplateParamSet"][0], "督办");
    assert!(fakes.refused().is_empty(), "{:?}", fakes.refused());
}

fn deployed_config(fakes: &outreach_fakes::Fakes) -> impl FnOnce(&mut minqing_server::app::Config) {
    let tencent = fakes.tencent_config();
    move |c| {
        c.sms.provider = "tencent".into();
        c.sms.tencent = tencent;
        c.robots.console_url = "https://console.test".into();
        c.robots.interval_secs = 1;
        c.sms_fallback.enabled = true;
        c.sms_fallback.interval_secs = 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployed_on_sqlite() {
    let fakes = outreach_fakes::start();
    let s = support::start_with(deployed_config(&fakes)).await;
    deployed(s, fakes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployed_on_postgres() {
    let fakes = outreach_fakes::start();
    let Some(url) = tokio::task::spawn_blocking(support::db::fresh_pg_url)
        .await
        .expect("task")
    else {
        return;
    };
    let tune = deployed_config(&fakes);
    let s = support::start_with(move |c| {
        c.database_url = Some(url);
        tune(c);
    })
    .await;
    deployed(s, fakes).await;
}
