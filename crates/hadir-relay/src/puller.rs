//! One task per terminal: connect, read identity/counts/clock, read the new
//! records into the buffer, apply a pending roster, disconnect. A dead or
//! slow terminal only ever delays its own task.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hadir_zk::binary::AttendanceRecord;
use jiff::Timestamp;
use thiserror::Error;

use crate::api::{RelayPunch, Roster};
use crate::buffer::Buffer;
use crate::client::{ZkClient, read_new_attendance};
use crate::config::{RelayConfig, TerminalConfig};
use crate::error::{BufferError, ClientError};
use crate::roster::apply_roster;
use crate::state::Shared;

#[derive(Debug, Error)]
enum CycleError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Buffer(#[from] BufferError),
    #[error("penarikan melebihi batas waktu {0:?}")]
    Overall(Duration),
}

struct Task {
    index: usize,
    term: TerminalConfig,
    config: Arc<RelayConfig>,
    shared: Arc<Shared>,
    buffer: Buffer,
}

pub(crate) async fn terminal_loop(
    index: usize,
    term: TerminalConfig,
    config: Arc<RelayConfig>,
    shared: Arc<Shared>,
    buffer: Buffer,
) {
    let task = Task { index, term, config, shared, buffer };
    let mut pull_rx = task.shared.pull_now.subscribe();
    let mut roster_rx = task.shared.roster.subscribe();
    let mut applied: Option<Arc<Roster>> = None;
    // Each page is committed as it is read, so cutting a long pull short
    // loses nothing: the next cycle resumes from the cursor.
    let cap = task.term.timeout(&task.config).saturating_mul(180);
    loop {
        let latest = roster_rx.borrow_and_update().clone();
        let pending = latest.filter(|r| !applied.as_ref().is_some_and(|a| Arc::ptr_eq(a, r)));
        let outcome = match tokio::time::timeout(cap, task.cycle(pending.as_deref())).await {
            Ok(r) => r,
            Err(_) => Err(CycleError::Overall(cap)),
        };
        match outcome {
            Ok(roster_done) => {
                if roster_done {
                    applied = pending;
                }
                task.shared.update_terminal(index, |t| {
                    t.reachable = Some(true);
                    t.last_pull = Some(Timestamp::now());
                    t.last_error = None;
                });
            }
            Err(e) => {
                tracing::warn!(terminal = %task.term.address, error = %e, "pull failed");
                let unreachable = matches!(
                    e,
                    CycleError::Client(
                        ClientError::Connect { .. }
                            | ClientError::Timeout(_)
                            | ClientError::Closed
                            | ClientError::Resolve(_)
                            | ClientError::Io(_)
                    ) | CycleError::Overall(_)
                );
                task.shared.update_terminal(index, |t| {
                    t.reachable = Some(!unreachable);
                    t.last_error = Some(e.to_string());
                });
            }
        }
        task.shared.upload_now.notify_one();
        tokio::select! {
            () = tokio::time::sleep(task.config.interval()) => {}
            r = pull_rx.changed() => if r.is_err() { tokio::time::sleep(task.config.interval()).await },
            r = roster_rx.changed() => if r.is_err() { tokio::time::sleep(task.config.interval()).await },
        }
    }
}

fn format_time(r: &AttendanceRecord) -> String {
    r.time.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

impl Task {
    /// One pull; `Ok(true)` when `roster` was applied.
    async fn cycle(&self, roster: Option<&Roster>) -> Result<bool, CycleError> {
        let t = &self.term;
        let mut client = ZkClient::connect(&t.address, t.protocol, t.comm_key, t.timeout(&self.config)).await?;
        let result = self.session(&mut client, roster).await;
        client.disconnect().await;
        result
    }

    async fn session(&self, client: &mut ZkClient, roster: Option<&Roster>) -> Result<bool, CycleError> {
        let sn = client.serial_number().await?;
        if sn.is_empty() {
            return Err(ClientError::Inconsistent("nomor seri kosong".into()).into());
        }
        // Old firmware may refuse the version request; it is informative only.
        // (A timeout is not swallowed: a late reply would answer the next request.)
        let firmware = match client.firmware().await {
            Ok(f) => Some(f),
            Err(ClientError::Refused { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let mut sizes = client.free_sizes().await?;
        let device_now = client.device_time().await?;
        let relay_now = Timestamp::now().to_zoned_datetime(self.term.zone()).datetime();
        let drift = device_now.duration_since(relay_now).as_secs();
        self.shared.update_terminal(self.index, |s| {
            s.sn = Some(sn.clone());
            s.firmware = firmware.clone();
            s.users = Some(i64::from(sizes.users));
            s.records = Some(i64::from(sizes.records));
            s.clock_drift_secs = Some(drift);
        });

        if self.term.clear_after_upload {
            self.clear_if_all_acknowledged(client, &sn, &mut sizes.records).await?;
        }

        let count = u32::try_from(sizes.records).unwrap_or(0);
        let cursor = self.buffer.cursor(&sn).await?;
        // 8-byte records carry only the internal uid: map it to the PIN with
        // the user list, read before the attendance buffer is prepared.
        let mut pins = BTreeMap::new();
        if matches!(cursor.record_size, 0 | 8) && count > cursor.count {
            let (_, users) = client.read_users(u32::try_from(sizes.users).unwrap_or(0)).await?;
            pins = users.into_iter().map(|u| (u.uid, u.user_id)).collect();
        }
        let mut reader = read_new_attendance(client, count, &cursor).await?;
        self.shared.update_terminal(self.index, |s| s.unread = Some(reader.remaining()));
        while let Some(page) = reader.next_page(client).await? {
            if page.undecodable > 0 {
                tracing::warn!(terminal = %self.term.address, n = page.undecodable, "undecodable records skipped");
            }
            let punches: Vec<RelayPunch> = page
                .records
                .iter()
                .map(|r| RelayPunch {
                    sn: sn.clone(),
                    pin: match (&r.user_id, r.uid) {
                        (None, Some(uid)) => pins.get(&uid).cloned().unwrap_or_else(|| uid.to_string()),
                        _ => r.pin(),
                    },
                    time: format_time(r),
                    timezone: self.term.timezone.clone(),
                    status: r.state,
                    verify: r.verify,
                    workcode: r.workcode.filter(|w| *w != 0),
                })
                .collect();
            let new = self.buffer.store(&sn, &punches, &page.cursor).await?;
            tracing::debug!(terminal = %self.term.address, read = punches.len(), new, "page stored");
            self.shared.update_terminal(self.index, |s| s.unread = Some(reader.remaining()));
            // Upload while the next page is read.
            self.shared.upload_now.notify_one();
        }

        let mut roster_done = false;
        if let Some(roster) = roster {
            let outcome = apply_roster(client, roster, u32::try_from(sizes.users).unwrap_or(0)).await?;
            tracing::info!(terminal = %self.term.address, ?outcome, "roster applied");
            roster_done = true;
            self.shared.update_terminal(self.index, |s| s.last_roster_sync = Some(Timestamp::now()));
        }
        Ok(roster_done)
    }

    /// Clears the terminal's log only when the relay has read every record on
    /// it and the server acknowledged all of them. The terminal is disabled
    /// meanwhile so no punch can slip in between the check and the clear.
    async fn clear_if_all_acknowledged(
        &self,
        client: &mut ZkClient,
        sn: &str,
        records: &mut i32,
    ) -> Result<(), CycleError> {
        let cursor = self.buffer.cursor(sn).await?;
        if cursor.count == 0
            || i64::from(cursor.count) != i64::from(*records)
            || self.buffer.unsent_count(sn).await? > 0
        {
            return Ok(());
        }
        client.disable().await?;
        let result = async {
            let now = client.free_sizes().await?;
            if now.records == *records {
                client.clear_attendance().await?;
                self.buffer.reset_cursor(sn).await?;
                tracing::info!(terminal = %self.term.address, cleared = now.records, "terminal log cleared");
                *records = 0;
            }
            Ok::<_, CycleError>(())
        }
        .await;
        let enabled = client.enable().await;
        result?;
        enabled.map_err(CycleError::from)
    }
}
