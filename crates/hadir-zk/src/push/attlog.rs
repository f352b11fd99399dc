//! `POST /iclock/cdata?table=ATTLOG` bodies.

use jiff::civil::DateTime;

use super::error::{LineError, LineErrorKind};

/// Longest PIN we accept: the binary protocol's user id is `char[24]`.
pub(crate) const MAX_PIN_LEN: usize = 24;

/// One punch: `PIN \t time \t status \t verify \t workcode \t reserved…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttLogRecord {
    /// 1-based line in the body, for error reports and logs.
    pub line: usize,
    pub pin: String,
    /// The terminal's local wall clock; the server applies the terminal's zone.
    pub time: DateTime,
    /// 0 in, 1 out, 2 break-out, 3 break-in, 4 OT-in, 5 OT-out (0 if absent).
    pub status: u32,
    /// 0 any, 1 finger, 3 password, 4 card, 15 face, 25 palm… (0 if absent).
    pub verify: u32,
    /// Work code as sent ("0" or empty on most terminals).
    pub workcode: String,
}

/// The records of a body plus the lines that could not be used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttLogBatch {
    pub records: Vec<AttLogRecord>,
    pub errors: Vec<LineError>,
}

/// A PIN as terminals store it: non-empty, at most 24 characters, no
/// whitespace or control characters.
pub(crate) fn valid_pin(pin: &str) -> bool {
    !pin.is_empty() && pin.chars().count() <= MAX_PIN_LEN && !pin.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Optional numeric field: absent or empty means 0 (older firmware drops
/// trailing fields); anything else must be a number.
fn numeric(field: Option<&str>, name: &'static str) -> Result<u32, LineErrorKind> {
    match field.map(str::trim) {
        None | Some("") => Ok(0),
        Some(v) => v.parse().map_err(|_| LineErrorKind::NotANumber { field: name }),
    }
}

fn parse_line(line_no: usize, line: &str) -> Result<AttLogRecord, LineErrorKind> {
    // Fields by position; newer firmware appends more, which we ignore.
    let mut fields = line.split('\t');
    let pin = fields.next().unwrap_or_default().trim();
    if !valid_pin(pin) {
        return Err(LineErrorKind::BadPin);
    }
    let time = fields.next().ok_or(LineErrorKind::MissingField { field: "time" })?;
    let time = crate::util::parse_civil(time).ok_or(LineErrorKind::BadTime)?;
    let status = numeric(fields.next(), "status")?;
    let verify = numeric(fields.next(), "verify")?;
    let workcode = crate::util::excerpt(fields.next().unwrap_or_default().trim(), 32);
    Ok(AttLogRecord { line: line_no, pin: pin.to_owned(), time, status, verify, workcode })
}

/// Parses an ATTLOG body. Tolerates CRLF, blank lines and missing trailing
/// fields; each malformed line is reported on its own so the good ones are
/// still stored (and the terminal still gets `OK:<n>`).
pub fn parse_attlog(body: &[u8]) -> AttLogBatch {
    let text = String::from_utf8_lossy(body);
    let mut batch = AttLogBatch::default();
    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line_no, line) {
            Ok(rec) => batch.records.push(rec),
            Err(kind) => batch.errors.push(LineError::new(line_no, kind, line)),
        }
    }
    batch
}
