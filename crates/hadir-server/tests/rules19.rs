//! Issue 19's rules over HTTP (everything but effective-dated facts): a day with any punch is
//! never TK; objection deadlines and locks with pending objections; weekly minutes of
//! calendars; the TMT and gender fields; the Perbup deduction options.

mod common;

use common::*;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

fn at(d: Date, h: i8, m: i8) -> Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(wita()).unwrap().timestamp()
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

async fn request_state(s: &TestServer, token: &str, id: i64) -> String {
    let (st, b) = s.get(&format!("/api/v1/requests/{id}"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["state"].as_str().unwrap().to_string()
}

async fn recap_state(s: &TestServer, token: &str, q: &str) -> String {
    let (st, b) = s.get(&format!("/api/v1/recap?month=2025-12{q}"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["state"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn objection_deadline_and_lock_with_pending_objections() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    let objection = |d: &str| json!({"type": "KEBERATAN", "date_from": d, "reason": "saya hadir, mesin mati"});
    let count_mine = async |token: &str| s.get("/api/v1/requests?mine=true", token).await.1["total"].as_i64().unwrap();

    // December 2025's window closed on 2026-01-05 (the default): filing is refused, nothing stored.
    let (st, b) = s.post("/api/v1/requests", &o.emp_sd1, objection("2025-12-03")).await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("objection_deadline_passed")),
        "{b}"
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("berakhir 2026-01-05"), "{b}");
    assert_eq!(count_mine(&o.emp_sd1).await, 0);
    // The app shows the deadline in the form.
    let (st, w) = s.get("/api/v1/me/objection-window?date=2025-12-03", &o.emp_sd1).await;
    assert_eq!(st, StatusCode::OK, "{w}");
    assert_eq!((w["month"].as_str(), w["objection_until"].as_str()), (Some("2025-12"), Some("2026-01-05")));
    assert_eq!((w["open"].as_bool(), w["locked"].as_bool()), (Some(false), Some(false)));
    let (st, w) = s.get("/api/v1/me/objection-window?date=kemarin", &o.emp_sd1).await;
    assert_eq!((st, w["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_date")), "{w}");

    // Only an admin extends it (audited).
    let later = today.checked_add(jiff::ToSpan::days(7)).unwrap().to_string();
    let (st, _) =
        s.post("/api/v1/recap/deadline", &o.head, json!({"month": "2025-12", "objection_until": later})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(s.get("/api/v1/me/objection-window?date=2025-12-03", &o.emp_sd1).await.1["open"], false);
    let (st, b) =
        s.post("/api/v1/recap/deadline", &o.admin, json!({"month": "2025-12", "objection_until": later})).await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (_, audit) = s.get("/api/v1/audit?entity=recap", &o.admin).await;
    assert!(audit.to_string().contains("recap.deadline"), "{audit}");
    let (_, w) = s.get("/api/v1/me/objection-window?date=2025-12-03", &o.emp_sd1).await;
    assert_eq!((w["open"].as_bool(), w["objection_until"].as_str()), (Some(true), Some(later.as_str())), "{w}");
    assert!(w["message"].as_str().unwrap().contains(&later), "{w}");

    // Two objections (SD1 and RSUD), then a draft submitted after the window closes.
    let filed = async |token: &str, d: &str| {
        let (st, b) = s.post("/api/v1/requests", token, objection(d)).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        b["id"].as_i64().unwrap()
    };
    let k1 = filed(&o.emp_sd1, "2025-12-03").await;
    let k2 = filed(&o.emp_rsud, "2025-12-04").await;
    let mut draft = objection("2025-12-05");
    draft["draft"] = json!(true);
    let (st, b) = s.post("/api/v1/requests", &o.emp_sd1, draft).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let k3 = b["id"].as_i64().unwrap();

    // The window is open: no lock yet.
    let (st, b) = s.post("/api/v1/recap/lock", &o.admin, json!({"month": "2025-12"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("objection_window_open")), "{b}");
    // The window closes again: the draft can no longer be sent.
    let (st, _) =
        s.post("/api/v1/recap/deadline", &o.admin, json!({"month": "2025-12", "objection_until": "2026-01-05"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, b) = s.post(&format!("/api/v1/requests/{k3}/submit"), &o.emp_sd1, json!({})).await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("objection_deadline_passed")),
        "{b}"
    );
    assert_eq!(request_state(&s, &o.emp_sd1, k3).await, "draft");

    // The recap lists what is pending.
    let (_, r) = s.get("/api/v1/recap?month=2025-12", &o.admin).await;
    let ids: Vec<i64> = r["pending_objections"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [k1, k2], "{r}");

    // Locking is refused while they are pending, naming them; nothing changes.
    let (st, b) = s.post("/api/v1/recap/lock", &o.admin, json!({"month": "2025-12"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("pending_objections")), "{b}");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(msg.contains("Pegawai 3 (2025-12-03") && msg.contains("Pegawai 4 (2025-12-04"), "{msg}");
    assert_eq!(b["error"]["details"]["pending"].as_array().unwrap().len(), 2, "{b}");
    // A unit's lock names only its own.
    let (st, b) = s.post("/api/v1/recap/lock", &o.admin, json!({"month": "2025-12", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    let pending = b["error"]["details"]["pending"].as_array().unwrap();
    assert_eq!((pending.len(), pending[0]["id"].as_i64()), (1, Some(k1)), "{b}");
    // Bad decisions are refused before anything is decided.
    for (body, code) in [
        (json!({"month": "2025-12", "decide_pending": "approve"}), "invalid_decide_pending"),
        (json!({"month": "2025-12", "decide_pending": "reject"}), "reason_required"),
        (
            json!({"month": "2025-12", "decide_pending": "reject", "note": "x", "decisions": [{"id": k3, "approve": false, "comment": "x"}]}),
            "not_pending_objection",
        ),
        (
            json!({"month": "2025-12", "decide_pending": "reject", "note": "x", "decisions": [{"id": k1, "approve": true}]}),
            "correction_required",
        ),
        (json!({"month": "2025-12", "decisions": [{"id": k1, "approve": false}]}), "reason_required"),
    ] {
        let (st, b) = s.post("/api/v1/recap/lock", &o.admin, body.clone()).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{body}: {b}");
    }
    // One named decision only: the other is still pending, so nothing is decided.
    let (st, b) = s
        .post(
            "/api/v1/recap/lock",
            &o.admin,
            json!({"month": "2025-12", "decisions": [{"id": k2, "approve": false, "comment": "tidak terbukti"}]}),
        )
        .await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("pending_objections")), "{b}");
    assert_eq!(b["error"]["details"]["pending"][0]["id"].as_i64(), Some(k1), "{b}");
    for (tok, id) in [(&o.emp_sd1, k1), (&o.emp_rsud, k2)] {
        assert_eq!(request_state(&s, tok, id).await, "submitted");
    }
    assert_eq!(recap_state(&s, &o.admin, "").await, "ready");
    // Only an admin locks.
    let (st, _) = s.post("/api/v1/recap/lock", &o.head, json!({"month": "2025-12", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Decided in the same step: one approved with its correction, the rest rejected with the note.
    let (st, b) = s
        .post(
            "/api/v1/recap/lock",
            &o.admin,
            json!({"month": "2025-12", "decide_pending": "reject", "note": "tidak ada bukti",
                   "decisions": [{"id": k1, "approve": true, "correction": {"status": "HADIR"}}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["decided"], json!([k1, k2]), "{b}");
    assert_eq!(recap_state(&s, &o.admin, "").await, "locked");
    assert_eq!(request_state(&s, &o.emp_sd1, k1).await, "approved");
    let (_, r2) = s.get(&format!("/api/v1/requests/{k2}"), &o.emp_rsud).await;
    assert_eq!((r2["state"].as_str(), r2["decision_comment"].as_str()), (Some("rejected"), Some("tidak ada bukti")));
    // The approved correction is in the frozen figures.
    let (_, days) = s.get(&format!("/api/v1/employees/{}/days?month=2025-12", nip(3)), &o.admin).await;
    assert_eq!(day(&days, date(2025, 12, 3))["status"], "HADIR", "{days}");
    let (_, r) = s.get("/api/v1/recap?month=2025-12&unit=SD1", &o.admin).await;
    let row = r["employees"].as_array().unwrap().iter().find(|e| e["employee"]["login"] == nip(3)).unwrap();
    assert_eq!(row["locked"], true, "{row}");
    let (_, audit) = s.get("/api/v1/audit?entity=request", &o.admin).await;
    let a = audit.to_string();
    assert!(a.contains("\"approve\"") && a.contains("\"reject\""), "{audit}");
    assert!(r["pending_objections"].as_array().unwrap().is_empty());
}

/// The console's session cookie (the login form), and its htmx form posts.
mod console {
    use super::*;
    use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};

    fn client() -> reqwest::Client {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    pub async fn session(s: &TestServer, user: &str, pw: &str) -> String {
        let r = client()
            .post(s.url("/admin/login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("username={user}&password={pw}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let c = r.headers().get(SET_COOKIE).unwrap().to_str().unwrap().to_string();
        c.split(';').next().unwrap().to_string()
    }

    pub async fn get(s: &TestServer, path: &str, cookie: &str) -> (StatusCode, String) {
        let r = client().get(s.url(path)).header(COOKIE, cookie).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    pub async fn post(s: &TestServer, path: &str, cookie: &str, body: &str) -> (StatusCode, String) {
        let r = client()
            .post(s.url(path))
            .header(COOKIE, cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("HX-Request", "true")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }
}

#[tokio::test]
async fn console_recap_extends_the_deadline_and_decides_objections_when_locking() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let a = console::session(&s, "admin", ADMIN_PW).await;
    let later = Timestamp::now().to_zoned_datetime(wita()).date().checked_add(jiff::ToSpan::days(3)).unwrap();

    // The deadline form (admin), audited through the API's handler.
    let (st, body) =
        console::post(&s, "/admin/recap/deadline", &a, &format!("month=2025-12&objection_until={later}")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains(&later.strftime("%d-%m-%Y").to_string()), "{body}");
    let (st, body) = console::post(&s, "/admin/recap/deadline", &a, "month=2025-12&objection_until=2025-12-20").await;
    assert!(st.is_client_error() && body.contains("sesudah akhir bulan"), "{st} {body}");
    let mk = async |token: &str, d: &str| {
        let (st, b) = s
            .post("/api/v1/requests", token, json!({"type": "KEBERATAN", "date_from": d, "reason": "mesin rusak"}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        b["id"].as_i64().unwrap()
    };
    let k1 = mk(&o.emp_sd1, "2025-12-08").await;
    let k2 = mk(&o.emp_rsud, "2025-12-09").await;
    let (st, _) = console::post(&s, "/admin/recap/deadline", &a, "month=2025-12&objection_until=2026-01-05").await;
    assert_eq!(st, StatusCode::OK);

    // The recap screen lists them with a decision for each.
    let (st, page) = console::get(&s, "/admin/recap?month=2025-12", &a).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("Keberatan menunggu keputusan (2)"), "{page}");
    for id in [k1, k2] {
        assert!(page.contains(&format!("data-objection=\"{id}\"")) && page.contains(&format!("name=\"d{id}\"")));
    }
    assert!(page.contains("2025-12-08") && page.contains("Pegawai 3"), "{page}");

    // Locking without deciding is refused, naming them; nothing is locked.
    let (st, body) = console::post(&s, "/admin/recap/lock", &a, "month=2025-12&unit=").await;
    assert!(st.is_client_error() && body.contains("Pegawai 3 (2025-12-08"), "{st} {body}");
    assert_eq!(recap_state(&s, &o.admin, "").await, "ready");
    // Approve one (HADIR), reject the rest with a note: decided and locked in one step.
    let (st, body) = console::post(
        &s,
        "/admin/recap/lock",
        &a,
        &format!("month=2025-12&unit=&d{k1}=approve&d{k2}=&reject_rest=on&note=tidak+terbukti"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("2 keberatan diputus sekaligus"), "{body}");
    assert_eq!(recap_state(&s, &o.admin, "").await, "locked");
    assert_eq!(request_state(&s, &o.emp_sd1, k1).await, "approved");
    assert_eq!(request_state(&s, &o.emp_rsud, k2).await, "rejected");
    let (_, page) = console::get(&s, "/admin/recap?month=2025-12", &a).await;
    assert!(!page.contains("Keberatan menunggu keputusan"), "{page}");
}

#[tokio::test]
async fn weekly_hours_below_37_5_are_refused_unless_ramadan_or_roster() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let count = async || s.get("/api/v1/calendars", &o.admin).await.1.as_array().unwrap().len();
    let before = count().await;
    // Mon–Fri 07:30–14:00 less 60 min: 27 h 30 min.
    let mut short = serde_json::to_value(hadir_domain::Calendar::perpres_21_2023()).unwrap();
    short["name"] = json!("Pendek");
    for d in ["monday", "tuesday", "wednesday", "thursday", "friday"] {
        short["weekly"][d]["checkpoints"][1]["due"] = json!("14:00");
        short["weekly"][d]["break_minutes"] = json!(60);
    }
    let (st, b) = s.post("/api/v1/calendars", &o.admin, short.clone()).await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("weekly_hours_too_short")),
        "{b}"
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("hanya 27 jam 30 menit per minggu"), "{b}");
    assert_eq!(b["error"]["details"]["weekly_minutes"], 1650);
    assert_eq!(count().await, before, "nothing stored");

    // Marked Ramadan it still needs 32 h 30 min; a roster calendar has no weekly minimum.
    short["kind"] = json!("ramadan");
    let (st, b) = s.post("/api/v1/calendars", &o.admin, short.clone()).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("weekly_hours_too_short")));
    assert!(b["error"]["message"].as_str().unwrap().contains("paling sedikit 32 jam 30 menit"), "{b}");
    let mut ramadan =
        serde_json::to_value(hadir_domain::Calendar::with_weekly("Ramadan", hadir_domain::WeeklyPattern::ramadan()))
            .unwrap();
    let (st, b) = s.post("/api/v1/calendars", &o.admin, ramadan.clone()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "unmarked 32.5 h is refused: {b}");
    ramadan["kind"] = json!("ramadan");
    let (st, b) = s.post("/api/v1/calendars", &o.admin, ramadan).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["weekly_minutes"], 1950);
    short["kind"] = json!("roster");
    short["name"] = json!("Shift IGD");
    let (st, b) = s.post("/api/v1/calendars", &o.admin, short.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(b["calendar"]["kind"], "roster");

    // A Ramadan period inside a regular calendar: only when marked.
    let mut cal = serde_json::to_value(hadir_domain::Calendar::perpres_21_2023()).unwrap();
    cal["name"] = json!("Standar + Ramadan");
    let mut period = serde_json::to_value(hadir_domain::ScheduleOverride::ramadan(
        "Ramadan 1447 H",
        date(2026, 2, 18),
        date(2026, 3, 19),
    ))
    .unwrap();
    assert_eq!(period["kind"], "ramadan");
    period.as_object_mut().unwrap().remove("kind");
    cal["overrides"] = json!([period.clone()]);
    let (st, b) = s.post("/api/v1/calendars", &o.admin, cal.clone()).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("weekly_hours_too_short")));
    assert!(b["error"]["message"].as_str().unwrap().starts_with("Periode Ramadan 1447 H hanya 32 jam 30 menit"), "{b}");
    period["kind"] = json!("ramadan");
    cal["overrides"] = json!([period]);
    let (st, b) = s.post("/api/v1/calendars", &o.admin, cal).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    // The default calendar's update is checked too; the console shows the minutes.
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let default = cals.as_array().unwrap().iter().find(|c| c["is_default"] == true).unwrap().clone();
    let id = default["id"].as_i64().unwrap();
    let mut shorter = default["calendar"].clone();
    shorter["weekly"]["friday"] = Value::Null;
    let (st, b) = s.call(reqwest::Method::PUT, &format!("/api/v1/calendars/{id}"), Some(&o.admin), shorter).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("weekly_hours_too_short")));
    let (_, again) = s.get("/api/v1/calendars", &o.admin).await;
    let d = again.as_array().unwrap().iter().find(|c| c["id"] == id).unwrap();
    assert_eq!(d["weekly_minutes"], 2250, "unchanged");
    let a = console::session(&s, "admin", ADMIN_PW).await;
    let (st, page) = console::get(&s, &format!("/admin/policies/calendars/{id}"), &a).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("(2250 menit; paling sedikit 37 jam 30 menit)"), "{page}");
    assert_eq!(page.matches("<td class=\"num\">450</td>").count(), 5, "{page}");
    // Saving a shorter week from the editor is refused with the same message.
    let mut form = String::from("name=Standar&kind=regular");
    for d in ["mon", "tue", "wed", "thu"] {
        form.push_str(&format!(
            "&{d}_work=1&{d}_in_due=07:30&{d}_in_from=06:00&{d}_in_to=10:00&{d}_out_due=16:00&{d}_out_from=12:00&{d}_out_to=18:00&{d}_break=60"
        ));
    }
    let (st, body) = console::post(&s, &format!("/admin/policies/calendars/{id}"), &a, &form).await;
    assert!(st.is_client_error() && body.contains("hanya 30 jam per minggu"), "{st} {body}");
}

#[tokio::test]
async fn service_start_and_gender_fields_override_the_nip_for_leave() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let today = Timestamp::now().to_zoned_datetime(wita()).date();
    let monday = {
        let mut d = today.checked_add(jiff::ToSpan::days(14)).unwrap();
        while d.weekday() != jiff::civil::Weekday::Monday {
            d = d.tomorrow().unwrap();
        }
        d
    };
    let leave = |kind: &str| json!({"type": kind, "date_from": monday.to_string(), "date_to": monday.to_string(), "reason": "keperluan"});
    let patch = async |token: &str, who: &str, body: Value| {
        s.call(reqwest::Method::PATCH, &format!("/api/v1/employees/{who}"), Some(token), body).await
    };

    // The RSUD employee's NIP says male (a typo in the NIP, say): maternity leave is refused…
    let (st, b) = s.post("/api/v1/requests", &o.emp_rsud, leave("CUTI_MELAHIRKAN")).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("maternity_women_only")));
    // …until the BKD records her gender; the field overrides the NIP.
    let (st, b) = patch(&o.admin, &nip(4), json!({"gender": "X"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_gender")), "{b}");
    let (_, e) = s.get(&format!("/api/v1/employees/{}", nip(4)), &o.admin).await;
    assert_eq!(e["gender"], Value::Null, "nothing changed");
    let (st, e) = patch(&o.admin, &nip(4), json!({"gender": "p"})).await;
    assert_eq!((st, e["gender"].as_str()), (StatusCode::OK, Some("P")), "{e}");
    let (st, b) = s.post("/api/v1/requests", &o.emp_rsud, leave("CUTI_MELAHIRKAN")).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    // A PPPK's number carries no TMT: the recorded service start decides annual leave.
    let pppk = "199001012022211001";
    let recent = today.checked_sub(jiff::ToSpan::months(3)).unwrap();
    let (st, e) = s
        .post(
            "/api/v1/employees",
            &o.operator,
            json!({"nip": pppk, "name": "Guru PPPK", "category": "PPPK", "unit_code": "SD1", "password": PW,
                   "service_start": recent.to_string(), "gender": "P", "grade": 7}),
        )
        .await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("admin_only_field")), "grade: {e}");
    let (st, e) = s
        .post(
            "/api/v1/employees",
            &o.operator,
            json!({"nip": pppk, "name": "Guru PPPK", "category": "PPPK", "unit_code": "SD1", "password": PW,
                   "service_start": recent.to_string(), "gender": "P"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{e}");
    assert_eq!((e["service_start"].as_str(), e["gender"].as_str()), (Some(recent.to_string().as_str()), Some("P")));
    let token = s.login(pppk, PW).await;
    let (st, b) = s.post("/api/v1/requests", &token, leave("CUTI_TAHUNAN")).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("service_too_short")), "{b}");
    // Bad values are refused and change nothing.
    let future = today.checked_add(jiff::ToSpan::days(3)).unwrap();
    for (body, code) in [
        (json!({"service_start": future.to_string()}), "invalid_date"),
        (json!({"service_start": "kemarin"}), "invalid_date"),
        (json!({"grade": 18}), "invalid_grade"),
    ] {
        let (st, b) = patch(&o.admin, pppk, body.clone()).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{body}: {b}");
    }
    let (st, b) = patch(&o.operator, pppk, json!({"grade": 9})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("admin_only_field")), "{b}");
    let (_, e) = s.get(&format!("/api/v1/employees/{pppk}"), &o.admin).await;
    assert_eq!((e["service_start"].as_str(), e["grade"].as_i64()), (Some(recent.to_string().as_str()), None));
    // Two years of service recorded: annual leave is theirs.
    let earlier = today.checked_sub(jiff::ToSpan::years(2)).unwrap();
    let (st, e) = patch(&o.operator, pppk, json!({"service_start": earlier.to_string()})).await;
    assert_eq!(st, StatusCode::OK, "{e}");
    let (st, b) = s.post("/api/v1/requests", &token, leave("CUTI_TAHUNAN")).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let (_, audit) = s.get("/api/v1/audit?entity=employee", &o.admin).await;
    assert!(audit.to_string().contains(&earlier.to_string()), "audited");
    // Cleared again: the NIP (no TMT for PPPK) decides, so nothing refuses on service grounds.
    let (st, e) = patch(&o.admin, pppk, json!({"service_start": "", "grade": 0})).await;
    assert_eq!((st, e["service_start"].as_str()), (StatusCode::OK, None), "{e}");

    // The CSV import carries the same columns.
    let csv = format!(
        "nip,name,category,unit_code,service_start,gender,grade\n{},Impor Satu,PNS,SD1,2010-01-01,P,9\n{},Impor Dua,PNS,SD1,,X,\n",
        nip(61),
        nip(62)
    );
    let r = s
        .client
        .post(s.url("/api/v1/employees/import"))
        .bearer_auth(&o.admin)
        .header(reqwest::header::CONTENT_TYPE, "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(1), Some(1)), "{report}");
    assert_eq!(report["errors"][0]["field"], "gender", "{report}");
    let (_, e) = s.get(&format!("/api/v1/employees/{}", nip(61)), &o.admin).await;
    assert_eq!(
        (e["service_start"].as_str(), e["gender"].as_str(), e["grade"].as_i64()),
        (Some("2010-01-01"), Some("P"), Some(9)),
        "{e}"
    );
    assert_eq!(s.get(&format!("/api/v1/employees/{}", nip(62)), &o.admin).await.0, StatusCode::NOT_FOUND);

    // The console's edit form shows and sets them.
    let a = console::session(&s, "admin", ADMIN_PW).await;
    let (_, page) = console::get(&s, &format!("/admin/employees/{}", nip(61)), &a).await;
    assert!(page.contains("name=\"service_start\"") && page.contains("value=\"2010-01-01\""), "{page}");
    let (st, body) = console::post(
        &s,
        &format!("/admin/employees/{}/edit", nip(61)),
        &a,
        "name=Impor+Satu&service_start=2011-05-01&gender=L&grade=10",
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("3 kolom diubah"), "{body}");
    let (_, e) = s.get(&format!("/api/v1/employees/{}", nip(61)), &o.admin).await;
    assert_eq!(
        (e["service_start"].as_str(), e["gender"].as_str(), e["grade"].as_i64()),
        (Some("2011-05-01"), Some("L"), Some(10))
    );
}

/// The three Perbup options over HTTP, each a rule set in force from 1 December 2025, on one
/// employee's second half of December (counted from the 15th; 11 working days in WITA, all
/// punched): late 30, 40 and 15 minutes and 60 minutes early; by default TL1 + TL2 + TL1 +
/// PSW2 = 3%.
#[tokio::test]
async fn perbup_deduction_options_in_the_monthly_recap() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b) = s
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/employees/{}", nip(3)),
            Some(&o.admin),
            json!({"start_date": "2025-12-15", "tpp_base": 5_000_000, "grade": 10}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let emp = emp_id(&s, 3).await;
    let mut ps = Vec::new();
    for day in [15, 16, 17, 18, 19, 22, 23, 24, 29, 30, 31] {
        let d = date(2025, 12, day);
        let (ih, im) = match day {
            15 => (8, 0),
            16 => (8, 10),
            17 => (7, 45),
            _ => (7, 20),
        };
        let (oh, om) = if day == 18 { (15, 0) } else { (16, 40) };
        ps.push(punch(emp, at(d, ih, im)));
        ps.push(punch(emp, at(d, oh, om)));
    }
    s.store.insert_punches(&ps).await.unwrap();
    let row = async || {
        let (st, r) = s.get("/api/v1/recap?month=2025-12&unit=SD1", &o.admin).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        r["employees"].as_array().unwrap().iter().find(|e| e["employee"]["login"] == nip(3)).unwrap()["recap"].clone()
    };
    let note = |r: &Value, prefix: &str| {
        r["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .find(|n| n.starts_with(prefix))
            .map(String::from)
    };
    let base = row().await;
    assert_eq!((base["deduction_computed"].as_f64(), base["days_tk"].as_u64()), (Some(3.0), Some(0)), "{base}");
    // The TPP is pro-rated for the part month (issue 19): 11 of December's 21 working days, so
    // 5,000,000 × 40 % × 11/21 = 1,047,619 and 3 % of it.
    assert_eq!(base["rupiah_applied"], 31_429);
    let mut rules = serde_json::to_value(hadir_domain::RuleSet::default()).unwrap();
    rules["effective_from"] = json!("2025-12-01");
    let add = async |name: &str, extra: Value| {
        let mut r = rules.clone();
        r["name"] = json!(name);
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        s.post("/api/v1/rule-sets", &o.admin, r).await
    };

    // A bad option is refused and nothing changes.
    let (st, b) = add("Salah", json!({"late_escalation": [{"from_count": 2, "percent": 1.0}]})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rules_escalation")), "{b}");
    assert_eq!(row().await["deduction_computed"], 3.0);

    // Cumulative minutes: 145 minutes, one block of 100 → one TK day (3%), replacing the 3%.
    let (st, b) = add("Perbup menit kumulatif", json!({"cumulative_minutes": 100})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let r = row().await;
    assert_eq!(r["deduction_computed"], 3.0, "{r}");
    let n = note(&r, "Menit kumulatif").unwrap();
    assert!(n.contains("145 menit sebulan = 1 × 100 menit") && n.contains("potongan TK 3% = 3%"), "{n}");
    let (_, b) = add("Perbup menit kumulatif 450", json!({"cumulative_minutes": 450})).await;
    assert_eq!(b["rules"]["cumulative_minutes"], 450, "{b}");
    assert_eq!(row().await["deduction_computed"], 0.0, "145 minutes are less than a day");

    // Escalation by count: the 1st, 2nd and 3rd late arrivals cost 0.5, 1 and 2% (3.5%) + PSW2 1%.
    let steps = json!([{"from_count": 1, "percent": 0.5}, {"from_count": 2, "percent": 1.0}, {"from_count": 3, "percent": 2.0}]);
    let (st, b) = add("Perbup bertingkat", json!({"late_escalation": steps})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let r = row().await;
    assert_eq!(r["deduction_computed"], 4.5, "{r}");
    assert!(note(&r, "Keterlambatan bertingkat").unwrap().contains("3 kali terlambat → 3,5%"), "{r}");

    // Position class: kelas jabatan 10 pays 150% of the 3%.
    let scale =
        json!([{"grade_from": 1, "grade_to": 8, "percent": 50.0}, {"grade_from": 9, "grade_to": 17, "percent": 150.0}]);
    let (st, b) = add("Perbup kelas jabatan", json!({"grade_scale": scale})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let r = row().await;
    assert_eq!((r["deduction_computed"].as_f64(), r["rupiah_applied"].as_i64()), (Some(4.5), Some(47_143)), "{r}");
    assert_eq!(note(&r, "Kelas jabatan").unwrap(), "Kelas jabatan 10 (Perbup): potongan × 150% (3% → 4,5%).");
    let (st, _) = s
        .call(reqwest::Method::PATCH, &format!("/api/v1/employees/{}", nip(3)), Some(&o.admin), json!({"grade": 5}))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(row().await["deduction_computed"], 1.5);
}
