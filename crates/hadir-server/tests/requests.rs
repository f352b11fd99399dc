//! Issue 7 over HTTP: requests and approvals end to end (submit → decide → the day record
//! changes with an explanation naming the request), deciders' authority, leave rules, special
//! and manual attendance, outage windows, objections and month locks. Dates are in the
//! previous month, so days are closed.

mod common;

use common::*;
use hadir_domain::{DEFAULT_HOLIDAYS_CSV, holiday_on, parse_holiday_csv};
use hadir_store::{Audit, NewPunch};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

fn at(d: Date, h: i8, m: i8) -> Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(wita()).unwrap().timestamp()
}

/// Monday–Thursday working days of last month that are no holiday.
fn workdays() -> Vec<Date> {
    let holidays = parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap();
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    let first = today.first_of_month().checked_sub(1.month()).unwrap();
    let mut out = Vec::new();
    let mut d = first;
    while d.month() == first.month() {
        let wd = d.weekday();
        if !matches!(wd, Weekday::Friday | Weekday::Saturday | Weekday::Sunday) && holiday_on(&holidays, d).is_none() {
            out.push(d);
        }
        d = d.tomorrow().unwrap();
    }
    assert!(out.len() >= 8, "{out:?}");
    out
}

fn month(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

async fn emp_id(s: &TestServer, n: u16) -> i64 {
    s.store.employee_by_login(&nip(n)).await.unwrap().id
}

/// The day record of `login` on `d`, as the API shows it.
async fn day(s: &TestServer, token: &str, login: &str, d: Date) -> Value {
    let (st, b) = s.get(&format!("/api/v1/employees/{login}/days?month={}", month(d)), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["days"].as_array().unwrap().iter().find(|x| x["date"] == d.to_string()).cloned().unwrap()
}

async fn create(s: &TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    s.post("/api/v1/requests", token, body).await
}

async fn created(s: &TestServer, token: &str, body: Value) -> i64 {
    let (st, b) = create(s, token, body).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["state"], "submitted");
    b["id"].as_i64().unwrap()
}

async fn decide(s: &TestServer, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    s.post(&format!("/api/v1/requests/{id}/decision"), token, body).await
}

async fn approve(s: &TestServer, token: &str, id: i64) -> Value {
    let (st, b) = decide(s, token, id, json!({"approve": true, "comment": "disetujui"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "approved");
    b
}

async fn attach(s: &TestServer, token: &str, id: i64, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    let r = s
        .client
        .post(s.url(&format!("/api/v1/requests/{id}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn names(explanation: &Value, id: i64) -> bool {
    explanation.as_str().unwrap_or("").contains(&format!("#{id}"))
}

#[tokio::test]
async fn leave_izin_and_sakit_end_to_end() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let w = workdays();
    let me = nip(3);

    // Annual leave for two working days: submitted, in the head's inbox, approved.
    let id = created(
        &s,
        &o.emp_sd1,
        json!({"type": "CUTI_TAHUNAN", "date_from": w[0].to_string(), "date_to": w[1].to_string(), "reason": "acara keluarga"}),
    )
    .await;
    let (_, inbox) = s.get("/api/v1/requests?inbox=true", &o.head).await;
    assert!(inbox["items"].as_array().unwrap().iter().any(|r| r["id"] == id && r["can_decide"] == true), "{inbox}");
    let (_, mine) = s.get("/api/v1/requests?mine=true", &o.emp_sd1).await;
    assert_eq!(mine["total"], 1);
    // Working days: Fridays between are counted, weekends and holidays are not.
    let days = mine["items"][0]["days"].as_i64().unwrap();
    assert!(days >= 2, "{mine}");
    let before = day(&s, &o.head, &me, w[0]).await;
    assert_eq!(before["status"], "TK", "{before}");
    let b = approve(&s, &o.head, id).await;
    assert_eq!(b["decided_by"], nip(2));
    for d in [w[0], w[1]] {
        let rec = day(&s, &o.head, &me, d).await;
        assert_eq!(rec["status"], "CUTI_TAHUNAN", "{rec}");
        assert!(names(&rec["explanation"], id), "{rec}");
    }
    // The stored record follows too (background recompute after the decision).
    let emp = emp_id(&s, 3).await;
    let mut stored = None;
    for _ in 0..100 {
        stored =
            s.store.day_records(emp, w[0], w[0]).await.unwrap().first().map(|r| r.record.status.code().to_string());
        if stored.as_deref() == Some("CUTI_TAHUNAN") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stored.as_deref(), Some("CUTI_TAHUNAN"));
    let (st, bal) = s.get(&format!("/api/v1/me/leave-balance?year={}", w[0].year()), &o.emp_sd1).await;
    assert_eq!(st, StatusCode::OK, "{bal}");
    assert_eq!(bal["used"], days);

    // Izin for one day.
    let izin =
        created(&s, &o.emp_sd1, json!({"type": "IZIN", "date_from": w[2].to_string(), "reason": "urusan keluarga"}))
            .await;
    approve(&s, &o.head, izin).await;
    let rec = day(&s, &o.emp_sd1, &me, w[2]).await;
    assert_eq!(rec["status"], "IZIN");
    assert!(names(&rec["explanation"], izin), "{rec}");

    // Sakit over two days needs a doctor's letter before approval.
    let sakit = created(
        &s,
        &o.emp_sd1,
        json!({"type": "SAKIT", "date_from": w[3].to_string(), "date_to": w[4].to_string(), "reason": "demam"}),
    )
    .await;
    let (st, b) = decide(&s, &o.head, sakit, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("evidence_required")), "{b}");
    // Not a PDF/JPEG/PNG whatever the name says.
    let (st, b) = attach(&s, &o.emp_sd1, sakit, "surat.pdf", b"MZ\x90\x00 not a pdf".to_vec()).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("attachment_type")));
    let (st, b) = attach(&s, &o.emp_sd1, sakit, "surat dokter.pdf", pdf()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let url = b["items"][0]["url"].as_str().unwrap().to_string();
    approve(&s, &o.head, sakit).await;
    for d in [w[3], w[4]] {
        let rec = day(&s, &o.head, &me, d).await;
        assert_eq!(rec["status"], "SAKIT");
        assert!(names(&rec["explanation"], sakit), "{rec}");
    }
    // The letter is served to the head, not to another unit's employee.
    let r = s.client.get(s.url(&url)).bearer_auth(&o.head).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf());
    let r = s.client.get(s.url(&url)).bearer_auth(&o.emp_rsud).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Full history: who, when, what.
    let (_, one) = s.get(&format!("/api/v1/requests/{sakit}"), &o.emp_sd1).await;
    let actions: Vec<&str> = one["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "attach", "approve"]);
    assert_eq!(one["history"][3]["actor"], nip(2));
    assert_eq!(one["attachments"][0]["mime"], "application/pdf");
    // Audited.
    let (_, audit) = s.get("/api/v1/audit?entity=request", &o.admin).await;
    let acts: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    for a in ["create", "approve", "attach"] {
        assert!(acts.contains(&a), "{acts:?}");
    }
}

#[tokio::test]
async fn who_may_decide_cancel_and_take_leave() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let w = workdays();

    // A head of SD1 cannot decide for RSUD.
    let rsud =
        created(&s, &o.emp_rsud, json!({"type": "IZIN", "date_from": w[0].to_string(), "reason": "keluarga"})).await;
    let (st, b) = decide(&s, &o.head, rsud, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_decider")), "{b}");
    let (_, inbox) = s.get("/api/v1/requests?inbox=true", &o.head).await;
    assert_eq!(inbox["total"], 0, "{inbox}");
    let (st, _) = s.get(&format!("/api/v1/requests/{rsud}"), &o.head).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Nobody approves their own request, even a head; the admin (BKD) may.
    let own =
        created(&s, &o.head, json!({"type": "IZIN", "date_from": w[1].to_string(), "reason": "rapat orang tua"})).await;
    let (st, b) = decide(&s, &o.head, own, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_request")), "{b}");
    let mine =
        created(&s, &o.emp_sd1, json!({"type": "IZIN", "date_from": w[1].to_string(), "reason": "keluarga"})).await;
    let (st, b) = decide(&s, &o.emp_sd1, mine, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_request")), "{b}");
    approve(&s, &o.admin, own).await;

    // An operator of the agency (DIK, above SD1) decides head-level requests of its subtree,
    // acting for the unit: it is in their inbox, and the decision records who decided.
    let by_op =
        created(&s, &o.emp_sd1, json!({"type": "IZIN", "date_from": w[7].to_string(), "reason": "keluarga"})).await;
    let (_, inbox) = s.get("/api/v1/requests?inbox=true", &o.operator).await;
    let ids: Vec<i64> = inbox["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&by_op) && ids.contains(&mine), "{inbox}");
    assert!(!ids.contains(&rsud), "RSUD is outside the operator's subtree: {inbox}");
    let (_, one) = s.get(&format!("/api/v1/requests/{by_op}"), &o.operator).await;
    assert_eq!(one["can_decide"], true, "{one}");
    let b = approve(&s, &o.operator, by_op).await;
    assert_eq!(b["decided_by"], nip(1), "{b}");
    let (st, b) = decide(&s, &o.operator, rsud, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_decider")), "{b}");
    // Never their own request.
    let op_own =
        created(&s, &o.operator, json!({"type": "IZIN", "date_from": w[7].to_string(), "reason": "keluarga"})).await;
    let (st, b) = decide(&s, &o.operator, op_own, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_request")), "{b}");

    // Rejecting needs a reason; a decided request cannot be decided again.
    let (st, b) = decide(&s, &o.head, mine, json!({"approve": false})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason_required")));
    let (st, b) = decide(&s, &o.head, mine, json!({"approve": false, "comment": "jadwal ujian"})).await;
    assert_eq!((st, b["state"].as_str()), (StatusCode::OK, Some("rejected")), "{b}");
    let (st, b) = decide(&s, &o.head, mine, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("request_not_pending")));
    let rec = day(&s, &o.head, &nip(3), w[1]).await;
    assert_eq!(rec["status"], "TK", "a rejected request changes nothing: {rec}");

    // Cancel: only the submitter, only while pending.
    let c = created(&s, &o.emp_sd1, json!({"type": "IZIN", "date_from": w[2].to_string(), "reason": "keluarga"})).await;
    let (st, _) = s.post(&format!("/api/v1/requests/{c}/cancel"), &o.head, Value::Null).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) = s.post(&format!("/api/v1/requests/{c}/cancel"), &o.emp_sd1, json!({"comment": "batal"})).await;
    assert_eq!((st, b["state"].as_str()), (StatusCode::OK, Some("cancelled")), "{b}");
    let (st, _) = decide(&s, &o.head, c, json!({"approve": true})).await;
    assert_eq!(st, StatusCode::CONFLICT);

    // Drafts are submitted later.
    let (st, b) =
        create(&s, &o.emp_sd1, json!({"type": "IZIN", "date_from": w[3].to_string(), "reason": "x", "draft": true}))
            .await;
    assert_eq!((st, b["state"].as_str()), (StatusCode::CREATED, Some("draft")));
    let draft = b["id"].as_i64().unwrap();
    let (st, _) = decide(&s, &o.head, draft, json!({"approve": true})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, b) = s.post(&format!("/api/v1/requests/{draft}/submit"), &o.emp_sd1, Value::Null).await;
    assert_eq!((st, b["state"].as_str()), (StatusCode::OK, Some("submitted")), "{b}");

    // Long leave is the BKD's: the head may not decide cuti besar.
    let besar = created(
        &s,
        &o.emp_sd1,
        json!({"type": "CUTI_BESAR", "date_from": w[4].to_string(), "date_to": w[5].to_string(), "reason": "ibadah haji"}),
    )
    .await;
    let (st, b) = decide(&s, &o.head, besar, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_decider")), "{b}");
    // Nor may an operator of the agency: long leave stays with the BKD.
    let (st, b) = decide(&s, &o.operator, besar, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_decider")), "{b}");
    approve(&s, &o.admin, besar).await;
    let rec = day(&s, &o.head, &nip(3), w[4]).await;
    assert_eq!(rec["status"], "CUTI_BESAR");
    assert!(names(&rec["explanation"], besar));

    // Annual leave beyond the quota is refused with the balance in the message (12 days; no
    // annual leave in the two years before, so up to 24 in all: PP 11/2017 art. 312, issue 19).
    let from = w[0].first_of_month();
    let to = from.checked_add(45.days()).unwrap();
    let year_ok = from.year() == to.year();
    if year_ok {
        let (st, b) = create(
            &s,
            &o.emp_sd1,
            json!({"type": "CUTI_TAHUNAN", "date_from": from.to_string(), "date_to": to.to_string(), "reason": "panjang"}),
        )
        .await;
        assert_eq!(
            (st, b["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("leave_quota_exceeded")),
            "{b}"
        );
        assert!(b["error"]["message"].as_str().unwrap().contains("24 hari"), "{b}");
        assert_eq!(b["error"]["details"]["remaining"], 24);
    }

    // PPPK cannot take cuti besar (but may take annual leave).
    let (st, b) = s
        .post(
            "/api/v1/employees",
            &o.admin,
            json!({"nip": "199001012022211001", "name": "Guru PPPK", "category": "PPPK", "unit_code": "SD1", "password": PW}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let pppk = s.login("199001012022211001", PW).await;
    let (st, b) = create(
        &s,
        &pppk,
        json!({"type": "CUTI_BESAR", "date_from": w[0].to_string(), "date_to": w[1].to_string(), "reason": "x"}),
    )
    .await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("leave_not_allowed")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("PPPK"));
    created(&s, &pppk, json!({"type": "CUTI_TAHUNAN", "date_from": w[0].to_string(), "reason": "x"})).await;

    // Employees may not file for others; operators may, for their units only.
    let (st, _) = create(
        &s,
        &o.emp_sd1,
        json!({"type": "IZIN", "employee": nip(4), "date_from": w[0].to_string(), "reason": "x"}),
    )
    .await;
    assert!(st == StatusCode::FORBIDDEN || st == StatusCode::NOT_FOUND, "{st}");
    created(
        &s,
        &o.operator,
        json!({"type": "SAKIT", "employee": nip(3), "date_from": w[6].to_string(), "reason": "x"}),
    )
    .await;
    let (st, _) = create(
        &s,
        &o.operator,
        json!({"type": "SAKIT", "employee": nip(4), "date_from": w[6].to_string(), "reason": "x"}),
    )
    .await;
    assert!(st == StatusCode::FORBIDDEN || st == StatusCode::NOT_FOUND, "{st}");
}

#[tokio::test]
async fn special_manual_outage_and_objection() {
    // Special check-ins sent for last month's days: allow captures that old (the default refuses
    // captures older than 72 h, issue 16).
    let mut config = hadir_server::ServerConfig::default();
    config.checkin.max_capture_age_hours = 24 * 70;
    let s = TestServer::start_with(config).await;
    let o = org(&s).await;
    let w = workdays();
    let me = nip(3);

    // Special attendance (dinas luar) away from the office: pending until the head approves.
    let meta = json!({"idempotency_key": "dl-1", "lat": -1.2, "lon": 116.8, "accuracy_m": 10.0, "special": true,
                      "note": "rapat di kantor bupati", "captured_at": at(w[0], 7, 20).to_string()});
    let (st, b, _) = s.checkin(&o.emp_sd1, meta, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let punch_id = b["punch"]["id"].as_i64().unwrap();
    let rec = day(&s, &o.head, &me, w[0]).await;
    assert_eq!(rec["status"], "TK", "a pending special punch does not count: {rec}");
    // The special check-in opened its request, waiting in the head's inbox.
    let (_, inbox) = s.get("/api/v1/requests?inbox=true&type=DINAS_LUAR", &o.head).await;
    assert_eq!(inbox["total"], 1, "{inbox}");
    assert_eq!(inbox["items"][0]["punch_id"], punch_id);
    assert_eq!(inbox["items"][0]["reason"], "rapat di kantor bupati");
    let dl = inbox["items"][0]["id"].as_i64().unwrap();
    let (st, b) = create(&s, &o.emp_sd1, json!({"type": "DINAS_LUAR", "punch_id": punch_id, "reason": "lagi"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_requested")));
    assert_eq!(b["error"]["details"]["id"], dl);
    // A special punch can also be filed explicitly (here: a ceremony away from the office).
    let meta = json!({"idempotency_key": "up-1", "lat": -1.2, "lon": 116.8, "accuracy_m": 10.0, "special": true,
                      "special_type": "UPACARA", "captured_at": at(w[6], 7, 0).to_string()});
    let (st, b, _) = s.checkin(&o.emp_sd1, meta, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let (_, mine) = s.get("/api/v1/requests?mine=true&type=UPACARA", &o.emp_sd1).await;
    assert_eq!(mine["items"][0]["punch_id"], b["punch"]["id"], "{mine}");
    let (_, one) = s.get(&format!("/api/v1/requests/{dl}"), &o.head).await;
    assert_eq!(one["date_from"], w[0].to_string());
    approve(&s, &o.head, dl).await;
    let rec = day(&s, &o.head, &me, w[0]).await;
    assert_eq!(rec["status"], "HADIR", "{rec}");
    assert_eq!(rec["checkpoints"][0]["code"], Value::Null, "07:20 is on time: {rec}");
    assert!(rec.to_string().contains(&format!("#{dl}")), "{rec}");

    // Dinas luar for whole days (no punch): DL status.
    let dl2 = created(
        &s,
        &o.emp_sd1,
        json!({"type": "DINAS_LUAR", "date_from": w[5].to_string(), "reason": "perjalanan dinas"}),
    )
    .await;
    approve(&s, &o.head, dl2).await;
    let rec = day(&s, &o.head, &me, w[5]).await;
    assert_eq!(rec["status"], "DL");
    assert!(names(&rec["explanation"], dl2));

    // Manual attendance by the operator, with the signed sheet, approved by the head.
    let manual = created(
        &s,
        &o.operator,
        json!({"type": "MANUAL", "unit": "SD1", "date_from": w[1].to_string(), "reason": "mesin absen rusak",
               "entries": [{"employee": me, "time": "07:15"}, {"employee": me, "time": "16:05"}]}),
    )
    .await;
    let (st, b) = decide(&s, &o.head, manual, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("evidence_required")));
    let (st, b) = attach(&s, &o.operator, manual, "daftar-hadir.jpg", jpeg(32)).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    // The operator cannot approve their own sheet even where they could otherwise decide.
    let (st, _) = decide(&s, &o.operator, manual, json!({"approve": true})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    approve(&s, &o.head, manual).await;
    let rec = day(&s, &o.head, &me, w[1]).await;
    assert_eq!(rec["status"], "HADIR", "{rec}");
    assert!(rec.to_string().contains(&format!("#{manual}")), "{rec}");
    // Employees of another unit cannot be listed on the sheet; the answer is the one for a NIP
    // nobody has (issue 16: a refusal never names someone outside the unit).
    let (st, b) = create(
        &s,
        &o.operator,
        json!({"type": "MANUAL", "unit": "SD1", "date_from": w[1].to_string(), "reason": "x",
               "entries": [{"employee": nip(4), "time": "07:15"}]}),
    )
    .await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_employee")));
    assert!(!b.to_string().contains("Pegawai 4"), "{b}");

    // Outage window 07:00–09:00 at SD1: a 08:40 check-in is excused there, not at RSUD.
    let (sd1, rsud) = (emp_id(&s, 3).await, emp_id(&s, 4).await);
    let d = w[2];
    let punches: Vec<NewPunch> = [(sd1, 8, 40), (sd1, 16, 5), (rsud, 8, 40), (rsud, 16, 5)]
        .into_iter()
        .map(|(e, h, m)| punch(e, at(d, h, m)))
        .collect();
    s.store.insert_punches(&punches).await.unwrap();
    assert_eq!(day(&s, &o.head, &me, d).await["checkpoints"][0]["code"], "TL3");
    let outage = created(
        &s,
        &o.operator,
        json!({"type": "OUTAGE", "unit": "SD1", "date_from": d.to_string(), "start": "07:00", "end": "09:00",
               "reason": "listrik padam"}),
    )
    .await;
    let (st, _) = attach(&s, &o.operator, outage, "berita-acara.pdf", pdf()).await;
    assert_eq!(st, StatusCode::CREATED);
    // The head of SD1 works in SD1, so the outage concerns them (issue 16): someone above
    // decides it, here the BKD.
    let (st, b) = decide(&s, &o.head, outage, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_request")), "{b}");
    let b = approve(&s, &o.admin, outage).await;
    assert!(b["start_at"].as_str().unwrap().ends_with("07:00:00+08:00"), "{b}");
    let rec = day(&s, &o.head, &me, d).await;
    assert_eq!(rec["status"], "HADIR");
    assert_eq!(rec["checkpoints"][0]["code"], Value::Null, "{rec}");
    assert!(rec.to_string().contains(&format!("#{outage}")), "{rec}");
    let other = day(&s, &o.admin, &nip(4), d).await;
    assert_eq!(other["checkpoints"][0]["code"], "TL3", "{other}");

    // Objection: an unexplained day corrected to HADIR by the head, as a new fact. Last month's
    // window may have closed already (the 5th): the BKD extends it (issue 19).
    let until = Timestamp::now().to_zoned_datetime(wita()).date().checked_add(7.days()).unwrap();
    let (st, b) = s
        .post("/api/v1/recap/deadline", &o.admin, json!({"month": month(w[3]), "objection_until": until.to_string()}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let k = created(
        &s,
        &o.emp_sd1,
        json!({"type": "KEBERATAN", "date_from": w[3].to_string(), "reason": "saya hadir, mesin error"}),
    )
    .await;
    let (st, b) = decide(&s, &o.head, k, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("correction_required")));
    let (st, b) =
        decide(&s, &o.head, k, json!({"approve": true, "comment": "terbukti", "correction": {"status": "HADIR"}}))
            .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let rec = day(&s, &o.emp_sd1, &me, w[3]).await;
    assert_eq!(rec["status"], "HADIR", "{rec}");
    assert!(names(&rec["explanation"], k), "{rec}");
    // A punch-time correction: the late 08:40 of the RSUD employee becomes 07:25.
    let k2 =
        created(&s, &o.emp_rsud, json!({"type": "KEBERATAN", "date_from": d.to_string(), "reason": "antre di mesin"}))
            .await;
    let (st, b) =
        decide(&s, &o.admin, k2, json!({"approve": true, "correction": {"checkpoint": "masuk", "time": "07:25"}}))
            .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let other = day(&s, &o.admin, &nip(4), d).await;
    assert_eq!(other["checkpoints"][0]["code"], Value::Null, "{other}");
    assert!(other.to_string().contains(&format!("#{k2}")), "{other}");
    // The raw punch is untouched.
    let (_, raw) = s.get(&format!("/api/v1/punches?employee={}&from={d}&to={d}", nip(4)), &o.admin).await;
    assert!(raw["items"][0]["punched_at"].as_str().unwrap().contains("T08:40:00"), "{raw}");

    // Once the month is locked, objections are refused.
    let pending =
        created(&s, &o.emp_sd1, json!({"type": "KEBERATAN", "date_from": w[4].to_string(), "reason": "x"})).await;
    s.store.lock_month(&month(w[4]), None, Audit::new((None, "test"), "lock", "month", &month(w[4]))).await.unwrap();
    let (st, b) =
        create(&s, &o.emp_sd1, json!({"type": "KEBERATAN", "date_from": w[4].to_string(), "reason": "terlambat"}))
            .await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_locked")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("dikunci"));
    let (st, b) = decide(&s, &o.head, pending, json!({"approve": true, "correction": {"status": "HADIR"}})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month_locked")), "{b}");
}

/// Issue 19, leave by PP 11/2017: service years from the TMT in the NIP, maternity leave for
/// women (gender digit of the NIP), a government doctor for sick leave over 14 days, and no day
/// charged twice (overlapping requests answered 409, also when filed at once). Each refusal
/// names its rule and stores nothing.
#[tokio::test]
async fn leave_by_pp_11_2017() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let w = workdays();
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    let tmt = |months_ago: i32| today.first_of_month().checked_sub(months_ago.months()).unwrap();
    let pns = |t: Date, male: bool, seq: u16| {
        hadir_domain::nip::make_pns(jiff::civil::date(1990, 1, 1), (t.year(), t.month()), male, seq)
    };
    let hire = async |nip: String| {
        let (st, b) = s
            .post(
                "/api/v1/employees",
                &o.admin,
                json!({"nip": nip, "name": "Pegawai Baru", "category": "PNS", "unit_code": "SD1", "password": PW}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        s.login(&nip, PW).await
    };
    let count_mine = async |token: &str| s.get("/api/v1/requests?mine=true", token).await.1["total"].as_i64().unwrap();
    let leave = |kind: &str, from: Date, to: Date| json!({"type": kind, "date_from": from.to_string(), "date_to": to.to_string(), "reason": "keperluan"});

    // Annual leave after one year of service: a CPNS appointed six months ago is refused.
    let new_hire = hire(pns(tmt(6), false, 901)).await;
    let (st, b) = create(&s, &new_hire, leave("CUTI_TAHUNAN", w[0], w[0])).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("service_too_short")), "{b}");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(msg.contains("1 tahun masa kerja") && msg.contains("PP 11/2017") && msg.contains("TMT CPNS"), "{msg}");
    // Cuti besar and CLTN after five years: appointed three years ago, refused.
    let three_years = hire(pns(tmt(36), true, 902)).await;
    for kind in ["CUTI_BESAR", "CLTN"] {
        let (st, b) = create(&s, &three_years, leave(kind, w[0], w[1])).await;
        assert_eq!(
            (st, b["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("service_too_short")),
            "{kind}: {b}"
        );
        assert!(b["error"]["message"].as_str().unwrap().contains("5 tahun masa kerja"), "{b}");
    }
    // …but annual leave, after one year, is theirs.
    created(&s, &three_years, leave("CUTI_TAHUNAN", w[0], w[0])).await;
    assert_eq!(count_mine(&new_hire).await, 0, "nothing stored for the refusals");
    assert_eq!(count_mine(&three_years).await, 1);

    // Maternity leave for women: the NIP of the RSUD employee says male (digit 15 = 1).
    let (st, b) = create(&s, &o.emp_rsud, leave("CUTI_MELAHIRKAN", w[0], w[1])).await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("maternity_women_only")),
        "{b}"
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("cuti alasan penting"), "{b}");
    assert_eq!(count_mine(&o.emp_rsud).await, 0);
    // The SD1 employee's NIP says female: accepted (decided by the BKD).
    let maternity = created(&s, &o.emp_sd1, leave("CUTI_MELAHIRKAN", w[0], w[1])).await;

    // No day charged twice: anything else of hers on those dates is refused 409, naming it.
    for (kind, from, to) in [("IZIN", w[1], w[1]), ("CUTI_TAHUNAN", w[1], w[2]), ("DINAS_LUAR", w[0], w[0])] {
        let (st, b) = create(&s, &o.emp_sd1, leave(kind, from, to)).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("overlapping_request")), "{b}");
        assert!(b["error"]["message"].as_str().unwrap().contains(&format!("#{maternity}")), "{b}");
    }
    assert_eq!(count_mine(&o.emp_sd1).await, 1, "the refused ones left nothing");
    // A draft may overlap; submitting it may not.
    let (st, b) =
        create(&s, &o.emp_sd1, json!({"type": "IZIN", "date_from": w[1].to_string(), "reason": "x", "draft": true}))
            .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let draft = b["id"].as_i64().unwrap();
    let (st, b) = s.post(&format!("/api/v1/requests/{draft}/submit"), &o.emp_sd1, Value::Null).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("overlapping_request")), "{b}");
    let (_, r) = s.get(&format!("/api/v1/requests/{draft}"), &o.emp_sd1).await;
    assert_eq!(r["state"], "draft");
    // Once the maternity leave is cancelled, the day is free again.
    let (st, _) = s.post(&format!("/api/v1/requests/{maternity}/cancel"), &o.emp_sd1, Value::Null).await;
    assert_eq!(st, StatusCode::OK);
    let (st, b) = s.post(&format!("/api/v1/requests/{draft}/submit"), &o.emp_sd1, Value::Null).await;
    assert_eq!((st, b["state"].as_str()), (StatusCode::OK, Some("submitted")), "{b}");

    // Filed at once: the overlap is checked in the store's transaction, so one of four passes.
    let tries = (0..4).map(|_| create(&s, &o.emp_rsud, leave("IZIN", w[3], w[3])));
    let results = futures::future::join_all(tries).await;
    let ok = results.iter().filter(|(st, _)| *st == StatusCode::CREATED).count();
    assert_eq!(ok, 1, "{results:?}");
    for (st, b) in results.iter().filter(|(st, _)| *st != StatusCode::CREATED) {
        assert_eq!((*st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("overlapping_request")), "{b}");
    }

    // Sick leave over 14 days needs a government doctor's letter before approval.
    let long = created(&s, &o.emp_rsud, leave("CUTI_SAKIT", w[4], w[4].checked_add(14.days()).unwrap())).await;
    let (st, b) = decide(&s, &o.admin, long, json!({"approve": true})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("evidence_required")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("dokter pemerintah"), "{b}");
    let (_, r) = s.get(&format!("/api/v1/requests/{long}"), &o.admin).await;
    assert_eq!((r["state"].as_str(), r["evidence_required"].as_bool()), (Some("submitted"), Some(true)), "{r}");
    let (st, _) = attach(&s, &o.emp_rsud, long, "surat dokter RSUD.pdf", pdf()).await;
    assert_eq!(st, StatusCode::CREATED);
    approve(&s, &o.admin, long).await;
}
