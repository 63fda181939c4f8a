//! The directory, login and upload records, on SQLite and on PostgreSQL alike:
//! codes are single-use and rate limited, a rotated refresh token replayed
//! revokes its session, an upload record is created once per photo.

mod support;

use minqing_protocol::{GroupId, Role, UnitId, UserId};
use minqing_server::store::auth::{CodeCheck, CodePolicy, NewSession, RateLimited, Refreshed};
use minqing_server::store::directory::{NewGroup, NewUnit, NewUser};
use minqing_server::store::throttle::{Outcome, Rule, Scope, Verdict};
use minqing_server::store::uploads::UploadRecord;
use minqing_server::Db;

support::db::on_both_backends!(
    the_directory_answers_who_a_user_is,
    a_code_is_used_once_and_wrong_guesses_count,
    a_fresh_code_does_not_reset_the_wrong_guesses,
    codes_are_rate_limited,
    wrong_tries_wait_double_and_lock_until_lifted,
    a_rotated_refresh_token_replayed_revokes_the_session,
    an_upload_record_is_created_once_per_photo,
    unfinished_uploads_expire_and_finished_ones_stay,
);

fn user(db: &Db, phone: &str) -> UserId {
    let unit = UnitId::new();
    let group = GroupId::new();
    db.insert_unit(&NewUnit {
        id: unit,
        name_zh: "海宁移动",
        name_en: "China Mobile Haining",
        kind: "company",
        key: Some("mobile"),
    })
    .expect("unit");
    db.insert_group(&NewGroup {
        id: group,
        name_zh: "三个街道民情直通车",
        name_en: "Three streets",
        jurisdiction: "xiashi",
    })
    .expect("group");
    let id = UserId::new();
    db.insert_user(&NewUser {
        id,
        phone,
        name: "移动联络员",
        role: Role::UnitContact,
        unit: Some(unit),
        jurisdiction: None,
        password_hash: None,
        groups: vec![group],
    })
    .expect("user");
    id
}

fn the_directory_answers_who_a_user_is(db: Db) {
    assert!(db.directory_is_empty().expect("empty"));
    let id = user(&db, "13800570005");
    assert!(!db.directory_is_empty().expect("not empty"));
    let me = db.me(id).expect("me").expect("known");
    assert_eq!(me.role, Role::UnitContact);
    assert_eq!(me.groups.len(), 1);
    assert!(me.unit.is_some());
    let acc = db
        .account_by_phone("13800570005")
        .expect("account")
        .expect("known");
    assert_eq!(acc.user, id);
    assert!(db.account_by_phone("13800579999").expect("none").is_none());
    assert!(db.me(UserId::new()).expect("me").is_none());
    // The phone number is unique.
    let dup = db.insert_user(&NewUser {
        id: UserId::new(),
        phone: "13800570005",
        name: "x",
        role: Role::CityDeputy,
        unit: None,
        jurisdiction: None,
        password_hash: None,
        groups: vec![],
    });
    assert!(dup.is_err());
}

fn a_code_is_used_once_and_wrong_guesses_count(db: Db) {
    let p = CodePolicy::default();
    let phone = "13800570001";
    let check = |hash: &str, at: i64| db.consume_code(phone, hash, at, &p).expect("check");
    assert_eq!(check("h1", 0), CodeCheck::NoCode, "no code yet");
    db.issue_code(phone, "h1", 0, &p)
        .expect("store")
        .expect("sent");
    assert_eq!(check("wrong", 1), CodeCheck::Wrong);
    assert_eq!(check("h1", 2), CodeCheck::Right);
    assert_eq!(check("h1", 3), CodeCheck::NoCode, "used up");

    // Expired.
    db.issue_code(phone, "h2", p.resend_ms, &p)
        .expect("store")
        .expect("sent");
    assert_eq!(check("h2", p.resend_ms + p.ttl_ms), CodeCheck::NoCode);

    // Too many wrong guesses void the code.
    let t = 2 * p.resend_ms;
    db.issue_code(phone, "h3", t, &p)
        .expect("store")
        .expect("sent");
    for i in 0..p.max_attempts {
        assert_eq!(check("wrong", t + 1 + i), CodeCheck::Wrong);
    }
    assert!(matches!(check("h3", t + 100), CodeCheck::Exhausted { .. }));
}

/// Issue 16: a fresh code used to reset the wrong-guess count (five codes an
/// hour, five guesses each: 25 guesses an hour a number). The guesses count per
/// number over the window, whatever code they were for.
fn a_fresh_code_does_not_reset_the_wrong_guesses(db: Db) {
    let p = CodePolicy::default();
    let phone = "13800570009";
    db.issue_code(phone, "c1", 0, &p)
        .expect("store")
        .expect("sent");
    for i in 0..p.max_attempts - 1 {
        assert_eq!(
            db.consume_code(phone, "wrong", 1 + i, &p).expect("check"),
            CodeCheck::Wrong
        );
    }
    // A fresh code a minute later: one guess left, not five.
    db.issue_code(phone, "c2", p.resend_ms, &p)
        .expect("store")
        .expect("sent");
    assert_eq!(
        db.consume_code(phone, "wrong", p.resend_ms + 1, &p)
            .expect("check"),
        CodeCheck::Wrong
    );
    let t = p.resend_ms + 2;
    let exhausted = db.consume_code(phone, "c2", t, &p).expect("check");
    assert_eq!(
        exhausted,
        CodeCheck::Exhausted {
            retry_after_ms: p.attempt_window_ms - t
        },
        "the right code too, while the guesses are used up"
    );
    // No new code is sent while they are.
    assert_eq!(
        db.issue_code(phone, "c3", 2 * p.resend_ms, &p)
            .expect("store"),
        Err(RateLimited {
            retry_after_ms: p.attempt_window_ms - 2 * p.resend_ms
        })
    );
    // The window over, a new code works.
    let later = p.attempt_window_ms + 1;
    db.issue_code(phone, "c4", later, &p)
        .expect("store")
        .expect("sent");
    assert_eq!(
        db.consume_code(phone, "c4", later + 1, &p).expect("check"),
        CodeCheck::Right
    );
}

fn wrong_tries_wait_double_and_lock_until_lifted(db: Db) {
    let account = Rule {
        free: 2,
        base_ms: 1_000,
        max_delay_ms: 4_000,
        lock_after: Some(6),
        lock_ms: 3_600_000,
        forget_ms: 86_400_000,
        success_clears: true,
    };
    let address = Rule {
        free: 100,
        lock_after: None,
        success_clears: false,
        ..account
    };
    let phone = "13800570010";
    let subjects = [
        (Scope::PasswordAccount, phone, &account),
        (Scope::PasswordAddress, "10.0.0.1", &address),
    ];
    let begin = |t: i64| db.begin_attempt(&subjects, t).expect("begin");
    // Two free tries, then waits of 1 s, 2 s, 4 s, 4 s.
    assert_eq!(begin(0), Verdict::Go);
    assert_eq!(begin(1), Verdict::Go);
    assert_eq!(begin(2), Verdict::Go, "the third goes, and sets a wait");
    assert_eq!(
        begin(3),
        Verdict::Wait {
            retry_after_ms: 999
        }
    );
    assert_eq!(begin(1_002), Verdict::Go);
    assert_eq!(
        begin(1_003),
        Verdict::Wait {
            retry_after_ms: 1_999
        },
        "doubled"
    );
    // A refused attempt counts nowhere; one the server never checked is taken
    // back (its wait stays).
    assert_eq!(begin(3_002), Verdict::Go);
    db.end_attempt(&subjects, Outcome::Unchecked).expect("end");
    assert_eq!(
        begin(3_003),
        Verdict::Wait {
            retry_after_ms: 3_999
        }
    );
    assert_eq!(
        begin(7_002),
        Verdict::Go,
        "the fifth failure, not the sixth"
    );
    // The sixth counted failure locks the account.
    assert_eq!(begin(11_002), Verdict::Go);
    let locked = begin(20_000);
    assert_eq!(
        locked,
        Verdict::Locked {
            retry_after_ms: 3_600_000 - (20_000 - 11_002)
        }
    );
    let listed = db.throttled(20_000).expect("list");
    assert!(listed
        .iter()
        .any(|t| t.subject == phone && t.locked_until > 20_000 && t.failures == 6));
    // The administrator lifts it: the account starts again from nothing.
    assert!(db.lift_lockout(phone).expect("lift"));
    assert!(!db.lift_lockout(phone).expect("nothing left"));
    let addr_only = [(Scope::PasswordAddress, "10.0.0.1", &address)];
    assert_eq!(
        db.begin_attempt(&addr_only, 20_001).expect("b"),
        Verdict::Go
    );
    assert_eq!(begin(20_002), Verdict::Go);
    // A right answer clears the account, and takes back only its own count
    // from the address.
    db.end_attempt(&subjects, Outcome::Right).expect("end");
    assert!(db
        .throttled(20_003)
        .expect("list")
        .iter()
        .all(|t| t.subject != phone));
    // Rows no longer holding anything are forgotten.
    assert_eq!(
        db.sweep_throttle(200_000_000, 86_400_000).expect("sweep"),
        1
    );
}

fn codes_are_rate_limited(db: Db) {
    let p = CodePolicy::default();
    let phone = "13800570002";
    db.issue_code(phone, "a", 0, &p)
        .expect("store")
        .expect("sent");
    assert_eq!(
        db.issue_code(phone, "b", 1_000, &p).expect("store"),
        Err(RateLimited {
            retry_after_ms: p.resend_ms - 1_000
        })
    );
    let mut t = 0;
    for _ in 1..p.max_sends_per_hour {
        t += p.resend_ms;
        db.issue_code(phone, "c", t, &p)
            .expect("store")
            .expect("sent");
    }
    t += p.resend_ms;
    assert!(db.issue_code(phone, "d", t, &p).expect("store").is_err());
    // A new hour, a new window.
    db.issue_code(phone, "e", 3_600_000 + 1, &p)
        .expect("store")
        .expect("sent");
}

fn session<'a>(user: UserId, access: &'a str, refresh: &'a str) -> NewSession<'a> {
    NewSession {
        user,
        device: "test",
        access_hash: access,
        access_expires: 1_000,
        refresh_hash: refresh,
        refresh_expires: 10_000,
    }
}

fn a_rotated_refresh_token_replayed_revokes_the_session(db: Db) {
    let u = user(&db, "13800570003");
    let id = db
        .create_session(&session(u, "a1", "r1"), 0)
        .expect("create");
    assert_eq!(
        db.session_by_access("a1", 10).expect("by access"),
        Some((id.clone(), u))
    );
    assert_eq!(db.session_by_access("a1", 1_000).expect("expired"), None);

    assert_eq!(
        db.rotate_session("r1", &session(u, "a2", "r2"), 20)
            .expect("rotate"),
        Refreshed::Rotated { user: u }
    );
    assert_eq!(db.session_by_access("a1", 30).expect("old access"), None);
    assert_eq!(
        db.session_by_access("a2", 30).expect("new access"),
        Some((id.clone(), u))
    );
    assert_eq!(
        db.rotate_session("nope", &session(u, "x", "y"), 40)
            .expect("unknown"),
        Refreshed::Unknown
    );
    // The old refresh token again: stolen or replayed — the session ends.
    assert_eq!(
        db.rotate_session("r1", &session(u, "a3", "r3"), 50)
            .expect("replay"),
        Refreshed::Replayed
    );
    assert_eq!(db.session_by_access("a2", 60).expect("revoked"), None);

    let other = db
        .create_session(&session(u, "b1", "s1"), 0)
        .expect("create");
    db.revoke_session(&other, 70).expect("revoke");
    assert_eq!(db.session_by_access("b1", 80).expect("logged out"), None);
}

fn upload(photo: &str, expires_at: i64) -> UploadRecord {
    UploadRecord {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: UserId::new().to_string(),
        photo_id: photo.to_owned(),
        ticket_id: uuid::Uuid::now_v7().to_string(),
        sha256: "ab".repeat(32),
        length: 5_000_000,
        offset: 0,
        expires_at,
        completed: false,
    }
}

fn an_upload_record_is_created_once_per_photo(db: Db) {
    let photo = uuid::Uuid::now_v7().to_string();
    let first = db.create_upload(&upload(&photo, 100), 0).expect("create");
    db.set_upload_offset(&first.id, 1_234).expect("offset");
    // The client lost the answer and asks again with a new upload id.
    let again = db.create_upload(&upload(&photo, 200), 1).expect("again");
    assert_eq!(again.id, first.id);
    assert_eq!(again.offset, 1_234);
    assert_eq!(db.upload(&first.id).expect("get"), Some(again.clone()));
    assert_eq!(db.upload_by_photo(&photo).expect("by photo"), Some(again));

    db.complete_upload(&first.id, 5).expect("complete");
    let done = db.upload(&first.id).expect("get").expect("there");
    assert!(done.completed);
    assert_eq!(
        done.offset, done.length,
        "offset and completion in one write"
    );
    // A finished upload's offset no longer moves, and it cannot be deleted.
    db.set_upload_offset(&first.id, 1).expect("offset");
    db.delete_upload(&first.id).expect("delete");
    assert_eq!(db.upload(&first.id).expect("get"), Some(done));
    assert_eq!(db.upload("no such id").expect("get"), None);
}

fn unfinished_uploads_expire_and_finished_ones_stay(db: Db) {
    let old = db
        .create_upload(&upload(&uuid::Uuid::now_v7().to_string(), 100), 0)
        .expect("old");
    let done = db
        .create_upload(&upload(&uuid::Uuid::now_v7().to_string(), 100), 0)
        .expect("done");
    db.complete_upload(&done.id, 1).expect("complete");
    let fresh = db
        .create_upload(&upload(&uuid::Uuid::now_v7().to_string(), 1_000), 0)
        .expect("fresh");
    assert_eq!(
        db.expired_uploads(500).expect("expired"),
        vec![old.id.clone()]
    );
    db.delete_upload(&old.id).expect("delete");
    assert_eq!(db.upload(&old.id).expect("gone"), None);
    assert!(db.upload(&fresh.id).expect("kept").is_some());
    assert!(db.expired_uploads(500).expect("none").is_empty());
}
