//! Errors of the relay library (the binary's edge turns them into `anyhow`).

use thiserror::Error;

/// Talking to one terminal over port 4370.
#[derive(Debug, Error)]
pub enum ClientError {
    #[error("tidak bisa menghubungi {address}: {source}")]
    Connect { address: String, source: std::io::Error },
    #[error("alamat {0} tidak dikenal")]
    Resolve(String),
    #[error("jaringan: {0}")]
    Io(#[from] std::io::Error),
    #[error("waktu habis menunggu perangkat ({0})")]
    Timeout(&'static str),
    #[error("perangkat menutup koneksi")]
    Closed,
    #[error("protokol: {0}")]
    Protocol(#[from] hadir_zk::binary::BinaryError),
    #[error("kunci komunikasi (comm key) ditolak perangkat")]
    Unauthorized,
    #[error("perangkat menolak perintah {command} (balasan {reply})")]
    Refused { command: u16, reply: u16 },
    #[error("data perangkat tidak konsisten: {0}")]
    Inconsistent(String),
}

/// Configuration problems, reported before anything starts.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("berkas konfigurasi {0} tidak ada")]
    Missing(String),
    #[error("konfigurasi tidak sah: {0}")]
    Parse(String),
    #[error("konfigurasi tidak sah: {0}")]
    Invalid(String),
}

/// The local SQLite buffer.
#[derive(Debug, Error)]
pub enum BufferError {
    #[error("penyangga lokal (SQLite): {0}")]
    Sqlite(#[from] sqlx::Error),
    #[error("penyangga lokal: {0}")]
    Io(#[from] std::io::Error),
}

/// Talking to the Hadir server.
#[derive(Debug, Error)]
pub enum ServerError {
    #[error("server tidak terjangkau: {0}")]
    Http(#[from] reqwest::Error),
    #[error("token relay ditolak server (401)")]
    Unauthorized,
    #[error("server sibuk (503)")]
    Busy { retry_after: Option<std::time::Duration> },
    #[error("server menjawab {status}: {body}")]
    Status { status: u16, body: String },
}

/// Starting the relay.
#[derive(Debug, Error)]
pub enum RelayError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Buffer(#[from] BufferError),
    #[error("halaman status tidak bisa dibuka di {address}: {source}")]
    Listen { address: String, source: std::io::Error },
    #[error("klien HTTP: {0}")]
    Http(#[from] reqwest::Error),
}
