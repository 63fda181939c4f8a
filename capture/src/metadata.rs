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
    /// The moment, in ms since the Unix epoch: with the recorded offset, or
    /// else reading the wall time in `zone` (the caller's assumption, e.g.
    /// China Standard Time for a product used in mainland China). `None` only
    /// when the local time cannot be read back.
    pub fn unix_ms_or_in(&self, zone: time::UtcOffset) -> Option<i64> {
        if self.unix_ms.is_some() {
            return self.unix_ms;
        }
        let fmt =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let dt = time::PrimitiveDateTime::parse(&self.local, fmt).ok()?;
        Some(dt.assume_offset(zone).unix_timestamp() * 1000)
    }

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
                if let Some(lost) = errors.iter().find(|e| loses_fields(e)) {
                    meta.warnings.push(CaptureWarning::ExifUnreadable {
                        detail: lost.to_string(),
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
        && !meta.warnings.iter().any(|w| {
            matches!(
                w,
                CaptureWarning::GpsOutOfRange { .. } | CaptureWarning::GpsZeroed
            )
        })
    {
        meta.warnings.push(CaptureWarning::GpsMissing);
    }
    meta
}

/// Whether a partial-read error lost fields. Not so for quirks the reader
/// reports although every entry was read: a sub-IFD (Exif, GPS, Interop)
/// whose next-IFD link is not zero, an IFD seen twice, more than 8 IFDs, a
/// cut next-IFD link (only the thumbnail's IFD follows). Errors that cost a
/// single field (a value beyond the segment, typically a maker note) are not
/// counted either: a lost GPS or time field shows as its own warning.
fn loses_fields(e: &exif::Error) -> bool {
    match e {
        exif::Error::InvalidFormat(msg) => matches!(
            *msg,
            "Truncated IFD" | "Truncated IFD count" | "Invalid pointer"
        ),
        exif::Error::Io(_) => true,
        _ => false,
    }
}

/// An EXIF ASCII field: the text up to its first NUL (EXIF text is
/// NUL-terminated; what follows is leftover memory, e.g. `MAVICA\0 3ghx7y`),
/// without control characters or surrounding blanks.
fn ascii(exif: &exif::Exif, tag: Tag) -> Option<String> {
    let field = exif.get_field(tag, In::PRIMARY)?;
    match &field.value {
        Value::Ascii(parts) => {
            // The reader splits the value at NULs: the first part is the text.
            let first = parts.first()?;
            let first = first.split(|&b| b == 0).next().unwrap_or_default();
            let s: String = String::from_utf8_lossy(first)
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            let s = s.trim();
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
    if lat == 0.0 && lon == 0.0 {
        // Null Island: no fix, or one an app cleared (Android's photo picker).
        warnings.push(CaptureWarning::GpsZeroed);
        return None;
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

/// The largest offset in use anywhere (Kiribati, UTC+14:00; the most negative
/// is −12:00): anything beyond is no time zone.
const MAX_OFFSET_MINUTES: i32 = 14 * 60;

/// "+08:00" (or "+0800") → offset, or `None`; only offsets within ±14:00.
fn parse_offset(s: &str) -> Option<UtcOffset> {
    let s = s.trim();
    let sign = match s.get(..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let rest = s.get(1..)?;
    let (h, m) = rest
        .split_once(':')
        .or_else(|| (rest.len() == 4).then(|| rest.split_at(2)))?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if m > 59 || h * 60 + m > MAX_OFFSET_MINUTES {
        return None;
    }
    UtcOffset::from_whole_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// The capture time: DateTimeOriginal, else DateTimeDigitized, each with its
/// own offset tag. IFD0 DateTime is when the file was last changed (an editor
/// or a gallery app rewrites it), not when the photo was taken: a file whose
/// only time is that has no capture time, and says so — whether a proof photo
/// is fresh depends on it.
fn taken_at(exif: &exif::Exif, warnings: &mut Vec<CaptureWarning>) -> Option<TakenAt> {
    let candidates = [
        (Tag::DateTimeOriginal, Tag::OffsetTimeOriginal),
        (Tag::DateTimeDigitized, Tag::OffsetTimeDigitized),
    ];
    let mut found = None;
    for (tag, offset_tag) in candidates {
        let Some(raw) = ascii(exif, tag) else {
            continue;
        };
        match parse_datetime(&raw) {
            Some(dt) => {
                found = Some((dt, ascii(exif, offset_tag)));
                break;
            }
            None if is_blank_time(&raw) => {}
            None => warnings.push(CaptureWarning::BadTimestamp { raw }),
        }
    }
    let Some((dt, offset_raw)) = found else {
        if let Some(raw) = ascii(exif, Tag::DateTime) {
            warnings.push(CaptureWarning::ModificationTimeOnly { raw });
        }
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
            warnings.push(CaptureWarning::BadTimeOffset { raw });
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

/// "Unknown" as EXIF writes it: blanks or zeros with the separators.
fn is_blank_time(raw: &str) -> bool {
    raw.chars().all(|c| matches!(c, ' ' | ':' | '0'))
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_time_without_offset_is_read_in_the_zone_given() {
        let t = TakenAt {
            local: "2020-10-04T19:09:00".into(),
            offset: None,
            unix_ms: None,
        };
        // 19:09 China time is 11:09 UTC.
        assert_eq!(
            t.unix_ms_or_in(time::macros::offset!(+8)),
            Some(1_601_809_740_000)
        );
        let with = TakenAt {
            unix_ms: Some(5),
            ..t.clone()
        };
        assert_eq!(with.unix_ms_or_in(time::macros::offset!(+8)), Some(5));
        let bad = TakenAt {
            local: "2020-13-40T99:00:00".into(),
            ..t
        };
        assert_eq!(bad.unix_ms_or_in(time::macros::offset!(+8)), None);
    }

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
        assert_eq!(
            parse_offset("+14:00").map(|o| o.whole_seconds()),
            Some(14 * 3600)
        );
        assert_eq!(
            parse_offset("+0530").map(|o| o.whole_seconds()),
            Some(5 * 3600 + 1800)
        );
        for bad in [
            "+25:00", "+14:01", "-14:30", "+08:60", "+8:00", "+08:0x", "+", "",
        ] {
            assert!(parse_offset(bad).is_none(), "{bad}");
        }
        assert!(parse_datetime("2020:10:04 08:48:12").is_some());
        assert!(parse_datetime("2020:13:04 08:48:12").is_none());
        assert!(parse_datetime("    :  :     :  :  ").is_none());
        assert!(parse_datetime("").is_none());
    }
}
