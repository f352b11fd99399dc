//! Commands the server queues for a terminal, sent as `C:<id>:<command>`
//! lines in the reply to `GET /iclock/getrequest`.

use jiff::civil::DateTime;
use thiserror::Error;

use super::attlog::valid_pin;

/// ZKTeco's server stops a getrequest reply at about this size; terminals
/// have small receive buffers.
const MAX_REPLY_BYTES: usize = 40 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("ID perintah harus 1–16 huruf/angka: {0:?}")]
    BadId(String),
    #[error("PIN tidak sah: {0:?}")]
    BadPin(String),
    #[error("field {field} berisi karakter terlarang atau terlalu panjang")]
    BadField { field: &'static str },
}

/// Command id: letters and digits, at most 16 (protocol section 12).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommandId(String);

impl CommandId {
    pub fn new(id: &str) -> Result<Self, CommandError> {
        if (1..=16).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(id.to_owned()))
        } else {
            Err(CommandError::BadId(crate::util::excerpt(id, 20)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<u32> for CommandId {
    fn from(n: u32) -> Self {
        Self(n.to_string())
    }
}

impl std::fmt::Display for CommandId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Replaces tabs, newlines and other control characters with spaces and
/// trims: fields are tab-separated and commands newline-separated, so a name
/// like `"Budi\nC:1:REBOOT"` must not become a second command.
pub fn sanitize_field(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

/// Short fields that must be sent verbatim (password, card, TZ): refuse
/// rather than alter them silently.
fn check_plain(value: &str, field: &'static str, max: usize) -> Result<(), CommandError> {
    if value.chars().count() <= max && !value.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(CommandError::BadField { field })
    }
}

fn check_pin(pin: &str) -> Result<(), CommandError> {
    if valid_pin(pin) { Ok(()) } else { Err(CommandError::BadPin(crate::util::excerpt(pin, 30))) }
}

/// `DATA UPDATE USERINFO` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserUpdate {
    pub pin: String,
    pub name: String,
    /// 0 user, 2 registrar, 6 admin, 14 super admin.
    pub privilege: u8,
    pub password: String,
    pub card: String,
    pub group: u32,
    /// Time-period digits (16); the default uses personal period 1 = 1.
    pub tz: String,
    /// Appendix 7 verification mode; `None` leaves the group's mode.
    pub verify: Option<i32>,
}

impl UserUpdate {
    /// An ordinary user (no password, no card, group 1).
    pub fn new(pin: &str, name: &str) -> Self {
        Self {
            pin: pin.to_owned(),
            name: name.to_owned(),
            privilege: 0,
            password: String::new(),
            card: String::new(),
            group: 1,
            tz: "0000000100000000".to_owned(),
            verify: None,
        }
    }
}

/// A command for a PUSH terminal (protocol section 12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Add or update a user.
    UpdateUser(UserUpdate),
    /// Write a fingerprint/face template (`DATA UPDATE FINGERTMP|FACE|BIODATA`).
    UpdateTemplate(super::BioTemplate),
    /// Remove every template of one kind of a user (`DATA DELETE FINGERTMP|FACE|BIODATA`).
    DeleteTemplates {
        pin: String,
        kind: super::TemplateKind,
    },
    /// Delete a user with fingerprints, face and photo.
    DeleteUser {
        pin: String,
    },
    /// Make the terminal upload the punches between two local times.
    QueryAttLog {
        start: DateTime,
        end: DateTime,
    },
    /// Make the terminal upload one user's info.
    QueryUser {
        pin: String,
    },
    /// Clear the terminal's attendance log (use only after the server holds
    /// everything).
    ClearLog,
    /// Re-read the handshake options and resend according to the stamps
    /// (with stamps at 0: resend everything).
    Check,
    /// Upload new data now.
    Log,
    /// Report configuration (reply comes back as `CMD=INFO` plus lines).
    Info,
    Reboot,
    /// Set one option, e.g. `TimeZone=8`.
    SetOption {
        key: String,
        value: String,
    },
    ReloadOptions,
}

impl Command {
    /// The command text after `C:<id>:`.
    pub fn render(&self) -> Result<String, CommandError> {
        Ok(match self {
            Self::UpdateUser(u) => {
                check_pin(&u.pin)?;
                check_plain(&u.password, "Passwd", 16)?;
                check_plain(&u.card, "Card", 32)?;
                if !(u.tz.len() <= 32 && u.tz.bytes().all(|b| b.is_ascii_digit())) {
                    return Err(CommandError::BadField { field: "TZ" });
                }
                let mut s = format!(
                    "DATA UPDATE USERINFO PIN={}\tName={}\tPri={}\tPasswd={}\tCard={}\tGrp={}\tTZ={}",
                    u.pin,
                    sanitize_field(&u.name),
                    u.privilege,
                    u.password,
                    u.card,
                    u.group,
                    u.tz
                );
                if let Some(v) = u.verify {
                    s.push_str(&format!("\tVerify={v}"));
                }
                s
            }
            Self::UpdateTemplate(t) => {
                t.check()?;
                t.update_command()
            }
            Self::DeleteTemplates { pin, kind } => {
                check_pin(pin)?;
                super::template::delete_command(pin, *kind)
            }
            Self::DeleteUser { pin } => {
                check_pin(pin)?;
                format!("DATA DELETE USERINFO PIN={pin}")
            }
            Self::QueryAttLog { start, end } => format!(
                "DATA QUERY ATTLOG StartTime={}\tEndTime={}",
                crate::util::format_civil(*start),
                crate::util::format_civil(*end)
            ),
            Self::QueryUser { pin } => {
                check_pin(pin)?;
                format!("DATA QUERY USERINFO PIN={pin}")
            }
            Self::ClearLog => "CLEAR LOG".to_owned(),
            Self::Check => "CHECK".to_owned(),
            Self::Log => "LOG".to_owned(),
            Self::Info => "INFO".to_owned(),
            Self::Reboot => "REBOOT".to_owned(),
            Self::SetOption { key, value } => {
                let key_ok = (1..=64).contains(&key.len())
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'~' | b'_' | b'.'));
                if !key_ok {
                    return Err(CommandError::BadField { field: "key" });
                }
                check_plain(value, "value", 256)?;
                format!("SET OPTION {key}={value}")
            }
            Self::ReloadOptions => "RELOAD OPTIONS".to_owned(),
        })
    }

    /// The full line `C:<id>:<command>` (no trailing newline).
    pub fn line(&self, id: &CommandId) -> Result<String, CommandError> {
        Ok(format!("C:{id}:{}", self.render()?))
    }

    /// What the terminal puts in `CMD=` when it reports the result.
    pub fn reply_name(&self) -> &'static str {
        match self {
            Self::UpdateUser(_)
            | Self::UpdateTemplate(_)
            | Self::DeleteTemplates { .. }
            | Self::DeleteUser { .. }
            | Self::QueryAttLog { .. }
            | Self::QueryUser { .. } => "DATA",
            Self::ClearLog => "CLEAR_LOG",
            Self::Check => "CHECK",
            Self::Log => "LOG",
            Self::Info => "INFO",
            Self::Reboot => "REBOOT",
            Self::SetOption { .. } => "SET OPTION",
            Self::ReloadOptions => "RELOAD OPTIONS",
        }
    }
}

/// Body of the reply to `GET /iclock/getrequest`: `OK` when nothing is
/// queued, else the command lines, each LF-terminated. Like ZKTeco's server
/// it stops after about 40 KiB and right after a `REBOOT` (the terminal
/// would not run what follows). Returns the body and how many lines it
/// holds, so the server marks only those as sent.
pub fn getrequest_reply<I, S>(lines: I) -> (String, usize)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut body = String::new();
    let mut count = 0;
    for line in lines {
        let line = line.as_ref();
        if count > 0 && body.len() + line.len() + 1 > MAX_REPLY_BYTES {
            break;
        }
        body.push_str(line);
        body.push('\n');
        count += 1;
        if line.ends_with(":REBOOT") {
            break;
        }
    }
    if count == 0 {
        body.push_str(super::REPLY_OK);
    }
    (body, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(CommandId::new("info8487").is_ok());
        assert!(CommandId::new("").is_err());
        assert!(CommandId::new("12345678901234567").is_err());
        assert!(CommandId::new("a:b").is_err());
        assert_eq!(CommandId::from(17).as_str(), "17");
    }

    #[test]
    fn reply_stops_after_reboot() {
        let (body, n) = getrequest_reply(["C:1:REBOOT", "C:2:INFO"]);
        assert_eq!((body.as_str(), n), ("C:1:REBOOT\n", 1));
        let (body, n) = getrequest_reply(Vec::<String>::new());
        assert_eq!((body.as_str(), n), ("OK", 0));
    }
}
