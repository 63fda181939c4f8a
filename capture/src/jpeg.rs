//! A JPEG's structure, read by walking its markers the way a decoder does:
//! where the image ends (its first EOI at the top level — anything after it,
//! such as the video of a motion photo or a maker's trailer, is not part of the
//! photo), the frame header (coding process, sample precision, size,
//! components) and the colour hints (JFIF, Adobe APP14 transform).
//!
//! [`layout`] is the one place that decides whether a JPEG's structure is
//! whole and whether its coding is one we decode; inspect and ingest both go
//! through it.

use crate::error::{CaptureError, JpegFeature};

/// The frame header (SOFn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// 0xC0…0xCF, the SOF marker's second byte.
    pub sof: u8,
    pub precision: u8,
    pub width: u16,
    pub height: u16,
    pub component_ids: Vec<u8>,
}

impl Frame {
    pub fn lossless(&self) -> bool {
        self.sof == 0xC3
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Offset just past the EOI marker: `bytes[..end]` is the still image.
    pub end: usize,
    pub frame: Frame,
    pub jfif: bool,
    /// The Adobe APP14 transform flag: 0 = RGB or CMYK as stored, 1 = YCbCr,
    /// 2 = YCCK.
    pub adobe_transform: Option<u8>,
    /// Segments that carry metadata rather than the image, in file order
    /// (see [`metadata_segment`]): what a rendition never has.
    pub metadata: Vec<&'static str>,
}

/// What a segment is, when it carries metadata: EXIF or XMP (APP1; GPS,
/// times, camera serial numbers, maker notes), IPTC and other APPn segments,
/// a Multi-Picture (MPF) APP2 (more images), comments. `None` for what only
/// describes the pixels: JFIF/JFXX (APP0), an ICC profile (APP2), Adobe
/// (APP14), and everything that is not an APPn or COM.
pub fn metadata_segment(marker: u8, seg: &[u8]) -> Option<&'static str> {
    match marker {
        0xE0 | 0xEE => None,
        0xE1 if seg.starts_with(b"Exif\0") => Some("EXIF (APP1)"),
        0xE1 => Some("XMP or other APP1"),
        0xE2 if seg.starts_with(b"ICC_PROFILE\0") => None,
        0xE2 => Some("APP2 (MPF: more images)"),
        0xED => Some("IPTC / Photoshop (APP13)"),
        0xE3..=0xEF => Some("an application segment (APPn)"),
        0xFE => Some("a comment (COM)"),
        _ => None,
    }
}

/// How a decoded JPEG's components are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Grey,
    Rgb,
    YCbCr,
    /// Four components, converted to CMYK by the decoder (Adobe transform 2).
    Ycck,
    Cmyk,
}

impl Layout {
    /// The colour space, by the rules libjpeg applies (jdapimin.c,
    /// `default_decompress_parms`), so that we read a file as libjpeg (and so
    /// Pillow, ImageMagick, browsers) do.
    pub fn colour(&self) -> Colour {
        let ids = &self.frame.component_ids;
        match ids.len() {
            1 => Colour::Grey,
            3 => {
                if self.jfif {
                    Colour::YCbCr
                } else if let Some(t) = self.adobe_transform {
                    if t == 0 {
                        Colour::Rgb
                    } else {
                        Colour::YCbCr
                    }
                } else if ids[..] == [b'R', b'G', b'B'] {
                    Colour::Rgb
                } else {
                    Colour::YCbCr
                }
            }
            _ => match self.adobe_transform {
                Some(0) | None => Colour::Cmyk,
                Some(_) => Colour::Ycck,
            },
        }
    }

    /// Refuse, with a typed error, what the decoder cannot decode right.
    pub fn check_supported(&self) -> Result<(), CaptureError> {
        let f = &self.frame;
        let refuse = |feature| Err(CaptureError::UnsupportedJpeg { feature });
        match f.sof {
            0xC5..=0xC7 | 0xCD..=0xCF => return refuse(JpegFeature::Hierarchical),
            0xC9..=0xCB => return refuse(JpegFeature::ArithmeticCoding),
            _ => {}
        }
        let count = f.component_ids.len() as u8;
        if f.lossless() {
            if !(2..=16).contains(&f.precision) {
                return refuse(JpegFeature::SamplePrecision { bits: f.precision });
            }
            if count != 1 && count != 3 {
                return refuse(JpegFeature::Components { count });
            }
        } else {
            if f.precision != 8 {
                return refuse(JpegFeature::SamplePrecision { bits: f.precision });
            }
            if count != 1 && count != 3 && count != 4 {
                return refuse(JpegFeature::Components { count });
            }
        }
        if f.height == 0 {
            return refuse(JpegFeature::HeightAfterScan);
        }
        if f.width == 0 {
            return Err(corrupt("the image has no width"));
        }
        Ok(())
    }
}

fn corrupt(detail: &str) -> CaptureError {
    CaptureError::Corrupt {
        detail: detail.to_owned(),
    }
}

const TRUNCATED: &str = "the file ends before the image does (truncated)";

/// Walk the markers from SOI to the image's EOI.
pub fn layout(b: &[u8]) -> Result<Layout, CaptureError> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return Err(CaptureError::NotAnImage);
    }
    let mut pos = 2;
    let mut frame: Option<Frame> = None;
    let mut jfif = false;
    let mut adobe_transform = None;
    let mut scans = 0usize;
    let mut metadata = Vec::new();
    loop {
        // Like libjpeg's next_marker: skip stray bytes, then fill bytes.
        let ff = b
            .get(pos..)
            .and_then(|rest| rest.iter().position(|&x| x == 0xFF))
            .ok_or_else(|| corrupt(TRUNCATED))?;
        pos += ff;
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *b.get(pos).ok_or_else(|| corrupt(TRUNCATED))?;
        pos += 1;
        match marker {
            0xD9 => {
                let frame = frame.ok_or_else(|| corrupt("the image has no frame header"))?;
                if scans == 0 {
                    return Err(corrupt("the image has no image data"));
                }
                return Ok(Layout {
                    end: pos,
                    frame,
                    jfif,
                    adobe_transform,
                    metadata,
                });
            }
            // Standalone markers: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 => return Err(corrupt("a second start-of-image inside the image")),
            // A stuffed zero outside image data: stray bytes, skipped as
            // libjpeg does.
            0x00 => continue,
            _ => {}
        }
        let len = match (b.get(pos), b.get(pos + 1)) {
            (Some(&hi), Some(&lo)) => usize::from(u16::from_be_bytes([hi, lo])),
            _ => return Err(corrupt(TRUNCATED)),
        };
        if len < 2 {
            return Err(corrupt("a segment with an impossible length"));
        }
        let seg = b
            .get(pos + 2..pos + len)
            .ok_or_else(|| corrupt(TRUNCATED))?;
        pos += len;
        if let Some(what) = metadata_segment(marker, seg) {
            metadata.push(what);
        }
        match marker {
            // The first frame header is the image's (a hierarchical file has more).
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF if frame.is_none() => {
                frame = Some(parse_frame(marker, seg)?);
            }
            0xE0 if seg.starts_with(b"JFIF\0") => jfif = true,
            0xEE if seg.len() >= 12 && seg.starts_with(b"Adobe") => {
                adobe_transform = Some(seg[11]);
            }
            0xDA => {
                if frame.is_none() {
                    return Err(corrupt("image data before the frame header"));
                }
                scans += 1;
                pos = skip_entropy_coded(b, pos)?;
            }
            _ => {}
        }
    }
}

fn parse_frame(sof: u8, seg: &[u8]) -> Result<Frame, CaptureError> {
    if seg.len() < 6 {
        return Err(corrupt("a frame header that is too short"));
    }
    let n = usize::from(seg[5]);
    let ids = seg
        .get(6..6 + 3 * n)
        .ok_or_else(|| corrupt("a frame header that is too short"))?
        .chunks_exact(3)
        .map(|c| c[0])
        .collect();
    Ok(Frame {
        sof,
        precision: seg[0],
        height: u16::from_be_bytes([seg[1], seg[2]]),
        width: u16::from_be_bytes([seg[3], seg[4]]),
        component_ids: ids,
    })
}

/// From just after an SOS header to the next marker that is not a restart
/// marker (stuffed `FF 00` and fill bytes are data).
fn skip_entropy_coded(b: &[u8], mut pos: usize) -> Result<usize, CaptureError> {
    loop {
        let ff = b
            .get(pos..)
            .and_then(|rest| rest.iter().position(|&x| x == 0xFF))
            .ok_or_else(|| corrupt(TRUNCATED))?;
        pos += ff;
        match b.get(pos + 1) {
            None => return Err(corrupt(TRUNCATED)),
            Some(0x00 | 0xD0..=0xD7) => pos += 2,
            Some(0xFF) => pos += 1,
            Some(_) => return Ok(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Vec<u8> {
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 80)
            .encode(&[200; 16 * 8 * 3], 16, 8, jpeg_encoder::ColorType::Rgb)
            .expect("encode");
        out
    }

    #[test]
    fn the_end_is_the_first_top_level_eoi() {
        let jpeg = tiny();
        let l = layout(&jpeg).expect("layout");
        assert_eq!(l.end, jpeg.len());
        assert_eq!(
            (l.frame.width, l.frame.height, l.frame.precision),
            (16, 8, 8)
        );
        // A trailer, even one holding FF D9 and another JPEG, is not the image.
        let mut with = jpeg.clone();
        with.extend_from_slice(b"\0\0\0\x18ftypmp42\xFF\xD9");
        with.extend_from_slice(&jpeg);
        assert_eq!(layout(&with).expect("layout").end, jpeg.len());
    }

    #[test]
    fn every_cut_is_truncated_not_a_panic() {
        let jpeg = tiny();
        for cut in 2..jpeg.len() {
            assert!(
                matches!(layout(&jpeg[..cut]), Err(CaptureError::Corrupt { .. })),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn colour_follows_libjpeg() {
        let l = |ids: &[u8], jfif, adobe| Layout {
            end: 0,
            frame: Frame {
                sof: 0xC0,
                precision: 8,
                width: 1,
                height: 1,
                component_ids: ids.to_vec(),
            },
            jfif,
            adobe_transform: adobe,
            metadata: Vec::new(),
        };
        assert_eq!(l(&[1, 2, 3], true, None).colour(), Colour::YCbCr);
        assert_eq!(l(&[1, 2, 3], false, Some(0)).colour(), Colour::Rgb);
        assert_eq!(l(b"RGB", false, None).colour(), Colour::Rgb);
        assert_eq!(l(&[1, 2, 3, 4], false, None).colour(), Colour::Cmyk);
        assert_eq!(l(&[1, 2, 3, 4], false, Some(0)).colour(), Colour::Cmyk);
        assert_eq!(l(&[1, 2, 3, 4], false, Some(2)).colour(), Colour::Ycck);
        assert_eq!(l(&[1, 2, 3, 4], false, Some(1)).colour(), Colour::Ycck);
    }
}
