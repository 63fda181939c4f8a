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
    /// "YYYY:MM:DD HH:MM:SS"
    pub date_time_digitized: Option<String>,
    pub offset_time_digitized: Option<String>,
    /// IFD0 DateTime: when the file was last changed.
    pub date_time: Option<String>,
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
            date_time_digitized: None,
            offset_time_digitized: None,
            date_time: None,
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
    if let Some(d) = &spec.date_time_digitized {
        fields.push(f(Tag::DateTimeDigitized, ascii(d)));
    }
    if let Some(o) = &spec.offset_time_digitized {
        fields.push(f(Tag::OffsetTimeDigitized, ascii(o)));
    }
    if let Some(d) = &spec.date_time {
        fields.push(f(Tag::DateTime, ascii(d)));
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

/// A JPEG as capture's upload renditions are: no metadata at all (JFIF only).
pub fn rendition_jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 85)
        .encode(
            &pixels(w, h),
            w as u16,
            h as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encode");
    jpeg
}

/// A metadata-free JPEG of at least `min_len` bytes that does not compress
/// (pixels of noise from `seed`, quality 100): a large, valid upload.
pub fn noisy_jpeg(min_len: usize, seed: u64) -> Vec<u8> {
    let mut side: u32 = 64;
    loop {
        let mut x = seed | 1;
        let mut px = Vec::with_capacity((side * side * 3) as usize);
        while px.len() < (side * side * 3) as usize {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            px.extend_from_slice(&x.to_le_bytes()[..3]);
        }
        px.truncate((side * side * 3) as usize);
        let mut jpeg = Vec::new();
        jpeg_encoder::Encoder::new(&mut jpeg, 100)
            .encode(&px, side as u16, side as u16, jpeg_encoder::ColorType::Rgb)
            .expect("encode");
        if jpeg.len() >= min_len || side >= 8192 {
            return jpeg;
        }
        // Noise costs about the same per pixel at every size.
        let grow = (min_len as f64 / jpeg.len() as f64).sqrt() * 1.05;
        side = ((side as f64 * grow).ceil() as u32).clamp(side + 1, 8192);
    }
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

/// A motion photo as Samsung, Google and Xiaomi cameras write it: the JPEG
/// `still`, then an MP4 appended after its end-of-image marker. The video
/// bytes include `FF D8` and `FF D9` pairs, as real video does.
pub fn motion_photo(still: &[u8], video_len: usize) -> Vec<u8> {
    let mut out = still.to_vec();
    let mut video = Vec::with_capacity(video_len.max(32));
    video.extend_from_slice(&24u32.to_be_bytes());
    video.extend_from_slice(b"ftypmp42\0\0\0\0isommp42");
    let mdat_len = video_len.saturating_sub(video.len()).max(8);
    video.extend_from_slice(&(mdat_len as u32).to_be_bytes());
    video.extend_from_slice(b"mdat");
    let mut seed: u32 = 0x9E37_79B9;
    while video.len() < 24 + mdat_len {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        video.extend_from_slice(&seed.to_le_bytes());
        if video.len() % 997 < 4 {
            video.extend_from_slice(&[0xFF, 0xD9, 0xFF, 0xD8]);
        }
    }
    out.extend_from_slice(&video);
    out
}

/// Ink amounts (C, M, Y, K; 0 = none) of the four blocks of the field case
/// `cmyk-adobe.jpg`: red, white / black, cyan.
pub const CMYK_BLOCKS: [[u8; 4]; 4] = [
    [0, 255, 255, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 255],
    [255, 0, 0, 0],
];

/// A `size`×`size` Adobe JPEG of [`CMYK_BLOCKS`] (top left, top right,
/// bottom left, bottom right): stored as CMYK (APP14 transform 0) or YCCK
/// (transform 2).
pub fn cmyk_blocks(size: u16, ycck: bool) -> Vec<u8> {
    let s = usize::from(size);
    let mut px = Vec::with_capacity(s * s * 4);
    for y in 0..s {
        for x in 0..s {
            let block = usize::from(y >= s / 2) * 2 + usize::from(x >= s / 2);
            px.extend_from_slice(&CMYK_BLOCKS[block]);
        }
    }
    let mut out = Vec::new();
    let colour = if ycck {
        jpeg_encoder::ColorType::CmykAsYcck
    } else {
        jpeg_encoder::ColorType::Cmyk
    };
    jpeg_encoder::Encoder::new(&mut out, 95)
        .encode(&px, size, size, colour)
        .expect("encode");
    out
}

/// A lossless JPEG (SOF3, predictor 1, point transform 0) of `samples`, one
/// component (grey) or three (RGB, with an Adobe marker saying so),
/// `precision` bits each (2–16). An encoder of our own: the common tools
/// (Pillow, libjpeg-turbo before 3.0) do not write lossless JPEG.
pub fn lossless_jpeg(w: u16, h: u16, precision: u8, components: u8, samples: &[u16]) -> Vec<u8> {
    assert!((2..=16).contains(&precision) && (components == 1 || components == 3));
    let n = usize::from(components);
    assert_eq!(samples.len(), usize::from(w) * usize::from(h) * n);
    let mut out = vec![0xFF, 0xD8];
    let segment = |out: &mut Vec<u8>, marker: u8, body: &[u8]| {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
    };
    if components == 3 {
        segment(&mut out, 0xEE, b"Adobe\0\x64\0\0\0\0\0");
    }
    let mut sof = vec![precision];
    sof.extend_from_slice(&h.to_be_bytes());
    sof.extend_from_slice(&w.to_be_bytes());
    sof.push(components);
    for c in 0..components {
        sof.extend_from_slice(&[c + 1, 0x11, 0]);
    }
    segment(&mut out, 0xC3, &sof);
    // One table: the 17 difference categories, 5-bit codes 0..=16.
    let mut dht = vec![0x00];
    let mut bits = [0u8; 16];
    bits[4] = 17;
    dht.extend_from_slice(&bits);
    dht.extend(0..=16u8);
    segment(&mut out, 0xC4, &dht);
    let mut sos = vec![components];
    for c in 0..components {
        sos.extend_from_slice(&[c + 1, 0x00]);
    }
    sos.extend_from_slice(&[1, 0, 0]);
    segment(&mut out, 0xDA, &sos);

    let mut bw = BitWriter::default();
    let (w, h) = (usize::from(w), usize::from(h));
    for y in 0..h {
        for x in 0..w {
            for c in 0..n {
                let at = |x: usize, y: usize| i32::from(samples[(y * w + x) * n + c]);
                let pred = match (x, y) {
                    (0, 0) => 1 << (precision - 1),
                    (0, _) => at(0, y - 1),
                    _ => at(x - 1, y),
                };
                // Differences are taken modulo 2^16 (H.1.2.1).
                let mut diff = (at(x, y) - pred).rem_euclid(1 << 16);
                if diff > 32768 {
                    diff -= 1 << 16;
                }
                let ssss = 32 - diff.unsigned_abs().leading_zeros();
                bw.put(ssss, 5);
                if (1..16).contains(&ssss) {
                    let v = if diff > 0 {
                        diff
                    } else {
                        diff + (1 << ssss) - 1
                    };
                    bw.put(v as u32 & ((1 << ssss) - 1), ssss);
                }
            }
        }
    }
    out.extend(bw.finish());
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, v: u32, len: u32) {
        for i in (0..len).rev() {
            self.acc = (self.acc << 1) | ((v >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                self.byte();
            }
        }
    }

    fn byte(&mut self) {
        let b = self.acc as u8;
        self.out.push(b);
        if b == 0xFF {
            self.out.push(0);
        }
        self.acc = 0;
        self.n = 0;
    }

    fn finish(mut self) -> Vec<u8> {
        while self.n != 0 {
            self.put(1, 1);
        }
        self.out
    }
}

/// `jpeg` with its frame header (SOF0) changed to another coding process and
/// precision, for refusals that are decided from the header.
pub fn with_frame(jpeg: &[u8], sof: u8, precision: u8) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let at = out
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline JPEG");
    out[at + 1] = sof;
    out[at + 4] = precision;
    out
}
