//! Issue 25: outgoing webhooks over real HTTP. A receiver in the test answers 500 twice and
//! then 200: the event is retried with backoff under the same delivery id, every attempt is
//! signed (HMAC-SHA256 of "<timestamp>.<body>" with the secret shown once), and the delivery
//! log says so. An endpoint that never accepts is given up after the configured attempts; an
//! endpoint for other kinds gets nothing. Refusals change nothing.

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use common::*;
use hadir_server::ServerConfig;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

/// A local receiver answering `fail_first` times 500, then 200 (`u32::MAX`: always 500).
async fn receiver(fail_first: u32) -> (String, Receiver) {
    let rec = Receiver::default();
    let r = rec.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let r = r.clone();
            async move {
                let mut got = r.got.lock().unwrap();
                got.push((headers, body));
                if (got.len() as u32) <= fail_first { AxStatus::INTERNAL_SERVER_ERROR } else { AxStatus::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rec)
}

fn config() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.webhooks.poll_ms = 50;
    c.webhooks.backoff_base_ms = 100;
    c.webhooks.max_attempts = 3;
    c
}

/// The delivery log once `done` holds for it (bounded wait; no timing is asserted).
async fn deliveries_when(s: &TestServer, admin: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..600 {
        let (st, b) = s.get("/api/v1/webhooks/deliveries", admin).await;
        assert_eq!(st, StatusCode::OK, "{b}");
        let items = b["items"].as_array().unwrap().clone();
        if done(&items) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries never reached the expected state");
}

fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let ts = headers["x-hadir-timestamp"].to_str().unwrap();
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    headers["x-hadir-signature"].to_str().unwrap() == format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn hook(s: &TestServer, admin: &str, name: &str, url: &str, events: Value) -> (i64, String) {
    let (st, b) = s.post("/api/v1/webhooks", admin, json!({"name": name, "url": url, "events": events})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    (b["endpoint"]["id"].as_i64().unwrap(), b["secret"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn events_are_signed_retried_with_backoff_and_logged() {
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    let (ok_url, ok) = receiver(2).await;
    let (bad_url, bad) = receiver(u32::MAX).await;
    let (other_url, other) = receiver(0).await;
    let (_, secret) = hook(&s, &o.admin, "Gateway WA", &ok_url, json!([])).await;
    assert_eq!(secret.len(), 64);
    hook(&s, &o.admin, "Rusak", &bad_url, json!(["channel_policy.created"])).await;
    hook(&s, &o.admin, "TPP", &other_url, json!(["tpp.month_closed"])).await;
    // The secret is never listed again.
    let (st, list) = s.get("/api/v1/webhooks", &o.admin).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert!(!list.to_string().contains(&secret));

    // An event: a channel policy row.
    let (st, b) =
        s.post("/api/v1/channel-policies", &o.admin, json!({"unit_code": "SD1", "channels": ["terminal"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let log =
        deliveries_when(&s, &o.admin, |items| items.len() == 2 && items.iter().all(|d| d["state"] != "pending")).await;
    let by = |name: &str| log.iter().find(|d| d["endpoint"] == name).unwrap().clone();
    let good = by("Gateway WA");
    assert_eq!(
        (good["state"].as_str(), good["attempts"].as_i64(), good["last_status"].as_i64()),
        (Some("delivered"), Some(3), Some(200))
    );
    let failed = by("Rusak");
    assert_eq!((failed["state"].as_str(), failed["attempts"].as_i64()), (Some("failed"), Some(3)), "{failed}");
    assert_eq!(failed["last_error"], "HTTP 500");

    // Three signed attempts of one delivery at the good receiver.
    let got = ok.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    for (h, body) in &got {
        assert!(verify(&secret, h, body), "bad signature");
        assert!(!verify("another-secret", h, body));
        assert_eq!(h["x-hadir-event"], "channel_policy.created");
        assert_eq!(h["x-hadir-delivery"].to_str().unwrap(), good["id"].to_string());
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["kind"], "channel_policy.created");
        assert_eq!(v["payload"]["unit_code"], "SD1");
        assert_eq!(v["payload"]["channels"], json!(["terminal"]));
    }
    assert_eq!(bad.got.lock().unwrap().len(), 3, "given up after max_attempts");
    assert!(other.got.lock().unwrap().is_empty(), "an endpoint for other kinds gets nothing");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_logged_in_indonesian() {
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    hook(&s, &o.admin, "Mati", &format!("http://{closed}/hook"), json!([])).await;
    let (st, _) = s.post("/api/v1/channel-policies", &o.admin, json!({"channels": ["mobile"]})).await;
    assert_eq!(st, StatusCode::CREATED);
    let log = deliveries_when(&s, &o.admin, |i| i.len() == 1 && i[0]["state"] == "failed").await;
    assert_eq!(log[0]["last_error"], "tidak dapat terhubung");
    assert!(log[0]["last_status"].is_null());
}

#[tokio::test]
async fn refusals_change_nothing() {
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    let audit = || async { s.store.list_audit(None, 0, 1).await.unwrap().total };
    let before = audit().await;
    let good = json!({"name": "WA", "url": "https://wa.example.go.id/hook"});
    for t in [&o.operator, &o.head, &o.emp_sd1] {
        let (st, _) = s.post("/api/v1/webhooks", t, good.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = s.get("/api/v1/webhooks/deliveries", t).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
    let cases = [
        (json!({"name": "WA", "url": "ftp://wa.example.go.id/"}), "invalid_url"),
        (json!({"name": "WA", "url": "wa.example.go.id"}), "invalid_url"),
        (json!({"name": "WA", "url": "https://"}), "invalid_url"),
        (json!({"name": " ", "url": "https://wa.example.go.id/"}), "invalid_name"),
        (json!({"name": "WA", "url": "https://wa.example.go.id/", "events": ["a b"]}), "invalid_event"),
    ];
    for (body, want) in cases {
        let (st, b) = s.post("/api/v1/webhooks", &o.admin, body.clone()).await;
        assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(want)), "{body}: {b}");
    }
    let (_, list) = s.get("/api/v1/webhooks", &o.admin).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    assert_eq!(audit().await, before);
    let (st, _) = s.post("/api/v1/webhooks", &o.admin, good).await;
    assert_eq!(st, StatusCode::CREATED);
}

/// The console's "Integrasi" page (admins): the form adds an endpoint and shows its secret once;
/// the delivery log lists each event with its outcome; operators are refused.
#[tokio::test]
async fn console_page_adds_endpoints_and_shows_the_log() {
    use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    let (url, _rec) = receiver(0).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut cookies = Vec::new();
    for (user, pw) in [("admin".to_string(), ADMIN_PW), (nip(1), PW)] {
        let r = client
            .post(s.url("/admin/login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("username={user}&password={pw}"))
            .send()
            .await
            .unwrap();
        cookies.push(r.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string());
    }
    let (admin, operator) = (&cookies[0], &cookies[1]);
    let form = |cookie: &str, body: String| {
        client
            .post(s.url("/admin/integrasi"))
            .header(COOKIE, cookie)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("HX-Request", "true")
            .body(body)
    };
    let r = form(operator, format!("name=WA&url={url}&events=")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = form(admin, "name=WA&url=bukan-alamat&events=".into()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("URL lengkap"));
    let (_, list) = s.get("/api/v1/webhooks", &o.admin).await;
    assert!(list["items"].as_array().unwrap().is_empty());

    let r = form(admin, format!("name=Gateway+WA&url={url}&events=")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let secret = html.split("<code id=\"integration-secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(secret.len(), 64, "{html}");
    let (st, _) = s.post("/api/v1/channel-policies", &o.admin, json!({"channels": ["terminal"]})).await;
    assert_eq!(st, StatusCode::CREATED);
    deliveries_when(&s, &o.admin, |i| i.len() == 1 && i[0]["state"] == "delivered").await;
    let page = client.get(s.url("/admin/integrasi")).header(COOKIE, admin).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<td>Gateway WA</td>") && page.contains("Terkirim"), "{page}");
    assert!(!page.contains(&secret), "the secret is shown once only");
    let r = client.get(s.url("/admin/integrasi")).header(COOKIE, operator).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// Issue 22 point 3: validated activities are pushed to the e-kinerja site that subscribed to
/// `kinerja.activities_validated`: signed, retried after a failure under the same delivery id.
#[tokio::test]
async fn validated_activities_are_pushed_to_the_ekinerja_site() {
    use jiff::ToSpan;
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    let (url, site) = receiver(1).await;
    let (_, secret) = hook(&s, &o.admin, "e-Kinerja", &url, json!(["kinerja.activities_validated"])).await;

    // The teacher was present on a recent Monday–Thursday (not today, not a holiday).
    let wita = jiff::tz::TimeZone::get("Asia/Makassar").unwrap();
    let holidays = hadir_domain::parse_holiday_csv(hadir_domain::DEFAULT_HOLIDAYS_CSV).unwrap();
    let today = jiff::Timestamp::now().to_zoned_datetime(wita.clone()).date();
    let d = (1..=6)
        .map(|back| today.checked_sub(back.days()).unwrap())
        .find(|d| {
            matches!(
                d.weekday(),
                jiff::civil::Weekday::Monday
                    | jiff::civil::Weekday::Tuesday
                    | jiff::civil::Weekday::Wednesday
                    | jiff::civil::Weekday::Thursday
            ) && hadir_domain::holiday_on(&holidays, *d).is_none()
        })
        .unwrap();
    let at = |h: i8, m: i8| d.at(h, m, 0, 0).to_zoned_datetime(wita.clone()).unwrap().timestamp();
    let teacher = s.store.employee_by_login(&nip(3)).await.unwrap();
    s.store.insert_punches(&[punch(teacher.id, at(7, 20)), punch(teacher.id, at(16, 5))]).await.unwrap();
    let (st, b) = s
        .post(
            "/api/v1/me/activities",
            &o.emp_sd1,
            json!({"date": d.to_string(), "description": "Menyusun RPP kelas 4", "output": "RPP", "volume": 3,
                   "volume_unit": "dokumen", "start": "08:00", "end": "10:00"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    // Filing alone pushes nothing; the head's approval does.
    let (st, b) = s.post("/api/v1/activities/validate", &o.head, json!({"ids": [id], "approve": true})).await;
    assert_eq!(st, StatusCode::OK, "{b}");

    let log = deliveries_when(&s, &o.admin, |items| items.iter().any(|d| d["state"] == "delivered")).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0]["attempts"].as_i64(), log[0]["last_status"].as_i64()), (Some(2), Some(200)));
    let got = site.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one failure, then delivered");
    for (h, body) in &got {
        assert!(verify(&secret, h, body), "bad signature");
        assert_eq!(h["x-hadir-event"], "kinerja.activities_validated");
        assert_eq!(h["x-hadir-delivery"].to_str().unwrap(), log[0]["id"].to_string());
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["payload"]["approved"], true);
        let a = &v["payload"]["activities"][0];
        assert_eq!(
            (a["id"].as_i64(), a["employee_login"].as_str(), a["minutes"].as_u64(), a["state"].as_str()),
            (Some(id), Some(nip(3).as_str()), Some(120), Some("approved"))
        );
        assert_eq!(a["date"], d.to_string());
    }
}
