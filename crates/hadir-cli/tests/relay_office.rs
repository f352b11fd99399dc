//! Issue 21 point 4 end to end: the office-network mode of `hadir relay` with the real server.
//! The roster carries the relay unit's argon2id hashes (and nobody else's); with the server
//! stopped, a phone signs in at the relay (a wrong password refused, repeated failures locked)
//! and checks in (a retry with the same key gives the first answer); the server comes back and
//! the check-in is stored once, with the relay's time, counted; a revoked relay's forwards are
//! refused and its status says so.

use hadir_relay::{RelayConfig, RelayHandle};
use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::BIN;
const NIP: &str = "198609262015051001";
const OTHER: &str = "199001012020121002";
const THIRD: &str = "198501012010011003";

fn start_server(data: &std::path::Path, addr: &str) -> Child {
    let mut child = Command::new(BIN)
        .args(["--data", data.to_str().unwrap(), "serve", "--listen", addr])
        .env("HADIR_LOG", "warn")
        // This test is about the relay's path; the fraud analyser would hold its tiny photo
        // (no face, not camera output) whenever it ran before the test read the punch.
        .env("HADIR_SERVER__SIGNALS__ENABLED", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on"), "{line}");
    child
}

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn relay(server: &str, token: &str, buffer: &std::path::Path) -> RelayHandle {
    let cfg = RelayConfig::from_toml(&format!(
        "server = \"{server}\"\ntoken = \"{token}\"\ninterval_secs = 1\nbuffer = \"{}\"\nstatus_listen = \"127.0.0.1:0\"\n\
         retry_min_ms = 200\nretry_max_secs = 1\nroster_interval_secs = 3600\napp_listen = \"127.0.0.1:0\"\n\
         app_url = \"http://192.168.1.10:8080\"\n",
        buffer.display()
    ))
    .unwrap();
    hadir_relay::start(cfg).await.unwrap()
}

async fn relay_punches(c: &Client, base: &str, admin: &str, nip: &str) -> Vec<Value> {
    let Ok(r) = c.get(format!("{base}/api/v1/punches?employee={nip}")).bearer_auth(admin).send().await else {
        return vec![];
    };
    let v: Value = r.json().await.unwrap_or(Value::Null);
    v["items"].as_array().cloned().unwrap_or_default()
}

fn checkin_form(key: &str, photo: &[u8]) -> Form {
    Form::new()
        .text("meta", json!({"idempotency_key": key, "lat": 1.0, "lon": 2.0}).to_string())
        .part("photo", Part::bytes(photo.to_vec()).file_name("swafoto.jpg"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_network_checkin_while_the_server_is_down_is_stored_once_with_the_relay_time() {
    let dir = tempfile::tempdir().unwrap();
    common::create_admin(dir.path(), "rahasia-admin");
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let base = format!("http://{addr}");
    let mut server = start_server(dir.path(), &addr);
    let c = Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let login: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "rahasia-admin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = login["token"].as_str().unwrap().to_string();
    let post = |path: &str, body: Value| c.post(format!("{base}{path}")).bearer_auth(&admin).json(&body).send();
    for (code, name) in [("SD1", "SD 1"), ("SD2", "SD 2")] {
        let unit = json!({"code": code, "name": name, "timezone": "Asia/Makassar", "locations": [{"name": "Sekolah", "lat": -0.5, "lon": 117.15}]});
        assert_eq!(post("/api/v1/units", unit).await.unwrap().status(), 201);
    }
    for (nip, unit, name) in [(NIP, "SD1", "Guru Satu"), (THIRD, "SD1", "Guru Tiga"), (OTHER, "SD2", "Guru Lain")] {
        let emp = json!({"nip": nip, "name": name, "category": "PNS", "unit_code": unit, "password": "sandi123"});
        assert_eq!(post("/api/v1/employees", emp).await.unwrap().status(), 201);
    }
    let r: Value =
        post("/api/v1/relays", json!({"name": "Pijo SD1", "unit_code": "SD1"})).await.unwrap().json().await.unwrap();
    let relay_token = r["token"].as_str().unwrap().to_string();
    let relay_id = r["id"].as_i64().unwrap();

    // The roster: the relay unit's hashes only, and only for a relay token.
    let roster: Value = c
        .get(format!("{base}/api/v1/relay/roster"))
        .bearer_auth(&relay_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let accounts = roster["accounts"].as_array().unwrap();
    let logins: Vec<&str> = accounts.iter().map(|a| a["login"].as_str().unwrap()).collect();
    assert_eq!(logins.len(), 2, "{roster}");
    assert!(logins.contains(&NIP) && logins.contains(&THIRD) && !logins.contains(&OTHER), "{roster}");
    assert!(accounts.iter().all(|a| a["password_hash"].as_str().unwrap().starts_with("$argon2id$")));
    let by_admin = c.get(format!("{base}/api/v1/relay/roster")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(by_admin.status(), 401, "a session token is not a relay token");

    // A forward for a person outside the relay's unit is refused, nothing stored.
    let meta = json!({"login": OTHER, "idempotency_key": "x1", "punched_at": jiff::Timestamp::now().to_string()});
    let form = Form::new().text("meta", meta.to_string()).part("photo", Part::bytes(jpeg()).file_name("a.jpg"));
    let res =
        c.post(format!("{base}/api/v1/relay/checkins")).bearer_auth(&relay_token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "employee_other_unit");
    assert!(relay_punches(&c, &base, &admin, OTHER).await.is_empty());

    let buffer = dir.path().join("relay.db");
    let relay = relay(&base, &relay_token, &buffer).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while relay.buffer().staff_count().await.unwrap() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(relay.buffer().staff_count().await.unwrap(), 2, "the roster's accounts are stored");
    let local = format!("http://{}", relay.app_addr().unwrap());
    let page = c.get(format!("{local}/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-mode=\"relay\"") && page.contains("cam-file"), "the same app, in relay mode");
    assert_eq!(c.get(format!("{local}/app/checkin.js")).send().await.unwrap().status(), 200);

    // "Presensi lokal": the relay's address for staff reaches the central app of its unit only.
    let employee_login = |nip: &'static str| {
        let c = c.clone();
        let base = base.clone();
        async move {
            let v: Value = c
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": nip, "password": "sandi123"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["token"].as_str().unwrap().to_string()
        }
    };
    let (mine, theirs) = (employee_login(NIP).await, employee_login(OTHER).await);
    let local_presence = |token: String| {
        let c = c.clone();
        let base = base.clone();
        async move {
            let v: Value = c
                .get(format!("{base}/api/v1/me/local-presence"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["items"].as_array().cloned().unwrap_or_default()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while local_presence(mine.clone()).await.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let items = local_presence(mine.clone()).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["url"], "http://192.168.1.10:8080");
    assert_eq!(items[0]["name"], "Pijo SD1");
    assert!(local_presence(theirs.clone()).await.is_empty(), "another unit's employee sees no address");
    let no_session = c.get(format!("{base}/api/v1/me/local-presence")).send().await.unwrap();
    assert_eq!(no_session.status(), 401);

    // The uplink goes down.
    server.kill().unwrap();
    server.wait().unwrap();

    let relay_login = |user: &str, pass: &str| {
        c.post(format!("{local}/api/v1/auth/login")).json(&json!({"username": user, "password": pass})).send()
    };
    let wrong = relay_login(NIP, "salah").await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"]["code"], "invalid_credentials");
    let other = relay_login(OTHER, "sandi123").await.unwrap();
    assert_eq!(other.status(), 401, "another unit's employee cannot sign in at this relay");
    let ok: Value = relay_login(NIP, "sandi123").await.unwrap().json().await.unwrap();
    let session = ok["token"].as_str().unwrap().to_string();
    assert_eq!(ok["user"]["name"], "Guru Satu");

    // Repeated failures lock that NIP, even for the right password, and nothing else.
    for _ in 0..5 {
        assert_eq!(relay_login(THIRD, "salah").await.unwrap().status(), 401);
    }
    let locked = relay_login(THIRD, "sandi123").await.unwrap();
    assert_eq!(locked.status(), 429);
    assert_eq!(locked.json::<Value>().await.unwrap()["error"]["code"], "too_many_attempts");

    // Check-in without a session: refused, nothing recorded.
    let photo = jpeg();
    let anon = c.post(format!("{local}/api/v1/checkins")).multipart(checkin_form("k-1", &photo)).send().await.unwrap();
    assert_eq!(anon.status(), 401);
    assert_eq!(relay.buffer().checkin_counts().await.unwrap().waiting, 0);
    // Not an image: refused, nothing recorded.
    let bad = c
        .post(format!("{local}/api/v1/checkins"))
        .bearer_auth(&session)
        .multipart(checkin_form("k-0", b"not a picture"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert_eq!(relay.buffer().checkin_counts().await.unwrap().waiting, 0);

    let before = jiff::Timestamp::now();
    let first = c
        .post(format!("{local}/api/v1/checkins"))
        .bearer_auth(&session)
        .multipart(checkin_form("k-1", &photo))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let relay_time = first["punch"]["punched_at"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = c
        .post(format!("{local}/api/v1/checkins"))
        .bearer_auth(&session)
        .multipart(checkin_form("k-1", &photo))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "a retry of the key is the first check-in");
    assert_eq!(again.json::<Value>().await.unwrap()["punch"]["punched_at"], relay_time.as_str());
    assert_eq!(relay.buffer().checkin_counts().await.unwrap().waiting, 1);
    let t: jiff::Timestamp = relay_time.parse().unwrap();
    assert!(t >= before - jiff::SignedDuration::from_secs(5) && t <= jiff::Timestamp::now(), "{relay_time}");

    // The uplink returns: the check-in is forwarded, stored once, with the relay's time, counted.
    tokio::time::sleep(Duration::from_secs(2)).await; // a few failed forwards meanwhile
    let mut server = start_server(dir.path(), &addr);
    let deadline = Instant::now() + Duration::from_secs(30);
    while relay.buffer().checkin_counts().await.unwrap().sent < 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let punches = relay_punches(&c, &base, &admin, NIP).await;
    assert_eq!(punches.len(), 1, "{punches:?}");
    let p = &punches[0];
    assert_eq!(p["source"], "relay");
    assert_eq!(p["state"], "counted", "{p}");
    assert!(p["location"].as_str().unwrap().contains("Pijo SD1"), "{p}");
    assert!(p["photo_url"].is_string(), "{p}");
    let stored: jiff::Timestamp = p["punched_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored, t, "the relay's time, not the time of receipt");
    assert!(relay.status().server.clock_offset_ms.is_some(), "the relay measured its clock against the server");

    // The forward retried (the relay lost its mark): the server answers with the same punch.
    let meta = json!({"login": NIP, "idempotency_key": "k-1", "punched_at": relay_time});
    let form = Form::new().text("meta", meta.to_string()).part("photo", Part::bytes(photo.clone()).file_name("a.jpg"));
    let res =
        c.post(format!("{base}/api/v1/relay/checkins")).bearer_auth(&relay_token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["punch_id"], p["id"]);
    assert_eq!(relay_punches(&c, &base, &admin, NIP).await.len(), 1);

    // Revoked: the next forward is refused, the check-in waits at the relay, its status says so.
    let res = c.post(format!("{base}/api/v1/relays/{relay_id}/revoke")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = c
        .post(format!("{local}/api/v1/checkins"))
        .bearer_auth(&session)
        .multipart(checkin_form("k-2", &jpeg()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !relay.status().server.token_refused && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(relay.status().server.token_refused);
    assert_eq!(relay.buffer().checkin_counts().await.unwrap().waiting, 1, "kept, not dropped");
    assert_eq!(relay_punches(&c, &base, &admin, NIP).await.len(), 1, "nothing stored from a revoked relay");
    let status = c.get(format!("http://{}/", relay.status_addr())).send().await.unwrap().text().await.unwrap();
    assert!(status.contains("Token relay ditolak server"), "{status}");
    let roster = c.get(format!("{base}/api/v1/relay/roster")).bearer_auth(&relay_token).send().await.unwrap();
    assert_eq!(roster.status(), 401, "no roster for a revoked relay");

    relay.shutdown().await;
    server.kill().unwrap();
    server.wait().unwrap();
}
