//! The console at /admin over HTTP: the session cookie, scoping (an operator of one branch
//! neither sees nor changes another), the cross-origin refusal, and employees without a staff
//! role.

mod common;

use common::{ADMIN_PW, PW, TestServer, nip, org};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Client, StatusCode};

fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Logs in through the console's form; returns the raw `Set-Cookie` and the status.
async fn form_login(s: &TestServer, user: &str, pw: &str) -> (StatusCode, String, String) {
    let r = client()
        .post(s.url("/admin/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={pw}"))
        .send()
        .await
        .unwrap();
    let st = r.status();
    let cookie = r.headers().get(SET_COOKIE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (st, cookie, r.text().await.unwrap())
}

async fn console_session(s: &TestServer, user: &str, pw: &str) -> String {
    let (st, cookie, _) = form_login(s, user, pw).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    cookie.split(';').next().unwrap().to_string()
}

async fn get(s: &TestServer, path: &str, cookie: &str) -> (StatusCode, String) {
    let r = client().get(s.url(path)).header(COOKIE, cookie).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post(s: &TestServer, path: &str, cookie: &str, origin: Option<&str>, body: &str) -> (StatusCode, String) {
    let mut req = client()
        .post(s.url(path))
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("HX-Request", "true")
        .body(body.to_string());
    if let Some(o) = origin {
        req = req.header(ORIGIN, o);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_for_admin_only() {
    let s = TestServer::start().await;
    let r = client().get(s.url("/admin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/admin/login");
    let r = client().get(s.url("/admin/inbox")).header("HX-Request", "true").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["hx-redirect"], "/admin/login");

    let (st, _, page) = form_login(&s, "admin", "salah-sandi").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(page.contains("kata sandi salah"), "{page}");

    let (st, cookie, _) = form_login(&s, "admin", ADMIN_PW).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    for part in ["hadir_session=", "HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let c = cookie.split(';').next().unwrap().to_string();
    let (st, page) = get(&s, "/admin/audit", &c).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("Jejak audit"));

    // Logout ends the session itself, not only the cookie.
    let (st, _) = post(&s, "/admin/logout", &c, None, "").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let r = client().get(s.url("/admin")).header(COOKIE, &c).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_operator_sees_and_changes_only_their_subtree() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let c = console_session(&s, &nip(1), PW).await; // operator of DIK (DIK → SD1)

    let (st, board) = get(&s, "/admin", &c).await;
    assert_eq!(st, StatusCode::OK);
    assert!(board.contains("data-unit=\"DIK\"") && board.contains("data-unit=\"SD1\""), "{board}");
    assert!(!board.contains("data-unit=\"RSUD\"") && !board.contains("data-unit=\"KAB\""));

    let (st, people) = get(&s, "/admin/board/unit/SD1", &c).await;
    assert_eq!(st, StatusCode::OK);
    assert!(people.contains(&nip(3)));
    let (st, _) = get(&s, "/admin/board/unit/RSUD", &c).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    let (_, list) = get(&s, "/admin/employees", &c).await;
    assert!(list.contains(&nip(3)) && !list.contains(&nip(4)));

    // Acting on someone in another branch: "not found", and nothing changes.
    let (st, body) = post(&s, &format!("/admin/employees/{}/deactivate", nip(4)), &c, None, "").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("Pegawai tidak ditemukan"), "the API's Indonesian message: {body}");
    let (_, e) = s.get(&format!("/api/v1/employees/{}", nip(4)), &o.admin).await;
    assert_eq!(e["active"], true);
    let (st, _) = get(&s, "/admin/recap?month=2026-01&unit=RSUD", &c).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = get(&s, "/admin/audit", &c).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the audit log is for admins");

    // The end of employment with a date and a reason (issue 19); a bad date is refused with the
    // API's Indonesian message and changes nothing.
    let path = format!("/admin/employees/{}/deactivate", nip(3));
    let (st, body) = post(&s, &path, &c, None, "end_date=2099-01-01&end_reason=pensiun").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("belum tiba"), "{body}");
    let (_, e) = s.get(&format!("/api/v1/employees/{}", nip(3)), &o.admin).await;
    assert_eq!(e["active"], true);
    let (_, page) = get(&s, &format!("/admin/employees/{}", nip(3)), &c).await;
    assert!(
        page.contains("name=\"end_date\"") && page.contains("value=\"pensiun\""),
        "the form asks for date and reason"
    );
    assert!(page.contains("name=\"unit_from\""), "a unit change asks from when");
    // In scope it works, says what it did, and is audited exactly as through the API.
    let (st, body) = post(&s, &path, &c, None, "end_date=2025-12-10&end_reason=pensiun").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("hari terakhir 2025-12-10"), "{body}");
    let (_, e) = s.get(&format!("/api/v1/employees/{}", nip(3)), &o.admin).await;
    assert_eq!((e["end_date"].as_str(), e["end_reason"].as_str()), (Some("2025-12-10"), Some("pensiun")));
    let (_, audit) = s.get("/api/v1/audit?entity=employee", &o.admin).await;
    let hit = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "deactivate" && a["entity_id"] == nip(3).as_str())
        .expect("deactivation audited");
    assert_eq!(hit["actor"], nip(1).as_str());
}

#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let c = console_session(&s, &nip(1), PW).await;
    let path = format!("/admin/employees/{}/password", nip(3));
    let (st, body) = post(&s, &path, &c, Some("http://evil.example"), "password=diganti999").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(body.contains("situs lain"), "{body}");
    s.login(&nip(3), PW).await; // unchanged

    let own = s.base.clone();
    let (st, body) = post(&s, &path, &c, Some(&own), "password=diganti999").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    s.login(&nip(3), "diganti999").await;
    let _ = o;
}

#[tokio::test]
async fn employees_without_a_staff_role_are_turned_away() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, cookie, page) = form_login(&s, &nip(3), PW).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(page.contains("Tidak berwenang") && page.contains("aplikasi pegawai"), "{page}");
    assert!(cookie.contains("Max-Age=0"), "no console session is handed out: {cookie}");
    // Their app token does not open the console either.
    let r = client().get(s.url("/admin")).bearer_auth(&o.emp_sd1).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("Tidak berwenang"));
}

#[tokio::test]
async fn an_operator_creates_and_imports_employees_with_a_per_line_report() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let c = console_session(&s, &nip(1), PW).await;
    let body = format!("nip={}&name=Siti+Baru&category=PNS&unit_code=SD1&device_pin=77&password={PW}", nip(20));
    let (st, page) = post(&s, "/admin/employees", &c, None, &body).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("Siti Baru") && page.contains("terdaftar"));
    // Bad input: the API's Indonesian validation message, in an error box.
    let (st, page) = post(&s, "/admin/employees", &c, None, "nip=123&name=X&category=PNS&unit_code=SD1").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("flash error") && page.contains("NIP"), "{page}");

    let csv = format!(
        "nip,login,name,category,unit_code,password,device_pin,start_date,position,tpp_base\n\
         {},,Budi Impor,PNS,SD1,{PW},78,,,\n\
         {},,Orang Lain,PNS,RSUD,{PW},79,,,\n",
        nip(21),
        nip(22)
    );
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("pegawai.csv"));
    let r = client()
        .post(s.url("/admin/employees/import"))
        .header(COOKIE, &c)
        .header("HX-Request", "true")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("1 dari 2 baris diimpor, 1 gagal"), "{page}");
    assert!(page.contains("<td>3</td>"), "line 3 (RSUD, outside the operator's units) is reported: {page}");
    let (st, _) = s.get(&format!("/api/v1/employees/{}", nip(21)), &o.admin).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s.get(&format!("/api/v1/employees/{}", nip(22)), &o.admin).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_creates_a_unit_and_edits_its_locations() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let c = console_session(&s, "admin", ADMIN_PW).await;
    let body = "code=SD2&name=SD+Negeri+2&parent_code=DIK&timezone=Asia%2FMakassar&loc_name=Gedung+A&lat=-0.51&lon=117.16&radius_m=80";
    let (st, page) = post(&s, "/admin/units", &c, None, body).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("SD Negeri 2 (SD2) dibuat di bawah DIK"), "{page}");
    let (_, u) = s.get("/api/v1/units/SD2", &o.admin).await;
    assert_eq!((u["parent_code"].as_str(), u["locations"][0]["radius_m"].as_f64()), (Some("DIK"), Some(80.0)), "{u}");
    let first = u["locations"][0]["id"].as_i64().unwrap();

    // The page shows the coordinates and the sketch; add, change, remove answer the block.
    let (_, page) = get(&s, "/admin/units", &c).await;
    assert!(page.contains("-0.510000, 117.160000") && page.contains("<svg class=\"map\""), "{page}");
    let (st, block) =
        post(&s, "/admin/units/SD2/locations", &c, None, "name=Gedung+B&lat=-0.515&lon=117.165&radius_m=50").await;
    assert_eq!(st, StatusCode::OK, "{block}");
    assert!(block.contains("id=\"loc-SD2\"") && block.contains("Gedung B") && block.contains("radius 50 m"), "{block}");
    let path = format!("/admin/units/SD2/locations/{first}");
    let (st, block) = post(&s, &path, &c, None, "name=Gedung+A&lat=-0.51&lon=117.16&radius_m=150").await;
    assert_eq!(st, StatusCode::OK, "{block}");
    assert!(block.contains("radius 150 m"), "{block}");
    // The API's validation message in the error box.
    let (st, err) = post(&s, &path, &c, None, "name=Gedung+A&lat=-0.51&lon=117.16&radius_m=5").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err.contains("flash error") && err.contains("antara 10 dan 10.000 meter"), "{err}");
    let (st, err) = post(&s, &path, &c, None, "name=Gedung+A&lat=abc&lon=117.16&radius_m=50").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err.contains("Lintang harus berupa angka"), "{err}");
    let (st, block) = post(&s, &format!("{path}/delete"), &c, None, "").await;
    assert_eq!(st, StatusCode::OK, "{block}");
    assert!(!block.contains("Gedung A") && block.contains("Gedung B"), "{block}");
    let (_, u) = s.get("/api/v1/units/SD2", &o.admin).await;
    assert_eq!(u["locations"].as_array().unwrap().len(), 1);

    // Operators see units and locations but no forms, and the server refuses them too.
    let op = console_session(&s, &nip(1), PW).await;
    let (_, page) = get(&s, "/admin/units", &op).await;
    assert!(page.contains("data-unit=\"SD1\"") && !page.contains("id=\"new-unit\"") && !page.contains("Tambah lokasi"));
    let (st, _) = post(&s, "/admin/units/SD1/locations", &op, None, "name=X&lat=-0.5&lon=117.1&radius_m=50").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_edits_a_calendar_assigns_it_and_adds_a_rule_set_version() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let c = console_session(&s, "admin", ADMIN_PW).await;
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let id = cals[0]["id"].as_i64().unwrap();
    let (st, page) = get(&s, &format!("/admin/policies/calendars/{id}"), &c).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("name=\"mon_in_due\" value=\"07:30\""), "{page}");

    // Every weekday's fields as the form sends them, Monday changed to 08:00 and Saturday worked.
    let mut fields = vec![("name".to_string(), "Kalender Uji".to_string())];
    for d in ["mon", "tue", "wed", "thu", "fri", "sat"] {
        let due = if d == "mon" { "08:00" } else { "07:30" };
        for (k, v) in [
            ("work", "1"),
            ("in_due", due),
            ("in_from", "06:00"),
            ("in_to", "10:00"),
            ("out_due", "16:00"),
            ("out_from", "12:00"),
            ("out_to", "18:00"),
            ("break", "60"),
        ] {
            fields.push((format!("{d}_{k}"), v.to_string()));
        }
    }
    let body = |f: &[(String, String)]| {
        f.iter().map(|(k, v)| format!("{k}={}", v.replace(':', "%3A").replace(' ', "+"))).collect::<Vec<_>>().join("&")
    };
    let path = format!("/admin/policies/calendars/{id}");
    let (st, page) = post(&s, &path, &c, None, &body(&fields)).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("Kalender Kalender Uji disimpan"), "{page}");
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let cal = &cals.as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["calendar"];
    assert_eq!(cal["weekly"]["monday"]["checkpoints"][0]["due"], "08:00", "{cal}");
    assert_eq!(cal["weekly"]["saturday"]["checkpoints"][1]["due"], "16:00", "{cal}");
    assert!(cal["weekly"]["sunday"].is_null(), "{cal}");

    // A due time outside its window: the API's validation message in the error box.
    let mut bad = fields.clone();
    bad.iter_mut().find(|(k, _)| k == "tue_in_due").unwrap().1 = "11:00".into();
    let (st, err) = post(&s, &path, &c, None, &body(&bad)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(err.contains("flash error") && err.contains("Jadwal tidak valid"), "{err}");
    let mut bad = fields.clone();
    bad.iter_mut().find(|(k, _)| k == "wed_out_to").unwrap().1 = "jam enam".into();
    let (st, err) = post(&s, &path, &c, None, &body(&bad)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err.contains("Rabu: akhir jendela pulang harus berupa jam HH:MM"), "{err}");

    // Copy it and assign the copy to SD1.
    let (st, page) = post(&s, &format!("{path}/copy"), &c, None, "name=Kalender+Sekolah").await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let copy =
        cals.as_array().unwrap().iter().find(|c| c["name"] == "Kalender Sekolah").unwrap()["id"].as_i64().unwrap();
    let (st, page) = post(&s, "/admin/policies/assign", &c, None, &format!("calendar_id={copy}&unit_code=SD1")).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let (_, cals) = s.get("/api/v1/calendars", &o.admin).await;
    let copy = cals.as_array().unwrap().iter().find(|c| c["name"] == "Kalender Sekolah").unwrap();
    assert_eq!(copy["assigned_to"][0]["unit_code"], "SD1", "{copy}");

    // A rule set version: grace 5 minutes, TL1 1%, from tomorrow.
    let (_, rules) = s.get("/api/v1/rule-sets", &o.admin).await;
    let from = rules[0]["id"].as_i64().unwrap();
    let (st, page) = get(&s, &format!("/admin/policies/rule-sets/new?from={from}"), &c).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("name=\"late_0_pct\" value=\"0.5\""), "{page}");
    let tz = jiff::tz::TimeZone::get("Asia/Jakarta").unwrap();
    let tomorrow = jiff::Timestamp::now().to_zoned_datetime(tz).date().tomorrow().unwrap();
    let form = |tl1: &str, cap: &str| {
        format!(
            "name=Perbup+2027&effective_from={tomorrow}&grace=5&early_grace=0\
             &late_0_up=30&late_0_pct={tl1}&late_1_up=60&late_1_pct=1&late_2_up=90&late_2_pct=1.25&late_3_up=&late_3_pct=1.5\
             &early_0_up=30&early_0_pct=0.5&early_1_up=60&early_1_pct=1&early_2_up=90&early_2_pct=1.25&early_3_up=&early_3_pct=1.5\
             &missing_in=1.5&missing_out=1.5&tk=3&cap={cap}&share=40&cat_PNS=1&cat_PPPK=1"
        )
    };
    let (st, err) = post(&s, &format!("/admin/policies/rule-sets?from={from}"), &c, None, &form("x", "100")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err.contains("Terlambat TL1: persentase tidak valid"), "{err}");
    let (st, err) = post(&s, &format!("/admin/policies/rule-sets?from={from}"), &c, None, &form("1", "150")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(err.contains("Aturan tidak valid"), "the API's validation: {err}");
    let (st, page) = post(&s, &format!("/admin/policies/rule-sets?from={from}"), &c, None, &form("1", "100")).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let (_, rules) = s.get("/api/v1/rule-sets", &o.admin).await;
    let new = rules.as_array().unwrap().iter().find(|r| r["name"] == "Perbup 2027").expect("stored");
    assert_eq!(
        (new["rules"]["grace_minutes"].as_u64(), new["rules"]["late"][0]["percent"].as_f64()),
        (Some(5), Some(1.0))
    );
    assert_eq!(new["effective_from"], tomorrow.to_string());
    assert_eq!(new["rules"]["categories"].as_array().unwrap().len(), 2, "{new}");

    // A regional holiday added and removed again (audited by the API).
    let (st, page) = post(
        &s,
        "/admin/policies/holidays",
        &c,
        None,
        &format!("date={tomorrow}&kind=regional&name=HUT+Kabupaten&unit_code=SD1"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let (_, hols) = s.get(&format!("/api/v1/holidays?year={}", tomorrow.year()), &o.admin).await;
    let h = hols.as_array().unwrap().iter().find(|h| h["name"] == "HUT Kabupaten").expect("added").clone();
    let (_, page) = get(&s, &format!("/admin/policies?year={}", tomorrow.year()), &c).await;
    assert!(page.contains(&format!("data-holiday=\"{}\"", h["id"])), "{page}");
    let (st, page) = post(&s, &format!("/admin/policies/holidays/{}/delete", h["id"]), &c, None, "").await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("HUT Kabupaten") && page.contains("dihapus"), "{page}");
    let (_, hols) = s.get(&format!("/api/v1/holidays?year={}", tomorrow.year()), &o.admin).await;
    assert!(!hols.to_string().contains("HUT Kabupaten"));

    // Operators may look, not save.
    let op = console_session(&s, &nip(1), PW).await;
    let (_, page) = get(&s, "/admin/policies", &op).await;
    assert!(!page.contains("delete-holiday") && !page.contains("new-version"), "admin-only actions hidden");
    let (st, _) = post(&s, &path, &op, None, &body(&fields)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_operator_edits_every_employee_field_the_api_accepts() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let c = console_session(&s, &nip(1), PW).await;
    let path = format!("/admin/employees/{}/edit", nip(3));
    // Category, TPP base and start date are admins' (issue 16): the operator's form shows them
    // disabled, so a browser does not send them.
    let form = |name: &str, _cat: &str, pin: &str, active: &str| {
        format!("name={name}&unit_code=SD1&position=Guru+Kelas+IV&device_pin={pin}&active={active}")
    };
    let (_, page) = get(&s, &format!("/admin/employees/{}", nip(3)), &c).await;
    assert!(page.contains("disabled title=\"Hanya admin BKD yang dapat mengubah besaran TPP\""), "{page}");
    let (st, page) = post(&s, &path, &c, None, &form("Pegawai+Tiga", "PNS", "33", "true")).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("disimpan: 3 kolom diubah"), "name, position, PIN: {page}");
    // Sent anyway, a TPP base or start date from an operator is refused, nothing changed.
    let with_pay = "name=Pegawai+Tiga&unit_code=SD1&position=Guru+Kelas+IV&device_pin=33&active=true\
                    &tpp_base=4.250.000&start_date=2025-01-02";
    let (st, err) = post(&s, &path, &c, None, with_pay).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{err}");
    assert!(err.contains("admin_only_field"), "{err}");
    // The admin sets them through the same form.
    let a = console_session(&s, "admin", ADMIN_PW).await;
    let (st, page) = post(&s, &path, &a, None, with_pay).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("disimpan: 2 kolom diubah"), "TPP, start date: {page}");
    let (_, e) = s.get(&format!("/api/v1/employees/{}", nip(3)), &o.admin).await;
    assert_eq!(
        (e["name"].as_str(), e["position"].as_str(), e["tpp_base"].as_i64(), e["device_pin"].as_str()),
        (Some("Pegawai Tiga"), Some("Guru Kelas IV"), Some(4_250_000), Some("33")),
        "{e}"
    );
    assert_eq!(e["start_date"], "2025-01-02");
    // The same form again changes nothing, for either of them.
    let (_, page) = post(&s, &path, &c, None, &form("Pegawai+Tiga", "PNS", "33", "true")).await;
    assert!(page.contains("Tidak ada perubahan"), "{page}");
    let (_, page) = post(&s, &path, &c, None, with_pay).await;
    assert!(page.contains("Tidak ada perubahan"), "{page}");
    // A category change is the admin's; the API's validation: a PNS NIP cannot be PPPK; a PIN
    // already used by another employee.
    let (st, err) =
        post(&s, &path, &c, None, &format!("{}&category=PPPK", form("Pegawai+Tiga", "PNS", "33", "true"))).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{err}");
    let (st, err) =
        post(&s, &path, &a, None, &format!("{}&category=PPPK", form("Pegawai+Tiga", "PNS", "33", "true"))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(err.contains("flash error"), "{err}");
    let (st, err) = post(&s, &path, &c, None, &form("Pegawai+Tiga", "PNS", "1", "true")).await;
    assert_eq!(st, StatusCode::CONFLICT, "{err}");
    assert!(err.contains("PIN mesin absen sudah terdaftar"), "{err}");
    // Deactivate and reactivate from the same form; the filters find them.
    let (st, page) = post(&s, &path, &c, None, &form("Pegawai+Tiga", "PNS", "33", "false")).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let (_, list) = get(&s, "/admin/employees?status=inactive&unit=SD1&category=PNS", &c).await;
    assert!(list.contains(&nip(3)), "{list}");
    let (_, list) = get(&s, "/admin/employees?status=active&q=Tiga", &c).await;
    assert!(!list.contains(&nip(3)));
    post(&s, &path, &c, None, &form("Pegawai+Tiga", "PNS", "33", "true")).await;
    let (_, list) = get(&s, "/admin/employees?status=active&q=Tiga", &c).await;
    assert!(list.contains(&nip(3)) && list.contains("Guru Kelas IV") && list.contains("Rp 4.250.000"), "{list}");
}

#[tokio::test]
async fn the_inbox_shows_evidence_unmatched_pins_and_reviews_and_an_admin_reopens_a_month() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let c = console_session(&s, &nip(1), PW).await; // operator of DIK
    let tz = jiff::tz::TimeZone::get("Asia/Makassar").unwrap();
    let now = jiff::Timestamp::now();
    let today = now.to_zoned_datetime(tz.clone()).date();

    // A two-day SAKIT with a photo of the doctor's letter.
    let d = today.checked_sub(jiff::ToSpan::days(20)).unwrap();
    let body = serde_json::json!({"type": "SAKIT", "date_from": d.to_string(),
        "date_to": d.tomorrow().unwrap().to_string(), "reason": "demam"});
    let (st, r) = s.post("/api/v1/requests", &o.emp_sd1, body).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(common::jpeg(48)).file_name("surat.jpg"));
    let r = s
        .client
        .post(s.url(&format!("/api/v1/requests/{id}/attachments")))
        .bearer_auth(&o.emp_sd1)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // A terminal of SD1 with a punch of an unknown PIN; an offline check-in sent 3 hours late.
    let (st, _) = s.post("/api/v1/devices", &o.admin, serde_json::json!({"sn": "T1", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::CREATED);
    let local = (now - jiff::SignedDuration::from_mins(5)).to_zoned_datetime(tz).strftime("%Y-%m-%d %H:%M:%S");
    let r = client()
        .post(s.url("/iclock/cdata?SN=T1&table=ATTLOG&Stamp=1"))
        .body(format!("4242\t{local}\t0\t1\t0\t0\t0\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "OK:1");
    let meta = serde_json::json!({"idempotency_key": "late-1", "lat": common::SD1_LAT, "lon": common::SD1_LON,
        "accuracy_m": 8.0, "captured_at": (now - jiff::SignedDuration::from_hours(3)).to_string()});
    let (st, b, _) = s.checkin(&o.emp_sd1, meta, Some(common::jpeg(64))).await;
    assert_eq!((st, b["punch"]["review"].as_str()), (StatusCode::CREATED, Some("offline_gap")), "{b}");
    let punch = b["punch"]["id"].as_i64().unwrap();

    let (st, page) = get(&s, "/admin/inbox", &c).await;
    assert_eq!(st, StatusCode::OK);
    // Evidence viewer: the image through the console's own (scoped) route, and it serves.
    let prefix = format!("<img src=\"/admin/requests/{id}/attachments/");
    let at = page.find(&prefix).unwrap_or_else(|| panic!("{page}"));
    let src: String = page[at + 10..].chars().take_while(|ch| *ch != '"').collect();
    let r = client().get(s.url(&src)).header(COOKIE, &c).send().await.unwrap();
    assert_eq!((r.status(), r.headers()[CONTENT_TYPE].to_str().unwrap()), (StatusCode::OK, "image/jpeg"));
    assert!(page.contains("data-pin=\"4242\""), "{page}");
    assert!(
        page.contains(&format!("data-punch=\"{punch}\"")) && page.contains("Dikirim terlambat dari ponsel"),
        "{page}"
    );
    let (_, ps) = s.get("/api/v1/punches", &o.emp_sd1).await;
    let held = ps["items"].as_array().unwrap().iter().find(|p| p["id"] == punch).unwrap().clone();
    assert_eq!(
        (held["state"].as_str(), held["state_label"].as_str()),
        (Some("pending"), Some("menunggu pemeriksaan atasan"))
    );

    // Rejecting needs a note; the operator accepts it from the inbox, audited, and it counts.
    let (st, body) = post(&s, "/admin/review/decide", &c, None, &format!("id={punch}&decision=reject&note=")).await;
    assert!(st.is_client_error() && body.contains("alasan penolakan"), "{st} {body}");
    let (st, body) =
        post(&s, "/admin/review/decide", &c, None, &format!("id={punch}&decision=accept&note=sinyal+hilang")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("1 absen diterima"), "{body}");
    let (_, page) = get(&s, "/admin/inbox", &c).await;
    assert!(!page.contains(&format!("data-punch=\"{punch}\"")), "decided punches leave the queue");
    let (_, ps) = s.get("/api/v1/punches", &o.emp_sd1).await;
    let p = ps["items"].as_array().unwrap().iter().find(|p| p["id"] == punch).unwrap().clone();
    assert_eq!((p["state"].as_str(), p["decision_note"].as_str()), (Some("counted"), Some("sinyal hilang")), "{p}");
    let (_, audit) = s.get("/api/v1/audit?entity=punch_hold", &o.admin).await;
    assert!(audit.to_string().contains("sinyal hilang"), "{audit}");

    // Assign the PIN: the waiting punch becomes the employee's; the row is gone.
    let (st, body) = post(&s, "/admin/inbox/assign-pin", &c, None, &format!("pin=4242&employee={}", nip(3))).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("PIN 4242 diberikan"), "{body}");
    let (_, page) = get(&s, "/admin/inbox", &c).await;
    assert!(!page.contains("data-pin=\"4242\""));
    let (_, ps) = s.get(&format!("/api/v1/punches?employee={}", nip(3)), &o.admin).await;
    assert!(ps["items"].as_array().unwrap().iter().any(|p| p["device_pin"] == "4242"), "{ps}");

    // An admin locks last month and reopens it with a reason (too short a reason is refused).
    let month = {
        let m = today.first_of_month().checked_sub(jiff::ToSpan::days(1)).unwrap();
        format!("{:04}-{:02}", m.year(), m.month())
    };
    let a = console_session(&s, "admin", ADMIN_PW).await;
    let (st, body) = post(&s, "/admin/recap/lock", &a, None, &format!("month={month}&unit=")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (st, err) = post(&s, "/admin/recap/reopen", &a, None, &format!("month={month}&unit=&reason=x")).await;
    assert!(st.is_client_error(), "{st}");
    assert!(err.contains("Alasan membuka kembali"), "{err}");
    let (st, body) =
        post(&s, "/admin/recap/reopen", &a, None, &format!("month={month}&unit=&reason=Koreksi+keberatan+SD1")).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let (_, audit) = s.get("/api/v1/audit?entity=recap", &o.admin).await;
    assert!(audit.to_string().contains("Koreksi keberatan SD1"), "{audit}");
    let (st, _) =
        post(&s, "/admin/recap/reopen", &c, None, &format!("month={month}&unit=DIK&reason=operator+mencoba")).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "reopening is the BKD's");
}

#[tokio::test]
async fn pages_scripts_and_json_are_gzipped_when_asked_images_are_not_and_there_is_a_favicon() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let get_with = |path: &str, gzip: bool| {
        let mut r = client().get(s.url(path)).bearer_auth(&o.admin);
        if gzip {
            r = r.header("accept-encoding", "gzip");
        }
        r.send()
    };
    for path in ["/", "/app/app.js", "/app/app.css", "/api/openapi.json", "/admin/assets/admin.css"] {
        let r = get_with(path, true).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"), "{path}");
        let plain = get_with(path, false).await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "{path} without asking");
    }
    // Images are compressed already; tiny answers are not worth it.
    let r = get_with("/app/icon-192.png", true).await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    let r = get_with("/healthz", true).await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    let r = get_with("/favicon.ico", false).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[CONTENT_TYPE], "image/png");
}

#[tokio::test]
async fn console_times_are_in_the_regency_zone_and_labelled() {
    let config = hadir_server::ServerConfig { timezone: "Asia/Makassar".into(), ..Default::default() };
    let s = TestServer::start_with(config).await;
    let _o = org(&s).await;
    let c = console_session(&s, "admin", ADMIN_PW).await;
    let (st, board) = get(&s, "/admin/board/units", &c).await;
    assert_eq!(st, StatusCode::OK);
    let updated = board.split("Diperbarui ").nth(1).unwrap().split(' ').take(2).collect::<Vec<_>>();
    assert_eq!(updated[1], "WITA", "{board}");
    // The audit log: every change of the set-up above, at a WITA time.
    let (_, audit) = get(&s, "/admin/audit", &c).await;
    assert!(audit.contains(" WITA</td>"), "{audit}");
    assert!(!audit.contains("Z</td>") && !audit.contains("+00:00</td>"), "no raw UTC instants: {audit}");
}

/// The latest day before today (within two weeks) on which `token`'s employee is TK.
async fn recent_tk_day(s: &TestServer, token: &str, today: jiff::civil::Date) -> jiff::civil::Date {
    let mut d = today.yesterday().unwrap();
    for _ in 0..14 {
        let month = format!("{:04}-{:02}", d.year(), d.month());
        let (st, days) = s.get(&format!("/api/v1/me/days?month={month}"), token).await;
        assert_eq!(st, StatusCode::OK, "{days}");
        let day = days["days"].as_array().unwrap().iter().find(|x| x["date"] == d.to_string()).unwrap().clone();
        if day["status"] == "TK" {
            return d;
        }
        d = d.yesterday().unwrap();
    }
    panic!("no TK day in the last two weeks");
}

async fn day_record(s: &TestServer, token: &str, d: jiff::civil::Date) -> serde_json::Value {
    let (_, days) = s.get(&format!("/api/v1/me/days?month={:04}-{:02}", d.year(), d.month()), token).await;
    days["days"].as_array().unwrap().iter().find(|x| x["date"] == d.to_string()).unwrap().clone()
}

#[tokio::test]
async fn an_objection_is_accepted_from_its_card_with_a_corrected_time_or_status() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let head = console_session(&s, &nip(2), PW).await; // head of SD1
    let tz = jiff::tz::TimeZone::get("Asia/Makassar").unwrap();
    let today = jiff::Timestamp::now().to_zoned_datetime(tz).date();
    let d = recent_tk_day(&s, &o.emp_sd1, today).await;

    // The employee names the checkpoint and the time they were there.
    let body = serde_json::json!({"type": "KEBERATAN", "date_from": d.to_string(), "start": "07:20",
        "checkpoints": ["masuk"], "reason": "Saya hadir pukul 07.20; mesin di ruang guru mati."});
    let (st, r) = s.post("/api/v1/requests", &o.emp_sd1, body).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();

    // The card shows the day as recorded and the correction prefilled from the objection.
    let (st, page) = get(&s, "/admin/inbox", &head).await;
    assert_eq!(st, StatusCode::OK);
    let at = page.find(&format!("id=\"request-{id}\"")).unwrap_or_else(|| panic!("{page}"));
    let card = &page[at..at + page[at..].find("</article>").unwrap()];
    assert!(card.contains("data-testid=\"recorded-status\">tanpa keterangan<"), "{card}");
    assert!(card.contains("<tr data-checkpoint=\"masuk\"><td>Masuk</td><td>—</td>"), "{card}");
    assert!(card.contains("<option value=\"masuk\" selected>Masuk</option>"), "{card}");
    assert!(card.contains("name=\"time\" type=\"time\" value=\"07:20\""), "{card}");

    // Accepting without a correction and rejecting without a note are refused.
    let path = format!("/admin/requests/{id}/decision");
    let (st, err) = post(&s, &path, &head, None, "decision=approve&comment=&checkpoint=masuk&time=&status=").await;
    assert!(st.is_client_error() && err.contains("koreksi"), "{st} {err}");
    let (st, _) = post(&s, &path, &head, None, "decision=reject&comment=&checkpoint=masuk&time=07%3A20").await;
    assert!(st.is_client_error(), "{st}");

    // Accepted with the time: the card says so and the day counts masuk at 07:20.
    let (st, card) =
        post(&s, &path, &head, None, "decision=approve&comment=Saksi+kepala&checkpoint=masuk&time=07%3A20&status=")
            .await;
    assert_eq!(st, StatusCode::OK, "{card}");
    assert!(card.contains("data-state=\"approved\"") && !card.contains("data-testid=\"approve\""), "{card}");
    let day = day_record(&s, &o.emp_sd1, d).await;
    assert_eq!(day["status"], "HADIR", "{day}");
    let masuk = day["checkpoints"].as_array().unwrap().iter().find(|c| c["name"] == "masuk").unwrap();
    assert_eq!(masuk["punch"]["time"], "07:20", "{day}");
    assert_eq!(masuk["code"], serde_json::Value::Null, "on time: {day}");

    // A second objection (another TK day) accepted with a status: the whole day is HADIR.
    let d2 = recent_tk_day(&s, &o.emp_sd1, d).await;
    let body = serde_json::json!({"type": "KEBERATAN", "date_from": d2.to_string(), "reason": "Rapat di dinas"});
    let (st, r) = s.post("/api/v1/requests", &o.emp_sd1, body).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let id2 = r["id"].as_i64().unwrap();
    let (st, card) = post(
        &s,
        &format!("/admin/requests/{id2}/decision"),
        &head,
        None,
        "decision=approve&comment=&checkpoint=masuk&time=&status=HADIR",
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{card}");
    let day = day_record(&s, &o.emp_sd1, d2).await;
    assert_eq!(day["status"], "HADIR", "{day}");
    let deduction = &day["deduction"];
    let deduction = deduction.as_f64().or_else(|| deduction.as_str().and_then(|v| v.parse().ok()));
    assert_eq!(deduction, Some(0.0), "{day}");
}
