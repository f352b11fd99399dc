//! Camera-like test pictures from a seed, for the photo signals' unit tests
//! (`signals/photo.rs`) and the HTTP tests (`tests/fraud.rs`): one generator for both.

use image::{Rgb, RgbImage};

/// A camera-like picture: a lit "face" ellipse on a textured background with noise, from a
/// seed (different seeds: different scenes).
pub fn scene(seed: u64, w: u32, h: u32) -> RgbImage {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut rnd = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let (cx, cy) =
        ((w as f64) * (0.3 + (rnd() % 40) as f64 / 100.0), (h as f64) * (0.35 + (rnd() % 30) as f64 / 100.0));
    let (rx, ry) = (w as f64 * 0.18, h as f64 * 0.28);
    let stripes = 3 + rnd() % 9;
    let tone = [(rnd() % 200) as f64, (rnd() % 200) as f64, (rnd() % 200) as f64];
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f64, y as f64);
        let inside = ((fx - cx) / rx).powi(2) + ((fy - cy) / ry).powi(2) <= 1.0;
        let band = ((fx * stripes as f64 / w as f64) as u64 % 2) as f64 * 40.0;
        let noise = (rnd() % 12) as f64;
        let px = |t: f64| {
            (if inside { 200.0 - (fy - cy).abs() * 0.3 } else { t * 0.6 + band + fy * 0.1 } + noise).clamp(0.0, 255.0)
                as u8
        };
        Rgb([px(tone[0]), px(tone[1]), px(tone[2])])
    })
}

pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).unwrap();
    out
}

/// The same picture, brighter (the same person later, in other light).
pub fn brighten(img: &RgbImage, by: u8) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let p = img.get_pixel(x, y);
        Rgb([p[0].saturating_add(by), p[1].saturating_add(by), p[2].saturating_add(by)])
    })
}
