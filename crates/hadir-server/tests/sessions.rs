//! Issue 21, point 3: apel and upacara sessions over real HTTP (SQLite, or PostgreSQL with
//! `HADIR_TEST_PG_URL`). Creating is for operators of the units (scoped, audited, refused in a
//! locked month); attendees check in by position inside the session's geofence or by its fresh
//! QR code (expired, foreign, forged codes and far positions refused, nothing stored); heads
//! mark attendance in bulk (their subtree, never themselves, audited); the day record and the
//! recap show the outcome, and only a missed mandatory session costs the apel deduction, not
//! when an approved request excuses the day.

mod common;

use common::*;
use hadir_server::sessions::sign_code;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

/// A window around now in WITA (clamped to the day), as `(date, start, end)`.
fn window_now() -> (String, String, String) {
    let now = Timestamp::now().to_zoned_datetime(wita());
    let minutes = i32::from(now.hour()) * 60 + i32::from(now.minute());
    let (start, end) = ((minutes - 10).max(0), (minutes + 10).min(23 * 60 + 59));
    let hm = |m: i32| format!("{:02}:{:02}", m / 60, m % 60);
    (now.date().to_string(), hm(start), hm(end))
}

async fn create(s: &TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    s.post("/api/v1/sessions", token, body).await
}

/// A mandatory apel of SD1 today around now, with a 100 m geofence at SD1's office and QR.
async fn apel_now(s: &TestServer, token: &str) -> i64 {
    let (date, start, end) = window_now();
    let (st, b) = create(
        s,
        token,
        json!({"kind": "apel", "name": "Apel pagi", "date": date, "start": start, "end": end, "unit_code": "SD1",
               "lat": SD1_LAT, "lon": SD1_LON, "radius_m": 100.0, "qr": true}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    b["id"].as_i64().unwrap()
}

async fn attendance(s: &TestServer, token: &str, id: i64) -> Value {
    let (st, b) = s.get(&format!("/api/v1/sessions/{id}/attendance"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

fn how_of<'a>(list: &'a Value, login: &str) -> &'a Value {
    &list["items"].as_array().unwrap().iter().find(|i| i["login"] == login).unwrap_or_else(|| panic!("{login}"))["how"]
}

async fn secret(s: &TestServer) -> Vec<u8> {
    s.store.server_secret("kiosk_qr_v1", b"unused: the server stored one first").await.unwrap()
}

fn code_of(b: &Value) -> Option<&str> {
    b["error"]["code"].as_str()
}

#[tokio::test]
async fn creating_is_scoped_validated_audited_and_cancellable() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let base = json!({"kind": "upacara", "name": "Upacara 17", "date": "2025-12-17", "start": "07:00", "end": "08:30",
                      "unit_code": "DIK", "unit_codes": ["DIK"], "qr": true});
    // Refusals, none of which stores a session.
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (who, body, status, code) in [
        // The SD1 head reads SD1 but does not manage it; DIK is out of their sight.
        (&o.head, base.clone(), StatusCode::UNPROCESSABLE_ENTITY, "unknown_unit"),
        (
            &o.head,
            json!({"kind": "apel", "name": "A", "date": "2025-12-17", "start": "07:00", "end": "08:00",
                         "unit_code": "SD1", "qr": true}),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (&o.emp_sd1, base.clone(), StatusCode::FORBIDDEN, "forbidden"),
        (&o.operator, with("unit_codes", json!(["RSUD"])), StatusCode::UNPROCESSABLE_ENTITY, "unknown_unit"),
        (&o.operator, with("unit_code", json!("RSUD")), StatusCode::UNPROCESSABLE_ENTITY, "unknown_unit"),
        (&o.operator, with("kind", json!("rapat")), StatusCode::UNPROCESSABLE_ENTITY, "invalid_kind"),
        (&o.operator, with("name", json!(" ")), StatusCode::UNPROCESSABLE_ENTITY, "invalid_name"),
        (&o.operator, with("date", json!("2025-13-01")), StatusCode::UNPROCESSABLE_ENTITY, "invalid_date"),
        (&o.operator, with("end", json!("06:59")), StatusCode::UNPROCESSABLE_ENTITY, "invalid_time"),
        (&o.operator, with("start", json!("7:00")), StatusCode::UNPROCESSABLE_ENTITY, "invalid_time"),
        (&o.operator, with("qr", json!(false)), StatusCode::UNPROCESSABLE_ENTITY, "place_required"),
        (&o.operator, with("lat", json!(-0.5)), StatusCode::UNPROCESSABLE_ENTITY, "invalid_location"),
    ] {
        let (st, b) = create(&s, who, body.clone()).await;
        assert_eq!((st, code_of(&b)), (status, Some(code)), "{body}: {b}");
        if st == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(!b["error"]["message"].as_str().unwrap().is_empty());
        }
    }
    let (_, list) = s.get("/api/v1/sessions?from=2025-12-01&to=2025-12-31", &o.admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing stored: {list}");

    // The operator of DIK creates it (DIK's subtree: DIK and SD1 must attend).
    let (st, b) = create(&s, &o.operator, base.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    assert_eq!(b["label"], "Upacara 17 07:00–08:30 WITA");
    assert_eq!(b["mandatory"], true);
    let (_, trail) = s.get("/api/v1/audit?entity=apel_session", &o.admin).await;
    let actions: Vec<&str> = trail["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"create"), "{trail}");

    // Who sees it: the operator and the SD1 head (with counts), the SD1 employee (it concerns
    // them), not the RSUD employee nor an RSUD operator.
    for (who, n) in [(&o.operator, 1), (&o.head, 1), (&o.emp_sd1, 1), (&o.emp_rsud, 0)] {
        let (st, list) = s.get("/api/v1/sessions?from=2025-12-17&to=2025-12-17", who).await;
        assert_eq!(st, StatusCode::OK, "{list}");
        assert_eq!(list["items"].as_array().unwrap().len(), n, "{list}");
    }
    s.employee(&o.admin, &nip(9), "RSUD", "9").await;
    s.grant(&o.admin, &nip(9), "operator", "RSUD").await;
    let rsud_op = s.login(&nip(9), PW).await;
    let (st, _) = s.post(&format!("/api/v1/sessions/{id}/cancel"), &rsud_op, json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.post(&format!("/api/v1/sessions/{id}/cancel"), &o.head, json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s.get(&format!("/api/v1/sessions/{id}/attendance"), &rsud_op).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Editing (audited with before and after), then cancelling: it then concerns nobody.
    let mut changed = base.clone();
    changed["end"] = json!("09:00");
    let (st, b) = s.call(reqwest::Method::PUT, &format!("/api/v1/sessions/{id}"), Some(&o.operator), changed).await;
    assert_eq!((st, b["end"].as_str()), (StatusCode::OK, Some("09:00")), "{b}");
    let (st, b) = s.post(&format!("/api/v1/sessions/{id}/cancel"), &o.operator, json!({})).await;
    assert_eq!((st, b["cancelled"].as_bool()), (StatusCode::OK, Some(true)), "{b}");
    let (_, list) = s.get("/api/v1/sessions?from=2025-12-17&to=2025-12-17", &o.emp_sd1).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
    let (_, trail) = s.get("/api/v1/audit?entity=apel_session", &o.admin).await;
    let actions: Vec<&str> = trail["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"update") && actions.contains(&"cancel"), "{trail}");
}

#[tokio::test]
async fn check_in_by_position_inside_and_outside() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let id = apel_now(&s, &o.operator).await;
    let url = format!("/api/v1/sessions/{id}/checkin");
    // Outside the geofence (about 1.1 km away), inaccurate, without a position, half a position.
    for (body, code) in [
        (json!({"lat": SD1_LAT + 0.01, "lon": SD1_LON}), "outside_session_area"),
        (json!({"lat": SD1_LAT, "lon": SD1_LON, "accuracy_m": 5000.0}), "inaccurate_location"),
        (json!({}), "location_required"),
        (json!({"lat": SD1_LAT}), "invalid_location"),
        (json!({"lat": 91.0, "lon": SD1_LON}), "invalid_location"),
    ] {
        let (st, b) = s.post(&url, &o.emp_sd1, body.clone()).await;
        assert_eq!((st, code_of(&b)), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{body}: {b}");
    }
    // The RSUD employee is not concerned: the session does not exist for them.
    let (st, _) = s.post(&url, &o.emp_rsud, json!({"lat": SD1_LAT, "lon": SD1_LON})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let list = attendance(&s, &o.operator, id).await;
    assert_eq!(list["attended"], 0, "nothing stored: {list}");
    assert_eq!(list["total"], 2, "the SD1 head and employee: {list}");

    // Inside (about 20 m away): attended; again: the same record (200).
    let (st, b) = s.post(&url, &o.emp_sd1, json!({"lat": SD1_LAT + 0.0002, "lon": SD1_LON, "accuracy_m": 15.0})).await;
    assert_eq!((st, b["how"].as_str()), (StatusCode::CREATED, Some("position")), "{b}");
    assert!(b["message"].as_str().unwrap().starts_with("Hadir Apel pagi tercatat pukul"), "{b}");
    let (st, again) = s.post(&url, &o.emp_sd1, json!({"lat": SD1_LAT, "lon": SD1_LON})).await;
    assert_eq!((st, &again["at"]), (StatusCode::OK, &b["at"]), "{again}");
    let list = attendance(&s, &o.head, id).await;
    assert_eq!(list["attended"], 1);
    assert_eq!(how_of(&list, &nip(3)), "position");

    // The app's list shows the employee their attendance.
    let (_, mine) = s.get("/api/v1/sessions", &o.emp_sd1).await;
    assert_eq!(mine["items"][0]["my_attendance"], "position", "{mine}");

    // Today's record carries the session as attended, without an apel deduction.
    let (_, days) = s.get("/api/v1/me/days", &o.emp_sd1).await;
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    let rec = &days["days"][(today.day() - 1) as usize];
    assert_eq!(rec["sessions"][0]["outcome"], "attended", "{rec}");
    assert_eq!(rec["sessions"][0]["how"], "position", "{rec}");
}

#[tokio::test]
async fn check_in_by_the_session_qr_code() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let id = apel_now(&s, &o.operator).await;
    let other = apel_now(&s, &o.operator).await;
    let url = format!("/api/v1/sessions/{id}/checkin");
    // The employee cannot fetch the code; the operator can.
    let (st, _) = s.get(&format!("/api/v1/sessions/{id}/code"), &o.emp_sd1).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, shown) = s.get(&format!("/api/v1/sessions/{id}/code"), &o.operator).await;
    assert_eq!(st, StatusCode::OK, "{shown}");
    assert!(shown["svg"].as_str().unwrap().contains("<svg"));

    let key = secret(&s).await;
    let now = Timestamp::now();
    let expired = sign_code(&key, id, now - SignedDuration::from_secs(120));
    let foreign = sign_code(&key, other, now);
    let forged = sign_code(b"not the server's key", id, now);
    let mut tampered = sign_code(&key, id, now);
    tampered = tampered.replacen(&format!("HS1.{id}."), &format!("HS1.{other}."), 1);
    for (code, want) in [
        (expired.as_str(), "session_code_expired"),
        (foreign.as_str(), "session_code_other"),
        (forged.as_str(), "session_code_invalid"),
        (tampered.as_str(), "session_code_invalid"),
        ("HK1.1.2.3.abc", "session_code_invalid"),
    ] {
        let (st, b) = s.post(&url, &o.emp_sd1, json!({"code": code})).await;
        assert_eq!((st, code_of(&b)), (StatusCode::UNPROCESSABLE_ENTITY, Some(want)), "{code}: {b}");
    }
    assert_eq!(attendance(&s, &o.operator, id).await["attended"], 0, "nothing stored");

    // The fresh code shown on the screen: attended, no position needed.
    let (st, b) = s.post(&url, &o.emp_sd1, json!({"code": shown["code"]})).await;
    assert_eq!((st, b["how"].as_str()), (StatusCode::CREATED, Some("qr")), "{b}");
    assert_eq!(how_of(&attendance(&s, &o.operator, id).await, &nip(3)), "qr");
}

#[tokio::test]
async fn bulk_marking_is_scoped_never_oneself_all_or_nothing_and_audited() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let id = apel_now(&s, &o.operator).await;
    let url = format!("/api/v1/sessions/{id}/marks");
    for (who, nips, status, code) in [
        (&o.head, vec![nip(3), nip(2)], StatusCode::UNPROCESSABLE_ENTITY, "own_attendance"),
        (&o.head, vec![nip(3), nip(4)], StatusCode::UNPROCESSABLE_ENTITY, "unknown_employee"),
        (&o.head, vec![nip(3), "000".into()], StatusCode::UNPROCESSABLE_ENTITY, "unknown_employee"),
        (&o.operator, vec![nip(1)], StatusCode::UNPROCESSABLE_ENTITY, "own_attendance"),
        (&o.head, vec![], StatusCode::UNPROCESSABLE_ENTITY, "invalid_nips"),
        (&o.emp_sd1, vec![nip(2)], StatusCode::FORBIDDEN, "forbidden"),
    ] {
        let (st, b) = s.post(&url, who, json!({"nips": nips})).await;
        assert_eq!((st, code_of(&b)), (status, Some(code)), "{nips:?}: {b}");
    }
    assert_eq!(attendance(&s, &o.operator, id).await["attended"], 0, "nothing stored");
    let (_, trail) = s.get("/api/v1/audit?entity=apel_attendance", &o.admin).await;
    assert_eq!(trail["items"].as_array().unwrap().len(), 0, "{trail}");

    // The head marks the employee; the operator marks the head (not themself).
    let (st, b) = s.post(&url, &o.head, json!({"nips": [nip(3)]})).await;
    assert_eq!((st, b["marked"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let (st, b) = s.post(&url, &o.operator, json!({"nips": [nip(2), nip(3)]})).await;
    assert_eq!((st, b["marked"].as_u64(), b["attended"].as_u64()), (StatusCode::OK, Some(1), Some(2)), "{b}");
    let list = attendance(&s, &o.head, id).await;
    assert_eq!((how_of(&list, &nip(2)), how_of(&list, &nip(3))), (&json!("marked"), &json!("marked")));
    let (_, trail) = s.get("/api/v1/audit?entity=apel_attendance", &o.admin).await;
    assert_eq!(trail["items"].as_array().unwrap().len(), 2, "{trail}");
}

fn day_of<'a>(days: &'a Value, d: &str) -> &'a Value {
    days["days"].as_array().unwrap().iter().find(|x| x["date"] == d).unwrap_or_else(|| panic!("{d} in {days}"))
}

fn row<'a>(r: &'a Value, login: &str) -> &'a Value {
    r["employees"].as_array().unwrap().iter().find(|e| e["employee"]["login"] == login).unwrap()
}

#[tokio::test]
async fn day_records_recap_and_deductions() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    // A mandatory apel (Monday 1 December 2025) and a voluntary one (Tuesday 2 December), both
    // of SD1, in the past: the head is marked at the first, nobody attends the second.
    let session = |date: &str, mandatory: bool| {
        json!({"kind": "apel", "name": "Apel", "date": date, "start": "07:30", "end": "08:00", "unit_code": "SD1",
               "lat": SD1_LAT, "lon": SD1_LON, "radius_m": 100.0, "mandatory": mandatory})
    };
    let (st, b) = create(&s, &o.operator, session("2025-12-01", true)).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let monday = b["id"].as_i64().unwrap();
    let (st, b) = create(&s, &o.operator, session("2025-12-02", false)).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let (st, b) = s.post(&format!("/api/v1/sessions/{monday}/marks"), &o.operator, json!({"nips": [nip(2)]})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    // A check-in after the window is refused.
    let (st, b) = s
        .post(&format!("/api/v1/sessions/{monday}/checkin"), &o.emp_sd1, json!({"lat": SD1_LAT, "lon": SD1_LON}))
        .await;
    assert_eq!((st, code_of(&b)), (StatusCode::UNPROCESSABLE_ENTITY, Some("session_closed")), "{b}");

    let days_of = |n: u16| {
        let s = &s;
        let admin = o.admin.clone();
        async move {
            let (st, b) = s.get(&format!("/api/v1/employees/{}/days?month=2025-12", nip(n)), &admin).await;
            assert_eq!(st, StatusCode::OK, "{b}");
            b
        }
    };
    // The employee (no punches): TK 3% plus the missed mandatory apel 2%; the voluntary one
    // missed costs nothing.
    let emp = days_of(3).await;
    let mon = day_of(&emp, "2025-12-01");
    assert_eq!(mon["status"], "TK");
    assert_eq!(mon["sessions"][0]["outcome"], "missed", "{mon}");
    assert_eq!(mon["deduction"], 5.0, "{mon}");
    assert!(
        mon["explanation"].as_str().unwrap().contains("Apel Apel 07:30–08:00: tidak hadir (wajib), potongan 2%"),
        "{mon}"
    );
    let tue = day_of(&emp, "2025-12-02");
    assert_eq!(
        (tue["sessions"][0]["outcome"].as_str(), tue["deduction"].as_f64()),
        (Some("missed"), Some(3.0)),
        "{tue}"
    );
    // The day before and after: no session.
    assert!(day_of(&emp, "2025-12-03").get("sessions").is_none());
    // The head, marked: attended, only TK.
    let head = days_of(2).await;
    let mon = day_of(&head, "2025-12-01");
    assert_eq!(
        (mon["sessions"][0]["outcome"].as_str(), mon["deduction"].as_f64()),
        (Some("attended"), Some(3.0)),
        "{mon}"
    );
    // The RSUD employee is not concerned.
    assert!(day_of(&days_of(4).await, "2025-12-01").get("sessions").is_none());

    // An approved leave on the Monday excuses the apel: no apel deduction.
    let (st, b) = s
        .post(
            "/api/v1/requests",
            &o.emp_sd1,
            json!({"type": "CUTI_TAHUNAN", "date_from": "2025-12-01", "date_to": "2025-12-01", "reason": "keluarga"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let rid = b["id"].as_i64().unwrap();
    let (st, b) = s.post(&format!("/api/v1/requests/{rid}/decision"), &o.head, json!({"approve": true})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let emp = days_of(3).await;
    let mon = day_of(&emp, "2025-12-01");
    assert_eq!(mon["sessions"][0]["outcome"], "excused", "{mon}");
    assert_eq!(mon["sessions"][0]["request_id"], rid, "{mon}");
    assert_eq!(mon["deduction"], 0.0, "{mon}");

    // The recap counts sessions per person.
    let (st, r) = s.get("/api/v1/recap?month=2025-12&unit=SD1", &o.admin).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let head = &row(&r, &nip(2))["recap"];
    assert_eq!((head["sessions_attended"].as_u64(), head["sessions_missed"].as_u64()), (Some(1), Some(1)), "{head}");
    let emp = &row(&r, &nip(3))["recap"];
    assert_eq!((emp["sessions_attended"].as_u64(), emp["sessions_missed"].as_u64()), (Some(0), Some(1)), "{emp}");

    // The CSV export appends the two counts after its existing columns.
    let resp = s
        .client
        .get(s.url("/api/v1/recap?month=2025-12&unit=SD1&format=csv"))
        .bearer_auth(&o.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = String::from_utf8(resp.bytes().await.unwrap()[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split(';').collect();
    assert_eq!(header[header.len() - 3..], ["keterangan", "apel_hadir", "apel_tidak_hadir"], "{}", lines[0]);
    let head_line: Vec<&str> = lines.iter().find(|l| l.contains(&nip(2))).unwrap().split(';').collect();
    assert_eq!(head_line[head_line.len() - 2..], ["1", "1"], "{head_line:?}");
}

#[tokio::test]
async fn a_locked_month_refuses_session_changes_the_next_day_does_not() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let body = |date: &str| json!({"kind": "apel", "name": "Apel", "date": date, "start": "07:30", "end": "08:00", "unit_code": "SD1", "qr": true});
    let (st, b) = create(&s, &o.operator, body("2025-11-28")).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let november = b["id"].as_i64().unwrap();
    let (st, b) = s.post("/api/v1/recap/lock", &o.admin, json!({"month": "2025-11"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");

    // The last day of the locked month: refused; the first day after: accepted.
    let (st, b) = create(&s, &o.operator, body("2025-11-30")).await;
    assert_eq!((st, code_of(&b)), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_locked")), "{b}");
    let (st, b) = create(&s, &o.operator, body("2025-12-01")).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let december = b["id"].as_i64().unwrap();
    // Cancelling, editing, marking in the locked month: refused, nothing changed.
    let (st, b) = s.post(&format!("/api/v1/sessions/{november}/cancel"), &o.operator, json!({})).await;
    assert_eq!((st, code_of(&b)), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_locked")), "{b}");
    let (st, b) = s.post(&format!("/api/v1/sessions/{november}/marks"), &o.head, json!({"nips": [nip(3)]})).await;
    assert_eq!((st, code_of(&b)), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_locked")), "{b}");
    // Moving the December session into November is refused too.
    let (st, b) = s
        .call(reqwest::Method::PUT, &format!("/api/v1/sessions/{december}"), Some(&o.operator), body("2025-11-29"))
        .await;
    assert_eq!((st, code_of(&b)), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_locked")), "{b}");
    let (_, list) = s.get("/api/v1/sessions?from=2025-11-01&to=2025-12-31", &o.operator).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!((items[0]["cancelled"].as_bool(), items[0]["attended"].as_u64()), (Some(false), Some(0)));
    assert_eq!(items[1]["date"], "2025-12-01");
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn console_session(s: &TestServer, user: &str) -> String {
    let r = no_redirects()
        .post(s.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={PW}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

async fn console(s: &TestServer, cookie: &str, path: &str, form: Option<&str>) -> (StatusCode, String) {
    let r = match form {
        None => no_redirects().get(s.url(path)),
        Some(f) => no_redirects()
            .post(s.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(f.to_string()),
    };
    let r = r.header("cookie", cookie).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_console_lists_sessions_with_counts_and_marks_in_bulk() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let id = apel_now(&s, &o.operator).await;
    let head = console_session(&s, &nip(2)).await;
    let (st, page) = console(&s, &head, "/admin/apel", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains(&format!("data-session=\"{id}\"")) && page.contains("Apel pagi"), "{page}");
    let (st, page) = console(&s, &head, &format!("/admin/apel/{id}"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("hadir 0 dari 2 orang"), "{page}");
    // Marking oneself is refused and changes nothing; marking the employee works.
    let (st, _) = console(&s, &head, &format!("/admin/apel/{id}/tandai"), Some(&format!("nips={}", nip(2)))).await;
    assert_ne!(st, StatusCode::OK);
    let (st, body) = console(&s, &head, &format!("/admin/apel/{id}/tandai"), Some(&format!("nips={}", nip(3)))).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("1 pegawai ditandai hadir"), "{body}");
    let (_, page) = console(&s, &head, &format!("/admin/apel/{id}"), None).await;
    assert!(page.contains("hadir 1 dari 2 orang") && page.contains("ditandai atasan"), "{page}");
    // The board ("Kehadiran hari ini") lists today's session with the same count.
    let (st, board) = console(&s, &head, "/admin", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(board.contains(&format!("data-session=\"{id}\"")) && board.contains("1 dari 2 orang"), "{board}");
}

/// Registers a kiosk device of `unit`; its token.
async fn register_kiosk(s: &TestServer, token: &str, unit: &str) -> String {
    let (st, b) = s.post("/api/v1/kiosks", token, json!({"name": format!("Layar {unit}"), "unit_code": unit})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    b["token"].as_str().unwrap().to_string()
}

/// The session's changing QR code on a screen at the place: the operator's console page
/// (`/admin/apel/{id}/qr`, linked as "Tampilkan QR apel") or a kiosk device of a concerned unit
/// (`/kiosk?apel={id}` over `/api/v1/kiosk/sessions/{id}/code`). Both need their credential,
/// and the code they show checks in.
#[tokio::test]
async fn the_session_qr_on_a_screen_needs_auth_and_its_code_checks_in() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let id = apel_now(&s, &o.operator).await;
    let page = format!("/admin/apel/{id}/qr");

    // Without a console session: sent to the login page, no code shown.
    let r = no_redirects().get(s.url(&page)).send().await.unwrap();
    let st = r.status();
    let body = r.text().await.unwrap();
    assert!(st.is_redirection() || st == StatusCode::UNAUTHORIZED, "{st}");
    assert!(!body.contains("<svg") && !body.contains("HS1."), "{body}");

    // The operator's session page links to it; the page shows the SVG and reloads itself.
    let op = console_session(&s, &nip(1)).await;
    let (st, html) = console(&s, &op, &format!("/admin/apel/{id}"), None).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains(&format!("href=\"/admin/apel/{id}/qr\"")) && html.contains("Tampilkan QR apel"), "{html}");
    let (st, html) = console(&s, &op, &page, None).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains("<svg") && html.contains("http-equiv=\"refresh\""), "{html}");
    assert!(html.contains("WITA"), "the window with its zone: {html}");
    let code = html.split("data-code=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(code.starts_with(&format!("HS1.{id}.")), "{code}");
    let (st, b) = s.post(&format!("/api/v1/sessions/{id}/checkin"), &o.emp_sd1, json!({"code": code})).await;
    assert_eq!((st, b["how"].as_str()), (StatusCode::CREATED, Some("qr")), "{b}");

    // A kiosk device: its token is needed; a kiosk of SD1 (which must attend) shows the code, a
    // kiosk of RSUD does not see the session.
    let sd1 = register_kiosk(&s, &o.operator, "SD1").await;
    let rsud = register_kiosk(&s, &o.admin, "RSUD").await;
    let url = format!("/api/v1/kiosk/sessions/{id}/code");
    let r = reqwest::Client::new().get(s.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (st, b) = s.get(&url, "not-a-kiosk-token").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    let (st, b) = s.get(&url, &rsud).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    let (st, shown) = s.get(&url, &sd1).await;
    assert_eq!(st, StatusCode::OK, "{shown}");
    assert!(shown["svg"].as_str().unwrap().contains("<svg"), "{shown}");
    assert!(shown["unit_name"].as_str().unwrap().contains("Apel pagi"), "{shown}");
    let (st, b) = s.post(&format!("/api/v1/sessions/{id}/checkin"), &o.head, json!({"code": shown["code"]})).await;
    assert_eq!((st, b["how"].as_str()), (StatusCode::CREATED, Some("qr")), "{b}");
    assert_eq!(attendance(&s, &o.operator, id).await["attended"], 2);
    // The kiosk page itself is the same static page as the office kiosk's.
    let r = reqwest::Client::new().get(s.url(&format!("/kiosk?apel={id}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("kiosk.js"));
}

async fn listed(s: &TestServer, token: &str, date: &str) -> Vec<Value> {
    let (st, b) = s.get(&format!("/api/v1/sessions?from={date}&to={date}"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["items"].as_array().unwrap().clone()
}

async fn audits(s: &TestServer, admin: &str) -> usize {
    let (_, trail) = s.get("/api/v1/audit?entity=apel_session", admin).await;
    trail["items"].as_array().unwrap().len()
}

/// The console's forms to create, change and cancel a session (HTTP form posts through the
/// API handlers): a refusal shows the API's Indonesian message and stores nothing.
#[tokio::test]
async fn the_console_creates_changes_and_cancels_a_session() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let op = console_session(&s, &nip(1)).await;
    let (date, start, end) = window_now();
    let (st, page) = console(&s, &op, "/admin/apel", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"apel-create\"") && page.contains("Lokasi kantor unit penyelenggara"), "{page}");
    let form = |start: &str, end: &str, unit: &str| {
        format!(
            "kind=upacara&name=Upacara+hari+ini&date={date}&start={start}&end={end}&unit_code={unit}&unit_codes=SD1&place=office&lat=&lon=&radius_m=&qr=1&mandatory=1"
        )
    };

    // Refusals: the window ends before it starts; a unit outside the operator's units.
    for (body, want) in [
        (form(&end, &start, "SD1"), "Jam selesai harus setelah jam mulai"),
        (form(&start, &end, "RSUD"), "tidak ditemukan"),
    ] {
        let (st, html) = console(&s, &op, "/admin/apel", Some(&body)).await;
        assert!(st.is_client_error(), "{st} {html}");
        assert!(html.contains(want), "{html}");
    }
    assert!(listed(&s, &o.operator, &date).await.is_empty(), "nothing stored");
    assert_eq!(audits(&s, &o.admin).await, 0);

    // Created at the unit's office location, with QR, mandatory; audited.
    let (st, html) = console(&s, &op, "/admin/apel", Some(&form(&start, &end, "SD1"))).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains("dibuat"), "{html}");
    let items = listed(&s, &o.operator, &date).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let v = &items[0];
    let id = v["id"].as_i64().unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["qr"].as_bool(), v["mandatory"].as_bool()),
        (Some("upacara"), Some(true), Some(true))
    );
    assert!((v["lat"].as_f64().unwrap() - SD1_LAT).abs() < 1e-9, "{v}");
    assert_eq!(audits(&s, &o.admin).await, 1);

    // Changed: a position and radius of its own, not mandatory.
    let body = format!(
        "kind=apel&name=Apel+lapangan&date={date}&start={start}&end={end}&unit_code=SD1&unit_codes=&place=position&lat=-0.501&lon=117.151&radius_m=150&qr=1"
    );
    let (st, html) = console(&s, &op, &format!("/admin/apel/{id}/ubah"), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    let v = &listed(&s, &o.operator, &date).await[0];
    assert_eq!(
        (v["name"].as_str(), v["mandatory"].as_bool(), v["radius_m"].as_f64()),
        (Some("Apel lapangan"), Some(false), Some(150.0)),
        "{v}"
    );
    let (_, page) = console(&s, &op, &format!("/admin/apel/{id}"), None).await;
    assert!(page.contains("id=\"apel-edit\"") && page.contains("value=\"Apel lapangan\""), "{page}");

    // Cancelled.
    let (st, html) = console(&s, &op, &format!("/admin/apel/{id}/batal"), Some("")).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert_eq!(listed(&s, &o.operator, &date).await[0]["cancelled"], true);
    assert_eq!(audits(&s, &o.admin).await, 3);
}
