//! Photos as real phones and scanners write them: the field cases of November
//! 2026 (`tests/fixtures/`, copied from the field report; see its README) and,
//! for each kind of fault, variants made in code.

use minqing_capture::testsupport::{
    cmyk_blocks, lossless_jpeg, motion_photo, photo_jpeg, photo_png, photo_with, with_frame,
    ExifSpec,
};
use minqing_capture::{
    geo, ingest, inspect, CaptureError, CaptureWarning, IngestOptions, JpegFeature, PhotoInfo,
};
use sha2::{Digest, Sha256};

const NOW: i64 = 1_601_772_492_000;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn codes(info: &PhotoInfo) -> Vec<&'static str> {
    info.warnings.iter().map(|w| w.code()).collect()
}

/// The rendition decoded back to RGB: (width, height, pixels).
fn rendition_rgb(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let out = ingest(bytes, &IngestOptions::default(), None, NOW).expect("ingest");
    let mut d = jpeg_decoder::Decoder::new(&out.rendition.jpeg[..]);
    let px = d.decode().expect("decode rendition");
    let info = d.info().expect("info");
    (usize::from(info.width), usize::from(info.height), px)
}

fn at(img: &(usize, usize, Vec<u8>), x: usize, y: usize) -> [u8; 3] {
    let i = (y * img.0 + x) * 3;
    [img.2[i], img.2[i + 1], img.2[i + 2]]
}

fn close(got: [u8; 3], want: [u8; 3], tolerance: u8) -> bool {
    got.iter()
        .zip(want)
        .all(|(&g, w)| g.abs_diff(w) <= tolerance)
}

// ---- motion photos -------------------------------------------------------

#[test]
fn a_motion_photo_is_accepted_and_its_still_is_the_photo() {
    let file = fixture("motion-photo.jpg");
    // The JPEG ends at its EOI at 411,011 bytes; 1.5 MB of video follow.
    let still_len = 411_011;
    assert_eq!(&file[still_len - 2..still_len], &[0xFF, 0xD9]);
    let info = inspect(&file).expect("inspect accepts it");
    assert_eq!((info.width, info.height), (1200, 900));
    assert_eq!(info.trailing_bytes, (file.len() - still_len) as u64);
    // The hash names the file as the deputy picked it (`sha256sum` agrees).
    assert_eq!(info.sha256, hex::encode(Sha256::digest(&file)));
    let whole = ingest(&file, &IngestOptions::default(), None, NOW).expect("ingest accepts it");
    let still = ingest(&file[..still_len], &IngestOptions::default(), None, NOW).expect("still");
    assert_eq!(whole.rendition, still.rendition, "the video adds nothing");
    assert_eq!(whole.thumbnail, still.thumbnail);
}

#[test]
fn any_jpeg_with_a_video_after_it_is_its_still() {
    // Videos longer than any tail a heuristic would look at, holding FF D9
    // and FF D8 pairs of their own.
    for (w, h) in [(640, 480), (97, 61)] {
        let jpeg = photo_jpeg(w, h);
        let alone = ingest(&jpeg, &IngestOptions::default(), None, NOW).expect("still");
        for video_len in [100, 70 * 1024, 600 * 1024] {
            let file = motion_photo(&jpeg, video_len);
            let out = ingest(&file, &IngestOptions::default(), None, NOW).expect("motion photo");
            assert_eq!(out.rendition, alone.rendition, "{w}x{h} + {video_len}");
            assert_eq!(out.info.trailing_bytes as usize, file.len() - jpeg.len());
            assert_eq!(out.info.taken_at, alone.info.taken_at);
            assert_eq!(out.info.gps, alone.info.gps);
        }
    }
    // A still that stops short is refused, video or not.
    let jpeg = photo_jpeg(640, 480);
    let cut = &jpeg[..jpeg.len() * 2 / 3];
    assert!(matches!(inspect(cut), Err(CaptureError::Corrupt { .. })));
}

/// `photo inspect` and `report --photo` take the same files: both go through
/// one gate. Here over every fixture, generated variants and their cuts.
#[test]
fn inspect_accepts_exactly_what_ingest_accepts() {
    let mut inputs: Vec<(String, Vec<u8>)> = [
        "cmyk-adobe.jpg",
        "ycck-adobe.jpg",
        "datetime-only.jpg",
        "gps-hanoi.jpg",
        "gps-seoul.jpg",
        "gps-zeroed.jpg",
        "lossless-16bit-ramp.jpg",
        "motion-photo.jpg",
        "offset-25h.jpg",
    ]
    .iter()
    .map(|n| (n.to_string(), fixture(n)))
    .collect();
    let photo = photo_jpeg(320, 240);
    inputs.push(("motion".into(), motion_photo(&photo, 80_000)));
    inputs.push(("12-bit".into(), with_frame(&photo, 0xC1, 12)));
    inputs.push(("png".into(), photo_png(64, 48)));
    for (name, bytes) in inputs.clone() {
        for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            inputs.push((format!("{name} cut at {cut}"), bytes[..cut].to_vec()));
        }
    }
    for (name, bytes) in &inputs {
        let a = inspect(bytes).map(|_| ());
        let b = ingest(bytes, &IngestOptions::default(), None, NOW).map(|_| ());
        assert_eq!(a, b, "{name}");
    }
}

// ---- CMYK and YCCK -------------------------------------------------------

/// What libjpeg decodes (Pillow 12, `Image.open(f).convert("RGB")`) at the
/// centres of the four blocks of `cmyk-adobe.jpg` and `ycck-adobe.jpg`:
/// (255,0,0) (255,255,255) (0,0,0) (0,255,255) — YCCK's cyan as (1,255,255).
const LIBJPEG_BLOCKS: [[u8; 3]; 4] = [[255, 0, 0], [255, 255, 255], [0, 0, 0], [0, 255, 255]];

fn assert_blocks(name: &str, bytes: &[u8]) {
    let img = rendition_rgb(bytes);
    let (w, h) = (img.0, img.1);
    let centres = [
        (w / 4, h / 4),
        (3 * w / 4, h / 4),
        (w / 4, 3 * h / 4),
        (3 * w / 4, 3 * h / 4),
    ];
    for (i, &(x, y)) in centres.iter().enumerate() {
        let got = at(&img, x, y);
        assert!(
            close(got, LIBJPEG_BLOCKS[i], 12),
            "{name}: block {i} is {got:?}, libjpeg gives {:?}",
            LIBJPEG_BLOCKS[i]
        );
    }
}

#[test]
fn cmyk_and_ycck_jpegs_decode_to_the_colours_libjpeg_gives() {
    // The field case (CMYK, Adobe transform 0) and a YCCK one (transform 2,
    // made by `cmyk_blocks(64, true)` and checked against Pillow).
    assert_blocks("cmyk-adobe.jpg", &fixture("cmyk-adobe.jpg"));
    assert_blocks("ycck-adobe.jpg", &fixture("ycck-adobe.jpg"));
    // Made in code, small and large enough to be decoded at 1/2 scale.
    for size in [64, 4000] {
        assert_blocks(&format!("cmyk {size}"), &cmyk_blocks(size, false));
        assert_blocks(&format!("ycck {size}"), &cmyk_blocks(size, true));
    }
}

// ---- 12- and 16-bit ------------------------------------------------------

#[test]
fn the_16_bit_lossless_ramp_is_a_monotone_grey_ramp() {
    let img = rendition_rgb(&fixture("lossless-16bit-ramp.jpg"));
    assert_eq!((img.0, img.1), (512, 64));
    let row: Vec<[u8; 3]> = (0..512).map(|x| at(&img, x, 32)).collect();
    for (x, px) in row.iter().enumerate() {
        let want = (x * 255 / 511) as u8;
        assert!(
            close(*px, [want; 3], 4),
            "x = {x}: {px:?}, want grey {want}"
        );
    }
    // Monotone up to the re-encoding's ripple.
    for x in 8..512 {
        assert!(
            u16::from(row[x][0]) + 3 >= u16::from(row[x - 8][0]),
            "x = {x}"
        );
    }
}

#[test]
fn lossless_jpegs_of_every_precision_decode_right() {
    let (w, h) = (300u16, 20u16);
    for precision in [2u8, 8, 12, 16] {
        let max = (1u32 << precision) - 1;
        let ramp: Vec<u16> = (0..h)
            .flat_map(|_| (0..u32::from(w)).map(move |x| (x * max / (u32::from(w) - 1)) as u16))
            .collect();
        let img = rendition_rgb(&lossless_jpeg(w, h, precision, 1, &ramp));
        for x in (0..usize::from(w)).step_by(13) {
            let want = (x * 255 / (usize::from(w) - 1)) as u8;
            let tolerance = if precision == 2 { 90 } else { 4 };
            assert!(
                close(at(&img, x, 10), [want; 3], tolerance),
                "{precision}-bit at x = {x}: {:?}, want {want}",
                at(&img, x, 10)
            );
        }
    }
    // Three components (RGB), 16 bits: red, green, blue, white stripes.
    let colours: [[u16; 3]; 4] = [
        [65535, 0, 0],
        [0, 65535, 0],
        [0, 0, 65535],
        [65535, 65535, 65535],
    ];
    let samples: Vec<u16> = (0..40)
        .flat_map(|_| (0..160).flat_map(|x| colours[x / 40]))
        .collect();
    let img = rendition_rgb(&lossless_jpeg(160, 40, 16, 3, &samples));
    for (i, want) in [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]
        .into_iter()
        .enumerate()
    {
        let got = at(&img, i * 40 + 20, 20);
        assert!(close(got, want, 12), "stripe {i}: {got:?}");
    }
}

#[test]
fn codings_we_cannot_decode_are_refused_with_a_typed_error() {
    let photo = photo_jpeg(320, 240);
    let cases = [
        (0xC1, 12, JpegFeature::SamplePrecision { bits: 12 }),
        (0xC2, 12, JpegFeature::SamplePrecision { bits: 12 }),
        (0xC0, 12, JpegFeature::SamplePrecision { bits: 12 }),
        (0xC9, 8, JpegFeature::ArithmeticCoding),
        (0xC5, 8, JpegFeature::Hierarchical),
    ];
    for (sof, bits, feature) in cases {
        let bytes = with_frame(&photo, sof, bits);
        let want = CaptureError::UnsupportedJpeg { feature };
        assert_eq!(inspect(&bytes), Err(want.clone()), "SOF {sof:#x}");
        assert_eq!(
            ingest(&bytes, &IngestOptions::default(), None, NOW),
            Err(want),
            "SOF {sof:#x}"
        );
    }
    let e = CaptureError::UnsupportedJpeg {
        feature: JpegFeature::SamplePrecision { bits: 12 },
    };
    assert_eq!(e.code(), "unsupported_jpeg");
    assert!(e
        .message_en()
        .starts_with("unsupported JPEG encoding (12-bit samples)"));
    assert!(e.message_zh().contains("不支持的 JPEG 编码（12 位采样）"));
}

// ---- GPS -----------------------------------------------------------------

#[test]
fn zeroed_gps_is_no_position_with_a_warning() {
    let info = inspect(&fixture("gps-zeroed.jpg")).expect("inspect");
    assert_eq!(info.gps, None);
    assert_eq!(codes(&info), ["gps_zeroed"]);
    let spec = ExifSpec {
        latitude: Some(0.0),
        longitude: Some(0.0),
        ..ExifSpec::default()
    };
    let info = inspect(&photo_with(64, 48, &spec)).expect("inspect");
    assert_eq!(info.gps, None);
    assert_eq!(codes(&info), ["gps_zeroed"]);
    // On the equator or the prime meridian alone, a position is a position.
    for (lat, lon) in [(0.0, 9.5), (5.5, 0.0)] {
        let spec = ExifSpec {
            latitude: Some(lat),
            longitude: Some(lon),
            ..ExifSpec::default()
        };
        assert!(inspect(&photo_with(64, 48, &spec))
            .expect("inspect")
            .gps
            .is_some());
    }
}

#[test]
fn seoul_and_hanoi_are_read_and_not_shifted() {
    for (name, lat, lon) in [
        ("gps-seoul.jpg", 37.5665, 126.978),
        ("gps-hanoi.jpg", 21.0278, 105.8342),
    ] {
        let info = inspect(&fixture(name)).expect("inspect");
        let gps = info.gps.clone().expect("gps");
        assert!((gps.latitude - lat).abs() < 1e-6 && (gps.longitude - lon).abs() < 1e-6);
        assert_eq!(
            geo::wgs84_to_gcj02(gps.latitude, gps.longitude),
            (gps.latitude, gps.longitude),
            "{name}"
        );
        // Their GPS IFD links to a next IFD (a quirk that loses nothing):
        // no exif_unreadable.
        assert!(info.warnings.is_empty(), "{name}: {:?}", info.warnings);
    }
}

// ---- capture time --------------------------------------------------------

#[test]
fn a_modification_time_is_not_a_capture_time() {
    let info = inspect(&fixture("datetime-only.jpg")).expect("inspect");
    assert_eq!(info.taken_at, None);
    assert!(
        codes(&info).contains(&"modification_time_only"),
        "{:?}",
        codes(&info)
    );
    let taken = |spec: ExifSpec| {
        let info = inspect(&photo_with(64, 48, &spec)).expect("inspect");
        (info.taken_at.as_ref().map(|t| t.to_rfc3339()), codes(&info))
    };
    let none = ExifSpec {
        date_time_original: None,
        offset_time_original: None,
        ..ExifSpec::default()
    };
    // DateTime only: none, with a warning.
    let (t, w) = taken(ExifSpec {
        date_time: Some("2026:05:06 07:08:09".into()),
        ..none.clone()
    });
    assert_eq!(t, None);
    assert_eq!(w, ["modification_time_only"]);
    // DateTimeDigitized (with its own offset) when there is no original.
    let (t, w) = taken(ExifSpec {
        date_time: Some("2026:05:06 07:08:09".into()),
        date_time_digitized: Some("2020:10:04 08:40:00".into()),
        offset_time_digitized: Some("+08:00".into()),
        ..none.clone()
    });
    assert_eq!(t.as_deref(), Some("2020-10-04T08:40:00+08:00"));
    assert!(w.is_empty(), "{w:?}");
    // DateTimeOriginal first, whatever else is there.
    let (t, _) = taken(ExifSpec {
        date_time: Some("2026:05:06 07:08:09".into()),
        date_time_digitized: Some("2020:10:04 08:40:00".into()),
        ..ExifSpec::default()
    });
    assert_eq!(t.as_deref(), Some("2020-10-04T08:48:12+08:00"));
    // An original left blank ("unknown") falls through to the digitized time.
    let (t, w) = taken(ExifSpec {
        date_time_original: Some("    :  :     :  :  ".into()),
        offset_time_original: None,
        date_time_digitized: Some("2020:10:04 08:40:00".into()),
        ..ExifSpec::default()
    });
    assert_eq!(t.as_deref(), Some("2020-10-04T08:40:00"));
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn impossible_offsets_are_dropped_with_a_warning() {
    let info = inspect(&fixture("offset-25h.jpg")).expect("inspect");
    let t = info.taken_at.clone().expect("the local time is kept");
    assert_eq!(t.to_rfc3339(), "2026-05-06T07:08:09");
    assert_eq!((t.offset, t.unix_ms), (None, None));
    assert!(codes(&info).contains(&"bad_time_offset"));
    for (offset, kept) in [
        ("+14:00", Some("+14:00")),
        ("-12:00", Some("-12:00")),
        ("+05:45", Some("+05:45")),
        ("+0800", Some("+08:00")),
        ("+14:30", None),
        ("-15:00", None),
        ("+25:00", None),
        ("+08:75", None),
        ("08:00", None),
    ] {
        let spec = ExifSpec {
            offset_time_original: Some(offset.into()),
            ..ExifSpec::default()
        };
        let info = inspect(&photo_with(64, 48, &spec)).expect("inspect");
        let t = info.taken_at.clone().expect("taken");
        assert_eq!(t.offset.as_deref(), kept, "{offset}");
        assert_eq!(t.unix_ms.is_some(), kept.is_some(), "{offset}");
        assert_eq!(
            codes(&info).contains(&"bad_time_offset"),
            kept.is_none(),
            "{offset}"
        );
        if let Some(o) = kept {
            // RFC 3339: date "T" time offset, offset ±HH:MM within ±14:00.
            assert_eq!(t.to_rfc3339(), format!("2020-10-04T08:48:12{o}"));
        }
    }
}

// ---- EXIF text, warnings, formats, messages -------------------------------

#[test]
fn exif_text_ends_at_the_first_nul() {
    let spec = ExifSpec {
        make: Some("SONY\0\0\0\0".into()),
        model: Some("MAVICA\0 3ghx7y".into()),
        ..ExifSpec::default()
    };
    let info = inspect(&photo_with(64, 48, &spec)).expect("inspect");
    assert_eq!(info.make.as_deref(), Some("SONY"));
    assert_eq!(info.model.as_deref(), Some("MAVICA"));
    let spec = ExifSpec {
        model: Some("\0junk".into()),
        ..ExifSpec::default()
    };
    assert_eq!(
        inspect(&photo_with(64, 48, &spec)).expect("inspect").model,
        None
    );
}

#[test]
fn exif_unreadable_only_when_exif_could_not_be_read() {
    // Read in full: no warning, on every fixture that has EXIF.
    for name in [
        "gps-seoul.jpg",
        "gps-hanoi.jpg",
        "gps-zeroed.jpg",
        "offset-25h.jpg",
    ] {
        let info = inspect(&fixture(name)).expect("inspect");
        assert!(!codes(&info).contains(&"exif_unreadable"), "{name}");
    }
    assert!(inspect(&photo_jpeg(64, 48))
        .expect("ok")
        .warnings
        .is_empty());
    // A TIFF header that is not one: the EXIF cannot be read.
    let mut bytes = photo_jpeg(64, 48);
    let at = bytes
        .windows(6)
        .position(|w| w == b"Exif\0\0")
        .expect("exif")
        + 6;
    bytes[at..at + 4].copy_from_slice(b"XXXX");
    let info = inspect(&bytes).expect("still usable");
    assert!(codes(&info).contains(&"exif_unreadable"));
    // The IFD's entry count claims more entries than the segment holds.
    let mut bytes = photo_jpeg(64, 48);
    let tiff = bytes
        .windows(6)
        .position(|w| w == b"Exif\0\0")
        .expect("exif")
        + 6;
    let big_endian = &bytes[tiff..tiff + 2] == b"MM";
    let ifd0 = if big_endian {
        u32::from_be_bytes([
            bytes[tiff + 4],
            bytes[tiff + 5],
            bytes[tiff + 6],
            bytes[tiff + 7],
        ])
    } else {
        u32::from_le_bytes([
            bytes[tiff + 4],
            bytes[tiff + 5],
            bytes[tiff + 6],
            bytes[tiff + 7],
        ])
    } as usize;
    let count = if big_endian {
        [0x0F, 0xFF]
    } else {
        [0xFF, 0x0F]
    };
    bytes[tiff + ifd0..tiff + ifd0 + 2].copy_from_slice(&count);
    let info = inspect(&bytes).expect("still usable");
    assert!(
        codes(&info).contains(&"exif_unreadable"),
        "{:?}",
        codes(&info)
    );
}

/// The smallest BMP a Windows tool writes: 1×1, 24-bit.
fn bmp() -> Vec<u8> {
    let mut b = b"BM".to_vec();
    b.extend_from_slice(&58u32.to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&1i32.to_le_bytes());
    b.extend_from_slice(&1i32.to_le_bytes());
    b.extend_from_slice(&[1, 0, 24, 0]);
    b.extend_from_slice(&[0; 24]);
    b.extend_from_slice(&[0, 0, 255, 0]);
    b
}

#[test]
fn formats_we_do_not_take_are_named() {
    let heic_compatible = [&[0, 0, 0, 28][..], b"ftypMiHE\0\0\0\0MiHEmif1heic", &[0; 8]].concat();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (bmp(), "bmp"),
        (b"II*\0\x08\0\0\0".to_vec(), "tiff"),
        (b"MM\0*\0\0\0\x08".to_vec(), "tiff"),
        ([&[0, 0, 0, 24][..], b"ftypheic", &[0; 12]].concat(), "heic"),
        (heic_compatible, "heic"),
        ([&[0, 0, 0, 24][..], b"ftypavif", &[0; 12]].concat(), "avif"),
        (b"RIFF\x10\0\0\0WEBPVP8 ".to_vec(), "webp"),
        (b"GIF89a\x01\0\x01\0".to_vec(), "gif"),
        (b"\0\0\0\x0cjP  \r\n\x87\n".to_vec(), "jpeg2000"),
        (b"\0\0\0\x0cJXL \r\n\x87\n".to_vec(), "jxl"),
        (b"8BPS\0\x01".to_vec(), "psd"),
    ];
    for (bytes, format) in cases {
        let e = inspect(&bytes).expect_err(format);
        assert_eq!(
            e,
            CaptureError::UnsupportedFormat {
                format: format.into()
            }
        );
        assert_eq!(e.code(), "unsupported_format");
        assert!(
            e.message_en()
                .starts_with(&format!("unsupported format ({format})")),
            "{}",
            e.message_en()
        );
        assert!(e
            .message_zh()
            .contains(&format!("不支持的图片格式（{format}）")));
    }
    // "BM" alone, a video, text: not images.
    for bytes in [
        b"BM is a text file".to_vec(),
        [&[0, 0, 0, 24][..], b"ftypmp42", &[0; 12]].concat(),
        b"hello".to_vec(),
    ] {
        assert_eq!(inspect(&bytes), Err(CaptureError::NotAnImage));
    }
}

/// No message shows a library's or Rust's debug text.
fn assert_clean(message: &str) {
    for tell in [
        "{",
        "}",
        "::",
        "Some(",
        "None",
        "ChunkType",
        "\\\"",
        "Error",
    ] {
        assert!(!message.contains(tell), "{message:?} shows {tell:?}");
    }
    assert!(!message.is_empty());
}

#[test]
fn messages_are_in_both_languages_and_show_no_debug_text() {
    let photo = photo_jpeg(64, 48);
    let png = photo_png(64, 48);
    let mut broken_png = png.clone();
    broken_png[12..16].copy_from_slice(b"IHDX"); // an unknown critical chunk first
    let mut bad_ihdr_crc = png.clone();
    bad_ihdr_crc[29] ^= 0xFF;
    let mut errors = vec![
        CaptureError::NotAnImage,
        CaptureError::TooLarge {
            width: 20000,
            height: 20000,
        },
    ];
    let inputs: Vec<Vec<u8>> = vec![
        photo[..photo.len() / 2].to_vec(),
        png[..png.len() / 2].to_vec(),
        broken_png,
        bad_ihdr_crc,
        with_frame(&photo, 0xC1, 12),
        with_frame(&photo, 0xC9, 8),
        bmp(),
        b"\xFF\xD8\xFF\xC0\x00\x02\xFF\xD9".to_vec(),
    ];
    for bytes in inputs {
        errors.push(inspect(&bytes).expect_err("refused"));
    }
    for e in &errors {
        assert_clean(&e.message_en());
        assert_clean(&e.to_string());
        assert!(e
            .message_zh()
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    }
    let warnings = [
        CaptureWarning::GpsOutOfRange {
            latitude: 95.0,
            longitude: 1.0,
        },
        CaptureWarning::GpsZeroed,
        CaptureWarning::GpsMissing,
        CaptureWarning::ExifUnreadable {
            detail: "Truncated IFD".into(),
        },
        CaptureWarning::BadOrientation { value: 9 },
        CaptureWarning::BadTimestamp {
            raw: "2020:13:01 \"x\"\0\u{1}".into(),
        },
        CaptureWarning::BadTimeOffset {
            raw: "+25:00".into(),
        },
        CaptureWarning::ModificationTimeOnly {
            raw: "2026:05:06 07:08:09".into(),
        },
        CaptureWarning::FarFromDeviceFix { distance_m: 1234.0 },
        CaptureWarning::PhotoOld { age_secs: 90_000 },
        CaptureWarning::TakenInFuture { ahead_secs: 3600 },
    ];
    for w in &warnings {
        assert_clean(&w.message_en());
        assert!(!w.message_en().contains('\0') && !w.message_zh().contains('\0'));
        assert!(w
            .message_zh()
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
        assert!(!w.code().is_empty());
    }
}
