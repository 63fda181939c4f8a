//! What a deputy's phone does with a photo at capture time, bytes in, bytes out:
//! read the EXIF (position, time, orientation, camera) leniently, hash the
//! original, make an upload rendition and a thumbnail with every tag stripped,
//! and warn when the photo looks implausible for the report it is attached to.
//!
//! - [`inspect`]: metadata, hash and warnings, having checked that the pixels
//!   decode — it accepts exactly what [`ingest`] accepts (both go through one
//!   function, `accept`).
//! - [`ingest`]: all of that plus the rendition and thumbnail.
//!
//! A JPEG's photo is its image up to its end-of-image marker: whatever follows
//! (the video of a Samsung/Google/Xiaomi "motion photo", a maker's trailer) is
//! not decoded, nor read for EXIF. The SHA-256 in [`PhotoInfo`] is of the file
//! as given, trailer included — it names the bytes the deputy picked, so
//! `sha256sum` of the file agrees; the server never sees that file: what is
//! uploaded, and checked there against its own SHA-256, is the rendition.
//! - [`geo`]: WGS-84 → GCJ-02 / BD-09 for display, distances.
//!
//! Never panics on input: every failure is a [`CaptureError`], every doubt a
//! [`CaptureWarning`].

mod detect;
mod error;
pub mod geo;
mod jpeg;
mod metadata;
mod pixels;
mod plausibility;
#[cfg(feature = "test-support")]
pub mod testsupport;

pub use detect::ImageFormat;
pub use error::{CaptureError, CaptureWarning, JpegFeature};
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
    /// Lowercase hex SHA-256 of the file as given (a motion photo's video
    /// included).
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
    /// Bytes after the image's end that are not part of the photo (a motion
    /// photo's video); 0 for most files.
    #[serde(default)]
    pub trailing_bytes: u64,
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

/// Long edge that [`inspect`] decodes at: the cheapest decode that proves the
/// pixels are there (1/8 scale for most photos).
const INSPECT_LONG_EDGE: u32 = 64;

/// Metadata, hash and warnings. The pixels are decoded (at the smallest scale)
/// and dropped, so that a file inspect accepts is one ingest accepts.
pub fn inspect(bytes: &[u8]) -> Result<PhotoInfo, CaptureError> {
    accept(bytes, INSPECT_LONG_EDGE).map(|(info, _)| info)
}

/// The one gate every photo goes through: format, structure (a JPEG up to its
/// end-of-image marker), coding we decode, size, metadata, and the pixels
/// decoded at the cheapest scale that serves a long edge of `long_edge`.
fn accept(bytes: &[u8], long_edge: u32) -> Result<(PhotoInfo, pixels::Rgb), CaptureError> {
    let format = detect::sniff(bytes)?;
    let layout = match format {
        ImageFormat::Jpeg => {
            let l = jpeg::layout(bytes)?;
            l.check_supported()?;
            Some(l)
        }
        ImageFormat::Png => None,
    };
    let (still, (width, height)) = match &layout {
        Some(l) => (
            &bytes[..l.end],
            (u32::from(l.frame.width), u32::from(l.frame.height)),
        ),
        None => (bytes, pixels::png_dimensions(bytes)?),
    };
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(CaptureError::TooLarge { width, height });
    }
    let rgb = match &layout {
        Some(l) => pixels::decode_jpeg(still, l, long_edge)?,
        None => pixels::decode_png(still)?,
    };
    let meta = metadata::read(still);
    let info = PhotoInfo {
        sha256: hex::encode(Sha256::digest(bytes)),
        format,
        width,
        height,
        orientation: meta.orientation,
        taken_at: meta.taken_at,
        gps: meta.gps,
        make: meta.make,
        model: meta.model,
        trailing_bytes: (bytes.len() - still.len()) as u64,
        warnings: meta.warnings,
    };
    Ok((info, rgb))
}

/// Why an uploaded file is not a rendition as capture makes them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenditionError {
    /// Not an image we decode whole (a few magic bytes and then HTML, a
    /// truncated file, a coding we do not read).
    #[error("not a photo we decode: {0}")]
    Undecodable(CaptureError),
    /// A decodable image, but not a JPEG.
    #[error("not a JPEG")]
    NotJpeg,
    /// It carries metadata (EXIF with GPS and camera serial, XMP, IPTC, a
    /// comment, a maker's segment) or bytes after its end (a motion photo's
    /// video): a rendition has none.
    #[error("it carries metadata: {0}")]
    Metadata(&'static str),
}

/// The check a server makes of an uploaded photo: a JPEG whose structure is
/// whole and whose pixels decode (at the cheapest scale, as [`inspect`]
/// does), no larger than [`MAX_PIXELS`], and with no metadata at all — the
/// upload renditions [`ingest`] makes are exactly that, so a file that is
/// anything else was not made by capture, and is refused rather than stripped
/// (stripping would change the bytes the phone hashed). Returns the size.
pub fn check_rendition(bytes: &[u8]) -> Result<(u32, u32), RenditionError> {
    let format = detect::sniff(bytes).map_err(RenditionError::Undecodable)?;
    if format != ImageFormat::Jpeg {
        return Err(RenditionError::NotJpeg);
    }
    let l = jpeg::layout(bytes).map_err(RenditionError::Undecodable)?;
    l.check_supported().map_err(RenditionError::Undecodable)?;
    let (width, height) = (u32::from(l.frame.width), u32::from(l.frame.height));
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(RenditionError::Undecodable(CaptureError::TooLarge {
            width,
            height,
        }));
    }
    if let Some(what) = l.metadata.first() {
        return Err(RenditionError::Metadata(what));
    }
    if l.end < bytes.len() {
        return Err(RenditionError::Metadata("bytes after the end of the image"));
    }
    pixels::decode_jpeg(bytes, &l, INSPECT_LONG_EDGE).map_err(RenditionError::Undecodable)?;
    Ok((width, height))
}

/// Everything capture does: [`inspect`]'s checks, then decode (scaled in the
/// DCT domain where possible), orient, and encode the rendition and the
/// thumbnail.
pub fn ingest(
    bytes: &[u8],
    opts: &IngestOptions,
    device_fix: Option<&DeviceFix>,
    now_unix_ms: i64,
) -> Result<IngestedPhoto, CaptureError> {
    let (mut info, rgb) = accept(bytes, opts.rendition_long_edge)?;
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
