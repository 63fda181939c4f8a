//! Coordinate systems. Photos and phones give WGS-84, which is what we store;
//! Chinese maps want GCJ-02 (AMap, Tencent) or BD-09 (Baidu), so we convert for
//! display only. The GCJ-02 formula is the widely published one (Krasovsky
//! ellipsoid); outside mainland China coordinates are returned unchanged.

use std::f64::consts::PI;

const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Rough bounding box of mainland China used by the standard transform.
pub fn out_of_china(lat: f64, lon: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS-84 → GCJ-02 (latitude, longitude).
pub fn wgs84_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    if !lat.is_finite() || !lon.is_finite() || out_of_china(lat, lon) {
        return (lat, lon);
    }
    let d_lat = transform_lat(lon - 105.0, lat - 35.0);
    let d_lon = transform_lon(lon - 105.0, lat - 35.0);
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let d_lat = (d_lat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (d_lon * 180.0) / (A / sqrt_magic * rad.cos() * PI);
    (lat + d_lat, lon + d_lon)
}

/// GCJ-02 → BD-09 (latitude, longitude).
pub fn gcj02_to_bd09(lat: f64, lon: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// WGS-84 → BD-09 (latitude, longitude); unchanged outside China.
pub fn wgs84_to_bd09(lat: f64, lon: f64) -> (f64, f64) {
    if !lat.is_finite() || !lon.is_finite() || out_of_china(lat, lon) {
        return (lat, lon);
    }
    let (g_lat, g_lon) = wgs84_to_gcj02(lat, lon);
    gcj02_to_bd09(g_lat, g_lon)
}

/// Great-circle distance in metres.
pub fn haversine_m(a_lat: f64, a_lon: f64, b_lat: f64, b_lon: f64) -> f64 {
    let (p1, p2) = (a_lat.to_radians(), b_lat.to_radians());
    let dp = (b_lat - a_lat).to_radians();
    let dl = (b_lon - a_lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj02_offset_is_the_known_few_hundred_metres() {
        // Tiananmen, WGS-84. The GCJ-02 shift there is about +0.0014° lat, +0.0062° lon.
        let (lat, lon) = wgs84_to_gcj02(39.90734, 116.39118);
        assert!((lat - 39.90874).abs() < 2e-4, "{lat}");
        assert!((lon - 116.39743).abs() < 2e-4, "{lon}");
        let shift = haversine_m(39.90734, 116.39118, lat, lon);
        assert!((400.0..800.0).contains(&shift), "{shift}");
    }

    #[test]
    fn bd09_adds_the_baidu_offset() {
        let (g_lat, g_lon) = wgs84_to_gcj02(30.5106, 120.6806);
        let (b_lat, b_lon) = wgs84_to_bd09(30.5106, 120.6806);
        assert!((b_lat - g_lat - 0.006).abs() < 0.002);
        assert!((b_lon - g_lon - 0.0065).abs() < 0.002);
    }

    #[test]
    fn outside_china_is_unchanged() {
        assert_eq!(wgs84_to_gcj02(48.8584, 2.2945), (48.8584, 2.2945));
        assert_eq!(wgs84_to_bd09(-33.8568, 151.2153), (-33.8568, 151.2153));
        assert_eq!(wgs84_to_gcj02(f64::NAN, 1.0).1, 1.0);
    }

    #[test]
    fn haversine_one_degree_of_latitude() {
        let d = haversine_m(30.0, 120.0, 31.0, 120.0);
        assert!((d - 111_195.0).abs() < 100.0, "{d}");
    }
}
