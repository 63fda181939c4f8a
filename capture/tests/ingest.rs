//! Capture on generated photos with real EXIF: metadata read back, orientation,
//! stripping, bounds, and every kind of bad input.

use minqing_capture::testsupport::{photo_jpeg, photo_png, photo_with, ExifSpec};
use minqing_capture::{
    geo, ingest, inspect, CaptureError, CaptureWarning, DeviceFix, ImageFormat, IngestOptions,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const NOW: i64 = 1_601_772_492_000; // 2020-10-04T00:48:12Z = 08:48:12 +08:00

fn has_exif_segment(jpeg: &[u8]) -> bool {
    jpeg.windows(6).any(|w| w == b"Exif\0\0")
}

#[test]
fn metadata_reads_back_exactly() {
    let bytes = photo_jpeg(800, 600);
    let info = inspect(&bytes).expect("inspect");
    assert_eq!(info.format, ImageFormat::Jpeg);
    assert_eq!((info.width, info.height), (800, 600));
    assert_eq!(info.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(info.orientation, Some(1));
    assert_eq!(info.make.as_deref(), Some("HUAWEI"));
    assert_eq!(info.model.as_deref(), Some("ELS-AN00"));
    let gps = info.gps.expect("gps");
    assert!((gps.latitude - 30.5106).abs() < 1e-6, "{}", gps.latitude);
    assert!((gps.longitude - 120.6806).abs() < 1e-6);
    assert_eq!(gps.altitude_m, Some(6.5));
    assert_eq!(gps.gps_time_unix_ms, Some(NOW - 2000));
    let t = info.taken_at.expect("taken");
    assert_eq!(t.to_rfc3339(), "2020-10-04T08:48:12+08:00");
    assert_eq!(t.unix_ms, Some(NOW));
    assert!(info.warnings.is_empty(), "{:?}", info.warnings);
}

#[test]
fn without_offset_the_time_has_no_zone_and_no_instant() {
    let spec = ExifSpec {
        offset_time_original: None,
        latitude: Some(-33.8568),
        longitude: Some(151.2153),
        ..ExifSpec::default()
    };
    let info = inspect(&photo_with(64, 48, &spec)).expect("inspect");
    let t = info.taken_at.expect("taken");
    assert_eq!(t.to_rfc3339(), "2020-10-04T08:48:12");
    assert_eq!(t.unix_ms, None);
    let gps = info.gps.expect("gps");
    assert!(gps.latitude < 0.0, "southern hemisphere keeps its sign");
    // Outside China, GCJ-02 is the identity.
    assert_eq!(
        geo::wgs84_to_gcj02(gps.latitude, gps.longitude),
        (gps.latitude, gps.longitude)
    );
}

#[test]
fn every_orientation_gives_upright_dimensions() {
    for o in 1..=8u16 {
        let spec = ExifSpec {
            orientation: Some(o),
            ..ExifSpec::default()
        };
        let out = ingest(
            &photo_with(400, 300, &spec),
            &IngestOptions::default(),
            None,
            NOW,
        )
        .expect("ingest");
        let want = if o >= 5 { (300, 400) } else { (400, 300) };
        assert_eq!(
            (out.rendition.width, out.rendition.height),
            want,
            "orientation {o}"
        );
        assert_eq!(out.info.orientation, Some(o));
    }
}

#[test]
fn rotation_moves_the_sky_to_the_right_side() {
    // The fixture has sky (blue) at the top. Orientation 6 means "rotate 90° CW
    // to display": the top of the stored image ends on the right.
    let spec = ExifSpec {
        orientation: Some(6),
        ..ExifSpec::default()
    };
    let out = ingest(
        &photo_with(400, 300, &spec),
        &IngestOptions::default(),
        None,
        NOW,
    )
    .expect("ingest");
    let mut d = jpeg_decoder::Decoder::new(&out.rendition.jpeg[..]);
    let px = d.decode().expect("decode");
    let (w, h) = (out.rendition.width as usize, out.rendition.height as usize);
    let at = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        (px[i] as i32, px[i + 1] as i32, px[i + 2] as i32)
    };
    let right = at(w - 5, h / 2);
    let left = at(5, h / 2);
    assert!(right.2 > right.0 + 60, "right edge is sky-blue: {right:?}");
    assert!(left.2 < left.0 + 30, "left edge is road-grey: {left:?}");
}

#[test]
fn renditions_are_bounded_and_carry_no_metadata() {
    let bytes = photo_jpeg(4000, 3000);
    assert!(has_exif_segment(&bytes));
    let out = ingest(&bytes, &IngestOptions::default(), None, NOW).expect("ingest");
    assert!(out.rendition.width.max(out.rendition.height) <= 2048);
    assert!(out.rendition.width.max(out.rendition.height) >= 1700);
    assert!(out.thumbnail.width.max(out.thumbnail.height) <= 320);
    for jpeg in [&out.rendition.jpeg, &out.thumbnail.jpeg] {
        assert!(!has_exif_segment(jpeg));
        assert!(!jpeg.windows(6).any(|w| w == b"HUAWEI"));
        let info = inspect(jpeg).expect("re-inspect");
        assert!(info.gps.is_none() && info.taken_at.is_none() && info.make.is_none());
    }
    // Small photos are never enlarged.
    let small =
        ingest(&photo_jpeg(200, 100), &IngestOptions::default(), None, NOW).expect("ingest");
    assert_eq!((small.rendition.width, small.rendition.height), (200, 100));
}

#[test]
fn png_is_accepted() {
    let out = ingest(&photo_png(300, 200), &IngestOptions::default(), None, NOW).expect("png");
    assert_eq!(out.info.format, ImageFormat::Png);
    assert_eq!((out.rendition.width, out.rendition.height), (300, 200));
    assert!(out.info.warnings.contains(&CaptureWarning::GpsMissing));
}

#[test]
fn impossible_latitude_is_ignored_with_a_warning() {
    let spec = ExifSpec {
        latitude: Some(95.0),
        ..ExifSpec::default()
    };
    let info = inspect(&photo_with(64, 48, &spec)).expect("inspect");
    assert!(info.gps.is_none());
    assert!(info
        .warnings
        .iter()
        .any(|w| matches!(w, CaptureWarning::GpsOutOfRange { latitude, .. } if *latitude == 95.0)));
}

#[test]
fn bad_files_get_typed_errors() {
    let heic = [&[0, 0, 0, 24][..], b"ftypheic", &[0; 16]].concat();
    let cases: Vec<(&str, Vec<u8>, CaptureError)> = vec![
        (
            "heic",
            heic,
            CaptureError::UnsupportedFormat {
                format: "heic".into(),
            },
        ),
        (
            "gif",
            b"GIF89a\x01\x00\x01\x00".to_vec(),
            CaptureError::UnsupportedFormat {
                format: "gif".into(),
            },
        ),
        (
            "webp",
            b"RIFF\x10\x00\x00\x00WEBPVP8 ".to_vec(),
            CaptureError::UnsupportedFormat {
                format: "webp".into(),
            },
        ),
        ("empty", vec![], CaptureError::NotAnImage),
        (
            "text",
            "窨井盖松动".as_bytes().to_vec(),
            CaptureError::NotAnImage,
        ),
        ("pdf", b"%PDF-1.7\n".to_vec(), CaptureError::NotAnImage),
    ];
    for (name, bytes, want) in cases {
        assert_eq!(
            ingest(&bytes, &IngestOptions::default(), None, NOW).unwrap_err(),
            want,
            "{name}"
        );
    }
    let photo = photo_jpeg(640, 480);
    for cut in [photo.len() / 2, photo.len() - 2, 40, 3] {
        let r = ingest(&photo[..cut], &IngestOptions::default(), None, NOW);
        assert!(
            matches!(r, Err(CaptureError::Corrupt { .. })),
            "cut at {cut}: {r:?}"
        );
    }
}

#[test]
fn bmp_is_an_unsupported_format_not_not_an_image() {
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&[58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0]);
    bmp.extend_from_slice(&[0; 40]);
    assert_eq!(
        ingest(&bmp, &IngestOptions::default(), None, NOW).unwrap_err(),
        CaptureError::UnsupportedFormat {
            format: "bmp".into()
        }
    );
}

#[test]
fn garbage_exif_still_decodes_with_a_warning() {
    let mut bytes = photo_jpeg(320, 240);
    // Break the TIFF header inside the APP1 segment.
    let at = bytes
        .windows(6)
        .position(|w| w == b"Exif\0\0")
        .expect("exif")
        + 6;
    bytes[at..at + 8].copy_from_slice(b"XXXXXXXX");
    let out = ingest(&bytes, &IngestOptions::default(), None, NOW).expect("still usable");
    assert!(out.info.gps.is_none());
    assert!(
        out.info
            .warnings
            .iter()
            .any(|w| w.code() == "exif_unreadable"),
        "{:?}",
        out.info.warnings
    );
}

#[test]
fn plausibility_fires_at_its_thresholds() {
    let bytes = photo_jpeg(64, 48);
    let opts = IngestOptions::default();
    let near = DeviceFix {
        latitude: 30.5106,
        longitude: 120.6826,
        accuracy_m: Some(10.0),
        at_unix_ms: NOW,
    };
    let far = DeviceFix {
        latitude: 30.5306,
        longitude: 120.6806,
        accuracy_m: Some(10.0),
        at_unix_ms: NOW,
    };
    let codes = |fix: Option<&DeviceFix>, now: i64| -> Vec<&'static str> {
        ingest(&bytes, &opts, fix, now)
            .expect("ingest")
            .info
            .warnings
            .iter()
            .map(|w| w.code())
            .collect()
    };
    assert!(codes(Some(&near), NOW).is_empty(), "~190 m is within 300 m");
    assert_eq!(
        codes(Some(&far), NOW),
        ["far_from_device_fix"],
        "~2.2 km away"
    );
    assert_eq!(codes(None, NOW + 25 * 3_600_000), ["photo_old"]);
    assert!(codes(None, NOW + 23 * 3_600_000).is_empty());
    assert_eq!(codes(None, NOW - 3_600_000), ["taken_in_future"]);
    assert!(
        codes(None, NOW - 300_000).is_empty(),
        "5 minutes of clock skew is tolerated"
    );
}

#[test]
fn warnings_have_codes_and_both_languages() {
    let w = CaptureWarning::FarFromDeviceFix { distance_m: 1234.0 };
    assert_eq!(w.code(), "far_from_device_fix");
    assert!(w.message_zh().contains("1234"));
    assert!(w.message_en().contains("1234"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = ingest(&bytes, &IngestOptions::default(), None, NOW);
    }

    #[test]
    fn mutated_jpegs_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..24)) {
        let mut bytes = photo_jpeg(96, 64);
        for (i, v) in flips {
            let at = i.index(bytes.len());
            bytes[at] = v;
        }
        // Whatever the damage, inspect and ingest take or refuse it alike.
        let ingested = ingest(&bytes, &IngestOptions::default(), None, NOW).map(|_| ());
        prop_assert_eq!(inspect(&bytes).map(|_| ()), ingested);
    }
}

/// What the server checks of an upload (`check_rendition`): capture's own
/// renditions pass; a photo with EXIF (GPS, camera), a motion photo's
/// trailer, a PNG, three magic bytes followed by HTML, a truncated file do
/// not.
#[test]
fn only_renditions_pass_the_upload_check() {
    use minqing_capture::testsupport::{motion_photo, noisy_jpeg, rendition_jpeg};
    use minqing_capture::{check_rendition, RenditionError};
    let made = ingest(&photo_jpeg(800, 600), &IngestOptions::default(), None, NOW).expect("ingest");
    assert_eq!(check_rendition(&made.rendition.jpeg), Ok((800, 600)));
    assert_eq!(check_rendition(&made.thumbnail.jpeg), Ok((320, 240)));
    assert_eq!(check_rendition(&rendition_jpeg(64, 48)), Ok((64, 48)));
    let big = noisy_jpeg(300_000, 7);
    assert!(big.len() >= 300_000);
    assert!(check_rendition(&big).is_ok());

    assert!(matches!(
        check_rendition(&photo_jpeg(64, 48)),
        Err(RenditionError::Metadata(w)) if w.contains("EXIF")
    ));
    assert!(matches!(
        check_rendition(&motion_photo(&rendition_jpeg(64, 48), 1000)),
        Err(RenditionError::Metadata(_))
    ));
    assert_eq!(
        check_rendition(&photo_png(64, 48)),
        Err(RenditionError::NotJpeg)
    );
    let mut html = vec![0xFF, 0xD8, 0xFF];
    html.extend_from_slice(b"<html><script>alert(1)</script></html>");
    assert!(matches!(
        check_rendition(&html),
        Err(RenditionError::Undecodable(_))
    ));
    let whole = rendition_jpeg(64, 48);
    assert!(matches!(
        check_rendition(&whole[..whole.len() - 10]),
        Err(RenditionError::Undecodable(_))
    ));
    // A comment segment is metadata too.
    let mut commented = whole[..2].to_vec();
    commented.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x07]);
    commented.extend_from_slice(b"hello");
    commented.extend_from_slice(&whole[2..]);
    assert!(matches!(
        check_rendition(&commented),
        Err(RenditionError::Metadata(w)) if w.contains("COM")
    ));
}

/// A decompression bomb: a few hundred bytes whose frame header claims
/// 20,000 × 20,000 pixels (400 MP, 1.2 GB of RGB). Refused as too large from
/// the header alone, before any pixel buffer is allocated — by ingest and by
/// inspect alike.
#[test]
fn a_frame_claiming_hundreds_of_megapixels_is_refused_from_its_header() {
    let mut bytes = photo_jpeg(64, 48);
    // Patch the SOF0 frame's height and width (big-endian u16s after the
    // marker, length and precision).
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    bytes[sof + 5..sof + 7].copy_from_slice(&20_000u16.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&20_000u16.to_be_bytes());
    for err in [
        ingest(&bytes, &IngestOptions::default(), None, NOW).unwrap_err(),
        inspect(&bytes).unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                CaptureError::TooLarge {
                    width: 20_000,
                    height: 20_000
                }
            ),
            "{err:?}"
        );
    }
}
