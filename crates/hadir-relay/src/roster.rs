//! Roster sync: the server's employee list for the relay's unit, written to
//! each terminal as users (add/update with `CMD_USER_WRQ`, delete with
//! `CMD_DELETE_USER`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use hadir_zk::binary::{UserLayout, UserRecord};

use crate::api::{Roster, RosterUser};
use crate::buffer::{Buffer, StaffMember};
use crate::client::ZkClient;
use crate::config::RelayConfig;
use crate::error::{ClientError, ServerError};
use crate::state::Shared;
use crate::upload::ServerClient;

/// What one sync changed on a terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RosterOutcome {
    pub added: usize,
    pub updated: usize,
    pub deleted: usize,
    /// Roster entries the terminal cannot hold (PIN or password too long,
    /// a non-numeric PIN on old firmware, no free internal id).
    pub skipped: usize,
}

/// Fetches the roster on schedule and on demand and publishes it to the terminal tasks.
pub(crate) async fn roster_loop(config: Arc<RelayConfig>, shared: Arc<Shared>, server: ServerClient, buffer: Buffer) {
    let every = Duration::from_secs(config.roster_interval_secs);
    let mut first = config.roster_interval_secs > 0;
    // A failed fetch is tried again with backoff, not at the next roster time (an hour, or
    // never when on demand): the server cleared its request to sync when it handed out the
    // roster, so a template list lost to a timeout would not be asked for again.
    let mut backoff = crate::upload::Backoff::new(
        Duration::from_millis(config.retry_min_ms),
        Duration::from_secs(config.retry_max_secs),
    );
    let mut retry: Option<Duration> = None;
    loop {
        if let Some(delay) = retry.take() {
            tokio::select! {
                () = shared.roster_now.notified() => {}
                () = tokio::time::sleep(delay) => {}
            }
        } else if !first {
            if every.is_zero() {
                shared.roster_now.notified().await;
            } else {
                tokio::select! {
                    () = shared.roster_now.notified() => {}
                    () = tokio::time::sleep(every) => {}
                }
            }
        }
        first = false;
        shared.roster_fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let fetched = server.roster().await;
        shared.roster_fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match fetched {
            Ok(roster) => {
                tracing::info!(users = roster.users.len(), accounts = roster.accounts.len(), "roster fetched");
                // Who may sign in on the office network (issue 21): replaced whole each time,
                // so a person who left or changed their password is current within the hour.
                let staff: Vec<StaffMember> = roster
                    .accounts
                    .iter()
                    .map(|a| StaffMember {
                        login: a.login.clone(),
                        nip: a.nip.clone(),
                        name: a.name.clone(),
                        password_hash: a.password_hash.clone(),
                    })
                    .collect();
                if let Err(e) = buffer.replace_staff(&staff).await {
                    tracing::error!(error = %e, "storing the roster's accounts failed");
                }
                shared.roster.send_replace(Some(Arc::new(roster)));
                // Issue 25: the templates to write, after the users they belong to.
                match server.templates().await {
                    Ok(t) => {
                        tracing::info!(templates = t.templates.len(), removals = t.removed.len(), "templates fetched");
                        shared.templates.send_replace(Some(Arc::new(t)));
                        backoff.reset();
                    }
                    Err(ServerError::Status { status: 404, .. }) => {
                        tracing::debug!("the server hands out no templates (older version)");
                        backoff.reset();
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "fetching the templates failed; will retry");
                        retry = Some(backoff.next_delay());
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "fetching the roster failed; will retry");
                shared.server_error(format!("daftar pegawai: {e}"));
                retry = Some(backoff.next_delay());
            }
        }
    }
}

fn desired(user: &RosterUser, uid: u16, existing: Option<&UserRecord>) -> UserRecord {
    UserRecord {
        uid,
        privilege: user.privilege,
        password: user.password.clone(),
        name: user.name.clone(),
        card: user.card.trim().parse().unwrap_or(0),
        group: existing.map(|u| u.group.clone()).unwrap_or_default(),
        user_id: user.pin.clone(),
        timezone: existing.and_then(|u| u.timezone),
    }
}

/// Names are cut to the field on the terminal, so compare what it can store.
fn same(a: &UserRecord, b: &UserRecord, layout: UserLayout) -> bool {
    let width = if layout == UserLayout::Zk6 { 8 } else { 24 };
    let cut = |s: &str| {
        s.chars()
            .scan(0, |n, c| {
                *n += c.len_utf8();
                (*n <= width).then_some(c)
            })
            .collect::<String>()
    };
    a.privilege == b.privilege && a.password == b.password && a.card == b.card && cut(&a.name) == cut(&b.name)
}

/// Writes the roster's active users to the terminal (added, or updated when
/// they differ). A terminal user is deleted only when the server says its PIN
/// left the unit (listed in `removed`, or in `users` with `active: false`) and
/// no active roster user holds that PIN. Users the server does not mention
/// (other units' people on a shared terminal, guests, device administrators)
/// are left alone with their enrolled fingers.
pub(crate) async fn apply_roster(
    client: &mut ZkClient,
    roster: &Roster,
    user_count: u32,
) -> Result<RosterOutcome, ClientError> {
    let (layout, users) = client.read_users(user_count).await?;
    let layout = if users.is_empty() { UserLayout::Zk8 } else { layout };
    let mut out = RosterOutcome::default();
    let by_pin: BTreeMap<&str, &UserRecord> = users.iter().map(|u| (u.user_id.as_str(), u)).collect();
    let mut taken: BTreeSet<u16> = users.iter().map(|u| u.uid).collect();
    let mut free = (1..=u16::MAX).filter(|n| !users.iter().any(|u| u.uid == *n));
    let mut changed = false;

    for user in roster.users.iter().filter(|u| u.active) {
        let existing = by_pin.get(user.pin.as_str()).copied();
        let uid = match existing {
            Some(e) => e.uid,
            None => match free.find(|n| !taken.contains(n)) {
                Some(n) => n,
                None => {
                    out.skipped += 1;
                    continue;
                }
            },
        };
        let want = desired(user, uid, existing);
        if existing.is_some_and(|e| same(e, &want, layout)) {
            continue;
        }
        match client.write_user(&want, layout).await {
            Ok(()) => {
                taken.insert(uid);
                changed = true;
                if existing.is_some() { out.updated += 1 } else { out.added += 1 }
            }
            Err(ClientError::Protocol(e)) => {
                tracing::warn!(pin = %user.pin, error = %e, "user does not fit the terminal");
                out.skipped += 1;
            }
            Err(e) => return Err(e),
        }
    }

    let active: BTreeSet<&str> = roster.users.iter().filter(|u| u.active).map(|u| u.pin.as_str()).collect();
    let left: BTreeSet<&str> = roster
        .users
        .iter()
        .filter(|u| !u.active)
        .map(|u| u.pin.as_str())
        .chain(roster.removed.iter().map(String::as_str))
        .filter(|pin| !active.contains(pin))
        .collect();
    for u in users.iter().filter(|u| left.contains(u.user_id.as_str())) {
        client.delete_user(u.uid).await?;
        changed = true;
        out.deleted += 1;
    }
    if changed {
        client.refresh_data().await?;
    }
    Ok(out)
}
