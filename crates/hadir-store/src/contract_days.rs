//! The contract story of [`DayStore`]: policies with their audit trail, rosters, day records
//! and the idempotent recompute queue. Runs after the main story (units KAB → DIK → SD1 and
//! RSUD exist; employee `…1001` is inactive, `…1002` active in SD1).

use crate::*;
use hadir_domain::{
    Calendar, DayInput, Holiday, HolidayKind, Percent, RuleSet, ScheduleOverride, evaluate_day, parse_holiday_csv,
    unit_zone,
};
use jiff::civil::date;
use jiff::{Timestamp, ToSpan};

fn audit(action: &str, entity: &str) -> Audit {
    Audit::new((None, "contract"), action, entity, "-")
}

pub async fn run(s: &dyn Store) {
    seeding_is_once(s).await;
    calendars_and_assignments(s).await;
    holidays_and_rules(s).await;
    rosters(s).await;
    day_records_upsert_by_hash(s).await;
    recompute_queue_is_idempotent(s).await;
}

async fn seeding_is_once(s: &dyn Store) {
    let holidays =
        parse_holiday_csv("tanggal,jenis,nama\n2025-01-01,libur_nasional,Tahun Baru\n2025-01-28,cuti_bersama,Imlek\n")
            .unwrap();
    let d = PolicyDefaults { calendar: Calendar::perpres_21_2023(), holidays, rules: RuleSet::default() };
    assert!(s.seed_policies(&d).await.unwrap());
    assert!(!s.seed_policies(&d).await.unwrap(), "seeded once per database");
    let cals = s.list_calendars().await.unwrap();
    assert_eq!(cals.len(), 1);
    assert!(cals[0].is_default);
    assert_eq!(cals[0].calendar, Calendar::perpres_21_2023());
    assert_eq!(s.list_holidays(None).await.unwrap().len(), 2);
    assert_eq!(s.list_rule_sets().await.unwrap().len(), 1);
}

async fn calendars_and_assignments(s: &dyn Store) {
    let mut school = Calendar::school_six_day();
    let created = s.create_calendar(&school, audit("create", "calendar")).await.unwrap();
    assert!(!created.is_default);
    assert_eq!(created.calendar, school);
    let dup = s.create_calendar(&school, audit("create", "calendar")).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    school.overrides.push(ScheduleOverride::ramadan("Ramadan 1447 H", date(2026, 2, 18), date(2026, 3, 19)));
    let updated = s.update_calendar(created.id, &school, audit("update", "calendar")).await.unwrap();
    assert_eq!(updated.calendar.overrides.len(), 1);
    assert_eq!(s.calendar_by_id(created.id).await.unwrap().calendar, school);
    assert!(matches!(s.calendar_by_id(9999).await, Err(StoreError::NotFound(_))));

    let dik = s.unit_by_code("DIK").await.unwrap();
    let emp = s.employee_by_login("198609262015051002").await.unwrap();
    let jan = date(2026, 1, 1);
    s.assign_calendar(Some(created.id), CalendarTarget::Unit(dik.id), jan, audit("assign", "calendar")).await.unwrap();
    // Assigning again on the same date replaces; an employee override sits beside it.
    s.assign_calendar(Some(created.id), CalendarTarget::Unit(dik.id), jan, audit("assign", "calendar")).await.unwrap();
    let default_cal = cals_default(s).await;
    s.assign_calendar(Some(default_cal), CalendarTarget::Employee(emp.id), jan, audit("assign", "calendar"))
        .await
        .unwrap();
    let a = s.list_calendar_assignments().await.unwrap();
    assert_eq!(a.len(), 2);
    let unit_a = a.iter().find(|x| x.target == CalendarTarget::Unit(dik.id)).unwrap();
    assert_eq!((unit_a.calendar_id, unit_a.unit_code.as_deref()), (Some(created.id), Some("DIK")));
    assert_eq!(unit_a.unit_path.as_deref(), Some(dik.path.as_str()));
    assert_eq!(unit_a.effective_from, jan);
    let emp_a = a.iter().find(|x| x.target == CalendarTarget::Employee(emp.id)).unwrap();
    assert_eq!(emp_a.employee_login.as_deref(), Some("198609262015051002"));
    // Removing the override from a date keeps the earlier assignment (issue 19: history).
    let feb = date(2026, 2, 1);
    s.assign_calendar(None, CalendarTarget::Employee(emp.id), feb, audit("unassign", "calendar")).await.unwrap();
    let a = s.list_calendar_assignments().await.unwrap();
    let mine: Vec<_> = a.iter().filter(|x| x.target == CalendarTarget::Employee(emp.id)).collect();
    assert_eq!(
        mine.iter().map(|x| (x.effective_from, x.calendar_id)).collect::<Vec<_>>(),
        vec![(jan, Some(default_cal)), (feb, None)]
    );
    // A later unit assignment, then one dated between: the later one gives way, January's stays.
    s.assign_calendar(Some(default_cal), CalendarTarget::Unit(dik.id), date(2026, 3, 1), audit("assign", "calendar"))
        .await
        .unwrap();
    s.assign_calendar(Some(default_cal), CalendarTarget::Unit(dik.id), date(2026, 2, 15), audit("assign", "calendar"))
        .await
        .unwrap();
    let dik_rows: Vec<_> = s
        .list_calendar_assignments()
        .await
        .unwrap()
        .into_iter()
        .filter(|x| x.target == CalendarTarget::Unit(dik.id))
        .map(|x| (x.effective_from, x.calendar_id))
        .collect();
    assert_eq!(dik_rows, vec![(jan, Some(created.id)), (date(2026, 2, 15), Some(default_cal))]);
    let before = s.list_calendar_assignments().await.unwrap();
    assert!(
        s.assign_calendar(Some(9999), CalendarTarget::Unit(dik.id), jan, audit("assign", "calendar")).await.is_err()
    );
    assert_eq!(s.list_calendar_assignments().await.unwrap(), before, "a failed assignment changes nothing");
    let trail = s.list_audit(Some("calendar"), 0, 100).await.unwrap();
    assert!(trail.total >= 6, "every calendar change is audited");
    assert!(trail.items.iter().any(|e| e.action == "update" && e.before.is_some() && e.after.is_some()));
}

async fn cals_default(s: &dyn Store) -> Id {
    s.list_calendars().await.unwrap().into_iter().find(|c| c.is_default).unwrap().id
}

async fn holidays_and_rules(s: &dyn Store) {
    let sd1 = s.unit_by_code("SD1").await.unwrap();
    let h = NewHoliday {
        holiday: Holiday { date: date(2025, 11, 10), kind: HolidayKind::Regional, name: "Hari Jadi".into() },
        unit_id: Some(sd1.id),
    };
    let stored = s.create_holiday(&h, audit("create", "holiday")).await.unwrap();
    assert_eq!((stored.unit_code.as_deref(), stored.unit_path.as_deref()), (Some("SD1"), Some(sd1.path.as_str())));
    assert!(matches!(s.create_holiday(&h, audit("create", "holiday")).await, Err(StoreError::Conflict(_))));
    let national = NewHoliday { unit_id: None, ..h.clone() };
    s.create_holiday(&national, audit("create", "holiday")).await.unwrap();
    assert!(
        s.create_holiday(&national, audit("create", "holiday")).await.is_err(),
        "national duplicates are refused too"
    );
    assert_eq!(s.list_holidays(Some(2025)).await.unwrap().len(), 4);
    assert!(s.list_holidays(Some(2024)).await.unwrap().is_empty());
    let gone = s.delete_holiday(stored.id, audit("delete", "holiday")).await.unwrap();
    assert_eq!(gone.holiday.name, "Hari Jadi");
    assert!(matches!(s.delete_holiday(stored.id, audit("delete", "holiday")).await, Err(StoreError::NotFound(_))));
    let dates: Vec<_> = s.list_holidays(None).await.unwrap().iter().map(|h| h.holiday.date).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "ordered by date");

    let later = RuleSet {
        name: "Perbup 2026".into(),
        effective_from: date(2026, 1, 1),
        tk_per_day: Percent::whole(4),
        ..RuleSet::default()
    };
    let same_day = RuleSet { name: "Koreksi".into(), ..RuleSet::default() };
    s.create_rule_set(&later, audit("create", "rule_set")).await.unwrap();
    s.create_rule_set(&same_day, audit("create", "rule_set")).await.unwrap();
    let names: Vec<_> = s.list_rule_sets().await.unwrap().into_iter().map(|r| r.rules.name).collect();
    assert_eq!(names, [RuleSet::default().name.as_str(), "Koreksi", "Perbup 2026"], "by effective date, then age");
    assert_eq!(s.list_rule_sets().await.unwrap()[2].rules, later);
}

async fn rosters(s: &dyn Store) {
    let emp = s.employee_by_login("198609262015051002").await.unwrap();
    let rows = [
        RosterRow { employee_id: emp.id, date: date(2025, 11, 3), shift: Some("M".into()) },
        RosterRow { employee_id: emp.id, date: date(2025, 11, 4), shift: None },
        RosterRow { employee_id: emp.id, date: date(2025, 11, 5), shift: Some("P".into()) },
    ];
    assert_eq!(s.put_roster(&rows, &[], audit("put", "roster")).await.unwrap(), 3);
    let change = [RosterRow { employee_id: emp.id, date: date(2025, 11, 3), shift: Some("S".into()) }];
    s.put_roster(&change, &[(emp.id, date(2025, 11, 5))], audit("put", "roster")).await.unwrap();
    let got = s.list_roster(Some(emp.id), date(2025, 11, 1), date(2025, 11, 30)).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].shift.as_deref(), Some("S"));
    assert_eq!(got[1].shift, None, "a day off is a line with no shift");
    assert_eq!(s.list_roster(None, date(2025, 11, 4), date(2025, 11, 4)).await.unwrap().len(), 1);
    let bad = [RosterRow { employee_id: 9999, date: date(2025, 11, 3), shift: None }];
    assert!(s.put_roster(&bad, &[], audit("put", "roster")).await.is_err());
    assert_eq!(s.list_roster(None, date(2025, 1, 1), date(2025, 12, 31)).await.unwrap().len(), 2);
}

fn record(day: jiff::civil::Date, now: Timestamp) -> hadir_domain::DayRecord {
    let tz = unit_zone("Asia/Makassar").unwrap();
    let cal = Calendar::perpres_21_2023();
    let sched = cal.resolve(day, &[]).unwrap();
    let rules = RuleSet::default();
    evaluate_day(&DayInput::new(day, &tz, &sched, &rules, now))
}

async fn day_records_upsert_by_hash(s: &dyn Store) {
    let emp = s.employee_by_login("198609262015051002").await.unwrap();
    let d = date(2025, 11, 4);
    let open = record(d, "2025-11-04T01:00:00Z".parse().unwrap());
    assert_eq!(open.status.code(), "BELUM_SELESAI");
    let closed = record(d, "2025-11-05T01:00:00Z".parse().unwrap());
    assert_eq!(closed.status.code(), "TK");
    let other = record(date(2025, 11, 3), "2025-11-05T01:00:00Z".parse().unwrap());
    let rows = [DayRow::new(emp.id, open.clone()), DayRow::new(emp.id, other.clone())];
    assert_eq!(s.upsert_day_records(&rows).await.unwrap(), 2);
    assert_eq!(s.upsert_day_records(&rows).await.unwrap(), 0, "unchanged records are not rewritten");
    let first = s.day_records(emp.id, d, d).await.unwrap();
    assert_eq!(first[0].record, open);
    assert_eq!(s.upsert_day_records(&[DayRow::new(emp.id, closed.clone())]).await.unwrap(), 1);
    let got = s.day_records(emp.id, date(2025, 11, 1), date(2025, 11, 30)).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].record.date, &got[1].record), (date(2025, 11, 3), &closed), "ordered by date");
    assert_eq!(got[1].record_hash, DayRow::new(emp.id, closed).hash);
}

async fn recompute_queue_is_idempotent(s: &dyn Store) {
    let emp = s.employee_by_login("198609262015051002").await.unwrap();
    let inactive = s.employee_by_login("198609262015051001").await.unwrap();
    let (d1, d2) = (date(2025, 11, 3), date(2025, 11, 4));
    s.enqueue_recompute(&[(emp.id, d1), (emp.id, d1), (emp.id, d2)]).await.unwrap();
    s.enqueue_recompute(&[(emp.id, d1)]).await.unwrap();
    assert_eq!(s.recompute_backlog().await.unwrap(), 2, "one row per pair");

    let now = Timestamp::now();
    let jobs = s.claim_recompute(10, now, now + 1.minute()).await.unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(s.claim_recompute(10, now, now + 1.minute()).await.unwrap().is_empty(), "leased");
    // Changed again while being recomputed: stays queued after finishing.
    s.enqueue_recompute(&[(emp.id, d2)]).await.unwrap();
    s.finish_recompute(&jobs).await.unwrap();
    let left = s.claim_recompute(10, now, now + 1.minute()).await.unwrap();
    assert_eq!(left.iter().map(|j| j.date).collect::<Vec<_>>(), [d2]);
    s.finish_recompute(&left).await.unwrap();
    assert_eq!(s.recompute_backlog().await.unwrap(), 0);

    // An expired lease is claimed again (a worker died).
    s.enqueue_recompute(&[(emp.id, d1)]).await.unwrap();
    let a = s.claim_recompute(10, now, now + 1.minute()).await.unwrap();
    let b = s.claim_recompute(10, now + 2.minute(), now + 3.minute()).await.unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(b.len(), 1);
    s.finish_recompute(&b).await.unwrap();
    assert_eq!(s.recompute_backlog().await.unwrap(), 0);

    // Ranges: active employees of a subtree, or named employees (active or not).
    let sd1 = s.unit_by_code("SD1").await.unwrap();
    let n = s.enqueue_recompute_range(&RecomputeTarget::Subtrees(vec![sd1.path.clone()]), d1, d2).await.unwrap();
    assert_eq!(n, 2, "only the active employee, two dates");
    let rsud = s.unit_by_code("RSUD").await.unwrap();
    assert_eq!(s.enqueue_recompute_range(&RecomputeTarget::Subtrees(vec![rsud.path]), d1, d2).await.unwrap(), 0);
    s.enqueue_recompute_range(&RecomputeTarget::Employees(vec![inactive.id]), d1, date(2025, 11, 30)).await.unwrap();
    s.enqueue_recompute_range(&RecomputeTarget::All, d1, d1).await.unwrap();
    assert_eq!(s.recompute_backlog().await.unwrap(), 2 + 28);
    let all = s.claim_recompute(100, now, now + 1.minute()).await.unwrap();
    s.finish_recompute(&all).await.unwrap();

    // Day close: open or missing records of active employees are queued, closed ones are not.
    // (11-04 holds a closed TK record from the step above; 11-05 has none.)
    let n = s.enqueue_open_days(&[d2, date(2025, 11, 5)]).await.unwrap();
    assert_eq!(n, 1);
    let jobs = s.claim_recompute(10, now, now + 1.minute()).await.unwrap();
    assert_eq!(jobs.iter().map(|j| (j.employee_id, j.date)).collect::<Vec<_>>(), [(emp.id, date(2025, 11, 5))]);
    s.finish_recompute(&jobs).await.unwrap();
}
