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
        from_device: true,
        address: None,
    })
}

fn draft(core: &Minqing, category: &str, lat: f64, lon: f64) -> String {
    let d = core.create_draft().expect("draft");
    core.set_draft_text(d.id.clone(), "窨井盖松动".into())
        .expect("text");
    core.set_draft_category(d.id.clone(), Some(category.into()), None)
        .expect("category");
    core.set_draft_location(d.id.clone(), place(lat, lon))
        .expect("place");
    d.id
}

#[test]
fn the_same_problem_nearby_is_suggested_before_submitting() {
    let dir = tempfile::tempdir().expect("dir");
    let core = Minqing::open_at(dir.path().to_path_buf()).expect("open");
    let first = core
        .submit(draft(&core, "C03", 30.5100, 120.6800))
        .expect("完成");

    // 60 m away, same category: suggested, with the distance.
    let near = draft(&core, "C03", 30.5105, 120.6803);
    let found = core.possible_duplicates(near.clone()).expect("duplicates");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].ticket_id, first.id);
    assert!((55.0..70.0).contains(&found[0].distance_m), "{found:?}");
    assert_eq!(found[0].state_label, "待认领");
    // 400 m away, or another category, or no place yet: nothing.
    let far = draft(&core, "C03", 30.5136, 120.6800);
    assert!(core.possible_duplicates(far).expect("dups").is_empty());
    let other = draft(&core, "C04", 30.5100, 120.6800);
    assert!(core.possible_duplicates(other).expect("dups").is_empty());
    let bare = core.create_draft().expect("draft").id;
    assert!(core.possible_duplicates(bare).expect("dups").is_empty());
    // Unknown draft: a typed error.
    assert!(matches!(
        core.possible_duplicates("nope".into()),
        Err(MinqingError::NotFound { .. })
    ));
}

#[test]
fn a_refused_photo_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let core = Minqing::open_at(dir.path().to_path_buf()).expect("open");
    let t = core
        .submit(draft(&core, "C03", 30.5100, 120.6800))
        .expect("完成");
    let queued = core.outbox().expect("queue").len();
    let photos_dir = dir.path().join("photos");
    let files = || {
        std::fs::read_dir(&photos_dir)
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let before = files();

    // A deputy may add evidence, not proof of a fix.
    let refused =
        core.add_ticket_photo_bytes(t.id.clone(), testsupport::photo_jpeg(800, 600), true);
    assert!(
        matches!(refused, Err(MinqingError::Denied { .. })),
        "{refused:?}"
    );
    // Bytes that are no photo: a typed error.
    let broken = core.add_ticket_photo_bytes(t.id.clone(), b"not a jpeg".to_vec(), false);
    assert!(
        matches!(broken, Err(MinqingError::Photo { .. })),
        "{broken:?}"
    );
    assert_eq!(
        core.outbox().expect("queue").len(),
        queued,
        "nothing queued"
    );
    assert_eq!(files(), before, "no files left behind");
    assert_eq!(core.get_ticket(t.id.clone()).expect("t").photos.len(), 0);

    // Evidence is accepted: the photo, its upload and its attachment are queued.
    core.add_ticket_photo_bytes(t.id.clone(), testsupport::photo_jpeg(800, 600), false)
        .expect("evidence");
    assert_eq!(core.outbox().expect("queue").len(), queued + 2);
    assert_eq!(core.get_ticket(t.id).expect("t").photos.len(), 1);
}
