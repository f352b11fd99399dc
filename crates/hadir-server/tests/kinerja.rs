//! Issue 22 over HTTP: the daily work report (laporan kinerja harian). An employee files
//! activities for a day they were present on, edits them until they are validated; heads and
//! operators of the unit subtree approve or return them (one by one, a list, a person-week),
//! never their own; every refusal leaves the stored activities as they were.

mod common;

use common::*;
use hadir_domain::{DEFAULT_HOLIDAYS_CSV, holiday_on, parse_holiday_csv};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

fn at(d: Date, h: i8, m: i8) -> Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(wita()).unwrap().timestamp()
}

/// Monday–Thursday working days of the last six days (not today), newest first: an activity
/// may be filed up to seven days back.
fn recent_workdays() -> Vec<Date> {
    let holidays = parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap();
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    let mut out = Vec::new();
    for back in 1..=6 {
        let d = today.checked_sub(back.days()).unwrap();
        if matches!(d.weekday(), Weekday::Monday | Weekday::Tuesday | Weekday::Wednesday | Weekday::Thursday)
            && holiday_on(&holidays, d).is_none()
        {
            out.push(d);
        }
    }
    assert!(out.len() >= 2, "{out:?}");
    out
}

async fn present(s: &TestServer, login: &str, d: Date) {
    let e = s.store.employee_by_login(login).await.unwrap();
    s.store.insert_punches(&[punch(e.id, at(d, 7, 20)), punch(e.id, at(d, 16, 5))]).await.unwrap();
}

fn activity(d: Date, start: &str, end: &str) -> Value {
    json!({"date": d.to_string(), "description": "Menyusun RPP kelas 4", "output": "RPP", "volume": 3,
           "volume_unit": "dokumen", "start": start, "end": end})
}

async fn file(s: &TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    s.post("/api/v1/me/activities", token, body).await
}

async fn filed(s: &TestServer, token: &str, body: Value) -> i64 {
    let (st, b) = file(s, token, body).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["state"], "submitted");
    b["id"].as_i64().unwrap()
}

/// Everything stored, as (id, state, description, start, note) — what "nothing changed" compares.
async fn snapshot(s: &TestServer) -> Vec<(i64, String, String, u32, Option<String>)> {
    s.store
        .list_activities(&hadir_store::ActivityFilter { limit: 5000, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.state.as_str().to_string(), a.description, a.start_minute, a.note))
        .collect()
}

async fn validate(s: &TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    s.post("/api/v1/activities/validate", token, body).await
}

fn code(b: &Value) -> &str {
    b["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn activity_lifecycle_and_refusals() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let days = recent_workdays();
    let (d, absent) = (days[0], days[1]);
    let teacher = nip(3);
    present(&s, &teacher, d).await;
    present(&s, &nip(2), d).await; // the head
    present(&s, &nip(4), d).await; // RSUD, outside the head's unit

    // Filed for a present day: submitted, editable by its employee.
    let (st, b) = file(&s, &o.emp_sd1, activity(d, "08:00", "10:00")).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let a1 = b["id"].as_i64().unwrap();
    assert_eq!(
        (b["state"].as_str(), b["minutes"].as_u64(), b["can_edit"].as_bool()),
        (Some("submitted"), Some(120), Some(true))
    );
    assert_eq!(b["start"], "08:00");
    assert_eq!(b["state_label"], "Menunggu validasi");

    // Refusals, each answered with its code and an Indonesian message, none stores anything.
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    let before = snapshot(&s).await;
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (activity(absent, "08:00", "09:00"), StatusCode::UNPROCESSABLE_ENTITY, "not_present"),
        (activity(d, "09:30", "11:00"), StatusCode::CONFLICT, "overlapping_activity"),
        (activity(d, "11:00", "10:00"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_range"),
        (activity(d, "11:00", "25:00"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_time"),
        (activity(today.tomorrow().unwrap(), "08:00", "09:00"), StatusCode::UNPROCESSABLE_ENTITY, "future_day"),
        (
            activity(today.checked_sub(30.days()).unwrap(), "08:00", "09:00"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_late",
        ),
        (
            json!({"date": d.to_string(), "description": " ", "output": "x", "volume": 1, "volume_unit": "x", "start": "12:00", "end": "13:00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "description_required",
        ),
        (
            json!({"date": d.to_string(), "description": "x", "output": "x", "volume": 0, "volume_unit": "x", "start": "12:00", "end": "13:00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_volume",
        ),
        (
            json!({"date": "20 Nov", "description": "x", "output": "x", "volume": 1, "volume_unit": "x", "start": "12:00", "end": "13:00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_date",
        ),
    ];
    for (body, status, want) in cases {
        let (st, b) = file(&s, &o.emp_sd1, body.clone()).await;
        assert_eq!((st, code(&b)), (status, want), "{body} → {b}");
        assert!(!b["error"]["message"].as_str().unwrap().is_empty());
    }
    // A body that is not an activity at all: a 4xx, never a panic.
    let (st, _) = file(&s, &o.emp_sd1, json!({"description": 5})).await;
    assert!(st.is_client_error(), "{st}");
    // An admin without an employee record files nothing.
    let (st, b) = file(&s, &o.admin, activity(d, "12:00", "13:00")).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, "not_an_employee"));
    assert_eq!(snapshot(&s).await, before);

    // Edit while waiting: fields change, still submitted.
    let mut edit = activity(d, "08:00", "10:30");
    edit["description"] = json!("Menyusun RPP dan LKPD kelas 4");
    let (st, b) = s.call(Method::PUT, &format!("/api/v1/me/activities/{a1}"), Some(&o.emp_sd1), edit.clone()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!((b["end"].as_str(), b["minutes"].as_u64()), (Some("10:30"), Some(150)));

    // Nobody else edits it or sees it: another employee gets 404, as for an id nobody has.
    let before = snapshot(&s).await;
    let (st, _) = s.call(Method::PUT, &format!("/api/v1/me/activities/{a1}"), Some(&o.emp_rsud), edit.clone()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.call(Method::DELETE, &format!("/api/v1/me/activities/{a1}"), Some(&o.emp_rsud), Value::Null).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.call(Method::PUT, "/api/v1/me/activities/999999", Some(&o.emp_sd1), edit.clone()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Employees do not list or validate others' reports.
    let (st, _) = s.get("/api/v1/activities", &o.emp_rsud).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = validate(&s, &o.emp_rsud, json!({"ids": [a1], "approve": true})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&s).await, before);

    // The head of SD1 sees it as waiting and may validate it; the RSUD employee's is not theirs.
    let rsud_act = filed(&s, &o.emp_rsud, activity(d, "08:00", "09:00")).await;
    let (st, b) = s.get("/api/v1/activities", &o.head).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let ids: Vec<i64> = b["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![a1]);
    assert_eq!(b["items"][0]["can_validate"], true);
    assert_eq!(b["items"][0]["employee_login"], teacher.as_str());
    let before = snapshot(&s).await;
    let (st, b) = validate(&s, &o.head, json!({"ids": [rsud_act], "approve": true})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    // All or nothing: one outside the scope refuses the whole list.
    let (st, _) = validate(&s, &o.head, json!({"ids": [a1, rsud_act], "approve": true})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Returning needs a note.
    let (st, b) = validate(&s, &o.head, json!({"ids": [a1], "approve": false, "note": "  "})).await;
    assert_eq!((st, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "note_required"));
    let (st, b) = validate(&s, &o.head, json!({"approve": true})).await;
    assert_eq!((st, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "target_required"));
    assert_eq!(snapshot(&s).await, before);

    // Return with a note; the employee sees it, edits, and it waits again.
    let (st, b) = validate(&s, &o.head, json!({"ids": [a1], "approve": false, "note": "Lampirkan RPP-nya"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!((b["validated"].as_u64(), b["items"][0]["state"].as_str()), (Some(1), Some("returned")));
    let (st, b) = s.get(&format!("/api/v1/me/activities?date={d}"), &o.emp_sd1).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (b["items"][0]["state"].as_str(), b["items"][0]["note"].as_str()),
        (Some("returned"), Some("Lampirkan RPP-nya"))
    );
    // A returned one is not waiting: approving it before the edit is refused.
    let (st, b) = validate(&s, &o.head, json!({"ids": [a1], "approve": true})).await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "not_waiting"));
    let (st, b) = s.call(Method::PUT, &format!("/api/v1/me/activities/{a1}"), Some(&o.emp_sd1), edit.clone()).await;
    assert_eq!((st, b["state"].as_str()), (StatusCode::OK, Some("submitted")), "{b}");

    // The attachment: a photo of the output, read by the head, not by a stranger.
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(jpeg(64)).file_name("rpp.jpg").mime_str("image/jpeg").unwrap());
    let r = s
        .client
        .post(s.url(&format!("/api/v1/me/activities/{a1}/attachment")))
        .bearer_auth(&o.emp_sd1)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let b: Value = r.json().await.unwrap();
    let url = b["attachment_url"].as_str().unwrap().to_string();
    let r = s.client.get(s.url(&url)).bearer_auth(&o.head).send().await.unwrap();
    assert_eq!((r.status(), r.headers()["content-type"].to_str().unwrap()), (StatusCode::OK, "image/jpeg"));
    let r = s.client.get(s.url(&url)).bearer_auth(&o.emp_rsud).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(b"MZ not a photo".to_vec()).file_name("x.exe"));
    let r = s
        .client
        .post(s.url(&format!("/api/v1/me/activities/{a1}/attachment")))
        .bearer_auth(&o.emp_sd1)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b: Value = r.json().await.unwrap();
    assert_eq!(code(&b), "attachment_type");

    // Bulk per person-week: the head approves every waiting activity of the teacher's week.
    let a2 = filed(&s, &o.emp_sd1, activity(d, "13:00", "14:00")).await;
    let (st, b) = validate(&s, &o.head, json!({"employee": teacher, "week_of": d.to_string(), "approve": true})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let mut got: Vec<i64> = b["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    got.sort();
    assert_eq!(got, vec![a1, a2]);
    assert!(
        b["items"].as_array().unwrap().iter().all(|x| x["state"] == "approved" && x["validated_by"] == "Pegawai 2")
    );

    // Approved is final: no edit, no delete, no second validation, no new attachment.
    let before = snapshot(&s).await;
    let (st, b) = s.call(Method::PUT, &format!("/api/v1/me/activities/{a1}"), Some(&o.emp_sd1), edit.clone()).await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "already_approved"));
    let (st, b) = s.call(Method::DELETE, &format!("/api/v1/me/activities/{a2}"), Some(&o.emp_sd1), Value::Null).await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "already_approved"));
    let (st, b) = validate(&s, &o.operator, json!({"ids": [a2], "approve": false, "note": "ulang"})).await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "not_waiting"));
    // A list mixing a waiting and an approved activity changes neither.
    let a3 = filed(&s, &o.emp_sd1, activity(d, "14:00", "15:00")).await;
    assert_eq!(snapshot(&s).await.into_iter().filter(|x| x.0 != a3).collect::<Vec<_>>(), before);
    let before = snapshot(&s).await;
    let (st, b) = validate(&s, &o.head, json!({"ids": [a3, a2], "approve": true})).await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "not_waiting"));
    assert_eq!(snapshot(&s).await, before);

    // Nobody validates their own: the head's own activity is refused to the head, and the
    // operator of the parent unit validates it.
    let own = filed(&s, &o.head, activity(d, "08:00", "09:00")).await;
    let before = snapshot(&s).await;
    let (st, b) = validate(&s, &o.head, json!({"ids": [own], "approve": true})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, "own_activity"));
    let (st, b) = validate(&s, &o.head, json!({"employee": nip(2), "week_of": d.to_string(), "approve": true})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, "own_activity"));
    assert_eq!(snapshot(&s).await, before);
    let (st, b) = s.get("/api/v1/activities", &o.head).await;
    assert_eq!(st, StatusCode::OK);
    let mine = b["items"].as_array().unwrap().iter().find(|x| x["id"] == own).unwrap();
    assert_eq!(mine["can_validate"], false);
    let (st, b) = validate(&s, &o.operator, json!({"ids": [own], "approve": true})).await;
    assert_eq!((st, b["validated"].as_u64()), (StatusCode::OK, Some(1)), "{b}");

    // The month's minutes in the employee's own list; approved ones counted apart.
    let (_, b) = s.get(&format!("/api/v1/me/activities?month={}", &d.to_string()[..7]), &o.emp_sd1).await;
    assert_eq!((b["minutes"].as_u64(), b["approved_minutes"].as_u64()), (Some(150 + 60 + 60), Some(150 + 60)));

    // Audited: each write names who did it.
    let (st, b) = s.get("/api/v1/audit?entity=activity&limit=100", &o.admin).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let actions: Vec<&str> = b["items"].as_array().unwrap().iter().map(|x| x["action"].as_str().unwrap()).collect();
    for want in ["kinerja.create", "kinerja.update", "kinerja.return", "kinerja.approve", "kinerja.attach"] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn console_session(s: &TestServer, user: &str, pw: &str) -> String {
    let r = no_redirects()
        .post(s.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={pw}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

async fn console(s: &TestServer, cookie: &str, method: Method, path: &str, form: &str) -> (StatusCode, String) {
    let mut r = no_redirects().request(method, s.url(path)).header("cookie", cookie);
    if !form.is_empty() {
        r = r.header("content-type", "application/x-www-form-urlencoded").body(form.to_string());
    }
    let r = r.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_console_validates_per_person_week() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let d = recent_workdays()[0];
    present(&s, &nip(3), d).await;
    let a1 = filed(&s, &o.emp_sd1, activity(d, "08:00", "09:00")).await;
    let a2 = filed(&s, &o.emp_sd1, activity(d, "09:00", "10:30")).await;
    let head = console_session(&s, &nip(2), PW).await;

    let (st, page) = console(&s, &head, Method::GET, "/admin/kinerja", "").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("Pegawai 3") && page.contains("2 kegiatan") && page.contains("2 jam 30 menit"), "{page}");
    assert!(page.contains(&format!("name=\"id\" value=\"{a1}\"")));

    // Refusals change nothing: nothing ticked; returning without a note.
    let before = snapshot(&s).await;
    let (st, body) = console(&s, &head, Method::POST, "/admin/kinerja/validate", "decision=approve&note=").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Centang dulu"), "{body}");
    let (st, body) =
        console(&s, &head, Method::POST, "/admin/kinerja/validate", &format!("id={a1}&decision=return&note=")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("catatan"), "{body}");
    assert_eq!(snapshot(&s).await, before);

    // Return one with a note, then approve the rest of the week at once.
    let (st, _) = console(
        &s,
        &head,
        Method::POST,
        "/admin/kinerja/validate",
        &format!("id={a1}&decision=return&note=Tambahkan+jumlah+siswa"),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let form = format!("employee={}&week_of={d}&whole_week=1&decision=approve", nip(3));
    let (st, _) = console(&s, &head, Method::POST, "/admin/kinerja/validate", &form).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let states: Vec<(i64, String, Option<String>)> =
        snapshot(&s).await.into_iter().map(|(id, st, _, _, note)| (id, st, note)).collect();
    assert_eq!(
        states,
        vec![(a1, "returned".into(), Some("Tambahkan jumlah siswa".into())), (a2, "approved".into(), None)]
    );
    let (_, page) = console(&s, &head, Method::GET, "/admin/kinerja?state=all", "").await;
    assert!(page.contains("Dikembalikan") && page.contains("Disetujui"), "{page}");
}
