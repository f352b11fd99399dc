//! Apel and upacara for the demo (issue 21 point 3): every Monday an "Apel pagi" of DISDIK
//! (07:30–08:00 WITA at the agency's office, by position or its QR code) and on the 17th an
//! "Upacara 17" of the whole regency (07:00–08:00 at the Setda office), for the previous
//! month, this month and the next week; of the past ones, SDN001's teachers attended four in
//! five (by position), the rest missed them. Deterministic.

use anyhow::{Context, Result};
use hadir_server::days::today_in;
use hadir_store::{Audit, EmployeeFilter, NewSession, Scope, SessionMark, Store};
use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

pub async fn seed_sessions(store: &dyn Store, admin_account: i64) -> Result<()> {
    let tz = TimeZone::get("Asia/Makassar")?;
    let today = today_in(&tz);
    let from = today.first_of_month().checked_sub(1.month())?;
    let to = today.checked_add(7.days())?;
    let disdik = store.unit_by_code("DISDIK").await.context("demo unit DISDIK")?;
    let pemkab = store.unit_by_code("PEMKAB").await.context("demo unit PEMKAB")?;
    // The regent's office is the Sekretariat Daerah's (PEMKAB itself has no office location).
    let setda = store.unit_by_code("SETDA").await.context("demo unit SETDA")?;
    let sdn = store.unit_by_code("SDN001").await.context("demo unit SDN001")?;
    let teachers = store
        .list_employees(
            &Scope::Subtrees(vec![sdn.path.clone()]),
            &EmployeeFilter { active: Some(true), limit: 1000, ..Default::default() },
        )
        .await?
        .items;
    let admin = (Some(admin_account), "Admin BKPSDM");
    let mut d: Date = from;
    while d <= to {
        let mut plan = Vec::new();
        if d.weekday() == Weekday::Monday {
            plan.push(("apel", "Apel pagi", "07:30", "08:00", &disdik, disdik.id, 150.0));
        }
        if d.day() == 17 {
            plan.push(("upacara", "Upacara 17", "07:00", "08:00", &setda, pemkab.id, 300.0));
        }
        for (kind, name, start, end, unit, target, radius) in plan {
            let loc = unit.locations.first().context("demo unit without a location")?;
            let s = NewSession {
                kind: kind.into(),
                name: name.into(),
                date: d,
                start: start.into(),
                end: end.into(),
                unit_id: unit.id,
                unit_ids: vec![target],
                lat: Some(loc.lat),
                lon: Some(loc.lon),
                radius_m: Some(radius),
                qr: true,
                mandatory: true,
            };
            let stored = store.create_apel_session(&s, Audit::new(admin, "create", "apel_session", name)).await?;
            if d >= today {
                continue;
            }
            let at = d.at(7, 35, 0, 0).to_zoned_datetime(tz.clone())?.timestamp();
            let marks: Vec<SessionMark> = teachers
                .iter()
                .filter(|e| (e.id + i64::from(d.day())) % 5 != 0)
                .map(|e| SessionMark {
                    session_id: stored.id,
                    employee_id: e.id,
                    how: "position".into(),
                    at,
                    by_account: Some(e.account_id),
                    lat: Some(loc.lat),
                    lon: Some(loc.lon),
                })
                .collect();
            store.record_session_attendance(&marks, None).await?;
        }
        d = d.tomorrow()?;
    }
    Ok(())
}
