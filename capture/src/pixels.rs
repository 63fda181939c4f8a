//! Pixels: decode (JPEG with DCT-domain scaling, PNG), apply EXIF orientation,
//! resample to a long edge, encode a metadata-free JPEG.

use crate::detect::ImageFormat;
use crate::error::CaptureError;
use crate::Rendition;
use fast_image_resize::{images::Image, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use std::io::Cursor;

/// An RGB8 image.
pub struct Rgb {
    pub w: u32,
    pub h: u32,
    pub data: Vec<u8>,
}

fn corrupt(e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Corrupt {
        detail: e.to_string(),
    }
}

/// Width and height from the header alone.
pub fn dimensions(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32), CaptureError> {
    match format {
        ImageFormat::Jpeg => {
            let mut d = jpeg_decoder::Decoder::new(bytes);
            d.read_info().map_err(corrupt)?;
            let info = d.info().ok_or_else(|| corrupt("no frame header"))?;
            Ok((u32::from(info.width), u32::from(info.height)))
        }
        ImageFormat::Png => {
            let d = png::Decoder::new(Cursor::new(bytes));
            let r = d.read_info().map_err(corrupt)?;
            let i = r.info();
            Ok((i.width, i.height))
        }
    }
}

/// The IDCT scale (1, 2, 4 or 8 = 1/1 … 1/8) for a long edge `long` → `target`:
/// the smallest decode that is already within [0.85·target, target] (no
/// resampling needed), else the smallest that is still ≥ target.
pub fn idct_denominator(long: u32, target: u32) -> u32 {
    if long <= target {
        return 1;
    }
    let size = |d: u32| long.div_ceil(d);
    for d in [8, 4, 2] {
        let s = size(d);
        if s <= target && s * 100 >= target * 85 {
            return d;
        }
    }
    [8, 4, 2]
        .into_iter()
        .find(|&d| size(d) >= target)
        .unwrap_or(1)
}

/// Decode at the cheapest resolution that still serves a rendition of long edge
/// `target` (before orientation; orientation never changes the long edge).
pub fn decode_for(
    bytes: &[u8],
    format: ImageFormat,
    w: u32,
    h: u32,
    target: u32,
) -> Result<Rgb, CaptureError> {
    match format {
        ImageFormat::Jpeg => decode_jpeg(bytes, w, h, target),
        ImageFormat::Png => decode_png(bytes),
    }
}

fn decode_jpeg(bytes: &[u8], w: u32, h: u32, target: u32) -> Result<Rgb, CaptureError> {
    // A JPEG that stops before its end-of-image marker is incomplete: refuse it
    // rather than upload a half-grey picture. Trailers after EOI are allowed.
    if !has_eoi(bytes) {
        return Err(corrupt("missing end-of-image marker (truncated file)"));
    }
    let d = idct_denominator(w.max(h), target);
    let mut dec = jpeg_decoder::Decoder::new(bytes);
    let (ow, oh) = dec
        .scale(w.div_ceil(d) as u16, h.div_ceil(d) as u16)
        .map_err(corrupt)?;
    let px = dec.decode().map_err(corrupt)?;
    let info = dec.info().ok_or_else(|| corrupt("no frame header"))?;
    let (ow, oh) = (u32::from(ow), u32::from(oh));
    let n = ow as usize * oh as usize;
    let data = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => px,
        jpeg_decoder::PixelFormat::L8 => px.iter().flat_map(|&g| [g, g, g]).collect(),
        jpeg_decoder::PixelFormat::L16 => px
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => px
            .chunks_exact(4)
            .flat_map(|c| {
                let k = u16::from(c[3]);
                let f = |v: u8| ((u16::from(v) * k) / 255) as u8;
                [f(c[0]), f(c[1]), f(c[2])]
            })
            .collect(),
    };
    if data.len() < n * 3 {
        return Err(corrupt("decoded fewer pixels than the header promised"));
    }
    Ok(Rgb { w: ow, h: oh, data })
}

fn has_eoi(bytes: &[u8]) -> bool {
    // Look in the tail: some phones append a trailer after EOI.
    let tail = &bytes[bytes.len().saturating_sub(64 * 1024)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

fn decode_png(bytes: &[u8]) -> Result<Rgb, CaptureError> {
    let mut dec = png::Decoder::new(Cursor::new(bytes));
    dec.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = dec.read_info().map_err(corrupt)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| corrupt("image too large for memory"))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(corrupt)?;
    buf.truncate(frame.buffer_size());
    let (w, h) = (frame.width, frame.height);
    let white =
        |v: u8, a: u8| ((u16::from(v) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
    let data: Vec<u8> = match frame.color_type {
        png::ColorType::Rgb => buf,
        png::ColorType::Rgba => buf
            .chunks_exact(4)
            .flat_map(|c| [white(c[0], c[3]), white(c[1], c[3]), white(c[2], c[3])])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g]).collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|c| {
                let g = white(c[0], c[1]);
                [g, g, g]
            })
            .collect(),
        png::ColorType::Indexed => return Err(corrupt("palette not expanded")),
    };
    if data.len() < w as usize * h as usize * 3 {
        return Err(corrupt("decoded fewer pixels than the header promised"));
    }
    Ok(Rgb { w, h, data })
}

/// Apply EXIF orientation 1–8 so the pixels stand upright.
pub fn orient(src: Rgb, orientation: u16) -> Rgb {
    if !(2..=8).contains(&orientation) {
        return src;
    }
    let (w, h) = (src.w as usize, src.h as usize);
    let swap = orientation >= 5;
    let (dw, dh) = if swap { (h, w) } else { (w, h) };
    let mut out = vec![0u8; w * h * 3];
    for y in 0..dh {
        for x in 0..dw {
            let (sx, sy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, h - 1 - x),
                7 => (w - 1 - y, h - 1 - x),
                _ => (w - 1 - y, x),
            };
            let s = (sy * w + sx) * 3;
            let d = (y * dw + x) * 3;
            out[d..d + 3].copy_from_slice(&src.data[s..s + 3]);
        }
    }
    Rgb {
        w: dw as u32,
        h: dh as u32,
        data: out,
    }
}

fn target_dims(w: u32, h: u32, long: u32) -> (u32, u32) {
    if w >= h {
        (
            long,
            ((u64::from(h) * u64::from(long)) / u64::from(w)).max(1) as u32,
        )
    } else {
        (
            ((u64::from(w) * u64::from(long)) / u64::from(h)).max(1) as u32,
            long,
        )
    }
}

/// Shrink (never enlarge) so the long edge is at most `long`.
pub fn fit(src: Rgb, long: u32) -> Result<Rgb, CaptureError> {
    if src.w.max(src.h) <= long {
        return Ok(src);
    }
    fit_ref(&src, long)
}

/// Like [`fit`], keeping the source.
pub fn fit_ref(src: &Rgb, long: u32) -> Result<Rgb, CaptureError> {
    if src.w.max(src.h) <= long {
        return Ok(Rgb {
            w: src.w,
            h: src.h,
            data: src.data.clone(),
        });
    }
    let (dw, dh) = target_dims(src.w, src.h, long);
    let from = fast_image_resize::images::ImageRef::new(src.w, src.h, &src.data, PixelType::U8x3)
        .map_err(corrupt)?;
    let mut to = Image::new(dw, dh, PixelType::U8x3);
    Resizer::new()
        .resize(
            &from,
            &mut to,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)),
        )
        .map_err(corrupt)?;
    Ok(Rgb {
        w: dw,
        h: dh,
        data: to.into_vec(),
    })
}

/// Baseline JPEG with no APP segments but JFIF: no EXIF, no GPS, no maker notes.
pub fn encode(img: &Rgb, quality: u8) -> Result<Rendition, CaptureError> {
    let (w, h) = (
        u16::try_from(img.w).map_err(|_| CaptureError::TooLarge {
            width: img.w,
            height: img.h,
        })?,
        u16::try_from(img.h).map_err(|_| CaptureError::TooLarge {
            width: img.w,
            height: img.h,
        })?,
    );
    let mut jpeg = Vec::with_capacity(img.data.len() / 8);
    jpeg_encoder::Encoder::new(&mut jpeg, quality)
        .encode(&img.data, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(corrupt)?;
    Ok(Rendition {
        jpeg,
        width: img.w,
        height: img.h,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idct_scale_choice() {
        assert_eq!(idct_denominator(4000, 2048), 2); // 2000: fits, no resample
        assert_eq!(idct_denominator(2048, 2048), 1);
        assert_eq!(idct_denominator(4608, 2048), 2); // 2304 ≥ 2048, resample
        assert_eq!(idct_denominator(8000, 2048), 4); // 2000 fits
        assert_eq!(idct_denominator(3000, 320), 8); // 375 ≥ 320
        assert_eq!(idct_denominator(2100, 2048), 1);
    }

    #[test]
    fn orientation_moves_the_corner_pixel() {
        // 2x1: red, blue.
        let img = || Rgb {
            w: 2,
            h: 1,
            data: vec![255, 0, 0, 0, 0, 255],
        };
        let r6 = orient(img(), 6);
        assert_eq!((r6.w, r6.h), (1, 2));
        assert_eq!(&r6.data[..3], &[255, 0, 0]); // rotated 90° CW: red on top
        let r8 = orient(img(), 8);
        assert_eq!(&r8.data[..3], &[0, 0, 255]); // 90° CCW: blue on top
        let r2 = orient(img(), 2);
        assert_eq!(&r2.data[..3], &[0, 0, 255]);
    }
}
