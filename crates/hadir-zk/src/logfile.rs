//! Attendance log files exported from a terminal to a USB flash disk, for terminals that cannot
//! reach the server or a relay (the file is carried to the BKD and uploaded in the console).
//!
//! Layouts read:
//!
//! * **attlog** (`1_attlog.dat`, `<n>_attlog.dat`): one punch a line,
//!   `PIN \t YYYY-MM-DD HH:MM:SS \t status \t verify \t workcode \t reserved…`, the PIN often
//!   right-aligned with spaces; older firmware writes fewer columns, newer more. Files that went
//!   through a spreadsheet or editor may have the columns separated by spaces instead of tabs,
//!   the date and time in two columns, `/` in the date, or no seconds.
//! * **headed** (`GLG_001.TXT`, `AGL_001.TXT` and similar): a first line naming the columns
//!   (`No  Mchn  EnNo  Name  Mode  IOMd  DateTime`), tab-separated rows; the enrolment number is
//!   zero-padded (`000000012` is PIN `12`), `Mode` is the verify method and `IOMd` the status.
//!
//! Both: UTF-8 with or without BOM, UTF-16LE with BOM (Windows tools), LF or CRLF, blank lines.
//! Dates are read year first only (`YYYY-MM-DD`/`YYYY/MM/DD`): a day-first date is ambiguous
//! and reported rather than guessed. Every line that cannot be used is reported with its number
//! and an Indonesian reason; the others are still returned.

use jiff::civil::DateTime;

use crate::push::{AttLogRecord, LineError, LineErrorKind};

/// Which layout a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFileFormat {
    /// `<n>_attlog.dat`: positional columns, no header.
    AttLog,
    /// A header line names the columns (`GLG_001.TXT`).
    Headed,
}

impl LogFileFormat {
    pub fn as_str(&self) -> &'static str {
        match self {
            LogFileFormat::AttLog => "attlog",
            LogFileFormat::Headed => "headed",
        }
    }
}

/// The punches of a file plus the lines that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    pub format: LogFileFormat,
    /// Non-blank lines read (header included).
    pub lines: usize,
    /// 1-based line of the header, when the file has one.
    pub header_line: Option<usize>,
    pub records: Vec<AttLogRecord>,
    pub errors: Vec<LineError>,
}

/// Column positions of a headed file.
#[derive(Debug, Clone, Copy)]
struct Columns {
    pin: usize,
    /// Strip leading zeros from the PIN (`EnNo` is zero-padded).
    padded_pin: bool,
    datetime: Option<usize>,
    date: Option<usize>,
    time: Option<usize>,
    status: Option<usize>,
    verify: Option<usize>,
    workcode: Option<usize>,
}

/// Decodes the file's bytes: UTF-16LE/BE when it starts with their BOM, else UTF-8 (lossy,
/// BOM dropped).
fn decode(bytes: &[u8]) -> String {
    let utf16 = |be: bool| {
        let units = bytes.get(2..).unwrap_or_default().chunks_exact(2).map(|c| {
            let pair = [c[0], c.get(1).copied().unwrap_or(0)];
            if be { u16::from_be_bytes(pair) } else { u16::from_le_bytes(pair) }
        });
        char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect::<String>()
    };
    match bytes {
        [0xFF, 0xFE, ..] => utf16(false),
        [0xFE, 0xFF, ..] => utf16(true),
        _ => {
            let text = String::from_utf8_lossy(bytes);
            text.strip_prefix('\u{FEFF}').unwrap_or(&text).to_owned()
        }
    }
}

/// Numbers of a date or time split at any of `seps`; each part all digits, at most 4 long.
fn numbers(s: &str, seps: &[char]) -> Option<Vec<i32>> {
    s.split(seps)
        .map(|p| (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok())?)
        .collect()
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` plus `HH:MM[:SS]`.
fn parse_date_time(date: &str, time: &str) -> Option<DateTime> {
    let d = numbers(date.trim(), &['-', '/', '.'])?;
    let t = numbers(time.trim(), &[':'])?;
    let [year, month, day] = d[..] else { return None };
    if date.trim().split(['-', '/', '.']).next()?.len() != 4 {
        return None;
    }
    let (hour, minute, second) = match t[..] {
        [h, m] => (h, m, 0),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    let small = |v: i32| i8::try_from(v).ok();
    DateTime::new(
        i16::try_from(year).ok()?,
        small(month)?,
        small(day)?,
        small(hour)?,
        small(minute)?,
        small(second)?,
        0,
    )
    .ok()
}

/// One `date time` field (any run of spaces, or `T`, between them).
fn parse_datetime_field(s: &str) -> Option<DateTime> {
    let s = s.trim();
    let (date, time) = s.split_once([' ', 'T'])?;
    parse_date_time(date, time)
}

fn numeric(field: Option<&str>, name: &'static str) -> Result<u32, LineErrorKind> {
    match field.map(str::trim) {
        None | Some("") => Ok(0),
        Some(v) => v.parse().map_err(|_| LineErrorKind::NotANumber { field: name }),
    }
}

fn pin_of(raw: &str, padded: bool) -> Result<String, LineErrorKind> {
    let pin = raw.trim();
    let pin = if padded && pin.len() > 1 && pin.bytes().all(|b| b.is_ascii_digit()) {
        let t = pin.trim_start_matches('0');
        if t.is_empty() { "0" } else { t }
    } else {
        pin
    };
    if crate::push::attlog_valid_pin(pin) { Ok(pin.to_owned()) } else { Err(LineErrorKind::BadPin) }
}

/// A positional (attlog) line: tab-separated, or space-separated when it holds no tab.
fn attlog_line(line_no: usize, line: &str) -> Result<AttLogRecord, LineErrorKind> {
    let fields: Vec<&str> =
        if line.contains('\t') { line.split('\t').map(str::trim).collect() } else { line.split_whitespace().collect() };
    let pin = pin_of(fields.first().copied().unwrap_or_default(), false)?;
    let first = fields.get(1).copied().ok_or(LineErrorKind::MissingField { field: "time" })?;
    // Date and time in one field, or in two (space-separated lines always split them).
    let (time, rest) = match parse_datetime_field(first) {
        Some(t) => (t, 2),
        None => {
            let second = fields.get(2).copied().ok_or(LineErrorKind::BadTime)?;
            (parse_date_time(first, second).ok_or(LineErrorKind::BadTime)?, 3)
        }
    };
    let status = numeric(fields.get(rest).copied(), "status")?;
    let verify = numeric(fields.get(rest + 1).copied(), "verify")?;
    let workcode = crate::util::excerpt(fields.get(rest + 2).copied().unwrap_or_default(), 32);
    Ok(AttLogRecord { line: line_no, pin, time, status, verify, workcode })
}

fn headed_line(line_no: usize, line: &str, c: &Columns) -> Result<AttLogRecord, LineErrorKind> {
    let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
    let get = |i: Option<usize>| i.and_then(|i| fields.get(i).copied());
    let pin = pin_of(get(Some(c.pin)).ok_or(LineErrorKind::MissingField { field: "PIN" })?, c.padded_pin)?;
    let time = match (get(c.datetime), get(c.date), get(c.time)) {
        (Some(dt), _, _) => parse_datetime_field(dt).ok_or(LineErrorKind::BadTime)?,
        (None, Some(d), Some(t)) => parse_date_time(d, t).ok_or(LineErrorKind::BadTime)?,
        _ => return Err(LineErrorKind::MissingField { field: "time" }),
    };
    let status = numeric(get(c.status), "status")?;
    let verify = numeric(get(c.verify), "verify")?;
    let workcode = crate::util::excerpt(get(c.workcode).unwrap_or_default(), 32);
    Ok(AttLogRecord { line: line_no, pin, time, status, verify, workcode })
}

/// The columns a header line names, when it names a PIN and a time.
fn header(line: &str) -> Option<Columns> {
    let names: Vec<String> = if line.contains('\t') {
        line.split('\t').map(|n| n.trim().to_ascii_lowercase()).collect()
    } else {
        line.split_whitespace().map(str::to_ascii_lowercase).collect()
    };
    let find = |want: &[&str]| names.iter().position(|n| want.contains(&n.as_str()));
    let pin = find(&["enno", "pin", "userid", "user id", "ac-no", "ac-no.", "no. id", "id"])?;
    let c = Columns {
        pin,
        padded_pin: names.get(pin).is_some_and(|n| n == "enno"),
        datetime: find(&["datetime", "date time", "date/time", "waktu"]),
        date: find(&["date", "tanggal"]),
        time: find(&["time", "jam"]),
        status: find(&["iomd", "status", "state", "inout"]),
        verify: find(&["mode", "verify", "verifymode", "verifycode"]),
        workcode: find(&["workcode", "work code"]),
    };
    (c.datetime.is_some() || (c.date.is_some() && c.time.is_some())).then_some(c)
}

/// Reads a terminal's exported log file. Never fails as a whole: unusable lines are listed in
/// `errors` (line number, reason, excerpt) and the rest are returned in file order.
pub fn parse_log_file(bytes: &[u8]) -> LogFile {
    let text = decode(bytes);
    let mut file =
        LogFile { format: LogFileFormat::AttLog, lines: 0, header_line: None, records: vec![], errors: vec![] };
    let mut columns: Option<Columns> = None;
    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        file.lines += 1;
        if file.lines == 1
            && let Some(c) = header(line)
        {
            columns = Some(c);
            file.format = LogFileFormat::Headed;
            file.header_line = Some(line_no);
            continue;
        }
        let parsed = match &columns {
            Some(c) => headed_line(line_no, line, c),
            None => attlog_line(line_no, line),
        };
        match parsed {
            Ok(r) => file.records.push(r),
            Err(kind) => file.errors.push(LineError::new(line_no, kind, line)),
        }
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> DateTime {
        s.parse().unwrap()
    }

    #[test]
    fn usb_attlog_with_padded_pins_crlf_and_bom() {
        let body =
            "\u{FEFF}        1\t2024-03-01 07:31:02\t0\t1\t0\t0\r\n       12\t2024-03-01 16:02:10\t1\t15\t0\t0\r\n\r\n";
        let f = parse_log_file(body.as_bytes());
        assert_eq!(f.format, LogFileFormat::AttLog);
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.records.len(), 2);
        assert_eq!(
            (f.records[0].pin.as_str(), f.records[0].time, f.records[0].line),
            ("1", dt("2024-03-01T07:31:02"), 1)
        );
        assert_eq!((f.records[1].pin.as_str(), f.records[1].status, f.records[1].verify), ("12", 1, 15));
    }

    #[test]
    fn column_count_variants() {
        let body = "7\t2024-03-01 07:31:02\n8\t2024-03-01 07:32:00\t0\t1\t0\t0\t0\t0\t0\t0\t\t\n9 2024/03/01 07:33 1 4\n10\t2024-03-01\t07:34:05\t0\t1\n";
        let f = parse_log_file(body.as_bytes());
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let got: Vec<(&str, DateTime, u32, u32)> =
            f.records.iter().map(|r| (r.pin.as_str(), r.time, r.status, r.verify)).collect();
        assert_eq!(
            got,
            vec![
                ("7", dt("2024-03-01T07:31:02"), 0, 0),
                ("8", dt("2024-03-01T07:32:00"), 0, 1),
                ("9", dt("2024-03-01T07:33:00"), 1, 4),
                ("10", dt("2024-03-01T07:34:05"), 0, 1),
            ]
        );
    }

    #[test]
    fn headed_glg_file() {
        let body = "No\tMchn\tEnNo\t\tName\t\tMode\tIOMd\tDateTime\t\r\n\
                    000001\t1\t000000012\t\tBudi\t\t1\t0\t2024/03/01  07:31:02\r\n\
                    000002\t1\t000000000\t\tAdmin\t\t1\t1\t2024/03/01  16:00:00\r\n\
                    000003\t1\t000000013\t\tSiti\t\t1\t0\t01/03/2024  07:31:02\r\n";
        let f = parse_log_file(body.as_bytes());
        assert_eq!(f.format, LogFileFormat::Headed);
        assert_eq!(f.header_line, Some(1));
        assert_eq!(f.records.len(), 2);
        assert_eq!(
            (f.records[0].pin.as_str(), f.records[0].time, f.records[0].line),
            ("12", dt("2024-03-01T07:31:02"), 2)
        );
        assert_eq!((f.records[1].pin.as_str(), f.records[1].status), ("0", 1));
        // Day-first dates are ambiguous: reported, not guessed.
        assert_eq!(f.errors.len(), 1);
        assert_eq!((f.errors[0].line, &f.errors[0].kind), (4, &LineErrorKind::BadTime));
    }

    #[test]
    fn utf16_file() {
        let text = "5\t2024-03-01 07:31:02\t0\t1\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let f = parse_log_file(&bytes);
        assert_eq!(f.records.len(), 1);
        assert_eq!(f.records[0].pin, "5");
    }

    #[test]
    fn bad_lines_are_reported_with_their_numbers() {
        let body = "1\t2024-03-01 07:31:02\n\t2024-03-01 07:31:02\n2\t2024-02-30 07:00:00\n3\t2024-03-01 07:31:02\tx\n4\nrandom words here\n";
        let f = parse_log_file(body.as_bytes());
        assert_eq!(f.records.len(), 1);
        let errs: Vec<(usize, LineErrorKind)> = f.errors.iter().map(|e| (e.line, e.kind.clone())).collect();
        assert_eq!(
            errs,
            vec![
                (2, LineErrorKind::BadPin),
                (3, LineErrorKind::BadTime),
                (4, LineErrorKind::NotANumber { field: "status" }),
                (5, LineErrorKind::MissingField { field: "time" }),
                (6, LineErrorKind::BadTime),
            ]
        );
    }

    #[test]
    fn nothing_in_empty_or_binary_input() {
        assert!(parse_log_file(b"").records.is_empty());
        let f = parse_log_file(&[0, 159, 146, 150, 0xFF, b'\n', 0x80]);
        assert!(f.records.is_empty());
        assert_eq!(f.errors.len(), 2);
    }
}
