//! Write a fixture photo: `make_photo OUT.jpg [WIDTH HEIGHT]` (default 1600x1200,
//! EXIF: Haining, 2020-10-04 08:48:12 +08:00).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: make_photo OUT.jpg [WIDTH HEIGHT]")?;
    let w: u32 = args.next().map(|v| v.parse()).transpose()?.unwrap_or(1600);
    let h: u32 = args.next().map(|v| v.parse()).transpose()?.unwrap_or(1200);
    std::fs::write(&out, minqing_capture::testsupport::photo_jpeg(w, h))?;
    Ok(())
}
