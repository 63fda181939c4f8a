//! Ingest benchmark: a 12-megapixel JPEG with EXIF → EXIF + SHA-256 + rendition
//! (long edge ≤ 2048) + thumbnail (≤ 320), median of N runs; in the same run,
//! on the same file, three baselines:
//! - Pillow (`pillow_baseline.py`): the same work in Python over libjpeg;
//! - libvips (`vipsthumbnail`, Debian's `libvips-tools`): the 2048 rendition
//!   and the 320 thumbnail, each one process (shrink-on-load, Lanczos);
//! - the libjpeg-turbo floor (`djpeg -scale 1/2 | cjpeg -quality 85`, Debian's
//!   `libjpeg-turbo-progs`): decode at half size in the DCT and encode, no
//!   resampling filter, no EXIF, no hash — the least any JPEG pipeline does;
//!   its thumbnail is `djpeg -scale 1/8 | cjpeg` (500×375, libjpeg's
//!   smallest scale).
//!
//! The command-line baselines are timed from process start to exit, so they
//! include a process spawn (about 1 ms here) per command.
//!
//!   cargo bench -p minqing-capture --features test-support --bench ingest
//!   (MINQING_BENCH_N=… to change N, default 15; a baseline whose tool is
//!   missing says so and is skipped)

use minqing_capture::{ingest, testsupport, IngestOptions};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::var("MINQING_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let dir = std::env::temp_dir().join("minqing-bench");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("photo-12mp.jpg");
    std::fs::write(&file, testsupport::photo_jpeg(4000, 3000))?;
    let size = std::fs::metadata(&file)?.len();
    let opts = IngestOptions::default();

    let mut times = Vec::new();
    let mut dims = (0, 0, 0, 0);
    for i in 0..n + 2 {
        let t = Instant::now();
        let bytes = std::fs::read(&file)?;
        let out = ingest(&bytes, &opts, None, 0)?;
        let el = t.elapsed().as_secs_f64() * 1e3;
        dims = (
            out.rendition.width,
            out.rendition.height,
            out.thumbnail.width,
            out.thumbnail.height,
        );
        if i >= 2 {
            times.push(el);
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "ingest of {} ({:.1} MB, 4000x3000, EXIF), n = {n}",
        file.display(),
        size as f64 / 1e6
    );
    println!(
        "minqing-capture   median {median:8.2} ms   min {:8.2} ms   rendition {}x{}, thumbnail {}x{}",
        times[0], dims.0, dims.1, dims.2, dims.3
    );
    for (name, pipeline) in [
        (
            "vipsthumbnail",
            "vipsthumbnail \"$1\" --size 2048 -o \"$2/r.jpg[Q=85]\" && vipsthumbnail \"$1\" --size 320 -o \"$2/t.jpg[Q=85]\"",
        ),
        (
            "djpeg|cjpeg floor",
            "djpeg -scale 1/2 \"$1\" | cjpeg -quality 85 > \"$2/r.jpg\" && djpeg -scale 1/8 \"$1\" | cjpeg -quality 85 > \"$2/t.jpg\"",
        ),
    ] {
        match shell_baseline(pipeline, &file, &dir, n) {
            Ok((b_median, b_min)) => println!(
                "{name:<17} median {b_median:8.2} ms   min {b_min:8.2} ms   ratio ({name} / minqing): {:.2}x",
                b_median / median
            ),
            Err(e) => println!("{name} baseline unavailable: {e}"),
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pillow_baseline.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&file)
        .arg(n.to_string())
        .output()?;
    if !out.status.success() {
        println!(
            "Pillow baseline unavailable (pip install pillow): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let p_median: f64 = parts.next().unwrap_or("nan").parse().unwrap_or(f64::NAN);
    let p_min: f64 = parts.next().unwrap_or("nan").parse().unwrap_or(f64::NAN);
    let p_size = parts.next().unwrap_or("?");
    let p_ver = parts.next().unwrap_or("?");
    println!("{p_ver:<17} median {p_median:8.2} ms   min {p_min:8.2} ms   rendition {p_size}");
    println!("ratio (Pillow / minqing): {:.2}x", p_median / median);
    Ok(())
}

/// Median and minimum in ms of `pipeline` run by `sh -c` with the photo as
/// `$1` and a scratch folder as `$2`, after two warm-up runs.
fn shell_baseline(
    pipeline: &str,
    file: &std::path::Path,
    dir: &std::path::Path,
    n: usize,
) -> Result<(f64, f64), String> {
    let mut times = Vec::new();
    for i in 0..n + 2 {
        let t = Instant::now();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(pipeline)
            .arg("baseline")
            .arg(file)
            .arg(dir)
            .output()
            .map_err(|e| e.to_string())?;
        let el = t.elapsed().as_secs_f64() * 1e3;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(err.lines().last().unwrap_or("failed").to_owned());
        }
        if i >= 2 {
            times.push(el);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times[0]))
}
