//! Real-time event packets (`CMD_REG_EVENT` = 500 from the terminal, event
//! code in the session field). Each must be answered with `CMD_ACK_OK`.

use jiff::civil::DateTime;

use super::bytes::{slice_at, u8_at, u16_at, u32_at};
use super::consts::{CMD_REG_EVENT, EF_ATTLOG};
use super::error::BinaryError;
use super::packet::Packet;
use super::time::decode_time_hex;

/// A punch reported live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAttendance {
    pub user_id: String,
    pub verify: u8,
    pub state: u8,
    pub time: DateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RealtimeEvent {
    Attendance(Vec<LiveAttendance>),
    /// Alarms, door, enrolment, … (not interpreted yet).
    Other {
        code: u16,
        data: Vec<u8>,
    },
}

fn numeric_id(data: &[u8], wide: bool) -> Option<LiveAttendance> {
    let (id, at) = if wide { (u32_at(data, 0)?, 4) } else { (u32::from(u16_at(data, 0)?), 2) };
    Some(LiveAttendance {
        user_id: id.to_string(),
        verify: u8_at(data, at)?,
        state: u8_at(data, at + 1)?,
        time: decode_time_hex(slice_at(data, at + 2, 6)?).ok()?,
    })
}

fn text_id(rec: &[u8]) -> Option<LiveAttendance> {
    Some(LiveAttendance {
        user_id: crate::util::c_string(slice_at(rec, 0, 24)?).trim().to_owned(),
        verify: u8_at(rec, 24)?,
        state: u8_at(rec, 25)?,
        time: decode_time_hex(slice_at(rec, 26, 6)?).ok()?,
    })
}

/// `Ok(None)` if the packet is not an event (an ordinary reply).
/// Attendance layouts by length: 10/12/14 bytes (numeric id u16/u32), 32,
/// 36 or 37 bytes (`char[24]` id, then verify, state, 6-byte time), and
/// multiples of 52 bytes (several punches in one packet).
pub fn parse_event(p: &Packet) -> Result<Option<RealtimeEvent>, BinaryError> {
    if p.command != CMD_REG_EVENT {
        return Ok(None);
    }
    if u32::from(p.session) != EF_ATTLOG {
        return Ok(Some(RealtimeEvent::Other { code: p.session, data: p.data.clone() }));
    }
    let d = &p.data;
    let bad = || BinaryError::UnknownRecordSize(u32::try_from(d.len()).unwrap_or(u32::MAX));
    let punches = match d.len() {
        10 | 14 => vec![numeric_id(d, false).ok_or_else(bad)?],
        12 => vec![numeric_id(d, true).ok_or_else(bad)?],
        n if n >= 52 && n % 52 == 0 => {
            d.chunks_exact(52).map(|rec| text_id(rec).ok_or_else(bad)).collect::<Result<_, _>>()?
        }
        n if n >= 32 => vec![text_id(d).ok_or_else(bad)?],
        _ => return Err(bad()),
    };
    Ok(Some(RealtimeEvent::Attendance(punches)))
}
