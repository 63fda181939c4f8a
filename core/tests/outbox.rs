//! The core without any shell: drafts, 完成, the outbox's states, numbering,
//! dependencies and recovery, listeners with replay.

use minqing_capture::testsupport;
use minqing_core::live::{DraftListener, HomeListener, HomeUpdate, QueueListener, RowDiff};
use minqing_core::outbox::{self, OutboxEntry, OutboxState, STUCK_AFTER};
use minqing_core::screens::TicketDetail;
use minqing_core::views::{DraftView, SyncBadge};
use minqing_core::{LocationInput, Minqing, MinqingError};
use minqing_protocol::TicketState;
use minqing_protocol::{Action, MutationKind};
use std::sync::{Arc, Mutex};

fn open(dir: &std::path::Path) -> Minqing {
    Minqing::open_at(dir.to_path_buf()).expect("open")
}

fn report(core: &Minqing, text: &str, photos: usize) -> TicketDetail {
    let draft = core.drafts().create().expect("draft");
    core.drafts()
        .set_text(draft.id.clone(), text.into())
        .expect("text");
    for _ in 0..photos {
        core.drafts()
            .add_photo_bytes(draft.id.clone(), testsupport::photo_jpeg(320, 240))
            .expect("photo");
    }
    core.drafts().submit(draft.id).expect("submit")
}

#[derive(Default)]
struct Seen(Mutex<Vec<Vec<OutboxEntry>>>);
impl QueueListener for Seen {
    fn on_queue_changed(&self, entries: Vec<OutboxEntry>) {
        self.0.lock().expect("lock").push(entries);
    }
}

#[derive(Default)]
struct SeenHome(Mutex<Vec<HomeUpdate>>);
impl HomeListener for SeenHome {
    fn on_home(&self, update: HomeUpdate) {
        self.0.lock().expect("lock").push(update);
    }
}

#[derive(Default)]
struct SeenDraft(Mutex<Vec<Option<DraftView>>>);
impl DraftListener for SeenDraft {
    fn on_draft(&self, draft: Option<DraftView>) {
        self.0.lock().expect("lock").push(draft);
    }
}

#[test]
fn submit_makes_ticket_and_entries_atomically_and_works_offline() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    let t = report(&core, "水月亭路窨井盖松动", 2);
    assert_eq!(t.state, TicketState::Pool);
    assert_eq!(t.state_label, "待认领");
    assert_eq!(t.sync, SyncBadge::Pending);
    assert_eq!(t.photos.len(), 2);
    assert_eq!(t.timeline.len(), 3, "submitted + two local attach events");
    let q = core.sync().outbox().expect("outbox");
    let kinds: Vec<&str> = q.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "create_ticket",
            "upload",
            "attach_photo",
            "upload",
            "attach_photo"
        ]
    );
    assert_eq!(q[0].mutation_id, Some(1));
    assert!(q[1..].iter().all(|e| e.mutation_id.is_none()));
    assert_eq!(q[2].waiting_for, Some(q[1].entry_id));
    assert_eq!(q[4].waiting_for, Some(q[3].entry_id));
    assert!(core.drafts().list().expect("drafts").is_empty());
    // The location came from the photo's EXIF (WGS-84) with GCJ-02 for display.
    let loc = t.location.expect("location");
    assert_eq!(loc.source, minqing_protocol::LocationSource::PhotoExif);
    assert!((loc.latitude - 30.5106).abs() < 1e-4);
}

#[test]
fn an_empty_draft_cannot_be_submitted_and_stays() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    let d = core.drafts().create().expect("draft");
    assert!(!d.can_submit);
    let err = core.drafts().submit(d.id.clone()).expect_err("empty");
    assert!(matches!(err, MinqingError::Denied { .. }), "{err:?}");
    assert!(core.sync().outbox().expect("q").is_empty());
    assert_eq!(core.drafts().get(d.id).expect("kept").text, "");
}

#[test]
fn numbers_are_assigned_in_order_and_uploads_release_their_attach() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    let a = report(&core, "第一条", 1);
    let b = report(&core, "第二条", 0);
    let store = core.store();
    // Push: only numbered mutations go, in order: create(a)=1, create(b)=2.
    let batch = store
        .write(|tx| outbox::take_mutations(tx, 10))
        .expect("take");
    assert_eq!(
        batch.iter().map(|m| m.mutation_id).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(batch[0].kind.ticket_id().to_string(), a.id);
    assert_eq!(batch[1].kind.ticket_id().to_string(), b.id);
    store
        .write(|tx| outbox::mark_sent_through(tx, 2))
        .expect("sent");

    // The upload completes: its attach gets number 3 in the same transaction.
    let job = store
        .write(outbox::take_upload)
        .expect("take upload")
        .expect("an upload");
    let (entry, upload) = (job.entry_id, job.payload);
    assert_eq!(upload.sha256.len(), 64);
    assert!(store.photo_dir().join(&upload.file).is_file());
    store
        .write(|tx| outbox::complete_upload(tx, entry))
        .expect("complete");
    let next = store
        .write(|tx| outbox::take_mutations(tx, 10))
        .expect("take");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].mutation_id, 3);
    assert!(matches!(
        &next[0].kind,
        MutationKind::Act {
            action: Action::AttachPhoto { .. },
            ..
        }
    ));
    store
        .write(|tx| outbox::mark_sent_through(tx, 3))
        .expect("sent");
    assert_eq!(
        core.tickets().detail(a.id).expect("a").sync,
        SyncBadge::Synced
    );
}

#[test]
fn a_rejected_mutation_is_kept_visible_and_does_not_block_others() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    let a = report(&core, "会被退回", 0);
    let b = report(&core, "正常", 0);
    let store = core.store();
    store
        .write(|tx| outbox::take_mutations(tx, 10))
        .expect("take");
    store
        .write(|tx| {
            outbox::mark_rejected(tx, 1, "不在本辖区")?;
            outbox::mark_sent_through(tx, 2)
        })
        .expect("results");
    let q = core.sync().outbox().expect("q");
    assert_eq!(q[0].state, OutboxState::Rejected);
    assert_eq!(q[0].reject_reason.as_deref(), Some("不在本辖区"));
    assert_eq!(q[1].state, OutboxState::Sent);
    assert_eq!(
        core.tickets().detail(a.id).expect("a").sync,
        SyncBadge::Rejected
    );
    assert_eq!(
        core.tickets().detail(b.id).expect("b").sync,
        SyncBadge::Synced
    );
    // Later mutations still flow.
    report(&core, "第三条", 0);
    let batch = store
        .write(|tx| outbox::take_mutations(tx, 10))
        .expect("take");
    assert_eq!(batch.iter().map(|m| m.mutation_id).collect::<Vec<_>>(), [3]);
}

/// The server says this store's client id forked at mutation 2 (the store
/// was restored or copied): the unsent mutations go on under a new client
/// id, numbered from 1; what was sent keeps its history; answers about the
/// new numbers land on the right entries; a later fork renumbers again.
#[test]
fn a_fork_renumbers_what_is_unsent_under_a_new_client_id() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    let a = report(&core, "已送达", 0);
    let b = report(&core, "恢复后新报", 0);
    let c = report(&core, "恢复后又一条", 0);
    let store = core.store();
    let old = store
        .write(|tx| outbox::take_mutations(tx, 10))
        .expect("take");
    assert_eq!(
        old.iter().map(|m| m.mutation_id).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    store
        .write(|tx| outbox::mark_sent_through(tx, 1))
        .expect("A acknowledged");
    let new_id = store.write(|tx| outbox::fork(tx, 2)).expect("fork");
    assert_ne!(new_id, old[0].client_id);

    let batch = store
        .write(|tx| outbox::take_mutations(tx, 10))
        .expect("take");
    assert_eq!(
        batch.iter().map(|m| m.mutation_id).collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(batch.iter().all(|m| m.client_id == new_id));
    assert_eq!(batch[0].kind, old[1].kind, "B's change, renumbered");
    assert_eq!(batch[1].kind, old[2].kind);
    // The server rejects the new 2 and applies the new 1.
    store
        .write(|tx| {
            outbox::mark_rejected(tx, 2, "测试")?;
            outbox::mark_sent_through(tx, 2)
        })
        .expect("answer");
    assert_eq!(
        core.tickets().detail(a.id).expect("a").sync,
        SyncBadge::Synced
    );
    assert_eq!(
        core.tickets().detail(b.id).expect("b").sync,
        SyncBadge::Synced
    );
    assert_eq!(
        core.tickets().detail(c.id).expect("c").sync,
        SyncBadge::Rejected
    );

    // Another fork at the new id's 2: only D (the new 3) is unsent.
    let d = report(&core, "第二次恢复", 0);
    let third = store.write(|tx| outbox::fork(tx, 3)).expect("fork again");
    let batch = store
        .write(|tx| outbox::take_mutations(tx, 10))
        .expect("take");
    assert_eq!(batch.len(), 1);
    assert_eq!((batch[0].client_id, batch[0].mutation_id), (third, 1));
    assert_eq!(batch[0].kind.ticket_id().to_string(), d.id);
    assert!(matches!(
        store.write(|tx| outbox::fork(tx, 0)),
        Err(minqing_core::error::Error::Invalid { .. })
    ));
    // Nothing was dropped: four entries, each in its state.
    let states: Vec<OutboxState> = core
        .sync()
        .outbox()
        .expect("q")
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(
        states,
        [
            OutboxState::Sent,
            OutboxState::Sent,
            OutboxState::Rejected,
            OutboxState::Sending
        ]
    );
}

#[test]
fn repeated_failures_make_an_entry_stuck_never_dropped_and_retry_revives_it() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    report(&core, "网络很差", 0);
    let store = core.store();
    let id = core.sync().outbox().expect("q")[0].entry_id;
    for i in 1..=STUCK_AFTER {
        store
            .write(|tx| outbox::take_mutations(tx, 1))
            .expect("take");
        let state = store
            .write(|tx| outbox::mark_failed(tx, id, "connection reset"))
            .expect("fail");
        let expect = if i < STUCK_AFTER {
            OutboxState::Pending
        } else {
            OutboxState::Stuck
        };
        assert_eq!(state, expect, "attempt {i}");
    }
    let e = &core.sync().outbox().expect("q")[0];
    assert_eq!(e.state, OutboxState::Stuck);
    assert_eq!(e.attempts, STUCK_AFTER);
    assert_eq!(e.last_error.as_deref(), Some("connection reset"));
    // Stuck entries are still offered to the sync loop.
    assert_eq!(
        store
            .write(|tx| outbox::take_mutations(tx, 5))
            .expect("t")
            .len(),
        1
    );
    store
        .write(|tx| outbox::mark_failed(tx, id, "again"))
        .expect("fail");
    core.sync().retry(id).expect("retry");
    let e = &core.sync().outbox().expect("q")[0];
    assert_eq!((e.state, e.attempts), (OutboxState::Pending, 0));
}

#[test]
fn interrupted_sends_return_to_pending_on_reopen() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let core = open(dir.path());
        report(&core, "发送中断", 1);
        core.store()
            .write(|tx| {
                outbox::take_mutations(tx, 10)?;
                outbox::take_upload(tx)
            })
            .expect("take");
        let states: Vec<_> = core
            .sync()
            .outbox()
            .expect("q")
            .iter()
            .map(|e| e.state)
            .collect();
        assert_eq!(
            states,
            [
                OutboxState::Sending,
                OutboxState::Sending,
                OutboxState::Pending
            ]
        );
    }
    let core = open(dir.path());
    assert!(core
        .sync()
        .outbox()
        .expect("q")
        .iter()
        .all(|e| e.state == OutboxState::Pending));
}

#[test]
fn listeners_replay_on_subscribe_then_follow_every_change() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    report(&core, "已有的一条", 0);
    let seen = Arc::new(Seen::default());
    let home = Arc::new(SeenHome::default());
    let sub = core.sync().subscribe_queue(seen.clone());
    let tsub = core.tickets().subscribe_home(home.clone());
    assert_eq!(seen.0.lock().expect("l").len(), 1, "replayed at once");
    assert_eq!(seen.0.lock().expect("l")[0].len(), 1);
    {
        let h = home.0.lock().expect("l");
        assert_eq!(h.len(), 1, "replayed at once");
        let mine = &h[0].changes[0];
        assert!(matches!(&mine.diffs[..], [RowDiff::Reset { rows }] if rows.len() == 1));
        assert_eq!(h[0].tabs[0].count, 1);
    }

    // A draft being typed reaches its own listener only.
    let d = core.drafts().create().expect("draft").id;
    let draft = Arc::new(SeenDraft::default());
    let dsub = core.drafts().subscribe(d.clone(), draft.clone());
    for text in ["新", "新的", "新的一条"] {
        core.drafts()
            .set_text(d.clone(), text.into())
            .expect("text");
    }
    assert_eq!(draft.0.lock().expect("l").len(), 4, "replay + three edits");
    assert_eq!(
        home.0.lock().expect("l").len(),
        1,
        "no home update for a draft"
    );
    assert_eq!(
        seen.0.lock().expect("l").len(),
        1,
        "no queue update for a draft"
    );

    // 完成: the draft listener hears it is gone, home gets one row inserted.
    core.drafts().submit(d).expect("submit");
    assert_eq!(draft.0.lock().expect("l").last(), Some(&None));
    let last = seen.0.lock().expect("l").last().cloned().expect("some");
    assert_eq!(last.len(), 2);
    {
        let h = home.0.lock().expect("l");
        assert_eq!(h.len(), 2);
        assert_eq!(h[1].tabs[0].count, 2);
        assert!(
            matches!(&h[1].changes[0].diffs[..], [RowDiff::Insert { index: 0, row }] if row.text == "新的一条"),
            "{:?}",
            h[1].changes
        );
    }
    drop(dsub);
    drop(sub);
    drop(tsub);
    let n = seen.0.lock().expect("l").len();
    report(&core, "取消订阅后", 0);
    assert_eq!(seen.0.lock().expect("l").len(), n);
}

#[test]
fn bad_input_is_typed_and_the_draft_survives() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    let d = core.drafts().create().expect("draft");
    core.drafts()
        .set_text(d.id.clone(), "保留的文字".into())
        .expect("text");
    let photo = testsupport::photo_jpeg(320, 240);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("text file", "不是图片".as_bytes().to_vec(), "not_an_image"),
        ("empty", vec![], "not_an_image"),
        (
            "heic",
            [&[0, 0, 0, 24][..], b"ftypheic", &[0; 16]].concat(),
            "unsupported_format",
        ),
        ("truncated", photo[..photo.len() / 2].to_vec(), "corrupt"),
    ];
    for (name, bytes, code) in cases {
        match core.drafts().add_photo_bytes(d.id.clone(), bytes) {
            Err(MinqingError::Photo { code: c, reason }) => {
                assert_eq!(c, code, "{name}");
                assert!(!reason.is_empty());
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    let bad_place = LocationInput {
        latitude: 95.0,
        longitude: 120.0,
        accuracy_m: None,
        source: minqing_protocol::LocationSource::DeviceFix,
        address: None,
    };
    assert!(matches!(
        core.drafts().set_location(d.id.clone(), Some(bad_place)),
        Err(MinqingError::Invalid { .. })
    ));
    assert!(matches!(
        core.drafts().set_text(d.id.clone(), "长".repeat(4001)),
        Err(MinqingError::Invalid { .. })
    ));
    assert!(matches!(
        core.drafts().get("no-such-draft".into()),
        Err(MinqingError::NotFound { .. })
    ));
    let kept = core.drafts().get(d.id.clone()).expect("draft");
    assert_eq!(kept.text, "保留的文字");
    assert!(kept.photos.is_empty());
    assert!(kept.location.is_none());
    // No stray files from the failed ingests.
    assert_eq!(
        std::fs::read_dir(core.store().photo_dir())
            .expect("dir")
            .count(),
        0
    );
    assert_eq!(
        core.drafts().submit(d.id).expect("submit").text,
        "保留的文字"
    );
}

#[test]
fn a_device_fix_far_from_the_photo_warns() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    let d = core.drafts().create().expect("draft");
    // Hangzhou West Lake, ~45 km from the photo's Haining position.
    core.drafts()
        .set_location(
            d.id.clone(),
            Some(LocationInput {
                latitude: 30.2431,
                longitude: 120.1503,
                accuracy_m: Some(15.0),
                source: minqing_protocol::LocationSource::DeviceFix,
                address: None,
            }),
        )
        .expect("fix");
    let view = core
        .drafts()
        .add_photo_bytes(d.id.clone(), testsupport::photo_jpeg(320, 240))
        .expect("photo");
    let w = &view.photos[0].warnings;
    assert!(w.iter().any(|m| m.contains("距当前位置")), "{w:?}");
    // The device fix stays the draft's place.
    assert_eq!(
        view.location.expect("loc").source,
        minqing_protocol::LocationSource::DeviceFix
    );
}

#[test]
fn local_actions_follow_the_state_machine() {
    let dir = tempfile::tempdir().expect("dir");
    let core = open(dir.path());
    let t = report(&core, "可以当场解释", 0);
    minqing_core::tickets::act(
        core.store(),
        &t.id,
        Action::ExplainClose {
            text: "已向群众解释政策".into(),
        },
    )
    .expect("explain");
    assert_eq!(
        core.tickets().detail(t.id.clone()).expect("t").state,
        TicketState::Closed
    );
    let err = minqing_core::tickets::act(core.store(), &t.id, Action::Claim)
        .expect_err("a deputy cannot claim a closed ticket");
    assert!(matches!(err, minqing_core::Error::Denied(_)));
    let kinds: Vec<String> = core
        .sync()
        .outbox()
        .expect("q")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["create_ticket", "explain_close"]);
}
