//! TCP framing: `50 50 82 7D`, u32 LE payload length, payload. UDP carries
//! the payload bare.

use super::error::BinaryError;

pub const TCP_MAGIC: [u8; 4] = [0x50, 0x50, 0x82, 0x7d];

/// Default bound on a frame's payload. The largest legitimate frame is a
/// buffered-read chunk (≤ 0xFFC0 + header); inline datasets of old firmware
/// are smaller. 1 MiB leaves room and stops a corrupt length from making us
/// buffer gigabytes.
pub const DEFAULT_MAX_FRAME: u32 = 1 << 20;

/// Wraps a payload for TCP.
pub fn tcp_frame(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&TCP_MAGIC);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Incremental TCP decoder: feed whatever the socket returned, take complete
/// payloads out. After an error the stream is out of sync: reconnect.
#[derive(Debug, Clone)]
pub struct TcpDecoder {
    buf: Vec<u8>,
    max_frame: u32,
}

impl Default for TcpDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME)
    }
}

impl TcpDecoder {
    pub fn new(max_frame: u32) -> Self {
        Self { buf: Vec::new(), max_frame }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete payload, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, BinaryError> {
        // Check the magic as soon as its bytes arrive, not only when a whole
        // header is there, so garbage is rejected early.
        let seen = self.buf.len().min(TCP_MAGIC.len());
        if self.buf.get(..seen) != TCP_MAGIC.get(..seen) {
            return Err(BinaryError::BadMagic);
        }
        let Some(len_bytes) = self.buf.get(4..8) else {
            return Ok(None);
        };
        let mut le = [0u8; 4];
        le.copy_from_slice(len_bytes);
        let len = u32::from_le_bytes(le);
        if len > self.max_frame {
            return Err(BinaryError::FrameTooLarge { len, max: self.max_frame });
        }
        // `len` ≤ max_frame ≤ u32::MAX, so it fits in usize on our targets.
        let end = 8 + usize::try_from(len).unwrap_or(usize::MAX - 8);
        if self.buf.len() < end {
            return Ok(None);
        }
        let payload = self.buf.get(8..end).unwrap_or_default().to_vec();
        self.buf.drain(..end);
        Ok(Some(payload))
    }
}
