//! Buffered reads (1503 prepare, 1504 read chunk, 1500/1501/2000 replies,
//! 1502 free): how datasets larger than one packet are fetched.

use super::bytes::u32_at;
use super::consts::{CMD_ACK_OK, CMD_ATTLOG_RRQ, CMD_DATA, CMD_PREPARE_DATA, CMD_USERTEMP_RRQ, FCT_USER};
use super::error::BinaryError;
use super::packet::Packet;

/// Largest chunk to ask for over TCP (as the SDK does).
pub const MAX_CHUNK_TCP: u32 = 0xFFC0;
/// Over UDP the terminal splits a chunk into 1 KiB datagrams; keep chunks
/// small so a lost datagram costs little.
pub const MAX_CHUNK_UDP: u32 = 16 * 1024;

/// Data of `CMD_PREPARE_BUFFER` (1503): `01`, command u16, fct i32, ext i32.
pub fn prepare_buffer_request(command: u16, fct: i32, ext: i32) -> [u8; 11] {
    let mut out = [0u8; 11];
    out[0] = 1;
    out[1..3].copy_from_slice(&command.to_le_bytes());
    out[3..7].copy_from_slice(&fct.to_le_bytes());
    out[7..11].copy_from_slice(&ext.to_le_bytes());
    out
}

/// `01 0d00 00000000 00000000`: the whole attendance log.
pub fn prepare_attlog_request() -> [u8; 11] {
    prepare_buffer_request(CMD_ATTLOG_RRQ, 0, 0)
}

/// `01 0900 05000000 00000000`: all users.
pub fn prepare_users_request() -> [u8; 11] {
    prepare_buffer_request(CMD_USERTEMP_RRQ, FCT_USER, 0)
}

/// Data of `CMD_READ_BUFFER` (1504): `start i32, len i32`.
pub fn read_buffer_request(start: u32, len: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&start.to_le_bytes());
    out[4..].copy_from_slice(&len.to_le_bytes());
    out
}

/// `(start, len)` of each 1504 request for a dataset of `total` bytes.
/// Lazy, and chunks are at least 1 KiB, so a bogus size announced by a
/// terminal cannot make us allocate a huge plan.
pub fn chunk_plan(total: u32, max_chunk: u32) -> impl Iterator<Item = (u32, u32)> {
    let step = max_chunk.max(1024);
    let mut start = 0u32;
    std::iter::from_fn(move || {
        (start < total).then(|| {
            let len = step.min(total - start);
            let chunk = (start, len);
            start += len;
            chunk
        })
    })
}

/// The terminal's answer to 1503.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrepareReply {
    /// Small datasets come at once in a `CMD_DATA` reply.
    Inline(Vec<u8>),
    /// `CMD_ACK_OK` with the dataset size (u32 at offset 1): fetch it in
    /// chunks, then send `CMD_FREE_DATA`.
    Buffered { size: u32 },
}

impl PrepareReply {
    pub fn parse(reply: &Packet) -> Result<Self, BinaryError> {
        match reply.command {
            CMD_DATA => Ok(Self::Inline(reply.data.clone())),
            CMD_ACK_OK => {
                let size = u32_at(&reply.data, 1).ok_or(BinaryError::TooShort { len: reply.data.len(), min: 5 })?;
                Ok(Self::Buffered { size })
            }
            other => Err(BinaryError::UnexpectedReply(other)),
        }
    }
}

/// Progress of one 1504 chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkProgress {
    NeedMore,
    Done(Vec<u8>),
}

/// Assembles the reply to one 1504 request: `CMD_PREPARE_DATA` (size), then
/// one (TCP) or several (UDP, 1 KiB each) `CMD_DATA`, then `CMD_ACK_OK`.
/// Some firmware answers with a bare `CMD_DATA`: that is the whole chunk.
#[derive(Debug, Clone)]
pub struct ChunkReader {
    requested: u32,
    expected: Option<usize>,
    data: Vec<u8>,
}

impl ChunkReader {
    pub fn new(requested: u32) -> Self {
        Self { requested, expected: None, data: Vec::new() }
    }

    pub fn on_packet(&mut self, p: &Packet) -> Result<ChunkProgress, BinaryError> {
        match (p.command, self.expected) {
            (CMD_PREPARE_DATA, None) => {
                let size = u32_at(&p.data, 0).ok_or(BinaryError::TooShort { len: p.data.len(), min: 4 })?;
                if size > self.requested {
                    return Err(BinaryError::ChunkOverflow {
                        got: usize::try_from(size).unwrap_or(usize::MAX),
                        expected: usize::try_from(self.requested).unwrap_or(usize::MAX),
                    });
                }
                self.expected = Some(usize::try_from(size).unwrap_or(usize::MAX));
                Ok(ChunkProgress::NeedMore)
            }
            (CMD_DATA, None) => Ok(ChunkProgress::Done(p.data.clone())),
            (CMD_DATA, Some(expected)) => {
                let got = self.data.len().saturating_add(p.data.len());
                if got > expected {
                    return Err(BinaryError::ChunkOverflow { got, expected });
                }
                self.data.extend_from_slice(&p.data);
                Ok(ChunkProgress::NeedMore)
            }
            (CMD_ACK_OK, Some(expected)) => {
                if self.data.len() == expected {
                    Ok(ChunkProgress::Done(std::mem::take(&mut self.data)))
                } else {
                    Err(BinaryError::ChunkShort { got: self.data.len(), expected })
                }
            }
            (other, _) => Err(BinaryError::UnexpectedReply(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let plan = |t, m| chunk_plan(t, m).collect::<Vec<_>>();
        assert_eq!(plan(0, MAX_CHUNK_TCP), []);
        assert_eq!(plan(5044, MAX_CHUNK_TCP), [(0, 5044)]);
        assert_eq!(plan(0x1_0000, MAX_CHUNK_TCP), [(0, 0xFFC0), (0xFFC0, 0x40)]);
        assert_eq!(plan(u32::MAX, u32::MAX), [(0, u32::MAX)]);
        assert_eq!(plan(3, 0), [(0, 3)]);
        assert_eq!(chunk_plan(u32::MAX, MAX_CHUNK_TCP).count(), 65_601);
    }

    #[test]
    fn requests() {
        assert_eq!(prepare_attlog_request(), [0x01, 0x0d, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(read_buffer_request(0, 5044), [0, 0, 0, 0, 0xb4, 0x13, 0, 0]);
    }
}
