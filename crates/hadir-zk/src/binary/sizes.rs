//! `CMD_GET_FREE_SIZES` reply: an array of i32 counts and capacities.

use super::bytes::i32_at;
use super::error::BinaryError;

/// Counts and capacities. Counts are at least present; capacities only when
/// the full 80-byte block is; face counts only on face terminals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FreeSizes {
    pub users: i32,
    pub fingers: i32,
    pub records: i32,
    pub cards: Option<i32>,
    pub fingers_cap: Option<i32>,
    pub users_cap: Option<i32>,
    pub records_cap: Option<i32>,
    pub fingers_available: Option<i32>,
    pub users_available: Option<i32>,
    pub records_available: Option<i32>,
    pub faces: Option<i32>,
    pub faces_cap: Option<i32>,
}

impl FreeSizes {
    /// Users at index 4, fingerprints at 6, records at 8 of the i32 array.
    pub fn parse(data: &[u8]) -> Result<Self, BinaryError> {
        let at = |i: usize| i32_at(data, i * 4);
        let short = || BinaryError::TooShort { len: data.len(), min: 36 };
        let full = data.len() >= 80;
        let opt = |i: usize| if full { at(i) } else { None };
        Ok(Self {
            users: at(4).ok_or_else(short)?,
            fingers: at(6).ok_or_else(short)?,
            records: at(8).ok_or_else(short)?,
            cards: opt(12),
            fingers_cap: opt(14),
            users_cap: opt(15),
            records_cap: opt(16),
            fingers_available: opt(17),
            users_available: opt(18),
            records_available: opt(19),
            faces: if full { at(20) } else { None },
            faces_cap: if full { at(22) } else { None },
        })
    }
}
