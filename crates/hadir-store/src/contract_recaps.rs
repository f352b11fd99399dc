//! The contract story of [`RecapStore`]: objection deadlines, freezing a month (lock and
//! snapshots in one transaction, audited), the lock read by `is_month_locked`, snapshots by
//! subtree, an employee frozen once, and an audited reopen that releases the snapshots.
//! Runs after the main story (units KAB → DIK → SD1 and RSUD; employees `…1001` and
//! `…1002`, both in SD1 by then).

use crate::*;
use jiff::civil::date;

fn audit(action: &str) -> Audit {
    Audit::new((None, "contract"), action, "recap", "2024-01")
}

fn snap(e: &Employee, n: u32) -> NewRecapSnapshot {
    NewRecapSnapshot {
        employee_id: e.id,
        unit_id: e.unit_id,
        data_json: format!("{{\"n\":{n}}}"),
        rules_json: "[{\"id\":1}]".into(),
        inputs_hash: format!("hash{n}"),
    }
}

pub async fn run(s: &dyn Store) {
    let m = "2024-01";
    let sd1 = s.unit_by_code("SD1").await.unwrap();
    let rsud = s.unit_by_code("RSUD").await.unwrap();
    let a = s.employee_by_login("198609262015051001").await.unwrap();
    let b = s.employee_by_login("198609262015051002").await.unwrap();

    // Deadlines: none, set, replaced.
    assert_eq!(s.objection_deadline(m).await.unwrap(), None);
    s.set_objection_deadline(m, date(2024, 2, 5), audit("recap.deadline")).await.unwrap();
    s.set_objection_deadline(m, date(2024, 2, 9), audit("recap.deadline")).await.unwrap();
    assert_eq!(s.objection_deadline(m).await.unwrap(), Some(date(2024, 2, 9)));

    // Freeze SD1: lock + snapshot; the lock is what the requests area sees.
    assert!(!s.is_month_locked(m, &sd1.path).await.unwrap());
    let n = s.freeze_month(m, Some(sd1.id), &[snap(&a, 1)], audit("recap.lock")).await.unwrap();
    assert_eq!(n, 1);
    assert!(s.is_month_locked(m, &sd1.path).await.unwrap());
    assert!(!s.is_month_locked(m, &rsud.path).await.unwrap());
    let e = s.freeze_month(m, Some(sd1.id), &[snap(&a, 9)], audit("recap.lock")).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(ref f) if f == "month_lock"), "{e:?}");
    let e = s.freeze_month(m, Some(999_999), &[], audit("recap.lock")).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound("unit")), "{e:?}");

    // Freeze everywhere: a is already frozen by SD1 and keeps that snapshot.
    let n = s.freeze_month(m, None, &[snap(&a, 2), snap(&b, 3)], audit("recap.lock")).await.unwrap();
    assert_eq!(n, 1);
    let all = s.recap_snapshots(m, None).await.unwrap();
    assert_eq!(all.len(), 2);
    let sa = all.iter().find(|x| x.employee_id == a.id).unwrap();
    assert_eq!((sa.data_json.as_str(), sa.lock_unit_id), ("{\"n\":1}", Some(sd1.id)));
    assert_eq!(sa.inputs_hash, "hash1");
    assert_eq!(sa.rules_json, "[{\"id\":1}]");
    // By the unit frozen in: b was moved to SD1 by the main story; nobody is in RSUD.
    let only_sd1 = s.recap_snapshots(m, Some(&sd1.path)).await.unwrap();
    assert_eq!(only_sd1.iter().map(|x| x.employee_id).collect::<Vec<_>>(), [a.id, b.id]);
    assert!(s.recap_snapshots(m, Some(&rsud.path)).await.unwrap().is_empty());
    let locks = s.month_locks(m).await.unwrap();
    assert_eq!(locks.len(), 2);
    assert_eq!(locks[0].unit_id, None);
    assert_eq!(locks[1].unit_code.as_deref(), Some("SD1"));
    assert_eq!(locks[1].locked_by, "contract");
    assert!(s.month_locks("2024-02").await.unwrap().is_empty());

    // Reopen SD1: its snapshot is released (history kept), the global lock remains.
    let e = s.reopen_month(m, Some(rsud.id), "salah", audit("recap.reopen")).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound("month_lock")), "{e:?}");
    let released = s.reopen_month(m, Some(sd1.id), "koreksi keberatan", audit("recap.reopen")).await.unwrap();
    assert_eq!(released, 1);
    assert_eq!(s.recap_snapshots(m, Some(&sd1.path)).await.unwrap().len(), 1, "b's global snapshot stays");
    assert!(s.is_month_locked(m, &sd1.path).await.unwrap(), "still under the global lock");
    let reopens = s.list_reopens(m).await.unwrap();
    assert_eq!(reopens.len(), 1);
    assert_eq!((reopens[0].reason.as_str(), reopens[0].snapshots), ("koreksi keberatan", 1));
    assert_eq!(reopens[0].unit_code.as_deref(), Some("SD1"));
    // Freezing SD1 again stores a fresh snapshot.
    assert_eq!(s.freeze_month(m, Some(sd1.id), &[snap(&a, 4)], audit("recap.lock")).await.unwrap(), 1);
    let sa = s.recap_snapshots(m, Some(&sd1.path)).await.unwrap();
    assert_eq!(sa.iter().find(|x| x.employee_id == a.id).unwrap().data_json, "{\"n\":4}");

    // Reopen everywhere, then SD1: nothing locked any more.
    assert_eq!(s.reopen_month(m, None, "perubahan aturan", audit("recap.reopen")).await.unwrap(), 1);
    assert_eq!(s.reopen_month(m, Some(sd1.id), "perubahan aturan", audit("recap.reopen")).await.unwrap(), 1);
    assert!(!s.is_month_locked(m, &sd1.path).await.unwrap());
    assert!(s.recap_snapshots(m, None).await.unwrap().is_empty());
    assert_eq!(s.list_reopens(m).await.unwrap().len(), 3);

    // Every step is in the audit trail.
    let trail = s.list_audit(Some("recap"), 0, 100).await.unwrap();
    let actions: Vec<&str> = trail.items.iter().map(|x| x.action.as_str()).collect();
    for a in ["recap.lock", "recap.reopen", "recap.deadline"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}
