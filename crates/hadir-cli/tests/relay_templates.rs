//! Issue 25 end to end, relay side: the real server binary, the real relay and an emulated
//! terminal behind it.
//! * A finger a PUSH terminal of SD1 uploads (OPERLOG `FP` line) is written by SD1's relay to
//!   its terminal (the emulator holds it).
//! * A finger enrolled on the relay's terminal reaches the server and is queued for SD1's PUSH
//!   terminal (`DATA UPDATE FINGERTMP` on its next getrequest).
//! * An employee moved out of SD1 is deleted from the relay's terminal.
//! * No API answer carries a template.
//!
//! The relay fetches its roster and template list only when the server asks (in its answer to
//! an upload), which the server does when one of the relay's terminals is new behind it, lacks
//! a finger or holds an employee who left the unit. The first finger is stored before the relay
//! has reported its terminal (the order CI once hit by chance, when the finger never arrived).
//!
//! On SQLite; on PostgreSQL too when `HADIR_TEST_PG_URL` names a server.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hadir_relay::emulator::{Emulator, EmulatorConfig};
use reqwest::Client;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

mod common;

const NIP: &str = "198609262015051001";
const PASSWORD: &str = "rahasia-admin";

/// A fingerprint template shaped like ZKFinger v10's (`SS21` header, then minutiae bytes).
fn template(seed: u8) -> Vec<u8> {
    let mut raw = b"J\x18SS21\x00\x00\x03\xfa\xfe\x04\x05\x07\x09\xce\xd0\x00\x00\x1b\xfb\x69\x01".to_vec();
    raw.extend((0..1100u32).map(|i| (i.wrapping_mul(37) as u8) ^ seed));
    raw
}

/// Waits (bounded, generously) until `check` holds; false if it never did.
async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(40);
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

/// What the server hands the relay (the one answer meant to carry templates: not checked below).
async fn relay_templates(c: &Client, base: &str, token: &str) -> Value {
    let r = c.get(format!("{base}/api/v1/relay/templates")).bearer_auth(token).send().await.unwrap();
    r.json().await.unwrap_or(Value::Null)
}

async fn run(db_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    common::create_admin_on(dir.path(), PASSWORD, db_url);
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let base = format!("http://{addr}");
    let mut server = common::start_server(dir.path(), &addr, db_url);
    let c = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let login: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = login["token"].as_str().unwrap().to_string();
    // Every answer to an operator's call goes through here, so the final check covers them all.
    let seen = std::sync::Mutex::new(String::new());
    let call = |method: reqwest::Method, path: String, token: String, body: Option<Value>| {
        let mut r = c.request(method, format!("{base}{path}")).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let seen = &seen;
        async move {
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            seen.lock().unwrap().push_str(&text);
            (status, serde_json::from_str::<Value>(&text).unwrap_or(Value::Null))
        }
    };
    let post = |path: &str, body: Value| call(reqwest::Method::POST, path.to_string(), admin.clone(), Some(body));
    let get = |path: &str| call(reqwest::Method::GET, path.to_string(), admin.clone(), None);

    for (code, parent) in [("KAB", None), ("SD1", Some("KAB")), ("SD2", Some("KAB"))] {
        let unit = json!({"code": code, "name": format!("Unit {code}"), "parent_code": parent, "timezone": "Asia/Makassar",
                          "locations": [{"name": "Kantor", "lat": -0.5, "lon": 117.15, "radius_m": 100.0}]});
        assert_eq!(post("/api/v1/units", unit).await.0, 201);
    }
    let emp = json!({"nip": NIP, "name": "Guru Tujuh", "category": "PNS", "unit_code": "SD1", "password": "sandi123", "device_pin": "7"});
    assert_eq!(post("/api/v1/employees", emp).await.0, 201);
    // SD1's PUSH terminal, bound to the address it calls from.
    assert_eq!(post("/api/v1/devices", json!({"sn": "PUSH-SD1", "unit_code": "SD1"})).await.0, 201);
    assert_eq!(post("/api/v1/devices/PUSH-SD1/bind", json!({"cidr": "127.0.0.1"})).await.0, 200);
    // SD1's relay and the terminal behind it.
    let (st, r) = post("/api/v1/relays", json!({"name": "Pijo SD1", "unit_code": "SD1"})).await;
    assert_eq!(st, 201, "{r}");
    let relay_token = r["token"].as_str().unwrap().to_string();
    assert_eq!(post("/api/v1/devices", json!({"sn": "EMU-SD1", "unit_code": "SD1"})).await.0, 201);
    let emu = Emulator::start(EmulatorConfig {
        serial: "EMU-SD1".into(),
        timezone: jiff::tz::TimeZone::get("Asia/Makassar").unwrap(),
        ..Default::default()
    })
    .await
    .unwrap();

    // 1. Enrolment on SD1's PUSH terminal, before the relay has reported its terminal: the
    // relay writes the finger to its terminal when it first reports it (the server asks it to
    // sync a terminal new behind it).
    let bkd = template(1);
    let bkd64 = STANDARD.encode(&bkd);
    let line = format!("FP PIN=7\tFID=6\tSize={}\tValid=1\tTMP={bkd64}\n", bkd64.len());
    let r = c
        .post(format!("{base}/iclock/cdata?SN=PUSH-SD1&table=OPERLOG&OpStamp=9"))
        .header("User-Agent", "iClock Proxy/1.09")
        .body(line)
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (200, "OK:1".to_string()));
    // The roster (and the template list) only on demand: the server asks the relay to sync when
    // one of its terminals is new behind it, lacks a finger or holds a moved employee.
    let relay = common::start_relay(&base, &relay_token, &dir.path().join("relay.db"), emu.tcp_addr(), 0).await;
    let arrived = eventually(|| async { emu.templates() == vec![("7".to_string(), 6, bkd.clone())] }).await;
    assert!(arrived, "the emulator holds {:?}", emu.templates().iter().map(|t| (&t.0, t.1)).collect::<Vec<_>>());
    assert_eq!(emu.users().iter().filter(|u| u.user_id == "7").count(), 1, "the roster wrote the user first");
    // Reported written: the server hands it out no more.
    let reported = eventually(|| async {
        relay_templates(&c, &base, &relay_token).await == json!({"templates": [], "removed": []})
    })
    .await;
    assert!(reported, "the relay reported the finger written");
    let writes = emu.stats().templates_written;
    assert_eq!(writes, 1);

    // 2. A finger enrolled on the relay's terminal reaches SD1's PUSH terminal.
    let local = template(2);
    let local64 = STANDARD.encode(&local);
    assert!(emu.enroll_finger("7", 2, &local));
    let polled = std::sync::Mutex::new(String::new());
    let queued = eventually(|| async {
        let r = c.get(format!("{base}/iclock/getrequest?SN=PUSH-SD1")).send().await.unwrap();
        let text = r.text().await.unwrap();
        let mut all = polled.lock().unwrap();
        all.push_str(&text);
        all.push('\n');
        all.contains("FID=2")
    })
    .await;
    let polled = polled.into_inner().unwrap();
    assert!(queued, "PUSH-SD1 was sent: {polled}");
    let expected = format!("DATA UPDATE FINGERTMP PIN=7\tFID=2\tSize={}\tValid=1\tTMP={local64}", local64.len());
    assert!(polled.lines().any(|l| l.ends_with(&expected)), "{polled}");
    assert!(!polled.contains("FID=6"), "the terminal the finger came from is not sent it back: {polled}");
    // Its relay terminal is not written it again (it came from there), nor the first one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(emu.stats().templates_written, writes, "nothing rewritten");

    // 3. The employee moves to SD2: SD1's terminal loses them and their fingers.
    let (st, v) = call(
        reqwest::Method::PATCH,
        format!("/api/v1/employees/{NIP}"),
        admin.clone(),
        Some(json!({"unit_code": "SD2"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let gone =
        eventually(|| async { emu.templates().is_empty() && !emu.users().iter().any(|u| u.user_id == "7") }).await;
    assert!(gone, "still on the terminal: {:?}", emu.templates().iter().map(|t| (&t.0, t.1)).collect::<Vec<_>>());
    let settled = eventually(|| async {
        relay_templates(&c, &base, &relay_token).await == json!({"templates": [], "removed": []})
    })
    .await;
    assert!(settled, "the relay reported the removal");

    // 4. No API answer carries a template: everything read above, and the lists an operator
    // opens about this employee and these terminals.
    for path in [
        "/api/v1/devices".to_string(),
        "/api/v1/devices/PUSH-SD1".to_string(),
        "/api/v1/devices/PUSH-SD1/commands".to_string(),
        "/api/v1/devices/EMU-SD1".to_string(),
        "/api/v1/devices/EMU-SD1/commands".to_string(),
        "/api/v1/employees".to_string(),
        format!("/api/v1/employees/{NIP}"),
        "/api/v1/relays".to_string(),
        "/api/v1/audit".to_string(),
    ] {
        let (st, v) = get(&path).await;
        assert_eq!(st, 200, "{path}: {v}");
    }
    let all = seen.lock().unwrap().clone();
    for t in [&bkd64, &local64] {
        assert!(!all.contains(&t[40..100]), "a template in an API answer");
    }
    assert!(all.contains("PUSH-SD1") && all.contains("<templat #"), "the command list was read");

    relay.shutdown().await;
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_templates_end_to_end_on_sqlite() {
    run(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_templates_end_to_end_on_postgres() {
    let Some(url) = hadir_store_postgres::testing::fresh_test_database().await else { return };
    run(Some(&url)).await;
}
