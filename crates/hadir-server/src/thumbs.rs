//! Small thumbnails for lists, made on first request and kept in the blob store under the
//! photo's hash. Made lazily, off the check-in path: decoding a photo costs milliseconds of CPU,
//! which the 07:25 rush cannot spare, and most photos are never looked at.
//!
//! Decoding is bounded (issue 17): at most [`DECODERS`] at once (a second request for the same
//! photo waits and then finds the thumbnail made), each with a memory limit, and a photo that
//! failed to decode is remembered so nobody makes the server try again.

use crate::error::ApiError;
use bytes::Bytes;
use hadir_blob::{BlobError, BlobStore};
use std::collections::HashSet;
use std::io::Cursor;
use std::sync::{LazyLock, Mutex};
use tokio::sync::Semaphore;

const MAX_SIDE: u32 = 160;
/// Thumbnails decoded at once.
const DECODERS: usize = 2;
/// Memory one decode may allocate.
const MAX_ALLOC: u64 = 200 * 1024 * 1024;
/// Failed photos remembered (beyond this the memory is cleared; they fail again, bounded).
const MAX_FAILED: usize = 10_000;

static DECODING: Semaphore = Semaphore::const_new(DECODERS);
static FAILED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

fn failed(hash: &str) -> bool {
    FAILED.lock().map(|f| f.contains(hash)).unwrap_or(false)
}

fn remember_failure(hash: &str) {
    if let Ok(mut f) = FAILED.lock() {
        if f.len() >= MAX_FAILED {
            f.clear();
        }
        f.insert(hash.to_string());
    }
}

pub async fn thumbnail(blob: &BlobStore, photo_hash: &str) -> Result<Bytes, ApiError> {
    let key = photo_hash.to_string();
    if failed(&key) {
        return Err(ApiError::not_found("Foto"));
    }
    if let Some(t) = cached(blob, &key).await? {
        return Ok(t);
    }
    let _permit = DECODING.acquire().await.map_err(|_| ApiError::internal())?;
    // Made by another request while this one waited?
    if let Some(t) = cached(blob, &key).await? {
        return Ok(t);
    }
    let photo = blob.get("photos", photo_hash).await.map_err(|_| ApiError::not_found("Foto"))?;
    let thumb = tokio::task::spawn_blocking(move || make(&photo)).await.map_err(|_| ApiError::internal())?;
    let Some(thumb) = thumb else {
        tracing::warn!(photo = %key, "thumbnail: the photo does not decode within limits; remembered");
        remember_failure(&key);
        return Err(ApiError::not_found("Foto"));
    };
    // Stored under the photo's hash (not the thumbnail's) so it is found next time.
    blob.put_named("thumbs", &key, thumb.clone()).await.map_err(|_| ApiError::internal())?;
    Ok(thumb)
}

async fn cached(blob: &BlobStore, key: &str) -> Result<Option<Bytes>, ApiError> {
    match blob.get("thumbs", key).await {
        Ok(b) => Ok(Some(b)),
        Err(BlobError::NotFound) => Ok(None),
        Err(_) => Err(ApiError::not_found("Foto")),
    }
}

fn make(photo: &[u8]) -> Option<Bytes> {
    let mut reader = image::ImageReader::new(Cursor::new(photo)).with_guessed_format().ok()?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    limits.max_image_width = Some(10_000);
    limits.max_image_height = Some(10_000);
    reader.limits(limits);
    let img = reader.decode().ok()?;
    let small = img.thumbnail(MAX_SIDE, MAX_SIDE).to_rgb8();
    let mut out = Cursor::new(Vec::new());
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70);
    small.write_with_encoder(enc).ok()?;
    Some(Bytes::from(out.into_inner()))
}
