//! Personal data kept as UU 27/2022 (PDP) asks (issue 17): the daily retention purge and the
//! access log of who viewed someone else's selfie, position or evidence file.
//!
//! The purge never edits a punch's hashed facts (the chain must keep verifying): the store sets
//! a marker and queues the file; this module deletes queued files from the blob store (local or
//! S3) and the API answers 410 Gone for a purged photo or file and leaves purged positions out.

use crate::auth::Caller;
use crate::config::RetentionConfig;
use crate::error::ApiResult;
use crate::state::AppState;
use hadir_blob::BlobStore;
use hadir_store::{AccessKind, Id, NewAccess, Store, StoreError};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// The `job_runs` name of the daily purge (claimed once per day, Jakarta date, across instances).
pub const PURGE_JOB: &str = "retention_purge";
/// Rows marked per store transaction (short transactions: the single SQLite writer also takes
/// the morning's check-ins).
const BATCH: u32 = 500;
/// The first purge waits this long after start (the server comes up first), then the job looks
/// every hour whether today's run is still unclaimed.
const FIRST_RUN_AFTER: Duration = Duration::from_secs(60);
const CHECK_EVERY: Duration = Duration::from_secs(3600);

/// The instant before which data of a `months`-month retention period may go at `now`: the
/// period runs from the end of the data's month. `None` for `0` (kept for good).
///
/// Months are taken in UTC and the cutoff moved 9 hours earlier (WIT is UTC+9), so a punch is
/// never purged before its month has ended in every Indonesian zone; at worst a late-evening
/// punch of the month's last day waits one more month.
pub fn cutoff(now: Timestamp, months: u32) -> Option<Timestamp> {
    if months == 0 {
        return None;
    }
    let today = now.to_zoned_datetime(TimeZone::UTC).date();
    let index = today.year() as i64 * 12 + (today.month() as i64 - 1) - months as i64;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    // Before the year 1: nothing can be that old.
    let year = i16::try_from(year).ok().filter(|y| *y >= 1)?;
    let first = jiff::civil::Date::new(year, month as i8, 1).ok()?;
    let start = first.to_zoned_datetime(TimeZone::UTC).ok()?.timestamp();
    start.checked_sub(SignedDuration::from_hours(9)).ok()
}

/// What one purge run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub photos: u64,
    pub positions: u64,
    pub evidence: u64,
    /// Reference faces of employees whose employment has ended (issue 23).
    pub reference_faces: u64,
    pub files_deleted: u64,
    /// Files the blob store could not delete now (they stay queued for the next run).
    pub files_failed: u64,
}

/// Runs the purge for `now`: marks what is past its retention period, then deletes the queued
/// files. Idempotent: a second run finds nothing new; a file whose delete failed is tried again.
pub async fn purge(
    store: &dyn Store,
    blob: &BlobStore,
    r: &RetentionConfig,
    now: Timestamp,
) -> Result<PurgeReport, StoreError> {
    let mut rep = PurgeReport::default();
    if let Some(before) = cutoff(now, r.selfie_months) {
        loop {
            let n = store.purge_punch_photos(before, now, BATCH).await?;
            rep.photos += n;
            if n == 0 {
                break;
            }
        }
    }
    if let Some(before) = cutoff(now, r.position_months) {
        loop {
            let n = store.purge_punch_positions(before, now, BATCH).await?;
            rep.positions += n;
            if n == 0 {
                break;
            }
        }
    }
    if let Some(before) = cutoff(now, r.evidence_months) {
        loop {
            let n = store.purge_attachments(before, now, BATCH).await?;
            rep.evidence += n;
            if n == 0 {
                break;
            }
        }
    }
    rep.reference_faces = purge_reference_faces(store, now).await?;
    // Files: everything queued (including what an earlier, interrupted run left).
    loop {
        let queued = store.pending_blob_purges(BATCH).await?;
        if queued.is_empty() {
            break;
        }
        let mut progress = false;
        for q in &queued {
            let mut deleted = blob.delete(&q.kind, &q.hash).await;
            if deleted.is_ok() && q.kind == "photos" {
                // Its thumbnail, made under the photo's hash.
                deleted = blob.delete("thumbs", &q.hash).await;
            }
            match deleted {
                Ok(()) => {
                    store.blob_deleted(q).await?;
                    rep.files_deleted += 1;
                    progress = true;
                }
                Err(e) => {
                    tracing::warn!(kind = %q.kind, hash = %q.hash, error = %e, "retention purge: could not delete a file; it stays queued");
                    rep.files_failed += 1;
                }
            }
        }
        if !progress {
            break;
        }
    }
    Ok(rep)
}

/// Removes the reference faces (biometric data, UU 27/2022) of employees whose employment has
/// ended: the end date is their last day, so the face goes once their unit's zone has reached
/// the day after it (`end_date` before that zone's date at `now`). Exact in every zone a unit
/// may have, at one query per distinct zone (usually one). Audited as a system action.
async fn purge_reference_faces(store: &dyn Store, now: Timestamp) -> Result<u64, StoreError> {
    let mut zones: Vec<String> =
        store.list_units(&hadir_store::Scope::All).await?.into_iter().map(|u| u.timezone).collect();
    zones.sort_unstable();
    zones.dedup();
    let mut n = 0;
    for zone in zones {
        let Ok(tz) = hadir_domain::unit_zone(&zone) else { continue };
        let today = now.to_zoned_datetime(tz).date().to_string();
        loop {
            let done = store.purge_ended_reference_faces(&zone, &today, BATCH).await?;
            n += done;
            if done == 0 {
                break;
            }
        }
    }
    Ok(n)
}

/// Starts the daily purge: every instance looks every hour; the first to claim today's run
/// (Jakarta date) does it.
pub fn start(store: Arc<dyn Store>, blob: BlobStore, r: RetentionConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let holder = format!("pid{}@{}", std::process::id(), Timestamp::now().as_millisecond());
        tokio::time::sleep(FIRST_RUN_AFTER).await;
        loop {
            let now = Timestamp::now();
            let period = crate::org::today_jakarta().to_string();
            let lease = now + SignedDuration::from_hours(2);
            match store.claim_job(PURGE_JOB, &period, &holder, now, lease).await {
                Ok(true) => match purge(store.as_ref(), &blob, &r, now).await {
                    Ok(rep) => {
                        tracing::info!(?rep, "retention purge");
                        if let Err(e) = store.finish_job(PURGE_JOB, &period, Timestamp::now()).await {
                            tracing::warn!(error = %e, "could not mark the retention purge done");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "retention purge failed; retried when its lease lapses"),
                },
                Ok(false) => tracing::debug!(period, "retention purge of this day already claimed"),
                Err(e) => tracing::error!(error = %e, "could not claim the retention purge"),
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    })
}

/// Records that `caller` viewed `subject`'s data, unless it is their own. Fails closed: a view
/// that cannot be logged is not served.
pub async fn record_view(
    s: &AppState,
    caller: &Caller,
    subject: Option<Id>,
    kind: AccessKind,
    item: String,
) -> ApiResult<()> {
    record_views(s, caller, subject.into_iter(), kind, item).await
}

/// [`record_view`] for several people at once (a list of punches: one entry per person).
pub async fn record_views(
    s: &AppState,
    caller: &Caller,
    subjects: impl Iterator<Item = Id>,
    kind: AccessKind,
    item: String,
) -> ApiResult<()> {
    let mut seen = std::collections::BTreeSet::new();
    let at = Timestamp::now();
    let entries: Vec<NewAccess> = subjects
        .filter(|id| caller.employee_id != Some(*id) && seen.insert(*id))
        .map(|id| NewAccess {
            at,
            viewer_account_id: Some(caller.account_id),
            viewer_username: caller.username.clone(),
            viewer_name: caller.name.clone(),
            subject_employee_id: id,
            kind,
            item: item.clone(),
        })
        .collect();
    s.store.record_access(&entries).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_runs_from_the_end_of_the_month() {
        let now: Timestamp = "2027-02-10T03:00:00Z".parse().unwrap();
        // 24 months: January 2025 has ended 24 months before February 2027 began.
        assert_eq!(cutoff(now, 24), Some("2025-01-31T15:00:00Z".parse().unwrap()));
        assert_eq!(cutoff(now, 0), None);
        assert_eq!(cutoff(now, 2), Some("2026-11-30T15:00:00Z".parse().unwrap()));
        // The last minute of January 31 in WIT (UTC+9) is before the cutoff of March 2025 …
        let jan_end_wit: Timestamp = "2025-01-31T14:59:00Z".parse().unwrap();
        assert!(jan_end_wit < cutoff("2025-03-01T00:00:00Z".parse().unwrap(), 1).unwrap());
        // … and February 1 00:00 WIT is not.
        let feb_wit: Timestamp = "2025-01-31T15:00:00Z".parse().unwrap();
        assert!(feb_wit >= cutoff("2025-03-01T00:00:00Z".parse().unwrap(), 1).unwrap());
        assert_eq!(cutoff(now, 100_000), None);
    }
}
