//! Format sniffing from magic bytes: JPEG and PNG are accepted; formats a phone,
//! scanner or computer commonly produces instead (HEIC/HEIF, AVIF, WebP, GIF,
//! TIFF and the raw formats built on it, BMP, JPEG 2000, JPEG XL, PSD, ICO) are
//! named and refused as unsupported; anything else is not an image.

use crate::error::CaptureError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Jpeg,
    Png,
}

pub fn sniff(b: &[u8]) -> Result<ImageFormat, CaptureError> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(ImageFormat::Jpeg);
    }
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(ImageFormat::Png);
    }
    match unsupported(b) {
        Some(format) => Err(CaptureError::UnsupportedFormat {
            format: format.to_owned(),
        }),
        None => Err(CaptureError::NotAnImage),
    }
}

/// The name of a known image format we do not take.
fn unsupported(b: &[u8]) -> Option<&'static str> {
    if b.len() >= 12 && &b[4..8] == b"ftyp" {
        return iso_brand(b);
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some("gif");
    }
    if b.len() >= 12 && b.starts_with(b"RIFF") && &b[8..12] == b"WEBP" {
        return Some("webp");
    }
    if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") || b.starts_with(b"II+\0") {
        return Some("tiff");
    }
    if is_bmp(b) {
        return Some("bmp");
    }
    if b.starts_with(b"\0\0\0\x0cjP  \r\n\x87\n") || b.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]) {
        return Some("jpeg2000");
    }
    if b.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") || b.starts_with(&[0xFF, 0x0A]) {
        return Some("jxl");
    }
    if b.starts_with(b"8BPS") {
        return Some("psd");
    }
    if b.len() >= 6 && b.starts_with(&[0, 0, 1, 0]) && b[4..6] != [0, 0] {
        return Some("ico");
    }
    None
}

/// "BM", then a DIB header size that a real BMP has: "BM" alone starts too
/// many text files to name a format.
fn is_bmp(b: &[u8]) -> bool {
    if b.len() < 18 || !b.starts_with(b"BM") {
        return false;
    }
    let dib = u32::from_le_bytes([b[14], b[15], b[16], b[17]]);
    matches!(dib, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// An ISO base media file (`ftyp` box): HEIF/HEIC or AVIF by its major or any
/// compatible brand; a video or anything else is not an image.
fn iso_brand(b: &[u8]) -> Option<&'static str> {
    let size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let end = size.clamp(16, 256).min(b.len());
    let major = std::iter::once(&b[8..12]);
    let compatible = b.get(16..end).unwrap_or_default().chunks_exact(4);
    let brands: Vec<&[u8]> = major.chain(compatible).collect();
    let has = |names: &[&[u8]]| brands.iter().any(|br| names.contains(br));
    if has(&[b"avif", b"avis"]) {
        return Some("avif");
    }
    if has(&[
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"heif", b"MiHE",
        b"MiHA", b"MiHB",
    ]) {
        return Some("heic");
    }
    if has(&[b"crx "]) {
        return Some("cr3");
    }
    None
}
