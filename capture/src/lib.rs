//! What a deputy's phone does with a photo at capture time, bytes in, bytes out:
//! read the EXIF (position, time, orientation, camera) leniently, hash the
//! original, make an upload rendition and a thumbnail with every tag stripped,
//! and warn when the photo looks implausible for the report it is attached to.
//!
//! - [`inspect`]: metadata, hash and warnings without decoding pixels.
//! - [`ingest`]: all of that plus the rendition and thumbnail.
//! - [`geo`]: WGS-84 → GCJ-02 / BD-09 for display, distances.
//!
//! Never panics on input: every failure is a [`CaptureError`], every doubt a
//! [`CaptureWarning`].

mod detect;
mod error;
pub mod geo;
mod metadata;
mod pixels;
mod plausibility;
#[cfg(feature = "test-support")]
pub mod testsupport;

pub use detect::ImageFormat;
pub use error::{CaptureError, CaptureWarning};
pub use metadata::{GpsFix, TakenAt};
pub use plausibility::{DeviceFix, PlausibilityConfig};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Largest image accepted (pixels), against decompression bombs.
pub const MAX_PIXELS: u64 = 100_000_000;

/// How renditions are made.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOptions {
    /// Long edge of the upload rendition, at most (px).
    pub rendition_long_edge: u32,
    /// Long edge of the thumbnail, at most (px).
    pub thumbnail_long_edge: u32,
    pub jpeg_quality: u8,
    pub plausibility: PlausibilityConfig,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            rendition_long_edge: 2048,
            thumbnail_long_edge: 320,
            jpeg_quality: 85,
            plausibility: PlausibilityConfig::default(),
        }
    }
}

/// What the file says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoInfo {
    /// Lowercase hex SHA-256 of the original bytes.
    pub sha256: String,
    pub format: ImageFormat,
    /// As stored, before orientation is applied.
    pub width: u32,
    pub height: u32,
    /// EXIF orientation 1–8; other values are ignored with a warning.
    pub orientation: Option<u16>,
    pub taken_at: Option<TakenAt>,
    /// WGS-84.
    pub gps: Option<GpsFix>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub warnings: Vec<CaptureWarning>,
}

/// A JPEG with no metadata at all, orientation applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendition {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IngestedPhoto {
    pub info: PhotoInfo,
    pub rendition: Rendition,
    pub thumbnail: Rendition,
}

/// Metadata, hash and warnings, without decoding the pixels.
pub fn inspect(bytes: &[u8]) -> Result<PhotoInfo, CaptureError> {
    let format = detect::sniff(bytes)?;
    let (width, height) = pixels::dimensions(bytes, format)?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(CaptureError::TooLarge { width, height });
    }
    let meta = metadata::read(bytes);
    Ok(PhotoInfo {
        sha256: hex::encode(Sha256::digest(bytes)),
        format,
        width,
        height,
        orientation: meta.orientation,
        taken_at: meta.taken_at,
        gps: meta.gps,
        make: meta.make,
        model: meta.model,
        warnings: meta.warnings,
    })
}

/// Everything capture does: [`inspect`], then decode (scaled in the DCT domain
/// where possible), orient, and encode the rendition and the thumbnail.
pub fn ingest(
    bytes: &[u8],
    opts: &IngestOptions,
    device_fix: Option<&DeviceFix>,
    now_unix_ms: i64,
) -> Result<IngestedPhoto, CaptureError> {
    let mut info = inspect(bytes)?;
    let rgb = pixels::decode_for(
        bytes,
        info.format,
        info.width,
        info.height,
        opts.rendition_long_edge,
    )?;
    let rgb = pixels::orient(rgb, info.orientation.unwrap_or(1));
    let rendition_px = pixels::fit(rgb, opts.rendition_long_edge)?;
    let thumb_px = pixels::fit_ref(&rendition_px, opts.thumbnail_long_edge)?;
    let rendition = pixels::encode(&rendition_px, opts.jpeg_quality)?;
    let thumbnail = pixels::encode(&thumb_px, opts.jpeg_quality)?;
    info.warnings.extend(plausibility::check(
        &info,
        device_fix,
        now_unix_ms,
        &opts.plausibility,
    ));
    Ok(IngestedPhoto {
        info,
        rendition,
        thumbnail,
    })
}
