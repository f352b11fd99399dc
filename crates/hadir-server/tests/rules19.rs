//! Issue 19's rules over HTTP (everything but effective-dated facts): a day with any punch is
//! never TK; objection deadlines and locks with pending objections; weekly minutes of
//! calendars; the TMT and gender fields; the Perbup deduction options.

mod common;

use common::*;
use hadir_store::{NewPunch, PunchSource, Store};
use jiff::Timestamp;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use reqwest::StatusCode;
use serde_json::Value;

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

fn at(d: Date, h: i8, m: i8) -> Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(wita()).unwrap().timestamp()
}

fn punch(emp: i64, t: Timestamp) -> NewPunch {
    NewPunch {
        employee_id: Some(emp),
        source: PunchSource::Terminal,
        dedup_key: format!("t:TEST:{emp}:{}", t.as_second()),
        punched_at: t,
        received_at: t,
        captured_at: None,
        device_sn: Some("TEST".into()),
        device_pin: None,
        lat: None,
        lon: None,
        accuracy_m: None,
        distance_m: None,
        location_name: None,
        photo_hash: None,
        note: None,
        review: None,
        review_detail: None,
        status: None,
        verify: None,
        quarantined: false,
        hold: None,
        response: None,
    }
}

async fn emp_id(s: &TestServer, n: u16) -> i64 {
    s.store.employee_by_login(&nip(n)).await.unwrap().id
}

fn day(body: &Value, d: Date) -> &Value {
    &body["days"][(d.day() - 1) as usize]
}

#[tokio::test]
async fn a_day_with_any_punch_is_never_tk() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let emp = emp_id(&s, 3).await;
    // December 2025 in SD1 (WITA): the 1st at 05:30 only, the 2nd at 18:30 only, the 3rd nothing.
    let ps = [punch(emp, at(date(2025, 12, 1), 5, 30)), punch(emp, at(date(2025, 12, 2), 18, 30))];
    s.store.insert_punches(&ps).await.unwrap();

    let (st, b) = s.get(&format!("/api/v1/employees/{}/days?month=2025-12", nip(3)), &o.admin).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    for d in [date(2025, 12, 1), date(2025, 12, 2)] {
        let r = day(&b, d);
        assert_eq!(r["status"], "HADIR", "{r}");
        assert_eq!(r["checkpoints"][0]["code"], "TL4", "{r}");
        assert_eq!(r["checkpoints"][1]["code"], "PSW4", "{r}");
        assert_eq!(r["deduction"], 3.0);
        assert_eq!(r["ignored_punches"][0]["reason"], "outside_windows");
        assert!(r["explanation"].as_str().unwrap().contains("bukan TK"), "{r}");
    }
    assert_eq!(day(&b, date(2025, 12, 3))["status"], "TK");
    let tk = b["days"].as_array().unwrap().iter().filter(|d| d["status"] == "TK").count() as u64;
    assert_eq!(b["summary"]["tk"].as_u64(), Some(tk));

    // The PP 94/2021 counter counts only the days without any trace.
    let (st, d) = s.get("/api/v1/recap/discipline?year=2025&unit=SD1", &o.admin).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    let row = d["employees"].as_array().unwrap().iter().find(|r| r["employee"]["nip"] == nip(3)).unwrap();
    assert_eq!(row["tk_by_month"]["2025-12"].as_u64(), Some(tk), "{row}");
}
