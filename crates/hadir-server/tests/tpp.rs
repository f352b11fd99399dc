//! Issue 22 over HTTP: the whole TPP of a hand-worked month (November 2025: 20 working days,
//! no holiday) for three employees of SD1, matching to the rupiah in the JSON, the app's own
//! view, the CSV and the XLSX payout sheet (read with openpyxl); the score import with good and
//! bad lines; the BKD data refusals.
//!
//! Policy 40 / 60, steps ≥ 85 → 100 %, ≥ 70 → 80 %.
//! - A (nip 3): own base Rp 4.250.000, present every day, imported score 90 → 100 %:
//!   1.700.000 + 2.550.000 = Rp 4.250.000.
//! - B (nip 6): kelas jabatan 9 → Rp 3.600.000 (the 2024 row is replaced, the December row not
//!   yet in force), present every day, imported score 75,5 → 80 %:
//!   1.440.000 + 3.600.000 × 60 % × 80 % = 1.728.000 → Rp 3.168.000.
//! - C (nip 5): own base Rp 5.000.000, absent (TK, 3 %) on Monday 3 November, no imported score
//!   (its line is bad): 6.480 validated activity minutes of 9.000 required = 72 → 80 %;
//!   a 25 % cut for 6 months from 1 September 2025:
//!   (5.000.000 × 40 % × 97 % + 5.000.000 × 60 % × 80 %) × 75 % = (1.940.000 + 2.400.000) × 75 %
//!   = Rp 3.255.000.
//!
//! Total Rp 10.673.000.

mod common;

use common::*;
use hadir_store::{ActivityDecision, ActivityFields, Audit, NewActivity};
use jiff::Timestamp;
use jiff::civil::{Date, Weekday, date};
use jiff::tz::TimeZone;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn at(d: Date, h: i8, m: i8) -> Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(TimeZone::get("Asia/Makassar").unwrap()).unwrap().timestamp()
}

fn november_workdays() -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = date(2025, 11, 1);
    while d.month() == 11 {
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            out.push(d);
        }
        d = d.tomorrow().unwrap();
    }
    assert_eq!(out.len(), 20);
    out
}

fn code(b: &Value) -> &str {
    b["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_worked_month_matches_to_the_rupiah() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let admin = &o.admin;
    s.employee(admin, &nip(5), "SD1", "5").await;
    s.employee(admin, &nip(6), "SD1", "6").await;
    let (st, b) = s
        .call(reqwest::Method::PATCH, &format!("/api/v1/employees/{}", nip(6)), Some(admin), json!({"grade": 9}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let id = |n: u16| {
        let s = &s;
        async move { s.store.employee_by_login(&nip(n)).await.unwrap().id }
    };
    let (a, b_, c) = (id(3).await, id(6).await, id(5).await);
    let days = november_workdays();
    let mut punches = Vec::new();
    for d in &days {
        for e in [a, b_, c] {
            if e == c && *d == date(2025, 11, 3) {
                continue; // C absent on Monday 3 November
            }
            punches.push(punch(e, at(*d, 7, 20)));
            punches.push(punch(e, at(*d, 16, 40)));
        }
    }
    s.store.insert_punches(&punches).await.unwrap();

    // The BKD's data: policy, bases, the sanction. Refusals first, each changing nothing.
    let policy = json!({"effective_from": "2025-01-01", "attendance_weight": 40, "performance_weight": 60,
        "steps": [{"min_score": 85, "percent": 100}, {"min_score": 70, "percent": 80}], "cap": null, "trial_mode": false});
    let mut bad = policy.clone();
    bad["performance_weight"] = json!(50);
    let (st, r) = s.post("/api/v1/tpp/policies", admin, bad).await;
    assert_eq!((st, code(&r)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy"));
    let (st, _) = s.post("/api/v1/tpp/policies", &o.operator, policy.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(s.store.tpp_policies().await.unwrap().is_empty());
    let (st, r) = s.post("/api/v1/tpp/policies", admin, policy.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (st, r) = s.post("/api/v1/tpp/policies", admin, policy.clone()).await;
    assert_eq!((st, code(&r)), (StatusCode::CONFLICT, "policy_exists"));

    for (body, want) in [
        (json!({"grade": 9, "employee": nip(3), "amount": 1, "effective_from": "2025-01-01"}), "grade_or_employee"),
        (json!({"grade": 18, "amount": 1, "effective_from": "2025-01-01"}), "grade_or_employee"),
        (json!({"grade": 9, "amount": -5, "effective_from": "2025-01-01"}), "invalid_amount"),
        (json!({"grade": 9, "amount": 5, "effective_from": "1 Januari"}), "invalid_date"),
    ] {
        let (st, r) = s.post("/api/v1/tpp/bases", admin, body.clone()).await;
        assert_eq!((st, code(&r)), (StatusCode::UNPROCESSABLE_ENTITY, want), "{body}");
    }
    let (st, _) =
        s.post("/api/v1/tpp/bases", &o.head, json!({"grade": 9, "amount": 1, "effective_from": "2025-01-01"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(s.store.tpp_bases().await.unwrap().is_empty());
    for body in [
        json!({"grade": 9, "amount": 3_100_000, "effective_from": "2024-01-01"}),
        json!({"grade": 9, "amount": 3_600_000, "effective_from": "2025-01-01"}),
        json!({"grade": 9, "amount": 3_900_000, "effective_from": "2025-12-01"}),
        json!({"employee": nip(3), "amount": 4_250_000, "effective_from": "2025-01-01"}),
        json!({"employee": nip(5), "amount": 5_000_000, "effective_from": "2025-06-01"}),
    ] {
        let (st, r) = s.post("/api/v1/tpp/bases", admin, body).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
    }
    let (st, r) = s
        .post(
            "/api/v1/tpp/sanctions",
            admin,
            json!({"employee": nip(5), "from": "2025-09-01", "months": 7, "label": "SK 1"}),
        )
        .await;
    assert_eq!((st, code(&r)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_months"));
    assert!(s.store.tpp_sanctions().await.unwrap().is_empty());
    let (st, r) = s
        .post(
            "/api/v1/tpp/sanctions",
            admin,
            json!({"employee": nip(5), "from": "2025-09-01", "months": 6, "label": "SK Bupati 800/12/2025"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["to"], "2026-02-28");

    // Scores: a file with good and bad lines; the good ones are stored, the bad reported.
    let csv =
        format!("NIP;Nilai\n{};90\n{};75,5\n{};abc\n199001012020121999;80\n{};120\n", nip(3), nip(6), nip(5), nip(4));
    let r =
        s.client.post(s.url("/api/v1/kinerja/scores?month=2025-11")).bearer_auth(admin).body(csv).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rep: Value = r.json().await.unwrap();
    assert_eq!((rep["imported"].as_u64(), rep["refused"].as_u64()), (Some(2), Some(3)), "{rep}");
    let codes: Vec<&str> =
        rep["lines"].as_array().unwrap().iter().map(|l| l["code"].as_str().unwrap_or("ok")).collect();
    assert_eq!(codes, vec!["ok", "ok", "invalid_score", "unknown_employee", "invalid_score"]);
    let r = s
        .client
        .post(s.url("/api/v1/kinerja/scores?month=2025-11"))
        .bearer_auth(&o.head)
        .body("x;1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // C's validated activities: 18 days × 6 hours = 6.480 minutes (stored directly: the app
    // files only the last seven days).
    let head_acc = s.store.employee_by_login(&nip(2)).await.unwrap().account_id;
    let mut ids = Vec::new();
    for d in days.iter().skip(1).take(18) {
        let act = s
            .store
            .create_activity(
                &NewActivity {
                    employee_id: c,
                    unit_id: s.store.employee_by_id(c).await.unwrap().unit_id,
                    date: *d,
                    fields: ActivityFields {
                        description: "Mengajar".into(),
                        output: "jam pelajaran".into(),
                        volume: 6.0,
                        volume_unit: "jam".into(),
                        start_minute: 8 * 60,
                        end_minute: 14 * 60,
                    },
                    created_by: head_acc,
                },
                Audit::new((None, "uji"), "kinerja.create", "activity", ""),
            )
            .await
            .unwrap();
        ids.push(act.id);
    }
    s.store
        .validate_activities(
            &ids,
            &ActivityDecision { approve: true, note: None, validator: head_acc, validator_name: "Kepala".into() },
        )
        .await
        .unwrap();

    // The JSON.
    let (st, m) = s.get("/api/v1/tpp?month=2025-11&unit=SD1", admin).await;
    assert_eq!(st, StatusCode::OK, "{m}");
    let row =
        |n: u16| m["employees"].as_array().unwrap().iter().find(|r| r["login"] == nip(n).as_str()).cloned().unwrap();
    let (ra, rb, rc) = (row(3), row(6), row(5));
    assert_eq!(
        (ra["base"].as_i64(), ra["attendance_share"].as_i64(), ra["performance_share"].as_i64(), ra["amount"].as_i64()),
        (Some(4_250_000), Some(1_700_000), Some(2_550_000), Some(4_250_000)),
        "{ra}"
    );
    assert_eq!(ra["score_source"], "import");
    assert_eq!(
        (rb["base"].as_i64(), rb["performance_share"].as_i64(), rb["amount"].as_i64()),
        (Some(3_600_000), Some(1_728_000), Some(3_168_000)),
        "{rb}"
    );
    assert_eq!(
        (rc["base"].as_i64(), rc["attendance_deduction"].as_f64(), rc["score"].as_f64(), rc["score_source"].as_str()),
        (Some(5_000_000), Some(3.0), Some(72.0), Some("activities")),
        "{rc}"
    );
    assert_eq!(
        (
            rc["attendance_share"].as_i64(),
            rc["performance_share"].as_i64(),
            rc["sanction_rupiah"].as_i64(),
            rc["amount"].as_i64()
        ),
        (Some(1_940_000), Some(2_400_000), Some(1_085_000), Some(3_255_000)),
        "{rc}"
    );
    assert_eq!((rc["activity_minutes"].as_i64(), rc["required_minutes"].as_u64()), (Some(6480), Some(9000)));
    assert_eq!(
        rc["explanation"],
        "Rp 5.000.000 × (40 % × 97 % + 60 % × 80 %) × (100 % − 25 %) = Rp 3.255.000. Dibayar Rp 3.255.000."
    );
    let sum: i64 = rc["lines"].as_array().unwrap().iter().map(|l| l["rupiah"].as_i64().unwrap()).sum();
    assert_eq!(sum, 3_255_000);
    assert!(rc["lines"][2]["label"].as_str().unwrap().contains("SK Bupati 800/12/2025"));
    let sd1: i64 = m["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["unit_code"] == "SD1")
        .map(|u| u["amount"].as_i64().unwrap())
        .sum();
    // The head (nip 2) of SD1 has no base: Rp 0.
    assert_eq!(sd1, 10_673_000);

    // The employee's own view says the same.
    let me = s.login(&nip(5), PW).await;
    let (st, mine) = s.get("/api/v1/me/tpp?month=2025-11", &me).await;
    assert_eq!(st, StatusCode::OK, "{mine}");
    assert_eq!((mine["amount"].as_i64(), mine["explanation"].clone()), (Some(3_255_000), rc["explanation"].clone()));
    // Others' amounts are not the employee's to read.
    let (st, _) = s.get("/api/v1/tpp?month=2025-11&unit=SD1", &me).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s.get("/api/v1/tpp?month=2025-11&unit=RSUD", &o.head).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // The console shows the same amounts and explanation (here to the head of SD1).
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client
        .post(s.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={}&password={PW}", nip(2)))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let page = client.get(s.url("/admin/tpp?month=2025-11&unit=SD1")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    for want in ["Rp 3.255.000", "Rp 3.168.000", "Rp 4.250.000", "Rp 10.673.000", "(100 % − 25 %) = Rp 3.255.000"] {
        assert!(page.contains(want), "{want} in the console page");
    }
    let xlsx = client
        .get(s.url("/admin/tpp/download?month=2025-11&unit=SD1&format=xlsx"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);

    // The CSV.
    let r =
        s.client.get(s.url("/api/v1/tpp?month=2025-11&unit=SD1&format=csv")).bearer_auth(admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with(&nip(5))).unwrap();
    assert!(line.split(';').nth(12) == Some("3255000"), "{line}");

    // The XLSX payout sheet, read with openpyxl.
    let r =
        s.client.get(s.url("/api/v1/tpp?month=2025-11&unit=SD1&format=xlsx")).bearer_auth(admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let path = s.dir.path().join("tpp.xlsx");
    std::fs::write(&path, r.bytes().await.unwrap()).unwrap();
    let expect = json!({"sheet": "SD1", "total": 10_673_000,
        "amounts": {nip(3): 4_250_000, nip(6): 3_168_000, nip(5): 3_255_000}});
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tpp_xlsx_check.py");
    let out = std::process::Command::new("python3").arg(script).arg(&path).arg(expect.to_string()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "OK",
        "openpyxl: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Locked with the month: after the lock, a score for the month is refused.
    let (st, r) = s.post("/api/v1/recap/lock", admin, json!({"month": "2025-11"})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let r = s
        .client
        .post(s.url("/api/v1/kinerja/scores?month=2025-11"))
        .bearer_auth(admin)
        .body(format!("{};50", nip(3)))
        .send()
        .await
        .unwrap();
    let rep: Value = r.json().await.unwrap();
    assert_eq!((rep["imported"].as_u64(), rep["lines"][0]["code"].as_str()), (Some(0), Some("month_locked")), "{rep}");
    // Nor can a policy, base or sanction dated in or before the locked month change it.
    let (policies, bases, sanctions) = (
        s.store.tpp_policies().await.unwrap().len(),
        s.store.tpp_bases().await.unwrap().len(),
        s.store.tpp_sanctions().await.unwrap().len(),
    );
    let mut late_policy = policy.clone();
    late_policy["effective_from"] = json!("2025-11-01");
    late_policy["attendance_weight"] = json!(100);
    late_policy["performance_weight"] = json!(0);
    for (path, body) in [
        ("/api/v1/tpp/policies", late_policy),
        ("/api/v1/tpp/bases", json!({"grade": 9, "amount": 9_000_000, "effective_from": "2025-10-01"})),
        ("/api/v1/tpp/bases", json!({"employee": nip(3), "amount": 9_000_000, "effective_from": "2025-11-15"})),
        ("/api/v1/tpp/sanctions", json!({"employee": nip(3), "from": "2025-11-01", "months": 6, "label": "SK 2"})),
    ] {
        let (st, r) = s.post(path, admin, body.clone()).await;
        assert_eq!((st, code(&r)), (StatusCode::UNPROCESSABLE_ENTITY, "month_locked"), "{path} {body} {r}");
    }
    assert_eq!(
        (
            s.store.tpp_policies().await.unwrap().len(),
            s.store.tpp_bases().await.unwrap().len(),
            s.store.tpp_sanctions().await.unwrap().len()
        ),
        (policies, bases, sanctions)
    );
    let (_, m2) = s.get("/api/v1/tpp?month=2025-11&unit=SD1", admin).await;
    assert_eq!((m2["locked"].as_bool(), m2["total_amount"].as_i64()), (Some(true), m["total_amount"].as_i64()));
    // From the month after the lock on, a new base is taken.
    let (st, r) = s
        .post(
            "/api/v1/tpp/bases",
            admin,
            json!({"employee": nip(3), "amount": 4_300_000, "effective_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
}

/// The BKD enters policies, bases and sanctions on the console's TPP page, through the API's
/// handlers: admins only, each refusal stores nothing, amounts typed as clerks write them.
#[tokio::test]
async fn the_bkd_enters_tpp_data_in_the_console() {
    let s = TestServer::start().await;
    let _o = org(&s).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = |user: String, pw: &'static str| {
        let (client, url) = (client.clone(), s.url("/admin/login"));
        async move {
            let r = client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("username={user}&password={pw}"))
                .send()
                .await
                .unwrap();
            r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
        }
    };
    let admin = login("admin".into(), ADMIN_PW).await;
    let head = login(nip(2), PW).await;
    let post = |cookie: String, path: &'static str, form: String| {
        let (client, url) = (client.clone(), s.url(path));
        async move {
            let r = client
                .post(url)
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await
                .unwrap();
            let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
            (r.status(), location, r.text().await.unwrap())
        }
    };
    let counts = || async {
        (
            s.store.tpp_policies().await.unwrap().len(),
            s.store.tpp_bases().await.unwrap().len(),
            s.store.tpp_sanctions().await.unwrap().len(),
        )
    };

    // Refusals: a head is not the BKD; a wrong amount, steps or months; nothing is stored.
    let base_form = "grade=9&amount=3.600.000&effective_from=2025-01-01".to_string();
    let (st, _, _) = post(head.clone(), "/admin/tpp/bases", base_form.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, page) =
        post(admin.clone(), "/admin/tpp/bases", "grade=9&amount=tiga+juta&effective_from=2025-01-01".into()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Dasar TPP harus berupa angka"), "{page}");
    let (st, _, page) = post(
        admin.clone(),
        "/admin/tpp/policies",
        "effective_from=2025-01-01&attendance_weight=40&performance_weight=60&steps=85%3A100".into(),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Tangga nilai"), "{page}");
    let (st, _, _) = post(
        admin.clone(),
        "/admin/tpp/sanctions",
        format!("employee={}&from=2025-09-01&months=7&cut=25&label=SK+1", nip(3)),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(counts().await, (0, 0, 0));

    // Stored by the BKD's admin.
    let (st, to, _) = post(admin.clone(), "/admin/tpp/bases", base_form).await;
    assert_eq!((st, to.as_deref()), (StatusCode::SEE_OTHER, Some("/admin/tpp?saved=base")));
    assert_eq!(s.store.tpp_bases().await.unwrap()[0].amount, 3_600_000);
    let (st, _, _) = post(
        admin.clone(),
        "/admin/tpp/policies",
        "effective_from=2025-01-01&attendance_weight=40&performance_weight=60&steps=85%3D100%2C+70%3D80&cap=&minutes_target=100"
            .into(),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, _) = post(
        admin.clone(),
        "/admin/tpp/sanctions",
        format!("employee={}&from=2025-09-01&months=6&cut=25&label=SK+Bupati+800%2F12%2F2025", nip(3)),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(counts().await, (1, 1, 1));
    // The sanction is in the employee's own audit trail (entity employee, their id).
    let teacher = s.store.employee_by_login(&nip(3)).await.unwrap();
    let trail = s.store.list_audit(Some("employee"), 0, 100).await.unwrap();
    assert!(
        trail.items.iter().any(|a| a.action == "tpp.sanction" && a.entity_id == teacher.id.to_string()),
        "{:?}",
        trail.items
    );

    // The page lists them for the admin; a head sees the amounts, not the BKD's forms.
    let page = |cookie: String| {
        let (client, url) = (client.clone(), s.url("/admin/tpp?month=2025-11&saved=base"));
        async move { client.get(url).header("cookie", cookie).send().await.unwrap().text().await.unwrap() }
    };
    let text = page(admin).await;
    for want in [
        "Dasar TPP disimpan.",
        "Kelas jabatan 9",
        "Rp 3.600.000",
        "≥ 85 → 100 %",
        "SK Bupati 800/12/2025",
        "2025-09-01 s.d. 2026-02-28",
    ] {
        assert!(text.contains(want), "{want} in the admin's page");
    }
    assert!(!page(head).await.contains("Data TPP (BKD)"));
}
