//! The report's charts, drawn by hand as SVG (a few dozen rects, lines and
//! labels: no charting library needed for three plain charts), so the same
//! drawing goes into both documents: inline in the HTML that Chromium prints
//! to PDF (vector, text as text), and rasterised by resvg to PNG for the DOCX
//! (Word and WPS show PNG everywhere; SVG in DOCX needs a PNG beside it anyway).

use std::fmt::Write;
use std::sync::{Arc, OnceLock};

/// The font the charts name (Debian's fonts-noto-cjk); resvg and Chromium
/// fall back to any CJK font fontconfig finds.
pub const FONT: &str = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, sans-serif";

const RED: &str = "#b71c1c";
const BLUE: &str = "#1f5f99";
const GREY: &str = "#8c8c8c";
const GREEN: &str = "#2e7d32";

/// A drawn chart: its SVG text and size in CSS pixels.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub svg: String,
    pub width: u32,
    pub height: u32,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn open(w: u32, h: u32) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}" font-size="12"><rect width="{w}" height="{h}" fill="#ffffff"/>"##
    )
}

/// A "nice" upper bound for an axis.
fn nice(max: u64) -> u64 {
    let max = max.max(1);
    let mag = 10u64.pow((max as f64).log10().floor() as u32);
    for step in [1, 2, 5, 10] {
        if step * mag >= max {
            return step * mag;
        }
    }
    10 * mag
}

/// Horizontal bars, one row per label, one bar per series (at most two).
pub fn bars(title: &str, rows: &[(String, Vec<u64>)], series: &[&str]) -> Chart {
    let (w, left, right, row_h, top) = (640u32, 150.0, 60.0, 26.0, 34.0);
    let h = (top + row_h * rows.len().max(1) as f64 + 34.0) as u32;
    let max = nice(
        rows.iter()
            .flat_map(|r| r.1.iter().copied())
            .max()
            .unwrap_or(0),
    );
    let plot = f64::from(w) - left - right;
    let mut s = open(w, h);
    let colours = [RED, BLUE];
    // Legend.
    for (i, name) in series.iter().enumerate() {
        let x = left + i as f64 * 110.0;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="10" width="12" height="12" fill="{}"/><text x="{}" y="21">{}</text>"#,
            colours[i % 2],
            x + 16.0,
            esc(name)
        );
    }
    // Grid lines and the scale.
    for k in 0..=4 {
        let x = left + plot * k as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{x}" y1="{top}" x2="{x}" y2="{}" stroke="#e0e0e0"/><text x="{x}" y="{}" text-anchor="middle" fill="{GREY}" font-size="11">{}</text>"##,
            f64::from(h) - 24.0,
            f64::from(h) - 10.0,
            max * k / 4
        );
    }
    let band = (row_h - 6.0) / series.len().max(1) as f64;
    for (i, (label, values)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + row_h / 2.0 + 4.0,
            esc(label)
        );
        for (j, v) in values.iter().enumerate() {
            let bw = plot * *v as f64 / max as f64;
            let by = y + 3.0 + band * j as f64;
            let _ = write!(
                s,
                r#"<rect x="{left}" y="{by}" width="{bw:.1}" height="{:.1}" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="11">{v}</text>"#,
                band - 1.0,
                colours[j % 2],
                left + bw + 4.0,
                by + band - 3.0
            );
        }
    }
    s.push_str("</svg>");
    Chart {
        title: title.to_owned(),
        svg: s,
        width: w,
        height: h,
    }
}

/// The trend: one line per series over the months, values on the first.
pub fn lines(title: &str, months: &[String], series: &[(&str, Vec<u64>)]) -> Chart {
    let (w, h, left, right, top, bottom) = (640u32, 300u32, 50.0, 20.0, 40.0, 40.0);
    let max = nice(
        series
            .iter()
            .flat_map(|s| s.1.iter().copied())
            .max()
            .unwrap_or(0),
    );
    let plot_w = f64::from(w) - left - right;
    let plot_h = f64::from(h) - top - bottom;
    let n = months.len().max(1);
    let x = |i: usize| left + plot_w * (i as f64 + 0.5) / n as f64;
    let y = |v: u64| top + plot_h * (1.0 - v as f64 / max as f64);
    let mut s = open(w, h);
    let colours = [RED, BLUE, GREEN];
    for (i, (name, _)) in series.iter().enumerate() {
        let lx = left + i as f64 * 110.0;
        let _ = write!(
            s,
            r#"<rect x="{lx}" y="12" width="12" height="12" fill="{}"/><text x="{}" y="23">{}</text>"#,
            colours[i % 3],
            lx + 16.0,
            esc(name)
        );
    }
    for k in 0..=4 {
        let v = max * k / 4;
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{}" y="{:.1}" text-anchor="end" fill="{GREY}" font-size="11">{v}</text>"##,
            f64::from(w) - right,
            left - 6.0,
            y(v) + 4.0,
            y = y(v)
        );
    }
    for (i, m) in months.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" font-size="11">{}</text>"#,
            x(i),
            h - 22,
            esc(m)
        );
    }
    for (k, (_, values)) in series.iter().enumerate() {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            points.join(" "),
            colours[k % 3]
        );
        for (i, v) in values.iter().enumerate() {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                x(i),
                y(*v),
                colours[k % 3]
            );
            if k == 0 {
                let _ = write!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11">{v}</text>"#,
                    x(i),
                    y(*v) - 7.0
                );
            }
        }
    }
    s.push_str("</svg>");
    Chart {
        title: title.to_owned(),
        svg: s,
        width: w,
        height: h,
    }
}

/// The system's fonts, loaded once (fontconfig's directories: Debian's
/// fonts-noto-cjk among them).
fn fonts() -> Arc<resvg::usvg::fontdb::Database> {
    static DB: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_system_fonts();
        db.set_sans_serif_family("Noto Sans CJK SC");
        Arc::new(db)
    })
    .clone()
}

/// `chart` as a PNG at `scale` × its size (2 for print).
pub fn png(chart: &Chart, scale: f32) -> Result<Vec<u8>, String> {
    let opt = resvg::usvg::Options {
        fontdb: fonts(),
        font_family: "Noto Sans CJK SC".into(),
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(&chart.svg, &opt).map_err(|e| e.to_string())?;
    let (w, h) = (
        (chart.width as f32 * scale).ceil() as u32,
        (chart.height as f32 * scale).ceil() as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).ok_or("empty chart")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round() {
        assert_eq!(nice(0), 1);
        assert_eq!(nice(7), 10);
        assert_eq!(nice(166), 200);
        assert_eq!(nice(1703), 2000);
        assert_eq!(nice(41), 50);
    }

    #[test]
    fn labels_are_escaped() {
        let c = bars("t", &[("<a&b>".into(), vec![3])], &["收到"]);
        assert!(c.svg.contains("&lt;a&amp;b&gt;"));
        assert!(c.svg.starts_with("<svg"));
    }
}
