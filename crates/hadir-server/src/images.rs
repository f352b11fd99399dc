//! Image size checks from the header alone (issue 17): a 470 KB PNG may declare 11000×11000
//! pixels and decode into ~460 MB, so photos and evidence images are refused by their declared
//! pixel count before anything decodes them.

use crate::error::ApiError;
use std::io::Cursor;

/// The pixel count an image's header declares, read without decoding the pixels; `None` when
/// the header cannot be read.
pub fn declared_pixels(bytes: &[u8]) -> Option<u64> {
    let reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    let (w, h) = reader.into_dimensions().ok()?;
    Some(u64::from(w) * u64::from(h))
}

/// Refuses an image whose header declares more than `max` pixels. One whose header does not
/// declare a size is let through (its type was sniffed already; it is stored, never decoded on
/// the request path, and a thumbnail of it fails once and is remembered).
pub fn check_pixels(bytes: &[u8], max: u64, what: &str) -> Result<(), ApiError> {
    match declared_pixels(bytes) {
        Some(px) if px <= max => Ok(()),
        Some(px) => Err(ApiError::unprocessable(
            "image_too_large",
            format!(
                "{what} terlalu besar: {:.1} megapiksel (batas {:.1} megapiksel). Kecilkan gambar lalu kirim lagi.",
                px as f64 / 1e6,
                max as f64 / 1e6
            ),
        )
        .with_details(serde_json::json!({"pixels": px, "max_pixels": max}))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::new(w, h);
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// The PNG chunk checksum (CRC-32, polynomial 0xEDB88320).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }

    #[test]
    fn header_only() {
        let small = png(40, 30);
        assert_eq!(declared_pixels(&small), Some(1200));
        assert!(check_pixels(&small, 1200, "Foto").is_ok());
        assert_eq!(check_pixels(&small, 1199, "Foto").unwrap_err().code, "image_too_large");
        // A PNG header claiming 11000×11000 with no pixel data at all: read, refused, not decoded.
        let mut huge = small.clone();
        huge[16..20].copy_from_slice(&11000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&11000u32.to_be_bytes());
        let crc = crc32(&huge[12..29]);
        huge[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(declared_pixels(&huge), Some(121_000_000));
        assert!(check_pixels(b"\xFF\xD8\xFF\xE0 no frame header", 10, "Foto").is_ok());
    }
}
