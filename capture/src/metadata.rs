//! EXIF reading, lenient as real phones require: a damaged IFD still yields the
//! fields that could be read, with a warning; impossible values are dropped with
//! a warning instead of being believed.

use crate::error::CaptureWarning;
use exif::{In, Tag, Value};
use serde::{Deserialize, Serialize};
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

/// When the photo was taken, as the camera recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TakenAt {
    /// Local wall time, `YYYY-MM-DDTHH:MM:SS`.
    pub local: String,
    /// `+08:00`, when the file records an offset.
    pub offset: Option<String>,
    /// Only when the offset is known.
    pub unix_ms: Option<i64>,
}

impl TakenAt {
    /// RFC 3339 with the offset when known; without it otherwise.
    pub fn to_rfc3339(&self) -> String {
        match &self.offset {
            Some(o) => format!("{}{}", self.local, o),
            None => self.local.clone(),
        }
    }
}

/// A WGS-84 position from the photo's GPS tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpsFix {
    pub latitude: f64,
    pub longitude: f64,
    pub altitude_m: Option<f64>,
    /// GPSDateStamp + GPSTimeStamp (UTC).
    pub gps_time_unix_ms: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Metadata {
    pub orientation: Option<u16>,
    pub taken_at: Option<TakenAt>,
    pub gps: Option<GpsFix>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub warnings: Vec<CaptureWarning>,
}

pub fn read(bytes: &[u8]) -> Metadata {
    let mut meta = Metadata::default();
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    let exif = match reader
        .read_from_container(&mut std::io::Cursor::new(bytes))
        .or_else(|e| {
            e.distill_partial_result(|errors| {
                if let Some(first) = errors.first() {
                    meta.warnings.push(CaptureWarning::ExifUnreadable {
                        detail: first.to_string(),
                    });
                }
            })
        }) {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => {
            meta.warnings.push(CaptureWarning::GpsMissing);
            return meta;
        }
        Err(e) => {
            meta.warnings.push(CaptureWarning::ExifUnreadable {
                detail: e.to_string(),
            });
            meta.warnings.push(CaptureWarning::GpsMissing);
            return meta;
        }
    };

    if let Some(v) = uint(&exif, Tag::Orientation) {
        if (1..=8).contains(&v) {
            meta.orientation = Some(v as u16);
        } else {
            meta.warnings
                .push(CaptureWarning::BadOrientation { value: v });
        }
    }
    meta.make = ascii(&exif, Tag::Make);
    meta.model = ascii(&exif, Tag::Model);
    meta.taken_at = taken_at(&exif, &mut meta.warnings);
    meta.gps = gps(&exif, &mut meta.warnings);
    if meta.gps.is_none()
        && !meta
            .warnings
            .iter()
            .any(|w| matches!(w, CaptureWarning::GpsOutOfRange { .. }))
    {
        meta.warnings.push(CaptureWarning::GpsMissing);
    }
    meta
}

fn ascii(exif: &exif::Exif, tag: Tag) -> Option<String> {
    let field = exif.get_field(tag, In::PRIMARY)?;
    match &field.value {
        Value::Ascii(parts) => {
            let s: String = parts
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            (!s.is_empty()).then(|| s.to_owned())
        }
        _ => None,
    }
}

fn uint(exif: &exif::Exif, tag: Tag) -> Option<u32> {
    exif.get_field(tag, In::PRIMARY)?.value.get_uint(0)
}

fn rationals(exif: &exif::Exif, tag: Tag) -> Option<Vec<f64>> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(v) => Some(
            v.iter()
                .map(|r| if r.denom == 0 { f64::NAN } else { r.to_f64() })
                .collect(),
        ),
        Value::SRational(v) => Some(
            v.iter()
                .map(|r| if r.denom == 0 { f64::NAN } else { r.to_f64() })
                .collect(),
        ),
        _ => None,
    }
}

fn dms(exif: &exif::Exif, tag: Tag) -> Option<f64> {
    let v = rationals(exif, tag)?;
    let d = *v.first()?;
    let m = v.get(1).copied().unwrap_or(0.0);
    let s = v.get(2).copied().unwrap_or(0.0);
    Some(d + m / 60.0 + s / 3600.0)
}

fn gps(exif: &exif::Exif, warnings: &mut Vec<CaptureWarning>) -> Option<GpsFix> {
    let mut lat = dms(exif, Tag::GPSLatitude)?;
    let mut lon = dms(exif, Tag::GPSLongitude)?;
    if ascii(exif, Tag::GPSLatitudeRef).is_some_and(|r| r.starts_with('S')) {
        lat = -lat;
    }
    if ascii(exif, Tag::GPSLongitudeRef).is_some_and(|r| r.starts_with('W')) {
        lon = -lon;
    }
    if !lat.is_finite() || !lon.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
        warnings.push(CaptureWarning::GpsOutOfRange {
            latitude: lat,
            longitude: lon,
        });
        return None;
    }
    let altitude_m = rationals(exif, Tag::GPSAltitude)
        .and_then(|v| v.first().copied())
        .filter(|a| a.is_finite())
        .map(|a| {
            if uint(exif, Tag::GPSAltitudeRef) == Some(1) {
                -a
            } else {
                a
            }
        });
    let gps_time_unix_ms = (|| {
        let date = ascii(exif, Tag::GPSDateStamp)?;
        let hms = rationals(exif, Tag::GPSTimeStamp)?;
        let (y, mo, d) = parse_date(&date)?;
        let secs = hms.first()? * 3600.0 + hms.get(1)? * 60.0 + hms.get(2)?;
        if !secs.is_finite() || !(0.0..86_401.0).contains(&secs) {
            return None;
        }
        let day = Date::from_calendar_date(y, Month::try_from(mo).ok()?, d).ok()?;
        let midnight = PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_utc();
        Some(midnight.unix_timestamp() * 1000 + (secs * 1000.0) as i64)
    })();
    Some(GpsFix {
        latitude: lat,
        longitude: lon,
        altitude_m,
        gps_time_unix_ms,
    })
}

fn parse_date(s: &str) -> Option<(i32, u8, u8)> {
    let mut it = s.trim().split([':', '-']);
    let y = it.next()?.trim().parse().ok()?;
    let m = it.next()?.trim().parse().ok()?;
    let d = it.next()?.trim().parse().ok()?;
    Some((y, m, d))
}

/// "YYYY:MM:DD HH:MM:SS" → parts, or `None`.
fn parse_datetime(s: &str) -> Option<PrimitiveDateTime> {
    let s = s.trim();
    let (date, clock) = s.split_once([' ', 'T'])?;
    let (y, mo, d) = parse_date(date)?;
    let mut hms = clock.split(':');
    let h: u8 = hms.next()?.trim().parse().ok()?;
    let mi: u8 = hms.next()?.trim().parse().ok()?;
    let se: u8 = hms.next()?.trim().get(..2)?.parse().ok()?;
    let day = Date::from_calendar_date(y, Month::try_from(mo).ok()?, d).ok()?;
    Some(PrimitiveDateTime::new(day, Time::from_hms(h, mi, se).ok()?))
}

/// "+08:00" → offset, or `None`.
fn parse_offset(s: &str) -> Option<UtcOffset> {
    let s = s.trim();
    let sign = match s.get(..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let (h, m) = s.get(1..)?.split_once(':')?;
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

fn taken_at(exif: &exif::Exif, warnings: &mut Vec<CaptureWarning>) -> Option<TakenAt> {
    let (raw, offset_raw) = match ascii(exif, Tag::DateTimeOriginal) {
        Some(r) => (r, ascii(exif, Tag::OffsetTimeOriginal)),
        None => (ascii(exif, Tag::DateTime)?, ascii(exif, Tag::OffsetTime)),
    };
    let Some(dt) = parse_datetime(&raw) else {
        warnings.push(CaptureWarning::BadTimestamp { raw });
        return None;
    };
    let local = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    let offset = offset_raw.as_deref().and_then(parse_offset);
    if offset.is_none() {
        if let Some(raw) = offset_raw {
            warnings.push(CaptureWarning::BadTimestamp { raw });
        }
    }
    Some(TakenAt {
        local,
        offset: offset.map(|o| {
            let (h, m, _) = o.as_hms();
            let sign = if h < 0 || m < 0 { '-' } else { '+' };
            format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
        }),
        unix_ms: offset.map(|o| dt.assume_offset(o).unix_timestamp() * 1000),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_datetimes_parse_strictly() {
        assert_eq!(
            parse_offset("+08:00").map(|o| o.whole_seconds()),
            Some(8 * 3600)
        );
        assert_eq!(
            parse_offset("-03:30").map(|o| o.whole_seconds()),
            Some(-(3 * 3600 + 1800))
        );
        assert!(parse_offset("08:00").is_none());
        assert!(parse_datetime("2020:10:04 08:48:12").is_some());
        assert!(parse_datetime("2020:13:04 08:48:12").is_none());
        assert!(parse_datetime("    :  :     :  :  ").is_none());
        assert!(parse_datetime("").is_none());
    }
}
