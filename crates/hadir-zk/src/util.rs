//! Small helpers shared by both codecs.

use jiff::civil::DateTime;

/// Parses `YYYY-MM-DD HH:MM:SS` (the only layout terminals send) into a civil
/// datetime. Strict on shape so that a garbled line is reported rather than
/// guessed at; jiff validates the calendar (no 31 April, no 25:00).
pub(crate) fn parse_civil(s: &str) -> Option<DateTime> {
    let b = s.trim().as_bytes();
    // 0123456789012345678
    // YYYY-MM-DD HH:MM:SS
    if b.len() != 19 {
        return None;
    }
    let seps = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if !seps.iter().all(|&(i, c)| b.get(i) == Some(&c)) {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i32> {
        let digits = b.get(from..to)?;
        digits.iter().try_fold(0i32, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + i32::from(d - b'0')))
    };
    let year = i16::try_from(num(0, 4)?).ok()?;
    let month = i8::try_from(num(5, 7)?).ok()?;
    let day = i8::try_from(num(8, 10)?).ok()?;
    let hour = i8::try_from(num(11, 13)?).ok()?;
    let minute = i8::try_from(num(14, 16)?).ok()?;
    let second = i8::try_from(num(17, 19)?).ok()?;
    DateTime::new(year, month, day, hour, minute, second, 0).ok()
}

/// Formats a civil datetime the way terminals expect it in commands.
pub(crate) fn format_civil(dt: DateTime) -> String {
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", dt.year(), dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second())
}

/// Keeps at most `max` characters of `s`, for error messages that quote
/// untrusted input without letting it grow our logs unboundedly.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// Bytes up to the first NUL, decoded lossily (terminals pad fixed-width
/// string fields with NULs; names may be GB2312 on Chinese firmware).
pub(crate) fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let head = bytes.get(..end).unwrap_or_default();
    String::from_utf8_lossy(head).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        let dt = parse_civil("2015-07-30 15:16:28").unwrap();
        assert_eq!(format_civil(dt), "2015-07-30 15:16:28");
        assert!(parse_civil("2015-02-30 15:16:28").is_none());
        assert!(parse_civil("2015-07-30T15:16:28").is_none());
        assert!(parse_civil("2015-07-30 15:16").is_none());
        assert!(parse_civil("２015-07-30 15:16:2").is_none());
    }

    #[test]
    fn c_string_stops_at_nul() {
        assert_eq!(c_string(b"831\0\0xyz"), "831");
        assert_eq!(c_string(b"abc"), "abc");
        assert_eq!(c_string(b""), "");
    }
}
