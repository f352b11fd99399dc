//! Issue 16, "People and roles", over HTTP: nobody edits what their own pay and attendance rest
//! on, operators do not touch pay fields or role holders' passwords, your own password needs the
//! current one (and a reset by someone else is shown to you), nobody decides a request that
//! concerns them, and refusals never name someone outside the caller's scope. Each attack checks
//! the refusal and that nothing changed.

mod common;

use common::*;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn code(b: &Value) -> Option<&str> {
    b["error"]["code"].as_str()
}

async fn record(s: &TestServer, admin: &str, login: &str) -> Value {
    let (st, b) = s.get(&format!("/api/v1/employees/{login}"), admin).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

async fn patch(s: &TestServer, token: &str, login: &str, body: Value) -> (StatusCode, Value) {
    s.call(Method::PATCH, &format!("/api/v1/employees/{login}"), Some(token), body).await
}

async fn try_login(s: &TestServer, username: &str, password: &str) -> (StatusCode, Value) {
    s.call(Method::POST, "/api/v1/auth/login", None, json!({"username": username, "password": password})).await
}

/// A day of last month (closed, any weekday: MANUAL and OUTAGE take any date).
fn last_month_day() -> jiff::civil::Date {
    let today = Timestamp::now().to_zoned_datetime(TimeZone::get("Asia/Makassar").unwrap()).date();
    today.first_of_month().checked_sub(1.month()).unwrap().checked_add(9.days()).unwrap()
}

async fn attach(s: &TestServer, token: &str, id: i64) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(jpeg(32)).file_name("bukti.jpg".to_string()));
    let r = s
        .client
        .post(s.url(&format!("/api/v1/requests/{id}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

async fn request(s: &TestServer, token: &str, id: i64) -> Value {
    let (st, b) = s.get(&format!("/api/v1/requests/{id}"), token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

/// The console inbox page as `user` sees it.
async fn console_inbox(s: &TestServer, user: &str, pw: &str) -> String {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client
        .post(s.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={pw}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let page = client.get(s.url("/admin/inbox")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    page.text().await.unwrap()
}

async fn inbox_ids(s: &TestServer, token: &str) -> Vec<i64> {
    let (st, b) = s.get("/api/v1/requests?inbox=true", token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn operator_cannot_edit_own_record() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let me = nip(1); // the operator of DIK
    let before = record(&s, &o.admin, &me).await;

    let (st, b) = patch(&s, &o.operator, &me, json!({"tpp_base": 999_999_999})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_record")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("sendiri"), "{b}");
    let (st, b) = patch(&s, &o.operator, &me, json!({"start_date": "2099-01-01"})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_record")), "{b}");
    let (st, b) = patch(&s, &o.operator, &me, json!({"device_pin": "7777"})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_record")), "{b}");
    let (st, b) = patch(&s, &o.operator, &me, json!({"name": "Nama Baru"})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_record")), "{b}");
    let (st, b) = s.post(&format!("/api/v1/employees/{me}/deactivate"), &o.operator, Value::Null).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_record")), "{b}");
    // Extra check-in locations and the roster are part of the own record too.
    let (_, units) = s.get("/api/v1/units", &o.admin).await;
    let rsud_loc = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "RSUD")
        .map(|u| u["locations"][0]["id"].as_i64().unwrap())
        .unwrap();
    let (st, b) =
        s.post(&format!("/api/v1/employees/{me}/locations"), &o.operator, json!({"location_id": rsud_loc})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_record")), "{b}");
    let (st, b) = s
        .call(
            Method::PUT,
            "/api/v1/roster",
            Some(&o.operator),
            json!({"entries": [{"nip": me, "date": last_month_day().to_string(), "clear": true}]}),
        )
        .await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_record")), "{b}");

    // A head is told the same about their own record.
    let head_before = record(&s, &o.admin, &nip(2)).await;
    let (st, b) = patch(&s, &o.head, &nip(2), json!({"tpp_base": 999_999_999})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_record")), "{b}");
    assert_eq!(record(&s, &o.admin, &nip(2)).await, head_before);

    // Nothing changed.
    assert_eq!(record(&s, &o.admin, &me).await, before);
    let (_, locs) = s.get(&format!("/api/v1/employees/{me}/locations"), &o.admin).await;
    assert_eq!(locs, json!([]));
    let my_id = before["id"].as_i64().unwrap();
    let d = last_month_day();
    assert!(s.store.list_roster(Some(my_id), d, d).await.unwrap().is_empty());

    // The operator still edits others of their unit; an admin edits the operator's record.
    let (st, b) = patch(&s, &o.operator, &nip(3), json!({"device_pin": "333"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) =
        patch(&s, &o.admin, &me, json!({"tpp_base": 4_500_000, "start_date": "2020-01-02", "device_pin": "111"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(
        (b["tpp_base"].as_i64(), b["start_date"].as_str(), b["device_pin"].as_str()),
        (Some(4_500_000), Some("2020-01-02"), Some("111"))
    );
    let (st, _) =
        s.post(&format!("/api/v1/employees/{me}/locations"), &o.admin, json!({"location_id": rsud_loc})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn operator_cannot_change_pay_fields_of_others() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let other = nip(3); // SD1, inside the operator's DIK subtree
    let (st, b) = patch(&s, &o.admin, &other, json!({"tpp_base": 3_000_000, "start_date": "2019-03-01"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let before = record(&s, &o.admin, &other).await;

    for (body, field) in [
        (json!({"tpp_base": 999_999_999}), "tpp_base"),
        (json!({"category": "PPPK"}), "category"),
        (json!({"start_date": "2099-01-01"}), "start_date"),
        (json!({"name": "Boleh", "tpp_base": 1}), "tpp_base"),
    ] {
        let (st, b) = patch(&s, &o.operator, &other, body).await;
        assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("admin_only_field")), "{b}");
        assert_eq!(b["error"]["details"]["field"], field, "{b}");
        assert!(b["error"]["message"].as_str().unwrap().starts_with("Hanya admin BKD"), "{b}");
    }
    assert_eq!(record(&s, &o.admin, &other).await, before, "nothing changed");

    // Name and position are the operator's to keep; sending the stored pay fields is no change.
    let (st, b) = patch(
        &s,
        &o.operator,
        &other,
        json!({"name": "Nama Baru", "position": "Guru Kelas", "tpp_base": 3_000_000, "category": "PNS", "start_date": "2019-03-01"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!((b["name"].as_str(), b["position"].as_str()), (Some("Nama Baru"), Some("Guru Kelas")));
    assert_eq!((b["tpp_base"].as_i64(), b["start_date"].as_str()), (Some(3_000_000), Some("2019-03-01")));

    // Registering: category and start date yes, a TPP base no.
    let (st, b) = s
        .post(
            "/api/v1/employees",
            &o.operator,
            json!({"nip": nip(20), "name": "Baru", "category": "PNS", "unit_code": "SD1", "start_date": "2024-01-02", "tpp_base": 5_000_000}),
        )
        .await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("admin_only_field")), "{b}");
    let (st, _) = s.get(&format!("/api/v1/employees/{}", nip(20)), &o.admin).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "not created");
    let (st, b) = s
        .post(
            "/api/v1/employees",
            &o.operator,
            json!({"nip": nip(20), "name": "Baru", "category": "PNS", "unit_code": "SD1", "start_date": "2024-01-02"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!((b["start_date"].as_str(), b["tpp_base"].as_i64()), (Some("2024-01-02"), None));

    // CSV import by an operator: the line with a TPP base is refused, the rest imports.
    let csv =
        format!("nip,name,category,unit_code,tpp_base\n{},Satu,PNS,SD1,\n{},Dua,PNS,SD1,7000000\n", nip(21), nip(22));
    let r = s
        .client
        .post(s.url("/api/v1/employees/import"))
        .bearer_auth(&o.operator)
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rep: Value = r.json().await.unwrap();
    assert_eq!((rep["imported"].as_u64(), rep["failed"].as_u64()), (Some(1), Some(1)), "{rep}");
    assert_eq!(
        (rep["errors"][0]["line"].as_u64(), rep["errors"][0]["code"].as_str()),
        (Some(3), Some("admin_only_field"))
    );
    let (st, _) = s.get(&format!("/api/v1/employees/{}", nip(22)), &o.admin).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // The admin imports it with the TPP base.
    let r = s.client.post(s.url("/api/v1/employees/import")).bearer_auth(&o.admin).body(csv).send().await.unwrap();
    let rep: Value = r.json().await.unwrap();
    assert_eq!(rep["imported"].as_u64(), Some(1), "{rep}");
    assert_eq!(record(&s, &o.admin, &nip(22)).await["tpp_base"].as_i64(), Some(7_000_000));
}

#[tokio::test]
async fn passwords_resets_and_own_change() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (head, plain) = (nip(2), nip(3));

    // An operator resets a role holder's password: refused, the old password still works.
    let (st, b) =
        s.post(&format!("/api/v1/employees/{head}/password"), &o.operator, json!({"password": "diambil-alih"})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("role_holder")), "{b}");
    assert_eq!(try_login(&s, &head, "diambil-alih").await.0, StatusCode::UNAUTHORIZED);
    let (st, b) = try_login(&s, &head, PW).await;
    assert_eq!(st, StatusCode::OK);
    assert!(b.get("password_reset").is_none(), "{b}");
    // Nor their own through the reset route (that needs the current password).
    let (st, b) =
        s.post(&format!("/api/v1/employees/{}/password", nip(1)), &o.operator, json!({"password": "tanpa-lama"})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_password")), "{b}");
    assert_eq!(try_login(&s, &nip(1), "tanpa-lama").await.0, StatusCode::UNAUTHORIZED);
    let (st, _) =
        s.post(&format!("/api/v1/employees/{plain}/password"), &o.emp_sd1, json!({"password": "tanpa-lama"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(try_login(&s, &plain, "tanpa-lama").await.0, StatusCode::UNAUTHORIZED);

    // A plain employee's password is the operator's to reset; the owner sees it at next login.
    let (st, b) =
        s.post(&format!("/api/v1/employees/{plain}/password"), &o.operator, json!({"password": "sementara1"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(try_login(&s, &plain, PW).await.0, StatusCode::UNAUTHORIZED);
    let (st, b) = try_login(&s, &plain, "sementara1").await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["password_reset"]["by_name"], "Pegawai 1", "{b}");
    let at = b["password_reset"]["at"].as_str().unwrap();
    assert!(at.ends_with("+07:00"), "{at}");
    let at: Timestamp = at.parse().unwrap();
    assert!(Timestamp::now().duration_since(at).as_secs().abs() < 120, "{at}");
    let token = b["token"].as_str().unwrap().to_string();

    // The owner's own change needs the current password.
    let (st, b) = s
        .post("/api/v1/me/password", &token, json!({"current_password": "salah-tebak", "new_password": "milikku99"}))
        .await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("wrong_password")), "{b}");
    assert_eq!(try_login(&s, &plain, "milikku99").await.0, StatusCode::UNAUTHORIZED);
    let (st, b) = try_login(&s, &plain, "sementara1").await;
    assert_eq!(st, StatusCode::OK);
    assert!(b["password_reset"].is_object(), "still shown until the owner changes it: {b}");
    let (st, b) = s
        .post("/api/v1/me/password", &token, json!({"current_password": "sementara1", "new_password": "milikku99"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert!(b.get("password_reset").is_none(), "{b}");
    assert!(b["token"].as_str().is_some_and(|t| t != token));
    assert_eq!(try_login(&s, &plain, "sementara1").await.0, StatusCode::UNAUTHORIZED);
    let (st, b) = try_login(&s, &plain, "milikku99").await;
    assert_eq!(st, StatusCode::OK);
    assert!(b.get("password_reset").is_none(), "cleared: {b}");

    // Wrong current passwords count as failed logins: the sixth try is throttled.
    let t = b["token"].as_str().unwrap().to_string();
    for _ in 0..5 {
        let (st, _) =
            s.post("/api/v1/me/password", &t, json!({"current_password": "x-salah", "new_password": "lainnya1"})).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
    let (st, b) =
        s.post("/api/v1/me/password", &t, json!({"current_password": "milikku99", "new_password": "lainnya1"})).await;
    assert_eq!((st, code(&b)), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")), "{b}");

    // An admin resets the head's password.
    let (st, _) =
        s.post(&format!("/api/v1/employees/{head}/password"), &o.admin, json!({"password": "dari-admin"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, b) = try_login(&s, &head, "dari-admin").await;
    assert_eq!((st, b["password_reset"]["by_name"].as_str()), (StatusCode::OK, Some("Admin BKD")), "{b}");
}

#[tokio::test]
async fn nobody_decides_a_request_that_concerns_them() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let d = last_month_day();

    // A MANUAL sheet of SD1 filed by the DIK operator, listing the head of SD1.
    let (st, b) = s
        .post(
            "/api/v1/requests",
            &o.operator,
            json!({"type": "MANUAL", "unit": "SD1", "date_from": d.to_string(), "reason": "mesin absen rusak",
                   "entries": [{"employee": nip(2), "time": "07:15"}, {"employee": nip(3), "time": "07:20"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let manual = b["id"].as_i64().unwrap();
    attach(&s, &o.operator, manual).await;
    assert_eq!(request(&s, &o.head, manual).await["can_decide"], false);
    assert!(!inbox_ids(&s, &o.head).await.contains(&manual), "not offered to the head");
    let (st, b) = s.post(&format!("/api/v1/requests/{manual}/decision"), &o.head, json!({"approve": true})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_request")), "{b}");
    let r = request(&s, &o.admin, manual).await;
    assert_eq!((r["state"].as_str(), r["decided_by"].as_str()), (Some("submitted"), None));
    // The console inbox offers no decision buttons to the head either (a card the admin sees
    // has them).
    let head_page = console_inbox(&s, &nip(2), PW).await;
    assert!(head_page.contains("Permohonan"), "{head_page}");
    assert!(!head_page.contains(&format!("/admin/requests/{manual}/decision")), "no buttons for #{manual}");
    let admin_page = console_inbox(&s, "admin", ADMIN_PW).await;
    assert!(admin_page.contains(&format!("/admin/requests/{manual}/decision")), "{admin_page}");
    // Someone it does not concern decides it (an admin).
    let (st, b) = s.post(&format!("/api/v1/requests/{manual}/decision"), &o.admin, json!({"approve": true})).await;
    assert_eq!(st, StatusCode::OK, "{b}");

    // An OUTAGE of DIK (filed by an admin): the DIK operator belongs to DIK, so may not decide it.
    let (st, b) = s
        .post(
            "/api/v1/requests",
            &o.admin,
            json!({"type": "OUTAGE", "unit": "DIK", "date_from": d.to_string(), "start": "07:00", "end": "09:00",
                   "reason": "listrik padam"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let outage = b["id"].as_i64().unwrap();
    attach(&s, &o.admin, outage).await;
    assert_eq!(request(&s, &o.operator, outage).await["can_decide"], false);
    assert!(!inbox_ids(&s, &o.operator).await.contains(&outage));
    let (st, b) = s.post(&format!("/api/v1/requests/{outage}/decision"), &o.operator, json!({"approve": true})).await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, Some("own_request")), "{b}");
    assert_eq!(request(&s, &o.admin, outage).await["state"], "submitted");

    // The head of the parent unit (KAB) decides it, even though their own post is in DIK.
    s.employee(&o.admin, &nip(5), "DIK", "5").await;
    s.grant(&o.admin, &nip(5), "head", "KAB").await;
    let kab_head = s.login(&nip(5), PW).await;
    assert!(inbox_ids(&s, &kab_head).await.contains(&outage));
    assert_eq!(request(&s, &kab_head, outage).await["can_decide"], true);
    let (st, b) = s.post(&format!("/api/v1/requests/{outage}/decision"), &kab_head, json!({"approve": true})).await;
    assert_eq!((st, b["state"].as_str()), (StatusCode::OK, Some("approved")), "{b}");
}

#[tokio::test]
async fn refusals_never_name_someone_out_of_scope() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let outsider = nip(4); // RSUD, outside the DIK operator's scope
    let (st, _) = patch(&s, &o.admin, &outsider, json!({"name": "Dokter Rahasia Sekali"})).await;
    assert_eq!(st, StatusCode::OK);
    let d = last_month_day();
    let manual = |who: &str| {
        json!({"type": "MANUAL", "unit": "SD1", "date_from": d.to_string(), "reason": "x",
               "entries": [{"employee": who, "time": "07:15"}]})
    };
    let (st_out, out) = s.post("/api/v1/requests", &o.operator, manual(&outsider)).await;
    let (st_none, none) = s.post("/api/v1/requests", &o.operator, manual(&nip(99))).await;
    assert_eq!(st_out, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!((st_out, code(&out)), (st_none, code(&none)));
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(!msg.contains("Rahasia"), "{msg}");
    assert_eq!(msg.replace(&outsider, "#"), none["error"]["message"].as_str().unwrap().replace(&nip(99), "#"));

    // Records, password resets and request filing for an outsider answer as for nobody.
    for (method, path, body) in [
        (Method::GET, "/api/v1/employees/{}", Value::Null),
        (Method::PATCH, "/api/v1/employees/{}", json!({"name": "x"})),
        (Method::POST, "/api/v1/employees/{}/password", json!({"password": "sandi-baru"})),
        (Method::POST, "/api/v1/employees/{}/locations", json!({"location_id": 1})),
    ] {
        let (a, ba) = s.call(method.clone(), &path.replace("{}", &outsider), Some(&o.operator), body.clone()).await;
        let (b, bb) = s.call(method, &path.replace("{}", &nip(99)), Some(&o.operator), body).await;
        assert_eq!((a, &ba), (b, &bb), "{path}");
        assert!(!ba.to_string().contains("Rahasia"));
    }
    let (a, ba) = s
        .post(
            "/api/v1/requests",
            &o.operator,
            json!({"type": "IZIN", "employee": outsider, "date_from": d.to_string(), "reason": "x"}),
        )
        .await;
    let (b, bb) = s
        .post(
            "/api/v1/requests",
            &o.operator,
            json!({"type": "IZIN", "employee": nip(99), "date_from": d.to_string(), "reason": "x"}),
        )
        .await;
    assert_eq!((a, &ba), (b, &bb));
    assert_eq!(record(&s, &o.admin, &outsider).await["name"], "Dokter Rahasia Sekali");
    assert_eq!(try_login(&s, &outsider, PW).await.0, StatusCode::OK);
}
