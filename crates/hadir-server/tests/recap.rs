//! Issue 8 over HTTP: the monthly recap against a month worked by hand as the clerk would,
//! rule changes mid-month, trial mode, categories not rolled out, the cap, lock/late punch/
//! audited reopen, CSV, and the XLSX opened by a real reader (openpyxl).
//!
//! The clerk's month, December 2025, unit SD1 (WITA), default calendar (Mon–Thu 07:30–16:00,
//! Fri 07:30–16:30, 450 minutes a day), default rules (TL2 1%, PSW1 0.5%, TK 3%, 40% share):
//!
//! | date       | what                          | code  | deduction |
//! |------------|-------------------------------|-------|-----------|
//! | Tue 2      | 08:15–16:00 (45 min late)     | TL2   | 1.00%     |
//! | Thu 4      | 07:30–15:45 (15 min early)    | PSW1  | 0.50%     |
//! | Tue 9      | nothing                       | TK    | 3.00%     |
//! | Wed 10–11  | cuti tahunan (approved)       | —     | 0         |
//! | Thu 25     | Natal (holiday)               | LIBUR | —         |
//! | Fri 26     | cuti bersama                  | LIBUR | —         |
//! | other 15   | on time                       | —     | 0         |
//!
//! Working days: 23 weekdays − 2 holidays = 21; present 21 − 1 TK − 2 leave = 18.
//! Total 4.5%. TPP Rp 7.333.333 × 40% = Rp 2.933.333,20; × 4.5% = Rp 131.999,994 → Rp 132.000.
//! Minutes required (18 present + 1 TK) × 450 = 8.550; present 18 × 450 − 45 − 15 = 8.040.

mod common;

use common::*;
use hadir_domain::{Percent, RuleSet};
use hadir_store::{EmployeeUpdate, NewPunch};
use jiff::Timestamp;
use jiff::civil::{Date, Weekday, date};
use jiff::tz::TimeZone;
use reqwest::StatusCode;
use serde_json::{Value, json};

const TPP: i64 = 7_333_333;

fn wita() -> TimeZone {
    TimeZone::get("Asia/Makassar").unwrap()
}

fn at(d: Date, h: i8, m: i8) -> Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(wita()).unwrap().timestamp()
}

fn dec(day: i8) -> Date {
    date(2025, 12, day)
}

/// Punches of the clerk's month for `emp` (everything but the leave days, the TK day and holidays).
fn month_punches(emp: i64) -> Vec<NewPunch> {
    let mut out = Vec::new();
    for day in 1..=31 {
        let d = dec(day);
        if matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) || [9, 10, 11, 25, 26].contains(&day) {
            continue;
        }
        let (inh, inm) = if day == 2 { (8, 15) } else { (7, 30) };
        let (outh, outm) = match (day, d.weekday()) {
            (4, _) => (15, 45),
            (_, Weekday::Friday) => (16, 30),
            _ => (16, 0),
        };
        out.push(punch(emp, at(d, inh, inm)));
        out.push(punch(emp, at(d, outh, outm)));
    }
    out
}

struct Fx {
    s: TestServer,
    o: Org,
    emp: i64,
}

/// The org, TPP for the employee, the month's punches and the approved annual leave.
async fn setup() -> Fx {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let e = s.store.employee_by_login(&nip(3)).await.unwrap();
    let audit = hadir_store::Audit::new((None, "test"), "update", "employee", &e.login);
    s.store
        .update_employee(e.id, &EmployeeUpdate { tpp_base: Some(Some(TPP)), ..Default::default() }, audit)
        .await
        .unwrap();
    s.store.insert_punches(&month_punches(e.id)).await.unwrap();
    let (st, b) = s
        .post(
            "/api/v1/requests",
            &o.emp_sd1,
            json!({"type": "CUTI_TAHUNAN", "date_from": "2025-12-10", "date_to": "2025-12-11", "reason": "acara keluarga"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (st, b) = s.post(&format!("/api/v1/requests/{id}/decision"), &o.head, json!({"approve": true})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    Fx { s, o, emp: e.id }
}

async fn recap(fx: &Fx, token: &str, unit: &str) -> Value {
    let (st, b) = fx.s.get(&format!("/api/v1/recap?month=2025-12&unit={unit}"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

fn row<'a>(r: &'a Value, login: &str) -> &'a Value {
    r["employees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["employee"]["login"] == login)
        .unwrap_or_else(|| panic!("{login} in {r}"))
}

async fn rule_set(fx: &Fx, r: RuleSet) {
    let (st, b) = fx.s.post("/api/v1/rule-sets", &fx.o.admin, serde_json::to_value(&r).unwrap()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hand_worked_month_to_the_rupiah() {
    let fx = setup().await;
    let r = recap(&fx, &fx.o.head, "SD1").await;
    assert_eq!(r["month"], "2025-12");
    assert_eq!(r["state"], "ready", "December 2025's objection window closed on 2026-01-05");
    assert_eq!(r["objection_until"], "2026-01-05");
    let m = &row(&r, &nip(3))["recap"];
    // The clerk's figures.
    assert_eq!(m["days"], 31);
    assert_eq!(m["working_days"], 21);
    assert_eq!(m["days_libur"], 10);
    assert_eq!(m["days_present"], 18);
    assert_eq!(m["days_tk"], 1);
    assert_eq!(m["absence_days"]["CUTI_TAHUNAN"], 2);
    assert_eq!(m["days_duty"], 0);
    let codes = &m["code_counts"];
    for (c, n) in [("TL1", 0), ("TL2", 1), ("TL3", 0), ("TL4", 0), ("PSW1", 1), ("PSW2", 0), ("PSW3", 0), ("PSW4", 0)] {
        assert_eq!(codes[c], n, "{c}: {codes}");
    }
    assert_eq!(m["minutes_required"], 8550);
    assert_eq!(m["minutes_present"], 8040);
    assert_eq!(m["deduction_computed"], 4.5);
    assert_eq!(m["deduction_applied"], 4.5);
    assert_eq!(m["capped"], false);
    // Rp 7.333.333 × 40% × 4,5% = Rp 131.999,994 → Rp 132.000.
    let clerk = (7_333_333.0_f64 * 0.40 * 0.045).round() as i64;
    assert_eq!(clerk, 132_000);
    assert_eq!(m["rupiah_applied"], clerk);
    assert_eq!(m["rupiah_computed"], clerk);
    // Day marks for the detail sheet.
    let days = row(&r, &nip(3))["days"].as_array().unwrap().clone();
    let mark = |d: usize| days[d - 1]["mark"].as_str().unwrap().to_string();
    assert_eq!(
        (mark(1), mark(2), mark(4), mark(9), mark(10), mark(25), mark(26)),
        ("H".into(), "TL2".into(), "PSW1".into(), "TK".into(), "CT".into(), "L".into(), "L".into())
    );

    // Unit totals: SD1 has the head (no punches: 21 TK) and the employee.
    let sd1 = r["units"].as_array().unwrap().iter().find(|u| u["unit_code"] == "SD1").unwrap();
    assert_eq!(sd1["employees"], 2);
    assert_eq!(sd1["working_days"], 42);
    assert_eq!(sd1["days_present"], 18);
    assert_eq!(sd1["days_tk"], 22);
    assert_eq!(sd1["rupiah_applied"], clerk);
    assert!((sd1["attendance_rate"].as_f64().unwrap() - 18.0 / 42.0).abs() < 1e-9);

    // The recap uses exactly the employee's own day records.
    let (_, mine) = fx.s.get("/api/v1/me/days?month=2025-12", &fx.o.emp_sd1).await;
    assert_eq!(mine["summary"]["deduction_percent"], m["deduction_computed"]);
    assert_eq!(mine["summary"]["tk"], m["days_tk"]);

    // Scope: heads read their subtree only; no unit is for admins; employees read nothing.
    let (st, _) = fx.s.get("/api/v1/recap?month=2025-12&unit=RSUD", &fx.o.head).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = fx.s.get("/api/v1/recap?month=2025-12", &fx.o.head).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = fx.s.get("/api/v1/recap?month=2025-12&unit=SD1", &fx.o.emp_sd1).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) = fx.s.get("/api/v1/recap?month=2025-13&unit=SD1", &fx.o.head).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_month")));

    // CSV: BOM, `;`, decimal comma, one row per employee.
    let resp =
        fx.s.client
            .get(fx.s.url("/api/v1/recap?month=2025-12&unit=SD1&format=csv"))
            .bearer_auth(&fx.o.head)
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let header: Vec<&str> = lines[0].split(';').collect();
    let line = lines.iter().find(|l| l.contains(&nip(3))).unwrap();
    let cells: Vec<&str> = line.split(';').collect();
    let get = |h: &str| cells[header.iter().position(|x| *x == h).unwrap_or_else(|| panic!("{h}"))];
    assert_eq!((get("TL2"), get("PSW1"), get("TK"), get("CUTI_TAHUNAN")), ("1", "1", "1", "2"));
    assert_eq!(
        (get("potongan_persen"), get("potongan_diterapkan_rupiah"), get("jam_hadir")),
        ("4,50", "132000", "134,00")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_change_on_the_15th_trial_mode_categories_and_cap() {
    let fx = setup().await;
    // From the 15th: TL2 2%, TK 4%. The employee's TL2 on the 2nd stays 1%; a TL2 on the 16th is 2%.
    let mut late = RuleSet::default().late;
    late[1].percent = Percent::whole(2);
    rule_set(
        &fx,
        RuleSet {
            name: "Perbup 15 Des".into(),
            effective_from: dec(15),
            late,
            tk_per_day: Percent::whole(4),
            ..RuleSet::default()
        },
    )
    .await;
    // A second employee of SD1, 40 minutes late on the 2nd and on the 16th, on time otherwise.
    fx.s.employee(&fx.o.admin, &nip(5), "SD1", "5").await;
    let e5 = fx.s.store.employee_by_login(&nip(5)).await.unwrap();
    let mut ps = Vec::new();
    for day in 1..=31 {
        let d = dec(day);
        if matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) || [25, 26].contains(&day) {
            continue;
        }
        let (h, m) = if day == 2 || day == 16 { (8, 10) } else { (7, 30) };
        let out = if d.weekday() == Weekday::Friday { 16 * 60 + 30 } else { 16 * 60 };
        ps.push(punch(e5.id, at(d, h, m)));
        ps.push(punch(e5.id, at(d, (out / 60) as i8, (out % 60) as i8)));
    }
    fx.s.store.insert_punches(&ps).await.unwrap();
    let r = recap(&fx, &fx.o.head, "SD1").await;
    let m = &row(&r, &nip(5))["recap"];
    assert_eq!(m["code_counts"]["TL2"], 2);
    assert_eq!(m["deduction_computed"], 3.0, "1% before the 15th + 2% from the 15th: {m}");
    assert_eq!(m["rule_set"], "Perbup 15 Des");
    // The clerk's employee: TL2 on the 2nd (1%), PSW1 on the 4th, TK on the 9th (3%, before the change).
    assert_eq!(row(&r, &nip(3))["recap"]["deduction_computed"], 4.5);
    // The head: 21 TK days, 10 before the 15th at 3% and 11 from the 15th at 4% = 74%.
    assert_eq!(row(&r, &nip(2))["recap"]["deduction_computed"], 74.0);

    // Trial mode from the 1st (newer edit, same month): computed and shown, nothing applied.
    rule_set(&fx, RuleSet { name: "Uji coba".into(), effective_from: dec(1), trial_mode: true, ..RuleSet::default() })
        .await;
    rule_set(
        &fx,
        RuleSet { name: "Uji coba 15".into(), effective_from: dec(15), trial_mode: true, ..RuleSet::default() },
    )
    .await;
    let r = recap(&fx, &fx.o.head, "SD1").await;
    let m = &row(&r, &nip(3))["recap"];
    assert_eq!(m["trial_mode"], true);
    assert_eq!(m["deduction_computed"], 4.5);
    assert_eq!(m["deduction_applied"], 0.0);
    assert_eq!(m["rupiah_applied"], 0);
    assert_eq!(m["rupiah_computed"], 132_000);
    assert!(m["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("uji coba")), "{m}");

    // Rolled out to PNS only, with a 10% cap: the head (PNS) is capped; an honorer is listed, not deducted.
    let (st, b) = fx
        .s
        .post(
            "/api/v1/employees",
            &fx.o.admin,
            json!({"login": "H-0001", "name": "Honorer Satu", "category": "HONORER", "unit_code": "SD1", "password": PW, "start_date": "2020-01-02"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    for from in [dec(1), dec(15)] {
        rule_set(
            &fx,
            RuleSet {
                name: format!("PNS saja {from}"),
                effective_from: from,
                categories: vec![hadir_domain::EmployeeCategory::Pns],
                monthly_cap: Percent::whole(10),
                ..RuleSet::default()
            },
        )
        .await;
    }
    let r = recap(&fx, &fx.o.admin, "SD1").await;
    let head = &row(&r, &nip(2))["recap"];
    assert_eq!(head["deduction_uncapped"], 63.0);
    assert_eq!(head["deduction_computed"], 10.0);
    assert_eq!(head["deduction_applied"], 10.0);
    assert_eq!(head["capped"], true);
    let h = &row(&r, "H-0001")["recap"];
    assert_eq!(h["category_covered"], false);
    assert_eq!(h["deduction_computed"], 10.0);
    assert_eq!(h["deduction_applied"], 0.0);
    assert_eq!(row(&r, &nip(3))["recap"]["deduction_applied"], 4.5);
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_freezes_and_audited_reopen_recomputes() {
    let fx = setup().await;
    // The running month cannot be locked; nor by a head.
    let this_month = hadir_server::recap::month_key(hadir_server::org::today_jakarta());
    let (st, b) = fx.s.post("/api/v1/recap/lock", &fx.o.admin, json!({"month": this_month})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("month_not_over")), "{b}");
    let (st, _) = fx.s.post("/api/v1/recap/lock", &fx.o.head, json!({"month": "2025-12", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // An objection window still open refuses the lock.
    let (st, _) =
        fx.s.post("/api/v1/recap/deadline", &fx.o.admin, json!({"month": "2025-12", "objection_until": "2099-01-05"}))
            .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, b) = fx.s.post("/api/v1/recap/lock", &fx.o.admin, json!({"month": "2025-12", "unit_code": "SD1"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("objection_window_open")), "{b}");
    assert_eq!(recap(&fx, &fx.o.head, "SD1").await["state"], "objection");
    let (st, _) =
        fx.s.post("/api/v1/recap/deadline", &fx.o.admin, json!({"month": "2025-12", "objection_until": "2026-01-07"}))
            .await;
    assert_eq!(st, StatusCode::NO_CONTENT);

    let (st, b) = fx.s.post("/api/v1/recap/lock", &fx.o.admin, json!({"month": "2025-12", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["employees"], 2);
    let (st, b) = fx.s.post("/api/v1/recap/lock", &fx.o.admin, json!({"month": "2025-12", "unit_code": "SD1"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_locked")));
    let locked = recap(&fx, &fx.o.head, "SD1").await;
    assert_eq!(locked["state"], "locked");
    let row3 = row(&locked, &nip(3));
    assert_eq!(row3["locked"], true);
    assert_eq!(row3["inputs_hash"].as_str().unwrap().len(), 64);
    // Another unit is not locked.
    assert_eq!(recap(&fx, &fx.o.admin, "RSUD").await["state"], "ready");

    // A late punch for the TK day arrives (terminal backlog): the locked recap does not change,
    // while the live day record does.
    fx.s.store.insert_punches(&[punch(fx.emp, at(dec(9), 7, 30)), punch(fx.emp, at(dec(9), 16, 0))]).await.unwrap();
    let (_, mine) = fx.s.get("/api/v1/me/days?month=2025-12", &fx.o.emp_sd1).await;
    assert_eq!(mine["summary"]["tk"], 0, "the live record sees the punch");
    let still = recap(&fx, &fx.o.head, "SD1").await;
    assert_eq!(row(&still, &nip(3))["recap"], row3["recap"]);
    assert_eq!(row(&still, &nip(3))["recap"]["days_tk"], 1);

    // Reopen: admin only, with a reason; audited; the recap is live again and recomputed.
    let (st, _) =
        fx.s.post(
            "/api/v1/recap/reopen",
            &fx.o.head,
            json!({"month": "2025-12", "unit_code": "SD1", "reason": "keberatan diterima"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) =
        fx.s.post("/api/v1/recap/reopen", &fx.o.admin, json!({"month": "2025-12", "unit_code": "SD1", "reason": " "}))
            .await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("reason_required")));
    let (st, b) =
        fx.s.post(
            "/api/v1/recap/reopen",
            &fx.o.admin,
            json!({"month": "2025-12", "unit_code": "RSUD", "reason": "salah unit"}),
        )
        .await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_locked")));
    let (st, b) =
        fx.s.post(
            "/api/v1/recap/reopen",
            &fx.o.admin,
            json!({"month": "2025-12", "unit_code": "SD1", "reason": "punch mesin terlambat masuk"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["employees"], 2);
    let live = recap(&fx, &fx.o.head, "SD1").await;
    assert_eq!(live["state"], "ready");
    assert_eq!(live["reopens"][0]["reason"], "punch mesin terlambat masuk");
    let m = &row(&live, &nip(3))["recap"];
    assert_eq!(m["days_tk"], 0);
    assert_eq!(m["days_present"], 19);
    assert_eq!(m["deduction_computed"], 1.5);
    assert_eq!(m["rupiah_applied"], 44_000); // 7.333.333 × 40% × 1,5% = 43.999,998
    let (_, audit) = fx.s.get("/api/v1/audit?entity=recap", &fx.o.admin).await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert!(
        actions.contains(&"recap.reopen") && actions.contains(&"recap.lock") && actions.contains(&"recap.deadline"),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn xlsx_opens_in_openpyxl() {
    let fx = setup().await;
    // Lock SD1 so its sheet says "Terkunci" while the others say "Siap dikunci".
    let (st, b) = fx.s.post("/api/v1/recap/lock", &fx.o.admin, json!({"month": "2025-12", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let resp =
        fx.s.client
            .get(fx.s.url("/api/v1/recap?month=2025-12&format=xlsx"))
            .bearer_auth(&fx.o.admin)
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("rekap-2025-12-semua.xlsx"));
    let bytes = resp.bytes().await.unwrap();
    let path = fx.s.dir.path().join("rekap.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let expect = json!({
        "sheets": ["Ringkasan", "DIK", "SD1", "RSUD", "Rincian Harian"],
        "regency": hadir_server::ServerConfig::default().regency_name,
        "month_label": "Desember 2025",
        "state": "Terkunci",
        "unit_sheet": "SD1",
        "unit_name": "Unit SD1",
        "employee_nip": nip(3),
        "deduction_fraction": 0.045,
        "rupiah": 132000,
        "tk": 1,
        "unit_rupiah_total": 132000,
        "marks": {"2": "TL2", "4": "PSW1", "9": "TK", "10": "CT", "25": "L", "26": "L", "1": "H"},
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/xlsx_check.py");
    let out = std::process::Command::new("python3").arg(script).arg(&path).arg(expect.to_string()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.trim() == "OK",
        "openpyxl check failed (python3 -m pip install openpyxl):\n{stdout}\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn discipline_watch_counts_tk_per_year() {
    let fx = setup().await;
    let (st, b) = fx.s.get("/api/v1/recap/discipline?year=2025&unit=SD1", &fx.o.head).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let rows = b["employees"].as_array().unwrap();
    let me = rows.iter().find(|r| r["employee"]["login"] == nip(3)).unwrap();
    assert_eq!(me["tk_by_month"]["2025-12"], 1);
    let total: u64 = me["tk_by_month"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(me["sanction"]["tk_days"], total);
    // No punches before December: far past 28 days, dismissal step, nothing next.
    assert!(total >= 28);
    assert_eq!(me["sanction"]["current"]["from_days"], 28);
    assert_eq!(me["sanction"]["next"], Value::Null);
    assert_eq!(me["warn"], true);
    let (st, _) = fx.s.get("/api/v1/recap/discipline?year=2025&unit=RSUD", &fx.o.head).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
