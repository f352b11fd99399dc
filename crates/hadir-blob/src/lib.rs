//! Content-addressed storage for photos and evidence files.
//!
//! Objects are named by the SHA-256 of their bytes (`photos/ab/cd/abcd…`), so storing the same
//! photo twice (a retried check-in) writes nothing new and names can never collide. The backend is
//! `object_store`: local files under the data directory by default, or an S3-compatible bucket
//! (`s3://bucket/prefix`) shared by several server instances.
//!
//! Local layout ([`LocalLayout`]): with `segments` (the default) new objects are appended to
//! segment files (`segments/000001.seg`, see the `segments` module): a put returns once the
//! record is on disk, and concurrent puts share one `fdatasync` (group commit). With `files` each
//! object is its own file (`photos/ab/cd/abcd…`), not synced one by one: the ingest writer calls
//! [`BlobStore::sync`] once per batch before it commits the punches that reference the photos.
//! Reads look in the segments first, then in the files, so a data directory written with either
//! layout (or both) stays readable. Named derived objects (thumbnails) are always files.
//! [`BlobStore::export_segments_to_files`] writes what the segments hold as per-object files
//! (for `aws s3 sync` when a regency moves to S3).

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod segments;
use segments::Segments;
pub use segments::{ExportReport, MAX_SEGMENT_BYTES, OpenReport, SegmentOptions};

/// How the local backend stores new objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocalLayout {
    /// Appended to segment files, one fsync per batch of concurrent puts (the default: about a
    /// quarter less server CPU per check-in than `files`, BENCHMARKS.md). Start-up reads the
    /// segments' footers; the in-memory index is capped by [`SegmentOptions::max_index_entries`];
    /// [`BlobStore::export_segments_to_files`] makes per-object files for a move to S3.
    #[default]
    Segments,
    /// One file per object, synced once per batch with `syncfs`.
    Files,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object not found")]
    NotFound,
    #[error("invalid object name")]
    BadName,
    #[error("blob storage failed: {0}")]
    Backend(String),
}

pub type Result<T> = std::result::Result<T, BlobError>;

/// Settings of an S3-compatible store; unset fields fall back to the usual `AWS_*` environment
/// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`, …).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct S3Settings {
    /// e.g. `http://127.0.0.1:9000` for MinIO or another S3-compatible server.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Allow plain HTTP to the endpoint (a server on the same private network).
    pub allow_http: Option<bool>,
}

#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// Root directory for the local backend (used to sync the file system).
    local_root: Option<PathBuf>,
    /// The local segment store (always read; written when the layout is `segments`).
    segments: Option<Arc<Segments>>,
    layout: LocalLayout,
}

/// The SHA-256 of `bytes` as lowercase hex: the object's name.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn object_path(kind: &str, hash: &str) -> Result<ObjPath> {
    let ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if !ok || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return Err(BlobError::BadName);
    }
    Ok(ObjPath::from(format!("{kind}/{}/{}/{hash}", &hash[0..2], &hash[2..4])))
}

impl BlobStore {
    /// Local storage under `root` (created if missing), new objects in segments.
    pub fn local(root: &Path) -> Result<BlobStore> {
        BlobStore::local_with(root, LocalLayout::default())
    }

    /// Local storage under `root` with the given layout for new objects.
    pub fn local_with(root: &Path, layout: LocalLayout) -> Result<BlobStore> {
        Ok(BlobStore::local_opened(root, layout, MAX_SEGMENT_BYTES)?.0)
    }

    /// As [`local_with`](Self::local_with), with the segment size cap and what the segment scan
    /// found (tests, and the log at start).
    pub fn local_opened(root: &Path, layout: LocalLayout, max_segment_bytes: u64) -> Result<(BlobStore, OpenReport)> {
        BlobStore::local_opened_with(root, layout, SegmentOptions { max_segment_bytes, ..Default::default() })
    }

    /// As [`local_opened`](Self::local_opened) with every segment option (measurements).
    pub fn local_opened_with(
        root: &Path,
        layout: LocalLayout,
        opts: SegmentOptions,
    ) -> Result<(BlobStore, OpenReport)> {
        std::fs::create_dir_all(root).map_err(|e| BlobError::Backend(e.to_string()))?;
        let fs = LocalFileSystem::new_with_prefix(root).map_err(|e| BlobError::Backend(e.to_string()))?;
        let (segments, report) = Segments::open(root, opts)?;
        let store = BlobStore {
            inner: Arc::new(fs),
            local_root: Some(root.to_path_buf()),
            segments: Some(Arc::new(segments)),
            layout,
        };
        Ok((store, report))
    }

    /// An S3-compatible bucket: `s3://bucket` or `s3://bucket/prefix`. Puts are durable when
    /// acknowledged, so [`sync`](Self::sync) has nothing to do.
    pub fn s3(url: &str, settings: &S3Settings) -> Result<BlobStore> {
        use object_store::aws::AmazonS3Builder;
        let rest = url.strip_prefix("s3://").ok_or(BlobError::BadName)?;
        let (bucket, prefix) = match rest.split_once('/') {
            Some((b, p)) => (b, p.trim_matches('/')),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return Err(BlobError::Backend(format!("no bucket in {url:?}")));
        }
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(v) = &settings.endpoint {
            // Path-style addressing (`endpoint/bucket/key`): what S3-compatible servers expect.
            b = b.with_endpoint(v).with_virtual_hosted_style_request(false);
        }
        if let Some(v) = &settings.region {
            b = b.with_region(v);
        }
        if let Some(v) = &settings.access_key_id {
            b = b.with_access_key_id(v);
        }
        if let Some(v) = &settings.secret_access_key {
            b = b.with_secret_access_key(v);
        }
        if let Some(v) = settings.allow_http {
            b = b.with_allow_http(v);
        }
        let s3 = b.build().map_err(|e| BlobError::Backend(e.to_string()))?;
        let inner: Arc<dyn ObjectStore> =
            if prefix.is_empty() { Arc::new(s3) } else { Arc::new(object_store::prefix::PrefixStore::new(s3, prefix)) };
        Ok(BlobStore { inner, local_root: None, segments: None, layout: LocalLayout::Files })
    }

    /// Local storage (`file:///path` or a plain path) or S3 (`s3://bucket/prefix`).
    pub fn from_url(url: &str, s3: &S3Settings) -> Result<BlobStore> {
        BlobStore::from_url_with(url, s3, LocalLayout::default())
    }

    /// As [`from_url`](Self::from_url) with the layout of a local store.
    pub fn from_url_with(url: &str, s3: &S3Settings, layout: LocalLayout) -> Result<BlobStore> {
        BlobStore::from_url_with_options(url, s3, layout, SegmentOptions::default())
    }

    /// As [`from_url_with`](Self::from_url_with) with the segment options of a local store
    /// (the server's index cap).
    pub fn from_url_with_options(
        url: &str,
        s3: &S3Settings,
        layout: LocalLayout,
        opts: SegmentOptions,
    ) -> Result<BlobStore> {
        match local_root_of(url) {
            None => BlobStore::s3(url, s3),
            Some(root) => Ok(BlobStore::local_opened_with(&root, layout, opts)?.0),
        }
    }

    /// Any `object_store` implementation (e.g. S3 for scale-out).
    pub fn from_object_store(inner: Arc<dyn ObjectStore>) -> BlobStore {
        BlobStore { inner, local_root: None, segments: None, layout: LocalLayout::Files }
    }

    fn segments_for_writes(&self) -> Option<&Arc<Segments>> {
        self.segments.as_ref().filter(|_| self.layout == LocalLayout::Segments)
    }

    /// Stores `bytes` under their hash in `kind` (e.g. `photos`) and returns the hash.
    pub async fn put(&self, kind: &str, bytes: Bytes) -> Result<String> {
        let hash = content_hash(&bytes);
        let path = object_path(kind, &hash)?;
        if let Some(seg) = self.segments_for_writes() {
            seg.put(kind, &raw_hash(&hash)?, &bytes).await?;
            return Ok(hash);
        }
        // Content addressing: an existing object already holds exactly these bytes.
        if self.inner.head(&path).await.is_ok() {
            return Ok(hash);
        }
        self.inner.put(&path, PutPayload::from_bytes(bytes)).await.map_err(|e| BlobError::Backend(e.to_string()))?;
        Ok(hash)
    }

    /// Stores derived bytes under a given content name (e.g. a thumbnail under its photo's hash).
    pub async fn put_named(&self, kind: &str, name: &str, bytes: Bytes) -> Result<()> {
        let path = object_path(kind, name)?;
        self.inner.put(&path, PutPayload::from_bytes(bytes)).await.map_err(|e| BlobError::Backend(e.to_string()))?;
        Ok(())
    }

    pub async fn get(&self, kind: &str, hash: &str) -> Result<Bytes> {
        let path = object_path(kind, hash)?;
        if let Some(seg) = &self.segments {
            let (seg, kind2, raw) = (seg.clone(), kind.to_string(), raw_hash(hash)?);
            let found = tokio::task::spawn_blocking(move || seg.get(&kind2, &raw))
                .await
                .map_err(|e| BlobError::Backend(e.to_string()))??;
            if let Some(b) = found {
                return Ok(Bytes::from(b));
            }
        }
        match self.inner.get(&path).await {
            Ok(r) => r.bytes().await.map_err(|e| BlobError::Backend(e.to_string())),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound),
            Err(e) => Err(BlobError::Backend(e.to_string())),
        }
    }

    /// Deletes an object (the retention purge). Deleting a missing object is not an error, so a
    /// purge interrupted after the delete can simply run again.
    pub async fn delete(&self, kind: &str, hash: &str) -> Result<()> {
        let path = object_path(kind, hash)?;
        if let Some(seg) = &self.segments {
            let (seg, kind2, raw) = (seg.clone(), kind.to_string(), raw_hash(hash)?);
            tokio::task::spawn_blocking(move || seg.delete(&kind2, &raw))
                .await
                .map_err(|e| BlobError::Backend(e.to_string()))??;
        }
        match self.inner.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(BlobError::Backend(e.to_string())),
        }
    }

    /// Writes every live object held in the segments under `root` as its own file under `dest`
    /// (where the `files` layout keeps it, e.g. `dest/photos/ab/cd/abcd…`), skipping files that
    /// already hold the same bytes, and makes them durable; deleted records are not exported.
    /// Read-only on the segments, so it may run while a server uses `root` (blocking: call it
    /// from a blocking thread). Then per-object tools (`aws s3 sync`) can copy `dest`.
    pub fn export_segments_to_files(root: &Path, dest: &Path) -> Result<ExportReport> {
        segments::export_to_files(root, dest)
    }

    /// Objects the in-memory segment index holds (bounded by
    /// [`SegmentOptions::max_index_entries`] plus the segments not sealed yet): tests, metrics.
    pub fn segment_index_len(&self) -> usize {
        self.segments.as_ref().map_or(0, |s| s.indexed())
    }

    /// Whether an object exists.
    pub async fn exists(&self, kind: &str, hash: &str) -> Result<bool> {
        let path = object_path(kind, hash)?;
        if let Some(seg) = &self.segments
            && seg.exists(kind, &raw_hash(hash)?)?
        {
            return Ok(true);
        }
        match self.inner.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(BlobError::Backend(e.to_string())),
        }
    }

    /// Makes every completed put durable. Segments: nothing to do (puts are durable). Local files: one `syncfs` of the file system holding
    /// the root (one call for a whole batch of photos). Remote stores are durable on put.
    pub async fn sync(&self) -> Result<()> {
        let Some(root) = self.local_root.clone() else {
            return Ok(());
        };
        if self.layout == LocalLayout::Segments {
            // Every segment put was durable before it returned.
            return Ok(());
        }
        tokio::task::spawn_blocking(move || sync_filesystem(&root))
            .await
            .map_err(|e| BlobError::Backend(e.to_string()))?
    }
}

/// The directory a local blob URL (`file:///path` or a plain path) names; `None` for S3.
pub fn local_root_of(url: &str) -> Option<PathBuf> {
    if url.starts_with("s3://") {
        return None;
    }
    Some(PathBuf::from(url.strip_prefix("file://").unwrap_or(url)))
}

/// The 32 bytes of a (checked, lowercase hex) object name.
fn raw_hash(hash: &str) -> Result<[u8; 32]> {
    let mut raw = [0u8; 32];
    hex::decode_to_slice(hash, &mut raw).map_err(|_| BlobError::BadName)?;
    Ok(raw)
}

#[cfg(target_os = "linux")]
pub(crate) fn sync_filesystem(root: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    let dir = std::fs::File::open(root).map_err(|e| BlobError::Backend(e.to_string()))?;
    // SAFETY: syncfs only reads the descriptor, which stays open for the call.
    let rc = unsafe { syncfs(dir.as_raw_fd()) };
    if rc != 0 {
        return Err(BlobError::Backend(std::io::Error::last_os_error().to_string()));
    }
    Ok(())
}

#[cfg(target_os = "linux")]
unsafe extern "C" {
    fn syncfs(fd: std::os::raw::c_int) -> std::os::raw::c_int;
}

#[cfg(not(target_os = "linux"))]
fn sync_filesystem(_root: &Path) -> Result<()> {
    // Elsewhere fall back to a full sync, which is correct if slower.
    std::process::Command::new("sync").status().map_err(|e| BlobError::Backend(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_roundtrip_and_dedup() {
        let dir = tempfile::tempdir().unwrap();
        let b = BlobStore::local_with(dir.path(), LocalLayout::Files).unwrap();
        let h1 = b.put("photos", Bytes::from_static(b"jpeg bytes")).await.unwrap();
        let h2 = b.put("photos", Bytes::from_static(b"jpeg bytes")).await.unwrap();
        assert_eq!(h1, h2);
        assert_eq!(h1, content_hash(b"jpeg bytes"));
        assert_eq!(&b.get("photos", &h1).await.unwrap()[..], b"jpeg bytes");
        b.sync().await.unwrap();
        assert!(dir.path().join("photos").join(&h1[0..2]).join(&h1[2..4]).join(&h1).exists());
    }

    #[tokio::test]
    async fn bad_names_and_missing_objects() {
        let dir = tempfile::tempdir().unwrap();
        let b = BlobStore::local(dir.path()).unwrap();
        assert!(matches!(b.get("photos", "../etc/passwd").await, Err(BlobError::BadName)));
        assert!(matches!(b.get("../x", &"a".repeat(64)).await, Err(BlobError::BadName)));
        assert!(matches!(b.get("photos", &"a".repeat(64)).await, Err(BlobError::NotFound)));
    }

    #[tokio::test]
    async fn delete_removes_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let b = BlobStore::local(dir.path()).unwrap();
        let h = b.put("photos", Bytes::from_static(b"selfie")).await.unwrap();
        assert!(b.exists("photos", &h).await.unwrap());
        b.delete("photos", &h).await.unwrap();
        assert!(!b.exists("photos", &h).await.unwrap());
        assert!(matches!(b.get("photos", &h).await, Err(BlobError::NotFound)));
        b.delete("photos", &h).await.unwrap();
        assert!(matches!(b.delete("photos", "../x").await, Err(BlobError::BadName)));
    }
}
