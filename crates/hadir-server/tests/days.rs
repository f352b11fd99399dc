//! Issue 3 over HTTP: one entry per day of the month with status, codes and explanation;
//! scope; policies (calendars, holidays, rule sets, rosters) and their recomputation; the
//! background recompute after a punch; `recompute_range` idempotence; the "today" screen.

mod common;

use common::*;
use hadir_server::context::Policies;
use hadir_store::Store;
use jiff::civil::{Date, Weekday, date};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

fn at(tz: &TimeZone, d: Date, h: i8, m: i8) -> Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(tz.clone()).unwrap().timestamp()
}

async fn emp_id(s: &TestServer, n: u16) -> i64 {
    s.store.employee_by_login(&nip(n)).await.unwrap().id
}

/// Polls `f` for up to 5 s.
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

async fn stored_status(s: &TestServer, emp: i64, d: Date) -> Option<String> {
    s.store.day_records(emp, d, d).await.unwrap().first().map(|r| r.record.status.code().to_string())
}

fn day(body: &Value, d: Date) -> &Value {
    &body["days"][(d.day() - 1) as usize]
}

#[tokio::test]
async fn a_month_over_http() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let tz = wita();
    let emp = emp_id(&s, 3).await;
    let ps = [
        punch(emp, at(&tz, date(2025, 12, 1), 7, 20)),
        punch(emp, at(&tz, date(2025, 12, 1), 16, 5)),
        punch(emp, at(&tz, date(2025, 12, 2), 8, 1)), // 31 min late → TL2
        punch(emp, at(&tz, date(2025, 12, 2), 16, 10)),
        punch(emp, at(&tz, date(2025, 12, 3), 7, 25)), // no check-out → PSW4
        punch(emp, at(&tz, date(2025, 12, 8), 7, 10)), // 23:10 UTC the day before
        punch(emp, at(&tz, date(2025, 12, 8), 15, 40)), // 20 min early → PSW1
        punch(emp, at(&tz, date(2025, 12, 25), 7, 30)), // on a holiday: listed, ignored
    ];
    s.store.insert_punches(&ps).await.unwrap();

    let (st, b) = s.get(&format!("/api/v1/employees/{}/days?month=2025-12", nip(3)), &o.admin).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["month"], "2025-12");
    assert_eq!(b["employee"]["nip"], nip(3));
    assert_eq!(b["employee"]["unit_code"], "SD1");
    assert_eq!(b["employee"]["timezone"], "Asia/Makassar");
    let days = b["days"].as_array().unwrap();
    assert_eq!(days.len(), 31, "one entry per day");
    for (i, d) in days.iter().enumerate() {
        assert_eq!(d["date"], format!("2025-12-{:02}", i + 1));
        assert!(!d["explanation"].as_str().unwrap().is_empty(), "{d}");
        assert_eq!(d["zone"], "WITA");
    }
    let d1 = day(&b, date(2025, 12, 1));
    assert_eq!(d1["status"], "HADIR");
    assert_eq!(d1["checkpoints"][0]["punch"]["time"], "07:20");
    assert_eq!(d1["checkpoints"][0]["code"], Value::Null);
    assert_eq!(d1["deduction"], 0.0);
    let d2 = day(&b, date(2025, 12, 2));
    assert_eq!(
        (d2["checkpoints"][0]["minutes_late"].as_u64(), d2["checkpoints"][0]["code"].as_str()),
        (Some(31), Some("TL2"))
    );
    assert_eq!(d2["deduction"], 1.0);
    let d3 = day(&b, date(2025, 12, 3));
    assert_eq!((d3["status"].as_str(), d3["checkpoints"][1]["code"].as_str()), (Some("HADIR"), Some("PSW4")));
    assert_eq!(d3["checkpoints"][1]["outcome"], "missing");
    assert_eq!(d3["deduction"], 1.5);
    let d4 = day(&b, date(2025, 12, 4));
    assert_eq!((d4["status"].as_str(), d4["deduction"].as_f64()), (Some("TK"), Some(3.0)));
    assert_eq!(day(&b, date(2025, 12, 6))["status"], "LIBUR", "Saturday");
    let d8 = day(&b, date(2025, 12, 8));
    assert_eq!(d8["checkpoints"][0]["punch"]["time"], "07:10", "a WITA morning is the same local day");
    assert!(d8["checkpoints"][0]["punch"]["at"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(
        (d8["checkpoints"][1]["minutes_early"].as_u64(), d8["checkpoints"][1]["code"].as_str()),
        (Some(20), Some("PSW1"))
    );
    let xmas = day(&b, date(2025, 12, 25));
    assert_eq!(xmas["status"], "LIBUR");
    assert_eq!(xmas["holiday"]["kind"], "libur_nasional");
    assert_eq!(xmas["ignored_punches"][0]["reason"], "non_working_day");
    assert_eq!(day(&b, date(2025, 12, 26))["holiday"]["kind"], "cuti_bersama");

    let sum = &b["summary"];
    assert_eq!(sum["days"], 31);
    assert_eq!(sum["present"], 4);
    assert_eq!(sum["late"], 1);
    assert_eq!(sum["early_leave"], 1);
    assert_eq!(sum["missing_check_out"], 1);
    assert_eq!(sum["codes"]["TL2"], 1);
    let tk = days.iter().filter(|d| d["status"] == "TK").count() as u64;
    assert_eq!(sum["tk"].as_u64(), Some(tk));
    assert_eq!(sum["working_days"].as_u64(), Some(tk + 4));
    // TK 3% a day + TL2 1% + PSW4 1.5% + PSW1 0.5%.
    assert_eq!(sum["deduction_percent"].as_f64(), Some(3.0 * tk as f64 + 3.0));

    // What was computed is stored (in the background).
    eventually("records stored", || async {
        s.store.day_records(emp, date(2025, 12, 1), date(2025, 12, 31)).await.unwrap().len() == 31
    })
    .await;

    // A WIT unit: 07:10 WIT is 22:10 UTC the day before, and still on time.
    s.unit(&o.admin, "PAP", Some("KAB"), "Asia/Jayapura", -2.53, 140.71).await;
    s.employee(&o.admin, &nip(9), "PAP", "9").await;
    let wit = TimeZone::get("Asia/Jayapura").unwrap();
    let papua = emp_id(&s, 9).await;
    s.store.insert_punches(&[punch(papua, at(&wit, date(2025, 12, 1), 7, 10))]).await.unwrap();
    let (st, b) = s.get(&format!("/api/v1/employees/{}/days?month=2025-12", nip(9)), &o.admin).await;
    assert_eq!(st, 200);
    let d1 = day(&b, date(2025, 12, 1));
    assert_eq!((d1["zone"].as_str(), d1["checkpoints"][0]["outcome"].as_str()), (Some("WIT"), Some("on_time")));
    assert!(d1["checkpoints"][0]["punch"]["at"].as_str().unwrap().starts_with("2025-12-01T07:10:00+09:00"));
}

#[tokio::test]
async fn who_sees_whose_days() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let month = "?month=2025-11";
    let (st, b) = s.get(&format!("/api/v1/me/days{month}"), &o.emp_sd1).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["employee"]["nip"], nip(3));
    assert_eq!(b["days"].as_array().unwrap().len(), 30);
    let (st, b) = s.get(&format!("/api/v1/me/days{month}"), &o.admin).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    for (who, tok, target, want) in [
        ("self", &o.emp_sd1, 3, 200),
        ("colleague", &o.emp_sd1, 2, 404),
        ("other unit", &o.emp_sd1, 4, 404),
        ("operator of DIK", &o.operator, 3, 200),
        ("operator outside", &o.operator, 4, 404),
        ("head of SD1", &o.head, 3, 200),
        ("head outside", &o.head, 4, 404),
        ("admin", &o.admin, 4, 200),
    ] {
        let (st, b) = s.get(&format!("/api/v1/employees/{}/days{month}", nip(target)), tok).await;
        assert_eq!(st.as_u16(), want, "{who}: {b}");
    }
    for bad in ["2025-13", "2025-1", "november", "1999-01"] {
        let (st, b) = s.get(&format!("/api/v1/me/days?month={bad}"), &o.emp_sd1).await;
        assert_eq!(
            (st, b["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_month")),
            "{bad}"
        );
    }
    // The current month without a parameter.
    let (st, b) = s.get("/api/v1/me/days", &o.emp_sd1).await;
    assert_eq!(st, 200);
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    assert_eq!(b["month"], format!("{:04}-{:02}", today.year(), today.month()));
}

/// A weekday of the previous month (inside the automatic recompute window).
fn recent_weekday(nth: i64) -> Date {
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    let mut d = today.first_of_month().checked_sub(1.month()).unwrap().checked_add(nth.days()).unwrap();
    while matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
        d = d.tomorrow().unwrap();
    }
    d
}

#[tokio::test]
async fn policy_changes_recompute_stored_days() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let tz = wita();
    let emp = emp_id(&s, 3).await;
    let d = recent_weekday(3);
    let month = format!("{:04}-{:02}", d.year(), d.month());
    s.store.insert_punches(&[punch(emp, at(&tz, d, 7, 45)), punch(emp, at(&tz, d, 16, 30))]).await.unwrap();
    let url = format!("/api/v1/employees/{}/days?month={month}", nip(3));
    let (_, b) = s.get(&url, &o.admin).await;
    assert_eq!(day(&b, d)["checkpoints"][0]["code"], "TL1");
    eventually("stored TL1", || async {
        s.store.day_records(emp, d, d).await.unwrap().first().is_some_and(|r| r.record.deduction.hundredths() == 50)
    })
    .await;

    // A rule set from that date with 20 minutes' grace: 15 minutes late no longer counts.
    let mut rules = serde_json::to_value(hadir_domain::RuleSet::default()).unwrap();
    rules["name"] = json!("Perbup toleransi 20 menit");
    rules["effective_from"] = json!(d.to_string());
    rules["grace_minutes"] = json!(20);
    let (st, b) = s.post("/api/v1/rule-sets", &o.operator, rules.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    let (st, b) = s.post("/api/v1/rule-sets", &o.admin, rules.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["effective_from"], d.to_string());
    let (_, b) = s.get(&url, &o.admin).await;
    assert_eq!(day(&b, d)["checkpoints"][0]["code"], Value::Null, "the API answers with the new rules at once");
    assert_eq!(day(&b, d)["rule_set"], "Perbup toleransi 20 menit");
    eventually("stored record recomputed with the new rule set", || async {
        s.store
            .day_records(emp, d, d)
            .await
            .unwrap()
            .first()
            .is_some_and(|r| r.record.rule_set == "Perbup toleransi 20 menit")
    })
    .await;
    let (st, list) = s.get("/api/v1/rule-sets", &o.operator).await;
    assert_eq!((st, list.as_array().unwrap().len()), (StatusCode::OK, 2), "operators read");
    let mut bad = rules.clone();
    bad["late"] = json!([]);
    let (st, b) = s.post("/api/v1/rule-sets", &o.admin, bad).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rules_no_brackets")), "{b}");

    // A new holiday on that date: the stored record becomes LIBUR.
    let (st, b) = s
        .post(
            "/api/v1/holidays",
            &o.admin,
            json!({"date": d.to_string(), "kind": "libur_nasional", "name": "Libur Uji"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let hid = b["id"].as_i64().unwrap();
    eventually("stored LIBUR", || async { stored_status(&s, emp, d).await.as_deref() == Some("LIBUR") }).await;
    let (st, b) = s
        .post(
            "/api/v1/holidays",
            &o.admin,
            json!({"date": d.to_string(), "kind": "libur_nasional", "name": "Libur Uji"}),
        )
        .await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("holiday_exists")));
    let (st, _) =
        s.call(reqwest::Method::DELETE, &format!("/api/v1/holidays/{hid}"), Some(&o.admin), Value::Null).await;
    assert_eq!(st, 200);
    eventually("stored HADIR again", || async { stored_status(&s, emp, d).await.as_deref() == Some("HADIR") }).await;

    // Regional holidays cover a unit subtree only.
    let (st, b) = s
        .post("/api/v1/holidays", &o.admin, json!({"date": d.to_string(), "kind": "regional", "name": "Hari Jadi"}))
        .await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unit_required")));
    let (st, _) = s
        .post(
            "/api/v1/holidays",
            &o.admin,
            json!({"date": d.to_string(), "kind": "regional", "name": "Hari Jadi", "unit_code": "DIK"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, b) = s.get(&url, &o.admin).await;
    assert_eq!(day(&b, d)["holiday"]["name"], "Hari Jadi");
    let (_, b) = s.get(&format!("/api/v1/employees/{}/days?month={month}", nip(4)), &o.admin).await;
    assert_ne!(day(&b, d)["status"], "LIBUR", "RSUD is outside DIK");
    let (st, list) = s.get(&format!("/api/v1/holidays?year={}", d.year()), &o.emp_sd1).await;
    assert_eq!(st, 200);
    assert!(list.as_array().unwrap().iter().any(|h| h["name"] == "Hari Jadi" && h["unit_code"] == "DIK"));
    let (_, list) = s.get("/api/v1/holidays?year=2025", &o.emp_sd1).await;
    assert!(list.as_array().unwrap().iter().any(|h| h["date"] == "2025-12-25"), "the shipped SKB table is seeded");
}

#[tokio::test]
async fn calendars_assignments_and_rosters() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, cals) = s.get("/api/v1/calendars", &o.operator).await;
    assert_eq!(st, 200, "{cals}");
    assert_eq!(cals[0]["is_default"], true);
    assert_eq!(cals[0]["weekly_minutes"], 2250);
    assert_eq!(s.get("/api/v1/calendars", &o.emp_sd1).await.0, StatusCode::FORBIDDEN);

    let school = serde_json::to_value(hadir_domain::Calendar::school_six_day()).unwrap();
    let (st, _) = s.post("/api/v1/calendars", &o.operator, school.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let mut bad = school.clone();
    bad["weekly"]["monday"]["checkpoints"][0]["due"] = json!("11:00");
    let (st, b) = s.post("/api/v1/calendars", &o.admin, bad).await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("schedule_due_outside_window")),
        "{b}"
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("jendela"));
    let (st, b) =
        s.post("/api/v1/calendars", &o.admin, json!({"name": "x", "weekly": {"monday": {"checkpoints": "no"}}})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (st, b) = s.post("/api/v1/calendars", &o.admin, school.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let school_id = b["id"].as_i64().unwrap();
    let (st, _) = s.post("/api/v1/calendars", &o.admin, school.clone()).await;
    assert_eq!(st, StatusCode::CONFLICT);

    // Assigned to DIK: SD1 (below it) works Saturdays; RSUD does not.
    let (st, b) = s.post(&format!("/api/v1/calendars/{school_id}/assign"), &o.admin, json!({})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("assign_target_required")));
    let (st, b) = s
        .post(
            &format!("/api/v1/calendars/{school_id}/assign"),
            &o.admin,
            json!({"unit_code": "DIK", "effective_from": "2025-01-01"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let sat = date(2025, 12, 6);
    let (_, b) = s.get(&format!("/api/v1/employees/{}/days?month=2025-12", nip(3)), &o.admin).await;
    assert_eq!(day(&b, sat)["status"], "TK", "{}", day(&b, sat));
    assert!(day(&b, sat)["schedule_label"].as_str().unwrap().contains("Sekolah 6 hari"));
    let (_, b) = s.get(&format!("/api/v1/employees/{}/days?month=2025-12", nip(4)), &o.admin).await;
    assert_eq!(day(&b, sat)["status"], "LIBUR");
    // An employee override beats the unit's calendar.
    let default_id = cals[0]["id"].as_i64().unwrap();
    let (st, _) = s
        .post(
            &format!("/api/v1/calendars/{default_id}/assign"),
            &o.admin,
            json!({"nip": nip(3), "effective_from": "2025-01-01"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, b) = s.get(&format!("/api/v1/employees/{}/days?month=2025-12", nip(3)), &o.admin).await;
    assert_eq!(day(&b, sat)["status"], "LIBUR");
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let sc = cals.as_array().unwrap().iter().find(|c| c["id"] == school_id).unwrap();
    assert_eq!(sc["assigned_to"][0]["unit_code"], "DIK");

    // Rosters: shift codes must exist in the employee's calendar; operators write for their units.
    let health = serde_json::to_value(hadir_domain::Calendar::health_shifts()).unwrap();
    let (_, b) = s.post("/api/v1/calendars", &o.admin, health).await;
    let health_id = b["id"].as_i64().unwrap();
    s.post(
        &format!("/api/v1/calendars/{health_id}/assign"),
        &o.admin,
        json!({"unit_code": "RSUD", "effective_from": "2025-01-01"}),
    )
    .await;
    let (st, b) = s
        .call(
            reqwest::Method::PUT,
            "/api/v1/roster",
            Some(&o.operator),
            json!({"entries": [{"nip": nip(4), "date": "2025-12-06", "shift": "M"}]}),
        )
        .await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_roster")),
        "operator of DIK, not RSUD: {b}"
    );
    assert_eq!(b["error"]["details"]["errors"][0]["code"], "unknown_employee");
    let (st, b) = s
        .call(
            reqwest::Method::PUT,
            "/api/v1/roster",
            Some(&o.admin),
            json!({"entries": [{"nip": nip(4), "date": "2025-12-06", "shift": "X"}]}),
        )
        .await;
    assert_eq!(b["error"]["details"]["errors"][0]["code"], "unknown_shift", "{st} {b}");
    let rsud = emp_id(&s, 4).await;
    let wita = wita();
    s.store
        .insert_punches(&[punch(rsud, at(&wita, sat, 20, 55)), punch(rsud, at(&wita, date(2025, 12, 7), 7, 5))])
        .await
        .unwrap();
    let (st, b) = s
        .call(
            reqwest::Method::PUT,
            "/api/v1/roster",
            Some(&o.admin),
            json!({"entries": [{"nip": nip(4), "date": "2025-12-06", "shift": "M"}, {"nip": nip(4), "date": "2025-12-08", "shift": null}]}),
        )
        .await;
    assert_eq!((st, b["updated"].as_u64()), (StatusCode::OK, Some(2)), "{b}");
    let (_, b) = s.get(&format!("/api/v1/employees/{}/days?month=2025-12", nip(4)), &o.admin).await;
    let night = day(&b, sat);
    assert_eq!(
        (night["status"].as_str(), night["schedule_label"].as_str()),
        (Some("HADIR"), Some("shift Malam")),
        "{night}"
    );
    assert_eq!(night["checkpoints"][1]["punch"]["next_day"], true);
    assert_eq!(day(&b, date(2025, 12, 8))["status"], "LIBUR", "roster day off on a Monday");
    let trail = s.store.list_audit(Some("roster"), 0, 10).await.unwrap();
    assert_eq!(trail.total, 1, "audited");
}

#[tokio::test]
async fn a_punch_arriving_later_updates_the_stored_record() {
    // The day is in last month: allow captures that old, so that the review path is what decides.
    let mut config = hadir_server::ServerConfig::default();
    config.checkin.max_capture_age_hours = 24 * 70;
    let s = TestServer::start_with(config).await;
    let o = org(&s).await;
    let tz = wita();
    let emp = emp_id(&s, 3).await;
    let d = recent_weekday(5);
    let month = format!("{:04}-{:02}", d.year(), d.month());
    s.get(&format!("/api/v1/me/days?month={month}"), &o.emp_sd1).await;
    eventually("stored TK", || async { stored_status(&s, emp, d).await.as_deref() == Some("TK") }).await;
    // The phone was offline that morning: the check-in carries its capture time.
    let meta = json!({"idempotency_key": "late-upload", "lat": SD1_LAT, "lon": SD1_LON, "accuracy_m": 5.0,
                      "captured_at": at(&tz, d, 7, 12).to_string()});
    let (st, b, _) = s.checkin(&o.emp_sd1, meta, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    // Sent weeks after the photo with no outage to explain it: stored, not counted, until the
    // head accepts it (issue 16).
    assert_eq!(b["punch"]["state"], "pending", "{b}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(stored_status(&s, emp, d).await.as_deref(), Some("TK"), "a held punch does not count");
    assert_eq!(s.accept_held(&o.head, "hadir, sinyal hilang").await, 1);
    eventually("the background recompute stores HADIR", || async {
        stored_status(&s, emp, d).await.as_deref() == Some("HADIR")
    })
    .await;
    let r = s.store.day_records(emp, d, d).await.unwrap().remove(0).record;
    assert_eq!(r.checkpoints[0].punch.as_ref().unwrap().time, "07:12");
}

#[tokio::test]
async fn a_morning_punch_closes_the_stored_night_shift() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let tz = wita();
    let health = serde_json::to_value(hadir_domain::Calendar::health_shifts()).unwrap();
    let (_, b) = s.post("/api/v1/calendars", &o.admin, health).await;
    let health_id = b["id"].as_i64().unwrap();
    s.post(
        &format!("/api/v1/calendars/{health_id}/assign"),
        &o.admin,
        json!({"unit_code": "RSUD", "effective_from": "2025-01-01"}),
    )
    .await;
    let night = Timestamp::now().to_zoned_datetime(tz.clone()).date().checked_sub(3.days()).unwrap();
    let (st, b) = s
        .call(
            reqwest::Method::PUT,
            "/api/v1/roster",
            Some(&o.admin),
            json!({"entries": [{"nip": nip(4), "date": night.to_string(), "shift": "M"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let rsud = emp_id(&s, 4).await;
    // The roster change recomputes the night in the background; let that finish first, so only
    // the check-in below can bring the morning punch into the stored record.
    eventually("the roster change stored the night", || async {
        s.store
            .day_records(rsud, night, night)
            .await
            .unwrap()
            .first()
            .is_some_and(|r| r.record.schedule_label.contains("Malam"))
    })
    .await;
    s.store.insert_punches(&[punch(rsud, at(&tz, night, 20, 55))]).await.unwrap();
    // The check-out the next morning comes from the phone (sent late: offline that morning),
    // through the ingest and the background recompute, which must mark the night's day dirty.
    let meta = json!({"idempotency_key": "night-out", "lat": -0.52, "lon": 117.16, "accuracy_m": 5.0,
                      "captured_at": at(&tz, night.tomorrow().unwrap(), 7, 5).to_string()});
    let (st, b, _) = s.checkin(&o.emp_rsud, meta, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["punch"]["state"], "pending", "sent days late: waits for review");
    assert_eq!(s.accept_held(&o.admin, "diterima").await, 1);
    eventually("the stored night shift has its next-morning check-out", || async {
        let rows = s.store.day_records(rsud, night, night).await.unwrap();
        rows.first()
            .and_then(|r| r.record.checkpoints.get(1))
            .and_then(|c| c.punch.as_ref())
            .is_some_and(|p| p.next_day)
    })
    .await;
}

#[tokio::test]
async fn recompute_is_idempotent() {
    let s = TestServer::start().await;
    let _o = org(&s).await;
    let tz = wita();
    let emp = emp_id(&s, 3).await;
    s.store.insert_punches(&[punch(emp, at(&tz, date(2025, 11, 3), 7, 50))]).await.unwrap();
    let policies = Policies::load(s.store.as_ref()).await.unwrap();
    let (from, to) = (date(2025, 11, 1), date(2025, 11, 30));
    let store: &dyn Store = s.store.as_ref();
    let first = hadir_server::days::recompute_range(store, &policies, Some("DIK"), from, to, |_, _| {}).await.unwrap();
    assert_eq!((first.employees, first.days), (3, 90));
    assert!(first.changed > 0);
    let again = hadir_server::days::recompute_range(store, &policies, Some("DIK"), from, to, |_, _| {}).await.unwrap();
    assert_eq!((again.days, again.changed), (90, 0), "same inputs, nothing rewritten");
    let r = s.store.day_records(emp, date(2025, 11, 3), date(2025, 11, 3)).await.unwrap().remove(0);
    assert_eq!(r.record.checkpoints[0].code.as_deref(), Some("TL1"));
    // A new punch: only that day changes.
    s.store.insert_punches(&[punch(emp, at(&tz, date(2025, 11, 3), 16, 0))]).await.unwrap();
    let third = hadir_server::days::recompute_range(store, &policies, Some("SD1"), from, to, |_, _| {}).await.unwrap();
    assert_eq!((third.employees, third.changed), (2, 1));
}

#[tokio::test]
async fn today_screen() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    assert_eq!(s.get("/api/v1/me/today", &o.admin).await.0, StatusCode::FORBIDDEN);
    let (st, b) = s.get("/api/v1/me/today", &o.emp_sd1).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!((b["timezone"].as_str(), b["zone"].as_str()), (Some("Asia/Makassar"), Some("WITA")));
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    assert_eq!(b["date"], today.to_string());
    assert_eq!(b["locations"][0]["name"], "Kantor SD1");
    assert_eq!(b["locations"][0]["radius_m"], 100.0);
    assert!(!b["message"].as_str().unwrap().is_empty());
    if b["day_off"] == false {
        let cps = b["checkpoints"].as_array().unwrap();
        assert_eq!(cps[0]["name"], "masuk");
        assert_eq!(cps[0]["window_start"], "06:00");
        let states = ["upcoming", "open", "missing", "on_time", "late", "early", "present", "excused"];
        assert!(cps.iter().all(|c| states.contains(&c["state"].as_str().unwrap())), "{b}");
    }
    let meta = json!({"idempotency_key": "today-1", "lat": SD1_LAT, "lon": SD1_LON, "accuracy_m": 5.0});
    let (st, p, _) = s.checkin(&o.emp_sd1, meta, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let (_, b) = s.get("/api/v1/me/today", &o.emp_sd1).await;
    let punches = b["punches"].as_array().unwrap();
    assert_eq!(punches.len(), 1, "{b}");
    assert_eq!(punches[0]["id"], p["punch"]["id"]);
    // Every punch of the day with what became of it (issue 20): this one counted or not, with words.
    let outcomes = b["punch_outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 1, "{b}");
    assert_eq!(outcomes[0]["id"], p["punch"]["id"]);
    assert_eq!((outcomes[0]["zone"].as_str(), outcomes[0]["channel"].as_str()), (Some("WITA"), Some("Aplikasi")));
    let text = outcomes[0]["text"].as_str().unwrap();
    match outcomes[0]["outcome"].as_str().unwrap() {
        "counted" => assert!(text.starts_with("Masuk — ") || text.starts_with("Pulang — "), "{text}"),
        "not_counted" => assert!(text.starts_with("Tidak dihitung: "), "{text}"),
        other => panic!("{other}: {b}"),
    }
    // A capture sent 10 minutes late waits for review, then is rejected with a note.
    let captured = Timestamp::now() - jiff::SignedDuration::from_mins(10);
    if captured.to_zoned_datetime(wita()).date() == today {
        let meta = json!({"idempotency_key": "today-2", "lat": SD1_LAT, "lon": SD1_LON, "accuracy_m": 5.0,
            "captured_at": captured.to_string()});
        let (st, held, _) = s.checkin(&o.emp_sd1, meta, Some(jpeg(64))).await;
        assert_eq!((st, held["punch"]["state"].as_str()), (StatusCode::CREATED, Some("pending")), "{held}");
        let id = held["punch"]["id"].clone();
        let outcome = |b: &Value| b["punch_outcomes"].as_array().unwrap().iter().find(|o| o["id"] == id).cloned();
        let (_, b) = s.get("/api/v1/me/today", &o.emp_sd1).await;
        let o1 = outcome(&b).unwrap_or_else(|| panic!("{b}"));
        assert_eq!(
            (o1["outcome"].as_str(), o1["text"].as_str()),
            (Some("pending"), Some("Menunggu pemeriksaan atasan"))
        );
        let (st, r) = s
            .post("/api/v1/review/punches/decide", &o.head, json!({"ids": [id], "accept": false, "note": "foto buram"}))
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let (_, b) = s.get("/api/v1/me/today", &o.emp_sd1).await;
        let o2 = outcome(&b).unwrap_or_else(|| panic!("{b}"));
        assert_eq!((o2["outcome"].as_str(), o2["text"].as_str()), (Some("rejected"), Some("Ditolak: foto buram")));
    }
}

#[tokio::test]
async fn openapi_lists_the_day_routes() {
    let s = TestServer::start().await;
    let (_, doc) = s.call(reqwest::Method::GET, "/api/openapi.json", None, Value::Null).await;
    for path in [
        "/api/v1/me/days",
        "/api/v1/employees/{nip}/days",
        "/api/v1/me/today",
        "/api/v1/calendars",
        "/api/v1/calendars/{id}",
        "/api/v1/calendars/{id}/assign",
        "/api/v1/holidays",
        "/api/v1/holidays/{id}",
        "/api/v1/rule-sets",
        "/api/v1/roster",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}
