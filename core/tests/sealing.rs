//! Personal data at rest: the constituent's contact and the session tokens are
//! sealed in the device database (`core/src/seal.rs`). Rows an older build
//! wrote in the clear are sealed when the store opens, and afterwards neither
//! the database file nor its WAL holds the plaintext; everything still reads
//! back.

use minqing_core::store::{meta_get_sealed, meta_set_sealed};
use minqing_core::{drafts, Minqing};
use minqing_protocol::{ConstituentContact, MutationKind};
use std::path::Path;

const PHONE: &str = "13912345678";
const NAME: &str = "张阿姨住水月亭路";
const TOKEN: &str = "access-token-7f3a9c";

fn files_hold(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_file() {
            let bytes = std::fs::read(&path).expect("read");
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

fn contact() -> ConstituentContact {
    ConstituentContact {
        name: Some(NAME.into()),
        phone: Some(PHONE.into()),
    }
}

fn assert_clean(dir: &Path) {
    for needle in [PHONE, NAME, TOKEN] {
        assert_eq!(files_hold(dir, needle), Vec::<String>::new(), "{needle}");
    }
}

#[test]
fn new_writes_are_sealed_and_read_back() {
    let dir = tempfile::tempdir().expect("dir");
    let core = Minqing::open_at(dir.path().to_path_buf()).expect("open");
    let d = core.drafts().create().expect("draft").id;
    core.drafts()
        .set_text(d.clone(), "井盖松动".into())
        .expect("text");
    drafts::set_constituent(core.store(), &d, Some(&contact())).expect("contact");
    let t = core.drafts().submit(d).expect("完成");
    core.store()
        .write(|tx| meta_set_sealed(tx, "access_token", TOKEN))
        .expect("token");
    // Read back through the core.
    let stored = core
        .store()
        .read(|c| minqing_core::tickets::load(c, &t.id))
        .expect("ticket");
    assert_eq!(stored.constituent, Some(contact()));
    let pushed = core
        .store()
        .write(|tx| minqing_core::outbox::take_mutations(tx, 10))
        .expect("push");
    match &pushed[0].kind {
        MutationKind::CreateTicket { ticket } => assert_eq!(ticket.constituent, Some(contact())),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        core.store()
            .read(|c| meta_get_sealed(c, "access_token"))
            .expect("read"),
        Some(TOKEN.to_owned())
    );
    drop(core);
    assert_clean(dir.path());
}

#[test]
fn plaintext_from_an_older_build_is_sealed_at_open() {
    let dir = tempfile::tempdir().expect("dir");
    let (draft, ticket) = {
        let core = Minqing::open_at(dir.path().to_path_buf()).expect("open");
        let keep = core.drafts().create().expect("draft").id;
        let d = core.drafts().create().expect("draft").id;
        core.drafts()
            .set_text(d.clone(), "井盖松动".into())
            .expect("text");
        (keep, core.drafts().submit(d).expect("完成").id)
    };
    // What a build before sealing wrote: everything in the clear.
    {
        let c = rusqlite::Connection::open(dir.path().join("minqing.db")).expect("raw");
        let json = serde_json::to_string(&contact()).expect("json");
        c.execute(
            "INSERT INTO meta (key, value) VALUES ('access_token', ?1), ('refresh_token', ?1)",
            [TOKEN],
        )
        .expect("tokens");
        c.execute(
            "UPDATE drafts SET constituent = ?1 WHERE id = ?2",
            [&json, &draft],
        )
        .expect("draft");
        c.execute(
            "UPDATE tickets SET body = json_set(body, '$.constituent', json(?1))",
            [&json],
        )
        .expect("ticket");
        c.execute(
            "UPDATE outbox SET payload = json_set(payload, '$.ticket.constituent', json(?1))
             WHERE kind = 'create_ticket'",
            [&json],
        )
        .expect("outbox");
    }
    assert!(
        !files_hold(dir.path(), PHONE).is_empty(),
        "the old build's plaintext"
    );

    let core = Minqing::open_at(dir.path().to_path_buf()).expect("reopen");
    let back = core
        .store()
        .read(|c| drafts::load(c, &draft))
        .expect("draft");
    assert_eq!(back.constituent, Some(contact()));
    let t = core
        .store()
        .read(|c| minqing_core::tickets::load(c, &ticket))
        .expect("ticket");
    assert_eq!(t.constituent, Some(contact()));
    let pushed = core
        .store()
        .write(|tx| minqing_core::outbox::take_mutations(tx, 10))
        .expect("push");
    assert!(matches!(
        &pushed[0].kind,
        MutationKind::CreateTicket { ticket } if ticket.constituent == Some(contact())
    ));
    assert_eq!(
        core.store()
            .read(|c| meta_get_sealed(c, "refresh_token"))
            .expect("read"),
        Some(TOKEN.to_owned())
    );
    assert_clean(dir.path());
    drop(core);
    assert_clean(dir.path());
}

/// The server withholds the constituent's contact from everyone but the
/// reporting deputy and the unit handling the item (docs/protocol.md). A
/// pulled copy without it keeps the contact the reporter typed on this
/// device; on a device of anyone else, the server's copy wins and a contact
/// no longer theirs to see is dropped.
#[test]
fn a_pulled_copy_without_the_contact_keeps_the_reporters() {
    use minqing_protocol::{Actor, Role, UserId};
    let dir = tempfile::tempdir().expect("dir");
    let core = Minqing::open_at(dir.path().to_path_buf()).expect("open");
    let me = Actor {
        user: UserId::new(),
        role: Role::CityDeputy,
        unit: None,
        groups: vec![],
    };
    core.set_profile(&me).expect("profile");
    let d = core.drafts().create().expect("draft").id;
    core.drafts()
        .set_text(d.clone(), "井盖松动".into())
        .expect("text");
    drafts::set_constituent(core.store(), &d, Some(&contact())).expect("contact");
    let t = core.drafts().submit(d).expect("完成");
    let load = || {
        core.store()
            .read(|c| minqing_core::tickets::load(c, &t.id))
            .expect("ticket")
    };
    let mut redacted = load();
    assert_eq!(redacted.reporter, me.user);
    redacted.constituent = None;
    minqing_core::sync::apply_pull(core.store(), &[redacted.clone()], &[], "e.1").expect("pull");
    assert_eq!(
        load().constituent,
        Some(contact()),
        "the reporter's contact kept"
    );

    // Someone else's item, once shown with a contact, then without it.
    let mut theirs = redacted.clone();
    theirs.id = minqing_protocol::TicketId::new();
    theirs.reporter = UserId::new();
    theirs.constituent = Some(contact());
    minqing_core::sync::apply_pull(core.store(), &[theirs.clone()], &[], "e.2").expect("pull");
    theirs.constituent = None;
    minqing_core::sync::apply_pull(core.store(), &[theirs.clone()], &[], "e.3").expect("pull");
    let stored = core
        .store()
        .read(|c| minqing_core::tickets::load(c, &theirs.id.to_string()))
        .expect("ticket");
    assert_eq!(
        stored.constituent, None,
        "not the reporter: the server's copy wins"
    );
}
