//! What the relay's tasks share: status for the page and the server, and
//! the signals between tasks (sync now, roster, upload).

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;
use serde::Serialize;
use tokio::sync::{Notify, watch};

use crate::api::{PunchReply, RelayTemplates, Roster, TerminalReport};
use crate::config::{Protocol, RelayConfig};

#[derive(Debug, Clone, Default, Serialize)]
pub struct TerminalStatus {
    pub address: String,
    pub protocol: Protocol,
    pub sn: Option<String>,
    pub firmware: Option<String>,
    pub users: Option<i64>,
    pub records: Option<i64>,
    pub clock_drift_secs: Option<i64>,
    pub last_pull: Option<Timestamp>,
    /// Outcome of the last contact; `None` before the first one.
    pub reachable: Option<bool>,
    pub last_error: Option<String>,
    pub last_roster_sync: Option<Timestamp>,
    /// Records in the terminal's log the relay has not read yet (when known).
    pub unread: Option<u32>,
    /// Issue 25: fingerprint templates on the terminal (at its last template read or write),
    /// and since the relay started: fingers it wrote there from the server, fingers enrolled
    /// there that it uploaded.
    pub fingers: Option<i64>,
    pub fingers_written: u64,
    pub fingers_uploaded: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerStatus {
    pub url: String,
    pub reachable: Option<bool>,
    pub last_contact: Option<Timestamp>,
    pub last_error: Option<String>,
    pub accepted: u64,
    pub duplicates: u64,
    /// The server's clock minus the relay's, in milliseconds, from the `Date` header of its
    /// last answer (1-second resolution); `None` before the first answer.
    pub clock_offset_ms: Option<i64>,
    /// The server refused the relay's token (401): revoked, or a wrong token in relay.toml.
    pub token_refused: bool,
    /// Office-network check-ins the server stored.
    pub checkins_forwarded: u64,
    /// The office-network app's address for staff (`app_url`, else `app_listen`).
    pub local_app_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StatusSnapshot {
    pub terminals: Vec<TerminalStatus>,
    pub server: ServerStatus,
}

pub(crate) struct Shared {
    status: Mutex<StatusSnapshot>,
    /// Bumped by "Sinkron sekarang": every terminal task pulls at once.
    pub(crate) pull_now: watch::Sender<u64>,
    /// Asks the roster task to fetch the roster now.
    pub(crate) roster_now: Notify,
    /// The latest roster fetched from the server; terminal tasks apply each new one.
    pub(crate) roster: watch::Sender<Option<Arc<Roster>>>,
    /// The latest templates to write (issue 25), fetched with the roster; memory only.
    pub(crate) templates: watch::Sender<Option<Arc<RelayTemplates>>>,
    /// Wakes the uploader (new records, or terminal status to report).
    pub(crate) upload_now: Notify,
    /// Bumped when a roster fetch starts and when it ends (odd while one is in flight): an
    /// upload's reply asking for a sync may predate the server clearing its request for a
    /// fetch that overlapped the upload (see the uploader).
    pub(crate) roster_fetches: AtomicU64,
}

impl Shared {
    pub(crate) fn new(config: &RelayConfig) -> Self {
        let terminals = config
            .terminals
            .iter()
            .map(|t| TerminalStatus { address: t.address.clone(), protocol: t.protocol, ..TerminalStatus::default() })
            .collect();
        let local_app_url =
            config.app_url.clone().or_else(|| config.app_listen.as_ref().map(|a| format!("http://{a}/")));
        let server = ServerStatus { url: config.server.clone(), local_app_url, ..ServerStatus::default() };
        Self {
            status: Mutex::new(StatusSnapshot { terminals, server }),
            pull_now: watch::Sender::new(0),
            roster_now: Notify::new(),
            roster: watch::Sender::new(None),
            templates: watch::Sender::new(None),
            upload_now: Notify::new(),
            roster_fetches: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, StatusSnapshot> {
        // A panic elsewhere must not take the status page down with it.
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn snapshot(&self) -> StatusSnapshot {
        self.lock().clone()
    }

    pub(crate) fn update_terminal(&self, index: usize, f: impl FnOnce(&mut TerminalStatus)) {
        if let Some(t) = self.lock().terminals.get_mut(index) {
            f(t);
        }
    }

    pub(crate) fn sync_now(&self) {
        self.pull_now.send_modify(|n| *n = n.wrapping_add(1));
        self.roster_now.notify_one();
    }

    pub(crate) fn server_ok(&self, reply: &PunchReply) {
        let mut s = self.lock();
        s.server.reachable = Some(true);
        s.server.last_contact = Some(Timestamp::now());
        s.server.last_error = None;
        s.server.accepted += reply.accepted;
        s.server.duplicates += reply.duplicates;
    }

    /// Notes the server's clock from an answer's `Date` header (seconds).
    pub(crate) fn server_clock(&self, server_secs: i64) {
        let local_ms = Timestamp::now().as_millisecond();
        // The header is truncated to the second: its middle is the best estimate.
        self.lock().server.clock_offset_ms = Some(server_secs * 1000 + 500 - local_ms);
    }

    /// The correction applied to the relay's clock for office-network check-ins: the measured
    /// offset when it is at least 2 s (below that it is the header's rounding, not drift).
    pub(crate) fn clock_correction_ms(&self) -> i64 {
        self.lock().server.clock_offset_ms.filter(|o| o.abs() >= 2000).unwrap_or(0)
    }

    pub(crate) fn token_refused(&self, refused: bool) {
        self.lock().server.token_refused = refused;
    }

    pub(crate) fn checkin_forwarded(&self) {
        let mut s = self.lock();
        s.server.reachable = Some(true);
        s.server.last_contact = Some(Timestamp::now());
        s.server.checkins_forwarded += 1;
    }

    pub(crate) fn server_error(&self, error: String) {
        let mut s = self.lock();
        s.server.reachable = Some(false);
        s.server.last_error = Some(error);
    }

    /// Terminals whose serial is known, as the server's contract wants them.
    pub(crate) fn terminal_reports(&self) -> Vec<TerminalReport> {
        self.lock()
            .terminals
            .iter()
            .filter_map(|t| {
                Some(TerminalReport {
                    sn: t.sn.clone()?,
                    address: t.address.clone(),
                    firmware: t.firmware.clone(),
                    users: t.users,
                    records: t.records,
                    clock_drift_secs: t.clock_drift_secs,
                    last_pull: t.last_pull.map(|ts| ts.to_string()),
                    reachable: t.reachable.unwrap_or(false),
                    last_error: t.last_error.clone(),
                })
            })
            .collect()
    }
}
