//! `inspect_photo`: what the capture step reads from a photo file, as JSON-able
//! facts. Used by `minqing photo inspect` and by shells that preview a photo.

use crate::error::{Error, Lang, MinqingError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

/// The keys `minqing photo inspect --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct PhotoInspection {
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub orientation: Option<u16>,
    /// RFC 3339, with the offset when the file records one.
    pub taken_at: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude: Option<f64>,
    pub gcj02: Option<GeoPoint>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub warnings: Vec<String>,
}

pub fn inspect_bytes(bytes: &[u8]) -> Result<PhotoInspection, Error> {
    let info = minqing_capture::inspect(bytes)?;
    let gcj02 = info.gps.as_ref().map(|g| {
        let (latitude, longitude) = minqing_capture::geo::wgs84_to_gcj02(g.latitude, g.longitude);
        GeoPoint {
            latitude,
            longitude,
        }
    });
    Ok(PhotoInspection {
        sha256: info.sha256.clone(),
        width: info.width,
        height: info.height,
        orientation: info.orientation,
        taken_at: info.taken_at.as_ref().map(|t| t.to_rfc3339()),
        latitude: info.gps.as_ref().map(|g| g.latitude),
        longitude: info.gps.as_ref().map(|g| g.longitude),
        altitude: info.gps.as_ref().and_then(|g| g.altitude_m),
        gcj02,
        make: info.make.clone(),
        model: info.model.clone(),
        warnings: info.warnings.iter().map(|w| w.code().to_owned()).collect(),
    })
}

/// Inspect a photo file without changing anything; messages in `lang`.
pub fn inspect_file(path: &str, lang: Lang) -> Result<PhotoInspection, MinqingError> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Invalid {
            field: "path",
            reason: format!("{path}: {e}"),
        }
        .to_public(lang)
    })?;
    inspect_bytes(&bytes).map_err(|e| e.to_public(lang))
}

/// Inspect a photo file without changing anything (messages in Chinese).
#[uniffi::export]
pub fn inspect_photo(path: String) -> Result<PhotoInspection, MinqingError> {
    inspect_file(&path, Lang::ZhCn)
}
