//! Biometric templates in PUSH: the `FP`, `FACE` and `BIODATA` lines a terminal uploads in an
//! OPERLOG body, and the `DATA UPDATE FINGERTMP|FACE|BIODATA` / `DATA DELETE …` commands that
//! write them to another terminal (protocol sections 11.5–11.7 and 12).
//!
//! * `FP PIN=…\tFID=…\tSize=…\tValid=…\tTMP=<base64>` (finger 0–9),
//! * `FACE PIN=…\tFID=…\tSize=…\tValid=…\tTMP=<base64>` (one line per face template),
//! * `BIODATA Pin=…\tNo=…\tIndex=…\tValid=…\tDuress=…\tType=…\tMajorVer=…\tMinorVer=…\tFormat=…\tTmp=<base64>`
//!   (the unified record of newer firmware: Type 1 finger, 2 face, 8 palm, 9 visible-light face…).
//!
//! The template itself stays the base64 text the terminal sent: it is never decoded here, only
//! checked (base64 alphabet, bounded length) and carried.

use super::attlog::valid_pin;
use super::error::LineErrorKind;
use super::operlog::KeyValues;

/// Longest template accepted, in base64 characters. Fingerprint templates are 1–2 KiB, a
/// visible-light face template up to ~20 KiB; anything far beyond is not a template.
pub const MAX_TEMPLATE_CHARS: usize = 64 * 1024;

/// What a template is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateKind {
    /// `FP` / `FINGERTMP`.
    Finger,
    /// `FACE` (infrared face, PUSH 2.x).
    Face,
    /// `BIODATA` with its `Type` (1 finger, 2 face, 8 palm, 9 visible-light face, …).
    Bio(u32),
}

impl TemplateKind {
    /// Stable text for storage: `finger`, `face`, `bio:<type>`.
    pub fn as_key(&self) -> String {
        match self {
            Self::Finger => "finger".into(),
            Self::Face => "face".into(),
            Self::Bio(t) => format!("bio:{t}"),
        }
    }

    pub fn from_key(s: &str) -> Option<Self> {
        match s {
            "finger" => Some(Self::Finger),
            "face" => Some(Self::Face),
            _ => s.strip_prefix("bio:")?.parse().ok().map(Self::Bio),
        }
    }
}

/// One template line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BioTemplate {
    pub kind: TemplateKind,
    pub pin: String,
    /// `FID` (FP/FACE) or `No` (BIODATA): which finger or face template.
    pub no: u32,
    /// `Index` of BIODATA (several templates of one finger); 0 otherwise.
    pub index: u32,
    /// `Valid` (1 usable, 3 duress on old firmware); default 1.
    pub valid: u32,
    /// `Duress` of BIODATA; 0 otherwise.
    pub duress: u32,
    /// `MajorVer`, `MinorVer`, `Format` of BIODATA (algorithm version), as sent.
    pub major_ver: String,
    pub minor_ver: String,
    pub format: String,
    /// The base64 template, exactly as the terminal sent it.
    pub template: String,
}

fn is_base64(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

fn num(kv: &KeyValues, key: &'static str, default: u32) -> Result<u32, LineErrorKind> {
    match kv.get(key).map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v.parse().map_err(|_| LineErrorKind::NotANumber { field: key }),
    }
}

/// A short version field (digits, dots, letters): anything else is dropped rather than carried
/// into a command.
fn short(kv: &KeyValues, key: &str) -> String {
    let v = kv.get(key).unwrap_or_default().trim();
    if v.len() <= 16 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') {
        v.to_owned()
    } else {
        String::new()
    }
}

fn template_text(kv: &KeyValues) -> Result<String, LineErrorKind> {
    let t = kv.get("TMP").unwrap_or_default().trim();
    if t.is_empty() {
        return Err(LineErrorKind::MissingField { field: "TMP" });
    }
    if t.len() > MAX_TEMPLATE_CHARS || !is_base64(t) {
        return Err(LineErrorKind::BadTemplate);
    }
    Ok(t.to_owned())
}

/// Parses the rest of an `FP`, `FACE` or `BIODATA` line (after the first word).
pub(crate) fn parse(word: &str, rest: &str) -> Result<BioTemplate, LineErrorKind> {
    let kv = KeyValues::parse(rest, &['\t']);
    let pin = kv.get("PIN").ok_or(LineErrorKind::MissingField { field: "PIN" })?.trim();
    if !valid_pin(pin) {
        return Err(LineErrorKind::BadPin);
    }
    let (kind, no) = match word {
        "FP" => (TemplateKind::Finger, "FID"),
        "FACE" => (TemplateKind::Face, "FID"),
        _ => {
            if kv.get("Type").is_none() {
                return Err(LineErrorKind::MissingField { field: "Type" });
            }
            (TemplateKind::Bio(num(&kv, "Type", 0)?), "No")
        }
    };
    if kv.get(no).is_none() {
        return Err(LineErrorKind::MissingField { field: no });
    }
    let bio = matches!(kind, TemplateKind::Bio(_));
    let format = short(&kv, "Format");
    Ok(BioTemplate {
        kind,
        pin: pin.to_owned(),
        no: num(&kv, no, 0)?,
        index: if bio { num(&kv, "Index", 0)? } else { 0 },
        valid: num(&kv, "Valid", 1)?,
        duress: if bio { num(&kv, "Duress", 0)? } else { 0 },
        major_ver: if bio { short(&kv, "MajorVer") } else { String::new() },
        minor_ver: if bio { short(&kv, "MinorVer") } else { String::new() },
        format: match (bio, format.is_empty()) {
            (false, _) => String::new(),
            (true, true) => "0".into(),
            (true, false) => format,
        },
        template: template_text(&kv)?,
    })
}

impl BioTemplate {
    /// Checks what a command would carry (the parser guarantees it for parsed templates).
    pub(crate) fn check(&self) -> Result<(), super::CommandError> {
        use super::CommandError;
        if !valid_pin(&self.pin) {
            return Err(CommandError::BadPin(crate::util::excerpt(&self.pin, 30)));
        }
        if self.template.is_empty() || self.template.len() > MAX_TEMPLATE_CHARS || !is_base64(&self.template) {
            return Err(CommandError::BadField { field: "TMP" });
        }
        let version_ok = |v: &str| v.len() <= 16 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.');
        if !(version_ok(&self.major_ver) && version_ok(&self.minor_ver) && version_ok(&self.format)) {
            return Err(CommandError::BadField { field: "MajorVer" });
        }
        Ok(())
    }

    /// The fields after the table name, in the order of the upload line and of the command
    /// (`PIN=…\tFID=…\tSize=…\tValid=…\tTMP=…`, or the BIODATA order).
    fn fields(&self, pin: &str) -> String {
        match self.kind {
            TemplateKind::Finger | TemplateKind::Face => format!(
                "PIN={pin}\tFID={}\tSize={}\tValid={}\tTMP={}",
                self.no,
                self.template.len(),
                self.valid,
                self.template
            ),
            TemplateKind::Bio(t) => format!(
                "Pin={pin}\tNo={}\tIndex={}\tValid={}\tDuress={}\tType={t}\tMajorVer={}\tMinorVer={}\tFormat={}\tTmp={}",
                self.no,
                self.index,
                self.valid,
                self.duress,
                self.major_ver,
                self.minor_ver,
                self.format,
                self.template
            ),
        }
    }

    /// The OPERLOG line a terminal would upload for it (`FP …`, `FACE …`, `BIODATA …`).
    pub fn upload_line(&self) -> String {
        let word = match self.kind {
            TemplateKind::Finger => "FP",
            TemplateKind::Face => "FACE",
            TemplateKind::Bio(_) => "BIODATA",
        };
        format!("{word} {}", self.fields(&self.pin))
    }

    /// `DATA UPDATE FINGERTMP|FACE|BIODATA …` (without `C:<id>:`).
    pub(crate) fn update_command(&self) -> String {
        format!("DATA UPDATE {} {}", table(self.kind), self.fields(&self.pin))
    }
}

/// The table name of a kind in `DATA UPDATE|DELETE <table>`.
pub(crate) fn table(kind: TemplateKind) -> &'static str {
    match kind {
        TemplateKind::Finger => "FINGERTMP",
        TemplateKind::Face => "FACE",
        TemplateKind::Bio(_) => "BIODATA",
    }
}

/// `DATA DELETE FINGERTMP PIN=…` (every finger), `DATA DELETE FACE PIN=…`,
/// `DATA DELETE BIODATA Pin=…\tType=…`.
pub(crate) fn delete_command(pin: &str, kind: TemplateKind) -> String {
    match kind {
        TemplateKind::Finger | TemplateKind::Face => format!("DATA DELETE {} PIN={pin}", table(kind)),
        TemplateKind::Bio(t) => format!("DATA DELETE BIODATA Pin={pin}\tType={t}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_keys() {
        for k in [TemplateKind::Finger, TemplateKind::Face, TemplateKind::Bio(9)] {
            assert_eq!(TemplateKind::from_key(&k.as_key()), Some(k));
        }
        assert_eq!(TemplateKind::from_key("bio:x"), None);
        assert_eq!(TemplateKind::from_key("palm"), None);
    }

    #[test]
    fn an_fp_line_parses_and_renders_back() {
        let t = parse("FP", "PIN=2\tFID=6\tSize=12\tValid=1\tTMP=SghTUzIxAAAD").unwrap();
        assert_eq!((t.kind, t.pin.as_str(), t.no, t.valid), (TemplateKind::Finger, "2", 6, 1));
        assert_eq!(t.upload_line(), "FP PIN=2\tFID=6\tSize=12\tValid=1\tTMP=SghTUzIxAAAD");
        assert_eq!(t.update_command(), "DATA UPDATE FINGERTMP PIN=2\tFID=6\tSize=12\tValid=1\tTMP=SghTUzIxAAAD");
    }

    #[test]
    fn bad_templates_are_refused() {
        assert_eq!(parse("FP", "PIN=2\tFID=0\tTMP=").unwrap_err(), LineErrorKind::MissingField { field: "TMP" });
        assert_eq!(parse("FP", "PIN=2\tFID=0\tTMP=ab\u{1}cd").unwrap_err(), LineErrorKind::BadTemplate);
        assert_eq!(parse("FP", "PIN=2\tTMP=AAAA").unwrap_err(), LineErrorKind::MissingField { field: "FID" });
        assert_eq!(
            parse("BIODATA", "Pin=2\tNo=0\tTmp=AAAA").unwrap_err(),
            LineErrorKind::MissingField { field: "Type" }
        );
        let long = "A".repeat(MAX_TEMPLATE_CHARS + 1);
        assert_eq!(parse("FACE", &format!("PIN=2\tFID=0\tTMP={long}")).unwrap_err(), LineErrorKind::BadTemplate);
    }
}
