//! EXIF as real cameras write it (issue 15, item 5): files from a Canon
//! compact (2003) and a Google Pixel 6 (2024, with GPS and an Ultra HDR gain
//! map after the image), with the values an independent reader (Pillow)
//! finds in them. See `fixtures/real/README.md` for where they come from and
//! their licence.

use minqing_capture::{ingest, inspect, CaptureWarning, IngestOptions};

const CANON: &[u8] = include_bytes!("fixtures/real/canon-powershot-s40.jpg");
const PIXEL: &[u8] = include_bytes!("fixtures/real/google-pixel-6-ultrahdr.jpg");
/// 29 November 2026, when these tests were written.
const NOW: i64 = 1_795_939_200_000;

#[test]
fn a_canon_compact_from_2003() {
    let info = inspect(CANON).expect("inspect");
    assert_eq!((info.width, info.height), (480, 360));
    assert_eq!(info.make.as_deref(), Some("Canon"));
    assert_eq!(info.model.as_deref(), Some("Canon PowerShot S40"));
    assert_eq!(info.orientation, Some(1));
    let t = info.taken_at.as_ref().expect("a capture time");
    assert_eq!(t.local, "2003-12-14T12:01:44");
    assert_eq!(t.offset, None, "the camera wrote no offset");
    assert!(info.gps.is_none());
    assert!(
        !info
            .warnings
            .iter()
            .any(|w| matches!(w, CaptureWarning::ExifUnreadable { .. })),
        "{:?}",
        info.warnings
    );
    let out = ingest(CANON, &IngestOptions::default(), None, NOW).expect("ingest");
    assert_eq!((out.rendition.width, out.rendition.height), (480, 360));
}

/// The Pixel 6 file as Pillow ships it is cut short (Pillow too calls it
/// truncated): refused with a clear error by inspect and ingest alike —
/// never half a photo.
#[test]
fn a_pixel_6_file_cut_short_is_refused_as_truncated() {
    for err in [
        inspect(PIXEL).unwrap_err(),
        ingest(PIXEL, &IngestOptions::default(), None, NOW).unwrap_err(),
    ] {
        assert_eq!(err.code(), "corrupt", "{err:?}");
        assert!(
            err.message_en().contains("truncated"),
            "{}",
            err.message_en()
        );
        assert!(
            err.message_zh().contains("不完整") || err.message_zh().contains("截断"),
            "{}",
            err.message_zh()
        );
    }
}

/// Eight makers' cameras (piexif's test images keep their original EXIF and
/// maker notes): make, model and capture time as Pillow reads them, with the
/// NUL and space padding some firmware writes taken off.
#[test]
fn eight_makers_cameras() {
    let cases: [(&[u8], &str, &str, &str); 8] = [
        (
            include_bytes!("fixtures/real/piexif-r_canon.jpg"),
            "Canon",
            "Canon PowerShot G1 X Mark II",
            "2013-12-17T14:04:24",
        ),
        (
            include_bytes!("fixtures/real/piexif-r_casio.jpg"),
            "CASIO COMPUTER CO.,LTD.",
            "EX-100",
            "2014-03-24T17:18:28",
        ),
        (
            include_bytes!("fixtures/real/piexif-r_olympus.jpg"),
            "OLYMPUS IMAGING CORP.",
            "STYLUS1",
            "2013-11-12T13:54:29",
        ),
        (
            include_bytes!("fixtures/real/piexif-r_pana.jpg"),
            "Panasonic",
            "DMC-L10",
            "2007-09-15T13:15:57",
        ),
        (
            include_bytes!("fixtures/real/piexif-r_pen.jpg"),
            "OLYMPUS IMAGING CORP.",
            "E-P3",
            "2014-08-23T13:05:43",
        ),
        (
            include_bytes!("fixtures/real/piexif-r_ricoh.jpg"),
            "PENTAX RICOH IMAGING",
            "GR",
            "2013-03-29T10:06:41",
        ),
        (
            include_bytes!("fixtures/real/piexif-r_sigma.jpg"),
            "SIGMA",
            "SIGMA DP3 Merrill",
            "2012-12-28T15:25:17",
        ),
        (
            include_bytes!("fixtures/real/piexif-r_sony.jpg"),
            "SONY",
            "DSC-RX1R",
            "2013-04-13T10:22:18",
        ),
    ];
    for (bytes, make, model, local) in cases {
        let info = inspect(bytes).unwrap_or_else(|e| panic!("{model}: {e:?}"));
        assert_eq!(info.make.as_deref(), Some(make), "{model}");
        assert_eq!(info.model.as_deref(), Some(model));
        assert_eq!((info.width, info.height), (80, 80), "{model}");
        let t = info
            .taken_at
            .as_ref()
            .unwrap_or_else(|| panic!("{model}: no time"));
        assert_eq!(t.local, local, "{model}");
        assert!(info.gps.is_none(), "{model}");
        assert!(
            !info
                .warnings
                .iter()
                .any(|w| matches!(w, CaptureWarning::ExifUnreadable { .. })),
            "{model}: {:?}",
            info.warnings
        );
        ingest(bytes, &IngestOptions::default(), None, NOW)
            .unwrap_or_else(|e| panic!("{model}: {e:?}"));
    }
}
