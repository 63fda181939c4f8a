//! Format sniffing from magic bytes: JPEG and PNG are accepted; HEIC/HEIF/AVIF,
//! GIF, WebP and TIFF are named and refused; anything else is not an image.

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
    let unsupported = |f: &str| {
        Err(CaptureError::UnsupportedFormat {
            format: f.to_owned(),
        })
    };
    if b.len() >= 12 && &b[4..8] == b"ftyp" {
        let brand = &b[8..12];
        return match brand {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1"
            | b"heif" => unsupported("heic"),
            b"avif" | b"avis" => unsupported("avif"),
            _ => Err(CaptureError::NotAnImage),
        };
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return unsupported("gif");
    }
    if b.len() >= 12 && b.starts_with(b"RIFF") && &b[8..12] == b"WEBP" {
        return unsupported("webp");
    }
    if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        return unsupported("tiff");
    }
    Err(CaptureError::NotAnImage)
}
