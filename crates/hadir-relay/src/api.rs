//! The relay ↔ server contract (JSON bodies of `/api/v1/relay/*`).

use serde::{Deserialize, Serialize};

/// `POST /api/v1/relay/punches`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PunchBatch {
    pub terminals: Vec<TerminalReport>,
    pub punches: Vec<RelayPunch>,
    /// Issue 21: the office-network app's address for staff (`app_url`), shown in the central
    /// app as "Presensi lokal".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_url: Option<String>,
}

/// What the relay knows about one terminal (shown in the server's terminal list).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TerminalReport {
    pub sn: String,
    /// LAN address, `ip:port`.
    pub address: String,
    pub firmware: Option<String>,
    pub users: Option<i64>,
    pub records: Option<i64>,
    /// Terminal clock minus the relay's clock, in the terminal's zone.
    pub clock_drift_secs: Option<i64>,
    /// RFC 3339.
    pub last_pull: Option<String>,
    pub reachable: bool,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RelayPunch {
    pub sn: String,
    pub pin: String,
    /// The terminal's local wall clock, `YYYY-MM-DDTHH:MM:SS`.
    pub time: String,
    /// Only when the relay's config overrides the unit's zone.
    pub timezone: Option<String>,
    pub status: u8,
    pub verify: u8,
    pub workcode: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PunchReply {
    pub accepted: u64,
    pub duplicates: u64,
    #[serde(default)]
    pub sync_roster: bool,
}

/// `GET /api/v1/relay/roster`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Roster {
    pub users: Vec<RosterUser>,
    /// PINs that left the relay's unit (deactivated or moved out): the only
    /// terminal users the relay deletes, together with `users` marked
    /// `active: false`. A PIN the server does not mention is left alone.
    /// Absent (older servers) = nothing to delete.
    #[serde(default)]
    pub removed: Vec<String>,
    /// Issue 21: the unit's active employees with their argon2id password hashes, for signing
    /// in on the office network (absent from older servers).
    #[serde(default)]
    pub accounts: Vec<RosterAccount>,
}

/// One employee who may sign in at the relay's local app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterAccount {
    pub login: String,
    #[serde(default)]
    pub nip: Option<String>,
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// The `meta` part of `POST /api/v1/relay/checkins` (a check-in taken on the office network).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckinMeta {
    pub login: String,
    /// The phone's idempotency key.
    pub idempotency_key: String,
    /// RFC 3339, the relay's clock corrected by its offset to the server.
    pub punched_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The server's answer to a forwarded check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckinReply {
    pub punch_id: i64,
    /// `counted` or `pending`.
    pub state: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterUser {
    pub pin: String,
    pub name: String,
    #[serde(default)]
    pub privilege: u8,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub card: String,
    /// False: the person left the unit; their terminal user is deleted.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// `GET /api/v1/relay/templates` (issue 25): the templates the relay's terminals lack and the
/// employees they should lose. Held in memory only, until the next fetch replaces it.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RelayTemplates {
    #[serde(default)]
    pub templates: Vec<RelayTemplate>,
    #[serde(default)]
    pub removed: Vec<RelayTemplateRemoval>,
}

/// Never prints a template.
impl std::fmt::Debug for RelayTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayTemplates")
            .field("templates", &self.templates.len())
            .field("removed", &self.removed.len())
            .finish()
    }
}

/// One template to write to the listed terminals.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayTemplate {
    pub id: i64,
    /// Quoted back in the report.
    pub version: String,
    pub pin: String,
    /// `finger`, `face` or `bio:<type>`; the relay writes `finger` (the only kind port 4370
    /// carries) and reports the others failed.
    pub kind: String,
    pub no: u32,
    #[serde(default)]
    pub index: u32,
    #[serde(default = "one")]
    pub valid: u32,
    /// Base64.
    pub template: String,
    pub terminals: Vec<String>,
}

impl std::fmt::Debug for RelayTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayTemplate")
            .field("id", &self.id)
            .field("pin", &self.pin)
            .field("kind", &self.kind)
            .field("no", &self.no)
            .field("terminals", &self.terminals)
            .finish_non_exhaustive()
    }
}

fn one() -> u32 {
    1
}

/// An employee (by device PIN) the listed terminals should lose, with their templates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayTemplateRemoval {
    pub pin: String,
    pub terminals: Vec<String>,
}

/// `POST /api/v1/relay/templates`: what the relay did with the templates handed to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateReport {
    pub written: Vec<TemplateWritten>,
    pub removed: Vec<TemplateUserRemoved>,
    /// Templates the terminal cannot take (a kind port 4370 does not carry, bad data): the server
    /// logs them; they are not retried until they change.
    #[serde(default)]
    pub failed: Vec<TemplateFailed>,
}

impl TemplateReport {
    pub fn is_empty(&self) -> bool {
        self.written.is_empty() && self.removed.is_empty() && self.failed.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateWritten {
    pub sn: String,
    pub id: i64,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateUserRemoved {
    pub sn: String,
    pub pin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateFailed {
    pub sn: String,
    pub id: i64,
    pub version: String,
    /// `unsupported_kind`, `bad_template`, `too_large`.
    pub reason: String,
}

/// `POST /api/v1/relay/templates/upload`: fingers enrolled on the relay's terminals.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateUpload {
    pub templates: Vec<UploadedTemplate>,
}

impl std::fmt::Debug for TemplateUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateUpload").field("templates", &self.templates.len()).finish()
    }
}

/// One fingerprint template read from a terminal's template table.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadedTemplate {
    pub sn: String,
    pub pin: String,
    /// 0–9.
    pub finger: u8,
    /// 1 usable, 3 duress.
    pub valid: u8,
    /// Base64 of the template bytes.
    pub template: String,
}

/// Never prints the template.
impl std::fmt::Debug for UploadedTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadedTemplate")
            .field("sn", &self.sn)
            .field("pin", &self.pin)
            .field("finger", &self.finger)
            .finish_non_exhaustive()
    }
}

/// The server's answer to an upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateUploadReply {
    pub stored: usize,
    pub unchanged: usize,
    /// Not stored: unknown PIN, an employee outside the terminal's unit, a terminal not the
    /// relay's or not approved.
    pub dropped: usize,
}
