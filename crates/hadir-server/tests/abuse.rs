//! Issue 17 (holds under abuse), the parts built so far: image bombs refused from the header,
//! control characters refused at the edge, impossible years answered 422, CSV injection
//! neutralised, security headers on every response, leave quota and attachment count held
//! against parallel requests. Each refusal is checked for nothing stored.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

/// A PNG whose header declares `w`×`h` pixels but carries a tiny image: what an attacker sends.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::new(8, 8);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    let mut b = out.into_inner();
    b[16..20].copy_from_slice(&w.to_be_bytes());
    b[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in bytes {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn meta(key: &str) -> serde_json::Value {
    json!({"idempotency_key": key, "lat": SD1_LAT, "lon": SD1_LON, "accuracy_m": 6.0})
}

#[tokio::test]
async fn image_bombs_are_refused_from_the_header() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let bomb = png_claiming(11_000, 11_000);
    assert!(bomb.len() < 2_000, "a tiny file");
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("bomb"), Some(bomb.clone())).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("image_too_large")), "{b}");
    let (_, list) = s.get("/api/v1/punches", &o.emp_sd1).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing stored");
    // The same as request evidence.
    let (st, r) = s
        .post(
            "/api/v1/requests",
            &o.emp_sd1,
            json!({"type": "IZIN", "date_from": "2026-11-02", "reason": "urusan keluarga"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bomb).file_name("surat.png"));
    let resp = s
        .client
        .post(s.url(&format!("/api/v1/requests/{id}/attachments")))
        .bearer_auth(&o.emp_sd1)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, r) = s.get(&format!("/api/v1/requests/{id}"), &o.emp_sd1).await;
    assert!(r["attachments"].as_array().map(|a| a.is_empty()).unwrap_or(true), "{r}");
    // A normal selfie still works.
    let (st, b, _) = s.checkin(&o.emp_sd1, meta("ok"), Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn control_characters_and_impossible_years_get_a_clear_422() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let mut m = meta("nul");
    m["note"] = json!("rapat\u{0}pagi");
    let (st, b, _) = s.checkin(&o.emp_sd1, m, Some(jpeg(64))).await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("control_characters")),
        "{b}"
    );
    assert_eq!(b["error"]["details"]["field"], "note");
    let (_, list) = s.get("/api/v1/punches", &o.emp_sd1).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing stored");
    // Any JSON body: a request reason with an escape character.
    let (st, b) = s
        .post(
            "/api/v1/requests",
            &o.emp_sd1,
            json!({"type": "IZIN", "date_from": "2026-11-02", "reason": "a\u{1b}[31m"}),
        )
        .await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("control_characters")),
        "{b}"
    );
    let (_, mine) = s.get("/api/v1/requests?mine=true", &o.emp_sd1).await;
    assert_eq!(mine["total"], 0, "{mine}");
    // Line breaks are text, not control.
    let mut m = meta("newline");
    m["note"] = json!("baris satu\nbaris dua");
    let (st, b, _) = s.checkin(&o.emp_sd1, m, Some(jpeg(64))).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    for year in ["32767", "-5", "1999", "2101"] {
        let (st, b) = s.get(&format!("/api/v1/me/leave-balance?year={year}"), &o.emp_sd1).await;
        assert!(st.is_client_error(), "year {year}: {st} {b}");
    }
    let (st, _) = s.get("/api/v1/me/leave-balance?year=2026", &o.emp_sd1).await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn formula_names_stay_text_in_the_recap_csv() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (st, b) = s
        .post(
            "/api/v1/employees",
            &o.admin,
            json!({"nip": nip(9), "name": "=HYPERLINK(\"http://x.test\",\"klik\")", "category": "PNS", "unit_code": "SD1", "password": PW}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let r = s.client.get(s.url("/api/v1/recap?month=2026-11&format=csv")).bearer_auth(&o.admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(csv.contains(";\"'=HYPERLINK(") || csv.contains(";'=HYPERLINK("), "{csv}");
    assert!(!csv.contains(";=HYPERLINK(") && !csv.contains(";\"=HYPERLINK("), "{csv}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    let (_, b, _) = s.checkin(&o.emp_sd1, meta("h"), Some(jpeg(64))).await;
    let photo = b["punch"]["photo_url"].as_str().unwrap().to_string();
    for (path, token) in [
        ("/", None),
        ("/admin/login", None),
        ("/api/v1/me/today", Some(&o.emp_sd1)),
        (photo.as_str(), Some(&o.emp_sd1)),
        ("/nope", None),
    ] {
        let mut req = s.client.get(s.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "SAMEORIGIN", "{path}");
        assert!(h["content-security-policy"].to_str().unwrap().contains("script-src 'self'"), "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
    }
}

async fn login_from(s: &TestServer, user: &str, password: &str, ip: &str) -> StatusCode {
    s.client
        .post(s.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

fn behind_proxy() -> hadir_server::ServerConfig {
    hadir_server::ServerConfig { trust_forwarded_for: true, ..Default::default() }
}

#[tokio::test]
async fn parallel_wrong_passwords_are_counted_before_checking_and_never_lock_out_the_owner() {
    let s = TestServer::start_with(behind_proxy()).await;
    let _o = org(&s).await;
    let attacker = "203.0.113.9";
    let owner = nip(3);
    let tries: Vec<_> = (0..40).map(|_| login_from(&s, &owner, "salah-salah", attacker)).collect();
    let results = futures::future::join_all(tries).await;
    let checked = results.iter().filter(|st| **st == StatusCode::UNAUTHORIZED).count();
    assert_eq!(checked, 5, "only the limit is checked: {results:?}");
    assert!(results.iter().all(|st| {
        [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS, StatusCode::SERVICE_UNAVAILABLE].contains(st)
    }));
    // Even the right password is refused from the attacker's address now…
    assert_eq!(login_from(&s, &nip(3), PW, attacker).await, StatusCode::TOO_MANY_REQUESTS);
    // …but the owner, on their own phone, logs in.
    assert_eq!(login_from(&s, &nip(3), PW, "198.51.100.7").await, StatusCode::OK);
}

#[tokio::test]
async fn a_login_storm_keeps_memory_bounded_and_check_ins_answered() {
    let s = TestServer::start_with(behind_proxy()).await;
    let o = org(&s).await;
    // 250 parallel logins from 250 addresses (wrong passwords for accounts that do not exist:
    // each still costs a full hash), with a check-in in the middle of them.
    let storm: Vec<_> = (0..250)
        .map(|i| {
            let ip = format!("10.{}.{}.1", i / 200, i % 200);
            let user = format!("1990010120200110{:02}", i % 100);
            let s = &s;
            async move { login_from(s, &user, "bukan-sandinya", &ip).await }
        })
        .collect();
    let checkin = async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        s.checkin(&o.emp_sd1, meta("during-storm"), Some(jpeg(64))).await
    };
    let (results, (st, b, _)) = tokio::join!(futures::future::join_all(storm), checkin);
    assert_eq!(st, StatusCode::CREATED, "check-ins are answered during a login storm: {b}");
    assert!(
        results.iter().all(|st| [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(st)),
        "{results:?}"
    );
    assert!(results.contains(&StatusCode::SERVICE_UNAVAILABLE), "a full hashing pool answers 503 at once");
    // The server's own memory during such a storm is measured on the real binary, in its own
    // process: crates/hadir-cli/tests/login_storm.rs.
}

/// Reads until the server closes the connection (or 10 s pass); returns what it sent.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read).await.ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn slow_or_idle_connections_are_closed_and_connections_are_capped() {
    use tokio::io::AsyncWriteExt;
    let mut config = hadir_server::ServerConfig::default();
    config.connections.header_read_secs = 1;
    config.connections.max_connections = 1;
    let s = TestServer::start_with(config).await;
    let addr = s.base.trim_start_matches("http://").to_string();
    // Headers that never finish: the server closes the connection.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // The cap is one connection: a second client waits until the slow one is closed, then is served.
    let mut next = tokio::net::TcpStream::connect(&addr).await.unwrap();
    next.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert!(read_until_closed(&mut slow).await.is_some(), "a connection that never finishes its headers is closed");
    // Served, then its idle keep-alive connection is closed too.
    let answer = read_until_closed(&mut next).await.expect("the idle keep-alive connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn query_path_and_size_rejections_answer_the_json_error_format() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    for path in ["/api/v1/me/leave-balance?year=abc", "/api/v1/punches/abc/photo", "/api/v1/requests?mine=maybe"] {
        let r = s.client.get(s.url(path)).bearer_auth(&o.emp_sd1).send().await.unwrap();
        let st = r.status();
        assert!(st.is_client_error(), "{path}: {st}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{path}");
        let b: serde_json::Value = r.json().await.unwrap();
        assert!(b["error"]["code"].is_string() && b["error"]["message"].is_string(), "{path}: {b}");
    }
    let big = vec![b'x'; 5 * 1024 * 1024];
    let r = s
        .client
        .post(s.url("/api/v1/requests"))
        .bearer_auth(&o.emp_sd1)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let b: serde_json::Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn an_https_public_address_makes_the_console_cookie_secure_and_sends_hsts() {
    for (public_url, secure) in [(Some("https://presensi.contoh.go.id"), true), (None, false)] {
        let config = hadir_server::ServerConfig { public_url: public_url.map(str::to_string), ..Default::default() };
        let s = TestServer::start_with(config).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = client
            .post(s.url("/admin/login"))
            .header("origin", &s.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username=admin&password={ADMIN_PW}"))
            .send()
            .await
            .unwrap();
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert_eq!(cookie.contains("; Secure"), secure, "{public_url:?}: {cookie}");
        assert_eq!(r.headers().contains_key("strict-transport-security"), secure, "{public_url:?}");
    }
}

/// Monday–Thursday of holiday-free weeks of this year (Asia/Jakarta), each four working days
/// whatever the unit's calendar does with Fridays.
fn four_day_weeks(n: usize) -> Vec<(jiff::civil::Date, jiff::civil::Date)> {
    use jiff::ToSpan;
    let holidays = hadir_domain::parse_holiday_csv(hadir_domain::DEFAULT_HOLIDAYS_CSV).unwrap();
    let year = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap()).year();
    let mut d = jiff::civil::date(year, 1, 1);
    let mut out = Vec::new();
    while out.len() < n {
        if d.weekday() == jiff::civil::Weekday::Monday {
            let thu = d.checked_add(3.days()).unwrap();
            let mut days = (0..4).map(|i| d.checked_add(i.days()).unwrap());
            if days.all(|x| hadir_domain::holiday_on(&holidays, x).is_none()) {
                out.push((d, thu));
            }
        }
        d = d.tomorrow().unwrap();
        assert_eq!(d.year(), year, "not enough holiday-free weeks");
    }
    out
}

#[tokio::test]
async fn parallel_leave_requests_and_uploads_stay_within_the_limits() {
    let s = TestServer::start().await;
    let o = org(&s).await;
    // Six annual-leave requests of four working days at once: 24 days against 12 + 6 carried
    // over. The quota is checked in the store's transaction, so exactly four pass.
    let weeks = four_day_weeks(6);
    let tries = weeks.iter().map(|(from, to)| {
        s.post(
            "/api/v1/requests",
            &o.emp_sd1,
            json!({"type": "CUTI_TAHUNAN", "date_from": from.to_string(), "date_to": to.to_string(), "reason": "liburan"}),
        )
    });
    let results = futures::future::join_all(tries).await;
    let mut accepted = 0;
    for (st, b) in &results {
        if *st == StatusCode::CREATED {
            accepted += 1;
        } else {
            assert_eq!(
                (*st, b["error"]["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("leave_quota_exceeded")),
                "{b}"
            );
            assert!(b["error"]["message"].as_str().unwrap().contains("Sisa cuti tahunan"), "{b}");
            assert_eq!(b["error"]["details"]["requested"], 4, "{b}");
        }
    }
    assert_eq!(accepted, 4, "{results:?}");
    let (_, bal) = s.get("/api/v1/me/leave-balance", &o.emp_sd1).await;
    assert_eq!((bal["pending"].as_i64(), bal["remaining"].as_i64()), (Some(16), Some(2)), "{bal}");
    let (_, mine) = s.get("/api/v1/requests?mine=true&type=CUTI_TAHUNAN", &o.emp_sd1).await;
    assert_eq!(mine["total"], 4, "the refused ones left nothing behind: {mine}");

    // A draft submitted later is held to the same limit.
    let (st, b) = s
        .post(
            "/api/v1/requests",
            &o.emp_sd1,
            json!({"type": "CUTI_TAHUNAN", "date_from": weeks[5].0.to_string(), "date_to": weeks[5].1.to_string(),
                   "reason": "draf", "draft": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let draft = b["id"].as_i64().unwrap();
    let (st, b) = s.post(&format!("/api/v1/requests/{draft}/submit"), &o.emp_sd1, serde_json::Value::Null).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("leave_quota_exceeded")));
    let (_, r) = s.get(&format!("/api/v1/requests/{draft}"), &o.emp_sd1).await;
    assert_eq!(r["state"], "draft", "{r}");

    // Attachments: 7 on a request (another employee's: hers are on leave those days), then six
    // uploads of one file at once against the limit of 10: three pass, three get the clear
    // 422, and the request holds exactly ten.
    let (st, b) = s
        .post(
            "/api/v1/requests",
            &o.emp_rsud,
            json!({"type": "IZIN", "date_from": weeks[0].0.to_string(), "reason": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let upload = |n: usize| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(format!("%PDF-1.4\n% surat {n}\n%%EOF\n").into_bytes())
                .file_name(format!("surat{n}.pdf")),
        );
        let req = s.client.post(s.url(&format!("/api/v1/requests/{id}/attachments"))).bearer_auth(&o.emp_rsud);
        async move {
            let r = req.multipart(form).send().await.unwrap();
            let st = r.status();
            (st, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    for n in 0..7 {
        let (st, b) = upload(n).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
    }
    let results = futures::future::join_all((7..13).map(upload)).await;
    let mut stored = 0;
    for (st, b) in &results {
        if *st == StatusCode::CREATED {
            stored += 1;
        } else {
            assert_eq!(
                (*st, b["error"]["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many_attachments")),
                "{b}"
            );
            assert!(b["error"]["message"].as_str().unwrap().contains("Paling banyak 10 lampiran"), "{b}");
        }
    }
    assert_eq!(stored, 3, "{results:?}");
    let (_, r) = s.get(&format!("/api/v1/requests/{id}"), &o.emp_rsud).await;
    assert_eq!(r["attachments"].as_array().unwrap().len(), 10, "{r}");
    let attach_events = r["history"].as_array().unwrap().iter().filter(|h| h["action"] == "attach").count();
    assert_eq!(attach_events, 10, "no history for refused uploads: {r}");
}
