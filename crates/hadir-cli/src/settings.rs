//! Configuration: defaults → TOML file → `HADIR_*` environment → command-line flags (figment).

use crate::GlobalArgs;
use anyhow::{Context, Result, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use hadir_blob::BlobStore;
use hadir_server::ServerConfig;
use hadir_store::Store;
use hadir_store_postgres::PgStore;
use hadir_store_sqlite::SqliteStore;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

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

    pub async fn open(&self) -> Result<Opened> {
        std::fs::create_dir_all(&self.data)
            .with_context(|| format!("cannot create data directory {}", self.data.display()))?;
        let url =
            self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data.join("hadir.db").display()));
        let blob = match &self.blob_url {
            Some(url) => BlobStore::from_url_with(url, &self.s3, self.blob_layout)
                .with_context(|| format!("cannot open blob store {url}"))?,
            None => BlobStore::local_with(&self.data.join("blobs"), self.blob_layout)?,
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

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://hadir:s3cret@db:5432/hadir"), "postgres://hadir:***@db:5432/hadir");
        assert_eq!(redact("postgres://hadir@db/hadir"), "postgres://hadir@db/hadir");
        assert_eq!(redact("sqlite://data/hadir.db"), "sqlite://data/hadir.db");
    }
}
