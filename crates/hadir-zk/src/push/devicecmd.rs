//! `POST /iclock/devicecmd` bodies: results of the commands a terminal ran.

use std::borrow::Cow;

use super::error::{LineError, LineErrorKind};
use super::operlog::KeyValues;

/// One `ID=<id>&Return=<code>&CMD=<command>[&k=v…]` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResult {
    /// 1-based line number in the body.
    pub line: usize,
    pub id: String,
    /// 0 success, negative error (see [`return_code_meaning`]); positive on a
    /// few file commands (bytes transferred).
    pub return_code: i32,
    /// `DATA`, `CLEAR_LOG`, `CHECK`, `INFO`, `REBOOT`, `SET OPTION`, …
    pub cmd: String,
    /// Further `&k=v` fields (e.g. `AttlogSum` of `VERIFY SUM`).
    pub extra: KeyValues,
    /// For `CMD=INFO`: the `key=value` lines that follow it.
    pub info: KeyValues,
}

impl CommandResult {
    pub fn meaning(&self) -> Cow<'static, str> {
        return_code_meaning(self.return_code)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceCmdBatch {
    pub results: Vec<CommandResult>,
    pub errors: Vec<LineError>,
}

/// Indonesian meaning of a `Return=` code (protocol Appendix 1), for the
/// operator's view of command results.
pub fn return_code_meaning(code: i32) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        0 => "berhasil",
        -1 => "parameter salah",
        -2 => "ukuran foto pengguna tidak sesuai",
        -3 => "kesalahan baca/tulis",
        -9 => "ukuran templat tidak sesuai",
        -10 => "PIN tidak dikenal",
        -11 => "format templat sidik jari tidak sah",
        -12 => "templat sidik jari tidak sah",
        -1001 => "kapasitas penuh",
        -1002 => "tidak didukung perangkat",
        -1003 => "waktu eksekusi habis",
        -1004 => "data tidak sesuai konfigurasi perangkat",
        -1005 => "perangkat sibuk",
        -1006 => "data terlalu panjang",
        -1007 => "kesalahan memori",
        -1008 => "gagal mengambil data server",
        other => return Cow::Owned(format!("kode {other}")),
    })
}

fn starts_result(line: &str) -> bool {
    line.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("ID="))
}

fn parse_result(line_no: usize, line: &str) -> Result<CommandResult, LineErrorKind> {
    let mut id = None;
    let mut code = None;
    let mut cmd = None;
    let mut extra = Vec::new();
    for part in line.split('&') {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        match k.trim().to_ascii_uppercase().as_str() {
            "ID" => id = Some(v.trim().to_owned()),
            "RETURN" => code = Some(v.trim()),
            "CMD" => cmd = Some(v.trim().to_owned()),
            _ if !k.trim().is_empty() => {
                extra.push((k.trim().to_owned(), crate::util::excerpt(v, 200)));
            }
            _ => {}
        }
    }
    let id = id.filter(|i| !i.is_empty()).ok_or(LineErrorKind::MissingField { field: "ID" })?;
    let return_code = code
        .ok_or(LineErrorKind::MissingField { field: "Return" })?
        .parse()
        .map_err(|_| LineErrorKind::NotANumber { field: "Return" })?;
    Ok(CommandResult {
        line: line_no,
        id: crate::util::excerpt(&id, 32),
        return_code,
        cmd: crate::util::excerpt(&cmd.unwrap_or_default(), 64),
        extra: KeyValues(extra),
        info: KeyValues::default(),
    })
}

/// Parses a devicecmd body; reply `OK` afterwards. Lines after a `CMD=INFO`
/// result that are not results themselves are that result's `key=value`
/// report.
pub fn parse_devicecmd(body: &[u8]) -> DeviceCmdBatch {
    let text = String::from_utf8_lossy(body);
    let mut batch = DeviceCmdBatch::default();
    // Whether the previous result line was a well-formed `CMD=INFO` whose
    // report lines may follow; a malformed result line closes it.
    let mut info_open = false;
    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if starts_result(line.trim_start()) {
            info_open = false;
            match parse_result(line_no, line.trim_start()) {
                Ok(r) => {
                    info_open = r.cmd.eq_ignore_ascii_case("INFO");
                    batch.results.push(r);
                }
                Err(kind) => batch.errors.push(LineError::new(line_no, kind, line)),
            }
            continue;
        }
        match batch.results.last_mut() {
            Some(last) if info_open => {
                let (k, v) = line.split_once('=').unwrap_or((line, ""));
                last.info.0.push((k.trim().to_owned(), crate::util::excerpt(v.trim(), 200)));
            }
            _ => batch.errors.push(LineError::new(line_no, LineErrorKind::Unrecognised, line)),
        }
    }
    batch
}
