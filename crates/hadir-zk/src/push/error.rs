//! Errors of the PUSH codec.

use thiserror::Error;

/// A request the server must refuse (answer with an HTTP error, log it).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PushError {
    #[error("parameter SN tidak ada")]
    MissingSerial,
    #[error("SN tidak sah: {0:?}")]
    InvalidSerial(String),
    #[error("badan ATTPHOTO tanpa pemisah NUL")]
    PhotoMissingNul,
    #[error("header ATTPHOTO tanpa PIN")]
    PhotoMissingPin,
}

/// Why one line of a body was skipped. The rest of the body is still used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineErrorKind {
    #[error("PIN kosong atau tidak sah")]
    BadPin,
    #[error("waktu tidak sah (harus YYYY-MM-DD HH:MM:SS)")]
    BadTime,
    #[error("field {field} bukan angka")]
    NotANumber { field: &'static str },
    #[error("field wajib {field} tidak ada")]
    MissingField { field: &'static str },
    #[error("templat sidik jari/wajah rusak atau terlalu panjang")]
    BadTemplate,
    #[error("baris tidak dikenal")]
    Unrecognised,
}

/// One malformed line: 1-based line number, reason and an excerpt of it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("baris {line}: {kind} ({excerpt:?})")]
pub struct LineError {
    pub line: usize,
    pub kind: LineErrorKind,
    pub excerpt: String,
}

impl LineError {
    pub(crate) fn new(line: usize, kind: LineErrorKind, text: &str) -> Self {
        Self { line, kind, excerpt: crate::util::excerpt(text, 80) }
    }
}
