//! Issue 25 point 4 over HTTP: channel policy rows per unit and category from a date. A punch
//! through a channel that does not count is stored and shown as not counted; people whose
//! attendance is not recorded yet get no TK; each change applies from its date, never before
//! (the day before and the day itself). Refusals change nothing.

mod common;

use common::*;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A Monday and a Tuesday in the past, both working days.
const MON: Date = date(2026, 11, 9);
const TUE: Date = date(2026, 11, 10);

fn at(d: Date, h: i8, m: i8) -> jiff::Timestamp {
    d.at(h, m, 0, 0).to_zoned_datetime(TimeZone::get("Asia/Makassar").unwrap()).unwrap().timestamp()
}

async fn day(s: &TestServer, admin: &str, nip_: &str, d: Date) -> Value {
    let (st, b) = s.get(&format!("/api/v1/employees/{nip_}/days?month=2026-11"), admin).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["days"].as_array().unwrap().iter().find(|r| r["date"] == d.to_string()).unwrap().clone()
}

async fn policies(s: &TestServer, admin: &str) -> (Value, u64) {
    let (st, b) = s.get("/api/v1/channel-policies", admin).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    (b, s.store.list_audit(None, 0, 1).await.unwrap().total)
}

#[tokio::test]
async fn channels_that_do_not_count_and_people_not_recorded_yet_from_the_policy_date() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    // nip(3): PNS in SD1 with terminal punches on both days. nip(50): honorer in SD1, no punch.
    let (st, b) = s
        .post(
            "/api/v1/employees",
            &o.admin,
            json!({"nip": nip(50), "name": "Honorer SD1", "category": "HONORER", "unit_code": "SD1",
                   "password": PW, "start_date": FIXTURE_START}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let pns = s.store.employee_by_login(&nip(3)).await.unwrap().id;
    let ps: Vec<_> = [MON, TUE].iter().flat_map(|d| [punch(pns, at(*d, 7, 20)), punch(pns, at(*d, 16, 5))]).collect();
    s.store.insert_punches(&ps).await.unwrap();

    // Without any policy: the PNS is present both days, the honorer is TK both days.
    for d in [MON, TUE] {
        assert_eq!(day(&s, &o.admin, &nip(3), d).await["status"], "HADIR");
        assert_eq!(day(&s, &o.admin, &nip(50), d).await["status"], "TK");
    }

    // From Tuesday: in SD1's subtree only the app counts; honorer attendance is not recorded yet.
    let (st, r) = s
        .post(
            "/api/v1/channel-policies",
            &o.admin,
            json!({"unit_code": "SD1", "effective_from": TUE.to_string(), "channels": ["mobile"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["policy"]["channels"], json!(["mobile"]));
    assert!(r["message"].as_str().unwrap().contains("Hari sebelumnya tidak berubah"), "{r}");
    let (st, r) = s
        .post(
            "/api/v1/channel-policies",
            &o.admin,
            json!({"unit_code": "SD1", "category": "honorer", "effective_from": TUE.to_string(), "recorded": false}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!((r["policy"]["category"].as_str(), r["policy"]["recorded"].as_bool()), (Some("HONORER"), Some(false)));

    // The day before the policy: unchanged.
    assert_eq!(day(&s, &o.admin, &nip(3), MON).await["status"], "HADIR");
    assert_eq!(day(&s, &o.admin, &nip(50), MON).await["status"], "TK");
    // From its date: the terminal punches are stored but do not count; the honorer is not TK.
    let tue = day(&s, &o.admin, &nip(3), TUE).await;
    assert_eq!(tue["status"], "TK", "{tue}");
    let ignored = tue["ignored_punches"].as_array().unwrap();
    assert_eq!(ignored.len(), 2, "{tue}");
    assert!(ignored.iter().all(|i| i["reason"] == "channel_not_counted"), "{tue}");
    assert!(ignored[0]["explanation"].as_str().unwrap().contains("lewat mesin absen tidak dihitung"), "{tue}");
    let (st, mine) = s.get(&format!("/api/v1/punches?employee={}", nip(3)), &o.admin).await;
    assert_eq!(st, StatusCode::OK);
    let mine = mine["items"].as_array().unwrap();
    assert_eq!(mine.len(), 4, "the punches stay stored");
    // The list shows which ones do not count: Tuesday's, not Monday's.
    for p in mine {
        let tuesday = p["punched_at"].as_str().unwrap().starts_with(&TUE.to_string());
        let note = p["channel_not_counted"].as_str();
        assert_eq!(note.is_some(), tuesday, "{p}");
        if let Some(n) = note {
            assert!(n.contains("tidak dihitung") && n.contains("mesin absen"), "{n}");
        }
    }
    let hon = day(&s, &o.admin, &nip(50), TUE).await;
    assert_eq!(hon["status"], "BELUM_AKTIF", "{hon}");
    assert!(hon["explanation"].as_str().unwrap().contains("belum dicatat"), "{hon}");
    // Other units are not touched: RSUD's employee keeps TK without a policy (no punch).
    assert_eq!(day(&s, &o.admin, &nip(4), TUE).await["status"], "TK");

    // Listed for staff, audited.
    let (list, _) = policies(&s, &o.operator).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let audit = s.store.list_audit(Some("channel_policy"), 0, 10).await.unwrap();
    assert_eq!(audit.total, 2);
}

#[tokio::test]
async fn refusals_change_nothing() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let before = policies(&s, &o.admin).await;
    let code = |b: &Value| b["error"]["code"].as_str().unwrap_or_default().to_string();
    let good = json!({"unit_code": "SD1", "channels": ["terminal"]});
    // Only admins decide.
    for t in [&o.operator, &o.head, &o.emp_sd1] {
        let (st, b) = s.post("/api/v1/channel-policies", t, good.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    }
    let (st, b) = s.get("/api/v1/channel-policies", &o.emp_sd1).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    let cases = [
        (json!({"unit_code": "SD1", "channels": ["fax"]}), "invalid_channel"),
        (json!({"unit_code": "SD1", "category": "KONTRAK", "channels": ["mobile"]}), "invalid_category"),
        (json!({"unit_code": "NOPE", "channels": ["mobile"]}), "unknown_unit"),
        (json!({"unit_code": "SD1", "channels": []}), "channels_required"),
        (json!({"unit_code": "SD1", "channels": ["mobile"], "effective_from": "10/11/2026"}), "invalid_date"),
        (json!({"unit_code": "SD1", "channels": ["mobile"], "effective_from": "1850-01-01"}), "invalid_date"),
    ];
    for (body, want) in cases {
        let (st, b) = s.post("/api/v1/channel-policies", &o.admin, body.clone()).await;
        assert_eq!((st, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, want.to_string()), "{body}: {b}");
        assert!(!b["error"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(policies(&s, &o.admin).await, before, "no row and no audit record added");
    let wita_today =
        || jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).date();
    let first = wita_today();
    let (st, b) = s.post("/api/v1/channel-policies", &o.admin, good).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    // Without a date it starts today in SD1's zone (WITA), never on Jakarta's date, which from
    // 16:00 UTC is WITA's finished yesterday.
    let from = b["policy"]["effective_from"].as_str().unwrap().to_string();
    assert!([first.to_string(), wita_today().to_string()].contains(&from), "{b}");
}

/// The console's "Kanal presensi" page: admins add a row with the form; operators see the rows
/// but cannot add one (nothing changes).
#[tokio::test]
async fn console_page_adds_rows_for_admins_only() {
    use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
    let s = TestServer::start().await;
    let o = org(&s).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let session = |user: String, pw: &'static str| {
        let client = client.clone();
        let url = s.url("/admin/login");
        async move {
            let r = client
                .post(url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(format!("username={user}&password={pw}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            r.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
        }
    };
    let admin = session("admin".into(), ADMIN_PW).await;
    let operator = session(nip(1), PW).await;
    let post = |cookie: String, body: &'static str| {
        client
            .post(s.url("/admin/kanal"))
            .header(COOKIE, cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("HX-Request", "true")
            .body(body)
            .send()
    };
    let page = client.get(s.url("/admin/kanal")).header(COOKIE, &admin).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"channel-form\"") && page.contains("Belum ada aturan kanal"), "{page}");

    let before = policies(&s, &o.admin).await;
    let r = post(operator.clone(), "unit_code=SD1&category=&effective_from=2026-11-10&ch_terminal=on").await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nothing ticked and still recorded: refused with its reason.
    let r = post(admin.clone(), "unit_code=SD1&category=&effective_from=2026-11-10").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Pilih setidaknya satu kanal"));
    assert_eq!(policies(&s, &o.admin).await, before);

    let r = post(admin.clone(), "unit_code=SD1&category=PPPK&effective_from=2026-11-10&ch_terminal=on&ch_relay=on")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("berlaku mulai 2026-11-10"));
    let (list, _) = policies(&s, &o.admin).await;
    assert_eq!(list["items"][0]["channels"], json!(["terminal", "relay"]));
    assert_eq!(list["items"][0]["category"], "PPPK");
    let page = client.get(s.url("/admin/kanal")).header(COOKIE, &operator).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("id=\"channel-form\""), "operators get no form");
    assert!(page.contains("<td>mesin absen, penerus data kantor</td>"), "{page}");
}
