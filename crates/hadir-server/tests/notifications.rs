//! Issue 25, notifications over real HTTP: a push endpoint in the test (an axum server on
//! 127.0.0.1:0) stands in for the browser vendor's push service. The test makes its own
//! subscription keys (a P-256 key pair and a 16-byte auth secret), subscribes them through the
//! API, and decrypts what arrives (RFC 8291 aes128gcm) with its private key; the VAPID token is
//! checked against the public key the server serves. A decision on a request reaches the
//! employee once, by push and as a signed webhook event; a 410 from the push service deletes
//! the subscription; subscriptions and preferences are the caller's own; refusals change nothing.

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::*;
use hadir_domain::{DEFAULT_HOLIDAYS_CSV, holiday_on, parse_holiday_csv};
use hadir_server::ServerConfig;
use hmac::{Hmac, KeyInit, Mac};
use jiff::civil::{Date, Weekday};
use jiff::{Timestamp, ToSpan};
use p256::ecdsa::signature::Verifier;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the local push service received, and the status it answers with.
#[derive(Clone)]
struct PushService {
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    answer: Arc<Mutex<u16>>,
}

async fn push_service() -> (String, PushService) {
    let svc = PushService { got: Arc::default(), answer: Arc::new(Mutex::new(201)) };
    let p = svc.clone();
    let app = axum::Router::new().route(
        "/push/{id}",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let p = p.clone();
            async move {
                p.got.lock().unwrap().push((headers, body));
                AxStatus::from_u16(*p.answer.lock().unwrap()).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, svc)
}

/// A browser's subscription keys, made by the test.
struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
    endpoint: String,
}

impl Browser {
    fn new(base: &str, name: &str) -> Browser {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        let secret = p256::SecretKey::from_slice(&seed).unwrap();
        let mut auth = [0u8; 16];
        getrandom::fill(&mut auth).unwrap();
        Browser { secret, auth, endpoint: format!("{base}/push/{name}") }
    }

    fn json(&self) -> Value {
        json!({"endpoint": self.endpoint, "keys": {
            "p256dh": B64.encode(self.secret.public_key().to_encoded_point(false).as_bytes()),
            "auth": B64.encode(self.auth)}})
    }

    fn decrypt(&self, body: &[u8]) -> Value {
        let auth = web_push_native::Auth::from(self.auth);
        let plain = web_push_native::decrypt(body.to_vec(), &self.secret, &auth).expect("decrypts with our keys");
        serde_json::from_slice(&plain).unwrap()
    }
}

fn config() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.notifications.allow_http_loopback = true;
    c.notifications.poll_ms = 50;
    c.notifications.backoff_base_ms = 100;
    c.notifications.max_attempts = 3;
    c.notifications.vapid_subject = "mailto:bkd@example.go.id".into();
    c.webhooks.poll_ms = 50;
    c
}

/// Waits (bounded; no timing asserted) until the push service holds `n` requests.
async fn pushes(svc: &PushService, n: usize) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..400 {
        let got = svc.got.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the push service never received {n} pushes");
}

fn vapid_ok(headers: &HeaderMap, public_key: &str, audience: &str) -> bool {
    let h = headers["authorization"].to_str().unwrap();
    let (t, k) = h.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
    if k != public_key {
        return false;
    }
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&B64.decode(k).unwrap()).unwrap();
    let (signed, sig) = t.rsplit_once('.').unwrap();
    let sig = p256::ecdsa::Signature::from_slice(&B64.decode(sig).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&B64.decode(signed.split('.').nth(1).unwrap()).unwrap()).unwrap();
    key.verify(signed.as_bytes(), &sig).is_ok()
        && claims["aud"] == audience
        && claims["sub"] == "mailto:bkd@example.go.id"
}

fn workday_last_month() -> Date {
    let holidays = parse_holiday_csv(DEFAULT_HOLIDAYS_CSV).unwrap();
    let today = Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Makassar").unwrap()).date();
    let mut d = today.first_of_month().checked_sub(1.month()).unwrap();
    while matches!(d.weekday(), Weekday::Friday | Weekday::Saturday | Weekday::Sunday)
        || holiday_on(&holidays, d).is_some()
    {
        d = d.tomorrow().unwrap();
    }
    d
}

async fn subs(s: &TestServer, token: &str) -> Value {
    let (st, b) = s.get("/api/v1/me/push-subscriptions", token).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

#[tokio::test]
async fn a_decision_reaches_the_employee_by_push_and_webhook_once() {
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    let (base, svc) = push_service().await;

    // A webhook receiver (the WhatsApp gateway) for notification events.
    let got_hooks: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let g = got_hooks.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |h: HeaderMap, b: Bytes| {
            let g = g.clone();
            async move {
                g.lock().unwrap().push((h, b));
                AxStatus::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (st, b) = s
        .post(
            "/api/v1/webhooks",
            &o.admin,
            json!({"name": "Gateway WA", "url": hook_url, "events": ["notification.decision"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let secret = b["secret"].as_str().unwrap().to_string();

    // The employee subscribes a browser; the server's VAPID public key is served.
    let phone = Browser::new(&base, "hp-pegawai");
    let (st, b) = s.post("/api/v1/me/push-subscriptions", &o.emp_sd1, phone.json()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let public_key = b["public_key"].as_str().unwrap().to_string();
    assert_eq!(B64.decode(&public_key).unwrap().len(), 65);
    assert_eq!(b["items"].as_array().unwrap().len(), 1);
    assert_eq!(b["items"][0]["service"], "127.0.0.1");

    // The employee asks for leave (izin); the head rejects it.
    let date = workday_last_month();
    let (st, r) = s
        .post(
            "/api/v1/requests",
            &o.emp_sd1,
            json!({"type": "IZIN", "date_from": date.to_string(), "reason": "urusan keluarga"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    let (st, b) = s
        .post(&format!("/api/v1/requests/{id}/decision"), &o.head, json!({"approve": false, "comment": "tidak cukup"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");

    // One encrypted push, readable only with the browser's keys, signed with the served key.
    let got = pushes(&svc, 1).await;
    let (h, body) = &got[0];
    assert_eq!(h["content-encoding"], "aes128gcm");
    assert!(h.contains_key("ttl"));
    assert!(vapid_ok(h, &public_key, &base), "VAPID token");
    assert!(!String::from_utf8_lossy(body).contains("ditolak"), "the payload travels encrypted");
    let msg = phone.decrypt(body);
    assert_eq!(msg["kind"], "decision");
    assert_eq!(msg["title"], "Pengajuan ditolak");
    assert!(msg["body"].as_str().unwrap().contains("IZIN"), "{msg}");
    // Someone else's keys cannot read it.
    let stranger = Browser::new(&base, "lain");
    let auth = web_push_native::Auth::from(stranger.auth);
    assert!(web_push_native::decrypt(body.to_vec(), &stranger.secret, &auth).is_err());

    // The gateway gets the same notice, signed, naming the employee.
    let hook = loop_until(|| got_hooks.lock().unwrap().first().cloned()).await;
    let (h, body) = hook;
    assert_eq!(h["x-hadir-event"], "notification.decision");
    let ts = h["x-hadir-timestamp"].to_str().unwrap();
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(&body);
    assert_eq!(
        h["x-hadir-signature"].to_str().unwrap(),
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["payload"]["recipient"]["nip"], nip(3), "{event}");
    assert_eq!(event["payload"]["title"], "Pengajuan ditolak");

    // A second decision on the same request is refused and tells nobody again.
    let (st, _) =
        s.post(&format!("/api/v1/requests/{id}/decision"), &o.head, json!({"approve": true, "comment": "ok"})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(svc.got.lock().unwrap().len(), 1);
    assert_eq!(got_hooks.lock().unwrap().len(), 1);
    let account = s.store.employee_by_login(&nip(3)).await.unwrap().account_id;
    let log = s.store.push_deliveries_of(account, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].state.as_str(), log[0].last_status), ("delivered", Some(201)));

    // The VAPID key survives a restart: the app's subscription stays valid.
    let mut s = s;
    s.stop().await;
    s.restart().await;
    let token = s.login(&nip(3), PW).await;
    assert_eq!(subs(&s, &token).await["public_key"], public_key.as_str());
}

async fn loop_until<T>(f: impl Fn() -> Option<T>) -> T {
    for _ in 0..400 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never happened");
}

#[tokio::test]
async fn a_gone_subscription_is_deleted_and_preferences_are_respected() {
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    let (base, svc) = push_service().await;
    let phone = Browser::new(&base, "hp");
    let (st, _) = s.post("/api/v1/me/push-subscriptions", &o.emp_sd1, phone.json()).await;
    assert_eq!(st, StatusCode::CREATED);

    // The employee turns decisions off: a decision queues nothing.
    let (st, p) = s.get("/api/v1/me/notification-prefs", &o.emp_sd1).await;
    assert_eq!(st, StatusCode::OK);
    let kinds: Vec<&str> = p["kinds"].as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["reminder_open", "reminder_close", "decision"], "an employee's kinds only");
    assert!(p["kinds"].as_array().unwrap().iter().all(|k| k["enabled"] == true));
    let (st, p) = s
        .call(Method::PUT, "/api/v1/me/notification-prefs", Some(&o.emp_sd1), json!({"kinds": ["reminder_open"]}))
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["kinds"][2]["enabled"], false);
    let date = workday_last_month();
    let file = |d: Date| json!({"type": "IZIN", "date_from": d.to_string(), "reason": "urusan keluarga"});
    let (_, r) = s.post("/api/v1/requests", &o.emp_sd1, file(date)).await;
    let id = r["id"].as_i64().unwrap();
    let (st, _) = s
        .post(&format!("/api/v1/requests/{id}/decision"), &o.head, json!({"approve": false, "comment": "tidak"}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let account = s.store.employee_by_login(&nip(3)).await.unwrap().account_id;
    assert!(s.store.push_deliveries_of(account, 10).await.unwrap().is_empty());

    // Decisions on again; the push service now says the subscription is gone (410).
    let (st, _) =
        s.call(Method::PUT, "/api/v1/me/notification-prefs", Some(&o.emp_sd1), json!({"kinds": ["decision"]})).await;
    assert_eq!(st, StatusCode::OK);
    *svc.answer.lock().unwrap() = 410;
    let (_, r) = s.post("/api/v1/requests", &o.emp_sd1, file(date.tomorrow().unwrap())).await;
    let id = r["id"].as_i64().unwrap();
    let (st, _) = s
        .post(&format!("/api/v1/requests/{id}/decision"), &o.head, json!({"approve": false, "comment": "tidak"}))
        .await;
    assert_eq!(st, StatusCode::OK);
    pushes(&svc, 1).await;
    loop_until_async(|| async { subs(&s, &o.emp_sd1).await["items"].as_array().unwrap().is_empty().then_some(()) })
        .await;
    assert!(s.store.push_subscriptions_of(account).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(svc.got.lock().unwrap().len(), 1, "not retried after 410");
}

async fn loop_until_async<T, F: std::future::Future<Output = Option<T>>>(f: impl Fn() -> F) -> T {
    for _ in 0..400 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never happened");
}

#[tokio::test]
async fn subscriptions_are_the_callers_own_and_refusals_change_nothing() {
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    let (base, _svc) = push_service().await;
    let phone = Browser::new(&base, "hp");
    let (st, _) = s.post("/api/v1/me/push-subscriptions", &o.emp_sd1, phone.json()).await;
    assert_eq!(st, StatusCode::CREATED);

    // Another employee cannot remove it, and does not see it.
    let (st, b) = s
        .call(Method::DELETE, "/api/v1/me/push-subscriptions", Some(&o.emp_rsud), json!({"endpoint": phone.endpoint}))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    assert!(subs(&s, &o.emp_rsud).await["items"].as_array().unwrap().is_empty());
    assert_eq!(subs(&s, &o.emp_sd1).await["items"].as_array().unwrap().len(), 1);

    // Bad subscriptions: 422 with a code and an Indonesian message, nothing stored.
    let mut http_far = phone.json();
    http_far["endpoint"] = json!("http://10.1.2.3/push/x");
    let mut bad_key = phone.json();
    bad_key["keys"]["p256dh"] = json!("AAAA");
    let mut bad_auth = phone.json();
    bad_auth["keys"]["auth"] = json!(B64.encode([1u8; 8]));
    let mut huge = phone.json();
    huge["endpoint"] = json!(format!("https://push.example/{}", "x".repeat(5000)));
    for (body, code) in [
        (http_far, "invalid_endpoint"),
        (bad_key, "invalid_keys"),
        (bad_auth, "invalid_keys"),
        (huge, "subscription_too_large"),
        (json!({"endpoint": "bukan url", "keys": {"p256dh": "", "auth": ""}}), "invalid_endpoint"),
    ] {
        let (st, b) = s.post("/api/v1/me/push-subscriptions", &o.emp_rsud, body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["code"], code, "{b}");
        assert!(b["error"]["message"].as_str().unwrap().contains("notifikasi"), "{b}");
    }
    assert!(subs(&s, &o.emp_rsud).await["items"].as_array().unwrap().is_empty());
    // Without the test setting, http:// is refused even on loopback.
    let strict = TestServer::start().await;
    let admin = strict.admin_token().await;
    let (st, b) = strict.post("/api/v1/me/push-subscriptions", &admin, phone.json()).await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_endpoint")));

    // Preferences: an employee may not choose an operator's alert; nothing changes.
    let (st, b) = s
        .call(Method::PUT, "/api/v1/me/notification-prefs", Some(&o.emp_sd1), json!({"kinds": ["terminal_silent"]}))
        .await;
    assert_eq!((st, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_kind")), "{b}");
    let (_, p) = s.get("/api/v1/me/notification-prefs", &o.emp_sd1).await;
    assert!(p["kinds"].as_array().unwrap().iter().all(|k| k["enabled"] == true), "{p}");
    // The operator sees the alerts (and, being an employee too, the reminders).
    let (_, p) = s.get("/api/v1/me/notification-prefs", &o.operator).await;
    let kinds: Vec<&str> = p["kinds"].as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"terminal_silent") && kinds.contains(&"requests_waiting"), "{p}");
    // Without a session: 401.
    let (st, _) = s.call(Method::GET, "/api/v1/me/push-subscriptions", None, Value::Null).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // The owner unsubscribes.
    let (st, _) = s
        .call(Method::DELETE, "/api/v1/me/push-subscriptions", Some(&o.emp_sd1), json!({"endpoint": phone.endpoint}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert!(subs(&s, &o.emp_sd1).await["items"].as_array().unwrap().is_empty());
}

/// The instant of `d` at local minute `m` in `zone`.
fn local(zone: &str, d: Date, m: u16) -> Timestamp {
    d.at((m / 60) as i8, (m % 60) as i8, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::get(zone).unwrap())
        .unwrap()
        .timestamp()
}

/// The decrypted pushes `b` received so far.
fn received(svc: &PushService, b: &Browser) -> Vec<Value> {
    svc.got
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| body.clone())
        .filter_map(|body| {
            let auth = web_push_native::Auth::from(b.auth);
            web_push_native::decrypt(body.to_vec(), &b.secret, &auth).ok()
        })
        .map(|plain| serde_json::from_slice(&plain).unwrap())
        .collect()
}

#[tokio::test]
async fn reminders_come_at_local_time_in_each_zone_once_and_not_on_holidays_leave_or_after_punching() {
    let mut cfg = config();
    cfg.notifications.reminders_enabled = false; // the test drives the scheduler with its own "now"
    let s = TestServer::start_with(cfg.clone()).await;
    let n = cfg.notifications.clone();
    let admin = s.admin_token().await;
    s.unit(&admin, "BKPSDM", None, "Asia/Jakarta", -6.2, 106.8).await; // WIB
    s.unit(&admin, "RSUD", None, "Asia/Makassar", -0.5, 117.1).await; // WITA
    s.employee(&admin, &nip(11), "BKPSDM", "11").await;
    s.employee(&admin, &nip(12), "RSUD", "12").await;
    let (wib_token, wita_token) = (s.login(&nip(11), PW).await, s.login(&nip(12), PW).await);
    let (base, svc) = push_service().await;
    let (wib_phone, wita_phone) = (Browser::new(&base, "wib"), Browser::new(&base, "wita"));
    let (st, b) = s.post("/api/v1/me/push-subscriptions", &wib_token, wib_phone.json()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let (st, b) = s.post("/api/v1/me/push-subscriptions", &wita_token, wita_phone.json()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    let store = s.store.as_ref();
    let policies = hadir_server::context::Policies::load(store).await.unwrap();
    let wib = store.employee_by_login(&nip(11)).await.unwrap();
    let wita = store.employee_by_login(&nip(12)).await.unwrap();
    let date = workday_last_month();
    let ctx = policies.context_on(&wib, wib.unit_id, date);
    let day = ctx.calendar.resolve(date, &[]).unwrap().day.expect("a working day");
    let masuk = day.checkpoints[0].clone();
    let (open, closes) = (masuk.window_start.minutes(), masuk.window_end.minutes());
    let close_reminder = closes - n.before_close_minutes;
    let tick = |now| hadir_server::reminders::tick(store, &policies, &n, now);

    // The window opens in Jakarta: only the WIB employee is reminded (in Makassar it is an hour
    // later, past the opening); a second tick at the same minute adds nothing.
    let r = tick(local("Asia/Jakarta", date, open)).await.unwrap();
    assert_eq!(r.queued, 1, "{r:?}");
    assert_eq!(tick(local("Asia/Jakarta", date, open)).await.unwrap().queued, 0);
    let got = pushes(&svc, 1).await;
    assert_eq!(got.len(), 1);
    let msgs = received(&svc, &wib_phone);
    assert_eq!(msgs.len(), 1, "only the WIB phone can read it");
    assert_eq!(msgs[0]["kind"], "reminder_open");
    assert_eq!(msgs[0]["title"], format!("Absen {} sudah dibuka", masuk.name));
    assert!(msgs[0]["body"].as_str().unwrap().contains(&format!("{} WIB", masuk.window_start.clock())), "{}", msgs[0]);
    assert!(received(&svc, &wita_phone).is_empty());

    // The same local time in Makassar is an hour earlier: now the WITA employee, in WITA.
    let r = tick(local("Asia/Makassar", date, open)).await.unwrap();
    assert_eq!(r.queued, 1, "{r:?}");
    pushes(&svc, 2).await;
    let msgs = received(&svc, &wita_phone);
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0]["body"].as_str().unwrap().contains("WITA"), "{}", msgs[0]);

    // The WIB employee punches; before the window closes only the WITA one, who has not, is
    // reminded (each at their own local time).
    store.insert_punches(&[punch(wib.id, local("Asia/Jakarta", date, open + 5))]).await.unwrap();
    assert_eq!(tick(local("Asia/Jakarta", date, close_reminder)).await.unwrap().queued, 0);
    assert_eq!(tick(local("Asia/Makassar", date, close_reminder)).await.unwrap().queued, 1);
    pushes(&svc, 3).await;
    let msgs = received(&svc, &wita_phone);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1]["kind"], "reminder_close");
    assert_eq!(msgs[1]["title"], format!("Anda belum absen {}", masuk.name));

    // Nothing on a holiday that falls on a working day.
    let holiday = ctx
        .holidays
        .iter()
        .map(|h| h.date)
        .find(|d| {
            !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
                && ctx.calendar.resolve(*d, &[]).is_ok_and(|r| r.day.is_some())
        })
        .expect("a holiday on a weekday");
    assert_eq!(tick(local("Asia/Jakarta", holiday, open)).await.unwrap().queued, 0);
    assert_eq!(tick(local("Asia/Makassar", holiday, open)).await.unwrap().queued, 0);

    // Nothing on a day of approved leave; the other employee is still reminded that day.
    let mut leave_day = date.tomorrow().unwrap();
    while ctx.calendar.resolve(leave_day, &[]).unwrap().day.is_none()
        || hadir_domain::holiday_on(&ctx.holidays, leave_day).is_some()
    {
        leave_day = leave_day.tomorrow().unwrap();
    }
    let (st, r) = s
        .post(
            "/api/v1/requests",
            &wib_token,
            json!({"type": "CUTI_TAHUNAN", "date_from": leave_day.to_string(), "reason": "cuti"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    let (st, b) =
        s.post(&format!("/api/v1/requests/{id}/decision"), &admin, json!({"approve": true, "comment": "ok"})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(tick(local("Asia/Jakarta", leave_day, open)).await.unwrap().queued, 0);
    assert_eq!(tick(local("Asia/Makassar", leave_day, open)).await.unwrap().queued, 1);

    // Quiet hours (here set over the opening time) hold back every reminder.
    let quiet = hadir_server::notifications::NotifyConfig {
        quiet_start: masuk.window_start.shifted(-30),
        quiet_end: masuk.window_start.shifted(30),
        ..n.clone()
    };
    let mut next = leave_day.tomorrow().unwrap();
    while ctx.calendar.resolve(next, &[]).unwrap().day.is_none()
        || hadir_domain::holiday_on(&ctx.holidays, next).is_some()
    {
        next = next.tomorrow().unwrap();
    }
    let r = hadir_server::reminders::tick(store, &policies, &quiet, local("Asia/Jakarta", next, open)).await.unwrap();
    assert_eq!((r.employees, r.queued), (2, 0));
    // Without them, that minute reminds as usual.
    assert_eq!(tick(local("Asia/Jakarta", next, open)).await.unwrap().queued, 1);
    let _ = wita;
}

#[tokio::test]
async fn a_held_punch_decision_reaches_the_employee_once() {
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    let (base, svc) = push_service().await;
    let phone = Browser::new(&base, "hp");
    let (st, b) = s.post("/api/v1/me/push-subscriptions", &o.emp_sd1, phone.json()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let emp = s.store.employee_by_login(&nip(3)).await.unwrap();
    let date = workday_last_month();
    let mut held = punch(emp.id, local("Asia/Makassar", date, 7 * 60 + 10));
    held.hold = Some(hadir_store::PunchHold::Pending);
    held.review = Some("future".into());
    let id = match &s.store.insert_punches(&[held]).await.unwrap()[0] {
        hadir_store::PunchInsert::Inserted(p) => p.id,
        other => panic!("{other:?}"),
    };
    let (st, b) = s
        .post(
            "/api/v1/review/punches/decide",
            &o.head,
            json!({"ids": [id], "accept": false, "note": "jam mesin salah"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    pushes(&svc, 1).await;
    let msgs = received(&svc, &phone);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["kind"], "decision");
    assert_eq!(msgs[0]["title"], "Absen ditolak");
    let body = msgs[0]["body"].as_str().unwrap();
    assert!(body.contains("07:10 WITA") && body.contains("jam mesin salah"), "{body}");
    // Deciding it again is refused and tells nobody again.
    let (st, _) = s.post("/api/v1/review/punches/decide", &o.head, json!({"ids": [id], "accept": true})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(svc.got.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_silent_terminal_alerts_the_operators_of_its_unit_only_in_working_hours() {
    let mut cfg = config();
    cfg.notifications.reminders_enabled = false;
    let s = TestServer::start_with(cfg.clone()).await;
    let o = org(&s).await; // operator of DIK (over SD1); all units WITA
    s.grant(&o.admin, &nip(4), "operator", "RSUD").await;
    let rsud_operator = s.login(&nip(4), PW).await;
    let (base, svc) = push_service().await;
    let (dik_phone, rsud_phone, head_phone) =
        (Browser::new(&base, "op-dik"), Browser::new(&base, "op-rsud"), Browser::new(&base, "kepala"));
    for (token, b) in [(&o.operator, &dik_phone), (&rsud_operator, &rsud_phone), (&o.head, &head_phone)] {
        let (st, r) = s.post("/api/v1/me/push-subscriptions", token, b.json()).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
    }
    let (st, b) = s.post("/api/v1/devices", &o.admin, json!({"sn": "SD1MESIN01", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let date = workday_last_month();
    let wita = "Asia/Makassar";
    let contact = hadir_store::DeviceContact {
        sn: "SD1MESIN01".into(),
        at: Some(local(wita, date, 8 * 60)),
        ..Default::default()
    };
    s.store.device_contact(&contact).await.unwrap();

    let store = s.store.as_ref();
    let policies = hadir_server::context::Policies::load(store).await.unwrap();
    let n = cfg.notifications.clone();
    let tick = |now| hadir_server::reminders::tick(store, &policies, &n, now);
    // Half an hour after its last call: not silent yet.
    assert_eq!(tick(local(wita, date, 8 * 60 + 30)).await.unwrap().alerts, 0);
    // Two hours: the operator over SD1 is told, once that day; RSUD's operator and the head are not.
    assert_eq!(tick(local(wita, date, 10 * 60)).await.unwrap().alerts, 1);
    assert_eq!(tick(local(wita, date, 11 * 60)).await.unwrap().alerts, 0);
    pushes(&svc, 1).await;
    let msgs = received(&svc, &dik_phone);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["kind"], "terminal_silent");
    let body = msgs[0]["body"].as_str().unwrap();
    assert!(body.contains("SD1MESIN01") && body.contains("08:00 WITA"), "{body}");
    assert!(received(&svc, &rsud_phone).is_empty());
    assert!(received(&svc, &head_phone).is_empty());

    // At night (and on the next day before work) nobody is woken.
    let next = date.tomorrow().unwrap();
    assert_eq!(tick(local(wita, next, 23 * 60)).await.unwrap().alerts, 0);
    assert_eq!(tick(local(wita, next, 2 * 60)).await.unwrap().alerts, 0);

    // A request waiting longer than a day reaches the head over SD1 (not the operator), once.
    let (st, r) = s
        .post(
            "/api/v1/requests",
            &o.emp_sd1,
            json!({"type": "IZIN", "date_from": date.to_string(), "reason": "urusan"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let sd1 = store.employee_by_login(&nip(3)).await.unwrap().unit_id;
    let mut later = Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get(wita).unwrap()).date();
    later = later.checked_add(2.days()).unwrap();
    while policies.unit_day(sd1, later).is_none_or(|(c, h)| {
        hadir_domain::holiday_on(&h, later).is_some() || c.resolve(later, &[]).is_ok_and(|r| r.day.is_none())
    }) {
        later = later.tomorrow().unwrap();
    }
    let before = svc.got.lock().unwrap().len();
    let r = tick(local(wita, later, 10 * 60)).await.unwrap();
    assert_eq!(r.alerts, 2, "the terminal, still silent, and the request: {r:?}");
    assert_eq!(tick(local(wita, later, 11 * 60)).await.unwrap().alerts, 0);
    pushes(&svc, before + 2).await;
    let msgs = received(&svc, &head_phone);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["kind"], "requests_waiting");
    assert!(msgs[0]["body"].as_str().unwrap().starts_with("1 pengajuan"), "{}", msgs[0]);
    assert!(received(&svc, &dik_phone).iter().all(|m| m["kind"] == "terminal_silent"));
    assert!(received(&svc, &rsud_phone).is_empty());
}

/// The next working day (no holiday) of the unit after `d`.
fn next_workday(policies: &hadir_server::context::Policies, unit_id: i64, d: Date) -> Date {
    let mut d = d.tomorrow().unwrap();
    while policies.unit_day(unit_id, d).is_none_or(|(c, h)| {
        hadir_domain::holiday_on(&h, d).is_some() || c.resolve(d, &[]).is_ok_and(|r| r.day.is_none())
    }) {
        d = d.tomorrow().unwrap();
    }
    d
}

/// The kinds of the pushes `b` could decrypt.
fn kinds(svc: &PushService, b: &Browser) -> Vec<String> {
    received(svc, b).iter().map(|m| m["kind"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn held_punches_waiting_too_long_alert_their_units_deciders_once_a_day_never_at_night() {
    let mut cfg = config();
    cfg.notifications.reminders_enabled = false; // the test drives the scheduler
    let s = TestServer::start_with(cfg.clone()).await;
    let o = org(&s).await; // operator of DIK (over SD1), head of SD1; all units WITA
    s.grant(&o.admin, &nip(4), "operator", "RSUD").await;
    let rsud_operator = s.login(&nip(4), PW).await;
    let (base, svc) = push_service().await;
    let (op_phone, head_phone, rsud_phone, emp_phone) = (
        Browser::new(&base, "op-dik"),
        Browser::new(&base, "kepala-sd1"),
        Browser::new(&base, "op-rsud"),
        Browser::new(&base, "pegawai-sd1"),
    );
    for (token, b) in
        [(&o.operator, &op_phone), (&o.head, &head_phone), (&rsud_operator, &rsud_phone), (&o.emp_sd1, &emp_phone)]
    {
        let (st, r) = s.post("/api/v1/me/push-subscriptions", token, b.json()).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
    }
    let store = s.store.as_ref();
    let wita = "Asia/Makassar";
    let date = workday_last_month();
    let received_at = local(wita, date, 8 * 60);
    // Held for review: an SD1 employee's punch flagged by a fraud signal, the SD1 head's own
    // late phone capture, and the RSUD operator's own punch (nobody else decides RSUD).
    let held = |login: u16, reason: &str, minute: u16| {
        let login = nip(login);
        let reason = reason.to_string();
        async move {
            let e = store.employee_by_login(&login).await.unwrap();
            let mut p = punch(e.id, local(wita, date, minute));
            p.received_at = received_at;
            p.hold = Some(hadir_store::PunchHold::Pending);
            p.review = Some(reason);
            match &store.insert_punches(&[p]).await.unwrap()[0] {
                hadir_store::PunchInsert::Inserted(p) => p.id,
                other => panic!("{other:?}"),
            }
        }
    };
    let emp_punch = held(3, "signal", 7 * 60 + 5).await;
    held(2, "offline_gap", 7 * 60 + 10).await;
    held(4, "backlog", 7 * 60 + 15).await;

    let policies = hadir_server::context::Policies::load(store).await.unwrap();
    let n = cfg.notifications.clone();
    assert_eq!(n.review_waiting_hours, 24, "the default");
    let tick = |now| hadir_server::reminders::tick(store, &policies, &n, now);
    let sd1 = store.employee_by_login(&nip(3)).await.unwrap().unit_id;

    // Two hours later: not waiting long enough.
    assert_eq!(tick(local(wita, date, 10 * 60)).await.unwrap().alerts, 0);
    // The next working day, past 24 hours: the operator over SD1 and the SD1 head, once.
    let day2 = next_workday(&policies, sd1, date);
    let r = tick(local(wita, day2, 9 * 60)).await.unwrap();
    assert_eq!(r.alerts, 2, "{r:?}");
    assert_eq!(tick(local(wita, day2, 11 * 60)).await.unwrap().alerts, 0, "once a day");
    pushes(&svc, 2).await;
    let msgs = received(&svc, &op_phone);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["kind"], "review_waiting");
    assert_eq!(msgs[0]["title"], "Absen menunggu pemeriksaan");
    assert_eq!(msgs[0]["url"], "/admin/inbox");
    let body = msgs[0]["body"].as_str().unwrap();
    assert!(body.starts_with("2 absen di ") && body.contains("lebih dari 24 jam"), "{body}");
    // The head is not told of their own punch: one.
    let msgs = received(&svc, &head_phone);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["kind"], "review_waiting");
    assert!(msgs[0]["body"].as_str().unwrap().starts_with("1 absen di "), "{}", msgs[0]);
    // RSUD's operator (only their own punch waits there) and the employee: nothing.
    assert!(received(&svc, &rsud_phone).is_empty());
    assert!(received(&svc, &emp_phone).is_empty());

    // At night nobody is woken, though it is a new day; that working morning, again.
    let day3 = next_workday(&policies, sd1, day2);
    assert_eq!(tick(local(wita, day3, 22 * 60)).await.unwrap().alerts, 0);
    assert_eq!(tick(local(wita, day3.tomorrow().unwrap(), 2 * 60)).await.unwrap().alerts, 0);
    assert_eq!(svc.got.lock().unwrap().len(), 2);

    // The head decides the employee's punch: the next day only the head's own is left, which
    // only the operator hears of.
    let (st, b) = s.post("/api/v1/review/punches/decide", &o.head, json!({"ids": [emp_punch], "accept": true})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    pushes(&svc, 3).await; // the employee's decision notice
    assert_eq!(kinds(&svc, &emp_phone), ["decision"]);
    let r = tick(local(wita, day3, 9 * 60)).await.unwrap();
    assert_eq!(r.alerts, 1, "{r:?}");
    pushes(&svc, 4).await;
    let msgs = received(&svc, &op_phone);
    assert_eq!(msgs.len(), 2);
    assert!(msgs[1]["body"].as_str().unwrap().starts_with("1 absen di "), "{}", msgs[1]);
    assert_eq!(received(&svc, &head_phone).len(), 1);
    assert!(received(&svc, &rsud_phone).is_empty());
    assert_eq!(kinds(&svc, &emp_phone), ["decision"]);

    // An operator who turned the kind off is not told.
    let (st, _) = s
        .call(Method::PUT, "/api/v1/me/notification-prefs", Some(&o.operator), json!({"kinds": ["terminal_silent"]}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let day4 = next_workday(&policies, sd1, day3);
    assert_eq!(tick(local(wita, day4, 9 * 60)).await.unwrap().alerts, 0);
}

#[tokio::test]
async fn an_offline_relay_alerts_its_units_operators_once_in_working_hours() {
    let mut cfg = config();
    cfg.notifications.reminders_enabled = false;
    let s = TestServer::start_with(cfg.clone()).await;
    let o = org(&s).await;
    s.grant(&o.admin, &nip(4), "operator", "RSUD").await;
    let rsud_operator = s.login(&nip(4), PW).await;
    let (base, svc) = push_service().await;
    let (op_phone, rsud_phone, head_phone) =
        (Browser::new(&base, "op-dik"), Browser::new(&base, "op-rsud"), Browser::new(&base, "kepala"));
    for (token, b) in [(&o.operator, &op_phone), (&rsud_operator, &rsud_phone), (&o.head, &head_phone)] {
        let (st, r) = s.post("/api/v1/me/push-subscriptions", token, b.json()).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
    }
    let (st, b) = s.post("/api/v1/relays", &o.admin, json!({"name": "Relay SD1", "unit_code": "SD1"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let relay_id = b["id"].as_i64().unwrap();
    // A relay that never called in is not "offline": it was never set up.
    let store = s.store.as_ref();
    let wita = "Asia/Makassar";
    let date = workday_last_month();
    let policies = hadir_server::context::Policies::load(store).await.unwrap();
    let n = cfg.notifications.clone();
    let tick = |now| hadir_server::reminders::tick(store, &policies, &n, now);
    assert_eq!(tick(local(wita, date, 10 * 60)).await.unwrap().alerts, 0);
    // Its last call: 08:00 WITA that day.
    store.relay_report(relay_id, &[], local(wita, date, 8 * 60)).await.unwrap();

    // 20 minutes later: not yet offline (30 minutes by default).
    assert_eq!(tick(local(wita, date, 8 * 60 + 20)).await.unwrap().alerts, 0);
    // An hour later: the operator over SD1, once that day; not RSUD's operator, not the head.
    assert_eq!(tick(local(wita, date, 9 * 60)).await.unwrap().alerts, 1);
    assert_eq!(tick(local(wita, date, 10 * 60)).await.unwrap().alerts, 0);
    pushes(&svc, 1).await;
    let msgs = received(&svc, &op_phone);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["kind"], "relay_offline");
    assert_eq!(msgs[0]["title"], "Penerus data kantor tidak terhubung");
    let body = msgs[0]["body"].as_str().unwrap();
    assert!(body.contains("Relay SD1 (SD1)") && body.contains("08:00 WITA"), "{body}");
    assert!(received(&svc, &rsud_phone).is_empty());
    assert!(received(&svc, &head_phone).is_empty());

    // Still offline the next working day: nothing at night, then that morning once more.
    let sd1 = store.employee_by_login(&nip(3)).await.unwrap().unit_id;
    let next = next_workday(&policies, sd1, date);
    assert_eq!(tick(local(wita, next, 2 * 60)).await.unwrap().alerts, 0);
    assert_eq!(tick(local(wita, next, 22 * 60)).await.unwrap().alerts, 0);
    assert_eq!(svc.got.lock().unwrap().len(), 1);
    assert_eq!(tick(local(wita, next, 8 * 60)).await.unwrap().alerts, 1);
    pushes(&svc, 2).await;
    assert_eq!(received(&svc, &op_phone).len(), 2);
    let body = received(&svc, &op_phone)[1]["body"].as_str().unwrap().to_string();
    assert!(body.contains(&format!("{} pukul 08:00 WITA", date.strftime("%d-%m-%Y"))), "{body}");

    // A revoked relay alerts nobody.
    let (st, _) = s.post(&format!("/api/v1/relays/{relay_id}/revoke"), &o.admin, json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let day3 = next_workday(&policies, sd1, next);
    assert_eq!(tick(local(wita, day3, 9 * 60)).await.unwrap().alerts, 0);
    assert!(received(&svc, &rsud_phone).is_empty());
}

/// A console session cookie (the login form, as a browser sends it).
async fn console_session(s: &TestServer, user: &str, pw: &str) -> String {
    let r = console_client()
        .post(s.url("/admin/login"))
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("username={user}&password={pw}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()[reqwest::header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
}

fn console_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Posts the alerts form (htmx, same origin unless `origin` says otherwise).
async fn post_alerts(
    s: &TestServer,
    cookie: Option<&str>,
    body: &str,
    origin: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut req = console_client()
        .post(s.url("/admin/pemberitahuan"))
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("HX-Request", "true")
        .body(body.to_string());
    if let Some(c) = cookie {
        req = req.header(reqwest::header::COOKIE, c);
    }
    if let Some(o) = origin {
        req = req.header(reqwest::header::ORIGIN, o);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.headers().clone(), r.text().await.unwrap())
}

async fn alerts_page(s: &TestServer, cookie: &str) -> (StatusCode, String) {
    let r = console_client()
        .get(s.url("/admin/pemberitahuan"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The kinds the API says are on for `token`.
async fn enabled(s: &TestServer, token: &str) -> Vec<String> {
    let (st, p) = s.get("/api/v1/me/notification-prefs", token).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    p["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["enabled"] == true)
        .map(|k| k["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_console_form_saves_the_callers_alert_choices_and_refusals_change_nothing() {
    let s = TestServer::start_with(config()).await;
    let o = org(&s).await;
    let op = console_session(&s, &nip(1), PW).await;
    let all = [
        "reminder_open",
        "reminder_close",
        "decision",
        "terminal_silent",
        "relay_offline",
        "review_waiting",
        "requests_waiting",
    ];
    assert_eq!(enabled(&s, &o.operator).await, all, "never chosen: everything on");

    // The page: the alerts (and, being an employee too, the reminders), all checked, in
    // Indonesian; no browser subscribed yet, and where to do it.
    let (st, page) = alerts_page(&s, &op).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("<h1>Pemberitahuan</h1>") && page.contains(r#"aria-current="page">Pemberitahuan"#));
    for k in all {
        assert!(page.contains(&format!(r#"value="{k}" id="kind-{k}" checked"#)), "{k}");
    }
    assert!(
        page.contains("Absen menunggu pemeriksaan terlalu lama")
            && page.contains("Penerus data kantor tidak terhubung")
    );
    assert!(page.contains(r#"id="no-subscription""#));
    // A browser subscribed through the app shows as its push service.
    let phone = Browser::new("http://127.0.0.1:9", "op");
    let (st, b) = s.post("/api/v1/me/push-subscriptions", &o.operator, phone.json()).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let (_, page) = alerts_page(&s, &op).await;
    assert!(!page.contains(r#"id="no-subscription""#));
    assert!(page.contains("<td>127.0.0.1</td>"), "{page}");

    // Saving two kinds: the rest are off, through the API's store.
    let (st, _, body) = post_alerts(&s, Some(&op), "kind=terminal_silent&kind=review_waiting", None).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("2 jenis pemberitahuan aktif"), "{body}");
    let chosen = ["terminal_silent", "review_waiting"];
    assert_eq!(enabled(&s, &o.operator).await, chosen);
    let (_, page) = alerts_page(&s, &op).await;
    assert!(page.contains(r#"value="review_waiting" id="kind-review_waiting" checked"#));
    assert!(page.contains(r#"value="relay_offline" id="kind-relay_offline">"#), "unchecked");

    // Refusals, each changing nothing: a kind that does not exist, a cross-site post, no
    // session, an employee without a console role.
    let (st, h, body) = post_alerts(&s, Some(&op), "kind=relay_offline&kind=bukan_jenis", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(h["hx-retarget"], "#flash");
    assert!(body.contains("tidak tersedia untuk akun Anda") && body.contains("invalid_kind"), "{body}");
    let (st, _, body) = post_alerts(&s, Some(&op), "kind=relay_offline", Some("http://evil.example")).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("dikirim dari situs lain"), "{body}");
    let (st, h, _) = post_alerts(&s, None, "kind=relay_offline", None).await;
    assert_eq!(
        (st, h.get("hx-redirect").map(|v| v.to_str().unwrap())),
        (StatusCode::UNAUTHORIZED, Some("/admin/login"))
    );
    // (The console's login refuses an employee; their app session's token is tried as the cookie.)
    let emp = format!("hadir_session={}", o.emp_sd1);
    assert_eq!(alerts_page(&s, &emp).await.0, StatusCode::FORBIDDEN);
    let (st, _, _) = post_alerts(&s, Some(&emp), "kind=decision", None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(enabled(&s, &o.operator).await, chosen);
    assert_eq!(enabled(&s, &o.emp_sd1).await, ["reminder_open", "reminder_close", "decision"]);

    // The admin (no employee record) sees only the alerts and cannot choose a reminder.
    let admin = console_session(&s, "admin", common::ADMIN_PW).await;
    let (st, page) = alerts_page(&s, &admin).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains(r#"id="kind-requests_waiting""#) && !page.contains(r#"id="kind-reminder_open""#));
    let (st, _, body) = post_alerts(&s, Some(&admin), "kind=reminder_open", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(enabled(&s, &o.admin).await, ["terminal_silent", "relay_offline", "review_waiting", "requests_waiting"]);

    // Everything unchecked: nothing is received.
    let (st, _, body) = post_alerts(&s, Some(&op), "", None).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("tidak akan menerima pemberitahuan"), "{body}");
    assert!(enabled(&s, &o.operator).await.is_empty());
}
