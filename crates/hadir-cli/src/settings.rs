//! Configuration: defaults → TOML file → `HADIR_*` environment → command-line flags (figment).

use crate::GlobalArgs;
use anyhow::{Context, Result, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use hadir_blob::{BlobStore, SegmentOptions};
use hadir_server::ServerConfig;
use hadir_store::Store;
use hadir_store_postgres::PgStore;
use hadir_store_sqlite::SqliteStore;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// The default of [`Settings::blob_index_entries`].
pub const DEFAULT_BLOB_INDEX_ENTRIES: usize = 500_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub data: PathBuf,
    pub database_url: Option<String>,
    /// Where photos and evidence go: `s3://bucket/prefix`, or local files (default `DATA/blobs`).
    pub blob_url: Option<String>,
    /// Settings of the S3-compatible store named by `blob_url`.
    pub s3: hadir_blob::S3Settings,
    /// How a local blob store keeps new photos: `segments` (default; appended to segment files,
    /// one fsync per batch) or `files` (one file per photo). Both are always read.
    pub blob_layout: hadir_blob::LocalLayout,
    /// At most this many photos in the segment store's in-memory index (`HADIR_BLOB_INDEX_ENTRIES`);
    /// older segments are then looked up through their on-disk index footer (a binary search per
    /// segment), which costs reads of old photos and the retention purge a little more, not
    /// check-ins. An entry takes ~20–40 bytes, so the default 500,000 bounds the index at
    /// ~10–20 MB while holding about 12 working days of a 20,000-person regency (~40,000 photos
    /// a day), the window in which photos are reviewed and retried check-ins deduplicated.
    pub blob_index_entries: usize,
    pub listen: String,
    pub server: ServerConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data: PathBuf::from("hadir-data"),
            database_url: None,
            blob_url: None,
            s3: hadir_blob::S3Settings::default(),
            blob_layout: hadir_blob::LocalLayout::default(),
            blob_index_entries: DEFAULT_BLOB_INDEX_ENTRIES,
            listen: "127.0.0.1:8080".into(),
            server: ServerConfig::default(),
        }
    }
}

/// Flags given on the command line (only those present override).
#[derive(Serialize)]
struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<String>,
}

pub struct Opened {
    pub store: Arc<dyn Store>,
    pub sqlite: Option<SqliteStore>,
    pub blob: BlobStore,
}

impl Settings {
    pub fn load(g: &GlobalArgs, listen: Option<String>) -> Result<Settings> {
        let data_dir = g.data.clone().unwrap_or_else(|| PathBuf::from("hadir-data"));
        let file = g.config.clone().or_else(|| {
            let p = data_dir.join("hadir.toml");
            p.exists().then_some(p)
        });
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(f) = &file {
            if !f.exists() {
                bail!("configuration file {} not found", f.display());
            }
            fig = fig.merge(Toml::file(f));
        }
        // Nested keys from the environment: HADIR_SERVER__REGENCY_NAME=…
        fig = fig.merge(Env::prefixed("HADIR_").split("__").ignore(&["config", "log"]));
        fig = fig.merge(Serialized::defaults(Overrides {
            data: g.data.clone(),
            database_url: g.database_url.clone(),
            listen,
        }));
        fig.extract().context("invalid configuration")
    }

    /// How the local segment store opens.
    pub fn segment_options(&self) -> SegmentOptions {
        SegmentOptions { max_index_entries: self.blob_index_entries, ..Default::default() }
    }

    /// The directory of the local blob store (`None` when photos are in S3).
    pub fn blob_root(&self) -> Option<PathBuf> {
        match &self.blob_url {
            Some(url) => hadir_blob::local_root_of(url),
            None => Some(self.data.join("blobs")),
        }
    }

    pub async fn open(&self) -> Result<Opened> {
        std::fs::create_dir_all(&self.data)
            .with_context(|| format!("cannot create data directory {}", self.data.display()))?;
        let url =
            self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data.join("hadir.db").display()));
        let opts = self.segment_options();
        let blob = match &self.blob_url {
            Some(url) => BlobStore::from_url_with_options(url, &self.s3, self.blob_layout, opts)
                .with_context(|| format!("cannot open blob store {url}"))?,
            None => BlobStore::local_opened_with(&self.data.join("blobs"), self.blob_layout, opts)?.0,
        };
        match Backend::of(&url)? {
            Backend::Sqlite => {
                let sqlite = SqliteStore::connect(&url).await.with_context(|| format!("cannot open {url}"))?;
                Ok(Opened { store: Arc::new(sqlite.clone()), sqlite: Some(sqlite), blob })
            }
            Backend::Postgres => {
                let pg = PgStore::connect(&url).await.with_context(|| format!("cannot open {}", redact(&url)))?;
                Ok(Opened { store: Arc::new(pg), sqlite: None, blob })
            }
        }
    }
}

/// The store a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            bail!("unsupported database URL '{}' (use sqlite://FILE or postgres://…)", redact(url))
        }
    }
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let auth_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@')
            && let Some(colon) = rest[..at].find(':')
        {
            return format!("{}{}:***{}", &url[..scheme_end + 3], &rest[..colon], &rest[at..]);
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(Backend::of("sqlite://x/hadir.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("postgres://u:p@db/hadir").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of("postgresql://db/hadir").unwrap(), Backend::Postgres);
        let err = Backend::of("mysql://u:secret@db/x").unwrap_err().to_string();
        assert!(err.contains("unsupported") && !err.contains("secret"), "{err}");
    }

    #[tokio::test]
    async fn the_index_cap_reaches_the_segment_store() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // Six photos in six sealed segments (each put rolls to a new one).
        let opts = SegmentOptions { max_segment_bytes: 100, ..Default::default() };
        let (b, _) =
            BlobStore::local_opened_with(&data.join("blobs"), hadir_blob::LocalLayout::Segments, opts).unwrap();
        let mut hashes = Vec::new();
        for i in 0..6u8 {
            hashes.push(b.put("photos", bytes::Bytes::from(vec![i; 80])).await.unwrap());
        }
        drop(b);
        let config = dir.path().join("hadir.toml");
        let g = GlobalArgs { data: Some(data.clone()), config: Some(config.clone()), ..Default::default() };

        // Unset: the bounded default, and all six fit in memory.
        std::fs::write(&config, "").unwrap();
        let s = Settings::load(&g, None).unwrap();
        assert_eq!(s.blob_index_entries, DEFAULT_BLOB_INDEX_ENTRIES);
        assert_eq!(s.blob_layout, hadir_blob::LocalLayout::Segments, "segments are the default");
        assert_eq!(s.open().await.unwrap().blob.segment_index_len(), 6);

        std::fs::write(&config, "blob_index_entries = 2\n").unwrap();
        let s = Settings::load(&g, None).unwrap();
        assert_eq!(s.segment_options().max_index_entries, 2);
        let blob = s.open().await.unwrap().blob;
        assert!(blob.segment_index_len() <= 2, "{}", blob.segment_index_len());
        for (i, h) in hashes.iter().enumerate() {
            assert_eq!(blob.get("photos", h).await.unwrap(), vec![i as u8; 80], "photo {i}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://hadir:s3cret@db:5432/hadir"), "postgres://hadir:***@db:5432/hadir");
        assert_eq!(redact("postgres://hadir@db/hadir"), "postgres://hadir@db/hadir");
        assert_eq!(redact("sqlite://data/hadir.db"), "sqlite://data/hadir.db");
    }
}
