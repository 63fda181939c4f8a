//! The workflow side of the core, with no shell and no server: duplicate
//! suggestions at 完成 against the tickets on the device (offline), and adding
//! a photo to an existing ticket — refused whole when the state machine says no.

use minqing_capture::testsupport;
use minqing_core::{LocationInput, Minqing, MinqingError};

fn place(lat: f64, lon: f64) -> Option<LocationInput> {
    Some(LocationInput {
        latitude: lat,
        longitude: lon,
        accuracy_m: Some(10.0),
        source: minqing_protocol::LocationSource::DeviceFix,
        address: None,
    })
}

fn draft(core: &Minqing, category: &str, lat: f64, lon: f64) -> String {
    let d = core.drafts().create().expect("draft");
    core.drafts()
        .set_text(d.id.clone(), "窨井盖松动".into())
        .expect("text");
    core.drafts()
        .set_category(d.id.clone(), Some(category.into()), None)
        .expect("category");
    core.drafts()
        .set_location(d.id.clone(), place(lat, lon))
        .expect("place");
    d.id
}

#[test]
fn the_same_problem_nearby_is_suggested_before_submitting() {
    let dir = tempfile::tempdir().expect("dir");
    let core = Minqing::open_at(dir.path().to_path_buf()).expect("open");
    let first = core
        .drafts()
        .submit(draft(&core, "C03", 30.5100, 120.6800))
        .expect("完成");

    // 60 m away, same category: suggested, with the distance.
    let near = draft(&core, "C03", 30.5105, 120.6803);
    let found = core
        .drafts()
        .possible_duplicates(near.clone())
        .expect("duplicates");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].ticket_id, first.id);
    assert!((55.0..70.0).contains(&found[0].distance_m), "{found:?}");
    assert_eq!(found[0].state_label, "待认领");
    // 400 m away, or another category, or no place yet: nothing.
    let far = draft(&core, "C03", 30.5136, 120.6800);
    assert!(core
        .drafts()
        .possible_duplicates(far)
        .expect("dups")
        .is_empty());
    let other = draft(&core, "C04", 30.5100, 120.6800);
    assert!(core
        .drafts()
        .possible_duplicates(other)
        .expect("dups")
        .is_empty());
    let bare = core.drafts().create().expect("draft").id;
    assert!(core
        .drafts()
        .possible_duplicates(bare)
        .expect("dups")
        .is_empty());
    // Unknown draft: a typed error.
    assert!(matches!(
        core.drafts().possible_duplicates("nope".into()),
        Err(MinqingError::NotFound { .. })
    ));
}

#[test]
fn a_refused_photo_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let core = Minqing::open_at(dir.path().to_path_buf()).expect("open");
    let t = core
        .drafts()
        .submit(draft(&core, "C03", 30.5100, 120.6800))
        .expect("完成");
    let queued = core.sync().outbox().expect("queue").len();
    let photos_dir = dir.path().join("photos");
    let files = || {
        std::fs::read_dir(&photos_dir)
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let before = files();

    // A deputy may add evidence, not proof of a fix.
    let refused = core.tickets().add_photo_bytes(
        t.id.clone(),
        testsupport::photo_jpeg(800, 600),
        minqing_protocol::PhotoKind::Proof,
    );
    assert!(
        matches!(refused, Err(MinqingError::Denied { .. })),
        "{refused:?}"
    );
    // Bytes that are no photo: a typed error.
    let broken = core.tickets().add_photo_bytes(
        t.id.clone(),
        b"not a jpeg".to_vec(),
        minqing_protocol::PhotoKind::Evidence,
    );
    assert!(
        matches!(broken, Err(MinqingError::Photo { .. })),
        "{broken:?}"
    );
    assert_eq!(
        core.sync().outbox().expect("queue").len(),
        queued,
        "nothing queued"
    );
    assert_eq!(files(), before, "no files left behind");
    assert_eq!(
        core.tickets().detail(t.id.clone()).expect("t").photos.len(),
        0
    );

    // Evidence is accepted: the photo, its upload and its attachment are queued.
    core.tickets()
        .add_photo_bytes(
            t.id.clone(),
            testsupport::photo_jpeg(800, 600),
            minqing_protocol::PhotoKind::Evidence,
        )
        .expect("evidence");
    assert_eq!(core.sync().outbox().expect("queue").len(), queued + 2);
    assert_eq!(core.tickets().detail(t.id).expect("t").photos.len(), 1);
}
