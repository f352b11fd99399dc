//! One task per terminal: connect, read identity/counts/clock, read the new
//! records into the buffer, apply a pending roster, disconnect. A dead or
//! slow terminal only ever delays its own task.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hadir_zk::binary::AttendanceRecord;
use jiff::Timestamp;
use thiserror::Error;

use crate::api::{RelayPunch, RelayTemplates, Roster, TemplateUpload};
use crate::buffer::Buffer;
use crate::client::{ZkClient, read_new_attendance};
use crate::config::{RelayConfig, TerminalConfig};
use crate::error::{BufferError, ClientError, ServerError};
use crate::roster::apply_roster;
use crate::state::Shared;
use crate::templates::sync_terminal;
use crate::upload::ServerClient;

#[derive(Debug, Error)]
pub(crate) enum CycleError {
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
    server: ServerClient,
    /// Issue 25: the finger count at the last template read (`None` before the first), and
    /// whether fingers read are still waiting to be uploaded.
    fingers: Mutex<(Option<i32>, bool)>,
}

/// What a session applied.
#[derive(Default)]
struct Applied {
    roster: bool,
    templates: bool,
}

pub(crate) async fn terminal_loop(
    index: usize,
    term: TerminalConfig,
    config: Arc<RelayConfig>,
    shared: Arc<Shared>,
    buffer: Buffer,
    server: ServerClient,
) {
    let task = Task { index, term, config, shared, buffer, server, fingers: Mutex::new((None, false)) };
    let mut pull_rx = task.shared.pull_now.subscribe();
    let mut roster_rx = task.shared.roster.subscribe();
    let mut templates_rx = task.shared.templates.subscribe();
    let mut applied: Option<Arc<Roster>> = None;
    let mut applied_templates: Option<Arc<RelayTemplates>> = None;
    // Each page is committed as it is read, so cutting a long pull short
    // loses nothing: the next cycle resumes from the cursor.
    let cap = task.term.timeout(&task.config).saturating_mul(180);
    loop {
        let latest = roster_rx.borrow_and_update().clone();
        let pending = latest.filter(|r| !applied.as_ref().is_some_and(|a| Arc::ptr_eq(a, r)));
        let latest_templates = templates_rx.borrow_and_update().clone();
        let pending_templates =
            latest_templates.filter(|t| !applied_templates.as_ref().is_some_and(|a| Arc::ptr_eq(a, t)));
        let outcome =
            match tokio::time::timeout(cap, task.cycle(pending.as_deref(), pending_templates.as_deref())).await {
                Ok(r) => r,
                Err(_) => Err(CycleError::Overall(cap)),
            };
        match outcome {
            Ok(done) => {
                if done.roster {
                    applied = pending;
                }
                if done.templates {
                    applied_templates = pending_templates;
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
            r = templates_rx.changed() => if r.is_err() { tokio::time::sleep(task.config.interval()).await },
        }
    }
}

fn format_time(r: &AttendanceRecord) -> String {
    r.time.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

impl Task {
    /// One pull, then what the templates part has to tell the server (after the terminal's
    /// session is closed).
    async fn cycle(&self, roster: Option<&Roster>, templates: Option<&RelayTemplates>) -> Result<Applied, CycleError> {
        let t = &self.term;
        let mut client = ZkClient::connect(&t.address, t.protocol, t.comm_key, t.timeout(&self.config)).await?;
        let result = self.session(&mut client, roster, templates).await;
        client.disconnect().await;
        let (mut applied, outcome) = result?;
        if let Some((sn, outcome)) = outcome {
            applied.templates &= self.tell_server(&sn, outcome).await;
        }
        Ok(applied)
    }

    /// Reports the templates written/removed and uploads the fingers read. False when the
    /// report did not reach the server (the list is applied again next session: rewriting a
    /// finger the terminal holds is harmless).
    async fn tell_server(&self, sn: &str, o: crate::templates::Outcome) -> bool {
        let mut reported = true;
        if !o.report.is_empty() {
            match self.server.report_templates(&o.report).await {
                Ok(()) => tracing::info!(
                    terminal = %self.term.address,
                    written = o.report.written.len(),
                    removed = o.report.removed.len(),
                    failed = o.report.failed.len(),
                    "templates reported"
                ),
                Err(e) => {
                    tracing::warn!(terminal = %self.term.address, error = %e, "reporting templates failed");
                    reported = false;
                }
            }
        }
        let mut waiting = o.capped_reads;
        let mut accepted = 0u64;
        if !o.upload.is_empty() {
            let upload = TemplateUpload { templates: o.upload };
            let took = match self.server.upload_templates(&upload).await {
                Ok(r) => {
                    accepted = o.upload_digests.len() as u64;
                    tracing::info!(terminal = %self.term.address, stored = r.stored, unchanged = r.unchanged, dropped = r.dropped, "fingers uploaded");
                    true
                }
                Err(ServerError::Status { status: 404, .. }) => {
                    tracing::info!("the server takes no fingers from relays (older version)");
                    true
                }
                // Refused for good (not a passing state): not resent until the fingers change,
                // so one bad finger cannot keep the relay re-reading its terminal.
                Err(ServerError::Status { status, body })
                    if (400..500).contains(&status) && !matches!(status, 401 | 408 | 429) =>
                {
                    tracing::warn!(terminal = %self.term.address, status, body = %body, "the server refused the fingers; not resent");
                    true
                }
                Err(e) => {
                    tracing::warn!(terminal = %self.term.address, error = %e, "uploading fingers failed; retried");
                    false
                }
            };
            if took {
                if let Err(e) = self.buffer.update_template_digests(sn, &o.upload_digests, &[]).await {
                    tracing::error!(error = %e, "recording finger digests failed");
                    waiting = true;
                }
            } else {
                waiting = true;
            }
        }
        if let Ok(mut f) = self.fingers.lock() {
            *f = (Some(o.fingers), waiting);
        }
        self.shared.update_terminal(self.index, |t| {
            t.fingers = Some(i64::from(o.fingers));
            t.fingers_written += o.report.written.len() as u64;
            t.fingers_uploaded += accepted;
        });
        if o.capped_writes && reported {
            // More to write: fetch the rest now rather than at the next roster time.
            self.shared.roster_now.notify_one();
        }
        reported
    }

    async fn session(
        &self,
        client: &mut ZkClient,
        roster: Option<&Roster>,
        templates: Option<&RelayTemplates>,
    ) -> Result<(Applied, Option<(String, crate::templates::Outcome)>), CycleError> {
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

        let mut applied = Applied::default();
        if let Some(roster) = roster {
            let outcome = apply_roster(client, roster, u32::try_from(sizes.users).unwrap_or(0)).await?;
            tracing::info!(terminal = %self.term.address, ?outcome, "roster applied");
            applied.roster = true;
            self.shared.update_terminal(self.index, |s| s.last_roster_sync = Some(Timestamp::now()));
        }

        // Issue 25: templates, once the users are there. The table is read when the finger
        // count moved, fingers wait to be uploaded, or a new list came; never before the first
        // list (its removals and pending versions decide what not to upload; an older server
        // hands none and takes no fingers).
        let (seen, waiting) = self.fingers.lock().map(|f| *f).unwrap_or((None, false));
        let listed = self.shared.templates.borrow().is_some();
        let read = listed && sizes.fingers > 0 && (seen != Some(sizes.fingers) || waiting || templates.is_some());
        let mut outcome = None;
        if templates.is_some() || read {
            let latest = self.shared.roster.borrow().clone();
            let o = sync_terminal(client, &self.buffer, &sn, templates, latest.as_deref(), read).await?;
            applied.templates = templates.is_some();
            outcome = Some((sn, o));
        } else if listed && let Ok(mut f) = self.fingers.lock() {
            f.0 = Some(sizes.fingers);
        }
        Ok((applied, outcome))
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
