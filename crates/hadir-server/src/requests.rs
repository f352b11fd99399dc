//! Request glue that does not depend on HTTP (issue 7): the annual-leave balance read from the
//! store, how approved requests become inputs of the day evaluator, and the request a special
//! check-in opens. The rules themselves (types, deciders, entitlements, quota and carry-over,
//! working days, evidence) are in `hadir_domain::requests` and `hadir_domain::leave`.

use crate::days::ApprovedInputs;
use hadir_domain::leave;
use hadir_domain::requests::{Family, decider_for, family, presence_label, special_request_type};
use hadir_domain::{ApprovedAbsence, Correction, OutageWindow, PresenceEntry};
use hadir_store::{Employee, Id, Request, RequestState, Store, StoreError};
use jiff::civil::Date;
use serde::Serialize;

/// The annual-leave balance as the API shows it (`hadir_domain::leave::LeaveBalance`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeaveBalance {
    pub year: i16,
    pub entitlement: i64,
    /// Unused days carried from earlier years (at most 6; 12 after two years without annual
    /// leave, for a limit of 24).
    pub carry_over: i64,
    /// Approved annual leave this year (working days).
    pub used: i64,
    /// Submitted, not yet decided.
    pub pending: i64,
    pub remaining: i64,
}

impl From<leave::LeaveBalance> for LeaveBalance {
    fn from(b: leave::LeaveBalance) -> Self {
        let leave::LeaveBalance { year, entitlement, carry_over, used, pending, remaining } = b;
        LeaveBalance { year, entitlement, carry_over, used, pending, remaining }
    }
}

/// The employee's annual-leave balance of `year`, from the store's sums.
pub async fn leave_balance(store: &dyn Store, e: &Employee, year: i16) -> Result<leave::LeaveBalance, StoreError> {
    let approved = [RequestState::Approved];
    let used = store.request_days(e.id, "CUTI_TAHUNAN", year, &approved).await?;
    let pending = store.request_days(e.id, "CUTI_TAHUNAN", year, &[RequestState::Submitted]).await?;
    let used_last_year = if leave::carries_over(year, e.start_date) {
        Some(store.request_days(e.id, "CUTI_TAHUNAN", year - 1, &approved).await?)
    } else {
        None
    };
    // Two years without annual leave (PP 11/2017 art. 312): only asked when the last one had none.
    let used_two_years_ago = if used_last_year == Some(0) && leave::carries_over(year - 1, e.start_date) {
        Some(store.request_days(e.id, "CUTI_TAHUNAN", year - 2, &approved).await?)
    } else {
        None
    };
    Ok(leave::LeaveBalance::with_two_years(year, used_last_year, used_two_years_ago, used, pending))
}

/// Turns approved requests into the evaluator's inputs.
pub fn inputs_from(employee_id: Id, requests: &[Request]) -> ApprovedInputs {
    let mut out = ApprovedInputs::default();
    for r in requests {
        let Some((_, fam)) = family(&r.kind) else { continue };
        match fam {
            Family::Leave(kind) | Family::Duty(kind) if r.punch_id.is_none() && r.start_at.is_none() => {
                if r.employee_id == Some(employee_id) {
                    out.absences.push(ApprovedAbsence {
                        request_id: r.id,
                        kind,
                        date_from: r.date_from,
                        date_to: r.date_to,
                        checkpoints: r.checkpoints.clone(),
                    });
                }
            }
            Family::Leave(_) | Family::Duty(_) | Family::Ceremony => {
                if r.employee_id == Some(employee_id)
                    && let Some(at) = r.start_at
                {
                    out.presence.push(PresenceEntry {
                        request_id: r.id,
                        at,
                        checkpoint: r.checkpoints.first().cloned(),
                        label: presence_label(&r.kind).into(),
                    });
                }
            }
            Family::Manual => {
                for l in r.lines.iter().filter(|l| l.employee_id == employee_id) {
                    out.presence.push(PresenceEntry {
                        request_id: r.id,
                        at: l.at,
                        checkpoint: l.checkpoint.clone(),
                        label: presence_label("MANUAL").into(),
                    });
                }
            }
            Family::Outage => {
                if let (Some(start), Some(end)) = (r.start_at, r.end_at) {
                    out.outages.push(OutageWindow { request_id: r.id, start, end });
                }
            }
            Family::Objection => {
                if r.employee_id == Some(employee_id)
                    && let Some(fix) = &r.correction
                {
                    out.corrections.push(Correction { request_id: r.id, date: r.date_from, fix: fix.clone() });
                }
            }
        }
    }
    out
}

/// The approved requests shaping `e`'s days `from..=to` (the hook of the day evaluation).
pub async fn approved_inputs_for(
    store: &dyn Store,
    e: &Employee,
    from: Date,
    to: Date,
) -> Result<ApprovedInputs, StoreError> {
    let unit = store.unit_by_id(e.unit_id).await?;
    // A day's window may reach into the next morning (overnight shifts): one day either side.
    let from = from.yesterday().unwrap_or(from);
    let to = to.tomorrow().unwrap_or(to);
    let requests = store.approved_requests_for(e.id, &unit.path, from, to).await?;
    Ok(inputs_from(e.id, &requests))
}

/// Opens the pending request of a special check-in (issue 7), so it reaches the head's inbox.
/// A failure is logged, never fails the committed check-in (the employee can still file the
/// request with `punch_id`).
pub async fn open_special_request(s: &crate::state::AppState, e: &Employee, p: &hadir_store::Punch, kind: &str) {
    let kind = special_request_type(kind);
    let tz = hadir_domain::unit_zone(&e.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let date = p.p.punched_at.to_zoned_datetime(tz).date();
    let new = hadir_store::NewRequest {
        decider: decider_for(&kind),
        kind,
        state: RequestState::Submitted,
        employee_id: Some(e.id),
        unit_id: e.unit_id,
        date_from: date,
        date_to: date,
        start_at: Some(p.p.punched_at),
        end_at: None,
        reason: p.p.note.clone().unwrap_or_else(|| "Absen khusus".into()),
        checkpoints: Vec::new(),
        days: None,
        punch_id: Some(p.id),
        lines: Vec::new(),
        submitted_by: e.account_id,
        submitted_by_name: e.login.clone(),
    };
    let audit = hadir_store::Audit::new((Some(e.account_id), &e.login), "create", "request", "-");
    if let Err(err) = s.store.create_request(&new, audit).await {
        tracing::error!(error = %err, punch = p.id, "could not open the special attendance request");
    }
}
