//! The directory, login and upload records, on SQLite and on PostgreSQL alike:
//! codes are single-use and rate limited, a rotated refresh token replayed
//! revokes its session, an upload record is created once per photo.

mod support;

use minqing_protocol::{GroupId, Role, UnitId, UserId};
use minqing_server::store::auth::{CodePolicy, NewSession, RateLimited, Refreshed};
use minqing_server::store::directory::{NewGroup, NewUnit, NewUser};
use minqing_server::store::uploads::UploadRecord;
use minqing_server::Db;

support::db::on_both_backends!(
    the_directory_answers_who_a_user_is,
    a_code_is_used_once_and_wrong_guesses_count,
    codes_are_rate_limited,
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
    assert!(!db.consume_code(phone, "h1", 0, &p).expect("no code yet"));
    db.issue_code(phone, "h1", 0, &p)
        .expect("store")
        .expect("sent");
    assert!(!db.consume_code(phone, "wrong", 1, &p).expect("wrong"));
    assert!(db.consume_code(phone, "h1", 2, &p).expect("right"));
    assert!(!db.consume_code(phone, "h1", 3, &p).expect("used up"));

    // Expired.
    db.issue_code(phone, "h2", p.resend_ms, &p)
        .expect("store")
        .expect("sent");
    assert!(!db
        .consume_code(phone, "h2", p.resend_ms + p.ttl_ms, &p)
        .expect("expired"));

    // Too many wrong guesses void the code.
    let t = 2 * p.resend_ms;
    db.issue_code(phone, "h3", t, &p)
        .expect("store")
        .expect("sent");
    for i in 0..p.max_attempts {
        assert!(!db
            .consume_code(phone, "wrong", t + 1 + i, &p)
            .expect("wrong"));
    }
    assert!(!db.consume_code(phone, "h3", t + 100, &p).expect("void"));
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
