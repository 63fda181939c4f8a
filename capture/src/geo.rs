//! Coordinate systems. Photos and phones give WGS-84, which is what we store;
//! Chinese maps want GCJ-02 (AMap, Tencent) or BD-09 (Baidu), so we convert for
//! display only. The GCJ-02 formula is the widely published one (Krasovsky
//! ellipsoid).
//!
//! # Where GCJ-02 applies
//!
//! GCJ-02 is required of maps published in mainland China (测绘法 and 地图审核
//! 管理规定, with GB 20263 for navigation maps); a point elsewhere is shown on
//! those maps at its WGS-84 position. The usual `outOfChina` test in the
//! open-source converters (eviltransform, coordtransform, gcoord: one box,
//! lon 72.004–137.8347, lat 0.8293–55.8271) also takes in Seoul, Pyongyang,
//! Hanoi, Ulaanbaatar, Taipei, Kathmandu and Vladivostok, so a photo there was
//! drawn ~450 m off. [`in_gcj02_region`] instead tests a polygon of 155
//! vertices traced along the land border and offshore of the coast (after the
//! approach of PRCoords' `insane_is_in_china`, a hand-made polygon tested with
//! pnpoly; these vertices are our own), plus a box round the Paracel (Xisha)
//! Islands. Its error near a land border is a few kilometres: twin border
//! towns (Dandong/Sinuiju, Heihe/Blagoveshchensk, Ruili/Muse, Hekou/Lào Cai)
//! cannot be told apart by it. It is a technical approximation of where
//! Chinese map services shift coordinates, not a statement about any border.
//!
//! Hong Kong and Macau: **shifted**. AMap states that GCJ-02 applies in Hong
//! Kong and Macau (lbs.amap.com FAQ "others/39840"), and its iOS SDK's
//! `AMapDataAvailableForCoordinate` (AMapFoundationKit, `AMapUtility.h`) is
//! documented as "判断目标经纬度是否在大陆以及港、澳地区" — the region where
//! its GCJ-02 data is: mainland China, Hong Kong and Macau.
//!
//! Taiwan (with Penghu): **not shifted** — outside that region. Kinmen and
//! Matsu, a few kilometres off the Fujian coast, fall inside the coastal
//! approximation and are shifted like the coast they face; the Spratly
//! (Nansha) Islands are outside the polygon.

use std::f64::consts::PI;

const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Mainland China with Hong Kong and Macau, clockwise from the mouth of the
/// Yalu, as (longitude, latitude).
const MAINLAND: &[(f64, f64)] = &[
    // Yalu (North Korea)
    (124.10, 39.80),
    (124.60, 40.35),
    (125.00, 40.55),
    (125.70, 40.90),
    (126.10, 41.10),
    (126.60, 41.60),
    (127.20, 41.50),
    (128.10, 41.40),
    (128.10, 41.95),
    (128.90, 42.05),
    (129.40, 42.45),
    (129.75, 42.45),
    (130.25, 42.70),
    (130.60, 42.42),
    // Russia: Primorye, Ussuri, Amur, Argun
    (130.85, 42.75),
    (131.30, 43.50),
    (131.30, 44.90),
    (132.00, 45.05),
    (133.10, 45.05),
    (133.80, 46.30),
    (134.20, 47.40),
    (134.75, 48.45),
    (134.00, 48.45),
    (132.50, 47.80),
    (131.00, 47.70),
    (130.60, 48.85),
    (129.50, 49.40),
    (127.55, 50.20),
    (126.90, 51.30),
    (125.80, 52.90),
    (123.50, 53.60),
    (121.00, 53.30),
    (120.40, 52.60),
    (120.00, 51.60),
    (119.10, 50.30),
    (117.80, 49.52),
    (116.70, 49.85),
    // Mongolia
    (115.55, 47.95),
    (117.40, 47.65),
    (118.55, 47.95),
    (119.80, 47.15),
    (119.90, 46.65),
    (117.40, 46.30),
    (116.00, 45.70),
    (114.50, 45.40),
    (113.60, 44.75),
    (112.00, 43.75),
    (110.00, 42.65),
    (107.50, 42.40),
    (105.00, 41.60),
    (101.80, 42.50),
    (96.40, 42.75),
    (95.40, 44.25),
    (93.50, 44.95),
    (90.90, 45.25),
    (90.70, 46.50),
    (90.00, 47.90),
    (88.50, 48.40),
    (87.80, 49.15),
    // Kazakhstan, Kyrgyzstan, Tajikistan, Afghanistan, Pakistan
    (86.60, 48.60),
    (85.60, 48.15),
    (85.50, 47.05),
    (83.00, 47.20),
    (82.30, 45.55),
    (79.90, 44.95),
    (80.45, 43.30),
    (80.20, 42.15),
    (78.40, 41.50),
    (77.20, 41.00),
    (76.00, 40.40),
    (74.90, 40.50),
    (73.90, 39.70),
    (73.65, 39.45),
    (74.80, 38.60),
    (74.90, 37.20),
    (75.40, 36.90),
    (76.00, 36.50),
    (76.80, 35.90),
    (77.80, 35.50),
    // India (line of actual control in the west), Nepal, Sikkim, Bhutan
    (78.00, 35.40),
    (78.30, 34.60),
    (78.70, 34.30),
    (78.50, 33.60),
    (79.50, 32.80),
    (78.70, 32.00),
    (78.75, 31.30),
    (79.20, 31.00),
    (80.20, 30.55),
    (81.00, 30.20),
    (81.50, 30.40),
    (82.20, 30.10),
    (83.20, 29.60),
    (84.10, 29.25),
    (85.20, 28.60),
    (86.00, 28.00),
    (86.90, 27.95),
    (88.10, 27.90),
    (88.60, 28.10),
    (88.85, 27.35),
    (89.20, 27.55),
    (89.60, 28.15),
    (90.50, 28.10),
    (91.30, 28.00),
    (91.65, 27.80),
    (92.10, 26.95),
    (93.00, 27.05),
    (94.00, 27.45),
    (95.00, 27.75),
    (95.80, 27.95),
    (96.20, 28.20),
    (97.30, 28.20),
    // Myanmar, Laos, Vietnam
    (98.30, 27.55),
    (98.70, 26.20),
    (98.70, 25.60),
    (97.60, 24.80),
    (97.60, 24.00),
    (98.60, 23.95),
    (99.20, 23.10),
    (99.50, 22.90),
    (99.20, 22.15),
    (100.20, 21.45),
    (101.15, 21.15),
    (101.75, 21.20),
    (101.60, 22.20),
    (102.13, 22.40),
    (102.50, 22.75),
    (103.30, 22.80),
    (103.95, 22.50),
    (104.40, 22.80),
    (105.35, 23.35),
    (106.20, 22.95),
    (106.70, 22.85),
    (106.75, 22.00),
    (107.40, 21.65),
    (108.00, 21.50),
    // Sea: Gulf of Tonkin round Hainan, then off the coast to the Yalu (Hong Kong and
    // Macau inside, Taiwan and Penghu outside)
    (108.00, 20.80),
    (107.90, 19.00),
    (108.40, 17.90),
    (109.60, 17.80),
    (110.60, 18.20),
    (111.20, 19.50),
    (111.00, 20.60),
    (112.00, 21.30),
    (113.30, 21.70),
    (114.40, 21.95),
    (115.50, 22.45),
    (116.80, 22.85),
    (117.60, 23.30),
    (118.60, 24.20),
    (120.10, 25.35),
    (120.60, 26.40),
    (121.30, 27.60),
    (122.30, 28.60),
    (123.20, 30.50),
    (123.00, 37.40),
];

/// The Paracel (Xisha) Islands.
const XISHA: &[(f64, f64)] = &[(111.0, 15.6), (113.0, 15.6), (113.0, 17.2), (111.0, 17.2)];

/// Even-odd ray casting (pnpoly, W. R. Franklin), treating degrees as a plane.
fn in_polygon(poly: &[(f64, f64)], lon: f64, lat: f64) -> bool {
    let mut inside = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let ((xi, yi), (xj, yj)) = (poly[i], poly[j]);
        if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Whether Chinese maps show this WGS-84 point shifted to GCJ-02: mainland
/// China, Hong Kong and Macau (see the module documentation).
pub fn in_gcj02_region(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && (in_polygon(MAINLAND, lon, lat) || in_polygon(XISHA, lon, lat))
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

/// WGS-84 → GCJ-02 (latitude, longitude); unchanged outside
/// [`in_gcj02_region`].
pub fn wgs84_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    if !in_gcj02_region(lat, lon) {
        return (lat, lon);
    }
    let (d_lat, d_lon) = gcj02_delta(lat, lon);
    (lat + d_lat, lon + d_lon)
}

/// GCJ-02 → WGS-84 (latitude, longitude), by fixed-point iteration on the
/// shift (to ~1e-10°). A point whose WGS-84 original would lie outside
/// [`in_gcj02_region`] was never shifted and is returned unchanged. (Within a
/// few hundred metres of the region's edge the forward map is not one-to-one,
/// so there the answer is one of the two.)
pub fn gcj02_to_wgs84(lat: f64, lon: f64) -> (f64, f64) {
    if !lat.is_finite() || !lon.is_finite() {
        return (lat, lon);
    }
    let (mut w_lat, mut w_lon) = (lat, lon);
    for _ in 0..30 {
        let (d_lat, d_lon) = gcj02_delta(w_lat, w_lon);
        let (e_lat, e_lon) = (w_lat + d_lat - lat, w_lon + d_lon - lon);
        w_lat -= e_lat;
        w_lon -= e_lon;
        if e_lat.abs() < 1e-10 && e_lon.abs() < 1e-10 {
            break;
        }
    }
    if in_gcj02_region(w_lat, w_lon) {
        (w_lat, w_lon)
    } else {
        (lat, lon)
    }
}

/// The GCJ-02 shift at a WGS-84 point, in degrees (latitude, longitude).
fn gcj02_delta(lat: f64, lon: f64) -> (f64, f64) {
    let d_lat = transform_lat(lon - 105.0, lat - 35.0);
    let d_lon = transform_lon(lon - 105.0, lat - 35.0);
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let d_lat = (d_lat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (d_lon * 180.0) / (A / sqrt_magic * rad.cos() * PI);
    (d_lat, d_lon)
}

/// GCJ-02 → BD-09 (latitude, longitude).
pub fn gcj02_to_bd09(lat: f64, lon: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// WGS-84 → BD-09 (latitude, longitude); unchanged outside China.
pub fn wgs84_to_bd09(lat: f64, lon: f64) -> (f64, f64) {
    if !in_gcj02_region(lat, lon) {
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

    /// (name, latitude, longitude), WGS-84.
    const SHIFTED: &[(&str, f64, f64)] = &[
        ("Beijing", 39.9042, 116.4074),
        ("Haining", 30.5106, 120.6806),
        ("Urumqi", 43.8256, 87.6168),
        ("Harbin", 45.8038, 126.5350),
        ("Sanya", 18.2528, 109.5119),
        ("Kashgar", 39.4677, 75.9938),
        ("Lhasa", 29.6500, 91.1000),
        ("Mohe", 52.9700, 122.5400),
        ("Hunchun", 42.8700, 130.3600),
        ("Jinghong", 22.0000, 100.8000),
        ("Xiamen", 24.4800, 118.0900),
        ("Pingtan", 25.5000, 119.7900),
        ("Dalian", 38.9100, 121.6000),
        ("Erenhot", 43.6500, 111.9800),
        ("Yongxing Island (Xisha)", 16.8300, 112.3400),
        // By the rule in the module documentation (AMap):
        ("Hong Kong", 22.3193, 114.1694),
        ("Macau", 22.1987, 113.5439),
        ("Shenzhen", 22.5431, 114.0579),
    ];

    const UNSHIFTED: &[(&str, f64, f64)] = &[
        ("Seoul", 37.5665, 126.9780),
        ("Hanoi", 21.0278, 105.8342),
        ("Tokyo", 35.6762, 139.6503),
        ("Ulaanbaatar", 47.8864, 106.9057),
        ("Pyongyang", 39.0300, 125.7500),
        ("Vladivostok", 43.1200, 131.8900),
        ("Khabarovsk", 48.4800, 135.0700),
        ("Almaty", 43.2400, 76.9500),
        ("Bishkek", 42.8700, 74.5900),
        ("Leh", 34.1600, 77.5800),
        ("Kathmandu", 27.7000, 85.3200),
        ("Thimphu", 27.4700, 89.6400),
        ("Dibrugarh", 27.4700, 94.9100),
        ("Myitkyina", 25.3800, 97.4000),
        ("Luang Prabang", 19.8900, 102.1300),
        ("Lang Son", 21.8500, 106.7600),
        ("Da Nang", 16.0500, 108.2000),
        ("Manila", 14.6000, 121.0000),
        ("Jeju", 33.5000, 126.5000),
        ("Zamyn-Üüd", 43.7200, 111.9000),
        // By the rule in the module documentation (AMap):
        ("Taipei", 25.0330, 121.5654),
        ("Kaohsiung", 22.6300, 120.3000),
        ("Magong (Penghu)", 23.5700, 119.5700),
    ];

    #[test]
    fn mainland_hong_kong_and_macau_are_shifted() {
        for &(name, lat, lon) in SHIFTED {
            let (g_lat, g_lon) = wgs84_to_gcj02(lat, lon);
            let shift = haversine_m(lat, lon, g_lat, g_lon);
            assert!((100.0..900.0).contains(&shift), "{name}: {shift} m");
        }
    }

    #[test]
    fn neighbours_and_taiwan_are_not_shifted() {
        for &(name, lat, lon) in UNSHIFTED {
            assert_eq!(wgs84_to_gcj02(lat, lon), (lat, lon), "{name}");
            assert_eq!(wgs84_to_bd09(lat, lon), (lat, lon), "{name}");
            assert_eq!(gcj02_to_wgs84(lat, lon), (lat, lon), "{name}");
        }
    }

    #[test]
    fn round_trip_is_within_a_centimetre() {
        for &(name, lat, lon) in SHIFTED {
            let (g_lat, g_lon) = wgs84_to_gcj02(lat, lon);
            let (w_lat, w_lon) = gcj02_to_wgs84(g_lat, g_lon);
            let err = haversine_m(lat, lon, w_lat, w_lon);
            assert!(err < 0.01, "{name}: {err} m");
        }
        // And on a grid over the region.
        let mut n = 0;
        for i in 0..40 {
            for j in 0..60 {
                let (lat, lon) = (18.0 + f64::from(i) * 0.9, 73.0 + f64::from(j) * 1.05);
                if !in_gcj02_region(lat, lon) {
                    continue;
                }
                n += 1;
                let (g_lat, g_lon) = wgs84_to_gcj02(lat, lon);
                let (w_lat, w_lon) = gcj02_to_wgs84(g_lat, g_lon);
                assert!(haversine_m(lat, lon, w_lat, w_lon) < 0.01, "{lat},{lon}");
            }
        }
        assert!(n > 700, "{n} grid points inside");
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
