//! A place typed by hand when the phone's location is refused or unavailable:
//! an address and the coordinates copied from a Chinese map app (AMap, Tencent,
//! both GCJ-02). The report screen passes the two strings; the core reads the
//! numbers, tells latitude from longitude and converts to WGS-84, so the shell
//! parses nothing.

use crate::error::Lang;
use crate::reference::pick;
use minqing_capture::geo::gcj02_to_wgs84;

/// Latitude and longitude as read from `text` (GCJ-02 as a map app shows
/// them), or a message for the user.
///
/// Accepts two numbers separated by a comma (ASCII or full-width), a
/// semicolon or spaces, in either order: inside China a latitude (18–54°) and
/// a longitude (73–136°) cannot be confused, and AMap copies
/// "longitude,latitude". Elsewhere the order is latitude, longitude.
pub fn parse_map_coordinates(text: &str, lang: Lang) -> Result<(f64, f64), String> {
    let bad = || {
        pick(
            lang,
            "坐标格式应为“纬度,经度”，例如 30.5128,120.6852（可从高德或腾讯地图复制）",
            "Coordinates should be \"latitude,longitude\", e.g. 30.5128,120.6852 (copy them from a map app)",
        )
    };
    let numbers: Vec<f64> = text
        .split(|c: char| c == ',' || c == '，' || c == ';' || c == '；' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let [a, b] = numbers[..] else {
        return Err(bad());
    };
    if !a.is_finite() || !b.is_finite() {
        return Err(bad());
    }
    let china_lat = |v: f64| (18.0..=54.0).contains(&v);
    let china_lon = |v: f64| (73.0..=136.0).contains(&v);
    let (lat, lon) = if china_lat(a) && china_lon(b) {
        (a, b)
    } else if china_lon(a) && china_lat(b) {
        (b, a)
    } else if a.abs() <= 90.0 && b.abs() <= 180.0 {
        (a, b)
    } else {
        return Err(bad());
    };
    Ok(gcj02_to_wgs84(lat, lon))
}

#[cfg(test)]
mod tests {
    use super::*;
    use minqing_capture::geo::{haversine_m, wgs84_to_gcj02};

    #[test]
    fn either_order_inside_china_and_converted_to_wgs84() {
        // 水月亭路, Haining (WGS-84) as AMap shows it (GCJ-02).
        let (wlat, wlon) = (30.5106, 120.6806);
        let (glat, glon) = wgs84_to_gcj02(wlat, wlon);
        for text in [
            format!("{glat},{glon}"),
            format!("{glon},{glat}"),
            format!("{glat}， {glon}"),
            format!(" {glat} {glon} "),
        ] {
            let (lat, lon) = parse_map_coordinates(&text, Lang::ZhCn).expect(&text);
            assert!(haversine_m(lat, lon, wlat, wlon) < 0.01, "{text}");
        }
        // The shift is real: taken as WGS-84 it would be ~450 m off.
        assert!(haversine_m(glat, glon, wlat, wlon) > 300.0);
    }

    #[test]
    fn outside_china_is_latitude_first_and_unshifted() {
        assert_eq!(
            parse_map_coordinates("48.8584, 2.2945", Lang::En),
            Ok((48.8584, 2.2945))
        );
    }

    #[test]
    fn nonsense_is_a_message_in_the_users_language() {
        for text in ["", "30.5", "水月亭路", "30.5,120.6,7", "95,200", "NaN,120"] {
            let zh = parse_map_coordinates(text, Lang::ZhCn).unwrap_err();
            assert!(zh.contains("纬度"), "{text}: {zh}");
        }
        assert!(parse_map_coordinates("x", Lang::En)
            .unwrap_err()
            .contains("latitude"));
    }
}
