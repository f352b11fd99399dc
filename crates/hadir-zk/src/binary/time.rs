//! The terminal's time encoding: seconds in a calendar of 31-day months,
//! `((y−2000)·12·31 + (m−1)·31 + d−1)·86400 + h·3600 + min·60 + s`, local
//! wall clock with no zone.

use jiff::civil::DateTime;

use super::error::BinaryError;

const DAY: u32 = 86_400;

/// Decodes a 4-byte time. Values that name impossible dates (31 April,
/// 30 February: the encoding allows them) are an error, not a guess.
pub fn decode_time(t: u32) -> Result<DateTime, BinaryError> {
    let second = t % 60;
    let minute = (t / 60) % 60;
    let hour = (t / 3600) % 24;
    let days = t / DAY;
    let day = days % 31 + 1;
    let month = (days / 31) % 12 + 1;
    let year = days / (31 * 12) + 2000;
    let (Ok(y), Ok(mo), Ok(d), Ok(h), Ok(mi), Ok(s)) = (
        i16::try_from(year),
        i8::try_from(month),
        i8::try_from(day),
        i8::try_from(hour),
        i8::try_from(minute),
        i8::try_from(second),
    ) else {
        return Err(BinaryError::BadTime(t));
    };
    DateTime::new(y, mo, d, h, mi, s, 0).map_err(|_| BinaryError::BadTime(t))
}

/// Encodes a civil time (years 2000 to 2136; sub-seconds dropped).
pub fn encode_time(dt: DateTime) -> Result<u32, BinaryError> {
    let years = u64::try_from(i32::from(dt.year()) - 2000).map_err(|_| BinaryError::TimeOutOfRange)?;
    let field = |v: i8| u64::try_from(v).map_err(|_| BinaryError::TimeOutOfRange);
    let days = (years * 12 + field(dt.month())? - 1) * 31 + field(dt.day())? - 1;
    let secs = days * u64::from(DAY) + field(dt.hour())? * 3600 + field(dt.minute())? * 60 + field(dt.second())?;
    u32::try_from(secs).map_err(|_| BinaryError::TimeOutOfRange)
}

/// Data of `CMD_SET_TIME`.
pub fn set_time_request(dt: DateTime) -> Result<[u8; 4], BinaryError> {
    Ok(encode_time(dt)?.to_le_bytes())
}

/// Decodes the 6-byte time of real-time events: `yy mm dd hh mi ss` with
/// the year counted from 2000.
pub fn decode_time_hex(b: &[u8]) -> Result<DateTime, BinaryError> {
    let bad = || BinaryError::BadTime(0);
    let [y, mo, d, h, mi, s] = *b.get(..6).ok_or_else(bad)? else {
        return Err(bad());
    };
    let f = |v: u8| i8::try_from(v).map_err(|_| bad());
    DateTime::new(2000 + i16::from(y), f(mo)?, f(d)?, f(h)?, f(mi)?, f(s)?, 0).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn zkteco_md_example() {
        // Bytes 58 0d 04 23 (LE) → 2018-04-11 09:35:20.
        let t = u32::from_le_bytes([0x58, 0x0d, 0x04, 0x23]);
        assert_eq!(t, 587_468_120);
        let dt = decode_time(t).unwrap();
        assert_eq!(dt, date(2018, 4, 11).at(9, 35, 20, 0));
        assert_eq!(encode_time(dt).unwrap(), t);
    }

    #[test]
    fn impossible_dates_and_ranges() {
        // 2018, month index 3 (April), day index 30 → 31 April.
        let t = ((18 * 12 + 3) * 31 + 30) * DAY;
        assert_eq!(decode_time(t), Err(BinaryError::BadTime(t)));
        assert!(encode_time(date(1999, 12, 31).at(0, 0, 0, 0)).is_err());
        assert!(encode_time(date(2137, 1, 1).at(0, 0, 0, 0)).is_err());
        assert_eq!(decode_time(u32::MAX).unwrap(), date(2133, 8, 18).at(6, 28, 15, 0));
    }

    #[test]
    fn hex_time() {
        let dt = decode_time_hex(&[0x12, 0x06, 0x19, 0x11, 0x29, 0x05]).unwrap();
        assert_eq!(dt, date(2018, 6, 25).at(17, 41, 5, 0));
        assert!(decode_time_hex(&[0x12, 0x06]).is_err());
        assert!(decode_time_hex(&[0x12, 0x0d, 0x01, 0, 0, 0]).is_err());
    }
}
