//! Plausibility: does the photo fit a report made here and now? Far from the
//! phone's position, old, or from the future → a warning the deputy sees.

use crate::error::CaptureWarning;
use crate::geo::haversine_m;
use crate::PhotoInfo;

#[derive(Debug, Clone, PartialEq)]
pub struct PlausibilityConfig {
    pub max_distance_m: f64,
    pub max_age_secs: i64,
}

impl Default for PlausibilityConfig {
    fn default() -> Self {
        PlausibilityConfig {
            max_distance_m: 300.0,
            max_age_secs: 24 * 3600,
        }
    }
}

/// The phone's own position when the photo was added (WGS-84).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceFix {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
    pub at_unix_ms: i64,
}

/// Tolerated clock skew before a photo counts as "from the future".
const FUTURE_SLACK_SECS: i64 = 600;

pub fn check(
    info: &PhotoInfo,
    fix: Option<&DeviceFix>,
    now_unix_ms: i64,
    cfg: &PlausibilityConfig,
) -> Vec<CaptureWarning> {
    let mut out = Vec::new();
    if let (Some(gps), Some(fix)) = (&info.gps, fix) {
        let d = haversine_m(gps.latitude, gps.longitude, fix.latitude, fix.longitude);
        // The fix's own uncertainty is allowed on top of the threshold.
        let allowed = cfg.max_distance_m + fix.accuracy_m.unwrap_or(0.0).max(0.0);
        if d > allowed {
            out.push(CaptureWarning::FarFromDeviceFix { distance_m: d });
        }
    }
    let taken = info
        .taken_at
        .as_ref()
        .and_then(|t| t.unix_ms)
        .or_else(|| info.gps.as_ref().and_then(|g| g.gps_time_unix_ms));
    if let Some(t) = taken {
        let age = (now_unix_ms - t) / 1000;
        if age > cfg.max_age_secs {
            out.push(CaptureWarning::PhotoOld { age_secs: age });
        } else if -age > FUTURE_SLACK_SECS {
            out.push(CaptureWarning::TakenInFuture { ahead_secs: -age });
        }
    }
    out
}
