//! Terminal records → punches, shared by the PUSH endpoints and the relay upload: PIN →
//! employee, local wall clock → instant in the terminal's zone, the dedup key both paths share,
//! clock-fault flagging, and the group-commit hand-off.

use crate::ingest::IngestError;
use crate::state::AppState;
use hadir_domain::unit_zone;
use hadir_store::{Device, Employee, Id, NewPunch, Punch, PunchInsert, PunchSource, Scope, Store, StoreError};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;

/// Zone used when nothing better is known.
const FALLBACK_ZONE: &str = "Asia/Jakarta";

/// One attendance record as a terminal holds it.
#[derive(Debug, Clone)]
pub struct TerminalRecord {
    pub sn: String,
    pub pin: String,
    /// The terminal's local wall clock.
    pub time: DateTime,
    pub status: i64,
    pub verify: i64,
    pub tz: TimeZone,
    /// From a terminal not approved yet: stored, not counted.
    pub quarantined: bool,
}

/// `t:<serial>:<pin>:<YYYY-MM-DDTHH:MM:SS>`: the same key whether the record came by PUSH or
/// through a relay, so a terminal seen both ways never counts twice.
pub fn dedup_key(sn: &str, pin: &str, time: DateTime) -> String {
    format!("t:{sn}:{pin}:{}", time.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// The zone that turns a terminal's wall clock into instants: its override, else its unit's.
/// A pending terminal has no unit yet: its punches are read in the regency's zone (the root
/// unit's), which is right for every terminal of a regency (a regency lies in one zone).
pub async fn device_zone(store: &dyn Store, d: &Device) -> TimeZone {
    if let Some(tz) = d.zone_name().and_then(|z| unit_zone(z).ok()) {
        return tz;
    }
    regency_zone(store).await
}

pub async fn regency_zone(store: &dyn Store) -> TimeZone {
    let root = store.list_units(&Scope::All).await.ok().and_then(|u| u.into_iter().find(|u| u.parent_id.is_none()));
    root.and_then(|u| unit_zone(&u.timezone).ok()).unwrap_or_else(|| unit_zone(FALLBACK_ZONE).unwrap_or(TimeZone::UTC))
}

/// Builds the punches for `records`, resolving each PIN once.
pub async fn build(
    store: &dyn Store,
    records: &[TerminalRecord],
    source: PunchSource,
    received_at: Timestamp,
) -> Result<Vec<NewPunch>, StoreError> {
    let mut employees: HashMap<String, Option<Id>> = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let employee_id = match employees.get(&r.pin) {
            Some(id) => *id,
            None => {
                let id = match store.employee_by_device_pin(&r.pin).await {
                    Ok(Employee { id, .. }) => Some(id),
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                };
                employees.insert(r.pin.clone(), id);
                id
            }
        };
        let punched_at =
            r.tz.to_ambiguous_timestamp(r.time)
                .compatible()
                .map_err(|e| StoreError::Invalid(format!("time {}: {e}", r.time)))?;
        let (review, review_detail) = if punched_at > received_at + SignedDuration::from_hours(24) {
            (
                Some("clock_fault".to_string()),
                Some(format!(
                    "Jam mesin {} menunjukkan {} (lebih dari sehari di depan waktu server).",
                    r.sn,
                    r.time.strftime("%Y-%m-%d %H:%M:%S")
                )),
            )
        } else {
            (None, None)
        };
        out.push(NewPunch {
            employee_id,
            source,
            dedup_key: dedup_key(&r.sn, &r.pin, r.time),
            punched_at,
            received_at,
            captured_at: None,
            device_sn: Some(r.sn.clone()),
            device_pin: Some(r.pin.clone()),
            lat: None,
            lon: None,
            accuracy_m: None,
            distance_m: None,
            location_name: None,
            photo_hash: None,
            note: None,
            review,
            review_detail,
            status: Some(r.status),
            verify: Some(r.verify),
            quarantined: r.quarantined,
            hold: None,
            response: None,
        });
    }
    Ok(out)
}

/// Counts of one hand-off.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stored {
    pub inserted: usize,
    pub duplicates: usize,
}

/// Hands the punches to the group-commit writer and waits for the commit. Quarantined punches
/// of a terminal approved while they were in flight are released at once.
pub async fn submit(s: &AppState, punches: Vec<NewPunch>) -> Result<Stored, IngestError> {
    let results = s.ingest.submit(punches).await?;
    let mut stored = Stored::default();
    let mut quarantined: Vec<String> = Vec::new();
    for r in &results {
        match r {
            PunchInsert::Inserted(p) => {
                stored.inserted += 1;
                if p.p.quarantined
                    && let Some(sn) = &p.p.device_sn
                    && !quarantined.contains(sn)
                {
                    quarantined.push(sn.clone());
                }
            }
            PunchInsert::Duplicate(_) => stored.duplicates += 1,
        }
    }
    for sn in quarantined {
        if let Ok(d) = s.store.device_by_sn(&sn).await
            && d.state == hadir_store::DeviceState::Active
        {
            release(s, &sn).await;
        }
    }
    Ok(stored)
}

/// Releases a terminal's quarantined punches (after approval); logs and returns how many.
pub async fn release(s: &AppState, sn: &str) -> usize {
    match s.store.release_quarantine(sn).await {
        Ok(p) => {
            if !p.is_empty() {
                tracing::info!(sn, punches = p.len(), "quarantined terminal punches released");
                days_dirty(s, &p);
            }
            p.len()
        }
        Err(e) => {
            tracing::error!(sn, error = %e, "releasing quarantined punches failed");
            0
        }
    }
}

/// Marks the days of punches that now count (released or matched) for recomputation.
pub fn days_dirty(s: &AppState, punches: &[Punch]) {
    if !punches.is_empty() {
        (s.recompute.commit_hook())(punches);
    }
}

/// Links unmatched terminal punches with the employee's device PIN to them (after a PIN is
/// assigned on create, update or import); returns them.
pub async fn match_pin(store: &dyn Store, e: &Employee) -> Vec<Punch> {
    let Some(pin) = e.device_pin.as_deref() else { return vec![] };
    match store.match_device_pin(pin, e.id).await {
        Ok(p) => {
            if !p.is_empty() {
                tracing::info!(pin, employee = e.id, punches = p.len(), "unmatched punches matched");
            }
            p
        }
        Err(err) => {
            tracing::error!(pin, error = %err, "matching unmatched punches failed");
            vec![]
        }
    }
}

/// [`match_pin`], then the matched punches' days are recomputed.
pub async fn match_pin_and_recompute(s: &AppState, e: &Employee) {
    let matched = match_pin(s.store.as_ref(), e).await;
    days_dirty(s, &matched);
}
