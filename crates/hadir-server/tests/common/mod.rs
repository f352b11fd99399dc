//! Test harness: a real server on 127.0.0.1:0 over a real store, spoken to over HTTP.
//!
//! The store is a SQLite file in a temporary directory, or, when `HADIR_TEST_PG_URL` is set, a
//! fresh PostgreSQL database of its own (`scripts/test.sh` runs these tests both ways).
#![allow(dead_code)]

pub mod scene;

use hadir_blob::BlobStore;
use hadir_server::{Server, ServerConfig};
use hadir_store::Store;
use hadir_store_sqlite::SqliteStore;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

pub struct TestServer {
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    /// The SQLite store, when the test runs on SQLite.
    pub sqlite: Option<SqliteStore>,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    config: ServerConfig,
}

pub const ADMIN_PW: &str = "admin-rahasia";
pub const PW: &str = "sandi123";

/// A fresh, empty store: PostgreSQL when `HADIR_TEST_PG_URL` is set (or required by
/// `HADIR_REQUIRE_PG`, which then fails loudly without it), else SQLite under `dir`.
pub async fn open_store(dir: &std::path::Path) -> (Arc<dyn Store>, Option<SqliteStore>) {
    let pg = std::env::var("HADIR_TEST_PG_URL").is_ok_and(|u| !u.trim().is_empty())
        || std::env::var_os("HADIR_REQUIRE_PG").is_some();
    if pg {
        let url = hadir_store_postgres::testing::fresh_test_database().await.expect("HADIR_TEST_PG_URL is set");
        let pg = hadir_store_postgres::PgStore::connect_with(&url, 8).await.unwrap();
        (Arc::new(pg), None)
    } else {
        let sqlite = SqliteStore::open(&dir.join("hadir.db")).await.unwrap();
        (Arc::new(sqlite.clone()), Some(sqlite))
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(ServerConfig::default()).await
    }

    /// A server with `config`, the fraud-signal analyser off: the other test files send one
    /// synthetic picture and round positions that it would hold, seconds later, under their
    /// feet (issue 23's signals are tested in `fraud.rs` with [`start_with_signals`](Self::start_with_signals)).
    pub async fn start_with(mut config: ServerConfig) -> TestServer {
        config.signals.enabled = false;
        Self::start_with_signals(config).await
    }

    /// A server with `config` exactly as given (the analyser on unless it says otherwise).
    pub async fn start_with_signals(config: ServerConfig) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let (store, sqlite) = open_store(dir.path()).await;
        let hash = hadir_server::auth::password::hash(ADMIN_PW.into()).await;
        store.create_admin("admin", "Admin BKD", &hash).await.unwrap();
        let mut s = TestServer {
            base: String::new(),
            client: Client::new(),
            store,
            sqlite,
            dir,
            shutdown: None,
            task: None,
            config,
        };
        s.serve().await;
        s
    }

    /// Serves the same store (and photo directory) on a new port.
    async fn serve(&mut self) {
        let blob = BlobStore::local(&self.dir.path().join("blobs")).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = Server { config: self.config.clone(), store: self.store.clone(), blob };
        self.task = Some(tokio::spawn(async move {
            server
                .run(listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        }));
        self.shutdown = Some(tx);
    }

    /// Kills the server as a crash would: no clean stop is recorded, the heartbeat stops.
    pub async fn kill(&mut self) {
        self.shutdown = None;
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }

    /// Stops the server cleanly (a planned stop).
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            // Idle keep-alive connections are closed by the graceful shutdown; bounded anyway.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), t).await;
        }
    }

    /// Starts the server again on the same store (after [`kill`](Self::kill) or [`stop`](Self::stop)).
    pub async fn restart(&mut self) {
        self.serve().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a JSON request (body `Value::Null` means none) and returns status and JSON body.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), Value::Null).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), body).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let mut tries = 0;
        let (st, body) = loop {
            let (st, body) = self
                .call(Method::POST, "/api/v1/auth/login", None, json!({"username": username, "password": password}))
                .await;
            // A busy hashing pool answers 503 + Retry-After; the app tries again, so do we.
            if st == StatusCode::SERVICE_UNAVAILABLE && tries < 50 {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
            break (st, body);
        };
        assert_eq!(st, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PW).await
    }

    pub async fn unit(&self, admin: &str, code: &str, parent: Option<&str>, tz: &str, lat: f64, lon: f64) {
        let (st, b) = self
            .post(
                "/api/v1/units",
                admin,
                json!({"code": code, "name": format!("Unit {code}"), "parent_code": parent, "timezone": tz,
                       "locations": [{"name": format!("Kantor {code}"), "lat": lat, "lon": lon, "radius_m": 100.0}]}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
    }

    /// An employee employed since [`FIXTURE_START`] (so the past months the tests use are
    /// working days; without a start date they would start today).
    pub async fn employee(&self, token: &str, nip: &str, unit: &str, pin: &str) -> Value {
        let (st, b) = self
            .post(
                "/api/v1/employees",
                token,
                json!({"nip": nip, "name": format!("Pegawai {pin}"), "category": "PNS", "unit_code": unit, "password": PW,
                       "device_pin": pin, "start_date": FIXTURE_START}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        b
    }

    /// Accepts every punch waiting in `token`'s review queue (issue 16); returns how many.
    pub async fn accept_held(&self, token: &str, note: &str) -> u64 {
        let (st, b) = self
            .post("/api/v1/review/punches/decide", token, json!({"filter": {}, "accept": true, "note": note}))
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        b["decided"].as_u64().unwrap()
    }

    pub async fn grant(&self, admin: &str, login: &str, role: &str, unit: &str) {
        let (st, b) = self.post("/api/v1/roles", admin, json!({"login": login, "role": role, "unit_code": unit})).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
    }
}

/// The start date of the fixture's employees.
pub const FIXTURE_START: &str = "2020-01-02";

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A valid PNS NIP with a distinct sequence number.
pub fn nip(seq: u16) -> String {
    format!("19860926201505{}{:03}", if seq.is_multiple_of(2) { 1 } else { 2 }, seq)
}

/// A small organisation: KAB → DIK → SD1, KAB → RSUD (WITA), with an operator of DIK, a head
/// of SD1, and employees in SD1 and RSUD. Returns tokens (admin, operator, head, employee SD1, employee RSUD).
pub struct Org {
    pub admin: String,
    pub operator: String,
    pub head: String,
    pub emp_sd1: String,
    pub emp_rsud: String,
}

pub const SD1_LAT: f64 = -0.5;
pub const SD1_LON: f64 = 117.15;

pub async fn org(s: &TestServer) -> Org {
    let admin = s.admin_token().await;
    s.unit(&admin, "KAB", None, "Asia/Makassar", -0.49, 117.14).await;
    s.unit(&admin, "DIK", Some("KAB"), "Asia/Makassar", -0.495, 117.145).await;
    s.unit(&admin, "SD1", Some("DIK"), "Asia/Makassar", SD1_LAT, SD1_LON).await;
    s.unit(&admin, "RSUD", Some("KAB"), "Asia/Makassar", -0.52, 117.16).await;
    s.employee(&admin, &nip(1), "DIK", "1").await; // operator
    s.employee(&admin, &nip(2), "SD1", "2").await; // head
    s.employee(&admin, &nip(3), "SD1", "3").await;
    s.employee(&admin, &nip(4), "RSUD", "4").await;
    s.grant(&admin, &nip(1), "operator", "DIK").await;
    s.grant(&admin, &nip(2), "head", "SD1").await;
    Org {
        operator: s.login(&nip(1), PW).await,
        head: s.login(&nip(2), PW).await,
        emp_sd1: s.login(&nip(3), PW).await,
        emp_rsud: s.login(&nip(4), PW).await,
        admin,
    }
}

/// A real, decodable JPEG of `side`×`side` pixels, different bytes on every call (a comment
/// segment carries a counter), as two selfies are: the server refuses a photo already stored.
pub fn jpeg(side: u32) -> Vec<u8> {
    static SHOT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let img = image::RgbImage::from_fn(side, side, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let shot = SHOT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let comment = format!("{}-{shot}", std::process::id());
    let mut bytes = out.into_inner();
    let mut segment = vec![0xFF, 0xFE];
    segment.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(comment.as_bytes());
    bytes.splice(2..2, segment);
    bytes
}

impl TestServer {
    /// Sends a check-in; `photo` None sends no photo part.
    pub async fn checkin(&self, token: &str, meta: Value, photo: Option<Vec<u8>>) -> (StatusCode, Value, String) {
        let mut form = reqwest::multipart::Form::new().text("meta", meta.to_string());
        if let Some(p) = photo {
            form = form.part(
                "photo",
                reqwest::multipart::Part::bytes(p).file_name("selfie.jpg").mime_str("image/jpeg").unwrap(),
            );
        }
        let r = self.client.post(self.url("/api/v1/checkins")).bearer_auth(token).multipart(form).send().await.unwrap();
        let st = r.status();
        let text = r.text().await.unwrap();
        (st, serde_json::from_str(&text).unwrap_or(Value::Null), text)
    }
}

/// A terminal punch of `emp` at `t`, stored directly (the store is under test, not the PUSH path).
pub fn punch(emp: i64, t: jiff::Timestamp) -> hadir_store::NewPunch {
    hadir_store::NewPunch {
        employee_id: Some(emp),
        source: hadir_store::PunchSource::Terminal,
        dedup_key: format!("t:TEST:{emp}:{}", t.as_second()),
        punched_at: t,
        received_at: t,
        captured_at: None,
        device_sn: Some("TEST".into()),
        device_pin: None,
        lat: None,
        lon: None,
        accuracy_m: None,
        distance_m: None,
        location_name: None,
        photo_hash: None,
        note: None,
        review: None,
        review_detail: None,
        status: None,
        verify: None,
        quarantined: false,
        hold: None,
        response: None,
    }
}

impl TestServer {
    /// Gives `nip` a one-checkpoint day today in zone `tz` (a roster shift, worked even on a
    /// holiday) whose window holds the current minute, so a punch made now is used by the day
    /// record whatever the hour the test runs at (the weekly pattern's windows end at 18:00).
    /// Near local midnight the window is cut at the day's edges.
    pub async fn shape_today(&self, admin: &str, nip: &str, tz: &str) {
        let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get(tz).unwrap());
        let m = i32::from(now.hour()) * 60 + i32::from(now.minute());
        let hhmm = |m: i32| format!("{:02}:{:02}", m / 60, m % 60);
        let (start, end) = ((m - 120).max(0), (m + 120).min(24 * 60 - 1));
        let cal = json!({
            "name": format!("Uji {nip}"), "kind": "roster",
            "weekly": {"monday": null, "tuesday": null, "wednesday": null, "thursday": null, "friday": null,
                       "saturday": null, "sunday": null},
            "overrides": [],
            "shifts": [{"code": "U", "name": "Uji", "schedule": {"checkpoints": [
                {"name": "masuk", "kind": "check_in", "due": hhmm(m), "window_start": hhmm(start), "window_end": hhmm(end)}],
                "break_minutes": 0}}],
        });
        let (st, b) = self.post("/api/v1/calendars", admin, cal).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        let (st, b) = self.post(&format!("/api/v1/calendars/{}/assign", b["id"]), admin, json!({"nip": nip})).await;
        assert!(st.is_success(), "{b}");
        let roster = json!({"entries": [{"nip": nip, "date": now.date().to_string(), "shift": "U"}]});
        let (st, b) = self.call(Method::PUT, "/api/v1/roster", Some(admin), roster).await;
        assert_eq!(st, StatusCode::OK, "{b}");
    }
}
