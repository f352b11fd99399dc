//! The payload every packet carries: `command u16, checksum u16, session u16,
//! reply_number u16` (little-endian), then data.

use super::bytes::u16_at;
use super::error::BinaryError;

/// Size of the payload header.
pub const HEADER_LEN: usize = 8;

/// One's-complement sum of the 16-bit little-endian words of `payload`
/// (odd byte padded with 0), carries folded back, inverted. The checksum
/// field (bytes 2–3) must be zero in `payload`.
pub fn checksum(payload: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut words = payload.chunks_exact(2);
    for w in &mut words {
        if let [lo, hi] = *w {
            sum += u32::from(u16::from_le_bytes([lo, hi]));
        }
        // Fold early so the u32 never overflows, whatever the length.
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if let [last] = *words.remainder() {
        sum += u32::from(last);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    // After folding `sum` fits in 16 bits.
    !u16::try_from(sum).unwrap_or(u16::MAX)
}

/// The reply number that follows `r`. Like the SDK and pyzk it wraps before
/// 0xFFFF (65534 → 0 … the value 65535 is never used).
pub fn next_reply_number(r: u16) -> u16 {
    if r >= u16::MAX - 1 { 0 } else { r + 1 }
}

/// A decoded (or to-be-encoded) packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub command: u16,
    /// As received; [`Packet::encode`] recomputes it.
    pub checksum: u16,
    /// Session id; in real-time event packets, the event code.
    pub session: u16,
    pub reply: u16,
    pub data: Vec<u8>,
}

impl Packet {
    pub fn new(command: u16, session: u16, reply: u16, data: impl Into<Vec<u8>>) -> Self {
        Self { command, checksum: 0, session, reply, data: data.into() }
    }

    /// Header (with a freshly computed checksum) followed by the data.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.data.len());
        out.extend_from_slice(&self.command.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.session.to_le_bytes());
        out.extend_from_slice(&self.reply.to_le_bytes());
        out.extend_from_slice(&self.data);
        let sum = checksum(&out).to_le_bytes();
        if let Some(field) = out.get_mut(2..4) {
            field.copy_from_slice(&sum);
        }
        out
    }

    /// Decodes a payload (a UDP datagram, or a TCP frame's payload). The
    /// checksum is not enforced (some firmware gets it wrong); see
    /// [`Packet::checksum_ok`].
    pub fn decode(payload: &[u8]) -> Result<Self, BinaryError> {
        let too_short = BinaryError::TooShort { len: payload.len(), min: HEADER_LEN };
        let field = |at| u16_at(payload, at).ok_or_else(|| too_short.clone());
        Ok(Self {
            command: field(0)?,
            checksum: field(2)?,
            session: field(4)?,
            reply: field(6)?,
            data: payload.get(HEADER_LEN..).unwrap_or_default().to_vec(),
        })
    }

    /// Whether the received checksum matches the contents.
    pub fn checksum_ok(&self) -> bool {
        let mut copy = self.clone();
        copy.checksum = 0;
        let encoded = copy.encode();
        u16_at(&encoded, 2) == Some(self.checksum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_numbers_wrap_like_the_sdk() {
        assert_eq!(next_reply_number(0), 1);
        assert_eq!(next_reply_number(65533), 65534);
        assert_eq!(next_reply_number(65534), 0);
        assert_eq!(next_reply_number(65535), 0);
    }

    #[test]
    fn checksum_of_large_payload_does_not_overflow() {
        let data = vec![0xffu8; 200_000];
        let _ = checksum(&data);
    }
}
