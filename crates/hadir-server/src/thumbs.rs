//! Small thumbnails for lists, made on first request and kept in the blob store under the
//! photo's hash. Made lazily, off the check-in path: decoding a photo costs milliseconds of CPU,
//! which the 07:25 rush cannot spare, and most photos are never looked at.

use crate::error::ApiError;
use bytes::Bytes;
use hadir_blob::{BlobError, BlobStore};
use std::io::Cursor;

const MAX_SIDE: u32 = 160;

pub async fn thumbnail(blob: &BlobStore, photo_hash: &str) -> Result<Bytes, ApiError> {
    let key = photo_hash.to_string();
    match blob.get("thumbs", &key).await {
        Ok(b) => return Ok(b),
        Err(BlobError::NotFound) => {}
        Err(_) => return Err(ApiError::not_found("Foto")),
    }
    let photo = blob.get("photos", photo_hash).await.map_err(|_| ApiError::not_found("Foto"))?;
    let thumb = tokio::task::spawn_blocking(move || make(&photo)).await.map_err(|_| ApiError::internal())?;
    let thumb = thumb.ok_or_else(|| ApiError::not_found("Foto"))?;
    // Stored under the photo's hash (not the thumbnail's) so it is found next time.
    blob.put_named("thumbs", &key, thumb.clone()).await.map_err(|_| ApiError::internal())?;
    Ok(thumb)
}

fn make(photo: &[u8]) -> Option<Bytes> {
    let img = image::load_from_memory(photo).ok()?;
    let small = img.thumbnail(MAX_SIDE, MAX_SIDE).to_rgb8();
    let mut out = Cursor::new(Vec::new());
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70);
    small.write_with_encoder(enc).ok()?;
    Some(Bytes::from(out.into_inner()))
}
