//! Terminal records → punches, shared by the PUSH endpoints and the relay upload: PIN →
//! employee, local wall clock → instant in the terminal's zone, the dedup key both paths share,
//! the holds (PIN outside the terminal's unit, backlog, future), quarantine of records of
//! terminals not approved yet, and the group-commit hand-off.

use crate::config::TerminalConfig;
use crate::ingest::IngestError;
use crate::state::AppState;
use hadir_domain::unit_zone;
use hadir_store::{
    Device, DeviceState, Employee, Id, NewPunch, Punch, PunchHold, PunchInsert, PunchSource, QuarantinedPunch, Scope,
    Store, StoreError,
};
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
    /// The terminal's unit subtree (materialised path): a PIN of an employee outside it is held.
    pub unit_path: Option<String>,
    pub source: PunchSource,
    /// When the server received it (a quarantined record keeps its receipt time).
    pub received_at: Timestamp,
}

/// What a terminal record must satisfy to count at once.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Older than this at receipt: held, `backlog`.
    pub backlog: SignedDuration,
    /// Further ahead of receipt than this: held, `future`.
    pub ahead: SignedDuration,
}

impl Rules {
    pub fn from_config(c: &TerminalConfig) -> Rules {
        Rules {
            backlog: SignedDuration::from_hours(c.backlog_hours.min(1_000_000) as i64),
            ahead: SignedDuration::from_mins(c.future_minutes.min(1_000_000) as i64),
        }
    }
}

/// `t:<serial>:<pin>:<YYYY-MM-DDTHH:MM:SS>`: the same key whether the record came by PUSH or
/// through a relay, so a terminal seen both ways never counts twice.
pub fn dedup_key(sn: &str, pin: &str, time: DateTime) -> String {
    format!("t:{sn}:{pin}:{}", local_time(time))
}

/// `YYYY-MM-DDTHH:MM:SS`.
pub fn local_time(time: DateTime) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S").to_string()
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

/// An employee by device PIN, with their unit's path.
#[derive(Clone)]
struct PinOwner {
    id: Id,
    unit_code: String,
    unit_path: String,
}

/// Builds the punches for `records`, resolving each PIN once. A record counts at once only when
/// its employee belongs to the terminal's unit subtree and its time is within `rules` of its
/// receipt; otherwise it is stored held, with the reason (`pin_out_of_unit`, `future`,
/// `backlog`), and waits in the review queue.
pub async fn build(store: &dyn Store, records: &[TerminalRecord], rules: Rules) -> Result<Vec<NewPunch>, StoreError> {
    let mut employees: HashMap<String, Option<PinOwner>> = HashMap::new();
    let mut paths: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let owner = match employees.get(&r.pin) {
            Some(o) => o.clone(),
            None => {
                let o = match store.employee_by_device_pin(&r.pin).await {
                    Ok(Employee { id, unit_code, .. }) => {
                        let unit_path = match paths.get(&unit_code) {
                            Some(p) => p.clone(),
                            None => {
                                let p = store.unit_by_code(&unit_code).await?.path;
                                paths.insert(unit_code.clone(), p.clone());
                                p
                            }
                        };
                        Some(PinOwner { id, unit_code, unit_path })
                    }
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                };
                employees.insert(r.pin.clone(), o.clone());
                o
            }
        };
        // The edges refuse these (issue 17); a record that still gets here (an old quarantine
        // row) is left out rather than failing the whole batch.
        if !hadir_domain::accepted_datetime(r.time) {
            tracing::warn!(sn = %r.sn, pin = %r.pin, time = %r.time, "terminal record outside 2000-2100 left out");
            continue;
        }
        let Ok(punched_at) = r.tz.to_ambiguous_timestamp(r.time).compatible() else {
            tracing::warn!(sn = %r.sn, pin = %r.pin, time = %r.time, "terminal record time not convertible: left out");
            continue;
        };
        let shown = r.time.strftime("%Y-%m-%d %H:%M:%S");
        let outside = match (&owner, &r.unit_path) {
            (Some(o), Some(p)) => !o.unit_path.starts_with(p.as_str()),
            _ => false,
        };
        let (review, review_detail) = if outside {
            let unit = owner.as_ref().map(|o| o.unit_code.as_str()).unwrap_or_default();
            (Some("pin_out_of_unit"), format!("PIN {} milik pegawai unit {unit}, di luar unit mesin {}.", r.pin, r.sn))
        } else if punched_at > r.received_at + rules.ahead {
            (
                Some("future"),
                format!(
                    "Jam mesin {} menunjukkan {shown}, lebih dari {} menit di depan waktu server.",
                    r.sn,
                    rules.ahead.as_mins()
                ),
            )
        } else if punched_at < r.received_at - rules.backlog {
            let hours = r.received_at.duration_since(punched_at).as_hours();
            (Some("backlog"), format!("Presensi {shown} dari mesin {} diterima {hours} jam kemudian.", r.sn))
        } else {
            (None, String::new())
        };
        out.push(NewPunch {
            employee_id: owner.map(|o| o.id),
            source: r.source,
            dedup_key: dedup_key(&r.sn, &r.pin, r.time),
            punched_at,
            received_at: r.received_at,
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
            hold: review.map(|_| PunchHold::Pending),
            review: review.map(Into::into),
            review_detail: review.map(|_| review_detail),
            status: Some(r.status),
            verify: Some(r.verify),
            quarantined: false,
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

/// Hands the punches to the group-commit writer and waits for the commit.
pub async fn submit(s: &AppState, punches: Vec<NewPunch>) -> Result<Stored, IngestError> {
    let results = s.ingest.submit(punches).await?;
    let mut stored = Stored::default();
    for r in &results {
        match r {
            PunchInsert::Inserted(_) => stored.inserted += 1,
            // Terminal punches carry no photo; counted as not stored again if one ever did.
            PunchInsert::Duplicate(_) | PunchInsert::PhotoReused(_) => stored.duplicates += 1,
        }
    }
    Ok(stored)
}

/// Keeps records of a terminal not approved yet in quarantine, outside the hash chain. When the
/// terminal was approved meanwhile, they move into the chain at once.
pub async fn quarantine(s: &AppState, sn: &str, punches: &[QuarantinedPunch]) -> Result<Stored, StoreError> {
    let inserted = s.store.quarantine_punches(punches).await? as usize;
    if inserted > 0 {
        tracing::warn!(sn, punches = inserted, "punches of an unapproved terminal kept in quarantine");
    }
    if let Ok(d) = s.store.device_by_sn(sn).await
        && d.state == DeviceState::Active
    {
        release(s, sn).await;
    }
    Ok(Stored { inserted, duplicates: punches.len() - inserted })
}

/// Quarantined punches moved into the chain per step (memory stays bounded).
const RELEASE_BATCH: u32 = 1000;

/// Moves a terminal's quarantined punches into the chain (after approval), through the normal
/// ingest path with their receipt times, so the unit, backlog and future rules apply as if they
/// had counted on arrival. Rows chained as quarantined by earlier versions are released as
/// before. Logs and returns how many moved.
pub async fn release(s: &AppState, sn: &str) -> usize {
    let mut moved = 0;
    match s.store.release_quarantine(sn).await {
        Ok(p) => {
            if !p.is_empty() {
                tracing::info!(sn, punches = p.len(), "quarantined terminal punches released");
                days_dirty(s, &p);
            }
            moved += p.len();
        }
        Err(e) => tracing::error!(sn, error = %e, "releasing quarantined punches failed"),
    }
    let rules = Rules::from_config(&s.config.terminals);
    loop {
        let d = match s.store.device_by_sn(sn).await {
            Ok(d) if d.state == DeviceState::Active => d,
            Ok(_) => break,
            Err(e) => {
                tracing::error!(sn, error = %e, "moving quarantined punches: terminal not readable");
                break;
            }
        };
        let batch = match s.store.quarantined_punches(sn, RELEASE_BATCH).await {
            Ok(b) if b.is_empty() => break,
            Ok(b) => b,
            Err(e) => {
                tracing::error!(sn, error = %e, "reading quarantined punches failed");
                break;
            }
        };
        let tz = device_zone(s.store.as_ref(), &d).await;
        let ids: Vec<Id> = batch.iter().map(|q| q.id).collect();
        let records: Vec<TerminalRecord> = batch
            .iter()
            .filter_map(|q| {
                let time = q.local_time.parse::<DateTime>().ok()?;
                let tz = q.timezone.as_deref().and_then(|z| unit_zone(z).ok()).unwrap_or_else(|| tz.clone());
                Some(TerminalRecord {
                    sn: q.device_sn.clone(),
                    pin: q.pin.clone(),
                    time,
                    status: q.status,
                    verify: q.verify,
                    tz,
                    unit_path: d.unit_path.clone(),
                    source: q.source,
                    received_at: q.received_at,
                })
            })
            .collect();
        let new = match build(s.store.as_ref(), &records, rules).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(sn, error = %e, "moving quarantined punches failed");
                break;
            }
        };
        if let Err(e) = submit(s, new).await {
            tracing::error!(sn, error = ?e, "moving quarantined punches: commit failed; approve again to retry");
            break;
        }
        match s.store.delete_quarantined_punches(&ids).await {
            Ok(0) => break,
            Ok(_) => moved += records.len(),
            Err(e) => {
                tracing::error!(sn, error = %e, "clearing moved quarantined punches failed");
                break;
            }
        }
    }
    if moved > 0 {
        tracing::info!(sn, punches = moved, "quarantined punches moved into the chain");
    }
    moved
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
