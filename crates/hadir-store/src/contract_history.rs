//! The contract story of effective-dated facts (issue 19): an employee's unit history
//! (mutasi), who spent days in a unit subtree during a range, and the end of employment.
//! Runs after the main story (units KAB → DIK → SD1 and RSUD exist).

use crate::*;
use hadir_domain::{Calendar, DayInput, RuleSet, evaluate_day, unit_zone};
use jiff::Timestamp;
use jiff::civil::{Date, date};

fn audit(action: &str) -> Audit {
    Audit::new((None, "contract"), action, "employee", "-")
}

fn record(day: Date) -> hadir_domain::DayRecord {
    let tz = unit_zone("Asia/Makassar").unwrap();
    let sched = Calendar::perpres_21_2023().resolve(day, &[]).unwrap();
    let now: Timestamp = "2026-04-01T00:00:00Z".parse().unwrap();
    evaluate_day(&DayInput::new(day, &tz, &sched, &RuleSet::default(), now))
}

fn spells(h: &[UnitSpell]) -> Vec<(Id, Date)> {
    h.iter().map(|s| (s.unit_id, s.effective_from)).collect()
}

pub async fn run(s: &dyn Store) {
    let sd1 = s.unit_by_code("SD1").await.unwrap();
    let rsud = s.unit_by_code("RSUD").await.unwrap();
    let start = date(2026, 1, 5);
    let e = s
        .create_employee(
            &NewEmployee {
                nip: Some("197001012000031009".into()),
                login: "197001012000031009".into(),
                name: "Pegawai Mutasi".into(),
                category: Category::Pns,
                unit_code: "SD1".into(),
                position: None,
                tpp_base: Some(4_000_000),
                device_pin: None,
                start_date: Some(start),
                password_hash: "hash".into(),
            },
            audit("create"),
        )
        .await
        .unwrap();
    assert_eq!((e.end_date, e.end_reason), (None, None));
    // The first history row starts with the employment.
    assert_eq!(spells(&s.unit_history(&[e.id]).await.unwrap()), vec![(sd1.id, start)]);

    // A transfer from 10 February: the current unit changes, January's stays in the history.
    let moved_on = date(2026, 2, 10);
    let moved = s
        .update_employee(
            e.id,
            &EmployeeUpdate { unit_code: Some("RSUD".into()), unit_from: Some(moved_on), ..Default::default() },
            audit("update"),
        )
        .await
        .unwrap();
    assert_eq!(moved.unit_id, rsud.id);
    let h = s.unit_history(&[e.id]).await.unwrap();
    assert_eq!(spells(&h), vec![(sd1.id, start), (rsud.id, moved_on)]);
    // The day before the transfer is the old unit's, the day itself the new one's.
    assert_eq!(unit_on(&h, moved.unit_id, date(2026, 2, 9)), sd1.id);
    assert_eq!(unit_on(&h, moved.unit_id, moved_on), rsud.id);
    assert_eq!(unit_on(&h, moved.unit_id, date(2025, 12, 1)), sd1.id, "before the first row: the first unit");

    // Who spent days in a subtree: both units in February, only SD1 in January, only RSUD in March.
    let during = |path: Option<String>, from: Date, to: Date| async move {
        s.employees_in_units_during(path.as_deref(), from, to).await.unwrap().contains(&e.id)
    };
    let (feb1, feb28) = (date(2026, 2, 1), date(2026, 2, 28));
    assert!(during(Some(sd1.path.clone()), feb1, feb28).await);
    assert!(during(Some(rsud.path.clone()), feb1, feb28).await);
    assert!(during(Some(sd1.path.clone()), date(2026, 1, 1), date(2026, 1, 31)).await);
    assert!(!during(Some(rsud.path.clone()), date(2026, 1, 1), date(2026, 1, 31)).await);
    assert!(!during(Some(sd1.path.clone()), date(2026, 3, 1), date(2026, 3, 31)).await);
    assert!(during(Some(rsud.path.clone()), date(2026, 3, 1), date(2026, 3, 31)).await);
    // Not before the start.
    assert!(!during(None, date(2025, 12, 1), date(2025, 12, 31)).await);

    // A refused change (unknown unit) leaves the history as it was.
    let bad = s
        .update_employee(
            e.id,
            &EmployeeUpdate { unit_code: Some("NOPE".into()), unit_from: Some(feb1), ..Default::default() },
            audit("update"),
        )
        .await;
    assert!(bad.is_err());
    assert_eq!(s.unit_history(&[e.id]).await.unwrap(), h);

    // End of employment on 15 March: inactive, the day records after it go, those before stay.
    let (before_end, end, after_end) = (date(2026, 3, 13), date(2026, 3, 15), date(2026, 3, 16));
    let rows = [DayRow::new(e.id, record(before_end)), DayRow::new(e.id, record(after_end))];
    assert_eq!(s.upsert_day_records(&rows).await.unwrap(), 2);
    let ended = s
        .update_employee(
            e.id,
            &EmployeeUpdate { end: Some(Some((end, EndReason::Pensiun))), ..Default::default() },
            audit("end"),
        )
        .await
        .unwrap();
    assert!(!ended.active);
    assert_eq!((ended.end_date, ended.end_reason), (Some(end), Some(EndReason::Pensiun)));
    assert!(ended.ended_before(after_end) && !ended.ended_before(end));
    let kept: Vec<Date> =
        s.day_records(e.id, date(2026, 3, 1), date(2026, 3, 31)).await.unwrap().iter().map(|r| r.record.date).collect();
    assert_eq!(kept, vec![before_end]);
    assert!(!s.account_by_username("197001012000031009").await.unwrap().active);
    // Still listed for March (employed until the 15th), not for April.
    assert!(during(Some(rsud.path.clone()), date(2026, 3, 1), date(2026, 3, 31)).await);
    assert!(!during(None, date(2026, 4, 1), date(2026, 4, 30)).await);
    assert!(s.list_audit(Some("employee"), 0, 500).await.unwrap().items.iter().any(|a| a.action == "end"));

    // Employed again: the end is cleared.
    let again = s
        .update_employee(e.id, &EmployeeUpdate { active: Some(true), ..Default::default() }, audit("update"))
        .await
        .unwrap();
    assert!(again.active);
    assert_eq!((again.end_date, again.end_reason), (None, None));
    assert!(during(None, date(2026, 4, 1), date(2026, 4, 30)).await);
}
