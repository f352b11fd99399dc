//! Issue 16, phone captures and the review queue: a punch counts when its channel proves the
//! person was there then; otherwise it waits for a responsible person's decision. Each attack is
//! tried over real HTTP and checked for its refusal and for nothing having changed.

mod common;

use common::*;
use hadir_server::ServerConfig;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

fn at(d: Date, h: i8, m: i8) -> Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(wita()).unwrap().timestamp()
}

/// A weekday of last month (so its day is closed: TK without punches).
fn last_month_weekday(nth: i64) -> Date {
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    let mut d = today.first_of_month().checked_sub(1.month()).unwrap().checked_add(nth.days()).unwrap();
    while matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
        d = d.tomorrow().unwrap();
    }
    d
}

fn meta(key: &str, captured: Timestamp) -> Value {
    json!({"idempotency_key": key, "lat": SD1_LAT, "lon": SD1_LON, "accuracy_m": 6.0,
           "captured_at": captured.to_string()})
}

/// Old captures are allowed here so that the review rules, not the age limit, decide.
fn lenient() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.checkin.max_capture_age_hours = 24 * 70;
    c
}

/// The day's status as the employee's month view shows it (evaluated on read).
async fn status(s: &TestServer, token: &str, d: Date) -> String {
    let (st, b) = s.get(&format!("/api/v1/me/days?month={:04}-{:02}", d.year(), d.month()), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["days"][(d.day() - 1) as usize]["status"].as_str().unwrap_or_default().to_string()
}

async fn punches(s: &TestServer, token: &str) -> Vec<Value> {
    let (_, b) = s.get("/api/v1/punches", token).await;
    b["items"].as_array().cloned().unwrap_or_default()
}

/// The month's recap without its generation time, for before/after comparisons.
async fn recap_total_for(s: &TestServer, admin: &str, d: Date, nip: &str) -> Value {
    let (st, mut b) = s.get(&format!("/api/v1/recap?month={:04}-{:02}", d.year(), d.month()), admin).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert!(b.to_string().contains(nip), "the recap lists {nip}");
    b.as_object_mut().unwrap().remove("generated_at");
    b
}

#[tokio::test]
async fn captures_too_old_impossible_or_in_a_locked_month_are_refused_and_nothing_is_stored() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let now = Timestamp::now();
    // 12 days old, at the office: refused with a pointer to the right request.
    let (st, b, _) =
        s.checkin(&o.emp_sd1, meta("old", now - SignedDuration::from_hours(24 * 12)), Some(jpeg(64))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("capture_too_old")), "{b}");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(msg.contains("presensi manual") && msg.contains("keberatan"), "{msg}");
    // Impossible dates: year 1, year -9999, year 2101.
    for (key, text) in
        [("y1", "0001-01-01T00:00:00Z"), ("yneg", "-009999-01-01T00:00:00Z"), ("y2101", "2101-01-01T00:00:00Z")]
    {
        let m = json!({"idempotency_key": key, "lat": SD1_LAT, "lon": SD1_LON, "accuracy_m": 6.0, "captured_at": text});
        let (st, b, _) = s.checkin(&o.emp_sd1, m, Some(jpeg(64))).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{text}: {b}");
        assert!(matches!(b["error"]["code"].as_str(), Some("invalid_captured_at") | Some("clock_skew")), "{text}: {b}");
    }
    assert!(punches(&s, &o.emp_sd1).await.is_empty(), "nothing stored");

    // A locked month: even within the age limit, a capture dated in it is refused.
    let s = TestServer::start_with(lenient()).await;
    let o = org(&s).await;
    let d = last_month_weekday(3);
    let before = status(&s, &o.emp_sd1, d).await;
    let month = format!("{:04}-{:02}", d.year(), d.month());
    let (st, b) = s.post("/api/v1/recap/lock", &o.admin, json!({"month": month})).await;
    assert!(st.is_success(), "{b}");
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("locked", at(d, 7, 10)), Some(jpeg(64))).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_locked")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("keberatan"));
    assert!(punches(&s, &o.emp_sd1).await.is_empty());
    assert_eq!(status(&s, &o.emp_sd1, d).await, before);
}

#[tokio::test]
async fn a_late_capture_waits_for_review_and_counts_only_when_accepted() {
    let s = TestServer::start_with(lenient()).await;
    let o = org(&s).await;
    let d = last_month_weekday(5);
    assert_eq!(status(&s, &o.emp_sd1, d).await, "TK");
    let recap_before = recap_total_for(&s, &o.admin, d, &nip(3)).await;

    // The attack: a capture dated weeks ago, at the office. Stored, not counted.
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("late-1", at(d, 7, 12)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let id = b["punch"]["id"].as_i64().unwrap();
    assert_eq!((b["punch"]["state"].as_str(), b["punch"]["review"].as_str()), (Some("pending"), Some("offline_gap")));
    assert!(b["message"].as_str().unwrap().contains("Menunggu pemeriksaan atasan"), "{b}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status(&s, &o.emp_sd1, d).await, "TK", "a held punch does not count");
    assert_eq!(recap_total_for(&s, &o.admin, d, &nip(3)).await, recap_before, "the recap is unchanged");
    let mine = punches(&s, &o.emp_sd1).await;
    assert_eq!(mine[0]["state_label"], "menunggu pemeriksaan atasan");

    // The employee cannot decide it; a head elsewhere does not even see it.
    let decide = json!({"ids": [id], "accept": true, "note": "saya hadir"});
    let (st, _) = s.post("/api/v1/review/punches/decide", &o.emp_sd1, decide.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    s.grant(&o.admin, &nip(4), "head", "RSUD").await;
    let rsud_head = s.login(&nip(4), PW).await;
    let (st, list) = s.get("/api/v1/review/punches", &rsud_head).await;
    assert_eq!(st, StatusCode::OK);
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
    let (st, b) = s.post("/api/v1/review/punches/decide", &rsud_head, decide.clone()).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    assert!(!b.to_string().contains("Pegawai 3"), "no name outside the scope: {b}");
    assert_eq!(punches(&s, &o.emp_sd1).await[0]["state"], "pending", "nothing changed");

    // The head of SD1 sees it with its reason, photo and both times, and accepts it.
    let (_, list) = s.get("/api/v1/review/punches", &o.head).await;
    let item = &list["items"][0];
    assert_eq!(
        (item["punch"]["id"].as_i64(), item["reason_label"].as_str()),
        (Some(id), Some("Dikirim terlambat dari ponsel"))
    );
    assert!(item["punch"]["photo_url"].is_string() && item["punch"]["received_at"].is_string());
    assert_eq!(item["name"], "Pegawai 3");
    let (st, b) = s
        .post("/api/v1/review/punches/decide", &o.head, json!({"ids": [id], "accept": true, "note": "dicek CCTV"}))
        .await;
    assert_eq!((st, b["decided"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    assert_eq!(status(&s, &o.emp_sd1, d).await, "HADIR");
    assert_ne!(recap_total_for(&s, &o.admin, d, &nip(3)).await, recap_before, "the recap counts the accepted day");
    let p = &punches(&s, &o.emp_sd1).await[0];
    assert_eq!((p["state"].as_str(), p["decision_note"].as_str()), (Some("counted"), Some("dicek CCTV")));
    assert!(p["decided_by"].is_string());
    let (_, audit) = s.get("/api/v1/audit?entity=punch_hold", &o.admin).await;
    assert!(audit.to_string().contains("dicek CCTV"), "{audit}");
    // A second decision finds nothing pending.
    let (st, b) =
        s.post("/api/v1/review/punches/decide", &o.head, json!({"ids": [id], "accept": false, "note": "x"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_pending")));
    assert_eq!(status(&s, &o.emp_sd1, d).await, "HADIR");

    // Rejected: stays TK, and the employee reads why.
    let d2 = last_month_weekday(9);
    let (_, b, _) = s.checkin(&o.emp_sd1, meta("late-2", at(d2, 7, 5)), Some(jpeg(64))).await;
    let id2 = b["punch"]["id"].as_i64().unwrap();
    let (st, b) = s.post("/api/v1/review/punches/decide", &o.head, json!({"ids": [id2], "accept": false})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note_required")));
    let (st, _) = s
        .post(
            "/api/v1/review/punches/decide",
            &o.head,
            json!({"ids": [id2], "accept": false, "note": "tidak ada di kantor"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(status(&s, &o.emp_sd1, d2).await, "TK");
    let p = punches(&s, &o.emp_sd1).await.into_iter().find(|p| p["id"] == id2).unwrap();
    assert_eq!(
        (p["state_label"].as_str(), p["decision_note"].as_str()),
        (Some("ditolak"), Some("tidak ada di kantor"))
    );

    // Nobody decides their own: the head's own late capture goes to the operator.
    let (_, b, _) = s.checkin(&o.head, meta("late-head", at(d, 7, 1)), Some(jpeg(64))).await;
    let own = b["punch"]["id"].as_i64().unwrap();
    let (st, b) = s.post("/api/v1/review/punches/decide", &o.head, json!({"ids": [own], "accept": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_punch")), "{b}");
    let (_, list) = s.get("/api/v1/review/punches", &o.head).await;
    assert!(list["items"].as_array().unwrap().iter().all(|i| i["punch"]["id"] != own), "own punches are not offered");
    assert_eq!(status(&s, &o.head, d).await, "TK");
    assert_eq!(s.accept_held(&o.operator, "diterima operator").await, 1);
    assert_eq!(status(&s, &o.head, d).await, "HADIR");
}

#[tokio::test]
async fn a_declared_outage_makes_late_captures_inside_it_count_at_once() {
    let s = TestServer::start_with(lenient()).await;
    let o = org(&s).await;
    let d = last_month_weekday(12);
    let (st, r) = s
        .post(
            "/api/v1/requests",
            &o.operator,
            json!({"type": "OUTAGE", "unit": "SD1", "date_from": d.to_string(), "start": "07:00", "end": "09:00",
                   "reason": "jaringan seluler padam"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let outage = r["id"].as_i64().unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec())
            .file_name("berita-acara.pdf"),
    );
    let r = s
        .client
        .post(s.url(&format!("/api/v1/requests/{outage}/attachments")))
        .bearer_auth(&o.operator)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (st, b) = s
        .post(&format!("/api/v1/requests/{outage}/decision"), &o.admin, json!({"approve": true, "comment": "ok"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");

    // Offline for an hour inside the declared outage: counts at once.
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("in-outage", at(d, 7, 40)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(
        (b["punch"]["state"].as_str(), b["punch"]["review"].as_str()),
        (Some("counted"), Some("declared_outage")),
        "{b}"
    );
    assert!(b["punch"]["review_detail"].as_str().unwrap().contains(&format!("#{outage}")));
    // Outside the window (the afternoon): waits.
    let (_, b, _) = s.checkin(&o.emp_sd1, meta("after-outage", at(d, 16, 5)), Some(jpeg(64))).await;
    assert_eq!(b["punch"]["state"], "pending", "{b}");
    // Another unit is not covered by SD1's outage.
    let m = json!({"idempotency_key": "rsud", "lat": -0.52, "lon": 117.16, "accuracy_m": 6.0, "captured_at": at(d, 7, 40).to_string()});
    let (_, b, _) = s.checkin(&o.emp_rsud, m, Some(jpeg(64))).await;
    assert_eq!(b["punch"]["state"], "pending", "{b}");
}

/// The server is killed at 07:20 and comes back: captures queued in the phones meanwhile count at
/// once (the gap is the server's fault). After a clean (planned) stop they wait for review.
#[tokio::test]
async fn captures_during_a_crash_count_at_once_but_not_after_a_planned_stop() {
    let mut config = ServerConfig::default();
    config.checkin.capture_tolerance_secs = 1;
    let mut s = TestServer::start_with(config).await;
    let o = org(&s).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.kill().await;
    let killed = Timestamp::now();
    tokio::time::sleep(Duration::from_millis(6_500)).await; // longer than a heartbeat
    let during = killed + SignedDuration::from_secs(3);
    s.restart().await;
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("outbox-1", during), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(
        (b["punch"]["state"].as_str(), b["punch"]["review"].as_str()),
        (Some("counted"), Some("server_fault")),
        "{b}"
    );

    s.stop().await;
    let stopped = Timestamp::now();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    s.restart().await;
    let (st, b, _) =
        s.checkin(&o.emp_sd1, meta("outbox-2", stopped + SignedDuration::from_secs(1)), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["punch"]["state"], "pending", "a planned stop is not the server's fault: {b}");
}

/// Special attendance (dinas luar) waits in the same review queue; deciding it there decides its
/// request, with the request's rules.
#[tokio::test]
async fn special_attendance_is_decided_in_the_same_queue_through_its_request() {
    let s = TestServer::start_with(lenient()).await;
    let o = org(&s).await;
    let d = last_month_weekday(15);
    let m = json!({"idempotency_key": "dl", "lat": -1.2, "lon": 116.8, "accuracy_m": 10.0, "special": true,
                   "note": "rapat di kantor bupati", "captured_at": at(d, 7, 20).to_string()});
    let (st, b, _) = s.checkin(&o.emp_sd1, m, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let id = b["punch"]["id"].as_i64().unwrap();
    assert_eq!(b["punch"]["state"], "pending");
    let (_, list) = s.get("/api/v1/review/punches", &o.head).await;
    let item = list["items"].as_array().unwrap().iter().find(|i| i["punch"]["id"] == id).expect("in the queue").clone();
    assert_eq!(item["reason"], "special_pending");
    assert_eq!(status(&s, &o.emp_sd1, d).await, "TK");
    let (st, b) = s
        .post("/api/v1/review/punches/decide", &o.head, json!({"ids": [id], "accept": true, "note": "surat tugas ada"}))
        .await;
    assert_eq!((st, b["decided"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let (_, mine) = s.get("/api/v1/requests?mine=true&type=DINAS_LUAR", &o.emp_sd1).await;
    assert_eq!(mine["items"][0]["state"], "approved", "{mine}");
    assert_eq!(status(&s, &o.emp_sd1, d).await, "HADIR");
    let p = punches(&s, &o.emp_sd1).await.into_iter().find(|p| p["id"] == id).unwrap();
    assert_eq!(p["state"], "counted", "{p}");
    let (_, list) = s.get("/api/v1/review/punches", &o.head).await;
    assert!(list["items"].as_array().unwrap().iter().all(|i| i["punch"]["id"] != id), "left the queue");
}
