//! Terminals (fingerprint/face devices), their command queues, and office relays.
//!
//! A terminal is known by its serial number. It is `pending` when it called the server (or an
//! office relay reported it, or an operator proposed it) before an admin registered it; its
//! punches wait outside the hash chain in quarantine ([`QuarantinedPunch`]). It is `active` once
//! an admin registered or approved it, `disabled` when retired. A relay only ever reports
//! terminals of its own unit subtree: new serials become pending in its unit.

use crate::Result;
use crate::types::{Audit, Id};
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceState {
    Active,
    Pending,
    Disabled,
}

impl DeviceState {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeviceState::Active => "active",
            DeviceState::Pending => "pending",
            DeviceState::Disabled => "disabled",
        }
    }
    pub fn parse(s: &str) -> Option<DeviceState> {
        Some(match s {
            "active" => DeviceState::Active,
            "pending" => DeviceState::Pending,
            "disabled" => DeviceState::Disabled,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: Id,
    pub sn: String,
    pub state: DeviceState,
    pub unit_id: Option<Id>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub unit_path: Option<String>,
    /// The unit's zone (IANA name).
    pub unit_timezone: Option<String>,
    /// Zone override for this terminal (IANA name); else the unit's.
    pub timezone: Option<String>,
    /// Registered by a relay on first sight (a person may still register it elsewhere).
    pub auto_registered: bool,
    pub model: Option<String>,
    pub firmware: Option<String>,
    /// `pushver` of a PUSH terminal.
    pub pushver: Option<String>,
    /// The address its PUSH requests came from.
    pub ip: Option<String>,
    /// The IP the terminal reports about itself (INFO).
    pub reported_ip: Option<String>,
    pub last_seen: Option<Timestamp>,
    pub users: Option<i64>,
    pub fingerprints: Option<i64>,
    pub records: Option<i64>,
    pub attlog_stamp: i64,
    pub operlog_stamp: i64,
    pub attphoto_stamp: i64,
    pub relay_id: Option<Id>,
    pub relay_name: Option<String>,
    /// `ip:port` on the office LAN, as the relay reaches it.
    pub lan_address: Option<String>,
    pub last_pull: Option<Timestamp>,
    pub reachable: Option<bool>,
    pub last_error: Option<String>,
    pub clock_drift_secs: Option<i64>,
    /// Commands queued and not yet sent.
    pub pending_commands: i64,
    pub created_at: Timestamp,
    /// PUSH requests are accepted only from this address or CIDR (normalised, e.g.
    /// `10.1.2.0/24`, `10.1.2.3/32`); `None`: from anywhere.
    #[serde(default)]
    pub bound_cidr: Option<String>,
    /// Who proposed this pending terminal (an operator; an admin decides).
    #[serde(default)]
    pub proposed_by: Option<String>,
    /// Punches waiting in quarantine (outside the chain) until an admin approves it.
    #[serde(default)]
    pub quarantined: i64,
}

impl Device {
    /// The zone that turns this terminal's wall clock into instants: its override, else its unit's.
    pub fn zone_name(&self) -> Option<&str> {
        self.timezone.as_deref().or(self.unit_timezone.as_deref())
    }
}

/// A terminal registered by a person.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDevice {
    pub sn: String,
    pub unit_code: String,
    pub timezone: Option<String>,
}

/// A PUSH request from a terminal: when, from where, and whatever it reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceContact {
    pub sn: String,
    pub at: Option<Timestamp>,
    pub ip: Option<String>,
    pub pushver: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub reported_ip: Option<String>,
    pub users: Option<i64>,
    pub fingerprints: Option<i64>,
    pub records: Option<i64>,
    /// When the serial is unknown and this many terminals are already pending, nothing is
    /// stored and the call fails with `Conflict("max_pending")`.
    pub max_pending: Option<u64>,
}

/// A punch of a terminal that is not approved yet, kept outside the hash chain (discardable
/// with the terminal). Unique per serial, PIN and local time, like the chain's dedup key.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantinedPunch {
    /// 0 for a new one.
    pub id: Id,
    pub device_sn: String,
    pub pin: String,
    /// The terminal's wall clock, `YYYY-MM-DDTHH:MM:SS`.
    pub local_time: String,
    /// Zone override given with it (a relay's configuration); else the terminal's zone.
    pub timezone: Option<String>,
    pub status: i64,
    pub verify: i64,
    pub source: crate::PunchSource,
    /// When the server received it (kept when it moves into the chain).
    pub received_at: Timestamp,
}

/// Upload marks (`Stamp=` of cdata uploads); `None` leaves a stamp as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StampUpdate {
    pub attlog: Option<i64>,
    pub operlog: Option<i64>,
    pub attphoto: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct DeviceFilter {
    pub state: Option<DeviceState>,
    /// Only terminals of these unit subtrees (materialised paths); `None`: all, including
    /// pending terminals that have no unit yet.
    pub subtrees: Option<Vec<String>>,
    /// Only this unit's subtree (a code).
    pub unit_code: Option<String>,
    pub relay_id: Option<Id>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommandState {
    Queued,
    Sent,
    Ok,
    Error,
}

impl CommandState {
    pub fn as_str(&self) -> &'static str {
        match self {
            CommandState::Queued => "queued",
            CommandState::Sent => "sent",
            CommandState::Ok => "ok",
            CommandState::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<CommandState> {
        Some(match s {
            "queued" => CommandState::Queued,
            "sent" => CommandState::Sent,
            "ok" => CommandState::Ok,
            "error" => CommandState::Error,
            _ => return None,
        })
    }
}

/// One queued terminal command; the terminal sees `C:<id>:<command>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceCommand {
    pub id: Id,
    pub sn: String,
    pub command: String,
    pub state: CommandState,
    pub return_code: Option<i64>,
    /// What the return code means (Indonesian).
    pub meaning: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub done_at: Option<Timestamp>,
}

/// A result line of `POST /iclock/devicecmd`.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandOutcome {
    pub id: Id,
    pub return_code: i64,
    pub meaning: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relay {
    pub id: Id,
    pub name: String,
    pub unit_id: Id,
    pub unit_code: String,
    pub unit_path: String,
    pub revoked: bool,
    pub created_at: Timestamp,
    pub last_seen: Option<Timestamp>,
    /// An operator asked for the roster to be written to this relay's terminals.
    pub sync_requested: bool,
    /// The address of its office-network app, as the relay reports it (issue 21).
    pub local_url: Option<String>,
}

/// What a relay says about one terminal it reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelayTerminal {
    pub sn: String,
    pub lan_address: Option<String>,
    pub firmware: Option<String>,
    pub users: Option<i64>,
    pub records: Option<i64>,
    pub clock_drift_secs: Option<i64>,
    pub last_pull: Option<Timestamp>,
    pub reachable: Option<bool>,
    pub last_error: Option<String>,
}

/// What [`DeviceStore::relay_report`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelayReport {
    /// The terminals of the relay's unit subtree it reported (new ones pending there).
    pub devices: Vec<Device>,
    /// Serials registered to a unit outside the relay's subtree: left untouched.
    pub refused: Vec<String>,
    /// Serials this relay reported for the first time (new, or until now behind no relay or
    /// another one): the relay has yet to write the roster and templates to them.
    pub joined: Vec<String>,
}

/// Terminal registry, device command queue and relays.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Registers a terminal to a unit (active; an admin's decision). A serial seen before as
    /// `pending`, or registered automatically through a relay, is taken over; one registered by a
    /// person is a `Conflict("sn")`.
    async fn register_device(&self, d: &NewDevice, audit: Audit) -> Result<Device>;
    /// Makes a terminal active in `unit_code` (a pending one, or one to move). Quarantined punches
    /// are moved into the chain separately (by the caller, through the normal ingest path).
    async fn approve_device(&self, sn: &str, unit_code: &str, timezone: Option<&str>, audit: Audit) -> Result<Device>;
    /// Sets (or clears) the zone override.
    async fn set_device_timezone(&self, sn: &str, timezone: Option<&str>, audit: Audit) -> Result<Device>;
    async fn device_by_sn(&self, sn: &str) -> Result<Device>;
    /// Ordered by serial.
    async fn list_devices(&self, f: &DeviceFilter) -> Result<Vec<Device>>;
    /// Records a PUSH request: an unknown serial is created `pending`; known fields overwrite.
    async fn device_contact(&self, c: &DeviceContact) -> Result<Device>;
    async fn set_device_stamps(&self, sn: &str, stamps: StampUpdate) -> Result<()>;
    /// Sets every stamp to 0 so the terminal resends everything it holds.
    async fn reset_device_stamps(&self, sn: &str, audit: Audit) -> Result<()>;

    /// Appends commands (rendered command text, without `C:<id>:`) in order.
    async fn queue_device_commands(
        &self,
        sn: &str,
        commands: &[String],
        audit: Option<Audit>,
    ) -> Result<Vec<DeviceCommand>>;
    /// Queued commands, oldest first.
    async fn queued_device_commands(&self, sn: &str, limit: u32) -> Result<Vec<DeviceCommand>>;
    async fn mark_device_commands_sent(&self, sn: &str, ids: &[Id], at: Timestamp) -> Result<()>;
    /// Records results of this terminal's commands; unknown ids are ignored. Returns how many matched.
    async fn record_device_command_results(&self, sn: &str, results: &[CommandOutcome], at: Timestamp) -> Result<u64>;
    /// Newest first.
    async fn list_device_commands(&self, sn: &str, limit: u32) -> Result<Vec<DeviceCommand>>;
    /// Hands out queued commands exactly once: reads up to `limit` queued commands (oldest
    /// first), lets `fit` say how many of them go out (a reply has a size limit), and marks that
    /// many `sent` at `at`, all while holding the terminal's queue so that two polls (on any
    /// instance) never hand out the same command. Returns the commands handed out, in order.
    ///
    /// The default is the two separate steps; a backend shared by several instances overrides it.
    async fn take_device_commands(
        &self,
        sn: &str,
        limit: u32,
        at: Timestamp,
        fit: &(dyn for<'c> Fn(&'c [DeviceCommand]) -> usize + Send + Sync),
    ) -> Result<Vec<DeviceCommand>> {
        let mut queued = self.queued_device_commands(sn, limit).await?;
        queued.truncate(fit(&queued));
        let ids: Vec<Id> = queued.iter().map(|c| c.id).collect();
        self.mark_device_commands_sent(sn, &ids, at).await?;
        Ok(queued)
    }

    /// Stores a relay under the SHA-256 of its token (the token itself is never stored).
    async fn create_relay(&self, name: &str, unit_code: &str, token_hash: &[u8], audit: Audit) -> Result<Relay>;
    /// A relay that is not revoked.
    async fn relay_by_token(&self, token_hash: &[u8]) -> Result<Relay>;
    async fn relay_by_id(&self, id: Id) -> Result<Relay>;
    async fn revoke_relay(&self, id: Id, audit: Audit) -> Result<Relay>;
    async fn list_relays(&self) -> Result<Vec<Relay>>;
    /// Records a relay's upload: its last contact, and each terminal it reports. A new serial is
    /// created `pending` in the relay's unit (a pending one without a unit gets it); a terminal of
    /// the relay's unit subtree gets the relay's readings; one of another unit is left untouched
    /// and listed in `refused`. Nothing is ever activated here.
    async fn relay_report(&self, relay_id: Id, terminals: &[RelayTerminal], at: Timestamp) -> Result<RelayReport>;
    /// Binds a terminal's PUSH requests to an address or CIDR (`None`: unbinds).
    async fn bind_device(&self, sn: &str, cidr: Option<&str>, audit: Audit) -> Result<Device>;
    /// An operator proposes a serial for `unit_code`: an unknown serial is created `pending` in
    /// that unit (subject to `max_pending`: `Conflict("max_pending")`), a pending one records the
    /// proposal; an active or disabled one is a `Conflict("sn")`.
    async fn propose_device(
        &self,
        sn: &str,
        unit_code: &str,
        proposed_by: &str,
        max_pending: u64,
        audit: Audit,
    ) -> Result<Device>;
    /// Stores punches of a terminal not approved yet, outside the chain; one already held
    /// (same serial, PIN and local time) is skipped. Returns how many were new.
    async fn quarantine_punches(&self, punches: &[QuarantinedPunch]) -> Result<u64>;
    /// A terminal's quarantined punches, oldest first.
    async fn quarantined_punches(&self, sn: &str, limit: u32) -> Result<Vec<QuarantinedPunch>>;
    /// Removes these quarantined punches (after they moved into the chain).
    async fn delete_quarantined_punches(&self, ids: &[Id]) -> Result<u64>;
    /// Removes a pending terminal with its quarantined punches and commands (admin, audited).
    /// Not pending: `Conflict("state")`. Returns how many quarantined punches were discarded.
    async fn discard_device(&self, sn: &str, audit: Audit) -> Result<u64>;

    /// Asks the relay to write the roster to its terminals.
    async fn request_relay_sync(&self, relay_id: Id, audit: Audit) -> Result<()>;
    /// Clears the sync request; returns whether there was one.
    async fn take_relay_sync(&self, relay_id: Id) -> Result<bool>;
    /// Records the address of the relay's office-network app (`None` clears it).
    async fn set_relay_local_url(&self, relay_id: Id, url: Option<&str>) -> Result<()>;
}
