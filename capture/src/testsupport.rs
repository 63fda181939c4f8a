//! Photo fixtures made in code (feature `test-support`): photo-like pixels
//! (gradients plus texture, so they compress like a real photo) encoded as JPEG
//! with a real EXIF APP1 segment written by kamadak-exif's writer.

use exif::{experimental::Writer, Field, In, Rational, Tag, Value};

/// The EXIF to put in a fixture.
#[derive(Debug, Clone)]
pub struct ExifSpec {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude_m: Option<f64>,
    /// "YYYY:MM:DD HH:MM:SS"
    pub date_time_original: Option<String>,
    /// "+08:00"
    pub offset_time_original: Option<String>,
    /// ("YYYY:MM:DD", h, m, s) UTC
    pub gps_time: Option<(String, u32, u32, u32)>,
    pub orientation: Option<u16>,
    pub make: Option<String>,
    pub model: Option<String>,
}

impl Default for ExifSpec {
    /// 水月亭路, Haining, 4 October 2020 08:48:12 +08:00, a Huawei phone.
    fn default() -> Self {
        ExifSpec {
            latitude: Some(30.5106),
            longitude: Some(120.6806),
            altitude_m: Some(6.5),
            date_time_original: Some("2020:10:04 08:48:12".into()),
            offset_time_original: Some("+08:00".into()),
            gps_time: Some(("2020:10:04".into(), 0, 48, 10)),
            orientation: Some(1),
            make: Some("HUAWEI".into()),
            model: Some("ELS-AN00".into()),
        }
    }
}

fn dms(v: f64) -> Value {
    let v = v.abs();
    let d = v.trunc();
    let m = ((v - d) * 60.0).trunc();
    let s = ((v - d) * 60.0 - m) * 60.0;
    Value::Rational(vec![
        Rational::from((d as u32, 1)),
        Rational::from((m as u32, 1)),
        Rational::from(((s * 10_000.0).round() as u32, 10_000)),
    ])
}

fn ascii(s: &str) -> Value {
    Value::Ascii(vec![s.as_bytes().to_vec()])
}

/// The TIFF body of an EXIF segment for `spec`.
pub fn exif_tiff(spec: &ExifSpec) -> Vec<u8> {
    let mut fields = Vec::new();
    let f = |tag, value| Field {
        tag,
        ifd_num: In::PRIMARY,
        value,
    };
    if let Some(o) = spec.orientation {
        fields.push(f(Tag::Orientation, Value::Short(vec![o])));
    }
    if let Some(m) = &spec.make {
        fields.push(f(Tag::Make, ascii(m)));
    }
    if let Some(m) = &spec.model {
        fields.push(f(Tag::Model, ascii(m)));
    }
    if let Some(d) = &spec.date_time_original {
        fields.push(f(Tag::DateTimeOriginal, ascii(d)));
    }
    if let Some(o) = &spec.offset_time_original {
        fields.push(f(Tag::OffsetTimeOriginal, ascii(o)));
    }
    if let (Some(lat), Some(lon)) = (spec.latitude, spec.longitude) {
        fields.push(f(
            Tag::GPSLatitudeRef,
            ascii(if lat < 0.0 { "S" } else { "N" }),
        ));
        fields.push(f(Tag::GPSLatitude, dms(lat)));
        fields.push(f(
            Tag::GPSLongitudeRef,
            ascii(if lon < 0.0 { "W" } else { "E" }),
        ));
        fields.push(f(Tag::GPSLongitude, dms(lon)));
    }
    if let Some(a) = spec.altitude_m {
        fields.push(f(Tag::GPSAltitudeRef, Value::Byte(vec![u8::from(a < 0.0)])));
        fields.push(f(
            Tag::GPSAltitude,
            Value::Rational(vec![Rational::from(((a.abs() * 100.0) as u32, 100))]),
        ));
    }
    if let Some((date, h, m, s)) = &spec.gps_time {
        fields.push(f(Tag::GPSDateStamp, ascii(date)));
        fields.push(f(
            Tag::GPSTimeStamp,
            Value::Rational(vec![
                Rational::from((*h, 1)),
                Rational::from((*m, 1)),
                Rational::from((*s, 1)),
            ]),
        ));
    }
    let mut w = Writer::new();
    for field in &fields {
        w.push_field(field);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    w.write(&mut out, false).expect("exif writer");
    out.into_inner()
}

/// Photo-like RGB pixels: sky-to-road gradient, a few shapes, fine noise.
pub fn pixels(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    let mut seed: u32 = 0x1234_5678;
    for y in 0..h {
        for x in 0..w {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let n = (seed & 31) as i32 - 16;
            let fy = y as f32 / h as f32;
            let fx = x as f32 / w as f32;
            let wave = ((fx * 40.0).sin() * (fy * 30.0).cos() * 24.0) as i32;
            let (r, g, b) = if fy < 0.45 {
                (110 + (fy * 100.0) as i32, 150 + (fy * 80.0) as i32, 220)
            } else {
                let cover = ((fx - 0.5).powi(2) + (fy - 0.7).powi(2)) < 0.01;
                if cover {
                    (60, 60, 65)
                } else {
                    (120 + wave, 118 + wave, 112 + wave)
                }
            };
            let c = |v: i32| (v + n).clamp(0, 255) as u8;
            out.extend_from_slice(&[c(r), c(g), c(b)]);
        }
    }
    out
}

/// A JPEG (quality 90) with the EXIF of `spec`.
pub fn photo_with(w: u32, h: u32, spec: &ExifSpec) -> Vec<u8> {
    let mut jpeg = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 90);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(exif_tiff(spec));
    enc.add_app_segment(1, app1).expect("app1");
    enc.encode(
        &pixels(w, h),
        w as u16,
        h as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .expect("encode");
    jpeg
}

/// A JPEG with the default EXIF (Haining, 2020-10-04 08:48:12 +08:00).
pub fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
    photo_with(w, h, &ExifSpec::default())
}

/// A PNG without EXIF.
pub fn photo_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(&pixels(w, h)).expect("png data");
    }
    out
}
