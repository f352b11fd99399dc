//! Attendance datasets read with the buffered read of `CMD_ATTLOG_RRQ`:
//! `total u32`, then records whose size is `total ÷ record count`.

use jiff::civil::DateTime;

use super::bytes::{slice_at, u8_at, u16_at, u32_at};
use super::error::BinaryError;
use super::time::{decode_time, encode_time};

/// One punch from the terminal's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRecord {
    /// Internal user serial (8- and 40-byte layouts). 8-byte records carry
    /// only this: map it to a PIN with the user list.
    pub uid: Option<u16>,
    /// The PIN (16- and 40-byte layouts).
    pub user_id: Option<String>,
    /// Terminal-local wall clock.
    pub time: DateTime,
    /// Verification type (finger, card, face, …).
    pub verify: u8,
    /// Punch state: 0 in, 1 out, 2 break-out, 3 break-in, 4 OT-in, 5 OT-out.
    pub state: u8,
    pub workcode: Option<u32>,
}

impl AttendanceRecord {
    /// The PIN if the record has one, else the internal serial as text.
    pub fn pin(&self) -> String {
        match (&self.user_id, self.uid) {
            (Some(id), _) if !id.is_empty() => id.clone(),
            (_, Some(uid)) => uid.to_string(),
            _ => String::new(),
        }
    }
}

/// A record that could not be decoded (0-based index in the dataset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub index: usize,
    pub error: BinaryError,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttendanceSet {
    pub record_size: u32,
    pub records: Vec<AttendanceRecord>,
    pub errors: Vec<RecordError>,
    /// The dataset ended before the announced total (partial read).
    pub truncated: bool,
}

fn decode(rec: &[u8], size: u32) -> Result<AttendanceRecord, BinaryError> {
    let short = || BinaryError::TooShort { len: rec.len(), min: usize::try_from(size).unwrap_or(usize::MAX) };
    match size {
        // uid u16, verify u8, time u32 @3, state u8 @7
        8 => Ok(AttendanceRecord {
            uid: Some(u16_at(rec, 0).ok_or_else(short)?),
            user_id: None,
            verify: u8_at(rec, 2).ok_or_else(short)?,
            time: decode_time(u32_at(rec, 3).ok_or_else(short)?)?,
            state: u8_at(rec, 7).ok_or_else(short)?,
            workcode: None,
        }),
        // user_id u32, time u32, verify u8, state u8, 2 reserved, workcode u32
        16 => Ok(AttendanceRecord {
            uid: None,
            user_id: Some(u32_at(rec, 0).ok_or_else(short)?.to_string()),
            time: decode_time(u32_at(rec, 4).ok_or_else(short)?)?,
            verify: u8_at(rec, 8).ok_or_else(short)?,
            state: u8_at(rec, 9).ok_or_else(short)?,
            workcode: Some(u32_at(rec, 12).ok_or_else(short)?),
        }),
        // uid u16, user_id char[24], verify u8 @26, time u32 @27, state u8 @31,
        // then reserved bytes (8 on 40-byte firmware, more on newer ones).
        _ => Ok(AttendanceRecord {
            uid: Some(u16_at(rec, 0).ok_or_else(short)?),
            user_id: Some(crate::util::c_string(slice_at(rec, 2, 24).ok_or_else(short)?).trim().to_owned()),
            verify: u8_at(rec, 26).ok_or_else(short)?,
            time: decode_time(u32_at(rec, 27).ok_or_else(short)?)?,
            state: u8_at(rec, 31).ok_or_else(short)?,
            workcode: None,
        }),
    }
}

/// Encodes one record in the layout of `size` bytes (8, 16, 40 or more;
/// larger layouts are the 40-byte one zero-padded). The inverse of
/// [`parse_attendance`], for terminal emulators and tests. The 8-byte layout
/// needs `uid`; the 16-byte one a numeric PIN.
pub fn encode_attendance(rec: &AttendanceRecord, size: u32) -> Result<Vec<u8>, BinaryError> {
    let time = encode_time(rec.time)?.to_le_bytes();
    let len = usize::try_from(size).map_err(|_| BinaryError::UnknownRecordSize(size))?;
    let mut out = vec![0u8; len];
    let mut put = |at: usize, bytes: &[u8]| {
        if let Some(dst) = out.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    };
    match size {
        8 => {
            let uid = rec.uid.ok_or(BinaryError::Encode { field: "uid", reason: "wajib pada rekaman 8 byte" })?;
            put(0, &uid.to_le_bytes());
            put(2, &[rec.verify]);
            put(3, &time);
            put(7, &[rec.state]);
        }
        16 => {
            let id: u32 = rec
                .pin()
                .parse()
                .map_err(|_| BinaryError::Encode { field: "user_id", reason: "harus angka pada rekaman 16 byte" })?;
            put(0, &id.to_le_bytes());
            put(4, &time);
            put(8, &[rec.verify, rec.state]);
            put(12, &rec.workcode.unwrap_or(0).to_le_bytes());
        }
        s if s >= 40 => {
            let pin = rec.pin();
            if pin.len() > 24 || pin.bytes().any(|b| b == 0) {
                return Err(BinaryError::Encode { field: "user_id", reason: "terlalu panjang atau berisi NUL" });
            }
            put(0, &rec.uid.unwrap_or(0).to_le_bytes());
            put(2, pin.as_bytes());
            put(26, &[rec.verify]);
            put(27, &time);
            put(31, &[rec.state]);
        }
        other => return Err(BinaryError::UnknownRecordSize(other)),
    }
    Ok(out)
}

/// Parses an attendance dataset given the record count reported by
/// `CMD_GET_FREE_SIZES`. Layouts by record size: 8, 16, 40, or larger (newer
/// firmware, 40-byte prefix, stepped by the computed size). Undecodable
/// records are listed in `errors` and skipped.
pub fn parse_attendance(dataset: &[u8], record_count: u32) -> Result<AttendanceSet, BinaryError> {
    let total = u32_at(dataset, 0).ok_or(BinaryError::TooShort { len: dataset.len(), min: 4 })?;
    if record_count == 0 || total == 0 {
        return Ok(AttendanceSet::default());
    }
    let size = total / record_count;
    if !(size == 8 || size == 16 || size >= 40) {
        return Err(BinaryError::UnknownRecordSize(size));
    }
    let body = dataset.get(4..).unwrap_or_default();
    let announced = usize::try_from(total).unwrap_or(usize::MAX);
    let usable = body.get(..announced.min(body.len())).unwrap_or_default();
    let step = usize::try_from(size).unwrap_or(usize::MAX);
    let mut set = AttendanceSet { record_size: size, truncated: body.len() < announced, ..AttendanceSet::default() };
    for (index, rec) in usable.chunks_exact(step).enumerate() {
        match decode(rec, size) {
            Ok(r) => set.records.push(r),
            Err(error) => set.errors.push(RecordError { index, error }),
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn encode_round_trips_every_layout() {
        let rec = AttendanceRecord {
            uid: Some(7),
            user_id: Some("1234".into()),
            time: date(2024, 2, 29).at(7, 1, 2, 0),
            verify: 1,
            state: 0,
            workcode: Some(0),
        };
        for size in [8u32, 16, 40, 49] {
            let bytes = encode_attendance(&rec, size).unwrap();
            assert_eq!(bytes.len(), size as usize);
            let mut dataset = size.to_le_bytes().to_vec();
            dataset.extend_from_slice(&bytes);
            let set = parse_attendance(&dataset, 1).unwrap();
            let got = &set.records[0];
            assert_eq!((got.time, got.verify, got.state), (rec.time, 1, 0), "{size}");
            let pin = if size == 8 { "7" } else { "1234" };
            assert_eq!(got.pin(), pin, "{size}");
        }
        assert!(encode_attendance(&AttendanceRecord { uid: None, ..rec.clone() }, 8).is_err());
        let named = AttendanceRecord { user_id: Some("A-1".into()), ..rec.clone() };
        assert!(encode_attendance(&named, 16).is_err());
        assert!(encode_attendance(&rec, 12).is_err());
    }
}
