//! Query strings of `/iclock/cdata`, `/iclock/getrequest`, `/iclock/devicecmd`
//! and `/iclock/ping`, parsed into typed requests.

use super::error::PushError;
use super::version::PushVersion;

/// Longest serial number we accept. Real ones are ~13–16 characters; the
/// bound keeps junk out of logs and the database.
const MAX_SERIAL_LEN: usize = 64;

/// Decodes `%XX` escapes and `+` (form encoding: terminals and proxies use
/// both for spaces). Malformed escapes are kept literally and invalid UTF-8 is
/// replaced, because a slightly wrong firmware string beats a refused punch.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    let hi = char::from(*h.first()?).to_digit(16)?;
                    let lo = char::from(*h.get(1)?).to_digit(16)?;
                    u8::try_from(hi * 16 + lo).ok()
                });
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A decoded query string. Keys are matched case-insensitively because
/// firmware varies (`SN`/`sn`, `Stamp`/`stamp`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses `a=1&b=2` (a leading `?` is ignored; a key without `=` gets an
    /// empty value).
    pub fn parse(raw: &str) -> Self {
        let raw = raw.strip_prefix('?').unwrap_or(raw);
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (percent_decode(k), percent_decode(v)),
                None => (percent_decode(p), String::new()),
            })
            .collect();
        Self { pairs }
    }

    /// First value for `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// First non-empty value for `key`, trimmed.
    fn get_nonempty(&self, key: &str) -> Option<String> {
        self.get(key).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// The terminal's serial number (`SN`), validated.
    pub fn serial(&self) -> Result<String, PushError> {
        let sn = self.get("SN").ok_or(PushError::MissingSerial)?.trim();
        if sn.is_empty() {
            return Err(PushError::MissingSerial);
        }
        let ok =
            sn.len() <= MAX_SERIAL_LEN && sn.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok { Ok(sn.to_owned()) } else { Err(PushError::InvalidSerial(crate::util::excerpt(sn, 40))) }
    }

    fn stamp(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }
}

/// Which table a `POST /iclock/cdata` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Table {
    AttLog,
    OperLog,
    AttPhoto,
    Options,
    /// Tables we do not process (BIODATA, IDCARD, ERRORLOG, …): acknowledge
    /// them so the terminal does not retry forever.
    Other(String),
}

impl Table {
    fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "ATTLOG" => Self::AttLog,
            "OPERLOG" => Self::OperLog,
            "ATTPHOTO" => Self::AttPhoto,
            "OPTIONS" => Self::Options,
            _ => Self::Other(crate::util::excerpt(s.trim(), 32)),
        }
    }
}

/// `GET /iclock/cdata?SN=…&options=all[&pushver=…&language=…&pushcommkey=…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub sn: String,
    pub options: Option<String>,
    /// Present (non-empty) on PUSH ≥ 2.2.14 firmware: selects new-style
    /// stamp keys in the reply.
    pub pushver: Option<PushVersion>,
    /// Appendix 2 language number (73 = Indonesian, 69 = English, 83 = zh).
    pub language: Option<String>,
    pub pushcommkey: Option<String>,
}

impl Handshake {
    /// Whether the reply must use `ATTLOGStamp`/`OPERLOGStamp`/`ATTPHOTOStamp`.
    pub fn new_style(&self) -> bool {
        self.pushver.is_some()
    }

    /// "Security PUSH" 3.x terminals (`/iclock/registry`, `/iclock/push`):
    /// the server should log these clearly; they are not supported yet.
    pub fn is_security_push(&self) -> bool {
        self.pushver.as_ref().is_some_and(PushVersion::is_security_push)
    }
}

/// `POST /iclock/cdata?SN=…&table=…&Stamp=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub sn: String,
    pub table: Table,
    /// `Stamp` (ATTLOG/OPERLOG/ATTPHOTO mark), when numeric.
    pub stamp: Option<u64>,
    /// `OpStamp`, sent by some old firmware alongside OPERLOG.
    pub op_stamp: Option<u64>,
}

/// What a request to `/iclock/cdata` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CdataRequest {
    Handshake(Handshake),
    Upload(Upload),
}

impl CdataRequest {
    /// A request with `table` is an upload; anything else (normally
    /// `options=all`) is the handshake, as in ZKTeco's own server.
    pub fn parse(raw_query: &str) -> Result<Self, PushError> {
        let q = Query::parse(raw_query);
        let sn = q.serial()?;
        match q.get_nonempty("table") {
            Some(table) => Ok(Self::Upload(Upload {
                sn,
                table: Table::parse(&table),
                stamp: q.stamp("Stamp"),
                op_stamp: q.stamp("OpStamp"),
            })),
            None => Ok(Self::Handshake(Handshake {
                sn,
                options: q.get_nonempty("options"),
                pushver: q.get_nonempty("pushver").map(|v| PushVersion::parse(&v)),
                language: q.get_nonempty("language"),
                pushcommkey: q.get_nonempty("pushcommkey"),
            })),
        }
    }

    pub fn sn(&self) -> &str {
        match self {
            Self::Handshake(h) => &h.sn,
            Self::Upload(u) => &u.sn,
        }
    }
}

/// The `INFO=` list a terminal appends to `getrequest` (section 9): firmware,
/// users, fingerprints, attendance records, IP, FP algorithm, face algorithm,
/// faces needed for enrolment, faces enrolled, function flags. Counts are
/// `None` when absent or not numeric.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    pub firmware: Option<String>,
    pub users: Option<u32>,
    pub fingerprints: Option<u32>,
    pub attendance_records: Option<u32>,
    pub ip: Option<String>,
    pub fp_algorithm: Option<String>,
    pub face_algorithm: Option<String>,
    pub face_enroll_count: Option<u32>,
    pub faces: Option<u32>,
    /// Digits, one per function: fingerprint, face, user photo, …
    pub functions: Option<String>,
}

impl DeviceInfo {
    /// Parses the comma list by position; extra values are ignored.
    pub fn parse(info: &str) -> Self {
        let fields: Vec<&str> = info.split(',').map(str::trim).collect();
        let text = |i: usize| fields.get(i).filter(|v| !v.is_empty()).map(|v| crate::util::excerpt(v, 64));
        let num = |i: usize| fields.get(i).and_then(|v| v.parse().ok());
        Self {
            firmware: text(0),
            users: num(1),
            fingerprints: num(2),
            attendance_records: num(3),
            ip: text(4),
            fp_algorithm: text(5),
            face_algorithm: text(6),
            face_enroll_count: num(7),
            faces: num(8),
            functions: text(9),
        }
    }
}

/// `GET /iclock/getrequest?SN=…[&INFO=…]`: the command poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRequest {
    pub sn: String,
    pub info: Option<DeviceInfo>,
}

impl GetRequest {
    pub fn parse(raw_query: &str) -> Result<Self, PushError> {
        let q = Query::parse(raw_query);
        Ok(Self { sn: q.serial()?, info: q.get_nonempty("INFO").map(|i| DeviceInfo::parse(&i)) })
    }
}

/// `POST /iclock/devicecmd?SN=…` (results in the body) and, with the same
/// shape, `GET /iclock/ping?SN=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCmdRequest {
    pub sn: String,
}

impl DeviceCmdRequest {
    pub fn parse(raw_query: &str) -> Result<Self, PushError> {
        Ok(Self { sn: Query::parse(raw_query).serial()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("Ver%202.0.12"), "Ver 2.0.12");
        assert_eq!(percent_decode("a+b"), "a b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%E2%82%AC"), "€");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }

    #[test]
    fn serial_validation() {
        assert_eq!(Query::parse("SN=ABC123").serial().unwrap(), "ABC123");
        assert_eq!(Query::parse("sn=ABC123").serial().unwrap(), "ABC123");
        assert_eq!(Query::parse("x=1").serial(), Err(PushError::MissingSerial));
        assert_eq!(Query::parse("SN=").serial(), Err(PushError::MissingSerial));
        assert!(matches!(Query::parse("SN=a%0Ab").serial(), Err(PushError::InvalidSerial(_))));
    }
}
