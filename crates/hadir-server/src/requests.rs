//! Request rules (issue 7) that do not depend on HTTP: the type catalogue, who decides, leave
//! rules (annual quota with carry-over, PPPK entitlements, evidence for sick leave), working-day
//! counting, and how approved requests become inputs of the day evaluator.
//!
//! Annual leave (kept simple, documented in docs/ARCHITECTURE.md): 12 working days per calendar
//! year; unused days of the previous year carry over up to [`CARRY_OVER_MAX`] (only for
//! employees counted since before that year began). Pending (submitted) and approved annual
//! leave both use the balance; a request may not span two years. Cuti bersama and holidays
//! are not working days, so they never reduce the balance.

use crate::context::DayContext;
use crate::days::ApprovedInputs;
use hadir_domain::{AbsenceKind, ApprovedAbsence, Correction, OutageWindow, PresenceEntry, RosterEntry, holiday_on};
use hadir_store::{Category, Decider, Employee, Id, Request, RequestState, Store, StoreError};
use jiff::civil::Date;
use serde::Serialize;

/// Annual leave days per year.
pub const ANNUAL_ENTITLEMENT: i64 = 12;
/// Unused annual leave carried into the next year, at most.
pub const CARRY_OVER_MAX: i64 = 6;
/// Largest attachment (scanned letters, signed sheets).
pub const ATTACHMENT_MAX_BYTES: usize = 3 * 1024 * 1024;
/// Attachments per request, at most.
pub const ATTACHMENTS_MAX: usize = 10;
/// Leave types decided by the BKD (administrators) rather than the head of unit.
pub const BKD_TYPES: [&str; 3] = ["CUTI_BESAR", "CUTI_MELAHIRKAN", "CLTN"];

/// What a request type does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Leave, izin, sakit: the covered working days take the absence status.
    Leave(AbsenceKind),
    /// Dinas luar, diklat, tugas belajar: a date range away on duty (counts as present), or,
    /// linked to a special punch, presence at that time.
    Duty(AbsenceKind),
    /// Upacara (ceremony) away from the office: a special punch approved as presence.
    Ceremony,
    Manual,
    Outage,
    Objection,
}

/// The canonical type code and its family; `None` for an unknown type.
pub fn family(kind: &str) -> Option<(String, Family)> {
    let k = kind.trim().to_ascii_uppercase();
    let f = match k.as_str() {
        "MANUAL" => Family::Manual,
        "OUTAGE" => Family::Outage,
        "KEBERATAN" => Family::Objection,
        "UPACARA" => Family::Ceremony,
        "DL" | "DINAS_LUAR" => return Some(("DINAS_LUAR".into(), Family::Duty(AbsenceKind::Dl))),
        _ => {
            let a = AbsenceKind::from_code(&k)?;
            if a.is_duty() { Family::Duty(a) } else { Family::Leave(a) }
        }
    };
    Some((k, f))
}

pub fn decider_for(kind: &str) -> Decider {
    if BKD_TYPES.contains(&kind) { Decider::Bkd } else { Decider::Head }
}

/// Leave types a PPPK (and honorer) may take: annual, sick, maternity (DOMAIN.md), plus izin
/// and sakit, which are not leave.
pub fn allowed_for(category: Category, kind: AbsenceKind) -> bool {
    match category {
        Category::Pns => true,
        Category::Pppk | Category::Honorer => {
            !matches!(kind, AbsenceKind::CutiBesar | AbsenceKind::CutiAlasanPenting | AbsenceKind::Cltn)
        }
    }
}

/// Longest range (calendar days) a leave request may cover.
pub fn max_calendar_days(kind: AbsenceKind) -> i64 {
    match kind {
        AbsenceKind::CutiBesar | AbsenceKind::CutiMelahirkan => 92,
        AbsenceKind::CutiAlasanPenting => 31,
        AbsenceKind::Cltn => 3 * 366,
        AbsenceKind::TugasBelajar => 5 * 366,
        _ => 366,
    }
}

/// Sick leave or sakit over one day needs a doctor's letter before it is approved.
pub fn evidence_required(r: &Request) -> bool {
    match r.kind.as_str() {
        "MANUAL" | "OUTAGE" => true,
        "SAKIT" | "CUTI_SAKIT" => r.date_to > r.date_from,
        _ => false,
    }
}

/// Working days of `from..=to` for the employee: a scheduled day that is not a holiday.
pub fn working_days(ctx: &DayContext, roster: &[RosterEntry], from: Date, to: Date) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d <= to {
        let works =
            ctx.calendar.resolve(d, roster).ok().and_then(|s| s.day).is_some_and(|day| !day.checkpoints.is_empty());
        let rostered = roster.iter().any(|r| r.date == d && r.shift.is_some());
        if works && (rostered || holiday_on(&ctx.holidays, d).is_none()) {
            n += 1;
        }
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    n
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeaveBalance {
    pub year: i16,
    pub entitlement: i64,
    /// Unused days carried from the previous year (at most 6).
    pub carry_over: i64,
    /// Approved annual leave this year (working days).
    pub used: i64,
    /// Submitted, not yet decided.
    pub pending: i64,
    pub remaining: i64,
}

pub async fn leave_balance(store: &dyn Store, e: &Employee, year: i16) -> Result<LeaveBalance, StoreError> {
    let approved = [RequestState::Approved];
    let used = store.request_days(e.id, "CUTI_TAHUNAN", year, &approved).await?;
    let pending = store.request_days(e.id, "CUTI_TAHUNAN", year, &[RequestState::Submitted]).await?;
    // Checked: a year at the edge of jiff's range must not panic (the API only passes 2000–2100).
    let last_year = jiff::civil::Date::new(year.saturating_sub(1), 1, 1).ok();
    let counted_last_year = e.start_date.is_none_or(|d| last_year.is_some_and(|y| d <= y));
    let carry_over = if counted_last_year {
        let used_before = store.request_days(e.id, "CUTI_TAHUNAN", year - 1, &approved).await?;
        (ANNUAL_ENTITLEMENT - used_before).clamp(0, CARRY_OVER_MAX)
    } else {
        0
    };
    let remaining = (ANNUAL_ENTITLEMENT + carry_over - used - pending).max(0);
    Ok(LeaveBalance { year, entitlement: ANNUAL_ENTITLEMENT, carry_over, used, pending, remaining })
}

/// The label shown in explanations for presence approved through a request.
fn presence_label(kind: &str) -> String {
    match kind {
        "MANUAL" => "presensi manual".into(),
        "UPACARA" => "absen khusus upacara".into(),
        "DIKLAT" => "absen khusus diklat".into(),
        "TUGAS_BELAJAR" => "absen khusus tugas belajar".into(),
        _ => "absen khusus dinas luar".into(),
    }
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
                        label: presence_label(&r.kind),
                    });
                }
            }
            Family::Manual => {
                for l in r.lines.iter().filter(|l| l.employee_id == employee_id) {
                    out.presence.push(PresenceEntry {
                        request_id: r.id,
                        at: l.at,
                        checkpoint: l.checkpoint.clone(),
                        label: presence_label("MANUAL"),
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
    let kind = family(kind)
        .filter(|(_, f)| matches!(f, Family::Duty(_) | Family::Ceremony))
        .map(|(k, _)| k)
        .unwrap_or_else(|| "DINAS_LUAR".into());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue() {
        assert_eq!(family("dinas_luar"), Some(("DINAS_LUAR".into(), Family::Duty(AbsenceKind::Dl))));
        assert_eq!(family("CUTI_TAHUNAN").map(|f| f.1), Some(Family::Leave(AbsenceKind::CutiTahunan)));
        assert_eq!(family("KEBERATAN").map(|f| f.1), Some(Family::Objection));
        assert_eq!(family("NOPE"), None);
        assert_eq!(decider_for("CUTI_BESAR"), Decider::Bkd);
        assert_eq!(decider_for("IZIN"), Decider::Head);
        assert!(!allowed_for(Category::Pppk, AbsenceKind::CutiBesar));
        assert!(allowed_for(Category::Pppk, AbsenceKind::CutiMelahirkan));
        assert!(allowed_for(Category::Pns, AbsenceKind::Cltn));
    }
}
