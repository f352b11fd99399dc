//! Errors of the binary codec.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BinaryError {
    #[error("paket terlalu pendek: {len} byte (minimal {min})")]
    TooShort { len: usize, min: usize },
    #[error("awalan TCP salah (bukan 50 50 82 7D): aliran tidak sinkron")]
    BadMagic,
    #[error("panjang bingkai TCP {len} melebihi batas {max}")]
    FrameTooLarge { len: u32, max: u32 },
    #[error("waktu perangkat tidak sah: {0}")]
    BadTime(u32),
    #[error("waktu di luar rentang yang bisa dikodekan (2000–2136)")]
    TimeOutOfRange,
    #[error("ukuran rekaman {0} byte tidak dikenal")]
    UnknownRecordSize(u32),
    #[error("balasan tak terduga: perintah {0}")]
    UnexpectedReply(u16),
    #[error("data potongan melebihi ukuran yang diumumkan ({got} > {expected})")]
    ChunkOverflow { got: usize, expected: usize },
    #[error("data potongan kurang ({got} < {expected})")]
    ChunkShort { got: usize, expected: usize },
    #[error("field {field} tidak bisa dikodekan: {reason}")]
    Encode { field: &'static str, reason: &'static str },
}
