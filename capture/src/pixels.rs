//! Pixels: decode (JPEG with DCT-domain scaling, PNG), apply EXIF orientation,
//! resample to a long edge, encode a metadata-free JPEG.

use crate::error::{CaptureError, JpegFeature};
use crate::jpeg::{self, Colour};
use crate::Rendition;
use fast_image_resize::{images::Image, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use std::io::Cursor;

/// An RGB8 image.
pub struct Rgb {
    pub w: u32,
    pub h: u32,
    pub data: Vec<u8>,
}

/// A decoder's failure. The decoder's own text stays out of the message (it
/// is often `Debug` output); which stage failed is said in our words.
fn corrupt(detail: &str) -> CaptureError {
    CaptureError::Corrupt {
        detail: detail.to_owned(),
    }
}

fn jpeg_error(e: jpeg_decoder::Error) -> CaptureError {
    use jpeg_decoder::UnsupportedFeature as U;
    let feature = match e {
        jpeg_decoder::Error::Unsupported(U::SamplePrecision(bits)) => {
            JpegFeature::SamplePrecision { bits }
        }
        jpeg_decoder::Error::Unsupported(U::ArithmeticEntropyCoding) => {
            JpegFeature::ArithmeticCoding
        }
        jpeg_decoder::Error::Unsupported(U::Hierarchical) => JpegFeature::Hierarchical,
        jpeg_decoder::Error::Unsupported(U::ComponentCount(count)) => {
            JpegFeature::Components { count }
        }
        jpeg_decoder::Error::Unsupported(U::DNL) => JpegFeature::HeightAfterScan,
        _ => {
            return CaptureError::Corrupt {
                detail: "the JPEG's image data cannot be decoded".into(),
            }
        }
    };
    CaptureError::UnsupportedJpeg { feature }
}

/// Width and height of a PNG from its header.
pub fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32), CaptureError> {
    let d = png::Decoder::new(Cursor::new(bytes));
    let r = d
        .read_info()
        .map_err(|_| corrupt("the PNG's header cannot be read"))?;
    let i = r.info();
    Ok((i.width, i.height))
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

/// Decode the JPEG still `bytes` (already cut at its EOI and checked by
/// [`jpeg::Layout::check_supported`]) at the cheapest resolution that still
/// serves a long edge of `target` (before orientation; orientation never
/// changes the long edge).
pub fn decode_jpeg(bytes: &[u8], layout: &jpeg::Layout, target: u32) -> Result<Rgb, CaptureError> {
    let (w, h) = (
        u32::from(layout.frame.width),
        u32::from(layout.frame.height),
    );
    let mut dec = jpeg_decoder::Decoder::new(bytes);
    let colour = layout.colour();
    let (ow, oh) = if layout.frame.lossless() {
        // The decoder's DCT scaling does not apply to lossless frames.
        dec.read_info().map_err(jpeg_error)?;
        (w, h)
    } else {
        let d = idct_denominator(w.max(h), target);
        let (ow, oh) = dec
            .scale(w.div_ceil(d) as u16, h.div_ceil(d) as u16)
            .map_err(jpeg_error)?;
        // Set what libjpeg would choose, so the decoder does not guess otherwise.
        dec.set_color_transform(match colour {
            Colour::Grey => jpeg_decoder::ColorTransform::Grayscale,
            Colour::Rgb => jpeg_decoder::ColorTransform::RGB,
            Colour::YCbCr => jpeg_decoder::ColorTransform::YCbCr,
            Colour::Ycck => jpeg_decoder::ColorTransform::YCCK,
            Colour::Cmyk => jpeg_decoder::ColorTransform::CMYK,
        });
        (u32::from(ow), u32::from(oh))
    };
    let px = dec.decode().map_err(jpeg_error)?;
    let n = ow as usize * oh as usize;
    let short = || CaptureError::Corrupt {
        detail: "the image holds fewer pixels than its header promises".into(),
    };
    let data: Vec<u8> = if layout.frame.lossless() {
        let comps = layout.frame.component_ids.len();
        let samples = lossless_samples(&px, layout.frame.precision, n * comps).ok_or_else(short)?;
        let max = (1u32 << layout.frame.precision) - 1;
        let to8 = |v: f32| (v * 255.0 / max as f32).round().clamp(0.0, 255.0) as u8;
        match (comps, colour) {
            (1, _) => samples
                .iter()
                .flat_map(|&g| {
                    let g = to8(f32::from(g));
                    [g, g, g]
                })
                .collect(),
            (_, Colour::YCbCr) => {
                let half = (1u32 << (layout.frame.precision - 1)) as f32;
                samples
                    .chunks_exact(3)
                    .flat_map(|c| {
                        let (y, cb, cr) = (
                            f32::from(c[0]),
                            f32::from(c[1]) - half,
                            f32::from(c[2]) - half,
                        );
                        [
                            to8(y + 1.402 * cr),
                            to8(y - 0.344_136 * cb - 0.714_136 * cr),
                            to8(y + 1.772 * cb),
                        ]
                    })
                    .collect()
            }
            _ => samples.iter().map(|&v| to8(f32::from(v))).collect(),
        }
    } else {
        match colour {
            Colour::Grey => px.iter().flat_map(|&g| [g, g, g]).collect(),
            Colour::Rgb | Colour::YCbCr => px,
            Colour::Cmyk | Colour::Ycck => {
                // The decoder inverts what it reads (Adobe files store 255 −
                // ink), so with an Adobe marker it hands back ink amounts. A
                // CMYK file without one stores ink as is (libjpeg and Pillow
                // read it so): undo the decoder's inversion.
                let inverted_by_decoder = layout.adobe_transform.is_none();
                px.chunks_exact(4)
                    .flat_map(|c| {
                        let ink = |v: u8| if inverted_by_decoder { 255 - v } else { v };
                        cmyk_to_rgb(ink(c[0]), ink(c[1]), ink(c[2]), ink(c[3]))
                    })
                    .collect()
            }
        }
    };
    if data.len() < n * 3 {
        return Err(short());
    }
    Ok(Rgb { w: ow, h: oh, data })
}

/// Ink amounts (0 = none, 255 = full) to RGB, as libjpeg's users (Pillow's
/// `convert("RGB")`) do without a colour profile: (1 − C)(1 − K).
pub fn cmyk_to_rgb(c: u8, m: u8, y: u8, k: u8) -> [u8; 3] {
    let nk = 255 - u32::from(k);
    let f = |v: u8| (((255 - u32::from(v)) * nk + 127) / 255) as u8;
    [f(c), f(m), f(y)]
}

/// Lossless samples as the decoder gives them: one byte each at exactly 8
/// bits, a native-endian u16 at any other precision.
fn lossless_samples(px: &[u8], precision: u8, count: usize) -> Option<Vec<u16>> {
    let s: Vec<u16> = if precision == 8 {
        px.iter().map(|&v| u16::from(v)).collect()
    } else {
        px.chunks_exact(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect()
    };
    (s.len() >= count).then_some(s)
}

pub fn decode_png(bytes: &[u8]) -> Result<Rgb, CaptureError> {
    let mut dec = png::Decoder::new(Cursor::new(bytes));
    dec.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = dec
        .read_info()
        .map_err(|_| corrupt("the PNG's header cannot be read"))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| corrupt("the image is too large for memory"))?;
    let mut buf = vec![0; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|_| corrupt("the PNG's image data cannot be decoded"))?;
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
        png::ColorType::Indexed => return Err(corrupt("the PNG's palette cannot be read")),
    };
    if data.len() < w as usize * h as usize * 3 {
        return Err(corrupt(
            "the image holds fewer pixels than its header promises",
        ));
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
    // The resizer is built for RGBA only (capture/Cargo.toml): pad each pixel
    // with an opaque alpha, resize, drop it again.
    let rgba: Vec<u8> = src
        .data
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let from = fast_image_resize::images::ImageRef::new(src.w, src.h, &rgba, PixelType::U8x4)
        .map_err(|_| corrupt("the rendition could not be made"))?;
    let mut to = Image::new(dw, dh, PixelType::U8x4);
    Resizer::new()
        .resize(
            &from,
            &mut to,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)),
        )
        .map_err(|_| corrupt("the rendition could not be made"))?;
    let data = to
        .buffer()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    Ok(Rgb { w: dw, h: dh, data })
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
        .map_err(|_| corrupt("the rendition could not be made"))?;
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
