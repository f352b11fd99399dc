//! `POST /iclock/cdata?table=OPERLOG` bodies (operation log, user info,
//! fingerprint templates, …) and `table=options` bodies.

use jiff::civil::DateTime;

use super::attlog::valid_pin;
use super::error::{LineError, LineErrorKind};
use super::template::BioTemplate;

/// `key=value` pairs in the order received. Lookups ignore ASCII case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyValues(pub Vec<(String, String)>);

impl KeyValues {
    /// Splits `rest` on any of `seps`; a part without `=` is kept with an
    /// empty value. Only the first `=` separates (values may contain `=`).
    pub(crate) fn parse(rest: &str, seps: &[char]) -> Self {
        Self(
            rest.split(seps)
                .map(|p| p.trim_matches(|c| c == '\r' || c == ' '))
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (k.trim().to_owned(), v.to_owned()),
                    None => (p.to_owned(), String::new()),
                })
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_owned()
    }
}

/// `OPLOG type \t who \t time \t v1 \t v2 \t v3 \t reserved` (Appendix 3/4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpLog {
    /// Operation code: 0 startup, 3 alarm, 4 menu, 6 enrol finger, 9 delete
    /// user, 21 set time, 30 enrol user, …
    pub op_type: u32,
    /// Who did it (admin PIN, 0 for the device itself).
    pub operator: String,
    pub time: DateTime,
    /// Operands 1–3 and the reserved field, as sent.
    pub values: Vec<String>,
}

/// `USER PIN=… \t Name=… \t Pri=… \t Passwd=… \t Card=… \t Grp=… \t TZ=… \t Verify=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub pin: String,
    /// UTF-8, or lossily decoded GB2312 on Chinese-language firmware.
    pub name: String,
    /// 0 user, 2 registrar, 6 admin, 14 super admin.
    pub privilege: u32,
    pub password: String,
    /// Decimal, or `[%02x%02x%02x%02x]` hex on some firmware.
    pub card: String,
    pub group: String,
    pub tz: String,
    /// `None` when absent, empty or -1 (use the group's mode).
    pub verify: Option<i32>,
    pub vice_card: Option<String>,
}

/// One OPERLOG line, by its first word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperLogEntry {
    OpLog(OpLog),
    User(UserInfo),
    /// `FP`, `FACE` or `BIODATA`: a biometric template.
    Template(BioTemplate),
    UserPic(KeyValues),
    BioPhoto(KeyValues),
    /// Kinds we do not interpret (ERRORLOG, …): kept for logging.
    Other {
        kind: String,
        rest: String,
    },
}

/// An entry with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperLogLine {
    pub line: usize,
    pub entry: OperLogEntry,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperLogBatch {
    pub entries: Vec<OperLogLine>,
    pub errors: Vec<LineError>,
}

fn required_pin(kv: &KeyValues) -> Result<String, LineErrorKind> {
    let pin = kv.get("PIN").ok_or(LineErrorKind::MissingField { field: "PIN" })?.trim();
    if valid_pin(pin) { Ok(pin.to_owned()) } else { Err(LineErrorKind::BadPin) }
}

fn opt_num<T: std::str::FromStr>(kv: &KeyValues, key: &'static str) -> Result<Option<T>, LineErrorKind> {
    match kv.get(key).map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| LineErrorKind::NotANumber { field: key }),
    }
}

fn parse_oplog(rest: &str) -> Result<OpLog, LineErrorKind> {
    let mut f = rest.split('\t').map(str::trim);
    let op_type = f
        .next()
        .filter(|s| !s.is_empty())
        .ok_or(LineErrorKind::MissingField { field: "OpType" })?
        .parse()
        .map_err(|_| LineErrorKind::NotANumber { field: "OpType" })?;
    let operator = f.next().unwrap_or_default().to_owned();
    let time = f.next().ok_or(LineErrorKind::MissingField { field: "OpTime" })?;
    let time = crate::util::parse_civil(time).ok_or(LineErrorKind::BadTime)?;
    let values = f.take(8).map(str::to_owned).collect();
    Ok(OpLog { op_type, operator, time, values })
}

fn parse_user(rest: &str) -> Result<UserInfo, LineErrorKind> {
    let kv = KeyValues::parse(rest, &['\t']);
    let pin = required_pin(&kv)?;
    let verify = opt_num::<i32>(&kv, "Verify")?.filter(|&v| v >= 0);
    Ok(UserInfo {
        pin,
        name: kv.text("Name").trim().to_owned(),
        privilege: opt_num(&kv, "Pri")?.unwrap_or(0),
        password: kv.text("Passwd"),
        card: kv.text("Card").trim().to_owned(),
        group: kv.text("Grp").trim().to_owned(),
        tz: kv.text("TZ").trim().to_owned(),
        verify,
        vice_card: kv.get("ViceCard").map(|v| v.trim().to_owned()),
    })
}

fn parse_line(line: &str) -> Result<OperLogEntry, LineErrorKind> {
    let line = line.trim_start();
    let (kind, rest) = line.split_once([' ', '\t']).unwrap_or((line, ""));
    Ok(match kind {
        "OPLOG" => OperLogEntry::OpLog(parse_oplog(rest)?),
        "USER" => OperLogEntry::User(parse_user(rest)?),
        "FP" | "FACE" | "BIODATA" => OperLogEntry::Template(super::template::parse(kind, rest)?),
        "USERPIC" => OperLogEntry::UserPic(KeyValues::parse(rest, &['\t'])),
        "BIOPHOTO" => OperLogEntry::BioPhoto(KeyValues::parse(rest, &['\t'])),
        "" => return Err(LineErrorKind::Unrecognised),
        other => OperLogEntry::Other { kind: crate::util::excerpt(other, 32), rest: crate::util::excerpt(rest, 200) },
    })
}

/// A line as it may be quoted in an error (and so in logs): a template line is cut before its
/// template (`TMP=`/`Tmp=`), which must never reach a log, even in part.
fn without_template(line: &str) -> &str {
    let word = line.trim_start().split([' ', '\t']).next().unwrap_or_default();
    if !matches!(word, "FP" | "FACE" | "BIODATA") {
        return line;
    }
    match line.to_ascii_uppercase().find("TMP=") {
        Some(i) => line.get(..i + 4).unwrap_or_default(),
        None => line,
    }
}

/// Parses an OPERLOG body line by line (UTF-8, invalid bytes replaced).
/// Malformed lines are reported individually; the reply's `OK:<n>` should
/// count the lines the server processed.
pub fn parse_operlog(body: &[u8]) -> OperLogBatch {
    let text = String::from_utf8_lossy(body);
    let mut batch = OperLogBatch::default();
    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Ok(entry) => batch.entries.push(OperLogLine { line: line_no, entry }),
            Err(kind) => batch.errors.push(LineError::new(line_no, kind, without_template(line))),
        }
    }
    batch
}

/// Parses a `table=options` body: `key=value` pairs separated by commas (as
/// documented) or newlines (as some firmware sends). Reply `OK`.
pub fn parse_options(body: &[u8]) -> KeyValues {
    KeyValues::parse(&String::from_utf8_lossy(body), &[',', '\n'])
}
