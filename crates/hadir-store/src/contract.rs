//! The one test story every backend passes. A backend's test calls [`run`] with a fresh,
//! empty store; each step asserts behaviour callers rely on, not implementation details.

use crate::*;
use jiff::{Timestamp, ToSpan};

fn audit(what: &str) -> Audit {
    Audit::new((None, "contract"), "create", what, "-")
}

fn unit(code: &str, parent: Option<&str>, tz: &str) -> NewUnit {
    NewUnit {
        code: code.into(),
        name: format!("Unit {code}"),
        parent_code: parent.map(Into::into),
        timezone: tz.into(),
        locations: vec![NewLocation { name: format!("Kantor {code}"), lat: -0.5, lon: 117.1, radius_m: 100.0 }],
    }
}

fn employee(login: &str, unit: &str, pin: &str) -> NewEmployee {
    NewEmployee {
        nip: Some(login.into()),
        login: login.into(),
        name: format!("Pegawai {login}"),
        category: Category::Pns,
        unit_code: unit.into(),
        position: None,
        tpp_base: Some(5_000_000),
        device_pin: Some(pin.into()),
        start_date: None,
        password_hash: "hash".into(),
    }
}

pub async fn run(s: &dyn Store) {
    units_form_a_tree(s).await;
    employees_and_scope(s).await;
    accounts_roles_sessions(s).await;
    audit_trail(s).await;
    punches_are_idempotent_and_chained(s).await;
    crate::contract_devices::run(s).await;
    crate::contract_days::run(s).await;
    crate::contract_requests::run(s).await;
    crate::contract_recaps::run(s).await;
    crate::contract_privacy::run(s).await;
    jobs_run_once(s).await;
    held_punches_wait_for_a_decision(s).await;
    server_runs_and_windows(s).await;
    batch_reads_agree(s).await;
    checkin_read_is_bounded(s).await;
    crate::contract_history::run(s).await;
    relay_selfie_reuse_is_held(s).await;
    reference_faces(s).await;
}

/// A reference face is set, replaced (the audit record says what it replaced, never the
/// embedding), read alone and in a batch, and removed once.
async fn reference_faces(s: &dyn Store) {
    let a = s.employee_by_login("198609262015051001").await.unwrap();
    let b = s.employee_by_login("198609262015051002").await.unwrap();
    assert_eq!(s.reference_face(a.id).await.unwrap(), None);
    let t0 = jiff::Timestamp::from_second(1_765_000_000).unwrap();
    let face = |embedding: Vec<u8>, source: &str, punch_id: Option<Id>| ReferenceFace {
        employee_id: a.id,
        model: "faceres-1.2".into(),
        embedding,
        source: source.into(),
        punch_id,
        enrolled_by_account: None,
        enrolled_by: "kepala".into(),
        enrolled_at: t0,
    };
    let audit = |action: &str| Audit::new((None, "kepala"), action, "employee", &a.id.to_string());
    let first = face(vec![1, 2, 3, 4], "upload", None);
    assert_eq!(s.set_reference_face(&first, audit("enrol_reference_face")).await.unwrap(), first);
    let second = face(vec![9; 8], "upload", None);
    assert_eq!(s.set_reference_face(&second, audit("enrol_reference_face")).await.unwrap(), second);
    assert_eq!(s.reference_face(a.id).await.unwrap(), Some(second.clone()));
    assert_eq!(s.reference_faces_of(&[a.id, b.id]).await.unwrap(), vec![second]);
    assert!(s.reference_faces_of(&[]).await.unwrap().is_empty());
    let trail = s.list_audit(Some("employee"), 0, 500).await.unwrap().items;
    let enrolled: Vec<_> = trail.iter().filter(|e| e.action == "enrol_reference_face").collect();
    assert_eq!(enrolled.len(), 2, "{enrolled:?}");
    assert!(enrolled.iter().any(|e| e.before.as_ref().is_some_and(|b| b["source"] == "upload")));
    assert!(enrolled.iter().all(|e| !format!("{e:?}").contains("embedding")));
    assert!(s.remove_reference_face(a.id, audit("remove_reference_face")).await.unwrap());
    assert!(!s.remove_reference_face(a.id, audit("remove_reference_face")).await.unwrap());
    assert_eq!(s.reference_face(a.id).await.unwrap(), None);
    let trail = s.list_audit(Some("employee"), 0, 500).await.unwrap().items;
    assert_eq!(trail.iter().filter(|e| e.action == "remove_reference_face").count(), 1);
    ended_employees_lose_their_reference_face(s, a.id, b.id, face).await;
}

/// The retention purge removes the reference face of an employee whose employment ended
/// before the given date of their unit's zone (not on the end date itself), in batches, with
/// a system audit record each; the others' stay.
async fn ended_employees_lose_their_reference_face(
    s: &dyn Store,
    a: Id,
    b: Id,
    face: impl Fn(Vec<u8>, &str, Option<Id>) -> ReferenceFace,
) {
    let enrol = |id: Id| ReferenceFace { employee_id: id, ..face(vec![7; 8], "upload", None) };
    let audit = |action: &str, id: Id| Audit::new((None, "kepala"), action, "employee", &id.to_string());
    s.set_reference_face(&enrol(a), audit("enrol_reference_face", a)).await.unwrap();
    s.set_reference_face(&enrol(b), audit("enrol_reference_face", b)).await.unwrap();
    // Employee b's last day is 15 June 2099 (far ahead: no day record is touched).
    let end = jiff::civil::date(2099, 6, 15);
    let upd = EmployeeUpdate { end: Some(Some((end, EndReason::Berhenti))), ..Default::default() };
    s.update_employee(b, &upd, audit("end", b)).await.unwrap();
    let zone = s.unit_by_id(s.employee_by_id(b).await.unwrap().unit_id).await.unwrap().timezone;
    let other = if zone == "Asia/Jayapura" { "Asia/Jakarta" } else { "Asia/Jayapura" };
    for (before, n) in [("2099-06-14", 0), ("2099-06-15", 0)] {
        assert_eq!(s.purge_ended_reference_faces(&zone, before, 10).await.unwrap(), n, "kept while {before}");
    }
    assert_eq!(s.purge_ended_reference_faces(other, "2099-06-16", 10).await.unwrap(), 0, "another zone's units");
    assert!(s.reference_face(b).await.unwrap().is_some());
    assert_eq!(s.purge_ended_reference_faces(&zone, "2099-06-16", 10).await.unwrap(), 1, "the day after");
    assert_eq!(s.purge_ended_reference_faces(&zone, "2099-06-16", 10).await.unwrap(), 0, "once");
    assert_eq!(s.reference_face(b).await.unwrap(), None);
    assert!(s.reference_face(a).await.unwrap().is_some(), "still employed: kept");
    let trail = s.list_audit(Some("employee"), 0, 500).await.unwrap().items;
    let purged: Vec<_> = trail.iter().filter(|e| e.action == "purge_reference_face").collect();
    assert_eq!(purged.len(), 1, "{purged:?}");
    assert_eq!(
        (purged[0].actor_name.as_str(), purged[0].entity_id.as_str()),
        ("sistem retensi", b.to_string().as_str())
    );
    assert_eq!(purged[0].after.as_ref().unwrap()["end_date"], "2099-06-15");
    assert!(!format!("{:?}", purged[0]).contains("embedding"));
    // Employed again (later steps use b); a's face goes back to none.
    s.update_employee(b, &EmployeeUpdate { active: Some(true), ..Default::default() }, audit("update", b))
        .await
        .unwrap();
    assert!(s.remove_reference_face(a, audit("remove_reference_face", a)).await.unwrap());
}

/// A held punch is stored in the chain but listed as pending until decided; a decision is
/// recorded once (a second decision finds nothing pending), with its audit record, and keeps
/// the chain intact.
async fn held_punches_wait_for_a_decision(s: &dyn Store) {
    let emp = s.employee_by_login("198609262015051001").await.unwrap();
    let unit = s.unit_by_id(emp.unit_id).await.unwrap();
    let t0: Timestamp = "2025-11-10T00:00:00Z".parse().unwrap();
    let mk = |key: &str, at: Timestamp| {
        let mut p = hold_punch(key, emp.id, at);
        p.hold = Some(PunchHold::Pending);
        p
    };
    let res = s.insert_punches(&[mk("m:h:1", t0), mk("m:h:2", t0 + 1.hour())]).await.unwrap();
    let ids: Vec<Id> = res.iter().map(|r| r.punch().id).collect();
    assert!(!res[0].punch().counts(), "a held punch does not count");
    let pending = PunchFilter { hold: Some(PunchHold::Pending), limit: 100, ..Default::default() };
    assert_eq!(s.list_punches(&pending).await.unwrap().len(), 2);
    let in_unit = PunchFilter { subtrees: Some(vec![unit.path.clone()]), ..pending.clone() };
    assert_eq!(s.list_punches(&in_unit).await.unwrap().len(), 2, "by the employee's unit subtree");
    let elsewhere = PunchFilter { subtrees: Some(vec!["/999999/".into()]), ..pending.clone() };
    assert!(s.list_punches(&elsewhere).await.unwrap().is_empty());
    let paged = PunchFilter { offset: 1, limit: 1, ..pending.clone() };
    assert_eq!(s.list_punches(&paged).await.unwrap()[0].id, ids[1], "offset pages in time order");

    let at: Timestamp = "2025-11-11T02:00:00Z".parse().unwrap();
    let accepted =
        s.decide_held_punches(&ids[..1], true, Some("hadir, dicek CCTV"), at, (None, "kepala")).await.unwrap();
    assert_eq!(accepted.len(), 1);
    let p = &accepted[0];
    assert!(p.counts());
    assert_eq!(p.p.hold, Some(PunchHold::Accepted));
    let d = p.decision.as_ref().unwrap();
    assert_eq!((d.by.as_str(), d.at, d.note.as_deref()), ("kepala", at, Some("hadir, dicek CCTV")));
    let again = s.decide_held_punches(&ids, false, Some("tidak"), at, (None, "kepala")).await.unwrap();
    assert_eq!(again.iter().map(|p| p.id).collect::<Vec<_>>(), vec![ids[1]], "only pending punches are decided");
    let rejected = s.punch_by_id(ids[1]).await.unwrap();
    assert!(!rejected.counts());
    assert_eq!(rejected.p.hold, Some(PunchHold::Rejected));
    assert_eq!(s.punch_by_id(ids[0]).await.unwrap().p.hold, Some(PunchHold::Accepted), "unchanged by the second");
    assert!(s.list_punches(&pending).await.unwrap().is_empty());
    let trail = s.list_audit(Some("punch_hold"), 0, 10).await.unwrap();
    assert_eq!(trail.total, 2);
    assert_eq!(s.verify_chain().await.unwrap().first_broken, None, "decisions stay outside the hash");
}

fn hold_punch(key: &str, employee: Id, at: Timestamp) -> NewPunch {
    NewPunch {
        employee_id: Some(employee),
        source: PunchSource::Mobile,
        dedup_key: key.into(),
        punched_at: at,
        received_at: at + 30.hour(),
        captured_at: Some(at),
        device_sn: None,
        device_pin: None,
        lat: None,
        lon: None,
        accuracy_m: None,
        distance_m: None,
        location_name: None,
        photo_hash: None,
        note: None,
        review: Some("offline_gap".into()),
        review_detail: None,
        status: None,
        verify: None,
        quarantined: false,
        hold: None,
        response: None,
    }
}

/// A check-in's read returns the retry's punch and, of the counting punches, the first few of
/// each local day and the last few of the window: the same as filtering a full listing, and
/// bounded however many punches the day holds.
async fn checkin_read_is_bounded(s: &dyn Store) {
    let emp = s.employee_by_login("198609262015051001").await.unwrap();
    let d0: Timestamp = "2025-12-01T00:00:00Z".parse().unwrap();
    let d1 = d0 + 24.hour();
    let mut batch = Vec::new();
    for i in 0..6 {
        batch.push(hold_punch(&format!("m:cr:y{i}"), emp.id, d0 + 17.hour() + (i * 7).minute()));
    }
    for i in 0..30 {
        batch.push(hold_punch(&format!("m:cr:t{i}"), emp.id, d1 + 1.hour() + (i * 11).minute()));
    }
    let mut held = hold_punch("m:cr:held", emp.id, d1 + 30.minute());
    held.hold = Some(PunchHold::Pending);
    batch.push(held);
    let old = hold_punch("m:cr:old", emp.id, d0 - 20.hour());
    batch.push(old);
    s.insert_punches(&batch).await.unwrap();
    let at = d1 + 7.hour();
    let q = CheckinRead {
        employee_id: emp.id,
        dedup_key: "m:cr:old".into(),
        from: at - 36.hour(),
        to: at + 1.hour(),
        day_starts: [d0, d1],
        per_part: 4,
    };
    let stored =
        s.list_punches(&PunchFilter { employee_id: Some(emp.id), limit: 1_000, ..Default::default() }).await.unwrap();
    let key_of = |id: Id| stored.iter().find(|p| p.id == id).map(|p| p.p.dedup_key.clone()).unwrap();
    let got = s.checkin_punches(&q).await.unwrap();
    let retry = got.retry.expect("the retry's punch");
    assert_eq!(retry.p.dedup_key, "m:cr:old", "the retry's punch, whole");
    assert_eq!(retry, stored.iter().find(|p| p.p.dedup_key == "m:cr:old").cloned().unwrap());
    let keys = |v: &[&str]| v.iter().map(|k| format!("m:cr:{k}")).collect::<Vec<_>>();
    let got_keys: Vec<String> = got.counting.iter().map(|p| key_of(p.id)).collect();
    let want = keys(&["y0", "y1", "y2", "y3", "t0", "t1", "t2", "t3", "t26", "t27", "t28", "t29"]);
    assert_eq!(got_keys, want, "the first 4 of each day, the last 4; never the held one (nor the old retry)");
    for c in &got.counting {
        let p = stored.iter().find(|p| p.id == c.id).unwrap();
        assert_eq!((c.employee_id, c.punched_at, c.source), (emp.id, p.p.punched_at, p.p.source));
    }
    let few = CheckinRead { per_part: 100, dedup_key: "m:cr:none".into(), ..q.clone() };
    let all = s.checkin_punches(&few).await.unwrap();
    assert!(all.retry.is_none(), "no punch under an unknown key");
    let all = all.counting;
    assert_eq!(all.len(), 36, "every counting punch of the two days when the bound is not reached");
    assert!(all.windows(2).all(|w| (w[0].punched_at, w[0].id) < (w[1].punched_at, w[1].id)), "in time order");
}

/// Runs (start, last heartbeat, clean stop) and unavailability windows as recorded.
async fn server_runs_and_windows(s: &dyn Store) {
    let t: Timestamp = "2025-11-12T00:00:00Z".parse().unwrap();
    s.heartbeat("a", t, t).await.unwrap();
    s.heartbeat("a", t, t + 5.second()).await.unwrap();
    s.heartbeat("b", t + 1.minute(), t + 2.minute()).await.unwrap();
    s.clean_stop("b", t + 3.minute()).await.unwrap();
    let runs = s.runs_between(t, t + 1.hour()).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (runs[0].instance.as_str(), runs[0].started_at, runs[0].last_alive, runs[0].clean),
        ("a", t, t + 5.second(), false)
    );
    assert_eq!((runs[1].instance.as_str(), runs[1].last_alive, runs[1].clean), ("b", t + 3.minute(), true));
    assert!(s.runs_between(t + 10.minute(), t + 1.hour()).await.unwrap().is_empty(), "ended before");
    let w =
        UnavailableWindow { kind: UnavailableKind::Overloaded, start: t + 1.hour(), end: t + 1.hour() + 5.second() };
    s.record_unavailable(&w).await.unwrap();
    assert_eq!(s.unavailable_between(t + 1.hour() + 2.second(), t + 2.hour()).await.unwrap(), vec![w.clone()]);
    assert!(s.unavailable_between(t + 2.hour(), t + 3.hour()).await.unwrap().is_empty());
    s.prune_availability(t + 2.hour()).await.unwrap();
    assert!(s.runs_between(t, t + 1.hour()).await.unwrap().is_empty());
    assert!(s.unavailable_between(t, t + 3.hour()).await.unwrap().is_empty());
}

/// The batch reads the background recompute uses give exactly what the one-at-a-time reads
/// give, on everything the story above stored.
async fn batch_reads_agree(s: &dyn Store) {
    let f = EmployeeFilter { limit: 10_000, ..Default::default() };
    let mut all = s.list_employees(&Scope::All, &f).await.unwrap().items;
    assert!(all.len() >= 2, "the story stored employees: {}", all.len());
    all.sort_by_key(|e| e.id);
    let mut ids: Vec<Id> = all.iter().map(|e| e.id).collect();
    ids.push(9_999_999); // unknown ids are skipped
    let mut batch = s.employees_by_ids(&ids).await.unwrap();
    batch.sort_by_key(|e| e.id);
    assert_eq!(batch, all);

    let (from, to) = ("2000-01-01T00:00:00Z".parse().unwrap(), "2100-01-01T00:00:00Z".parse().unwrap());
    let batch = s.punches_of(&ids, from, to).await.unwrap();
    let mut single = Vec::new();
    for e in &all {
        let f = PunchFilter {
            employee_id: Some(e.id),
            from: Some(from),
            to: Some(to),
            limit: 100_000,
            ..Default::default()
        };
        single.extend(s.list_punches(&f).await.unwrap());
    }
    single.sort_by_key(|p| (p.p.punched_at, p.id));
    assert!(!single.is_empty(), "the story stored punches of employees");
    assert_eq!(batch, single);
    // The slim read for a day's evaluation: exactly the punches that count, nothing else.
    let counting = s.counting_punches_of(&ids, from, to).await.unwrap();
    let expected: Vec<CountingPunch> = single
        .iter()
        .filter(|p| p.counts() && p.p.source != PunchSource::Special)
        .map(|p| CountingPunch {
            id: p.id,
            employee_id: p.p.employee_id.unwrap(),
            punched_at: p.p.punched_at,
            source: p.p.source,
        })
        .collect();
    assert!(expected.len() < single.len(), "the story stored punches that do not count");
    assert_eq!(counting, expected);

    let (d0, d1) = (jiff::civil::date(2000, 1, 1), jiff::civil::date(2099, 12, 31));
    let mut who = Vec::new();
    for e in &all {
        who.push((e.id, s.unit_by_id(e.unit_id).await.unwrap().path));
    }
    let many = s.approved_requests_for_many(&who, d0, d1).await.unwrap();
    let mut seen = 0;
    for (id, path) in &who {
        let single = s.approved_requests_for(*id, path, d0, d1).await.unwrap();
        seen += single.len();
        assert_eq!(many.get(id).cloned().unwrap_or_default(), single, "employee {id}");
    }
    assert!(seen > 0, "the story approved requests");

    let days = s.day_records_of(&ids, d0, d1).await.unwrap();
    let mut single = Vec::new();
    for e in &all {
        single.extend(s.day_records(e.id, d0, d1).await.unwrap());
    }
    assert!(!single.is_empty(), "the story stored day records");
    assert_eq!(days, single);
    let statuses = s.day_statuses_of(&ids, d0, d1).await.unwrap();
    let expected: Vec<_> = single.iter().map(|d| (d.employee_id, d.record.date, d.record.status)).collect();
    assert_eq!(statuses, expected);
}

/// Once-only work: one claim per (job, period); a lapsed unfinished lease can be taken over,
/// a finished run never again.
async fn jobs_run_once(s: &dyn Store) {
    let t0 = Timestamp::from_second(1_764_000_000).unwrap();
    let lease = t0 + 5.minutes();
    assert!(s.claim_job("day_close", "100", "a", t0, lease).await.unwrap());
    assert!(!s.claim_job("day_close", "100", "b", t0, lease).await.unwrap(), "claimed twice");
    assert!(s.claim_job("day_close", "101", "b", t0, lease).await.unwrap(), "another period is free");
    assert!(s.claim_job("recap", "100", "b", t0, lease).await.unwrap(), "another job is free");
    // The holder of 100 died: after its lease another instance takes it over.
    let later = t0 + 6.minutes();
    assert!(s.claim_job("day_close", "100", "b", later, later + 5.minutes()).await.unwrap());
    // A finished run is never handed out again, even after its lease.
    s.finish_job("day_close", "101", t0).await.unwrap();
    assert!(!s.claim_job("day_close", "101", "c", t0 + 1.hour(), t0 + 2.hours()).await.unwrap());
}

fn punch(key: &str, employee_id: Option<Id>, at: Timestamp) -> NewPunch {
    NewPunch {
        employee_id,
        source: PunchSource::Mobile,
        dedup_key: key.into(),
        punched_at: at,
        received_at: at,
        captured_at: Some(at),
        device_sn: None,
        device_pin: None,
        lat: Some(-0.5),
        lon: Some(117.1),
        accuracy_m: Some(10.0),
        distance_m: Some(12.5),
        location_name: Some("Kantor".into()),
        photo_hash: None,
        note: None,
        review: None,
        review_detail: None,
        status: None,
        verify: None,
        quarantined: false,
        hold: None,
        response: Some("{}".into()),
    }
}

async fn punches_are_idempotent_and_chained(s: &dyn Store) {
    let emp = s.employee_by_login("198609262015051002").await.unwrap();
    let t0 = Timestamp::from_second(1_764_000_000).unwrap();
    let mut a = punch("m:1:a", Some(emp.id), t0);
    a.photo_hash = Some("photo-a".into());
    let b = punch("m:1:b", Some(emp.id), t0 + 1.hour());
    let res = s.insert_punches(&[a.clone(), b.clone(), a.clone()]).await.unwrap();
    assert!(matches!(res[0], PunchInsert::Inserted(_)));
    assert!(matches!(res[1], PunchInsert::Inserted(_)));
    assert!(matches!(&res[2], PunchInsert::Duplicate(p) if p.id == res[0].punch().id), "same key in one batch");
    assert_eq!(res[1].punch().prev_hash, res[0].punch().hash);
    let again = s.insert_punches(std::slice::from_ref(&b)).await.unwrap();
    assert!(
        matches!(&again[0], PunchInsert::Duplicate(p) if p.id == res[1].punch().id && p.p.response.as_deref() == Some("{}"))
    );

    // Terminal punches with an unknown PIN wait unmatched, then match when the PIN is assigned.
    let mut t = punch("t:SN1:77:2025-11-03T07:10:00", None, t0 + 2.hour());
    t.source = PunchSource::Terminal;
    t.device_sn = Some("SN1".into());
    t.device_pin = Some("77".into());
    let mut q = punch("t:SN2:78:2025-11-03T07:11:00", Some(emp.id), t0 + 3.hour());
    q.source = PunchSource::Terminal;
    q.device_sn = Some("SN2".into());
    q.quarantined = true;
    s.insert_punches(&[t, q]).await.unwrap();
    let unmatched = s.list_punches(&PunchFilter { unmatched: true, ..Default::default() }).await.unwrap();
    assert_eq!(unmatched.len(), 1);
    let linked = s.match_device_pin("77", emp.id).await.unwrap();
    assert_eq!(linked.len(), 1);
    assert!(s.list_punches(&PunchFilter { unmatched: true, ..Default::default() }).await.unwrap().is_empty());

    let mine = PunchFilter { employee_id: Some(emp.id), ..Default::default() };
    assert_eq!(s.list_punches(&mine).await.unwrap().len(), 3, "quarantined punches are not counted");
    assert_eq!(s.release_quarantine("SN2").await.unwrap().len(), 1);
    let all = s.list_punches(&mine).await.unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].p.punched_at <= w[1].p.punched_at));
    let window = PunchFilter {
        employee_id: Some(emp.id),
        from: Some(t0 + 1.hour()),
        to: Some(t0 + 3.hour()),
        ..Default::default()
    };
    assert_eq!(s.list_punches(&window).await.unwrap().len(), 2, "from inclusive, to exclusive");

    let report = s.verify_chain().await.unwrap();
    assert_eq!(report.checked, 4);
    assert_eq!(report.first_broken, None, "matching and releasing do not break the chain");
    assert_eq!(s.punch_by_dedup_key("m:1:b").await.unwrap().unwrap().id, res[1].punch().id);
    assert!(s.punch_by_dedup_key("nope").await.unwrap().is_none());

    // A stored punch's photo under another key is refused, and so is one met earlier in the
    // same batch; nothing is stored for them, and a repeated key stays a duplicate.
    let mut copy = punch("m:1:copy", Some(emp.id), t0 + 4.hour());
    copy.photo_hash = Some("photo-a".into());
    let mut fresh = punch("m:1:fresh", Some(emp.id), t0 + 5.hour());
    fresh.photo_hash = Some("photo-fresh".into());
    let mut twin = punch("m:1:twin", Some(emp.id), t0 + 6.hour());
    twin.photo_hash = Some("photo-fresh".into());
    let r = s.insert_punches(&[copy.clone(), a.clone(), fresh, twin]).await.unwrap();
    assert!(matches!(&r[0], PunchInsert::PhotoReused(p) if p.id == res[0].punch().id), "stored photo");
    assert!(matches!(&r[1], PunchInsert::Duplicate(p) if p.id == res[0].punch().id), "same key stays a duplicate");
    assert!(matches!(&r[2], PunchInsert::Inserted(_)));
    assert!(matches!(&r[3], PunchInsert::PhotoReused(p) if p.id == r[2].punch().id), "photo earlier in the batch");
    assert!(s.punch_by_dedup_key("m:1:copy").await.unwrap().is_none());
    assert!(s.punch_by_dedup_key("m:1:twin").await.unwrap().is_none());
    assert_eq!(s.verify_chain().await.unwrap().first_broken, None);

    // A batch larger than a multi-row insert statement (SQLite writes 32, 8, then single rows):
    // ids grow in batch order along the chain, and each key gets back its own id.
    let big: Vec<NewPunch> =
        (0..45).map(|i| punch(&format!("m:1:big{i}"), Some(emp.id), t0 + 10.hour() + i.minute())).collect();
    let r = s.insert_punches(&big).await.unwrap();
    assert_eq!(r.len(), 45);
    for (i, x) in r.iter().enumerate() {
        assert!(matches!(x, PunchInsert::Inserted(_)), "punch {i} inserted");
        let stored = s.punch_by_dedup_key(&format!("m:1:big{i}")).await.unwrap().unwrap();
        assert_eq!(stored.id, x.punch().id, "punch {i} has its own id");
        assert_eq!(stored.hash, x.punch().hash);
        if i > 0 {
            assert!(x.punch().id > r[i - 1].punch().id);
            assert_eq!(x.punch().prev_hash, r[i - 1].punch().hash);
        }
    }
    assert_eq!(s.verify_chain().await.unwrap().first_broken, None);
}

async fn units_form_a_tree(s: &dyn Store) {
    let root = s.create_unit(&unit("KAB", None, "Asia/Makassar"), audit("unit")).await.unwrap();
    let dinas = s.create_unit(&unit("DIK", Some("KAB"), "Asia/Makassar"), audit("unit")).await.unwrap();
    let school = s.create_unit(&unit("SD1", Some("DIK"), "Asia/Makassar"), audit("unit")).await.unwrap();
    s.create_unit(&unit("RSUD", Some("KAB"), "Asia/Makassar"), audit("unit")).await.unwrap();
    assert_eq!(root.path, format!("/{}/", root.id));
    assert!(school.path.starts_with(&dinas.path));
    assert_eq!(school.parent_code.as_deref(), Some("DIK"));
    assert_eq!(school.locations.len(), 1);
    assert_eq!(school.locations[0].radius_m, 100.0);
    let dup = s.create_unit(&unit("KAB", None, "Asia/Jakarta"), audit("unit")).await;
    assert!(matches!(dup, Err(StoreError::Conflict(ref c)) if c == "code"), "{dup:?}");
    let orphan = s.create_unit(&unit("X", Some("NOPE"), "Asia/Jakarta"), audit("unit")).await;
    assert!(matches!(orphan, Err(StoreError::Invalid(_))));
    let all = s.list_units(&Scope::All).await.unwrap();
    assert_eq!(all.len(), 4);
    let sub = s.list_units(&Scope::Subtrees(vec![dinas.path.clone()])).await.unwrap();
    let codes: Vec<_> = sub.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(codes, ["DIK", "SD1"]);
    assert!(matches!(s.unit_by_code("NOPE").await, Err(StoreError::NotFound(_))));

    // Locations are added, changed and removed, each with its audit record.
    let loc = |name: &str, r: f64| NewLocation { name: name.into(), lat: -0.5, lon: 117.2, radius_m: r };
    let u = s.add_location(school.id, &loc("Kebun sekolah", 50.0), audit("location")).await.unwrap();
    assert_eq!(u.locations.len(), 2);
    let added = u.locations[1].clone();
    assert_eq!((added.name.as_str(), added.radius_m), ("Kebun sekolah", 50.0));
    let u = s.update_location(school.id, added.id, &loc("Kebun", 80.0), audit("location")).await.unwrap();
    assert_eq!((u.locations[1].name.as_str(), u.locations[1].radius_m, u.locations[1].id), ("Kebun", 80.0, added.id));
    let other = s.update_location(dinas.id, added.id, &loc("x", 80.0), audit("location")).await;
    assert!(matches!(other, Err(StoreError::NotFound("location"))), "{other:?}");
    let u = s.delete_location(school.id, added.id, audit("location")).await.unwrap();
    assert_eq!(u.locations.len(), 1);
    assert!(matches!(s.delete_location(school.id, added.id, audit("location")).await, Err(StoreError::NotFound(_))));
    assert_eq!(s.unit_by_code("SD1").await.unwrap().locations, u.locations);
}

async fn employees_and_scope(s: &dyn Store) {
    let a = s.create_employee(&employee("198609262015051001", "SD1", "101"), audit("employee")).await.unwrap();
    let b = s.create_employee(&employee("198609262015051002", "RSUD", "102"), audit("employee")).await.unwrap();
    assert_eq!(a.unit_code, "SD1");
    assert_eq!(a.timezone, "Asia/Makassar");
    assert!(a.active);
    // NIP, login and device PIN are unique.
    let dup_pin = s.create_employee(&employee("198609262015051003", "SD1", "101"), audit("e")).await;
    assert!(matches!(dup_pin, Err(StoreError::Conflict(ref c)) if c == "device_pin"), "{dup_pin:?}");
    let dup_login = s.create_employee(&employee("198609262015051001", "SD1", "109"), audit("e")).await;
    assert!(matches!(dup_login, Err(StoreError::Conflict(_))), "{dup_login:?}");
    // A failed insert leaves nothing behind.
    assert_eq!(s.count_employees().await.unwrap(), 2);
    assert!(s.account_by_username("198609262015051003").await.is_err());

    let dik = s.unit_by_code("DIK").await.unwrap();
    let f = EmployeeFilter { limit: 50, ..Default::default() };
    let scoped = s.list_employees(&Scope::Subtrees(vec![dik.path.clone()]), &f).await.unwrap();
    assert_eq!(scoped.total, 1);
    assert_eq!(scoped.items[0].id, a.id);
    let own = s.list_employees(&Scope::Employee(b.id), &f).await.unwrap();
    assert_eq!(own.items.len(), 1);
    assert_eq!(own.items[0].id, b.id);
    let none = s.list_employees(&Scope::Nothing, &f).await.unwrap();
    assert_eq!(none.total, 0);
    let by_unit = s
        .list_employees(&Scope::All, &EmployeeFilter { unit_code: Some("KAB".into()), limit: 1, ..Default::default() })
        .await
        .unwrap();
    assert_eq!((by_unit.total, by_unit.items.len()), (2, 1));
    let search = s
        .list_employees(&Scope::All, &EmployeeFilter { q: Some("051002".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(search.items[0].id, b.id);

    let moved = s
        .update_employee(
            b.id,
            &EmployeeUpdate {
                unit_code: Some("SD1".into()),
                position: Some(Some("Guru".into())),
                ..Default::default()
            },
            audit("employee"),
        )
        .await
        .unwrap();
    assert_eq!((moved.unit_code.as_str(), moved.position.as_deref()), ("SD1", Some("Guru")));
    // Issue 19's facts: set, kept by an unrelated update, cleared.
    assert_eq!((moved.service_start, moved.gender.as_deref(), moved.grade), (None, None, None));
    let tmt = jiff::civil::date(2012, 3, 1);
    let set = EmployeeUpdate {
        service_start: Some(Some(tmt)),
        gender: Some(Some("P".into())),
        grade: Some(Some(9)),
        ..Default::default()
    };
    let e = s.update_employee(b.id, &set, audit("employee")).await.unwrap();
    assert_eq!((e.service_start, e.gender.as_deref(), e.grade), (Some(tmt), Some("P"), Some(9)));
    let e = s
        .update_employee(b.id, &EmployeeUpdate { name: Some(e.name.clone()), ..Default::default() }, audit("employee"))
        .await
        .unwrap();
    assert_eq!((e.service_start, e.gender.as_deref(), e.grade), (Some(tmt), Some("P"), Some(9)));
    let e = s.employee_by_id(b.id).await.unwrap();
    assert_eq!((e.service_start, e.grade), (Some(tmt), Some(9)));
    let clear = EmployeeUpdate { gender: Some(None), grade: Some(None), ..Default::default() };
    let e = s.update_employee(b.id, &clear, audit("employee")).await.unwrap();
    assert_eq!((e.service_start, e.gender.as_deref(), e.grade), (Some(tmt), None, None));
    let bad = EmployeeUpdate { grade: Some(Some(18)), ..Default::default() };
    assert!(s.update_employee(b.id, &bad, audit("employee")).await.is_err(), "grade 1–17 (CHECK)");
    assert_eq!(s.employee_by_id(b.id).await.unwrap().service_start, Some(tmt), "nothing changed");
    assert_eq!(s.employee_by_device_pin("102").await.unwrap().id, b.id);
    assert_eq!(s.employee_by_login("198609262015051001").await.unwrap().id, a.id);

    // Extra check-in locations.
    let rsud = s.unit_by_code("RSUD").await.unwrap();
    let loc = rsud.locations[0].id;
    s.set_employee_location(a.id, loc, true, audit("location")).await.unwrap();
    s.set_employee_location(a.id, loc, true, audit("location")).await.unwrap();
    let extra = s.employee_locations(a.id).await.unwrap();
    assert_eq!(extra.len(), 1);
    assert_eq!(extra[0].name, "Kantor RSUD");
    assert!(s.set_employee_location(a.id, 999_999, true, audit("location")).await.is_err());
    assert_eq!(
        s.employee_with_locations(a.id).await.unwrap(),
        (s.employee_by_id(a.id).await.unwrap(), s.employee_locations(a.id).await.unwrap())
    );
    s.set_employee_location(a.id, loc, false, audit("location")).await.unwrap();
    assert!(s.employee_locations(a.id).await.unwrap().is_empty());
    let (e, none) = s.employee_with_locations(a.id).await.unwrap();
    assert_eq!((e.id, none.len()), (a.id, 0));
    assert!(matches!(s.employee_with_locations(9_999_999).await, Err(StoreError::NotFound(_))));
}

async fn accounts_roles_sessions(s: &dyn Store) {
    let admin = s.create_admin("admin", "Admin BKD", "h").await.unwrap();
    assert!(admin.is_admin);
    assert!(matches!(s.create_admin("admin", "x", "h").await, Err(StoreError::Conflict(_))));
    let emp = s.employee_by_login("198609262015051001").await.unwrap();
    let acc = s.account_by_username("198609262015051001").await.unwrap();
    assert_eq!(acc.employee_id, Some(emp.id));
    assert!(!acc.is_admin);

    let g = s.grant_role(acc.id, Role::Operator, "DIK", audit("role")).await.unwrap();
    assert_eq!(g.unit_code, "DIK");
    // Granting twice is harmless.
    s.grant_role(acc.id, Role::Operator, "DIK", audit("role")).await.unwrap();
    s.grant_role(acc.id, Role::Head, "SD1", audit("role")).await.unwrap();
    assert_eq!(s.roles_of(acc.id).await.unwrap().len(), 2);
    s.revoke_role(acc.id, Role::Operator, "DIK", audit("role")).await.unwrap();
    let roles = s.roles_of(acc.id).await.unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role, Role::Head);
    assert!(s.revoke_role(acc.id, Role::Operator, "DIK", audit("role")).await.is_err());

    let now = Timestamp::now();
    s.create_session(b"tok1", acc.id, now + 1.hour()).await.unwrap();
    s.create_session(b"tok2", acc.id, now - 1.second()).await.unwrap();
    assert_eq!(s.session(b"tok1", now).await.unwrap().account_id, acc.id);
    assert!(s.session(b"tok2", now).await.is_err(), "expired");
    // The one-read form gives the same account and grants.
    let (a, grants) = s.session_account(b"tok1", now).await.unwrap();
    assert_eq!(a, s.account_by_id(acc.id).await.unwrap());
    assert_eq!(grants, s.roles_of(acc.id).await.unwrap());
    assert!(matches!(s.session_account(b"tok2", now).await, Err(StoreError::NotFound(_))));
    s.grant_role(acc.id, Role::Operator, "DIK", audit("role")).await.unwrap();
    assert_eq!(s.session_account(b"tok1", now).await.unwrap().1, s.roles_of(acc.id).await.unwrap());
    assert_eq!(s.roles_of(acc.id).await.unwrap().len(), 2);
    // With the employee in the same read: two grants × two extra locations come back once
    // each, as the separate reads give them.
    let rsud = s.unit_by_code("RSUD").await.unwrap();
    let new = NewLocation { name: "Gudang obat".into(), lat: -0.5, lon: 117.2, radius_m: 30.0 };
    let shed = s.add_location(rsud.id, &new, audit("location")).await.unwrap();
    let shed = shed.locations.iter().find(|l| l.name == "Gudang obat").unwrap().id;
    let extra = [rsud.locations[0].id, shed];
    for l in extra {
        s.set_employee_location(emp.id, l, true, audit("location")).await.unwrap();
    }
    let h = s.session_holder(b"tok1", now).await.unwrap();
    assert_eq!(h.account, s.account_by_id(acc.id).await.unwrap());
    assert_eq!((h.grants.len(), &h.grants), (2, &s.roles_of(acc.id).await.unwrap()));
    let (e, locations) = h.employee.unwrap();
    assert_eq!((e, locations.len()), (s.employee_by_id(emp.id).await.unwrap(), 2));
    assert_eq!(locations, s.employee_locations(emp.id).await.unwrap());
    for l in extra {
        s.set_employee_location(emp.id, l, false, audit("location")).await.unwrap();
    }
    let (_, none) = s.session_holder(b"tok1", now).await.unwrap().employee.unwrap();
    assert!(none.is_empty());
    s.revoke_role(acc.id, Role::Operator, "DIK", audit("role")).await.unwrap();
    s.create_session(b"tok0", admin.id, now + 1.hour()).await.unwrap();
    assert_eq!(s.session_holder(b"tok0", now).await.unwrap().employee, None, "an admin is no employee");
    let (a, grants) = s.session_account(b"tok0", now).await.unwrap();
    assert!(a.is_admin && grants.is_empty(), "an account without grants has one row, no grant");
    assert_eq!(s.purge_expired_sessions(now).await.unwrap(), 1);
    s.delete_session(b"tok1").await.unwrap();
    assert!(s.session(b"tok1", now).await.is_err(), "logged out");

    // Deactivation ends sessions and blocks new ones from being honoured.
    s.create_session(b"tok3", acc.id, now + 1.hour()).await.unwrap();
    s.update_employee(emp.id, &EmployeeUpdate { active: Some(false), ..Default::default() }, audit("e")).await.unwrap();
    assert!(s.session(b"tok3", now).await.is_err());
    assert!(s.session_account(b"tok3", now).await.is_err(), "inactive account");
    s.create_session(b"tok4", acc.id, now + 1.hour()).await.unwrap();
    assert!(s.session(b"tok4", now).await.is_err(), "inactive account");

    s.set_password(admin.id, "h2", None, audit("password")).await.unwrap();
    assert_eq!(s.account_by_id(admin.id).await.unwrap().password_hash, "h2");
    assert_eq!(s.account_by_id(admin.id).await.unwrap().password_reset, None);

    // A reset by someone else is remembered until the owner sets their own password.
    let mark = PasswordResetMark {
        at: Timestamp::from_millisecond(1_760_000_000_000).unwrap(),
        by_account_id: admin.id,
        by_name: "Admin BKD".into(),
    };
    s.set_password(acc.id, "h3", Some(&mark), audit("reset")).await.unwrap();
    let a = s.account_by_id(acc.id).await.unwrap();
    assert_eq!((a.password_hash.as_str(), a.password_reset.as_ref()), ("h3", Some(&mark)));
    assert_eq!(s.account_by_username(&a.username).await.unwrap().password_reset, Some(mark));
    s.set_password(acc.id, "h4", None, audit("own")).await.unwrap();
    assert_eq!(s.account_by_id(acc.id).await.unwrap().password_reset, None);
}

async fn audit_trail(s: &dyn Store) {
    let page = s.list_audit(Some("employee"), 0, 100).await.unwrap();
    assert!(page.total >= 3, "creations and updates are audited");
    let update = page.items.iter().find(|e| e.before.is_some()).expect("an update with before/after");
    assert!(update.after.is_some());
    let all = s.list_audit(None, 0, 1).await.unwrap();
    assert_eq!(all.items.len(), 1);
    assert!(all.total > page.total);
}

/// An office-network (relay) selfie whose photo a stored punch holds is refused like a phone's,
/// unless it is held for review, which is how the relay path stores it (the relay already
/// answered its person, so it cannot be refused any more).
async fn relay_selfie_reuse_is_held(s: &dyn Store) {
    let emp = s.employee_by_login("198609262015051001").await.unwrap();
    let t0: Timestamp = "2025-11-20T00:00:00Z".parse().unwrap();
    let mut phone = punch("m:1:relay-story-phone", Some(emp.id), t0);
    phone.photo_hash = Some("photo-relay-story".into());
    assert!(matches!(&s.insert_punches(&[phone.clone()]).await.unwrap()[0], PunchInsert::Inserted(_)));
    let mut relay = punch("m:1:relay-story#r1", Some(emp.id), t0 + 1.hour());
    relay.source = PunchSource::Relay;
    relay.photo_hash = phone.photo_hash.clone();
    let r = s.insert_punches(std::slice::from_ref(&relay)).await.unwrap();
    assert!(matches!(&r[0], PunchInsert::PhotoReused(p) if p.p.dedup_key == phone.dedup_key), "counting: refused");
    assert!(s.punch_by_dedup_key(&relay.dedup_key).await.unwrap().is_none());
    relay.hold = Some(PunchHold::Pending);
    let r = s.insert_punches(std::slice::from_ref(&relay)).await.unwrap();
    assert!(matches!(&r[0], PunchInsert::Inserted(p) if !p.counts()), "held: stored, not counted");
    // The held punch's photo still blocks a later phone punch.
    let mut later = punch("m:1:relay-story-later", Some(emp.id), t0 + 2.hour());
    later.photo_hash = relay.photo_hash.clone();
    assert!(matches!(&s.insert_punches(&[later]).await.unwrap()[0], PunchInsert::PhotoReused(_)));
    assert_eq!(s.verify_chain().await.unwrap().first_broken, None);
}
