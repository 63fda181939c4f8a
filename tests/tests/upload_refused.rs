//! Issue 16, item 6, on the device: the server takes an upload only for a
//! ticket its uploader may attach to. An item whose submission the server
//! rejected (here: it @-mentions a unit the directory does not hold) has
//! photos nobody will take; the phone rejects them with the server's reason,
//! together with the `attach_photo` that waited for them, and the photos of
//! the next item still go up — before, the refused upload was retried ahead of
//! every other photo, for ever.

use minqing_core::outbox::OutboxState;
use minqing_e2e::devices::{login, open, submit_with_photo};
use minqing_e2e::server::ServerProc;
use std::path::PathBuf;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_e2e-minqing-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upload_is_rejected_and_the_queue_goes_on() {
    let dir = tempfile::tempdir().expect("dir");
    let server = ServerProc::start(&bin(), &dir.path().join("server"), "127.0.0.1:0");
    let dev = open(dir.path(), "deputy");
    login(&dev, &server, &server.url, "陆靖英").await;

    // First, an item the server will refuse: its @-mentioned unit is unknown.
    let draft = dev.drafts().create().expect("draft");
    dev.drafts()
        .set_text(draft.id.clone(), "井盖松动（单位不存在）".into())
        .expect("text");
    dev.drafts()
        .set_mention(
            draft.id.clone(),
            Some(minqing_protocol::UnitId::new().to_string()),
        )
        .expect("mention");
    dev.drafts()
        .add_photo_bytes(
            draft.id.clone(),
            minqing_capture::testsupport::photo_jpeg(320, 240),
        )
        .expect("photo");
    let refused = dev.drafts().submit(draft.id).expect("完成").id;
    // Then an ordinary one.
    let (fine, _) = submit_with_photo(&dev, "水月亭路窨井盖松动", 320, 240);

    let report = dev.sync().now().await.expect("a pass");
    let q = dev.sync().outbox().expect("outbox");
    let of = |ticket: &str, kind: &str| {
        q.iter()
            .find(|e| e.ticket_id == ticket && e.kind == kind)
            .unwrap_or_else(|| panic!("{kind} of {ticket}: {q:?}"))
    };
    let create = of(&refused, "create_ticket");
    assert_eq!(create.state, OutboxState::Rejected, "{create:?}");
    let upload = of(&refused, "upload");
    assert_eq!(upload.state, OutboxState::Rejected, "{upload:?}");
    assert!(
        upload
            .reject_reason
            .as_deref()
            .is_some_and(|r| r.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "the server's reason, in Chinese: {upload:?}"
    );
    assert_eq!(of(&refused, "attach_photo").state, OutboxState::Rejected);
    for kind in ["create_ticket", "upload", "attach_photo"] {
        assert_eq!(of(&fine, kind).state, OutboxState::Sent, "{kind}: {q:?}");
    }
    assert_eq!(report.uploaded_photos, 1);
    assert_eq!(report.pending, 0, "nothing left to retry: {q:?}");
}
