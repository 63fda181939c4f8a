//! Ingest benchmark: a 12-megapixel JPEG with EXIF → EXIF + SHA-256 + rendition
//! (long edge ≤ 2048) + thumbnail (≤ 320), median of N runs; in the same run, the
//! Pillow baseline (`pillow_baseline.py`) on the same file.
//!
//!   cargo bench -p minqing-capture --features test-support --bench ingest
//!   (MINQING_BENCH_N=… to change N, default 15; needs `pip install pillow` for the baseline)

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
