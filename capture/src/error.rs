//! Capture errors (the photo cannot be used) and warnings (it can, but something
//! is off), each with a stable code and messages in Chinese and English.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum CaptureError {
    #[error("unsupported image format: {format}")]
    UnsupportedFormat { format: String },
    #[error("not an image")]
    NotAnImage,
    #[error("damaged or incomplete image: {detail}")]
    Corrupt { detail: String },
    #[error("image too large: {width}x{height}")]
    TooLarge { width: u32, height: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum CaptureWarning {
    /// The GPS tags hold an impossible position (e.g. latitude 95); ignored.
    GpsOutOfRange {
        latitude: f64,
        longitude: f64,
    },
    /// No GPS position in the photo.
    GpsMissing,
    /// Part of the EXIF could not be read; what could be read is kept.
    ExifUnreadable {
        detail: String,
    },
    BadOrientation {
        value: u32,
    },
    BadTimestamp {
        raw: String,
    },
    /// The photo was taken far from where the phone is now.
    FarFromDeviceFix {
        distance_m: f64,
    },
    /// The photo is older than the configured window.
    PhotoOld {
        age_secs: i64,
    },
    /// The photo claims to be from the future (clock wrong somewhere).
    TakenInFuture {
        ahead_secs: i64,
    },
}

impl CaptureWarning {
    pub fn code(&self) -> &'static str {
        match self {
            CaptureWarning::GpsOutOfRange { .. } => "gps_out_of_range",
            CaptureWarning::GpsMissing => "gps_missing",
            CaptureWarning::ExifUnreadable { .. } => "exif_unreadable",
            CaptureWarning::BadOrientation { .. } => "bad_orientation",
            CaptureWarning::BadTimestamp { .. } => "bad_timestamp",
            CaptureWarning::FarFromDeviceFix { .. } => "far_from_device_fix",
            CaptureWarning::PhotoOld { .. } => "photo_old",
            CaptureWarning::TakenInFuture { .. } => "taken_in_future",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            CaptureWarning::GpsOutOfRange {
                latitude,
                longitude,
            } => {
                format!("照片中的位置信息无效（{latitude}, {longitude}），已忽略")
            }
            CaptureWarning::GpsMissing => "照片没有位置信息，请确认地点".into(),
            CaptureWarning::ExifUnreadable { .. } => "照片的拍摄信息部分无法读取".into(),
            CaptureWarning::BadOrientation { value } => {
                format!("照片方向标记无效（{value}），按原样显示")
            }
            CaptureWarning::BadTimestamp { raw } => format!("照片拍摄时间无法识别（{raw}）"),
            CaptureWarning::FarFromDeviceFix { distance_m } => {
                format!("照片拍摄地点距当前位置约 {:.0} 米，请确认", distance_m)
            }
            CaptureWarning::PhotoOld { age_secs } => {
                format!("照片拍摄于约 {} 小时前，请确认是现场照片", age_secs / 3600)
            }
            CaptureWarning::TakenInFuture { ahead_secs } => {
                format!(
                    "照片时间比当前时间晚约 {} 分钟，手机时间可能不准",
                    ahead_secs / 60
                )
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            CaptureWarning::GpsOutOfRange {
                latitude,
                longitude,
            } => {
                format!(
                    "the photo's position ({latitude}, {longitude}) is impossible and was ignored"
                )
            }
            CaptureWarning::GpsMissing => {
                "the photo has no position; please confirm the place".into()
            }
            CaptureWarning::ExifUnreadable { detail } => {
                format!("part of the photo's EXIF is unreadable: {detail}")
            }
            CaptureWarning::BadOrientation { value } => {
                format!("invalid orientation {value}, shown as stored")
            }
            CaptureWarning::BadTimestamp { raw } => format!("unreadable capture time {raw:?}"),
            CaptureWarning::FarFromDeviceFix { distance_m } => {
                format!("taken about {distance_m:.0} m from the phone's current position")
            }
            CaptureWarning::PhotoOld { age_secs } => {
                format!("taken about {} hours ago", age_secs / 3600)
            }
            CaptureWarning::TakenInFuture { ahead_secs } => {
                format!(
                    "dated about {} minutes in the future; a clock is wrong",
                    ahead_secs / 60
                )
            }
        }
    }
}
