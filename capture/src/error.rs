//! Capture errors (the photo cannot be used) and warnings (it can, but something
//! is off), each with a stable code and messages in Chinese and English.
//!
//! Messages are written here, never passed through from a library: a decoder's
//! text (often `Debug` output such as `ChunkType { type: IHDR, … }`) is no
//! sentence for a deputy. Text that comes from the file itself (an EXIF time or
//! offset) is shown with its control characters removed.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[error("{}", self.message_en())]
pub enum CaptureError {
    /// A format we recognise but do not take (`bmp`, `tiff`, `heic`, `webp`,
    /// `gif`, `avif`, …): the phone shells hand the core JPEG or PNG.
    UnsupportedFormat {
        format: String,
    },
    /// A JPEG using a coding feature the decoder does not have (12-bit samples,
    /// arithmetic coding, hierarchical mode): refused rather than misdecoded.
    UnsupportedJpeg {
        feature: JpegFeature,
    },
    NotAnImage,
    /// `detail` is one of this crate's own sentences, never a library's text.
    Corrupt {
        detail: String,
    },
    TooLarge {
        width: u32,
        height: u32,
    },
}

/// What in a JPEG cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JpegFeature {
    /// DCT samples of more than 8 bits (extended or progressive 12-bit).
    SamplePrecision {
        bits: u8,
    },
    ArithmeticCoding,
    Hierarchical,
    /// A number of colour components other than 1, 3 or 4 (1 or 3 when lossless).
    Components {
        count: u8,
    },
    /// Height given after the first scan (DNL marker).
    HeightAfterScan,
}

impl JpegFeature {
    fn en(&self) -> String {
        match self {
            JpegFeature::SamplePrecision { bits } => format!("{bits}-bit samples"),
            JpegFeature::ArithmeticCoding => "arithmetic coding".into(),
            JpegFeature::Hierarchical => "hierarchical mode".into(),
            JpegFeature::Components { count } => format!("{count} colour components"),
            JpegFeature::HeightAfterScan => "height defined after the first scan".into(),
        }
    }

    fn zh(&self) -> String {
        match self {
            JpegFeature::SamplePrecision { bits } => format!("{bits} 位采样"),
            JpegFeature::ArithmeticCoding => "算术编码".into(),
            JpegFeature::Hierarchical => "分层模式".into(),
            JpegFeature::Components { count } => format!("{count} 个颜色分量"),
            JpegFeature::HeightAfterScan => "图像高度在扫描之后才给出".into(),
        }
    }
}

impl CaptureError {
    /// Stable code for the apps.
    pub fn code(&self) -> &'static str {
        match self {
            CaptureError::UnsupportedFormat { .. } => "unsupported_format",
            CaptureError::UnsupportedJpeg { .. } => "unsupported_jpeg",
            CaptureError::NotAnImage => "not_an_image",
            CaptureError::Corrupt { .. } => "corrupt",
            CaptureError::TooLarge { .. } => "too_large",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            CaptureError::UnsupportedFormat { format } => {
                format!(
                    "不支持的图片格式（{}），请使用 JPEG 或 PNG",
                    printable(format)
                )
            }
            CaptureError::UnsupportedJpeg { feature } => {
                format!(
                    "不支持的 JPEG 编码（{}），请转换为普通 JPEG 或 PNG",
                    feature.zh()
                )
            }
            CaptureError::NotAnImage => "这个文件不是图片".into(),
            CaptureError::Corrupt { .. } => "图片已损坏或不完整，请重新拍摄".into(),
            CaptureError::TooLarge { width, height } => format!("图片过大（{width}×{height}）"),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            CaptureError::UnsupportedFormat { format } => {
                format!(
                    "unsupported format ({}): use JPEG or PNG",
                    printable(format)
                )
            }
            CaptureError::UnsupportedJpeg { feature } => {
                format!(
                    "unsupported JPEG encoding ({}): convert it to an ordinary JPEG or PNG",
                    feature.en()
                )
            }
            CaptureError::NotAnImage => "not an image".into(),
            CaptureError::Corrupt { detail } => {
                format!("damaged or incomplete image: {}", printable(detail))
            }
            CaptureError::TooLarge { width, height } => {
                format!("image too large: {width}×{height}")
            }
        }
    }
}

/// Text from a file, fit to show: control characters (NUL included) dropped,
/// at most 64 characters.
pub(crate) fn printable(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
    if s.chars().filter(|c| !c.is_control()).nth(64).is_some() {
        out.push('…');
    }
    out
}

/// Shown with quotes that are not Rust's `Debug` escaping.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "“{}”", printable(self.0))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum CaptureWarning {
    /// The GPS tags hold an impossible position (e.g. latitude 95); ignored.
    GpsOutOfRange {
        latitude: f64,
        longitude: f64,
    },
    /// The GPS tags say 0° N, 0° E: what Android's photo picker and some apps
    /// write when they strip or never had a fix. Ignored: the place stays unset.
    GpsZeroed,
    /// No GPS position in the photo.
    GpsMissing,
    /// The EXIF could not be read, or a whole group of its fields was lost
    /// (an IFD cut short); what could be read is kept. `detail` is the
    /// reader's text, for developers; the messages do not show it.
    ExifUnreadable {
        detail: String,
    },
    BadOrientation {
        value: u32,
    },
    /// A capture time that is no date (`raw` as the file has it).
    BadTimestamp {
        raw: String,
    },
    /// A time-zone offset that is no offset (beyond ±14:00, or malformed);
    /// the time is kept as local time without an instant.
    BadTimeOffset {
        raw: String,
    },
    /// The only time in the file is IFD0 DateTime, when the file was last
    /// changed: not taken as the capture time.
    ModificationTimeOnly {
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
            CaptureWarning::GpsZeroed => "gps_zeroed",
            CaptureWarning::GpsMissing => "gps_missing",
            CaptureWarning::ExifUnreadable { .. } => "exif_unreadable",
            CaptureWarning::BadOrientation { .. } => "bad_orientation",
            CaptureWarning::BadTimestamp { .. } => "bad_timestamp",
            CaptureWarning::BadTimeOffset { .. } => "bad_time_offset",
            CaptureWarning::ModificationTimeOnly { .. } => "modification_time_only",
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
            CaptureWarning::GpsZeroed => {
                "照片中的位置为 0°N 0°E（相册或应用清除了定位），已忽略，请确认地点".into()
            }
            CaptureWarning::GpsMissing => "照片没有位置信息，请确认地点".into(),
            CaptureWarning::ExifUnreadable { .. } => "照片的拍摄信息部分无法读取".into(),
            CaptureWarning::BadOrientation { value } => {
                format!("照片方向标记无效（{value}），按原样显示")
            }
            CaptureWarning::BadTimestamp { raw } => {
                format!("照片拍摄时间无法识别（{}）", printable(raw))
            }
            CaptureWarning::BadTimeOffset { raw } => {
                format!("照片的时区标记无效（{}），已忽略", printable(raw))
            }
            CaptureWarning::ModificationTimeOnly { raw } => format!(
                "照片没有拍摄时间，只有文件修改时间（{}），无法确认拍摄时间",
                printable(raw)
            ),
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
            CaptureWarning::GpsZeroed => {
                "the photo's position is 0° N, 0° E (cleared by the gallery or an app) and was ignored; please confirm the place".into()
            }
            CaptureWarning::GpsMissing => {
                "the photo has no position; please confirm the place".into()
            }
            CaptureWarning::ExifUnreadable { .. } => {
                "part of the photo's EXIF (camera data) could not be read".into()
            }
            CaptureWarning::BadOrientation { value } => {
                format!("invalid orientation {value}, shown as stored")
            }
            CaptureWarning::BadTimestamp { raw } => {
                format!("unreadable capture time {}", Quoted(raw))
            }
            CaptureWarning::BadTimeOffset { raw } => {
                format!("impossible time-zone offset {} was ignored", Quoted(raw))
            }
            CaptureWarning::ModificationTimeOnly { raw } => format!(
                "the photo has no capture time, only the time the file was changed ({}); \
                 when it was taken is unknown",
                printable(raw)
            ),
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
