//! Issue 19 over HTTP: facts that take effect on a date never rewrite the days before it.
//! Each test replays one of the disagreements (on SQLite, or PostgreSQL with
//! `HADIR_TEST_PG_URL`), checking the day before and the day of each effective date, and that
//! every refusal changes nothing.
//!
//! November 2025: Mon 3, Tue 4, Wed 5, Thu 6 are working days of the default calendar
//! (masuk 07:30, pulang 16:00 Mon–Thu).

mod common;

use common::*;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn at(zone: &str, d: Date, h: i8, m: i8) -> Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(TimeZone::get(zone).unwrap()).unwrap().timestamp()
}

async fn days(s: &TestServer, token: &str, who: &str, month: &str) -> Value {
    let (st, b) = s.get(&format!("/api/v1/employees/{who}/days?month={month}"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

/// The record of `d` in a month's answer (`None`: no day there).
fn day(b: &Value, d: Date) -> Option<&Value> {
    b["days"].as_array().unwrap().iter().find(|x| x["date"] == d.to_string())
}

fn status(b: &Value, d: Date) -> String {
    day(b, d).map(|x| x["status"].as_str().unwrap().to_string()).unwrap_or_else(|| "-".into())
}

fn codes(b: &Value, d: Date) -> Vec<String> {
    day(b, d).unwrap()["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["code"].as_str().map(String::from))
        .collect()
}

async fn patch(s: &TestServer, token: &str, who: &str, body: Value) -> (StatusCode, Value) {
    s.call(Method::PATCH, &format!("/api/v1/employees/{who}"), Some(token), body).await
}

async fn recap(s: &TestServer, token: &str, month: &str, unit: &str) -> Value {
    let (st, b) = s.get(&format!("/api/v1/recap?month={month}&unit={unit}"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

fn rows<'a>(r: &'a Value, login: &str) -> Vec<&'a Value> {
    r["employees"].as_array().unwrap().iter().filter(|e| e["employee"]["login"] == login).collect()
}

fn row_dates(row: &Value) -> Vec<String> {
    row["days"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_transfer_across_zones_leaves_earlier_days_unchanged() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    s.unit(&o.admin, "JKT", Some("KAB"), "Asia/Jakarta", -6.2, 106.8).await;
    s.unit(&o.admin, "PAP", Some("KAB"), "Asia/Jayapura", -2.5, 140.7).await;
    let who = nip(7);
    s.employee(&o.admin, &who, "JKT", "7").await;
    let (st, b) = patch(&s, &o.admin, &who, json!({"tpp_base": 3_000_000})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let e = s.store.employee_by_login(&who).await.unwrap();
    let (tue, wed) = (date(2025, 11, 4), date(2025, 11, 5));
    // In Jakarta (WIB) on Mon 3 and Tue 4: 07:20–16:05, on time. From Wed 5 in Jayapura (WIT).
    let mut ps = Vec::new();
    for d in [date(2025, 11, 3), tue] {
        ps.push(punch(e.id, at("Asia/Jakarta", d, 7, 20)));
        ps.push(punch(e.id, at("Asia/Jakarta", d, 16, 5)));
    }
    for d in [wed, date(2025, 11, 6)] {
        ps.push(punch(e.id, at("Asia/Jayapura", d, 7, 25)));
        ps.push(punch(e.id, at("Asia/Jayapura", d, 16, 5)));
    }
    s.store.insert_punches(&ps).await.unwrap();
    let before = days(&s, &o.admin, &who, "2025-11").await;
    assert_eq!((status(&before, tue), codes(&before, tue)), ("HADIR".into(), vec![]));

    // Refusals change nothing: a date in the future, a date that is not a date.
    for (body, code) in [
        (json!({"unit_code": "PAP", "unit_from": "2099-01-01"}), "date_in_future"),
        (json!({"unit_code": "PAP", "unit_from": "5 November"}), "invalid_date"),
    ] {
        let (st, b) = patch(&s, &o.admin, &who, body).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{b}");
        assert!(b["error"]["message"].as_str().unwrap().contains("Tanggal"), "{b}");
    }
    assert_eq!(s.store.employee_by_login(&who).await.unwrap().unit_code, "JKT");
    assert_eq!(s.store.unit_history(&[e.id]).await.unwrap().len(), 1);

    // The transfer from Wednesday 5 November: the answer says what it does.
    let (st, b) = patch(&s, &o.admin, &who, json!({"unit_code": "PAP", "unit_from": "2025-11-05"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["unit_code"], "PAP");
    assert_eq!(b["effect"]["applies_from"], "2025-11-05");
    assert!(b["effect"]["days_reevaluated"].is_u64(), "{b}");
    assert!(b["effect"]["message"].as_str().unwrap().contains("mulai 2025-11-05"), "{b}");

    let after = days(&s, &o.admin, &who, "2025-11").await;
    // The day before: still WIB, 07:20 on time (not 09:20 WIT, TL4 + PSW4).
    assert_eq!(day(&after, tue), day(&before, tue), "the day before the transfer is unchanged");
    assert_eq!((status(&after, tue), codes(&after, tue)), ("HADIR".into(), vec![]));
    // The month's explanation names both units with their zones.
    let notes = after["notes"].to_string();
    assert!(notes.contains("2025-11-01 s.d. 2025-11-04: Unit JKT (JKT), zona Asia/Jakarta"), "{notes}");
    assert!(notes.contains("2025-11-05 s.d. 2025-11-30: Unit PAP (PAP), zona Asia/Jayapura"), "{notes}");
    assert_eq!(before["notes"], json!([]));
    // The day of the transfer: 07:25 WIT is on time in Jayapura.
    assert_eq!((status(&after, wed), codes(&after, wed)), ("HADIR".into(), vec![]), "{}", day(&after, wed).unwrap());
    let thu = date(2025, 11, 6);
    assert_eq!((status(&after, thu), codes(&after, thu)), ("HADIR".into(), vec![]), "the day after, too");

    // Each unit's recap lists the days spent in it; TPP pro-rated by working days.
    let jkt = recap(&s, &o.admin, "2025-11", "JKT").await;
    let mine = rows(&jkt, &who);
    assert_eq!(mine.len(), 1, "{jkt}");
    let dates = row_dates(mine[0]);
    assert_eq!(dates.last().map(String::as_str), Some("2025-11-04"), "{dates:?}");
    assert_eq!(mine[0]["employee"]["unit_code"], "JKT");
    let pap = recap(&s, &o.admin, "2025-11", "PAP").await;
    let theirs = rows(&pap, &who);
    assert_eq!(theirs.len(), 1, "{pap}");
    assert_eq!(row_dates(theirs[0]).first().map(String::as_str), Some("2025-11-05"));
    // November 2025: 20 working days (no national holiday); 2 in Jakarta (3–4), 18 in Jayapura.
    let (a, b) = (&mine[0]["recap"], &theirs[0]["recap"]);
    assert_eq!((a["working_days"].as_u64(), b["working_days"].as_u64()), (Some(2), Some(18)));
    assert_eq!(a["tpp_base"], 300_000, "{a}");
    assert_eq!(b["tpp_base"], 2_700_000, "{b}");
    assert!(a["notes"][0].as_str().unwrap().contains("2 dari 20 hari kerja"), "{a}");
    // The whole regency lists both parts; the unit totals keep them apart.
    let all = recap(&s, &o.admin, "2025-11", "KAB").await;
    assert_eq!(rows(&all, &who).len(), 2);
    // October stays wholly in Jakarta.
    assert!(rows(&recap(&s, &o.admin, "2025-10", "PAP").await, &who).is_empty());
    assert_eq!(rows(&recap(&s, &o.admin, "2025-10", "JKT").await, &who).len(), 1);
}

#[tokio::test]
async fn a_transfer_into_a_locked_month_is_refused() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b) = s.post("/api/v1/recap/lock", &o.admin, json!({"month": "2025-10", "unit_code": "RSUD"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    // In the locked month, or before it (its days would change too).
    for from in ["2025-10-20", "2025-09-20"] {
        let (st, b) = patch(&s, &o.admin, &nip(4), json!({"unit_code": "SD1", "unit_from": from})).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_locked")), "{b}");
        assert_eq!(b["error"]["details"]["month"], "2025-10");
    }
    let e = s.store.employee_by_login(&nip(4)).await.unwrap();
    assert_eq!(e.unit_code, "RSUD");
    assert_eq!(s.store.unit_history(&[e.id]).await.unwrap().len(), 1, "nothing changed");
    // The first day after the locked month is fine.
    let (st, b) = patch(&s, &o.admin, &nip(4), json!({"unit_code": "SD1", "unit_from": "2025-11-01"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn a_past_saturday_stays_libur_after_a_calendar_change() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let school = serde_json::to_value(hadir_domain::Calendar::school_six_day()).unwrap();
    let (st, b) = s.post("/api/v1/calendars", &o.admin, school).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (sat, next_sat) = (date(2025, 12, 6), date(2025, 12, 13));

    // A 6-day calendar assigned today: past Saturdays stay LIBUR.
    let wita_today =
        || jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).date();
    let before = wita_today();
    let (st, b) = s.post(&format!("/api/v1/calendars/{id}/assign"), &o.admin, json!({"unit_code": "DIK"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert!(b["message"].as_str().unwrap().contains("berlaku mulai"), "{b}");
    // "Today" is DIK's own (WITA), not Jakarta's: from 16:00 UTC they differ.
    let from = b["applies_from"].as_str().unwrap().to_string();
    assert!([before.to_string(), wita_today().to_string()].contains(&from), "{b}");
    let dec = days(&s, &o.admin, &nip(3), "2025-12").await;
    assert_eq!(status(&dec, sat), "LIBUR");

    // Refused: a locked month, a bad date; nothing changes.
    let (st, b) = s.post("/api/v1/recap/lock", &o.admin, json!({"month": "2025-11", "unit_code": "DIK"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let before = s.store.list_calendar_assignments().await.unwrap();
    for (body, code) in [
        (json!({"unit_code": "DIK", "effective_from": "2025-11-29"}), "month_locked"),
        (json!({"unit_code": "DIK", "effective_from": "2025-10-04"}), "month_locked"),
        (json!({"unit_code": "DIK", "effective_from": "kemarin"}), "invalid_date"),
    ] {
        let (st, b) = s.post(&format!("/api/v1/calendars/{id}/assign"), &o.admin, body).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{b}");
    }
    assert_eq!(s.store.list_calendar_assignments().await.unwrap(), before);

    // Dated from Saturday 13 December: the Saturday before stays LIBUR, that one is a school day.
    let (st, b) = s
        .post(
            &format!("/api/v1/calendars/{id}/assign"),
            &o.admin,
            json!({"unit_code": "DIK", "effective_from": "2025-12-13"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["applies_from"], "2025-12-13");
    let dec = days(&s, &o.admin, &nip(3), "2025-12").await;
    assert_eq!(status(&dec, sat), "LIBUR");
    assert_eq!(status(&dec, date(2025, 12, 12)), "TK", "the Friday before: a working day in both");
    assert_eq!(status(&dec, next_sat), "TK", "a school Saturday without punches");
    // RSUD (outside DIK) is untouched.
    assert_eq!(status(&days(&s, &o.admin, &nip(4), "2025-12").await, next_sat), "LIBUR");
    // The assignment history is listed with its dates.
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let sc = cals.as_array().unwrap().iter().find(|c| c["id"] == id).unwrap();
    let dates: Vec<&str> =
        sc["assigned_to"].as_array().unwrap().iter().map(|a| a["effective_from"].as_str().unwrap()).collect();
    assert!(dates.contains(&"2025-12-13"), "{sc}");
}

#[tokio::test]
async fn an_ended_employee_stays_in_the_earlier_recap() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let who = nip(3);
    let (st, b) = patch(&s, &o.admin, &who, json!({"tpp_base": 4_000_000})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let nov_before = recap(&s, &o.admin, "2025-11", "SD1").await;
    let row_before = rows(&nov_before, &who)[0].clone();
    let dec_before = days(&s, &o.admin, &who, "2025-12").await;

    // Refusals change nothing.
    for (body, code) in [
        (json!({"end_date": "2099-01-01"}), "date_in_future"),
        (json!({"end_date": "2019-12-31"}), "end_before_start"),
        (json!({"end_date": "2025-12-10", "end_reason": "kabur"}), "invalid_end_reason"),
    ] {
        let (st, b) = s.post(&format!("/api/v1/employees/{who}/deactivate"), &o.admin, body).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{b}");
    }
    let e = s.store.employee_by_login(&who).await.unwrap();
    assert!(e.active && e.end_date.is_none());

    // Pension on Wednesday 10 December 2025.
    let (st, b) = s
        .post(
            &format!("/api/v1/employees/{who}/deactivate"),
            &o.admin,
            json!({"end_date": "2025-12-10", "end_reason": "pensiun"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(
        (b["active"].as_bool(), b["end_date"].as_str(), b["end_reason"].as_str()),
        (Some(false), Some("2025-12-10"), Some("pensiun"))
    );
    assert_eq!(b["effect"]["applies_from"], "2025-12-11");

    // November: listed, with the same figures and rupiah as before.
    let nov = recap(&s, &o.admin, "2025-11", "SD1").await;
    let row = rows(&nov, &who)[0];
    assert_eq!(row["recap"], row_before["recap"]);
    assert!(row["recap"]["rupiah_computed"].as_i64().unwrap() > 0);
    // December: the day of the end is a day, the day after is not.
    let dec = days(&s, &o.admin, &who, "2025-12").await;
    assert_eq!(day(&dec, date(2025, 12, 10)), day(&dec_before, date(2025, 12, 10)));
    assert_eq!(status(&dec, date(2025, 12, 11)), "-", "no day after the end");
    assert!(
        dec["notes"].to_string().contains("Berhenti bekerja (pensiun), hari terakhir 2025-12-10"),
        "{}",
        dec["notes"]
    );
    let dec_recap = recap(&s, &o.admin, "2025-12", "SD1").await;
    let r = rows(&dec_recap, &who)[0];
    assert_eq!(row_dates(r).last().map(String::as_str), Some("2025-12-10"));
    // 8 of December's 21 working days (1–10): TPP Rp 4.000.000 × 8/21 = Rp 1.523.810.
    assert_eq!(r["recap"]["tpp_base"], 1_523_810, "{}", r["recap"]);
    // January: not listed.
    assert!(rows(&recap(&s, &o.admin, "2026-01", "SD1").await, &who).is_empty());
}

#[tokio::test]
async fn no_tk_before_the_start() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    // Without a start date: employed from today (Jakarta), never earlier.
    let (st, b) = s
        .post(
            "/api/v1/employees",
            &o.admin,
            json!({"nip": nip(30), "name": "Baru", "category": "PNS", "unit_code": "SD1", "password": PW}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let today = Timestamp::now().to_zoned_datetime(TimeZone::get("Asia/Jakarta").unwrap()).date();
    assert_eq!(b["start_date"], today.to_string());
    let last_month = today.first_of_month().yesterday().unwrap();
    let m = days(&s, &o.admin, &nip(30), &format!("{:04}-{:02}", last_month.year(), last_month.month())).await;
    assert!(m["days"].as_array().unwrap().iter().all(|d| d["status"] != "TK"), "{m}");
    assert!(
        rows(
            &recap(&s, &o.admin, &format!("{:04}-{:02}", last_month.year(), last_month.month()), "SD1").await,
            &nip(30)
        )
        .is_empty()
    );

    // With one: the day before is BELUM_AKTIF, the start day counts.
    let (st, b) = s
        .post(
            "/api/v1/employees",
            &o.admin,
            json!({"nip": nip(31), "name": "Mulai", "category": "PNS", "unit_code": "SD1", "password": PW, "start_date": "2025-12-10"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let dec = days(&s, &o.admin, &nip(31), "2025-12").await;
    assert_eq!(status(&dec, date(2025, 12, 9)), "BELUM_AKTIF");
    assert_eq!(status(&dec, date(2025, 12, 10)), "TK");
    assert!(dec["notes"].to_string().contains("Mulai bekerja 2025-12-10"), "{}", dec["notes"]);
}
