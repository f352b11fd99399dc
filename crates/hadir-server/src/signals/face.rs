//! Faces on a selfie (issue 23): how many faces the BlazeFace short-range detector finds, for
//! the `face_none` and `face_several` signals. The model (`models/face/`, Apache-2.0, converted
//! to ONNX by `scripts/fetch-face-models.sh`) is embedded in the binary and run with tract, a
//! pure-Rust inference library, in the background analyser only: one optimized plan built once
//! and shared, a fixed 128×128 input (so each photo costs the same, whatever its size), on the
//! analyser's blocking threads. Built without the `face` feature, [`Detector::load`] says so
//! and face signals are off.
//!
//! Decoding (written here from the model's published layout): 896 anchors, a 16×16 grid with 2
//! anchors per cell (stride 8) and an 8×8 grid with 6 (stride 16), centres at the cells'
//! middles; each anchor's regressor gives the box centre offset and size in input pixels, its
//! classifier a logit. Boxes over the score threshold are merged by non-maximum suppression.

use image::DynamicImage;

/// The model's input side (pixels).
pub const SIDE: u32 = 128;
/// Anchors the model scores.
const ANCHORS: usize = 896;

/// One face found, in fractions (0–1) of the square the photo was letterboxed into.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    pub score: f32,
    pub cx: f32,
    pub cy: f32,
    pub w: f32,
    pub h: f32,
}

impl Face {
    fn iou(&self, o: &Face) -> f32 {
        let ix = (self.cx + self.w / 2.0).min(o.cx + o.w / 2.0) - (self.cx - self.w / 2.0).max(o.cx - o.w / 2.0);
        let iy = (self.cy + self.h / 2.0).min(o.cy + o.h / 2.0) - (self.cy - self.h / 2.0).max(o.cy - o.h / 2.0);
        if ix <= 0.0 || iy <= 0.0 {
            return 0.0;
        }
        let inter = ix * iy;
        let union = self.w * self.h + o.w * o.h - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
}

/// Why the detector is not available.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error("built without the `face` feature")]
    NotBuilt,
    #[error("face model: {0}")]
    Model(String),
}

/// Anchor centres (x, y as fractions), in the model's output order.
fn anchors() -> Vec<(f32, f32)> {
    let mut a = Vec::with_capacity(ANCHORS);
    for (stride, per_cell) in [(8u32, 2usize), (16, 6)] {
        let grid = SIDE / stride;
        for y in 0..grid {
            for x in 0..grid {
                for _ in 0..per_cell {
                    a.push(((x as f32 + 0.5) / grid as f32, (y as f32 + 0.5) / grid as f32));
                }
            }
        }
    }
    a
}

/// The model's input: the photo letterboxed (centred on black) into a square, resized to
/// 128×128, RGB planes scaled to −1…1 (NCHW).
pub fn input_of(img: &DynamicImage) -> Vec<f32> {
    let (w, h) = (img.width().max(1), img.height().max(1));
    let scale = SIDE as f32 / w.max(h) as f32;
    let (nw, nh) =
        (((w as f32 * scale).round() as u32).clamp(1, SIDE), ((h as f32 * scale).round() as u32).clamp(1, SIDE));
    let small = img.resize_exact(nw, nh, image::imageops::FilterType::Triangle).to_rgb8();
    let (ox, oy) = ((SIDE - nw) / 2, (SIDE - nh) / 2);
    let plane = (SIDE * SIDE) as usize;
    // Black (0) is −1 after scaling.
    let mut out = vec![-1.0f32; 3 * plane];
    for (x, y, p) in small.enumerate_pixels() {
        let i = ((y + oy) * SIDE + (x + ox)) as usize;
        for (c, v) in p.0.iter().enumerate() {
            out[c * plane + i] = f32::from(*v) / 127.5 - 1.0;
        }
    }
    out
}

/// Faces from the model's outputs (`regressors` 896×16, `classificators` 896 logits): anchors
/// scoring at least `min_score`, merged by non-maximum suppression at `max_overlap` (IoU).
pub fn decode(regressors: &[f32], logits: &[f32], min_score: f32, max_overlap: f32) -> Vec<Face> {
    let mut found: Vec<Face> = anchors()
        .into_iter()
        .enumerate()
        .filter_map(|(i, (ax, ay))| {
            let logit = *logits.get(i)?;
            let score = 1.0 / (1.0 + (-logit.clamp(-100.0, 100.0)).exp());
            if score.is_nan() || score < min_score {
                return None;
            }
            let r = regressors.get(i * 16..i * 16 + 4)?;
            let side = SIDE as f32;
            Some(Face { score, cx: ax + r[0] / side, cy: ay + r[1] / side, w: r[2] / side, h: r[3] / side })
        })
        .filter(|f| f.w > 0.0 && f.h > 0.0 && f.cx.is_finite() && f.cy.is_finite())
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::new();
    for f in found {
        if kept.iter().all(|k| k.iou(&f) <= max_overlap) {
            kept.push(f);
        }
    }
    kept
}

/// Building and running an ONNX model with tract, shared by the detector and the embedder.
#[cfg(feature = "face")]
pub(crate) mod onnx {
    use super::FaceError;
    use std::sync::Arc;
    use tract_onnx::prelude::*;

    fn err(e: TractError) -> FaceError {
        FaceError::Model(format!("{e:#}"))
    }

    /// An optimized plan for `model` with one input of 1×3×`side`×`side` floats.
    pub fn plan(model: &[u8], side: usize) -> Result<Arc<TypedRunnableModel>, FaceError> {
        tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(model))
            .map_err(err)?
            .with_input_fact(0, f32::fact([1, 3, side, side]).into())
            .map_err(err)?
            .into_optimized()
            .map_err(err)?
            .into_runnable()
            .map_err(err)
    }

    /// Runs `plan` on one 1×3×`side`×`side` input; each output as plain floats.
    pub fn run(plan: &Arc<TypedRunnableModel>, input: Vec<f32>, side: usize) -> Result<Vec<Vec<f32>>, FaceError> {
        let t = Tensor::from_shape(&[1, 3, side, side], &input).map_err(err)?;
        let out = plan.run(tvec!(t.into())).map_err(err)?;
        out.iter().map(|o| Ok(o.to_plain_array_view::<f32>().map_err(err)?.iter().copied().collect())).collect()
    }
}

#[cfg(feature = "face")]
mod model {
    use super::{ANCHORS, FaceError, SIDE, onnx};
    use std::sync::Arc;
    use tract_onnx::prelude::TypedRunnableModel;

    /// BlazeFace short range (MediaPipe), converted to ONNX (see `models/face/README.md`).
    const BLAZEFACE: &[u8] = include_bytes!("../../../../models/face/face_detection_short_range.onnx");

    pub struct Plan(Arc<TypedRunnableModel>);

    impl Plan {
        pub fn load() -> Result<Plan, FaceError> {
            Ok(Plan(onnx::plan(BLAZEFACE, SIDE as usize)?))
        }

        /// Regressors (896×16) and logits (896).
        pub fn run(&self, input: Vec<f32>) -> Result<(Vec<f32>, Vec<f32>), FaceError> {
            let mut out = onnx::run(&self.0, input, SIDE as usize)?.into_iter();
            let (Some(r), Some(c)) = (out.next(), out.next()) else {
                return Err(FaceError::Model("model gave fewer than two outputs".into()));
            };
            if r.len() != ANCHORS * 16 || c.len() != ANCHORS {
                return Err(FaceError::Model(format!("unexpected output sizes {} and {}", r.len(), c.len())));
            }
            Ok((r, c))
        }
    }
}

/// The face detector: one optimized plan, built once, shared by reference.
pub struct Detector {
    #[cfg(feature = "face")]
    plan: model::Plan,
}

impl Detector {
    /// Builds the plan from the embedded model (tens of milliseconds; do it once).
    pub fn load() -> Result<Detector, FaceError> {
        #[cfg(feature = "face")]
        {
            Ok(Detector { plan: model::Plan::load()? })
        }
        #[cfg(not(feature = "face"))]
        {
            Err(FaceError::NotBuilt)
        }
    }

    /// The faces on a decoded photo.
    pub fn faces(&self, img: &DynamicImage, min_score: f32, max_overlap: f32) -> Result<Vec<Face>, FaceError> {
        #[cfg(feature = "face")]
        {
            let (r, c) = self.plan.run(input_of(img))?;
            Ok(decode(&r, &c, min_score, max_overlap))
        }
        #[cfg(not(feature = "face"))]
        {
            let _ = (img, min_score, max_overlap);
            Err(FaceError::NotBuilt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_follow_the_model_layout() {
        let a = anchors();
        assert_eq!(a.len(), ANCHORS);
        // First cell of the 16×16 grid, twice; first cell of the 8×8 grid at index 512.
        assert_eq!(a[0], (0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[1], a[0]);
        assert_eq!(a[2], (1.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[512], (0.5 / 8.0, 0.5 / 8.0));
        assert_eq!(a[895], (7.5 / 8.0, 7.5 / 8.0));
    }

    #[test]
    fn decode_thresholds_and_merges_overlapping_boxes() {
        let mut r = vec![0.0f32; ANCHORS * 16];
        let mut c = vec![-10.0f32; ANCHORS];
        // Anchors 0 and 1 share a centre: one face seen twice (merged); anchor 895 is another.
        for (i, logit) in [(0usize, 3.0f32), (1, 2.0), (895, 1.0)] {
            c[i] = logit;
            r[i * 16 + 2] = 20.0;
            r[i * 16 + 3] = 20.0;
        }
        let faces = decode(&r, &c, 0.6, 0.3);
        assert_eq!(faces.len(), 2, "{faces:?}");
        assert!(faces[0].score > 0.95 && (faces[0].w - 20.0 / 128.0).abs() < 1e-6);
        // Logit 1.0 is a score of 0.73: under a 0.8 threshold only the first face remains.
        assert_eq!(decode(&r, &c, 0.8, 0.3).len(), 1);
        // NaN logits and short outputs are not faces (and do not panic).
        c[5] = f32::NAN;
        assert_eq!(decode(&r, &c, 0.6, 0.3).len(), 2);
        assert!(decode(&r[..3], &c, 0.6, 0.3).is_empty());
    }

    #[test]
    fn input_is_letterboxed_and_scaled() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(256, 128, image::Rgb([255, 0, 255])));
        let x = input_of(&img);
        assert_eq!(x.len(), 3 * 128 * 128);
        // Top rows are the black border (−1); the middle is the picture (red 1, green −1).
        assert_eq!(x[0], -1.0);
        assert!((x[64 * 128 + 64] - 1.0).abs() < 1e-6);
        assert!((x[128 * 128 + 64 * 128 + 64] + 1.0).abs() < 1e-6);
    }

    /// Real photos (public domain, see `tests/fixtures/face/README.md`) through the real model.
    #[cfg(feature = "face")]
    #[test]
    fn detector_counts_faces_on_real_photos() {
        let d = Detector::load().expect("the embedded model loads");
        let count = |bytes: &[u8]| {
            let img = image::load_from_memory(bytes).expect("fixture decodes");
            d.faces(&img, 0.6, 0.3).expect("inference runs")
        };
        let one = count(include_bytes!("../../tests/fixtures/face/face_one.jpg"));
        assert_eq!(one.len(), 1, "{one:?}");
        // The astronaut's face is in the upper middle of the picture.
        assert!(
            one[0].score > 0.8 && (0.35..0.55).contains(&one[0].cx) && (0.15..0.35).contains(&one[0].cy),
            "{one:?}"
        );
        let two = count(include_bytes!("../../tests/fixtures/face/face_two.jpg"));
        assert_eq!(two.len(), 2, "{two:?}");
        let none = count(include_bytes!("../../tests/fixtures/face/face_none.jpg"));
        assert!(none.is_empty(), "{none:?}");
        // A blank picture has no face either.
        let blank = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(200, 300, image::Rgb([120, 120, 120])));
        assert!(d.faces(&blank, 0.6, 0.3).expect("inference runs").is_empty());
    }
}
