//! A face's embedding (issue 23, point 2): the 1024 numbers the HSE faceres network (Apache-2.0,
//! from npm `@vladmandic/human`, converted to ONNX by `scripts/fetch-face-embedder.sh`; see
//! `models/face/embedder/README.md`) computes for the detector's best face, compared by cosine
//! similarity with an employee's reference face. Embedded in the binary and run with tract, one
//! optimized plan built once and shared, on the analyser's blocking thread and at enrolment.
//!
//! The crop (measured on branch `embed`, see ARCHITECTURE.md "Face verification"): the square
//! centred on the BlazeFace box, 1.2 × the box's longer side, black outside the photo, resized
//! to 224×224 (bilinear), RGB 0…255 as is (NCHW).

use super::face::{Detector, Face, FaceError, SIDE};
use image::DynamicImage;

/// The network's input side (pixels).
pub const INPUT: u32 = 224;
/// Numbers in an embedding.
pub const DIM: usize = 1024;
/// The crop's side relative to the detector box's longer side.
pub const CROP: f32 = 1.2;
/// Names the model and crop an embedding was computed with (stored with a reference face:
/// embeddings of another model are not comparable).
pub const MODEL: &str = "faceres-1.2";

/// A face's embedding.
pub type Embedding = Vec<f32>;

/// The crop around a detected face (photo pixels): centre and side.
pub fn crop_box(img: &DynamicImage, f: &Face) -> (f32, f32, f32) {
    let (w, h) = (img.width().max(1), img.height().max(1));
    let side = SIDE as f32;
    let scale = side / w.max(h) as f32;
    let nw = ((w as f32 * scale).round() as u32).clamp(1, SIDE);
    let nh = ((h as f32 * scale).round() as u32).clamp(1, SIDE);
    let (ox, oy) = (((SIDE - nw) / 2) as f32, ((SIDE - nh) / 2) as f32);
    let cx = (f.cx * side - ox) / scale;
    let cy = (f.cy * side - oy) / scale;
    let s = f.w.max(f.h) * side / scale;
    (cx, cy, s * CROP)
}

/// The network's input: the crop (black outside the photo) resized to 224², RGB 0…255, NCHW.
pub fn input_of(img: &DynamicImage, f: &Face) -> Vec<f32> {
    let (cx, cy, side) = crop_box(img, f);
    let n = side.round().clamp(1.0, 8192.0) as u32;
    let (x0, y0) = ((cx - side / 2.0).round() as i64, (cy - side / 2.0).round() as i64);
    let rgb = img.to_rgb8();
    let mut crop = image::RgbImage::new(n, n);
    for (x, y, p) in crop.enumerate_pixels_mut() {
        let (sx, sy) = (x0 + i64::from(x), y0 + i64::from(y));
        if sx >= 0 && sy >= 0 && sx < i64::from(rgb.width()) && sy < i64::from(rgb.height()) {
            *p = *rgb.get_pixel(sx as u32, sy as u32);
        }
    }
    let small = image::imageops::resize(&crop, INPUT, INPUT, image::imageops::FilterType::Triangle);
    let plane = (INPUT * INPUT) as usize;
    let mut out = vec![0.0f32; 3 * plane];
    for (x, y, p) in small.enumerate_pixels() {
        let i = (y * INPUT + x) as usize;
        for (c, v) in p.0.iter().enumerate() {
            out[c * plane + i] = f32::from(*v);
        }
    }
    out
}

/// Cosine similarity of two embeddings (0 when either is empty, zero or of another length).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na <= 0.0 || nb <= 0.0 || !dot.is_finite() {
        return 0.0;
    }
    (dot / (na.sqrt() * nb.sqrt())) as f32
}

/// An embedding as stored (little-endian f32s).
pub fn to_bytes(e: &[f32]) -> Vec<u8> {
    e.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A stored embedding; `None` when the bytes are not one.
pub fn from_bytes(b: &[u8]) -> Option<Embedding> {
    if b.len() != DIM * 4 {
        return None;
    }
    Some(b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(feature = "face")]
mod model {
    use super::super::face::onnx;
    use super::{DIM, FaceError, INPUT};
    use std::sync::Arc;
    use tract_onnx::prelude::TypedRunnableModel;

    /// HSE faceres (float16 weights + Cast), see `models/face/embedder/README.md`.
    const FACERES: &[u8] = include_bytes!("../../../../models/face/embedder/faceres.onnx");

    pub struct Plan(Arc<TypedRunnableModel>);

    impl Plan {
        pub fn load() -> Result<Plan, FaceError> {
            Ok(Plan(onnx::plan(FACERES, INPUT as usize)?))
        }

        pub fn run(&self, input: Vec<f32>) -> Result<Vec<f32>, FaceError> {
            let Some(e) = onnx::run(&self.0, input, INPUT as usize)?.into_iter().next() else {
                return Err(FaceError::Model("embedder gave no output".into()));
            };
            if e.len() != DIM {
                return Err(FaceError::Model(format!("unexpected embedding size {}", e.len())));
            }
            Ok(e)
        }
    }
}

/// The detector and the embedder, each one plan built once.
pub struct FaceModels {
    pub detector: Detector,
    #[cfg(feature = "face")]
    plan: model::Plan,
}

/// What a photo gives: its faces, and the best one's embedding when there is exactly one.
#[derive(Debug, Clone)]
pub struct Seen {
    pub faces: Vec<Face>,
    pub embedding: Option<Embedding>,
}

impl FaceModels {
    /// Builds both plans from the embedded models (a fraction of a second; do it once).
    pub fn load() -> Result<FaceModels, FaceError> {
        let detector = Detector::load()?;
        #[cfg(feature = "face")]
        {
            Ok(FaceModels { detector, plan: model::Plan::load()? })
        }
        #[cfg(not(feature = "face"))]
        {
            let _ = detector;
            Err(FaceError::NotBuilt)
        }
    }

    /// The embedding of one face of a photo.
    pub fn embed_face(&self, img: &DynamicImage, f: &Face) -> Result<Embedding, FaceError> {
        #[cfg(feature = "face")]
        {
            self.plan.run(input_of(img, f))
        }
        #[cfg(not(feature = "face"))]
        {
            let _ = (img, f);
            Err(FaceError::NotBuilt)
        }
    }

    /// The faces on a photo and, when `embed` and there is exactly one, its embedding.
    pub fn see(&self, img: &DynamicImage, min_score: f32, max_overlap: f32, embed: bool) -> Result<Seen, FaceError> {
        let faces = self.detector.faces(img, min_score, max_overlap)?;
        let embedding = match faces.as_slice() {
            [one] if embed => Some(self.embed_face(img, one)?),
            _ => None,
        };
        Ok(Seen { faces, embedding })
    }

    /// The embedding of the photo's best face (`None` when it has none).
    pub fn embed(&self, img: &DynamicImage, min_score: f32, max_overlap: f32) -> Result<Option<Embedding>, FaceError> {
        let faces = self.detector.faces(img, min_score, max_overlap)?;
        match faces.first() {
            Some(best) => Ok(Some(self.embed_face(img, best)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_and_bytes() {
        let a = vec![1.0f32, 0.0, 2.0];
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-6);
        assert!(cosine(&a, &[0.0, 1.0, 0.0]).abs() < 1e-6);
        assert_eq!(cosine(&a, &[0.0, 0.0, 0.0]), 0.0);
        assert_eq!(cosine(&a, &[1.0]), 0.0);
        let e: Vec<f32> = (0..DIM).map(|i| i as f32 / 7.0).collect();
        assert_eq!(from_bytes(&to_bytes(&e)), Some(e));
        assert_eq!(from_bytes(&[0u8; 12]), None);
    }

    #[test]
    fn crop_follows_the_letterbox() {
        // A 200×100 photo letterboxed into 128²: scale 0.64, 32 rows of border above.
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(200, 100, image::Rgb([9, 9, 9])));
        let f = Face { score: 0.9, cx: 0.5, cy: 0.5, w: 0.25, h: 0.2 };
        let (cx, cy, side) = crop_box(&img, &f);
        assert!((cx - 100.0).abs() < 1e-3 && (cy - 50.0).abs() < 1e-3, "{cx} {cy}");
        assert!((side - 0.25 * 128.0 / 0.64 * CROP).abs() < 1e-3, "{side}");
        // Outside the photo is black; inside keeps the photo's values, unscaled.
        let corner = Face { score: 0.9, cx: 0.0, cy: 0.25, w: 0.2, h: 0.2 };
        let x = input_of(&img, &corner);
        assert_eq!(x.len(), 3 * 224 * 224);
        assert_eq!(x[0], 0.0);
        assert!((x[223 * 224 + 223] - 9.0).abs() < 1e-3);
    }

    /// The fixtures of `tests/fixtures/face/README-embedder.md` (public domain) through both
    /// real models: the report's cosines (same 0.889; other 0.444 and 0.383) within tolerance.
    #[cfg(feature = "face")]
    #[test]
    fn same_face_is_similar_and_another_is_not() {
        let m = FaceModels::load().expect("the embedded models load");
        let embed = |bytes: &[u8]| {
            let img = image::load_from_memory(bytes).expect("fixture decodes");
            let seen = m.see(&img, 0.6, 0.3, true).expect("inference runs");
            assert_eq!(seen.faces.len(), 1, "{:?}", seen.faces);
            seen.embedding.expect("one face is embedded")
        };
        let a = embed(include_bytes!("../../tests/fixtures/face/same_a.jpg"));
        let b = embed(include_bytes!("../../tests/fixtures/face/same_b.jpg"));
        let o = embed(include_bytes!("../../tests/fixtures/face/other.jpg"));
        assert_eq!(a.len(), DIM);
        let (ab, ao, bo) = (cosine(&a, &b), cosine(&a, &o), cosine(&b, &o));
        assert!(ab > 0.8, "same_a/same_b {ab}");
        assert!(ao < 0.55 && bo < 0.55, "same_a/other {ao}, same_b/other {bo}");
        // The reference implementation's values, within the resize filter's difference.
        assert!((ab - 0.889).abs() < 0.03 && (ao - 0.444).abs() < 0.03 && (bo - 0.383).abs() < 0.03, "{ab} {ao} {bo}");
        // The report's embedding norm of same_a (12.83).
        let norm = a.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 12.832).abs() < 0.5, "{norm}");
    }
}
