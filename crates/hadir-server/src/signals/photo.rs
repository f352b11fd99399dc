//! What a selfie's pixels say (issue 23): a 64-bit difference hash (dHash) for near-duplicates,
//! and whether it looks like a camera's picture at all (size, contrast, entropy). Decoded once
//! per punch in the background analyser, never on the check-in path.

use image::imageops::FilterType;
use std::io::Cursor;

/// Memory one decode may allocate.
const MAX_ALLOC: u64 = 200 * 1024 * 1024;

/// The facts the analyser keeps of a photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoFacts {
    pub width: u32,
    pub height: u32,
    /// Difference hash: 8 rows × 8 comparisons of neighbouring pixels of a 9×8 grey image.
    pub dhash: u64,
    /// Standard deviation of the grey level (0–255) over a 64-pixel thumbnail.
    pub luma_std: f64,
    /// Shannon entropy (bits) of the grey-level histogram of that thumbnail.
    pub entropy: f64,
}

/// Decodes (within limits) and measures a photo; `None` when it does not decode.
pub fn facts(bytes: &[u8], max_pixels: u64) -> Option<PhotoFacts> {
    decode(bytes, max_pixels).map(|img| measure(&img))
}

/// Decodes a photo within the pixel and memory limits; `None` when it does not decode.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Option<image::DynamicImage> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    reader.limits(limits);
    let (w, h) = reader.into_dimensions().ok()?;
    if u64::from(w) * u64::from(h) > max_pixels {
        return None;
    }
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    reader.decode().ok()
}

/// Measures a decoded photo.
pub fn measure(img: &image::DynamicImage) -> PhotoFacts {
    let (w, h) = (img.width(), img.height());
    // Area-averaged down to at most 64 px first: cheap, and what both measures need.
    let small = img.thumbnail(64, 64).to_luma8();
    let dh = image::imageops::resize(&small, 9, 8, FilterType::Triangle);
    let mut dhash = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            dhash <<= 1;
            if dh.get_pixel(x, y)[0] > dh.get_pixel(x + 1, y)[0] {
                dhash |= 1;
            }
        }
    }
    let px = small.as_raw();
    let n = px.len().max(1) as f64;
    let mean = px.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = px.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
    let mut hist = [0u32; 256];
    for &v in px {
        hist[v as usize] += 1;
    }
    let entropy = hist.iter().filter(|&&c| c > 0).map(|&c| -(f64::from(c) / n) * (f64::from(c) / n).log2()).sum();
    PhotoFacts { width: w, height: h, dhash, luma_std: var.sqrt(), entropy }
}

/// Bits in which two hashes differ.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
#[path = "../../tests/common/scene.rs"]
mod test_scene;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::{ImageFormat, Rgb, RgbImage};

    use super::test_scene::{brighten, jpeg, scene};

    #[test]
    fn a_reencoded_or_brightened_copy_is_near_and_another_scene_is_far() {
        let a = scene(1, 640, 480);
        let fa = facts(&jpeg(&a, 90), 50_000_000).unwrap();
        let copy = facts(&jpeg(&a, 40), 50_000_000).unwrap();
        let bright = facts(&jpeg(&brighten(&a, 12), 75), 50_000_000).unwrap();
        assert!(distance(fa.dhash, copy.dhash) <= 4, "{}", distance(fa.dhash, copy.dhash));
        assert!(distance(fa.dhash, bright.dhash) <= 4, "{}", distance(fa.dhash, bright.dhash));
        for seed in 2..12 {
            let other = facts(&jpeg(&scene(seed, 640, 480), 90), 50_000_000).unwrap();
            assert!(distance(fa.dhash, other.dhash) > 8, "seed {seed}: {}", distance(fa.dhash, other.dhash));
        }
        assert_eq!((fa.width, fa.height), (640, 480));
        assert!(fa.luma_std > 20.0 && fa.entropy > 5.0, "{fa:?}");
    }

    #[test]
    fn blank_and_tiny_pictures_measure_as_such() {
        let white = RgbImage::from_pixel(640, 480, Rgb([250, 250, 250]));
        let f = facts(&jpeg(&white, 90), 50_000_000).unwrap();
        assert!(f.luma_std < 1.0 && f.entropy < 1.0, "{f:?}");
        let tiny = facts(&jpeg(&scene(3, 16, 16), 90), 50_000_000).unwrap();
        assert_eq!((tiny.width, tiny.height), (16, 16));
        let mut png = Vec::new();
        scene(4, 200, 100).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        assert_eq!(facts(&png, 50_000_000).unwrap().width, 200);
        assert!(facts(b"not an image", 50_000_000).is_none());
        assert!(facts(&jpeg(&white, 90), 1000).is_none(), "over the pixel limit: not decoded");
    }
}
