//! The `minqing` binary as a user runs it.

use minqing_capture::testsupport::{photo_jpeg, photo_with, ExifSpec};
use std::process::{Command, Output};

fn minqing(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minqing"))
        .args(args)
        .output()
        .expect("run minqing")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn photo_inspect_json_has_the_documented_keys() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("manhole.jpg");
    let bytes = photo_jpeg(800, 600);
    std::fs::write(&file, &bytes).expect("write");
    let out = minqing(&["photo", "inspect", file.to_str().expect("utf8"), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = [
        "sha256",
        "width",
        "height",
        "orientation",
        "taken_at",
        "latitude",
        "longitude",
        "altitude",
        "gcj02",
        "make",
        "model",
        "warnings",
    ];
    want.sort();
    let mut got = keys.clone();
    got.sort();
    assert_eq!(got, want);
    use sha2::Digest;
    assert_eq!(v["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
    assert_eq!(v["width"], 800);
    assert_eq!(v["orientation"], 1);
    assert_eq!(v["taken_at"], "2020-10-04T08:48:12+08:00");
    assert!((v["latitude"].as_f64().expect("lat") - 30.5106).abs() < 1e-6);
    assert_eq!(v["altitude"], 6.5);
    assert!(v["gcj02"]["longitude"].as_f64().expect("gcj") > 120.6806);
    assert_eq!(v["make"], "HUAWEI");
    assert_eq!(v["warnings"], serde_json::json!([]));

    // No GPS and no offset: nulls, a time without offset, and a warning.
    let bare = dir.path().join("bare.jpg");
    let spec = ExifSpec {
        latitude: None,
        longitude: None,
        altitude_m: None,
        offset_time_original: None,
        orientation: None,
        ..ExifSpec::default()
    };
    std::fs::write(&bare, photo_with(64, 48, &spec)).expect("write");
    let out = minqing(&["photo", "inspect", bare.to_str().expect("utf8"), "--json"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(v["taken_at"], "2020-10-04T08:48:12");
    assert!(v["latitude"].is_null() && v["gcj02"].is_null() && v["orientation"].is_null());
    assert_eq!(v["warnings"], serde_json::json!(["gps_missing"]));
}

#[test]
fn a_file_that_is_not_an_image_fails_with_one_line() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "水月亭路").expect("write");
    for path in [file.to_str().expect("utf8"), "/no/such/file.jpg"] {
        let out = minqing(&["photo", "inspect", path, "--json"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn report_then_queue() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf8");
    let photo = dir.path().join("p.jpg");
    std::fs::write(&photo, photo_jpeg(640, 480)).expect("write");
    let out = minqing(&[
        "--data-dir",
        data,
        "report",
        "--text",
        "水月亭路多个窨井盖松动",
        "--photo",
        photo.to_str().expect("utf8"),
        "--category",
        "city.roads",
        "--lat",
        "30.5106",
        "--lon",
        "120.6806",
    ]);
    assert!(out.status.success(), "{out:?}");
    let id = stdout(&out).trim().to_owned();
    assert_eq!(id.len(), 36, "prints the ticket id: {id}");

    let out = minqing(&["--data-dir", data, "queue", "--json"]);
    let q: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let kinds: Vec<&str> = q
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["create_ticket", "upload", "attach_photo"]);
    assert!(q
        .as_array()
        .expect("a")
        .iter()
        .all(|e| e["state"] == "pending" && e["ticket_id"] == id.as_str()));

    // A bad photo: non-zero exit, nothing submitted, no draft left behind.
    let bad = dir.path().join("bad.jpg");
    std::fs::write(&bad, b"not a photo").expect("write");
    let out = minqing(&[
        "--data-dir",
        data,
        "report",
        "--text",
        "x",
        "--photo",
        bad.to_str().expect("utf8"),
    ]);
    assert!(!out.status.success());
    let out = minqing(&["--data-dir", data, "queue", "--json"]);
    let q: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(q.as_array().expect("a").len(), 3);
    let human = stdout(&minqing(&["--data-dir", data, "queue"]));
    assert!(
        human.contains("create_ticket") && human.contains("待发送"),
        "{human}"
    );
    let en = stdout(&minqing(&["--en", "--data-dir", data, "queue"]));
    assert!(en.contains("pending"), "{en}");
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../capture/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `photo inspect` and `report --photo` take and refuse the same files (they go
/// through one function): the field photos, a motion photo cut short, a BMP.
#[test]
fn photo_inspect_and_report_agree_on_field_photos() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf8");
    let motion = std::fs::read(fixture("motion-photo.jpg")).expect("fixture");
    let cut = dir.path().join("motion-cut.jpg");
    std::fs::write(&cut, &motion[..200_000]).expect("write");
    let bmp = dir.path().join("scan.bmp");
    let mut bytes = b"BM".to_vec();
    bytes.extend_from_slice(&[58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0]);
    bytes.extend_from_slice(&[0; 40]);
    std::fs::write(&bmp, bytes).expect("write");
    let mut files: Vec<(String, bool)> = [
        "motion-photo.jpg",
        "cmyk-adobe.jpg",
        "lossless-16bit-ramp.jpg",
        "gps-zeroed.jpg",
        "offset-25h.jpg",
        "datetime-only.jpg",
    ]
    .iter()
    .map(|n| (fixture(n), true))
    .collect();
    files.push((cut.to_string_lossy().into_owned(), false));
    files.push((bmp.to_string_lossy().into_owned(), false));
    for (file, accepted) in files {
        let inspected = minqing(&["--en", "photo", "inspect", &file, "--json"]);
        let reported = minqing(&[
            "--en",
            "--data-dir",
            data,
            "report",
            "--text",
            "x",
            "--photo",
            &file,
        ]);
        assert_eq!(
            inspected.status.success(),
            accepted,
            "inspect {file}: {inspected:?}"
        );
        assert_eq!(
            reported.status.success(),
            accepted,
            "report {file}: {reported:?}"
        );
        if !accepted {
            let a = String::from_utf8_lossy(&inspected.stderr);
            let b = String::from_utf8_lossy(&reported.stderr);
            for err in [&a, &b] {
                assert!(!err.contains('{') && !err.contains("::"), "{err}");
            }
            if file.ends_with(".bmp") {
                assert!(a.contains("unsupported format (bmp)"), "{a}");
                assert!(b.contains("unsupported format (bmp)"), "{b}");
            }
        }
    }
}

/// A photo whose GPS says 0° N, 0° E leaves the report's place unset.
#[test]
fn a_zeroed_gps_leaves_the_place_unset() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf8");
    let out = minqing(&[
        "--en",
        "--data-dir",
        data,
        "report",
        "--text",
        "x",
        "--photo",
        &fixture("gps-zeroed.jpg"),
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0° N, 0° E"),
        "{out:?}"
    );
    let id = stdout(&out).trim().to_owned();
    let shown = minqing(&["--data-dir", data, "show", &id, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&shown)).expect("json");
    assert!(v["location"].is_null(), "{v}");
    assert!(v["photos"][0]["location"].is_null(), "{v}");
}
